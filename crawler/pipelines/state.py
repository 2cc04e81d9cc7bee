"""What the spiders learn (albums, links, accounts) and articles WeChat no longer shows,
written to the index; the error policy every pipeline write follows."""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from scrapy.crawler import Crawler

from crawler.items import (
    AccountFound,
    AlbumFound,
    AlbumPageRead,
    ArticleGone,
    ForeignLinkFound,
    HomepageFound,
    LinkDead,
    LinkFound,
    LinkRefused,
    LinkToFollow,
    MendTurnTaken,
    NoPageKept,
    StateRecord,
    WatchTurnTaken,
)
from crawler.report.logtext import counted
from crawler.report.tally import Stat
from crawler.run import Run
from crawler.store.accountbook import AccountBook
from crawler.store.index import ArticleState, Index
from crawler.store.watchbook import WatchBook
from crawler.wechat.article import PageReason
from crawler.wechat.urls import ArticleKey

logger = logging.getLogger(__name__)
# How many links a line saying articles refused without chksm names.
_REFUSED_SHOWN = 10


class StateWrites:
    """The error policy of every write a pipeline makes: a write that fails (a full disk, an
    index locked past its timeout) costs only itself, in one line (at ERROR once a cause:
    ``Run.error_level``) and a count that fails the run (``state/write_failed``)."""

    def __init__(self, run: Run):
        self.run = run
        self.tally = run.tally

    def record(self, write: Callable[[], object], what: str) -> bool:
        """Whether ``write`` was done."""
        try:
            write()
        except (OSError, sqlite3.Error) as error:
            self.tally.count(Stat.STATE_WRITE_FAILED)
            logger.log(self.run.error_level("record", error), "Not recorded for %s: %s", what, error)
            return False
        return True


class StatePipeline:
    """Records in the index what the spiders learn (albums, links, accounts: the
    ``StateRecord`` items) and articles WeChat no longer shows (``ArticleGone``, whose post
    stays as it is). Besides the archive's own writes of posts and images, the only writer
    of the index."""

    def __init__(self, index: Index, run: Run):
        self.index = index
        self.accounts = AccountBook(index)
        self.tally = run.tally
        self.retry_days = run.config.link_retry_days
        self.writes = StateWrites(run)
        self.refused: dict[str, str] = {}  # key → link, refused without chksm this run, unsaid

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StatePipeline:
        run = Run.of(crawler)
        return cls(run.archive.index, run)

    def close_spider(self) -> None:
        """Says the articles refused without ``chksm`` this run that no listing gave a link
        for: no run asks them by that link again, so unsaid they are lost unseen. The
        verification page may have been a block that passed; said once, as no later run
        meets them."""
        try:
            lost = [url for key, url in self.refused.items()
                    if self.index.article_state(key) == ArticleState.NEEDS_LINK
                    and not self.index.listed_link(key)]
        except (OSError, sqlite3.Error) as error:  # a damaged file, a failing disk
            self.tally.count(Stat.STATE_READ_FAILED)
            logger.error("Not said: which articles refused without chksm no album lists; the "
                         "index could not be read: %s", error)
            return
        if lost:
            shown = " ".join(lost[:_REFUSED_SHOWN]) + (
                f" and {len(lost) - _REFUSED_SHOWN} more" if len(lost) > _REFUSED_SHOWN else "")
            logger.warning("Not archived: %s WeChat refused by a link without chksm (its "
                           "verification page), and no album gives a link of it with chksm (one may list it "
                           "without); it is asked again in %s (LINK_RETRY_DAYS), an album that lists "
                           "it with chksm brings it, or, if WeChat "
                           "answers it now, scrapy crawl article -a url=<the link> (its link with "
                           "chksm, if you have it): %s", counted(len(lost), "article"),
                           counted(self.retry_days, "day"), shown)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, ArticleGone):
            self.writes.record(lambda: self.index.set_article_state(
                item.key, item.url, self._gone_state(item)), item.url)
            self.tally.count(Stat.post(PageReason(item.reason)))  # its page's source counted it
        elif isinstance(item, AlbumPageRead):
            self.writes.record(lambda: self._album_page(item), f"album {item.album}")
        elif isinstance(item, StateRecord):
            self.writes.record(lambda: self._write(item), _subject(item))
        return item

    def _gone_state(self, item: ArticleGone) -> ArticleState:
        """The state of an article WeChat no longer shows: one whose post left images on the
        CDN that may still come keeps them due (no run finds it again to try them); one the
        watch knew gone keeps its state (a post made whole from its capture in the same run
        stays archived, whichever of the two came first)."""
        path, state = self.index.article_row(item.key)
        if state in (ArticleState.INCOMPLETE, ArticleState.GONE_INCOMPLETE) and path:
            return ArticleState.GONE_INCOMPLETE
        if item.known and state is not None:
            return ArticleState(state)
        return ArticleState(item.reason)

    def _album_page(self, page: AlbumPageRead) -> None:
        with self.index.transaction():
            left = self._album_page_records(page)
        if left:
            self.tally.count(Stat.ALBUMS_LEFT, left)
            logger.info("%s left album %s since it was last read", counted(left, "article"), page.album)

    def _album_page_records(self, page: AlbumPageRead) -> int:
        """How many articles left the album, if ``page`` ends a read of it whole. In one
        transaction: outside one, each of its members and links was a commit of its own to
        the index's WAL (``executemany`` commits each row), 20 an album page of 10."""
        self.accounts.add_album_articles(page.album, [key for key, _ in page.members])
        self.index.add_listed_links((key, url) for key, url in page.members if url)
        if page.first:
            self.accounts.remember_album(page.album, page.biz, page.title, page.count, page.at)
        if page.short:
            self.accounts.album_read_short(page.album, page.short)
        if page.whole is None:
            return 0
        return self.accounts.album_read_whole(page.album, page.signature, set(page.whole), page.at,
                                              page.overcount)

    def _write(self, record: StateRecord) -> None:
        index = self.index
        match record:
            case AccountFound(account, biz):
                self.accounts.set_account(account, biz)
            case AlbumFound(album, biz, title, count, member):
                self.accounts.remember_album(album, biz, title, count)
                if member:
                    self.accounts.add_album_named(album, member)
            case LinkFound(url, key):
                index.add_link(url, key)
            case ForeignLinkFound(key, biz, seen_from):
                self.accounts.add_foreign_link(key, biz, seen_from)
            case LinkRefused(key, url, watched, said):
                asked_again = index.refused_at(key) is not None  # said when first refused
                index.needs_link(key, url, datetime.now(UTC).isoformat(timespec="seconds"))
                if watched:
                    WatchBook(index).checked(key, time.time())
                elif not (said or asked_again):
                    self.refused[key] = url
            case LinkToFollow(url, biz):
                self.accounts.follow_later(url, biz)
            case HomepageFound(url, biz):
                self.accounts.remember_homepage(url, biz)
            case LinkDead(url):
                index.set_article_state(ArticleKey(url), url, ArticleState.DEAD_LINK)
            case WatchTurnTaken(key):
                WatchBook(index).checked(key, time.time())
            case MendTurnTaken(key, captured):
                WatchBook(index).mended(key, time.time(), captured)
            case NoPageKept(key, url):
                gone = WatchBook(index).state(key).answer
                gone_states = (ArticleState.DELETED, ArticleState.VIOLATION)
                index.set_article_state(key, url, ArticleState(gone) if gone in gone_states
                                        else ArticleState.ARCHIVED)


def _subject(record: StateRecord) -> str:
    """What a record is about, for its line when it cannot be written."""
    match record:
        case AccountFound(account, _):
            return f"account {account}"
        case AlbumFound(album) | AlbumPageRead(album):
            return f"album {album}"
        case LinkFound(url) | LinkRefused(_, url) | LinkToFollow(url) | HomepageFound(url) | LinkDead(url):
            return url
        case ForeignLinkFound(key) | WatchTurnTaken(key) | NoPageKept(key) | MendTurnTaken(key):
            return key

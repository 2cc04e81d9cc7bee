"""Posts: each article converted (``crawler.convert.post``, pure) and written by the archive."""

from __future__ import annotations

import asyncio
import functools
import logging
import sqlite3
from collections.abc import Sequence
from concurrent.futures import Future
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from crawler.config import Config
from crawler.convert.post import NotConverted, converted
from crawler.items import AccountTagged, ArticleItem, ImagesNotStored, TagsAsked
from crawler.pipelines.state import StateWrites
from crawler.report.tally import Stat
from crawler.run import Run
from crawler.store.accountbook import AccountBook
from crawler.store.archive import Archive, StagedRetags, not_recorded, staged_retags
from crawler.store.files import NotPutBack, Staged, stage
from crawler.store.postfiles import PostError
from crawler.store.posts import Outcome
from crawler.wechat.article import trusted_publish_time

logger = logging.getLogger(__name__)
# A post file not ours to read (a person's edit gone wrong, a file cut short) may hold what
# only a person knows: kept, and what can be done said.
_NOT_WRITTEN_OVER = ": not written over: mend it, or delete it and run scrapy rebuild to make it again"
# The posts a tag added to an account retags in one job of their writer thread: their fsyncs
# committed together, and the reactor's share of the work (each renamed and recorded) in
# steps of a few milliseconds.
_RETAGS_AT_ONCE = 50


class PostPipeline:
    """Converts each article (``crawler.convert.post``, pure) and has ``Archive.write_post`` write
    it; reports what became of it. Whatever keeps an article from being archived is one
    "Not archived" line, counted."""

    def __init__(self, archive: Archive, config: Config, crawler: Crawler):
        self.archive = archive
        self.tagger = config.tagger()
        self.style = config.markdown_style()
        self.run = Run.of(crawler)
        self.tally = self.run.tally
        self.writes = StateWrites(self.run)
        self.writer = self.run.writer("posts")
        # a tag added to an account retags its posts there: no new post waits behind them
        self.retag_writer = self.run.writer("retags")
        # staged posts not taken up yet: a crawl stopped at once leaves them to ``discard_unclaimed``
        self.unclaimed: set[Future[Staged] | Future[StagedRetags]] = set()
        self.run.after_writes(self.discard_unclaimed)
        crawler.signals.connect(self.close, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PostPipeline:
        run = Run.of(crawler)
        return cls(run.archive, run.config, crawler)

    def close(self) -> None:
        self.writer.shutdown(wait=True)
        self.retag_writer.shutdown(wait=True)
        self.discard_unclaimed()

    def discard_unclaimed(self) -> None:
        """Delete the posts staged that no ``write_post`` took up: a crawl stopped at once
        never came back for them, and its process would leave each as a temporary file."""
        for future in self.unclaimed:
            if future.done() and not future.cancelled() and future.exception() is None:
                future.result().discard()
        self.unclaimed.clear()

    async def process_item(self, item: Any) -> Any:
        if isinstance(item, AccountTagged):
            await self._account_tagged(item)
        elif isinstance(item, TagsAsked):
            await self._tags_asked([(item.key, self.archive.index.configured_tags(item.key))], item.tags)
        if not isinstance(item, ArticleItem):
            return item
        article = item.article
        if article.published is None:
            self._not_archived(item, Stat.POSTS_NO_PUBLISH_TIME, f"{article.url} ({article.title!r}) "
                               "states no publish time, and a post is never given an invented date")
        if not trusted_publish_time(article.published, datetime.now(UTC)):
            self._not_archived(item, Stat.POSTS_NO_PUBLISH_TIME, f"{article.url} ({article.title!r}) "
                               f"states the publish time {article.published.isoformat()}, before WeChat "
                               "existed or later than it was fetched, so not to be trusted")
        imported_before = False  # these very bytes, imported by an earlier run
        if (page := item.imported_page) is not None:
            def keep() -> None:
                nonlocal imported_before
                # Dated when the page was saved, if the file says: a rebuild then dates a page
                # that showed only a relative publish time (4天前) as the import did.
                imported_before = not self.archive.keep_imported(article.url, page.html,
                                                                 page.saved_at)
            self.writes.record(keep, article.url)
        names = {f["url"]: f["path"] for f in item.files}
        # a post written again keeps the tags a person added, as a rebuilt one does, and
        # those its account gave it (the watch knows no account)
        configured, made_before = self.archive.index.given_tags(article.key)
        try:
            placed = self.archive.places.placed(article.key)
            kept = self.archive.post_tags(article.key, placed)
            tags, made = self.tagger.tagged(article, item.tags, kept=kept, made_before=made_before,
                                            configured_before=configured)
            fetched_before = item.imported_page is None and self.archive.watched.fetched_before(article)
            targets = self.archive.links.targets(article)
            text = converted(article, self.archive.image_links(names), tags, self.style, targets)
            given = None if set(item.tags) <= set(configured) else [*dict.fromkeys([*configured, *item.tags])]
            standing = self.archive.import_leaves(article, text, page.saved_at, imported_before) \
                if page is not None else None
            if standing is not None:  # it has the tags it was made with
                outcome, path = Outcome.UNCHANGED, standing
                if given is not None:
                    self.archive.index.set_configured_tags(article.key, given)
            else:
                staged = await self._staged(text, placed)
                try:
                    if self.archive.links.targets(article) != targets:  # one written meanwhile:
                        # its relink did not know this post yet
                        text = converted(article, self.archive.image_links(names), tags, self.style,
                                         self.archive.links.targets(article))
                    outcome, path = self.archive.write_post(article, text, tags=tags,
                                                            complete=not item.images_incomplete,
                                                            fetched=item.imported_page is None
                                                            and not item.from_capture,
                                                            made=made, configured=given, staged=staged,
                                                            link=item.fetched_url)
                finally:
                    if staged is not None:
                        staged.discard()
            # the post stands as it is (kept, or no other): the tags asked now reach it all the same
            if outcome in (Outcome.UNCHANGED, Outcome.KEPT) and item.tags and self.archive.retag(
                    article.key, path, lambda kept: self.tagger.retagged(kept, item.tags)):
                outcome = Outcome.UPDATED if outcome is Outcome.UNCHANGED else outcome
        except NotConverted as error:
            logger.debug("The converter failed on %s", article.url, exc_info=error.__cause__)
            self._not_archived(item, Stat.POSTS_UNCONVERTIBLE, f"{article.url} {error}")
        except NotPutBack as error:  # said as it is: the post is the one written now
            self.tally.count(Stat.STATE_WRITE_FAILED)
            self._say_images(item)
            raise DropItem(not_recorded(error, f"scrapy crawl article -a url={article.url}"),
                           log_level="ERROR") from None
        except (OSError, sqlite3.Error, PostError) as error:
            self._not_archived(item, Stat.POSTS_WRITE_FAILED,
                               f"cannot write the post of {article.url}: {error}"
                               + (_NOT_WRITTEN_OVER if isinstance(error, PostError) else ""), error)
        self._say_images(item)
        self.tally.count(Stat.post(outcome), source=item.source, account=item.account)
        if outcome is Outcome.KEPT and item.imported_page is not None:  # said once, as below
            logger.log(logging.INFO if imported_before else logging.WARNING,
                       "Kept the archived %s: the saved page imported now has fewer images "
                       "or much less text (%s)", path, item.imported_page.path)
        elif outcome is Outcome.KEPT:  # said once: the watch comes back to the same page
            logger.log(logging.INFO if fetched_before else logging.WARNING,
                       "Kept the archived %s: the page fetched now has fewer images or "
                       "much less text (%s)", path, article.url)
        elif outcome is not Outcome.READ_ONLY:  # which ``PostWrites`` said, once a run
            logger.info("Post %s: %s", outcome.value, path)
        return item

    async def _account_tagged(self, item: AccountTagged) -> None:
        """Each post of the account archived before given those of its tags now that its
        configuration never gave it (a tag added to the accounts file): no run fetches it
        again to write it with them."""
        book = AccountBook(self.archive.index)
        asked = [(key, given) for key, given in book.configured_tags_given(item.biz)
                 if not set(item.tags) <= set(given)]
        for start in range(0, len(asked), _RETAGS_AT_ONCE):
            await self._tags_asked(asked[start:start + _RETAGS_AT_ONCE], item.tags, item.account)

    async def _tags_asked(self, posts: Sequence[tuple[str, Sequence[str]]], asked: Sequence[str],
                          account: str = "") -> None:
        """The post of each article (key, the tags ``given`` before), which stands as it is,
        given the tags ``asked`` that it lacks, recorded as its configured ones beside those
        given. Each read, retagged and fsynced on a writer thread (``staged_retags``), the
        crawl going on meanwhile; renamed into place and recorded here. A post whose file is
        gone, or a link to a file (written, it would be a file of its own), gets them when it
        is written again."""
        placed = [(key, given, path) for key, given in posts if (path := self.archive.places.placed(key))
                  is not None and not path.is_symlink() and path.is_file()]
        if not placed:  # no job for the writer: a post gone, waiting to be written again
            return
        retagged = functools.partial(self.tagger.retagged, asked=asked)
        future = self.retag_writer.submit(staged_retags, [path for *_, path in placed], retagged)
        self.unclaimed.add(future)
        made = await asyncio.wrap_future(future)
        self.unclaimed.discard(future)
        try:
            for (key, given, path), post in zip(placed, made.posts, strict=True):
                try:
                    if isinstance(post, PostError):
                        raise post
                    changed = self.archive.put_retag(key, path, post, retagged,
                                                     [*dict.fromkeys([*given, *asked])])
                except (OSError, sqlite3.Error, PostError) as error:
                    self.tally.count(Stat.POSTS_WRITE_FAILED, account=account)
                    logger.log(self.run.error_level("post", error), "Not given the tags asked: %s%s", error,
                               _NOT_WRITTEN_OVER if isinstance(error, PostError) else "")
                    continue
                if changed:
                    self.tally.count(Stat.POSTS_UPDATED, account=account)
                    logger.info("Post updated: %s (the tags asked)", path)
        finally:
            made.discard()

    async def _staged(self, text: str, placed: Path | None) -> Staged | None:
        """A new post's bytes written in ``_posts/`` and fsynced on the writer thread: the
        reactor went on meanwhile, where each post's fsync was a wait of its own (3-10 ms).
        ``write_post`` names the post (another may have taken a name meanwhile) and puts them
        there if they are still what it writes (else, or should staging fail, it writes as
        ever, and says why it cannot). ``placed``: where the post is (``PostPlaces.placed``),
        asked in the same step of the reactor."""
        if placed is not None and placed.exists():  # a post written again is read and weighed first
            return None
        future = self.writer.submit(stage, self.archive.layout.posts, text.encode("utf-8"))
        self.unclaimed.add(future)
        try:
            staged = await asyncio.wrap_future(future)
        except OSError:  # nothing staged
            staged = None
        self.unclaimed.discard(future)
        return staged

    def _images_level(self, said: ImagesNotStored) -> int:
        """The level of the line that says ``said``: ERROR if the archive refused one of the
        images for a cause not said yet this run (``Run.error_level``: on a full disk the
        run stops, the stop's line after this one)."""
        levels = [self.run.error_level("image", cause) for cause in said.refused]
        return logging.ERROR if logging.ERROR in levels else said.level

    def _say_images(self, item: ArticleItem) -> None:
        """Say the images of ``item`` that were not stored (``ImagesNotStored``), its post written
        or kept, after what became of it was known."""
        if (said := item.images_not_stored) is not None:
            logger.log(self._images_level(said), "Images not stored, the post keeps their URLs: "
                       "%d of %d in %s (%s)", said.count, said.of, item.article.url, said.reasons)

    def _not_archived(self, item: ArticleItem, why: Stat, message: str,
                      error: BaseException | None = None) -> NoReturn:
        """Drop ``item`` in one line, which says its images not stored too (the line of a
        write's ``error`` at its ``Run.error_level``, asked after the images', which a full
        disk refused first), counted."""
        self.tally.count(why, source=item.source, account=item.account)
        if item.imported_page is not None:  # of a folder of saved pages, the URL does not say which
            message += f" (imported from {item.imported_page.path})"
        levels = []
        if (said := item.images_not_stored) is not None:
            levels.append(self._images_level(said))
            message += f"; {said.count} of its {said.of} images not stored either ({said.reasons})"
        levels.append(logging.WARNING if error is None else self.run.error_level("post", error))
        raise DropItem(f"Not archived: {message}", log_level=logging.getLevelName(max(levels)))

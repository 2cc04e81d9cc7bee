"""Scrapy's side of the watch of the originals: which archived articles a run fetches again
(``watch_requests``) and what a watched page says (``WatchPipeline``).

A watched article is requested like any article page (``WeChatSpider.article_request``):
same download slot, delay, block handling and captures; a run stopped by blocks stops the
watch too. A check is recorded only when WeChat answered with a page: the article, or
what it shows instead (deleted, removed, unavailable, an expired link …: ``Watched``); a
block, a verification page, a network failure or a page never fetched leaves the article as
due as it was, and never marks it gone. (A link without ``chksm`` WeChat may refuse, and an
error status, take the article's turn too: ``LinkRefused``, ``WatchTurnTaken``.)
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from crawler.items import ArticleGone
from crawler.report.tally import Stat, Tally
from crawler.run import Run
from crawler.store.index import Index
from crawler.store.postfiles import PostError
from crawler.store.watchbook import WatchBook
from crawler.wechat.article import PageReason
from crawler.wechat.urls import ARTICLE_HOST

if TYPE_CHECKING:
    from crawler.spiders.base import WeChatSpider

logger = logging.getLogger(__name__)

SOURCE = "watch"
_KEY = "watch_key"


def watch_requests(spider: WeChatSpider) -> Iterator[Request]:
    """Requests for the ``WATCH_PER_RUN`` archived articles most due for a check."""
    config = spider.config
    for key, url in WatchBook(spider.index).due(config.watch_per_run, time.time(),
                                                config.watch_schedule):
        request = spider.article_request(_on(config.wechat_base_url, url), SOURCE, refetch=True)
        request.meta[_KEY] = key
        yield request


def _on(base: str, url: str) -> str:
    """The archived canonical ``url`` (on mp.weixin.qq.com) on ``WECHAT_BASE_URL``."""
    parts = urlsplit(url)
    if parts.hostname != ARTICLE_HOST:
        return url
    site = urlsplit(base)
    return urlunsplit((site.scheme, site.netloc, parts.path, parts.query, ""))


def watched_key(request: Request) -> str | None:
    """The key of the archived article a watch request asks for; None for another request."""
    key: str | None = request.meta.get(_KEY)
    return key


def is_watch(request: Request) -> bool:
    """Whether ``request`` is the watch's."""
    return _KEY in request.meta


def watched(request: Request, reason: PageReason) -> bool:
    """Whether a watched article's answer ``reason`` is recorded though the article is not
    gone: "temporarily unavailable", an expired link, a page the parser does not know … are
    kept in the index, the post is not marked, and the article has had its turn (else, still
    the most due, it would take the watch's places in every run). Not a verification page:
    a block, or a link WeChat refuses (``refused_without_chksm``)."""
    return reason is not PageReason.VERIFICATION and is_watch(request)


class WatchPipeline:
    """Before ``PostPipeline``: a page saying a watched article is gone marks its post (a
    watched article is written with the tags its post has, as any article written again)."""

    def __init__(self, run: Run):
        self.run = run
        self.archive = run.archive

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WatchPipeline:
        return cls(Run.of(crawler))

    def process_item(self, item: Any) -> Any:
        if isinstance(item, ArticleGone):
            self._gone(item)
        return item

    def _gone(self, item: ArticleGone) -> None:
        """Only an archived article has a post to mark (one deleted before it was archived
        has its state in the index, ``StatePipeline``, and its check here)."""
        path = self.archive.places.placed(item.key)
        name = path.name if path else None
        reason = PageReason(item.reason)
        try:
            changed = self.archive.watched.gone(item.key, item.reason, path)
        except (OSError, sqlite3.Error, PostError) as error:  # its post not written: the run fails
            self.run.tally.count(Stat.POSTS_WRITE_FAILED)
            logger.log(self.run.error_level("post", error), "Not marked: the original of %s is %s, "
                       "but %s", name, reason.message, error)
            changed = None
        else:
            item.known = changed is None and path is not None
        if changed is not None and changed.status and path and not path.exists():
            logger.warning("The original of %s is %s, and its post is missing (deleted by hand?): "
                           "scrapy rebuild restores it, marked as %s (%s)", name, reason.message,
                           changed.status, item.url)
        elif changed is not None and changed.status:
            logger.warning("The original of %s is %s: the post stays, marked as %s (%s)",
                           name, reason.message, changed.status, item.url)
        elif changed is not None and reason is not PageReason.UNAVAILABLE:  # said once, as gone
            logger.warning("The original of %s is %s: the post stays as it is (%s)", name,
                           reason.message, item.url)
        if not reason.gone:
            raise DropItem(f"Recorded: {item.url} is {reason.message}", log_level="DEBUG")


def record_changes(tally: Tally, index: Index) -> float:
    """Put what the watch saw this run (``watch/deleted``, ``removed``, ``edited``,
    ``restored``) into the run's stats, for the summary; return when the run started."""
    started = tally.stats.get_value(Stat.START_TIME)
    since = started.timestamp() if started else time.time()
    for kind, count in WatchBook(index).counts(since=since).items():
        tally.set(Stat.watch(kind), count)
    return since

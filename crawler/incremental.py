"""What makes a run incremental: only what the index does not hold is fetched.

``IncrementalMiddleware`` (a spider middleware, so every spider gets it, whatever found the
article) lets an article request out only if the index does not hold the article as
settled, and only once a run, whichever link led to it: a listing, a page's links and a
feed may all name one article, each with another ``chksm``. ``AlbumProgress`` tells when
an album's listing has nothing new left to show.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response

from crawler.items import ArticleItem
from crawler.store.archive import Archive
from crawler.store.index import SETTLED, Index
from crawler.tally import Tally
from crawler.wechat.listing import AlbumPage
from crawler.wechat.urls import article_key


class IncrementalMiddleware:
    """Drops article requests for what is settled in the index, or requested this run.

    A request with ``meta["refetch"]`` (an article the user named) goes out even if
    archived. The run remembers the keys and links it requested: a few bytes an article.
    """

    def __init__(self, index: Index, tally: Tally):
        self.index = index
        self.tally = tally
        self.keys: set[str] = set()
        self.links: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IncrementalMiddleware:
        return cls(Archive.of(crawler).index, Tally.of(crawler))

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        async for output in start:
            if self.wanted(output):
                yield output

    def process_spider_output(self, response: Response, result: Iterable[Any]) -> Iterator[Any]:
        return (output for output in result if self.wanted(output))

    async def process_spider_output_async(self, response: Response,
                                          result: AsyncIterator[Any]) -> AsyncIterator[Any]:
        async for output in result:
            if self.wanted(output):
                yield output

    def wanted(self, output: Any) -> bool:
        """Whether ``output`` goes on: anything but an article request already settled or
        already requested. An article fetched from a link that did not name it (a short
        link) is known by its key from then on."""
        if isinstance(output, ArticleItem):
            self.keys.add(output.article.key)
            return True
        if not (isinstance(output, Request) and output.meta.get("article")):
            return True
        key = article_key(output.url) or self.index.link_key(output.url)
        if output.url in self.links or (key and key in self.keys):
            return False
        if key and not output.meta.get("refetch") \
                and self.index.article_state(key) in SETTLED:
            account = output.cb_kwargs.get("account")
            self.tally.count("articles/already_archived", source=output.cb_kwargs.get("source", ""),
                             account=account.name if account else "")
            return False
        self.links.add(output.url)
        if key:
            self.keys.add(key)
        self.tally.count("articles/requested")
        return True


class AlbumProgress:
    """Which albums a run reads, and when one is known to hold nothing new.

    An album is listed newest first. Its pages are read until every article it holds, as
    many as WeChat says it has, is either settled in the index or listed in this run: on
    a day with nothing new that is its first page, and with k new articles about
    ceil(k / page size) pages. An album that states no count is read to its end.
    """

    def __init__(self, index: Index):
        self.index = index
        self.started: set[str] = set()
        self.counts: dict[str, int | None] = {}
        self.pending: dict[str, set[str]] = {}

    def start(self, album: str) -> bool:
        """Whether ``album`` is new to this run (each album is read once a run)."""
        if album in self.started:
            return False
        self.started.add(album)
        return True

    def read(self, album: str, biz: str, page: AlbumPage, first_page: bool) -> bool:
        """Record one page of ``album`` (of account ``biz``); whether to read the next."""
        keys = [entry.key for entry in page.entries if entry.key]
        if first_page:
            self.counts[album] = page.article_count
            self.index.remember_album(album, biz, page.title, page.article_count,
                                      datetime.now(UTC).isoformat(timespec="seconds"))
        self.index.add_album_articles(album, keys)
        pending = self.pending.setdefault(album, set())
        pending.update(key for key in keys
                       if self.index.article_state(key) not in SETTLED)
        count = self.counts.get(album)
        return count is None or self.index.settled_in_album(album) + len(pending) < count

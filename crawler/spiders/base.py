"""What every spider shares: fetching article pages and paging through albums.

Spiders only decide where to look; whichever source found an article, it is fetched,
parsed and handed to the pipelines the same way. Articles that the index already holds
as settled are not fetched again when a listing names them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace
from typing import Any, ClassVar
from urllib.parse import urlsplit

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler.config import Config
from crawler.items import ArticleGone, ArticleItem
from crawler.spiders.arguments import SpiderParams
from crawler.store.archive import Archive
from crawler.store.index import ArticleState
from crawler.wechat.article import NotAnArticle
from crawler.wechat.listing import (
    Entry,
    ListingError,
    album_id,
    album_json_url,
    album_url,
    parse_album_page,
)
from crawler.wechat.page import as_utf8, parse_page
from crawler.wechat.urls import article_key

# Error pages that say the article is gone for good, so that it is not asked for again.
GONE = frozenset({"deleted", "violation"})


class WeChatSpider(scrapy.Spider):
    Params: ClassVar[type[SpiderParams]]
    params: Any
    follow_albums = False

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, params: Any = None,
                     **arguments: Any) -> WeChatSpider:
        """The spider with its ``params``: as the crawl command built them, or from ``-a``."""
        config = Config.of(crawler)
        if not isinstance(params, cls.Params):
            params = cls.Params.from_arguments(arguments, config)
        spider = super().from_crawler(crawler)
        spider.params = params
        spider.config = config
        spider.index = Archive.of(crawler).index
        spider.albums_seen: set[str] = set()
        return spider

    # -- articles ------------------------------------------------------------------------
    def article_request(self, url: str, source: str, *, key: str | None = None,
                        tags: Iterable[str] = (), account: str = "") -> scrapy.Request:
        """A request for an article page. Two sources may name one article in a run (an
        album and a feed, say): Scrapy's duplicate filter drops the second request."""
        meta = {"article": True, "source": source, "key": key, "tags": list(tags), "account": account,
                "dont_redirect": True}  # BlockMiddleware follows article redirects itself
        return scrapy.Request(url, callback=self.parse_article, errback=self.fetch_failed, meta=meta)

    def new_article_requests(self, entries: Iterable[Entry], source: str, *,
                             tags: Iterable[str] = (), account: str = "") -> Iterator[scrapy.Request]:
        """Requests for the listed articles that are not archived yet (or are incomplete)."""
        stats = self.crawler.stats
        for entry in entries:
            stats.inc_value("articles/listed")
            stats.inc_value(f"source/{source}/listed")
            key = entry.key or self.index.link_key(entry.url)
            if key and self.index.article_state(key) in ArticleState.SETTLED:
                stats.inc_value("articles/already_archived")
                stats.inc_value(f"source/{source}/already_archived")
                continue
            yield self.article_request(entry.url, source, key=key, tags=tags, account=account)

    def parse_article(self, response: Response) -> Iterator[Any]:
        meta = response.meta
        if isinstance(response, TextResponse):
            page = parse_page(as_utf8(response.body, response.encoding), response.url)
        else:
            page = NotAnArticle("unknown", f"not an HTML page ({response.headers.get('Content-Type')!r})")
        if isinstance(page, NotAnArticle):
            self.logger.warning("Not archived: %s is %s", response.url, page.message)
            self.crawler.stats.inc_value(f"pages/{page.reason}")
            key = meta.get("key") or article_key(response.url)
            if key and page.reason in GONE:
                yield ArticleGone(key=key, url=response.url, reason=page.reason, source=meta["source"])
            return
        if not page.account and meta.get("account"):
            page = replace(page, account=meta["account"])
        yield ArticleItem(article=page, file_urls=list(page.image_urls), source=meta["source"],
                          tags=meta.get("tags") or [], fetched_url=response.request.url)
        if self.follow_albums and page.biz:
            base = "{0.scheme}://{0.netloc}".format(urlsplit(response.url))
            for album in page.albums:
                request = self.album_request(album_url(base, page.biz, album.id),
                                             tags=meta.get("tags") or ())
                if request is not None:
                    yield request

    def fetch_failed(self, failure: Failure) -> None:
        self.logger.warning("Not archived: could not fetch %s: %s",
                            failure.request.url, failure_reason(failure))
        self.crawler.stats.inc_value("pages/fetch_failed")

    # -- albums --------------------------------------------------------------------------
    def album_request(self, url: str, *, tags: Iterable[str] = (),
                      account: str = "") -> scrapy.Request | None:
        """The first page of an album's JSON; None for an album already being read this run."""
        json_url = album_json_url(url, self.config.album_page_size)
        if json_url in self.albums_seen:
            return None
        self.albums_seen.add(json_url)
        return self.listing_request(json_url, f"album:{album_id(url)}", self.parse_album,
                                    tags=tags, account=account)

    def listing_request(self, url: str, source: str, callback: Any, *, tags: Iterable[str] = (),
                        account: str = "", **kwargs: Any) -> scrapy.Request:
        """A request for one listing source (album, feed, back-office list)."""
        self.crawler.stats.inc_value("sources/attempted")
        meta = {"source": source, "tags": list(tags), "account": account, "first_page": True}
        return scrapy.Request(url, callback=callback, errback=self.listing_failed, meta=meta,
                              dont_filter=True, **kwargs)

    def parse_album(self, response: Response) -> Iterator[scrapy.Request]:
        try:
            page = parse_album_page(response.text, response.url)
        except ListingError as error:
            self.source_failed(response.meta, str(error))
            return
        self.source_read(response.meta)
        yield from self.new_article_requests(page.entries, response.meta["source"],
                                             tags=response.meta["tags"], account=response.meta["account"])
        if page.next_url:
            meta = {key: response.meta[key] for key in ("source", "tags", "account")}
            yield response.request.replace(url=page.next_url, meta={**meta, "first_page": False})

    # -- listing outcomes ----------------------------------------------------------------
    def source_read(self, meta: dict[str, Any]) -> None:
        if meta.get("first_page"):
            self.crawler.stats.inc_value("sources/read")

    def source_failed(self, meta: dict[str, Any], reason: str) -> None:
        source = meta["source"]
        self.logger.warning("Source %s could not be read: %s", source, reason)
        self.crawler.stats.inc_value(f"source/{source}/failed")
        if meta.get("first_page"):
            self.crawler.stats.inc_value("sources/failed")

    def listing_failed(self, failure: Failure) -> None:
        self.source_failed(failure.request.meta, failure_reason(failure))


def failure_reason(failure: Failure) -> str:
    """A failed request in a few words: ``HTTP 404`` rather than Scrapy's generic message."""
    if failure.check(HttpError):
        return f"HTTP {failure.value.response.status}"
    message = failure.getErrorMessage()
    name = type(failure.value).__name__
    return f"{name}: {message}" if message and name not in message else message or name

"""What every spider is: made with its checked ``-a`` parameters, it starts with the
requests of what it was asked for (its own ``start``), short links first, and hands what
each page gives to the pipelines the same way whichever spider asked for it.

The pages themselves are the layers below: ``ListingPages`` (albums, feeds, the back-office
list) over ``ArticlePages`` (article pages) over ``RunSpider`` (what a spider keeps of its
run). Spiders only decide where to look.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from functools import cached_property
from typing import Any, ClassVar

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider

from crawler.config import Config
from crawler.incremental import IncrementalMiddleware
from crawler.run import stop_asked
from crawler.spiders.arguments import SpiderParams
from crawler.spiders.listingpages import ListingPages

# Held start requests sent at once when the spider is idle (``release_held``).
_HELD_AT_ONCE = 100
# A start output and the number of the source given that it comes of (a URL, an account, in
# the order of ``Params``), or None: of no source given (the watch's pages).
Sourced = tuple[int | None, Any]


class SourcesAsked:
    """Which of the sources a spider was given, numbered from 0, have requests, and whether
    the engine took one of them yet: a byte a source, where a set of their numbers took some
    60 bytes a link of a list of thousands."""

    _NONE, _WAITING, _ASKED = range(3)

    def __init__(self, given: int):
        self._states = bytearray(given)
        self.waiting = 0  # sources with requests, none taken yet

    def has_request(self, source: int) -> None:
        if self._states[source] == self._NONE:
            self._states[source] = self._WAITING
            self.waiting += 1

    def asked(self, source: int) -> None:
        if self._states[source] == self._WAITING:
            self._states[source] = self._ASKED
            self.waiting -= 1


class WeChatSpider(ListingPages):
    Params: ClassVar[type[SpiderParams]]
    # Whether the spider fetches article pages (all but ``import``): the fetch nodes of a
    # job in Redis then fetch them (``crawler.distributed``).
    fetches_articles: ClassVar[bool] = True
    params: Any

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, params: Any = None,
                     **arguments: Any) -> WeChatSpider:
        """The spider with its ``params``: as the crawl command built them, or from ``-a``
        (checked against the settings as they are now; the run's ``config`` is read later)."""
        if not isinstance(params, cls.Params):
            params = cls.Params.from_arguments(arguments, Config.from_settings(crawler.settings))
        spider = super().from_crawler(crawler)
        spider.params = params
        crawler.signals.connect(spider.request_dropped, signal=signals.request_dropped)
        crawler.signals.connect(spider.release_held, signal=signals.spider_idle)
        crawler.signals.connect(spider.opened, signal=signals.spider_opened)
        crawler.signals.connect(spider.stop_asked, signal=stop_asked)
        return spider

    @cached_property
    def held(self) -> Iterator[tuple[int | None, scrapy.Request]]:
        """Start requests held back by ``short_links_first``, made as they are sent, each
        with the number of its source."""
        return iter(())

    @cached_property
    def sources(self) -> SourcesAsked:
        """Which of the sources given the engine took requests of (``short_links_first``)."""
        return SourcesAsked(0)

    def short_links_first(self, outputs: Callable[[], Iterable[Sourced]]) -> Iterator[Any]:
        """``start``'s outputs (``outputs()`` makes them, each with the number of its source
        given, the same each time: made again rather than kept, so that a list of thousands
        of links is not thousands of requests in memory at once); but while any is a request
        for a short link naming no article the index knows, the other requests are held back
        until the spider is idle (``release_held``). A short link names its article only once
        fetched: another link to that article (given too, an album's, a feed's) then finds it
        requested this run (``IncrementalMiddleware``), and it is fetched once, whatever the
        pages in flight. The sources none of whose requests were taken yet, held back or not
        come to, are what a stop leaves of them (``stop_asked``: ``Params.given`` says how
        many were given)."""
        self.sources = SourcesAsked(self.params.given.count)
        unnamed = []
        for source, output in outputs():
            is_request = isinstance(output, scrapy.Request)
            if is_request and source is not None:
                self.sources.has_request(source)
            unnamed.append(is_request and bool(output.meta.get("article"))
                           and self.index.article_of(output.url) is None)
        if not any(unnamed):
            for source, output in outputs():
                self._taken(source, output)
                yield output
            return
        for (source, output), short in zip(outputs(), unnamed, strict=True):
            if short or not isinstance(output, scrapy.Request):
                self._taken(source, output)
                yield output
        self.held = ((source, output) for (source, output), short in zip(outputs(), unnamed, strict=True)
                     if isinstance(output, scrapy.Request) and not short)

    def _taken(self, source: int | None, output: Any) -> None:
        """Note that the engine takes ``output`` now: a request of ``source`` asks for it."""
        if isinstance(output, scrapy.Request) and source is not None:
            self.sources.asked(source)

    def release_held(self) -> None:
        """The requests ``short_links_first`` held back, once the short links are fetched,
        through the incremental filter as any request; ``_HELD_AT_ONCE`` at a time (the
        next when the spider is idle again), so that a list of thousands of links is not
        thousands of requests in memory at once."""
        gate = self.crawler.get_spider_middleware(IncrementalMiddleware)
        assert self.crawler.engine is not None
        sent = 0
        for source, request in self.held:
            self._taken(source, request)
            if gate is None or gate.wanted(request):
                self.crawler.engine.crawl(request)
                sent += 1
                if sent == _HELD_AT_ONCE:
                    break
        if sent:
            raise DontCloseSpider

    def stop_asked(self) -> str | None:
        """What of its sources the run leaves, as the stop line says it (``ask_to_stop``): those
        given none of whose pages were asked for yet, waiting for a short link or not come to;
        None: none. (Stopped before the engine took any output of ``start``, ``StartLeft``
        says that it left every source.)"""
        if not self.sources.waiting:
            return None
        return f"{self.params.given.of(self.sources.waiting)} (not asked for yet)"

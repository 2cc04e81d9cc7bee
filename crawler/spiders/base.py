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
from crawler.spiders.arguments import SpiderParams
from crawler.spiders.listingpages import ListingPages

# Held start requests sent at once when the spider is idle (``release_held``).
_HELD_AT_ONCE = 100


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
        return spider

    @cached_property
    def held(self) -> Iterator[scrapy.Request]:
        """Start requests held back by ``short_links_first``, made as they are sent."""
        return iter(())

    def short_links_first(self, outputs: Callable[[], Iterable[Any]]) -> Iterator[Any]:
        """``start``'s outputs (``outputs()`` makes them, the same each time: made again
        rather than kept, so that a list of thousands of links is not thousands of requests
        in memory at once); but while any is a request for a short link naming no article
        the index knows, the other requests are held back until the spider is idle
        (``release_held``). A short link names its article only once fetched: another link
        to that article (given too, an album's, a feed's) then finds it requested this run
        (``IncrementalMiddleware``), and it is fetched once, whatever the pages in flight."""
        unnamed = [isinstance(output, scrapy.Request) and bool(output.meta.get("article"))
                   and self.index.article_of(output.url) is None for output in outputs()]
        if not any(unnamed):
            yield from outputs()
            return
        for output, short in zip(outputs(), unnamed, strict=True):
            if short or not isinstance(output, scrapy.Request):
                yield output
        self.held = (output for output, short in zip(outputs(), unnamed, strict=True)
                     if isinstance(output, scrapy.Request) and not short)

    def release_held(self) -> None:
        """The requests ``short_links_first`` held back, once the short links are fetched,
        through the incremental filter as any request; ``_HELD_AT_ONCE`` at a time (the
        next when the spider is idle again), so that a list of thousands of links is not
        thousands of requests in memory at once."""
        gate = self.crawler.get_spider_middleware(IncrementalMiddleware)
        assert self.crawler.engine is not None
        sent = 0
        for request in self.held:
            if gate is None or gate.wanted(request):
                self.crawler.engine.crawl(request)
                sent += 1
                if sent == _HELD_AT_ONCE:
                    break
        if sent:
            raise DontCloseSpider

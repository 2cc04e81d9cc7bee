"""The writer's article pages: fetched by the job's nodes instead of downloaded here, and
let go from Redis once archived (until then a writer killed, SIGKILL or its machine down,
would lose them, and the next run ask WeChat for them again)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

from crawler.distributed.exchange import PageExchange
from crawler.distributed.wire import JobStopped, NodeRefused, NotFetched, Page, off_hosts
from crawler.distributed.writer import Writer
from crawler.run import Run, stop_asked
from crawler.stopping import leave_for_next_run


def exchange_of(crawler: Crawler) -> PageExchange:
    writer = crawler.get_extension(Writer)
    if writer is None:
        raise NotConfigured("the writer's middlewares need the Writer extension")
    return writer.exchange


class RemoteFetch:
    """Article pages (``request.meta["article"]``) come from the job's fetch nodes, at most
    ``REDIS_PAGES_IN_FLIGHT`` asked of them at once.

    Placed after BlockMiddleware, so that a stopped run asks the nodes for nothing more.
    The page is returned as the Response of ``process_request``: Scrapy then skips the
    download here but runs every middleware's ``process_response``, so that block checks
    and captures see the page as if it had been fetched here. A page a node followed a
    redirect for answers the request for where it moved, as a redirect followed here would,
    with the URL asked in ``redirect_urls`` (the link as the source gave it).

    A signal that stops the run (``stop_asked``) leaves the pages it waits for to the next
    run, as a single process leaves its queue (``crawler.stopping``): they wait in Redis, or
    on the frontier, and a job folder keeps their requests.
    """

    def __init__(self, crawler: Crawler, exchange: PageExchange, pages_in_flight: int):
        self.crawler = crawler
        self.exchange = exchange
        self.fingerprinter = crawler.request_fingerprinter
        self.in_flight = asyncio.Semaphore(pages_in_flight)
        self.asked = 0  # requests waiting for their page, or their turn among REDIS_PAGES_IN_FLIGHT
        self.stopping = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RemoteFetch:
        fetch = cls(crawler, exchange_of(crawler), Run.of(crawler).config.redis_pages_in_flight)
        crawler.signals.connect(fetch.stop_asked, signal=stop_asked)
        return fetch

    def stop_asked(self) -> int:
        """How many pages the stopping run leaves for the next: every one asked but the one
        a node handed back being taken from Redis at that moment, which is archived (one
        only looked for, after it was asked, is most likely not there; one being submitted
        is not waited for yet: it stops as its submission ends)."""
        self.stopping = True
        being_archived = bool(self.exchange.taken_now) and self.exchange.handed_back_now
        self.exchange.stop("the run is stopping")
        return self.asked - being_archived

    async def process_request(self, request: Request) -> Response | None:
        if not request.meta.get("article"):
            return None
        page_id = self.fingerprinter.fingerprint(request).hex()
        try:
            page = await self.remote(request, page_id)
        except JobStopped:
            if self.stopping:
                raise leave_for_next_run(self.crawler, request) from None
            raise
        if page.failure:
            self.exchange.finish(page_id, page)  # nothing of it is archived
            why = f"{page.failure} (fetch node {page.node})"
            raise NodeRefused(why, page.node) if page.failure == off_hosts(page.asked) else NotFetched(why)
        request.headers = page.sent_headers()  # what was asked, for the captures
        request.meta["dont_retry"] = True  # the node has retried already
        answered = request if page.url == request.url else request.replace(
            url=page.url, meta={**request.meta, "redirect_urls": [request.url]})
        response = page.response(answered)
        self.exchange.hand_over(page_id, response)
        return response

    async def remote(self, request: Request, page_id: str) -> Page:
        """The page of ``request``, once one of the ``REDIS_PAGES_IN_FLIGHT`` is its."""
        self.asked += 1
        try:
            async with self.in_flight:
                return await self.exchange.fetch(request, page_id)
        finally:
            self.asked -= 1


@dataclass
class Outcome:
    """What a page's callback (or errback) gave: items still in the pipelines, and the
    outputs of it still being read (one, but for an exception's recovery read apart)."""

    items: int = 0
    reading: int = 0


class PagesArchived:
    """A spider middleware of the writer, closest to the engine: a page taken from Redis is
    archived once every item its callback or errback gave has been through the pipelines
    (its post and index rows written, or the item dropped); it then leaves Redis
    (``PageExchange.let_go``). A page that gave nothing is done when its callback ends.
    Until then this middleware holds its response, which Scrapy's letting go of would
    otherwise let the page go (``PageExchange.hand_over``)."""

    def __init__(self, crawler: Crawler, exchange: PageExchange):
        self.exchange = exchange
        self.outcomes: dict[Response, Outcome] = {}
        for signal in (signals.item_scraped, signals.item_dropped, signals.item_error):
            crawler.signals.connect(self.item_done, signal=signal)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PagesArchived:
        return cls(crawler, exchange_of(crawler))

    def process_spider_output(self, response: Response, result: Iterable[Any]) -> Iterator[Any]:
        outcome = self.outcome(response)
        try:
            for output in result:
                yield self.counted(outcome, output)
        finally:
            self.ended(response, outcome)

    async def process_spider_output_async(self, response: Response,
                                          result: AsyncIterator[Any]) -> AsyncIterator[Any]:
        outcome = self.outcome(response)
        try:
            async for output in result:
                yield self.counted(outcome, output)
        finally:
            self.ended(response, outcome)

    def outcome(self, response: Response) -> Outcome | None:
        if not self.exchange.archiving(response):
            return None
        outcome = self.outcomes.setdefault(response, Outcome())
        outcome.reading += 1
        return outcome

    @staticmethod
    def counted(outcome: Outcome | None, output: Any) -> Any:
        if outcome is not None and output is not None and not isinstance(output, Request):
            outcome.items += 1  # an item: the scraper sends it to the pipelines
        return output

    def ended(self, response: Response, outcome: Outcome | None) -> None:
        if outcome is not None:
            outcome.reading -= 1
            self.settle(response, outcome)

    def item_done(self, response: Any = None, **_: Any) -> None:
        outcome = self.outcomes.get(response) if isinstance(response, Response) else None
        if outcome is not None:
            outcome.items -= 1
            self.settle(response, outcome)

    def settle(self, response: Response, outcome: Outcome) -> None:
        if outcome.reading == 0 and outcome.items == 0:
            del self.outcomes[response]
            self.exchange.let_go(response)

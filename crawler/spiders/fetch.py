"""``scrapy crawl fetch -s REDIS_URL=redis://host:port/db``: a fetch node of a job.

One per machine (one IP): it takes the writer's article requests from the job's frontier
in Redis, one at a time, with this machine's politeness and block handling, and hands each
page back as WeChat sent it. It writes nothing here: no posts, images, index or captures.
It waits for work while the job goes on and stops by itself once the writer has finished
it, or has stopped (a signal, its archive refusing writes: reason ``writer_stopped``, exit
status 0, what it holds handed back for the job's next writer), or has left its lease to
run out, saying nothing (killed: it takes nothing from then, and stops ``REDIS_GRACE`` later,
reason ``writer_lost``, exit status 1). Blocked, it stops with reason ``blocked`` (exit
status 1) and its requests go to the other nodes. See ``crawler/distributed/``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, IgnoreRequest
from scrapy.http import Request, Response
from scrapy.settings import BaseSettings
from twisted.python.failure import Failure

from crawler.config import Config
from crawler.distributed.mode import NODE_SCHEDULER, TAKEN, fetch_node
from crawler.distributed.wire import Page
from crawler.incremental import IncrementalMiddleware
from crawler.middlewares import BlockMiddleware, CaptureMiddleware
from crawler.report.extensions import RunReport
from crawler.report.progress import Progress
from crawler.spiders.arguments import ArgumentError, check_known
from crawler.spiders.failures import failed_request, failure_reason, redirect_loop
from crawler.stopping import Dropped, StartLeft

if TYPE_CHECKING:
    from crawler.distributed.node import FetchNode


@dataclass(frozen=True)
class FetchParams:
    """A node takes no ``-a`` arguments, but needs the job's Redis."""

    @classmethod
    def from_arguments(cls, arguments: Mapping[str, Any], config: Config) -> FetchParams:
        check_known(arguments, ())
        if not config.redis_url:
            raise ArgumentError("a fetch node works for a job in Redis: give -s REDIS_URL=redis://host:port/db")
        return cls()


class FetchSpider(scrapy.Spider):
    name = "fetch"
    Params: ClassVar[type[FetchParams]] = FetchParams
    node: FetchNode

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        """A node fetches and hands back: the frontier is its scheduler, every answer goes
        back whatever its status (the writer decides what a 404 means), and the archive's
        pipelines, captures, index and run summary are the writer's."""
        super().update_settings(settings)
        settings.set("SCHEDULER", NODE_SCHEDULER, priority="spider")
        settings.set("HTTPERROR_ALLOW_ALL", True, priority="spider")
        settings.set("ITEM_PIPELINES", {}, priority="spider")
        _without(settings, "DOWNLOADER_MIDDLEWARES", CaptureMiddleware)
        _without(settings, "SPIDER_MIDDLEWARES", IncrementalMiddleware, StartLeft)  # a node has no sources
        _without(settings, "EXTENSIONS", RunReport, Progress)

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, params: Any = None, **kwargs: Any) -> FetchSpider:
        config = Config.from_settings(crawler.settings)  # REDIS_*: no add-on changes them
        if not isinstance(params, FetchParams):
            FetchParams.from_arguments(kwargs, config)
        spider = super().from_crawler(crawler)
        spider.node = fetch_node(crawler, config)
        crawler.signals.connect(spider.wait_for_the_job, signal=signals.spider_idle)
        crawler.signals.connect(spider.request_dropped, signal=signals.request_dropped)
        return spider

    def wait_for_the_job(self) -> None:
        """An empty frontier is not the end: the writer may be reading a listing."""
        if not self.node.job_done():
            raise DontCloseSpider

    def request_dropped(self, request: Request) -> None:
        """A page redirected in a loop (``NodeScheduler`` drops it, as a single process's
        scheduler does) goes to the writer as a page that cannot be fetched."""
        failure = redirect_loop(request)
        if failure is not None:
            self.fetch_failed(failure)

    # A node's frontier entries name these two (frontier.CALLBACK, frontier.ERRBACK).
    def hand_back(self, response: Response) -> None:
        request = response.request
        assert request is not None
        self.node.hand_back(request, Page.from_response(response, self.node.name, request.meta["page_id"],
                                             request.meta[TAKEN].url))

    def fetch_failed(self, failure: Failure) -> None:
        """A page this node may not fetch (it is blocked, or stopping during a block pause)
        goes back to the frontier for the others; any other failure goes to the writer, which
        would otherwise wait for it."""
        request = failed_request(failure)
        blocks = self.crawler.get_downloader_middleware(BlockMiddleware)
        if failure.check(Dropped) or (failure.check(IgnoreRequest) and blocks is not None and blocks.stopped):
            self.node.requeue(request)
        else:
            self.node.hand_back(request, Page(self.node.name, request.meta["page_id"],
                                              request.meta[TAKEN].url, url=request.url,
                                              failure=failure_reason(failure)))


def _without(settings: BaseSettings, name: str, *components: type) -> None:
    """``name``'s components but ``components``, at the spider's priority: the crawl command
    merges the project's settings in again, and they would bring them back."""
    for component in components:
        settings.set_in_component_priority_dict(name, component, None)
    settings.set(name, settings.getdict(name), priority="spider")

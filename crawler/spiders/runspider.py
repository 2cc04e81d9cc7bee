"""What a spider keeps of its run: the run's ``Config``, ``Index`` and ``Tally``, the
``Discovery`` of where its pages lead, and the causes of failure said so far.

The layers above it each handle one kind of page: ``ArticlePages`` (``articlepages``),
``ListingPages`` (``listingpages``); ``WeChatSpider`` (``base``) is what every spider is.
"""

from __future__ import annotations

from functools import cached_property

import scrapy
from twisted.python.failure import Failure

from crawler.config import Config
from crawler.distributed.wire import JobStopped, NotFetched
from crawler.middlewares import Blocked
from crawler.report.tally import Stat, Tally
from crawler.run import Run
from crawler.spiders.discovery import Discovery
from crawler.spiders.failures import failed_request, shared_cause
from crawler.store.index import Index
from crawler.wechat.urls import host_of


class RunSpider(scrapy.Spider):
    # Read when first used: the spider is made before the crawl's settings are final.
    @property
    def config(self) -> Config:
        return Run.of(self.crawler).config

    @property
    def index(self) -> Index:
        return Run.of(self.crawler).archive.index

    @property
    def tally(self) -> Tally:
        return Run.of(self.crawler).tally

    @cached_property
    def discovery(self) -> Discovery:
        return Discovery(self.index, self.config, self.tally, Run.of(self.crawler).memory_refused)

    def closed(self, reason: str) -> None:
        if "discovery" in self.__dict__:  # made (a cached_property) once the run needed it
            self.discovery.close()

    @cached_property
    def causes_said(self) -> set[str]:
        """The ``shared_cause`` of each page and listing not had so far this run, with its host."""
        return set()

    def already_said(self, failure: Failure) -> bool:
        """Whether why a page or listing was not had is said already, at WARNING: blocks by
        BlockMiddleware, a job its writer stopped; a cause many share (a host unreachable,
        answering 5xx; the job's Redis losing pages), for the first page or listing of that
        host it cost (the summary counts them all). Counts a failure of the request's own
        (``run_failure`` tells a network down from it)."""
        cause = shared_cause(failure)
        if cause is None:
            self.tally.count(Stat.REQUESTS_FAILED_OWN)
        if cause:
            cause = f"{cause} from {host_of(failed_request(failure).url)}"
        elif isinstance(failure.value, NotFetched):  # not WeChat's doing: counted as the page's own above
            cause = failure.value.cause
        said = bool(failure.check(Blocked, JobStopped)) or cause in self.causes_said
        if cause:
            self.causes_said.add(cause)
        return said

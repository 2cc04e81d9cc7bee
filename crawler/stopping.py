"""A run a signal stops (``systemctl stop``, a shutdown, cron's ``timeout``, Ctrl-C) asks
WeChat for no page more: it finishes what it has in hand and ends.

Scrapy's graceful stop waits for every request its downloader holds, and the downloader
holds up to ``CONCURRENT_REQUESTS`` pages queued in the article slot, sent one every
``DOWNLOAD_DELAY`` (or AutoThrottle's longer delay) before the run could end: 16 pages, a
minute or more, past systemd's 90 s before it kills the run, summary unwritten. Those
pages are given back to Scrapy's scheduler instead, where the rest of the run's queue is:
a job folder (``JOBDIR``) keeps them all, and without one the next run finds them again
from their listings, as it finds what the scheduler held.

A run whose archive refuses a write for a cause that fails them all (a full disk, a read-only
one: ``Run.error_level``) stops so too (``ArchiveStop``): every page it went on to fetch would
be "Not archived", fetched at WeChat's pace for nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sized
from functools import partial
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest

from crawler.report.logtext import counted
from crawler.report.tally import Stat
from crawler.run import Run, archive_refused, stop_asked
from crawler.slots import drop_waiting

logger = logging.getLogger(__name__)

# What becomes of the pages a stopping run leaves queued in its scheduler, unless the
# scheduler says otherwise (``leaves``).
LEFT_FOR_NEXT_RUN = "left for the next run"
# The close reason of a run its archive refused (``ArchiveStop``), or its job folder (``JOBDIR``).
ARCHIVE_REFUSED = "archive_refused"
JOB_REFUSED = "job_refused"
# What each of those close reasons says could not be written
REFUSED = {ARCHIVE_REFUSED: "the archive", JOB_REFUSED: "the job folder"}
# The close reason of a refused write of what ``Run.error_level`` names (``written``), if not the archive's
_REFUSED_REASONS = {"job": JOB_REFUSED}


class Dropped(IgnoreRequest):
    """An article page, or a listing's, not had because a signal asked the run to stop: not
    sent yet, or answered blocked then (not asked again). Given back to the scheduler
    (``leave_for_next_run``); the spiders say nothing of it."""


def leaves(crawler: Crawler) -> str:
    """What becomes of the pages the stopping run leaves queued, as its stop line says it:
    a fetch node's go to its job's other nodes (``NodeScheduler.LEAVES``), not to a next run."""
    return str(getattr(crawler.engine.scheduler, "LEAVES", LEFT_FOR_NEXT_RUN))


def ask_to_stop(crawler: Crawler) -> str:
    """Tell the crawl's components that it stops (``stop_asked``): WeChat is asked for no
    page more. What the run leaves, as its stop line says it: the pages they left queued
    (what each receiver returns, a number), what else they left (a receiver's words: every
    source, none asked for yet, ``StartLeft``'s; how many of those given are not asked for
    yet, the spider's), and the pages of the listings in hand, which are read to their end
    and queue what they list after this count (a job folder keeps those too). The summary
    keeps them all (``Stat.STOP_LEFT``): a run so stopped has pages left."""
    results = [result for _, result in crawler.signals.send_catch_log(signal=stop_asked)]
    left = sum(result for result in results if isinstance(result, int))
    unasked = [result for result in results if isinstance(result, str)]
    reading = _listings_in_hand(crawler)
    Run.of(crawler).tally.set(Stat.STOP_LEFT, left + reading + len(unasked))
    listed = f" and the pages of {counted(reading, 'listing')} being read" if reading else ""
    return f"{counted(left, 'queued page')}{listed}{''.join(f' and {words}' for words in unasked)} " \
        f"{leaves(crawler)}"


def _listings_in_hand(crawler: Crawler) -> int:
    """How many listings (an album's page, a feed) the run holds on the wire or being read."""
    engine = crawler.engine
    slot = engine.scraper.slot
    held = [*engine.downloader.active, *(slot.active if slot else ()),
            *(request for _, request, _ in (slot.queue if slot else ()))]
    return sum(1 for request in held if request.meta.get("listing"))


def leave_for_next_run(crawler: Crawler, request: Request) -> Dropped:
    """Give ``request``, which the stopping run will not send, back to the scheduler (which
    has seen it already: it goes past the duplicate filter), and return the failure that
    ends it for now."""
    scheduler = crawler.engine.scheduler
    if scheduler is not None:
        scheduler.enqueue_request(request.replace(dont_filter=True))
    return Dropped(f"not fetched, the run is stopping: {request.url}")


class StopSending:
    """A downloader middleware, right after ``BlockMiddleware`` (before a job's writer hands
    article pages to its nodes): from ``stop_asked`` on, no article page or listing is sent.
    The engine takes nothing more from the scheduler (a redirect or a retry of a page in hand
    stays there); those waiting in the article slot, and any the engine took just before, on
    its way here, are given back to it. What is on the wire is finished, and so is every page
    in hand, its pictures and its capture."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.stopping = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StopSending:
        middleware = cls(crawler)
        crawler.signals.connect(middleware.stop_asked, signal=stop_asked)
        return middleware

    def stop_asked(self) -> int:
        """Stop sending pages; how many the run leaves queued (the stop line says it)."""
        self.stopping = True
        engine = self.crawler.engine
        engine.pause()
        waiting = drop_waiting(engine.downloader, partial(leave_for_next_run, self.crawler))
        scheduler = engine.scheduler
        # What a scheduler holds, when it says (Scrapy's, a fetch node's: not the job's frontier);
        # Scrapy's isinstance(…, Scheduler) holds for any scheduler.
        return len(scheduler) if isinstance(scheduler, Sized) else waiting

    def process_request(self, request: Request) -> None:
        if self.stopping and (request.meta.get("article") or request.meta.get("listing")):
            raise leave_for_next_run(self.crawler, request)


class StartLeft:
    """A spider middleware, nearest the engine: whether the engine took the first of what the
    spider's ``start`` gives (its sources: the album, the accounts' albums and links, the URLs
    given). A signal as the crawl starts stops it before that, and the stop line said "0
    queued pages left for the next run" of a run that left all it was given unread; it now
    says so (``stop_asked``). Once the engine has taken one, the spider says how many of the
    URLs or accounts it was given it has not asked for yet (``WeChatSpider.stop_asked``)."""

    def __init__(self) -> None:
        self.begun = False  # the engine took the first source, or found there was none

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StartLeft:
        middleware = cls()
        crawler.signals.connect(middleware.stop_asked, signal=stop_asked)
        return middleware

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        async for output in start:
            self.begun = True
            yield output
        self.begun = True

    def stop_asked(self) -> str | None:
        """What of its sources the run leaves, as the stop line says it; None: none known."""
        return None if self.begun else "every source it was given (none asked for yet)"


class ArchiveStop:
    """An extension: the first write the archive refuses for a cause that fails every write
    alike (``archive_refused``: a full disk, a read-only one; ``Run.error_level``) stops the
    run as a signal does (``ask_to_stop``), in one ERROR line naming the cause and the pages
    left, after the line of the write that failed; the run closes as cut short by the archive
    (``ARCHIVE_REFUSED``), or by its job folder (``JOB_REFUSED``: ``crawler.jobdir``), exit
    status 1. Once a run: a run a signal stops already is left to that stop."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.run = Run.of(crawler)
        self.cause: str | None = None  # of the stop, once asked
        crawler.signals.connect(self.archive_refused, signal=archive_refused)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchiveStop:
        return cls(crawler)

    def archive_refused(self, cause: str, written: str = "") -> None:
        from twisted.internet import reactor  # the one installed: imported, as Scrapy does

        if self.cause is None and self.run.stopped_by is None:
            self.cause = cause
            # said after the line of the write that failed
            reactor.callFromThread(self._stop, cause, _REFUSED_REASONS.get(written, ARCHIVE_REFUSED))

    def _stop(self, cause: str, reason: str) -> None:
        engine = self.crawler.engine
        if engine is None or engine.spider is None:  # closed meanwhile: nothing more is asked
            return
        left = ask_to_stop(self.crawler)
        what = REFUSED[reason]
        logger.error("Stopping: %s cannot be written (%s); no page more is asked of WeChat, %s, "
                     "the pages in hand are finished first. Give %s room (or make it writable again) "
                     "and run again", what, cause, left, what)
        asyncio.ensure_future(engine.close_spider_async(reason=reason))

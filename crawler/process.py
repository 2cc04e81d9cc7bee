"""What a crawl does to its Python process while it runs: the signal that stops it noted
(and said), and the garbage collector's pace."""

from __future__ import annotations

import gc
import logging
import signal
import threading
from contextlib import suppress
from types import FrameType

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import deferred_from_coro

from crawler.run import Run
from crawler.signalstop import forced_by_words
from crawler.stopping import ask_to_stop

logger = logging.getLogger(__name__)


class CollectorPace:
    """Collects cyclic garbage less often while the crawl runs (``GC_YOUNG_THRESHOLD``).

    Scrapy allocates thousands of objects per request; at Python's default, a collection of
    the youngest generation every 700 allocations, collecting costs about 5 % of a fast
    crawl's wall time. Reference counting still frees at once whatever is not in a cycle;
    cycles wait a little longer. Python's thresholds come back when the spider closes.
    """

    def __init__(self, young_threshold: int):
        self.young_threshold = young_threshold
        self.previous = gc.get_threshold()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CollectorPace:
        threshold = Run.of(crawler).config.gc_young_threshold
        if threshold <= 0:
            raise NotConfigured
        pace = cls(threshold)
        crawler.signals.connect(pace.engine_started, signal=signals.engine_started)
        crawler.signals.connect(pace.spider_closed, signal=signals.spider_closed)
        return pace

    def engine_started(self) -> None:
        self.previous = gc.get_threshold()
        gc.set_threshold(self.young_threshold, *self.previous[1:])

    def spider_closed(self) -> None:
        gc.set_threshold(*self.previous)


class StopSignal:
    """Notes which signal (SIGINT, SIGTERM) stopped the crawl, in ``Run.stopped_by``: the
    crawl command then ends by it (``crawler.commands.crawl``), so that cron sees a run cut
    short and systemd a clean stop. Tells the crawl's components (``stop_asked``): WeChat
    is asked for no page more (``crawler.stopping``). Says so when it lands, with the pages
    left for the next run: the pages in hand take a moment to finish; then stops the crawl
    as Scrapy's graceful stop does. A second signal stops the reactor at once, as Scrapy's
    does, and is noted (``Run.forced_by``), which the crawl command then says and ends by.

    Its handlers are put in once the engine has started, and Scrapy's never are (the crawl
    command starts Scrapy without them): Scrapy's, put in as the reactor starts, stopped the
    reactor under a spider still opening, the run ending 0 with no line. Until then the crawl
    command's own handlers note the signals (``Run.signalled``), acted on here as if they came
    now. Signals reach the main thread only: a crawl run elsewhere (in tests) has none.
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.run = Run.of(crawler)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StopSignal:
        stop = cls(crawler)
        crawler.signals.connect(stop.engine_started, signal=signals.engine_started)
        return stop

    def engine_started(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for number in self.SIGNALS:
            signal.signal(number, self._handle)
        before = self.run.signalled
        noted: list[signal.Signals | None] = [before.stopped_by, before.forced_by] if before else []
        for noted_signal in noted:
            if noted_signal is not None:
                self._handle(noted_signal, None)

    def _handle(self, number: int, frame: FrameType | None) -> None:
        from twisted.internet import reactor  # the one installed: imported, as Scrapy does

        if self.run.stopped_by is None:
            self.run.stopped_by = signal.Signals(number)
            # told out of the signal handler, before the graceful stop begins
            reactor.callFromThread(self._stop, signal.Signals(number))
            return
        self.run.forced_by = self.run.forced_by or signal.Signals(number)
        for each in self.SIGNALS:
            signal.signal(each, signal.SIG_IGN)
        reactor.callFromThread(self._stop_at_once)

    def _stop(self, number: signal.Signals) -> None:
        """Tells the components, and says so, then stops the crawl gracefully: the pages a
        component left queued are what its receiver of ``stop_asked`` returns."""
        logger.info("Stopping (%s): no page more is asked of WeChat, %s; "
                    "the pages in hand are finished first; %s again stops at once",
                    number.name, ask_to_stop(self.crawler), number.name)
        deferred_from_coro(self.crawler.stop_async())

    @staticmethod
    def _stop_at_once() -> None:
        from twisted.internet import reactor

        with suppress(RuntimeError):  # stopping already
            reactor.stop()  # type: ignore[misc]  # its zope interface declares stop() without self


def stopped_at_once(first: signal.Signals, second: signal.Signals) -> str:
    """The last line of a crawl a ``second`` signal stopped at once, after the ``first``
    asked it to stop: Scrapy's own says it at DEBUG, and no summary follows."""
    return (f"Stopped at once by {forced_by_words(first, second)}: no run summary; the files being "
            "written were finished whole, and what this run did not archive is left for the next run")

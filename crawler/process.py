"""What a crawl does to its Python process while it runs: the signal that stops it noted
(and said), and the garbage collector's pace."""

from __future__ import annotations

import gc
import logging
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from crawler.run import Run
from crawler.signalstop import forced_by_words
from crawler.stopping import ask_to_stop

logger = logging.getLogger(__name__)
Handler = Callable[[int, FrameType | None], Any]


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
    left for the next run: the pages in hand take a moment to finish.

    Scrapy installs its graceful-stop handlers as the crawl starts; each is wrapped once
    the engine has started, and calls Scrapy's after taking note. The first signal has
    Scrapy put in its handlers of a second one, which stop at once: those are wrapped in
    turn, and note that signal (``Run.forced_by``), which the crawl command then says and ends
    by. Signals reach the main thread only: a crawl run elsewhere (in tests) has nothing to
    wrap.
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
        self._wrap(self._noting)

    def _wrap(self, noting: Callable[[Handler], Handler]) -> None:
        for number in self.SIGNALS:
            handler = signal.getsignal(number)
            if callable(handler):
                signal.signal(number, noting(handler))

    def _noting(self, handler: Handler) -> Handler:
        def note_then_handle(number: int, frame: FrameType | None) -> Any:
            from twisted.internet import reactor  # the one installed: imported, as Scrapy does

            if self.run.stopped_by is None:
                # told once out of the signal handler, before Scrapy's graceful stop begins
                reactor.callFromThread(self._stop, signal.Signals(number))
            self.run.stopped_by = self.run.stopped_by or signal.Signals(number)
            handled = handler(number, frame)
            self._wrap(self._forcing)  # Scrapy's handlers of a second signal, put in now
            return handled
        return note_then_handle

    def _forcing(self, handler: Handler) -> Handler:
        def note_then_handle(number: int, frame: FrameType | None) -> Any:
            self.run.forced_by = self.run.forced_by or signal.Signals(number)
            return handler(number, frame)
        return note_then_handle

    def _stop(self, number: signal.Signals) -> None:
        """Tells the components, and says so (Scrapy's own line is shown at DEBUG only): the
        pages a component left queued are what its receiver of ``stop_asked`` returns."""
        logger.info("Stopping (%s): no page more is asked of WeChat, %s; "
                    "the pages in hand are finished first; %s again stops at once",
                    number.name, ask_to_stop(self.crawler), number.name)


def stopped_at_once(first: signal.Signals, second: signal.Signals) -> str:
    """The last line of a crawl a ``second`` signal stopped at once, after the ``first``
    asked it to stop: Scrapy's own says it at DEBUG, and no summary follows."""
    return (f"Stopped at once by {forced_by_words(first, second)}: no run summary; the files being "
            "written were finished whole, and what this run did not archive is left for the next run")

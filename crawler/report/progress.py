"""Progress of a long run, for a person at a terminal: articles done of those found, the
pace and the time left (a backfill over hours, a rebuild of thousands of posts).

Shown when standard error is a terminal (``PROGRESS=auto``), so that a cron run stays one
summary line; ``PROGRESS=on`` or ``off`` decides otherwise.
"""

from __future__ import annotations

import logging
import sys
import time
from dataclasses import dataclass

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from twisted.internet import task

from crawler.report.tally import Stat
from crawler.run import Run

logger = logging.getLogger(__name__)


@dataclass
class Pace:
    """Counts ``done`` of ``found`` since ``started`` (a monotonic time)."""

    started: float
    found: int = 0
    done: int = 0

    def line(self, what: str, now: float) -> str:
        """``120 of 450 articles (27 %), 18 a minute, about 18 min left``."""
        minutes = max(now - self.started, 1e-9) / 60
        rate = self.done / minutes
        line = f"{self.done} of {self.found} {what}"
        if self.found:
            line += f" ({100 * self.done // self.found} %)"
        line += f", {rate:.0f} a minute"
        left = self.found - self.done
        if rate > 0 and left > 0:
            line += f", about {_duration(60 * left / rate)} left"
        return line


def shown(mode: str) -> bool:
    """Whether progress is shown (``auto``: when standard error is a terminal; a process
    started with it closed, ``2>&-``, has none)."""
    return mode == "on" or (mode == "auto" and sys.stderr is not None and sys.stderr.isatty())


class Progress:
    """A Scrapy extension: every ``PROGRESS_INTERVAL`` seconds, one line of a crawl's pace.

    An article is found when its request goes out (``articles/requested``), done when its
    page has been handled, however that ended (``articles/handled``).
    """

    def __init__(self, crawler: Crawler, interval: float):
        self.crawler = crawler
        self.interval = interval
        self.pace = Pace(time.monotonic())
        self.loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Progress:
        config = Run.of(crawler).config
        if not shown(config.progress):
            raise NotConfigured
        progress = cls(crawler, config.progress_interval)
        crawler.signals.connect(progress.start, signal=signals.spider_opened)
        crawler.signals.connect(progress.stop, signal=signals.spider_closed)
        return progress

    def start(self) -> None:
        self.pace = Pace(time.monotonic())
        self.loop = task.LoopingCall(self.report)
        self.loop.start(self.interval, now=False)

    def report(self) -> None:
        stats = self.crawler.stats
        assert stats is not None
        self.pace.found = stats.get_value(Stat.ARTICLES_REQUESTED, 0)
        self.pace.done = stats.get_value(Stat.ARTICLES_HANDLED, 0)
        logger.info("Progress: %s", self.pace.line("articles", time.monotonic()))

    def stop(self) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()


def _duration(seconds: float) -> str:
    if seconds < 59.5:
        return f"{max(round(seconds), 1)} s"
    minutes = round(seconds / 60)
    return f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min"

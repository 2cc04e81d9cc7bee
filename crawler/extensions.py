"""The end-of-run summary a cron user reads, what makes a run count as failed, and the
pace of Python's garbage collector during a crawl."""

from __future__ import annotations

import gc
import logging
import re
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.statscollectors import StatsCollector

from crawler.config import Config

logger = logging.getLogger(__name__)

_SOURCE_STAT = re.compile(r"^source/(.+)/([a-z_]+)$")
# (stat, wording) in the order the summary gives them
_TOTALS = (
    ("posts/new", "new"), ("posts/updated", "updated"), ("posts/unchanged", "unchanged"),
    ("articles/already_archived", "already archived"), ("posts/kept", "kept (fetched page worse)"),
    ("posts/deleted", "deleted"), ("posts/violation", "removed"), ("pages/blocked", "blocked"),
    ("pages/fetch_failed", "not fetched"), ("pages/unparseable", "unparseable"),
    ("posts/no_publish_time", "without publish time"), ("posts/unconvertible", "unconvertible"),
    ("posts/write_failed", "not written"), ("images/failed", "images failed"),
    ("captures/failed", "captures not written"), ("state/write_failed", "index writes failed"),
)


def run_failure(stats: dict[str, Any], reason: str | None = None) -> str | None:
    """Why a run should exit with a non-zero status, or None when it did its job."""
    if (reason or stats.get("finish_reason")) == "blocked":
        return "the run was cut short: WeChat is blocking"
    if stats.get("sources/attempted", 0) and not stats.get("sources/read", 0):
        return "no source could be read"
    return None


class RunReport:
    """Logs one summary at INFO when the spider closes: totals, then a line per source."""

    def __init__(self, stats: StatsCollector):
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunReport:
        report = cls(crawler.stats)
        crawler.signals.connect(report.spider_closed, signal=signals.spider_closed)
        return report

    def spider_closed(self, spider: Spider, reason: str) -> None:
        stats = self.stats.get_stats()
        logger.info("Run summary (%s): %s%s", reason, _counts(stats, _TOTALS) or "nothing to do",
                    "".join(f"\n  {source}: {line}" for source, line in _per_source(stats)))
        failure = run_failure(stats, reason)
        if failure:
            logger.error("Exit status 1: %s", failure)


def _counts(stats: dict[str, Any], wording: tuple[tuple[str, str], ...]) -> str:
    return ", ".join(f"{stats[key]} {words}" for key, words in wording if stats.get(key))


def _per_source(stats: dict[str, Any]) -> list[tuple[str, str]]:
    sources: dict[str, dict[str, int]] = {}
    for key, value in stats.items():
        match = _SOURCE_STAT.match(key)
        if match:
            sources.setdefault(match.group(1), {})[match.group(2)] = value
    wording = (("listed", "listed"), ("new", "new"), ("updated", "updated"),
               ("unchanged", "unchanged"), ("already_archived", "already archived"),
               ("kept", "kept"), ("deleted", "deleted"), ("violation", "removed"))
    lines = []
    for source, counts in sorted(sources.items()):
        line = _counts(counts, wording) or "nothing listed"
        if counts.get("failed"):
            line = "COULD NOT BE READ" + (f" (in part: {line})" if counts.get("listed") else "")
        lines.append((source, line))
    return lines


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
        threshold = Config.of(crawler).gc_young_threshold
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

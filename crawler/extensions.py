"""The end-of-run summary a cron user reads, what makes a run count as failed, and the
pace of Python's garbage collector during a crawl."""

from __future__ import annotations

import gc
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from crawler.coverage import coverage_of, deletions_alarm, found_this_run
from crawler.distributed.job import LEASE_LOST, REDIS_LOST
from crawler.run import Run
from crawler.tally import IMPORT_PAGES
from crawler.watcher import record_changes
from crawler.wechat.article import CHINA_TIME

logger = logging.getLogger(__name__)

# (stat, wording) in the order the summary gives them
_TOTALS = (
    ("posts/new", "new"), ("posts/updated", "updated"), ("posts/unchanged", "unchanged"),
    ("articles/already_archived", "already archived"), ("posts/kept", "kept (fetched page worse)"),
    ("posts/deleted", "deleted"), ("posts/violation", "removed"), ("pages/blocked", "blocked"),
    ("pages/fetch_failed", "not fetched"), ("pages/unparseable", "unparseable"),
    ("posts/no_publish_time", "without publish time"), ("posts/unconvertible", "unconvertible"),
    ("posts/write_failed", "not written"), ("pages/not_imported", "not imported"),
    ("images/failed", "images failed"),
    ("captures/failed", "captures not written"), ("state/write_failed", "index writes failed"),
    ("state/read_failed", "index reads failed"),
    ("links/without_chksm", "links without chksm followed"),
    ("links/refused_without_chksm", "refused without chksm (fetched by an album's link)"),
    ("links/off_host", "listed off the article hosts"),
    ("albums/left", "left their albums"),
    ("watch/requested", "originals watched"), ("watch/deleted", "originals deleted"),
    ("watch/removed", "originals removed"), ("watch/edited", "originals edited"),
    ("watch/restored", "originals back"),
)
# What makes the summary a WARNING, so that cron, at LOG_LEVEL=WARNING, mails it: a run
# that went well says nothing there.
_TROUBLE = ("pages/blocked", "pages/fetch_failed", "pages/unparseable", "posts/unconvertible",
            "posts/write_failed", "pages/not_imported", "images/failed", "captures/failed",
            "state/write_failed", "state/read_failed", "sources/failed", "accounts/stale",
            "accounts/deletions")
# (count of a source, wording) in the order a source's line gives them
_PER_SOURCE = (("listed", "listed"), ("new", "new"), ("updated", "updated"),
               ("unchanged", "unchanged"), ("already_archived", "already archived"),
               ("kept", "kept"), ("deleted", "deleted"), ("violation", "removed"),
               ("fetch_failed", "not fetched"), ("unparseable", "unparseable"),
               ("no_publish_time", "without publish time"), ("unconvertible", "unconvertible"),
               ("write_failed", "not written"), ("not_imported", "not imported"))
# What a run archived, whatever became of the post: an import with none of these failed.
_ARCHIVED = ("posts/new", "posts/updated", "posts/unchanged", "posts/kept")


def run_failure(stats: dict[str, Any], reason: str | None = None) -> str | None:
    """Why a run should exit with a non-zero status, or None when it did its job."""
    reason = reason or stats.get("finish_reason")
    if reason == "blocked":
        return "the run was cut short: WeChat is blocking"
    if reason == REDIS_LOST:
        return "the run was cut short: Redis is unreachable"
    if reason == LEASE_LOST:
        return "the run was cut short: another writer took the job"
    archived = any(stats.get(key) for key in _ARCHIVED)
    if not archived and stats.get("downloader/exception_count", 0) \
            and not stats.get("downloader/response_count", 0):
        return "WeChat could not be reached: every request failed for a network reason"
    if stats.get("state/write_failed", 0) or stats.get("posts/write_failed", 0):
        return "the archive could not be written (a full disk, a locked index): see the ERROR lines"
    if stats.get("state/read_failed", 0):
        return "the index could not be read (a damaged file, a failing disk): see the ERROR lines"
    if stats.get("sources/attempted", 0) and not stats.get("sources/read", 0):
        return "no source could be read"
    if stats.get(IMPORT_PAGES) and not archived:
        return "no saved page could be imported"
    return None


class RunReport:
    """Logs one summary at INFO when the spider closes: totals, a line per source and, for
    a scheduled run, a line per account (``crawler.coverage``) and a WARNING for each
    account that has gone quiet."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.tally = Run.of(crawler).tally

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunReport:
        report = cls(crawler)
        crawler.signals.connect(report.spider_closed, signal=signals.spider_closed)
        return report

    def spider_closed(self, spider: Spider, reason: str) -> None:
        started = record_changes(self.tally, Run.of(self.crawler).archive.index)
        stats = self.tally.stats.get_stats()
        lines = [f"{source}: {line}" for source, line in self._per_source()]
        lines += [f"account {line}" for line in self._per_account(spider, started)]
        failure = run_failure(stats, reason)
        troubled = reason != "finished" or failure or any(stats.get(key) for key in _TROUBLE)
        # A line of the template per line of the summary: what the arguments bring from
        # outside (account names) cannot break a line (crawler.logtext).
        logger.log(logging.WARNING if troubled else logging.INFO,
                   "Run summary (%s): %s%s" + "\n  %s" * len(lines),
                   reason, _counts(stats, _TOTALS) or "nothing to do",
                   f"; FAILED: {failure}" if failure else "", *lines)
        if failure:
            logger.error("Exit status 1: %s", failure)

    def _per_source(self) -> list[tuple[str, str]]:
        lines = []
        for source, counts in sorted(self.tally.by_source().items()):
            line = _counts(counts, _PER_SOURCE) or "no article found"
            if counts.get("failed"):
                line = "COULD NOT BE READ" + (f" (in part: {line})" if counts.get("listed") else "")
            lines.append((source, line))
        return lines

    def _per_account(self, spider: Spider, started: float) -> list[str]:
        accounts = getattr(getattr(spider, "params", None), "accounts", ())
        if not accounts:
            return []
        run = Run.of(self.crawler)
        config, index = run.config, run.archive.index
        now = datetime.now(CHINA_TIME)
        lines = []
        for account in accounts:
            biz = account.biz or index.account_biz(account.name) or ""
            coverage = coverage_of(index, account.name, biz)
            lines.append(f"{account.name}: {coverage.line(now)}; this run "
                         f"{found_this_run(self.tally.by_account(account.name))}")
            if coverage.stale(config.stale_account_days, now):
                self.tally.count("accounts/stale")
                silence, usual = coverage.silence(now), coverage.usual_gap
                assert silence is not None and usual is not None
                logger.warning("No new article from %s for %d days (it published every %.0f days "
                               "or so); its sources may have dried up", account.name,
                               silence.days, usual.total_seconds() / 86400)
            alarm = deletions_alarm(index, account.name, biz, now, config.watch_alarm_deletions,
                                    config.watch_alarm_days, started)
            if alarm:
                self.tally.count("accounts/deletions")
                logger.warning(alarm)
        return lines


def _counts(counts: Mapping[str, Any], wording: tuple[tuple[str, str], ...]) -> str:
    return ", ".join(f"{counts[key]} {words}" for key, words in wording if counts.get(key))


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

"""The end-of-run summary a cron user reads, and what makes a run count as failed."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler

from crawler.distributed.mode import (
    LEASE_LOST,
    NO_NODE,
    OTHER_VERSION,
    REDIS_LOST,
    REDIS_REFUSED,
    WRITER_LOST,
)
from crawler.report.coverage import archived_accounts, coverage_of, deletions_alarm, found_this_run, ways_in
from crawler.report.logtext import counted
from crawler.report.tally import Stat, named_by_user
from crawler.run import Run
from crawler.stopping import REFUSED
from crawler.store.accountbook import AccountBook
from crawler.store.watchbook import WatchBook
from crawler.watch.mend import SOURCE as MEND
from crawler.watch.watcher import record_changes
from crawler.wechat.article import CHINA_TIME, PageReason

logger = logging.getLogger(__name__)

# Pages WeChat served instead of an article that is neither deleted nor removed
_NOT_ARTICLES = ((Stat.PAGES_UNAVAILABLE, "temporarily unavailable"),
                 (Stat.PAGES_EXPIRED, "expired link(s)"),
                 (Stat.PAGES_BAD_PARAMS, "parameter-error page(s)"),
                 (Stat.PAGES_UNKNOWN, "not article page(s)"))
# (stat, wording) in the order the summary gives them
_TOTALS = (
    (Stat.POSTS_NEW, "new"), (Stat.POSTS_UPDATED, "updated"), (Stat.POSTS_UNCHANGED, "unchanged"),
    (Stat.ARTICLES_ALREADY_ARCHIVED, "already archived"), (Stat.ARTICLES_GONE_BEFORE, "gone before archived"),
    (Stat.POSTS_KEPT, "kept (the new page worse)"),
    (Stat.POSTS_READ_ONLY, "kept read-only"),
    (Stat.PAGES_DELETED, "deleted"), (Stat.PAGES_VIOLATION, "removed"), *_NOT_ARTICLES,
    (Stat.PAGES_BLOCKED, "blocked"), (Stat.LISTINGS_BLOCKED, "listing page(s) blocked"),
    (Stat.PAGES_FETCH_FAILED, "not fetched"),
    (Stat.PAGES_UNPARSEABLE, "unparseable"),
    (Stat.POSTS_NO_PUBLISH_TIME, "without publish time"), (Stat.POSTS_UNCONVERTIBLE, "unconvertible"),
    (Stat.POSTS_WRITE_FAILED, "not written"), (Stat.PAGES_NOT_IMPORTED, "not imported"),
    (Stat.IMAGES_FAILED, "image(s) failed"),
    (Stat.IMAGES_WRITE_FAILED, "of those not written"),  # counted among those failed: said so
    (Stat.IMAGES_FAILING, "failing since an earlier run"),
    (Stat.CAPTURES_FAILED, "capture(s) not written"),
    (Stat.STATE_WRITE_FAILED, "index write(s) failed"),
    (Stat.STATE_READ_FAILED, "index read(s) failed"),
    (Stat.JOB_REQUESTS_LOST, "request(s) lost with the job folder"),
    (Stat.MEMORY_WRITE_FAILED, "write(s) of the run's own files failed"),
    (Stat.LINKS_WITHOUT_CHKSM, "link(s) without chksm followed"),
    (Stat.LINKS_REFUSED_WITHOUT_CHKSM, "refused without chksm (left to an album's link)"),
    (Stat.LINKS_OVER_BUDGET, "short link(s) left to a later run (FOLLOW_LINKS_PER_RUN)"),
    (Stat.LINKS_OFF_HOST, "listed off the article hosts"),
    (Stat.ALBUMS_LEFT, ("left its album", "left their albums")),
    (Stat.ALBUMS_UNLINKED, "album item(s) with no article link (nothing of them archived)"),
    (Stat.WATCH_REQUESTED, "original(s) watched"),
    (Stat.WATCH_DELETED, "original(s) deleted"),
    (Stat.WATCH_REMOVED, "original(s) removed"),
    (Stat.WATCH_EDITED, "original(s) edited"),
    (Stat.WATCH_RESTORED, "original(s) back"),
)
# What makes the summary a WARNING, so that cron, at LOG_LEVEL=WARNING, mails it: a run
# that went well says nothing there. Failed images by the level of their line: an image left
# on the CDN for good, failing again, is no news.
_TROUBLE = (Stat.PAGES_BLOCKED, Stat.LISTINGS_BLOCKED, Stat.PAGES_FETCH_FAILED, Stat.PAGES_UNPARSEABLE,
            Stat.POSTS_UNCONVERTIBLE,
            Stat.POSTS_WRITE_FAILED, Stat.PAGES_NOT_IMPORTED, Stat.CAPTURES_FAILED,
            Stat.STATE_WRITE_FAILED, Stat.STATE_READ_FAILED, Stat.SOURCES_FAILED, Stat.SOURCES_FAILED_PAGES,
            Stat.ACCOUNTS_STALE, Stat.ACCOUNTS_DELETIONS, Stat.JOB_REQUESTS_LOST, Stat.MEMORY_WRITE_FAILED)
# (count of a source, wording) in the order a source's line gives them
_PER_SOURCE = tuple((stat.part, words) for stat, words in (
    (Stat.ARTICLES_LISTED, "listed"), (Stat.POSTS_NEW, "new"), (Stat.POSTS_UPDATED, "updated"),
    (Stat.POSTS_UNCHANGED, "unchanged"), (Stat.ARTICLES_ALREADY_ARCHIVED, "already archived"),
    (Stat.ARTICLES_GONE_BEFORE, "gone before archived"), (Stat.POSTS_KEPT, "kept"),
    (Stat.POSTS_READ_ONLY, "kept read-only"),
    (Stat.PAGES_DELETED, "deleted"), (Stat.PAGES_VIOLATION, "removed"),
    *_NOT_ARTICLES, (Stat.PAGES_BLOCKED, "blocked"), (Stat.PAGES_FETCH_FAILED, "not fetched"),
    (Stat.PAGES_UNPARSEABLE, "unparseable"),
    (Stat.POSTS_NO_PUBLISH_TIME, "without publish time"),
    (Stat.POSTS_UNCONVERTIBLE, "unconvertible"), (Stat.POSTS_WRITE_FAILED, "not written"),
    (Stat.PAGES_NOT_IMPORTED, "not imported")))
# What a run archived, whatever became of the post: an import with none of these failed.
_ARCHIVED = (Stat.POSTS_NEW, Stat.POSTS_UPDATED, Stat.POSTS_UNCHANGED, Stat.POSTS_KEPT, Stat.POSTS_READ_ONLY)
# An article page WeChat answered, whatever became of it: a run with none of these and pages
# not fetched could fetch none of the article pages it asked for.
_ANSWERED = (*_ARCHIVED, *(Stat.page(reason) for reason in PageReason), Stat.POSTS_NO_PUBLISH_TIME,
             Stat.POSTS_UNCONVERTIBLE, Stat.POSTS_WRITE_FAILED, Stat.WATCH_REQUESTED)
# What only WeChat answers: all of _ANSWERED but a page that is not an article, which any
# server answers (a proxy's or a portal's page, a login page, another site at WECHAT_BASE_URL),
# and an original watched whatever answered (those WeChat answered count apart); a listing
# read (an account's own links are none); what a listing found archived already.
_WECHATS = (*(stat for stat in _ANSWERED if stat not in (Stat.PAGES_UNKNOWN, Stat.WATCH_REQUESTED)),
            Stat.WATCH_WECHATS, Stat.SOURCES_READ, Stat.ARTICLES_ALREADY_ARCHIVED, Stat.ARTICLES_GONE_BEFORE)


def run_failure(stats: dict[str, Any], reason: str | None = None) -> str | None:
    """Why a run should exit with a non-zero status, or None when it did its job."""
    reason = reason or stats.get(Stat.FINISH_REASON)
    if reason == "blocked":
        return "the run was cut short: WeChat is blocking"
    if reason in REFUSED:
        return (f"the run was cut short: {REFUSED[reason]} cannot be written (a full disk, a "
                "read-only one): see the ERROR lines")
    if reason == REDIS_LOST:
        return "the run was cut short: Redis is unreachable"
    if reason == REDIS_REFUSED:
        return "the run was cut short: Redis refused a step of the job"
    if reason == LEASE_LOST:
        return "the run was cut short: another writer took the job"
    if reason == NO_NODE:
        return "the run was cut short: no fetch node is running"
    if reason == OTHER_VERSION:
        return "this fetch node runs another version of this project than its writer"
    if reason == WRITER_LOST:
        return "the run was cut short: the job's writer stopped saying nothing (killed?)"
    if stats.get(Stat.JOB_NOT_ENDED):
        return "the job could not be ended in Redis: see the ERROR line"
    # A run a signal stopped with pages left ends by that signal: what it came to before is
    # no verdict on its sources or on WeChat (of 30 pages one asked, 404), only what broke is.
    # So does one stopped before it had any answer (as its engine started, its sources not asked
    # yet: the stop line counts none). One that had asked all it was given is judged as any run.
    stopped = stats.get(Stat.STOP_LEFT, 0) > 0 or (reason == "shutdown" and not stats.get(
        Stat.DOWNLOADER_RESPONSES, 0) and not stats.get(Stat.DOWNLOADER_EXCEPTIONS, 0))
    archived = any(_of_pages(stats, key) for key in _ARCHIVED)
    responses = stats.get(Stat.DOWNLOADER_RESPONSES, 0) - stats.get(Stat.MEND_READS, 0)
    if not archived and not stopped and stats.get(Stat.DOWNLOADER_EXCEPTIONS, 0) \
            and not responses and not stats.get(Stat.REQUESTS_FAILED_OWN, 0):
        return "WeChat could not be reached: every request failed for a network reason"
    if stats.get(Stat.STATE_WRITE_FAILED, 0) or stats.get(Stat.POSTS_WRITE_FAILED, 0) \
            or stats.get(Stat.CAPTURES_FAILED, 0) or stats.get(Stat.JOB_REQUESTS_LOST, 0) \
            or stats.get(Stat.IMAGES_WRITE_FAILED, 0) or stats.get(Stat.MEMORY_WRITE_FAILED, 0):
        return ("the archive could not be written (a full disk, a locked index, a post a person "
                "left unreadable): see the ERROR lines")
    if stats.get(Stat.STATE_READ_FAILED, 0):
        return "the index could not be read (a damaged file, a failing disk): see the ERROR lines"
    if reason == "start_error" or stats.get(Stat.ITEMS_FAILED, 0) or stats.get(Stat.SPIDER_EXCEPTIONS, 0):
        return ("an error the run does not handle cost what it was doing: see the ERROR lines "
                "and their tracebacks")
    if stopped:
        return None
    # an account's own links are a source, the summary's too; an album known from a page
    # answering that it is deleted is an answer, not a source that failed
    if stats.get(Stat.SOURCES_ATTEMPTED, 0) and not stats.get(Stat.SOURCES_READ, 0) \
            and not stats.get(Stat.ALBUMS_GONE, 0) \
            and not any(named_by_user(source) for source in stats.get(Stat.RUN_SOURCES, ())):
        return "no source could be read"
    if stats.get(Stat.IMPORT_PAGES) and not archived:
        return "no saved page could be imported"
    answered = any(_of_pages(stats, key) for key in _ANSWERED)
    not_had = stats.get(Stat.PAGES_FETCH_FAILED, 0) + stats.get(Stat.PAGES_BLOCKED, 0)
    if stats.get(Stat.ARTICLES_GIVEN) and not answered and not_had:
        return "none of the articles given could be fetched"
    if not_had and not answered:
        return "no article page could be fetched (an error page, 5xx, a timeout): see the WARNING lines"
    if _of_pages(stats, Stat.PAGES_UNKNOWN) and not any(_of_pages(stats, key) for key in _WECHATS):
        return ("no page answered was WeChat's: each was not an article page (a proxy, a login page, "
                "or WECHAT_BASE_URL answering for another site?): see the WARNING lines")
    return None


def _of_pages(stats: dict[str, Any], stat: Stat) -> int:
    """How many of ``stat`` came of pages a source gave this run, not of posts made again
    from their captures (``crawler.watch.mend``): those say nothing of whether WeChat answered."""
    made_again = (stats.get(Stat.RUN_SOURCES) or {}).get(MEND) or {}
    return int(stats.get(stat, 0)) - int(made_again.get(stat.part, 0))


class RunReport:
    """Logs one summary at INFO when the spider closes: totals, a line per source and, for
    a scheduled run, a line per account (``crawler.report.coverage``) and a WARNING for each
    account that has gone quiet."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.tally = Run.of(crawler).tally

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunReport:
        report = cls(crawler)
        crawler.signals.connect(report.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(report.item_error, signal=signals.item_error)
        return report

    def item_error(self) -> None:
        """An item lost to an error no pipeline handles (Scrapy logs its traceback): the
        run did not do its job, which its exit status must say."""
        self.tally.count(Stat.ITEMS_FAILED)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        try:
            accounts = self._from_the_index(spider, finished=reason == "finished")
        except (sqlite3.Error, OSError) as error:  # a damaged file, a failing disk
            self.tally.count(Stat.STATE_READ_FAILED)
            logger.error("The run's summary could not read the index: %s", error)
            accounts = []
        stats = self.tally.stats.get_stats()
        lines = [f"{source}: {line}" for source, line in self._per_source()] + accounts
        failure = run_failure(stats, reason)
        # A line at WARNING said something went wrong: cron mails it, and the summary with it.
        troubled = reason != "finished" or failure or any(stats.get(key) for key in _TROUBLE) \
            or stats.get(Stat.LOG_WARNINGS, 0)
        # "nothing to do" only when there was none: not when the run failed or was cut short
        idle = "nothing done" if failure or reason != "finished" else "nothing to do"
        stopped_by = Run.of(self.crawler).stopped_by
        reason = f"stopped by {stopped_by.name}" if stopped_by and reason == "shutdown" else reason
        # A line of the template per line of the summary: what the arguments bring from
        # outside (account names) cannot break a line (crawler.report.logtext).
        logger.log(logging.WARNING if troubled else logging.INFO,
                   "Run summary (%s): %s%s" + "\n  %s" * len(lines),
                   reason, _counts(stats, _TOTALS) or idle,
                   f"; FAILED: {failure}" if failure else "", *lines)
        if failure:
            logger.error("Exit status 1: %s", failure)

    def _from_the_index(self, spider: Spider, finished: bool) -> list[str]:
        """What the summary reads of the index: the watch's changes (counted), the line of
        each account, and the deletions alarms."""
        started = record_changes(self.tally, Run.of(self.crawler).archive.index)
        named: dict[str, str] = {}  # __biz → the name the accounts file gives it
        lines = [f"account {line}" for line in self._per_account(spider, named, finished)]
        self._deletions_alarms(named, started)
        return lines

    def _per_source(self) -> list[tuple[str, str]]:
        lines = []
        for source, counts in sorted(self.tally.by_source().items()):
            line = _counts(counts, _PER_SOURCE) or "no article found"
            if counts.get(Stat.SOURCES_FAILED.part):
                line = "COULD NOT BE READ" + (f" (in part: {line})"
                                              if counts.get(Stat.ARTICLES_LISTED.part) else "")
            elif counts.get(Stat.SOURCES_FAILED_PAGES.part):  # a later page failed
                line = f"READ IN PART ({line})"
            elif counts.get(Stat.SOURCES_PART_AS_BEFORE.part):  # said at WARNING by an earlier run
                line = f"READ IN PART as at its last read ({line})"
            elif counts.get(Stat.SOURCES_CUT_SHORT.part):  # no failure, nothing lost
                line = f"read in part, the run cut short: the rest left for the next run ({line})"
            elif counts.get(Stat.ALBUMS_GONE.part):
                line = "GONE (known from a page)"
            lines.append((source, line))
        return lines

    def _per_account(self, spider: Spider, named: dict[str, str], finished: bool) -> list[str]:
        """Each account's line; the quiet alarm of each account gone quiet, by a run that
        ``finished`` only: one cut short (a signal, blocks) may never have asked its sources,
        and the alarm, said once a quiet spell, would be spent on a guess."""
        accounts = getattr(getattr(spider, "params", None), "accounts", ())
        if not accounts:
            return []
        run = Run.of(self.crawler)
        config, index = run.config, run.archive.index
        book = AccountBook(index)
        now = datetime.now(CHINA_TIME)
        lines = []
        for account in accounts:
            biz = account.biz or book.account_biz(account.name) or ""
            if biz:
                named.setdefault(biz, account.name)
            coverage = coverage_of(index, account.name, biz, ways_in(account))
            lines.append(f"{account.name}: {coverage.line(now)}; this run "
                         f"{found_this_run(self.tally.by_account(account.name), not finished)}")
            if finished and coverage.stale(config.stale_account_days, now):
                silence, usual, newest = coverage.silence(now), coverage.usual_gap, coverage.newest
                assert silence is not None and usual is not None and newest is not None
                # said once a quiet spell: the account's line says it at every run
                if book.quiet_alarm_given(biz, int(newest.timestamp())):
                    continue
                self.tally.count(Stat.ACCOUNTS_STALE)
                logger.warning("No new article from %s for %s (it published every %s or so); "
                               "its sources may have dried up", account.name,
                               counted(silence.days, "day"), _every(usual))
        return lines

    def _deletions_alarms(self, named: dict[str, str], started: float) -> None:
        """A WARNING for each account of which this run, whatever its spider (``crawl
        watch`` too), saw an original deleted or removed, when enough were of late."""
        run = Run.of(self.crawler)
        config, index = run.config, run.archive.index
        now = datetime.now(CHINA_TIME)
        gone = WatchBook(index).gone_since(started, now.timestamp())
        if not gone:
            return
        accounts = [(named[biz], biz) for biz in sorted(gone & named.keys())]
        if gone - named.keys():  # named as their newest posts name them (crawl watch)
            accounts += [(name, biz) for name, biz in archived_accounts(
                index, run.archive.layout.posts, named.keys()) if biz in gone]
        for name, biz in accounts:
            alarm = deletions_alarm(index, name, biz, now, config.watch_alarm_deletions,
                                    config.watch_alarm_days, started)
            if alarm:
                self.tally.count(Stat.ACCOUNTS_DELETIONS)
                logger.warning("%s", alarm)  # an account name cannot break the line


def _every(gap: timedelta) -> str:
    """``5 days``, or ``8 hours`` for an account that pushed more than once a day (in days,
    its gap was ``0 days``)."""
    if gap >= timedelta(hours=23, minutes=30):
        return counted(round(gap.total_seconds() / 86400), "day")
    hours = max(round(gap.total_seconds() / 3600), 1)
    return counted(hours, "hour")


# What a count is said with: the same words whatever the number (``3 new``), its noun's
# plural marked (``image(s) failed``: ``1 image failed``, ``2 images failed``), or the words
# for one and for more where more than the noun changes.
Wording = str | tuple[str, str]


def _counts(counts: Mapping[str, Any], wording: tuple[tuple[str, Wording], ...]) -> str:
    return ", ".join(f"{counts[key]} {_worded(words, counts[key])}"
                     for key, words in wording if counts.get(key))


def _worded(words: Wording, number: int) -> str:
    if isinstance(words, tuple):
        return words[number != 1]
    return words.replace("(s)", "s" * (number != 1))

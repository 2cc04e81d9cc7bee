"""``scrapy crawl``, with settings and spider arguments checked first and an exit status
cron can use.

A spider name it does not have, bad settings or ``-a`` arguments get one line saying what
is wrong and exit status 2; an archive that cannot be opened (another run writing it, a
damaged index, a file where a folder of it goes) or a job's Redis that does not answer, one
line and exit status 1, before WeChat is asked for anything; a second writer of a job, one
line and exit status 2. A run cut short by WeChat's blocking, by losing Redis or by its
archive refusing a write (a full or read-only disk), in which no source could be read, or
that could not reach WeChat, exits with status 1. A run stopped by
a signal (Ctrl-C, ``systemctl stop``) that did not fail ends, after its summary, by that
signal: status 128 + N to a shell, a clean stop to systemd; one that a second signal stopped
at once ends by that one, its last line saying so (there is no summary).
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from scrapy import signals
from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.crawler import Crawler, CrawlerRunnerBase
from scrapy.exceptions import UsageError
from scrapy.settings import BaseSettings

from crawler.cli import refuse
from crawler.config import (
    Config,
    check_archive_writable,
    check_command_line_mappings,
    check_scrapy_settings,
    settings_as_meant,
)
from crawler.distributed.mode import let_lease_go, node_refused, redis_unreachable, writer_refused
from crawler.process import stopped_at_once
from crawler.report.extensions import run_failure
from crawler.report.logs import log_file_falls_back, quiet_banner, quiet_scrapy
from crawler.run import Run
from crawler.settingread import ConfigError
from crawler.signalstop import SignalStop, end_by, forced_by_words
from crawler.spiders.arguments import ArgumentError, NothingGiven
from crawler.spiders.base import WeChatSpider
from crawler.spiders.fetch import FetchSpider
from crawler.store.archive import ArchiveError

logger = logging.getLogger(__name__)


class Command(ScrapyCrawl):
    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        try:  # Scrapy sets up its logging before run: a bad LOG_LEVEL would be a traceback
            check_command_line_mappings(opts.set, self.settings)
            super().process_options(args, opts)
            settings_as_meant(self.settings)
            check_scrapy_settings(self.settings)
        except ConfigError as error:
            sys.exit(refuse(f"crawl {args[0] if args else ''}".rstrip(), str(error), 2))
        quiet_banner(self.settings)

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.crawler_process is not None and self.settings is not None
        if len(args) != 1:
            spiders = self.crawler_process.spider_loader.list()
            self.exitcode = refuse("crawl", not_one_spider(args, spiders), 2)
            return
        quiet_scrapy(self.settings)
        # a signal while a job's writer or node waits for its predecessor's lease, or as the
        # crawl starts: noted until the crawl's own handlers take over (``StopSignal``)
        with SignalStop() as stop:
            prepared = prepare_crawl(self.crawler_process, self.settings, args[0], opts.spargs, stop.asked)
            if isinstance(prepared, tuple):
                stop.hand_over()
        if isinstance(prepared, Unstarted):
            end_by(prepared.said(stop))
            return
        if isinstance(prepared, int):
            self.exitcode = prepared
            return
        crawler, params = prepared
        Run.of(crawler).signalled = stop
        # by then the crawl has set up its log handler
        crawler.signals.connect(log_file_falls_back, signal=signals.engine_started)
        self.crawler_process.crawl(crawler, params=params)
        self.crawler_process.start(install_signal_handlers=False)  # StopSignal's, as the engine starts
        run = Run.of(crawler)
        run.finish_writes()
        if run.stopped_by is not None and run.forced_by is not None:  # no summary: said here
            logger.warning("%s", stopped_at_once(run.stopped_by, run.forced_by))
            end_by(run.forced_by)
            return
        self.exitcode = exit_status(self.crawler_process, crawler)
        if run.stopped_by is not None and self.exitcode == 0:
            end_by(run.stopped_by)


def not_one_spider(words: list[str], spiders: list[str]) -> str:
    """What is wrong with the words given for the one spider to run: Scrapy leaves an option
    it does not know among them (``scrapy crawl article --bogus``)."""
    options = [word for word in words if word.startswith("-")]
    if options:
        return f"unknown option {options[0]!r} (scrapy crawl -h lists them)"
    given = f", not {' '.join(words)!r}" if words else ""
    return f"give one spider (this project's: {', '.join(sorted(spiders))}){given}"


@dataclass(frozen=True)
class Unstarted:
    """A crawl a signal stopped before it started: what it leaves (of a job in Redis)."""

    leaves: str

    def said(self, stop: SignalStop) -> signal.Signals:
        """Says so in its last line (a second signal as a forced stop); the signal to end by."""
        first, second = stop.stopped_by, stop.forced_by
        assert first is not None
        how = f"at once by {forced_by_words(first, second)}" if second else f"({first.name})"
        logger.warning("Stopped %s before the crawl started: nothing was asked of WeChat nor written%s",
                       how, self.leaves)
        return second or first


def prepare_crawl(runner: CrawlerRunnerBase, settings: BaseSettings, name: str,
                  arguments: Mapping[str, Any], stop: Callable[[], bool] = lambda: False
                  ) -> tuple[Crawler, Any] | int | Unstarted:
    """The crawler of spider ``name`` and its checked parameters, its archive open; or the
    exit status when it cannot start (having said why in one line); or ``Unstarted`` when
    ``stop`` (a signal) ended it, as a job's writer or node waited for a lease."""
    try:
        spidercls = runner.spider_loader.load(name)
    except KeyError:
        spiders = ", ".join(sorted(runner.spider_loader.list()))
        return refuse(f"crawl {name}", f"no such spider (this project's: {spiders})", 2)
    if not issubclass(spidercls, (WeChatSpider, FetchSpider)):
        raise UsageError(f"not a spider of this project: {name}")
    try:
        config = Config.from_settings(settings)
        params = spidercls.Params.from_arguments(arguments, config)
        if issubclass(spidercls, WeChatSpider):  # a fetch node writes nothing
            check_archive_writable(settings)
    except (ConfigError, ArgumentError) as error:
        return refuse(f"crawl {name}", str(error), 2)
    except NothingGiven as nothing:
        return refuse(f"crawl {name}", f"nothing to do: {nothing}", 0)
    uses_redis = bool(config.redis_url) and (  # a node, or a writer of a job
        not issubclass(spidercls, WeChatSpider) or spidercls.fetches_articles)
    unreachable = redis_unreachable(config.redis_url, config.redis_job) if uses_redis else None
    if unreachable:
        return refuse(f"crawl {name}", unreachable, 1)
    crawler = runner.create_crawler(spidercls)
    if issubclass(spidercls, WeChatSpider):  # a fetch node writes nothing
        try:
            Run.of(crawler).open_archive(config.archive_dir)
        except ArchiveError as error:
            return refuse(f"crawl {name}", str(error), 1)
        held = writer_refused(config, stop) if uses_redis else None
        leaves = f"; job {config.redis_job} stays in Redis as it was, for its next writer"
    else:
        held = node_refused(config, stop) if uses_redis else None
        leaves = f"; this fetch node took nothing of job {config.redis_job}"
    if stop():
        if uses_redis and held is None and issubclass(spidercls, WeChatSpider):  # the lease is its
            let_lease_go(config)
        return Unstarted(leaves if uses_redis else "")
    if held:
        return refuse(f"crawl {name}", *held)
    return crawler, params


def exit_status(runner: CrawlerRunnerBase, crawler: Crawler) -> int:
    """1 when the crawl could not start or did not do its job (``run_failure``), else 0."""
    return 1 if runner.bootstrap_failed or run_failure(crawler.stats.get_stats()) else 0


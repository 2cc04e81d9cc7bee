"""What the project's commands share: settings checked first, the archive opened once.

A bad setting, or an ``ARCHIVE_DIR`` that holds no archive, is one line and exit status 2;
an archive that cannot be opened (locked by a running crawl, a damaged index, a file where
a folder of it goes) one line and exit status 1. (Not in ``crawler/commands``: Scrapy makes
a command of every command class it finds there.)
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from scrapy.commands import ScrapyCommand

from crawler.accounts import FIRST_ACCOUNTS_FILE, AccountsError, load_accounts
from crawler.config import Config, check_archive_writable, check_command_line_mappings, settings_as_meant
from crawler.report import logtext
from crawler.report.coverage import archived_accounts, coverage_of, deletions_alarm, named_by_posts, ways_in
from crawler.report.logs import log_to_file
from crawler.settingread import ConfigError
from crawler.spiders.discovery import linked_biz
from crawler.store.accountbook import AccountBook
from crawler.store.archive import Archive, ArchiveError, Layout, check_folders
from crawler.store.index import Index
from crawler.wechat.article import CHINA_TIME


class ArchiveCommand(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False  # nothing is crawled: no Scrapy start-up lines either
    default_settings = {"LOG_LEVEL": "WARNING"}
    read_only = False  # only looks: no lock, so it can run beside a crawl

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        try:
            check_command_line_mappings(opts.set, self.settings)
        except ConfigError as error:
            sys.exit(self._refuse(str(error), 2))
        super().process_options(args, opts)
        settings_as_meant(self.settings)
        if args and not self.syntax():  # a command of the whole archive (versions takes a URL)
            sys.exit(self._refuse(f"takes no arguments, not {args[0]!r}: it works on the whole "
                                  "archive (-s ARCHIVE_DIR=)", 2))

    @contextmanager
    def archive(self) -> Iterator[tuple[Archive, Config]]:
        assert self.settings is not None
        logtext.install()  # a post's file name, a page's title: no line of their own
        try:
            config = Config.from_settings(self.settings)
        except ConfigError as error:
            sys.exit(self._refuse(str(error), 2))
        log_to_file(self.settings)
        layout = Layout(config.archive_dir)
        if not layout.exists():  # a mistyped -s ARCHIVE_DIR: create nothing
            sys.exit(self._refuse(f"{config.archive_dir} holds no archive (no _posts/ or .state/ "
                                  "folder): check -s ARCHIVE_DIR=", 2))
        try:
            if not self.read_only:
                check_archive_writable(self.settings)
        except ConfigError as error:
            sys.exit(self._refuse(str(error), 2))
        try:
            check_folders(layout, self.folders_read(layout))
            archive = Archive(config.archive_dir, read_only=self.read_only)
        except ArchiveError as error:
            sys.exit(self._refuse(str(error), 1))
        try:
            yield archive, config
            if sys.stdout is not None:  # None: the process was started with it closed (>&-)
                sys.stdout.flush()  # here, where a reader that has gone is caught
        except BrokenPipeError:  # `scrapy verify | head`: the rest is not wanted
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nor flushed at exit
            sys.exit(1)
        finally:
            archive.close()

    def folders_read(self, layout: Layout) -> tuple[Path, ...]:
        """The folders of the archive the command cannot do without: a writer all, a reader
        the index's (``verify`` reports the others that are files, as problems)."""
        return (layout.state,) if self.read_only else layout.folders

    def _refuse(self, message: str, status: int) -> int:
        return refuse(type(self).__module__.rsplit(".", 1)[-1], message, status)


def refuse(command: str, message: str, status: int) -> int:
    """Say in one line why ``scrapy COMMAND`` does not run; the exit status to end with."""
    print(f"scrapy {command}: {logtext.shown(message)}", file=sys.stderr)  # one line
    return status

class AccountsReport(ArchiveCommand):
    """``scrapy accounts-report``: what the archive holds of each account, from the index
    alone (nothing is fetched): the accounts of the accounts file, if there is one, then
    every other account the archive holds posts of (imported pages, say). Registered as an
    entry point in ``pyproject.toml``: a command module's name cannot hold a hyphen."""

    read_only = True

    def short_desc(self) -> str:
        return "Say what the archive holds of each account (no fetching)"

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        with self.archive() as (archive, config):
            accounts = self._listed(config, archive.index)
            links = {name: ways for name, _, ways in accounts}
            listed, others = named_by_posts([(name, biz) for name, biz, _ in accounts], archived_accounts(
                archive.index, archive.layout.posts, {biz for _, biz, _ in accounts}))
            unlisted = "; not in the accounts file" if listed else ""
            now = datetime.now(CHINA_TIME)
            stale = 0
            for (name, biz), note in [(a, "") for a in listed] + [(a, unlisted) for a in others]:
                coverage = coverage_of(archive.index, name, biz, links.get(name, ()))
                flag = coverage.stale(config.stale_account_days, now)
                stale += flag
                print(logtext.shown(  # a name cannot write a line of its own
                    f"{name}: {coverage.line(now)}" + ("; STALE" if flag else "") + note))
                alarm = deletions_alarm(archive.index, name, biz, now,
                                        config.watch_alarm_deletions, config.watch_alarm_days)
                if alarm:
                    print(logtext.shown(f"WARNING: {alarm}"))
            print(f"accounts-report: {logtext.counted(len(listed) + len(others), 'account')}, {stale} "
                  f"stale (no new article for {logtext.counted(config.stale_account_days, 'day')})")

    def _listed(self, config: Config, index: Index) -> list[tuple[str, str, tuple[str, ...]]]:
        """(name, ``__biz``, ``ways_in``) of each account of the accounts file; none if the default one is
        missing. One chosen (``-s ACCOUNTS_FILE=``, or another value in the settings) must be
        there: a typo in a cron line reported no listed account, and nobody learnt the file
        was never read."""
        if not config.accounts_file.exists():
            if config.accounts_file_given:
                sys.exit(self._refuse(f"ACCOUNTS_FILE names no file: {str(config.accounts_file)!r} "
                                      f"(only {FIRST_ACCOUNTS_FILE}, the default, may be missing: "
                                      "no accounts yet)", 2))
            return []
        try:
            accounts = load_accounts(config.accounts_file, config.wechat_base_url,
                                     config.article_hosts)
        except AccountsError as error:
            sys.exit(self._refuse(str(error), 2))
        # as a scheduled run knows it (``Discovery.account_biz``)
        return [(a.name, a.biz or linked_biz(index, a) or AccountBook(index).account_biz(a.name) or "",
                 ways_in(a)) for a in accounts]

    def _refuse(self, message: str, status: int) -> int:
        return refuse("accounts-report", message, status)

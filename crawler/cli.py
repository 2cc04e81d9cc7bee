"""What the project's commands share: settings checked first, the archive opened once.

A bad setting is one line and exit status 2; an archive that cannot be opened (locked by a
running crawl, a damaged index) one line and exit status 1. (Not in ``crawler/commands``:
Scrapy makes a command of every command class it finds there.)
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from scrapy.commands import ScrapyCommand

from crawler.accounts import AccountsError, load_accounts
from crawler.config import Config, ConfigError
from crawler.coverage import coverage_of, deletions_alarm
from crawler.store.archive import Archive, ArchiveError
from crawler.wechat.article import CHINA_TIME


class ArchiveCommand(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False  # nothing is crawled: no Scrapy start-up lines either
    default_settings = {"LOG_LEVEL": "WARNING"}
    read_only = False  # only looks: no lock, so it can run beside a crawl

    @contextmanager
    def archive(self) -> Iterator[tuple[Archive, Config]]:
        assert self.settings is not None
        try:
            config = Config.from_settings(self.settings)
        except ConfigError as error:
            sys.exit(self._refuse(str(error), 2))
        try:
            archive = Archive(config.archive_dir, read_only=self.read_only)
        except ArchiveError as error:
            sys.exit(self._refuse(str(error), 1))
        try:
            yield archive, config
        finally:
            archive.close()

    def _refuse(self, message: str, status: int) -> int:
        return refuse(type(self).__module__.rsplit(".", 1)[-1], message, status)


def refuse(command: str, message: str, status: int) -> int:
    """Say in one line why ``scrapy COMMAND`` does not run; the exit status to end with."""
    print(f"scrapy {command}: {message}", file=sys.stderr)
    return status

class AccountsReport(ArchiveCommand):
    """``scrapy accounts-report``: what the archive holds of each account of the accounts
    file, from the index alone (nothing is fetched). Registered as an entry point in
    ``pyproject.toml``: a command module's name cannot hold a hyphen."""

    read_only = True

    def short_desc(self) -> str:
        return "Say what the archive holds of each account (no fetching)"

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        with self.archive() as (archive, config):
            try:
                accounts = load_accounts(config.accounts_file, config.wechat_base_url,
                                         config.article_hosts)
            except AccountsError as error:
                sys.exit(self._refuse(str(error), 2))
            now = datetime.now(CHINA_TIME)
            stale = 0
            for account in accounts:
                biz = account.biz or archive.index.account_biz(account.name) or ""
                coverage = coverage_of(archive.index, account.name, biz)
                flag = coverage.stale(config.stale_account_days, now)
                stale += flag
                print(f"{account.name}: {coverage.line(now)}" + ("; STALE" if flag else ""))
                alarm = deletions_alarm(archive.index, account.name, biz, now,
                                        config.watch_alarm_deletions, config.watch_alarm_days)
                if alarm:
                    print(f"WARNING: {alarm}")
            print(f"accounts-report: {len(accounts)} accounts, {stale} stale "
                  f"(no new article for {config.stale_account_days} days)")

    def _refuse(self, message: str, status: int) -> int:
        return refuse("accounts-report", message, status)

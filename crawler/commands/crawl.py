"""``scrapy crawl``, with spider arguments checked first and an exit status cron can use.

A spider may define ``check_arguments(kwargs, settings)``, raising ``ArgumentError``; the
user then gets one line saying what is wrong and exit status 2, not a traceback. A run cut
short by WeChat's blocking, or in which no source could be read, exits with status 1.
"""

from __future__ import annotations

import argparse
import sys

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError

from crawler.extensions import run_failure
from crawler.spiders.arguments import ArgumentError


class Command(ScrapyCrawl):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("give one spider: scrapy crawl article|album|accounts")
        assert self.crawler_process is not None
        spidercls = self.crawler_process.spider_loader.load(args[0])
        check = getattr(spidercls, "check_arguments", None)
        if check is not None:
            try:
                check(opts.spargs, self.settings)
            except ArgumentError as error:
                print(f"scrapy crawl {args[0]}: {error}", file=sys.stderr)
                self.exitcode = 2
                return
        crawler = self.crawler_process.create_crawler(spidercls)
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed or run_failure(crawler.stats.get_stats()):
            self.exitcode = 1

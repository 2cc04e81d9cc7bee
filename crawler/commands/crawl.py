"""``scrapy crawl``, with spider arguments checked before the crawl starts.

A spider may define ``check_arguments(kwargs, settings)``, raising ``ArgumentError``;
the user then gets one line saying what is wrong and exit status 2, not a traceback.
"""

from __future__ import annotations

import argparse
import sys

from scrapy.commands.crawl import Command as ScrapyCrawl

from crawler.spiders.arguments import ArgumentError


class Command(ScrapyCrawl):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) == 1 and self.crawler_process is not None:
            spidercls = self.crawler_process.spider_loader.load(args[0])
            check = getattr(spidercls, "check_arguments", None)
            if check is not None:
                try:
                    check(opts.spargs, self.settings)
                except ArgumentError as error:
                    print(f"scrapy crawl {args[0]}: {error}", file=sys.stderr)
                    self.exitcode = 2
                    return
        super().run(args, opts)

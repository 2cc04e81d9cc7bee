"""``scrapy crawl``, with settings and spider arguments checked first and an exit status
cron can use.

Bad settings or ``-a`` arguments get one line saying what is wrong and exit status 2; an
archive that cannot be opened (another run writing it, a damaged index) or a job's Redis
that does not answer, one line and exit status 1; a second writer of a job, one line and
exit status 2. A run cut short by WeChat's blocking or
by losing Redis, or in which no source could be read, exits with status 1.
"""

from __future__ import annotations

import argparse

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError

from crawler.cli import refuse
from crawler.config import Config, ConfigError
from crawler.distributed.job import redis_unreachable, writer_refused
from crawler.extensions import run_failure
from crawler.spiders.arguments import ArgumentError
from crawler.spiders.base import WeChatSpider
from crawler.spiders.fetch import FetchSpider
from crawler.store.archive import Archive, ArchiveError


class Command(ScrapyCrawl):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("give one spider: scrapy crawl article|album|accounts|import|fetch")
        assert self.crawler_process is not None and self.settings is not None
        spidercls = self.crawler_process.spider_loader.load(args[0])
        if not issubclass(spidercls, (WeChatSpider, FetchSpider)):
            raise UsageError(f"not a spider of this project: {args[0]}")
        try:
            config = Config.from_settings(self.settings)
            params = spidercls.Params.from_arguments(opts.spargs, config)
        except (ConfigError, ArgumentError) as error:
            self.exitcode = refuse(f"crawl {args[0]}", str(error), 2)
            return
        unreachable = redis_unreachable(config.redis_url)
        if unreachable:
            self.exitcode = refuse(f"crawl {args[0]}", unreachable, 1)
            return
        crawler = self.crawler_process.create_crawler(spidercls)
        if issubclass(spidercls, WeChatSpider):  # a fetch node writes nothing
            try:
                Archive.open_for(crawler, config.archive_dir)
            except ArchiveError as error:
                self.exitcode = refuse(f"crawl {args[0]}", str(error), 1)
                return
            held = writer_refused(config) if config.redis_url and spidercls.fetches_articles else None
            if held:
                self.exitcode = refuse(f"crawl {args[0]}", held, 2)
                return
        self.crawler_process.crawl(crawler, params=params)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed or run_failure(crawler.stats.get_stats()):
            self.exitcode = 1

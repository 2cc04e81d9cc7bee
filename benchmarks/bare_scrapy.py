"""The floor: a bare Scrapy spider that fetches what the archiver fetches and keeps nothing.

Album pages, article pages and their images, with the concurrency of the benchmark's crawl;
image links found with a regex; nothing parsed, converted, checked or written.
``python benchmarks/bare_scrapy.py ALBUM_URL``. Only for comparison: what Scrapy itself
costs on this machine.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import AsyncIterator, Iterator
from typing import Any

import scrapy
from scrapy.crawler import CrawlerProcess
from scrapy.http import Response

_IMAGE = re.compile(rb'data-src="([^"]+)"')


class BareSpider(scrapy.Spider):
    name = "bare"

    def __init__(self, album_url: str, **kwargs: Any):
        super().__init__(**kwargs)
        self.album_url = album_url

    async def start(self) -> AsyncIterator[scrapy.Request]:
        yield scrapy.Request(f"{self.album_url}&count=10", callback=self.parse_album)

    def parse_album(self, response: Response) -> Iterator[scrapy.Request]:
        page = json.loads(response.body)["getalbum_resp"]
        items = page["article_list"]
        items = [items] if isinstance(items, dict) else items
        for item in items:
            yield scrapy.Request(item["url"].replace("&amp;", "&"), callback=self.parse_article)
        if page["continue_flag"] == "1":
            yield scrapy.Request(f"{self.album_url}&count=10&begin_msgid={items[-1]['msgid']}"
                                 "&begin_itemidx=1", callback=self.parse_album)

    def parse_article(self, response: Response) -> Iterator[scrapy.Request]:
        for url in _IMAGE.findall(response.body):
            yield scrapy.Request(url.decode(), callback=self.drop)

    def drop(self, response: Response) -> None:
        return None


def main() -> None:
    process = CrawlerProcess({
        "LOG_LEVEL": "WARNING", "TELNETCONSOLE_ENABLED": False, "REMOTE_CONTROL_ENABLED": False,
        "ROBOTSTXT_OBEY": False, "CONCURRENT_REQUESTS": 32, "CONCURRENT_REQUESTS_PER_DOMAIN": 32,
        # Each response yields a few requests at most; Scrapy's default of 100 would start
        # 100 tasks per image response, which the archiver's image downloads never do.
        "CONCURRENT_ITEMS": 1,
    })
    crawler = process.create_crawler(BareSpider)
    process.crawl(crawler, album_url=sys.argv[1])
    process.start()
    stats = crawler.stats.get_stats()
    answered = stats.get("response_received_count", 0)
    if not answered or stats.get("downloader/response_status_count/200") != answered:
        raise SystemExit(f"not every request was answered with 200: {stats}")


if __name__ == "__main__":
    main()

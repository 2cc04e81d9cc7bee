"""The add-on that makes ``scrapy crawl accounts|album|article`` a job's writer when
``REDIS_URL`` is set; without it, nothing changes. (A fetch node configures itself: see
``crawler/spiders/fetch.py``.)"""

from __future__ import annotations

from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.settings import BaseSettings
from scrapy.utils.misc import load_object

from crawler.config import Config
from crawler.distributed.mode import PAGES_ARCHIVED, REMOTE_FETCH, WRITER
from crawler.spiders.base import WeChatSpider

# After BlockMiddleware (585): see RemoteFetch.
REMOTE_FETCH_ORDER = 587
# Closest to the engine: it sees what the scraper is given (see PagesArchived).
PAGES_ARCHIVED_ORDER = 0


class Distributed:
    """Wires the writer (the Writer extension, RemoteFetch, PagesArchived) into a crawl of the archive's
    spiders when ``REDIS_URL`` is set; leaves every other crawl as it is."""

    def __init__(self, spidercls: type[Spider]):
        self.spidercls = spidercls

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Distributed:
        return cls(crawler.spidercls)

    def update_settings(self, settings: BaseSettings) -> None:
        """RemoteFetch lets ``REDIS_PAGES_IN_FLIGHT`` pages wait for the nodes at once, on top
        of the writer's usual requests (listings, images), which Scrapy counts against
        ``CONCURRENT_REQUESTS`` while they wait."""
        config = Config.from_settings(settings)
        if not config.redis_url or not issubclass(self.spidercls, WeChatSpider) \
                or not self.spidercls.fetches_articles:
            return
        settings.set("CONCURRENT_REQUESTS",
                     settings.getint("CONCURRENT_REQUESTS") + config.redis_pages_in_flight,
                     priority=settings.getpriority("CONCURRENT_REQUESTS") or "addon")
        settings.set_in_component_priority_dict("EXTENSIONS", load_object(WRITER), 0)
        settings.set_in_component_priority_dict("DOWNLOADER_MIDDLEWARES", load_object(REMOTE_FETCH),
                                                 REMOTE_FETCH_ORDER)
        settings.set_in_component_priority_dict("SPIDER_MIDDLEWARES", load_object(PAGES_ARCHIVED),
                                                 PAGES_ARCHIVED_ORDER)


"""The add-on that makes ``scrapy crawl accounts|album|article`` a job's writer when
``REDIS_URL`` is set; without it, nothing changes. (A fetch node configures itself: see
``crawler/spiders/fetch.py``.)"""

from __future__ import annotations

from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.settings import BaseSettings

from crawler.config import redis_url_setting
from crawler.distributed.writer import RemoteFetch, Writer
from crawler.spiders.base import WeChatSpider

# Right after BlockMiddleware (595), whose gate it needs: see RemoteFetch.
REMOTE_FETCH_ORDER = 597


class Distributed:
    """Wires the writer (the Writer extension, RemoteFetch) into a crawl of the archive's
    spiders when ``REDIS_URL`` is set; leaves every other crawl as it is."""

    def __init__(self, spidercls: type[Spider]):
        self.spidercls = spidercls

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Distributed:
        return cls(crawler.spidercls)

    def update_settings(self, settings: BaseSettings) -> None:
        """The writer's article-page gate lets ``REDIS_PAGES_IN_FLIGHT`` pages wait for the
        nodes at once, on top of its usual requests (listings, images): one at a time, as
        for a single process, would leave all nodes but one without work."""
        if not redis_url_setting(settings) or not issubclass(self.spidercls, WeChatSpider) \
                or not self.spidercls.fetches_articles:
            return
        pages = settings.getint("REDIS_PAGES_IN_FLIGHT")
        _override(settings, "ARTICLE_PAGES_IN_FLIGHT", pages)
        _override(settings, "CONCURRENT_REQUESTS", settings.getint("CONCURRENT_REQUESTS") + pages)
        settings.set_in_component_priority_dict("EXTENSIONS", Writer, 0)
        settings.set_in_component_priority_dict("DOWNLOADER_MIDDLEWARES", RemoteFetch, REMOTE_FETCH_ORDER)


def _override(settings: BaseSettings, name: str, value: int) -> None:
    """Sets ``name`` whatever gave its current value (the project or the command line)."""
    settings.set(name, value, priority=settings.getpriority(name) or "addon")

"""Download slots made from the final host and politeness settings when a crawl starts.

Scrapy reads ``DOWNLOAD_SLOTS`` as given; written out in ``settings.py`` it would keep the
default hosts and delay whatever ``-s IMAGE_HOSTS=…`` or ``-s DOWNLOAD_DELAY=…`` say. This
add-on builds it from them instead: article pages and listings (``BlockMiddleware`` puts
them in ``ARTICLE_SLOT``, whichever article host they are on: WeChat limits per address)
get ``ARTICLE_PAGES_IN_FLIGHT`` at a time, ``DOWNLOAD_DELAY`` apart with its jitter; image
hosts get ``IMAGE_CONCURRENCY`` at a time and no delay to speak of (the CDN is built for load).
"""

from __future__ import annotations

from typing import Any

from scrapy.settings import SETTINGS_PRIORITIES, Settings

from crawler.config import Config

# The download slot of article pages and listings (Scrapy's ``meta["download_slot"]``).
ARTICLE_SLOT = "wechat-pages"
MIN_DELAY = 0.001


class DownloadSlots:
    """A Scrapy add-on (``ADDONS``): sets ``DOWNLOAD_SLOTS`` for the configured hosts."""

    def update_settings(self, settings: Settings) -> None:
        config = Config.from_settings(settings)
        # At least a millisecond apart: Scrapy 2.19 (asyncio) hands a slot without delay its
        # whole queue at once, whatever its concurrency (a request counts as transferring only
        # once its task has started), which would send every queued page into a block, and
        # every picture of an article to the CDN together, IMAGE_CONCURRENCY unheeded.
        slots: dict[str, dict[str, Any]] = {
            ARTICLE_SLOT: {"concurrency": config.article_pages_in_flight,
                           "delay": max(config.download_delay, MIN_DELAY),
                           "jitter": config.download_delay_jitter}}
        for host in config.image_hosts:
            slots[host] = {"concurrency": config.image_concurrency, "delay": MIN_DELAY}
        slots.update(settings.getdict("DOWNLOAD_SLOTS"))
        priority = max(settings.getpriority("DOWNLOAD_SLOTS") or 0, SETTINGS_PRIORITIES["addon"])
        settings.set("DOWNLOAD_SLOTS", slots, priority=priority)

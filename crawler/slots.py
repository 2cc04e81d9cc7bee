"""Download slots made from the final host and politeness settings when a crawl starts.

Scrapy reads ``DOWNLOAD_SLOTS`` as given; written out in ``settings.py`` it would keep the
default hosts and delay whatever ``-s ARTICLE_HOSTS=…``, ``-s IMAGE_HOSTS=…`` or
``-s DOWNLOAD_DELAY=…`` say. This add-on builds it from them instead: article hosts get
``ARTICLE_PAGES_IN_FLIGHT`` at a time, ``DOWNLOAD_DELAY`` apart with its jitter; image
hosts get ``IMAGE_CONCURRENCY`` at a time and no delay (the CDN is built for load).
"""

from __future__ import annotations

from typing import Any

from scrapy.settings import SETTINGS_PRIORITIES, Settings

from crawler.config import Config


class DownloadSlots:
    """A Scrapy add-on (``ADDONS``): sets ``DOWNLOAD_SLOTS`` for the configured hosts."""

    def update_settings(self, settings: Settings) -> None:
        config = Config.from_settings(settings)
        slots: dict[str, dict[str, Any]] = {
            host: {"concurrency": config.article_pages_in_flight, "delay": config.download_delay,
                   "jitter": config.download_delay_jitter}
            for host in config.article_hosts
        }
        for host in config.image_hosts:
            # A host serving both (a test server) takes images at once; BlockMiddleware's
            # gate still holds its article pages to ARTICLE_PAGES_IN_FLIGHT.
            slot = slots.setdefault(host, {"delay": 0.0})
            slot["concurrency"] = config.image_concurrency
        slots.update(settings.getdict("DOWNLOAD_SLOTS"))
        priority = max(settings.getpriority("DOWNLOAD_SLOTS") or 0, SETTINGS_PRIORITIES["addon"])
        settings.set("DOWNLOAD_SLOTS", slots, priority=priority)

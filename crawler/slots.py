"""Download slots made from the final host and politeness settings when a crawl starts.

Scrapy reads ``DOWNLOAD_SLOTS`` as given; written out in ``settings.py`` it would keep the
default hosts and delay whatever ``-s IMAGE_HOSTS=…`` or ``-s DOWNLOAD_DELAY=…`` say. This
add-on builds it from them instead: article pages and listings (``BlockMiddleware`` puts
them in ``ARTICLE_SLOT``, whichever article host they are on: WeChat limits per address)
get ``ARTICLE_PAGES_IN_FLIGHT`` at a time, ``DOWNLOAD_DELAY`` apart with its jitter; image
hosts get ``IMAGE_CONCURRENCY`` at a time and no delay (the CDN is built for load), which
``ImageConcurrency`` holds them to.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from scrapy import Request
from scrapy.core.downloader import Downloader
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.settings import SETTINGS_PRIORITIES, Settings
from twisted.python.failure import Failure

from crawler.config import Config
from crawler.run import Run
from crawler.wechat.urls import host_of

# The download slot of article pages and listings (Scrapy's ``meta["download_slot"]``).
ARTICLE_SLOT = "wechat-pages"
MIN_DELAY = 0.001


def drop_waiting(downloader: Downloader, why: Callable[[Request], IgnoreRequest]) -> int:
    """Fail the requests waiting in the article slot, not sent yet, each with ``why(request)``;
    how many there were. (Scrapy's stop waits for every request its downloader holds, and
    would send these first, at the slot's pace.)"""
    slot = downloader.slots.get(ARTICLE_SLOT)
    dropped = 0
    while slot is not None and slot.queue:
        request, waiting = slot.queue.popleft()
        waiting.errback(Failure(why(request)))
        dropped += 1
    return dropped


class DownloadSlots:
    """A Scrapy add-on (``ADDONS``): sets ``DOWNLOAD_SLOTS`` for the configured hosts."""

    def update_settings(self, settings: Settings) -> None:
        config = Config.from_settings(settings)
        # At least a millisecond apart: Scrapy 2.19 (asyncio) hands a slot without delay its
        # whole queue at once, whatever its concurrency (a request counts as transferring only
        # once its task has started), which would send every queued page into a block.
        slots: dict[str, dict[str, Any]] = {
            ARTICLE_SLOT: {"concurrency": config.article_pages_in_flight,
                           "delay": max(config.download_delay, MIN_DELAY),
                           "jitter": config.download_delay_jitter}}
        for host in config.image_hosts:
            slots[host] = {"concurrency": config.image_concurrency, "delay": 0.0}
        slots.update(settings.getdict("DOWNLOAD_SLOTS"))
        priority = max(settings.getpriority("DOWNLOAD_SLOTS") or 0, SETTINGS_PRIORITIES["addon"])
        settings.set("DOWNLOAD_SLOTS", slots, priority=priority)


class ImageConcurrency:
    """A downloader middleware: at most ``IMAGE_CONCURRENCY`` of the image pipeline's
    requests to a host in Scrapy's downloader at once.

    Scrapy 2.19 hands a slot without delay its whole queue at once (see ``DownloadSlots``):
    an article's pictures all went to the CDN together, up to ``CONCURRENT_REQUESTS``. A
    millisecond's delay would hold them to the slot's concurrency, but lets one request out
    a turn of the reactor: a crawl busy with pages then asks its pictures at the pace of its
    turns (a tenth slower, and more CPU, in ``benchmarks/run.py``). Here a request waits for
    its host's turn before the downloader sees it, and gives it back with its answer or its
    failure; a redirect or a retry waits again. Last before the downloader, so that every
    request that reaches it ends in its ``process_response`` or ``process_exception``."""

    def __init__(self, config: Config):
        self.turns: defaultdict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(config.image_concurrency))
        self.held: dict[Request, asyncio.Semaphore] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ImageConcurrency:
        return cls(Run.of(crawler).config)

    async def process_request(self, request: Request) -> None:
        if request.meta.get("image"):  # the image pipeline's (article pages may share a host)
            turn = self.turns[host_of(request.url)]
            await turn.acquire()
            self.held[request] = turn

    def process_response(self, request: Request, response: Response) -> Response:
        self._give_back(request)
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        self._give_back(request)

    def _give_back(self, request: Request) -> None:
        if (turn := self.held.pop(request, None)) is not None:
            turn.release()

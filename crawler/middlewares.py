"""Downloader middlewares: keeping what WeChat sent, and noticing when it starts blocking."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Headers, Response, TextResponse

from crawler.store.archive import open_captures
from crawler.wechat.page import LARGEST_VERIFICATION_PAGE, as_utf8, is_verification_page

logger = logging.getLogger(__name__)

BLOCK_STATUSES = frozenset({403, 429})
_HELD = "_article_gate_held"


class BlockMiddleware:
    """Article pages answered with the verification page, 403 or 429 are blocks.

    Article pages pass a gate, at most ``ARTICLE_PAGES_IN_FLIGHT`` between request and
    response: Scrapy would otherwise queue many at once, and a queue keeps going out to a
    site that is blocking us. A blocked page is asked for again after a growing pause
    (``BLOCK_BACKOFF`` seconds, doubled each time), during which no other article page is
    fetched, at most ``BLOCK_RETRY_TIMES`` times. After ``BLOCK_LIMIT`` blocks in a row no
    article page is sent any more and the spider closes with reason ``blocked``; what it
    did not fetch is not in the index, so the next run finds it again.
    """

    def __init__(self, crawler: Crawler):
        settings = crawler.settings
        self.crawler = crawler
        self.limit = settings.getint("BLOCK_LIMIT")
        self.retries = settings.getint("BLOCK_RETRY_TIMES")
        self.backoff = settings.getfloat("BLOCK_BACKOFF")
        self.gate = asyncio.Semaphore(max(1, settings.getint("ARTICLE_PAGES_IN_FLIGHT")))
        self.in_a_row = 0
        self.stopped = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BlockMiddleware:
        return cls(crawler)

    async def process_request(self, request: Request) -> None:
        if not request.meta.get("article"):
            return
        await self.gate.acquire()
        if self.stopped:
            self.gate.release()
            raise IgnoreRequest(f"not fetched, WeChat is blocking: {request.url}")
        request.meta[_HELD] = True

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        if not request.meta.pop(_HELD, False):
            return response
        try:
            return await self._check(request, response)
        finally:
            self.gate.release()

    def process_exception(self, request: Request, exception: Exception) -> None:
        if request.meta.pop(_HELD, False):
            self.gate.release()

    async def _check(self, request: Request, response: Response) -> Request | Response:
        if not _is_block(response):
            self.in_a_row = 0
            return response
        self.in_a_row += 1
        stats = self.crawler.stats
        stats.inc_value("blocks/detected")
        if self.in_a_row >= self.limit:
            stats.inc_value("pages/blocked")
            if not self.stopped:
                self.stopped = True
                logger.error("WeChat is blocking: %d blocked pages in a row (last: %s). Stopping; "
                             "what is not fetched is left for the next run.", self.in_a_row, request.url)
                asyncio.ensure_future(self.crawler.engine.close_spider_async(reason="blocked"))
            raise IgnoreRequest(f"blocked: {request.url}")
        tries = request.meta.get("block_retries", 0)
        if tries >= self.retries:
            stats.inc_value("pages/blocked")
            logger.warning("Not archived: %s stayed blocked after %d tries", request.url, tries + 1)
            raise IgnoreRequest(f"blocked: {request.url}")
        pause = self.backoff * 2 ** tries
        logger.warning("Blocked (%s) on %s; asking again in %.0f s", _why(response), request.url, pause)
        await asyncio.sleep(pause)
        return request.replace(meta={**request.meta, "block_retries": tries + 1}, dont_filter=True)


def _is_block(response: Response) -> bool:
    if response.status in BLOCK_STATUSES:
        return True
    return isinstance(response, TextResponse) and len(response.body) <= LARGEST_VERIFICATION_PAGE \
        and is_verification_page(as_utf8(response.body, response.encoding))


def _why(response: Response) -> str:
    return f"HTTP {response.status}" if response.status in BLOCK_STATUSES else "verification page"


class CaptureMiddleware:
    """Hands every article page WeChat answers with to the archive's raw captures.

    Placed after HttpCompressionMiddleware has decoded the body (see ``CaptureStore``).
    Encoding and compressing a 3 MB page takes tens of milliseconds: it runs on a worker
    thread (zlib and hashlib release the GIL) while the page goes on to be parsed. At most
    ``PENDING_CAPTURES`` pages wait for it, so memory stays bounded when it falls behind;
    all are written before the spider closes.
    """

    PENDING_CAPTURES = 4

    def __init__(self, crawler: Crawler):
        self.captures = open_captures(Path(crawler.settings["ARCHIVE_DIR"]))
        self.worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="captures")
        self.pending = asyncio.Semaphore(self.PENDING_CAPTURES)
        crawler.signals.connect(self.close, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CaptureMiddleware:
        return cls(crawler)

    async def process_response(self, request: Request, response: Response) -> Response:
        if request.meta.get("article"):
            await self.pending.acquire()
            written = asyncio.get_running_loop().run_in_executor(self.worker, partial(
                self.captures.add_response, request.url, _pairs(request.headers),
                response.status, _pairs(response.headers), response.body))
            written.add_done_callback(self._written)
        return response

    def _written(self, written: asyncio.Future[None]) -> None:
        self.pending.release()
        if written.exception() is not None:
            logger.error("Capture not written: %s", written.exception())

    def close(self) -> None:
        self.worker.shutdown(wait=True)


def _pairs(headers: Headers) -> list[tuple[str, str]]:
    return [(name.decode("latin-1"), value.decode("latin-1"))
            for name, values in headers.items() for value in values]

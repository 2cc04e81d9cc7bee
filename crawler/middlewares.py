"""Downloader middlewares: keeping what WeChat sent, and noticing when it starts blocking."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from urllib.parse import urljoin

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Headers, Response, TextResponse
from scrapy.utils.reactor import verify_installed_reactor

from crawler.config import Config
from crawler.run import Run
from crawler.wechat.page import LARGEST_VERIFICATION_PAGE, as_utf8, is_verification_page
from crawler.wechat.urls import host_of, web_url

logger = logging.getLogger(__name__)

BLOCK_STATUSES = frozenset({403, 429})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_HELD = "_article_gate_held"


class BlockMiddleware:
    """Article pages answered with the verification page, 403 or 429 are blocks, but for
    the verification page answering a link without ``chksm``: WeChat may refuse the link
    rather than us, so the spider gets that page (``refused_without_chksm``) and it counts
    as a block only when a link with ``chksm`` is answered the same way.

    Article pages pass a gate, at most ``ARTICLE_PAGES_IN_FLIGHT`` between request and
    response. The download slot of mp.weixin.qq.com spaces requests out, but Scrapy hands
    it many at once, and a slot's queue keeps going out to a site that is blocking us; the
    gate keeps them in the scheduler instead, where they wait or are dropped. A blocked
    page is asked for again after a growing pause (``BLOCK_BACKOFF`` seconds, doubled each
    time), during which no other article page is fetched, at most ``BLOCK_RETRY_TIMES``
    times. After ``BLOCK_LIMIT`` blocks in a row no article page is sent any more and the
    spider closes with reason ``blocked``; what it did not fetch is not in the index, so
    the next run finds it again.

    The gate is held until the answer reaches this middleware, so nothing between it and
    the network may turn an article response into another request or an error, or the
    gate would never open again and the crawl would hang: article requests carry
    ``dont_redirect`` and their redirects are followed here, to ``ARTICLE_HOSTS`` only;
    and this middleware sits above HttpCompressionMiddleware (590) and decodes article
    pages itself, through it, since a page that fails to decode raises. The pauses sleep
    on asyncio, hence the reactor check.
    """

    def __init__(self, crawler: Crawler, config: Config):
        self.crawler = crawler
        self.limit = config.block_limit
        self.retries = config.block_retry_times
        self.backoff = config.block_backoff
        self.hosts = frozenset(config.article_hosts)
        self.max_redirects = crawler.settings.getint("REDIRECT_MAX_TIMES")
        self.gate = asyncio.Semaphore(config.article_pages_in_flight)
        self.in_a_row = 0
        self.stopped = False
        try:
            self.decoder: HttpCompressionMiddleware | None = \
                HttpCompressionMiddleware.from_crawler(crawler)
        except NotConfigured:  # COMPRESSION_ENABLED is off: nothing arrives encoded
            self.decoder = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BlockMiddleware:
        verify_installed_reactor("twisted.internet.asyncioreactor.AsyncioSelectorReactor")
        return cls(crawler, Run.of(crawler).config)

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
            if self.decoder is not None:
                decoded = self.decoder.process_response(request, response)
                assert isinstance(decoded, Response)
                response = decoded
            if response.status in REDIRECT_STATUSES:
                return self._redirected(request, response)
            return await self._check(request, response)
        finally:
            self.gate.release()

    def process_exception(self, request: Request, exception: Exception) -> None:
        if request.meta.pop(_HELD, False):
            self.gate.release()

    def _redirected(self, request: Request, response: Response) -> Request:
        """The request for where an article page moved to, if that is an article host."""
        location = (response.headers.get("Location") or b"").decode("latin-1").strip()
        target = web_url(urljoin(request.url, location)) if location else ""
        hops = request.meta.get("article_redirects", 0) + 1
        if not target or host_of(target) not in self.hosts:
            raise IgnoreRequest(f"redirected to {location or 'nowhere'!r}, not an article host")
        if hops > self.max_redirects:
            raise IgnoreRequest(f"redirected more than {self.max_redirects} times")
        logger.debug("Article page %s moved to %s", request.url, target)
        return request.replace(url=target, meta={**request.meta, "article_redirects": hops})

    async def _check(self, request: Request, response: Response) -> Request | Response:
        if not _is_block(response):
            self.in_a_row = 0
            return response
        if request.meta.get("weak_link") and response.status not in BLOCK_STATUSES:
            return response  # maybe the link WeChat refuses, not us: the spider decides
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
        self.captures = Run.of(crawler).archive.captures
        self.stats = crawler.stats
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
                self.captures.add_response, response.url, _pairs(request.headers),
                response.status, _pairs(response.headers), response.body))
            written.add_done_callback(self._written)
        return response

    def _written(self, written: asyncio.Future[None]) -> None:
        self.pending.release()
        if written.exception() is not None:
            self.stats.inc_value("captures/failed")
            logger.error("Capture not written: %s", written.exception())

    def close(self) -> None:
        self.worker.shutdown(wait=True)


def _pairs(headers: Headers) -> list[tuple[str, str]]:
    return [(name.decode("latin-1"), value.decode("latin-1"))
            for name, values in headers.items() for value in values]

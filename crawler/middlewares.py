"""Downloader middlewares: keeping what WeChat sent, and noticing when it starts blocking."""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
import time
from functools import partial
from typing import Any

from scrapy import Request, signals
from scrapy.core.downloader import Slot
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Headers, Response, TextResponse

from crawler.config import Config
from crawler.report.logtext import counted
from crawler.report.tally import Stat, Tally
from crawler.run import Run
from crawler.slots import ARTICLE_SLOT, drop_waiting
from crawler.stopping import leave_for_next_run, leaves
from crawler.watch.watcher import is_watch
from crawler.wechat.errorpage import LARGEST_VERIFICATION_PAGE, is_verification_page
from crawler.wechat.page import as_utf8
from crawler.wechat.urls import host_of

logger = logging.getLogger(__name__)

BLOCK_STATUSES = frozenset({403, 429})
# How long a block seen as it arrives holds the slot until it is judged: longer than any
# judgement takes, short enough that one never judged (a redirect answered a verification
# page) costs a pause, not the run.
JUDGED_WITHIN = 60.0
_JSON = re.compile(rb"\s*[{\[]")


class Blocked(IgnoreRequest):
    """An article page, or a listing's, not had because WeChat is blocking: blocked, or not
    sent once the run stops for blocks. ``BlockMiddleware`` has said so in a line of its own."""


class StayedBlocked(Blocked):
    """A page WeChat answered blocked, counted so (``count_blocked``): not also a page not
    fetched, which the summary counts apart (one page was "1 blocked, 1 not fetched")."""


def count_blocked(tally: Tally, request: Request) -> StayedBlocked:
    """Count ``request`` blocked: an article page for its source and account, a listing's
    page apart (its source failed, and says so). The failure that ends it."""
    if request.meta.get("article"):
        tally.count_of(Stat.PAGES_BLOCKED, request)
    else:
        tally.count(Stat.LISTINGS_BLOCKED)
    return StayedBlocked(f"blocked: {request.url}")


class BlockMiddleware:
    """Article pages and WeChat's listings (album pages) answered with the verification
    page, 403 or 429 are blocks, and WeChat is asked more slowly until it answers again.

    Politeness itself is Scrapy's: article pages and listings share one download slot
    (``ARTICLE_SLOT``, made by ``crawler/slots.py``: ``ARTICLE_PAGES_IN_FLIGHT`` at a time,
    ``DOWNLOAD_DELAY`` apart with its jitter). A block raises that slot's delay to
    ``BLOCK_BACKOFF`` seconds from its answer, doubled at each further try of the page, as
    AutoThrottle raises it for slow answers, so that no article page goes out during the
    pause; the page is asked for again through Scrapy's ``get_retry_request``, at most
    ``BLOCK_RETRY_TIMES`` times. The first page answered normally gives the slot its pace
    back. After ``BLOCK_LIMIT`` blocks in a row the spider closes with reason ``blocked`` and
    no article page is sent any more; what it did not fetch is not in the index, so the next
    run finds it again. A page answered blocked once a signal asked the run to stop is not
    asked again: it is left for the next run (``crawler.stopping``), as those not sent yet.

    The verification page answering a link without ``chksm`` is not a block: WeChat may
    refuse the link rather than us, so the spider gets that page (``refused_without_chksm``),
    and it counts as a block only when a link with ``chksm`` is answered the same way.

    Redirects are RedirectMiddleware's (a redirect off ``ARTICLE_HOSTS`` is refused here, where
    every redirected request passes, and an image's off ``IMAGE_HOSTS``); bodies are decoded
    by HttpCompressionMiddleware, which sits above this middleware and keeps a decompression
    bomb within ``DOWNLOAD_MAXSIZE``.
    """

    def __init__(self, crawler: Crawler, config: Config):
        self.crawler = crawler
        self.limit = config.block_limit
        self.retries = config.block_retry_times
        self.backoff = config.block_backoff
        self.hosts = frozenset(config.article_hosts)
        self.image_hosts = frozenset(config.image_hosts)
        self.in_a_row = 0
        self.stopped = False
        self.run = Run.of(crawler)
        self.pace: tuple[float, float] | None = None  # the slot's (delay, jitter) before a block

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BlockMiddleware:
        middleware = cls(crawler, Run.of(crawler).config)
        crawler.signals.connect(middleware.response_downloaded, signal=signals.response_downloaded)
        return middleware

    def response_downloaded(self, response: Response, request: Request) -> None:
        """Scrapy sends the slot's next page as soon as an answer is in, before any
        middleware sees it: a block that shows as one here (403, 429, a verification page not
        sent compressed) holds the slot at once, until ``process_response`` judges it (a
        pause of ``BLOCK_BACKOFF`` alone ran out first on a loaded machine), so that no page
        follows it before it is judged. A compressed one is judged once decoded, one page
        later at most."""
        if not self._watched(request):
            return
        if response.status in BLOCK_STATUSES or (
                not request.meta.get("weak_link") and b"Content-Encoding" not in response.headers
                and _is_block(response)):
            self._pause(max(self.backoff, JUDGED_WITHIN))

    def process_request(self, request: Request) -> None:
        if request.meta.get("image") and request.meta.get("redirect_urls") \
                and host_of(request.url) not in self.image_hosts:
            raise IgnoreRequest(f"redirected to {request.url!r}, not an image host")
        if not (request.meta.get("article") or request.meta.get("listing")):
            return
        request.meta.setdefault("download_slot", ARTICLE_SLOT)
        if not request.meta.get("article"):
            return
        if self.stopped:
            raise Blocked(f"not fetched, WeChat is blocking: {request.url}")
        if request.meta.get("redirect_urls") and host_of(request.url) not in self.hosts:
            raise IgnoreRequest(f"redirected to {request.url!r}, not an article host")

    def process_response(self, request: Request, response: Response) -> Request | Response:
        if not self._watched(request):
            return response
        if not _is_block(response):
            self.in_a_row = 0
            self._resume()
            return response
        if request.meta.get("weak_link") and response.status not in BLOCK_STATUSES:
            return response  # maybe the link WeChat refuses, not us: the spider decides
        request = _as_asked(request)
        if self.run.stopped_by is not None:  # noted by the signal's handler, before stop_asked
            logger.info("Blocked (%s) on %s; not asked again, the run is stopping", _why(response),
                        request.url)
            raise leave_for_next_run(self.crawler, request)
        self.in_a_row += 1
        tally = Run.of(self.crawler).tally
        tally.count(Stat.BLOCKS_DETECTED)
        if self.in_a_row >= self.limit:
            if not self.stopped:
                logger.error("WeChat is blocking: %s in a row (last: %s). Stopping; what is not fetched "
                             "is %s.", counted(self.in_a_row, "blocked page"), request.url,
                             leaves(self.crawler))
                self._stop()
            raise count_blocked(tally, request)
        spider = self.crawler.spider
        assert spider is not None
        again = get_retry_request(request, spider=spider, reason="blocked",
                                  max_retry_times=self.retries, stats_base_key=Stat.BLOCK_RETRIES.value,
                                  logger=logger, give_up_log_level=logging.DEBUG)
        if again is None:
            self._pause(self.backoff)
            blocked = count_blocked(tally, request)
            if is_watch(request):  # an original of an archived post, which stays
                logger.warning("Not checked: the original %s stayed blocked after %s; its "
                               "post stays as it is", request.url, _tries(self.retries + 1))
            else:  # an article page, or a listing's (the summary names its source)
                logger.warning("%s: %s stayed blocked after %s",
                               "Not archived" if request.meta.get("article") else "Not read",
                               request.url, _tries(self.retries + 1))
            raise blocked
        pause = self.backoff * 2 ** (again.meta["retry_times"] - 1)
        self._pause(pause)
        # at INFO: a block that passes is a day that went well; one that does not is said above
        logger.info("Blocked (%s) on %s; asking again in %.0f s", _why(response), request.url, pause)
        return again

    def _watched(self, request: Request) -> bool:
        """Whether a block answering ``request`` is WeChat's: an article page, or a listing
        on an article host (an album's page: the rest of the album is read after the pause)."""
        return bool(request.meta.get("article")) or bool(
            request.meta.get("listing") and host_of(request.url) in self.hosts)

    def _stop(self) -> None:
        """Send no article page any more: those still waiting in the slot are dropped (the
        spider closes once its requests are answered, and these would be sent first)."""
        self.stopped = True
        drop_waiting(self.crawler.engine.downloader,
                     lambda request: Blocked(f"not fetched, WeChat is blocking: {request.url}"))
        asyncio.ensure_future(self.crawler.engine.close_spider_async(reason="blocked"))

    def _pause(self, seconds: float) -> None:
        """No article page for ``seconds`` from now: the slot's delay, without jitter."""
        slot = self.crawler.engine.downloader.slots.get(ARTICLE_SLOT)
        if slot is None:
            return
        if self.pace is None:
            self.pace = (slot.delay, slot.jitter)
        slot.delay, slot.jitter = max(seconds, self.pace[0]), 0.0
        slot.lastseen = time.monotonic()  # Scrapy counts the delay from the last page sent
        self._retime(slot)

    def _resume(self) -> None:
        slot = self.crawler.engine.downloader.slots.get(ARTICLE_SLOT)
        if self.pace is not None and slot is not None:
            slot.delay, slot.jitter = self.pace
            self._retime(slot)
        self.pace = None

    def _retime(self, slot: Slot) -> None:
        """The slot's next page sent at its new delay: Scrapy keeps the time it set for it
        under the delay before, however much shorter the new one (a hold judged)."""
        slot.close()  # its timer only
        self.crawler.engine.downloader._process_queue(slot)


def _as_asked(request: Request) -> Request:
    """``request`` as it was asked for, before WeChat redirected it (to its verification page,
    ``/mp/wappoc_appmsgcaptcha``): what is to be asked again after a block, and named."""
    asked = request.meta.get("redirect_urls")
    if not asked:
        return request
    meta = {key: value for key, value in request.meta.items() if not key.startswith("redirect_")}
    return request.replace(url=asked[0], meta=meta)


def _tries(number: int) -> str:
    return "1 try" if number == 1 else f"{number} tries"


def _is_block(response: Response) -> bool:
    """403, 429 or the verification page; a JSON answer (an album's page) is none, whatever
    its titles quote."""
    if response.status in BLOCK_STATUSES:
        return True
    return isinstance(response, TextResponse) and len(response.body) <= LARGEST_VERIFICATION_PAGE \
        and not _JSON.match(response.body) \
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
        self.run = Run.of(crawler)
        self.captures = self.run.archive.captures
        self.tally = self.run.tally
        self.worker = self.run.writer("captures")
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
        error = written.exception()
        if error is not None:
            self.tally.count(Stat.CAPTURES_FAILED)
            # One ERROR line a cause (``Run.error_level``): a full disk fails every page's capture alike.
            logger.log(self.run.error_level("capture", error), "Capture not written: %s", error)

    def close(self) -> None:
        self.worker.shutdown(wait=True)


def _pairs(headers: Headers) -> list[tuple[str, str]]:
    return [(name.decode("latin-1"), value.decode("latin-1"))
            for name, values in headers.items() for value in values]


class IndexErrors:
    """A spider middleware: an index that cannot be read in a callback (a damaged page of
    the file, a disk that fails) costs that page's or listing's leads, in one ERROR line and
    a count that fails the run (``state/read_failed``), never a traceback and a silent exit
    0. (Writes are ``StatePipeline``'s, with the same policy.)"""

    def __init__(self, crawler: Crawler):
        self.tally = Run.of(crawler).tally

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IndexErrors:
        return cls(crawler)

    def process_spider_exception(self, response: Response, exception: Exception) -> list[Any] | None:
        if not isinstance(exception, (sqlite3.Error, OSError)):
            return None
        self.tally.count(Stat.STATE_READ_FAILED)
        logger.error("Not followed: what %s leads to is left for the next run: %s", response.url,
                     exception)
        logger.debug("The index read that failed", exc_info=exception)
        return []


"""``BlockMiddleware`` with fake responses: blocks, the slot's pause, the limit, redirects."""

from __future__ import annotations

import asyncio
import gzip
import signal
from typing import Any

import pytest
from scrapy import Request, Spider
from scrapy.core.downloader import Slot
from scrapy.core.scheduler import Scheduler as Scheduler_
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.dupefilters import BaseDupeFilter
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Response
from scrapy.pqueues import ScrapyPriorityQueue
from scrapy.squeues import FifoMemoryQueue
from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

from crawler import settings as project_settings
from crawler.middlewares import BlockMiddleware
from crawler.run import Run
from crawler.slots import ARTICLE_SLOT
from crawler.stopping import Dropped, StopSending
from tests.conftest import PAGES, unit_crawler

ARTICLE = "https://mp.weixin.qq.com/s/Token"
VERIFICATION = (PAGES / "verification.html").read_bytes()


class Downloader:
    def __init__(self) -> None:
        self.slots = {ARTICLE_SLOT: Slot(concurrency=1, delay=3.0, jitter=0.5)}

    def _process_queue(self, slot: Slot) -> None:
        """Scrapy's sends the slot's next page when its delay allows: none is queued here."""


class Scheduler(Scheduler_):
    """Scrapy's scheduler in memory, which has seen every request."""

    def __init__(self) -> None:
        crawler = unit_crawler()
        super().__init__(dupefilter=Seen(), mqclass=FifoMemoryQueue, pqclass=ScrapyPriorityQueue,
                         stats=crawler.stats, crawler=crawler)
        self.open(Spider("unit"))


class Seen(BaseDupeFilter):
    def request_seen(self, request: Request) -> bool:
        return True


class Engine:
    """What the middlewares use of Scrapy's engine."""

    def __init__(self) -> None:
        self.closed: list[str] = []
        self.downloader = Downloader()
        self.scheduler = Scheduler()
        self.paused = False

    async def close_spider_async(self, reason: str) -> None:
        self.closed.append(reason)

    def pause(self) -> None:
        self.paused = True


def blocking(backoff: str) -> BlockMiddleware:
    crawler = unit_crawler(BLOCK_BACKOFF=backoff, BLOCK_LIMIT="3", BLOCK_RETRY_TIMES="1")
    crawler.stats.open_spider()
    crawler.engine = Engine()  # type: ignore[assignment]
    crawler.spider = crawler._create_spider()
    return BlockMiddleware.from_crawler(crawler)


@pytest.fixture
def middleware() -> BlockMiddleware:
    return blocking("60")


def slot(middleware: BlockMiddleware) -> Slot:
    return middleware.crawler.engine.downloader.slots[ARTICLE_SLOT]  # type: ignore[no-any-return]


def fetch(middleware: BlockMiddleware, request: Request, response: Response) -> Any:
    middleware.process_request(request)
    return middleware.process_response(request, response)


def article(url: str = ARTICLE, **meta: object) -> Request:
    return Request(url, meta={"article": True, **meta})


def page(body: bytes, status: int = 200, url: str = ARTICLE, **headers: str) -> HtmlResponse:
    return HtmlResponse(url, status=status, body=body, headers=headers)


def test_an_article_page_goes_on_in_the_article_slot(middleware: BlockMiddleware) -> None:
    request, response = article(), page(b"<html>article</html>")
    assert fetch(middleware, request, response) is response
    assert request.meta["download_slot"] == ARTICLE_SLOT


def test_listings_share_the_slot_and_images_keep_theirs(middleware: BlockMiddleware) -> None:
    listing = Request("https://mp.weixin.qq.com/mp/appmsgalbum?x=1", meta={"listing": True})
    image = Request("https://mmbiz.qpic.cn/mmbiz_png/x/640")
    middleware.process_request(listing)
    middleware.process_request(image)
    assert listing.meta["download_slot"] == ARTICLE_SLOT and "download_slot" not in image.meta


@pytest.mark.parametrize("response", [page(VERIFICATION), page(b"slow down", 429), page(b"", 403)])
def test_a_block_pauses_the_slot_and_asks_again_then_gives_up(middleware: BlockMiddleware,
                                                              response: Response) -> None:
    again = fetch(middleware, article(), response)
    assert isinstance(again, Request) and again.meta["retry_times"] == 1 and again.dont_filter
    assert (slot(middleware).delay, slot(middleware).jitter) == (60.0, 0.0)
    with pytest.raises(IgnoreRequest, match="blocked"):
        fetch(middleware, again, response)
    stats = middleware.crawler.stats
    assert (stats.get_value("blocks/detected"), stats.get_value("pages/blocked")) == (2, 1)


def test_a_block_pause_shorter_than_the_pace_never_speeds_the_slot_up() -> None:
    paused = blocking("1")  # DOWNLOAD_DELAY is 3 s
    assert isinstance(fetch(paused, article(), page(VERIFICATION)), Request)
    assert (slot(paused).delay, slot(paused).jitter) == (3.0, 0.0)


def test_a_page_answered_again_gives_the_slot_its_pace_back(middleware: BlockMiddleware) -> None:
    fetch(middleware, article(), page(VERIFICATION))
    fetch(middleware, article(), page(b"<html>article</html>"))
    assert (slot(middleware).delay, slot(middleware).jitter) == (3.0, 0.5)
    assert middleware.in_a_row == 0


def test_blocks_in_a_row_stop_the_run_and_nothing_more_is_sent(middleware: BlockMiddleware) -> None:
    async def three_blocks() -> None:  # the spider is closed on the running loop
        for _ in range(2):
            fetch(middleware, article(), page(VERIFICATION))
        with pytest.raises(IgnoreRequest):
            fetch(middleware, article(), page(VERIFICATION))
        await asyncio.sleep(0)

    asyncio.run(three_blocks())
    assert middleware.crawler.engine.closed == ["blocked"]  # type: ignore[union-attr]
    with pytest.raises(IgnoreRequest, match="WeChat is blocking"):
        middleware.process_request(article())


def test_a_stop_sends_no_page_more_and_gives_back_those_waiting(middleware: BlockMiddleware) -> None:
    """A signal asks the run to stop (``stop_asked``): the pages waiting in the article slot
    fail, given back to the scheduler (which a job folder keeps), and so does any page
    asked later; the engine takes nothing more from the scheduler; pictures go on."""
    stop = StopSending.from_crawler(middleware.crawler)
    engine = middleware.crawler.engine
    failed: list[Failure] = []
    for url in (ARTICLE, f"{ARTICLE}2"):
        waiting: Deferred[Response] = Deferred()
        waiting.addErrback(failed.append)
        slot(middleware).queue.append((article(url), waiting))
    assert stop.stop_asked() == 2
    assert engine.paused and not slot(middleware).queue  # type: ignore[union-attr]
    assert [failure.check(Dropped) for failure in failed] == [Dropped, Dropped]
    listing = Request("https://mp.weixin.qq.com/mp/appmsgalbum?x=1", meta={"listing": True})
    with pytest.raises(Dropped, match="the run is stopping"):
        stop.process_request(listing)
    stop.process_request(Request("https://mmbiz.qpic.cn/mmbiz_png/x/640", meta={"image": True}))
    scheduler = engine.scheduler  # type: ignore[union-attr]
    given_back = [scheduler.next_request() for _ in range(len(scheduler))]
    assert [(request.url, request.dont_filter) for request in given_back] == [
        (ARTICLE, True), (f"{ARTICLE}2", True), (listing.url, True)]


def test_a_block_answered_as_a_signal_lands_is_not_asked_again(middleware: BlockMiddleware) -> None:
    """The signal's handler notes the stop at once (``Run.stopped_by``); ``stop_asked`` is
    sent a turn of the reactor later. A block answered in between was asked again after the
    pause, a page more of WeChat's patience and a line saying so, in a run told to stop. It
    is given back, as it was asked, for the next run."""
    Run.of(middleware.crawler).stopped_by = signal.SIGINT
    moved = article("https://mp.weixin.qq.com/mp/wappoc_appmsgcaptcha?x=1", redirect_urls=[ARTICLE])
    with pytest.raises(Dropped, match="the run is stopping"):
        fetch(middleware, moved, page(VERIFICATION, url=moved.url))
    assert not middleware.crawler.stats.get_value("blocks/detected")
    scheduler = middleware.crawler.engine.scheduler  # type: ignore[union-attr]
    assert scheduler.next_request().url == ARTICLE


def test_a_verification_page_for_a_link_without_chksm_is_the_spider_s_to_judge(
        middleware: BlockMiddleware) -> None:
    response = page(VERIFICATION)
    assert fetch(middleware, article(weak_link=True), response) is response
    assert middleware.in_a_row == 0 and not middleware.crawler.stats.get_value("blocks/detected")
    assert isinstance(fetch(middleware, article(weak_link=True), page(b"", 429)), Request)


def test_redirects_stay_on_article_hosts(middleware: BlockMiddleware) -> None:
    moved = ["https://mp.weixin.qq.com/s/Token"]
    middleware.process_request(article("https://mp.weixin.qq.com/s?__biz=MzA=&mid=1&idx=1",
                                       redirect_urls=moved))
    with pytest.raises(IgnoreRequest, match="not an article host"):
        middleware.process_request(article("https://evil.example/s/x", redirect_urls=moved))


def test_a_compressed_verification_page_is_decoded_before_it_is_judged(
        middleware: BlockMiddleware) -> None:
    order = project_settings.DOWNLOADER_MIDDLEWARES
    # Answers go through middlewares from the highest number down.
    assert 590 > order["crawler.middlewares.BlockMiddleware"] > order["crawler.middlewares.CaptureMiddleware"]
    decoder = HttpCompressionMiddleware.from_crawler(middleware.crawler)
    request = article()
    decoded = decoder.process_response(request, page(gzip.compress(VERIFICATION),
                                                     **{"Content-Encoding": "gzip"}))
    assert isinstance(fetch(middleware, request, decoded), Request)


def test_a_block_holds_the_slot_as_soon_as_it_is_downloaded(middleware: BlockMiddleware) -> None:
    """Scrapy sends the slot's next page before the answer reaches any middleware."""
    middleware.response_downloaded(page(b"<html>article</html>"), article())
    assert slot(middleware).delay == 3.0
    middleware.response_downloaded(page(b"", 403), article())
    assert (slot(middleware).delay, slot(middleware).jitter) == (60.0, 0.0)


def test_a_verification_page_holds_the_slot_as_soon_as_it_is_downloaded(
        middleware: BlockMiddleware) -> None:
    """Sent compressed, it is judged once decoded; a link without ``chksm`` is the spider's."""
    middleware.response_downloaded(page(gzip.compress(VERIFICATION), **{"Content-Encoding": "gzip"}),
                                   article())
    middleware.response_downloaded(page(VERIFICATION), article(weak_link=True))
    assert slot(middleware).delay == 3.0
    middleware.response_downloaded(page(VERIFICATION), article())
    assert (slot(middleware).delay, slot(middleware).jitter) == (60.0, 0.0)

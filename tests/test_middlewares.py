"""``BlockMiddleware`` with fake responses: blocks, backoff, the limit, redirects, the gate."""

from __future__ import annotations

import asyncio
import gzip
from typing import Any

import pytest
from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Response

from crawler.middlewares import BlockMiddleware
from crawler.run import Run
from tests.conftest import PAGES, unit_crawler

ARTICLE = "https://mp.weixin.qq.com/s/Token"
VERIFICATION = (PAGES / "verification.html").read_bytes()


class Engine:
    def __init__(self) -> None:
        self.closed: list[str] = []

    async def close_spider_async(self, reason: str) -> None:
        self.closed.append(reason)


@pytest.fixture
def middleware() -> BlockMiddleware:
    crawler = unit_crawler(BLOCK_BACKOFF="0", BLOCK_LIMIT="3", BLOCK_RETRY_TIMES="1",
                           REDIRECT_MAX_TIMES="2")
    crawler.stats.open_spider()
    crawler.engine = Engine()  # type: ignore[assignment]  # what the middleware calls of it
    return BlockMiddleware(crawler, Run.of(crawler).config)


def fetch(middleware: BlockMiddleware, request: Request, response: Response) -> Any:
    """The middleware's answer to ``response``, the gate taken and given back around it."""
    async def round_trip() -> Any:
        await middleware.process_request(request)
        assert middleware.gate.locked()
        try:
            return await middleware.process_response(request, response)
        finally:
            assert not middleware.gate.locked()
    return asyncio.run(round_trip())


def article(url: str = ARTICLE, **meta: object) -> Request:
    return Request(url, meta={"article": True, **meta})


def page(body: bytes, status: int = 200, url: str = ARTICLE, **headers: str) -> HtmlResponse:
    return HtmlResponse(url, status=status, body=body, headers=headers)


def test_an_article_page_goes_on(middleware: BlockMiddleware) -> None:
    response = page(b"<html>article</html>")
    assert fetch(middleware, article(), response) is response


@pytest.mark.parametrize("response", [page(VERIFICATION), page(b"slow down", 429), page(b"", 403)])
def test_a_block_is_asked_for_again_then_given_up(middleware: BlockMiddleware,
                                                  response: Response) -> None:
    again = fetch(middleware, article(), response)
    assert isinstance(again, Request) and again.meta["block_retries"] == 1 and again.dont_filter
    with pytest.raises(IgnoreRequest, match="blocked"):
        fetch(middleware, again, response)


def test_a_compressed_verification_page_is_recognised(middleware: BlockMiddleware) -> None:
    response = page(gzip.compress(VERIFICATION), **{"Content-Encoding": "gzip"})
    assert isinstance(fetch(middleware, article(), response), Request)


def test_blocks_in_a_row_stop_the_run_and_nothing_more_is_sent(middleware: BlockMiddleware) -> None:
    for _ in range(2):
        fetch(middleware, article(), page(VERIFICATION))
    with pytest.raises(IgnoreRequest):
        fetch(middleware, article(), page(VERIFICATION))
    assert middleware.crawler.engine.closed == ["blocked"]  # type: ignore[union-attr]
    with pytest.raises(IgnoreRequest, match="WeChat is blocking"):
        asyncio.run(middleware.process_request(article()))


def test_redirects_are_followed_on_article_hosts_only(middleware: BlockMiddleware) -> None:
    moved = fetch(middleware, article(), page(b"", 302, Location="/s?__biz=MzA=&mid=1&idx=1"))
    assert moved.url == "https://mp.weixin.qq.com/s?__biz=MzA=&mid=1&idx=1"
    assert moved.meta["article_redirects"] == 1
    with pytest.raises(IgnoreRequest, match="not an article host"):
        fetch(middleware, article(), page(b"", 301, Location="https://evil.example/s/x"))
    with pytest.raises(IgnoreRequest, match="redirected more than 2 times"):
        fetch(middleware, article(article_redirects=2), page(b"", 302, Location="/s/again"))


def test_a_page_that_fails_to_decode_gives_the_gate_back(middleware: BlockMiddleware) -> None:
    with pytest.raises(EOFError):
        fetch(middleware, article(), page(b"\x1f\x8b\x08garbage", **{"Content-Encoding": "gzip"}))


def test_other_requests_pass_the_gate(middleware: BlockMiddleware) -> None:
    image = Request("https://mmbiz.qpic.cn/mmbiz_png/x/640")
    assert asyncio.run(middleware.process_request(image)) is None and not middleware.gate.locked()

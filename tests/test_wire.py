"""What travels through Redis (``crawler.distributed.frontier`` and ``wire``): data of one
format, the same bytes for the same request, and a one-line refusal of anything else."""

from __future__ import annotations

import hashlib
import json
import pickle
import zlib

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse

from crawler.distributed import frontier
from crawler.distributed.frontier import WireError
from crawler.distributed.wire import Page, TooLarge, frontier_entry, frontier_score

URL = "https://mp.weixin.qq.com/s?__biz=B&mid=1&idx=1&sn=s&chksm=c"


def request(**headers: str) -> Request:
    return Request(URL, headers={"User-Agent": "UA", "Referer": "https://mp.weixin.qq.com/",
                                 **headers}, priority=3, meta={"weak_link": True})


def test_a_request_travels_as_its_url_allowed_headers_and_page_id_only() -> None:
    entry = frontier_entry(request(**{"Proxy-Authorization": "Basic c2VjcmV0",
                                      "Cookie": "session=1"}), "p1")
    assert b"Proxy-Authorization" not in entry and b"Cookie" not in entry
    read = frontier.loads(entry)
    assert read["url"] == URL and read["method"] == "GET" and read["priority"] == 3
    assert read["headers"] == {"Referer": "https://mp.weixin.qq.com/", "User-Agent": "UA"}
    assert read["meta"] == {"article": True, "page_id": "p1", "weak_link": True}
    assert (read["callback"], read["errback"]) == (frontier.CALLBACK, frontier.ERRBACK)
    assert frontier_entry(request(), "p1") == frontier_entry(request(), "p1")
    assert frontier_score(request()) == -3  # the highest priority is popped first


def _entry(**changes: object) -> bytes:
    fields = json.loads(frontier_entry(request(), "p1"))
    fields.update(changes)
    return json.dumps({k: v for k, v in fields.items() if v is not None}).encode()


@pytest.mark.parametrize("data", [
    pickle.dumps({"url": URL}),                       # scrapy-redis's default: code, refused
    b"\xff\xfe not json",
    b"[1, 2]",
    _entry(v=2),                                      # another format
    _entry(body="x"),                                 # a field this format has not
    _entry(page_id=None),                             # one it has, missing
    _entry(url="file:///etc/passwd"),
    _entry(url="javascript:alert(1)"),
    _entry(method="POST"),
    _entry(headers={"Proxy-Authorization": "Basic x"}),
    _entry(headers={"User-Agent": 1}),
    _entry(priority="high"),
    _entry(weak_link="yes"),
], ids=["pickle", "bytes", "list", "format", "extra", "missing", "file", "javascript", "post",
        "header", "header-type", "priority", "weak"])
def test_anything_else_on_the_frontier_is_refused(data: bytes) -> None:
    with pytest.raises(WireError) as refused:
        frontier.loads(data)
    assert "\n" not in str(refused.value) and len(str(refused.value)) < 200


def test_a_page_travels_compressed_and_comes_back_as_the_writer_s_response() -> None:
    sent = Request(URL, headers={"User-Agent": "UA", "Proxy-Authorization": "Basic x",
                                 "Cookie": "a=1", "Accept-Encoding": "gzip"})
    body = "<html><body>反诈 " .encode() * 50_000
    response = HtmlResponse(URL + "&redirected=1", status=200, body=body, request=sent,
                            headers={"Content-Type": "text/html; charset=utf-8",
                                     "Set-Cookie": ["a=1", "b=2"]})
    page = Page.from_response(response, "n1", "p1", URL)
    data = page.to_bytes()
    assert len(data) < len(body) / 5
    back = Page.from_bytes(data)
    assert back == page
    writer_request = Request(URL, meta={"source": "album:1"})
    rebuilt = back.response(writer_request)
    assert isinstance(rebuilt, HtmlResponse) and rebuilt.body == body
    assert rebuilt.url.endswith("&redirected=1") and rebuilt.request is writer_request
    assert rebuilt.flags == ["node n1"]  # which node fetched it, in Scrapy's 'Crawled' line
    assert rebuilt.headers.getlist("Set-Cookie") == [b"a=1", b"b=2"]
    assert dict(back.sent_headers()) == {b"User-Agent": [b"UA"], b"Cookie": [b"a=1"],
                                         b"Accept-Encoding": [b"gzip"]}  # no proxy credentials


def test_a_page_a_node_could_not_fetch_says_why() -> None:
    page = Page("n1", "p1", URL, failure="TimeoutError: took too long")
    assert Page.from_bytes(page.to_bytes()).failure == "TimeoutError: took too long"


def _page(**changes: object) -> bytes:
    head, _, body = zlib.decompress(Page("n1", "p1", URL, URL, 200).to_bytes()).partition(b"\n")
    fields = {**json.loads(head), **changes}
    return zlib.compress(json.dumps({k: v for k, v in fields.items() if v is not None}).encode()
                         + b"\n" + body)


@pytest.mark.parametrize("data", [
    pickle.dumps(Page("n1", "p1", URL)),
    b"not compressed",
    zlib.compress(b"\xff\n"),
    _page(v=0),
    _page(status="200"),
    _page(node=None),
    _page(extra=1),
    _page(headers={"Content-Type": "text/html"}),  # values are lists
    _page(headers={"X": ["\u4e2d"]}),               # not header bytes
], ids=["pickle", "raw", "head", "format", "status", "missing", "extra", "header-list", "latin1"])
def test_anything_else_handed_back_is_refused(data: bytes) -> None:
    with pytest.raises(WireError):
        Page.from_bytes(data)


def test_a_page_that_decompresses_beyond_the_largest_download_is_refused_unread() -> None:
    """Whoever writes to Redis could hand the writer a few megabytes that decompress to
    gigabytes; no node sends more than a download may be (DOWNLOAD_MAXSIZE)."""
    head = Page("n1", "p1", URL, url=URL, status=200).to_bytes()
    bomb = zlib.compress(zlib.decompress(head) + bytes(64 << 20), 9)
    assert len(bomb) < 100_000
    with pytest.raises(WireError, match=r"^a page beyond 1048576 bytes decompressed \(DOWNLOAD_MAXSIZE\)"):
        Page.from_bytes(bomb, max_size=1 << 20)
    assert Page.from_bytes(bomb, max_size=0).body == bytes(64 << 20)  # 0: no limit, as Scrapy's
    assert Page.from_bytes(head, max_size=1 << 20).status == 200


def test_a_page_as_large_as_the_largest_download_is_taken_whole() -> None:
    """DOWNLOAD_MAXSIZE is the largest body Scrapy's own download keeps: a page of exactly
    that size, its headers in front, is a page; one byte more is refused."""
    headers = {"Content-Type": ["text/html; charset=utf-8"], "Set-Cookie": ["x" * 4000]}
    body = bytes(range(256)) * 256
    page = Page("n1", "p1", URL, url=URL, status=200, headers=headers, body=body)
    assert Page.from_bytes(page.to_bytes(), max_size=len(body)).body == body
    over = Page("n1", "p1", URL, url=URL, status=200, headers=headers, body=body + b"x")
    with pytest.raises(TooLarge):
        Page.from_bytes(over.to_bytes(), max_size=len(body))


@pytest.mark.parametrize("max_size", [0, 1 << 20])
def test_a_page_cut_short_in_redis_is_refused_not_taken_in_part(max_size: int) -> None:
    """A value cut short (a client or proxy in front of Redis, a hand-edited key) would give
    the first part of an article: a half post written over the archived one."""
    body = b"".join(hashlib.sha256(str(n).encode()).digest() for n in range(4000))  # incompressible
    data = Page("n1", "p1", URL, url=URL, status=200, body=body).to_bytes()
    with pytest.raises(WireError, match="^not a page of format 1"):
        Page.from_bytes(data[:len(data) // 2], max_size=max_size)


def test_no_header_but_the_captures_own_travels_or_reaches_a_capture() -> None:
    """A node's proxy credentials are not written to Redis with its page, and the writer
    takes from a page handed back only the request headers a capture may show."""
    sent = Request(URL, headers={"User-Agent": "UA", "Proxy-Authorization": "Basic c2VjcmV0",
                                 "X-Node-Secret": "s"})
    page = Page.from_response(HtmlResponse(URL, body=b"<html></html>", request=sent), "n1", "p1", URL)
    assert page.request_headers == {"User-Agent": ["UA"]}
    forged = Page("n1", "p1", URL, url=URL, status=200,
                  request_headers={"Cookie": ["a=1"], "Proxy-Authorization": ["Basic x"], "X-Forged": ["1"]})
    assert dict(Page.from_bytes(forged.to_bytes()).sent_headers()) == {b"Cookie": [b"a=1"]}

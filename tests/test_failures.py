"""Why a request failed, in the words of a log line (``crawler.spiders.failures``)."""

from __future__ import annotations

from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import ConnectionRefusedError
from twisted.python.failure import Failure

from crawler.spiders.failures import failure_reason


def test_an_http_error_is_its_status() -> None:
    response = HtmlResponse("https://mp.weixin.qq.com/s/x", status=404, request=Request("https://mp.weixin.qq.com/s/x"))
    assert failure_reason(Failure(HttpError(response))) == "HTTP 404"


def test_a_network_error_is_named_without_twisted_s_full_stop() -> None:
    """Twisted's messages end in a full stop, and the lines that go on after the reason read
    "…refused by other side.; its post stays as it is"."""
    assert failure_reason(Failure(ConnectionRefusedError())) == \
        "ConnectionRefusedError: Connection was refused by other side"

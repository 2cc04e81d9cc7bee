"""A request that failed, in the words a cron user reads: why (``failure_reason``), whether
the cause is the page's own or one every page then shares (``shared_cause``: WeChat
unreachable, its servers failing), and the failure of a redirect loop, which Scrapy drops
with no errback (``redirect_loop``).
"""

from __future__ import annotations

import re

import scrapy
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import ConnectError, ConnectionDone, ConnectionLost
from twisted.python.failure import Failure

from crawler.distributed.wire import NotFetched
from crawler.undecoded import Undecodable


def redirect_loop(request: scrapy.Request) -> Failure | None:
    """An article page redirected back to a page of its own chain is dropped by the
    scheduler as a duplicate, with no errback: the failure of a page that cannot be fetched,
    for the spider's errback; None for any other request dropped. (Only article pages can
    be: every other request the spiders make is ``dont_filter``.)"""
    if request.url not in request.meta.get("redirect_urls", ()):
        return None
    failure = Failure(IgnoreRequest(f"redirected in a loop, back to {request.url!r}"))
    failure.request = request  # type: ignore[attr-defined]  # as Scrapy sets it
    return failure


def failed_request(failure: Failure) -> scrapy.Request:
    """The request of a failure given to an errback (Scrapy sets it on the failure)."""
    request = getattr(failure, "request", None)
    assert isinstance(request, scrapy.Request)
    return request


# What Scrapy retries as a network failure (its RETRY_EXCEPTIONS), but for an OSError: a
# page whose body cannot be decompressed is that page's own.
_NETWORK_ERRORS = (CannotResolveHostError, DownloadConnectionRefusedError, DownloadFailedError,
                   DownloadTimeoutError, ResponseDataLossError, ConnectError, ConnectionDone,
                   ConnectionLost)


_NETWORK_ERROR_NAMES = frozenset(error.__name__ for error in _NETWORK_ERRORS)


def shared_cause(failure: Failure) -> str | None:
    """What a page failed for when it is no fault of that page, so that every page asked
    then may fail so (WeChat unreachable, timing out, its servers failing): the kind of
    network error (a fetch node's too), or ``HTTP 502``; None for the page's own answer (a
    404, a redirect loop)."""
    if isinstance(failure.value, HttpError):
        status = failure.value.response.status
        return f"HTTP {status}" if status >= 500 else None
    if isinstance(failure.value, NotFetched):
        kind = str(failure.value).partition(":")[0]
        return kind if kind in _NETWORK_ERROR_NAMES else None
    return type(failure.value).__name__ if failure.check(*_NETWORK_ERRORS) else None


# Scrapy's words for a download it cancelled (logged by it at INFO: crawler/report/logs.py),
# and for one it dropped once decompressed
_OVER_MAXSIZE = re.compile(r"(\d+) bytes which is larger than download max size \((\d+)\)")
_DECOMPRESSED_OVER = re.compile(r"\((\d+) B compressed, \d+ B decompressed so far\) exceeded "
                                r"DOWNLOAD_MAXSIZE \((\d+) B\)")


def too_large(failure: Failure, max_size: int | None = None) -> str | None:
    """How a download dropped for ``DOWNLOAD_MAXSIZE`` (``max_size``, when known) was too
    large, in a user's words: ``N bytes, larger than DOWNLOAD_MAXSIZE (M)`` as sent, without
    its size as it came (its length unsaid: Scrapy's failure then has no message), or
    ``… once decompressed``; None for a failure of another kind."""
    message = failure.getErrorMessage()
    limit = f" ({max_size})" if max_size else ""
    if failure.check(DownloadCancelledError):  # Scrapy cancels a download only over DOWNLOAD_MAXSIZE
        sizes = _OVER_MAXSIZE.search(message)
        return f"{sizes[1]} bytes, larger than DOWNLOAD_MAXSIZE ({sizes[2]})" if sizes \
            else f"larger than DOWNLOAD_MAXSIZE{limit}"
    if failure.check(IgnoreRequest) and (sizes := _DECOMPRESSED_OVER.search(message)):
        return f"{sizes[1]} bytes sent, larger than DOWNLOAD_MAXSIZE ({sizes[2]}) once decompressed"
    return None


def failure_reason(failure: Failure) -> str:
    """A failed request in a few words: ``HTTP 404`` rather than Scrapy's generic message."""
    if isinstance(failure.value, HttpError):
        return f"HTTP {failure.value.response.status}"
    if over := too_large(failure):
        return f"{over}: raise it to archive the page"
    if failure.check(Undecodable):
        return failure.getErrorMessage()
    message = failure.getErrorMessage().removesuffix(".")  # Twisted's end in one: "…refused."
    name = type(failure.value).__name__
    return f"{name}: {message}" if message and name not in message else message or name

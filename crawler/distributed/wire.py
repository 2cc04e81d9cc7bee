"""What travels through Redis: article requests to the nodes, raw pages back to the writer.

Both are data, never code (see ``frontier`` for the requests): a node or writer refuses
anything that is not of this format with ``WireError``. Only what the node needs travels:
the URL, the headers the writer would send, and the page's id; the writer keeps the rest
of its request (callbacks, source, account) in memory while it waits.

A page is one JSON line (format, page id, the URL asked, the final URL, status, headers,
the headers the node sent from ``SENT_HEADERS``, the node's name, or the reason it could
not fetch) followed by the body as it came, decoded by the node's
HttpCompressionMiddleware, the whole compressed: 2-4 MB of HTML is 5-10 times smaller,
through Redis twice.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import asdict, dataclass, field
from typing import Any

from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes

from crawler.distributed import frontier
from crawler.distributed.frontier import FORMAT, WireError, describe


class NotFetched(Exception):
    """A node could not fetch the page; the message is the node's reason (its retries done),
    as ``failure_reason`` words it there (``DownloadTimeoutError: …``), and the node's name."""

    # Not WeChat's doing, and every page asked may fail so: said at WARNING for the first
    # page it costs a run (``WeChatSpider.already_said``). None: the page's own reason.
    cause: str | None = None


class LostInRedis(NotFetched):
    """A page Redis lost (or a node handed back unreadable) each time the writer asked for
    it: Redis evicting, or nodes of another version, cost every page alike."""

    cause = "lost in Redis"


class NodeRefused(NotFetched):
    """A request the node's ``ARTICLE_HOSTS`` does not allow (``off_hosts``): the node's
    setting, not the page, refuses every page of those hosts it takes."""

    def __init__(self, why: str, node: str):
        super().__init__(why)
        self.cause = f"ARTICLE_HOSTS of fetch node {node}"


def off_hosts(url: str) -> str:
    """Why a page of ``url`` is not fetched, or not taken: its host is not an article host."""
    return f"its URL {url!r} is not on ARTICLE_HOSTS"


class JobStopped(IgnoreRequest):
    """A page not had because the writer stopped the job (every node blocked, none running,
    Redis lost, asked to stop): said once in a line of its own; left for the next run."""


class TooLarge(WireError):
    """A page beyond the writer's ``DOWNLOAD_MAXSIZE``: a node that allows more would fetch
    it again, as large, if asked again."""


# What a capture may say the node sent: the writer's headers and the node's own cookies
# and encodings, never its proxy's credentials or any other header it added.
SENT_HEADERS = (*frontier.HEADERS, "Accept-Encoding", "Cookie")
# Fast compression: the node's CPU is spare, the point is Redis's memory and network.
COMPRESSION = 1
# What a page's JSON line (its headers) may add to the largest body a download may have.
_HEAD_ROOM = 1 << 20


def frontier_entry(request: Request, page_id: str) -> bytes:
    """The article request as a node will read it from the frontier."""
    return frontier.dumps({"url": request.url, "method": request.method, "headers": request.headers,
                           "priority": request.priority,
                           "meta": {"page_id": page_id, "weak_link": request.meta.get("weak_link")}})


def frontier_score(request: Request) -> float:
    """scrapy-redis's PriorityQueue pops the lowest score first."""
    return -request.priority


# Header names and their values, as text (latin-1, the bytes as they were); JSON keeps
# a name's several values (Set-Cookie) where a list of pairs made into Headers would not.
HeaderLists = dict[str, list[str]]


@dataclass(frozen=True)
class Page:
    """What a node hands back for one request: the response, or why there is none.
    ``asked`` is the URL of the request as taken, ``url`` the page's after redirects."""

    node: str
    page_id: str
    asked: str
    url: str = ""
    status: int = 0
    headers: HeaderLists = field(default_factory=dict)
    request_headers: HeaderLists = field(default_factory=dict)
    body: bytes = b""
    failure: str = ""

    @classmethod
    def from_response(cls, response: Response, node: str, page_id: str, asked: str) -> Page:
        sent = response.request.headers if response.request else Headers()
        return cls(node, page_id, asked, response.url, response.status, _as_text(response.headers),
                   {name: values for name, values in _as_text(sent).items()
                    if name.lower() in _SENT}, response.body)

    def to_bytes(self) -> bytes:
        head = {"v": FORMAT, **asdict(self)}
        del head["body"]
        return zlib.compress(json.dumps(head, ensure_ascii=False).encode() + b"\n" + self.body,
                             COMPRESSION)

    @classmethod
    def from_bytes(cls, data: bytes, max_size: int = 0) -> Page:
        """The page handed back; ``WireError`` for anything else, or for one that would
        decompress beyond ``max_size`` bytes of body (0: no limit), left undecompressed."""
        try:
            head, _, body = _decompressed(data, max_size).partition(b"\n")
            if max_size and len(body) > max_size:
                raise _too_large(data, max_size)
            fields = json.loads(head)
        except WireError:
            raise
        except (zlib.error, UnicodeDecodeError, ValueError):
            raise WireError(f"not a page of format {FORMAT}: {describe(data)}") from None
        if not isinstance(fields, dict) or fields.pop("v", None) != FORMAT or set(fields) != _PAGE_FIELDS \
                or not all(isinstance(fields[name], kind) for name, kind in _PAGE_TYPES.items()) \
                or not all(_header_lists(fields[name]) for name in ("headers", "request_headers")):
            raise WireError(f"not a page of format {FORMAT}: {describe(head)}")
        return cls(**fields, body=body)

    def response(self, request: Request) -> Response:
        """The page as the writer's own download would have given it: the class Scrapy
        picks for these headers, and the writer's request (its meta, its callbacks)."""
        headers = _as_bytes(self.headers)
        cls = responsetypes.from_args(headers=headers, url=self.url, body=self.body)
        return cls(url=self.url, status=self.status, headers=headers, body=self.body,
                   request=request, flags=[f"node {self.node}"])

    def sent_headers(self) -> Headers:
        """The request's headers as the node sent them (with its own Accept-Encoding, cookies)."""
        return _as_bytes({name: values for name, values in self.request_headers.items()
                          if name.lower() in _SENT})


_SENT = {name.lower() for name in SENT_HEADERS}
_PAGE_TYPES: dict[str, type | tuple[type, ...]] = {
    "node": str, "page_id": str, "asked": str, "url": str, "status": int, "headers": dict,
    "request_headers": dict, "failure": str}
_PAGE_FIELDS = set(_PAGE_TYPES)


def _decompressed(data: bytes, max_size: int) -> bytes:
    if not max_size:
        return zlib.decompress(data)
    limit = max_size + _HEAD_ROOM
    inflater = zlib.decompressobj()
    whole = inflater.decompress(data, limit + 1)
    if len(whole) > limit:
        raise _too_large(data, max_size)
    if not inflater.eof:
        raise zlib.error("incomplete or truncated stream")
    return whole


def _too_large(data: bytes, max_size: int) -> TooLarge:
    return TooLarge(f"a page beyond {max_size} bytes decompressed (DOWNLOAD_MAXSIZE): {describe(data)}")


def _header_lists(value: dict[Any, Any]) -> bool:
    return all(_latin1(name) and isinstance(values, list) and all(_latin1(one) for one in values)
               for name, values in value.items())


def _latin1(value: Any) -> bool:
    """Text that is header bytes as ``_as_text`` writes them."""
    if not isinstance(value, str):
        return False
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


def _as_text(headers: Headers) -> HeaderLists:
    return {name.decode("latin-1"): [value.decode("latin-1") for value in values]
            for name, values in headers.items()}


def _as_bytes(headers: HeaderLists) -> Headers:
    return Headers({name: [value.encode("latin-1") for value in values]
                    for name, values in headers.items()})

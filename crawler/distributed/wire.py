"""What travels through Redis: article requests to the nodes, raw pages back to the writer.

A request on the frontier is what scrapy-redis's queues hold: a request dict, pickled
(``scrapy_redis.picklecompat``), read back on the node by ``request_from_dict`` with the
fetch spider's callbacks named. Only what the node needs travels: the URL, the headers the
writer would send, the page's id, and the meta that makes the node's BlockMiddleware treat
it as an article page (its slot, its blocks, redirects on article hosts only); the writer
keeps the rest of its request (callbacks, source, account) in memory while it waits.

A page is one JSON line (URL, status, headers, the headers the node sent, the node's name,
or the reason it could not fetch) followed by the body as it came, decoded by the node's
HttpCompressionMiddleware: 2-4 MB of bytes that JSON or pickle would only copy.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from scrapy import Request
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes
from scrapy_redis import picklecompat

# The fetch spider's methods that take a page and a failure (see crawler/spiders/fetch.py).
CALLBACK = "hand_back"
ERRBACK = "fetch_failed"


def frontier_entry(request: Request, page_id: str) -> bytes:
    """The article request as a node will read it from scrapy-redis's queue."""
    entry: bytes = picklecompat.dumps({
        "url": request.url,
        "headers": dict(request.headers),
        "meta": {"article": True, "page_id": page_id,
                 **({"weak_link": True} if request.meta.get("weak_link") else {})},
        "priority": request.priority,
        "callback": CALLBACK,
        "errback": ERRBACK,
    })
    return entry


def frontier_score(request: Request) -> float:
    """scrapy-redis's PriorityQueue pops the lowest score first."""
    return -request.priority


# Header names and their values, as text (latin-1, the bytes as they were); JSON keeps
# a name's several values (Set-Cookie) where a list of pairs made into Headers would not.
HeaderLists = dict[str, list[str]]


@dataclass(frozen=True)
class Page:
    """What a node hands back for one request: the response, or why there is none."""

    node: str
    url: str = ""
    status: int = 0
    headers: HeaderLists = field(default_factory=dict)
    request_headers: HeaderLists = field(default_factory=dict)
    body: bytes = b""
    failure: str = ""

    @classmethod
    def from_response(cls, response: Response, node: str) -> Page:
        return cls(node, response.url, response.status, _as_text(response.headers),
                   _as_text(response.request.headers) if response.request else {}, response.body)

    def to_bytes(self) -> bytes:
        head = {"node": self.node, "url": self.url, "status": self.status, "headers": self.headers,
                "request_headers": self.request_headers, "failure": self.failure}
        return json.dumps(head, ensure_ascii=False).encode() + b"\n" + self.body

    @classmethod
    def from_bytes(cls, data: bytes) -> Page:
        head, _, body = data.partition(b"\n")
        fields = json.loads(head)
        return cls(fields["node"], fields["url"], fields["status"], fields["headers"],
                   fields["request_headers"], body, fields["failure"])

    def response(self, request: Request) -> Response:
        """The page as the writer's own download would have given it: the class Scrapy
        picks for these headers, and the writer's request (its meta, its callbacks)."""
        headers = _as_bytes(self.headers)
        cls = responsetypes.from_args(headers=headers, url=self.url, body=self.body)
        return cls(url=self.url, status=self.status, headers=headers, body=self.body,
                   request=request, flags=[f"node {self.node}"])

    def sent_headers(self) -> Headers:
        """The request's headers as the node sent them (with its own Accept-Encoding, cookies)."""
        return _as_bytes(self.request_headers)


def _as_text(headers: Headers) -> HeaderLists:
    return {name.decode("latin-1"): [value.decode("latin-1") for value in values]
            for name, values in headers.items()}


def _as_bytes(headers: HeaderLists) -> Headers:
    return Headers({name: [value.encode("latin-1") for value in values]
                    for name, values in headers.items()})

"""The frontier's serializer: scrapy-redis's hook for how its queues store a request
(a module with ``dumps`` and ``loads``; the node's scheduler is given this one instead of
scrapy-redis's default, pickle).

An entry is data, never code: one JSON object with a format version, the URL, the method,
the headers in ``HEADERS`` and the page's id. Anything else (a pickle, an older or newer
format, a request carrying other headers or a body) is refused with ``WireError``, so that
write access to Redis is not a way to run code on every node. The callbacks a node runs
are its own (``CALLBACK``, ``ERRBACK``), named here, never read from Redis.
"""

from __future__ import annotations

import json
from typing import Any

FORMAT = 1
# The headers a writer's article request carries to the node: those the writer's own
# download would send and that do not belong to the machine (no cookie, proxy or auth).
HEADERS = ("Accept", "Accept-Language", "Referer", "User-Agent")
# The fetch spider's methods that take a page and a failure (see crawler/spiders/fetch.py).
CALLBACK = "hand_back"
ERRBACK = "fetch_failed"
_FIELDS = {"v", "url", "method", "headers", "page_id", "priority", "weak_link"}


class WireError(ValueError):
    """What came through Redis is not what a writer or node of this version sends."""


def dumps(request: dict[str, Any]) -> bytes:
    """A request dict (``Request.to_dict``) as a frontier entry. Only the headers in
    ``HEADERS`` are kept; the same request always gives the same bytes."""
    meta = request.get("meta") or {}
    entry = {
        "v": FORMAT,
        "url": request["url"],
        "method": request.get("method", "GET"),
        "headers": {name: _first(request.get("headers") or {}, name) for name in HEADERS
                    if _first(request.get("headers") or {}, name)},
        "page_id": meta["page_id"],
        "priority": request.get("priority", 0),
        "weak_link": bool(meta.get("weak_link")),
    }
    return json.dumps(entry, sort_keys=True, ensure_ascii=False).encode()


def loads(data: bytes) -> dict[str, Any]:
    """The request dict of a frontier entry, for ``request_from_dict`` with the fetch
    spider; ``WireError`` for anything that is not an entry of this format."""
    try:
        entry = json.loads(data)
    except (UnicodeDecodeError, ValueError):
        raise WireError(f"not a frontier entry (not JSON): {describe(data)}") from None
    if not isinstance(entry, dict) or entry.get("v") != FORMAT or set(entry) != _FIELDS:
        raise WireError(f"not a frontier entry of format {FORMAT}: {describe(data)}")
    headers = entry["headers"]
    if not (isinstance(entry["url"], str) and entry["url"].startswith(("http://", "https://"))
            and entry["method"] == "GET" and isinstance(entry["page_id"], str)
            and isinstance(entry["priority"], int) and isinstance(entry["weak_link"], bool)
            and isinstance(headers, dict) and set(headers) <= set(HEADERS)
            and all(isinstance(value, str) for value in headers.values())):
        raise WireError(f"a frontier entry with fields out of bounds: {describe(data)}")
    return {
        "url": entry["url"],
        "method": "GET",
        "headers": headers,
        "meta": {"article": True, "page_id": entry["page_id"],
                 **({"weak_link": True} if entry["weak_link"] else {})},
        "priority": entry["priority"],
        "callback": CALLBACK,
        "errback": ERRBACK,
    }


def describe(data: bytes, limit: int = 60) -> str:
    """The start of what was read, printable on one log line."""
    shown = repr(data[:limit])
    return shown + (f"… ({len(data)} bytes)" if len(data) > limit else "")


def _first(headers: dict[Any, Any], name: str) -> str:
    """A header's first value as text, from Scrapy's headers (bytes, lists) or text ones."""
    for key, values in headers.items():
        key = key.decode("latin-1") if isinstance(key, bytes) else str(key)
        if key.lower() == name.lower():
            value = values[0] if isinstance(values, (list, tuple)) and values else values
            return value.decode("latin-1") if isinstance(value, bytes) else str(value or "")
    return ""

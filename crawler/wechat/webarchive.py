"""A Safari ``.webarchive`` → the page's HTML as served, and the pictures it holds.

Safari's "Save As… Web Archive" writes a property list (binary, ``bplist00``): the page
in ``WebMainResource`` (its bytes as the server sent them, their charset and the URL
they came from), each picture and script it loaded in ``WebSubresources``. Pure: reads
the bytes it is given.
"""

from __future__ import annotations

import plistlib
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MAGIC = b"bplist00"
_PAGE_TYPES = ("text/html", "application/xhtml+xml")
# Objects a web archive may hold: a page and its few hundred pictures, scripts and styles are
# a few thousand. Python's reader makes a list as long as the count the file's trailer
# claims, 8 bytes an object: a 32 MB file of one-byte objects took half a gigabyte.
MOST_OBJECTS = 200_000
_TRAILER = struct.Struct(">6xBBQQQ")  # offset size, reference size, objects, top, table offset


class WebArchiveError(ValueError):
    """A property list that holds no page as Safari saves one; the message says why."""


@dataclass(frozen=True)
class WebArchive:
    html: bytes  # the page's bytes, in ``charset``
    charset: str  # WebResourceTextEncodingName, as Safari names it ("UTF-8", "GBK"); or ""
    url: str  # WebResourceURL: where the page was loaded from; or ""
    images: Mapping[str, bytes]  # each image subresource, by its URL as loaded


def read_webarchive(raw: bytes) -> WebArchive:
    """The page a web archive's bytes hold. A property list that does not read back, or
    whose main resource holds no bytes, is a ``WebArchiveError``."""
    if len(raw) >= _TRAILER.size:
        objects = _TRAILER.unpack(raw[-_TRAILER.size:])[2]
        # more than the file has bytes: a file cut short, its trailer not one
        if MOST_OBJECTS < objects <= len(raw):
            raise WebArchiveError(f"its property list holds {objects:,} objects, more than a saved "
                                  f"page does ({MOST_OBJECTS:,})")
    try:
        archive = plistlib.loads(raw)
    # a damaged binary plist fails in whatever its offsets lead the reader into
    except (ValueError, TypeError, KeyError, IndexError, OverflowError, RecursionError):
        raise WebArchiveError("its property list is damaged and cannot be read") from None
    main = _resource(archive.get("WebMainResource") if isinstance(archive, dict) else None)
    if main is None:
        raise WebArchiveError("it holds no page (no WebMainResource)")
    kind = _text(main, "WebResourceMIMEType").lower()
    if kind and kind not in _PAGE_TYPES:  # Safari keeps a PDF or a picture it showed so too
        raise WebArchiveError(f"it holds {kind}, not a page")
    subresources = archive.get("WebSubresources")
    images = {}
    for item in subresources if isinstance(subresources, list) else ():
        resource = _resource(item)
        if resource and str(resource.get("WebResourceMIMEType", "")).lower().startswith("image/"):
            images[resource["WebResourceURL"]] = resource["WebResourceData"]
    return WebArchive(main["WebResourceData"], _text(main, "WebResourceTextEncodingName"),
                      _text(main, "WebResourceURL"), images)


def _resource(item: Any) -> dict[str, Any] | None:
    """``item`` if it is a resource of bytes; else None."""
    if isinstance(item, dict) and isinstance(item.get("WebResourceData"), bytes):
        return {**item, "WebResourceURL": _text(item, "WebResourceURL")}
    return None


def _text(resource: Mapping[str, Any], key: str) -> str:
    value = resource.get(key)
    return value.strip() if isinstance(value, str) else ""

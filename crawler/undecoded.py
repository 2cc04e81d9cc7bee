"""Answers sent in a ``Content-Encoding`` that Scrapy cannot decode: refused in one line.

HttpCompressionMiddleware passes such an answer on as it came, with a WARNING of its own:
a page's bytes were then parsed, and kept as a capture, as if decoded, and a picture's
checked as one, each failing in a line of ours beside Scrapy's.
"""

from __future__ import annotations

from scrapy import Request
from scrapy.downloadermiddlewares.httpcompression import ACCEPTED_ENCODINGS
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

# ``identity`` is no encoding at all; the rest is what HttpCompressionMiddleware decodes.
_NONE = frozenset({b"", b"identity"})
_READABLE = frozenset({*ACCEPTED_ENCODINGS, b"x-gzip"}) | _NONE


class Undecodable(IgnoreRequest):
    """An answer in an encoding that cannot be decoded; the message says which."""


class EncodingCheck:
    """Placed before HttpCompressionMiddleware in the answer's way: an answer in an encoding it
    cannot decode is ``Undecodable`` (a page's errback, a picture's ``media_failed`` say it),
    one saying ``identity`` goes on without it."""

    def process_response(self, request: Request, response: Response) -> Response:
        said = response.headers.getlist("Content-Encoding")
        encodings = [name.strip().lower() for value in said for name in value.split(b",")]
        if unknown := [name for name in encodings if name not in _READABLE]:
            raise Undecodable("sent in an encoding that cannot be decoded (Content-Encoding: "
                              f"{b', '.join(unknown).decode('latin-1')})")
        if said and any(name in _NONE for name in encodings):
            headers = response.headers.copy()
            if kept := [name for name in encodings if name not in _NONE]:
                headers["Content-Encoding"] = b", ".join(kept)
            else:
                del headers["Content-Encoding"]
            return response.replace(headers=headers)
        return response

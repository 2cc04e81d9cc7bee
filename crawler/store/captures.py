"""Raw captures: every article page as WeChat sent it, in WARC files under ``.state/warc/``.

One gzip WARC file per day (UTC). Each capture, a request and response record pair (or a
resource record for an imported page), is encoded in memory, each record its own gzip
member at level 6 (level 9 costs 2.5 times the CPU for 1 % less), and appended
with one ``write`` and an ``fsync``; a reader skips a record torn by a crash at the end.
Bodies are stored decoded (Scrapy has already undone the transfer and content encodings),
so the encoding headers are left out to keep each record self-consistent.
"""

from __future__ import annotations

import base64
import hashlib
import os
import uuid
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from http import HTTPStatus
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

_DROPPED_HEADERS = {"content-encoding", "transfer-encoding", "content-length"}


@dataclass(frozen=True)
class Capture:
    url: str
    fetched_at: datetime
    body: bytes
    file: Path
    offset: int


class CaptureStore:
    def __init__(self, folder: Path):
        self.folder = folder

    def add_response(self, url: str, request_headers: list[tuple[str, str]], status: int,
                     response_headers: list[tuple[str, str]], body: bytes,
                     fetched_at: datetime | None = None) -> None:
        """Keep one fetched page with the request that asked for it."""
        fetched_at = fetched_at or datetime.now(timezone.utc)
        target = urlsplit(url)
        request_line = f"GET {target.path or '/'}{'?' + target.query if target.query else ''} HTTP/1.1"
        kept = [(k, v) for k, v in response_headers if k.lower() not in _DROPPED_HEADERS]
        response_head = _http_head(f"HTTP/1.1 {status} {_reason(status)}", kept)
        request_head = _http_head(request_line, request_headers)
        response_id = _record_id()
        self._append(fetched_at, _record(
            "response", url, fetched_at, "application/http; msgtype=response", response_head, body,
            record_id=response_id,
        ) + _record(
            "request", url, fetched_at, "application/http; msgtype=request", request_head, b"",
            concurrent_to=response_id))

    def add_resource(self, url: str, body: bytes, fetched_at: datetime | None = None) -> None:
        """Keep a page that came from elsewhere (an imported file) under its article URL."""
        fetched_at = fetched_at or datetime.now(timezone.utc)
        self._append(fetched_at, _record("resource", url, fetched_at, "text/html", b"", body))

    def captures(self) -> Iterator[Capture]:
        """Every stored page, file by file, oldest file first."""
        for path in sorted(self.folder.glob("*.warc.gz")):
            yield from _read(path)

    def _append(self, fetched_at: datetime, data: bytes) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"captures-{fetched_at.astimezone(timezone.utc):%Y-%m-%d}.warc.gz"
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)


def read_capture(path: Path, offset: int) -> Capture:
    """The capture at ``offset`` of ``path`` (as ``Capture.offset`` gave it)."""
    with path.open("rb") as stream:
        stream.seek(offset)
        for capture in _records(stream, path, offset):
            return capture
    raise ValueError(f"no capture at {path}:{offset}")


def _read(path: Path) -> Iterator[Capture]:
    with path.open("rb") as stream:
        yield from _records(stream, path, 0)


def _records(stream: object, path: Path, base: int) -> Iterator[Capture]:
    records = ArchiveIterator(stream)
    try:
        for record in records:
            if record.rec_type not in ("response", "resource"):
                continue
            if record.rec_type == "response" and record.http_headers.get_statuscode() != "200":
                continue
            yield Capture(url=record.rec_headers.get_header("WARC-Target-URI"),
                          fetched_at=datetime.fromisoformat(
                              record.rec_headers.get_header("WARC-Date").replace("Z", "+00:00")),
                          body=record.content_stream().read(), file=path,
                          offset=base + records.get_record_offset())
    except (ArchiveLoadFailed, EOFError, OSError, ValueError):
        return  # a record torn by a crash ends the file


def _record(warc_type: str, url: str, fetched_at: datetime, content_type: str, head: bytes,
            payload: bytes, *, record_id: str = "", concurrent_to: str = "") -> bytes:
    """One WARC record (its block: ``head`` then ``payload``) as its own gzip member.

    Framed here rather than by warcio's writer, which copies the body 16 KB at a time
    into a buffer and hashes it chunk by chunk: each chunk hands the GIL back and forth
    with the crawl's thread, and the copies double the memory a capture takes. Here the
    body is hashed and compressed in one call each, which run without the GIL.
    """
    fields = [("WARC-Type", warc_type), ("WARC-Record-ID", record_id or _record_id()),
              ("WARC-Date", _warc_date(fetched_at)), ("WARC-Target-URI", url)]
    if concurrent_to:
        fields.append(("WARC-Concurrent-To", concurrent_to))
    if warc_type != "request":
        fields.append(("WARC-Payload-Digest", _sha1(payload)))
    fields += [("WARC-Block-Digest", _sha1(head, payload)), ("Content-Type", content_type),
               ("Content-Length", str(len(head) + len(payload)))]
    warc_head = "WARC/1.0\r\n" + "".join(f"{name}: {value}\r\n" for name, value in fields) + "\r\n"
    compressor = zlib.compressobj(6, zlib.DEFLATED, zlib.MAX_WBITS + 16)
    return b"".join((compressor.compress(warc_head.encode("utf-8")), compressor.compress(head),
                     compressor.compress(payload), compressor.compress(b"\r\n\r\n"),
                     compressor.flush()))


def _http_head(first_line: str, headers: list[tuple[str, str]]) -> bytes:
    """The HTTP head as it went over the wire: headers are Latin-1 there, any byte allowed."""
    lines = [first_line, *(f"{name}: {value}" for name, value in headers), "", ""]
    return "\r\n".join(lines).encode("latin-1", "replace")


def _record_id() -> str:
    return f"<urn:uuid:{uuid.uuid4()}>"


def _sha1(*parts: bytes) -> str:
    digest = hashlib.sha1()
    for part in parts:
        digest.update(part)
    return "sha1:" + base64.b32encode(digest.digest()).decode("ascii")


def _warc_date(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"

"""Raw captures: every article page as WeChat sent it, in WARC files under ``.state/warc/``.

One gzip WARC file per day (UTC). Each capture, a request and response record pair (or a
resource record for an imported page), is encoded in memory, each record its own gzip
member at level 6 (warcio's level 9 costs 2.5 times the CPU for 1 % less), and appended
with one ``write`` and an ``fsync``; a reader skips a record torn by a crash at the end.
Bodies are stored decoded (Scrapy has already undone the transfer and content encodings),
so the encoding headers are left out to keep each record self-consistent.
"""

from __future__ import annotations

import base64
import hashlib
import os
import zlib
from collections.abc import Iterator
from http import HTTPStatus
from dataclasses import dataclass
from datetime import datetime, timezone
from io import BytesIO
from pathlib import Path
from urllib.parse import urlsplit

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

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
        writer = WARCWriter(BytesIO(), gzip=False)
        date = {"WARC-Date": _warc_date(fetched_at)}
        target = urlsplit(url)
        request_line = f"GET {target.path or '/'}{'?' + target.query if target.query else ''} HTTP/1.1"
        kept = [(k, v) for k, v in response_headers if k.lower() not in _DROPPED_HEADERS]
        http_headers = StatusAndHeaders(f"{status} {_reason(status)}", kept, protocol="HTTP/1.1")
        http_headers.compute_headers_buffer()
        response = writer.create_warc_record(
            url, "response", payload=BytesIO(body), length=len(body),
            warc_headers_dict={**date, **_digests(http_headers.headers_buff, body)},
            http_headers=http_headers)
        request = writer.create_warc_record(
            url, "request", warc_headers_dict=dict(date),
            http_headers=StatusAndHeaders(request_line, request_headers, is_http_request=True))
        request.rec_headers.add_header("WARC-Concurrent-To",
                                       response.rec_headers.get_header("WARC-Record-ID"))
        self._append(fetched_at, _gzipped(response) + _gzipped(request))

    def add_resource(self, url: str, body: bytes, fetched_at: datetime | None = None) -> None:
        """Keep a page that came from elsewhere (an imported file) under its article URL."""
        fetched_at = fetched_at or datetime.now(timezone.utc)
        record = WARCWriter(BytesIO(), gzip=False).create_warc_record(
            url, "resource", payload=BytesIO(body), length=len(body), warc_content_type="text/html",
            warc_headers_dict={"WARC-Date": _warc_date(fetched_at), **_digests(b"", body)})
        self._append(fetched_at, _gzipped(record))

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


def _gzipped(record: ArcWarcRecord) -> bytes:
    """One record as its own gzip member, as the WARC standard has it."""
    plain = BytesIO()
    WARCWriter(plain, gzip=False).write_record(record)
    compressor = zlib.compressobj(6, zlib.DEFLATED, zlib.MAX_WBITS + 16)
    return compressor.compress(plain.getvalue()) + compressor.flush()


def _digests(head: bytes, payload: bytes) -> dict[str, str]:
    """The record's digests, each hashed in one call.

    warcio would hash the payload 16 KB at a time, once for each digest; every chunk hands
    the GIL back and forth with the crawl's thread, which then stalls more than the hashing
    costs. With both digests given and the length known, warcio does not hash at all and
    does not spool the body to a temporary file.
    """
    return {"WARC-Payload-Digest": _sha1(payload), "WARC-Block-Digest": _sha1(head, payload)}


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

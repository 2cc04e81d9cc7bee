"""Capture files at the level of bytes: WARC records framed as gzip members, and read back.

A capture file is a series of gzip members, each one WARC record (``record``). Reading
goes member by member (``members``), so that a damaged stretch is skipped rather than
ending the file, and ``sound_end`` finds where the last whole record ends, to cut off a
record torn by a crash before anything is appended after it.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from http import HTTPStatus
from io import BytesIO
from pathlib import Path
from typing import BinaryIO

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.recordloader import ArcWarcRecord

from crawler.reading import open_regular

_MAGIC = b"\x1f\x8b\x08"
_CHUNK = 1 << 20
_TAIL = 64 << 20  # where to look back for the last whole record: more than any one capture
# zlib's level for captures: over the shared 2-4 MB pages, 3 takes half the CPU of the
# default 6 (19 against 41 ms a page) for captures 12 % larger; it is most of an article's
# CPU after parsing (benchmarks/run.py, README "Performance").
_LEVEL = 3


def members(path: Path) -> Iterator[tuple[int, bytes | None]]:
    """(offset, record) for each gzip member of ``path``; the record is None for a damaged
    stretch, after which reading goes on at the next whole record. A file the disk cannot
    read from some offset on (an I/O error, a folder of that name) is damaged from there."""
    offset = 0
    try:
        size = path.stat().st_size
        with open_regular(path) as stream:
            while offset < size:
                found = member_at(stream, offset)
                if found is not None:
                    yield offset, found[0]
                    offset += found[1]
                    continue
                yield offset, None
                offset = _next_member(stream, offset + 1)
    except OSError:
        yield offset, None


def member_at(stream: BinaryIO, offset: int) -> tuple[bytes, int] | None:
    """The WARC record of the whole gzip member at ``offset`` and the member's length."""
    stream.seek(offset)
    decompressor, parts, read = zlib.decompressobj(zlib.MAX_WBITS + 16), [], 0
    while not decompressor.eof:
        chunk = stream.read(_CHUNK)
        if not chunk:
            return None
        try:
            parts.append(decompressor.decompress(chunk))
        except zlib.error:
            return None
        read += len(chunk)
    record = b"".join(parts)
    return (record, read - len(decompressor.unused_data)) if record.startswith(b"WARC/") else None


def _next_member(stream: BinaryIO, offset: int) -> int:
    """Where the next whole record starts at or after ``offset`` (the file's end if none)."""
    while True:
        stream.seek(offset)
        chunk = stream.read(_CHUNK + len(_MAGIC) - 1)
        if len(chunk) < len(_MAGIC):
            return offset + len(chunk)
        at = chunk.find(_MAGIC)
        if at < 0:
            offset += len(chunk) - len(_MAGIC) + 1
        elif member_at(stream, offset + at) is not None:
            return offset + at
        else:
            offset += at + 1


def sound_end(path: Path, size: int) -> int:
    """Where the last whole record of ``path`` ends (``size`` when none is torn).

    Looks back from the end for a gzip member that reads whole, then forward from it.
    """
    start = max(0, size - _TAIL)
    with path.open("rb") as stream:
        stream.seek(start)
        tail = stream.read()
        at = len(tail)
        while (at := tail.rfind(_MAGIC, 0, at)) >= 0:
            if (end := _walk(stream, start + at)) > start + at:
                return end
        return _walk(stream, 0) if start else 0


def _walk(stream: BinaryIO, offset: int) -> int:
    """The end of the whole records that follow one another from ``offset``."""
    while (found := member_at(stream, offset)) is not None:
        offset += found[1]
    return offset


def parsed(record: bytes) -> tuple[ArcWarcRecord, bytes] | None:
    """The record read by warcio, and its payload; None when it does not read whole: a
    body cut short (its payload digest differs; warcio does not check a body that ends
    early) is no page."""
    try:
        found = next(iter(ArchiveIterator(BytesIO(record))))
        body = found.content_stream().read()
    except (ArchiveLoadFailed, StopIteration, EOFError, OSError, ValueError):
        return None
    digest = found.rec_headers.get_header("WARC-Payload-Digest")
    if digest and digest != _sha1(body):
        return None
    return found, body


def record(warc_type: str, url: str, fetched_at: datetime, content_type: str, head: bytes,
            payload: bytes, *, record_id: str = "", concurrent_to: str = "") -> bytes:
    """One WARC record (its block: ``head`` then ``payload``) as its own gzip member.

    Framed here rather than by warcio's writer, which copies the body 16 KB at a time
    into a buffer and hashes it chunk by chunk: each chunk hands the GIL back and forth
    with the crawl's thread, and the copies double the memory a capture takes. Here the
    body is hashed and compressed in one call each, which run without the GIL.
    """
    fields = [("WARC-Type", warc_type), ("WARC-Record-ID", record_id or new_record_id()),
              ("WARC-Date", _warc_date(fetched_at)), ("WARC-Target-URI", url)]
    if concurrent_to:
        fields.append(("WARC-Concurrent-To", concurrent_to))
    if warc_type != "request":
        fields.append(("WARC-Payload-Digest", _sha1(payload)))
    fields += [("WARC-Block-Digest", _sha1(head, payload)), ("Content-Type", content_type),
               ("Content-Length", str(len(head) + len(payload)))]
    warc_head = "WARC/1.0\r\n" + "".join(f"{name}: {value}\r\n" for name, value in fields) + "\r\n"
    compressor = zlib.compressobj(_LEVEL, zlib.DEFLATED, zlib.MAX_WBITS + 16)
    return b"".join((compressor.compress(warc_head.encode("utf-8")), compressor.compress(head),
                     compressor.compress(payload), compressor.compress(b"\r\n\r\n"),
                     compressor.flush()))


def http_head(first_line: str, headers: list[tuple[str, str]]) -> bytes:
    """The HTTP head as it went over the wire: headers are Latin-1 there, any byte allowed."""
    lines = [first_line, *(f"{name}: {value}" for name, value in headers), "", ""]
    return "\r\n".join(lines).encode("latin-1", "replace")


def new_record_id() -> str:
    return f"<urn:uuid:{uuid.uuid4()}>"


def _sha1(*parts: bytes) -> str:
    digest = hashlib.sha1()
    for part in parts:
        digest.update(part)
    return "sha1:" + base64.b32encode(digest.digest()).decode("ascii")


def _warc_date(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"

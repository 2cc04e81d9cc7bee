"""Raw captures: every article page as WeChat sent it, in WARC files under ``.state/warc/``.

One gzip WARC file per day (UTC). Each capture, a request and response record pair (or a
resource record for an imported page), is encoded in memory (see ``warc``) and appended
whole or not at all, with an ``fsync``; a record torn by a crash is cut off before the
next append, and readers skip a damaged stretch instead of stopping at it.
Bodies are stored decoded (Scrapy has already undone the transfer and content encodings),
so the encoding headers are left out to keep each record self-consistent.
"""

from __future__ import annotations

import errno
import logging
import os
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from crawler.reading import open_regular
from crawler.store import warc
from crawler.store.files import made_in

logger = logging.getLogger(__name__)

_DROPPED_HEADERS = {"content-encoding", "transfer-encoding", "content-length"}


@dataclass(frozen=True)
class Capture:
    url: str
    fetched_at: datetime
    body: bytes
    file: Path
    offset: int


class CaptureError(OSError):
    """A capture that could not be written or read; the message says which and why."""


class CaptureStore:
    def __init__(self, folder: Path):
        self.folder = folder
        self._ends: dict[Path, int] = {}  # where this process's appends end, per file

    def add_response(self, url: str, request_headers: list[tuple[str, str]], status: int,
                     response_headers: list[tuple[str, str]], body: bytes,
                     fetched_at: datetime | None = None) -> None:
        """Keep one fetched page with the request that asked for it."""
        fetched_at = fetched_at or datetime.now(UTC)
        target = urlsplit(url)
        request_line = f"GET {target.path or '/'}{'?' + target.query if target.query else ''} HTTP/1.1"
        kept = [(k, v) for k, v in response_headers if k.lower() not in _DROPPED_HEADERS]
        response_head = warc.http_head(f"HTTP/1.1 {status} {warc.reason(status)}", kept)
        request_head = warc.http_head(request_line, request_headers)
        response_id = warc.new_record_id()
        self._append(fetched_at, warc.record(
            "response", url, fetched_at, "application/http; msgtype=response", response_head, body,
            record_id=response_id,
        ) + warc.record(
            "request", url, fetched_at, "application/http; msgtype=request", request_head, b"",
            concurrent_to=response_id))

    def add_resource(self, url: str, body: bytes, fetched_at: datetime | None = None,
                     place: Callable[[Path, int], None] | None = None) -> None:
        """Keep a page that came from elsewhere (an imported file) under its article URL;
        ``place``, if given, is told the file and offset it goes to before it is written,
        and what it raises leaves it unwritten."""
        fetched_at = fetched_at or datetime.now(UTC)
        self._append(fetched_at, warc.record("resource", url, fetched_at, "text/html", b"", body), place)

    def captures(self, files: Iterable[str] | None = None) -> Iterator[Capture]:
        """Every stored page, file by file, oldest file first (damaged stretches skipped);
        only those of the ``files`` named (``file_of``), when given, that exist."""
        paths = self._files() if files is None else sorted(
            path for name in set(files) if (path := self.folder / name).is_file())
        for path in paths:
            for offset, record in warc.members(path):
                capture = _capture(record, path, offset) if record is not None else None
                if capture is not None:
                    yield capture

    def damaged(self) -> Iterator[tuple[Path, int]]:
        """Where a stretch of a capture file cannot be read (file, offset)."""
        for path in self._files():
            for offset, record in warc.members(path):
                if record is None or warc.parsed(record) is None:
                    yield path, offset

    def _files(self) -> list[Path]:
        return sorted(self.folder.glob("*.warc.gz"))

    def _append(self, fetched_at: datetime, data: bytes,
                place: Callable[[Path, int], None] | None = None) -> None:
        """Append ``data`` whole, or not at all (``CaptureError``); ``place``, if given, told
        where first.

        A record torn by a crash is cut off before the first append to its file: left in
        place, it would hide every record written after it from readers.
        """
        path = self.folder / file_of(fetched_at)
        fd = made_in(self.folder, lambda: os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_NONBLOCK,
                                                  0o644))
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):  # a FIFO: its reading would wait for ever
                raise CaptureError(f"cannot write a capture to {path}: not a regular file")
            end = self._ends.get(path)
            if end is None:
                end = warc.sound_end(path, os.fstat(fd).st_size)
                if end < os.fstat(fd).st_size:
                    logger.warning("Cut off a torn capture at the end of %s (from byte %d)",
                                   path, end)
                    os.ftruncate(fd, end)
            if place is not None:
                place(path, end)
            try:
                _write_all(fd, data)
                os.fsync(fd)
            except OSError as error:
                self._ends.pop(path, None)  # should cutting it back fail: read again, cut off then
                os.ftruncate(fd, end)
                self._ends[path] = end
                raise CaptureError(f"cannot write a capture to {path}: {error}") from error
            self._ends[path] = end + len(data)
        finally:
            os.close(fd)


def file_of(fetched_at: datetime) -> str:
    """The name of the file the captures fetched at ``fetched_at`` go to: one a day (UTC)."""
    return f"captures-{fetched_at.astimezone(UTC):%Y-%m-%d}.warc.gz"


def read_capture(path: Path, offset: int) -> Capture:
    """The capture at ``offset`` of ``path`` (as ``Capture.offset`` gave it)."""
    try:
        with open_regular(path) as stream:
            found = warc.member_at(stream, offset)
    except OSError as error:
        raise CaptureError(f"no readable capture at {path}:{offset}: {error.strerror}") from None
    capture = _capture(found[0], path, offset) if found else None
    if capture is None:
        raise CaptureError(f"no readable capture at {path}:{offset}")
    return capture


def _write_all(fd: int, data: bytes) -> None:
    """``os.write`` until all of ``data`` is written: on a nearly full disk a write may be short."""
    rest = memoryview(data)
    while rest:
        written = os.write(fd, rest)
        if written == 0:
            raise OSError(errno.ENOSPC, "no byte could be written")
        rest = rest[written:]


def _capture(record: bytes, path: Path, offset: int) -> Capture | None:
    """The page a response or resource record holds; None for other records."""
    found = warc.parsed(record)
    if found is None or found[0].rec_type not in ("response", "resource"):
        return None
    parsed, body = found
    if parsed.rec_type == "response" and parsed.http_headers.get_statuscode() != "200":
        return None
    return Capture(url=parsed.rec_headers.get_header("WARC-Target-URI"),
                   fetched_at=datetime.fromisoformat(
                       parsed.rec_headers.get_header("WARC-Date").replace("Z", "+00:00")),
                   body=body, file=path, offset=offset)

"""Reading a file named from outside (by a person, or found in a folder) without hanging or
filling the memory: a regular file only, a text file up to a size. No dependency: the
parsers and the store both read through it."""

from __future__ import annotations

import codecs
import errno
import io
import os
import select
import stat
from pathlib import Path

# The largest list or accounts file read: far more than a person writes.
TEXT_FILE_LIMIT = 16 << 20
# Seconds a FIFO or a pipe may stay silent (no byte, no end) before it is given up: the
# program behind ``<(program)`` has that long between two writes.
SILENCE_LIMIT = 10.0


def read_text(path: Path, errors: str = "strict") -> str:
    """A text file a person writes (a list of links, the accounts file): UTF-8, Notepad's
    byte order mark left out, or UTF-16 after its byte order mark (Notepad's "Unicode");
    ``errors`` as ``bytes.decode`` takes it (``surrogateescape``: file names as they are).
    ``OSError`` for one larger than ``TEXT_FILE_LIMIT`` (a device, a file
    given by mistake), read no further: /dev/zero would fill the memory; and for a FIFO
    or a pipe silent for ``SILENCE_LIMIT`` seconds: one no program writes to would be
    waited on for ever."""
    data = _read_bounded(path)
    if len(data) > TEXT_FILE_LIMIT:
        raise OSError(errno.EFBIG, f"larger than {TEXT_FILE_LIMIT >> 20} MB, not a file a person writes")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    return data.decode("utf-8-sig", errors)


def not_utf8(error: UnicodeDecodeError) -> str:
    """What ``read_text`` refused in a file a person writes, as an editor finds it: the byte
    and its line (Python's message counts bytes from the start)."""
    line = error.object[:error.start].count(b"\n") + 1
    return f"is not UTF-8 (byte 0x{error.object[error.start]:02x} on line {line}): save it as UTF-8"


def _read_bounded(path: Path) -> bytes:
    """Up to ``TEXT_FILE_LIMIT + 1`` bytes of ``path``, each read only once ``poll`` says
    it will not wait: a FIFO opened without waiting reads as ended until a writer comes,
    and ``poll`` tells a writer's end from none come yet."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a FIFO's open waits for no writer
    try:
        poll = select.poll()
        poll.register(fd, select.POLLIN)
        silence = None if os.isatty(fd) else SILENCE_LIMIT * 1000  # a person types, Ctrl-D ends
        chunks: list[bytes] = []
        size = 0
        while size <= TEXT_FILE_LIMIT:
            if not poll.poll(silence):
                raise OSError(errno.ETIMEDOUT, f"nothing was written to it for {SILENCE_LIMIT:g} s: "
                                               "a FIFO or a pipe no program writes to")
            try:
                chunk = os.read(fd, TEXT_FILE_LIMIT + 1 - size)
            except BlockingIOError:  # another reader of the same pipe took what woke us
                continue
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def open_regular(path: Path) -> io.BufferedReader:
    """``path`` opened to read, if it is a regular file; ``OSError`` for a FIFO or a device
    (named as one of the archive's files, or as a page to import), whose reading would wait
    for a writer for ever, or never end (a link to /dev/zero)."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a FIFO's open waits for no writer
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError(errno.EINVAL, "not a regular file")
    return os.fdopen(fd, "rb")

"""Reading a file named from outside (by a person, or found in a folder) without hanging or
filling the memory: a regular file only, a text file up to a size. No dependency: the
parsers and the store both read through it."""

from __future__ import annotations

import codecs
import errno
import io
import os
import stat
from pathlib import Path

# The largest list or accounts file read: far more than a person writes.
TEXT_FILE_LIMIT = 16 << 20


def read_text(path: Path) -> str:
    """A text file a person writes (a list of links, the accounts file): UTF-8, Notepad's
    byte order mark left out, or UTF-16 after its byte order mark (Notepad's "Unicode").
    ``OSError`` for one larger than ``TEXT_FILE_LIMIT`` (a device, a file
    given by mistake), read no further: /dev/zero would fill the memory."""
    with path.open("rb") as file:
        data = file.read(TEXT_FILE_LIMIT + 1)
    if len(data) > TEXT_FILE_LIMIT:
        raise OSError(errno.EFBIG, f"larger than {TEXT_FILE_LIMIT >> 20} MB, not a file a person writes")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    return data.decode("utf-8-sig")


def open_regular(path: Path) -> io.BufferedReader:
    """``path`` opened to read, if it is a regular file; ``OSError`` for a FIFO or a device
    (named as one of the archive's files, or as a page to import), whose reading would wait
    for a writer for ever, or never end (a link to /dev/zero)."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a FIFO's open waits for no writer
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError(errno.EINVAL, "not a regular file")
    return os.fdopen(fd, "rb")

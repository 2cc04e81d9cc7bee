"""Reading a file a person names (``crawler.reading.read_text``) through a FIFO or a pipe:
what a writer sends is read, however it paces it; a FIFO no program writes to is given up
after ``SILENCE_LIMIT`` seconds of silence, never waited on for ever."""

from __future__ import annotations

import errno
import os
import threading
import time
from pathlib import Path

import pytest

from crawler import reading
from crawler.reading import read_text

SHORT_SILENCE = 0.5


@pytest.fixture
def fifo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(reading, "SILENCE_LIMIT", SHORT_SILENCE)
    path = tmp_path / "fifo"
    os.mkfifo(path)
    return path


def writer(path: Path, *parts: bytes, pause: float = 0.0, linger: float = 0.0) -> threading.Thread:
    """A thread that opens ``path`` to write, sends ``parts`` ``pause`` seconds apart, then
    keeps it open ``linger`` seconds before closing it."""
    def write() -> None:
        with path.open("wb", buffering=0) as file:
            for number, part in enumerate(parts):
                if number:
                    time.sleep(pause)
                file.write(part)
            time.sleep(linger)
    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    return thread


def test_a_fifo_no_program_writes_to_is_given_up_after_the_silence_limit(fifo: Path) -> None:
    started = time.monotonic()
    with pytest.raises(OSError) as refused:
        read_text(fifo)
    waited = time.monotonic() - started
    assert refused.value.errno == errno.ETIMEDOUT
    assert refused.value.strerror == (f"nothing was written to it for {SHORT_SILENCE:g} s: a FIFO "
                                      "or a pipe no program writes to")
    assert SHORT_SILENCE <= waited < SHORT_SILENCE + 5


def test_a_writer_that_opens_and_falls_silent_is_given_up_too(fifo: Path) -> None:
    """What it sent before is not taken for the whole file."""
    thread = writer(fifo, b"https://mp.weixin.qq.com/s/First\n", linger=SHORT_SILENCE * 4)
    with pytest.raises(OSError) as refused:
        read_text(fifo)
    assert refused.value.errno == errno.ETIMEDOUT
    thread.join()


def test_a_writer_pausing_less_than_the_limit_is_read_whole(fifo: Path) -> None:
    """The limit is on silence, not on the whole reading: a slow program is waited for."""
    parts = [b"\xef\xbb\xbffirst\n", b"second\n", "第三\n".encode()]
    thread = writer(fifo, *parts, pause=SHORT_SILENCE * 0.6)
    assert read_text(fifo) == "first\nsecond\n第三\n"
    thread.join()


def test_a_writer_that_sends_nothing_is_an_empty_file(fifo: Path) -> None:
    thread = writer(fifo)
    assert read_text(fifo) == ""
    thread.join()


def test_a_pipe_is_read_as_process_substitution_hands_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """``<(cat file)`` names the read end of a pipe: ``/dev/fd/N``."""
    monkeypatch.setattr(reading, "SILENCE_LIMIT", SHORT_SILENCE)
    read_end, write_end = os.pipe()
    try:
        os.write(write_end, "一\n二\n".encode())
        os.close(write_end)
        assert read_text(Path(f"/dev/fd/{read_end}")) == "一\n二\n"
    finally:
        os.close(read_end)


def test_a_terminal_is_waited_on_as_a_person_types(monkeypatch: pytest.MonkeyPatch) -> None:
    """``-a urls_file=/dev/stdin`` at a terminal: a person pasting links, then Ctrl-D, is
    not a program that never writes, however long they pause."""
    monkeypatch.setattr(reading, "SILENCE_LIMIT", SHORT_SILENCE)
    master, terminal = os.openpty()

    def type_slowly() -> None:
        time.sleep(SHORT_SILENCE * 3)
        os.write(master, b"https://mp.weixin.qq.com/s/Typed\n\x04")  # Ctrl-D ends it

    thread = threading.Thread(target=type_slowly, daemon=True)
    thread.start()
    try:
        assert read_text(Path(f"/dev/fd/{terminal}")) == "https://mp.weixin.qq.com/s/Typed\n"
    finally:
        thread.join()
        os.close(terminal)
        os.close(master)

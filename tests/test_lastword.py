"""A writer's last word on its archive (``crawler.distributed.lastword``): read back as left,
and anything else found in its place read as no word, without waiting or failing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from crawler.distributed import lastword


def test_a_word_left_is_read_back_and_forgotten(tmp_path: Path) -> None:
    lastword.leave(tmp_path, "job", "host:12", "Redis did not answer it")
    lastword.leave(tmp_path, "other", "host:13", "Redis refused it")
    assert lastword.read(tmp_path, "job") == {"host:12": "Redis did not answer it"}
    lastword.forget(tmp_path, "job")
    assert lastword.read(tmp_path, "job") == {}
    assert lastword.read(tmp_path, "other") == {"host:13": "Redis refused it"}  # each job its own


@pytest.mark.parametrize("data", [b"", b"{", b"[1]", b'{"writer": 1, "why": "x"}', b'{"writer": "h:1"}',
                                  b'{"writer": "h:1", "why": "' + b"x" * lastword.MOST_BYTES + b'"}',
                                  b"\xff\xfe"], ids=["empty", "cut", "a list", "a number", "no why",
                                                     "too long", "not UTF-8"])
def test_what_is_no_word_is_read_as_none(tmp_path: Path, data: bytes) -> None:
    lastword.word_file(tmp_path, "job").write_bytes(data)
    assert lastword.read(tmp_path, "job") == {}


def test_a_fifo_in_its_place_is_no_word_and_no_wait(tmp_path: Path) -> None:
    os.mkfifo(lastword.word_file(tmp_path, "job"))
    assert lastword.read(tmp_path, "job") == {}


def test_a_disk_that_refuses_the_word_leaves_none(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.write_bytes(b"")  # a file where the folder would be: no word can be written there
    lastword.leave(state, "job", "host:12", "Redis did not answer it")
    assert lastword.read(state, "job") == {}

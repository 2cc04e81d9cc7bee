"""The run's sets on disk (``RunSets``): a set as Python's, asked nothing while empty; and
the refused links a job keeps in its folder (``Refusals``)."""

from __future__ import annotations

import os
import random
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from crawler.report.extensions import run_failure
from crawler.report.tally import Stat
from crawler.run import Run, archive_refused
from crawler.runsets import RunSets
from crawler.spiders.refusals import Refusal, Refusals
from crawler.wechat.article import PageReason
from crawler.wechat.urls import ArticleKey
from tests.conftest import PROJECT, memory_refused, unit_crawler


def test_a_run_set_holds_what_a_python_set_holds_whatever_is_added_and_discarded() -> None:
    rng = random.Random(26)
    sets = RunSets(memory_refused)
    try:
        run_sets = {name: sets.of(name) for name in ("a", "b")}
        python_sets: dict[str, set[str]] = {name: set() for name in run_sets}
        for _ in range(2000):
            name, value = rng.choice("ab"), rng.choice(["x", "y", "z", "ü", ""])
            operation = rng.choice(["add", "add", "discard"])
            getattr(run_sets[name], operation)(value)
            getattr(python_sets[name], operation)(value)
            assert all((value in run_sets[name]) == (value in python_sets[name])
                       for name in run_sets for value in ("x", "y", "z", "ü", ""))
        assert sets.of("a") is run_sets["a"]  # one set of a name, however often asked for
    finally:
        sets.close()


def test_an_empty_run_set_is_asked_nothing() -> None:
    """A new article's request asked the run's sets 7 statements, two of them of sets that
    are empty in most runs (links refused, links without chksm): each set knows whether it
    holds anything, and one that holds nothing is not asked."""
    sets = RunSets(memory_refused)
    try:
        statements: list[str] = []
        sets._db.connection.set_trace_callback(statements.append)
        empty, held = sets.of("empty"), sets.of("held")
        held.add("k")
        statements.clear()
        assert "k" not in empty
        empty.discard("k")
        assert statements == []
        assert "k" in held
        held.discard("k")
        held.discard("k")
        assert "k" not in held
        assert len(statements) == 2  # the first look-up, the first discard
    finally:
        sets.close()


def test_refusals_kept_in_a_job_folder_are_the_next_part_s_and_a_run_without_one_asks_nothing_of_none(
        tmp_path: Path) -> None:
    """The refused links waiting for another link of their article (``Refusals``): those of
    a job's part are read again by its next part; one settled is no longer pending; and a run
    that refused none asks its database nothing at each album entry."""
    first = Refusals.of_job(str(tmp_path / "job"), memory_refused)
    first.turn_down(ArticleKey("a"), Refusal("link a", PageReason.BAD_PARAMS, "link"))
    first.turn_down(ArticleKey("b"), None)  # the album's own link, refused: said at once
    first.turn_down(ArticleKey("c"), Refusal("link c", PageReason.EXPIRED, "urls:x"))
    first.settle("c")
    first.close()
    resumed = Refusals.of_job(str(tmp_path / "job"), memory_refused)
    try:
        assert "a" in resumed and "b" in resumed and "c" in resumed and "d" not in resumed
        assert list(resumed.pending()) == [Refusal("link a", PageReason.BAD_PARAMS, "link")]
    finally:
        resumed.close()
    none = Refusals.of_job(None, memory_refused)
    try:
        statements: list[str] = []
        none._db.connection.set_trace_callback(statements.append)
        assert "a" not in none and list(none.pending()) == []
        none.settle("a")
        assert statements == []
    finally:
        none.close()


def test_refusals_of_a_job_folder_that_cannot_be_written_are_kept_as_a_run_without_one_keeps_them(
        tmp_path: Path) -> None:
    """A job folder SQLite cannot write in (here a file where the folder should be; a full
    disk) raised in the spider's ``spider_opened``: a traceback, and no refusal noted."""
    (tmp_path / "job").write_bytes(b"")
    refusals = Refusals.of_job(str(tmp_path / "job"), memory_refused)
    try:
        refusals.turn_down(ArticleKey("a"), Refusal("link a", PageReason.EXPIRED, "link"))
        assert "a" in refusals and len(list(refusals.pending())) == 1
    finally:
        refusals.close()


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A folder on a tmpfs of 256 KiB of the test's own, taken away at its end (root only)."""
    folder = tmp_path / "small"
    folder.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(folder)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"this user may not mount a file system: {done.stderr.strip()}")
    yield folder
    subprocess.run(["umount", str(folder)], check=True)


def fill(disk: Path) -> None:
    """Fills ``disk`` to its last byte."""
    with (disk / "filler").open("wb", buffering=0) as filler:
        try:
            while filler.write(bytes(4096)):
                pass
        except OSError:  # no space left
            pass


# What a run keeps on disk for its length, as a script: made with a ``refused`` that appends to
# ``told``, given ``first`` and then more than SQLite's page cache holds; its ``held`` says whether
# ``first`` is still in it.
_KEPT_ON_DISK = {
    "run sets": ("from crawler.runsets import RunSets\n"
                 "kept = RunSets(lambda error: told.append(str(error))).of('links')\n"
                 "def add(value): kept.add(value)\n"),
    "failed images": ("from crawler.pipelines.imageresults import FailedImages, ImageResult\n"
                      "kept = FailedImages(lambda error: told.append(str(error)))\n"
                      "def add(value): kept.put(value, ImageResult(True, 'HTTP 503'), bytes(20))\n"),
}


@pytest.mark.parametrize("kept", _KEPT_ON_DISK)
def test_what_a_run_keeps_on_a_disk_that_fills_tells_the_run_and_is_forgotten_never_raises(
        small_disk: Path, kept: str) -> None:
    """SQLite keeps a run's sets (and the images that failed: ``FailedImages``) in a
    temporary file once past its page cache (2 MB): on a temporary folder whose disk is
    full, an ``add`` in the middle of a long run raised in the spider middleware, the
    writer's exchange or the image pipeline that asked, a traceback, and so did every later
    look-up (the file torn, "database disk image is malformed"). Now the run's ``refused``
    is told once (``Run.memory_refused``: said, the run stopped), and what was kept,
    forgotten, says it holds nothing."""
    script = (
        "told = []\n" + _KEPT_ON_DISK[kept] +
        "add('first')\n"
        "for number in range(100_000):\n"
        "    add(f'https://mp.weixin.qq.com/s?__biz=MzA5OTk5OTk5OQ==&mid={number}&idx=1')\n"
        "print(len(told), told[0] if told else '', 'first' in kept)\n")
    fill(small_disk)
    done = subprocess.run([sys.executable, "-c", script], cwd=PROJECT, capture_output=True, text=True,
                          env={**os.environ, "SQLITE_TMPDIR": str(small_disk)}, timeout=120, check=False)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    told, error, first = done.stdout.split(" ", 1)[0], *done.stdout.rsplit(" ", 1)
    assert int(told) == 1 and "database or disk is full" in error and first == "False\n", done.stdout


def test_refusals_in_a_job_folder_whose_disk_fills_tell_the_run_and_forget_never_raise(
        small_disk: Path) -> None:
    """The links refused in a job folder opened with room, its disk full later in the run:
    a refusal noted (or settled) raised in the spider's callback, and so did the look at
    those pending as the spider closed. Now the run is told once; the refusals are forgotten
    (the next run asks their links again)."""
    told: list[sqlite3.Error] = []
    refusals = Refusals.of_job(str(small_disk / "job"), told.append)
    try:
        refusals.turn_down(ArticleKey("first"), Refusal("link first", PageReason.EXPIRED, "link"))
        fill(small_disk)
        for number in range(2000):
            refusals.turn_down(ArticleKey(f"k{number}"), Refusal("x" * 200, PageReason.EXPIRED, "link"))
            refusals.settle(f"k{number}")
        assert [str(error) for error in told] == ["database or disk is full"], told
        assert "k1999" not in refusals and list(refusals.pending()) == []
    finally:
        refusals.close()


def test_a_write_the_runs_own_files_refuse_is_said_fails_the_run_and_on_a_full_disk_stops_it() -> None:
    """What ``refused`` does in a crawl (``Run.memory_refused``): counted, so that the run
    exits 1; a full disk sent as ``archive_refused``, on which the run stops
    (``crawler.stopping.ArchiveStop``); another cause only once at ERROR."""
    run = Run.of(unit_crawler())
    causes: list[str] = []

    def heard(cause: str) -> None:
        causes.append(cause)
    run.crawler.signals.connect(heard, signal=archive_refused)
    run.memory_refused(sqlite3.OperationalError("disk I/O error"))
    assert causes == []
    run.memory_refused(sqlite3.OperationalError("database or disk is full"))
    run.memory_refused(sqlite3.OperationalError("database or disk is full"))
    assert causes == ["database or disk is full"]  # the first of its cause
    stats = run.tally.stats.get_stats()
    assert stats[Stat.MEMORY_WRITE_FAILED] == 3
    assert (run_failure(stats) or "").startswith("the archive could not be written")

"""The run's sets on disk (``RunSets``): a set as Python's, asked nothing while empty; and
the refused links a job keeps in its folder (``Refusals``)."""

from __future__ import annotations

import random
from pathlib import Path

from crawler.runsets import RunSets
from crawler.spiders.refusals import Refusal, Refusals
from crawler.wechat.article import PageReason
from crawler.wechat.urls import ArticleKey


def test_a_run_set_holds_what_a_python_set_holds_whatever_is_added_and_discarded() -> None:
    rng = random.Random(26)
    sets = RunSets()
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
    sets = RunSets()
    try:
        statements: list[str] = []
        sets._db.set_trace_callback(statements.append)
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
    first = Refusals.of_job(str(tmp_path / "job"))
    first.turn_down(ArticleKey("a"), Refusal("link a", PageReason.BAD_PARAMS, "link"))
    first.turn_down(ArticleKey("b"), None)  # the album's own link, refused: said at once
    first.turn_down(ArticleKey("c"), Refusal("link c", PageReason.EXPIRED, "urls:x"))
    first.settle("c")
    first.close()
    resumed = Refusals.of_job(str(tmp_path / "job"))
    try:
        assert "a" in resumed and "b" in resumed and "c" in resumed and "d" not in resumed
        assert list(resumed.pending()) == [Refusal("link a", PageReason.BAD_PARAMS, "link")]
    finally:
        resumed.close()
    none = Refusals.of_job(None)
    try:
        statements: list[str] = []
        none._db.set_trace_callback(statements.append)
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
    refusals = Refusals.of_job(str(tmp_path / "job"))
    try:
        refusals.turn_down(ArticleKey("a"), Refusal("link a", PageReason.EXPIRED, "link"))
        assert "a" in refusals and len(list(refusals.pending())) == 1
    finally:
        refusals.close()

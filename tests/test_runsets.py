"""The run's sets on disk (``RunSets``): a set as Python's, asked nothing while empty."""

from __future__ import annotations

import random

from crawler.runsets import RunSets


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

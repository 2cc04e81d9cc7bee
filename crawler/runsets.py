"""What a run remembers for its length, on disk rather than in memory: each in a private
SQLite database in a temporary file, deleted when closed, so that a run's memory does not
grow with the articles it requests (``RunSets``) nor with the pictures that fail
(``crawler.pipelines.imageresults``)."""

from __future__ import annotations

import sqlite3


def temporary_database() -> sqlite3.Connection:
    """A private SQLite database in a temporary file, deleted when closed: on disk once past
    SQLite's page cache, what a run keeps there does not grow its memory."""
    db = sqlite3.connect("", isolation_level=None)  # "": a temporary file
    db.execute("PRAGMA journal_mode = OFF")
    return db


class RunSets:
    """Sets of strings for the length of a run, in a ``temporary_database``: what a run
    remembers of each article it requested does not grow its memory, however many it
    requests."""

    def __init__(self) -> None:
        self._db = temporary_database()
        self._db.execute("CREATE TABLE members (name TEXT, value TEXT, PRIMARY KEY (name, value))"
                         " WITHOUT ROWID")
        self._sets: dict[str, RunSet] = {}

    def of(self, name: str) -> RunSet:
        """The set ``name``: one object a name, as each counts what it holds."""
        return self._sets.setdefault(name, RunSet(self._db, name))

    def close(self) -> None:
        self._db.close()


class RunSet:
    """One named set of ``RunSets``. It counts what it holds, and an empty one is asked
    nothing: most runs refuse no link and meet none without ``chksm``, whose sets each new
    article's request asked a statement of."""

    def __init__(self, db: sqlite3.Connection, name: str):
        self._db = db
        self._name = name
        self._size = 0

    def __contains__(self, value: object) -> bool:
        return self._size > 0 and self._db.execute(
            "SELECT 1 FROM members WHERE name = ? AND value = ?", (self._name, value)).fetchone() is not None

    def add(self, value: str) -> None:
        self._size += self._db.execute("INSERT OR IGNORE INTO members VALUES (?, ?)",
                                       (self._name, value)).rowcount

    def discard(self, value: str) -> None:
        if self._size:
            self._size -= self._db.execute("DELETE FROM members WHERE name = ? AND value = ?",
                                           (self._name, value)).rowcount

"""What a run remembers for its length, on disk rather than in memory: each in a private
SQLite database in a temporary file, deleted when closed, so that a run's memory does not
grow with the articles it requests (``RunSets``) nor with the pictures that fail
(``crawler.pipelines.imageresults``).

A statement SQLite refuses there (its folder's disk full: SQLite spills to a file once past its
page cache) is handed to the run's ``refused`` (``Run.memory_refused``: said, and on a full disk
the run stops), never a traceback in the middle of a spider's or middleware's work
(``OwnDatabase``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

# What the run does with a write to what it remembers that SQLite refused (``Run.memory_refused``)
Refused = Callable[[sqlite3.Error], None]


def temporary_database() -> sqlite3.Connection:
    """A private SQLite database in a temporary file, deleted when closed: on disk once past
    SQLite's page cache, what a run keeps there does not grow its memory."""
    db = sqlite3.connect("", isolation_level=None)  # "": a temporary file
    db.execute("PRAGMA journal_mode = OFF")
    return db


class OwnDatabase:
    """A database of the run's own, without a journal (it goes with the run), and what the
    run does when SQLite refuses a statement: ``refused`` is told, and the database asked
    nothing more, as it answers nothing (what it held is forgotten). A write refused
    without a journal leaves the file torn: every later statement would fail again, each
    said, for one cause."""

    def __init__(self, connection: sqlite3.Connection, refused: Refused):
        self.connection = connection
        self._refused = refused
        self._torn = False

    def executed(self, statement: str, *values: object) -> tuple[int, list[Any]]:
        """How many rows ``statement`` changed, and those it read; none once refused."""
        if self._torn:
            return 0, []
        try:
            cursor = self.connection.execute(statement, values)
            return max(cursor.rowcount, 0), cursor.fetchall()
        except sqlite3.Error as error:
            self._torn = True
            self._refused(error)
            return 0, []

    def close(self) -> None:
        self.connection.close()


class RunSets:
    """Sets of strings for the length of a run, in a ``temporary_database``: what a run
    remembers of each article it requested does not grow its memory, however many it
    requests."""

    def __init__(self, refused: Refused):
        connection = temporary_database()
        connection.execute("CREATE TABLE members (name TEXT, value TEXT, PRIMARY KEY (name, value))"
                           " WITHOUT ROWID")
        self._db = OwnDatabase(connection, refused)
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

    def __init__(self, db: OwnDatabase, name: str):
        self._db = db
        self._name = name
        self._size = 0

    def __contains__(self, value: object) -> bool:
        return self._size > 0 and bool(self._db.executed(
            "SELECT 1 FROM members WHERE name = ? AND value = ?", self._name, value)[1])

    def add(self, value: str) -> None:
        self._size += self._db.executed("INSERT OR IGNORE INTO members VALUES (?, ?)", self._name, value)[0]

    def discard(self, value: str) -> None:
        if self._size:
            self._size -= self._db.executed("DELETE FROM members WHERE name = ? AND value = ?",
                                            self._name, value)[0]

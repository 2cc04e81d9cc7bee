"""The links WeChat answered this run with its parameter-error or expired-link page (a
``chksm`` not today's, say): the link refused, not its article, which another link (its
album's) may yet have.

Kept on disk, as ``crawler.runsets`` keeps what a run remembers, so that a run's memory does
not grow with them; in the job folder when the run has one (``JOBDIR``), so that a job
stopped before an album's link came remembers them when resumed, and says each article
lost once, by the part of the job that ends it (``crawler.jobdir`` drops the file with the
folder's queue).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

from crawler.jobdir import REFUSALS
from crawler.runsets import OwnDatabase, Refused, temporary_database
from crawler.wechat.article import PageReason
from crawler.wechat.urls import ArticleKey


class Refusal(NamedTuple):
    """A link WeChat answered with its parameter-error or expired-link page: said at WARNING
    at the run's end only if no other link of its article was answered (``ArticlePages.closed``)."""

    shown: str
    reason: PageReason
    source: str


class Refusals:
    """The articles a link of which was refused this run (or this job), and of those the
    ones no other link of which has been answered yet (pending): one that is (archived, or
    failing on its own line) was no loss of the refused link's. A write SQLite refuses (a full
    disk) is the run's ``refused`` (``crawler.runsets``), the refusal forgotten."""

    def __init__(self, connection: sqlite3.Connection, refused: Refused):
        connection.execute("CREATE TABLE IF NOT EXISTS refusals (key TEXT PRIMARY KEY, shown TEXT,"
                           " reason TEXT, source TEXT, pending INTEGER)")
        # most runs refuse no link: an empty table is asked nothing by each album entry
        self._size: int = connection.execute("SELECT count(*) FROM refusals").fetchone()[0]
        self._db = OwnDatabase(connection, refused)

    @classmethod
    def of_job(cls, folder: str | None, refused: Refused) -> Refusals:
        """Those of the job in ``folder``, an earlier part's too; a run without one keeps its
        own in a temporary file."""
        if folder:
            try:
                Path(folder).mkdir(parents=True, exist_ok=True)
                db = sqlite3.connect(Path(folder, REFUSALS), isolation_level=None)
                db.execute("PRAGMA journal_mode = OFF")  # a run killed mid-write drops the folder
                return cls(db, refused)
            except (OSError, sqlite3.Error):  # a full disk, say: as a run without a job folder
                pass
        return cls(temporary_database(), refused)

    def __contains__(self, key: object) -> bool:
        return self._size > 0 and bool(self._db.executed("SELECT 1 FROM refusals WHERE key = ?", key)[1])

    def turn_down(self, key: ArticleKey, pending: Refusal | None) -> None:
        """Notes ``key`` refused, and waiting for another link when ``pending`` says how."""
        if pending is None:
            self._size += self._db.executed("INSERT OR IGNORE INTO refusals VALUES (?, '', '', '', 0)",
                                            key)[0]
            return
        known = key in self
        if self._db.executed("INSERT OR REPLACE INTO refusals VALUES (?, ?, ?, ?, 1)",
                             key, pending.shown, pending.reason.value, pending.source)[0]:
            self._size += not known

    def settle(self, key: str) -> None:
        """Another link of ``key`` came to an end: its refusal is no loss."""
        if self._size:
            self._db.executed("UPDATE refusals SET pending = 0 WHERE key = ?", key)

    def pending(self) -> Iterator[Refusal]:
        """The refusals no other link of whose article was answered, oldest first."""
        if not self._size:
            return
        for shown, reason, source in self._db.executed(
                "SELECT shown, reason, source FROM refusals WHERE pending = 1 ORDER BY rowid")[1]:
            yield Refusal(shown, PageReason(reason), source)

    def close(self) -> None:
        self._db.close()

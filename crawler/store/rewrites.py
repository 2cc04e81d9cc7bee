"""Posts being written over, noted in the index until the new version's record is committed."""

from __future__ import annotations

import logging
import os
import sqlite3
from pathlib import Path

logger = logging.getLogger(__name__)


class Rewrites:
    """A post about to be written over is noted with the second name that keeps its version
    before (``put_back_on_failure``), in a commit of its own; the note goes in the
    transaction that records the new version. A note left is a run killed between the two:
    its post holds a version the index does not record, and the one it records is still
    beside it, which the next run puts back before it removes leftovers."""

    def __init__(self, folder: Path, db: sqlite3.Connection):
        self.folder = folder
        self.db = db

    def begun(self, post: Path, kept: Path) -> None:
        self.db.execute("INSERT OR REPLACE INTO rewrites VALUES (?, ?)",
                        (self._name(post), self._name(kept)))

    def recorded(self, post: Path) -> None:
        self.db.execute("DELETE FROM rewrites WHERE post = ?", (self._name(post),))

    def put_back_unrecorded(self) -> int:
        """Put back each post a killed run wrote over and did not record, as the index has it;
        how many could not be (each an ERROR line)."""
        failed = 0
        notes = self.db.execute("SELECT post, kept FROM rewrites").fetchall()
        for name, kept_name in notes:
            post, kept = self.folder / name, self.folder / kept_name
            try:
                if not kept.is_file() or (post.exists() and kept.samefile(post)):
                    continue  # put back, or never written over
                os.replace(kept, post)
            except OSError as error:
                logger.error("%s holds the version a run wrote before it was killed, which the "
                             "index does not record, and the one it records cannot be put back "
                             "(%s): scrapy rebuild records it", post, error)
                failed += 1
                continue
            logger.warning("Put back %s as the index records it: a run killed before recording "
                           "the version it wrote there; scrapy rebuild writes that version again "
                           "from its capture, as does the next crawl that fetches its article", post)
        if notes:
            self.db.execute("DELETE FROM rewrites")
        return failed

    def _name(self, path: Path) -> str:
        return path.relative_to(self.folder).as_posix()

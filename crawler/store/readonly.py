"""Every write of a post's file goes through here: a post a person made read-only is left
as it is."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

from crawler.store.files import Staged, atomic_write

logger = logging.getLogger(__name__)
_WRITABLE = stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH


def read_only(path: Path) -> bool:
    """Whether no one may write the file at ``path`` (``chmod a-w``): a person's "leave
    this post as it is". False when it is not there."""
    try:
        return not path.stat().st_mode & _WRITABLE
    except OSError:
        return False


class PostWrites:
    """Writes the posts' files, but leaves alone one that no one may write (``chmod a-w``):
    a maintainer makes a post so to say "leave this post as it is". Told by its mode bits,
    not by the file system refusing: a post is written by a rename over it, which a file's
    mode does not stop, nor does any mode stop root."""

    def __init__(self) -> None:
        self._said: set[Path] = set()

    def held(self, path: Path) -> bool:
        """Whether the post at ``path`` is read-only, and so not to be written; said at INFO
        once a run (not every day's WARNING in cron's mail: the person meant it)."""
        if not read_only(path):
            return False
        if path not in self._said:
            self._said.add(path)
            logger.info("Kept %s as it is: it is read-only (chmod a-w), so no run writes it; "
                        "chmod u+w lets the next one bring it up to date", path)
        return True

    def write(self, path: Path, data: bytes, staged: Staged | None = None) -> bool:
        """Write ``data`` as the post at ``path`` (``staged``: those bytes fsynced beside it
        already), unless it is read-only; whether it was written."""
        if self.held(path):
            return False
        if staged is None or not staged.put(path, data):
            atomic_write(path, data)
        return True

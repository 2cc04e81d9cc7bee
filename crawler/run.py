"""What the components of one crawl share: its checked settings (``Config``), the archive it
writes (``Archive``) and its counts (``Tally``), reached through ``Run.of(crawler)``.

Scrapy makes the spider before add-ons change the settings (the writer of a distributed
job raises ``ARTICLE_PAGES_IN_FLIGHT``), then the components. So the ``Config`` is read
once, when first asked for after the settings are final, and the spider reads it lazily;
asked for earlier, it is an error, not a silently different value. The archive is opened
by the crawl command before the crawl starts (a lock held by another run is then one line,
not a traceback), or else when first asked for, and closed when the engine stops.
``stopped_by`` is the signal that stopped the crawl (``crawler.process.StopSignal``),
by which the crawl command then ends; ``stop_asked`` the Scrapy signal (``crawler.signals``)
sent as it lands, before the crawl begins its graceful stop (a receiver returns how many pages
it leaves queued for the next run, which the stop line says). ``error_level`` tells whether a
write's failure is the first of its cause, said at ERROR; the first of a cause that fails every
write alike (``refuses_every_write``: a full disk, a read-only one) is sent as ``archive_refused``,
on which the run stops (``crawler.stopping.ArchiveStop``).
"""

from __future__ import annotations

import errno
import logging
import signal
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property
from pathlib import Path

from scrapy import signals
from scrapy.crawler import Crawler

from crawler.config import Config
from crawler.report.tally import Stat, Tally
from crawler.signalstop import SignalStop
from crawler.store.archive import Archive, Layout, check_folders

logger = logging.getLogger(__name__)
_ATTRIBUTE = "wechat_run"
stop_asked = object()
# sent with ``cause``, the words of the write's error (``cause_of``), and ``written``, what it was of
archive_refused = object()
# What SQLite says when the disk of its file is full or read-only (SQLITE_FULL, SQLITE_READONLY)
_SQLITE_REFUSALS = ("database or disk is full", "attempt to write a readonly database")
# How ``cause_of`` begins the words of an OSError of a disk full, over quota or read-only
_OS_REFUSALS = tuple(f"[Errno {number}] " for number in (errno.ENOSPC, errno.EDQUOT, errno.EROFS))


class Run:
    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.tally = Tally(crawler)
        self._archive: Archive | None = None
        self.stopped_by: signal.Signals | None = None
        self.forced_by: signal.Signals | None = None  # a second signal: stopped at once
        self.signalled: SignalStop | None = None  # signals noted as the crawl started (``StopSignal``)
        self.errors_said: set[str] = set()
        self._writers: list[ThreadPoolExecutor] = []
        self._after_writes: list[Callable[[], None]] = []

    @classmethod
    def of(cls, crawler: Crawler) -> Run:
        """The run of ``crawler``, made the first time it is asked for."""
        run = getattr(crawler, _ATTRIBUTE, None)
        if run is None:
            run = cls(crawler)
            setattr(crawler, _ATTRIBUTE, run)
        assert isinstance(run, Run)
        return run

    def error_level(self, written: str, error: BaseException | str) -> int:
        """``logging.ERROR`` the first time a write of this run (of what was ``written``:
        ``post``) fails for the cause of ``error`` (or for ``error``, a ``cause_of`` one),
        ``logging.INFO`` after: a full disk or index fails every write alike, and the mail
        needs one line a cause (the summary counts them all). The first failure of a cause
        that fails every write alike is sent as ``archive_refused``: the run stops on it."""
        words = error if isinstance(error, str) else cause_of(error)
        cause = f"{written}: {words}"
        level = logging.INFO if cause in self.errors_said else logging.ERROR
        self.errors_said.add(cause)
        if level == logging.ERROR and refuses_every_write(words):
            self.crawler.signals.send_catch_log(signal=archive_refused, cause=words, written=written)
        return level

    def memory_refused(self, error: sqlite3.Error) -> None:
        """A write to what the run remembers on disk (``crawler.runsets``: the requests it
        made, the links refused) that SQLite refused: forgotten (a page may be asked twice),
        said once a cause at ERROR, the run failed; on a full disk it stops (``error_level``)."""
        self.tally.count(Stat.MEMORY_WRITE_FAILED)
        logger.log(self.error_level("memory", error), "Not remembered: a write to what this run keeps on "
                   "disk (in the temporary folder, or the job folder) failed: %s", error)

    def writer(self, name: str) -> ThreadPoolExecutor:
        """A thread of its own for the archive's writes that wait on the disk (images,
        captures), in the order they are handed to it; ``finish_writes`` waits for them."""
        writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._writers.append(writer)
        return writer

    def finish_writes(self) -> None:
        """Wait for the writes handed to the writer threads. A crawl stopped at once (a
        second Ctrl-C) closes none of its components, and its process, ended by the signal
        then, would leave a file being written half made."""
        for writer in self._writers:
            writer.shutdown(wait=True)
        for undo in self._after_writes:
            undo()

    def after_writes(self, undo: Callable[[], None]) -> None:
        """Have ``finish_writes``, once the writers are done, call ``undo``: it takes away
        what a writer made that the stopped crawl never took up (a post's staged bytes)."""
        self._after_writes.append(undo)

    @cached_property
    def config(self) -> Config:
        try:  # Scrapy makes the stats collector right after the add-ons have set theirs
            self.crawler.stats  # noqa: B018
        except RuntimeError:
            raise RuntimeError("the run's Config is read once its settings are final") from None
        return Config.from_settings(self.crawler.settings)

    @property
    def archive(self) -> Archive:
        if self._archive is None:
            self.open_archive(self.config.archive_dir)
        assert self._archive is not None
        return self._archive

    def open_archive(self, root: Path) -> Archive:
        """Open the archive at ``root`` now (``ArchiveError`` if it cannot be), to be closed
        when the engine stops (after the spider closed, so that the run report can still
        read the index). A post a killed run left that it could not put back as the index
        records it is a write that failed: the run exits 1. A file where a folder of it goes
        (``check_folders``) is refused here, before WeChat is asked for a page: it fails every
        write there, and the run fetched every page to keep none."""
        layout = Layout(root)
        check_folders(layout, layout.folders)
        self._archive = Archive(root)
        if self._archive.posts_not_put_back:
            self.tally.count(Stat.POSTS_WRITE_FAILED, self._archive.posts_not_put_back)
        self.crawler.signals.connect(self._archive.close, signal=signals.engine_stopped)
        return self._archive


def cause_of(error: BaseException) -> str:
    """``error`` in words every write it fails alike shares: an ``OSError`` without the file
    it names (each write its own temporary file, on a file system remounted read-only)."""
    if isinstance(error, OSError) and error.errno is not None:
        return f"[Errno {error.errno}] {error.strerror}"
    return str(error)


def refuses_every_write(cause: str) -> bool:
    """Whether ``cause`` (``cause_of``'s words) fails every write of the archive alike, until
    a person mends it: a disk full, a quota spent, a file system read-only. A run that goes
    on fetching only spends WeChat's patience on pages it cannot keep."""
    return cause.startswith(_OS_REFUSALS) or cause in _SQLITE_REFUSALS

"""A job folder (``JOBDIR``) is resumed only as a clean stop left it.

Scrapy writes a job's queue (``requests.queue/``, its ``active.json``) only when the crawl
stops cleanly, but what it has seen (``requests.seen``) as it goes. A run killed (SIGKILL,
Ctrl-C twice, a power cut) leaves requests seen whose queue is lost, or stale from an earlier
stop: resumed from there, Scrapy would drop every article found again as already seen, and
fetch again what a stale queue holds. Such a folder's state is dropped instead, and the run
starts over from the index, which knows what is archived, as a run without a job folder does.
A job that finished is over: the same command again starts a new one, which fetches again
what the index does not hold (a page that failed, an incomplete post, the watch's checks),
all of which Scrapy would otherwise drop as already seen for as long as the folder is kept.
And a queue resumed does not pass the incremental filter again: what another run archived
meanwhile (the daily run, between a stop and its resumption) is dropped as it leaves it.
A job folder that cannot be written is given up, and a stop does not leave it as if stopped
cleanly: on a full or read-only disk the run stops (``Run.error_level``, as the archive's own
writes stop it), else it goes on without the folder.
"""

from __future__ import annotations

import contextlib
import json
import logging
import shutil
from pathlib import Path

from scrapy import Request, Spider
from scrapy.core.scheduler import Scheduler
from scrapy.crawler import Crawler
from scrapy.utils.job import job_dir
from twisted.internet.defer import Deferred

from crawler.incremental import had_before
from crawler.report.logtext import agreeing, counted
from crawler.report.tally import Stat
from crawler.run import Run, cause_of, refuses_every_write
from crawler.store.index import SETTLED

logger = logging.getLogger(__name__)

QUEUE = "requests.queue"
SEEN = "requests.seen"
CLEAN_STOP = "active.json"  # in QUEUE: written by Scrapy's scheduler as it stops cleanly
REFUSALS = "refusals.sqlite"  # the links refused that wait for another (crawler.spiders.refusals)


class JobScheduler(Scheduler):
    """Scrapy's scheduler, trusting a job folder only as a clean stop left it, and dropping
    from a resumed queue what the index holds; given up on a disk that cannot take it."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> JobScheduler:
        folder = job_dir(crawler.settings)
        if folder:  # before Scrapy's dupefilter reads what was seen
            drop_unless_stopped_cleanly(Path(folder))
        return super().from_crawler(crawler)

    def open(self, spider: Spider) -> Deferred[None] | None:
        opened = super().open(spider)
        if self.dqdir:  # read now: only this run's clean stop may write it again
            Path(self.dqdir, CLEAN_STOP).unlink(missing_ok=True)
        return opened

    def next_request(self) -> Request | None:
        request = super().next_request()
        while request is not None and self.dqdir and self._archived(request):
            request = super().next_request()
        return request

    def _archived(self, request: Request) -> bool:
        """Whether ``request`` is for an article the index now holds as settled, which the
        user did not ask for again (counted as already archived)."""
        if not request.meta.get("article") or request.meta.get("refetch"):
            return False
        assert self.crawler is not None  # made by from_crawler
        run = Run.of(self.crawler)
        index = run.archive.index
        key = index.article_of(request.url) or request.url
        if index.article_state(key) not in SETTLED:
            return False
        run.tally.count_of(had_before(index, key), request)
        return True

    def enqueue_request(self, request: Request) -> bool:
        try:
            return super().enqueue_request(request)
        except OSError as error:  # writing it as seen, after noting it: it is in no queue yet
            self._give_up(error, self._held())
            self._mqpush(request)
            return True

    def _dqpush(self, request: Request) -> bool:
        try:
            return super()._dqpush(request)
        except OSError as error:
            self._give_up(error, self._held())
            return False  # queued in memory

    def _dqpop(self) -> Request | None:
        try:
            return super()._dqpop()
        except OSError as error:
            self._give_up(error, self._held())
            return None

    def _held(self) -> int:
        """How many requests the job folder's queue holds."""
        return len(self.dqs) if self.dqs is not None else 0

    def _give_up(self, error: OSError, lost: int, *, closing: bool = False) -> None:
        """Go on without the job folder, which cannot be written: a queue file that failed a
        write fails every read after it (its buffer cannot be flushed), and Scrapy would
        try it again and again, a traceback each time, and never end. What that queue held
        (``lost``) is left to the next run, which drops the folder (it was not stopped
        cleanly) and starts over from the index and the listings. On a disk that refuses
        every write (full, read-only) the run stops there, as the archive's writes stop it
        (``Run.error_level``, ``crawler.stopping.ArchiveStop``): it would ask WeChat for pages
        it could neither keep nor resume. Else, ``closing`` too, it goes on: a folder that held
        nothing costs the run nothing (the folder is only for resuming), a warning that a stop
        could not be resumed, with the disk that is full."""
        assert self.dqdir is not None and self.crawler is not None  # only a job writes files
        with contextlib.suppress(OSError, ValueError):  # ValueError: closed already
            if self.dqs is not None:
                self.dqs.close()
        self.dqs = None
        seen = getattr(self.df, "file", None)
        if seen is not None:
            with contextlib.suppress(OSError, ValueError):
                seen.close()
            self.df.file = None  # type: ignore[attr-defined]
        folder = Path(self.dqdir).parent
        run = Run.of(self.crawler)
        if lost:
            run.tally.count(Stat.JOB_REQUESTS_LOST, lost)
        held = f"the {counted(lost, 'request')} it held {agreeing(lost, 'is', 'are')} left to the next run"
        if not closing and refuses_every_write(cause_of(error)):
            logger.log(run.error_level("job", error), "The job folder %s cannot be written (%s): it "
                       "is given up, and the run stops: %s starts over from the archive's index",
                       folder, error, f"{held}, which" if lost else "the next run")
        elif not lost:
            logger.warning("The job folder %s cannot be written (%s): it is given up, and the "
                           "run goes on without it (stopped now, it could not be resumed)",
                           folder, error)
        else:
            logger.error("The job folder %s cannot be written (%s): it is given up, and %s",
                         folder, error, held)

    def close(self, reason: str) -> Deferred[None] | None:
        held = self._held()  # closed, the queue holds none
        try:
            closed = super().close(reason)
        except OSError as error:  # the queue or what it holds not written: no clean stop
            self._give_up(error, held, closing=True)
            Path(self.dqdir or "", CLEAN_STOP).unlink(missing_ok=True)
            closed = None
        if self.dqdir and reason == "finished":
            drop(Path(self.dqdir).parent)
        return closed


def drop_unless_stopped_cleanly(folder: Path) -> None:
    """Empty job ``folder`` of the state of a run that did not stop cleanly."""
    queue, seen = folder / QUEUE, folder / SEEN
    if _stopped_cleanly(queue / CLEAN_STOP) or not (queue.exists() or seen.exists()):
        return
    logger.info("The job folder %s is of a run that did not stop cleanly (killed?): the run "
                "starts over from the archive's index", folder)
    drop(folder)


def _stopped_cleanly(state: Path) -> bool:
    """Whether a clean stop wrote ``state`` whole (one on a full disk may be cut short)."""
    try:
        json.loads(state.read_bytes())
    except (OSError, ValueError):
        return False
    return True


def drop(folder: Path) -> None:
    """Empty job ``folder`` of what Scrapy's scheduler keeps there."""
    shutil.rmtree(folder / QUEUE, ignore_errors=True)
    (folder / SEEN).unlink(missing_ok=True)
    (folder / REFUSALS).unlink(missing_ok=True)

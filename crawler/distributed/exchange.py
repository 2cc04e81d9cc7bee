"""The writer's exchange of article pages with the fetch nodes: requests put on the
frontier, pages taken back and checked, kept in Redis until archived, and pages Redis
lost asked for again."""

from __future__ import annotations

import asyncio
import gc
import logging
import time
import weakref
from contextlib import suppress
from dataclasses import dataclass

import redis
import redis.asyncio as aioredis
from scrapy import Request
from scrapy.http import Response

from crawler.config import Config
from crawler.distributed.frontier import WireError
from crawler.distributed.job import Job, process_name, text
from crawler.distributed.scripts import FINISH_PAGE, RECLAIM, REQUEUE_LOST, SUBMIT, TAKE_PAGE
from crawler.distributed.wire import (
    JobStopped,
    LostInRedis,
    NotFetched,
    Page,
    TooLarge,
    frontier_entry,
    frontier_score,
    off_hosts,
)
from crawler.runsets import Refused, RunSets
from crawler.wechat.urls import host_of

logger = logging.getLogger(__name__)

# Looks at most between two collections while responses wait for their callbacks: a
# response held by a traceback's cycle meanwhile is let go within so many.
MOST_LOOKS_BETWEEN_COLLECTIONS = 32


@dataclass
class Wanted:
    """A page the writer waits for: its request as on the frontier, and who waits."""

    url: str
    entry: bytes
    score: float
    future: asyncio.Future[Page]
    submitted: bool = False
    lost: int = 0  # times Redis lost it
    off_hosts: bool = False  # a page of it came back redirected off ARTICLE_HOSTS


@dataclass(eq=False)
class Given:
    """A page given to its request: held until Scrapy has let go of every response made of it."""

    page: Page
    responses: int = 0


@dataclass
class Handed:
    """A response made of a given page, until Scrapy lets go of it."""

    release: weakref.finalize[..., Response]  # called once Scrapy lets go of it
    page_id: str
    given: Given
    since: float  # handed over (time.monotonic)
    archiving: bool = False  # it reached its callback (PagesArchived)


class PageExchange:
    """Puts the writer's article requests on the frontier and gives each its page.

    A page is known by its request's fingerprint, the same on every run: a writer
    restarted in the middle of a job asks again for the articles it has not archived,
    and is given the pages fetched for it before it died, or waits for those on their way.
    A page handed back is checked before it is given (``misfit``): one that is not what
    was asked is dropped, and its request put on the frontier again. A page taken stays in
    Redis, in the writer's name, until it is archived (``finish``): a writer killed
    meanwhile loses none, as the next one gets them back (``reclaim``). It is archived, or
    nothing more comes of it, once Scrapy has let go of every response made of it
    (``hand_over``), whether its callback ran or its download ended in a middleware.
    """

    def __init__(self, client: aioredis.Redis, job: Job, config: Config, refused: Refused):
        self.client = client
        self.job = job
        self.writer = process_name()  # as the job's lease names its writer
        self.hosts = config.article_hosts
        self.max_size = config.download_maxsize
        self.tries = config.redis_page_tries
        self.waiting: dict[str, Wanted] = {}
        self.stopped = ""  # why no page will come any more
        # Held while a page is taken from Redis and given to its request: meanwhile the page
        # is nowhere in Redis, and a look for lost pages would ask for it again.
        self.taking = asyncio.Lock()
        self.taken_now = ""  # the id of the page being taken, if any
        self.handed_back_now = False  # whether a node said that page is there (else looked for)
        self.held: dict[str, Given] = {}  # pages given to their requests, not archived yet
        self.letting_go: weakref.WeakKeyDictionary[Response, Handed] = weakref.WeakKeyDictionary()
        self.collect_pause = 0.0  # seconds from one collection (collect_dropped) to the next
        self.collect_after = 0.0  # time.monotonic of the next one
        # Removals from Redis under way, and those Redis did not answer (asked again by
        # ``finish_left``): a page asked again under the same id is taken only after them.
        self.finishing: dict[str, asyncio.Future[None]] = {}
        self.unfinished: set[str] = set()
        # The pages finished this run, on disk (a backfill's are many; the file goes with the
        # process, as a page Scrapy lets go of late is still finished), and the job's clock as
        # the last of them left it: see ``rewind``.
        self.archived = RunSets(refused).of("archived")
        self.clock = 0
        self._submit = client.register_script(SUBMIT)
        self._take = client.register_script(TAKE_PAGE)
        self._requeue_lost = client.register_script(REQUEUE_LOST)
        self._finish = client.register_script(FINISH_PAGE)
        self._reclaim = client.register_script(RECLAIM)

    async def fetch(self, request: Request, page_id: str) -> Page:
        if self.stopped:
            raise JobStopped(self.stopped)
        wanted = self.waiting.get(page_id) or Wanted(
            request.url, frontier_entry(request, page_id), frontier_score(request),
            asyncio.get_running_loop().create_future())
        try:
            await self.submit(wanted, page_id)
            wanted.submitted = True
        except redis.RedisError:
            # Redis is away, or refuses the step (full): the writer's next look at the nodes
            # puts it on the frontier, or stops the job in one line: failed here, each
            # request would be a line of its own, and the run end as if the pages had failed.
            pass
        # Waiting only once submitted: a page handed back meanwhile stays in Redis until
        # ``deliver`` below. Given to the request mid-submission, it would have left the
        # job, and the submission put its request on the frontier again. A stop during the
        # submission gave up the requests waiting then, not this one: it would wait for ever.
        if self.stopped:
            raise JobStopped(self.stopped)
        self.waiting[page_id] = wanted
        try:
            await self.deliver(page_id)
        except redis.RedisError:
            pass  # the page, if there, stays in Redis: the next look for lost pages gives it
        return await wanted.future

    async def submit(self, wanted: Wanted, page_id: str) -> None:
        keys = [self.job.dupefilter, self.job.requests, self.job.lease, self.job.last_writer]
        await self._submit(keys=keys, args=[page_id, wanted.score, wanted.entry, self.writer])

    async def take(self, page_id: str) -> bytes | None:
        """The page handed back as ``page_id``, moved to the pages taken; None when it is not
        there. One this writer took already and holds no more is taken again: the answer of
        that take was lost (Redis answering later than REDIS_TIMEOUT, a broken connection)."""
        if (removing := self.finishing.get(page_id)) is not None:  # else it may remove this one
            await removing
        data: bytes | None = await self._take(
            keys=[self.job.pages, self.job.dupefilter, self.job.lease, self.job.taken, self.job.takers,
                  self.job.last_writer],
            args=[page_id, self.writer, "0" if page_id in self.held else "1"])
        return data

    async def reclaim(self) -> tuple[int, list[str]]:
        """Hands back again the pages writers of the job that are gone took and did not
        say archived; how many, and which writers (host:pid, sorted) had taken them."""
        answer = await self._reclaim(
            keys=[self.job.taken, self.job.takers, self.job.pages, self.job.dupefilter, self.job.ready,
                  self.job.lease, self.job.last_writer], args=[self.writer])
        if not answer:  # another writer took the lease meanwhile: its look at the lease stops this one
            return 0, []
        back, *writers = answer
        return int(back), sorted(text(writer) for writer in writers)

    def hand_over(self, page_id: str, response: Response) -> None:
        """``response``, made of the page given as ``page_id``, goes to Scrapy. Once Scrapy
        lets go of it (``let_go``, or its last reference dropped: a download that ended in a
        middleware, blocked or redirected, reaches no callback), and of every other response
        made of the page, the page leaves Redis."""
        given = self.held[page_id]
        given.responses += 1
        release: weakref.finalize[..., Response] = weakref.finalize(
            response, self._released_soon, asyncio.get_running_loop(), page_id, given)
        release.atexit = False
        self.letting_go[response] = Handed(release, page_id, given, time.monotonic())

    def archiving(self, response: Response) -> bool:
        """Whether ``response`` is made of a page taken from Redis; it reached its callback."""
        handed = self.letting_go.get(response)
        if handed is not None:
            handed.archiving = True
        return handed is not None

    def let_go(self, response: Response) -> None:
        """What Scrapy made of ``response`` is archived (PagesArchived)."""
        handed = self.letting_go.pop(response, None)
        if handed is not None and handed.release.detach() is not None:
            self._released(handed.page_id, handed.given)

    def collect_dropped(self, after: float) -> None:
        """A response whose download ended in a middleware (a block raised there) is held
        by the cycle of that exception's traceback until Python's collector runs, which a
        writer waiting for its nodes hardly does: run when a response handed over more than
        ``after`` seconds ago has not reached its callback. Responses waiting behind a
        backlog for their callbacks are alive, and a collection lets none go: each such
        collection doubles the wait before the next, up to ``MOST_LOOKS_BETWEEN_COLLECTIONS``
        looks ``after`` seconds apart (each was a whole collection at every look)."""
        now = time.monotonic()
        if now < self.collect_after:
            return
        waited = [handed for handed in list(self.letting_go.values())
                  if not handed.archiving and now - handed.since > after]
        if not waited:
            return
        gc.collect()
        if any(not handed.release.alive for handed in waited):
            self.collect_pause = 0.0
        else:
            self.collect_pause = min(max(2 * self.collect_pause, after),
                                     MOST_LOOKS_BETWEEN_COLLECTIONS * after)
        self.collect_after = now + self.collect_pause

    def _released_soon(self, loop: asyncio.AbstractEventLoop, page_id: str, given: Given) -> None:
        # A response's last reference may be dropped on another thread, or in the middle of
        # a step on this one.
        with suppress(RuntimeError):  # the loop closed: the job's next writer gets the page back
            loop.call_soon_threadsafe(self._released, page_id, given)

    def _released(self, page_id: str, given: Given) -> None:
        given.responses -= 1
        if not given.responses:
            self.finish(page_id, given.page)

    def finish(self, page_id: str, page: Page) -> None:
        """``page``, given to its request as ``page_id``, is archived, or nothing more comes
        of it: it leaves Redis. A page given again since (its request asked again) stays."""
        given = self.held.get(page_id)
        if given is None or given.page is not page:
            return
        del self.held[page_id]
        self.archived.add(page_id)
        finishing = asyncio.ensure_future(self.forget(page_id))
        self.finishing[page_id] = finishing
        finishing.add_done_callback(lambda _: self.finishing.pop(page_id, None)
                                    if self.finishing.get(page_id) is finishing else None)

    async def forget(self, page_id: str) -> None:
        """Lets go of the page in Redis; Redis away, at the next look (``finish_left``), else
        the next writer's."""
        with suppress(redis.RedisError):
            await self.remove(page_id)

    async def remove(self, page_id: str) -> None:
        try:
            clock = await self._finish(keys=[self.job.taken, self.job.takers, self.job.clock],
                                       args=[page_id, self.writer])
        except redis.RedisError:
            self.unfinished.add(page_id)
            raise
        self.clock = max(self.clock, clock)
        self.unfinished.discard(page_id)

    async def finish_left(self) -> None:
        """Lets go from Redis the pages archived while it did not answer (a page given again
        since is let go with that one). Redis away still raises its error: the caller's wait
        for it must not take the step for Redis answering again."""
        async with self.taking:
            for page_id in list(self.unfinished):
                if page_id in self.held:
                    self.unfinished.discard(page_id)
                else:
                    await self.remove(page_id)

    async def next_ready(self, timeout: float) -> str | None:
        """The id of the next page a node handed back, or None after ``timeout`` seconds."""
        item = await self.client.blpop([self.job.ready], timeout=timeout)
        return text(item[1]) if item else None

    async def deliver(self, page_id: str, handed_back: bool = False) -> None:
        """Gives a waiting request its page, if the page is there (``handed_back``: a node
        said so). A page nobody waits for stays in Redis: it was fetched for an earlier
        writer of the job, and the request that wants it may come later in this run. The
        request is the one waiting once it is this delivery's turn: the one before may have
        been given up meanwhile."""
        async with self.taking:
            wanted = self.waiting.get(page_id)
            if wanted is not None:
                await self.take_and_give(page_id, wanted, handed_back)

    async def take_and_give(self, page_id: str, wanted: Wanted, handed_back: bool = False) -> bool:
        """Takes the page handed back as ``page_id`` out of Redis and gives it to ``wanted``;
        False when it is not there. A stop meanwhile gives the request up only once the
        page is taken, and not if the page is what was asked: it left Redis, and dropped,
        it would be asked of WeChat again by the next run; given, it is archived as the
        run stops, like the pages given before."""
        self.taken_now, self.handed_back_now = page_id, handed_back
        try:
            data = await self.take(page_id)
            if data is not None:
                await self.give(page_id, wanted, data)
            return data is not None
        finally:
            self.taken_now = ""
            if self.stopped:
                self.give_up(page_id, wanted, JobStopped(self.stopped))

    async def give(self, page_id: str, wanted: Wanted, data: bytes) -> None:
        """Gives the waiting request the page handed back as ``data``, if it is the page asked for."""
        try:
            page = Page.from_bytes(data, self.max_size)
        except TooLarge as error:
            await self.refuse(page_id, wanted, str(error), final=NotFetched(
                f"its page is larger than DOWNLOAD_MAXSIZE ({self.max_size} bytes)"))
            return
        except WireError as error:
            await self.refuse(page_id, wanted, str(error))
            return
        why = self.misfit(page, page_id, wanted)
        if why:
            await self.refuse(page_id, wanted, why, final=self.off_hosts_again(page, page_id, wanted))
            return
        if self.still_waits(page_id, wanted):
            self.held[page_id] = Given(page)
            wanted.future.set_result(page)

    async def refuse(self, page_id: str, wanted: Wanted, why: str, final: NotFetched | None = None) -> None:
        """Drops a page handed back, and asks for it again; or, with ``final``, gives its
        request up at once, as asking again would bring the same page."""
        logger.error("Dropped the page handed back as %s %s for %s: %s", self.job.pages, page_id,
                     wanted.url, why)
        if page_id not in self.held:  # else a page given before is being archived under its id
            await self.forget(page_id)
        if final is not None:
            self.give_up(page_id, wanted, final)
        elif not self.stopped and not self.gave_up(page_id, wanted):  # stopped: given up
            await self.submit(wanted, page_id)

    async def find_lost(self) -> None:
        """Asks again for every page Redis lost: one the writer waits for, and that is
        neither on the frontier, nor held by a node, nor handed back; and for the first
        time for one asked while Redis was away."""
        for page_id, wanted in list(self.waiting.items()):
            async with self.taking:
                await self.look_for(page_id, wanted)

    async def look_for(self, page_id: str, wanted: Wanted) -> None:
        if wanted.future.done():
            return
        if not wanted.submitted:
            await self.submit(wanted, page_id)
            wanted.submitted = True
            return
        # handed back when it could not be given (Redis was away)
        if await self.take_and_give(page_id, wanted) or self.stopped:
            return
        again = "0" if wanted.lost >= self.tries else "1"
        if not await self._requeue_lost(
                keys=[self.job.requests, self.job.pages, self.job.dupefilter, self.job.nodes, self.job.lease,
                      self.job.last_writer],
                args=[wanted.entry, page_id, wanted.score, self.job.inflight_prefix, again, self.writer]):
            return
        if not self.gave_up(page_id, wanted):
            # at INFO: asked again, it costs nothing (Redis restarted without persistence loses
            # every request at once); given up, it is said at WARNING (LostInRedis)
            logger.info("Redis lost the request for %s (on no frontier, held by no node, not "
                        "handed back): asked again, %d of %d", wanted.url, wanted.lost, self.tries)

    def gave_up(self, page_id: str, wanted: Wanted) -> bool:
        """Counts one more page lost or dropped; after ``REDIS_PAGE_TRIES`` asked again,
        the page is reported not fetched."""
        wanted.lost += 1
        if wanted.lost <= self.tries:
            return False
        self.give_up(page_id, wanted, LostInRedis(
            f"its page was lost or dropped in Redis {wanted.lost} times"))
        return True

    def give_up(self, page_id: str, wanted: Wanted, why: NotFetched | JobStopped) -> None:
        if self.still_waits(page_id, wanted):
            wanted.future.set_exception(why)

    def still_waits(self, page_id: str, wanted: Wanted) -> bool:
        """Takes ``wanted`` off the waiting; True when its request is still to be answered,
        False when a stop during a call to Redis gave it up already."""
        self.waiting.pop(page_id, None)
        return not wanted.future.done()

    def misfit(self, page: Page, page_id: str, wanted: Wanted) -> str:
        """Why ``page`` is not the page asked for, or nothing: whoever can write to Redis
        must not put another page, or one from elsewhere, in the archive."""
        if page.page_id != page_id:
            return f"it says it is page {page.page_id!r}"
        if page.asked != wanted.url:
            return f"its node was asked for {page.asked!r}"
        if host_of(page.url) not in self.hosts:
            return off_hosts(page.url)
        return ""

    def off_hosts_again(self, page: Page, page_id: str, wanted: Wanted) -> NotFetched | None:
        """The request given up at its second page redirected off ``ARTICLE_HOSTS``: a node
        that accepts more hosts than this writer follows the same redirect each time it is
        asked, where a single process refuses it once. (The first is asked again: it may be
        a forgery in front of the real page.)"""
        if page.page_id != page_id or page.asked != wanted.url or host_of(page.url) in self.hosts:
            return None
        if not wanted.off_hosts:
            wanted.off_hosts = True
            return None
        return NotFetched(f"redirected to {page.url!r}, not an article host (fetch node {page.node})")

    def stop(self, why: str) -> None:
        """No page will come any more: every waiting request is given up with ``why``, but
        the one whose page is being taken (``take_and_give``)."""
        self.stopped = why
        for page_id, wanted in list(self.waiting.items()):
            if page_id != self.taken_now:
                self.give_up(page_id, wanted, JobStopped(why))

"""The writer's side of a job: article pages asked of the fetch nodes, and taken back.

Everything else the writer does as a single process does: it reads listings, decides
what is new, downloads images itself (the CDN needs no politeness), parses and writes
posts, index and captures. Only the article page's download is replaced.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections.abc import Awaitable, Callable
from contextlib import suppress

import redis
import redis.asyncio as aioredis
from scrapy import signals
from scrapy.crawler import Crawler

from crawler.config import Config
from crawler.distributed import lastword
from crawler.distributed.exchange import PageExchange
from crawler.distributed.job import (
    DONE_SECONDS,
    Job,
    OtherJobs,
    Outage,
    code_version,
    connect_async,
    lease_seconds,
    let_in_no_more,
    process_name,
    text,
)
from crawler.distributed.mode import LEASE_LOST, NO_NODE, REDIS_LOST, REDIS_REFUSED
from crawler.distributed.rewind import Rewind
from crawler.distributed.scripts import END_JOB, GIVE_BACK, LEASE, RELEASE, STOP_JOB
from crawler.report.logtext import agreeing, counted
from crawler.report.tally import Stat
from crawler.run import Run, stop_asked
from crawler.store.archive import Layout

logger = logging.getLogger(__name__)


def pages_wait(waiting: int) -> str:
    """``1 article page waits``, ``5 article pages wait``: what waits for a fetch node."""
    return f"{counted(waiting, 'article page')} {agreeing(waiting, 'waits', 'wait')}"


def unreachable(error: redis.RedisError) -> bool:
    """Whether ``error`` is Redis away (waited for), rather than Redis refusing a step or
    this writer's password (a ConnectionError too)."""
    return isinstance(error, (redis.ConnectionError, redis.TimeoutError)) \
        and not isinstance(error, redis.AuthenticationError)


def taken_before(writers: list[str], words: dict[str, str]) -> str:
    """What became of the pages a job's writers before took and Redis does not have as
    archived: read after a run that failed, it says why each writer stopped, as its last
    word on this archive says (``lastword``), or that this run does not know (it left none:
    killed, its machine down), and what this run does."""
    said = "; ".join(f"writer {writer}, which {f'ended as {words[writer]}' if writer in words else UNSAID}"
                     for writer in writers)
    return (f"taken by {said}, before Redis had them as archived; this run asks WeChat for none of them "
            "again, and archives those not archived yet")


# A writer's last word while Redis does not answer it: what it knows if it ends then, killed
# or stopped (the signal that stopped it is in its own log).
AWAY = "Redis did not answer it"
# Why a writer before stopped, when it left no word of it on this archive.
UNSAID = "ended leaving no word of why on this archive (this run does not know: killed, or its machine down?)"


def lost_because(error: redis.RedisError, grace: float) -> str:
    """Why a writer stopped, Redis lost to it as ``error`` says, as its last word puts it."""
    if isinstance(error, redis.AuthenticationError):
        return "Redis refused its user and password (its password or users changed)"
    if unreachable(error):
        return f"Redis did not answer it for more than REDIS_GRACE ({grace:.0f} s)"
    return f"Redis refused it a step of the job ({str(error).rstrip('.')})"


class NodeWatch:
    """Looks after the job's fetch nodes: gives back the requests of a node whose
    heartbeat expired, says which nodes are blocked, and whether any is left fetching
    (at WARNING once none has been for ``grace`` seconds: nodes resting between jobs come).

    Only nodes blocked during this run, since a node last fetched, count: a resumed job
    remembers nodes blocked before, and a blocked node restarted (under its name or a new
    one) may be let through again; nodes that stop for another reason are waited for.
    """

    def __init__(self, client: aioredis.Redis, job: Job, grace: float):
        self.client = client
        self.job = job
        self.grace = grace  # REDIS_NODE_GRACE
        self.seen: dict[str, str] = {}  # each node's state at the last look
        self.blocked: set[str] = set()  # nodes blocked during this run, since a node last fetched
        self.none_fetching_since: float | None = None  # pages wait and no node fetches (monotonic)
        self.warned = False  # since then, at WARNING
        self.other_versions: set[str] = set()  # nodes said to run other code (once each)
        self._give_back = client.register_script(GIVE_BACK)

    async def first_look(self) -> None:
        self.seen = await self.text_hash(self.job.nodes)

    async def text_hash(self, key: str) -> dict[str, str]:
        return {text(name): text(value) for name, value in (await self.client.hgetall(key)).items()}

    async def every_node_blocked(self, waiting: int, judge_silence: bool = True) -> bool:
        """One look at the nodes; True when ``waiting`` pages can no longer come because
        no node is fetching, and at least one was blocked during this run. A node's expired
        heartbeat is not its silence unless ``judge_silence``: Redis was away meanwhile, and
        the nodes have not had a heartbeat's time to beat again since."""
        states = await self.text_hash(self.job.nodes)
        newly_blocked = []
        for node, state in states.items():
            if state == "fetching" and judge_silence and await self.gone_silent(node):
                states[node] = "lost"
            elif state == "blocked" and self.seen.get(node) != "blocked":
                newly_blocked.append(node)
            elif state == "other version" and node not in self.other_versions:
                self.other_versions.add(node)
                logger.warning("Fetch node %s runs another version of this project: it stopped, taking "
                               "nothing; install this writer's commit there", node)
        self.seen = states
        # a node alone blocked had no other to take its requests, which the line said
        others = "the other nodes take its requests" if "fetching" in states.values() else \
            "no other node is fetching"
        for node in newly_blocked:
            self.blocked.add(node)
            logger.warning("Fetch node %s is blocked by WeChat; %s", node, others)
        if "fetching" in states.values():
            self.blocked.clear()
        if not waiting or "fetching" in states.values():
            self.none_fetching_since = None
            return False
        if self.blocked:
            return True
        if self.none_fetching_since is None:
            self.none_fetching_since, self.warned = time.monotonic(), False
            if self.grace > 0:
                logger.info("%s for a fetch node and none is running: a WARNING if none has come "
                            "in %.0f s (REDIS_NODE_GRACE)", pages_wait(waiting), self.grace)
        if not self.warned and self.none_fetching_for() >= self.grace:
            self.warned = True
            logger.warning("%s for a fetch node and none is running: %s", pages_wait(waiting),
                           await self.what_to_do())
        return False

    async def what_to_do(self) -> str:
        """What a maintainer does about no fetch node running: start one, or, when Redis
        holds another job's nodes waiting for a writer, give both the same job name."""
        try:
            keys = [text(key) async for key in self.client.scan_iter(match=OtherJobs.PATTERN, count=1000)]
        except redis.ResponseError:  # NOPERM: an ACL user without SCAN, the job's steps allowed
            keys = []
        elsewhere = OtherJobs.of(keys, self.job.name).without_writer()
        if not elsewhere:
            return "start `scrapy crawl fetch -s REDIS_URL=…` on a machine"
        jobs = ", ".join(f"{name} ({', '.join(nodes)})" for name, nodes in elsewhere.items())
        return f"Redis holds fetch nodes of job {jobs}, none of job {self.job.name}: {OtherJobs.ADVICE}"

    def none_fetching_for(self) -> float:
        """Seconds pages have waited with no node fetching, as of the last look (0: none)."""
        return 0.0 if self.none_fetching_since is None else time.monotonic() - self.none_fetching_since

    async def gone_silent(self, node: str) -> bool:
        """Gives back what a node holds if its heartbeat expired (it was killed, or lost
        its network): one of the others will fetch it."""
        given = await self._give_back(keys=[self.job.inflight(node), self.job.requests, self.job.alive(node),
                                            self.job.nodes, self.job.done], args=[node, "lost", "1"])
        if given < 0:
            return False
        logger.warning("Fetch node %s stopped answering; requests it held go back to the frontier: %d",
                       node, given)
        return True

    async def report(self) -> None:
        """What each node did, for the end of the run."""
        states = await self.text_hash(self.job.nodes)
        fetched = await self.text_hash(self.job.fetched)
        dropped = await self.text_hash(self.job.dropped)
        notes = {"blocked": ", blocked", "lost": ", stopped answering", "other version": ", another version"}
        lines = [f"{node}: {fetched.get(node, '0')} fetched"
                 f"{f' ({dropped[node]} also fetched by another node, dropped)' if node in dropped else ''}"
                 f"{notes.get(states.get(node, ''), '')}"
                 for node in sorted(states.keys() | fetched.keys())]
        logger.info("Fetch nodes of job %s: %s", self.job.name, "; ".join(lines) or "none")


class Writer:
    """The writer's part in its job, from the spider's opening to its closing.

    Three background tasks run meanwhile: one takes the pages as nodes hand them back, one
    renews the writer's lease, one looks after the nodes. A finished run ends the job: it
    is marked done, which stops the nodes, and its keys are removed. A run stopped for any
    other reason (Ctrl-C, every node blocked, killed) leaves the job in Redis, and the next
    writer of the job resumes it: what is on the frontier stays, and pages fetched meanwhile
    wait for it, with those the writer before took and did not archive. A run stopped by a
    signal or its archive (``stop_asked``) says so in Redis at once: its nodes ask WeChat for
    nothing more and stop, until the job's next writer opens it again.
    """

    def __init__(self, crawler: Crawler, client: aioredis.Redis, config: Config):
        self.crawler = crawler
        job = Job.from_config(config)
        self.client = client
        self.job = job
        self.exchange = PageExchange(client, job, config, Run.of(crawler).memory_refused)
        self.rewind = Rewind(client, job, self.exchange, Run.of(crawler))
        self.nodes = NodeWatch(client, job, config.redis_node_grace)
        self.heartbeat = config.redis_heartbeat
        self.look_every = config.redis_heartbeat / 3
        self.node_wait = config.redis_node_wait
        self.url = config.redis_url
        self.name = process_name()
        self.lease_ms = round(lease_seconds(config) * 1000)
        self._lease = client.register_script(LEASE)
        self._release = client.register_script(RELEASE)
        self._end = client.register_script(END_JOB)
        self._stop = client.register_script(STOP_JOB)
        self.saying_stopped: asyncio.Future[None] | None = None
        self.tasks: list[asyncio.Task[None]] = []
        self.outage = Outage(config.redis_grace)
        self.lost = False
        self.state = Layout(config.archive_dir).state  # where it leaves its last word (``lastword``)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Writer:
        config = Run.of(crawler).config
        writer = cls(crawler, connect_async(config), config)
        crawler.signals.connect(writer.open, signal=signals.spider_opened)
        crawler.signals.connect(writer.close, signal=signals.spider_closed)
        crawler.signals.connect(writer.stop_asked, signal=stop_asked)
        return writer

    async def open(self) -> None:
        """The lease taken as the command started is renewed first: Scrapy's start may have
        taken most of it (a loaded machine), and a writer that took the job meanwhile keeps it."""
        try:
            if not await self.keep_lease():
                return
            await self.client.delete(self.job.done, self.job.stopped)
            await self.client.set(self.job.opened, code_version())
            await self.nodes.first_look()
            words = lastword.read(self.state, self.job.name)
            reclaimed, takers = await self.exchange.reclaim()
            queued = await self.client.zcard(self.job.requests)
            fetched = await self.client.hlen(self.job.pages)
        except redis.RedisError as error:
            self.redis_lost(error)
            return
        if queued or fetched:
            logger.info("Resuming job %s: %s on the frontier, %s fetched and waiting%s",
                        self.job.name, counted(queued, "request"), counted(fetched, "page"),
                        f" ({reclaimed} of them {taken_before(takers, words)})" if reclaimed else "")
        else:
            logger.info("Job %s: article pages are fetched by its fetch nodes", self.job.name)
        lastword.forget(self.state, self.job.name)
        self.tasks = [asyncio.ensure_future(task) for task in (
            self.take_pages(), self.looking(self.keep_lease), self.looking(self.look_at_nodes))]

    async def take_pages(self) -> None:
        while self.crawler.crawling:
            try:
                page_id = await self.exchange.next_ready(timeout=1)
                if page_id:
                    await self.exchange.deliver(page_id, handed_back=True)
            except redis.RedisError as error:
                if await self.ride_out(error):
                    continue
                return
            self.answered()
        self.exchange.stop("the writer is stopping; pages fetched for it wait in Redis for its next run")

    async def looking(self, look: Callable[[], Awaitable[bool]]) -> None:
        """Runs ``look`` every third of ``REDIS_HEARTBEAT`` until it returns False. The look
        at the lease has a task of its own: a look at the nodes may wait for a page being
        taken (``PageExchange.taking``), and the lease must not."""
        while True:
            await asyncio.sleep(self.look_every)
            try:
                if not await look():
                    return
            except redis.RedisError as error:
                if not await self.ride_out(error):
                    return
                continue
            # said by whichever task finds Redis back first: the job may end before the other does
            self.answered()

    async def look_at_nodes(self) -> bool:
        """Asks again for the pages Redis lost, and stops the job (False) when no node is left
        to fetch them."""
        known = await self.client.exists(self.job.opened)
        dropped = await self.rewind.look()
        await self.exchange.find_lost()
        if not known:  # marked again only now: until then nodes keep every page they hand back
            await self.client.set(self.job.opened, code_version())
            logger.info("Redis had lost job %s (restarted without persistence, or flushed): %s asked "
                        "again; what else the job held is asked again as a run comes to it",
                        self.job.name, counted(len(self.exchange.waiting), "article page"))
        elif dropped is not None:
            logger.info("Redis went back in time: it holds an older state of job %s than its writer and "
                        "nodes saw (restarted from an older snapshot): %s of pages done since dropped, not "
                        "asked of WeChat again", self.job.name, counted(dropped, "request"))
        await self.exchange.finish_left()
        self.exchange.collect_dropped(after=self.look_every)
        if await self.nodes.every_node_blocked(len(self.exchange.waiting),
                                               judge_silence=self.outage.steady_for(self.heartbeat)):
            logger.error("Every fetch node is blocked: stopping. The job stays in Redis; "
                         "what is not archived is found again by the next run.")
            self.stop("blocked", "not fetched: every fetch node is blocked")
            return False
        if self.nodes.none_fetching_for() >= self.node_wait:
            logger.error("No fetch node has fetched for %.0f s while %s: "
                         "stopping. The job stays in Redis; start `scrapy crawl fetch` on a "
                         "machine, then run this again to resume it.",
                         self.node_wait, pages_wait(len(self.exchange.waiting)))
            self.stop(NO_NODE, "not fetched: no fetch node is running")
            return False
        return True

    def stop_asked(self) -> None:
        """A signal, or the archive refusing writes, stops the run: its nodes are told at once."""
        stopped_by = Run.of(self.crawler).stopped_by
        why = stopped_by.name if stopped_by is not None else "its archive cannot be written"
        self.saying_stopped = asyncio.ensure_future(self.say_stopped(why))

    async def say_stopped(self, why: str) -> None:
        """Marks the job stopped (``scripts.STOP_JOB``). Redis away, the nodes go on fetching what
        is on the frontier, their pages waiting in Redis for the next run."""
        with suppress(redis.RedisError):
            await self._stop(keys=[self.job.stopped, self.job.lease, self.job.last_writer],
                             args=[self.name, why])

    async def ride_out(self, error: redis.RedisError) -> bool:
        """True when the task may go on: Redis has been away for less than
        ``REDIS_GRACE`` (it waits a second first); else the run stops."""
        if await self.waited_out(error):
            return True
        self.redis_lost(error)
        return False

    async def waited_out(self, error: redis.RedisError, patient: bool = True) -> bool:
        """True, a second later, when Redis has been away for less than ``REDIS_GRACE``
        (and the caller is ``patient``)."""
        if patient and not self.lost and unreachable(error):
            away = self.outage.since is not None
            if not self.outage.failed(error):
                if not away:  # what it knows if it ends now, killed or stopped: Redis is away
                    self.last_word(AWAY)
                await asyncio.sleep(1)
                return True
        return False

    def answered(self) -> None:
        """Redis answered a call: an outage, if any, is over, and its last word with it."""
        if self.outage.since is not None:
            self.outage.answered()
            lastword.forget(self.state, self.job.name)

    def last_word(self, why: str) -> None:
        """Leaves on the archive why this writer may end before Redis has the pages it took as
        archived: for the job's next writer to say (``lastword``)."""
        lastword.leave(self.state, self.job.name, self.name, why)

    async def keep_lease(self) -> bool:
        """Renews the writer's lease; False, and the run stops, when another writer holds
        it (this one was silent for longer than the lease, and another started)."""
        holder, _, taken = await self._lease(keys=[self.job.lease, self.job.last_writer],
                                             args=[self.name, self.lease_ms, "0"])
        if taken:
            return True
        logger.error("Another writer, %s, has taken job %s: stopping. Its archive gets the pages "
                     "from now on; run one writer per job.", text(holder), self.job.name)
        self.stop(LEASE_LOST, "not fetched: another writer has taken the job")
        return False

    def redis_lost(self, error: redis.RedisError) -> None:
        if not self.say_lost(error):
            return
        if unreachable(error):
            self.stop(REDIS_LOST, "not fetched: Redis is unreachable")
        else:
            self.stop(REDIS_REFUSED, "not fetched: Redis refused a step of the job")

    def say_lost(self, error: redis.RedisError,
                 then: str = "Stopping; what is not archived is found again by the next run.") -> bool:
        """Says once that Redis went away, and ``then`` what comes of it; True the first time."""
        if self.lost:
            return False
        self.lost = True
        self.last_word(lost_because(error, self.outage.grace))
        if isinstance(error, redis.AuthenticationError):
            logger.error("%s. %s", let_in_no_more(self.url, error), then)
            return True
        what = "is unreachable" if unreachable(error) else f"refused a step of job {self.job.name}"
        grace = f", for more than REDIS_GRACE ({self.outage.grace:.0f} s)" if self.outage.over else ""
        logger.error("Redis %s: %s%s. %s", what, str(error).rstrip("."), grace, then)
        return True

    def stop(self, reason: str, why: str) -> None:
        self.exchange.stop(why)
        asyncio.ensure_future(self.crawler.engine.close_spider_async(reason=reason))

    async def close(self, reason: str) -> None:
        """Ends the job when the run finished (its lease with it), else says it stays and
        lets the lease go. Redis away meanwhile is waited for as during the run
        (``REDIS_GRACE``); past it, a finished run whose job could not be ended fails
        (``Stat.JOB_NOT_ENDED``): its nodes wait for the job's next writer."""
        for task in self.tasks:
            task.cancel()
        if self.saying_stopped is not None:
            await self.saying_stopped
        if not self.lost:  # else each call would only wait out its timeout
            await asyncio.gather(*self.exchange.finishing.values())  # pages archived as the run stopped
            ending = [self.end_job] if reason == "finished" else [self.stays, self.release]
            # a step that asks nothing of Redis would be taken for Redis answering again
            letting_go = [self.exchange.finish_left] if self.exchange.unfinished else []
            for step in [*letting_go, self.nodes.report, *ending]:
                error = await self.steadily(step)
                if error is None:
                    continue
                left = (f"Job {self.job.name} is not ended: what this run fetched is archived, but the job "
                        "stays in Redis, its fetch nodes waiting for its next writer; the next run of this "
                        "command ends it. Exit status 1")
                stopped_by = Run.of(self.crawler).stopped_by
                if reason != "finished" and stopped_by is not None and unreachable(error):
                    self.left_as_stopped(error, stopped_by)
                elif reason != "finished":
                    self.say_lost(error)
                elif self.say_lost(error, left):
                    Run.of(self.crawler).tally.count(Stat.JOB_NOT_ENDED)
                break
        await self.client.aclose()

    async def steadily(self, step: Callable[[], Awaitable[None]]) -> redis.RedisError | None:
        """Runs one of ``close``'s steps, Redis away waited for; the error that ended the wait.
        A stop the user asked for (a signal, Ctrl-C, cron's timeout) is not kept waiting: the
        job stays in Redis as it is, and nothing is lost."""
        while True:
            try:
                await step()
            except redis.RedisError as error:
                if await self.waited_out(error, patient=Run.of(self.crawler).stopped_by is None):
                    continue
                return error
            self.answered()
            return None

    def left_as_stopped(self, error: redis.RedisError, stopped_by: signal.Signals) -> None:
        """Says, once, that Redis was not waited for as a signal stopped the run, and what
        comes of it: the run still ends by the signal."""
        if self.lost:
            return
        self.lost = True
        self.last_word(AWAY)
        logger.warning("Redis is unreachable (%s), not waited for as the run stops by %s: job %s stays "
                       "in Redis as it was then, its frontier and the pages fetched and taken for this "
                       "writer; the next run of this command resumes it once Redis answers, and archives "
                       "what this run left without asking WeChat again",
                       str(error).rstrip("."), stopped_by.name, self.job.name)

    async def stays(self) -> None:
        queued = await self.client.zcard(self.job.requests)
        logger.info("Job %s stays in Redis (%s on the frontier): run the same "
                    "command again to resume it", self.job.name, counted(queued, "request"))

    async def release(self) -> None:
        await self._release(keys=[self.job.lease], args=[self.name])

    async def end_job(self) -> None:
        """Marks the job done, which stops its nodes, and removes its other keys, at once;
        not when another writer took the job meanwhile (``Stat.JOB_NOT_ENDED``)."""
        nodes = [text(node) for node in await self.client.hkeys(self.job.nodes)]
        if await self._end(keys=[self.job.done, self.job.lease, self.job.last_writer, *self.job.keys(nodes)],
                           args=[self.name, DONE_SECONDS]):
            return
        holder = await self.client.get(self.job.lease) or await self.client.get(self.job.last_writer)
        logger.error("Another writer, %s, took job %s while this one was silent for longer than its lease: "
                     "the job is that writer's to end. What this run fetched is archived. Exit status 1",
                     text(holder or b"?"), self.job.name)
        Run.of(self.crawler).tally.count(Stat.JOB_NOT_ENDED)

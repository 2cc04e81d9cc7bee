"""A fetch node's side of a job: its membership and heartbeat, and the pages it hands back
(Scrapy's side, taking requests from the frontier: ``crawler.distributed.nodescheduler``).

Every request a node takes is held in its in-flight hash until the page (or the reason
there is none) is handed back; a node that stops gives back what it holds, and one that
dies is found by the writer when its heartbeat expires. Nothing is lost either way, and
a page may be fetched twice, which the index tolerates.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NamedTuple

import redis
from scrapy import Request
from scrapy.crawler import Crawler

from crawler.config import Config
from crawler.distributed.job import (
    Job,
    OtherJobs,
    Outage,
    code_version,
    connect,
    let_in_no_more,
    node_name,
    text,
)
from crawler.distributed.mode import (
    OTHER_VERSION,
    REDIS_LOST,
    REDIS_REFUSED,
    TAKEN,
    WRITER_LOST,
    WRITER_STOPPED,
)
from crawler.distributed.scripts import DROPPED, GIVE_BACK, HAND_BACK, HEARTBEAT, HOLD_AGAIN, REQUEUE
from crawler.distributed.wire import Page
from crawler.report.logtext import counted
from crawler.report.tally import Stat
from crawler.run import Run

logger = logging.getLogger(__name__)

# A node's state in the job's ``nodes`` hash as it leaves, by its close reason (else ``stopped``).
LEFT = {"blocked": "blocked", OTHER_VERSION: "other version"}


class Taken(NamedTuple):
    """A request as it was taken from the frontier: the entry, by which the node's
    in-flight hash knows it, its score, and the URL it asked for."""

    entry: bytes
    score: float
    url: str


class Unsent(NamedTuple):
    """A page (or failure) to hand back, until Redis has it: its token tells a hand-back
    tried again after its answer was lost from a second copy."""

    taken: Taken
    page_id: str
    page: bytes
    fetched: str  # '1' for a page, '0' for a failure
    token: str


class FetchNode:
    """This node in its job: its heartbeat and state, and the pages it hands back.

    Redis going away is ridden out for ``REDIS_GRACE`` seconds (see ``Outage``): pages
    that could not be handed back meanwhile are kept and sent at the next heartbeat.
    Past the grace the node stops with reason ``redis_unreachable`` (exit status 1) and
    calls Redis no more (``gone``); what it held is given back by the writer once Redis is
    there again and the node's heartbeat is found expired.

    A node that had to connect to Redis again takes nothing for a heartbeat (``settling``):
    Redis may have restarted from a snapshot older than another node's take, the request
    that node fetches on the frontier again, and only that node knows; it takes it back at
    its next beat (``hold_again``), within a third of a heartbeat.
    """

    def __init__(self, crawler: Crawler, server: redis.Redis, config: Config):
        self.crawler = crawler
        self.server = server
        self.job = Job.from_config(config)
        self.name = node_name(config)
        self.heartbeat = config.redis_heartbeat
        self.article_hosts = frozenset(config.article_hosts)  # the writer asks for nothing else
        self.outage = Outage(config.redis_grace)
        self.url = config.redis_url
        self.refused = False  # Redis refused a step (out of memory, an ACL), or the password: see ``redis``
        self.version = code_version()
        self.other_version = False  # the job's writer runs other code: see ``writer_version``
        self.before_job = False  # joined while the job's last run was marked done or stopped: see ``beat``
        self.writer_stopped = ""  # why the job's writer stopped, once it has: see ``beat``
        self.handed_back = 0
        self.clock = 0  # the job's clock at the last beat or take (see ``scripts.TAKE_REQUEST``)
        self.grace = config.redis_node_grace
        self.writerless_since = time.monotonic()  # the job has had no writer since (monotonic)
        self.writer_seen: float | None = None  # when the writer's lease was last there: see ``writer_lost``
        self.lapsed = False  # the lease has run out since, said once
        self.said_elsewhere: set[str] = set()  # jobs said to have a writer and no node (once each)
        self.beating: asyncio.Task[None] | None = None
        self.holding: dict[bytes, float] = {}  # entries taken, not handed or given back, and their scores
        self.connections = 0  # made to Redis by this node's client (``connected``)
        self.settled_at = 0.0  # when the node may take again (time.monotonic), after a new connection
        self.unsent: deque[Unsent] = deque()
        self._hand_back = server.register_script(HAND_BACK)
        self._beat = server.register_script(HEARTBEAT)
        self._give_back = server.register_script(GIVE_BACK)
        self._requeue = server.register_script(REQUEUE)
        self._hold_again = server.register_script(HOLD_AGAIN)

    @classmethod
    def from_config(cls, crawler: Crawler, config: Config) -> FetchNode:
        """The node of ``crawler``'s run (its spider holds it, its scheduler uses it)."""
        node = cls(crawler, connect(config, connected=lambda: node.connected()), config)
        return node

    @property
    def inflight(self) -> str:
        return self.job.inflight(self.name)

    def connected(self) -> None:
        """A connection to Redis made: after the first, the one before broke, and Redis may
        have restarted from an older snapshot (see the class)."""
        self.connections += 1
        if self.connections > 1:
            self.settled_at = time.monotonic() + self.heartbeat
            logger.info("Fetch node %s connected to Redis again: taking nothing for %.0f s "
                        "(REDIS_HEARTBEAT), while the job's nodes say what they hold (Redis may have "
                        "restarted from an older snapshot)", self.name, self.heartbeat)

    @property
    def settling(self) -> bool:
        """Whether the node takes nothing yet, after a new connection to Redis."""
        return time.monotonic() < self.settled_at

    def join(self) -> None:
        """Says the node is there, and keeps saying it until it leaves. What a node of the
        same name held when it died goes back first: nobody would hand it back otherwise."""
        with self.redis():
            self.give_back("fetching", "a previous run of this node held")
            self.before_job = True
            self.beat()
            waiting = self.server.zcard(self.job.requests)
            logger.info("Fetch node %s joined job %s: %s on the frontier",
                        self.name, self.job.name, counted(waiting, "request"))
        self.beating = asyncio.ensure_future(self.keep_beating())

    @property
    def gone(self) -> bool:
        """Redis has been away for longer than the grace, or refused a step: the node stops
        without calling it again (a silent Redis would make each call wait out its timeout
        first)."""
        return self.outage.over or self.refused

    @property
    def look_every(self) -> float:
        """Seconds between two beats, and between two looks at the frontier when idle."""
        return self.heartbeat / 3

    def beat(self) -> bool:
        """Says the node is alive; False once the job is done, or its writer stopped
        (``writer_stopped`` says why). A job marked so when the node joined is the end of
        its run before (the done mark stays a few minutes for idle nodes to see): the node
        waits for the next writer, which removes the mark."""
        clock = self._beat(keys=[self.job.alive(self.name), self.job.nodes, self.job.done, self.job.clock,
                                 self.job.stopped], args=[self.name, round(self.heartbeat * 1000)])
        if isinstance(clock, bytes) and not self.before_job:
            self.writer_stopped = text(clock)
        if clock is None or isinstance(clock, bytes):
            return self.before_job
        self.clock = max(self.clock, clock)
        self.before_job = False
        return True

    async def keep_beating(self) -> None:
        """The heartbeat, and what an outage left undone: pages not handed back yet, and
        requests in the in-flight hash the node does not hold (taken in a call whose
        answer was lost), which go back to the frontier. A beat that finds the job done
        stops the node at once, rather than at Scrapy's next look at an idle spider, and
        so does one that finds its writer stopped: it would take none of the pages."""
        while True:
            await asyncio.sleep(self.look_every)
            if self.gone:
                return
            with self.redis():
                if not self.beat():
                    self.stop(WRITER_STOPPED if self.writer_stopped else "finished")
                    return
                if self.writer_lost():
                    self.stop(WRITER_LOST)
                    return
                self.send()
                self.hold_again()
                for entry, score in self.server.hgetall(self.inflight).items():
                    if entry not in self.holding:
                        self._requeue(keys=[self.inflight, self.job.requests, self.job.done],
                                      args=[entry, score])
                self.look_for_writer()

    def hold_again(self) -> None:
        """Takes back into the in-flight hash what the node holds and finds on the frontier
        again: nobody else must fetch it (see ``scripts.HOLD_AGAIN``)."""
        if not self.holding:
            return
        held = self._hold_again(keys=[self.inflight, self.job.requests, self.job.done],
                                args=[part for taken in self.holding.items() for part in taken])
        if held:
            logger.info("Took back %s this node holds, found on job %s's frontier again (Redis restored "
                        "from an older snapshot, or this node thought silent): no other node fetches it",
                        counted(held, "request"), self.job.name)

    def put_back(self, entry: bytes, score: float) -> None:
        """``entry``, in the node's in-flight hash, goes back to the frontier as it was taken."""
        self._requeue(keys=[self.inflight, self.job.requests, self.job.done], args=[entry, score])
        self.holding.pop(entry, None)

    def writer_lost(self) -> bool:
        """Whether the job's writer left its lease to run out ``REDIS_GRACE`` seconds ago (or
        more, Redis answering meanwhile): killed, its machine down, or stopped while Redis did
        not answer it, it said nothing, and no writer takes the pages the node would fetch (it
        takes none once the lease is gone: ``scripts.TAKE_REQUEST``). The grace is a stalled
        writer's, back with its lease; a node that has seen no writer yet waits for one."""
        now = time.monotonic()
        if self.server.exists(self.job.lease):
            if self.lapsed:
                logger.info("Job %s has a writer again: this node takes its requests", self.job.name)
            self.writer_seen = self.writerless_since = now
            self.lapsed = False
            return False
        if self.writer_seen is None:
            return False
        if not self.lapsed:
            self.lapsed = True
            logger.info("Job %s's writer lease ran out unrenewed (its writer killed, its machine down, or "
                        "stalled): this node takes nothing until a writer holds it again, and stops if none "
                        "has in %.0f s (REDIS_GRACE)", self.job.name, self.outage.grace)
        return now - max(self.writer_seen, self.outage.ended or 0.0) >= self.outage.grace

    def look_for_writer(self) -> None:
        """Says once when the job has had no writer for ``REDIS_NODE_GRACE`` seconds while
        another job's writer has no fetch node: the two were given two names. (Redis's keys
        are looked at once a grace: a node waits for jobs for hours; ``writer_lost`` notes
        when the job last had a writer.)"""
        now = time.monotonic()
        if now - self.writerless_since < self.grace:
            return
        self.writerless_since = now
        try:
            keys = [text(key) for key in self.server.scan_iter(match=OtherJobs.PATTERN, count=1000)]
        except redis.ResponseError:  # NOPERM: an ACL user without SCAN, the job's steps allowed
            return
        for other in OtherJobs.of(keys, self.job.name).without_nodes():
            if other not in self.said_elsewhere:
                self.said_elsewhere.add(other)
                logger.warning("Fetch node %s: job %s has no writer, and job %s has a writer and no fetch "
                               "node: %s", self.name, self.job.name, other, OtherJobs.ADVICE)

    def job_done(self) -> bool:
        done = False
        if not self.gone:
            with self.redis():
                done = not self.before_job and bool(self.server.exists(self.job.done))
        return done

    def took(self, taken: Taken) -> None:
        self.holding[taken.entry] = taken.score

    def hand_back(self, request: Request, page: Page) -> None:
        self.unsent.append(Unsent(request.meta[TAKEN], page.page_id, page.to_bytes(),
                                  "0" if page.failure else "1", uuid.uuid4().hex))
        if not self.gone:
            with self.redis():
                self.send()

    def send(self) -> None:
        """Hands back the pages not handed back yet, oldest first."""
        while self.unsent:
            unsent = self.unsent[0]
            kept = self._hand_back(keys=[self.inflight, self.job.dupefilter, self.job.pages,
                                         self.job.ready, self.job.fetched, self.job.done,
                                         self.job.requests, self.job.dropped, self.job.opened,
                                         self.job.handed],
                                   args=[unsent.taken.entry, unsent.page_id, unsent.page, self.name,
                                         unsent.fetched, unsent.token])
            self.unsent.popleft()
            self.holding.pop(unsent.taken.entry, None)
            if kept == DROPPED:  # at INFO: the writer's WARNING that this node went silent said why
                logger.info("Dropped the page this node fetched for %s: another node handed it back "
                            "first (WeChat was asked for it twice)", unsent.taken.url)
            self.handed_back += 1
            Run.of(self.crawler).tally.count(Stat.PAGES_HANDED_BACK)

    def requeue(self, request: Request) -> None:
        """A request this node holds and may not fetch goes back to the frontier, exactly
        as it was taken: any node may take it, and nothing of this one goes with it."""
        taken: Taken = request.meta[TAKEN]
        if self.gone:
            return
        with self.redis():
            self.put_back(taken.entry, taken.score)

    def writer_version(self, version: str) -> None:
        """The job's writer runs other code than this node: the node stops before it takes
        anything, in one line (the writer says so too, in the lines cron mails)."""
        if not self.other_version:
            self.other_version = True
            logger.error("Fetch node %s runs another version of this project than the writer of job %s "
                         "(code %s here, %s there): stopping, taking nothing; install the writer's commit "
                         "here", self.name, self.job.name, self.version, version)
            self.stop(OTHER_VERSION)

    def stop(self, reason: str) -> None:
        """Closes the node's spider (``leave`` hands back and gives back what it holds)."""
        asyncio.ensure_future(self.crawler.engine.close_spider_async(reason=reason))

    async def leave(self, reason: str) -> None:
        """Hands back the pages an outage kept (given back as requests, they would be
        fetched again elsewhere), gives back what the node still holds, and records why it left.
        Redis away, the node waits for it as it would running (``REDIS_GRACE``): what it
        held would otherwise go with it, a page it fetched asked of WeChat again."""
        if self.beating is not None:
            self.beating.cancel()
        if not self.left(reason):
            logger.info("Fetch node %s waits for Redis to hand back what it holds (%s fetched)",
                        self.name, counted(len(self.unsent), "page"))
            while not self.left(reason):
                await asyncio.sleep(1)
        report = {"blocked": logger.error, WRITER_LOST: logger.warning}.get(reason, logger.info)
        report("Fetch node %s stopped (%s): %s handed back to job %s%s%s", self.name, reason,
               counted(self.handed_back, "page"), self.job.name,
               f"; {counted(len(self.unsent), 'page')} fetched and not handed back "
               f"({'Redis refused this node' if self.refused else 'Redis did not answer'}): "
               "asked again by the writer" if self.unsent else "", self.why_left(reason))

    def why_left(self, reason: str) -> str:
        """The end of the node's stop line: what came of a stop that is not the job's end."""
        asked = "no page more is asked of WeChat, the job's frontier waits for its next writer"
        if reason == "blocked":
            return "; WeChat is blocking this IP: what it held is back on the job's frontier"
        if reason == WRITER_STOPPED:
            return f"; its writer stopped ({self.writer_stopped}): {asked}"
        if reason == WRITER_LOST:
            ago = time.monotonic() - (self.writer_seen or 0)
            return (f"; its writer's lease ran out unrenewed {ago:.0f} s ago (killed, its machine down, or "
                    f"stopped while Redis did not answer it): {asked}")
        return ""

    def left(self, reason: str) -> bool:
        """One try at ``leave``'s steps; False while Redis is away, within ``REDIS_GRACE``."""
        if not self.gone:
            with self.redis():
                self.send()
                self.give_back(LEFT.get(reason, "stopped"), "it held")
                return True
        return self.gone

    def give_back(self, state: str, what: str) -> None:
        """Everything in the node's in-flight hash goes back to the frontier; its state is ``state``."""
        given = self._give_back(keys=[self.inflight, self.job.requests, self.job.alive(self.name),
                                      self.job.nodes, self.job.done], args=[self.name, state, "0"])
        if given > 0:
            logger.info("Gave back to the frontier %s %s", counted(given, "request"), what)

    def refuse(self, why: str) -> None:
        """The node's end, said once: Redis refused a step, or this node's password."""
        if not self.refused:
            self.refused = True
            logger.error("%s. Stopping; the writer gives this node's requests to the others once Redis "
                         "takes them.", why)
            self.stop(REDIS_REFUSED)

    @contextmanager
    def redis(self) -> Iterator[None]:
        """Rides out Redis going away for ``REDIS_GRACE`` seconds; past it, one error line
        and the node's end. Redis refusing a step (out of memory under ``noeviction``, an
        ACL) is the node's end at once, in one line: the writer stops on it too, and the
        node would otherwise go on without a heartbeat, holding what it took."""
        try:
            yield
        except redis.ResponseError as error:
            self.refuse(f"Redis refused a step of job {self.job.name}: {str(error).rstrip('.')}")
        except redis.AuthenticationError as error:  # before ConnectionError: it is one
            self.refuse(let_in_no_more(self.url, error))
        except (redis.ConnectionError, redis.TimeoutError) as error:
            if self.outage.failed(error):
                logger.error("Redis is unreachable: %s, for more than REDIS_GRACE (%.0f s). Stopping; "
                             "the writer gives this node's requests to the others once Redis is back.",
                             str(error).rstrip("."), self.outage.grace)
                self.stop(REDIS_LOST)
        else:
            self.outage.answered()

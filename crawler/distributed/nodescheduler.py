"""Scrapy's side of a fetch node: the queue that takes a request from the job's frontier
into the node's in-flight hash, and the scheduler that takes one only when the downloader
would send it at once."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque

import redis
from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.request import request_from_dict
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler
from twisted.internet.defer import Deferred

from crawler.distributed import frontier
from crawler.distributed.frontier import WireError
from crawler.distributed.job import text
from crawler.distributed.mode import TAKEN
from crawler.distributed.node import FetchNode, Taken
from crawler.distributed.scripts import TAKE_REQUEST
from crawler.distributed.wire import Page, off_hosts
from crawler.report.tally import Stat
from crawler.run import Run
from crawler.wechat.urls import host_of

logger = logging.getLogger(__name__)


class NodeQueue(PriorityQueue):
    """scrapy-redis's priority queue, with the frontier's serializer, taking each request
    into the node's in-flight hash in the same step, and putting one it holds back, as
    it was taken, as one step too."""

    def __init__(self, server: redis.Redis, spider: Spider, node: FetchNode):
        super().__init__(server, spider, node.job.requests, serializer=frontier)
        self.node = node
        self.refused_said = False  # ``off_hosts``: one setting, said at its first page
        self.behind_said = False  # Redis's clock behind the node's, since the last request taken
        self._take = server.register_script(TAKE_REQUEST)

    def pop(self, timeout: int = 0) -> Request | None:
        # not a node of the job before its first beat, nor of a writer of other code, nor
        # one that connected to Redis again a moment ago (``FetchNode.settling``)
        if self.node.gone or self.node.before_job or self.node.other_version or self.node.settling:
            return None
        with self.node.redis():
            connections = self.node.connections
            taken = self.take()
            while isinstance(taken, list) and taken[0] in self.node.holding:
                # Given back while this node fetched it (its heartbeat lapsed): the node's
                # hand-back of it clears the in-flight entry the take made again.
                taken = self.take()
            if isinstance(taken, list) and self.node.connections != connections:
                self.node.put_back(taken[0], float(taken[1]))  # taken over a new connection: settling
            elif isinstance(taken, bytes):
                self.node.writer_version(text(taken))
            elif isinstance(taken, int):
                self.behind(taken)
            elif taken:
                self.behind_said = False
                entry, score, clock = taken
                self.node.clock = max(self.node.clock, int(clock))
                try:
                    request = request_from_dict(self.serializer.loads(entry), spider=self.spider)
                except WireError as error:
                    self.server.hdel(self.node.inflight, entry)
                    self.dropped(error)
                    return None
                request.meta[TAKEN] = Taken(entry, float(score), request.url)
                self.node.took(request.meta[TAKEN])
                if host_of(request.url) not in self.node.article_hosts:
                    self.off_hosts(request)
                    return None
                return request
        return None

    def take(self) -> list[bytes] | bytes | int | None:
        """[entry, score, the job's clock], None when the frontier is empty or no writer takes
        pages, the writer's other code version, or the job's clock when it is behind the node's."""
        node = self.node
        keys = [self.key, node.inflight, node.job.opened, node.job.clock, node.job.behind, node.job.stopped,
                node.job.lease]
        taken: list[bytes] | bytes | int | None = self._take(keys=keys, args=[node.version, node.clock])
        return taken

    def behind(self, clock: int) -> None:
        """Redis holds an older state of the job than the node saw: restored from an older
        snapshot, its frontier holds again requests whose pages were archived since. The
        node takes nothing until the writer has dropped those (``rewind.Rewind``)."""
        if not self.behind_said:
            self.behind_said = True
            logger.info("Redis holds an older state of job %s than this node saw (its clock at %d, %d "
                        "here: restored from an older snapshot?): taking nothing until its writer has "
                        "dropped what was archived since", self.node.job.name, clock, self.node.clock)

    def off_hosts(self, request: Request) -> None:
        """Not fetched, and the writer told why: a node given fewer ``ARTICLE_HOSTS`` than its
        writer would otherwise leave it asking again, then blaming Redis. (An entry someone
        else put there is no page the writer waits for: it drops the answer.) Said at ERROR
        for the first page, the others at INFO: the writer's summary counts them."""
        why = off_hosts(request.url)
        self.dropped(why, logging.INFO if self.refused_said else logging.ERROR)
        self.refused_said = True
        self.node.hand_back(request, Page(self.node.name, request.meta["page_id"], request.url,
                                          url=request.url, failure=why))

    def dropped(self, why: WireError | str, level: int = logging.ERROR) -> None:
        logger.log(level, "Dropped from the frontier of job %s, not run: %s", self.node.job.name, why)

    def push(self, request: Request) -> None:
        self.node.requeue(request)


class NodeScheduler(Scheduler):
    """scrapy-redis's scheduler for a fetch node.

    It takes at most ``ARTICLE_PAGES_IN_FLIGHT`` requests at a time (the default: one),
    and only once its downloader would send one at once: Scrapy would otherwise pull
    requests from the shared frontier and keep them waiting behind this node's politeness
    (``DOWNLOAD_DELAY``, AutoThrottle's up to 60 s) while other nodes have nothing to do.
    Requests the node schedules itself (a retry, a block asked again, a redirect followed)
    are ones it holds: they stay here, with this node's retries and proxy, and go first;
    what goes back to the frontier goes as it was taken (``FetchNode.requeue``). It never
    clears the job's keys (that is the writer's), and it counts and logs without the spider
    arguments Scrapy 2.19 deprecates.
    """

    # What the requests it holds queued become when a signal stops the node (``crawler.stopping``).
    LEAVES = "given back to the job's frontier for its other fetch nodes"

    def __init__(self, crawler: Crawler, node: FetchNode):
        super().__init__(node.server, persist=True, serializer=frontier)
        self.node = node
        self.tally = Run.of(crawler).tally
        self.crawler = crawler
        self.limit = Run.of(crawler).config.article_pages_in_flight
        self.held: deque[Request] = deque()
        self.waking: asyncio.TimerHandle | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> NodeScheduler:
        node = getattr(crawler.spider, "node", None)  # the fetch spider's, made before
        assert isinstance(node, FetchNode)
        return cls(crawler, node)

    def open(self, spider: Spider) -> None:
        self.spider = spider
        self.queue = NodeQueue(self.server, spider, self.node)
        self.node.join()

    def close(self, reason: str) -> Deferred[None]:
        if self.waking is not None:
            self.waking.cancel()
        return deferred_from_coro(self.node.leave(reason))

    def enqueue_request(self, request: Request) -> bool:
        if not request.dont_filter and request.url in request.meta.get("redirect_urls", ()):
            return False  # redirected back into its own chain: see FetchSpider.request_dropped
        self.held.append(request)
        self.tally.count(Stat.SCHEDULER_ENQUEUED_MEMORY)
        return True

    def next_request(self) -> Request | None:
        if len(self.crawler.engine.downloader.active) >= self.limit:
            return None
        if self.held:
            self.tally.count(Stat.SCHEDULER_DEQUEUED_MEMORY)
            return self.held.popleft()
        wait = self.politeness_wait()
        if wait > 0:
            self.wake_in(wait)
            return None
        request = self.take()
        if request is None:
            self.wake_in(self.node.look_every)
        return request

    def take(self) -> Request | None:
        request = self.queue.pop()
        if request is not None:
            self.tally.count(Stat.SCHEDULER_DEQUEUED_REDIS)
        return request

    def politeness_wait(self) -> float:
        """Seconds before this node's downloader would send a request taken now."""
        now = time.monotonic()
        slots = self.crawler.engine.downloader.slots.values()
        return max((slot.lastseen + slot.delay - now for slot in slots), default=0.0)

    def wake_in(self, seconds: float) -> None:
        if self.waking is None:
            self.waking = asyncio.get_running_loop().call_later(seconds, self.take_when_ready)

    def take_when_ready(self) -> None:
        """Takes a request when the politeness wait is over, or looks at the frontier again
        while it is empty, and hands what it takes to the engine (which asks only every
        5 seconds when told there was nothing)."""
        self.waking = None
        if self.held or len(self.crawler.engine.downloader.active) >= self.limit:
            return
        wait = self.politeness_wait()
        if wait > 0:
            self.wake_in(wait)
            return
        request = self.take()
        if request is None:
            self.wake_in(self.node.look_every)
        else:
            self.crawler.engine.crawl(request)

    def __len__(self) -> int:
        """The requests this node holds queued (its own, and those a stop gave back): what a
        stopping node leaves (``crawler.stopping``), where the frontier is the job's."""
        return len(self.held)

    def has_pending_requests(self) -> bool:
        pending = bool(self.held)
        if not pending and not self.node.gone:
            with self.node.redis():
                pending = len(self.queue) > 0
        return pending


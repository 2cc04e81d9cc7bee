"""The writer's side of a job: article pages asked of the fetch nodes, and taken back.

Everything else the writer does as a single process does: it reads listings, decides
what is new, downloads images itself (the CDN needs no politeness), parses and writes
posts, index and captures. Only the article page's download is replaced.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import redis
import redis.asyncio as aioredis
from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Response

from crawler.config import Config
from crawler.distributed.frontier import WireError
from crawler.distributed.job import (
    DONE_SECONDS,
    REDIS_LOST,
    Job,
    Outage,
    connect_async,
    lease_seconds,
    process_name,
    text,
)
from crawler.distributed.scripts import GIVE_BACK, LEASE, RELEASE, REQUEUE_LOST, SUBMIT, TAKE_PAGE
from crawler.distributed.wire import Page, frontier_entry, frontier_score
from crawler.wechat.urls import host_of

logger = logging.getLogger(__name__)


class NotFetched(Exception):
    """A node could not fetch the page; the message is the node's reason (its retries done)."""


@dataclass
class Wanted:
    """A page the writer waits for: its request as on the frontier, and who waits."""

    url: str
    entry: bytes
    score: float
    future: asyncio.Future[Page]
    submitted: bool = False
    lost: int = 0  # times Redis lost it


class PageExchange:
    """Puts the writer's article requests on the frontier and gives each its page.

    A page is known by its request's fingerprint, the same on every run: a writer
    restarted in the middle of a job asks again for the articles it has not archived,
    and is given the pages fetched for it before it died, or waits for those on their way.
    A page handed back is checked before it is given (``misfit``): one that is not what
    was asked is dropped, and its request put on the frontier again.
    """

    def __init__(self, client: aioredis.Redis, job: Job, config: Config):
        self.client = client
        self.job = job
        self.hosts = config.article_hosts
        self.tries = config.redis_page_tries
        self.waiting: dict[str, Wanted] = {}
        self.stopped = ""  # why no page will come any more
        self._submit = client.register_script(SUBMIT)
        self._take = client.register_script(TAKE_PAGE)
        self._requeue_lost = client.register_script(REQUEUE_LOST)

    async def fetch(self, request: Request, page_id: str) -> Page:
        if self.stopped:
            raise IgnoreRequest(self.stopped)
        wanted = self.waiting.get(page_id)
        if wanted is None:
            wanted = self.waiting[page_id] = Wanted(request.url, frontier_entry(request, page_id),
                                                    frontier_score(request),
                                                    asyncio.get_running_loop().create_future())
        try:
            await self.submit(wanted, page_id)
            wanted.submitted = True
            await self.deliver(page_id)
        except (redis.ConnectionError, redis.TimeoutError):
            pass  # Redis is away: the writer's next look at the nodes puts it on the frontier
        return await wanted.future

    async def submit(self, wanted: Wanted, page_id: str) -> None:
        await self._submit(keys=[self.job.dupefilter, self.job.requests],
                           args=[page_id, wanted.score, wanted.entry])

    async def next_ready(self, timeout: float) -> str | None:
        """The id of the next page a node handed back, or None after ``timeout`` seconds."""
        item = await self.client.blpop([self.job.ready], timeout=timeout)
        return text(item[1]) if item else None

    async def deliver(self, page_id: str) -> None:
        """Gives a waiting request its page, if the page is there. A page nobody waits
        for stays in Redis: it was fetched for an earlier writer of the job, and the
        request that wants it may come later in this run."""
        wanted = self.waiting.get(page_id)
        if wanted is None:
            return
        data = await self._take(keys=[self.job.pages, self.job.dupefilter], args=[page_id])
        if data is None:
            return
        try:
            page = Page.from_bytes(data)
        except WireError as error:
            await self.refuse(page_id, wanted, str(error))
            return
        why = self.misfit(page, page_id, wanted)
        if why:
            await self.refuse(page_id, wanted, why)
            return
        del self.waiting[page_id]
        if not wanted.future.done():
            wanted.future.set_result(page)

    async def refuse(self, page_id: str, wanted: Wanted, why: str) -> None:
        logger.error("Dropped the page handed back as %s %s for %s: %s", self.job.pages, page_id,
                     wanted.url, why)
        if not self.gave_up(page_id, wanted):
            await self.submit(wanted, page_id)

    async def find_lost(self) -> None:
        """Asks again for every page Redis lost: one the writer waits for, and that is
        neither on the frontier, nor held by a node, nor handed back; and for the first
        time for one asked while Redis was away."""
        for page_id, wanted in list(self.waiting.items()):
            if wanted.future.done():
                continue
            if not wanted.submitted:
                await self.submit(wanted, page_id)
                wanted.submitted = True
                continue
            again = "0" if wanted.lost >= self.tries else "1"
            if not await self._requeue_lost(
                    keys=[self.job.requests, self.job.pages, self.job.dupefilter, self.job.nodes],
                    args=[wanted.entry, page_id, wanted.score, self.job.inflight_prefix, again]):
                continue
            if not self.gave_up(page_id, wanted):
                logger.warning("Redis lost the request for %s (on no frontier, held by no node, not "
                               "handed back): asked again, %d of %d", wanted.url, wanted.lost, self.tries)

    def gave_up(self, page_id: str, wanted: Wanted) -> bool:
        """Counts one more page lost or dropped; after ``REDIS_PAGE_TRIES`` asked again,
        the page is reported not fetched."""
        wanted.lost += 1
        if wanted.lost <= self.tries:
            return False
        del self.waiting[page_id]
        wanted.future.set_exception(NotFetched(
            f"its page was lost or dropped in Redis {wanted.lost} times"))
        return True

    def misfit(self, page: Page, page_id: str, wanted: Wanted) -> str:
        """Why ``page`` is not the page asked for, or nothing: whoever can write to Redis
        must not put another page, or one from elsewhere, in the archive."""
        if page.page_id != page_id:
            return f"it says it is page {page.page_id!r}"
        if page.asked != wanted.url:
            return f"its node was asked for {page.asked!r}"
        if host_of(page.url) not in self.hosts:
            return f"its URL {page.url!r} is not on ARTICLE_HOSTS"
        return ""

    def stop(self, why: str) -> None:
        """No page will come any more: every waiting request is given up with ``why``."""
        self.stopped = why
        for wanted in self.waiting.values():
            if not wanted.future.done():
                wanted.future.set_exception(IgnoreRequest(why))
        self.waiting.clear()


class NodeWatch:
    """Looks after the job's fetch nodes: gives back the requests of a node whose
    heartbeat expired, says which nodes are blocked, and whether any is left fetching.

    Only nodes blocked during this run count: a resumed job remembers nodes blocked
    before, which may be fetching again by the time they are needed.
    """

    def __init__(self, client: aioredis.Redis, job: Job):
        self.client = client
        self.job = job
        self.seen: dict[str, str] = {}  # each node's state at the last look
        self.blocked: set[str] = set()  # nodes blocked during this run
        self.said_none_fetching = False
        self._give_back = client.register_script(GIVE_BACK)

    async def first_look(self) -> None:
        self.seen = await self.text_hash(self.job.nodes)

    async def text_hash(self, key: str) -> dict[str, str]:
        return {text(name): text(value) for name, value in (await self.client.hgetall(key)).items()}

    async def every_node_blocked(self, waiting: int) -> bool:
        """One look at the nodes; True when ``waiting`` pages can no longer come because
        no node is fetching, and at least one was blocked during this run."""
        states = await self.text_hash(self.job.nodes)
        for node, state in states.items():
            if state == "fetching" and await self.gone_silent(node):
                states[node] = "lost"
            elif state == "blocked" and self.seen.get(node) != "blocked":
                self.blocked.add(node)
                logger.warning("Fetch node %s is blocked by WeChat; the other nodes take its requests", node)
        self.seen = states
        if not waiting or "fetching" in states.values():
            self.said_none_fetching = False
            return False
        if self.blocked:
            return True
        if not self.said_none_fetching:
            self.said_none_fetching = True
            logger.warning("%d article pages wait for a fetch node and none is running: start "
                           "`scrapy crawl fetch -s REDIS_URL=…` on a machine", waiting)
        return False

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
        notes = {"blocked": ", blocked", "lost": ", stopped answering"}
        lines = [f"{node}: {fetched.get(node, '0')} fetched{notes.get(states.get(node, ''), '')}"
                 for node in sorted(states.keys() | fetched.keys())]
        logger.info("Fetch nodes of job %s: %s", self.job.name, "; ".join(lines) or "none")


class Writer:
    """The writer's part in its job, from the spider's opening to its closing.

    Two background tasks run meanwhile: one takes the pages as nodes hand them back, the
    other looks after the nodes. A finished run ends the job: it is marked done, which
    stops the nodes, and its keys are removed. A run stopped for any other reason (Ctrl-C,
    every node blocked, killed) leaves the job in Redis, and the next writer of the job
    resumes it: what is on the frontier stays, and pages fetched meanwhile wait for it.
    """

    def __init__(self, crawler: Crawler, client: aioredis.Redis, config: Config):
        self.crawler = crawler
        job = Job.of(config)
        self.client = client
        self.job = job
        self.exchange = PageExchange(client, job, config)
        self.nodes = NodeWatch(client, job)
        self.look_every = config.redis_heartbeat / 3
        self.name = process_name()
        self.lease_ms = round(lease_seconds(config) * 1000)
        self._lease = client.register_script(LEASE)
        self._release = client.register_script(RELEASE)
        self.tasks: list[asyncio.Task[None]] = []
        self.outage = Outage(config.redis_grace)
        self.lost = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Writer:
        config = Config.of(crawler)
        writer = cls(crawler, connect_async(config.redis_url), config)
        crawler.signals.connect(writer.open, signal=signals.spider_opened)
        crawler.signals.connect(writer.close, signal=signals.spider_closed)
        return writer

    async def open(self) -> None:
        try:
            await self.client.delete(self.job.done)
            await self.nodes.first_look()
            queued = await self.client.zcard(self.job.requests)
            fetched = await self.client.hlen(self.job.pages)
        except redis.RedisError as error:
            self.redis_lost(error)
            return
        if queued or fetched:
            logger.info("Resuming job %s: %d requests on the frontier, %d pages fetched and waiting",
                        self.job.name, queued, fetched)
        else:
            logger.info("Job %s: article pages are fetched by its fetch nodes", self.job.name)
        self.tasks = [asyncio.ensure_future(self.take_pages()), asyncio.ensure_future(self.watch_nodes())]

    async def take_pages(self) -> None:
        while self.crawler.crawling:
            try:
                page_id = await self.exchange.next_ready(timeout=1)
                if page_id:
                    await self.exchange.deliver(page_id)
            except redis.RedisError as error:
                if await self.ride_out(error):
                    continue
                return
            self.outage.answered()
        self.exchange.stop("the writer is stopping; pages fetched for it wait in Redis for its next run")

    async def watch_nodes(self) -> None:
        while True:
            await asyncio.sleep(self.look_every)
            try:
                if not await self.keep_lease():
                    return
                await self.exchange.find_lost()
                if await self.nodes.every_node_blocked(len(self.exchange.waiting)):
                    logger.error("Every fetch node is blocked: stopping. The job stays in Redis; "
                                 "what is not archived is found again by the next run.")
                    self.stop("blocked", "not fetched: every fetch node is blocked")
                    return
            except redis.RedisError as error:
                if not await self.ride_out(error):
                    return

    async def ride_out(self, error: redis.RedisError) -> bool:
        """True when the task may go on: Redis has been away for less than
        ``REDIS_GRACE`` (it waits a second first); else the run stops."""
        if not self.lost and isinstance(error, (redis.ConnectionError, redis.TimeoutError)) \
                and not self.outage.failed(error):
            await asyncio.sleep(1)
            return True
        self.redis_lost(error)
        return False

    async def keep_lease(self) -> bool:
        """Renews the writer's lease; False, and the run stops, when another writer holds
        it (this one was silent for longer than the lease, and another started)."""
        holder, _ = await self._lease(keys=[self.job.lease], args=[self.name, self.lease_ms])
        if text(holder) == self.name:
            return True
        logger.error("Another writer, %s, has taken job %s: stopping. Its archive gets the pages "
                     "from now on; run one writer per job.", text(holder), self.job.name)
        self.stop(REDIS_LOST, "not fetched: another writer has taken the job")
        return False

    def redis_lost(self, error: redis.RedisError) -> None:
        if self.say_lost(error):
            self.stop(REDIS_LOST, "not fetched: Redis is unreachable")

    def say_lost(self, error: redis.RedisError) -> bool:
        """Says once that Redis went away; True the first time."""
        if self.lost:
            return False
        self.lost = True
        logger.error("Redis is unreachable: %s%s. Stopping; what is not archived is found "
                     "again by the next run.", error,
                     f", for more than REDIS_GRACE ({self.outage.grace:.0f} s)" if self.outage.over else "")
        return True

    def stop(self, reason: str, why: str) -> None:
        self.exchange.stop(why)
        asyncio.ensure_future(self.crawler.engine.close_spider_async(reason=reason))

    async def close(self, reason: str) -> None:
        for task in self.tasks:
            task.cancel()
        try:
            await self.nodes.report()
            if reason == "finished":
                await self.end_job()
            else:
                queued = await self.client.zcard(self.job.requests)
                logger.info("Job %s stays in Redis (%d requests on the frontier): run the same "
                            "command again to resume it", self.job.name, queued)
            await self._release(keys=[self.job.lease], args=[self.name])
        except redis.RedisError as error:
            self.say_lost(error)
        await self.client.aclose()

    async def end_job(self) -> None:
        """Marks the job done, which stops its nodes, and removes its other keys, at once."""
        nodes = [text(node) for node in await self.client.hkeys(self.job.nodes)]
        async with self.client.pipeline(transaction=True) as pipe:
            pipe.set(self.job.done, 1, ex=DONE_SECONDS)
            pipe.delete(*self.job.keys(nodes))
            await pipe.execute()


class RemoteFetch:
    """Article pages (``request.meta["article"]``) come from the job's fetch nodes.

    Placed right after BlockMiddleware (595), so that its gate bounds the pages asked of
    the nodes at once (``REDIS_PAGES_IN_FLIGHT``). The page is returned as the Response of
    ``process_request``: Scrapy then skips the download here but runs every middleware's
    ``process_response``, so that block checks and captures see the page as if it had been
    fetched here. A page a node followed a redirect for answers the request for where it
    moved, as a redirect followed here would.
    """

    def __init__(self, crawler: Crawler, exchange: PageExchange):
        self.exchange = exchange
        self.fingerprinter = crawler.request_fingerprinter

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RemoteFetch:
        writer = crawler.get_extension(Writer)
        if writer is None:
            raise NotConfigured("RemoteFetch needs the Writer extension")
        return cls(crawler, writer.exchange)

    async def process_request(self, request: Request) -> Response | None:
        if not request.meta.get("article"):
            return None
        page = await self.exchange.fetch(request, self.fingerprinter.fingerprint(request).hex())
        if page.failure:
            raise NotFetched(f"{page.failure} (fetch node {page.node})")
        request.headers = page.sent_headers()  # what was asked, for the captures
        request.meta["dont_retry"] = True  # the node has retried already
        answered = request if page.url == request.url else request.replace(url=page.url)
        return page.response(answered)

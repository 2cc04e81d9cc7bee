"""A fetch node's side of a job (``crawler.distributed.node``, ``nodescheduler``) against a
real redis-server: what it takes is held until handed or given back, as it was taken;
pages that could not be handed back during an outage are kept and sent later; its
scheduler takes from the frontier only when its downloader would send at once."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from types import SimpleNamespace

import pytest
import redis
from scrapy import Request
from scrapy.crawler import Crawler

from crawler.distributed.job import Job
from crawler.distributed.mode import TAKEN
from crawler.distributed.node import FetchNode
from crawler.distributed.nodescheduler import NodeQueue, NodeScheduler
from crawler.distributed.wire import Page, frontier_entry, frontier_score
from crawler.spiders.fetch import FetchSpider
from tests.conftest import project_config, unit_crawler
from tests.redisserver import RedisServer

JOB = Job("j")
NAME = "node-1"


@pytest.fixture
def crawler(redis_server_session: RedisServer) -> Crawler:
    return unit_crawler(FetchSpider, REDIS_URL=redis_server_session.url, REDIS_JOB=JOB.name,
                        REDIS_NODE=NAME, REDIS_HEARTBEAT="0.5")


@pytest.fixture
def node(crawler: Crawler, redis_db: redis.Redis, redis_server_session: RedisServer) -> FetchNode:
    config = project_config(REDIS_URL=redis_server_session.url, REDIS_JOB=JOB.name, REDIS_NODE=NAME,
                            REDIS_HEARTBEAT="0.5", REDIS_GRACE="60")
    return FetchNode(crawler, redis_db, config)


@pytest.fixture
def queue(node: FetchNode, redis_db: redis.Redis) -> NodeQueue:
    return NodeQueue(redis_db, FetchSpider(), node)


def put(redis_db: redis.Redis, url: str, page_id: str, priority: int = 0) -> bytes:
    """A writer's article request on the frontier, as the writer puts it there (holding the
    job's lease: nodes take nothing for a job without a writer)."""
    redis_db.set(JOB.lease, "writer:1", px=60_000)
    request = Request(url, priority=priority, headers={"Referer": "https://mp.weixin.qq.com/a"})
    entry = frontier_entry(request, page_id)
    redis_db.zadd(JOB.requests, {entry: frontier_score(request)})
    return entry


def page(request: Request, body: bytes = b"<html>page</html>") -> Page:
    return Page(NAME, request.meta["page_id"], request.meta[TAKEN].url, url=request.url, status=200,
                body=body)


def test_a_request_taken_is_the_writers_with_the_nodes_callbacks_and_held(
        queue: NodeQueue, node: FetchNode, redis_db: redis.Redis) -> None:
    entry = put(redis_db, "https://mp.weixin.qq.com/s/a", "p1", priority=5)
    put(redis_db, "https://mp.weixin.qq.com/s/b", "p2", priority=1)
    request = queue.pop()
    assert request is not None
    assert request.url == "https://mp.weixin.qq.com/s/a"  # the highest priority first
    assert request.headers["Referer"] == b"https://mp.weixin.qq.com/a"
    assert request.meta["page_id"] == "p1"
    assert request.meta[TAKEN] == (entry, -5.0, "https://mp.weixin.qq.com/s/a")
    assert request.callback.__name__ == "hand_back" and request.errback.__name__ == "fetch_failed"
    assert redis_db.hgetall(JOB.inflight(NAME)) == {entry: b"-5"}
    assert node.holding == {entry: -5.0}


def test_an_empty_frontier_gives_nothing(queue: NodeQueue) -> None:
    assert queue.pop() is None


@pytest.mark.parametrize("entry", [b"\x80\x04\x95 a pickle", b'{"v": 1, "url": "https://x"}'])
def test_an_entry_not_of_the_frontiers_format_is_dropped_not_run(
        queue: NodeQueue, node: FetchNode, redis_db: redis.Redis, entry: bytes) -> None:
    redis_db.set(JOB.lease, "writer:1", px=60_000)
    redis_db.zadd(JOB.requests, {entry: 0})
    assert queue.pop() is None
    assert not redis_db.exists(JOB.requests) and not redis_db.exists(JOB.inflight(NAME))
    assert node.holding == {}


def test_a_request_given_back_while_the_node_fetches_it_is_not_taken_twice(
        queue: NodeQueue, node: FetchNode, redis_db: redis.Redis) -> None:
    """The writer found the node silent and put back what it held; the node, back, takes
    the next request instead, and its hand-back of the first clears both copies."""
    held = put(redis_db, "https://mp.weixin.qq.com/s/a", "p1", priority=5)
    put(redis_db, "https://mp.weixin.qq.com/s/b", "p2", priority=1)
    redis_db.sadd(JOB.dupefilter, "p1", "p2")
    first = queue.pop()
    assert first is not None
    redis_db.zadd(JOB.requests, {held: redis_db.hget(JOB.inflight(NAME), held)})  # given back
    redis_db.delete(JOB.inflight(NAME))
    second = queue.pop()
    assert second is not None and second.meta["page_id"] == "p2"
    node.hand_back(first, page(first))
    assert not redis_db.exists(JOB.requests)
    assert set(redis_db.hkeys(JOB.inflight(NAME))) == {second.meta[TAKEN].entry}


def test_a_page_handed_back_reaches_the_writer_and_is_no_longer_held(
        queue: NodeQueue, node: FetchNode, crawler: Crawler, redis_db: redis.Redis) -> None:
    put(redis_db, "https://mp.weixin.qq.com/s/a", "p1")
    redis_db.sadd(JOB.dupefilter, "p1")  # the writer asked for it
    request = queue.pop()
    assert request is not None
    node.hand_back(request, page(request))
    assert Page.from_bytes(redis_db.hget(JOB.pages, "p1")).body == b"<html>page</html>"
    assert redis_db.lrange(JOB.ready, 0, -1) == [b"p1"]
    assert not redis_db.exists(JOB.inflight(NAME)) and node.holding == {}
    assert crawler.stats.get_value("pages/handed_back") == node.handed_back == 1


def test_a_failure_handed_back_after_another_nodes_page_does_not_replace_it(
        queue: NodeQueue, node: FetchNode, redis_db: redis.Redis) -> None:
    """A node thought gone whose fetch then failed (WeChat's answer timed out) handed back
    its failure over the page another node had handed back meanwhile: the writer, taking it,
    reported a page not fetched that was there. The first copy is kept, and a second page
    is counted dropped."""
    put(redis_db, "https://mp.weixin.qq.com/s/a", "p1")
    redis_db.sadd(JOB.dupefilter, "p1")
    request = queue.pop()
    assert request is not None
    other = Page("node-2", "p1", request.meta[TAKEN].url, url=request.url, status=200, body=b"<html>other</html>")
    redis_db.hset(JOB.pages, "p1", other.to_bytes())
    node.hand_back(request, replace(page(request), status=0, body=b"", failure="TimeoutError: timed out"))
    node.hand_back(request, page(request))
    assert Page.from_bytes(redis_db.hget(JOB.pages, "p1")) == other
    assert not redis_db.exists(JOB.ready)
    assert redis_db.hgetall(JOB.dropped) == {NAME.encode(): b"1"}


def test_a_page_not_handed_back_during_an_outage_is_sent_at_the_next_try(
        queue: NodeQueue, node: FetchNode, crawler: Crawler, redis_db: redis.Redis,
        monkeypatch: pytest.MonkeyPatch) -> None:
    for page_id in ("p1", "p2"):
        put(redis_db, f"https://mp.weixin.qq.com/s/{page_id}", page_id)
        redis_db.sadd(JOB.dupefilter, page_id)
    first, second = queue.pop(), queue.pop()
    assert first is not None and second is not None
    script = node._hand_back

    def unreachable(**_: object) -> None:
        raise redis.ConnectionError("Connection refused")

    monkeypatch.setattr(node, "_hand_back", unreachable)
    node.hand_back(first, page(first, b"first"))
    node.hand_back(second, page(second, b"second"))
    assert len(node.unsent) == 2 and not redis_db.exists(JOB.pages)
    assert node.outage.since is not None and not node.outage.over  # within the grace: no stop
    assert crawler.stats.get_value("pages/handed_back") is None
    monkeypatch.setattr(node, "_hand_back", script)
    with node.redis():
        node.send()
    assert not node.unsent and node.outage.since is None
    # oldest first, whichever the frontier gave first
    assert redis_db.lrange(JOB.ready, 0, -1) == [first.meta["page_id"].encode(), second.meta["page_id"].encode()]
    assert node.holding == {} and crawler.stats.get_value("pages/handed_back") == 2


def test_a_node_leaving_hands_back_first_what_an_outage_kept(
        queue: NodeQueue, node: FetchNode, redis_db: redis.Redis, monkeypatch: pytest.MonkeyPatch) -> None:
    """A page fetched while Redis was away, the node stopping (Ctrl-C, blocked) before its
    next beat sent it: its request went back to the frontier and the page was thrown away,
    to be fetched again from WeChat by another node."""
    entry = put(redis_db, "https://mp.weixin.qq.com/s/a", "p1")
    redis_db.sadd(JOB.dupefilter, "p1")
    request = queue.pop()
    assert request is not None
    script = node._hand_back

    def unreachable(**_: object) -> None:
        raise redis.ConnectionError("Connection refused")

    monkeypatch.setattr(node, "_hand_back", unreachable)
    node.hand_back(request, page(request))
    monkeypatch.setattr(node, "_hand_back", script)  # Redis back
    asyncio.run(node.leave("shutdown"))
    assert not node.unsent and Page.from_bytes(redis_db.hget(JOB.pages, "p1")).body == b"<html>page</html>"
    assert entry not in redis_db.zrange(JOB.requests, 0, -1) and not redis_db.exists(JOB.inflight(NAME))


def test_a_request_requeued_goes_back_as_it_was_taken(
        queue: NodeQueue, node: FetchNode, redis_db: redis.Redis) -> None:
    """Nothing of this node (its proxy, its headers, its retries) goes to the next."""
    entry = put(redis_db, "https://mp.weixin.qq.com/s/a", "p1", priority=3)
    request = queue.pop()
    assert request is not None
    changed = request.replace(url="https://mp.weixin.qq.com/s/redirected",
                              headers={"Proxy-Authorization": "Basic c2VjcmV0"},
                              meta={**request.meta, "proxy": "http://proxy:3128"})
    queue.push(changed)
    assert redis_db.zrange(JOB.requests, 0, -1, withscores=True) == [(entry, -3.0)]
    assert not redis_db.exists(JOB.inflight(NAME)) and node.holding == {}


@pytest.mark.parametrize(("reason", "state"), [("finished", "stopped"), ("shutdown", "stopped"),
                                               ("blocked", "blocked")])
def test_a_node_leaving_gives_back_what_it_holds_and_says_why(
        queue: NodeQueue, node: FetchNode, redis_db: redis.Redis, reason: str, state: str) -> None:
    entries = {put(redis_db, f"https://mp.weixin.qq.com/s/{n}", str(n), priority=n) for n in range(3)}
    assert queue.pop() is not None and queue.pop() is not None
    asyncio.run(node.leave(reason))
    assert set(redis_db.zrange(JOB.requests, 0, -1)) == entries
    assert not redis_db.exists(JOB.inflight(NAME))
    assert redis_db.hget(JOB.nodes, NAME) == state.encode()


def joined_once(node: FetchNode) -> None:
    """``node`` joins its job, in a running event loop, and beats no more after."""
    async def join() -> None:
        node.join()
        assert node.beating is not None
        node.beating.cancel()

    asyncio.run(join())


def test_joining_gives_back_what_a_previous_run_of_the_node_held_and_beats(
        node: FetchNode, redis_db: redis.Redis) -> None:
    redis_db.hset(JOB.inflight(NAME), "left-over", 7)
    joined_once(node)
    assert redis_db.zrange(JOB.requests, 0, -1, withscores=True) == [(b"left-over", 7.0)]
    assert redis_db.hget(JOB.nodes, NAME) == b"fetching"
    assert 0 < redis_db.pttl(JOB.alive(NAME)) <= 500


def test_the_heartbeat_puts_back_what_the_node_took_without_knowing(
        queue: NodeQueue, node: FetchNode, redis_db: redis.Redis) -> None:
    """A take whose answer was lost leaves a request in the in-flight hash the node does
    not hold; the next heartbeat puts it back on the frontier, and keeps what it holds."""
    held = put(redis_db, "https://mp.weixin.qq.com/s/held", "p1", priority=2)
    assert queue.pop() is not None
    redis_db.hset(JOB.inflight(NAME), "lost-answer", 4)

    async def beat_once() -> None:
        beating = asyncio.ensure_future(node.keep_beating())
        while not redis_db.exists(JOB.requests):
            await asyncio.sleep(0.01)
        beating.cancel()

    asyncio.run(asyncio.wait_for(beat_once(), timeout=10))
    assert redis_db.zrange(JOB.requests, 0, -1, withscores=True) == [(b"lost-answer", 4.0)]
    assert redis_db.hgetall(JOB.inflight(NAME)) == {held: b"-2"}
    assert redis_db.hget(JOB.nodes, NAME) == b"fetching"


def test_a_done_job_is_seen_and_refuses_the_nodes_writes(
        queue: NodeQueue, node: FetchNode, redis_db: redis.Redis) -> None:
    put(redis_db, "https://mp.weixin.qq.com/s/a", "p1")
    request = queue.pop()
    assert request is not None and not node.job_done()
    redis_db.set(JOB.done, 1)
    assert node.job_done()
    node.requeue(request)
    asyncio.run(node.leave("finished"))
    assert not redis_db.exists(JOB.requests) and not redis_db.exists(JOB.nodes)


def scheduler(crawler: Crawler, node: FetchNode, redis_db: redis.Redis, active: int = 0,
              wait: float = 0.0) -> NodeScheduler:
    """The node's scheduler, before its crawl: a downloader of ``active`` requests whose
    slot may send again in ``wait`` seconds."""
    slot = SimpleNamespace(lastseen=time.monotonic(), delay=wait)
    crawler.engine = SimpleNamespace(downloader=SimpleNamespace(  # type: ignore[assignment]
        active=set(range(active)), slots={"mp.weixin.qq.com": slot}))
    made = NodeScheduler(crawler, node)
    made.spider = FetchSpider()
    made.queue = NodeQueue(redis_db, made.spider, node)
    return made


def test_the_scheduler_takes_nothing_while_its_downloader_is_full(
        crawler: Crawler, node: FetchNode, redis_db: redis.Redis) -> None:
    put(redis_db, "https://mp.weixin.qq.com/s/a", "p1")
    full = scheduler(crawler, node, redis_db, active=1)  # ARTICLE_PAGES_IN_FLIGHT: 1
    assert full.next_request() is None
    assert redis_db.zcard(JOB.requests) == 1 and full.has_pending_requests()
    taking = scheduler(crawler, node, redis_db, active=0)
    request = taking.next_request()
    assert request is not None and request.meta["page_id"] == "p1"
    assert crawler.stats.get_value("scheduler/dequeued/redis") == 1
    assert not taking.has_pending_requests()


def test_requests_the_node_schedules_itself_go_first_and_stay_on_the_node(
        crawler: Crawler, node: FetchNode, redis_db: redis.Redis) -> None:
    put(redis_db, "https://mp.weixin.qq.com/s/a", "p1")
    made = scheduler(crawler, node, redis_db)
    retry = Request("https://mp.weixin.qq.com/s/retried")
    assert made.enqueue_request(retry)
    assert redis_db.zcard(JOB.requests) == 1  # not on the frontier
    assert made.next_request() is retry
    assert made.next_request() is not None  # then the frontier's
    assert crawler.stats.get_value("scheduler/enqueued/memory") == 1


def test_the_scheduler_waits_out_the_politeness_delay_before_taking(
        crawler: Crawler, node: FetchNode, redis_db: redis.Redis) -> None:
    """A request taken now would wait behind this node's delay while another node idles."""
    put(redis_db, "https://mp.weixin.qq.com/s/a", "p1")

    async def ask() -> tuple[Request | None, bool]:
        made = scheduler(crawler, node, redis_db, wait=30)
        taken = made.next_request()
        waking = made.waking is not None
        made.close("finished")
        return taken, waking

    taken, waking = asyncio.run(ask())
    assert taken is None and waking
    assert redis_db.zcard(JOB.requests) == 1


def test_an_idle_scheduler_looks_at_the_frontier_again_at_each_beat(
        crawler: Crawler, node: FetchNode, redis_db: redis.Redis) -> None:
    """Not only at Scrapy's next look at an idle spider (every 5 s): work put on the
    frontier reaches an idle node within a third of its heartbeat."""
    crawled: list[Request] = []

    async def idle_then_fed() -> None:
        made = scheduler(crawler, node, redis_db)
        crawler.engine.crawl = crawled.append  # type: ignore[union-attr]
        assert made.next_request() is None and made.waking is not None
        put(redis_db, "https://mp.weixin.qq.com/s/a", "p1")
        while not crawled:
            await asyncio.sleep(0.01)
        made.close("finished")

    asyncio.run(asyncio.wait_for(idle_then_fed(), timeout=10))
    assert [request.meta["page_id"] for request in crawled] == ["p1"]


def test_a_beat_that_finds_the_job_done_stops_the_node(
        crawler: Crawler, node: FetchNode, redis_db: redis.Redis) -> None:
    closed: list[str] = []

    async def close_spider_async(reason: str) -> None:
        closed.append(reason)

    async def beat_until_done() -> None:
        crawler.engine = SimpleNamespace(close_spider_async=close_spider_async)  # type: ignore[assignment]
        redis_db.set(JOB.done, 1)
        await node.keep_beating()  # returns once it has seen the job done
        await asyncio.sleep(0)

    asyncio.run(asyncio.wait_for(beat_until_done(), timeout=10))
    assert closed == ["finished"]


def test_a_node_that_gave_redis_up_calls_it_no_more(
        queue: NodeQueue, node: FetchNode, crawler: Crawler, redis_db: redis.Redis,
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """Past the grace the node stops; a call to a silent Redis would first wait out its
    timeout (seconds each, while the node closes). Its last line says what it could not hand
    back (it said "0 pages handed back" alone, the page it had fetched gone unsaid)."""
    caplog.set_level("INFO", logger="crawler.distributed.node")
    put(redis_db, "https://mp.weixin.qq.com/s/a", "p1")
    request = queue.pop()
    assert request is not None
    node.outage.over = True

    def called(*_: object, **__: object) -> None:
        raise AssertionError("Redis called after the node gave it up")

    for name in ("_hand_back", "_give_back", "_requeue", "_beat"):
        monkeypatch.setattr(node, name, called)
    monkeypatch.setattr(queue, "_take", called)
    monkeypatch.setattr(redis_db, "exists", called)
    monkeypatch.setattr(redis_db, "zcard", called)
    node.hand_back(request, page(request))
    node.requeue(request)
    asyncio.run(node.leave("redis_unreachable"))
    assert queue.pop() is None and not node.job_done()
    assert not scheduler(crawler, node, redis_db).has_pending_requests()
    assert len(node.unsent) == 1  # for the writer to find again once Redis is back
    assert "Fetch node node-1 stopped (redis_unreachable): 0 pages handed back to job j; 1 page fetched and " \
           "not handed back (Redis did not answer): asked again by the writer" in caplog.text, caplog.text


def test_a_node_that_held_nothing_says_nothing_of_giving_back(
        node: FetchNode, caplog: pytest.LogCaptureFixture) -> None:
    """Each start and stop of a node that held nothing: 'Gave back to the frontier 0
    requests' would be a line about nothing, in every log."""
    caplog.set_level("INFO", logger="crawler.distributed.node")
    node.give_back("fetching", "a previous run of this node held")
    asyncio.run(node.leave("finished"))
    assert "Gave back" not in caplog.text
    assert "Fetch node node-1 stopped (finished): 0 pages handed back to job j" in caplog.text


def test_a_node_that_joined_a_finished_job_takes_nothing_before_its_first_beat(
        queue: NodeQueue, node: FetchNode, redis_db: redis.Redis) -> None:
    """Until it beats, the node is not in the job's nodes hash, where the writer looks for
    who holds a request: one taken meanwhile would be asked again as lost in Redis."""
    redis_db.set(JOB.done, 1)  # the job's last run, finished
    joined_once(node)
    redis_db.delete(JOB.done)  # the next writer starts…
    put(redis_db, "https://mp.weixin.qq.com/s/a", "p1")  # …and asks for a page
    assert queue.pop() is None and not redis_db.hexists(JOB.nodes, NAME)
    assert node.beat()
    assert queue.pop() is not None


def test_a_wake_up_takes_nothing_while_the_node_holds_a_request_of_its_own(
        crawler: Crawler, node: FetchNode, redis_db: redis.Redis) -> None:
    """A retry the node scheduled goes first: taking from the frontier as well would send
    two pages at once (ARTICLE_PAGES_IN_FLIGHT: 1), one held back behind the other."""
    put(redis_db, "https://mp.weixin.qq.com/s/a", "p1")
    crawled: list[Request] = []
    made = scheduler(crawler, node, redis_db)
    crawler.engine.crawl = crawled.append  # type: ignore[union-attr]
    made.enqueue_request(Request("https://mp.weixin.qq.com/s/retried"))
    made.take_when_ready()
    assert crawled == [] and redis_db.zcard(JOB.requests) == 1


def test_a_node_that_left_beats_no_more(node: FetchNode, redis_db: redis.Redis) -> None:
    """A blocked node's last word is 'blocked': a beat after it would say it fetches again,
    and the writer would wait for it rather than stop on every node blocked."""

    async def join_then_leave() -> None:
        node.join()
        await node.leave("blocked")
        await asyncio.sleep(node.look_every * 3)

    asyncio.run(join_then_leave())
    assert redis_db.hget(JOB.nodes, NAME) == b"blocked" and not redis_db.exists(JOB.alive(NAME))

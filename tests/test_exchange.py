"""The writer's exchange of pages with its nodes (``crawler.distributed.exchange``) against
a real redis-server."""

from __future__ import annotations

import asyncio
import gc
import hashlib
from contextlib import closing
from dataclasses import replace
from types import SimpleNamespace
from typing import Any

import pytest
import redis
from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse

from crawler.distributed import exchange as exchange_module
from crawler.distributed.exchange import PageExchange
from crawler.distributed.job import Job, connect_async
from crawler.distributed.scripts import TAKE_PAGE
from crawler.distributed.wire import JobStopped, NotFetched, Page
from tests.conftest import memory_refused, project_config
from tests.redisproxy import RedisProxy
from tests.redisserver import RedisServer, free_port

JOB = Job("j")


def away_once(script: Any) -> Any:
    """``script`` as a call that fails the first time: Redis away at that moment."""
    tries: list[int] = []

    async def call(**arguments: Any) -> Any:
        tries.append(1)
        if len(tries) == 1:
            raise redis.ConnectionError("Redis is away")
        return await script(**arguments)

    return call


class Held:
    """``script`` with its answer held: the call reaches Redis and is answered there, and
    the caller gets the answer only once the test sets ``answer``: what the writer does
    meanwhile (a stop) falls between the call's send and its answer. An answer of nil
    (no page to take) is not held."""

    def __init__(self, script: Any):
        self.script = script
        self.sent, self.answer = asyncio.Event(), asyncio.Event()

    async def __call__(self, **arguments: Any) -> Any:
        result = await self.script(**arguments)
        if result is not None:
            self.sent.set()
            await self.answer.wait()
        return result


STOPPED = "not fetched: another writer has taken the job"


async def first_look(exchange: PageExchange, fetching: asyncio.Future[Page]) -> None:
    """Until the request ``fetching`` is submitted and its page looked for once, or it ended."""
    while not fetching.done() and (not exchange.waiting or exchange.taking.locked()):
        await asyncio.sleep(0.01)


def test_a_request_being_submitted_when_the_writer_stops_is_given_up(
        redis_server_session: RedisServer, redis_db: redis.Redis) -> None:
    """The writer stopped (another writer took its lease) while a request's submission to
    the frontier was under way: the stop gave up the requests waiting then, and the request
    began to wait after it, for a page nobody would give it; the writer never exited."""
    config = project_config(REDIS_URL=redis_server_session.url, REDIS_JOB=JOB.name)

    async def stop_while_submitting() -> None:
        client = connect_async(config)
        exchange = PageExchange(client, JOB, config, memory_refused)
        exchange._submit = submit = Held(exchange._submit)
        fetching = asyncio.ensure_future(exchange.fetch(Request("https://mp.weixin.qq.com/s/t"), "7ea"))
        try:
            await asyncio.wait_for(submit.sent.wait(), timeout=10)
            exchange.stop(STOPPED)
            submit.answer.set()
            await asyncio.wait_for(fetching, timeout=5)
        finally:
            fetching.cancel()
            await client.aclose()

    with pytest.raises(JobStopped, match="another writer has taken the job"):
        asyncio.run(stop_while_submitting())


@pytest.mark.parametrize("look", ["deliver", "find_lost"])
@pytest.mark.parametrize("handed_back", ["the page", "a page too large", "no page"])
def test_a_page_being_taken_when_the_writer_stops_is_given_to_its_request(
        redis_server_session: RedisServer, redis_db: redis.Redis, caplog: pytest.LogCaptureFixture,
        look: str, handed_back: str) -> None:
    """The writer stopped while it took a page from Redis (by the loop over pages handed
    back, or its look for lost pages). The stop gave its request up and the page was
    dropped: out of Redis, it was asked of WeChat again by the next run. (Before ac1cf27,
    giving it the page, or giving it up for a page too large, ended the task that took it
    with a KeyError.) Now the page taken is given to its request, to be archived as the run
    stops; one that is not the page asked is dropped as without a stop, and a stopped
    writer asks nothing of the nodes again."""
    config = project_config(REDIS_URL=redis_server_session.url, REDIS_JOB=JOB.name,
                            DOWNLOAD_MAXSIZE=str(1 << 16))
    request = Request("https://mp.weixin.qq.com/s/r")
    page = Page("n1", "7a4e", request.url, request.url, 200, {}, {}, b"<html></html>")
    data = {"the page": page.to_bytes(), "a page too large": replace(page, body=bytes(2 << 20)).to_bytes(),
            "no page": b"not a page"}[handed_back]

    async def stop_while_taking() -> tuple[Page | BaseException, int]:
        client = connect_async(config)
        exchange = PageExchange(client, JOB, config, memory_refused)
        exchange._take = take = Held(exchange._take)
        fetching = asyncio.ensure_future(exchange.fetch(request, "7a4e"))
        await asyncio.wait_for(first_look(exchange, fetching), timeout=10)
        await client.zpopmin(JOB.requests)  # a node takes the request…
        await client.hset(JOB.pages, "7a4e", data)  # …and hands back what it got
        looking = asyncio.ensure_future(
            exchange.deliver("7a4e") if look == "deliver" else exchange.find_lost())
        try:
            await asyncio.wait_for(take.sent.wait(), timeout=10)
            exchange.stop(STOPPED)
            take.answer.set()
            await asyncio.wait_for(looking, timeout=5)
            given = await asyncio.wait_for(asyncio.gather(fetching, return_exceptions=True), timeout=5)
            return given[0], await client.zcard(JOB.requests)
        finally:
            fetching.cancel()
            await client.aclose()

    caplog.set_level("INFO", logger="crawler.distributed.exchange")
    given, queued = asyncio.run(stop_while_taking())
    assert queued == 0
    if handed_back == "the page":
        assert given == page
        assert caplog.text == ""
        return
    if handed_back == "a page too large":
        assert isinstance(given, NotFetched) and "larger than DOWNLOAD_MAXSIZE" in str(given)
    else:
        assert isinstance(given, JobStopped) and str(given) == STOPPED
    assert [record.levelname for record in caplog.records] == ["ERROR"]
    assert "Dropped the page handed back" in caplog.text


def test_a_page_redis_lost_once_too_often_as_the_writer_stops_is_given_up_once(
        redis_server_session: RedisServer, redis_db: redis.Redis) -> None:
    """The writer stopped while its look for lost pages asked Redis about a page lost once
    too often: giving it up after the stop had, ended that look with a KeyError (the writer's
    look at the nodes, its lease and its lost pages, then dead, its traceback printed)."""
    config = project_config(REDIS_URL=redis_server_session.url, REDIS_JOB=JOB.name, REDIS_PAGE_TRIES="1")

    async def stop_while_looking() -> BaseException | None:
        client = connect_async(config)
        exchange = PageExchange(client, JOB, config, memory_refused)
        fetching = asyncio.ensure_future(exchange.fetch(Request("https://mp.weixin.qq.com/s/q"), "105e"))
        await asyncio.wait_for(first_look(exchange, fetching), timeout=10)
        await client.delete(JOB.requests)  # Redis loses it…
        await exchange.find_lost()  # …and it is asked again, once…
        await client.delete(JOB.requests)  # …and lost again
        exchange._requeue_lost = requeue_lost = Held(exchange._requeue_lost)
        looking = asyncio.ensure_future(exchange.find_lost())
        try:
            await asyncio.wait_for(requeue_lost.sent.wait(), timeout=10)
            exchange.stop(STOPPED)
            requeue_lost.answer.set()
            await asyncio.wait_for(looking, timeout=5)
            [failure] = await asyncio.wait_for(asyncio.gather(fetching, return_exceptions=True), timeout=5)
            return failure
        finally:
            fetching.cancel()
            await client.aclose()

    failure = asyncio.run(stop_while_looking())
    assert isinstance(failure, JobStopped) and str(failure) == STOPPED


def test_a_page_delivered_after_its_first_request_was_given_up_goes_to_the_one_asking_now(
        redis_server_session: RedisServer, redis_db: redis.Redis) -> None:
    """A page's delivery waited its turn while the look for lost pages gave its request up
    (lost once too often), and the same page was asked again meanwhile: the delivery gave
    the page to the request given up, dropped it, and took the new request off the waiting
    with it, which then waited for ever."""
    config = project_config(REDIS_URL=redis_server_session.url, REDIS_JOB=JOB.name, REDIS_PAGE_TRIES="1")
    request = Request("https://mp.weixin.qq.com/s/o")
    page = Page("n1", "a5ed", request.url, request.url, 200, {}, {}, b"<html></html>")

    async def asked_again() -> tuple[BaseException | None, Page]:
        client = connect_async(config)
        exchange = PageExchange(client, JOB, config, memory_refused)
        first = asyncio.ensure_future(exchange.fetch(request, "a5ed"))
        await asyncio.wait_for(first_look(exchange, first), timeout=10)
        await client.delete(JOB.requests)  # Redis loses it, it is asked again…
        await exchange.find_lost()
        await client.delete(JOB.requests)  # …and lost again: the next look gives it up
        exchange._requeue_lost = requeue_lost = Held(exchange._requeue_lost)
        exchange._take = take = Held(exchange._take)
        looking = asyncio.ensure_future(exchange.find_lost())
        again = None
        try:
            await asyncio.wait_for(requeue_lost.sent.wait(), timeout=10)
            await client.hset(JOB.pages, "a5ed", page.to_bytes())  # a node hands the page back late
            delivering = asyncio.ensure_future(exchange.deliver("a5ed"))  # its turn after the look
            await asyncio.sleep(0)
            requeue_lost.answer.set()
            await asyncio.wait_for(looking, timeout=5)
            [given_up] = await asyncio.wait_for(asyncio.gather(first, return_exceptions=True), timeout=5)
            taking = asyncio.ensure_future(take.sent.wait())
            await asyncio.wait_for(asyncio.wait([taking, delivering], return_when=asyncio.FIRST_COMPLETED),
                                   timeout=10)
            taking.cancel()
            again = asyncio.ensure_future(exchange.fetch(request.replace(dont_filter=True), "a5ed"))
            while "a5ed" not in exchange.waiting:  # submitted; its look for the page waits its turn
                await asyncio.sleep(0.01)
            take.answer.set()
            await asyncio.wait_for(delivering, timeout=5)
            return given_up, await asyncio.wait_for(again, timeout=5)
        finally:
            for pending in (looking, first, again):
                if pending is not None:
                    pending.cancel()
            await client.aclose()

    given_up, given = asyncio.run(asyncio.wait_for(asked_again(), timeout=60))
    assert isinstance(given_up, NotFetched) and "lost or dropped in Redis 2 times" in str(given_up)
    assert given == page


@pytest.mark.parametrize("refused", ["submit", "deliver"])
def test_a_step_redis_refuses_leaves_the_request_waiting_for_the_writers_look(refused: str) -> None:
    """Redis refusing writes (a read-only replica after a failover; full, under ``noeviction``)
    as a request was put on the frontier, or its page looked for: the request failed at
    once, each a WARNING naming Redis's refusal, and the run ended as if the pages had failed.
    It waits instead: the writer's look at the nodes meets the refusal and stops the job."""
    server = RedisServer().start()
    config = project_config(REDIS_URL=server.url, REDIS_JOB=JOB.name)

    def read_only() -> None:
        with closing(redis.Redis.from_url(server.url)) as admin:
            admin.execute_command("REPLICAOF", "127.0.0.1", str(free_port()))  # a master never there

    async def refused_then_stopped() -> Page:
        client = connect_async(config)
        exchange = PageExchange(client, JOB, config, memory_refused)
        submit = exchange._submit

        async def then_read_only(**arguments: Any) -> Any:
            answer = await submit(**arguments)
            await client.hset(JOB.pages, "5700", b"a page handed back")  # taking it is a write
            read_only()
            return answer

        if refused == "submit":
            read_only()
        else:
            exchange._submit = then_read_only
        fetching = asyncio.ensure_future(exchange.fetch(Request("https://mp.weixin.qq.com/s/p"), "5700"))
        try:
            await asyncio.wait_for(first_look(exchange, fetching), timeout=10)
            assert not fetching.done(), fetching.exception()
            with pytest.raises(redis.ReadOnlyError):  # the writer's look meets it, and stops the job
                await exchange.find_lost()
            exchange.stop(STOPPED)
            return await asyncio.wait_for(fetching, timeout=5)
        finally:
            fetching.cancel()
            await client.aclose()

    try:
        with pytest.raises(JobStopped):
            asyncio.run(refused_then_stopped())
    finally:
        server.stop()


def test_a_writer_whose_lease_another_took_takes_no_page_and_asks_nothing(
        redis_server_session: RedisServer, redis_db: redis.Redis) -> None:
    """A writer silent for longer than its lease (a stalled machine, SIGSTOP), another writer
    of the job started meanwhile: back, and before its look at the lease stopped it, it
    took the pages handed back for the other (which then asked for them again: a second
    fetch from WeChat each), and put its own requests on the other's frontier."""
    config = project_config(REDIS_URL=redis_server_session.url, REDIS_JOB=JOB.name)
    request = Request("https://mp.weixin.qq.com/s/n")
    page = Page("n1", "0the", request.url, request.url, 200, {}, {}, b"<html></html>")
    redis_db.set(JOB.lease, "elsewhere:42", px=60_000)
    redis_db.sadd(JOB.dupefilter, "0the")  # the other writer asked for the page, a node handed it back
    redis_db.hset(JOB.pages, "0the", page.to_bytes())

    async def back_after_the_lease() -> bool:
        client = connect_async(config)
        exchange = PageExchange(client, JOB, config, memory_refused)
        fetching = [asyncio.ensure_future(exchange.fetch(request, "0the")),  # the other's page
                    asyncio.ensure_future(exchange.fetch(Request("https://mp.weixin.qq.com/s/m"), "5e1f"))]
        try:
            for one in fetching:
                await asyncio.wait_for(first_look(exchange, one), timeout=10)
            await exchange.find_lost()
            return any(one.done() for one in fetching)
        finally:
            for one in fetching:
                one.cancel()
            await client.aclose()

    assert not asyncio.run(back_after_the_lease())
    assert redis_db.hget(JOB.pages, "0the") == page.to_bytes()  # left for the writer of the job
    assert redis_db.smembers(JOB.dupefilter) == {b"0the"} and not redis_db.exists(JOB.requests)


def test_a_page_the_writer_is_taking_is_not_asked_for_again_as_lost(redis_server_session: RedisServer,
                                                                   redis_db: redis.Redis) -> None:
    """Between taking a page from Redis and giving it to its request, the writer holds it
    and Redis has it nowhere: its look for lost pages waits instead of asking again for it
    (a second fetch and a false warning, once nodes hand pages back faster than it looks)."""
    config = project_config(REDIS_URL=redis_server_session.url, REDIS_JOB=JOB.name)
    request = Request("https://mp.weixin.qq.com/s/x")
    page = Page("n1", "f00d", request.url, request.url, 200, {}, {}, b"<html></html>")

    async def take_while_looking() -> tuple[Page, list[bool], int]:
        client = connect_async(config)
        exchange = PageExchange(client, JOB, config, memory_refused)
        taken, go_on, looked_while_taken = asyncio.Event(), asyncio.Event(), []
        take, requeue_lost = exchange._take, exchange._requeue_lost

        async def slow_take(**arguments: Any) -> Any:
            data = await take(**arguments)
            if data is not None:  # whichever delivery takes it: the fetch's own may come last
                taken.set()
                await go_on.wait()
            return data

        async def watched_requeue_lost(**arguments: Any) -> Any:
            looked_while_taken.append(taken.is_set() and not go_on.is_set())
            return await requeue_lost(**arguments)

        exchange._take, exchange._requeue_lost = slow_take, watched_requeue_lost
        fetching = asyncio.ensure_future(exchange.fetch(request, "f00d"))
        while not await client.zpopmin(JOB.requests):  # a node takes the request…
            await asyncio.sleep(0.01)
        await client.hset(JOB.pages, "f00d", page.to_bytes())  # …and hands its page back
        delivering = asyncio.ensure_future(exchange.deliver("f00d"))
        await taken.wait()
        looking = asyncio.ensure_future(exchange.find_lost())
        for _ in range(3):
            await asyncio.sleep(0)  # it runs up to its first call to Redis, or waits
        go_on.set()
        await asyncio.gather(delivering, looking)
        queued = await client.zcard(JOB.requests)
        await client.aclose()
        return await fetching, looked_while_taken, queued

    given, looked_while_taken, queued = asyncio.run(asyncio.wait_for(take_while_looking(), timeout=30))
    assert given == page
    assert not any(looked_while_taken) and queued == 0


def test_a_page_handed_back_as_its_request_is_submitted_is_not_asked_for_again(
        redis_server_session: RedisServer, redis_db: redis.Redis) -> None:
    """A writer restarted mid-job asks again for a page fetched for the one before it, while
    the node's hand-back of that page is delivered: given to the request before its
    submission ended, the page had left the job, and the submission put the request on the
    frontier again (a second fetch from WeChat, 1 run in 2 of a busy machine's resumes)."""
    config = project_config(REDIS_URL=redis_server_session.url, REDIS_JOB=JOB.name)
    request = Request("https://mp.weixin.qq.com/s/y")
    page = Page("n1", "beef", request.url, request.url, 200, {}, {}, b"<html></html>")

    async def resume() -> tuple[Page, int]:
        client = connect_async(config)
        await client.sadd(JOB.dupefilter, "beef")  # fetched for the writer before…
        await client.hset(JOB.pages, "beef", page.to_bytes())
        exchange = PageExchange(client, JOB, config, memory_refused)
        submit = exchange.submit

        async def delivered_meanwhile(wanted: Any, page_id: str) -> None:
            await exchange.deliver(page_id)  # the loop over pages handed back runs first
            await submit(wanted, page_id)

        exchange.submit = delivered_meanwhile  # type: ignore[method-assign]
        given = await exchange.fetch(request, "beef")
        queued = await client.zcard(JOB.requests)
        await client.aclose()
        return given, queued

    given, queued = asyncio.run(resume())
    assert given == page
    assert queued == 0


def test_a_page_that_could_not_be_given_as_redis_went_away_is_given_at_the_next_look(
        redis_server_session: RedisServer, redis_db: redis.Redis) -> None:
    """Its page handed back already, a request's first try to take it failed (Redis away
    that moment): the page stayed in Redis, where the look for lost pages finds it held and
    does not ask again, and nothing gave it: the request waited for ever."""
    config = project_config(REDIS_URL=redis_server_session.url, REDIS_JOB=JOB.name)
    request = Request("https://mp.weixin.qq.com/s/z")
    page = Page("n1", "cafe", request.url, request.url, 200, {}, {}, b"<html></html>")

    async def away_then_back() -> Page:
        client = connect_async(config)
        await client.sadd(JOB.dupefilter, "cafe")
        await client.hset(JOB.pages, "cafe", page.to_bytes())
        exchange = PageExchange(client, JOB, config, memory_refused)
        exchange._take = away_once(exchange._take)
        fetching = asyncio.ensure_future(exchange.fetch(request, "cafe"))
        while not exchange.waiting:
            await asyncio.sleep(0.01)
        await exchange.find_lost()
        given = await asyncio.wait_for(fetching, timeout=10)
        await client.aclose()
        return given

    assert asyncio.run(away_then_back()) == page


def test_a_request_redis_was_away_for_is_submitted_at_the_next_look_not_said_lost(
        redis_server_session: RedisServer, redis_db: redis.Redis, caplog: pytest.LogCaptureFixture) -> None:
    """Redis away the moment a request was submitted: the next look puts it on the frontier
    as first asked, not as a page Redis lost (a WARNING, and one of REDIS_PAGE_TRIES used)."""
    config = project_config(REDIS_URL=redis_server_session.url, REDIS_JOB=JOB.name)
    request = Request("https://mp.weixin.qq.com/s/w")
    page = Page("n1", "d00d", request.url, request.url, 200, {}, {}, b"<html></html>")

    async def away_then_back() -> tuple[int, int, Page]:
        client = connect_async(config)
        exchange = PageExchange(client, JOB, config, memory_refused)
        exchange._submit = away_once(exchange._submit)
        fetching = asyncio.ensure_future(exchange.fetch(request, "d00d"))
        while not exchange.waiting:
            await asyncio.sleep(0.01)
        assert not await client.exists(JOB.requests)
        await exchange.find_lost()
        queued, lost = await client.zcard(JOB.requests), exchange.waiting["d00d"].lost
        await client.zpopmin(JOB.requests)  # a node takes it and hands its page back
        await client.hset(JOB.pages, "d00d", page.to_bytes())
        await exchange.deliver("d00d")
        given = await asyncio.wait_for(fetching, timeout=10)
        await client.aclose()
        return queued, lost, given

    caplog.set_level("INFO", logger="crawler.distributed.exchange")
    queued, lost, given = asyncio.run(away_then_back())
    assert queued == 1 and lost == 0 and given == page
    assert "Redis lost" not in caplog.text


@pytest.mark.parametrize("how", ["lost", "dropped"])
def test_a_page_given_up_after_its_tries_is_not_asked_of_the_nodes_again(
        redis_server_session: RedisServer, redis_db: redis.Redis, how: str) -> None:
    """Lost by Redis, or handed back unreadable, once more than REDIS_PAGE_TRIES: the page is
    reported not fetched. Put on the frontier all the same, or asked again for ever, a node
    would fetch from WeChat a page nobody waits for any more."""
    config = project_config(REDIS_URL=redis_server_session.url, REDIS_JOB=JOB.name, REDIS_PAGE_TRIES="1")

    async def twice() -> tuple[BaseException | None, int]:
        client = connect_async(config)
        exchange = PageExchange(client, JOB, config, memory_refused)
        fetching = asyncio.ensure_future(exchange.fetch(Request("https://mp.weixin.qq.com/s/v"), "0dd"))
        while not exchange.waiting:
            await asyncio.sleep(0.01)
        for _ in range(2):
            await client.delete(JOB.requests)  # Redis loses it, or a node takes it…
            if how == "lost":
                await exchange.find_lost()
            else:  # …and hands back what is no page
                await client.hset(JOB.pages, "0dd", b"not a page")
                await exchange.deliver("0dd")
        await asyncio.sleep(0)
        queued = await client.zcard(JOB.requests)
        await client.aclose()
        return fetching.exception() if fetching.done() else None, queued

    failure, queued = asyncio.run(twice())
    assert isinstance(failure, NotFetched) and "lost or dropped in Redis 2 times" in str(failure)
    assert queued == 0


def test_a_request_after_the_writer_stopped_is_given_up_at_once(
        redis_server_session: RedisServer, redis_db: redis.Redis) -> None:
    """Once no page will come (every node blocked, Redis gone, the lease lost), a request
    reaching the exchange (one that waited its turn for REDIS_PAGES_IN_FLIGHT) would wait
    for ever, and the writer's close with it; nor is it asked of the nodes."""
    config = project_config(REDIS_URL=redis_server_session.url, REDIS_JOB=JOB.name)

    async def after_stop() -> None:
        client = connect_async(config)
        exchange = PageExchange(client, JOB, config, memory_refused)
        exchange.stop("not fetched: every fetch node is blocked")
        try:
            await asyncio.wait_for(exchange.fetch(Request("https://mp.weixin.qq.com/s/u"), "ace"), timeout=5)
        finally:
            await client.aclose()

    with pytest.raises(IgnoreRequest, match="every fetch node is blocked"):
        asyncio.run(after_stop())
    assert not redis_db.exists(JOB.requests)


def test_two_requests_for_one_page_are_both_given_it(redis_server_session: RedisServer,
                                                      redis_db: redis.Redis) -> None:
    """The same page asked twice while it is awaited (a request not filtered as a duplicate)
    is fetched once and given to both: the one asked first must not wait for ever."""
    config = project_config(REDIS_URL=redis_server_session.url, REDIS_JOB=JOB.name)
    request = Request("https://mp.weixin.qq.com/s/s")
    page = Page("n1", "5ame", request.url, request.url, 200, {}, {}, b"<html></html>")

    async def asked_twice() -> tuple[list[Page], int]:
        client = connect_async(config)
        exchange = PageExchange(client, JOB, config, memory_refused)
        deliver, looked = exchange.deliver, []

        async def counted(page_id: str) -> None:
            await deliver(page_id)
            looked.append(page_id)

        exchange.deliver = counted  # type: ignore[method-assign]
        first = asyncio.ensure_future(exchange.fetch(request, "5ame"))
        while not looked:
            await asyncio.sleep(0.01)
        second = asyncio.ensure_future(exchange.fetch(request.replace(dont_filter=True), "5ame"))
        while len(looked) < 2:  # each has submitted, and looked for its page
            await asyncio.sleep(0.01)
        queued = await client.zcard(JOB.requests)
        await client.zpopmin(JOB.requests)  # a node takes it and hands its page back
        await client.hset(JOB.pages, "5ame", page.to_bytes())
        await exchange.deliver("5ame")
        given = await asyncio.wait_for(asyncio.gather(first, second), timeout=10)
        await client.aclose()
        return given, queued

    assert asyncio.run(asked_twice()) == ([page, page], 1)


def a_page_taken(command: list[bytes], reply: Any) -> bool:
    """The writer's step that takes a page out of Redis, answered with the page."""
    return command[:1] == [b"EVALSHA"] and command[1] == hashlib.sha1(TAKE_PAGE.encode()).hexdigest().encode() \
        and isinstance(reply, bytes)


def test_a_page_whose_take_is_answered_after_redis_timeout_is_given_not_asked_again(
        redis_server_session: RedisServer, redis_db: redis.Redis) -> None:
    """Redis ran the take, and its answer came later than REDIS_TIMEOUT: the page had left
    Redis and the writer never had it; the next look found it nowhere and asked the nodes
    again (a second request to WeChat). Now the page stays taken in the writer's name,
    and the next look takes it again from there."""
    proxy = RedisProxy(redis_server_session.port, hold=a_page_taken).start()
    config = project_config(REDIS_URL=proxy.url, REDIS_JOB=JOB.name, REDIS_TIMEOUT="2")
    request = Request("https://mp.weixin.qq.com/s/l")
    page = Page("n1", "1a7e", request.url, request.url, 200, {}, {}, b"<html></html>")

    async def answered_late() -> tuple[Page, int]:
        client = connect_async(config)
        exchange = PageExchange(client, JOB, config, memory_refused)
        fetching = asyncio.ensure_future(exchange.fetch(request, "1a7e"))
        try:
            await asyncio.wait_for(first_look(exchange, fetching), timeout=10)
            await client.zpopmin(JOB.requests)  # a node takes the request…
            await client.hset(JOB.pages, "1a7e", page.to_bytes())  # …and hands its page back
            with pytest.raises(redis.TimeoutError):
                await exchange.deliver("1a7e")
            assert proxy.held.is_set()
            proxy.release()
            await exchange.find_lost()
            given = await asyncio.wait_for(fetching, timeout=5)
            return given, await client.zcard(JOB.requests)
        finally:
            fetching.cancel()
            await client.aclose()

    try:
        given, queued = asyncio.run(asyncio.wait_for(answered_late(), timeout=60))
    finally:
        proxy.stop()
    assert given == page and queued == 0
    assert redis_db.hgetall(JOB.taken) == {b"1a7e": page.to_bytes()}  # until it is archived


class Clock:
    """``time.monotonic`` of the exchange, moved by the test."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


def test_responses_waiting_for_their_callbacks_are_no_collection_at_every_look(
        redis_server_session: RedisServer, redis_db: redis.Redis, monkeypatch: pytest.MonkeyPatch) -> None:
    """Responses made of taken pages that wait behind a backlog for their callbacks: no
    collection can let them go, and the writer's look ran one (a whole ``gc.collect``) at
    each look while they waited, every 10 s. One held by a traceback's cycle still leaves:
    a collection that let none go doubles the wait before the next, to 32 looks at most."""
    config = project_config(REDIS_URL=redis_server_session.url, REDIS_JOB=JOB.name)
    pages = {page_id: Page("n1", page_id, f"https://mp.weixin.qq.com/s/{page_id}",
                           f"https://mp.weixin.qq.com/s/{page_id}", 200, {}, {}, b"<html></html>")
             for page_id in ("ba4", "c1c")}
    clock, collections = Clock(), []
    monkeypatch.setattr(exchange_module, "time", clock)
    monkeypatch.setattr(exchange_module, "gc", SimpleNamespace(
        collect=lambda: collections.append(clock.now) or gc.collect()))
    after = 10.0

    async def backlog_then_a_cycle() -> tuple[list[float], float, bool]:
        client = connect_async(config)
        exchange = PageExchange(client, JOB, config, memory_refused)
        for page_id, page in pages.items():
            await client.sadd(JOB.dupefilter, page_id)
            await client.hset(JOB.pages, page_id, page.to_bytes())
            await exchange.fetch(Request(page.url), page_id)

        def look() -> None:
            clock.now += after
            exchange.collect_dropped(after=after)

        waiting = HtmlResponse(pages["ba4"].url, body=b"<html></html>")  # held, as Scrapy's queue holds it
        exchange.hand_over("ba4", waiting)
        for _ in range(100):
            look()
        backlog = list(collections)
        cycle: dict[str, Any] = {"response": HtmlResponse(pages["c1c"].url, body=b"<html></html>")}
        exchange.hand_over("c1c", cycle["response"])
        cycle["itself"] = cycle  # as a block's traceback holds it
        dropped_at = clock.now
        del cycle
        while "c1c" in exchange.held and clock.now - dropped_at < 100 * after:
            look()
            await asyncio.sleep(0)  # the finalizer's call
        let_go_after = clock.now - dropped_at
        await asyncio.gather(*exchange.finishing.values())
        taken = await client.hexists(JOB.taken, "c1c")
        assert "ba4" in exchange.held and waiting is not None
        await client.aclose()
        return backlog, let_go_after, taken

    backlog, let_go_after, taken = asyncio.run(backlog_then_a_cycle())
    assert 1 <= len(backlog) <= 10, backlog  # 100 looks
    assert let_go_after <= 33 * after and not taken

"""The writer's exchange of pages with its nodes (``crawler.distributed.exchange``) against
a real redis-server."""

from __future__ import annotations

import asyncio
from typing import Any

import redis
from scrapy import Request

from crawler.distributed.exchange import PageExchange
from crawler.distributed.job import Job, connect_async
from crawler.distributed.wire import Page
from tests.conftest import project_config
from tests.redisserver import RedisServer

JOB = Job("j")


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
        exchange = PageExchange(client, JOB, config)
        fetching = asyncio.ensure_future(exchange.fetch(request, "f00d"))
        while not await client.zpopmin(JOB.requests):  # a node takes the request…
            await asyncio.sleep(0.01)
        await client.hset(JOB.pages, "f00d", page.to_bytes())  # …and hands its page back
        taken, go_on, looked_while_taken = asyncio.Event(), asyncio.Event(), []
        take, requeue_lost = exchange._take, exchange._requeue_lost

        async def slow_take(**arguments: Any) -> Any:
            data = await take(**arguments)
            taken.set()
            await go_on.wait()
            return data

        async def watched_requeue_lost(**arguments: Any) -> Any:
            looked_while_taken.append(taken.is_set() and not go_on.is_set())
            return await requeue_lost(**arguments)

        exchange._take, exchange._requeue_lost = slow_take, watched_requeue_lost
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

    given, looked_while_taken, queued = asyncio.run(take_while_looking())
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
        exchange = PageExchange(client, JOB, config)
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
        exchange = PageExchange(client, JOB, config)
        take = exchange._take
        tries = []

        async def away_once(**arguments: Any) -> Any:
            tries.append(1)
            if len(tries) == 1:
                raise redis.ConnectionError("Redis is away")
            return await take(**arguments)

        exchange._take = away_once
        fetching = asyncio.ensure_future(exchange.fetch(request, "cafe"))
        while not exchange.waiting:
            await asyncio.sleep(0.01)
        await exchange.find_lost()
        given = await asyncio.wait_for(fetching, timeout=10)
        await client.aclose()
        return given

    assert asyncio.run(away_then_back()) == page

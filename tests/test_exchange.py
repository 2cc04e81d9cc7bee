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

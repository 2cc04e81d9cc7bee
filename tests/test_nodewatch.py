"""The writer's look at its fetch nodes (``crawler.distributed.writer.NodeWatch``) against a
real redis-server, the nodes' states written by the nodes' own scripts."""

from __future__ import annotations

import asyncio

import pytest
import redis

from crawler.distributed.job import Job, connect_async
from crawler.distributed.scripts import GIVE_BACK, HEARTBEAT
from crawler.distributed.writer import NodeWatch
from tests.conftest import project_config
from tests.redisserver import RedisServer

JOB = Job("j")
WAITING = 5  # article pages the writer waits for


def beat(db: redis.Redis, node: str, milliseconds: int = 60_000) -> None:
    db.eval(HEARTBEAT, 5, JOB.alive(node), JOB.nodes, JOB.done, JOB.clock, JOB.stopped, node, milliseconds)


def leave(db: redis.Redis, node: str, state: str) -> None:
    db.eval(GIVE_BACK, 5, JOB.inflight(node), JOB.requests, JOB.alive(node), JOB.nodes, JOB.done,
            node, state, "0")


@pytest.mark.parametrize("again", ["n1", "n3"])  # REDIS_NODE, or host:pid: a name of its own
def test_a_node_blocked_then_fetching_again_is_not_counted_blocked(redis_server_session: RedisServer,
                                                                   redis_db: redis.Redis, again: str) -> None:
    """A node blocked, restarted by systemd and fetching again, is no longer a blocked node:
    when every node stops for another reason (restarted for an upgrade, a network outage),
    the writer waits ``REDIS_NODE_WAIT`` for them rather than stopping on "every fetch node
    is blocked"."""
    config = project_config(REDIS_URL=redis_server_session.url, REDIS_JOB=JOB.name)

    async def looks() -> list[bool]:
        client = connect_async(config)
        watch = NodeWatch(client, JOB, config.redis_node_grace)
        await watch.first_look()
        seen = []
        beat(redis_db, "n1")
        beat(redis_db, "n2")
        seen.append(await watch.every_node_blocked(WAITING))
        leave(redis_db, "n1", "blocked")  # n2 goes on fetching
        seen.append(await watch.every_node_blocked(WAITING))
        beat(redis_db, again)  # n1's machine, restarted, let through again
        seen.append(await watch.every_node_blocked(WAITING))
        leave(redis_db, again, "stopped")
        leave(redis_db, "n2", "stopped")
        seen.append(await watch.every_node_blocked(WAITING))
        beat(redis_db, "n2")  # and the other way: the one node fetching is blocked
        seen.append(await watch.every_node_blocked(WAITING))
        leave(redis_db, "n2", "blocked")
        seen.append(await watch.every_node_blocked(WAITING))
        await client.aclose()
        return seen

    assert asyncio.run(looks()) == [False, False, False, False, False, True]


def test_no_page_waiting_is_no_reason_to_wait_for_a_node_or_to_stop(
        redis_server_session: RedisServer, redis_db: redis.Redis, caplog: pytest.LogCaptureFixture) -> None:
    """A writer still reading listings, or with nothing new to fetch, needs no node: none
    running, or the one there blocked, is no warning, no wait towards REDIS_NODE_WAIT and
    no stop; it is once pages wait."""
    config = project_config(REDIS_URL=redis_server_session.url, REDIS_JOB=JOB.name)
    caplog.set_level("INFO", logger="crawler.distributed.writer")

    async def looks() -> list[tuple[bool, float]]:
        client = connect_async(config)
        watch = NodeWatch(client, JOB, config.redis_node_grace)
        await watch.first_look()
        seen = [(await watch.every_node_blocked(0), watch.none_fetching_for())]
        beat(redis_db, "n1")
        leave(redis_db, "n1", "blocked")
        seen.append((await watch.every_node_blocked(0), watch.none_fetching_for()))
        seen.append((await watch.every_node_blocked(WAITING), watch.none_fetching_for()))
        await client.aclose()
        return seen

    assert asyncio.run(looks()) == [(False, 0.0), (False, 0.0), (True, 0.0)]
    assert "none is running" not in caplog.text


def test_a_node_that_died_holding_nothing_is_said_lost_at_once(
        redis_server_session: RedisServer, redis_db: redis.Redis, caplog: pytest.LogCaptureFixture) -> None:
    """A node killed between two pages holds nothing: it is still said to have stopped
    answering, and no longer counts as fetching (the wait for a node starts)."""
    config = project_config(REDIS_URL=redis_server_session.url, REDIS_JOB=JOB.name)
    caplog.set_level("INFO", logger="crawler.distributed.writer")

    async def look_after_its_heartbeat() -> tuple[bool, bool]:
        client = connect_async(config)
        watch = NodeWatch(client, JOB, config.redis_node_grace)
        await watch.first_look()
        beat(redis_db, "n1", milliseconds=20)
        while redis_db.exists(JOB.alive("n1")):
            await asyncio.sleep(0.01)
        blocked = await watch.every_node_blocked(WAITING)
        await client.aclose()
        return blocked, watch.none_fetching_since is not None

    assert asyncio.run(look_after_its_heartbeat()) == (False, True)
    assert "Fetch node n1 stopped answering; requests it held go back to the frontier: 0" in caplog.text
    assert redis_db.hget(JOB.nodes, "n1") == b"lost"


def test_one_page_waiting_for_a_node_is_said_in_the_singular(
        redis_server_session: RedisServer, caplog: pytest.LogCaptureFixture) -> None:
    config = project_config(REDIS_URL=redis_server_session.url, REDIS_JOB=JOB.name)
    caplog.set_level("INFO", logger="crawler.distributed.writer")

    async def look() -> None:
        client = connect_async(config)
        watch = NodeWatch(client, JOB, config.redis_node_grace)
        await watch.first_look()
        await watch.every_node_blocked(1)
        await client.aclose()

    asyncio.run(look())
    assert "1 article page waits for a fetch node and none is running" in caplog.text, caplog.text


def test_no_node_running_is_one_warning_a_stretch_not_one_a_look(
        redis_server_session: RedisServer, redis_db: redis.Redis, caplog: pytest.LogCaptureFixture) -> None:
    """The writer looks at the nodes every few seconds: while none runs, cron mails one
    WARNING once ``REDIS_NODE_GRACE`` is over, not one a look; a node that fetched, then
    went, starts a stretch of its own, said again."""
    config = project_config(REDIS_URL=redis_server_session.url, REDIS_JOB=JOB.name)
    caplog.set_level("INFO", logger="crawler.distributed.writer")

    async def looks() -> None:
        client = connect_async(config)
        watch = NodeWatch(client, JOB, 0.2)
        await watch.first_look()
        for _ in range(3):  # within the grace
            await watch.every_node_blocked(WAITING)
        await asyncio.sleep(0.3)
        for _ in range(3):
            await watch.every_node_blocked(WAITING)
        beat(redis_db, "n1")
        await watch.every_node_blocked(WAITING)
        leave(redis_db, "n1", "stopped")
        for _ in range(2):
            await watch.every_node_blocked(WAITING)
            await asyncio.sleep(0.3)
        await watch.every_node_blocked(WAITING)
        await client.aclose()

    asyncio.run(looks())
    said = [record.levelname for record in caplog.records if "none is running" in record.getMessage()]
    assert said == ["INFO", "WARNING", "INFO", "WARNING"], caplog.text

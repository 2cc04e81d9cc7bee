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
    db.eval(HEARTBEAT, 3, JOB.alive(node), JOB.nodes, JOB.done, node, milliseconds)


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
        watch = NodeWatch(client, JOB)
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

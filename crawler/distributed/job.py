"""What the writer and its fetch nodes agree on: where Redis is and the job's key names."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass

import redis

from crawler.config import Config

# The close reason of a writer or node that lost Redis in the middle of a job.
REDIS_LOST = "redis_unreachable"
# How long a finished job's ``done`` key stays: nodes idle in the meantime see it (they
# look every few seconds) and stop; the next job of the same name removes it at once.
DONE_SECONDS = 300


@dataclass(frozen=True)
class Job:
    """The Redis keys of one job (see the package's docstring for what each holds)."""

    name: str

    @classmethod
    def of(cls, config: Config) -> Job:
        return cls(config.redis_job)

    @property
    def requests(self) -> str:
        return f"{self.name}:requests"

    @property
    def dupefilter(self) -> str:
        return f"{self.name}:dupefilter"

    @property
    def nodes(self) -> str:
        return f"{self.name}:nodes"

    @property
    def fetched(self) -> str:
        return f"{self.name}:fetched"

    @property
    def pages(self) -> str:
        return f"{self.name}:pages"

    @property
    def ready(self) -> str:
        return f"{self.name}:ready"

    @property
    def done(self) -> str:
        return f"{self.name}:done"

    def inflight(self, node: str) -> str:
        return f"{self.inflight_prefix}{node}"

    @property
    def inflight_prefix(self) -> str:
        return f"{self.name}:inflight:"

    def alive(self, node: str) -> str:
        return f"{self.name}:alive:{node}"

    def keys(self, nodes: list[str]) -> list[str]:
        """Every key of the job but ``done``, for the nodes named."""
        per_node = [key for node in nodes for key in (self.inflight(node), self.alive(node))]
        return [self.requests, self.dupefilter, self.nodes, self.fetched, self.pages, self.ready,
                *per_node]


def text(value: bytes | str) -> str:
    """A name or value read from Redis (bytes, as the clients here do not decode)."""
    return value.decode() if isinstance(value, bytes) else value


def node_name(config: Config) -> str:
    """``REDIS_NODE``, or host:pid: unique among the nodes of a job, and readable in its counters."""
    return config.redis_node or f"{socket.gethostname()}:{os.getpid()}"


def redis_unreachable(url: str) -> str | None:
    """Why the Redis at ``url`` cannot be used, in one line; None when it answers or none is given."""
    if not url:
        return None
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5)
        try:
            client.ping()
        finally:
            client.close()
    except (redis.RedisError, ValueError) as error:
        return f"Redis at {url} is unreachable: {error}"
    return None

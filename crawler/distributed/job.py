"""What the writer and its fetch nodes agree on: where Redis is and the job's key names."""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, ClassVar, NamedTuple
from urllib.parse import parse_qs, urlsplit

import redis
import redis.asyncio as aioredis
import redis.asyncio.retry
import redis.retry
from redis.backoff import ExponentialBackoff

from crawler.config import Config
from crawler.distributed.scripts import LEASE, RELEASE
from crawler.wechat.urls import redacted

logger = logging.getLogger(__name__)

# How long a finished job's ``done`` key stays: nodes idle in the meantime see it (they
# look every few seconds) and stop; the next job of the same name removes it at once.
DONE_SECONDS = 300


@dataclass(frozen=True)
class Job:
    """The Redis keys of one job (see the package's docstring for what each holds)."""

    name: str

    @classmethod
    def from_config(cls, config: Config) -> Job:
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
    def dropped(self) -> str:
        return f"{self.name}:dropped"

    @property
    def handed(self) -> str:
        return f"{self.name}:handed"

    @property
    def pages(self) -> str:
        return f"{self.name}:pages"

    @property
    def ready(self) -> str:
        return f"{self.name}:ready"

    @property
    def taken(self) -> str:
        return f"{self.name}:taken"

    @property
    def takers(self) -> str:
        return f"{self.name}:takers"

    @property
    def done(self) -> str:
        return f"{self.name}:done"

    @property
    def lease(self) -> str:
        return f"{self.name}:writer"

    @property
    def last_writer(self) -> str:
        return f"{self.name}:lastwriter"

    @property
    def opened(self) -> str:
        return f"{self.name}:opened"

    @property
    def clock(self) -> str:
        return f"{self.name}:clock"

    @property
    def behind(self) -> str:
        return f"{self.name}:behind"

    @property
    def stopped(self) -> str:
        return f"{self.name}:stopped"

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
        return [self.requests, self.dupefilter, self.nodes, self.fetched, self.dropped, self.handed,
                self.pages, self.ready, self.taken, self.takers, self.lease, self.last_writer,
                self.opened, self.clock, self.behind, self.stopped, *per_node]


@dataclass(frozen=True)
class OtherJobs:
    """The other jobs a Redis holds, by their keys' names: a writer and its nodes given two
    names (a typo in one crontab's ``REDIS_JOB``) each wait for the other, which is there."""

    # What a scan of the keys of every job matches (a job's name holds no ':').
    PATTERN: ClassVar[str] = "*:*"
    # Two archives sharing one Redis are two jobs too: one's nodes wait while the other's writer runs.
    ADVICE: ClassVar[str] = "if they are one job, give writer and nodes the same REDIS_JOB"

    nodes: dict[str, list[str]]  # job → its fetch nodes alive
    writers: frozenset[str]  # jobs whose writer holds its lease

    @classmethod
    def of(cls, keys: Iterable[str], job: str) -> OtherJobs:
        nodes: dict[str, list[str]] = {}
        writers = set()
        for key in keys:
            name, _, rest = key.partition(":")
            if name == job:
                continue
            if rest == "writer":
                writers.add(name)
            elif rest.startswith("alive:"):
                nodes.setdefault(name, []).append(rest.removeprefix("alive:"))
        return cls(nodes, frozenset(writers))

    def without_writer(self) -> dict[str, list[str]]:
        """The jobs whose fetch nodes wait while no writer runs: each job's nodes, sorted."""
        return {name: sorted(nodes) for name, nodes in sorted(self.nodes.items()) if name not in self.writers}

    def without_nodes(self) -> list[str]:
        """The jobs whose writer runs while none of their fetch nodes is alive."""
        return sorted(self.writers - self.nodes.keys())


# Every client's connection, explicit rather than redis-py's defaults (which differ between
# its releases: none at all in 5.0): a silent network fails a call within ``REDIS_TIMEOUT``
# seconds instead of blocking it forever (longer than the writer's one-second BLPOP), and a
# call whose connection broke is tried again a few times within a second or two; a call
# that timed out is not, having waited already. Longer outages are ``Outage``'s.
_CONNECTION: dict[str, Any] = {"health_check_interval": 15}
_RETRIES = 3


def _connection(url: str) -> dict[str, Any]:
    """TCP keepalive where there is TCP: redis-py's Unix socket connection refuses it (a TypeError)."""
    return _CONNECTION if urlsplit(url).scheme == "unix" else {**_CONNECTION, "socket_keepalive": True}


def _backoff() -> ExponentialBackoff:
    return ExponentialBackoff(cap=1.0, base=0.1)


def connect(config: Config, connected: Callable[[], None] = lambda: None) -> redis.Redis:
    """A client of the job's Redis (a node's); ``connected`` is called at each connection it
    makes, once the connection is ready (a second one: the first broke, Redis may have restarted)."""
    def ready(connection: redis.connection.AbstractConnection) -> None:
        connection.on_connect()  # redis-py's own steps (AUTH, SELECT), which this replaces
        connected()

    retry = redis.retry.Retry(_backoff(), _RETRIES, supported_errors=(redis.ConnectionError,))
    return redis.Redis.from_url(config.redis_url, retry=retry, socket_timeout=config.redis_timeout,
                                socket_connect_timeout=config.redis_timeout, redis_connect_func=ready,
                                **_connection(config.redis_url))


def connect_async(config: Config) -> aioredis.Redis:
    """An asyncio client of the job's Redis (the writer's)."""
    retry = redis.asyncio.retry.Retry(_backoff(), _RETRIES, supported_errors=(redis.ConnectionError,))
    return aioredis.Redis.from_url(config.redis_url, retry=retry, socket_timeout=config.redis_timeout,
                                   socket_connect_timeout=config.redis_timeout,
                                   **_connection(config.redis_url))


class Outage:
    """Rides out Redis going away for less than ``REDIS_GRACE`` seconds (a restart, a
    network blip): the first failed call is one INFO line, the first call that works again
    another (an outage ridden out costs nothing: from cron, it mails nothing), and only a
    failure after the grace ends the run (``failed`` is True once: the caller says so in
    one ERROR line and stops)."""

    def __init__(self, grace: float):
        self.grace = grace
        self.since: float | None = None
        self.over = False
        self.ended: float | None = None  # when Redis last answered again (time.monotonic)

    def failed(self, error: redis.RedisError) -> bool:
        now = time.monotonic()
        if self.since is None:
            self.since = now
            logger.info("Redis is not answering (%s); waiting up to %.0f s for it (REDIS_GRACE)",
                        error, self.grace)
        if self.over or now - self.since < self.grace:
            return False
        self.over = True
        return True

    def answered(self) -> None:
        if self.since is not None and not self.over:
            self.ended = time.monotonic()
            logger.info("Redis answers again, after %.0f s", self.ended - self.since)
            self.since = None

    def steady_for(self, seconds: float) -> bool:
        """Whether Redis has answered for ``seconds`` since it last went away (or never did)."""
        return self.since is None and (self.ended is None or time.monotonic() - self.ended >= seconds)


def text(value: bytes | str) -> str:
    """A name or value read from Redis (bytes, as the clients here do not decode). Whoever
    can write to Redis may leave bytes that are not UTF-8 there: shown escaped, they match
    nothing of the job's, where an exception would end the writer's task that read them."""
    return value.decode(errors="backslashreplace") if isinstance(value, bytes) else value


@cache
def code_version() -> str:
    """A digest of the code a writer and its nodes share through Redis (this package, the
    fetch spider): the same on every machine at the same commit. A node of another commit
    (an upgrade half done) would run its own Lua scripts and formats on the job."""
    here = Path(__file__).parent
    digest = hashlib.sha256()
    for path in [*sorted(here.glob("*.py")), here.parent / "spiders" / "fetch.py"]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def process_name() -> str:
    """host:pid, unique among the processes of a job, and readable in its logs."""
    return f"{socket.gethostname()}:{os.getpid()}"


def node_name(config: Config) -> str:
    """``REDIS_NODE``, or host:pid."""
    return config.redis_node or process_name()


def lease_seconds(config: Config) -> float:
    """How long a writer's lease lasts unless renewed: as long as a node's heartbeat."""
    return config.redis_heartbeat


class Refusal(NamedTuple):
    """Why a command may not start, in one line, and the exit status it ends with."""

    why: str
    status: int


def writer_refused(config: Config, stop: Callable[[], bool] = lambda: False) -> Refusal | None:
    """Takes the job's writer lease for this process (see ``scripts.LEASE``); why this
    process may not be the job's writer when another holds it (exit status 2), or when
    Redis fails the step: full (``maxmemory``), or gone since it answered (exit status 1).
    None only when the lease is this process's (``let_lease_go`` gives it up).

    A lease held is waited on, at most this writer's own lease (``REDIS_HEARTBEAT``): a
    writer that runs renews it within a third of that, and is refused then; one killed
    (SIGKILL, a crash) leaves it to run out unrenewed, and the writer started after it,
    at once by hand or by cron, takes the job then. Its host:pid says nothing either way:
    dead on this host, it may be process 1 of a container's own PID namespace, alive. A
    signal (``stop``) ends the wait, the lease not taken: the command ends by it."""
    client = redis.Redis.from_url(config.redis_url, socket_connect_timeout=config.redis_timeout,
                                  socket_timeout=config.redis_timeout)
    job = Job.from_config(config)
    lease = client.register_script(LEASE)
    args: list[str | int] = [process_name(), round(lease_seconds(config) * 1000), "1"]
    renewed = False
    try:
        holder, left, taken = lease(keys=[job.lease, job.last_writer], args=args)
        if not taken:
            logger.info("Job %s's writer lease is %s's for %.0f s more: waiting for it to run out (its "
                        "writer stopped: killed, its machine down) or to be renewed (its writer runs)",
                        config.redis_job, text(holder), int(left) / 1000)
            renewed = _renewed(client, job.lease, lease_seconds(config), stop)
            if stop():
                return Refusal(f"stopped while job {config.redis_job}'s writer lease was {text(holder)}'s", 0)
            holder, left, taken = lease(keys=[job.lease, job.last_writer], args=args)
    except redis.RedisError as error:
        return Refusal(f"Redis at {redacted(config.redis_url)} could not give job {config.redis_job} "
                       f"its writer lease: {error}", 1)
    finally:
        client.close()
    if taken:
        return None
    state = ", which renews its lease (it runs)" if renewed else \
        f" (its lease ends in {int(left) / 1000:.0f} s unless it renews it)"
    same = " (that host:pid is this process's too: give containers host names of their own)" \
        if text(holder) == process_name() else ""
    return Refusal(f"job {config.redis_job} has a writer already: {text(holder)}{state}; one writer per "
                   f"job{same}", 2)


def let_lease_go(config: Config) -> None:
    """Gives up the writer lease this process took (``writer_refused``) and will not use: a
    signal stopped it before its crawl started, and the job's next writer would otherwise
    wait ``REDIS_HEARTBEAT`` for a lease nobody renews. Redis failing the step leaves that wait."""
    client = redis.Redis.from_url(config.redis_url, socket_connect_timeout=config.redis_timeout,
                                  socket_timeout=config.redis_timeout)
    try:
        client.register_script(RELEASE)(keys=[Job.from_config(config).lease], args=[process_name()])
    except redis.RedisError as error:
        logger.info("Job %s's writer lease is left to run out (REDIS_HEARTBEAT): Redis could not let it "
                    "go: %s", config.redis_job, error)
    finally:
        client.close()


def node_refused(config: Config, stop: Callable[[], bool] = lambda: False) -> Refusal | None:
    """Why this process may not be fetch node ``REDIS_NODE``, or host:pid: another process
    beats under its name (one name given to two machines; host:pid, process 1 of two
    containers of one host name), and each would put the other's requests back on the
    frontier as its own and fetch them too (exit status 2); or Redis failed (exit status 1).
    A heartbeat left by a run of the name that died runs out unrenewed: the wait for it to
    be renewed is one heartbeat at most, and only when there is one; a signal (``stop``)
    ends it."""
    name = node_name(config)
    client = redis.Redis.from_url(config.redis_url, socket_connect_timeout=config.redis_timeout,
                                  socket_timeout=config.redis_timeout)
    alive = Job.from_config(config).alive(name)
    advice = "give each node its own REDIS_NODE, or none (host:pid)" if config.redis_node else (
        "that host:pid is this process's too: give containers host names of their own, or each node "
        "its own REDIS_NODE")
    try:
        if _renewed(client, alive, config.redis_heartbeat, stop):
            return Refusal(f"fetch node {name} of job {config.redis_job} is running already "
                           f"(its heartbeat is renewed): {advice}", 2)
    except redis.RedisError as error:
        return Refusal(f"Redis at {redacted(config.redis_url)} could not say whether fetch node "
                       f"{name} runs already: {error}", 1)
    finally:
        client.close()
    return None


def _renewed(client: redis.Redis, key: str, within: float, stop: Callable[[], bool] = lambda: False) -> bool:
    """Whether ``key``, a lease or a heartbeat, is renewed within ``within`` seconds (the
    process that holds it runs); False once it has run out, or is not there, or ``stop``
    says so. (0 ms left is still there: less than one; -1, no expiry, is never renewed.)"""
    left, until = client.pttl(key), time.monotonic() + within
    while left >= 0 and time.monotonic() < until and not stop():
        time.sleep(0.05)
        left, before = client.pttl(key), left
        if left > before:
            return True
    return False


def redis_unreachable(url: str, job: str = "") -> str | None:
    """Why the Redis at ``url`` cannot be used for ``job``, in one line; None when it answers,
    lets this user run scripts on the job's keys and does not evict them, or none is given.
    (An ACL user limited to another job's keys, or without scripting, would fail the job's
    first step with a traceback; a Redis evicting keys would lose the job's silently.)"""
    if not url:
        return None
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5)
        try:
            client.ping()
            refused = _job_refused(client, job) if job else None
            evicting = _evicting(client) if job and not refused else None
        finally:
            client.close()
    except redis.AuthenticationError as error:  # before RedisError: it is a ConnectionError
        return f"Redis at {redacted(url)} {not_let_in(url, error)}"
    except (redis.RedisError, ValueError) as error:
        return f"Redis at {redacted(url)} is unreachable: {error}"
    if refused:
        return f"Redis at {redacted(url)} refuses the keys of job {job}: {refused}"
    if evicting:
        return (f"Redis at {redacted(url)} evicts keys when full ({evicting}): the job's requests and pages "
                "would be lost; set maxmemory-policy noeviction")
    return None


def let_in_no_more(url: str, error: redis.AuthenticationError) -> str:
    """Why Redis refuses a writer or node it let in at the start: its password or users
    changed (restarted with another ``requirepass``, an ACL edited). No wait for it to come
    back, as for Redis away: a password does not come back by itself."""
    return (f"Redis {not_let_in(url, error)}, where it let this process in at its start (its password or "
            "users changed)")


def not_let_in(url: str, error: redis.AuthenticationError) -> str:
    """Why Redis does not let the client of ``url`` in. Given no password, redis-py's error
    is its handshake's ("HELLO must be called with the client already authenticated…")."""
    given = urlsplit(url)
    if given.password is None and "password" not in parse_qs(given.query):
        return ("requires a password, and the URL gives none: redis://user:password@host:port/db "
                "(WECHAT_REDIS_URL)")
    return f"refuses the user and password the URL gives: {str(error).rstrip('.')}"


# What every step of a job asks of the Redis user, without changing anything: a script
# reading one of the job's keys.
_TOUCH = "return redis.call('EXISTS', KEYS[1])"


def _job_refused(client: redis.Redis, job: str) -> str | None:
    try:
        client.eval(_TOUCH, 1, Job(job).done)
    except redis.ResponseError as error:  # NOPERM: the key or the command
        return str(error)
    return None


def _evicting(client: redis.Redis) -> str | None:
    """Redis's settings that let it evict keys when full, or None: under any policy but
    ``noeviction`` it drops keys at its ``maxmemory`` (the ``volatile-*`` ones the nodes'
    heartbeats and the writer's lease), where ``noeviction`` refuses writes, which writer and
    nodes say. INFO refused (an ACL user without it) is said at INFO: nothing is known wrong."""
    try:
        memory = client.info("memory")
    except redis.ResponseError as error:  # NOPERM
        logger.info("Redis does not let this user read whether it evicts keys when full (%s): "
                    "give it +info, or make sure its maxmemory-policy is noeviction", error)
        return None
    policy, most = memory.get("maxmemory_policy"), memory.get("maxmemory")
    if policy == "noeviction" or not most:  # without maxmemory, nothing is evicted
        return None
    return f"maxmemory-policy {policy}, maxmemory {most}"

"""What writer and nodes agree on (``crawler.distributed.job``): the job's key names, one
writer's lease, a Redis that does not answer, and an outage ridden out for the grace."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import redis

from crawler.distributed import job
from crawler.distributed.job import Job, Outage
from tests.conftest import project_config
from tests.redisserver import RedisServer, free_port


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(job.time, "monotonic", clock)
    return clock


def test_every_key_of_a_job_starts_with_its_name_and_none_is_shared() -> None:
    """The names the package's docstring gives: nodes and an older writer read them."""
    keys = Job("j").keys(["n1", "n2"])
    assert keys == ["j:requests", "j:dupefilter", "j:nodes", "j:fetched", "j:dropped", "j:handed", "j:pages",
                    "j:ready", "j:taken", "j:takers", "j:writer", "j:lastwriter", "j:opened", "j:clock", "j:behind",
                    "j:stopped", "j:inflight:n1", "j:alive:n1", "j:inflight:n2", "j:alive:n2"]
    assert Job("j").done == "j:done" and Job("j").done not in keys
    assert Job("j").inflight("n1").startswith(Job("j").inflight_prefix)
    assert not set(keys) & set(Job("j2").keys(["n1"]))


def test_the_other_jobs_are_read_from_their_keys_names() -> None:
    """A writer and nodes given two names find each other's job: nodes waiting for a writer,
    a writer waiting for nodes; a job with both is none of theirs."""
    keys = ["j:writer", "j:alive:n9", "typo:alive:n2", "typo:alive:n1", "typo:requests", "both:writer",
            "both:alive:n1", "alone:writer", "alone:opened", "alive:x", "plain", "j2:writerx"]
    other = job.OtherJobs.of(keys, "j")
    assert other.without_writer() == {"typo": ["n1", "n2"]}
    assert other.without_nodes() == ["alone"]
    assert job.OtherJobs.of(["j:writer", "j:alive:n1"], "j") == job.OtherJobs({}, frozenset())


def test_the_job_and_node_come_from_the_settings() -> None:
    config = project_config(REDIS_JOB="backfill", REDIS_NODE="  box-7 ")
    assert Job.from_config(config) == Job("backfill")
    assert job.node_name(config) == "box-7"
    unnamed = project_config(REDIS_NODE="")
    assert job.node_name(unnamed) == job.process_name()
    host, _, pid = job.process_name().rpartition(":")
    assert host and pid.isdigit()


def test_a_writers_lease_lasts_a_heartbeat() -> None:
    assert job.lease_seconds(project_config(REDIS_HEARTBEAT="12.5")) == 12.5


def test_text_decodes_what_redis_gives() -> None:
    assert job.text(b"node-\xc3\xa9") == "node-é"
    assert job.text("node") == "node"
    assert job.text(b"\xff\xfe id") == "\\xff\\xfe id"  # not UTF-8: escaped, not an exception


def test_an_outage_shorter_than_the_grace_is_ridden_out(clock: Clock,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    """One INFO line when it starts, one when Redis answers again; none between: an outage
    ridden out costs nothing, and mails nothing from cron (past the grace, one ERROR)."""
    caplog.set_level("INFO", logger=job.__name__)
    outage = Outage(grace=60)
    error = redis.ConnectionError("refused")
    assert not outage.failed(error)
    clock.now += 59
    assert not outage.failed(error)
    outage.answered()
    assert outage.since is None
    clock.now += 100  # a new outage counts from its own first failure
    assert not outage.failed(error)
    assert [r.levelname for r in caplog.records] == ["INFO", "INFO", "INFO"]


def test_an_outage_past_the_grace_fails_once_and_is_not_ended_by_an_answer(clock: Clock) -> None:
    outage = Outage(grace=60)
    error = redis.TimeoutError("timed out")
    assert not outage.failed(error)
    clock.now += 60
    assert outage.failed(error)
    assert not outage.failed(error)  # the caller stops once
    outage.answered()
    assert outage.over and outage.since is not None


def test_redis_is_steady_a_while_after_an_outage_ends(clock: Clock) -> None:
    """How long the writer gives its nodes to beat again before it may find one silent."""
    outage = Outage(grace=60)
    assert outage.steady_for(30)  # never away
    outage.failed(redis.ConnectionError("refused"))
    assert not outage.steady_for(0)
    clock.now += 40
    outage.answered()
    clock.now += 29
    assert not outage.steady_for(30)
    clock.now += 1
    assert outage.steady_for(30)


def test_a_grace_of_zero_fails_at_the_first_error(clock: Clock) -> None:
    assert Outage(grace=0).failed(redis.ConnectionError("refused"))


def test_the_clients_give_up_on_a_silent_network() -> None:
    """redis-py's defaults differ between its releases (no timeout at all in 5.0)."""
    config = project_config(REDIS_URL="redis://127.0.0.1:1/0", REDIS_TIMEOUT="3")
    for client in (job.connect(config), job.connect_async(config)):
        options = client.connection_pool.connection_kwargs
        assert options["socket_timeout"] == options["socket_connect_timeout"] == 3
        assert options["retry"].get_retries() == 3


@contextmanager
def renewing(client: redis.Redis, key: str, holder: str) -> Iterator[None]:
    """``holder``'s lease ``key`` renewed as a running writer renews it, a few times a second."""
    done = threading.Event()

    def renew() -> None:
        while not done.is_set():
            client.set(key, holder, px=1000)
            done.wait(0.1)

    thread = threading.Thread(target=renew, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


def test_the_first_writer_takes_the_lease_and_a_second_is_refused_while_the_first_renews_it(
        redis_db: redis.Redis, redis_server_session: RedisServer) -> None:
    config = project_config(REDIS_URL=redis_server_session.url, REDIS_JOB="j", REDIS_HEARTBEAT="30")
    assert job.writer_refused(config) is None
    assert redis_db.get("j:writer") == job.process_name().encode()
    assert 29000 < redis_db.pttl("j:writer") <= 30000
    # a lease that runs is no starting writer's own, even in its name (two containers' process 1)
    with renewing(redis_db, "j:writer", job.process_name()):
        same = job.writer_refused(config)
    assert same is not None and same.status == 2
    assert same.why == f"job j has a writer already: {job.process_name()}, which renews its lease (it runs); one " \
        "writer per job (that host:pid is this process's too: give containers host names of their own)", same.why
    with renewing(redis_db, "j:writer", "elsewhere:42"):
        refused = job.writer_refused(config)
        assert redis_db.get("j:writer") == b"elsewhere:42"
    assert refused is not None and refused.status == 2
    assert refused.why == "job j has a writer already: elsewhere:42, which renews its lease (it runs); one writer " \
        "per job", refused.why
    assert job.writer_refused(project_config(REDIS_URL=redis_server_session.url, REDIS_JOB="k")) is None


def test_a_lease_taken_and_not_used_is_let_go_and_one_only_waited_on_is_not(
        redis_db: redis.Redis, redis_server_session: RedisServer) -> None:
    """A writer a signal stopped before its crawl started lets go of the lease it took (the
    next writer waited REDIS_HEARTBEAT for it); ``writer_refused`` says None only when the
    lease is this process's: one stopped as it waited for another's, of the same host:pid
    (process 1 of another container), leaves that one's alone."""
    config = project_config(REDIS_URL=redis_server_session.url, REDIS_JOB="j", REDIS_HEARTBEAT="30")
    assert job.writer_refused(config) is None
    job.let_lease_go(config)
    assert not redis_db.exists("j:writer")
    redis_db.set("j:writer", job.process_name(), px=30000)
    assert job.writer_refused(config, stop=lambda: True) is not None
    assert redis_db.get("j:writer") == job.process_name().encode()


def test_a_writer_started_as_one_that_stopped_left_its_lease_waits_for_it_to_run_out(
        redis_db: redis.Redis, redis_server_session: RedisServer, caplog: pytest.LogCaptureFixture) -> None:
    """A writer killed (SIGKILL) leaves its lease running for up to REDIS_HEARTBEAT: the next,
    started at once (cron's, or one started by hand after the crash), was refused naming a
    process that was dead. It waits for the lease to run out unrenewed now, and takes it."""
    config = project_config(REDIS_URL=redis_server_session.url, REDIS_JOB="j", REDIS_HEARTBEAT="30")
    redis_db.set("j:writer", "elsewhere:42", px=1500)
    started = time.monotonic()
    with caplog.at_level(logging.INFO, logger="crawler.distributed.job"):
        assert job.writer_refused(config) is None
    assert 1.4 < time.monotonic() - started < 10
    assert redis_db.get("j:writer") == job.process_name().encode()
    assert re.fullmatch(r"Job j's writer lease is elsewhere:42's for [12] s more: waiting for it to run out \(its "
                        r"writer stopped: killed, its machine down\) or to be renewed \(its writer runs\)",
                        caplog.messages[0]), caplog.messages
    # a lease longer than this writer's own (set by a writer of another REDIS_HEARTBEAT),
    # not renewed within it: refused, saying when it ends
    redis_db.set("j:writer", "elsewhere:42", px=20000)
    refused = job.writer_refused(project_config(REDIS_URL=redis_server_session.url, REDIS_JOB="j",
                                                REDIS_HEARTBEAT="1"))
    assert refused is not None and refused.status == 2
    assert re.fullmatch(r"job j has a writer already: elsewhere:42 \(its lease ends in 1[89] s unless it renews "
                        r"it\); one writer per job", refused.why), refused.why


def test_a_lease_with_less_than_a_millisecond_left_is_waited_on_until_it_is_gone() -> None:
    """PTTL says 0 for a key with less than a millisecond left: the wait ended there, and the
    writer starting after a killed one tried to take a lease still there, refused ("its lease
    ends in 0 s"), once in a whole suite's run."""
    answers = iter([1500, 0, -2])
    asked = []

    class Lease:
        def pttl(self, key: str) -> int:
            asked.append(key)
            return next(answers)

    assert job._renewed(Lease(), "j:writer", 5) is False  # type: ignore[arg-type]
    assert asked == ["j:writer"] * 3


def test_a_redis_that_answers_or_none_given_is_no_reason(redis_server_session: RedisServer) -> None:
    assert job.redis_unreachable(redis_server_session.url) is None
    assert job.redis_unreachable("") is None


def test_a_redis_not_running_is_one_line_without_its_password() -> None:
    reason = job.redis_unreachable(f"redis://:s3cret@127.0.0.1:{free_port()}/0")
    assert reason is not None and "\n" not in reason
    assert reason.startswith("Redis at redis://:***@127.0.0.1:")
    assert "s3cret" not in reason


def test_a_redis_url_redis_py_cannot_read_is_a_reason_not_an_exception() -> None:
    reason = job.redis_unreachable("redis://127.0.0.1:notaport/0")
    assert reason is not None
    assert reason.startswith("Redis at redis://127.0.0.1:notaport/0 is unreachable")

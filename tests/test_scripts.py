"""The job's atomic steps (``crawler.distributed.scripts``), each run by a real redis-server:
a request is in exactly one place, and nothing a node does after the job is done writes."""

from __future__ import annotations

import uuid

import redis

from crawler.distributed import scripts
from crawler.distributed.job import Job

JOB = Job("job")
NODE, OTHER = "node-a", "node-b"
WRITER = "host:1"
VERSION = "0123456789ab"  # the code's, as writer and node give it


def run(redis_db: redis.Redis, script: str, keys: list[str],
        args: list[str | int | float] | None = None) -> object:
    return redis_db.register_script(script)(keys=keys, args=args or [])


def take(redis_db: redis.Redis, node: str = NODE, version: str = VERSION, clock: int = 0,
         writer: bool = True) -> object:
    """A node's take, the job's writer holding its lease (``writer``) as it runs."""
    if writer:
        redis_db.set(JOB.lease, WRITER, px=60_000)
    return run(redis_db, scripts.TAKE_REQUEST, [JOB.requests, JOB.inflight(node), JOB.opened, JOB.clock, JOB.behind,
                                                 JOB.stopped, JOB.lease], [version, clock])


def submit(redis_db: redis.Redis, page_id: str, score: float, request: str) -> object:
    redis_db.set(JOB.opened, VERSION)  # as the writer did when it opened the job
    return run(redis_db, scripts.SUBMIT, [JOB.dupefilter, JOB.requests, JOB.lease, JOB.last_writer],
               [page_id, score, request, WRITER])


def take_page(redis_db: redis.Redis, page_id: str, writer: str = WRITER, again: bool = False) -> object:
    return run(redis_db, scripts.TAKE_PAGE,
               [JOB.pages, JOB.dupefilter, JOB.lease, JOB.taken, JOB.takers, JOB.last_writer],
               [page_id, writer, "1" if again else "0"])


def finish_page(redis_db: redis.Redis, page_id: str, writer: str = WRITER) -> object:
    return run(redis_db, scripts.FINISH_PAGE, [JOB.taken, JOB.takers, JOB.clock], [page_id, writer])


def reclaim(redis_db: redis.Redis, writer: str = WRITER) -> object:
    return run(redis_db, scripts.RECLAIM, [JOB.taken, JOB.takers, JOB.pages, JOB.dupefilter, JOB.ready, JOB.lease,
                                             JOB.last_writer], [writer])


def hand_back(redis_db: redis.Redis, entry: str, page_id: str, page: str = "page",
              node: str = NODE, fetched: bool = True, token: str = "") -> object:
    keys = [JOB.inflight(node), JOB.dupefilter, JOB.pages, JOB.ready, JOB.fetched, JOB.done, JOB.requests,
            JOB.dropped, JOB.opened, JOB.handed]
    return run(redis_db, scripts.HAND_BACK, keys,
               [entry, page_id, page, node, "1" if fetched else "0", token or uuid.uuid4().hex])


def give_back(redis_db: redis.Redis, state: str, only_if_silent: bool, node: str = NODE) -> object:
    keys = [JOB.inflight(node), JOB.requests, JOB.alive(node), JOB.nodes, JOB.done]
    return run(redis_db, scripts.GIVE_BACK, keys, [node, state, "1" if only_if_silent else "0"])


def requeue_lost(redis_db: redis.Redis, request: str, page_id: str, put_back: bool) -> object:
    return run(redis_db, scripts.REQUEUE_LOST, [JOB.requests, JOB.pages, JOB.dupefilter, JOB.nodes, JOB.lease,
                                                    JOB.last_writer], [request, page_id, 5, JOB.inflight_prefix, "1" if put_back else "0", WRITER])


def frontier(redis_db: redis.Redis) -> list[tuple[bytes, float]]:
    return redis_db.zrange(JOB.requests, 0, -1, withscores=True)


def test_a_page_is_submitted_once_while_the_job_holds_it(redis_db: redis.Redis) -> None:
    assert submit(redis_db, "p1", 10, "r1") == 1
    assert submit(redis_db, "p1", 1, "r1-again") == 0
    assert frontier(redis_db) == [(b"r1", 10.0)]
    assert redis_db.smembers(JOB.dupefilter) == {b"p1"}


def test_a_node_takes_the_lowest_score_first_into_its_inflight_hash(redis_db: redis.Redis) -> None:
    submit(redis_db, "p1", 20, "r-late")
    submit(redis_db, "p2", -5, "r-first")
    assert take(redis_db) == [b"r-first", b"-5", 1]  # the job's clock: each take moves it
    assert frontier(redis_db) == [(b"r-late", 20.0)]
    assert redis_db.hgetall(JOB.inflight(NODE)) == {b"r-first": b"-5"}
    assert take(redis_db, OTHER) == [b"r-late", b"20", 2]
    assert take(redis_db) is None  # the frontier is empty


def test_a_node_takes_nothing_once_the_writer_said_it_stopped(redis_db: redis.Redis) -> None:
    """A writer stopped (a signal, its archive refusing writes) takes no page back: its nodes
    take nothing until its next writer opens the job (removing the mark); another writer's
    stop is no word of this one's."""
    submit(redis_db, "p1", 3, "r1")
    redis_db.set(JOB.lease, WRITER)
    stop = [JOB.stopped, JOB.lease, JOB.last_writer]
    assert run(redis_db, scripts.STOP_JOB, stop, ["elsewhere:2", "SIGTERM"]) is None
    assert run(redis_db, scripts.STOP_JOB, stop, [WRITER, "SIGTERM"]) == 1
    assert take(redis_db) is None and frontier(redis_db) == [(b"r1", 3.0)]
    redis_db.delete(JOB.stopped)
    assert take(redis_db) == [b"r1", b"3", 1]


def test_a_node_takes_nothing_while_no_writer_holds_the_jobs_lease(redis_db: redis.Redis) -> None:
    """A writer killed, or stopped while Redis did not answer it, says nothing: its lease runs
    out, and no writer would take the page back until the job's next one holds it."""
    submit(redis_db, "p1", 3, "r1")
    assert take(redis_db, writer=False) is None and frontier(redis_db) == [(b"r1", 3.0)]
    assert not redis_db.exists(JOB.inflight(NODE))
    assert take(redis_db) == [b"r1", b"3", 1]


def test_a_node_of_other_code_than_the_writers_takes_nothing(redis_db: redis.Redis) -> None:
    submit(redis_db, "p1", 0, "r1")
    assert take(redis_db, version="ba9876543210") == VERSION.encode()
    assert frontier(redis_db) == [(b"r1", 0.0)] and not redis_db.exists(JOB.inflight(NODE))
    redis_db.delete(JOB.opened)  # Redis lost the job: the writer marks it again after its look
    assert take(redis_db, version="ba9876543210") == [b"r1", b"0", 1]


def test_a_request_put_back_goes_as_it_was_taken_unless_the_job_is_done(redis_db: redis.Redis) -> None:
    submit(redis_db, "p1", 3, "r1")
    take(redis_db)
    keys = [JOB.inflight(NODE), JOB.requests, JOB.done]
    assert run(redis_db, scripts.REQUEUE, keys, ["r1", 3]) == 1
    assert frontier(redis_db) == [(b"r1", 3.0)] and not redis_db.exists(JOB.inflight(NODE))
    assert run(redis_db, scripts.REQUEUE, keys, ["r1", 3]) == 0  # not held any more: not twice
    take(redis_db)
    redis_db.set(JOB.done, 1)
    assert run(redis_db, scripts.REQUEUE, keys, ["r1", 3]) == 0
    assert frontier(redis_db) == [] and redis_db.hexists(JOB.inflight(NODE), "r1")


def test_a_node_takes_back_only_what_it_holds_that_is_on_the_frontier_again(redis_db: redis.Redis) -> None:
    """Redis restored from a snapshot older than a take has the request on the frontier again:
    its node takes it back; one in its in-flight hash already, or another node's, stays."""
    keys = [JOB.inflight(NODE), JOB.requests, JOB.done]
    redis_db.zadd(JOB.requests, {"again": 2})
    redis_db.hset(JOB.inflight(NODE), "kept", 5)
    redis_db.hset(JOB.inflight(OTHER), "others", 7)
    assert run(redis_db, scripts.HOLD_AGAIN, keys, ["again", 2, "kept", 5, "others", 7]) == 1
    assert frontier(redis_db) == []
    assert redis_db.hgetall(JOB.inflight(NODE)) == {b"again": b"2", b"kept": b"5"}
    assert redis_db.hgetall(JOB.inflight(OTHER)) == {b"others": b"7"}
    redis_db.zadd(JOB.requests, {"late": 1})
    redis_db.set(JOB.done, 1)
    assert run(redis_db, scripts.HOLD_AGAIN, keys, ["late", 1]) == 0 and frontier(redis_db) == [(b"late", 1.0)]


def test_a_page_handed_back_waits_for_the_writer(redis_db: redis.Redis) -> None:
    submit(redis_db, "p1", 0, "r1")
    take(redis_db)
    assert hand_back(redis_db, "r1", "p1", "the page") == 1
    assert not redis_db.exists(JOB.inflight(NODE))
    assert redis_db.hgetall(JOB.pages) == {b"p1": b"the page"}
    assert redis_db.lrange(JOB.ready, 0, -1) == [b"p1"]
    assert redis_db.hgetall(JOB.fetched) == {NODE.encode(): b"1"}


def test_a_page_the_job_no_longer_wants_is_dropped_but_counted(redis_db: redis.Redis) -> None:
    """Fetched twice (its node was thought dead): the writer took the first already. Counted
    fetched, and dropped, for the writer's line on its nodes."""
    submit(redis_db, "p1", 0, "r1")
    take(redis_db)
    hand_back(redis_db, "r1", "p1")
    assert take_page(redis_db, "p1") == b"page"
    redis_db.hset(JOB.inflight(OTHER), "r1", 0)
    assert hand_back(redis_db, "r1", "p1", "again", OTHER) == scripts.DROPPED
    assert not redis_db.exists(JOB.pages) and redis_db.llen(JOB.ready) == 1
    assert not redis_db.exists(JOB.inflight(OTHER))
    assert redis_db.hget(JOB.fetched, OTHER) == b"1"
    assert redis_db.hgetall(JOB.dropped) == {OTHER.encode(): b"1"}


def test_a_hand_back_run_again_after_its_answer_was_lost_is_no_second_copy(redis_db: redis.Redis) -> None:
    submit(redis_db, "p1", 0, "r1")
    take(redis_db)
    assert hand_back(redis_db, "r1", "p1", token="t1") == 1
    assert hand_back(redis_db, "r1", "p1", token="t1") == scripts.HANDED_ALREADY  # retried at once
    assert take_page(redis_db, "p1") == b"page"
    assert finish_page(redis_db, "p1") == 2  # a take, then a finish
    assert hand_back(redis_db, "r1", "p1", token="t1") == scripts.HANDED_ALREADY  # at the next beat
    assert redis_db.hgetall(JOB.fetched) == {NODE.encode(): b"1"} and not redis_db.exists(JOB.dropped)
    assert redis_db.lrange(JOB.ready, 0, -1) == [b"p1"] and not redis_db.exists(JOB.pages)
    submit(redis_db, "p1", 0, "r1")  # asked again later (a page dropped): a hand-back of its own
    take(redis_db)
    assert hand_back(redis_db, "r1", "p1", "again", token="t2") == 1
    assert redis_db.hget(JOB.pages, "p1") == b"again"


def test_a_page_handed_back_after_its_node_was_thought_dead_is_not_fetched_again(redis_db: redis.Redis) -> None:
    """A node silent for longer than its heartbeat (its network, or Redis, away for a while)
    comes back and hands back the page it was fetching: the request the writer put back on
    the frontier meanwhile was left there, and another node fetched the page again."""
    submit(redis_db, "p1", 0, "r1")
    take(redis_db)
    assert give_back(redis_db, "lost", only_if_silent=True) == 1
    assert hand_back(redis_db, "r1", "p1") == 1
    assert frontier(redis_db) == []
    assert redis_db.hget(JOB.pages, "p1") == b"page"


def test_a_page_handed_back_to_a_job_redis_lost_is_kept_for_the_writer(redis_db: redis.Redis) -> None:
    """Redis restarted without persistence while the node fetched: the job is gone, its
    page ids with it. Dropped, the page would be asked of WeChat again once the writer
    asks for it again; kept, the writer takes it instead. A second copy is dropped still."""
    submit(redis_db, "p1", 0, "r1")
    take(redis_db)
    redis_db.flushdb()
    assert hand_back(redis_db, "r1", "p1") == 1
    assert redis_db.hget(JOB.pages, "p1") == b"page" and redis_db.lrange(JOB.ready, 0, -1) == [b"p1"]
    assert redis_db.smembers(JOB.dupefilter) == {b"p1"}  # held by the job: not submitted again
    redis_db.hset(JOB.inflight(OTHER), "r1", 0)
    assert hand_back(redis_db, "r1", "p1", "again", OTHER) == scripts.DROPPED
    assert redis_db.hget(JOB.pages, "p1") == b"page"


def test_a_failure_handed_back_waits_for_the_writer_but_is_not_counted_fetched(redis_db: redis.Redis) -> None:
    submit(redis_db, "p1", 0, "r1")
    take(redis_db)
    assert hand_back(redis_db, "r1", "p1", "failure", fetched=False) == 1
    assert redis_db.hget(JOB.pages, "p1") == b"failure" and not redis_db.exists(JOB.inflight(NODE))
    assert not redis_db.exists(JOB.fetched)


def test_nothing_is_handed_back_once_the_job_is_done(redis_db: redis.Redis) -> None:
    submit(redis_db, "p1", 0, "r1")
    take(redis_db)
    redis_db.set(JOB.done, 1)
    assert hand_back(redis_db, "r1", "p1") == 0
    assert not redis_db.exists(JOB.pages) and not redis_db.exists(JOB.fetched)
    assert redis_db.hexists(JOB.inflight(NODE), "r1")


def test_the_writer_takes_a_page_once_and_keeps_it_taken_until_archived(redis_db: redis.Redis) -> None:
    submit(redis_db, "p1", 0, "r1")
    take(redis_db)
    hand_back(redis_db, "r1", "p1")
    assert take_page(redis_db, "p1") == b"page"
    assert take_page(redis_db, "p1") is None
    assert not redis_db.exists(JOB.dupefilter) and not redis_db.exists(JOB.pages)
    assert redis_db.hgetall(JOB.taken) == {b"p1": b"page"} and redis_db.hgetall(JOB.takers) == {b"p1": WRITER.encode()}
    assert finish_page(redis_db, "p1", "other:2") == 0 and redis_db.exists(JOB.taken)  # not its page
    assert finish_page(redis_db, "p1") == 2
    assert not redis_db.exists(JOB.taken) and not redis_db.exists(JOB.takers)
    assert submit(redis_db, "p1", 0, "r1") == 1  # asked again later, it is queued again


def test_a_node_takes_nothing_from_a_redis_behind_the_clock_it_saw_until_the_writer_drops_what_is_done(
        redis_db: redis.Redis) -> None:
    """A Redis restored from an older snapshot: its clock (requests taken, pages finished) is
    behind the one a node saw, and its frontier holds requests of pages finished since."""
    for page_id in ("p1", "p2", "p3"):
        submit(redis_db, page_id, 0, f"r-{page_id}")
    assert take(redis_db, clock=2) == 0  # nothing taken: the node saw 2 moves, Redis says none
    assert take(redis_db, OTHER, clock=1) == 0
    assert redis_db.get(JOB.behind) == b"2" and len(frontier(redis_db)) == 3
    redis_db.hset(JOB.nodes, NODE, "fetching")
    redis_db.hset(JOB.inflight(NODE), "r-p2", 0)  # as the snapshot had it
    redis_db.zrem(JOB.requests, "r-p2")
    held = run(redis_db, scripts.REQUESTS_HELD, [JOB.requests, JOB.nodes], [JOB.inflight_prefix])
    assert held == [b"r-p1", b"r-p3", b"r-p2"]  # the frontier's, then each node's
    keys = [JOB.requests, JOB.dupefilter, JOB.nodes, JOB.clock, JOB.behind, JOB.lease, JOB.last_writer]
    assert run(redis_db, scripts.REWOUND, keys, [JOB.inflight_prefix, 2, WRITER, "r-p1", "p1", "r-p2", "p2"]) == 2
    assert frontier(redis_db) == [(b"r-p3", 0.0)] and not redis_db.exists(JOB.inflight(NODE))
    assert redis_db.smembers(JOB.dupefilter) == {b"p3"}
    assert redis_db.get(JOB.clock) == b"2" and not redis_db.exists(JOB.behind)
    assert take(redis_db, clock=2) == [b"r-p3", b"0", 3]  # the clock moves on
    redis_db.hset(JOB.takers, "p3", WRITER)
    assert finish_page(redis_db, "p3") == 4
    redis_db.set(JOB.lease, "elsewhere:2")  # a writer whose job another took drops nothing
    assert run(redis_db, scripts.REWOUND, keys, [JOB.inflight_prefix, 9, WRITER]) is None
    assert redis_db.get(JOB.clock) == b"4"


def test_a_page_whose_take_lost_its_answer_is_taken_again_by_its_writer_only(redis_db: redis.Redis) -> None:
    """The take ran and its answer never came (later than REDIS_TIMEOUT, a broken connection):
    the page is in the writer's name, and the writer takes it from there."""
    redis_db.hset(JOB.pages, "p1", "page")
    redis_db.sadd(JOB.dupefilter, "p1")
    assert take_page(redis_db, "p1") == b"page"  # the answer lost on its way
    assert take_page(redis_db, "p1", "other:2", again=True) is None
    assert take_page(redis_db, "p1", again=True) == b"page"
    assert redis_db.hgetall(JOB.takers) == {b"p1": WRITER.encode()}  # still taken until archived


def test_a_new_writer_gets_back_the_pages_a_writer_gone_took_and_did_not_archive(redis_db: redis.Redis) -> None:
    for page_id in ("p1", "p2", "p3"):
        redis_db.hset(JOB.pages, page_id, f"page {page_id}")
        redis_db.sadd(JOB.dupefilter, page_id)
        assert take_page(redis_db, page_id, "gone:1" if page_id != "p3" else WRITER)
    redis_db.hset(JOB.pages, "p2", "a copy handed back since")
    # p3 too: taken in its name by a writer of its host:pid before (it went back on the
    # frontier as the writer asked for it, and a node fetched it again)
    assert reclaim(redis_db) == [2, b"gone:1", WRITER.encode()]  # each writer once
    assert redis_db.hgetall(JOB.pages) == {b"p1": b"page p1", b"p2": b"a copy handed back since",
                                           b"p3": b"page p3"}
    assert redis_db.smembers(JOB.dupefilter) == {b"p1", b"p3"}
    assert redis_db.lrange(JOB.ready, 0, -1) == [b"p1", b"p3"]
    assert not redis_db.exists(JOB.taken) and not redis_db.exists(JOB.takers)
    take_page(redis_db, "p1")
    redis_db.set(JOB.lease, "elsewhere:2")
    assert reclaim(redis_db, "again:3") is None and redis_db.exists(JOB.taken)


def test_a_heartbeat_expires_and_is_refused_once_the_job_is_done(redis_db: redis.Redis) -> None:
    keys = [JOB.alive(NODE), JOB.nodes, JOB.done, JOB.clock, JOB.stopped]
    assert run(redis_db, scripts.HEARTBEAT, keys, [NODE, 5000]) == 0  # the job's clock: no page finished
    redis_db.set(JOB.clock, 7)
    assert run(redis_db, scripts.HEARTBEAT, keys, [NODE, 5000]) == 7
    redis_db.set(JOB.stopped, "SIGTERM")  # its writer stopped: why
    assert run(redis_db, scripts.HEARTBEAT, keys, [NODE, 5000]) == b"SIGTERM"
    redis_db.delete(JOB.stopped)
    assert 0 < redis_db.pttl(JOB.alive(NODE)) <= 5000
    assert redis_db.hgetall(JOB.nodes) == {NODE.encode(): b"fetching"}
    redis_db.delete(JOB.alive(NODE))
    redis_db.set(JOB.done, 1)
    assert run(redis_db, scripts.HEARTBEAT, keys, [NODE, 5000]) is None
    assert not redis_db.exists(JOB.alive(NODE))


def test_a_node_stopping_gives_back_all_it_holds_with_their_scores(redis_db: redis.Redis) -> None:
    for page, score in (("p1", 1), ("p2", 2), ("p3", 3)):
        submit(redis_db, page, score, f"r{score}")
    take(redis_db), take(redis_db), take(redis_db, OTHER)
    redis_db.set(JOB.alive(NODE), 1)
    assert give_back(redis_db, "stopped", only_if_silent=False) == 2
    assert frontier(redis_db) == [(b"r1", 1.0), (b"r2", 2.0)]
    assert not redis_db.exists(JOB.inflight(NODE)) and not redis_db.exists(JOB.alive(NODE))
    assert redis_db.hget(JOB.nodes, NODE) == b"stopped"
    assert redis_db.hgetall(JOB.inflight(OTHER)) == {b"r3": b"3"}  # another node's stays


def test_the_writer_takes_back_only_a_silent_nodes_requests(redis_db: redis.Redis) -> None:
    submit(redis_db, "p1", 1, "r1")
    take(redis_db)
    redis_db.set(JOB.alive(NODE), 1)
    assert give_back(redis_db, "lost", only_if_silent=True) == -1
    assert redis_db.hexists(JOB.inflight(NODE), "r1") and redis_db.hget(JOB.nodes, NODE) is None
    redis_db.delete(JOB.alive(NODE))
    assert give_back(redis_db, "lost", only_if_silent=True) == 1
    assert frontier(redis_db) == [(b"r1", 1.0)] and redis_db.hget(JOB.nodes, NODE) == b"lost"


def test_nothing_is_given_back_once_the_job_is_done(redis_db: redis.Redis) -> None:
    submit(redis_db, "p1", 1, "r1")
    take(redis_db)
    redis_db.set(JOB.done, 1)
    assert give_back(redis_db, "stopped", only_if_silent=False) == -1
    assert frontier(redis_db) == [] and redis_db.hexists(JOB.inflight(NODE), "r1")
    assert not redis_db.exists(JOB.nodes)


def test_a_lost_page_is_asked_again_only_when_it_is_nowhere(redis_db: redis.Redis) -> None:
    submit(redis_db, "p1", 5, "r1")
    assert requeue_lost(redis_db, "r1", "p1", put_back=True) == 0  # on the frontier
    redis_db.hset(JOB.nodes, NODE, "fetching")
    take(redis_db)
    assert requeue_lost(redis_db, "r1", "p1", put_back=True) == 0  # in a node's hands
    hand_back(redis_db, "r1", "p1")
    assert requeue_lost(redis_db, "r1", "p1", put_back=True) == 0  # waiting for the writer
    redis_db.flushdb()  # Redis lost it all
    assert requeue_lost(redis_db, "r1", "p1", put_back=False) == 1
    assert frontier(redis_db) == [] and not redis_db.exists(JOB.dupefilter)  # only looked
    assert requeue_lost(redis_db, "r1", "p1", put_back=True) == 1
    assert frontier(redis_db) == [(b"r1", 5.0)] and redis_db.smembers(JOB.dupefilter) == {b"p1"}


def test_a_request_held_by_a_node_not_in_the_nodes_hash_counts_as_nowhere(redis_db: redis.Redis) -> None:
    """Node names come from the nodes hash: every node that holds a request says it is
    there before it takes one."""
    redis_db.hset(JOB.inflight("unknown"), "r1", 5)
    assert requeue_lost(redis_db, "r1", "p1", put_back=False) == 1
    redis_db.hset(JOB.nodes, "unknown", "fetching")
    assert requeue_lost(redis_db, "r1", "p1", put_back=False) == 0


def test_one_writer_holds_the_lease_until_it_lets_it_go(redis_db: redis.Redis) -> None:
    keys = [JOB.lease, JOB.last_writer]
    assert run(redis_db, scripts.LEASE, keys, ["w1", 10000, "1"]) == [b"w1", 10000, 1]
    holder, left, taken = run(redis_db, scripts.LEASE, keys, ["w2", 10000, "1"])  # type: ignore[misc]
    assert holder == b"w1" and 0 < left <= 10000 and taken == 0
    assert run(redis_db, scripts.LEASE, keys, ["w1", 20000, "0"]) == [b"w1", 20000, 1]  # renewed
    assert 10000 < redis_db.pttl(JOB.lease) <= 20000
    assert run(redis_db, scripts.RELEASE, keys[:1], ["w2"]) == 0
    assert redis_db.get(JOB.lease) == b"w1"
    assert run(redis_db, scripts.RELEASE, keys[:1], ["w1"]) == 1
    assert run(redis_db, scripts.LEASE, keys, ["w2", 10000, "1"]) == [b"w2", 10000, 1]


def test_a_lease_that_runs_is_not_a_starting_writers_own_in_its_name(redis_db: redis.Redis) -> None:
    """Two writers of one host:pid (process 1 of two containers of one host name): the second
    took the first's lease as its own."""
    keys = [JOB.lease, JOB.last_writer]
    assert run(redis_db, scripts.LEASE, keys, ["h:1", 10000, "1"]) == [b"h:1", 10000, 1]
    holder, left, taken = run(redis_db, scripts.LEASE, keys, ["h:1", 10000, "1"])  # type: ignore[misc]
    assert holder == b"h:1" and 0 < left <= 10000 and taken == 0
    assert run(redis_db, scripts.LEASE, keys, ["h:1", 10000, "0"]) == [b"h:1", 10000, 1]  # its holder renews it


def test_a_writer_whose_lease_ran_out_takes_it_again_only_if_no_other_took_it(redis_db: redis.Redis) -> None:
    """One back from a stall whose job another writer took stops, even when that one's
    lease ran out too (it was still starting): taking the job back, it waited for pages
    the other had taken. Alone, or with the job's keys lost by Redis, it goes on."""
    keys = [JOB.lease, JOB.last_writer]
    assert run(redis_db, scripts.LEASE, keys, ["w1", 10000, "1"]) == [b"w1", 10000, 1]
    redis_db.delete(JOB.lease)  # ran out while w1 was stalled
    assert run(redis_db, scripts.LEASE, keys, ["w1", 10000, "0"]) == [b"w1", 10000, 1]
    redis_db.delete(JOB.lease)
    assert run(redis_db, scripts.LEASE, keys, ["w2", 10000, "1"]) == [b"w2", 10000, 1]  # a writer starting
    redis_db.delete(JOB.lease)  # ran out before w2 renewed it
    assert run(redis_db, scripts.LEASE, keys, ["w1", 10000, "0"]) == [b"w2", 0, 0]
    assert not redis_db.exists(JOB.lease)
    assert run(redis_db, scripts.LEASE, keys, ["w2", 10000, "0"]) == [b"w2", 10000, 1]  # w2 renews it
    redis_db.delete(*keys)  # Redis restarted without persistence
    assert run(redis_db, scripts.LEASE, keys, ["w1", 10000, "0"]) == [b"w1", 10000, 1]



def test_a_writers_steps_do_nothing_once_another_writer_holds_the_lease(redis_db: redis.Redis) -> None:
    """Nor once another held it last and it ran out. Its own lease, or none (it lapsed,
    nobody took it), lets them."""
    redis_db.hset(JOB.pages, "p1", "page")
    redis_db.sadd(JOB.dupefilter, "p1")
    redis_db.set(JOB.lease, "elsewhere:2")
    assert submit(redis_db, "p2", 0, "r2") is None and not redis_db.exists(JOB.requests)
    assert take_page(redis_db, "p1") is None and redis_db.hget(JOB.pages, "p1") == b"page"
    assert not redis_db.exists(JOB.taken)
    assert requeue_lost(redis_db, "r3", "p3", put_back=True) is None and not redis_db.exists(JOB.requests)
    assert redis_db.smembers(JOB.dupefilter) == {b"p1"}
    redis_db.delete(JOB.lease)
    redis_db.set(JOB.last_writer, "elsewhere:2")  # its lease ran out: it may be starting still
    assert submit(redis_db, "p2", 0, "r2") is None and not redis_db.exists(JOB.requests)
    assert take_page(redis_db, "p1") is None and reclaim(redis_db) is None
    redis_db.set(JOB.lease, WRITER)
    assert submit(redis_db, "p2", 0, "r2") == 1
    redis_db.delete(JOB.lease)
    redis_db.set(JOB.last_writer, WRITER)
    assert take_page(redis_db, "p1") == b"page"
    assert requeue_lost(redis_db, "r3", "p3", put_back=True) == 1

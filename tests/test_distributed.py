"""Several machines: a writer and fetch nodes, each its own process, over a real redis-server
and the local WeChat. Every distributed archive is compared with a single process's."""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import os
import pickle
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import redis
from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.settings import Settings
from scrapy.utils.request import fingerprint, request_from_dict

from crawler import settings as project_settings
from crawler.config import Config
from crawler.distributed import frontier, lastword
from crawler.distributed.addon import Distributed
from crawler.distributed.exchange import PageExchange
from crawler.distributed.job import Job, connect_async, redis_unreachable, writer_refused
from crawler.distributed.remote import RemoteFetch
from crawler.distributed.scripts import HAND_BACK, TAKE_PAGE
from crawler.distributed.wire import NotFetched, Page, frontier_entry
from crawler.distributed.writer import Writer
from crawler.report.logtext import counted
from crawler.spiders.album import AlbumSpider
from crawler.spiders.base import WeChatSpider
from crawler.spiders.fetch import FetchSpider
from crawler.spiders.import_pages import ImportSpider
from crawler.store.captures import CaptureStore
from tests.conftest import PROJECT, crawl, crawl_command, crawl_env, memory_refused, project_config, refusal
from tests.mockserver import Gate, MockWeChat, Route
from tests.redisproxy import RedisProxy
from tests.redisserver import RedisServer, free_port
from tests.site import BIZ, OTHER_BIZ, VERIFICATION, Art, Site
from tests.test_faults import back_from_full_disk, full_disk

JOB = "wechat-archive"
# The crawl as process 1 of a PID namespace of its own, as in a container: two such on one
# host name (a container's --hostname, or --network host) are both host:1. (In a user
# namespace of its own too: without root, one may make a PID namespace there.)
PID_NAMESPACE = ("unshare", "--user", "--map-root-user", "--pid", "--fork", "--kill-child")
GOOD = {"url": "https://mp.weixin.qq.com/s/x", "headers": {"Referer": "https://mp.weixin.qq.com/a"},
        "meta": {"page_id": "f00d"}}
ARTICLES = 12  # listed in the album: 11 served, one answering 404
# How long a test waits for what a process does: long, as a busy machine may take long
# to start Scrapy; a process that ends meanwhile fails the wait at once.
PATIENCE = 120.0


def unserved_place(given: str) -> int:
    """Where the album's 404 is in the frontier's order (1 to ``ARTICLES``): ``FRONTIER_404``."""
    if not (given.isdigit() and 1 <= int(given) <= ARTICLES):
        raise pytest.UsageError(f"FRONTIER_404 takes a place in the frontier, 1 to {ARTICLES}, not {given!r}")
    return int(given)


# The place every test but those that choose their own (``@pytest.mark.parametrize("album",
# [...], indirect=True)``) has the album's 404 at: first, the order CI met at 29ddf42.
UNSERVED_AT = unserved_place(os.environ.get("FRONTIER_404", "1"))


@dataclass
class Album:
    server: MockWeChat
    site: Site
    url: str
    expected: dict[str, Any]  # what a single process archives from it (``contents``)
    served: list[Art]  # in the album's order
    unserved: Art  # answering 404
    place: int  # the 404's in the frontier's order (1: the first page a node takes)


def frontier_order(site: Site, arts: list[Art]) -> list[Art]:
    """``arts`` in the order a node takes them from the frontier: the writer's requests have
    one score, and Redis orders entries of one score by their bytes, where the page id (the
    request's fingerprint, which holds the stand-in's port) is the first to differ."""
    def entry(art: Art) -> bytes:
        request = Request(site.link(art).replace("&amp;", "&").removesuffix("#rd"))
        return frontier_entry(request, fingerprint(request).hex())
    return sorted(arts, key=entry)


@pytest.fixture(scope="module")
def album(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Album]:
    """One album for every test of the module, and its archive made by a single process. Its
    404 is the article at ``UNSERVED_AT`` in the frontier's order, or at the place a test
    gives (``indirect``): what a test sees depends on which page a node fetches first."""
    server = MockWeChat().start()
    site = Site(server)
    arts = [Art(str(2247491000 + i)) for i in range(ARTICLES)]
    order = frontier_order(site, arts)
    place = getattr(request, "param", UNSERVED_AT)
    unserved = order[place - 1]
    served = [art for art in arts if art != unserved]
    for art in served:
        site.article(art)
    url = site.album("5001", arts)
    archive = tmp_path_factory.mktemp("single")
    result = crawl("album", archive, "-a", f"url={url}")
    assert result.returncode == 0, result.stderr
    assert "Run summary (finished): 11 new, 1 not fetched" in result.stderr
    yield Album(server, site, url, contents(archive), served, unserved, place)
    server.stop()


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer().start()
    yield server
    server.stop()


@pytest.fixture
def gate(album: Album) -> Iterator[Callable[[int], Gate]]:
    """``gate(n)`` holds the album's nth article page asked for; every gate opens at the end."""
    gates: list[Gate] = []

    def hold(nth: int) -> Gate:
        gates.append(Gate(nth, PATIENCE))
        album.server.before_answer = gates[-1].before_answer
        return gates[-1]

    yield hold
    album.server.before_answer = lambda path: None
    for held in gates:
        held.open()


class Processes:
    """The writers and nodes of one test, each logging to its own file, all ended at the end."""

    def __init__(self, logs: Path, redis_url: str):
        self.logs = logs
        self.redis_url = redis_url
        self.running: dict[str, subprocess.Popen[bytes]] = {}
        logs.mkdir()

    def start(self, name: str, spider: str, archive: Path, *args: str, env: dict[str, str] | None = None,
              project: Path = PROJECT, wrapper: tuple[str, ...] = (), **settings: str) -> None:
        """``wrapper``: a command that runs the crawl's (``PID_NAMESPACE``)."""
        given = {} if env and "WECHAT_REDIS_URL" in env else {"REDIS_URL": self.redis_url}
        # A page a gate holds waits as long as the gate, not Scrapy's 30 s: on a loaded
        # machine the steps taken meanwhile (processes started, stopped) can take longer.
        options = {**given, "REDIS_HEARTBEAT": "1", "DOWNLOAD_TIMEOUT": f"{PATIENCE:.0f}", **settings}
        with (self.logs / f"{name}.log").open("wb") as log:
            self.running[name] = subprocess.Popen([*wrapper, *crawl_command(spider, archive, *args, settings=options)],
                                                  cwd=project, env={**crawl_env(), "PYTHONPATH": str(project),
                                                                    **(env or {})},
                                                  stdout=log, stderr=log)

    def writer(self, name: str, archive: Path, album: Album, wrapper: tuple[str, ...] = (), **settings: str) -> None:
        self.start(name, "album", archive, "-a", f"url={album.url}", wrapper=wrapper, **settings)

    def node(self, name: str, env: dict[str, str] | None = None, project: Path = PROJECT,
             wrapper: tuple[str, ...] = (), **settings: str) -> None:
        self.start(name, "fetch", self.nowhere, env=env, project=project, wrapper=wrapper,
                   **{"REDIS_NODE": name, **settings})

    @property
    def nowhere(self) -> Path:
        """The archive folder nodes are given, and must not create: they write nothing."""
        return self.logs / "no-archive"

    def wait(self, name: str, timeout: float = PATIENCE) -> int:
        """``name``'s exit status; fails with every log when it runs ``timeout`` seconds more."""
        try:
            return self.running[name].wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"{name} still running after {timeout:.0f} s:\n{self.every_log()}") from None

    def succeed(self, *names: str) -> None:
        """Each of ``names`` ends with exit status 0 (else the test fails with its log)."""
        for name in names:
            assert self.wait(name) == 0, self.log(name)

    def wait_for(self, condition: Callable[[], Any], what: str) -> None:
        """Until ``condition()`` holds; fails with every log when it has not after
        ``PATIENCE`` seconds, or at once when every process has ended without it."""
        deadline = time.monotonic() + PATIENCE
        while not condition():
            ended = all(process.poll() is not None for process in self.running.values())
            assert time.monotonic() < deadline and not ended, \
                f"{'every process ended' if ended else 'timed out'} waiting for {what}:\n{self.every_log()}"
            time.sleep(0.02)

    def every_log(self) -> str:
        return "\n".join(f"--- {name}:\n{self.log(name)}" for name in self.running)

    def kill(self, name: str) -> None:
        self.running[name].send_signal(signal.SIGKILL)
        self.running[name].wait()

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(encoding="utf-8")

    def end(self) -> None:
        for process in self.running.values():
            if process.poll() is None:
                process.kill()
                process.wait()


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    return tmp_path / "archive"


@pytest.fixture
def processes(tmp_path: Path, redis_server: RedisServer) -> Iterator[Processes]:
    running = Processes(tmp_path / "logs", redis_server.url)
    yield running
    running.end()


@pytest.fixture
def job(redis_server: RedisServer) -> Iterator[redis.Redis]:
    """The job's keys, to look at from the test."""
    with closing(redis.Redis.from_url(redis_server.url)) as client:
        yield client


@contextmanager
def persistent_redis(processes: Processes) -> Iterator[RedisServer]:
    """A Redis with an append-only file (restarted as it was), the test's processes' own."""
    server = RedisServer(persistent=True).start()
    processes.redis_url = server.url
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def pictures_held(album: Album) -> Iterator[threading.Event]:
    """The album's pictures answered only once the event is set (at the end at the latest)."""
    pictures = threading.Event()

    def hold_the_pictures(path: str) -> None:
        if path.startswith("/mmbiz"):
            pictures.wait(PATIENCE)

    album.server.before_answer = hold_the_pictures
    try:
        yield pictures
    finally:
        album.server.before_answer = lambda path: None
        pictures.set()


def queued(job: redis.Redis) -> Callable[[], bool]:
    return lambda: job.zcard(f"{JOB}:requests") > 0


def fetched_by(job: redis.Redis, node: str) -> Callable[[], int]:
    return lambda: int(job.hget(f"{JOB}:fetched", node) or 0)


def renewed(job: redis.Redis, key: str) -> Callable[[], bool]:
    """Whether ``key``'s time left has gone up since the call before: renewed (a heartbeat).
    Not above its first reading: read the moment it was renewed, that is its whole time,
    which no renewal exceeds (a wait for one failed so, once in 20 runs under load)."""
    left = [job.pttl(key)]

    def went_up() -> bool:
        now = job.pttl(key)
        up, left[0] = now > left[0], now
        return up

    return went_up


def contents(archive: Path) -> dict[str, Any]:
    """What must be the same whoever fetched the pages: posts, images, the index's articles and images."""
    files = {str(path.relative_to(archive)): path.read_bytes()
             for folder in ("_posts", "postimg") for path in sorted((archive / folder).iterdir())}
    with closing(sqlite3.connect(archive / ".state" / "index.sqlite")) as db:
        # not which article an image was first stored for (images.key): the order pages came in
        tables = {table: sorted(db.execute(f"SELECT {columns} FROM {table}"))
                  for table, columns in (("articles", "*"), ("images", "url, name"))}
    return {"files": files, "tables": tables}


def article_hits(server: MockWeChat) -> list[str]:
    return [path for path, _ in server.hits("/s?")]


def asked_again(album: Album, before: int) -> list[str]:
    """The article pages asked of WeChat more than once since its first ``before`` hits, but
    the album's 404, which each run asks again."""
    hits = Counter(article_hits(album.server)[before:])
    return [path for path, count in hits.items() if count > 1 and album.unserved.path not in path]


def node_report(writer_log: str) -> dict[str, str]:
    """The writer's line about its nodes: node → what it says of it."""
    [line] = re.findall(rf"Fetch nodes of job {JOB}: (.*)", writer_log)
    return dict(part.split(": ") for part in line.split("; "))


def assert_404_at_its_place(album: Album, before: int) -> None:
    """The album's 404 was the page at its place among those asked since WeChat's first
    ``before`` hits: a test of one place tests that place (the frontier held the whole
    album before its first node started). A page a gate holds is a hit once let go."""
    asked = article_hits(album.server)[before:]
    assert asked[album.place - 1].startswith(album.unserved.path), (album.place, album.unserved, asked)


def taken_by(writer: str, why: str) -> str:
    """What the next run's Resuming line says of the 11 pages ``writer`` left taken in Redis,
    and ``why`` it stopped."""
    return (f"11 pages fetched and waiting (11 of them taken by writer {writer}, which {why}, before Redis had "
            "them as archived; this run asks WeChat for none of them again, and archives those not archived yet)")


def assert_resumed_what_writer_left(processes: Processes, archive: Path, album: Album, before: int,
                                    why: str) -> None:
    """Run "again" found the 11 pages ``writer`` left taken in Redis and said so, and ``why``,
    archived the album as one process does, and asked WeChat for no page again but the 404."""
    log = processes.log("again")
    assert taken_by(f"{socket.gethostname()}:{processes.running['writer'].pid}", why) in log, log
    assert not list((archive / ".state").glob("redis-*")), "the word read is left"
    assert "Run summary (finished): 11 already archived, 1 not fetched" in log, log
    assert contents(archive) == album.expected
    assert asked_again(album, before) == [], log
    assert_clean(processes)


def the_next_writer_finds_no_lease_and_archives_the_album(processes: Processes, archive: Path,
                                                          album: Album) -> None:
    """A writer and a node started after a writer stopped: no lease of the stopped one to wait
    out, the whole album archived, nothing left over."""
    processes.node("n1")
    processes.writer("again", archive, album, REDIS_HEARTBEAT="60")
    processes.succeed("again", "n1")
    assert "waiting for it to run out" not in processes.log("again"), processes.log("again")
    assert contents(archive) == album.expected
    assert_clean(processes)


def assert_clean(processes: Processes) -> None:
    for name in processes.running:
        log = processes.log(name)
        assert "Deprecat" not in log and "Traceback" not in log, f"{name}:\n{log}"


@pytest.mark.parametrize("nodes", [["n1"], ["n1", "n2"]])
def test_writer_and_nodes_archive_what_one_process_does(album: Album, archive: Path, processes: Processes,
                                                       job: redis.Redis, gate: Callable[[int], Gate],
                                                       nodes: list[str]) -> None:
    before = len(article_hits(album.server))
    # Two nodes: the first page asked waits until the other node asks for one too.
    meeting = gate(1) if len(nodes) > 1 else None
    for node in nodes:  # nodes may start before the writer: they wait for its job
        # a heartbeat of 3 s: the first node, waiting for the other's start, is not found
        # silent on a loaded machine, its page then fetched by the other too
        processes.node(node, REDIS_HEARTBEAT="3")
    processes.writer("writer", archive, album)
    if meeting is not None:
        processes.wait_for(lambda: meeting.asked >= 2, "a page asked by each node")
        meeting.open()
    assert processes.wait("writer") == 0, processes.log("writer")
    for node in nodes:
        assert processes.wait(node) == 0, processes.log(node)

    assert contents(archive) == album.expected
    assert not processes.nowhere.exists()
    fetched = article_hits(album.server)[before:]
    assert len(fetched) == len(set(fetched)) == ARTICLES  # each page once, the 404 too
    report = node_report(processes.log("writer"))
    assert sorted(report) == nodes
    assert all(re.fullmatch(r"[1-9]\d* fetched", said) for said in report.values()), report
    assert sum(int(said.split()[0]) for said in report.values()) == ARTICLES
    log = processes.log("writer")
    assert "Run summary (finished): 11 new, 1 not fetched" in log
    assert re.search(rf"WARNING: Not archived: could not fetch \S+mid={album.unserved.mid}\S+: HTTP 404", log)
    assert_clean(processes)
    assert job.keys(f"{JOB}:*") == [f"{JOB}:done".encode()]  # the job's keys are cleaned


SHIFTED_CLOCK = """import os, time
_real_time, _real_ns = time.time, time.time_ns
_shift = float(os.environ["CLOCK_SHIFT"])
time.time = lambda: _real_time() + _shift
time.time_ns = lambda: _real_ns() + int(_shift * 1e9)
"""


def test_nodes_whose_clocks_are_hours_off_archive_what_one_process_does(
        album: Album, archive: Path, processes: Processes, gate: Callable[[int], Gate], tmp_path: Path) -> None:
    """A node's wall clock is no part of the job: heartbeats, leases and the done mark are
    Redis's own TTLs, every wait a node or writer measures is monotonic. Two nodes, one six
    hours ahead and one six hours behind (Python's time.time shifted in each), work the
    job as nodes on time do: each page asked once, none found silent."""
    shifted = tmp_path / "shifted"
    shifted.mkdir()
    (shifted / "sitecustomize.py").write_text(SHIFTED_CLOCK)
    before = len(article_hits(album.server))
    meeting = gate(1)  # the first page asked waits until the other node asks for one too
    for node, shift in (("ahead", 6 * 3600), ("behind", -6 * 3600)):
        processes.node(node, env={"PYTHONPATH": f"{shifted}:{PROJECT}", "CLOCK_SHIFT": str(shift)},
                       REDIS_HEARTBEAT="3")
    processes.writer("writer", archive, album)
    processes.wait_for(lambda: meeting.asked >= 2, "a page asked by each node")
    meeting.open()
    processes.succeed("writer", "ahead", "behind")
    for node, hours in (("ahead", 6), ("behind", -6)):  # the shift took: the node's log lines say so
        stamp = datetime.strptime(processes.log(node)[:19], "%Y-%m-%d %H:%M:%S")
        assert abs((stamp - datetime.now()).total_seconds() - hours * 3600) < 600, processes.log(node)
    assert contents(archive) == album.expected
    fetched = article_hits(album.server)[before:]
    assert len(fetched) == len(set(fetched)) == ARTICLES
    report = node_report(processes.log("writer"))
    assert all(re.fullmatch(r"[1-9]\d* fetched", said) for said in report.values()), report
    log = processes.log("writer")
    assert [line for line in log.splitlines() if "] WARNING: " in line and "HTTP 404" not in line
            and "Run summary" not in line] == [], log
    assert_clean(processes)


def test_a_node_takes_a_request_only_when_it_can_send_it(album: Album, archive: Path, processes: Processes,
                                                         job: redis.Redis) -> None:
    """A node waiting out its politeness delay holds nothing another node could fetch, and
    stops when the job is done even while it waits."""
    processes.node("n1", DOWNLOAD_DELAY="60", DOWNLOAD_DELAY_JITTER="0")
    processes.writer("writer", archive, album)
    processes.wait_for(fetched_by(job, "n1"), "n1's first page")
    for _ in range(5):  # a minute before n1 may send another request: it holds none
        assert job.hlen(f"{JOB}:inflight:n1") == 0
        time.sleep(0.05)
    processes.node("n2")
    assert processes.wait("writer") == 0, processes.log("writer")
    assert processes.wait("n1") == 0 and processes.wait("n2") == 0
    assert contents(archive) == album.expected
    assert node_report(processes.log("writer")) == {"n1": "1 fetched", "n2": f"{ARTICLES - 1} fetched"}
    assert_clean(processes)


def test_a_node_started_just_after_a_job_finished_works_for_the_next(
        album: Album, archive: Path, processes: Processes, job: redis.Redis) -> None:
    """A finished job stays marked done for five minutes, so that idle nodes see it. A node
    started meanwhile, before the next writer of the job, took that for its own job's end:
    it stopped at its first beat, and the writer waited for ever for a node."""
    url = album.site.link(album.served[0]).replace("&amp;", "&").removesuffix("#rd")
    processes.node("n1")
    processes.start("writer", "article", archive, "-a", f"url={url}")
    assert processes.wait("writer") == 0 and processes.wait("n1") == 0
    assert job.exists(f"{JOB}:done")
    processes.node("n2")
    processes.wait_for(lambda: "joined job" in processes.log("n2"), "n2 joining")
    processes.start("again", "article", archive, "-a", f"url={url}")
    assert processes.wait("again", timeout=60) == 0, processes.log("again")
    assert processes.wait("n2") == 0, processes.log("n2")
    assert node_report(processes.log("again")) == {"n2": "1 fetched"}
    assert_clean(processes)


def test_a_job_through_a_unix_socket_archives_what_one_process_does(
        album: Album, tmp_path: Path, archive: Path, redis_server: RedisServer) -> None:
    """Redis on the machine, reached through its socket (``unix://``, which the settings
    take): every client was given TCP keepalive, which redis-py's socket connection refuses
    (a TypeError), and writer and node stopped on a traceback."""
    processes = Processes(tmp_path / "logs", redis_server.socket_url)
    try:
        processes.node("n1")
        processes.writer("writer", archive, album)
        assert processes.wait("writer") == 0, processes.log("writer")
        assert processes.wait("n1") == 0, processes.log("n1")
        assert contents(archive) == album.expected
        assert_clean(processes)
    finally:
        processes.end()


def test_a_page_a_node_follows_a_redirect_for_is_archived_as_one_process_does(
        album: Album, tmp_path: Path, archive: Path, processes: Processes) -> None:
    target = album.site.link(album.served[0]).replace("&amp;", "&").removesuffix("#rd")
    moved = album.server.redirect("/s/MovedForNodes", target)
    processes.node("n1")
    processes.start("writer", "article", archive, "-a", f"url={moved}")
    alone = tmp_path / "alone"
    assert crawl("article", alone, "-a", f"url={moved}").returncode == 0
    assert processes.wait("writer") == 0, processes.log("writer")
    assert processes.wait("n1") == 0, processes.log("n1")
    assert contents(archive) == contents(alone) and len(contents(archive)["tables"]["articles"]) == 1
    [capture] = CaptureStore(archive / ".state" / "warc").captures()
    assert capture.url == target
    assert_clean(processes)


def test_a_page_redirected_in_a_loop_is_fetched_and_reported_as_one_process_does(
        album: Album, tmp_path: Path, archive: Path, processes: Processes) -> None:
    """A single process's scheduler drops the redirect back into the page's own chain: two
    fetches and one line. A node's followed the loop to Scrapy's 20 redirects, each a page
    of WeChat's sent from its IP, and the writer reported "max redirections reached"."""
    here = album.server.redirect("/s/LoopHereForNodes", album.server.base + "/s/LoopThereForNodes")
    there = album.server.redirect("/s/LoopThereForNodes", here)
    alone = crawl("article", tmp_path / "alone", "-a", f"url={there}")
    before = len(album.server.hits("/s/Loop"))
    processes.node("n1")
    processes.start("writer", "article", archive, "-a", f"url={there}")
    assert processes.wait("writer") == alone.returncode == 1, processes.log("writer")
    assert processes.wait("n1") == 0, processes.log("n1")
    assert len(album.server.hits("/s/Loop")) - before == 2  # as one process: There, Here
    said = re.escape(f"could not fetch {there}: ") + r"(NotFetched: )?" + \
        re.escape(f"IgnoreRequest: redirected in a loop, back to '{there}'")
    assert re.search(said, alone.stderr), alone.stderr
    assert re.search(said, processes.log("writer")), processes.log("writer")
    assert_clean(processes)


def test_a_moved_link_to_another_accounts_article_is_remembered_as_one_process_does(
        album: Album, tmp_path: Path, archive: Path, processes: Processes, job: redis.Redis) -> None:
    """A link in a body that redirects (an old ``http://`` short link) to another account's
    article is remembered as the link given, and not fetched again when a later article
    links to it. The writer remembered the URL the node's redirect ended at."""
    site = album.site
    other = Art("2247492101", biz=OTHER_BIZ, token="OtherForNodes")
    site.article(other, nickname="别的号")
    moved = album.server.redirect("/s/MovedToOtherForNodes", site.short(other))
    entries = [Art(str(2247492102 + i), token=f"EntryForNodes{i}", links=(moved,)) for i in range(2)]
    site.serve(entries)

    def accounts(runs: int) -> dict[str, str]:
        given = ", ".join(f'"{site.short(entry)}"' for entry in entries[:runs])
        path = tmp_path / f"accounts{runs}.toml"
        path.write_text(f'[[account]]\nname = "{site.account}"\nurls = [{given}]\n', encoding="utf-8")
        return {"ACCOUNTS_FILE": str(path), "WECHAT_BASE_URL": album.server.base}

    def moves() -> int:
        return len(album.server.hits("/s/MovedToOtherForNodes"))

    before = moves()
    for runs in (1, 2):  # the second run's new article links to it too
        assert crawl("accounts", tmp_path / "alone", settings=accounts(runs)).returncode == 0
    assert moves() - before == 1
    for runs in (1, 2):
        processes.start(f"writer{runs}", "accounts", archive, **accounts(runs))
        processes.wait_for(queued(job), "the writer's first request")  # the job before is over
        processes.node(f"n{runs}")
        assert processes.wait(f"writer{runs}") == 0, processes.log(f"writer{runs}")
        assert processes.wait(f"n{runs}") == 0
    assert moves() - before == 2, processes.log("writer2")
    assert contents(archive) == contents(tmp_path / "alone")
    assert_clean(processes)


def test_an_accounts_short_link_to_an_article_of_its_album_is_fetched_once_with_nodes(
        album: Album, tmp_path: Path, archive: Path, processes: Processes) -> None:
    """The short link names its article only once a node has fetched it; the writer, which
    reads the album itself meanwhile, put the album's link to that article on the frontier
    too, and it was fetched twice."""
    site = album.site
    arts = site.serve([Art(str(2247493601 + i), albums=("3691",)) for i in range(3)])
    entry = Art("2247493610", token="EntryForNodesInAlbum", albums=("3691",))
    site.article(entry)
    listed = site.album("3691", [*arts, entry])
    accounts = tmp_path / "accounts.toml"
    accounts.write_text(f'[[account]]\nname = "{site.account}"\nalbums = ["{listed}"]\n'
                        f'urls = ["{site.short(entry)}"]\n', encoding="utf-8")
    before = len(album.server.hits("/s"))
    processes.start("writer", "accounts", archive, ACCOUNTS_FILE=str(accounts),
                    WECHAT_BASE_URL=album.server.base)
    processes.node("n1")
    assert processes.wait("writer") == 0, processes.log("writer")
    fetched = [path for path, _ in album.server.hits("/s")[before:]]
    assert len([path for path in fetched if entry.mid in path or entry.token in path]) == 1, fetched
    assert len(fetched) == 4, fetched
    assert "Run summary (finished): 4 new" in processes.log("writer")


def test_a_node_killed_mid_job_loses_nothing(album: Album, archive: Path, processes: Processes,
                                            job: redis.Redis, gate: Callable[[int], Gate]) -> None:
    second = gate(2)
    processes.node("n1")
    processes.writer("writer", archive, album)
    second.wait()
    assert job.hlen(f"{JOB}:inflight:n1") == 1  # n1 is fetching its second page
    processes.kill("n1")
    processes.node("n2")
    assert processes.wait("writer") == 0, processes.log("writer")
    assert processes.wait("n2") == 0

    assert contents(archive) == album.expected
    log = processes.log("writer")
    assert re.search(r"WARNING: Fetch node n1 stopped answering; requests it held go back to the "
                     r"frontier: 1\b", log)
    assert node_report(log)["n1"] == "1 fetched, stopped answering"
    assert_clean(processes)


def test_a_node_thought_dead_that_comes_back_fetches_what_it_held_once(
        album: Album, archive: Path, processes: Processes, gate: Callable[[int], Gate]) -> None:
    """A node silent past its heartbeat (a stalled machine) while WeChat holds its answer:
    the writer puts its request back on the frontier, and the node, back, takes it again
    there (its own answer not handed back yet, the request is first in line). It holds
    it already: it does not ask WeChat for it a second time."""
    before = len(article_hits(album.server))
    second = gate(2)
    processes.node("n1")
    processes.writer("writer", archive, album)
    second.wait()
    processes.running["n1"].send_signal(signal.SIGSTOP)
    try:
        processes.wait_for(lambda: "Fetch node n1 stopped answering" in processes.log("writer"),
                           "the writer to find n1 silent")
    finally:
        processes.running["n1"].send_signal(signal.SIGCONT)
    second.open()
    assert processes.wait("writer") == 0, processes.log("writer")
    assert processes.wait("n1") == 0
    assert contents(archive) == album.expected
    hits = article_hits(album.server)[before:]
    assert [path for path, count in Counter(hits).items() if count > 1] == []
    assert len(hits) == ARTICLES
    assert_clean(processes)


def test_a_page_two_nodes_fetched_is_archived_once_and_the_second_copy_said(
        album: Album, archive: Path, processes: Processes, job: redis.Redis, gate: Callable[[int], Gate]) -> None:
    """A node silent past its heartbeat while WeChat held its answer: the writer gave its
    request to another node, which fetched it too; the first, back, handed its copy back.
    The copy was dropped and the page archived once, but the double fetch was said nowhere:
    the nodes' line counted it as one more page fetched, and the sum there exceeded the
    pages. Now the node says it dropped its copy (INFO: the WARNING that it stopped
    answering said why already), and the writer's line counts it."""
    before, images_before = len(article_hits(album.server)), len(album.server.hits("/mmbiz"))
    second = gate(2)
    one_at_a_time = {"REDIS_PAGES_IN_FLIGHT": "1"}  # one request on the frontier: n2 takes n1's
    processes.node("n1")
    processes.writer("writer", archive, album, **one_at_a_time)
    second.wait()
    processes.running["n1"].send_signal(signal.SIGSTOP)
    try:
        processes.wait_for(lambda: "Fetch node n1 stopped answering" in processes.log("writer"),
                           "the writer to find n1 silent")
        # n2 fetches n1's page, then waits a minute before it takes another: the job goes
        # on while n1 hands its copy back
        processes.node("n2", DOWNLOAD_DELAY="60", DOWNLOAD_DELAY_JITTER="0")
        processes.wait_for(lambda: fetched_by(job, "n2")() == 1 and job.zcard(f"{JOB}:requests") == 1,
                           "n2's copy taken by the writer")
    finally:
        processes.running["n1"].send_signal(signal.SIGCONT)
    second.open()
    assert processes.wait("writer") == 0, processes.log("writer")
    assert processes.wait("n1") == 0 and processes.wait("n2") == 0

    assert contents(archive) == album.expected
    hits = Counter(article_hits(album.server)[before:])
    [(twice, _)] = [(path, count) for path, count in hits.items() if count > 1]
    assert hits[twice] == 2 and sum(hits.values()) == ARTICLES + 1
    images = Counter(path for path, _ in album.server.hits("/mmbiz")[images_before:])
    assert images and max(images.values()) == 1, images  # by the writer, once
    said = [line for line in processes.log("n1").splitlines() if "another node" in line]
    assert len(said) == 1 and "INFO: " in said[0] and twice in said[0], processes.log("n1")
    assert node_report(processes.log("writer")) == {  # the 404 too, a page
        "n1": f"{ARTICLES} fetched (1 also fetched by another node, dropped)", "n2": "1 fetched"}
    assert_clean(processes)


def test_a_node_of_another_commit_takes_nothing_and_the_writer_says_so(
        album: Album, tmp_path: Path, archive: Path, processes: Processes, job: redis.Redis) -> None:
    """Writer and nodes must run the same commit (the Redis scripts and what travels change
    between versions): a node of another was not checked, took requests and ran its own
    scripts on the job. Now it takes nothing, stops in one line, exit status 1, and the
    writer (whose lines cron mails; a node's go to its journal) says so once."""
    other = tmp_path / "other-commit"
    shutil.copytree(PROJECT / "crawler", other / "crawler", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(PROJECT / "scrapy.cfg", other)
    with (other / "crawler" / "distributed" / "scripts.py").open("a") as scripts:
        scripts.write("# a step changed by another commit\n")
    processes.writer("writer", archive, album)
    processes.wait_for(lambda: job.zcard(f"{JOB}:requests") == ARTICLES, "the writer's requests")
    processes.node("old", project=other)
    assert processes.wait("old") == 1, processes.log("old")
    assert job.zcard(f"{JOB}:requests") == ARTICLES  # nothing taken
    processes.node("n1")
    processes.succeed("writer", "n1")
    assert contents(archive) == album.expected
    [line] = re.findall(r"\] ERROR: .*", processes.log("old"))
    assert re.fullmatch(rf"\] ERROR: Fetch node old runs another version of this project than the writer of job "
                        rf"{JOB} \(code \w{{12}} here, \w{{12}} there\): stopping, taking nothing; install the "
                        r"writer's commit here", line), line
    log = processes.log("writer")
    said = re.findall(r"\] WARNING: Fetch node old .*", log)
    assert said == ["] WARNING: Fetch node old runs another version of this project: it stopped, taking "
                    "nothing; install this writer's commit there"], log
    assert node_report(log)["old"] == "0 fetched, another version"
    assert_clean(processes)


def test_two_jobs_sharing_one_redis_keep_apart(album: Album, tmp_path: Path, processes: Processes,
                                              job: redis.Redis) -> None:
    """Two archives' jobs on one Redis database at once, their nodes of the same name: each
    archive complete, each page asked once per job, and each job's end removes its keys only."""
    before = len(article_hits(album.server))
    for name in ("one", "two"):
        processes.node(f"n1-{name}", REDIS_JOB=name, REDIS_NODE="n1")
        processes.writer(f"writer-{name}", tmp_path / name, album, REDIS_JOB=name)
    processes.succeed("writer-one", "writer-two", "n1-one", "n1-two")
    for name in ("one", "two"):
        assert contents(tmp_path / name) == album.expected
        assert node_report(processes.log(f"writer-{name}").replace(f"job {name}:", f"job {JOB}:")) == {
            "n1": f"{ARTICLES} fetched"}
    assert set(Counter(article_hits(album.server)[before:]).values()) == {2}
    assert sorted(job.keys("*")) == [b"one:done", b"two:done"]
    assert_clean(processes)


def test_a_writer_and_nodes_of_two_job_names_say_which_in_one_line_each(
        album: Album, archive: Path, processes: Processes) -> None:
    """A typo in one crontab's REDIS_JOB: the writer waited REDIS_NODE_GRACE, then said no
    node was running, while its node idled under the other name, silent. Now each says, in
    the one line it writes about it, which job the other is on."""
    typo = f"{JOB}-2"
    before = len(article_hits(album.server))
    processes.node("n1", REDIS_NODE_GRACE="1")
    processes.writer("writer", archive, album, REDIS_JOB=typo, REDIS_NODE_GRACE="1", REDIS_NODE_WAIT="6")
    assert processes.wait("writer") == 1, processes.log("writer")
    processes.wait_for(lambda: "has no writer" in processes.log("n1"), "n1 to say its job has no writer")
    said = {name: [line.split("] ", 1)[1] for line in processes.log(name).splitlines()
                   if re.search(r"\] (WARNING|ERROR): .*REDIS_JOB", line)] for name in ("writer", "n1")}
    assert said == {
        "writer": [f"WARNING: {ARTICLES} article pages wait for a fetch node and none is running: Redis holds "
                   f"fetch nodes of job {JOB} (n1), none of job {typo}: if they are one job, give writer and nodes "
                   "the same REDIS_JOB"],
        "n1": [f"WARNING: Fetch node n1: job {JOB} has no writer, and job {typo} has a writer and no fetch node: "
               "if they are one job, give writer and nodes the same REDIS_JOB"]}, processes.every_log()
    assert len(article_hits(album.server)) == before
    assert_clean(processes)


@pytest.mark.parametrize("name", ["wechat-archive:2", "gd*", "a b"])
def test_a_job_name_whose_keys_another_jobs_pattern_would_match_is_refused(tmp_path: Path, name: str) -> None:
    """A job's keys are ``<job>:…``, and the README's ACL and the line that drops a job match
    ``<job>:*``: a job named ``wechat-archive:2`` ran, and dropping ``wechat-archive`` (or an
    ACL user of its keys) took the other's keys too; a glob's characters matched others."""
    result = crawl("album", tmp_path / "archive", "-a", f"url=http://127.0.0.1:9/mp/appmsgalbum?__biz={BIZ}"
                   "&action=getalbum&album_id=1", settings={"REDIS_URL": "redis://127.0.0.1:9/0", "REDIS_JOB": name})
    assert result.returncode == 2, result.stderr
    line = refusal(result, "crawl album")
    assert line == f"scrapy crawl album: -s REDIS_JOB= takes a name of letters, digits, '-', '_' and '.', not " \
        f"{name!r}: the job's keys are <job>:…, and a pattern of them must match no other job's", line


def test_a_page_a_node_answered_with_a_server_error_is_not_fetched_again_by_the_writer(
        album: Album, archive: Path, processes: Processes) -> None:
    """A 503 a node handed back after its own retries is not retried by the writer's
    RetryMiddleware: each retry would be one more page asked of the nodes, and of WeChat."""
    busy = album.unserved.path
    try:
        album.site.pages[busy] = Route(503, "text/html; charset=utf-8", b"busy")
        before = len(album.server.hits(busy))
        processes.node("n1", RETRY_TIMES="0")
        processes.writer("writer", archive, album, RETRY_TIMES="2")
        assert processes.wait("writer") == 0, processes.log("writer")
        assert processes.wait("n1") == 0
    finally:
        del album.site.pages[busy]
    assert len(album.server.hits(busy)) - before == 1
    assert re.search(r"WARNING: Not archived: could not fetch \S+: .*503", processes.log("writer")), \
        processes.log("writer")


def test_a_node_restarted_under_its_name_gives_back_what_it_held(
        album: Album, archive: Path, processes: Processes, job: redis.Redis, gate: Callable[[int], Gate]) -> None:
    second = gate(2)
    processes.writer("writer", archive, album)
    processes.wait_for(queued(job), "the writer's first requests")
    processes.node("n1", REDIS_HEARTBEAT="60")  # the writer would not find it dead within the test
    second.wait()
    processes.kill("n1")
    processes.node("n1-again", REDIS_NODE="n1")
    assert processes.wait("writer") == 0, processes.log("writer")
    assert processes.wait("n1-again") == 0
    assert contents(archive) == album.expected
    assert "Gave back to the frontier 1 request a previous run of this node held" in processes.log("n1-again")
    assert_clean(processes)


def test_a_second_node_of_one_name_is_refused_and_fetches_nothing(
        album: Album, archive: Path, processes: Processes, job: redis.Redis, gate: Callable[[int], Gate]) -> None:
    """One REDIS_NODE given to two machines: the second gave back at its start what the first
    held, as a previous run's, and each put the other's requests back on the frontier at its
    beats: pages asked of WeChat twice. Now the second is refused in one line, exit status 2."""
    before = len(article_hits(album.server))
    second = gate(2)
    processes.node("n1")
    processes.writer("writer", archive, album)
    second.wait()  # n1 holds its second page
    processes.node("twin", REDIS_NODE="n1")
    assert processes.wait("twin") == 2, processes.log("twin")
    said = [line for line in processes.log("twin").splitlines() if line.strip()]
    assert said == [f"scrapy crawl fetch: fetch node n1 of job {JOB} is running already (its heartbeat is renewed): "
                    "give each node its own REDIS_NODE, or none (host:pid)"], said
    second.open()
    processes.succeed("writer", "n1")
    assert contents(archive) == album.expected
    hits = article_hits(album.server)[before:]
    assert [path for path, count in Counter(hits).items() if count > 1] == [], processes.every_log()
    assert_clean(processes)


def test_the_nodes_of_a_killed_writer_ask_wechat_for_nothing_once_its_lease_ran_out_and_stop(
        album: Album, archive: Path, processes: Processes, job: redis.Redis, gate: Callable[[int], Gate]) -> None:
    """A writer killed (SIGKILL, its machine down, or stopped while Redis did not answer it)
    leaves no word in Redis: its nodes went on asking WeChat for every request on the frontier,
    for nobody, then waited for ever. Now a node takes nothing once the writer's lease has run
    out, finishes the page on the wire, hands it back, and stops REDIS_GRACE later, exit status 1,
    its last line saying why; the next writer archives the rest, asking WeChat for no page again."""
    before = len(article_hits(album.server))
    fourth = gate(4)
    processes.node("n1", REDIS_GRACE="3")
    processes.writer("writer", archive, album)
    fourth.wait()
    # Of the three pages handed back, one may be the 404.
    processes.wait_for(lambda: len(list((archive / "_posts").glob("*.md"))) >= 2, "two posts")
    processes.kill("writer")
    processes.wait_for(lambda: not job.exists(f"{JOB}:writer"), "the killed writer's lease to run out")
    fourth.open()
    status = processes.wait("n1", timeout=30)
    log = processes.log("n1")
    assert status == 1, log
    *_, last = log.splitlines()
    assert re.search(rf"WARNING: Fetch node n1 stopped \(writer_lost\): 4 pages handed back to job {JOB}; its "
                     r"writer's lease ran out unrenewed \d+ s ago \(killed, its machine down, or stopped while Redis "
                     r"did not answer it\): no page more is asked of WeChat, the job's frontier waits for its next "
                     r"writer$", last), log
    assert re.search(rf"INFO: Job {JOB}'s writer lease ran out unrenewed .*: this node takes nothing until a writer "
                     r"holds it again, and stops if none has in 3 s \(REDIS_GRACE\)", log), log
    assert len(article_hits(album.server)) - before == 4, processes.every_log()  # the page on the wire only
    # with those the killed writer took and had not archived (recorded in the index) yet
    waiting = job.hlen(f"{JOB}:pages") + job.hlen(f"{JOB}:taken")
    assert waiting > 0 and job.zcard(f"{JOB}:requests") == ARTICLES - 4

    # the node started once the writer has said what it resumes: a node takes requests as
    # soon as the writer holds the lease, before that line
    processes.writer("again", archive, album)
    processes.wait_for(lambda: "Resuming job" in processes.log("again"), "the next writer to resume")
    assert f"Resuming job {JOB}: {ARTICLES - 4} requests on the frontier, {counted(waiting, 'page')} fetched and " \
        "waiting" in processes.log("again")
    processes.node("n2")
    processes.succeed("again", "n2")
    assert contents(archive) == album.expected
    # Neither the pages fetched for the killed writer and waiting in Redis nor those it had
    # taken are asked for again; a post it wrote and had not recorded is written again.
    assert asked_again(album, before) == [], processes.log("again")
    assert_clean(processes)


def test_a_writer_killed_and_started_again_at_once_waits_for_its_lease_and_resumes(
        album: Album, archive: Path, processes: Processes, job: redis.Redis, gate: Callable[[int], Gate]) -> None:
    """A writer killed (SIGKILL: a crash) and started again at once, by hand or by cron, was
    refused, exit status 2, for up to REDIS_HEARTBEAT, naming as the job's writer a process
    that was dead. The lease of a writer that stopped is not renewed: the next now waits for
    it to run out, in one INFO line, and resumes the job. (One whose lease is renewed, a
    writer that runs, is refused: test_a_second_writer_of_a_job_is_refused_naming_the_first.)"""
    before = len(article_hits(album.server))
    second = gate(2)
    lease = {"REDIS_HEARTBEAT": "20"}  # the killed writer's has 13 s left at least as the next starts
    processes.node("n1")
    processes.writer("writer", archive, album, **lease)
    second.wait()
    dead = f"{socket.gethostname()}:{processes.running['writer'].pid}"
    processes.kill("writer")
    processes.writer("again", archive, album, **lease)
    processes.wait_for(lambda: "waiting for it to run out" in processes.log("again")
                       or processes.running["again"].poll() is not None, "the writer waiting")
    second.open()
    assert processes.wait("again") == 0, processes.log("again")
    processes.succeed("n1")
    log = processes.log("again")
    assert re.search(rf"INFO: Job {JOB}'s writer lease is {dead}'s for 1?\d s more: waiting for it to run out "
                     r"\(its writer stopped: killed, its machine down\) or to be renewed \(its writer runs\)\n",
                     log), log
    assert f"Resuming job {JOB}: " in log, log
    assert contents(archive) == album.expected
    assert asked_again(album, before) == [], log
    assert_clean(processes)


@pytest.mark.parametrize("stops", [("SIGINT",), ("SIGTERM",), ("SIGTERM", "SIGINT")],
                         ids=["Ctrl-C", "cron's timeout", "SIGTERM then SIGINT"])
def test_a_writer_stopped_while_it_waits_for_a_lease_says_so_and_ends_by_the_signal(
        album: Album, archive: Path, processes: Processes, job: redis.Redis, stops: tuple[str, ...]) -> None:
    """Ctrl-C while a writer waits for the lease of one that stopped to run out: a traceback
    (KeyboardInterrupt in time.sleep); then no line at all, the log's last saying it waits.
    SIGTERM (cron's timeout) killed it on the spot, no line either. It now says it stopped,
    with nothing asked of WeChat nor written, a second signal as a forced stop, and ends by
    the signal (the last); the next writer, once the lease is free, does the job. (Two
    signals land together, SIGSTOP meanwhile: Python runs its handlers in their numbers' order.)"""
    job.set(f"{JOB}:writer", "elsewhere:42", px=60_000)
    processes.writer("writer", archive, album, REDIS_HEARTBEAT="60")
    processes.wait_for(lambda: "waiting for it to run out" in processes.log("writer"), "the writer waiting")
    writer = processes.running["writer"]
    writer.send_signal(signal.SIGSTOP)
    for stop in stops:
        writer.send_signal(signal.Signals[stop])
    writer.send_signal(signal.SIGCONT)
    status = processes.wait("writer", timeout=30)
    log = processes.log("writer")
    assert "Traceback" not in log, log
    *_, last = log.splitlines()
    if len(stops) == 1:
        assert status == -signal.Signals[stops[0]], log
        assert last.endswith(f"WARNING: Stopped ({stops[0]}) before the crawl started: nothing was asked of "
                             f"WeChat nor written; job {JOB} stays in Redis as it was, for its next writer"), log
    else:
        forced = re.search(r"WARNING: Stopped at once by (SIG\w+) after (SIG\w+) before the crawl started: "
                           rf"nothing was asked of WeChat nor written; job {JOB} stays in Redis as it was, for "
                           r"its next writer$", last)
        assert forced and {forced[1], forced[2]} == set(stops), log
        assert status == -signal.Signals[forced[1]], log
    assert job.get(f"{JOB}:writer") == b"elsewhere:42"
    job.delete(f"{JOB}:writer")
    processes.node("n1")
    processes.writer("again", archive, album)
    processes.succeed("again", "n1")
    assert contents(archive) == album.expected


def taking_the_lease(command: list[bytes], reply: Any) -> bool:
    """A writer's step that took the job's lease (``scripts.LEASE``): its reply ends in 1."""
    return command[:1] == [b"EVALSHA"] and f"{JOB}:writer".encode() in command \
        and isinstance(reply, list) and reply[-1:] == [1]


def test_a_writer_stopped_as_it_takes_its_lease_lets_it_go(
        album: Album, archive: Path, processes: Processes, redis_server: RedisServer, job: redis.Redis) -> None:
    """SIGTERM (cron's timeout) reaching a writer as it took the job's free lease, before the
    crawl started: it said it stopped having taken no lease, and left the lease in Redis, where
    the next writer waited REDIS_HEARTBEAT for it to run out. It lets it go now."""
    proxy = RedisProxy(redis_server.port, hold=taking_the_lease).start()
    try:
        processes.writer("writer", archive, album, REDIS_URL=proxy.url, REDIS_HEARTBEAT="60")
        processes.wait_for(proxy.held.is_set, "the writer taking its lease")
        assert job.get(f"{JOB}:writer") == f"{socket.gethostname()}:{processes.running['writer'].pid}".encode()
        processes.running["writer"].send_signal(signal.SIGTERM)
        time.sleep(0.5)  # the signal noted
        proxy.release()
        assert processes.wait("writer", timeout=30) == -signal.SIGTERM, processes.log("writer")
    finally:
        proxy.stop()
    *_, last = processes.log("writer").splitlines()
    assert last.endswith(f"WARNING: Stopped (SIGTERM) before the crawl started: nothing was asked of WeChat nor "
                         f"written; job {JOB} stays in Redis as it was, for its next writer"), processes.log("writer")
    assert not job.exists(f"{JOB}:writer")
    the_next_writer_finds_no_lease_and_archives_the_album(processes, archive, album)


@pytest.mark.parametrize("moment", ["prepared", "handed", "opening"])
def test_a_writer_stopped_between_its_last_look_for_a_signal_and_the_crawls_start_ends_by_it_holding_nothing(
        album: Album, archive: Path, processes: Processes, job: redis.Redis, moment: str) -> None:
    """SIGTERM (cron's timeout) in the moments between the crawl command's last look for a
    signal and the crawl's start (``tests/signalat`` sends it there): the writer must end by it,
    asking WeChat for nothing, and leave no lease for its next writer to wait out."""
    before = len(article_hits(album.server))
    hooked = {"SIGNAL_AT": moment, "PYTHONPATH": f"{PROJECT / 'tests' / 'signalat'}:{PROJECT}"}
    processes.start("writer", "album", archive, "-a", f"url={album.url}", env=hooked, REDIS_HEARTBEAT="60")
    status = processes.wait("writer", timeout=60)
    log = processes.log("writer")
    assert status == -signal.SIGTERM, log
    assert "Traceback" not in log and "] ERROR: " not in log, log
    assert len(article_hits(album.server)) == before, log
    assert not job.exists(f"{JOB}:writer"), log
    the_next_writer_finds_no_lease_and_archives_the_album(processes, archive, album)


def test_a_node_stopped_while_it_waits_out_its_names_heartbeat_says_so_and_ends_by_the_signal(
        processes: Processes, job: redis.Redis) -> None:
    """A node restarted under its name (systemd's Restart=) waits for the heartbeat its
    killed run left to run out; cron's or systemd's SIGTERM meanwhile killed it on the spot,
    no line. It now says it stopped having taken nothing, and ends by the signal."""
    job.set(f"{JOB}:alive:n1", "1", px=60_000)  # left by a run of n1 that was killed
    processes.node("n1", REDIS_HEARTBEAT="60")
    processes.wait_for(lambda: any(client["cmd"] == "pttl" for client in job.client_list()),
                       "n1 watching the heartbeat")
    processes.running["n1"].send_signal(signal.SIGTERM)
    assert processes.wait("n1", timeout=30) == -signal.SIGTERM, processes.log("n1")
    *_, last = processes.log("n1").splitlines() or [""]
    assert last.endswith("WARNING: Stopped (SIGTERM) before the crawl started: nothing was asked of WeChat nor "
                         f"written; this fetch node took nothing of job {JOB}"), processes.log("n1")
    assert not job.exists(f"{JOB}:inflight:n1")


@pytest.mark.parametrize("wrapper", [(), PID_NAMESPACE], ids=["host", "container"])
def test_pages_a_killed_writer_had_taken_are_archived_by_the_next_without_asking_wechat(
        album: Album, archive: Path, processes: Processes, job: redis.Redis, wrapper: tuple[str, ...]) -> None:
    """A writer killed (SIGKILL, its machine down) while the pages it had taken from Redis
    waited for their pictures: each was asked of WeChat again by the next run. A page
    taken now stays in Redis until it is archived, and the next writer archives it. So does
    the next writer of the same host:pid (a container's process 1, restarted): the pages
    taken in its name were left for it to take again as it asked for them, and each went
    back on the frontier first, asked of WeChat again."""
    before = len(article_hits(album.server))
    with pictures_held(album):
        processes.node("n1")
        processes.writer("writer", archive, album, wrapper=wrapper)
        # every page handed back and taken by the writer, each waiting for its pictures but
        # the 404's, let go once it was said not archived
        processes.wait_for(lambda: fetched_by(job, "n1")() == ARTICLES and not job.hlen(f"{JOB}:pages")
                           and job.hlen(f"{JOB}:taken") == ARTICLES - 1, "every page taken by the writer")
        processes.kill("writer")
    assert not (archive / "_posts").exists() or not list((archive / "_posts").iterdir())
    processes.wait_for(lambda: not job.exists(f"{JOB}:writer"), "the killed writer's lease to run out")
    processes.writer("again", archive, album, wrapper=wrapper)
    assert processes.wait("again") == 0, processes.log("again")
    assert processes.wait("n1") == 0, processes.log("n1")

    assert contents(archive) == album.expected
    log = processes.log("again")
    assert "Run summary (finished): 11 new, 1 not fetched" in log
    killed = "1" if wrapper else processes.running["writer"].pid
    assert taken_by(f"{socket.gethostname()}:{killed}", "ended leaving no word of why on this archive (this run "
                    "does not know: killed, or its machine down?)") in log, log
    assert asked_again(album, before) == [], processes.log("again")
    assert len(Counter(article_hits(album.server)[before:])) == ARTICLES
    assert_clean(processes)


def test_pages_a_writer_archived_as_redis_went_away_are_said_archived_by_the_next(
        album: Album, archive: Path, processes: Processes) -> None:
    """A writer that archived its pages while Redis was away, and was stopped before Redis
    came back, left them taken in Redis: the next run's log said they were "taken by a writer
    that stopped before archiving them", a writer that had archived every one. It now names
    that writer, says why it ended (its last word on the archive: Redis not answering it,
    where the line listed every guess) and what this run does, and asks WeChat for none of
    them again."""
    before = len(article_hits(album.server))
    with pictures_held(album) as pictures:
        with persistent_redis(processes) as server, closing(redis.Redis.from_url(server.url)) as job:
            processes.node("n1")
            processes.writer("writer", archive, album, REDIS_GRACE="60")
            # every page taken, each waiting for its pictures but the 404's, let go once said not archived
            processes.wait_for(lambda: fetched_by(job, "n1")() == ARTICLES and not job.hlen(f"{JOB}:pages")
                               and job.hlen(f"{JOB}:taken") == ARTICLES - 1, "every page taken by the writer")
            server.stop(keep=True)
            processes.wait_for(lambda: "Redis is not answering" in processes.log("writer"),
                               "the writer to find Redis gone")
            pictures.set()
            processes.wait_for(lambda: len(list((archive / "_posts").glob("*.md"))) == ARTICLES - 1, "every post")
            processes.running["writer"].send_signal(signal.SIGTERM)
            processes.wait("writer")
            server.start()
            assert job.hlen(f"{JOB}:taken") == ARTICLES - 1
            processes.wait_for(lambda: not job.exists(f"{JOB}:writer"), "the stopped writer's lease to run out")
            processes.writer("again", archive, album)
            processes.wait("again")  # its one page asked of WeChat is the 404's: it fails as a single process's
            processes.succeed("n1")
    assert_resumed_what_writer_left(processes, archive, album, before,
                                    "ended as Redis did not answer it")


def test_pages_a_writer_archived_as_redis_refused_it_are_said_refused_by_the_next(
        album: Album, archive: Path, processes: Processes) -> None:
    """Redis restarted with another password while the writer's pages waited for their
    pictures: the writer archived them and stopped, Redis refusing to hear it, and the next
    run said its writer ended "killed, its machine down, or Redis away or refusing it as it
    stopped", guessing. The writer's last word on the archive says now that Redis refused
    its password, and the next run says so; it asks WeChat for none of the pages again."""
    before = len(article_hits(album.server))
    server = RedisServer(password=SECRET, persistent=True).start()
    processes.redis_url = server.url
    try:
        with pictures_held(album) as pictures:
            with closing(redis.Redis.from_url(server.url)) as job:
                processes.node("n1")
                processes.writer("writer", archive, album)
                # every page taken, each waiting for its pictures but the 404's, let go once said not archived
                processes.wait_for(lambda: fetched_by(job, "n1")() == ARTICLES and not job.hlen(f"{JOB}:pages")
                                   and job.hlen(f"{JOB}:taken") == ARTICLES - 1, "every page taken by the writer")
            server.stop(keep=True)
            server.password = "an0ther"
            server.start()
            processes.wait_for(lambda: "Redis refuses the user and password" in processes.log("writer"),
                               "the writer refused")
            pictures.set()
            assert processes.wait("writer") == 1, processes.log("writer")
        assert len(list((archive / "_posts").glob("*.md"))) == ARTICLES - 1
        processes.redis_url = server.url
        with closing(redis.Redis.from_url(server.url)) as job:
            assert job.hlen(f"{JOB}:taken") == ARTICLES - 1
            processes.wait_for(lambda: not job.exists(f"{JOB}:writer"), "the refused writer's lease to run out")
        processes.node("n2")
        processes.writer("again", archive, album)
        processes.wait("again")  # its one page asked of WeChat is the 404's: it fails as a single process's
        processes.succeed("n2")
    finally:
        server.stop()
    assert_resumed_what_writer_left(processes, archive, album, before, "ended as Redis refused its user and "
                                    "password (its password or users changed)")


def taking_an_article(command: list[bytes], reply: Any) -> bool:
    """The writer's step that takes an article page (HTTP 200) out of Redis."""
    if not (command[:1] and command[0].upper() in (b"EVAL", b"EVALSHA") and isinstance(reply, bytes)):
        return False
    if command[1] not in (TAKE_PAGE.encode(), hashlib.sha1(TAKE_PAGE.encode()).hexdigest().encode()):
        return False
    return Page.from_bytes(reply).status == 200


def handing_back(command: list[bytes], reply: Any) -> bool:
    """A node's step that hands a page back, kept for the writer."""
    return command[:1] == [b"EVALSHA"] and command[1] == hashlib.sha1(HAND_BACK.encode()).hexdigest().encode() \
        and reply == 1


@pytest.mark.parametrize("cut", ["closed", "silent"])
def test_a_hand_back_whose_answer_a_network_cut_lost_is_not_a_second_copy(
        album: Album, archive: Path, processes: Processes, job: redis.Redis, redis_server: RedisServer,
        cut: str) -> None:
    """A node's connection cut after Redis ran its hand-back and before the answer came
    (closed: the client tries again at once; silent: the call times out, the node sends
    it again at its next beat): the step run again found the page handed back, or taken and
    archived by then, and took it for another node's copy. The node said it had dropped its
    page ("WeChat was asked for it twice", untrue) and the writer's line counted a page
    fetched twice."""
    proxy = RedisProxy(redis_server.port, hold=handing_back).start()
    try:
        processes.node("n1", REDIS_URL=proxy.url, REDIS_TIMEOUT="2")
        processes.writer("writer", archive, album)
        processes.wait_for(proxy.held.is_set, "a page handed back")
        if cut == "closed":
            proxy.cut()
        processes.succeed("writer", "n1")
    finally:
        proxy.stop()
    assert contents(archive) == album.expected
    log = processes.log("n1")
    assert "another node" not in log, log
    assert ("Redis is not answering (Timeout" in log) == (cut == "silent"), log
    assert node_report(processes.log("writer")) == {"n1": f"{ARTICLES} fetched"}
    assert_clean(processes)


def test_a_node_killed_as_it_hands_back_a_page_loses_it_not(
        album: Album, archive: Path, processes: Processes, job: redis.Redis, redis_server: RedisServer) -> None:
    """A node killed (SIGKILL: the OOM killer, ``systemctl kill``) the moment Redis has run
    its hand-back and before the node has the answer: the page is the writer's, archived
    once, and no page is asked of WeChat again; its silence gives back what it held else."""
    before = len(article_hits(album.server))
    proxy = RedisProxy(redis_server.port, hold=handing_back).start()
    try:
        processes.node("n1", REDIS_URL=proxy.url)
        processes.writer("writer", archive, album)
        processes.wait_for(proxy.held.is_set, "a page handed back")
        held = job.hlen(f"{JOB}:inflight:n1")  # the next request, taken as the page downloaded: 1 or none
        processes.kill("n1")
        proxy.release()
        processes.node("n2")
        processes.succeed("writer", "n2")
    finally:
        proxy.stop()
    assert contents(archive) == album.expected
    assert sorted(Counter(article_hits(album.server)[before:]).values()) == [1] * ARTICLES
    log = processes.log("writer")
    assert f"WARNING: Fetch node n1 stopped answering; requests it held go back to the frontier: {held}\n" in log, log
    assert node_report(log) == {"n1": "1 fetched, stopped answering", "n2": f"{ARTICLES - 1} fetched"}, log
    assert_clean(processes)


@pytest.mark.parametrize("answer", ["blocked", "redirected"])
def test_a_page_that_reaches_no_callback_leaves_redis_while_the_job_runs(
        album: Album, archive: Path, processes: Processes, job: redis.Redis, answer: str) -> None:
    """A page the writer took whose download then ends in one of its middlewares: a block
    page it does not ask for again (dropped, its errback called, no callback), or a redirect
    it follows as a new request of another page. It stayed taken in Redis, and in the
    writer's memory, until the job ended; now it leaves once Scrapy is done with it."""
    processes.writer("writer", archive, album, BLOCK_RETRY_TIMES="0", BLOCK_LIMIT="100")
    processes.wait_for(lambda: job.zcard(f"{JOB}:requests") >= 2, "the writer's first requests")
    first, second = (frontier.loads(entry) for entry in job.zrange(f"{JOB}:requests", 0, 1))
    page_id, url = first["meta"]["page_id"], first["url"]
    if answer == "blocked":
        page = Page("n0", page_id, url, url, 200, {"Content-Type": ["text/html; charset=utf-8"]}, {},
                    VERIFICATION.body)
    else:
        page = Page("n0", page_id, url, url, 302, {"Location": [second["url"]]}, {}, b"")
    job.zrem(f"{JOB}:requests", job.zrange(f"{JOB}:requests", 0, 0)[0])  # as a node takes it
    job.hset(f"{JOB}:pages", page_id, page.to_bytes())
    job.rpush(f"{JOB}:ready", page_id)
    processes.wait_for(lambda: job.hexists(f"{JOB}:taken", page_id) or not job.hexists(f"{JOB}:pages", page_id),
                       "the writer taking the page")
    deadline = time.monotonic() + 20
    while job.hexists(f"{JOB}:taken", page_id) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not job.hexists(f"{JOB}:taken", page_id), processes.log("writer")
    assert processes.running["writer"].poll() is None  # the job still runs: no node fetches yet
    processes.node("n1")
    processes.wait("writer")
    assert not job.exists(f"{JOB}:taken"), processes.log("writer")
    assert_clean(processes)


@pytest.mark.parametrize("stop", ["SIGINT", "SIGTERM"])
def test_a_page_taken_from_redis_as_the_writer_stops_is_archived_without_asking_wechat_again(
        album: Album, archive: Path, processes: Processes, job: redis.Redis, redis_server: RedisServer,
        stop: str) -> None:
    """The writer stopped by a signal after a page had left Redis on its way to the writer
    and before the writer had it: the page is archived, and the next run does not ask WeChat
    for it again. (The job stopped by its lease taken: the test after this one.)"""
    before, images_before = len(article_hits(album.server)), len(album.server.hits("/mmbiz"))
    proxy = RedisProxy(redis_server.port, hold=taking_an_article).start()
    try:
        processes.node("n1")
        # the held answer waited for past REDIS_TIMEOUT's 5 s (a loaded machine takes that
        # long to stop the writer) is a Redis not answering: the take's page lost with it
        processes.writer("writer", archive, album, REDIS_URL=proxy.url, REDIS_TIMEOUT="120")
        processes.wait_for(proxy.held.is_set, "a page taken from Redis")
        processes.running["writer"].send_signal(signal.Signals[stop])
        processes.wait_for(lambda: f"Stopping ({stop})" in processes.log("writer"), "the writer stopping")
        proxy.release()
        assert processes.wait("writer") != 0, processes.log("writer")
    finally:
        proxy.stop()
    assert not job.exists(f"{JOB}:taken") and not job.exists(f"{JOB}:takers")  # archived: let go
    assert processes.wait("n1") == 0, processes.log("n1")  # its writer stopped
    job.delete(f"{JOB}:writer")
    processes.node("n2")
    processes.writer("again", archive, album)
    processes.succeed("again", "n2")

    assert contents(archive) == album.expected
    taken = Page.from_bytes(proxy.reply).url.removeprefix(album.server.base)
    assert Counter(article_hits(album.server)[before:])[taken] == 1, processes.log("writer")
    assert asked_again(album, before) == []
    images = Counter(path for path, _ in album.server.hits("/mmbiz")[images_before:])
    assert images and max(images.values()) == 1, images  # across both runs too
    assert_clean(processes)


def test_a_node_stopped_by_sigterm_hands_back_its_page_and_takes_no_more(
        album: Album, archive: Path, processes: Processes, job: redis.Redis, gate: Callable[[int], Gate]) -> None:
    """``systemctl stop antifraud-fetch``: the node finishes the page on the wire and hands it
    back, asks WeChat for no page more, and ends by the signal; another node finishes the
    job, fetching none of it again. Its stop line counts what it gives back queued, none here:
    it said the job's whole frontier, "11 queued pages left for the next run", which the
    node neither held nor left."""
    before = len(article_hits(album.server))
    held = gate(1)
    processes.writer("writer", archive, album)
    processes.node("n1")
    held.wait()
    processes.running["n1"].send_signal(signal.SIGTERM)
    processes.wait_for(lambda: "Stopping (SIGTERM)" in processes.log("n1"), "the node stopping")
    held.open()
    assert processes.wait("n1", timeout=30) == -signal.SIGTERM, processes.log("n1")
    assert "INFO: Stopping (SIGTERM): no page more is asked of WeChat, 0 queued pages given back to the " \
           "job's frontier for its other fetch nodes;" in processes.log("n1"), processes.log("n1")
    assert len(article_hits(album.server)) - before == 1, processes.log("n1")
    assert fetched_by(job, "n1")() == 1
    processes.node("n2")
    processes.succeed("writer", "n2")
    assert contents(archive) == album.expected
    assert asked_again(album, before) == []  # but the 404: each node asks it once
    assert_clean(processes)


def test_a_node_stopped_by_sigterm_counts_the_request_it_gives_back(
        album: Album, archive: Path, processes: Processes, job: redis.Redis) -> None:
    """A node whose page answered with a redirect holds the request for where it moved,
    waiting out the node's politeness: the stop line counts it (it counted the job's
    frontier, empty here), and it goes back to the frontier, for another node to fetch,
    which the line says (it said "left for the next run", the words of a writer's queue)."""
    target = album.site.link(album.served[0]).replace("&amp;", "&").removesuffix("#rd")
    moved = album.server.redirect("/s/MovedBeforeAStop", target)
    processes.node("n1", DOWNLOAD_DELAY="60")
    processes.start("writer", "article", archive, "-a", f"url={moved}")
    processes.wait_for(lambda: album.server.hits("/s/MovedBeforeAStop"), "n1 asking for the moved page")
    time.sleep(2)  # the redirect scheduled, waiting for its turn
    processes.running["n1"].send_signal(signal.SIGTERM)
    assert processes.wait("n1", timeout=30) == -signal.SIGTERM, processes.log("n1")
    assert "INFO: Stopping (SIGTERM): no page more is asked of WeChat, 1 queued page given back to the " \
           "job's frontier for its other fetch nodes;" in processes.log("n1"), processes.log("n1")
    assert job.zcard(f"{JOB}:requests") == 1
    processes.node("n2")
    processes.succeed("writer", "n2")
    assert len(contents(archive)["tables"]["articles"]) == 1
    assert_clean(processes)


def test_a_node_stopped_by_sigterm_while_redis_is_away_hands_back_its_page_when_redis_answers(
        album: Album, archive: Path, processes: Processes, gate: Callable[[int], Gate]) -> None:
    """A node stopped (``systemctl stop``) during a Redis restart, holding a page it fetched
    meanwhile: it ended at once, "1 page handed back", the page it held gone with it; the
    writer then found it silent (a WARNING, mailed) and WeChat was asked for the page again.
    It now waits for Redis, as long as it would running (``REDIS_GRACE``), and hands it back."""
    server = RedisServer(persistent=True).start()
    processes.redis_url = server.url
    before = len(article_hits(album.server))
    try:
        second = gate(2)
        processes.node("n1")
        processes.writer("writer", archive, album)
        second.wait()
        server.stop(keep=True)
        processes.wait_for(lambda: "Redis is not answering" in processes.log("n1"), "n1 to find Redis gone")
        second.open()
        time.sleep(2)  # n1 has the page, and keeps it for Redis
        processes.running["n1"].send_signal(signal.SIGTERM)
        processes.wait_for(lambda: processes.running["n1"].poll() is not None
                           or "to hand back what it holds" in processes.log("n1"), "n1 stopping")
        server.start()
        assert processes.wait("n1") == -signal.SIGTERM, processes.log("n1")
        processes.node("n2")
        processes.succeed("writer", "n2")
    finally:
        server.stop()
    assert contents(archive) == album.expected
    assert "Fetch node n1 stopped (shutdown): 2 pages handed back" in processes.log("n1"), processes.log("n1")
    assert "stopped answering" not in processes.log("writer"), processes.log("writer")
    hits = article_hits(album.server)[before:]
    assert [path for path, count in Counter(hits).items() if count > 1] == [], processes.every_log()
    assert_clean(processes)


@pytest.mark.parametrize(("folder", "in_flight"), [(False, ARTICLES), (True, ARTICLES), (False, 4)],
                         ids=["plain", "job folder", "few in flight"])
def test_a_writer_stopped_by_sigterm_leaves_the_pages_it_waits_for_to_the_next_run(
        album: Album, archive: Path, processes: Processes, job: redis.Redis, folder: bool, in_flight: int) -> None:
    """``systemctl stop`` of a writer while its pages wait for the nodes (resting between
    jobs): each was reported not fetched, the stop line said 0 pages left, and the run ended
    "FAILED: no article page could be fetched", exit status 1, for pages that wait in Redis.
    They are left for the next run now, as a single process's queue is, and a job folder
    keeps them (it had them as seen, and the next run with it archived none of them). The
    stop line counts those waiting for one of the REDIS_PAGES_IN_FLIGHT too."""
    settings = {"JOBDIR": str(archive / ".state" / "job")} if folder else {}
    processes.writer("writer", archive, album, REDIS_PAGES_IN_FLIGHT=str(in_flight), **settings)
    processes.wait_for(lambda: job.zcard(f"{JOB}:requests") == in_flight, "the writer's requests")
    time.sleep(1)  # the others at the writer's RemoteFetch, waiting for their turn
    processes.running["writer"].send_signal(signal.SIGTERM)
    assert processes.wait("writer") == -signal.SIGTERM, processes.log("writer")
    log = processes.log("writer")
    assert f"INFO: Stopping (SIGTERM): no page more is asked of WeChat, {ARTICLES} queued pages left " \
           "for the next run" in log, log
    assert "not fetched" not in log and "] ERROR: " not in log, log
    assert "WARNING: Run summary (stopped by SIGTERM): nothing done" in log, log
    assert job.zcard(f"{JOB}:requests") == in_flight

    processes.node("n1")
    processes.writer("again", archive, album, **settings)
    processes.succeed("again", "n1")
    assert contents(archive) == album.expected
    assert_clean(processes)


def test_the_nodes_of_a_writer_stopped_by_sigterm_ask_wechat_for_no_page_more_and_say_why(
        album: Album, archive: Path, processes: Processes, job: redis.Redis, gate: Callable[[int], Gate]) -> None:
    """``systemctl stop`` of the writer while two nodes fetch: its pages were left for its next
    run, but the nodes went on asking WeChat for every request on the frontier, for a writer
    that took none of them, and waited for ever. Now each finishes the page it fetches, hands
    it back, asks for none more and stops, exit status 0, its last line saying why; the next
    run archives the album, asking WeChat for no page again."""
    before = len(article_hits(album.server))
    meeting = gate(1)  # the first page asked waits until the other node asks for one too
    for node in ("n1", "n2"):  # the other then waits 10 s before it takes another
        processes.node(node, DOWNLOAD_DELAY="10", DOWNLOAD_DELAY_JITTER="0")
    processes.writer("writer", archive, album)
    processes.wait_for(lambda: meeting.asked >= 2, "a page asked by each node")
    processes.running["writer"].send_signal(signal.SIGTERM)
    processes.wait_for(lambda: "Stopping (SIGTERM)" in processes.log("writer"), "the writer stopping")
    time.sleep(1)  # a beat of each node's since
    meeting.open()
    assert processes.wait("writer") == -signal.SIGTERM, processes.log("writer")
    for node in ("n1", "n2"):
        assert processes.wait(node, timeout=30) == 0, processes.log(node)
        *_, last = processes.log(node).splitlines()
        assert re.search(rf"INFO: Fetch node {node} stopped \(writer_stopped\): 1 page handed back to job {JOB}; "
                         r"its writer stopped \(SIGTERM\): no page more is asked of WeChat, the job's frontier waits "
                         r"for its next writer$", last), processes.log(node)
    assert len(article_hits(album.server)) - before == 2, processes.every_log()
    processes.node("n3")
    processes.writer("again", archive, album)
    processes.succeed("again", "n3")
    assert contents(archive) == album.expected
    assert asked_again(album, before) == [], processes.every_log()
    assert_clean(processes)


@pytest.mark.parametrize(("stop", "album"), [("SIGINT", 1), ("SIGTERM", 2)], indirect=["album"],
                         ids=["SIGINT, the 404 first", "SIGTERM, the 404 held"])
def test_a_writer_stopped_by_a_signal_while_redis_is_away_ends_at_once_and_loses_nothing(
        album: Album, archive: Path, processes: Processes, gate: Callable[[int], Gate], stop: str) -> None:
    """Ctrl-C, or cron's timeout (SIGTERM), while Redis was away: the writer waited the rest
    of REDIS_GRACE (60 s) before it ended, said "Redis answers again" (a step that asked
    Redis nothing), then "Stopping" at ERROR. A stop asked for is not kept waiting for Redis
    now: one line says the job stays in Redis and what the next run does, the run ends by
    the signal, and the next run archives the rest without asking WeChat for a page again.
    (Failed at 29ddf42 with the album's 404 the first page fetched: the run said it FAILED.)"""
    before = len(article_hits(album.server))
    second = gate(2)
    with persistent_redis(processes) as server:
        processes.writer("writer", archive, album, REDIS_GRACE="60")
        with closing(redis.Redis.from_url(server.url)) as job:
            processes.wait_for(lambda: job.zcard(f"{JOB}:requests") == ARTICLES, "the album on the frontier")
        processes.node("n1")
        second.wait()
        processes.wait_for(lambda: list((archive / "_posts").glob("*.md"))
                           or "WARNING: Not archived" in processes.log("writer"), "the first page dealt with")
        server.stop(keep=True)
        processes.wait_for(lambda: "INFO: Redis is not answering" in processes.log("writer"),
                           "the writer to find Redis gone")
        asked = time.monotonic()
        processes.running["writer"].send_signal(signal.Signals[stop])
        status = processes.wait("writer")
        took = time.monotonic() - asked
        log = processes.log("writer")
        assert status == -signal.Signals[stop], log
        assert took < 20, log
        assert "] ERROR: " not in log and "Redis answers again" not in log, log
        [line] = re.findall(r"\] WARNING: Redis .*", log)
        assert re.fullmatch(
            rf"\] WARNING: Redis is unreachable \(.+\), not waited for as the run stops by {stop}: job {JOB} "
            r"stays in Redis as it was then, its frontier and the pages fetched and taken for this writer; the next "
            r"run of this command resumes it once Redis answers, and archives what this run left without asking "
            r"WeChat again", line), line
        server.start()
        second.open()
        with closing(redis.Redis.from_url(server.url)) as job:
            processes.wait_for(lambda: not job.exists(f"{JOB}:writer"), "the stopped writer's lease to run out")
        processes.writer("again", archive, album)
        processes.succeed("again", "n1")
    assert_404_at_its_place(album, before)
    assert contents(archive) == album.expected
    assert asked_again(album, before) == [], processes.log("again")
    assert_clean(processes)


def looking_for_a_page(command: list[bytes], reply: Any) -> bool:
    """The writer's step that looks for a page it asked (taking it if a node handed it back
    already) and finds none there."""
    return bool(command[:1] and command[0].upper() in (b"EVAL", b"EVALSHA")) and reply is None \
        and command[1] in (TAKE_PAGE.encode(), hashlib.sha1(TAKE_PAGE.encode()).hexdigest().encode())


def test_a_writer_stopped_while_it_looks_for_a_page_counts_that_page_left(
        album: Album, archive: Path, processes: Processes, job: redis.Redis, redis_server: RedisServer) -> None:
    """A writer looks for each page it asks right after asking (a node of an earlier writer
    may have fetched it). Stopped while Redis had not yet answered such a look, its stop line
    counted one page fewer than it left, as if the page looked for were being archived:
    "11 queued pages left" for 12 (seen under load, Redis slow to answer)."""
    proxy = RedisProxy(redis_server.port, hold=looking_for_a_page).start()
    try:
        processes.writer("writer", archive, album, REDIS_URL=proxy.url)
        processes.wait_for(lambda: proxy.held.is_set() and job.zcard(f"{JOB}:requests") == ARTICLES,
                           "the writer looking for a page, every page asked")
        processes.running["writer"].send_signal(signal.SIGTERM)
        processes.wait_for(lambda: "Stopping (SIGTERM)" in processes.log("writer"), "the stop line")
        proxy.release()
        assert processes.wait("writer") == -signal.SIGTERM, processes.log("writer")
    finally:
        proxy.stop()
    log = processes.log("writer")
    assert f"INFO: Stopping (SIGTERM): no page more is asked of WeChat, {ARTICLES} queued pages left " \
           "for the next run" in log, log
    assert job.zcard(f"{JOB}:requests") == ARTICLES
    processes.node("n1")
    processes.writer("again", archive, album)
    processes.succeed("again", "n1")
    assert contents(archive) == album.expected
    assert_clean(processes)


def test_a_writer_sees_its_lease_taken_while_a_page_is_being_taken(
        album: Album, archive: Path, processes: Processes, job: redis.Redis, redis_server: RedisServer) -> None:
    """The writer's look at its lease waited behind a take whose answer was slow in coming
    (its look for lost pages waited for the take's lock, the lease look after it): another
    writer had the job, and this one went on taking its pages until the answer came or
    REDIS_TIMEOUT ran out. Its lease has a task of its own now."""
    proxy = RedisProxy(redis_server.port, hold=taking_an_article).start()
    try:
        processes.node("n1")
        processes.writer("writer", archive, album, REDIS_URL=proxy.url, REDIS_TIMEOUT="120")
        processes.wait_for(proxy.held.is_set, "a page taken from Redis")
        # the lease renewed while the take waits for its answer, every third of a second
        renewals, left, deadline = 0, job.pttl(f"{JOB}:writer"), time.monotonic() + 10
        while renewals < 3 and time.monotonic() < deadline:
            renewed = job.pttl(f"{JOB}:writer")
            renewals, left = renewals + (renewed > left), renewed
            time.sleep(0.02)
        assert renewals == 3, f"the lease not renewed while a page was taken:\n{processes.log('writer')}"
        job.set(f"{JOB}:writer", "elsewhere:42", px=60_000)  # another writer takes the job
        deadline = time.monotonic() + 30  # looks every third of a second: 100 of them
        while "has taken job" not in processes.log("writer") and time.monotonic() < deadline:
            time.sleep(0.05)
        seen = "ERROR: Another writer, elsewhere:42, has taken job" in processes.log("writer")
        proxy.release()
        assert seen, processes.log("writer")
        assert processes.wait("writer") == 1, processes.log("writer")
    finally:
        proxy.stop()
    assert_clean(processes)


def test_a_blocked_node_behind_a_proxy_gives_back_its_requests_as_taken(
        album: Album, archive: Path, processes: Processes, job: redis.Redis) -> None:
    """Nodes behind authenticating proxies (the local WeChat serves as one): what a blocked
    node gives back carries nothing of its own, and no capture names a proxy's credentials."""
    pages = dict(album.site.pages)
    unserved = album.unserved.path  # a 404 once WeChat lets an IP through
    proxy = album.server.base.removeprefix("http://")
    before = len(album.server.hits(f"http://{proxy}/s?"))
    try:
        album.site.pages.update(dict.fromkeys([*pages, unserved], VERIFICATION))
        processes.writer("writer", archive, album)
        processes.wait_for(lambda: job.zcard(f"{JOB}:requests") == ARTICLES, "the writer's requests")
        submitted = set(job.zrange(f"{JOB}:requests", 0, -1))
        processes.node("n1", env={"http_proxy": f"http://n1:first-secret@{proxy}"})
        assert processes.wait("n1") == 1
        assert processes.wait("writer") == 1
    finally:
        album.site.pages.update(pages)  # WeChat lets another IP through
        del album.site.pages[unserved]
    node_log, writer_log = processes.log("n1"), processes.log("writer")
    # n1 alone: no other node took its requests, which both lines said
    assert f"ERROR: Fetch node n1 stopped (blocked): 0 pages handed back to job {JOB}; WeChat is blocking this " \
           "IP: what it held is back on the job's frontier\n" in node_log, node_log
    assert "left for the next run" not in node_log, node_log  # a node's pages go to the frontier, now
    assert "WARNING: Fetch node n1 is blocked by WeChat; no other node is fetching\n" in writer_log, writer_log
    assert "ERROR: Every fetch node is blocked: stopping" in writer_log
    assert node_report(writer_log) == {"n1": "0 fetched, blocked"}
    assert "ERROR: Exit status 1: the run was cut short: WeChat is blocking" in writer_log
    assert len(submitted) == job.zcard(f"{JOB}:requests") == ARTICLES  # all given back…
    assert set(job.zrange(f"{JOB}:requests", 0, -1)) == submitted  # …as they were taken

    processes.writer("again", archive, album)
    # Its look at the nodes finds none fetching and n1 blocked, but in the run before: it
    # waits for a node instead of stopping.
    processes.wait_for(lambda: "wait for a fetch node and none is running" in processes.log("again"),
                       "the writer's look at the nodes")
    assert processes.running["again"].poll() is None, processes.log("again")
    processes.node("n2", env={"http_proxy": f"http://n2:second-secret@{proxy}"})
    assert processes.wait("again") == 0, processes.log("again")
    assert processes.wait("n2") == 0
    assert contents(archive) == album.expected
    proxied = album.server.hits(f"http://{proxy}/s?")[before:]
    assert proxied and all("Proxy-Authorization" in headers for _, headers in proxied)  # a real proxy
    captures = b"".join(gzip.decompress(path.read_bytes())
                        for path in (archive / ".state" / "warc").iterdir())
    assert b"secret" not in captures and b"proxy-authorization" not in captures.lower()
    assert_clean(processes)


def test_a_writer_no_node_fetches_for_stops_after_its_wait_and_the_job_resumes(
        album: Album, archive: Path, processes: Processes, job: redis.Redis) -> None:
    """From a timer, a writer whose nodes are all down would wait for ever, and the timer
    would never start the next run: after ``REDIS_NODE_WAIT`` it stops, exit status 1."""
    processes.writer("writer", archive, album, REDIS_NODE_WAIT="2", REDIS_NODE_GRACE="1")
    assert processes.wait("writer") == 1, processes.log("writer")
    log = processes.log("writer")
    assert re.search(r"WARNING: \d+ article pages wait for a fetch node and none is running: start ", log), log
    assert re.search(r"ERROR: No fetch node has fetched for 2 s while \d+ article pages wait: "
                     r"stopping\. The job stays in Redis", log), log
    assert "ERROR: Exit status 1: the run was cut short: no fetch node is running" in log
    # one line a cause: the pages it left are counted, each at INFO
    assert "WARNING: Not archived" not in log and f": {ARTICLES} not fetched;" in log, log
    assert job.zcard(f"{JOB}:requests") == ARTICLES  # all still on the frontier

    processes.node("n1")
    # started first: on a loaded machine the node's start could outlast the writer's wait
    processes.wait_for(lambda: "joined job" in processes.log("n1"), "n1 joining")
    processes.writer("again", archive, album, REDIS_NODE_WAIT="2")
    assert processes.wait("again") == 0, processes.log("again")
    assert processes.wait("n1") == 0
    assert contents(archive) == album.expected
    assert_clean(processes)


def test_from_cron_a_node_that_comes_within_the_grace_is_no_warning(
        album: Album, archive: Path, processes: Processes) -> None:
    """A writer started while its nodes sit out their rest between jobs (RestartSec): it
    mailed "… wait for a fetch node and none is running" at its first look at the nodes,
    though one came moments later and the run went well. Now it says so at INFO, and
    at WARNING only once none has come for ``REDIS_NODE_GRACE`` (the test above)."""
    processes.writer("writer", archive, album)
    processes.wait_for(lambda: "wait for a fetch node and none is running" in processes.log("writer"),
                       "the writer's look at the nodes")
    processes.node("n1")
    assert processes.wait("writer") == 0, processes.log("writer")
    assert processes.wait("n1") == 0, processes.log("n1")
    log = processes.log("writer")
    assert re.search(r"INFO: \d+ article pages wait for a fetch node and none is running", log), log
    assert not re.search(r"WARNING: .*wait for a fetch node", log), log
    assert contents(archive) == album.expected
    assert_clean(processes)


def test_a_writer_that_stopped_lets_its_lease_go(album: Album, archive: Path, processes: Processes,
                                               job: redis.Redis) -> None:
    """'Run the same command again to resume it': the writer run again at once is not refused
    as a second writer for what is left of the first one's lease (REDIS_HEARTBEAT, 30 s)."""
    processes.writer("writer", archive, album, REDIS_HEARTBEAT="6", REDIS_NODE_WAIT="1")
    assert processes.wait("writer") == 1, processes.log("writer")
    assert "run the same command again to resume it" in processes.log("writer")
    assert not job.exists(f"{JOB}:writer")


def test_from_cron_pages_a_node_could_not_fetch_for_one_cause_are_one_warning(
        album: Album, archive: Path, processes: Processes) -> None:
    """A node that cannot reach WeChat (its proxy down) hands back a failure for every page:
    the writer wrote a WARNING line for each, where one process says it once."""
    processes.node("n1", env={"http_proxy": f"http://127.0.0.1:{free_port()}"}, RETRY_TIMES="0")
    processes.writer("writer", archive, album, LOG_LEVEL="WARNING")
    assert processes.wait("writer") == 1, processes.log("writer")
    log = processes.log("writer")
    assert len(re.findall(r"WARNING: Not archived: could not fetch ", log)) == 1, log
    assert f"Run summary (finished): {ARTICLES} not fetched" in log, log


def test_a_node_that_fetched_nothing_is_not_reported_as_fetching(
        album: Album, archive: Path, processes: Processes) -> None:
    """The writer's line on its nodes is where a broken node (its proxy down) shows: each
    failure it handed back was counted as a page fetched."""
    processes.node("n1", env={"http_proxy": f"http://127.0.0.1:{free_port()}"}, RETRY_TIMES="0")
    processes.writer("writer", archive, album)
    assert processes.wait("writer") == 1, processes.log("writer")
    assert node_report(processes.log("writer")) == {"n1": "0 fetched"}


def test_redis_stopped_mid_job_is_one_clear_error_after_the_grace(
        album: Album, archive: Path, processes: Processes, redis_server: RedisServer,
        gate: Callable[[int], Gate]) -> None:
    grace = {"REDIS_GRACE": "1"}
    second = gate(2)
    processes.node("n1", **grace)
    processes.writer("writer", archive, album, **grace)
    second.wait()
    redis_server.stop()
    stopped = time.monotonic()
    second.open()
    assert processes.wait("writer") == 1
    assert processes.wait("n1") == 1
    assert time.monotonic() - stopped > 1
    for name in ("writer", "n1"):
        log = processes.log(name)
        assert len(re.findall(r"ERROR: Redis is unreachable: .*[^.], for more than REDIS_GRACE \(1 s\)", log)) == 1, log
        assert len(re.findall(r"INFO: Redis is not answering \(.*\); waiting up to 1 s for it", log)) == 1
        assert len(re.findall(r"\] ERROR: ", log)) == (2 if name == "writer" else 1), log  # + the exit status
        assert "Traceback" not in log
    assert "ERROR: Exit status 1: the run was cut short: Redis is unreachable" in processes.log("writer")


def ending_the_job(command: list[bytes], reply: Any) -> bool:
    """The writer's first step of ending its job, once every page is archived."""
    return command == [b"HKEYS", f"{JOB}:nodes".encode()]


@pytest.mark.parametrize("outage", ["for good", "restarted"])
def test_a_writer_that_loses_redis_as_it_ends_the_job_says_what_is_left_and_fails(
        album: Album, archive: Path, processes: Processes, outage: str) -> None:
    """Redis gone between the writer's last page and the end of its job: the writer said so
    at ERROR and exited 0, its job left in Redis and its nodes waiting, and a Redis back
    within REDIS_GRACE (a restart) was not waited for. It now waits for Redis as it does
    during the run; past the grace, one ERROR line says what is left and what the next run
    does, and the run exits 1. The next run ends the job, asking WeChat for nothing again."""
    server = RedisServer(persistent=True).start()
    processes.redis_url = server.url
    before = len(article_hits(album.server))
    proxy = RedisProxy(server.port, hold=ending_the_job).start()
    try:
        processes.node("n1")
        # the held answer waited for past REDIS_TIMEOUT (a loaded machine takes seconds to stop
        # Redis) is a call timed out, tried again and answered before Redis stops
        processes.writer("writer", archive, album, REDIS_URL=proxy.url, REDIS_GRACE="3", REDIS_TIMEOUT="120")
        processes.wait_for(proxy.held.is_set, "the writer ending its job")
        if outage == "for good":
            proxy.stop()
        else:
            server.stop(keep=True)
            proxy.release()
            processes.wait_for(lambda: "INFO: Redis is not answering" in processes.log("writer"),
                               "the writer to find Redis gone")
            server.start()
        status = processes.wait("writer")
        with closing(redis.Redis.from_url(server.url)) as job:
            log = processes.log("writer")
            assert "Run summary (finished): 11 new, 1 not fetched" in log, log
            if outage == "restarted":
                assert status == 0, log
                assert "] ERROR: " not in log, log
                assert "INFO: Redis answers again, after " in log, log
                assert job.exists(f"{JOB}:done") and not job.exists(f"{JOB}:opened")
                processes.succeed("n1")
            else:
                assert status == 1, log
                [line] = re.findall(r"\] ERROR: .*", log)
                assert re.fullmatch(
                    rf"\] ERROR: Redis is unreachable: .*, for more than REDIS_GRACE \(3 s\)\. Job {JOB} is not "
                    r"ended: what this run fetched is archived, but the job stays in Redis, its fetch nodes "
                    r"waiting for its next writer; the next run of this command ends it\. Exit status 1", line), line
                assert not job.exists(f"{JOB}:done") and job.exists(f"{JOB}:opened")
                assert processes.running["n1"].poll() is None  # waiting
                processes.wait_for(lambda: not job.exists(f"{JOB}:writer"), "the writer's lease to run out")
                processes.writer("again", archive, album)
                processes.succeed("n1")
                # its one page asked of WeChat is the 404's: it fails as a single process's would
                processes.wait("again")
                assert "Run summary (finished): 11 already archived, 1 not fetched" in processes.log("again")
                assert "Redis" not in processes.log("again").split("Run summary")[1]
                assert job.exists(f"{JOB}:done") and not job.exists(f"{JOB}:opened")
    finally:
        proxy.stop()
        server.stop()
    assert contents(archive) == album.expected
    assert asked_again(album, before) == []
    assert_clean(processes)


def test_a_redis_full_as_the_writer_ends_its_job_lets_it_end(
        album: Album, archive: Path, processes: Processes, job: redis.Redis, redis_server: RedisServer) -> None:
    """Redis full (``maxmemory`` under ``noeviction``) as the writer ends its job: the step
    that ends it, which only frees memory, wrote its mark first and was refused for it: the
    job stayed in Redis, its nodes waiting, and the run failed. It removes the keys first now."""
    proxy = RedisProxy(redis_server.port, hold=ending_the_job).start()
    try:
        processes.node("n1", REDIS_HEARTBEAT="30")  # a beat while Redis is full would be refused
        processes.writer("writer", archive, album, REDIS_URL=proxy.url, REDIS_TIMEOUT="120")
        processes.wait_for(proxy.held.is_set, "the writer ending its job")
        job.config_set("maxmemory-policy", "noeviction")
        job.config_set("maxmemory", 1)
        proxy.release()
        assert processes.wait("writer") == 0, processes.log("writer")
        processes.succeed("n1")
    finally:
        proxy.stop()
        job.config_set("maxmemory", 0)
    assert "] ERROR: " not in processes.log("writer"), processes.log("writer")
    assert job.keys(f"{JOB}:*") == [f"{JOB}:done".encode()]
    assert contents(archive) == album.expected
    assert_clean(processes)


def test_a_silent_redis_fails_calls_instead_of_blocking_them(
        album: Album, archive: Path, processes: Processes, redis_server: RedisServer,
        gate: Callable[[int], Gate]) -> None:
    """Redis stopped (SIGSTOP: connections stay open, nothing answers), as behind a silent
    network cut: calls time out, and writer and node stop after the grace instead of
    waiting forever."""
    grace = {"REDIS_GRACE": "1", "REDIS_TIMEOUT": "2"}
    second = gate(2)
    processes.node("n1", **grace)
    processes.writer("writer", archive, album, **grace)
    second.wait()
    assert redis_server.process is not None
    redis_server.process.send_signal(signal.SIGSTOP)
    second.open()
    try:
        assert processes.wait("writer") == 1
        assert processes.wait("n1") == 1
    finally:
        redis_server.process.send_signal(signal.SIGCONT)
    for name in ("writer", "n1"):
        log = processes.log(name)
        assert len(re.findall(r"ERROR: Redis is unreachable: Timeout .*, for more than REDIS_GRACE", log)) == 1, log
        assert "Traceback" not in log


def test_a_redis_out_of_memory_stops_writer_and_node_in_one_line_each(
        album: Album, archive: Path, processes: Processes, job: redis.Redis, gate: Callable[[int], Gate]) -> None:
    """The README's ``maxmemory`` with ``noeviction``, sized too small: Redis refuses writes
    (but for a script that has written already). The node went on without a heartbeat, not
    a line said, and never stopped; the writer said Redis was unreachable."""
    second = gate(2)
    processes.node("n1")
    processes.writer("writer", archive, album)
    second.wait()
    job.config_set("maxmemory-policy", "noeviction")
    job.config_set("maxmemory", 1)
    # Renewing its lease is refused: the writer stops before it could finish the job.
    processes.wait_for(lambda: "ERROR: Redis refused" in processes.log("writer"), "the writer refused")
    second.open()
    assert processes.wait("writer") == 1
    assert processes.wait("n1", timeout=60) == 1
    for name in ("writer", "n1"):
        log = processes.log(name)
        assert "Traceback" not in log, log
        [line] = re.findall(r"\] ERROR: Redis .*", log)
        assert line.startswith(f"] ERROR: Redis refused a step of job {JOB}: command not allowed when "
                               "used memory > 'maxmemory'"), log
    # Redis answered: the run's last line does not say it is unreachable
    log = processes.log("writer")
    assert "Run summary (redis_refused)" in log, log
    assert "ERROR: Exit status 1: the run was cut short: Redis refused a step of the job\n" in log, log
    # its last word on the archive, for the job's next writer to say (Redis could not hear it)
    writer = f"{socket.gethostname()}:{processes.running['writer'].pid}"
    [(who, why)] = lastword.read(archive / ".state", JOB).items()
    assert who == writer and why.startswith("Redis refused it a step of the job (command not allowed when used "
                                            "memory > 'maxmemory'"), why


@pytest.mark.parametrize("spider, args", [
    ("album", ["-a", f"url=http://127.0.0.1:9/mp/appmsgalbum?__biz={BIZ}&action=getalbum&album_id=1"]),
    ("fetch", []),
])
def test_a_redis_full_at_the_start_is_one_clear_line(tmp_path: Path, redis_server: RedisServer, job: redis.Redis,
                                                      spider: str, args: list[str]) -> None:
    """Redis answers but refuses every write (``maxmemory`` reached under ``noeviction``): the
    writer's taking of the job's lease ended the command in a traceback."""
    job.config_set("maxmemory-policy", "noeviction")
    job.config_set("maxmemory", 1)
    result = crawl(spider, tmp_path / "archive", *args, settings={"REDIS_URL": redis_server.url})
    assert result.returncode == 1, result.stderr
    said = [line for line in result.stderr.splitlines()
            if "command not allowed when used memory > 'maxmemory'" in line]
    assert len(said) == 1, result.stderr
    assert {"album": f"scrapy crawl album: Redis at {redis_server.url} could not give job {JOB} its writer lease: ",
            "fetch": f"ERROR: Redis refused a step of job {JOB}: "}[spider] in said[0], said
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("spider, args", [
    ("album", ["-a", f"url=http://127.0.0.1:9/mp/appmsgalbum?__biz={BIZ}&action=getalbum&album_id=1"]),
    ("fetch", []),
])
@pytest.mark.parametrize("policy", ["allkeys-lru", "volatile-ttl"])
def test_a_redis_that_evicts_keys_when_full_is_refused_at_the_start_naming_the_setting(
        tmp_path: Path, redis_server: RedisServer, job: redis.Redis, spider: str, args: list[str],
        policy: str) -> None:
    """A Redis at its ``maxmemory`` that evicts keys drops the job's requests, pages, leases
    and heartbeats without a word: writer and nodes started and ran on it, the writer asking
    again for what vanished (and nodes fetching it again) until it gave each page up."""
    job.config_set("maxmemory", 100 << 20)
    job.config_set("maxmemory-policy", policy)
    result = subprocess.run(crawl_command(spider, tmp_path / "archive", *args,
                                          settings={"REDIS_URL": redis_server.url}),
                            cwd=PROJECT, env=crawl_env(), capture_output=True, text=True, timeout=60)
    assert result.returncode == 1, result.stderr
    line = refusal(result, f"crawl {spider}")
    assert line == f"scrapy crawl {spider}: Redis at {redis_server.url} evicts keys when full (maxmemory-policy " \
        f"{policy}, maxmemory 104857600): the job's requests and pages would be lost; set maxmemory-policy " \
        "noeviction", line
    assert not job.keys(f"{JOB}:*")  # nothing started


def test_a_redis_full_as_the_writer_asks_for_pages_is_one_line_not_one_a_page(
        album: Album, archive: Path, processes: Processes, job: redis.Redis) -> None:
    """Redis full (``maxmemory`` under ``noeviction``) by the time the writer has read its
    listing: each article request it could not put on the frontier failed at once, a
    WARNING a page naming Redis's refusal, before the writer's own ERROR line."""
    listed, go_on = threading.Event(), threading.Event()

    def hold_the_listing(path: str) -> None:
        if path.startswith("/mp/appmsgalbum"):
            listed.set()
            go_on.wait(PATIENCE)

    album.server.before_answer = hold_the_listing
    try:
        processes.writer("writer", archive, album)
        processes.wait_for(listed.is_set, "the writer asking for its listing")
        job.config_set("maxmemory-policy", "noeviction")
        job.config_set("maxmemory", 1)
        go_on.set()
        assert processes.wait("writer") == 1, processes.log("writer")
    finally:
        album.server.before_answer = lambda path: None
        go_on.set()
    log = processes.log("writer")
    assert len(re.findall(r"\] (?:WARNING|ERROR): .*maxmemory", log)) == 1, log
    assert re.search(rf"\] ERROR: Redis refused a step of job {JOB}: command not allowed when used memory", log), log
    assert "WARNING: Not archived" not in log, log
    assert_clean(processes)


def test_a_request_a_node_took_without_knowing_goes_back(album: Album, archive: Path, processes: Processes,
                                                        job: redis.Redis, gate: Callable[[int], Gate]) -> None:
    """A take whose answer was lost (the connection broke after Redis ran it) leaves a
    request in the node's in-flight hash that the node does not hold: it gives it back."""
    second = gate(2)
    processes.node("n1")
    processes.writer("writer", archive, album)
    second.wait()
    [(entry, score)] = job.zpopmax(f"{JOB}:requests")  # the last, which n1 would take last
    job.hset(f"{JOB}:inflight:n1", entry, score)
    second.open()
    assert processes.wait("writer") == 0, processes.log("writer")
    assert processes.wait("n1") == 0
    assert contents(archive) == album.expected
    assert_clean(processes)


def test_a_redis_restarted_within_the_grace_and_the_job_completes(
        album: Album, archive: Path, processes: Processes, redis_server: RedisServer,
        gate: Callable[[int], Gate]) -> None:
    second = gate(2)
    processes.node("n1")
    processes.writer("writer", archive, album)
    second.wait()
    redis_server.stop()
    processes.wait_for(lambda: all("Redis is not answering" in processes.log(name) for name in ("writer", "n1")),
                       "writer and node to find Redis gone")
    redis_server.start()  # empty: no persistence
    second.open()
    assert processes.wait("writer") == 0, processes.log("writer")
    assert processes.wait("n1") == 0, processes.log("n1")
    assert contents(archive) == album.expected
    for name in ("writer", "n1"):
        log = processes.log(name)
        assert "INFO: Redis is not answering (" in log and "INFO: Redis answers again, after " in log, log
        assert "WARNING: Redis is not answering" not in log, log  # it cost nothing: no mail
        assert "] ERROR: " not in log, log
    # every request the restart lost is asked again, which costs nothing: no mail (it was
    # a WARNING each)
    assert "INFO: Redis lost the request" in processes.log("writer")
    assert "WARNING: Redis lost the request" not in processes.log("writer")
    assert list((archive / ".state").glob("redis-*")) == []  # the outage's last word forgotten with it
    assert_clean(processes)


def test_a_redis_restarted_with_another_password_stops_writer_and_node_in_one_clear_line_each(
        album: Album, archive: Path, processes: Processes, gate: Callable[[int], Gate]) -> None:
    """Redis restarted mid-job with another ``requirepass`` (the old password refused from
    then on): writer and node took it for Redis away, waited REDIS_GRACE for a password that
    does not come back, then said "Redis is unreachable". Each now says at once, in one
    ERROR line, that Redis refuses the password the URL gives, exit status 1; the job stays
    in Redis, and the next run, given the new password, archives the rest without asking
    WeChat for a page again."""
    before = len(article_hits(album.server))
    server = RedisServer(password=SECRET, persistent=True).start()
    processes.redis_url = server.url
    second = gate(2)
    try:
        processes.node("n1")
        processes.writer("writer", archive, album, REDIS_GRACE="60")
        second.wait()
        server.stop(keep=True)
        server.password = "an0ther"
        server.start()
        second.open()
        started = time.monotonic()
        for name in ("writer", "n1"):
            assert processes.wait(name) == 1, processes.log(name)
        assert time.monotonic() - started < 40, processes.every_log()
        for name in ("writer", "n1"):
            log = processes.log(name)
            [line] = [line for line in re.findall(r"\] ERROR: .*", log) if "Exit status" not in line]
            assert "] ERROR: Redis refuses the user and password the URL gives: invalid username-password pair or " \
                   "user is disabled, where it let this process in at its start (its password or users changed). " \
                   "Stopping; " in line, log
            assert SECRET not in log and "an0ther" not in log, log
        # what the node could not hand back was refused it, not left unanswered
        [stopped] = re.findall(r"Fetch node n1 stopped .*", processes.log("n1"))
        assert "fetched and not handed back (Redis refused this node): asked again by the writer" in stopped, stopped
        processes.redis_url = server.url
        with closing(redis.Redis.from_url(server.url)) as job:
            processes.wait_for(lambda: not job.exists(f"{JOB}:writer"), "the stopped writer's lease to run out")
        processes.node("n2")
        processes.writer("again", archive, album)
        processes.succeed("again", "n2")
    finally:
        server.stop()
    assert contents(archive) == album.expected
    # but the page n1 fetched as Redis refused it, which it could not hand back
    assert len(asked_again(album, before)) <= 1, processes.every_log()
    assert_clean(processes)


def test_a_page_a_node_fetched_across_a_redis_restart_without_persistence_is_not_asked_again(
        album: Album, archive: Path, processes: Processes, redis_server: RedisServer,
        gate: Callable[[int], Gate]) -> None:
    """Redis restarted empty while a node's page was on its way: the node handed the page
    back before the writer's next look had asked again for what Redis lost, found the job
    wanting nothing, dropped the page ("another node handed it back first") and fetched it
    again once asked: WeChat asked twice for it."""
    before = len(article_hits(album.server))
    second = gate(2)
    processes.node("n1")
    # the writer looks for lost pages every 2 s: the node hands its page back first
    processes.writer("writer", archive, album, REDIS_HEARTBEAT="6")
    second.wait()
    redis_server.stop()
    processes.wait_for(lambda: all("Redis is not answering" in processes.log(name) for name in ("writer", "n1")),
                       "writer and node to find Redis gone")
    redis_server.start()
    second.open()
    processes.succeed("writer", "n1")
    assert contents(archive) == album.expected
    hits = article_hits(album.server)[before:]
    assert [path for path, count in Counter(hits).items() if count > 1] == [], processes.log("n1")
    assert "another node" not in processes.log("n1")
    said = re.findall(rf"\] (\w+): Redis had lost job {JOB} \(restarted without persistence, or flushed\): "
                      r"\d+ article pages? asked again", processes.log("writer"))
    assert said == ["INFO"], processes.log("writer")
    assert_clean(processes)


def test_a_persistent_redis_away_longer_than_a_heartbeat_finds_no_node_silent(
        album: Album, archive: Path, processes: Processes, gate: Callable[[int], Gate]) -> None:
    """A Redis with an append-only file, restarted after longer than the nodes' heartbeat:
    it came back with every heartbeat expired, and the writer's first look, if before a
    node's next beat, said the node "stopped answering" (a WARNING, mailed, for a node that
    was fine) and gave its requests to the others. Nodes are judged now only once they have
    had a heartbeat's time to beat again."""
    server = RedisServer(persistent=True).start()
    processes.redis_url = server.url
    before = len(article_hits(album.server))
    heartbeat = {"REDIS_HEARTBEAT": "6"}  # the writer looks every 2 s
    try:
        second = gate(2)
        processes.node("n1", **heartbeat)
        processes.writer("writer", archive, album, **heartbeat)
        second.wait()
        server.stop(keep=True)
        processes.wait_for(lambda: all("Redis is not answering" in processes.log(name) for name in ("writer", "n1")),
                           "writer and node to find Redis gone")
        # n1 beats again only after the writer's first look since Redis is back
        processes.running["n1"].send_signal(signal.SIGSTOP)
        try:
            time.sleep(6.5)  # n1's heartbeat runs out meanwhile
            server.start()
            processes.wait_for(lambda: "Redis answers again" in processes.log("writer"), "the writer finding Redis")
            time.sleep(2.5)
        finally:
            processes.running["n1"].send_signal(signal.SIGCONT)
        second.open()
        processes.succeed("writer", "n1")
    finally:
        server.stop()
    assert contents(archive) == album.expected
    hits = article_hits(album.server)[before:]
    assert [path for path, count in Counter(hits).items() if count > 1] == []
    log = processes.log("writer")
    assert "stopped answering" not in log, log
    assert [line for line in log.splitlines() if "] WARNING: " in line and "HTTP 404" not in line
            and "Run summary" not in line] == [], log
    assert_clean(processes)


def listing_the_frontier(command: list[bytes], reply: Any) -> bool:
    """The writer's read of the requests a Redis gone back in time holds (``rewind.Rewind``):
    the only reply to it that lists frontier entries."""
    return isinstance(reply, list) and len(reply) > 1 and all(
        isinstance(part, bytes) and part.startswith(b'{"headers": ') for part in reply)


@pytest.mark.parametrize("album", [1, 5], indirect=True, ids=["the 404 before the snapshot", "the 404 done since"])
def test_a_redis_restored_from_an_older_snapshot_asks_wechat_for_no_page_again(
        album: Album, archive: Path, processes: Processes, redis_server: RedisServer, job: redis.Redis,
        gate: Callable[[int], Gate]) -> None:
    """Redis restarted from a snapshot taken earlier in the run (an RDB file, more pages
    fetched and archived since): its frontier and n1's in-flight hash held again requests
    whose pages were archived meanwhile, and n1 asked WeChat for each of them a second
    time. Now the writer finds them among the pages it archived, drops them before a node
    takes them, and says once, at INFO, that Redis went back in time; the 404's too, a page
    done though not archived. The writer read the frontier, then the nodes' in-flight hashes:
    n1 giving back between the two reads the request the snapshot had it hold (held no more)
    moved it where the writer had looked already, and n1 fetched it again once the clock was
    set forward ("3 requests ... dropped", 1 in 6 runs under load); n1 now gives it back
    while the writer's read waits for its answer, every time."""
    before = len(article_hits(album.server))
    third = gate(3)
    proxy = RedisProxy(redis_server.port, hold=listing_the_frontier).start()
    try:
        processes.writer("writer", archive, album, REDIS_URL=proxy.url)
        # the album's requests all in Redis first: one the snapshot lacks is asked again as lost
        processes.wait_for(lambda: job.zcard(f"{JOB}:requests") == ARTICLES, "the album on the frontier")
        processes.node("n1")
        third.wait()
        # n1 holds its third page alone, the two before handed back, the others on the frontier
        processes.wait_for(lambda: fetched_by(job, "n1")() == 2, "n1 to hand back its first two pages")
        job.save()  # the snapshot
        seventh = gate(4)
        third.open()
        seventh.wait()
        processes.wait_for(lambda: fetched_by(job, "n1")() == 6 and not job.hlen(f"{JOB}:pages")
                           and not job.hlen(f"{JOB}:taken"), "six pages archived")
        processes.wait_for(renewed(job, f"{JOB}:alive:n1"), "n1 to beat since")  # its clock seen
        processes.running["n1"].send_signal(signal.SIGSTOP)  # n1 gives back nothing before the writer reads
        try:
            redis_server.stop(keep=True)
            redis_server.start()  # from the snapshot: n1's in-flight hash holds its third page again
            processes.wait_for(proxy.held.is_set, "the writer reading what Redis went back to")
        finally:
            processes.running["n1"].send_signal(signal.SIGCONT)
        # n1 gives back its third page, and takes back the one it fetches, on the frontier again
        processes.wait_for(lambda: job.hlen(f"{JOB}:inflight:n1") == 1 and "Took back 1 request" in processes.log("n1"),
                           "n1 to give back what it holds no more")
        proxy.release()
        seventh.open()
        processes.succeed("writer", "n1")
    finally:
        proxy.stop()
    assert_404_at_its_place(album, before)
    assert contents(archive) == album.expected
    hits = article_hits(album.server)[before:]
    assert [path for path, count in Counter(hits).items() if count > 1] == [], processes.every_log()
    said = re.findall(rf"\] (\w+): Redis went back in time: it holds an older state of job {JOB} than its "
                      r"writer and nodes saw \(restarted from an older snapshot\): 4 requests of pages done "
                      r"since dropped, not asked of WeChat again", processes.log("writer"))
    assert said == ["INFO"], processes.every_log()
    assert_clean(processes)


def test_a_redis_restored_from_an_older_snapshot_asks_wechat_again_for_no_page_the_writer_is_archiving(
        album: Album, archive: Path, processes: Processes, redis_server: RedisServer, job: redis.Redis) -> None:
    """Redis restored from a snapshot older than a page the writer had taken and was
    archiving (its picture downloading): the writer waited for that page no more and had not
    finished it yet, so it did not drop its request, back on the frontier, and n1 asked
    WeChat for it again ("11 requests ... dropped" of 12). A page the writer holds is done too."""
    before = len(article_hits(album.server))
    slow = album.served[0]
    picture = threading.Event()

    def hold_its_picture(path: str) -> None:
        if path.startswith(f"/mmbiz_png/Img{slow.mid}x"):
            picture.wait(PATIENCE)

    album.server.before_answer = hold_its_picture
    try:
        processes.writer("writer", archive, album)
        processes.wait_for(lambda: job.zcard(f"{JOB}:requests") == ARTICLES, "the album on the frontier")
        job.save()  # the snapshot: every request on the frontier
        processes.node("n1")
        processes.wait_for(lambda: fetched_by(job, "n1")() == ARTICLES and not job.hlen(f"{JOB}:pages")
                           and job.hlen(f"{JOB}:taken") == 1, "every page archived but the one held")
        processes.wait_for(renewed(job, f"{JOB}:alive:n1"), "n1 to beat since")  # its clock seen
        redis_server.stop(keep=True)
        redis_server.start()  # from the snapshot
        processes.wait_for(lambda: "Redis went back in time" in processes.log("writer"), "the writer's look")
        # what it left on the frontier taken and handed back, while the page is still held
        processes.wait_for(lambda: not job.zcard(f"{JOB}:requests") and not job.hlen(f"{JOB}:inflight:n1"),
                           "nothing on the frontier or held by n1")
    finally:
        album.server.before_answer = lambda path: None
        picture.set()
    processes.succeed("writer", "n1")
    assert contents(archive) == album.expected
    hits = article_hits(album.server)[before:]
    assert [path for path, count in Counter(hits).items() if count > 1] == [], processes.every_log()
    assert f"older snapshot): {ARTICLES} requests of pages done since dropped" in processes.log("writer")
    assert_clean(processes)


@pytest.mark.parametrize("album", [ARTICLES], indirect=True, ids=["the 404 last"])
def test_a_redis_restored_from_a_snapshot_older_than_any_move_but_no_finish_asks_wechat_for_no_page_again(
        album: Album, archive: Path, processes: Processes, redis_server: RedisServer, job: redis.Redis,
        gate: Callable[[int], Gate]) -> None:
    """Redis restored from a snapshot taken before n1 took its first page, no page finished
    since: the writer held that page (its picture downloading) and n1 fetched its second.
    The job's clock counted finished pages only: none had finished, so neither n1 nor the
    writer found Redis behind, the first page's request was on the frontier again, and n1
    asked WeChat for it a second time. Every take of a request moves the clock now."""
    before = len(article_hits(album.server))
    first = frontier_order(album.site, album.served)[0]
    picture = threading.Event()

    def hold_its_picture(path: str) -> None:
        if path.startswith(f"/mmbiz_png/Img{first.mid}x"):
            picture.wait(PATIENCE)

    second = gate(2)
    album.server.before_answer = lambda path: (hold_its_picture(path), second.before_answer(path))
    try:
        processes.writer("writer", archive, album)
        processes.wait_for(lambda: job.zcard(f"{JOB}:requests") == ARTICLES, "the album on the frontier")
        job.save()  # the snapshot: every request on the frontier, no page taken
        processes.node("n1")
        second.wait()  # n1 fetches its second page
        processes.wait_for(lambda: job.hlen(f"{JOB}:taken") == 1, "the writer holding the first page")
        assert not list(archive.glob("_posts/*.md"))  # no page finished
        redis_server.stop(keep=True)
        redis_server.start()  # from the snapshot: both pages' requests on the frontier again
        second.open()
        processes.wait_for(lambda: "Redis went back in time" in processes.log("writer")
                           or len(article_hits(album.server)) > before + 2, "the writer's look, or a third page")
    finally:
        picture.set()
    processes.succeed("writer", "n1")
    assert contents(archive) == album.expected
    hits = article_hits(album.server)[before:]
    assert [path for path, count in Counter(hits).items() if count > 1] == [], processes.every_log()
    assert "older snapshot): 1 request of pages done since dropped" in processes.log("writer")


def test_a_redis_restored_from_a_snapshot_older_than_a_page_a_node_fetches_has_no_other_node_fetch_it(
        album: Album, archive: Path, processes: Processes, redis_server: RedisServer, job: redis.Redis,
        gate: Callable[[int], Gate]) -> None:
    """Two nodes, Redis restored from a snapshot taken before n1 took the page it is fetching:
    the page's request was on the frontier again, n1's in-flight hash empty, and the writer,
    which waits for that page, did not drop it; n2 took it as soon as the writer set the clock
    forward (or at once, its clock older than n1's take) and asked WeChat for it a second time.
    A node that had to connect to Redis again (it restarted) now takes nothing for a
    heartbeat, and n1 at its next beat takes back into its in-flight hash what it holds."""
    before = len(article_hits(album.server))
    second = gate(2)
    processes.writer("writer", archive, album)
    processes.wait_for(lambda: job.zcard(f"{JOB}:requests") == ARTICLES, "the album on the frontier")
    job.save()  # the snapshot: every request on the frontier, none taken
    processes.node("n1")
    second.wait()  # n1 fetches its second page, taken after the snapshot
    processes.node("n2")
    processes.wait_for(lambda: fetched_by(job, "n2")() == ARTICLES - 2 and not job.hlen(f"{JOB}:pages")
                       and not job.hlen(f"{JOB}:taken"), "n2 to fetch the rest, archived")
    redis_server.stop(keep=True)
    redis_server.start()  # from the snapshot: n1's page on the frontier again
    processes.wait_for(lambda: "Redis went back in time" in processes.log("writer"), "the writer's look")
    time.sleep(3)  # three heartbeats: n2 would have taken the page meanwhile
    assert job.hlen(f"{JOB}:inflight:n1") == 1 and not job.zcard(f"{JOB}:requests"), processes.every_log()
    second.open()
    processes.succeed("writer", "n1", "n2")
    assert contents(archive) == album.expected
    hits = article_hits(album.server)[before:]
    assert [path for path, count in Counter(hits).items() if count > 1] == [], processes.every_log()
    assert_clean(processes)


class Touch:
    """A pickle that runs ``touch`` when it is read: what anyone with write access to
    Redis could put on the frontier of nodes that read pickles."""

    def __init__(self, path: Path):
        self.path = path

    def __reduce__(self) -> tuple[Any, ...]:
        return subprocess.call, (["touch", str(self.path)],)


def test_a_pickled_frontier_entry_is_refused_and_nothing_run(album: Album, tmp_path: Path, archive: Path,
                                                            processes: Processes, job: redis.Redis,
                                                            gate: Callable[[int], Gate]) -> None:
    touched = tmp_path / "touched"
    crafted = pickle.dumps(Touch(touched))
    first = gate(1)
    processes.node("n1")
    processes.writer("writer", archive, album)
    first.wait()
    job.zadd(f"{JOB}:requests", {crafted: -1000})  # the next n1 takes
    first.open()
    assert processes.wait("writer") == 0, processes.log("writer")
    assert processes.wait("n1") == 0
    assert not touched.exists()
    assert contents(archive) == album.expected
    [refusal_line] = [line for line in processes.log("n1").splitlines() if "Dropped from the frontier" in line]
    assert f"ERROR: Dropped from the frontier of job {JOB}, not run: not a frontier entry (not JSON): " \
        f"{crafted[:20]!r}"[:-1] in refusal_line
    assert_clean(processes)


def test_a_frontier_entry_off_the_article_hosts_is_refused_and_not_fetched(
        album: Album, archive: Path, processes: Processes, job: redis.Redis,
        gate: Callable[[int], Gate]) -> None:
    """Write access to Redis must not make the nodes fetch what their network reaches
    (an internal service, a cloud's metadata) and hand it to whoever reads Redis: a node
    fetches article pages only, as the writer only ever asks for those."""
    internal = album.server.base.replace("127.0.0.1", "localhost") + "/internal/secret"
    first = gate(1)
    processes.node("n1")
    processes.writer("writer", archive, album)
    first.wait()
    job.zadd(f"{JOB}:requests", {frontier.dumps({**GOOD, "url": internal}): -1000})  # the next n1 takes
    first.open()
    assert processes.wait("writer") == 0, processes.log("writer")
    assert processes.wait("n1") == 0
    assert album.server.hits("/internal") == []
    assert contents(archive) == album.expected
    assert f"ERROR: Dropped from the frontier of job {JOB}, not run: its URL {internal!r} is not " \
        "on ARTICLE_HOSTS" in processes.log("n1")
    assert_clean(processes)


@pytest.mark.parametrize("entry", [
    b"", b"[]", b"\x80\x05K\x01.", b'{"v": 2}',
    frontier.dumps(GOOD).replace(b'"v": 1', b'"v": 2'),
    frontier.dumps(GOOD).replace(b'"method": "GET"', b'"method": "POST"'),
    frontier.dumps(GOOD).replace(b'"url": "https', b'"url": "file'),
    frontier.dumps(GOOD).replace(b'"Referer"', b'"Proxy-Authorization"'),
    frontier.dumps(GOOD).replace(b'"page_id": "f00d"', b'"page_id": 1'),
    frontier.dumps(GOOD).replace(b'"weak_link": false', b'"weak_link": false, "callback": "x"'),
])
def test_the_frontier_refuses_what_is_not_an_entry_of_its_format(entry: bytes) -> None:
    assert frontier.loads(frontier.dumps(GOOD))["url"] == GOOD["url"]
    with pytest.raises(frontier.WireError, match=r"^(not a frontier entry|a frontier entry with fields)"):
        frontier.loads(entry)


def test_a_frontier_entry_carries_only_the_allowed_headers() -> None:
    request = Request("https://mp.weixin.qq.com/s/x", headers={
        "Referer": "https://mp.weixin.qq.com/a", "Proxy-Authorization": "Basic c2VjcmV0", "Cookie": "a=1"})
    entry = frontier_entry(request, "f00d")
    assert b"c2VjcmV0" not in entry and b"a=1" not in entry
    assert frontier.loads(entry)["headers"] == {"Referer": "https://mp.weixin.qq.com/a"}


def test_forged_pages_handed_back_are_dropped_and_the_real_articles_archived(
        album: Album, archive: Path, processes: Processes, job: redis.Redis) -> None:
    processes.writer("writer", archive, album)
    processes.wait_for(lambda: job.zcard(f"{JOB}:requests") >= 3, "the writer's first requests")
    asked = [frontier.loads(entry) for entry in job.zrange(f"{JOB}:requests", 0, 2)]
    ids = [request["meta"]["page_id"] for request in asked]
    urls = [request["url"] for request in asked]
    route = next(iter(album.site.pages.values()))
    assert isinstance(route, Route)
    html = route.body
    forged = {
        ids[0]: Page("evil", ids[0], urls[0], "http://evil.invalid/s/forged", 200,
                     {"Content-Type": ["text/html"]}, {}, html),
        ids[1]: Page("evil", ids[2], urls[1], urls[1], 200, {"Content-Type": ["text/html"]}, {}, html),
        ids[2]: Page("evil", ids[2], urls[0], urls[2], 200, {"Content-Type": ["text/html"]}, {}, html),
    }
    for page_id, page in forged.items():
        job.hset(f"{JOB}:pages", page_id, page.to_bytes())
        job.rpush(f"{JOB}:ready", page_id)
    processes.wait_for(lambda: processes.log("writer").count("Dropped the page") == 3, "the forgeries dropped")
    processes.node("n1")
    assert processes.wait("writer") == 0, processes.log("writer")
    assert processes.wait("n1") == 0
    assert contents(archive) == album.expected
    log = processes.log("writer")
    for page_id, url, why in zip(ids, urls, [
            "its URL 'http://evil.invalid/s/forged' is not on ARTICLE_HOSTS",
            f"it says it is page '{ids[2]}'", f"its node was asked for '{urls[0]}'"], strict=True):
        assert f"ERROR: Dropped the page handed back as {JOB}:pages {page_id} for {url}: {why}" in log
    assert not [capture for capture in CaptureStore(archive / ".state" / "warc").captures()
                if "evil" in capture.url]
    assert_clean(processes)


def test_a_flushed_redis_and_an_unreadable_page_leave_the_archive_complete(
        album: Album, archive: Path, processes: Processes, job: redis.Redis, gate: Callable[[int], Gate]) -> None:
    third = gate(3)
    processes.node("n1")
    processes.writer("writer", archive, album)
    third.wait()
    waiting = [frontier.loads(entry) for entry in job.zrange(f"{JOB}:requests", 0, -1)]
    assert waiting
    job.flushdb()  # or a Redis evicting keys
    unreadable = waiting[-1]["meta"]["page_id"]
    job.hset(f"{JOB}:pages", unreadable, b"garbage from another version")
    job.rpush(f"{JOB}:ready", unreadable)
    third.open()
    assert processes.wait("writer") == 0, processes.log("writer")
    assert processes.wait("n1") == 0
    assert contents(archive) == album.expected
    log = processes.log("writer")
    assert f"ERROR: Dropped the page handed back as {JOB}:pages {unreadable} for {waiting[-1]['url']}: " \
        "not a page of format 1: b'garbage from another version'\n" in log
    assert re.search(r"INFO: Redis lost the request for \S+ \(on no frontier, held by no node, not "
                     r"handed back\): asked again, 1 of 3", log)
    assert_clean(processes)


def test_a_foreign_value_among_the_pages_handed_back_does_not_stop_the_writer_taking_them(
        album: Album, archive: Path, processes: Processes, job: redis.Redis, gate: Callable[[int], Gate]) -> None:
    """Something else writing to the job's Redis (another program, a torn write): a page id
    that is not text stopped the task taking pages, and the writer waited for ever."""
    second = gate(2)
    processes.node("n1")
    processes.writer("writer", archive, album)
    second.wait()
    job.rpush(f"{JOB}:ready", b"\xff\xfe not text")
    processes.wait_for(lambda: not job.llen(f"{JOB}:ready"), "the writer taking the foreign value")
    second.open()
    assert processes.wait("writer", timeout=60) == 0, processes.log("writer")
    assert processes.wait("n1") == 0
    assert contents(archive) == album.expected
    assert_clean(processes)


def test_a_page_redis_keeps_losing_is_reported_not_fetched(album: Album, archive: Path, processes: Processes,
                                                          job: redis.Redis) -> None:
    processes.writer("writer", archive, album, REDIS_PAGE_TRIES="1")
    processes.wait_for(queued(job), "the writer's first requests")

    def lose_the_frontier() -> bool:
        job.delete(f"{JOB}:requests")
        return processes.running["writer"].poll() is not None

    processes.wait_for(lose_the_frontier, "the writer giving the pages up")
    log = processes.log("writer")
    assert "Run summary (finished): 12 not fetched" in log, log
    assert processes.wait("writer") == 1  # it archived nothing of what it found
    assert "Exit status 1: no article page could be fetched" in log
    given_up = re.findall(r"(\w+): Not archived: could not fetch \S+: \w+: its page was lost or "
                          r"dropped in Redis 2 times", log)
    assert sorted(given_up) == ["INFO"] * (ARTICLES - 1) + ["WARNING"], log  # one cause, one WARNING
    assert len(re.findall(r"asked again, 1 of 1", log)) == ARTICLES
    assert "WARNING: Redis lost the request for " not in log, log  # the page given up says it
    assert_clean(processes)


@pytest.mark.parametrize("elsewhere", [True, False], ids=["another archive", "cron overlapping"])
def test_a_second_writer_of_a_job_is_refused_naming_the_first(
        album: Album, tmp_path: Path, archive: Path, processes: Processes, job: redis.Redis,
        gate: Callable[[int], Gate], elsewhere: bool) -> None:
    """Another machine's writer is refused the job, exit status 2; the same command started
    again by cron while the first runs is refused the archive first, as a single process's
    is, exit status 1. Each in one line naming the first, writing nothing, asking nothing."""
    before = len(article_hits(album.server))
    first = gate(1)
    processes.node("n1")
    processes.writer("writer", archive, album)
    first.wait()  # the job is under way
    processes.writer("second", tmp_path / "elsewhere" if elsewhere else archive, album)
    pid = processes.running["writer"].pid
    refused = {True: (2, f"scrapy crawl album: job {JOB} has a writer already: {socket.gethostname()}:{pid}, which "
                         "renews its lease (it runs); one writer per job"),
               False: (1, f"scrapy crawl album: another run is writing the archive at {archive}/ (process {pid}); try "
                          "again when it has finished")}[elsewhere]
    assert processes.wait("second") == refused[0], processes.log("second")
    said = [line for line in processes.log("second").splitlines() if line.startswith("scrapy crawl album:")]
    assert said == [refused[1]], processes.log("second")
    assert not (tmp_path / "elsewhere" / "_posts").exists()
    first.open()
    assert processes.wait("writer") == 0, processes.log("writer")
    assert processes.wait("n1") == 0
    assert contents(archive) == album.expected
    assert sorted(Counter(article_hits(album.server)[before:]).values()) == [1] * ARTICLES  # each page once
    assert job.keys(f"{JOB}:*") == [f"{JOB}:done".encode()]  # the lease too is gone
    values = Settings()
    values.setmodule(project_settings)
    values.set("REDIS_URL", processes.redis_url)
    assert writer_refused(Config.from_settings(values)) is None  # the job is free again


def test_a_second_writer_of_the_same_host_and_pid_is_refused(
        album: Album, tmp_path: Path, archive: Path, processes: Processes, job: redis.Redis,
        gate: Callable[[int], Gate]) -> None:
    """Two writers in two containers of one host name, each the container's process 1: the
    second took the lease as its own (its holder's host:pid was its own), and two writers
    ran the job, each taking the other's pages."""
    first = gate(1)
    processes.node("n1")
    processes.writer("writer", archive, album, wrapper=PID_NAMESPACE)
    first.wait()  # the job is under way
    assert job.get(f"{JOB}:writer") == f"{socket.gethostname()}:1".encode()
    processes.writer("second", tmp_path / "elsewhere", album, wrapper=PID_NAMESPACE)
    assert processes.wait("second") == 2, processes.log("second")
    [line] = [line for line in processes.log("second").splitlines() if line.startswith("scrapy crawl album:")]
    assert line.startswith(f"scrapy crawl album: job {JOB} has a writer already: {socket.gethostname()}:1, which "
                           "renews its lease (it runs); ")
    assert line.endswith("one writer per job (that host:pid is this process's too: give containers host names "
                         "of their own)"), line
    first.open()
    processes.succeed("writer", "n1")
    assert contents(archive) == album.expected
    assert_clean(processes)


def test_a_second_node_of_the_same_host_and_pid_is_refused(
        album: Album, archive: Path, processes: Processes, job: redis.Redis) -> None:
    """Two fetch nodes named by their host:pid (no REDIS_NODE), process 1 of two containers
    given one host name: both ran as one node, each putting back on the frontier what the
    other held, which a node then fetched again."""
    name = f"{socket.gethostname()}:1"
    processes.node("a", wrapper=PID_NAMESPACE, REDIS_NODE="")
    processes.wait_for(lambda: job.exists(f"{JOB}:alive:{name}"), "the first node's heartbeat")
    processes.node("b", wrapper=PID_NAMESPACE, REDIS_NODE="")
    assert processes.wait("b") == 2, processes.log("b")
    [line] = [line for line in processes.log("b").splitlines() if line.startswith("scrapy crawl fetch:")]
    assert line == (f"scrapy crawl fetch: fetch node {name} of job {JOB} is running already (its heartbeat is "
                    "renewed): that host:pid is this process's too: give containers host names of their own, "
                    "or each node its own REDIS_NODE"), line
    processes.writer("writer", archive, album)
    processes.succeed("writer", "a")
    assert contents(archive) == album.expected
    assert_clean(processes)


def test_a_writer_whose_lease_another_took_stops(album: Album, tmp_path: Path, archive: Path,
                                                 processes: Processes, job: redis.Redis,
                                                 gate: Callable[[int], Gate]) -> None:
    first = gate(1)
    processes.writer("writer", archive, album)
    processes.wait_for(queued(job), "the writer's first requests")
    processes.running["writer"].send_signal(signal.SIGSTOP)  # silent for longer than its lease
    try:
        processes.wait_for(lambda: not job.exists(f"{JOB}:writer"), "the lease expiring")
        processes.writer("second", tmp_path / "elsewhere", album)
        processes.node("n1")  # the page it fetches first waits until the first writer has stopped
        second = f"{socket.gethostname()}:{processes.running['second'].pid}"
        processes.wait_for(lambda: job.get(f"{JOB}:writer") == second.encode(), "the second writer's lease")
    finally:
        processes.running["writer"].send_signal(signal.SIGCONT)
    assert processes.wait("writer") == 1
    log = processes.log("writer")
    assert f"ERROR: Another writer, {second}, has taken job {JOB}: stopping" in log
    assert "ERROR: Exit status 1: the run was cut short: another writer took the job" in log
    first.open()
    assert processes.wait("second") == 0, processes.log("second")
    assert processes.wait("n1") == 0
    assert contents(tmp_path / "elsewhere") == album.expected


def test_a_writer_whose_lease_lapsed_while_scrapy_started_stops_before_opening_the_job(
        album: Album, tmp_path: Path, archive: Path, processes: Processes, job: redis.Redis) -> None:
    """The lease is taken as the command starts, and was renewed only a third of a heartbeat
    after Scrapy's start: a writer slow to start (here stopped) whose job another writer took
    meanwhile opened the job and said it ran it before it stopped. Now it renews the lease
    first, and stops there."""
    processes.writer("writer", archive, album, REDIS_HEARTBEAT="3")
    processes.wait_for(lambda: job.exists(f"{JOB}:writer"), "the first writer's lease")
    processes.running["writer"].send_signal(signal.SIGSTOP)
    try:
        assert f"Job {JOB}" not in processes.log("writer")  # stopped as Scrapy starts
        processes.wait_for(lambda: not job.exists(f"{JOB}:writer"), "the lease expiring")
        processes.writer("second", tmp_path / "elsewhere", album)
        second = f"{socket.gethostname()}:{processes.running['second'].pid}"
        processes.wait_for(lambda: job.get(f"{JOB}:writer") == second.encode(), "the second writer's lease")
    finally:
        processes.running["writer"].send_signal(signal.SIGCONT)
    assert processes.wait("writer") == 1, processes.log("writer")
    log = processes.log("writer")
    assert f"ERROR: Another writer, {second}, has taken job {JOB}: stopping" in log
    assert "article pages are fetched by its fetch nodes" not in log and "Resuming" not in log, log
    processes.node("n1")
    processes.succeed("second", "n1")
    assert contents(tmp_path / "elsewhere") == album.expected


def test_a_writer_does_not_take_back_a_lease_another_took_that_ran_out(
        album: Album, archive: Path, processes: Processes, job: redis.Redis) -> None:
    """A writer back from a stall found the job's lease run out (its new writer slower to
    renew it than the lease lasts: a loaded machine, Scrapy still starting), took it back,
    and waited for pages the other writer had taken, where it should stop; the other stopped."""
    processes.writer("writer", archive, album, REDIS_NODE_WAIT="3")
    processes.wait_for(queued(job), "the writer's first requests")
    processes.running["writer"].send_signal(signal.SIGSTOP)
    try:
        processes.wait_for(lambda: not job.exists(f"{JOB}:writer"), "the lease expiring")
        values = Settings()
        values.setmodule(project_settings)
        values.setdict({"REDIS_URL": processes.redis_url, "REDIS_HEARTBEAT": "1"})
        assert writer_refused(Config.from_settings(values)) is None  # this process takes the job
        processes.wait_for(lambda: not job.exists(f"{JOB}:writer"), "the new writer's lease running out")
    finally:
        processes.running["writer"].send_signal(signal.SIGCONT)
    assert processes.wait("writer") == 1
    log = processes.log("writer")
    assert f"ERROR: Another writer, {socket.gethostname()}:{os.getpid()}, has taken job {JOB}: stopping" in log, log


def test_a_writer_paused_past_its_lease_as_it_ends_its_job_does_not_end_the_job_another_took(
        album: Album, tmp_path: Path, archive: Path, processes: Processes, job: redis.Redis,
        redis_server: RedisServer, gate: Callable[[int], Gate]) -> None:
    """A writer paused (SIGSTOP, a stalled machine) for longer than its lease as it ended its
    job, the job taken meanwhile by the next writer: let go on (SIGCONT), it ended the other's
    job, its keys removed and its nodes stopped, the other left waiting for a page no node
    would fetch. It now leaves the job to the other, says so in one ERROR line, exit status 1."""
    other = tmp_path / "other"
    proxy = RedisProxy(redis_server.port, hold=ending_the_job).start()
    try:
        processes.node("n1")
        processes.writer("writer", archive, album, REDIS_URL=proxy.url, REDIS_TIMEOUT="120")
        processes.wait_for(proxy.held.is_set, "the writer ending its job")
        processes.running["writer"].send_signal(signal.SIGSTOP)
        try:
            proxy.release()
            processes.wait_for(lambda: not job.exists(f"{JOB}:writer"), "the paused writer's lease to run out")
            first = gate(1)
            processes.writer("again", other, album)  # another machine's: the paused one holds its archive
            first.wait()
        finally:
            processes.running["writer"].send_signal(signal.SIGCONT)
        assert processes.wait("writer") == 1, processes.log("writer")
        first.open()
        processes.succeed("again", "n1")
    finally:
        proxy.stop()
    log = processes.log("writer")
    [line] = re.findall(r"\] ERROR: .*", log)
    assert line == (f"] ERROR: Another writer, {socket.gethostname()}:{processes.running['again'].pid}, took job "
                    f"{JOB} while this one was silent for longer than its lease: the job is that writer's to "
                    "end. What this run fetched is archived. Exit status 1"), line
    assert job.keys(f"{JOB}:*") == [f"{JOB}:done".encode()]  # ended by the other
    assert contents(archive) == contents(other) == album.expected
    assert_clean(processes)


def test_a_writers_archive_on_a_full_disk_stops_it_and_the_next_run_asks_wechat_only_for_what_failed(
        album: Album, archive: Path, processes: Processes) -> None:
    """The writer's disk full (a tmpfs of the test's own) while its node fetches, a page a
    second: the writer took every page and said each "Not archived", and the next run asked
    WeChat for them all again. Now its first write refused stops it as a signal does
    (``ArchiveStop``): the pages it had asked for and not taken in hand stay on the job's
    frontier, its node asks WeChat for none of them (it went on through the frontier, for a
    writer that took none) and stops saying why, and the next writer asks WeChat only for the
    pages whose writes failed. Lines, no traceback, exit status 1,
    the summary saying the archive cut the run short, no half file; the archive whole the
    next time."""
    archive.mkdir()
    before = len(album.server.hits("/s?"))
    processes.node("n1", DOWNLOAD_DELAY="1", DOWNLOAD_DELAY_JITTER="0")
    processes.writer("writer", archive, album, wrapper=full_disk(archive, room=450_000))
    status = processes.wait("writer")
    back_from_full_disk(archive)
    log = processes.log("writer")
    assert status == 1 and "Traceback" not in log, log
    assert re.search(r"\] ERROR: Stopping: the archive cannot be written \((\[Errno 28\] No space left on device|"
                     r"database or disk is full)\); no page more is asked of WeChat, \d+ queued pages? left "
                     r"for the next run", log), log
    summary = re.search(r"Run summary \(archive_refused\): .*FAILED: the run was cut short: the archive cannot "
                        r"be written", log)
    assert summary, log
    not_written = re.search(r"(\d+) not written", summary.group())
    assert not_written and int(not_written.group(1)) <= 3, log  # the pages in hand as the disk filled
    assert not list(archive.rglob("*.tmp")), log
    # the node asks WeChat for no page more (it went on through the frontier): the one on the wire at most
    stopped = len(album.server.hits("/s?"))
    assert processes.wait("n1", timeout=30) == 0, processes.log("n1")
    *_, last = processes.log("n1").splitlines()
    assert last.endswith("its writer stopped (its archive cannot be written): no page more is asked of WeChat, "
                         "the job's frontier waits for its next writer"), processes.log("n1")
    assert len(album.server.hits("/s?")) - stopped <= 1, processes.log("n1")
    processes.node("n2", DOWNLOAD_DELAY="1", DOWNLOAD_DELAY_JITTER="0")
    processes.writer("again", archive, album)
    processes.succeed("again", "n2")
    asked = len(album.server.hits("/s?")) - before  # each page once, those that failed twice
    assert asked <= ARTICLES + int(not_written.group(1)) + 1, processes.log("again")  # the 404's too
    assert contents(archive) == album.expected
    assert_clean(processes)


SECRET = "n0t-for-logs"


# The README's ACL user: the job's keys, no dangerous command.
ACL = ("resetkeys ~wechat-archive:* resetchannels -@all +@read +@write +@scripting +@keyspace "
       "+@connection -@dangerous +info")


def test_a_job_with_a_password_prints_it_nowhere(album: Album, tmp_path: Path, archive: Path) -> None:
    server = RedisServer(password=f"admin-{SECRET}").start()
    with closing(redis.Redis.from_url(server.url)) as admin:
        admin.execute_command("ACL", "SETUSER", "archive", "on", f">{SECRET}", *ACL.split())
    url = f"redis://archive:{SECRET}@127.0.0.1:{server.port}/0"
    processes = Processes(tmp_path / "logs", url)
    try:
        from_file = {"WECHAT_REDIS_URL": url}  # systemd's EnvironmentFile: not on the command line
        processes.node("n1", env=from_file)
        processes.start("writer", "album", archive, "-a", f"url={album.url}", env=from_file)
        assert processes.wait("writer") == 0, processes.log("writer")
        assert processes.wait("n1") == 0
        # the job ended in one step the ACL allows: MULTI it refuses
        assert "] ERROR: " not in processes.log("writer"), processes.log("writer")
        with closing(redis.Redis.from_url(url)) as client:
            assert client.exists(f"{JOB}:done") and not client.exists(f"{JOB}:opened")
        assert all(SECRET not in " ".join(map(str, process.args)) for process in processes.running.values())
        assert contents(archive) == album.expected
        for name in processes.running:
            assert SECRET not in processes.log(name)
        result = crawl("fetch", tmp_path, settings={"REDIS_URL": url.replace(SECRET, f"wrong-{SECRET}")})
        assert result.returncode == 1
        line = refusal(result, "crawl fetch")
        assert f"Redis at redis://archive:***@127.0.0.1:{server.port}/0 refuses the user and password " in line, line
    finally:
        processes.end()
        server.stop()
    assert SECRET not in result.stderr + result.stdout


def test_a_job_the_redis_user_may_not_touch_is_one_clear_line(tmp_path: Path) -> None:
    """The README's ACL user, and a second archive's job named outside its keys: writer and
    node each refuse in one line at the start, instead of a traceback from Redis."""
    server = RedisServer(password=f"admin-{SECRET}").start()
    try:
        with closing(redis.Redis.from_url(server.url)) as admin:
            admin.execute_command("ACL", "SETUSER", "archive", "on", f">{SECRET}", *ACL.split())
        url = f"redis://archive:{SECRET}@127.0.0.1:{server.port}/0"
        for spider, args in (("fetch", []), ("album", ["-a", f"url=http://127.0.0.1:9/mp/appmsgalbum?"
                                                              f"__biz={BIZ}&action=getalbum&album_id=1"])):
            result = crawl(spider, tmp_path / "archive", *args,
                           settings={"REDIS_URL": url, "REDIS_JOB": "second-archive"})
            assert result.returncode == 1, result.stderr
            line = refusal(result, f"crawl {spider}")
            assert line.startswith(f"scrapy crawl {spider}: Redis at redis://archive:***@127.0.0.1:"
                                   f"{server.port}/0 refuses the keys of job second-archive: "), line
            assert "no permissions" in line
            assert "Traceback" not in result.stderr and SECRET not in result.stderr
    finally:
        server.stop()


def test_a_redis_user_without_scan_stops_neither_writer_nor_node(
        album: Album, archive: Path, processes: Processes, redis_server: RedisServer) -> None:
    """Looking for another job's writer or nodes (two REDIS_JOB names) scans Redis's keys, which
    an ACL user may not: that is no step of the job, and stops neither."""
    with closing(redis.Redis.from_url(redis_server.url)) as admin:
        admin.execute_command("ACL", "SETUSER", "archive", "on", f">{SECRET}", "~*", "+@all", "-scan")
    processes.redis_url = f"redis://archive:{SECRET}@127.0.0.1:{redis_server.port}/0"
    processes.node("n1", REDIS_JOB=f"{JOB}-2", REDIS_NODE_GRACE="1")
    processes.writer("writer", archive, album, REDIS_NODE_GRACE="1", REDIS_NODE_WAIT="5")
    assert processes.wait("writer") == 1, processes.log("writer")
    log = processes.log("writer")
    assert re.search(r"WARNING: \d+ article pages wait for a fetch node and none is running: start ", log), log
    assert "ERROR: Exit status 1: the run was cut short: no fetch node is running" in log, log
    assert processes.running["n1"].poll() is None, processes.log("n1")  # waiting for its job's writer
    assert "refused" not in log and "refused" not in processes.log("n1"), processes.every_log()
    assert_clean(processes)


def test_a_redis_user_that_may_not_read_the_eviction_policy_is_told_once(tmp_path: Path) -> None:
    """Without INFO (the README's ACL but its ``+info``) the policy cannot be checked: one
    INFO line says so, and the run goes on."""
    server = RedisServer(password=f"admin-{SECRET}").start()
    try:
        with closing(redis.Redis.from_url(server.url)) as admin:
            admin.execute_command("ACL", "SETUSER", "archive", "on", f">{SECRET}",
                                  *ACL.replace(" +info", "").split())
        url = f"redis://archive:{SECRET}@127.0.0.1:{server.port}/0"
        result = crawl("album", tmp_path / "archive", "-a", f"url=http://127.0.0.1:9/mp/appmsgalbum?__biz={BIZ}"
                       "&action=getalbum&album_id=1", settings={"REDIS_URL": url})
    finally:
        server.stop()
    said = [line for line in result.stderr.splitlines() if "evicts keys" in line]
    assert len(said) == 1 and said[0].endswith(
        "INFO: Redis does not let this user read whether it evicts keys when full (this user has no "
        "permissions to run the 'info' command): give it +info, or make sure its maxmemory-policy is "
        "noeviction"), result.stderr
    assert "Redis at" not in result.stderr  # not refused: the listing's failure ends the run
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("url", [f"127.0.0.1:{SECRET}@6379", f"redis://user:{SECRET}@host:port/0",
                                 f"http://127.0.0.1/0?password={SECRET}",
                                 f"redis://:{SECRET}@127.0.0.1:6379/0?protocol=9"])
def test_a_malformed_redis_url_is_refused_without_its_password(tmp_path: Path, url: str) -> None:
    result = crawl("fetch", tmp_path, settings={"REDIS_URL": url})
    assert result.returncode == 2
    assert "-s REDIS_URL= takes a Redis URL" in refusal(result, "crawl fetch")
    assert SECRET not in result.stderr + result.stdout


def test_a_password_with_a_urls_own_characters_is_refused_saying_how_to_write_it(tmp_path: Path) -> None:
    """A password made by ``openssl rand -base64`` often holds a /, which ends a URL's host
    part: the URL was refused as not a Redis URL, its password masked, and nothing said why."""
    password = "s3cr/et+K=="
    server = RedisServer(password=password).start()
    try:
        given = f"redis://:{password}@127.0.0.1:{server.port}/0"
        result = crawl("fetch", tmp_path, settings={"REDIS_URL": given})
        assert result.returncode == 2
        line = refusal(result, "crawl fetch")
        assert "percent-encode the / in its password (/ is %2F)" in line, line
        assert password not in result.stderr + result.stdout
        assert server.url == f"redis://:s3cr%2Fet%2BK%3D%3D@127.0.0.1:{server.port}/0"  # as the line says
        assert redis_unreachable(server.url, JOB) is None
    finally:
        server.stop()


@pytest.mark.parametrize("spider, args", [
    ("album", ["-a", f"url=http://127.0.0.1/mp/appmsgalbum?__biz={BIZ}&action=getalbum&album_id=1"]),
    ("fetch", []),
])
def test_redis_not_running_is_one_clear_line(tmp_path: Path, spider: str, args: list[str]) -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    result = crawl(spider, tmp_path, *args, settings={"REDIS_URL": url})
    assert result.returncode == 1
    [line] = [line for line in result.stderr.splitlines() if line.startswith(f"scrapy crawl {spider}:")]
    assert f"Redis at {url} is unreachable: " in line and "Connection refused" in line
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("spider, args", [
    ("album", ["-a", f"url=http://127.0.0.1/mp/appmsgalbum?__biz={BIZ}&action=getalbum&album_id=1"]),
    ("fetch", []),
])
def test_a_redis_that_requires_a_password_given_none_or_a_wrong_one_is_one_clear_line(
        tmp_path: Path, spider: str, args: list[str]) -> None:
    """A Redis with ``requirepass`` (or ACL users) and a URL without the password: "Redis at
    … is unreachable: HELLO must be called with the client already authenticated, otherwise
    the HELLO AUTH <user> <pass> option can be used…", redis-py's handshake, for a Redis that
    answered. It now says what is missing, and a wrong password what Redis said."""
    server = RedisServer(password=SECRET).start()
    try:
        lines = {}
        for given in ("", ":wrong@", "archive:wrong@"):
            url = f"redis://{given}127.0.0.1:{server.port}/0"
            result = crawl(spider, tmp_path / "archive", *args, settings={"REDIS_URL": url})
            assert result.returncode == 1, result.stderr
            assert "Traceback" not in result.stderr and "wrong" not in result.stderr
            lines[given] = refusal(result, f"crawl {spider}").removeprefix(f"scrapy crawl {spider}: ")
    finally:
        server.stop()
    at = f"Redis at redis://{{}}127.0.0.1:{server.port}/0"
    assert lines == {
        "": f"{at.format('')} requires a password, and the URL gives none: redis://user:password@host:port/db "
            "(WECHAT_REDIS_URL)",
        ":wrong@": f"{at.format(':***@')} refuses the user and password the URL gives: invalid username-password "
                   "pair or user is disabled",
        "archive:wrong@": f"{at.format('archive:***@')} refuses the user and password the URL gives: invalid "
                          "username-password pair or user is disabled"}, lines


def test_a_frontier_request_names_the_nodes_callbacks_and_a_page_keeps_every_header() -> None:
    request = Request("https://mp.weixin.qq.com/s/x", headers={"Referer": "https://mp.weixin.qq.com/a"})
    spider = FetchSpider()
    read = request_from_dict(frontier.loads(frontier_entry(request, "f00d")), spider=spider)
    assert (read.url, read.callback, read.errback) == (request.url, spider.hand_back, spider.fetch_failed)
    assert read.meta == {"article": True, "page_id": "f00d"}
    assert read.headers["Referer"] == b"https://mp.weixin.qq.com/a"

    page = Page("n1", "f00d", request.url, request.url, 200,
                {"Content-Type": ["text/html; charset=utf-8"], "Set-Cookie": ["a=1", "b=2"]},
                {"Accept-Encoding": ["gzip"]}, b"<html>\n\xe5\x8f\x8d</html>")
    assert Page.from_bytes(page.to_bytes()) == page
    response = page.response(request)
    assert isinstance(response, HtmlResponse) and response.request is request
    assert response.headers.getlist("Set-Cookie") == [b"a=1", b"b=2"] and response.body == page.body
    assert page.sent_headers()["Accept-Encoding"] == b"gzip"


def test_a_page_travels_compressed_and_anything_else_is_refused() -> None:
    body = b"".join(path.read_bytes() for path in sorted((PROJECT / "tests" / "pages").glob("*.html")))
    page = Page("n1", "f00d", "https://mp.weixin.qq.com/s/x", "https://mp.weixin.qq.com/s/x", 200, {}, {}, body)
    assert len(page.to_bytes()) < len(body) / 2
    assert Page.from_bytes(page.to_bytes()) == page
    head = page.to_bytes()
    for other in (b"", body, zlib.compress(b'{"v": 2}\n'), zlib.compress(b'{"v": 1, "node": 1}\n'), head[:-9]):
        with pytest.raises(frontier.WireError, match="^not a page of format 1: "):
            Page.from_bytes(other)


@pytest.mark.parametrize("args, settings, message", [
    ([], {}, "a fetch node works for a job in Redis: give -s REDIS_URL=redis://host:port/db"),
    (["-a", "url=x"], {"REDIS_URL": "redis://127.0.0.1:9/0"},
     "unknown argument -a url= (this spider takes no -a arguments)"),
    ([], {"REDIS_URL": "127.0.0.1:6379"}, "-s REDIS_URL= takes a Redis URL"),
])
def test_a_fetch_node_without_a_job_is_refused_in_one_line(tmp_path: Path, args: list[str],
                                                          settings: dict[str, str], message: str) -> None:
    result = crawl("fetch", tmp_path / "archive", *args, settings=settings)
    assert result.returncode == 2
    assert message in refusal(result, "crawl fetch")
    assert not (tmp_path / "archive").exists()


def test_the_redis_url_comes_from_the_projects_own_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    values = Settings()
    values.setmodule(project_settings)
    monkeypatch.setenv("REDIS_URL", "redis://other-software:6379/0")  # not ours: ignored
    assert Config.from_settings(values).redis_url == ""
    monkeypatch.setenv("WECHAT_REDIS_URL", "redis://archive:secret@10.0.0.5:6379/0")
    assert Config.from_settings(values).redis_url == "redis://archive:secret@10.0.0.5:6379/0"
    values.set("REDIS_URL", "redis://10.0.0.6:6379/0", priority="cmdline")
    assert Config.from_settings(values).redis_url == "redis://10.0.0.6:6379/0"


@pytest.mark.parametrize("spider, redis_url, writer", [
    (AlbumSpider, "redis://127.0.0.1:9/0", True),
    (AlbumSpider, "", False),
    (ImportSpider, "redis://127.0.0.1:9/0", False),  # it fetches no article page
])
def test_the_add_on_makes_a_writer_only_of_a_spider_fetching_articles_with_redis(
        spider: type[WeChatSpider], redis_url: str, writer: bool) -> None:
    values = Settings()
    values.setmodule(project_settings)
    values.set("REDIS_URL", redis_url, priority="cmdline")
    values.set("CONCURRENT_REQUESTS", 10, priority="cmdline")
    Distributed(spider).update_settings(values)
    assert values.getint("CONCURRENT_REQUESTS") == (42 if writer else 10)
    assert (RemoteFetch in values.getdict("DOWNLOADER_MIDDLEWARES")) is writer
    assert (Writer in values.getdict("EXTENSIONS")) is writer


def test_the_writer_finds_redis_back_at_the_first_page_it_takes(
        redis_server: RedisServer, caplog: pytest.LogCaptureFixture) -> None:
    """Its loop over the pages handed back asks Redis every second, its look at the nodes
    only every third of REDIS_HEARTBEAT (10 s): the outage ends at the loop's first answer,
    so that another soon after counts REDIS_GRACE from its own start."""
    config = project_config(REDIS_URL=redis_server.url, REDIS_HEARTBEAT="600")
    crawler = SimpleNamespace(crawling=True)
    caplog.set_level("INFO", logger="crawler.distributed.job")

    async def away_then_back() -> float | None:
        writer = Writer(crawler, connect_async(config), config)  # type: ignore[arg-type]
        next_ready, calls = writer.exchange.next_ready, []

        async def away_once(timeout: float) -> str | None:
            calls.append(timeout)
            if len(calls) == 1:
                raise redis.ConnectionError("Redis is away")
            crawler.crawling = False
            return await next_ready(timeout=0.1)

        writer.exchange.next_ready = away_once  # type: ignore[method-assign]
        await writer.take_pages()
        await writer.client.aclose()
        return writer.outage.since

    assert asyncio.run(away_then_back()) is None
    assert "Redis answers again" in caplog.text


async def handed_back(exchange: PageExchange, job: redis.Redis, page: Page) -> asyncio.Future[Page]:
    """The writer's request for ``page.asked``, as ``page.page_id``, once a node has handed
    back ``page`` for it and the writer has been told."""
    fetching = asyncio.ensure_future(exchange.fetch(Request(page.asked), page.page_id))
    while not job.zpopmin(f"{JOB}:requests"):  # a node takes the request, fetches the page
        await asyncio.sleep(0.01)
    job.hset(f"{JOB}:pages", page.page_id, page.to_bytes())
    await exchange.deliver(page.page_id)
    return fetching


def test_a_page_archived_while_redis_does_not_answer_leaves_it_at_the_writers_next_look(
        redis_server: RedisServer, job: redis.Redis) -> None:
    """The removal of a page archived failing (Redis not answering within REDIS_TIMEOUT)
    left it taken in Redis, in the writer's name, until the job ended; now the writer's
    next look at the nodes, once Redis answers, lets it go."""
    config = project_config(REDIS_URL=redis_server.url, REDIS_TIMEOUT="2")
    url = "https://mp.weixin.qq.com/s/x"
    page = Page("n1", "f00d", url, url, 200, {"Content-Type": ["text/html"]}, {}, b"<html></html>")

    async def archive_while_redis_is_silent() -> list[bool]:
        exchange = PageExchange(connect_async(config), Job.from_config(config), config, memory_refused)
        fetching = await handed_back(exchange, job, page)
        response = (await fetching).response(Request(url))
        exchange.hand_over("f00d", response)
        job.execute_command("CLIENT", "PAUSE", "60000", "WRITE")
        try:
            exchange.let_go(response)  # archived
            await asyncio.sleep(0)  # the release, in the loop's next turn
            while exchange.finishing:
                await asyncio.sleep(0.05)
        finally:
            job.execute_command("CLIENT", "UNPAUSE")
        still = [job.hexists(f"{JOB}:taken", "f00d")]
        await exchange.finish_left()  # the writer's next look
        await exchange.client.aclose()
        return [*still, job.hexists(f"{JOB}:taken", "f00d")]

    assert asyncio.run(archive_while_redis_is_silent()) == [True, False]
    assert not job.exists(f"{JOB}:takers")


@pytest.mark.parametrize("size", [2 << 20, (1 << 16) + 1])
def test_a_page_beyond_the_writers_download_maxsize_is_not_fetched_again(
        redis_server: RedisServer, job: redis.Redis, caplog: pytest.LogCaptureFixture, size: int) -> None:
    """A writer told a smaller DOWNLOAD_MAXSIZE than its nodes refuses their large page: as
    a single process's download over it, the article is not fetched, once; asking the nodes
    again would only fetch the same page from WeChat again, and be refused again. (A page
    less than a megabyte beyond was taken, the room left for its headers.)"""
    values = Settings()
    values.setmodule(project_settings)
    values.set("REDIS_URL", redis_server.url)
    values.set("DOWNLOAD_MAXSIZE", 1 << 16)
    config = Config.from_settings(values)
    url = "https://mp.weixin.qq.com/s/x"
    large = Page("n1", "f00d", url, url, 200, {"Content-Type": ["text/html"]}, {}, bytes(size))

    async def fetch() -> BaseException | None:
        exchange = PageExchange(connect_async(config), Job.from_config(config), config, memory_refused)
        fetching = await handed_back(exchange, job, large)
        await asyncio.wait([fetching], timeout=PATIENCE)  # given up, or asked of the nodes again
        await exchange.client.aclose()
        return fetching.exception() if fetching.done() else None

    failure = asyncio.run(fetch())
    assert job.zcard(f"{JOB}:requests") == 0  # not asked of the nodes again
    assert isinstance(failure, NotFetched)
    assert str(failure) == "its page is larger than DOWNLOAD_MAXSIZE (65536 bytes)"
    assert [record.levelname for record in caplog.records] == ["ERROR"]
    assert "Dropped the page handed back as wechat-archive:pages f00d for https://mp.weixin.qq.com/s/x: " \
           "a page beyond 65536 bytes decompressed (DOWNLOAD_MAXSIZE): " in caplog.text


def test_a_page_a_node_follows_off_the_writers_article_hosts_is_not_fetched_once(
        album: Album, tmp_path: Path, archive: Path, processes: Processes) -> None:
    """A node that accepts more article hosts than its writer (a newer or differently set
    project) follows a redirect the writer refuses: a single process reports the article
    not fetched at once. The writer dropped the page as forged and asked again, the node
    fetched the same redirect each time, and after REDIS_PAGE_TRIES the writer blamed Redis."""
    target = album.site.link(album.served[1]).replace("&amp;", "&").removesuffix("#rd")
    moved = album.server.redirect("/s/MovedOffTheWritersHosts", target.replace("127.0.0.1", "localhost"))
    alone = crawl("article", tmp_path / "alone", "-a", f"url={moved}")
    before = len(album.server.hits("/s/MovedOffTheWritersHosts"))
    processes.node("n1", ARTICLE_HOSTS="127.0.0.1,localhost")
    processes.start("writer", "article", archive, "-a", f"url={moved}")
    assert processes.wait("writer") == alone.returncode == 1, processes.log("writer")
    assert processes.wait("n1") == 0, processes.log("n1")
    assert len(album.server.hits("/s/MovedOffTheWritersHosts")) - before <= 2  # not REDIS_PAGE_TRIES + 1
    log = processes.log("writer")
    assert "Redis lost" not in log and "lost or dropped" not in log, log
    assert re.search(re.escape(f"could not fetch {moved}: ") + r".*not an article host", log), log
    # the page's own fault, handed back by the node: not WeChat unreachable
    assert "ERROR: Exit status 1: none of the articles given could be fetched" in log, log
    assert_clean(processes)


def test_a_request_off_a_nodes_article_hosts_is_reported_not_fetched_with_why(
        album: Album, archive: Path, processes: Processes) -> None:
    """A node that accepts fewer article hosts than its writer (an older or differently set
    project) refuses the writer's request: the writer asked again and again, and reported
    the page lost in Redis, sending its user to look at Redis rather than at the node."""
    url = album.site.link(album.served[2]).replace("&amp;", "&").removesuffix("&scene=126#rd")
    before = len(article_hits(album.server))
    processes.node("n1", ARTICLE_HOSTS="localhost")
    processes.start("writer", "article", archive, "-a", f"url={url}&scene=126")
    assert processes.wait("writer") == 1, processes.log("writer")
    assert processes.wait("n1") == 0, processes.log("n1")
    assert len(article_hits(album.server)) == before
    log = processes.log("writer")
    assert "Redis lost" not in log and "lost or dropped" not in log, log
    assert f"could not fetch {url}: NodeRefused: its URL {url!r} is not on ARTICLE_HOSTS (fetch node n1)" in log
    assert_clean(processes)


def test_a_node_of_fewer_article_hosts_is_one_line_not_one_a_page(
        album: Album, archive: Path, processes: Processes) -> None:
    """One misconfigured node refusing every page of an album: the writer mailed a WARNING
    "could not fetch … not on ARTICLE_HOSTS" per page, and the node an ERROR "Dropped from
    the frontier" per page. Now each says it for the first page, the rest at INFO, the
    summary counting every page."""
    processes.node("n1", ARTICLE_HOSTS="localhost")
    processes.writer("writer", archive, album)
    assert processes.wait("writer") == 1, processes.log("writer")
    assert processes.wait("n1") == 0, processes.log("n1")
    log = processes.log("writer")
    refused = re.findall(r"(\w+): Not archived: could not fetch \S+: NodeRefused: its URL .* is not on "
                         r"ARTICLE_HOSTS \(fetch node n1\)", log)
    assert sorted(refused) == ["INFO"] * (ARTICLES - 1) + ["WARNING"], log
    assert f"Run summary (finished): {ARTICLES} not fetched" in log, log
    dropped = re.findall(r"(\w+): Dropped from the frontier of job \S+, not run: its URL .* is not on "
                         r"ARTICLE_HOSTS", processes.log("n1"))
    assert len(dropped) == ARTICLES and sorted(set(dropped)) == ["ERROR", "INFO"] \
        and dropped.count("ERROR") == 1, processes.log("n1")
    assert_clean(processes)


def test_an_import_from_a_writers_environment_needs_no_redis(album: Album, tmp_path: Path) -> None:
    """A writer's service has the job's WECHAT_REDIS_URL in its environment; an import run
    there fetches no article page and never uses Redis, but was refused when Redis was down."""
    saved = tmp_path / "saved.html"
    saved.write_text(album.site.page(album.served[0]), encoding="utf-8")
    result = crawl("import", tmp_path / "archive", "-a", f"path={saved}",
                   settings={"REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"})
    assert result.returncode == 0, result.stderr
    assert "Redis" not in result.stderr
    assert len(list((tmp_path / "archive" / "_posts").glob("*.md"))) == 1

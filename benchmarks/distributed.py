"""Benchmark: ``python benchmarks/distributed.py [--articles 20] [--delay 0.5] [--nodes 1 2]``.

Fetch nodes are there for their IPs: each waits its own politeness delay between article
pages, so pages per second should grow with the number of nodes, as long as the writer,
which parses, downloads the images of and stores every page, keeps up. For each number of
nodes, over the local WeChat stand-in (pages of realistic size, K images each) and a
throwaway redis-server: one writer (``scrapy crawl album -s REDIS_URL=…``) and that many
``scrapy crawl fetch`` nodes, each ``--delay`` seconds between its pages (±50 %, as
Scrapy's jitter). Prints, each measured, none asserted:

- pages/s while the nodes fetch: (N - 1) pages over the time from the first article page
  the stand-in answered to the last;
- the writer's wall time and CPU time (``os.wait4``), and its CPU per article: its CPU
  less that of the same command run again over the archive it made (start-up and
  listings only, nothing new), divided by N;
- first, what a page costs in Redis (``wire.Page``, compressed) against its body, and the
  writer's CPU to read it back, over the real WeChat pages of the shared fixtures when
  they are there (the stand-in's pages are one script line repeated, far too easy).

Nodes start once the writer has put its first requests on the frontier: a node with
nothing to do looks again only at Scrapy's 5-second engine heartbeat.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import redis

PROJECT = Path(__file__).resolve().parent.parent
FIXTURES = PROJECT.parent / "shared" / "fixtures" / "wechat"
sys.path.insert(0, str(PROJECT))
sys.path.insert(0, str(PROJECT / "benchmarks"))

from run import BenchSite  # noqa: E402

from crawler.distributed.wire import Page  # noqa: E402
from tests.mockserver import MockWeChat, Route  # noqa: E402
from tests.redisserver import RedisServer  # noqa: E402


class Stamped:
    """The stand-in's article route, noting when each page is asked for."""

    def __init__(self, route: Callable[[str], Route]):
        self.route = route
        self.times: list[float] = []

    def __call__(self, query: str) -> Route:
        self.times.append(time.monotonic())
        return self.route(query)


@dataclass
class JobRun:
    nodes: int
    pages_per_s: float
    wall: float
    cpu: float


def command(spider: str, settings: dict[str, object], *args: str) -> list[str]:
    words = [sys.executable, "-m", "scrapy", "crawl", spider, *args]
    for name, value in {"ARTICLE_HOSTS": "127.0.0.1", "IMAGE_HOSTS": "127.0.0.1",
                        "AUTOTHROTTLE_ENABLED": False, "LOG_LEVEL": "WARNING", **settings}.items():
        words += ["-s", f"{name}={value}"]
    return words


def start(words: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(words, cwd=PROJECT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "PYTHONPATH": str(PROJECT)})


def finish(process: subprocess.Popen[bytes], started: float) -> tuple[float, float]:
    """Wall and CPU seconds of a process, once it has ended well."""
    _, status, usage = os.wait4(process.pid, 0)
    if status:
        raise SystemExit(f"a process failed with status {status}")
    return time.perf_counter() - started, usage.ru_utime + usage.ru_stime


def job_run(site: BenchSite, stamped: Stamped, archive: Path, nodes: int, delay: float) -> JobRun:
    """One writer and ``nodes`` nodes over a fresh redis-server, to the end of the job."""
    server = RedisServer().start()
    try:
        writer_words = command("album", {"ARCHIVE_DIR": archive, "DOWNLOAD_DELAY": 0,
                                         "REDIS_URL": server.url}, "-a", f"url={site.album_url}")
        stamped.times.clear()
        started = time.perf_counter()
        writer = start(writer_words)
        with redis.Redis.from_url(server.url) as client:
            while not client.zcard("wechat-archive:requests"):
                if writer.poll() is not None:
                    raise SystemExit("the writer ended before putting anything on the frontier")
                time.sleep(0.05)
        fetchers = [start(command("fetch", {"DOWNLOAD_DELAY": delay, "REDIS_URL": server.url,
                                            "REDIS_NODE": f"node{n}"})) for n in range(nodes)]
        wall, cpu = finish(writer, started)
        for fetcher in fetchers:
            finish(fetcher, started)
    finally:
        server.stop()
    posts = len(list((archive / "_posts").glob("*.md")))
    if posts != site.articles:
        raise SystemExit(f"the job archived {posts} of {site.articles} articles")
    times = stamped.times
    return JobRun(nodes, (len(times) - 1) / (times[-1] - times[0]), wall, cpu)


def listings_only_cpu(site: BenchSite, archive: Path) -> float:
    """The writer's CPU over an archive that has every article already."""
    server = RedisServer().start()
    try:
        words = command("album", {"ARCHIVE_DIR": archive, "DOWNLOAD_DELAY": 0, "REDIS_URL": server.url},
                        "-a", f"url={site.album_url}")
        return finish(start(words), time.perf_counter())[1]
    finally:
        server.stop()


def wire_costs() -> None:
    """A page's size in Redis and the writer's CPU to read it, over real WeChat pages."""
    pages = sorted(FIXTURES.glob("article_*.html")) if FIXTURES.is_dir() else []
    if not pages:
        print(f"page sizes in Redis: skipped, no real pages in {FIXTURES}")
        return
    bodies = [path.read_bytes() for path in pages]
    started = time.process_time()
    sent = [Page("node", "id", "https://mp.weixin.qq.com/s/x", "https://mp.weixin.qq.com/s/x", 200, {}, {},
                 body).to_bytes() for body in bodies]
    packing = time.process_time() - started
    started = time.process_time()
    for data in sent:
        Page.from_bytes(data)
    reading = time.process_time() - started
    raw, packed = sum(map(len, bodies)), sum(map(len, sent))
    count = len(pages)
    print(f"{count} real WeChat pages, {raw / count / 1e6:.2f} MB each on average: "
          f"{packed / count / 1e3:.0f} KB in Redis ({raw / packed:.1f}x smaller); node CPU to pack "
          f"{packing / count * 1000:.1f} ms, writer CPU to read {reading / count * 1000:.1f} ms a page")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=20)
    parser.add_argument("--images", type=int, default=8)
    parser.add_argument("--page-kb", type=int, default=2500, help="size of each article page")
    parser.add_argument("--delay", type=float, default=0.5, help="each node's seconds between pages")
    parser.add_argument("--nodes", type=int, nargs="+", default=[1, 2, 4, 8])
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{platform.platform()}")
    print(f"{args.articles} articles x {args.images} images, {args.page_kb} KB pages, "
          f"each node {args.delay} s between pages")

    wire_costs()
    stand_in = MockWeChat().start()
    work = Path(tempfile.mkdtemp(prefix="wechat-bench-distributed-"))
    try:
        site = BenchSite(stand_in, args.articles, args.images, args.page_kb)
        stamped = Stamped(site.article)
        stand_in.route("/s", stamped)
        print(f"{'nodes':>5} {'pages/s':>9} {'writer wall':>12} {'writer CPU':>11} {'CPU/article':>12}")
        for nodes in args.nodes:
            archive = work / f"nodes-{nodes}"
            run = job_run(site, stamped, archive, nodes, args.delay)
            per_article = (run.cpu - listings_only_cpu(site, archive)) / args.articles
            print(f"{run.nodes:>5} {run.pages_per_s:>9.2f} {run.wall:>10.2f} s {run.cpu:>9.2f} s "
                  f"{per_article * 1000:>9.0f} ms")
    finally:
        stand_in.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

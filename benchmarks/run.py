"""Benchmark: ``python benchmarks/run.py [--articles 200] [--images 8] [--latency 0.025]``.

Prints three figures, each measured, none asserted:

1. ``scrapy crawl album`` (politeness off) against the plain sequential archiver of
   ``benchmarks/sequential.py``, both over the local WeChat stand-in with N articles of K
   images each and a simulated network latency: wall time, CPU time, peak RSS, articles/s;
   and, as the floor, ``benchmarks/bare_scrapy.py``: Scrapy fetching the same, keeping nothing.
   Twice: (a) the latency before each answer only, new connections free; (b) the same and
   one latency more before a new connection's first answer, the round trip of TCP's
   handshake, which a real network charges and the sequential archiver, one connection per
   request as most crawlers, pays every time.
2. CPU time to parse and convert each large 2025-template page: the pages above 2 MB of
   ``../shared/fixtures/wechat/`` when present, else a generated one of that shape
   (``benchmarks/pages.py`` times them against another git revision).
3. Peak RSS of the crawl over ``--rss-articles`` articles beside the first figure's, to
   show that memory does not grow with N.
4. With ``--floor-rounds N``: N more rounds of (a), the crawl then bare Scrapy each time,
   and the median of their wall-time ratios: on a machine shared with other work, one
   round's ratio varies by a third. With ``--revision REV`` as well: N rounds in each order
   of this tree's crawl and REV's (its ``crawler/``, ``git archive`` into a temporary
   folder), bare Scrapy after each pair, and their medians by order.

Each crawl runs in a subprocess; its CPU time and peak RSS come from ``os.wait4``. Each
tree's ``crawler/`` is compiled to bytecode first, as a run after the first finds it.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))
sys.path.insert(0, str(PROJECT / "benchmarks"))

from pages import cpu_ms, large_fixture_pages, revision_tree, with_bytecode  # noqa: E402

from tests.mockserver import MockWeChat, Route, png  # noqa: E402

BIZ = "MzA5OTk5OTk5OQ=="
# The folders the runs wrote, deleted as the benchmark ends, not after each round: on ext4
# without a journal (this project's machine), a file made within seconds of the deletion of
# thousands is given an inode only past each of theirs (the kernel's ``recently_deleted``),
# some 0.5 ms of system CPU a file, which a crawl after a round's deletion paid and bare
# Scrapy, writing nothing, never did. No cron run of the archiver follows such a deletion.
_SPENT: list[Path] = []


@dataclass
class Run:
    wall: float
    cpu: float
    peak_rss_mb: float
    articles: int

    def row(self, name: str) -> str:
        return (f"{name:28} {self.wall:9.2f} s {self.cpu:9.2f} s {self.peak_rss_mb:9.1f} MB "
                f"{self.articles / self.wall:10.1f}/s")


class BenchSite:
    """N articles of K images each, pages of realistic size (mostly inline script)."""

    def __init__(self, server: MockWeChat, articles: int, images: int, page_kb: int):
        self.server, self.articles, self.images = server, articles, images
        # Half the page before the body and half after, as WeChat's inlined scripts are; of
        # those, 70 % is WeChat's own code inlined as modules, the rest the page's own
        # scripts (the 4.0 MB page of ../shared/fixtures/wechat/: 2.8 MB in 14 modules).
        line, lines = "function f(a){return a*2}\n", page_kb * 1024 // 52
        module = f"var __INLINE_SCRIPT__ = (function () {{\n{line * (lines * 7 // 10)}}})();\n"
        # Kept encoded: the server's own CPU is taken from the crawl on the same machine.
        self.filler = f"<script>{module}</script><script>{line * (lines * 3 // 10)}</script>".encode()
        self.image = png((120, 30, 30), (64, 48))
        server.route("/mp/appmsgalbum", self.album)
        server.route("/s", self.article)
        for n in range(articles):
            for k in range(images):
                server.route(f"/mmbiz_png/Bench{n}x{k}/640",
                             Route(200, "image/png", self.image + bytes([n % 256, k])))

    @property
    def album_url(self) -> str:
        return f"{self.server.base}/mp/appmsgalbum?__biz={BIZ}&action=getalbum&album_id=777"

    def link(self, n: int) -> str:
        return (f"{self.server.base}/s?__biz={BIZ}&amp;mid={2247000000 + n}&amp;idx=1&amp;sn=s{n}"
                "&amp;chksm=ab#rd")

    def album(self, query: str) -> Route:
        import json
        from urllib.parse import parse_qs

        params = {k: v[0] for k, v in parse_qs(query).items()}
        start = int(params["begin_msgid"]) - 2247000000 + 1 if "begin_msgid" in params else 0
        count = int(params.get("count", 10))
        items = [{"title": f"第{n}期", "url": self.link(n), "msgid": str(2247000000 + n),
                  "itemidx": "1"} for n in range(start, min(start + count, self.articles))]
        body = {"base_resp": {"ret": 0}, "getalbum_resp": {
            "article_list": items[0] if len(items) == 1 else items,
            "continue_flag": "1" if start + count < self.articles else "0"}}
        return Route(200, "application/json", json.dumps(body, ensure_ascii=False).encode())

    def article(self, query: str) -> Route:
        from urllib.parse import parse_qs

        n = int(parse_qs(query)["mid"][0]) - 2247000000
        images = "".join(
            f'<p><img data-src="{self.server.base}/mmbiz_png/Bench{n}x{k}/640?wx_fmt=png" '
            'data-type="png"></p>'
            f"<section><span leaf=\"\">第{k}段：接到自称客服的电话要求退款理赔的，"
            "一律是诈骗。</span></section>"
            for k in range(self.images))
        head = f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>第{n}期</title>'
        body = (f'</head><body><h1 id="activity-name">反诈提醒第{n}期</h1>'
                f'<div class="rich_media_content" id="js_content">{images}</div>'
                f'<script>var biz = "{BIZ}"; var mid = "{2247000000 + n}"; var idx = "1"; '
                f'var sn = "s{n}"; var nickname = htmlDecode("基准反诈中心"); '
                'var user_name = "gh_000000000000"; '
                f"var msg_title = '反诈提醒第{n}期'.html(false); var ct = \"{1700000000 + n * 3600}\";\n"
                f"window.cgiDataNew = {{ user_name: JsDecode('gh_000000000000'), "
                f"nick_name: JsDecode('基准反诈中心'), title: JsDecode('反诈提醒第{n}期'), "
                f"ori_create_time: '{1700000000 + n * 3600}' * 1, bizuin: JsDecode('{BIZ}'), "
                f"mid: '{2247000000 + n}' * 1, idx: '1' * 1, sn: JsDecode('s{n}'), "
                f"item_show_type: '0' * 1, copyright_stat: '1' * 1, author: JsDecode(''), "
                f"source_url: JsDecode('') }};</script>")
        page = b"".join((head.encode(), self.filler, body.encode(), self.filler, b"</body></html>"))
        return Route(200, "text/html; charset=utf-8", page)


def measure(command: list[str], articles: int, tree: Path = PROJECT) -> Run:
    """``command`` run with the ``crawler`` of ``tree``."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=tree, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": str(tree)})
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    if status:
        raise SystemExit(f"{command[:4]} failed with status {status}")
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, articles)


def crawl_command(album_url: str, archive: Path) -> list[str]:
    # Bare Scrapy's 32 requests at once, 8 of them pages and 24 pictures (not the CDN's polite
    # 8): Scrapy's pool keeps CONCURRENT_REQUESTS_PER_DOMAIN connections a host, and the
    # stand-in is both hosts, so 8 pages and 32 pictures at once opened 220 connections
    # where bare Scrapy opens 64.
    settings = {"ARCHIVE_DIR": archive, "ARTICLE_HOSTS": "127.0.0.1", "IMAGE_HOSTS": "127.0.0.1",
                "DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "ARTICLE_PAGES_IN_FLIGHT": 8,
                "IMAGE_CONCURRENCY": 24, "CONCURRENT_REQUESTS": 32, "CONCURRENT_REQUESTS_PER_DOMAIN": 32,
                "LOG_LEVEL": "WARNING", "ALBUM_PAGE_SIZE": 10}
    command = [sys.executable, "-m", "scrapy", "crawl", "album", "-a", f"url={album_url}"]
    for name, value in settings.items():
        command += ["-s", f"{name}={value}"]
    return command


class NetworkedWeChat(MockWeChat):
    """The stand-in, where a new connection's first answer waits ``connect_latency`` more:
    over a network, the round trip of TCP's handshake (zero: connections cost nothing)."""

    def __init__(self, connect_latency: float):
        super().__init__()
        self.connect_latency = connect_latency

    def on_connect(self) -> None:
        time.sleep(self.connect_latency)


@dataclass(frozen=True)
class Network:
    """How the stand-in delays its answers."""

    latency: float  # seconds before each answer
    connect_latency: float  # seconds more before a new connection's first answer

    def describe(self) -> str:
        text = f"{self.latency * 1000:.0f} ms before each answer"
        if self.connect_latency:
            return (f"{text}, {self.connect_latency * 1000:.0f} ms more on a new connection "
                    "(TCP's handshake; HTTPS would add one or two round trips more)")
        return f"{text}, new connections free"


def crawl_figure(articles: int, images: int, page_kb: int, network: Network,
                 programs: Sequence[str], revision: Path | None = None) -> dict[str, Run]:
    """Runs of ``programs`` (of "crawl", "sequential", "bare", and "revision": the crawl
    with the ``crawler`` of the folder ``revision``) over one stand-in site, in that order."""
    server = NetworkedWeChat(network.connect_latency).start()
    server.latency = network.latency
    work = Path(tempfile.mkdtemp(prefix="wechat-bench-"))
    _SPENT.append(work)
    try:
        site = BenchSite(server, articles, images, page_kb)
        commands = {
            "crawl": crawl_command(site.album_url, work / "crawl"),
            "sequential": [sys.executable, str(PROJECT / "benchmarks" / "sequential.py"),
                           site.album_url, str(work / "sequential")],
            "bare": [sys.executable, str(PROJECT / "benchmarks" / "bare_scrapy.py"), site.album_url],
            "revision": crawl_command(site.album_url, work / "revision"),
        }
        runs = {program: measure(commands[program], articles,
                                 revision if program == "revision" and revision else PROJECT)
                for program in programs}
        for crawl in {"crawl", "revision"} & runs.keys():
            posts = len(list((work / crawl / "_posts").glob("*.md")))
            if posts != articles:
                raise SystemExit(f"the {crawl} crawl archived {posts} of {articles} articles")
        return runs
    finally:
        server.stop()


def page_figures(page_kb: int, repeats: int = 15) -> list[tuple[str, float, float]]:
    """(name, MB, median CPU ms) of parsing and converting each page of
    ``../shared/fixtures/wechat/`` above 2 MB when present, else of a generated one."""
    pages = [(path.name, path.read_bytes()) for path in large_fixture_pages()]
    if not pages:
        html = BenchSite(MockWeChat(), 1, 8, page_kb).article("mid=2247000000").body
        pages = [(f"generated ({len(html) // 1024} KB)", html)]
    return [(name, len(html) / 1e6, statistics.median(cpu_ms(html, repeats))) for name, html in pages]


_LABELS = {"crawl": "scrapy crawl album", "sequential": "sequential archiver",
           "bare": "bare Scrapy, keeps nothing"}


def network_figure(args: argparse.Namespace, letter: str, network: Network,
                   programs: Sequence[str]) -> dict[str, Run]:
    """Prints and returns the runs of ``programs`` over ``network``, and their ratios."""
    print(f"{letter}. {network.describe()}")
    runs = crawl_figure(args.articles, args.images, args.page_kb, network, programs)
    for program, run in runs.items():
        print(run.row(_LABELS[program]))
    sequential = runs["sequential"].wall
    floor = f" (bare Scrapy: {sequential / runs['bare'].wall:.1f}x)" if "bare" in runs else ""
    print(f"   wall time ratio: {sequential / runs['crawl'].wall:.1f}x{floor}")
    if "bare" in runs:
        print(f"   crawl / bare Scrapy wall time: {runs['crawl'].wall / runs['bare'].wall:.2f}x")
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--images", type=int, default=8)
    parser.add_argument("--latency", type=float, default=0.025, help="seconds per request")
    parser.add_argument("--page-kb", type=int, default=2500, help="size of each article page")
    parser.add_argument("--rss-articles", type=int, default=2000,
                        help="articles of the memory figure (0 to skip it)")
    parser.add_argument("--floor-rounds", type=int, default=0,
                        help="rounds of crawl / bare Scrapy in (a) after the rest (0: none)")
    parser.add_argument("--revision", help="with --floor-rounds: a git revision whose crawl "
                        "alternates with this tree's in each round, each first in half of them")
    args = parser.parse_args()
    if args.revision and not args.floor_rounds:
        parser.error("--revision needs --floor-rounds")
    try:
        measure_all(args)
    finally:
        for folder in _SPENT:
            shutil.rmtree(folder, ignore_errors=True)


def measure_all(args: argparse.Namespace) -> None:
    """Prints the figures ``args`` ask for (the module's docstring)."""
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{platform.platform()}")
    with_bytecode(PROJECT)

    print(f"\n1. {args.articles} articles x {args.images} images, {args.page_kb} KB pages")
    print(f"{'':28} {'wall':>11} {'CPU':>11} {'peak RSS':>12} {'articles':>11}")
    crawled = network_figure(args, "a", Network(args.latency, 0.0),
                             ("crawl", "sequential", "bare"))["crawl"]
    network_figure(args, "b", Network(args.latency, args.latency), ("crawl", "sequential"))

    print("\n2. parse + convert each page above 2 MB, median CPU time")
    for name, megabytes, milliseconds in page_figures(args.page_kb):
        print(f"   {name:56} {megabytes:4.1f} MB {milliseconds:7.1f} ms")

    if args.rss_articles:
        big = crawl_figure(args.rss_articles, args.images, args.page_kb, Network(0.0, 0.0),
                           ("crawl",))["crawl"]
        print(f"\n3. peak RSS of the crawl: {crawled.peak_rss_mb:.1f} MB at {args.articles} articles, "
              f"{big.peak_rss_mb:.1f} MB at {args.rss_articles} articles "
              f"({big.wall:.0f} s, {args.rss_articles / big.wall:.1f} articles/s)")

    if args.floor_rounds and args.revision:
        with revision_tree(args.revision) as tree:
            alternating_rounds(args, tree)
    elif args.floor_rounds:
        floor_rounds(args)


def floor_rounds(args: argparse.Namespace) -> None:
    """Prints ``args.floor_rounds`` rounds of crawl and bare Scrapy in (a), and the median
    of their wall-time ratios."""
    print(f"\n4. crawl / bare Scrapy in (a), {args.floor_rounds} rounds")
    ratios = []
    for number in range(args.floor_rounds):
        runs = crawl_figure(args.articles, args.images, args.page_kb, Network(args.latency, 0.0),
                            ("crawl", "bare"))
        crawl, bare = runs["crawl"], runs["bare"]
        ratios.append(crawl.wall / bare.wall)
        print(f"   round {number + 1}: crawl {crawl.wall:.2f} s ({crawl.cpu:.2f} s CPU), bare "
              f"{bare.wall:.2f} s ({bare.cpu:.2f} s CPU): {ratios[-1]:.2f}x", flush=True)
    print(f"   median {statistics.median(ratios):.2f}x (from {min(ratios):.2f}x to {max(ratios):.2f}x)")


def alternating_rounds(args: argparse.Namespace, revision: Path) -> None:
    """Prints ``args.floor_rounds`` rounds in each order of this tree's crawl and the
    revision's in (a), one stand-in site a round, bare Scrapy after each pair, and the
    medians by order: the second crawl of a pair runs while the first's writes are flushed."""
    print(f"\n4. this tree's crawl against {args.revision}'s in (a), {args.floor_rounds} rounds "
          "in each order, bare Scrapy after each pair")
    names = {"crawl": "this tree", "revision": args.revision, "bare": "bare Scrapy"}
    by_order: dict[str, list[dict[str, Run]]] = {"first": [], "second": []}
    for number in range(2 * args.floor_rounds):
        order = ("crawl", "revision", "bare") if number % 2 == 0 else ("revision", "crawl", "bare")
        runs = crawl_figure(args.articles, args.images, args.page_kb, Network(args.latency, 0.0),
                            order, revision)
        by_order["first" if number % 2 == 0 else "second"].append(runs)
        print(f"   round {number + 1}: " + ", ".join(
            f"{names[name]} {runs[name].wall:.2f} s ({runs[name].cpu:.2f} s CPU)" for name in order),
            flush=True)
    for place, rounds in by_order.items():
        wall, cpu = ({name: statistics.median(getattr(runs[name], figure) for runs in rounds)
                      for name in names} for figure in ("wall", "cpu"))
        print(f"   this tree {place}, medians: {wall['crawl']:.2f} s ({cpu['crawl']:.2f} s CPU) "
              f"against {wall['revision']:.2f} s ({cpu['revision']:.2f} s CPU); "
              f"bare Scrapy {wall['bare']:.2f} s")
    ratios = [runs["crawl"].wall / runs["bare"].wall for rounds in by_order.values() for runs in rounds]
    print(f"   this tree's crawl / bare Scrapy: median {statistics.median(ratios):.2f}x "
          f"(from {min(ratios):.2f}x to {max(ratios):.2f}x)")


if __name__ == "__main__":
    main()

"""Benchmark: ``python benchmarks/retag.py [--posts 2000] [--articles 50] [--rounds 1]``.

A tag added to an account in the accounts file reaches each of its archived posts in the
next run (``PostPipeline``, ``Archive.retag``), which also fetches the account's new
articles. This times that run: an archive of ``--posts`` posts of the account (one post of
the local stand-in, ``benchmarks/run.py``'s, written by a crawl and copied under other
article ids, index rows and all), then ``scrapy crawl accounts`` with the tag added, over
``--articles`` new articles given by URL. Printed: the run's wall and CPU time (``os.wait4``),
and from its log when the posts were retagged and when the new articles were written, to
show whether one waited for the other.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))
sys.path.insert(0, str(PROJECT / "benchmarks"))

from run import BIZ, BenchSite, crawl_command  # noqa: E402

from tests.mockserver import MockWeChat  # noqa: E402

_MID = 2247000000
_LINE = re.compile(r"^(\d+) (.*)$")


def spider_command(site: BenchSite, root: Path, spider: str, *arguments: str) -> list[str]:
    """``benchmarks/run.py``'s crawl (politeness off) of ``spider`` with ``arguments``."""
    command = crawl_command(site.album_url, root)
    start = command.index("album")
    command[start:start + 3] = [spider, *(part for argument in arguments for part in ("-a", argument))]
    return [*command, "-s", f"WECHAT_BASE_URL={site.server.base}"]


def archive_of(site: BenchSite, root: Path, posts: int) -> None:
    """An archive of ``posts`` posts of the stand-in's account: article 0 crawled, and
    copied as articles ``1..posts-1`` (file, index row, tags)."""
    subprocess.run(spider_command(site, root, "article", f"url={site.link(0).replace('&amp;', '&')}"),
                   check=True, cwd=PROJECT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    db = sqlite3.connect(root / ".state" / "index.sqlite")
    key, url, name, state, published, tags = db.execute(
        "SELECT key, url, path, state, published, tags FROM articles WHERE key LIKE ?",
        (f"%:{_MID}:1",)).fetchone()
    text = (root / "_posts" / name).read_text(encoding="utf-8")

    def copy(value: str, n: int) -> str:
        return value.replace(f"{_MID}", f"{_MID + n}").replace("第0期", f"第{n}期") \
            .replace("sn=s0", f"sn=s{n}")

    with db:
        for n in range(1, posts):
            (root / "_posts" / copy(name, n)).write_text(copy(text, n), encoding="utf-8")
            db.execute("INSERT INTO articles (key, url, path, state, published, tags) "
                       "VALUES (?, ?, ?, ?, ?, ?)",
                       (copy(key, n), copy(url, n), copy(name, n), state, published, tags))
            db.execute("INSERT INTO tool_tags VALUES (?, ?)", (copy(key, n), json.dumps(["其他"])))
    db.close()


def retag_run(site: BenchSite, root: Path, posts: int, articles: int) -> dict[str, float]:
    """The accounts run that tags the account's posts and fetches ``articles`` new ones."""
    accounts = root.parent / "accounts.toml"
    urls = ", ".join(f'"{site.link(posts + n).replace("&amp;", "&")}"' for n in range(articles))
    accounts.write_text(f'[[account]]\nname = "基准反诈中心"\nbiz = "{BIZ}"\n'
                        f'urls = [{urls}]\ntags = ["反诈"]\n', encoding="utf-8")
    command = [*spider_command(site, root, "accounts"), "-s", f"ACCOUNTS_FILE={accounts}",
               "-s", "LOG_LEVEL=INFO", "-s", "LOG_FORMAT=%(relativeCreated)d %(message)s"]
    log = root.parent / "run.log"
    start = time.perf_counter()
    with log.open("w") as out:
        process = subprocess.Popen(command, cwd=PROJECT, stdout=subprocess.DEVNULL, stderr=out)
        _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    if status:
        raise SystemExit(f"the run failed with status {status}: see {log}")
    retagged, new = [], []
    for line in log.read_text(encoding="utf-8").splitlines():
        if (match := _LINE.match(line)) is None:
            continue
        if match[2].endswith("(the tags asked)"):
            retagged.append(int(match[1]) / 1000)
        elif match[2].startswith("Post new:"):
            new.append(int(match[1]) / 1000)
    if len(retagged) != posts or len(new) != articles:
        raise SystemExit(f"{len(retagged)} of {posts} posts retagged, {len(new)} of {articles} "
                         f"new articles written: see {log}")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "retag_first": retagged[0],
            "retag_last": retagged[-1], "new_first": new[0], "new_last": new[-1]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--articles", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    server = MockWeChat().start()
    server.latency = 0.025
    try:
        site = BenchSite(server, args.posts + args.articles, 1, 20)
        for _ in range(args.rounds):
            work = Path(tempfile.mkdtemp(prefix="wechat-retag-"))
            try:
                archive_of(site, work / "archive", args.posts)
                figures = retag_run(site, work / "archive", args.posts, args.articles)
            finally:
                shutil.rmtree(work, ignore_errors=True)
            print(f"{args.posts} posts retagged, {args.articles} new articles: wall {figures['wall']:.2f} s, "
                  f"CPU {figures['cpu']:.2f} s; retagged {figures['retag_first']:.2f}-"
                  f"{figures['retag_last']:.2f} s, new posts {figures['new_first']:.2f}-"
                  f"{figures['new_last']:.2f} s into the run", flush=True)
    finally:
        server.stop()


if __name__ == "__main__":
    main()

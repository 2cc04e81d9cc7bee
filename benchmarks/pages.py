"""Parse + convert time of saved pages, and of the same pages at another git revision.

``python benchmarks/pages.py [PAGE ...]``: the median CPU time to parse and convert each
page (by default every page above 2 MB of ``../shared/fixtures/wechat/``) with this tree.

``python benchmarks/pages.py --revision 675e2a7 [PAGE ...]``: the same with this tree and
with the revision's ``crawler/`` (``git archive`` into a temporary folder, removed after), in
one sitting: subprocesses of the two alternate, round after round, so that a machine shared
with other work slows both alike. The same virtual environment serves both.

Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import compileall
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
SHARED = PROJECT.parent / "shared" / "fixtures" / "wechat"
LARGE = 2_000_000  # bytes: WeChat's 2025 template with its inline scripts


def large_fixture_pages(smallest: int = LARGE) -> list[Path]:
    """The shared fixture article pages of at least ``smallest`` bytes, largest first."""
    pages = SHARED.glob("article_*.html") if SHARED.is_dir() else iter(())
    return sorted((p for p in pages if p.stat().st_size >= smallest),
                  key=lambda p: p.stat().st_size, reverse=True)


def cpu_ms(html: bytes, repeats: int) -> list[float]:
    """CPU milliseconds of each of ``repeats`` parses and conversions of ``html``, with
    whichever ``crawler`` package comes first on ``sys.path``; one run before, untimed."""
    try:
        from crawler.convert.markdown import to_markdown
    except ImportError:  # a revision before crawler/convert/
        from crawler.markdown import to_markdown  # type: ignore[import-not-found,no-redef]
    from crawler.wechat.article import Article
    from crawler.wechat.page import parse_page

    times = []
    for n in range(repeats + 1):
        start = time.process_time()
        article = parse_page(html, "https://mp.weixin.qq.com/s/bench")
        if not isinstance(article, Article):
            raise SystemExit(f"not an article: {article}")
        to_markdown(article, {})
        if n:
            times.append((time.process_time() - start) * 1000)
    return times


def _measure_tree(tree: Path, pages: list[Path], repeats: int) -> None:
    """In a subprocess: times with the ``crawler`` of ``tree``, as JSON on stdout."""
    sys.path.insert(0, str(tree))
    import crawler

    if not Path(crawler.__file__).resolve().is_relative_to(tree.resolve()):
        raise SystemExit(f"crawler imported from {crawler.__file__}, not from {tree}")
    print(json.dumps({str(page): cpu_ms(page.read_bytes(), repeats) for page in pages}))


def _times(tree: Path, pages: list[Path], repeats: int) -> dict[str, list[float]]:
    command = [sys.executable, __file__, "--tree", str(tree), "--repeats", str(repeats),
               *map(str, pages)]
    result = subprocess.run(command, check=True, capture_output=True, text=True, cwd=tree)
    times: dict[str, list[float]] = json.loads(result.stdout)
    return times


def with_bytecode(tree: Path) -> Path:
    """``tree``, its ``crawler/`` compiled to bytecode as every run after the first finds it.

    Python writes a module's bytecode at its first import, unless told not to
    (``PYTHONDONTWRITEBYTECODE``, as on this project's machine): each crawl then compiled
    the 138 modules of ``crawler/`` anew, 0.13-0.2 s of a run that bare Scrapy, whose
    site-packages pip compiled when it installed them, never paid."""
    if not compileall.compile_dir(tree / "crawler", quiet=1):
        raise SystemExit(f"{tree / 'crawler'} does not compile")
    return tree


@contextmanager
def revision_tree(revision: str) -> Iterator[Path]:
    """A temporary folder holding ``revision``'s ``crawler/`` (compiled) and ``scrapy.cfg``,
    removed after."""
    with tempfile.TemporaryDirectory(prefix="wechat-revision-") as folder:
        archive = subprocess.run(["git", "archive", revision, "crawler", "scrapy.cfg"], cwd=PROJECT,
                                 capture_output=True)
        if archive.returncode:
            raise SystemExit(f"git archive {revision}: {archive.stderr.decode().strip()}")
        subprocess.run(["tar", "-x", "-C", folder], input=archive.stdout, check=True)
        yield with_bytecode(Path(folder))


def compare(revision: str, pages: list[Path], rounds: int, repeats: int) -> None:
    """Prints each page's median CPU time with this tree and with ``revision``."""
    with revision_tree(revision) as old:
        trees = {"this tree": PROJECT, revision: old}
        times: dict[str, dict[str, list[float]]] = {name: {} for name in trees}
        for _ in range(rounds):
            for name, tree in trees.items():
                for page, page_times in _times(tree, pages, repeats).items():
                    times[name].setdefault(page, []).extend(page_times)
    print(f"median CPU ms of parse + convert, {rounds} alternating rounds of {repeats}:")
    print(f"{'page':58} {'MB':>5} {'this tree':>10} {revision:>10} {'ratio':>6}")
    for page in map(str, pages):
        new, before = (statistics.median(times[name][page]) for name in trees)
        print(f"{Path(page).name:58} {Path(page).stat().st_size / 1e6:5.1f} {new:10.1f} "
              f"{before:10.1f} {new / before:6.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("pages", nargs="*", type=Path, help="saved pages (default: the large fixtures)")
    parser.add_argument("--revision", help="a git revision to time beside this tree")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--tree", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    pages = [page.resolve() for page in args.pages] or large_fixture_pages()
    if not pages:
        raise SystemExit(f"no page given and none above {LARGE // 1_000_000} MB in {SHARED}")
    if args.tree:
        _measure_tree(args.tree, pages, args.repeats)
    elif args.revision:
        compare(args.revision, pages, args.rounds, args.repeats)
    else:
        sys.path.insert(0, str(PROJECT))
        for page in pages:
            median = statistics.median(cpu_ms(page.read_bytes(), args.repeats * args.rounds))
            print(f"{page.name:58} {page.stat().st_size / 1e6:5.1f} MB {median:7.1f} ms CPU (median)")


if __name__ == "__main__":
    main()

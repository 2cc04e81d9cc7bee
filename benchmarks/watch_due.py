"""What choosing a run's watch costs: ``WatchBook.due`` over a large index, once a run.

``python benchmarks/watch_due.py [ARTICLES]`` (default 100000) builds an index of that many
archived articles of 50 accounts, published over 2000 days, two in three checked within 40
days, and times picking the 30 most due three times.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from crawler.store.index import ArticleState, Index
from crawler.store.watchbook import WatchBook
from crawler.watch.state import Schedule


def main(articles: int) -> None:
    now = time.time()
    with tempfile.TemporaryDirectory() as folder:
        index = Index(Path(folder) / "index.sqlite")
        book = WatchBook(index)
        index.connection.execute("BEGIN")
        for n in range(articles):
            key = f"B{n % 50}:{n}:1"
            index.add_article(key, f"https://mp.weixin.qq.com/s?n={n}", f"{n}.md",
                              ArticleState.ARCHIVED, int(now - n % 2000 * 86400))
            if n % 3:
                book.checked(key, now - n % 40 * 86400)
        index.connection.execute("COMMIT")
        for _ in range(3):
            started = time.perf_counter()
            due = book.due(30, now, Schedule())
            print(f"due(30) over {articles} archived articles: "
                  f"{(time.perf_counter() - started) * 1000:.0f} ms, {len(due)} picked")
        index.close()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)

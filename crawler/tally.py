"""What a run counts, and the one place its names are spelled: totals, per source, per account.

Totals are Scrapy stats (``posts/new``); the counts per source and per account are kept in
the stats too, as one mapping each, so that the run report reads them back as they were
counted instead of taking stats names apart.
"""

from __future__ import annotations

from collections import Counter

from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector

SOURCES = "run/sources"
ACCOUNTS = "run/accounts"
IMPORT_PAGES = "imports/pages"  # saved pages an import was given
# How a source's name starts: what kind of source it is (album:…, feed:…, urls:…, link, mp:…).
SOURCE_KINDS = {"album": "albums", "link": "links", "feed": "feeds", "urls": "URLs", "mp": "back office",
                "url": "URLs", "import": "imports"}


def source_kind(source: str) -> str:
    """``album:3001`` → ``album``."""
    return source.split(":", 1)[0]


class Tally:
    """Counts of one run, in its Scrapy stats (which exist once the crawl has started)."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler

    @property
    def stats(self) -> StatsCollector:
        assert self.crawler.stats is not None
        return self.crawler.stats

    def count(self, key: str, *, source: str = "", account: str = "") -> None:
        """Count ``key`` (``posts/new``) in the totals and, by its last part (``new``), for
        ``source`` and for ``account`` (there also by the source's kind: ``new/album``)."""
        self.stats.inc_value(key)
        what = key.rsplit("/", 1)[-1]
        if source:
            self._counter(SOURCES, source)[what] += 1
        if account:
            counts = self._counter(ACCOUNTS, account)
            counts[what] += 1
            if source:
                counts[f"{what}/{source_kind(source)}"] += 1

    def by_source(self) -> dict[str, Counter[str]]:
        return dict(self.stats.get_value(SOURCES) or {})

    def by_account(self, account: str) -> Counter[str]:
        return (self.stats.get_value(ACCOUNTS) or {}).get(account) or Counter()

    def _counter(self, table: str, name: str) -> Counter[str]:
        counters = self.stats.get_value(table)
        if counters is None:
            counters = {}
            self.stats.set_value(table, counters)
        counter: Counter[str] = counters.setdefault(name, Counter())
        return counter

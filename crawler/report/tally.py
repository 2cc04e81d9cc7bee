"""What a run counts, and the one place its names are spelled (``Stat``): totals, per
source, per account.

Totals are Scrapy stats (``posts/new``); the counts per source and per account are kept in
the stats too, as one mapping each, so that the run report reads them back as they were
counted instead of taking stats names apart.
"""

from __future__ import annotations

from collections import Counter
from enum import StrEnum
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector

from crawler.store.posts import Outcome
from crawler.wechat.article import PageReason


class Stat(StrEnum):
    """Every stats name a run writes or reads. A name is written as its plain ``str`` value
    (``Tally``), so that Scrapy's stats dump prints ``'posts/new'``, not the member."""

    # What became of an article's post (``Outcome``), or of a gone article's state
    POSTS_NEW = "posts/new"
    POSTS_UPDATED = "posts/updated"
    POSTS_UNCHANGED = "posts/unchanged"
    POSTS_KEPT = "posts/kept"
    POSTS_READ_ONLY = "posts/read-only"
    POSTS_DELETED = "posts/deleted"
    POSTS_VIOLATION = "posts/violation"
    POSTS_UNAVAILABLE = "posts/unavailable"
    POSTS_NO_PUBLISH_TIME = "posts/no_publish_time"
    POSTS_UNCONVERTIBLE = "posts/unconvertible"
    POSTS_WRITE_FAILED = "posts/write_failed"
    # Pages that are no article (``PageReason``), or that were not had
    PAGES_DELETED = "pages/deleted"
    PAGES_VIOLATION = "pages/violation"
    PAGES_UNAVAILABLE = "pages/unavailable"
    PAGES_EXPIRED = "pages/expired"
    PAGES_BAD_PARAMS = "pages/bad_params"
    PAGES_VERIFICATION = "pages/verification"
    PAGES_UNKNOWN = "pages/unknown"
    PAGES_UNPARSEABLE = "pages/unparseable"
    PAGES_FETCH_FAILED = "pages/fetch_failed"
    PAGES_NOT_IMPORTED = "pages/not_imported"
    PAGES_BLOCKED = "pages/blocked"  # article pages; not among those not fetched
    LISTINGS_BLOCKED = "listings/blocked"  # a listing's page (its source failed)
    PAGES_HANDED_BACK = "pages/handed_back"  # by a fetch node, to the frontier
    # Article requests: listed by a source, found by a link, made, answered or failed
    ARTICLES_LISTED = "articles/listed"
    ARTICLES_LINKED = "articles/linked"
    ARTICLES_REQUESTED = "articles/requested"
    ARTICLES_HANDLED = "articles/handled"
    ARTICLES_ALREADY_ARCHIVED = "articles/already_archived"
    # settled with no post: deleted or removed before a run archived it, a link to no article
    ARTICLES_GONE_BEFORE = "articles/gone_before_archived"
    LINKS_OFF_HOST = "links/off_host"
    LINKS_FOREIGN = "links/foreign"
    LINKS_WITHOUT_CHKSM = "links/without_chksm"
    LINKS_REFUSED_WITHOUT_CHKSM = "links/refused_without_chksm"
    LINKS_OVER_BUDGET = "links/over_budget"  # short links left to a later run (FOLLOW_LINKS_PER_RUN)
    # Pages and listings not had for a reason of their own, not the network's (a redirect
    # loop, a page beyond DOWNLOAD_MAXSIZE, a block): a run with one found WeChat reachable
    REQUESTS_FAILED_OWN = "requests/failed_own"
    SOURCES_ATTEMPTED = "sources/attempted"
    SOURCES_READ = "sources/read"
    SOURCES_FAILED = "sources/failed"
    SOURCES_FAILED_PAGES = "sources/failed_pages"
    SOURCES_PART_AS_BEFORE = "sources/part_as_before"  # an album read in part as at its last read: said
    SOURCES_CUT_SHORT = "sources/cut_short"  # its next page unasked as the run was cut short
    ALBUMS_LEFT = "albums/left"
    ALBUMS_GONE = "albums/gone"  # known from a page, now answered with an error
    ALBUMS_UNLINKED = "albums/unlinked"  # items of albums read that link no article
    MEND_READS = "mend/reads"  # answers of no host: the mend's request for nothing (crawler.watch.mend)
    IMPORT_PAGES = "imports/pages"  # saved pages an import was given
    ARTICLES_GIVEN = "articles/given"  # article links ``crawl article`` was given
    IMAGES_ALREADY_STORED = "images/already_stored"
    IMAGES_DOWNLOADED = "images/downloaded"
    IMAGES_FAILED = "images/failed"
    IMAGES_WRITE_FAILED = "images/write_failed"  # of those, failed on the disk (a full one)
    IMAGES_FAILING = "images/failing"  # of those, failing since an earlier run that said so
    CAPTURES_FAILED = "captures/failed"
    STATE_WRITE_FAILED = "state/write_failed"
    JOB_REQUESTS_LOST = "job/requests_lost"  # held by a job folder that could not be written
    MEMORY_WRITE_FAILED = "run/memory_write_failed"  # what a run keeps on disk (crawler.runsets)
    STOP_LEFT = "stop/left"  # pages a stop left queued, listings then in hand, sources unasked (ask_to_stop)
    JOB_NOT_ENDED = "job/not_ended"  # a distributed job its writer finished and could not end (Redis away)
    STATE_READ_FAILED = "state/read_failed"
    ITEMS_FAILED = "items/failed"  # items a pipeline raised an error on that nothing handles
    BLOCKS_DETECTED = "blocks/detected"
    BLOCK_RETRIES = "blocks"  # get_retry_request's base: blocks/count, blocks/max_reached
    ACCOUNTS_STALE = "accounts/stale"
    ACCOUNTS_DELETIONS = "accounts/deletions"
    # The watch of the originals: articles WeChat answered for it, changes seen (``WatchBook``)
    WATCH_REQUESTED = "watch/requested"
    WATCH_WECHATS = "watch/wechats"  # of those, answered with a page only WeChat gives
    WATCH_DELETED = "watch/deleted"
    WATCH_REMOVED = "watch/removed"
    WATCH_EDITED = "watch/edited"
    WATCH_RESTORED = "watch/restored"
    # The mappings per source and per account (``Tally.by_source``, ``by_account``)
    RUN_SOURCES = "run/sources"
    RUN_ACCOUNTS = "run/accounts"
    # Scrapy's own: what its scheduler counts (a fetch node's counts as it would), and what
    # the summary reads
    SCHEDULER_ENQUEUED_MEMORY = "scheduler/enqueued/memory"
    SCHEDULER_DEQUEUED_MEMORY = "scheduler/dequeued/memory"
    SCHEDULER_DEQUEUED_REDIS = "scheduler/dequeued/redis"
    START_TIME = "start_time"
    FINISH_REASON = "finish_reason"
    DOWNLOADER_EXCEPTIONS = "downloader/exception_count"
    DOWNLOADER_RESPONSES = "downloader/response_count"
    LOG_WARNINGS = "log_count/WARNING"  # lines logged at WARNING (LogCount)
    SPIDER_EXCEPTIONS = "spider_exceptions/count"  # errors of callbacks nothing handles

    @classmethod
    def post(cls, what: Outcome | PageReason) -> Stat:
        """``posts/new``: what became of a post, or the state a gone article was given."""
        return cls(f"posts/{what}")

    @classmethod
    def page(cls, reason: PageReason) -> Stat:
        """``pages/deleted``: a page that is no article, by what it is."""
        return cls(f"pages/{reason}")

    @classmethod
    def watch(cls, change: str) -> Stat:
        """``watch/edited``: a change of the originals the watch saw (``WatchBook.counts``)."""
        return cls(f"watch/{change}")

    @property
    def part(self) -> str:
        """What the counts per source and per account call it: ``posts/new`` → ``new``."""
        return self.rsplit("/", 1)[-1]


# How a source's name starts: what kind of source it is (album:…, feed:…, urls:…, link, mp:…,
# homepage:…).
SOURCE_KINDS = {"album": "albums", "link": "links", "feed": "feeds", "urls": "URLs", "mp": "back office",
                "url": "URLs", "import": "imports", "homepage": "homepages"}


def source_kind(source: str) -> str:
    """``album:3001`` → ``album``."""
    return source.split(":", 1)[0]


def named_by_user(source: str) -> bool:
    """Whether ``source`` is the user's own word (``crawl article``'s URLs, an account's
    ``urls``), not a link or listing found on the way: no album is sure to bring it again."""
    return source_kind(source) in ("url", "urls")


def by_kind(stat: Stat, kind: str) -> str:
    """What an account's counts call ``stat`` for the sources of one kind: ``new/album``."""
    return f"{stat.part}/{kind}"


class Tally:
    """Counts of one run, in its Scrapy stats (which exist once the crawl has started)."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler

    @property
    def stats(self) -> StatsCollector:
        assert self.crawler.stats is not None
        return self.crawler.stats

    def count(self, stat: Stat, n: int = 1, *, source: str = "", account: str = "") -> None:
        """Count ``n`` of ``stat`` (``posts/new``) in the totals and, by its part (``new``),
        for ``source`` and for ``account`` (there also by the source's kind: ``new/album``)."""
        self.stats.inc_value(stat.value, n)
        if source:
            self._counter(Stat.RUN_SOURCES, source)[stat.part] += n
        if account:
            counts = self._counter(Stat.RUN_ACCOUNTS, account)
            counts[stat.part] += n
            if source:
                counts[by_kind(stat, source_kind(source))] += n

    def count_of(self, stat: Stat, request: Request) -> None:
        """Count one of ``stat`` for ``request``'s source and account, as the arguments of
        its callback name them."""
        account = request.cb_kwargs.get("account")
        self.count(stat, source=request.cb_kwargs.get("source", ""),
                   account=account.name if account else "")

    def set(self, stat: Stat, value: Any) -> None:
        self.stats.set_value(stat.value, value)

    def by_source(self) -> dict[str, Counter[str]]:
        return dict(self.stats.get_value(Stat.RUN_SOURCES) or {})

    def by_account(self, account: str) -> Counter[str]:
        return (self.stats.get_value(Stat.RUN_ACCOUNTS) or {}).get(account) or Counter()

    def _counter(self, table: Stat, name: str) -> Counter[str]:
        counters = self.stats.get_value(table)
        if counters is None:
            counters = {}
            self.set(table, counters)
        counter: Counter[str] = counters.setdefault(name, Counter())
        return counter

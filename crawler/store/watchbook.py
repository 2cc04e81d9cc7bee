"""The watch's memory in the index (tables ``watch`` and ``watch_events``), and keeping each
post saying what the watch found (``crawler.watch.state``).

``watch`` holds per article when it was last checked (Unix time), WeChat's last answer
that was not the article and since when, and its edits; ``watch_events`` one row per
change seen (``deleted``, ``removed``, ``edited``, ``restored``), what the run summary
and ``scrapy accounts-report`` count.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from crawler.store.index import GONE_SQL, Index
from crawler.store.postfiles import read_post
from crawler.store.posts import is_worse
from crawler.store.readonly import PostWrites
from crawler.watch.state import Schedule, Seen, WatchState, mark, same_source, source_print, unmark
from crawler.wechat.article import CHINA_TIME, Article
from crawler.wechat.urls import ArticleKey


@dataclass(frozen=True)
class WatchRecord:
    """One article's row of ``watch``: its state, and the prints of the page its last fetch
    gave (``source_print``) and of the post made of it (``Seen.text_print``); None: none."""

    state: WatchState
    source: str | None = None
    made: str | None = None


class WatchBook:
    """The two tables, on the index's connection (one database, one transaction scope)."""

    def __init__(self, index: Index):
        self.db = index.connection

    def state(self, key: str) -> WatchState:
        return self.record(key).state

    def record(self, key: str) -> WatchRecord:
        """What ``watch`` holds of the article, in one statement: a fetched page's post asked
        it four, each letting the reactor's thread go."""
        row = self.db.execute("SELECT answer, since, updated, versions, source, made FROM watch "
                              "WHERE key = ?", (key,)).fetchone()
        return WatchRecord(WatchState(*row[:4]), *row[4:]) if row else WatchRecord(WatchState())

    def save(self, key: str, state: WatchState) -> None:
        self.db.execute(
            "INSERT INTO watch (key, answer, since, updated, versions) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT(key) DO UPDATE SET answer = excluded.answer, since = excluded.since, "
            "updated = excluded.updated, versions = excluded.versions",
            (key, state.answer, state.since, state.updated, state.versions))

    def checked(self, key: str, at: float, source: str | None = None, made: str | None = None) -> None:
        """Record a check at ``at`` and, when given, the ``source_print`` of the page (fetched
        then) and the ``Seen.text_print`` of the post made of it."""
        self.db.execute("INSERT INTO watch (key, checked, source, made, fetched) VALUES (?, ?, ?, ?, ?) "
                        "ON CONFLICT(key) DO UPDATE SET checked = excluded.checked, "
                        "source = coalesce(excluded.source, source), "
                        "made = coalesce(excluded.made, made), "
                        "fetched = coalesce(excluded.fetched, fetched)",
                        (key, int(at), source, made, int(at) if source is not None else None))

    def fetched(self, key: str) -> int | None:
        """When the article's page was last fetched (seconds since the epoch), if known."""
        row = self.db.execute("SELECT fetched FROM watch WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def mended(self, key: str, at: float, captured: float) -> None:
        """Record that the post of article ``key`` was made again at ``at`` from its capture
        of ``captured`` (``crawler.watch.mend``): the others come first next time; and, unless
        known, that its page was last fetched then (next time its file alone is read)."""
        self.db.execute("INSERT INTO watch (key, mended, fetched) VALUES (?, ?, ?) "
                        "ON CONFLICT(key) DO UPDATE SET mended = excluded.mended, "
                        "fetched = coalesce(fetched, excluded.fetched)", (key, int(at), int(captured)))

    def source(self, key: str) -> str | None:
        """The ``source_print`` of the page the last fetch of the article gave."""
        row = self.db.execute("SELECT source FROM watch WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def event(self, key: str, kind: str, at: float) -> None:
        # to the fraction of a second: two runs can start within one
        self.db.execute("INSERT INTO watch_events VALUES (?, ?, ?)", (key, kind, at))

    def due(self, limit: int, now: float, schedule: Schedule) -> list[tuple[str, str]]:
        """(key, link) of at most ``limit`` articles due for a check, the most overdue
        first: those archived, and those deleted or removed before they were (should a page
        answer again, it is archived then; no source asks for it again). Most overdue: how
        long since the last check (else since publication) over how often it is due, so
        that young ones come round more often than old ones and none waits for ever. The
        link is one WeChat answered before if known: a listing's (with ``chksm``), else one
        with ``chksm`` it was fetched by (the user's), else a short one, else the canonical
        URL.

        Due a 24th of its period early (an hour of a day): a run decides what is due when it
        starts, and records a check when the page comes, later in the run; a daily run would
        else find yesterday's check 23 hours and some minutes old, and look every other day."""
        every = ("CASE WHEN coalesce(a.published, 0) >= :young THEN :young_every "
                 "ELSE :old_every END")
        # a check over a day ahead of ``now`` was recorded by a clock set wrong: taken as none
        checked = "CASE WHEN w.checked > :now + 86400 THEN NULL ELSE w.checked END"
        waited = f":now - coalesce({checked}, a.published, 0)"
        fetched = ("(SELECT s.url FROM links s WHERE s.key = a.key AND s.url {} "
                   "ORDER BY s.url LIMIT 1)")
        signed, short = fetched.format("LIKE '%chksm=_%'"), fetched.format("NOT LIKE '%?%'")
        return self.db.execute(
            f"SELECT a.key, coalesce(l.url, {signed}, {short}, a.url) FROM articles a "
            f"LEFT JOIN watch w ON w.key = a.key LEFT JOIN listed_links l ON l.key = a.key "
            f"WHERE (a.path != '' OR a.state IN {GONE_SQL}) AND ({waited}) * 24 >= ({every}) * 23 "
            f"ORDER BY ({waited}) * 1.0 / max({every}, 1) DESC, a.key LIMIT :limit",
            {"now": int(now), "young": int(now - schedule.young_days * 86400),
             "young_every": int(schedule.young_every * 86400),
             "old_every": int(schedule.old_every * 86400), "limit": limit}).fetchall()

    def upstream(self, biz: str) -> Counter[str]:
        """How many of account ``biz``'s archived articles are now ``deleted`` or ``removed``
        upstream, and how many were ``edited`` there since archived."""
        try:
            row = self.db.execute(
                "SELECT coalesce(sum(answer = 'deleted'), 0), coalesce(sum(answer = 'violation'), 0), "
                "coalesce(sum(versions > 1), 0) FROM watch WHERE key > ? AND key < ?",
                ArticleKey.account_range(biz)).fetchone()
        except sqlite3.OperationalError:  # an index no run of the watch has opened yet
            return Counter()
        return +Counter(dict(zip(("deleted", "removed", "edited"), map(int, row), strict=True)))

    def gone_since(self, since: float, until: float) -> set[str]:
        """The ``__biz`` of each account an original of which was seen deleted or removed
        from ``since`` to ``until`` (now: one seen by a clock set ahead is no news of today)."""
        try:
            rows = self.db.execute("SELECT DISTINCT key FROM watch_events WHERE at >= ? AND at <= ? "
                                   "AND kind IN ('deleted', 'removed')", (since, until)).fetchall()
        except sqlite3.OperationalError:  # an index no run of the watch has opened yet
            return set()
        return {ArticleKey(key).biz for (key,) in rows} - {""}

    def gone_originals(self, biz: str, since: float, until: float) -> int:
        """How many originals of account ``biz`` were seen deleted or removed from ``since``
        to ``until``, each once, however often its state changed (deleted, then removed)."""
        try:
            [(gone,)] = self.db.execute(
                "SELECT count(DISTINCT key) FROM watch_events WHERE at >= ? AND at <= ? AND key > ? "
                "AND key < ? AND kind IN ('deleted', 'removed')",
                [since, until, *ArticleKey.account_range(biz)]).fetchall()
        except sqlite3.OperationalError:  # an index no run of the watch has opened yet
            return 0
        return int(gone)

    def counts(self, since: float = 0) -> Counter[str]:
        """Changes seen (``deleted``, ``removed``, ``edited``, ``restored``) since ``since``."""
        try:
            rows = self.db.execute(
                "SELECT kind, count(*) FROM watch_events WHERE at >= ? GROUP BY kind", (since,))
            return Counter({kind: int(n) for kind, n in rows})
        except sqlite3.OperationalError:  # an index no run of the watch has opened yet
            return Counter()


class Watched:
    """Keeps the posts saying what the watch found: the archive's hook into writing a post
    (``stamp``), and marking a post whose original is gone (``gone``)."""

    def __init__(self, book: WatchBook, writes: PostWrites, image_identity: Callable[[str], str]):
        self.book = book
        self.writes = writes
        self.image_identity = image_identity

    def stamp(self, article: Article, text: str, path: Path, *, fetched: bool,
              record: WatchRecord | None = None) -> str:
        """``text``, the post of ``article`` about to be written to ``path``, saying the
        article's state.

        ``fetched``: the page was fetched from WeChat just now (not re-rendered from a
        capture, not imported), so the original is there, and checked; and if the page is
        not what it was at the last fetch, what a reader sees differs from the post written
        before, and the new post is not worse (it is then written), that is an edit upstream.
        ``record``: the article's ``WatchBook.record``, when the caller read it in this step.
        """
        key = article.key
        record = record or self.book.record(key)
        if not fetched:
            return mark(text, record.state)
        old = read_post(path) if path.exists() else None  # unreadable: nothing recorded
        now = datetime.now(CHINA_TIME)
        source = source_print(article)
        seen = Seen.of(text, self.image_identity)
        worse = old is not None and is_worse(text, unmark(old), self.image_identity)
        # A page never fetched before (imported, or archived before pages were recorded) is
        # not known to have changed: what differs may be only where its post came from. The
        # post kept (the page is worse) stays the one the next page is weighed against.
        self.book.checked(key, now.timestamp(), source, None if worse else seen.text_print())
        same_page = record.source is None or same_source(record.source, source)
        before = state = record.state
        if state.answer:
            state = state.live()
            if before.status:
                self.book.event(key, "restored", now.timestamp())
        # the notice of an original gone is no text of the article
        if old is not None and not same_page and not worse \
                and _seen_otherwise(Seen.of(old, self.image_identity), record.made, seen):
            state = state.edited(f"{now:%Y-%m-%d}")
            self.book.event(key, "edited", now.timestamp())
        if state != before:
            self.book.save(key, state)
        if before.status and old is not None:  # back: the page is weighed against the post alone
            self.restamp(key, path)
        return mark(text, state)

    def fetched_before(self, article: Article) -> bool:
        """Whether the page of ``article`` is the one the last fetch of it gave (before
        ``stamp`` records this one)."""
        return same_source(self.book.source(article.key), source_print(article))

    def restamp(self, key: str, path: Path) -> None:
        """The post at ``path`` made to say the article's state now: one whose original is
        gone, and one kept because the page fetched was worse (an original back, even worse,
        is no longer marked gone)."""
        old = read_post(path)
        text = mark(old, self.book.state(key))
        if text != old:
            self.writes.write(path, text.encode("utf-8"))

    def gone(self, key: str, answer: str, path: Path | None) -> WatchState | None:
        """Record that WeChat answered ``answer`` (a ``PageReason`` value) for the article;
        mark its post when that makes it gone, or when an earlier mark could not be written.
        The article's state when the answer changed it (a status newly given, an answer not
        recorded before), else None. One with no post (``path`` None: gone before it was
        archived) has only the check recorded: the watch asks again in its turn."""
        now = datetime.now(CHINA_TIME)
        self.book.checked(key, now.timestamp())
        if path is None:
            return None
        before = self.book.state(key)
        state = before.answered(answer, f"{now:%Y-%m-%d}")
        if state != before:
            self.book.save(key, state)
        if state.status and state.status != before.status:
            self.book.event(key, state.status, now.timestamp())
        if state.status and path.exists():
            self.restamp(key, path)
        return state if state != before else None


def _seen_otherwise(old: Seen, made: str | None, new: Seen) -> bool:
    """Whether a reader sees ``new`` otherwise than the archived post ``old`` and, when it
    is recorded, than the text of the post a fetch last made (``made``, a
    ``Seen.text_print``): a person may have edited the archived post since."""
    return old != new and (made is None or made != new.text_print() or old.images != new.images)

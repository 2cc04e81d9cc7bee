"""What the index knows of each account (tables ``accounts``, ``albums``, ``album_articles``,
``homepages``, ``links_to_follow``, ``foreign_links``, ``quiet_alarms``): its ``__biz``, its albums and
their members, the links its pages gave, and what its coverage report and its alarms read.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from crawler.store.index import GONE_SQL, NAMED_ONLY, SETTLED_SQL, Index
from crawler.wechat.urls import ArticleKey, article_key


class AccountBook:
    """The accounts' tables, on the index's connection (one database, one transaction scope)."""

    def __init__(self, index: Index):
        self.db = index.connection

    def account_biz(self, name: str) -> str | None:
        """The ``__biz`` an account of the accounts file was found to have."""
        row = self.db.execute("SELECT biz FROM accounts WHERE name = ?", (name,)).fetchone()
        return row[0] if row else None

    def set_account(self, name: str, biz: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO accounts VALUES (?, ?)", (name, biz))

    def remember_album(self, album_id: str, biz: str, title: str = "",
                       article_count: int | None = None, read_at: str | None = None) -> None:
        """Record an album of account ``biz``; what is not given keeps its recorded value."""
        self.db.execute(
            "INSERT INTO albums (album_id, biz, title, article_count, last_read) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT(album_id) DO UPDATE SET "
            "biz = coalesce(nullif(excluded.biz, ''), biz), "
            "title = coalesce(nullif(excluded.title, ''), title), "
            "article_count = coalesce(excluded.article_count, article_count), "
            "last_read = coalesce(excluded.last_read, last_read)",
            (album_id, biz, title, article_count, read_at))

    def album_biz(self, album_id: str) -> str | None:
        """The ``__biz`` of the account album ``album_id`` is recorded as of; None if unknown."""
        row = self.db.execute("SELECT biz FROM albums WHERE album_id = ?", (album_id,)).fetchone()
        return row[0] if row else None

    def albums_of(self, biz: str) -> list[str]:
        """The ids of the albums known of account ``biz``."""
        rows = self.db.execute("SELECT album_id FROM albums WHERE biz = ? ORDER BY album_id", (biz,))
        return [album_id for (album_id,) in rows]

    def add_album_articles(self, album_id: str, keys: Iterable[str]) -> None:
        """Record ``keys`` as members of the album (again, if they had left it): its listing
        lists them."""
        self.db.executemany("INSERT INTO album_articles (album_id, key) VALUES (?, ?) "
                             "ON CONFLICT(album_id, key) DO UPDATE SET left_at = NULL",
                             [(album_id, key) for key in keys])

    def add_album_named(self, album_id: str, key: str) -> None:
        """Record that the page of ``key`` names the album, when its listing has not spoken of
        it: the album's own JSON says who its members are. A page may keep naming an album
        its owner took the article out of (no capture shows whether it does), and as a member
        the article was said to leave the album at each read to its end after its page was
        fetched again (the watch's). Kept as not listed (``NAMED_ONLY``): known not
        archived while it is not, never said to leave, and no cause to read the album."""
        self.db.execute("INSERT OR IGNORE INTO album_articles (album_id, key, left_at) VALUES (?, ?, ?)",
                        (album_id, key, NAMED_ONLY))

    def album_signature(self, album_id: str) -> tuple[str | None, str | None]:
        """(what the album's first page and count were when it was last read whole, when)."""
        row = self.db.execute("SELECT signature, read_whole FROM albums WHERE album_id = ?",
                               (album_id,)).fetchone()
        return (row[0], row[1]) if row else (None, None)

    def album_read_whole(self, album_id: str, signature: str, members: set[str], at: str,
                         overcount: int = 0) -> int:
        """Record an album read to its end: its ``signature``, how many more its first
        screen counts than it lists (``overcount``), and that the known members not among
        ``members`` left it (``at``). How many left now."""
        departed = self.album_members(album_id) - members
        self.db.executemany("UPDATE album_articles SET left_at = ? WHERE album_id = ? AND key = ?",
                             [(at, album_id, key) for key in sorted(departed)])
        self.db.execute("UPDATE albums SET signature = ?, read_whole = ?, overcount = ?, short_read = NULL "
                        "WHERE album_id = ?", (signature, at, overcount, album_id))
        return len(departed)

    def album_read_short(self, album_id: str, why: str) -> None:
        """Record that a read of the album to its end came short, ``why`` as its line said."""
        self.db.execute("UPDATE albums SET short_read = ? WHERE album_id = ?", (why, album_id))

    def album_short_read(self, album_id: str) -> str | None:
        """Why the album's last read to its end came short, as its line said; None when it
        was read whole since (or never came short)."""
        row = self.db.execute("SELECT short_read FROM albums WHERE album_id = ?", (album_id,)).fetchone()
        return row[0] if row else None

    def album_overcount(self, album_id: str) -> int:
        """How many more members the album's first screen counted than its pages listed
        from either end, at its last read to its end (0: none, or never read so)."""
        row = self.db.execute("SELECT overcount FROM albums WHERE album_id = ?", (album_id,)).fetchone()
        return row[0] or 0 if row else 0

    def album_members(self, album_id: str, *, departed: bool = False) -> set[str]:
        """The keys of the album's current members (or of those that left it)."""
        condition = f"!= '{NAMED_ONLY}'" if departed else "IS NULL"
        return {key for (key,) in self.db.execute(
            f"SELECT key FROM album_articles WHERE album_id = ? AND left_at {condition}",
            (album_id,))}

    def unsettled_in_album(self, album_id: str) -> list[tuple[str, str]]:
        """(key, link a listing gave or "") of the album's members not settled, those that
        left it included: an article taken out of an album is still its account's, and
        asked until it is had. One only its page names (``add_album_named``) with no link a
        listing gave is left out: no read of the album brings it (an unchanged album with
        a member it holds no link of is read to its end, for one)."""
        return self.db.execute(
            "SELECT m.key, coalesce(l.url, '') FROM album_articles m "
            "LEFT JOIN articles a ON a.key = m.key LEFT JOIN listed_links l ON l.key = m.key "
            f"WHERE m.album_id = ? AND (a.state IS NULL OR a.state NOT IN "
            f"{SETTLED_SQL}) AND (m.left_at IS NOT '{NAMED_ONLY}' OR l.url IS NOT NULL) "
            "ORDER BY m.key", (album_id,)).fetchall()

    def back_in_album(self, album_id: str, keys: Iterable[str]) -> set[str]:
        """Of ``keys``, which the album lists, those it did not list at its last read (or
        never had) that WeChat answered deleted or removed before they were archived."""
        listed = list(dict.fromkeys(keys))
        if not listed:
            return set()
        return {key for (key,) in self.db.execute(
            "SELECT a.key FROM articles a LEFT JOIN album_articles m "
            "ON m.album_id = ? AND m.key = a.key "
            f"WHERE a.key IN ({', '.join('?' * len(listed))}) AND a.path = '' "
            f"AND a.state IN {GONE_SQL} AND (m.key IS NULL OR m.left_at IS NOT NULL)",
            (album_id, *listed))}

    def remember_homepage(self, url: str, biz: str) -> None:
        """Record an account homepage (主页) of account ``biz``."""
        self.db.execute("INSERT OR REPLACE INTO homepages VALUES (?, ?)", (url, biz))

    def homepages_of(self, biz: str) -> list[str]:
        """The homepages known of account ``biz``."""
        return [url for (url,) in self.db.execute("SELECT url FROM homepages WHERE biz = ? ORDER BY url",
                                                  (biz,))]

    def follow_later(self, url: str, biz: str) -> None:
        """Remember a link to an article of account ``biz``, followed by every run of that
        account until its article is settled (a short link, taken for the account of the page
        it was on, is given to another account once its page says so)."""
        self.db.execute("INSERT INTO links_to_follow VALUES (?, ?, ?) "
                         "ON CONFLICT(url) DO UPDATE SET biz = excluded.biz",
                         (url, biz, article_key(url) or ""))

    def links_to_follow(self, biz: str) -> list[str]:
        """The links on account ``biz``'s pages whose article is not settled (never fetched,
        a page that failed, a run stopped) and not found to be another account's. A short
        link to a page that is gone and names no article is settled under its own URL."""
        return [url for (url,) in self.db.execute(
            "SELECT f.url FROM links_to_follow f LEFT JOIN links l ON l.url = f.url "
            "LEFT JOIN articles a ON a.key = coalesce(nullif(f.key, ''), l.key, f.url) "
            f"WHERE f.biz = ? AND (a.state IS NULL OR a.state NOT IN {SETTLED_SQL}) "
            "AND (l.key IS NULL OR (l.key > ? AND l.key < ?)) ORDER BY f.url",
            (biz, *ArticleKey.account_range(biz)))]

    def add_foreign_link(self, key: str, biz: str, seen_from: str) -> None:
        """Remember a link to another account's article (from account ``seen_from``)."""
        self.db.execute("INSERT OR IGNORE INTO foreign_links VALUES (?, ?, ?)",
                         (key, biz, seen_from))

    # -- what an account's coverage report reads ---------------------------------------------
    def account_coverage(self, biz: str) -> tuple[int, int, int]:
        """(articles archived, albums known, links to other accounts seen) of account ``biz``."""
        archived = self.db.execute(
            "SELECT count(*) FROM articles WHERE key > ? AND key < ? AND path != ''",
            ArticleKey.account_range(biz)).fetchone()[0]
        albums = self.db.execute("SELECT count(*) FROM albums WHERE biz = ?", (biz,)).fetchone()[0]
        foreign = self.db.execute("SELECT count(*) FROM foreign_links WHERE seen_from = ?",
                                   (biz,)).fetchone()[0]
        return int(archived), int(albums), int(foreign)

    def configured_tags_given(self, biz: str) -> list[tuple[str, list[str]]]:
        """(key, the tags an account's configuration gave its post) of each archived article
        of account ``biz``."""
        rows = self.db.execute(
            "SELECT a.key, c.tags FROM articles a LEFT JOIN configured_tags c ON c.key = a.key"
            " WHERE a.key > ? AND a.key < ? AND a.path != ''", ArticleKey.account_range(biz))
        return [(key, [str(tag) for tag in json.loads(tags)] if tags else []) for key, tags in rows]

    def known_not_archived(self, biz: str) -> int:
        """How many articles of account ``biz`` the index knows and holds no post of, and
        that are not gone: members of its albums, articles its pages link to (one refused
        without ``chksm`` included); what later runs are to fetch."""
        low, high = ArticleKey.account_range(biz)
        return int(self.db.execute(
            "SELECT count(*) FROM ("
            " SELECT m.key AS key FROM albums b JOIN album_articles m ON m.album_id = b.album_id"
            "  WHERE b.biz = ?"
            " UNION SELECT coalesce(nullif(f.key, ''), l.key) FROM links_to_follow f"
            "  LEFT JOIN links l ON l.url = f.url WHERE f.biz = ?"
            " UNION SELECT key FROM articles WHERE key > ? AND key < ? AND path = ''"
            ") known LEFT JOIN articles a ON a.key = known.key WHERE known.key > ? AND known.key < ?"
            f" AND (a.key IS NULL OR a.path = '' AND a.state NOT IN {SETTLED_SQL})",
            (biz, biz, low, high, low, high)).fetchone()[0])

    def archived_accounts(self) -> list[tuple[str, str]]:
        """(``__biz``, the file name of its newest post) of every account with a post; keys
        that are URLs (``ArticleKey``: a page that gave no ids) are of no account."""
        newest: dict[str, str] = {}
        for key, path in self.db.execute("SELECT key, path FROM articles WHERE path != ''"):
            biz = ArticleKey(key).biz
            if biz and path > newest.get(biz, ""):
                newest[biz] = path
        return sorted(newest.items())

    def publish_times(self, biz: str, newest: int) -> list[int]:
        """The publish times (Unix) of the ``newest`` latest publications of account ``biz``:
        the articles of one push (idx 1, 2, 3) share one time."""
        rows = self.db.execute(
            "SELECT DISTINCT published FROM articles WHERE key > ? AND key < ? AND published IS NOT NULL "
            "ORDER BY published DESC LIMIT ?", (*ArticleKey.account_range(biz), newest))
        return [int(published) for (published,) in rows]

    def quiet_alarm_given(self, biz: str, newest: int) -> bool:
        """Whether the quiet alarm of account ``biz`` was given while its newest article was
        the one published at ``newest`` (this quiet spell); records that it is, from now."""
        given = self.db.execute("SELECT 1 FROM quiet_alarms WHERE biz = ? AND newest = ?",
                                 (biz, newest)).fetchone() is not None
        if not given:
            self.db.execute("INSERT OR REPLACE INTO quiet_alarms VALUES (?, ?)", (biz, newest))
        return given

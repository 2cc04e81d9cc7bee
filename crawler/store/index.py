"""The archiver's memory between runs: which images and articles are already stored, by
what links, with which tags. One database: what is known of each account (its albums,
which articles each album holds) is read and written through ``AccountBook``
(``crawler.store.accountbook``), what the watch found through ``WatchBook``.

SQLite in ``<ARCHIVE_DIR>/.state/``: it travels with the archive, Jekyll never publishes a
dot-folder, and lookups cost one indexed query instead of a scan of the archive. An
article's key starts with its account's ``__biz``, so an account's articles are a range of
the primary key.
"""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from enum import StrEnum
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from w3lib.url import canonicalize_url

from crawler.wechat.article import PageReason
from crawler.wechat.urls import ArticleKey, article_key, homepage_link, short_link_alone

# A URL's canonical form, as Scrapy's fingerprints read it: asked when a new picture is looked
# up, then again when it is recorded (40 us each); the last pictures' remembered.
_form = lru_cache(maxsize=256)(canonicalize_url)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS images (url TEXT PRIMARY KEY, name TEXT NOT NULL, key TEXT, form TEXT);
CREATE TABLE IF NOT EXISTS blobs (sha256 TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS links (url TEXT PRIMARY KEY, key TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS listed_links (key TEXT PRIMARY KEY, url TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles (
    key TEXT PRIMARY KEY, url TEXT NOT NULL, path TEXT NOT NULL DEFAULT '', state TEXT NOT NULL,
    published INTEGER, tags TEXT
);
CREATE TABLE IF NOT EXISTS accounts (name TEXT PRIMARY KEY, biz TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS albums (
    album_id TEXT PRIMARY KEY, biz TEXT NOT NULL, title TEXT NOT NULL DEFAULT '',
    article_count INTEGER, last_read TEXT, signature TEXT, read_whole TEXT, overcount INTEGER,
    short_read TEXT
);
CREATE INDEX IF NOT EXISTS albums_of_account ON albums (biz);
CREATE TABLE IF NOT EXISTS album_articles (
    album_id TEXT NOT NULL, key TEXT NOT NULL, left_at TEXT, PRIMARY KEY (album_id, key)
);
CREATE TABLE IF NOT EXISTS homepages (url TEXT PRIMARY KEY, biz TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS links_to_follow (url TEXT PRIMARY KEY, biz TEXT NOT NULL,
                                            key TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS links_to_follow_of_account ON links_to_follow (biz);
CREATE TABLE IF NOT EXISTS foreign_links (key TEXT PRIMARY KEY, biz TEXT NOT NULL,
                                          seen_from TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS watch (
    key TEXT PRIMARY KEY, checked INTEGER, answer TEXT, since TEXT, updated TEXT,
    versions INTEGER NOT NULL DEFAULT 1, source TEXT, made TEXT, fetched INTEGER, mended INTEGER
);
CREATE INDEX IF NOT EXISTS links_of_key ON links (key);
CREATE INDEX IF NOT EXISTS articles_by_path_nocase ON articles (path COLLATE NOCASE);
DROP INDEX IF EXISTS articles_by_path;  -- the index of paths before case was ignored
CREATE TABLE IF NOT EXISTS post_links (from_key TEXT NOT NULL, to_id TEXT NOT NULL,
                                       PRIMARY KEY (to_id, from_key));
CREATE INDEX IF NOT EXISTS post_links_from ON post_links (from_key);
CREATE TABLE IF NOT EXISTS watch_events (key TEXT NOT NULL, kind TEXT NOT NULL, at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS watch_events_of_key ON watch_events (key);
CREATE TABLE IF NOT EXISTS tool_tags (key TEXT PRIMARY KEY, tags TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS configured_tags (key TEXT PRIMARY KEY, tags TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS quiet_alarms (biz TEXT PRIMARY KEY, newest INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS image_failures (url TEXT PRIMARY KEY, first INTEGER NOT NULL,
                                           said INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS rewrites (post TEXT PRIMARY KEY, kept TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS imported_pages (url TEXT NOT NULL, sha256 TEXT NOT NULL,
                                           file TEXT NOT NULL, start INTEGER,
                                           PRIMARY KEY (url, sha256));
"""
# Columns added since the first index: added to an older index when it is opened.
_ADDED_COLUMNS = {"images": {"key": "TEXT", "form": "TEXT"},
                  "articles": {"published": "INTEGER", "tags": "TEXT", "refused": "TEXT"},
                  "albums": {"signature": "TEXT", "read_whole": "TEXT", "overcount": "INTEGER",
                             "short_read": "TEXT"},
                  "album_articles": {"left_at": "TEXT"},
                  "watch": {"made": "TEXT", "fetched": "INTEGER", "mended": "INTEGER"},
                  "imported_pages": {"start": "INTEGER"}}
# ``left_at`` of an album's row for an article its page names as the album's that the
# album's listing never listed (``AccountBook.add_album_named``): no member that may leave it
NAMED_ONLY = ""
# What the rows mean (SQLite's ``user_version``): from 1, an album's rows that its pages
# alone name (``NAMED_ONLY``) are told apart from its members; from 2, a short link and a
# homepage are known by the one form a run asks them by (``_links_in_one_form``)
_VERSION = 2



class ArticleState(StrEnum):
    """What the index knows of an article."""

    ARCHIVED = "archived"
    INCOMPLETE = "incomplete"  # archived, but an image failed for a reason that may pass
    # Incomplete, and its original gone (the watch's book says how): no run finds it again, so
    # its images are tried again from its raw capture (``crawler.watch.mend``).
    GONE_INCOMPLETE = "gone_incomplete"
    # Reached only by a link without chksm, which WeChat answered with the verification
    # page: fetched when a listing (an album) gives a link with one.
    NEEDS_LINK = "needs_link"
    # A link (its URL the key) that leads to no article and never will (``LinkDead``)
    DEAD_LINK = "dead_link"
    DELETED = PageReason.DELETED.value
    VIOLATION = PageReason.VIOLATION.value


# Not fetched again by scheduled runs: nothing more is to be had.
SETTLED = frozenset({ArticleState.ARCHIVED, ArticleState.GONE_INCOMPLETE, ArticleState.DEAD_LINK,
                     *(ArticleState(reason) for reason in PageReason if reason.gone)})
SETTLED_SQL = "(" + ", ".join(f"'{state}'" for state in sorted(SETTLED)) + ")"
GONE_SQL = "(" + ", ".join(f"'{reason}'" for reason in sorted(PageReason) if reason.gone) + ")"
# Before the quick check's first problem, on a line of its own
_CHECK_HEADER = re.compile(r"\A\*\*\* in database \S+ \*\*\*\s*")


class _Connection(sqlite3.Connection):
    """The index's connection, whose writes stop waiting for another process's lock once one
    has waited it out: a person's SQLite tool holding a change unsaved during a run made each
    write wait the whole timeout, the crawl stopped meanwhile (an article, minutes)."""

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        try:
            return super().execute(sql, parameters)
        except sqlite3.OperationalError as error:
            self._impatient(error)
            raise

    def executemany(self, sql: str, parameters: Any, /) -> sqlite3.Cursor:
        try:
            return super().executemany(sql, parameters)
        except sqlite3.OperationalError as error:
            self._impatient(error)
            raise

    def _impatient(self, error: sqlite3.OperationalError) -> None:
        """No more waiting once a wait ran out. Not a context manager: the index runs some
        90 statements an article, and one cost 1.3 us more so."""
        if getattr(error, "sqlite_errorname", "") == "SQLITE_BUSY":
            super().execute("PRAGMA busy_timeout = 0")


class Index:
    """Images by URL and by content hash; articles by ``__biz:mid:idx`` key."""

    def __init__(self, path: Path, read_only: bool = False):
        """Open (or create) the index; ``read_only`` opens an existing one only for reading.

        ``sqlite3.DatabaseError`` when the file is not a usable SQLite database.
        """
        if path.exists() and not path.is_file():  # a FIFO: SQLite would wait for its writer
            raise sqlite3.DatabaseError("not a regular file")
        if read_only and not path.exists():  # nothing indexed yet
            self._db = sqlite3.connect(":memory:", isolation_level=None)
            self._db.executescript(f"BEGIN; {_SCHEMA} COMMIT;")  # one write to the WAL, not one a table
            return
        if read_only:
            self._db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
            try:
                self._check()
            except sqlite3.OperationalError as error:
                if getattr(error, "sqlite_errorname", "") != "SQLITE_CANTOPEN":
                    raise
                # A folder this user cannot write (a read-only disk, another user's archive):
                # WAL mode's -shm file, shared with a writer, cannot be made, so no writer
                # has the index open. Read the file as it is.
                self._db.close()
                self._db = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True,
                                           isolation_level=None)
                self._check()
            self._db.execute("SELECT count(*) FROM articles")
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None, timeout=30, factory=_Connection)
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._check()
            self._db.executescript(f"BEGIN; {_SCHEMA} COMMIT;")  # one write to the WAL, not one a table
            self._add_missing_columns()
            self._upgrade()
            # Another process writing it (a person's SQLite tool, a change not saved), or a
            # file this user may not write (opened read-only without a word): every write
            # would fail. Said now, in the one line, by a write that changes nothing.
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute("DELETE FROM quiet_alarms WHERE 0")
            self._db.execute("ROLLBACK")
        except sqlite3.DatabaseError:
            self._db.close()
            raise

    def close(self) -> None:
        self._db.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """What is written inside, all of it or (an error) none; one commit to the WAL."""
        self._db.execute("BEGIN")
        try:
            yield
            self._db.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")
            raise

    def _check(self) -> None:
        """``sqlite3.DatabaseError`` (``SQLITE_CORRUPT``) for a file damaged anywhere: else a
        damaged page is found only when a run reads it, a traceback that costs the article
        in hand. SQLite's quick check reads every page (0.2 s for 100 MB), not the indexes'
        agreement with their tables."""
        problems = [_CHECK_HEADER.sub("", row, count=1).partition("\n")[0]
                    for (row,) in self._db.execute("PRAGMA quick_check")]
        if problems != ["ok"]:
            error = sqlite3.DatabaseError("database disk image is malformed: "
                                          + (problems[0] or "the quick check failed"))
            error.sqlite_errorname = "SQLITE_CORRUPT"
            raise error

    @property
    def connection(self) -> sqlite3.Connection:
        """The open database, for the tables another module owns (``crawler.store.watchbook``)."""
        return self._db

    @cached_property
    def _forms(self) -> bool:
        """Whether the images are known by their URLs' canonical form too: not in an index
        from before it that ``verify`` opened read-only."""
        return self._db.execute("SELECT 1 FROM sqlite_master WHERE name = 'images_by_form'").fetchone() \
            is not None

    def image_name(self, url: str) -> str | None:
        """The file of ``url``'s image; else of another URL of the same query in another order
        (``?a=1&b=2``, ``?b=2&a=1``), which Scrapy takes for one request."""
        return self.image_names([url]).get(url)

    def image_names(self, urls: Iterable[str]) -> dict[str, str]:
        """``image_name`` of each of ``urls`` that the index knows, by URL: an article's
        pictures in one statement (up to ``_AT_ONCE`` of them), where each picture was one,
        and each statement lets the reactor's thread go."""
        names: dict[str, str] = {}
        for part in _parts(dict.fromkeys(urls)):
            if not self._forms:
                names.update(self._db.execute(f"SELECT url, name FROM images WHERE url IN ({_marks(part)})",
                                              part))
                continue
            forms = [_form(url) for url in part]
            rows = self._db.execute(f"SELECT url, name, form FROM images WHERE url IN ({_marks(part)}) "
                                    f"OR form IN ({_marks(part)})", [*part, *forms]).fetchall()
            exact = {url: name for url, name, _ in rows}
            by_form: dict[str, str] = {}
            for _, name, form in rows:
                by_form.setdefault(form, name)
            names.update((url, found) for url, form in zip(part, forms, strict=True)
                         if (found := exact.get(url) or by_form.get(form)))
        return names

    def blob_digests(self) -> dict[str, str]:
        """The SHA-256 of each image file's bytes as stored, by file name."""
        return dict(self._db.execute("SELECT name, sha256 FROM blobs"))

    def blob_and_name(self, sha256: str, name: str) -> tuple[str | None, bool]:
        """The file of the bytes of SHA-256 ``sha256``, and whether file ``name`` is some
        bytes' already."""
        files, taken = self.blobs_and_names([(sha256, name)])
        return files.get(sha256), name in taken

    def blobs_and_names(self, wanted: Sequence[tuple[str, str]]) -> tuple[dict[str, str], set[str]]:
        """For each (SHA-256, file name) ``wanted``: the file of those bytes if the index knows
        it, by SHA-256, and whether the name is some bytes' file already (the names taken).
        What an article's new pictures ask, in one statement (up to ``_AT_ONCE`` of them),
        where each picture was one."""
        files: dict[str, str] = {}
        taken: set[str] = set()
        for part in _parts(wanted):
            digests, names = [digest for digest, _ in part], [name for _, name in part]
            marks = _marks(part)
            for digest, found in self._db.execute(
                    f"SELECT sha256, name FROM blobs WHERE sha256 IN ({marks}) OR name IN ({marks})",
                    [*digests, *names]):
                files[digest] = found
                taken.add(found)
        return ({digest: files[digest] for digest, _ in wanted if digest in files},
                taken & {name for _, name in wanted})

    def add_blob(self, sha256: str, name: str) -> None:
        self.add_blobs({sha256: name})

    def add_blobs(self, names: dict[str, str]) -> None:
        """Record the file of each of the bytes of these SHA-256s (one that has one, or whose
        name another's takes, is left as it is), in one statement."""
        for part in _parts(list(names.items())):
            self._db.execute(f"INSERT OR IGNORE INTO blobs VALUES {_rows(part)}",
                             [value for row in part for value in row])

    def add_images(self, names: dict[str, str], key: str) -> None:
        """Record that each URL's image is its file in ``names``, stored for the article
        ``key`` (and failing no more), in one statement."""
        for part in _parts(list(names)):
            rows = [(url, names[url], key, _form(url)) for url in part]
            self._db.execute(f"INSERT OR REPLACE INTO images (url, name, key, form) VALUES {_rows(rows)}",
                             [value for row in rows for value in row])
            if self._failures_recorded:
                self._db.execute(f"DELETE FROM image_failures WHERE url IN ({_marks(part)})", part)

    def image_failure(self, url: str) -> tuple[int, int] | None:
        """When ``url``'s image, failing for a reason that may pass, first failed and when a
        run last said so (Unix times); None: it is not known to be failing."""
        row = self._db.execute("SELECT first, said FROM image_failures WHERE url = ?", (url,)).fetchone()
        return (int(row[0]), int(row[1])) if row else None

    def set_image_failure(self, url: str, first: int, said: int) -> None:
        self._db.execute("INSERT OR REPLACE INTO image_failures VALUES (?, ?, ?)", (url, first, said))
        self._failures_recorded = True

    @cached_property
    def _failures_recorded(self) -> bool:
        """Whether any picture may be recorded as failing: while none is, a picture stored
        has no record to clear (the archive's lock keeps other writers out)."""
        return self._db.execute("SELECT 1 FROM image_failures LIMIT 1").fetchone() is not None

    def images_awaiting_posts(self) -> set[str]:
        """The image files stored only for articles that have no post yet (a run stopped
        between an article's images and its post): no post links them, and none is missing
        one. A file an index from before articles were recorded with their images holds
        (key NULL, or no such column in one ``verify`` opened read-only) is not among them:
        nothing tells whose it is."""
        if not self._images_keyed():
            return set()
        return {name for (name,) in self._db.execute(
            "SELECT i.name FROM images i LEFT JOIN articles a ON a.key = i.key GROUP BY i.name "
            "HAVING count(i.key) = count(*) AND max(coalesce(a.path, '') != '') = 0")}

    def images_of_posts(self) -> list[tuple[str, str]]:
        """(image file, post) of each image stored for an article that has a post (none of an
        index from before images were recorded with their articles)."""
        if not self._images_keyed():
            return []
        return self._db.execute("SELECT DISTINCT i.name, a.path FROM images i JOIN articles a "
                                "ON a.key = i.key WHERE a.path != '' ORDER BY i.name").fetchall()

    def _images_keyed(self) -> bool:
        """Whether images are recorded with their articles (``verify`` opens an index from
        before read-only, so without the column)."""
        return "key" in {row[1] for row in self._db.execute("PRAGMA table_info(images)")}

    def imported_capture(self, url: str, sha256: str) -> tuple[str, int | None] | None:
        """The capture file an imported page of these bytes was kept in under ``url``, and
        where in it (None: recorded before where was)."""
        row = self._db.execute("SELECT file, start FROM imported_pages WHERE url = ? AND sha256 = ?",
                               (url, sha256)).fetchone()
        return None if row is None else (row[0], row[1])

    def add_imported(self, url: str, sha256: str, file: str, start: int) -> None:
        self._db.execute("INSERT OR REPLACE INTO imported_pages (url, sha256, file, start) "
                         "VALUES (?, ?, ?, ?)", (url, sha256, file, start))

    def forget_imported(self, url: str, sha256: str) -> None:
        self._db.execute("DELETE FROM imported_pages WHERE url = ? AND sha256 = ?", (url, sha256))

    def article_path(self, key: str) -> str | None:
        return self._one("SELECT path FROM articles WHERE key = ? AND path != ''", key)

    def path_holder(self, name: str) -> str | None:
        """The article whose post is the file ``name``, also when it was deleted by hand, or
        one whose name differs only in case: macOS and Windows see one file in the two."""
        return self._one("SELECT key FROM articles WHERE path = ? COLLATE NOCASE", name)

    def article_state(self, key: str) -> str | None:
        return self._one("SELECT state FROM articles WHERE key = ?", key)

    def article_row(self, key: str) -> tuple[str, str | None]:
        """Article ``key``'s post path ("": none) and state (None: not recorded), in one
        statement where ``article_path`` and ``article_state`` are two."""
        row = self._db.execute("SELECT path, state FROM articles WHERE key = ?", (key,)).fetchone()
        return ("", None) if row is None else (row[0], row[1])

    def add_article(self, key: str, url: str, path: str, state: ArticleState,
                    published: int | None = None, tags: Sequence[str] | None = None) -> None:
        self._db.execute("INSERT OR REPLACE INTO articles (key, url, path, state, published, tags) "
                         "VALUES (?, ?, ?, ?, ?, ?)",
                         (key, url, path, state, published,
                          None if tags is None else json.dumps(list(tags), ensure_ascii=False)))

    def article_tags(self, key: str) -> list[str] | None:
        """The tags the article's post was last written with (None: not recorded)."""
        tags = self._one("SELECT tags FROM articles WHERE key = ?", key)
        return [str(tag) for tag in json.loads(tags)] if tags else None

    def set_article_tags(self, key: str, tags: Sequence[str]) -> None:
        self._db.execute("UPDATE articles SET tags = ? WHERE key = ?",
                         (json.dumps(list(tags), ensure_ascii=False), key))

    def tool_tags(self, key: str) -> list[str]:
        """The tags the tool made itself (types, albums, defaults) when the article's post was
        last written: those of its tags a person did not add ([]: not recorded)."""
        return self._tags("tool_tags", key)

    def set_tool_tags(self, key: str, tags: Sequence[str]) -> None:
        self._set_tags("tool_tags", key, tags)

    def configured_tags(self, key: str) -> list[str]:
        """The tags an account's configuration (or ``-a tags=``) gave the article's post, in
        any write so far: the watch and a rebuild, which know no account, keep them."""
        return self._tags("configured_tags", key)

    def set_configured_tags(self, key: str, tags: Sequence[str]) -> None:
        self._set_tags("configured_tags", key, tags)

    def given_tags(self, key: str) -> tuple[list[str], list[str]]:
        """``configured_tags`` and ``tool_tags`` of the article, in one statement: a post
        written asks both, and each statement lets the reactor's thread go."""
        found = dict(self._db.execute("SELECT 0, tags FROM configured_tags WHERE key = ?1 UNION ALL "
                                      "SELECT 1, tags FROM tool_tags WHERE key = ?1", (key,)))
        return _tag_list(found.get(0)), _tag_list(found.get(1))

    def _tags(self, table: str, key: str) -> list[str]:
        return _tag_list(self._one(f"SELECT tags FROM {table} WHERE key = ?", key))

    def _set_tags(self, table: str, key: str, tags: Sequence[str]) -> None:
        self._db.execute(f"INSERT OR REPLACE INTO {table} VALUES (?, ?)",
                         (key, json.dumps(list(tags), ensure_ascii=False)))

    def archived_articles(self) -> Iterator[tuple[str, str, str]]:
        """(key, url, post file name) of every article that has a post."""
        yield from self._db.execute("SELECT key, url, path FROM articles WHERE path != '' "
                                    "ORDER BY path").fetchall()

    def needs_link(self, key: str, url: str, at: str) -> None:
        """Record that WeChat refused ``key``'s link without ``chksm`` at ``at`` (ISO 8601):
        only a listing's link can fetch it, or that link asked again some days later (the
        verification page may have been a block that passed); an article already archived
        or gone keeps its state."""
        self._db.execute(
            "INSERT INTO articles (key, url, state, refused) VALUES (?, ?, ?, ?) ON CONFLICT(key) "
            "DO UPDATE SET state = excluded.state, refused = excluded.refused "
            f"WHERE state NOT IN {SETTLED_SQL} AND state != 'incomplete'",
            (key, url, ArticleState.NEEDS_LINK, at))

    def refused_at(self, key: str) -> str | None:
        """When ``key``'s link without ``chksm`` was last refused (``needs_link``), if the
        index knows."""
        return self._one("SELECT refused FROM articles WHERE key = ?", key)

    def gone_incomplete(self, limit: int) -> list[tuple[str, str]]:
        """(key, url) of at most ``limit`` articles ``GONE_INCOMPLETE`` that have a post, those
        whose post was made again from its capture longest ago (``WatchBook.mended``) first."""
        return self._db.execute(
            "SELECT a.key, a.url FROM articles a LEFT JOIN watch w ON w.key = a.key "
            "WHERE a.state = ? AND a.path != '' ORDER BY coalesce(w.mended, 0), a.key LIMIT ?",
            (ArticleState.GONE_INCOMPLETE, limit)).fetchall()

    def imported_files(self, url: str) -> list[str]:
        """The capture files the pages imported under ``url`` were kept in."""
        return [file for (file,) in self._db.execute(
            "SELECT DISTINCT file FROM imported_pages WHERE url = ?", (url,))]

    def add_listed_links(self, links: Iterable[tuple[str, str]]) -> None:
        """Remember, per article key, a link a listing gave with its ``chksm``."""
        self._db.executemany("INSERT OR REPLACE INTO listed_links VALUES (?, ?)", links)

    def listed_link(self, key: str) -> str | None:
        return self._one("SELECT url FROM listed_links WHERE key = ?", key)

    def set_article_state(self, key: str, url: str, state: ArticleState) -> None:
        """Record ``state`` and keep the post path the article may already have."""
        self._db.execute(
            "INSERT INTO articles (key, url, state) VALUES (?, ?, ?) "
            "ON CONFLICT(key) DO UPDATE SET state = excluded.state", (key, url, state))

    def add_link(self, url: str, key: str) -> None:
        """Remember which article a link (a short ``/s/<token>`` one, say) led to."""
        self._db.execute("INSERT OR REPLACE INTO links VALUES (?, ?)", (url, key))

    def link_key(self, url: str) -> ArticleKey | None:
        """The article a fetch of ``url`` (a short ``/s/<token>`` link, say) led to. A short
        link in any form (a page saved from a chat's copy, ``?scene=…``; a capture an older
        version fetched on ``http:``) is looked up in the one form the index knows it by."""
        key = self._one("SELECT key FROM links WHERE url = ?", short_link_alone(url))
        return ArticleKey(key) if key is not None else None

    def article_of(self, link: str) -> ArticleKey | None:
        """The article ``link`` leads to: the ids it carries, else what a fetch of it led to."""
        return article_key(link) or self.link_key(link)

    def archived_urls(self) -> set[str]:
        """The canonical URLs of the articles that have a post."""
        return {url for (url,) in self._db.execute("SELECT url FROM articles WHERE path != ''")}

    def has_articles(self) -> bool:
        return self._one("SELECT 1 FROM articles LIMIT 1") is not None

    def _add_missing_columns(self) -> None:
        for table, columns in _ADDED_COLUMNS.items():
            present = {row[1] for row in self._db.execute(f"PRAGMA table_info({table})")}
            for column, kind in columns.items():
                if column not in present:
                    self._db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
        if not self._forms:  # rows recorded before: their forms filled once
            self._db.create_function("canonical", 1, canonicalize_url, deterministic=True)
            self._db.execute("BEGIN")
            self._db.execute("UPDATE images SET form = canonical(url) WHERE form IS NULL")
            self._db.execute("CREATE INDEX images_by_form ON images (form)")
            self._db.execute("COMMIT")
            self._forms = True

    def _upgrade(self) -> None:
        """Read an older index's rows as this version does: each step from its version on,
        once, in one transaction (a run then reads no row in an old form, nor rows in two)."""
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version >= _VERSION:
            return
        self._db.execute("BEGIN")
        for step in _UPGRADES[version:]:
            step(self._db)
        self._db.execute(f"PRAGMA user_version = {_VERSION}")
        self._db.execute("COMMIT")

    def _one(self, query: str, *args: str) -> str | None:
        row = self._db.execute(query, args).fetchone()
        return row[0] if row else None


def _named_only(db: sqlite3.Connection) -> None:
    """Before 1 a page naming an album made its article a member (``left_at`` cleared at each
    fetch of the page), and a read to the end then said it left the album it may never have
    been listed in, or had left before: nothing in those rows tells which, so each is taken
    as named only until a listing lists it (a member again; one that left meanwhile is not
    said to). A row of an article the archive holds no post of was a listing's (no page of it
    was read): a member still, or its album's next read would take it as listed anew (one
    gone before archived as restored, asked again)."""
    db.execute("UPDATE album_articles SET left_at = ? WHERE left_at IS NULL AND key IN "
               "(SELECT key FROM articles WHERE path != '')", (NAMED_ONLY,))


# The rows that may hold a short link (or a homepage's), the form each is asked by today, and
# what every such link holds (most rows hold none: a key, a long link, read by SQLite alone)
_LINK_COLUMNS = (("links", "url", "short_link", "%/s/%"),
                 ("links_to_follow", "url", "short_link", "%/s/%"),
                 ("post_links", "to_id", "short_link", "%/s/%"),
                 ("homepages", "url", "homepage", "%/mp/homepage%"))


def _links_in_one_form(db: sqlite3.Connection) -> None:
    """Before 2 a short link was known as a page, a listing or the accounts file gave it
    (``http:``, a trailing slash, ``?scene=``), a homepage on the scheme a page gave it: a run,
    which asks each in one form (``short_link_alone``, ``homepage_link``), took the article
    it led to for one never fetched (a page gone for one never asked) and fetched it again, a
    homepage in the two forms was read twice a run. Each is put in today's form, once here
    rather than at each look-up (a row already in it kept: both name one page). A link's post
    links (``post_links``) name it by the same form, so that a post is relinked to its article."""
    db.create_function("short_link", 1, short_link_alone, deterministic=True)
    db.create_function("homepage", 1, lambda url: homepage_link(url) or url, deterministic=True)
    for table, column, form, shape in _LINK_COLUMNS:
        _in_form(db, table, (column,), form, f"{column} LIKE '{shape}'")
    # a short link that leads to no article is settled under its own URL (``LinkDead``)
    _in_form(db, "articles", ("key", "url"), "short_link", f"state = '{ArticleState.DEAD_LINK}'")


def _in_form(db: sqlite3.Connection, table: str, columns: tuple[str, ...], form: str, rows: str) -> None:
    """Each of ``columns`` of ``table``'s ``rows`` as SQL function ``form`` gives it; a row
    that would then repeat another's key is the one that goes (the other names the same page)."""
    first = columns[0]
    changed = f"{rows} AND {first} != {form}({first})"
    values = ", ".join(f"{column} = {form}({column})" for column in columns)
    db.execute(f"UPDATE OR IGNORE {table} SET {values} WHERE {changed}")
    db.execute(f"DELETE FROM {table} WHERE {changed}")


_UPGRADES = (_named_only, _links_in_one_form)


def _tag_list(tags: str | None) -> list[str]:
    """Tags as the index records them (a JSON list; none: [])."""
    return [str(tag) for tag in json.loads(tags)] if tags else []


# Values in one statement at most: SQLite takes 32,766 (999 before 3.32); pictures come by the
# article, a hostile page's thousands in parts.
_AT_ONCE = 200


def _parts(values: Iterable[Any]) -> Iterator[list[Any]]:
    """``values`` in lists of ``_AT_ONCE`` at most."""
    values = list(values)
    for start in range(0, len(values), _AT_ONCE):
        yield values[start:start + _AT_ONCE]


def _marks(values: Sequence[Any]) -> str:
    """A placeholder for each of ``values``."""
    return ", ".join("?" * len(values))


def _rows(rows: Sequence[Sequence[Any]]) -> str:
    """A row of placeholders for each of ``rows``, for ``VALUES``."""
    return ", ".join(f"({_marks(row)})" for row in rows)

"""The archiver's memory between runs: which images and articles are already stored.

SQLite in ``<ARCHIVE_DIR>/.state/``: it travels with the archive, Jekyll never publishes a
dot-folder, and lookups cost one indexed query instead of a scan of the archive.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS images (url TEXT PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS blobs (sha256 TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS links (url TEXT PRIMARY KEY, key TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles (
    key TEXT PRIMARY KEY, url TEXT NOT NULL, path TEXT NOT NULL DEFAULT '', state TEXT NOT NULL
);
"""


class ArticleState:
    """What the index knows of an article; other values are ``NotAnArticle`` reasons."""

    ARCHIVED = "archived"
    INCOMPLETE = "incomplete"  # archived, but an image failed for a reason that may pass
    # Not fetched again by scheduled runs: nothing more is to be had.
    SETTLED = frozenset({ARCHIVED, "deleted", "violation"})


class Index:
    """Images by URL and by content hash; articles by ``__biz:mid:idx`` key."""

    def __init__(self, path: Path, read_only: bool = False):
        """Open (or create) the index; ``read_only`` opens an existing one only for reading.

        ``sqlite3.DatabaseError`` when the file is not a usable SQLite database.
        """
        if read_only and not path.exists():  # nothing indexed yet
            self._db = sqlite3.connect(":memory:", isolation_level=None)
            self._db.executescript(_SCHEMA)
            return
        if read_only:
            self._db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
            self._db.execute("SELECT count(*) FROM articles")
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None, timeout=30)
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
        except sqlite3.DatabaseError:
            self._db.close()
            raise

    def close(self) -> None:
        self._db.close()

    def image_name(self, url: str) -> str | None:
        return self._one("SELECT name FROM images WHERE url = ?", url)

    def blob_name(self, sha256: str) -> str | None:
        return self._one("SELECT name FROM blobs WHERE sha256 = ?", sha256)

    def name_taken(self, name: str) -> bool:
        return self._one("SELECT 1 FROM blobs WHERE name = ?", name) is not None

    def add_blob(self, sha256: str, name: str) -> None:
        self._db.execute("INSERT OR IGNORE INTO blobs VALUES (?, ?)", (sha256, name))

    def add_image(self, url: str, name: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO images VALUES (?, ?)", (url, name))

    def article_path(self, key: str) -> str | None:
        return self._one("SELECT path FROM articles WHERE key = ? AND path != ''", key)

    def article_state(self, key: str) -> str | None:
        return self._one("SELECT state FROM articles WHERE key = ?", key)

    def add_article(self, key: str, url: str, path: str, state: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO articles VALUES (?, ?, ?, ?)", (key, url, path, state))

    def set_article_state(self, key: str, url: str, state: str) -> None:
        """Record ``state`` and keep the post path the article may already have."""
        self._db.execute(
            "INSERT INTO articles (key, url, state) VALUES (?, ?, ?) "
            "ON CONFLICT(key) DO UPDATE SET state = excluded.state", (key, url, state))

    def add_link(self, url: str, key: str) -> None:
        """Remember which article a link (a short ``/s/<token>`` one, say) led to."""
        self._db.execute("INSERT OR REPLACE INTO links VALUES (?, ?)", (url, key))

    def link_key(self, url: str) -> str | None:
        return self._one("SELECT key FROM links WHERE url = ?", url)

    def archived_urls(self) -> set[str]:
        """The canonical URLs of the articles that have a post."""
        return {url for (url,) in self._db.execute("SELECT url FROM articles WHERE path != ''")}

    def has_articles(self) -> bool:
        return self._one("SELECT 1 FROM articles LIMIT 1") is not None

    def _one(self, query: str, *args: str) -> str | None:
        row = self._db.execute(query, args).fetchone()
        return row[0] if row else None

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
CREATE TABLE IF NOT EXISTS articles (key TEXT PRIMARY KEY, url TEXT NOT NULL, path TEXT NOT NULL);
"""


class Index:
    """Images by URL and by content hash; articles by ``__biz:mid:idx`` key."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

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
        return self._one("SELECT path FROM articles WHERE key = ?", key)

    def add_article(self, key: str, url: str, path: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO articles VALUES (?, ?, ?)", (key, url, path))

    def _one(self, query: str, *args: str) -> str | None:
        row = self._db.execute(query, args).fetchone()
        return row[0] if row else None

"""The archive tree's layout, and opening its index (rebuilt from the posts if it was lost)."""

from __future__ import annotations

import logging
from pathlib import Path

from crawler.store.captures import CaptureStore
from crawler.store.index import ArticleState, Index
from crawler.store.posts import archived_url
from crawler.wechat.urls import article_key

logger = logging.getLogger(__name__)

POST_FOLDER = "_posts"
INDEX_PATH = Path(".state") / "index.sqlite"
CAPTURE_FOLDER = Path(".state") / "warc"


def open_captures(archive_dir: Path) -> CaptureStore:
    return CaptureStore(archive_dir / CAPTURE_FOLDER)


def open_index(archive_dir: Path) -> Index:
    """The archive's index; when it holds no article but posts exist, it is rebuilt first.

    The rebuild reads each post's ``wechat.url`` once; it runs only for a lost index.
    """
    index = Index(archive_dir / INDEX_PATH)
    posts = archive_dir / POST_FOLDER
    if not index.has_articles() and posts.is_dir():
        rebuilt = 0
        for post in sorted(posts.glob("*.md")):
            url = archived_url(post)
            key = article_key(url or "") or url
            if key:
                index.add_article(key, url or "", post.name, ArticleState.ARCHIVED)
                rebuilt += 1
        if rebuilt:
            logger.info("Rebuilt the index of %d archived articles from %s", rebuilt, posts)
    return index

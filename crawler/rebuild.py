"""Re-render every post from the newest good capture of its article, with no network.

The same parser, converter and writer as a crawl; images come from the index. A post
keeps its tags and attribution; a post whose bytes would not change is not touched.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from crawler.store.archive import POST_FOLDER, open_captures, open_index
from crawler.store.captures import read_capture
from crawler.store.images import ImageStore
from crawler.store.index import ArticleState
from crawler.store.post_text import IMAGE_FOLDER, compose_post
from crawler.store.posts import PostStore, front_matter
from crawler.wechat.article import Article
from crawler.wechat.page import parse_page
from crawler.wechat.urls import article_key


def rebuild(archive_dir: Path, bullet: str = "-") -> Counter[str]:
    """Rebuild the posts of ``archive_dir``; count what happened to each."""
    index = open_index(archive_dir)
    try:
        posts = PostStore(archive_dir / POST_FOLDER, index)
        images = ImageStore(archive_dir / IMAGE_FOLDER, index)
        newest = _newest_captures(archive_dir)
        outcomes: Counter[str] = Counter()
        for path in sorted(posts.folder.glob("*.md")):
            front = front_matter(path)
            wechat = front.get("wechat") or {}
            found = newest.get(article_key(wechat.get("url", "")) or wechat.get("url", ""))
            if found is None:
                outcomes["without capture"] += 1
                continue
            capture = read_capture(found[1], found[2])
            article = parse_page(capture.body, capture.url)
            assert isinstance(article, Article)
            if not article.account and wechat.get("account"):
                article = replace(article, account=wechat["account"])
            names = {url: name for url in article.image_urls if (name := images.stored_name(url))}
            text = compose_post(article, names, front.get("tags") or [], bullet)
            complete = index.article_state(article.key) != ArticleState.INCOMPLETE
            outcome, _ = posts.write(article, text, complete=complete)
            outcomes[outcome.value] += 1
        return outcomes
    finally:
        index.close()


def _newest_captures(archive_dir: Path) -> dict[str, tuple[datetime, Path, int]]:
    """For each article, where its newest capture that parses as a dated article lies."""
    newest: dict[str, tuple[datetime, Path, int]] = {}
    for capture in open_captures(archive_dir).captures():
        page = parse_page(capture.body, capture.url)
        if isinstance(page, Article) and page.published is not None:
            if page.key not in newest or capture.fetched_at >= newest[page.key][0]:
                newest[page.key] = (capture.fetched_at, capture.file, capture.offset)
    return newest

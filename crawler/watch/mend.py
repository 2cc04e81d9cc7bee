"""Posts left incomplete whose originals are gone (``ArticleState.GONE_INCOMPLETE``).

An image that failed for a reason that may pass is asked for again when a run fetches its
article again; once the watch has found the original deleted or removed, no run does. So
each ``crawl accounts`` and ``crawl watch`` makes up to ``WATCH_PER_RUN`` such articles
again from the raw capture of their page, asking WeChat for no page: the images their
posts left on the CDN are asked for again with it (``ImagePipeline``), and the post is
written as any other (never worse, still marked gone: ``Archive.write_post``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from scrapy import Request

from crawler.items import ArticleItem, MendTurnTaken, NoPageKept
from crawler.store.archive import Archive
from crawler.store.captures import file_of, read_capture
from crawler.wechat.article import Article
from crawler.wechat.page import parse_page

if TYPE_CHECKING:
    from crawler.spiders.base import WeChatSpider

logger = logging.getLogger(__name__)

SOURCE = "capture"


def mend_requests(spider: WeChatSpider) -> Iterator[Request]:
    """A request for nothing, whose callback (``read_kept_pages``) makes the items, when an
    article is ``GONE_INCOMPLETE`` and the watch is on: items a spider's start yields would
    not be followed by a check whether the crawl is over (see ``ImportSpider.start``)."""
    if spider.config.watch_per_run and spider.index.gone_incomplete(1):
        yield Request("data:,", callback=spider.read_kept_pages, dont_filter=True)


def kept_pages(archive: Archive, limit: int) -> Iterator[ArticleItem | MendTurnTaken | NoPageKept]:
    """An item for each of at most ``limit`` articles ``GONE_INCOMPLETE``, made of its page
    as last captured, its turn taken; one line and a ``NoPageKept`` for one whose capture is
    missing or unreadable (it is not tried again: the post stays as it is)."""
    chosen = archive.index.gone_incomplete(limit)
    newest = newest_captures(archive, dict(chosen))
    for key, url in chosen:
        found = _page_at(*newest[key]) if key in newest else None
        if found is None:
            path = archive.places.placed(key)
            logger.warning("Images not tried again: no readable capture of the page of %s is "
                           "left, and its original is gone: the post keeps their URLs (%s)",
                           path.name if path else url, url)
            yield NoPageKept(key, url)
        else:
            captured, page = found
            yield MendTurnTaken(key, captured.timestamp())
            yield ArticleItem(article=page, file_urls=list(page.image_urls), source=SOURCE,
                              from_capture=True)


def newest_captures(archive: Archive, articles: dict[str, str]) -> dict[str, tuple[datetime, Path, int]]:
    """When the newest page of each of ``articles`` (key → canonical URL) its raw captures
    hold was fetched, and where it is (file, offset): looked for only in the files its last
    fetch and its imports went to, not in every capture (unless the index does not know when
    it was fetched); each file read once for them all (a backfill's day may hold thousands
    of pages). Where, not the pages: held all at once, ``WATCH_PER_RUN`` pages could be
    more than the items a run has in flight."""
    files = {key: _files_of(archive, key, url) for key, url in articles.items()}
    known = [named for named in files.values() if named is not None]
    newest: dict[str, tuple[datetime, Path, int]] = {}
    try:
        for capture in archive.captures.captures(
                set().union(*known) if len(known) == len(files) else None):
            key = archive.index.article_of(capture.url) or ""
            named = files.get(key, set())  # None: any file may hold it
            if named is not None and capture.file.name not in named:
                continue
            page = parse_page(capture.body, capture.url, capture.fetched_at)
            if isinstance(page, Article) and page.published is not None \
                    and (key not in newest or capture.fetched_at >= newest[key][0]):
                newest[key] = (capture.fetched_at, capture.file, capture.offset)
    except OSError as error:  # a file the disk cannot read: as if no capture were left
        logger.debug("Captures of %s not read: %s", ", ".join(articles.values()), error)
    return newest


def _page_at(fetched_at: datetime, path: Path, offset: int) -> tuple[datetime, Article] | None:
    """The page ``newest_captures`` found at ``offset`` of ``path``, and when it was fetched."""
    try:
        capture = read_capture(path, offset)
    except OSError as error:  # a file the disk cannot read (now): as if no capture were left
        logger.debug("Capture at %s:%d not read: %s", path, offset, error)
        return None
    page = parse_page(capture.body, capture.url, capture.fetched_at)
    return (fetched_at, page) if isinstance(page, Article) else None


def _files_of(archive: Archive, key: str, url: str) -> set[str] | None:
    """The capture files the last fetch of article ``key`` (canonical ``url``) and its
    imports went to; None when that fetch is not known (an index from before it recorded
    fetches): then any file may hold it."""
    files = set(archive.index.imported_files(url))
    fetched = archive.watched.book.fetched(key)
    if fetched is None:
        return files or None
    at = datetime.fromtimestamp(fetched, UTC)  # recorded once its post was written, after the capture
    return files | {file_of(at), file_of(at - timedelta(days=1))}

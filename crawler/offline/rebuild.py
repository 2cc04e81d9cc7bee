"""Re-render every post from the newest good capture of its article, with no network, and
make again the post of every archived article whose file is gone (a blog checkout wiped,
a file deleted by hand).

The same parser, converter and writer as a crawl; images come from the index, or from
the files named after their URLs when it does not know them (one rebuilt from the posts).
A post keeps its attribution and the tags a person added; its scam types and albums are
made again (a restored post gets the tags the index recorded when it was written). A post whose
bytes would not change is not touched. A post or capture that cannot be used is one line
and a count, never the end of the run.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import NamedTuple

from crawler.convert.markdown import MarkdownStyle
from crawler.convert.post import NotConverted, converted
from crawler.report.progress import Pace
from crawler.store.archive import Archive, not_recorded
from crawler.store.captures import CaptureError, read_capture
from crawler.store.files import NotPutBack
from crawler.store.images import stored_name
from crawler.store.index import ArticleState
from crawler.store.postfiles import PostError, front_matter, front_matter_tags, post_files
from crawler.store.posts import Outcome, is_worse
from crawler.tagging.tags import Tagger
from crawler.watch.state import source_print
from crawler.wechat.article import Article
from crawler.wechat.page import parse_page
from crawler.wechat.urls import article_key, image_stem

logger = logging.getLogger(__name__)

# Where a capture lies: when it was fetched, its file and its offset there.
Found = tuple[datetime, Path, int]
# The count of the posts a stop left for the next rebuild.
LEFT = "left for the next rebuild"


def rebuild(archive: Archive, style: MarkdownStyle = MarkdownStyle(),
            progress: Callable[[str], None] | None = None, interval: float = 30.0,
            tagger: Tagger | None = None, stop: Callable[[], bool] = lambda: False) -> Counter[str]:
    """Rebuild the posts of ``archive`` and restore the missing ones; count what happened to
    each. ``progress`` is told how far it is every ``interval`` seconds. ``tagger`` makes
    the derived tags again. ``stop`` is asked between two posts (and two captures read):
    once it says so, the posts not reached are counted ``LEFT``, for the next rebuild."""
    tagger = tagger or Tagger.packaged()
    captures = _captures_by_article(archive, stop)
    files = files_by_stem(archive)
    posts = post_files(archive.layout.posts)
    missing = [(key, name) for key, _, name in archive.index.archived_articles()
               if not (archive.layout.posts / name).is_file() and not archive.places.renamed(key)]
    steps = [partial(_rebuilt, archive, path, captures, style, tagger, files) for path in posts] + [
        partial(_restored, archive, key, name, captures, style, tagger, files) for key, name in missing]
    outcomes: Counter[str] = Counter()
    pace = Pace(time.monotonic(), found=len(steps))
    told = pace.started
    for done, step in enumerate(steps):
        if stop():
            outcomes[LEFT] = len(steps) - done
            break
        outcomes[step()] += 1
        pace.done += 1
        if progress is not None and time.monotonic() - told >= interval:
            told = time.monotonic()
            progress(pace.line("posts", told))
    return outcomes


def _rebuilt(archive: Archive, path: Path, captures: dict[str, list[Found]], style: MarkdownStyle,
             tagger: Tagger, files: dict[str, str]) -> str:
    """What came of rebuilding the post at ``path``."""
    try:
        return _rebuild_post(archive, path, captures, style, tagger, files)
    except NotPutBack as error:  # rewritten: said as it is
        return _not_recorded(error)
    except (PostError, CaptureError, NotConverted, OSError, sqlite3.Error) as error:
        # a post's error names it already (``PostError``): its name once
        logger.warning("Not rebuilt: %s: %s", path.name, str(error).removeprefix(f"{path}: "))
        return "not rebuilt"


def _restored(archive: Archive, key: str, name: str, captures: dict[str, list[Found]],
              style: MarkdownStyle, tagger: Tagger, files: dict[str, str]) -> str:
    """What came of restoring the missing post ``name`` of archived article ``key``."""
    try:
        return _restore_post(archive, key, name, captures, style, tagger, files)
    except NotPutBack as error:  # written: said as it is
        return _not_recorded(error)
    except (PostError, CaptureError, NotConverted, OSError, sqlite3.Error) as error:
        logger.warning("Not restored: %s: %s", name,
                       str(error).removeprefix(f"{archive.layout.posts / name}: "))
        return "not rebuilt"


class Tagged(NamedTuple):
    """An article as its post shows it, the post's tags, and those of them the tool made."""

    article: Article
    tags: list[str]
    made: list[str]


def _not_recorded(error: NotPutBack) -> str:
    """Say what is true of a post written, neither recorded nor put back as it was."""
    logger.error("%s", not_recorded(error, "scrapy rebuild"))
    return "not recorded"


def _restore_post(archive: Archive, key: str, name: str, captures: dict[str, list[Found]],
                  style: MarkdownStyle, tagger: Tagger, files: dict[str, str]) -> str:
    """Make again the missing post ``name`` of archived article ``key`` from its best
    version (``_best``), with the tags the index recorded, else (an index rebuilt from the
    posts) those ``tagger`` makes."""
    if key not in captures:
        logger.warning("Not restored: %s: no capture of its article is left", name)
        return "without capture"
    recorded = archive.index.article_tags(key)

    def tagged(article: Article) -> Tagged:
        if recorded is None:
            return Tagged(article, *tagger.tagged(article))
        return Tagged(article, recorded, archive.index.tool_tags(key))

    _write(archive, *_best(archive, captures[key], tagged, style, files))
    return "restored"


def _best(archive: Archive, versions: list[Found], tagged: Callable[[Article], Tagged],
          style: MarkdownStyle, files: dict[str, str]) -> tuple[Tagged, str]:
    """The post of the newest of ``versions`` (newest first) that no other is better than,
    as the archive kept it: a page fetched later that lost pictures did not replace the post
    made of an earlier one. ``tagged``: the article as its post shows it, and its tags."""
    best: tuple[Tagged, str] | None = None
    for found in versions:
        version = tagged(_article_of(found))
        text = _text(archive, version.article, version.tags, style, files)
        if best is None or is_worse(best[1], text, archive.posts.image_identity):
            best = (version, text)
    assert best is not None  # an article in ``captures`` has one at least
    return best


def _article_of(found: Found) -> Article:
    capture = read_capture(found[1], found[2])
    article = parse_page(capture.body, capture.url, capture.fetched_at)
    if not isinstance(article, Article):  # it parsed when the captures were read
        raise NotConverted(f"its capture is {article.message}")
    return article


def _rebuild_post(archive: Archive, path: Path, captures: dict[str, list[Found]],
                  style: MarkdownStyle, tagger: Tagger, files: dict[str, str]) -> str:
    front = front_matter(path)
    wechat = front.get("wechat") or {}
    url = str(wechat.get("url") or "")
    if not url:  # a post of the blog's own, beside the archiver's (ARCHIVE_DIR=/srv/blog)
        return "hand-made (no wechat: url)"
    found = captures.get(article_key(url) or url)
    if found is None:
        return "without capture"
    kept = front_matter_tags(front)

    def tagged(article: Article) -> Tagged:
        if not article.account and wechat.get("account"):
            article = replace(article, account=str(wechat["account"]))
        configured, made_before = archive.index.given_tags(article.key)
        return Tagged(article, *tagger.tagged(article, kept=kept, made_before=made_before,
                                              configured_before=configured))

    return _write(archive, *_best(archive, found, tagged, style, files)).value


def _text(archive: Archive, article: Article, tags: list[str], style: MarkdownStyle,
          files: dict[str, str]) -> str:
    """``article``'s post with the images the archive holds of it."""
    return converted(article, archive.image_links(stored_images(archive, article, files)), tags,
                     style, archive.links.targets(article))


def stored_images(archive: Archive, article: Article, files: dict[str, str]) -> dict[str, str]:
    """The files holding ``article``'s images (image URL → file name). An image the index
    does not know is the file named after its URL (``files``), if any: an index rebuilt from
    the posts knows no images, and the post would lose them all."""
    return {url: name for url in article.image_urls
            if (name := stored_name(archive.layout.images, archive.index, url)
                or files.get(image_stem(url)))}


def _write(archive: Archive, version: Tagged, text: str) -> Outcome:
    """Write ``text`` as the post of ``version``, and record the tool's own tags of it."""
    complete = archive.index.article_state(version.article.key) not in (
        ArticleState.INCOMPLETE, ArticleState.GONE_INCOMPLETE)
    return archive.write_post(version.article, text, tags=version.tags, complete=complete,
                              made=version.made)[0]


def files_by_stem(archive: Archive) -> dict[str, str]:
    """The image files of ``postimg/`` by name without extension (read once)."""
    try:
        return {path.stem: path.name for path in archive.layout.images.iterdir() if path.is_file()}
    except OSError:
        return {}


def _captures_by_article(archive: Archive, stop: Callable[[], bool]) -> dict[str, list[Found]]:
    """For each article, where its captures that parse as a dated article lie, newest
    first: the newest of each version of the page (``source_print``); those read until
    ``stop`` says so (each is parsed: minutes for a large archive)."""
    versions: dict[str, dict[str, tuple[datetime, int, Found]]] = {}
    # ``read``: of two captures made the same second, the one read later is the newer
    for read, capture in enumerate(archive.captures.captures()):
        if stop():
            break
        page = parse_page(capture.body, capture.url, capture.fetched_at)
        if isinstance(page, Article) and page.published is not None:
            seen = versions.setdefault(page.key, {})
            version = source_print(page)
            if version not in seen or capture.fetched_at >= seen[version][0]:
                seen[version] = (capture.fetched_at, read,
                                 (capture.fetched_at, capture.file, capture.offset))
    return {key: [found for *_, found in sorted(seen.values(), reverse=True)]
            for key, seen in versions.items()}

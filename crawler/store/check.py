"""Verifying an archive: what ``scrapy check`` reports.

Every post's front matter reads back, every local image link resolves, no file in
``postimg/`` is unreferenced, no two posts share a date and slug (Jekyll would drop one),
every post's article is in the index, and no half-written file is left.
"""

from __future__ import annotations

import re
import sqlite3
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

from crawler.store.archive import INDEX_PATH, POST_FOLDER
from crawler.store.post_text import IMAGE_FOLDER
from crawler.store.posts import front_matter

_LOCAL_IMAGE = re.compile(r"\{\{\s*site\.baseurl\s*\}\}/" + IMAGE_FOLDER + r"/([^)\s\"']+)")
_POST_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})-(.+)\.(md|markdown)$")


def check_archive(archive_dir: Path) -> Iterator[str]:
    """Each problem of the archive, as one line naming the file."""
    posts, images = archive_dir / POST_FOLDER, archive_dir / IMAGE_FOLDER
    indexed = _indexed_urls(archive_dir)
    referenced: set[str] = set()
    slugs: dict[tuple[str, str], list[str]] = defaultdict(list)
    for path in sorted(posts.glob("*")) if posts.is_dir() else []:
        if path.name.startswith("."):
            yield f"{path}: a half-written file left by an interrupted run"
            continue
        name = _POST_NAME.match(path.name)
        if not name:
            yield f"{path}: not named YYYY-MM-DD-slug.md, so Jekyll does not publish it"
            continue
        slugs[(name.group(1), jekyll_slug(name.group(2)))].append(path.name)
        try:
            front = front_matter(path)
        except ValueError as error:
            yield f"{path}: {error}"
            continue
        url = (front.get("wechat") or {}).get("url")
        if not url:
            yield f"{path}: front matter has no wechat.url"
        elif url not in indexed:
            yield f"{path}: its article ({url}) is not in the index"
        for image in _LOCAL_IMAGE.findall(path.read_text(encoding="utf-8")):
            referenced.add(image)
            if not (images / image).is_file():
                yield f"{path}: links to {IMAGE_FOLDER}/{image}, which does not exist"
    for (date, slug), names in sorted(slugs.items()):
        if len(names) > 1:
            yield f"{posts}: {', '.join(names)} share the date {date} and slug {slug!r}"
    for path in sorted(images.glob("*")) if images.is_dir() else []:
        if path.name.startswith("."):
            yield f"{path}: a half-written file left by an interrupted run"
        elif path.name not in referenced:
            yield f"{path}: no post links to it"


def jekyll_slug(name: str) -> str:
    """The slug Jekyll's default mode makes of a post's file-name part."""
    return re.sub(r"[^\w]+|_", "-", name.lower()).strip("-")


def _indexed_urls(archive_dir: Path) -> set[str]:
    path = archive_dir / INDEX_PATH
    if not path.is_file():
        return set()
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        return {url for (url,) in db.execute("SELECT url FROM articles WHERE path != ''")}

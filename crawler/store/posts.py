"""``_posts/``: where each article's post lives, and writing it without ever making it worse."""

from __future__ import annotations

import json
import re
from enum import Enum
from pathlib import Path
from typing import Any

import yaml

from crawler.store.files import atomic_write, remove_leftovers
from crawler.store.index import ArticleState, Index
from crawler.store.post_text import post_filename
from crawler.wechat.article import Article

_URL_LINE = re.compile(r"^    url: (.+)$", re.MULTILINE)
_LOCAL_IMAGE = re.compile(r"\]\(\{\{site\.baseurl\}\}/postimg/")
_FRONT_MATTER = re.compile(r"\A---\n.*?\n---\n", re.DOTALL)


class Outcome(str, Enum):
    NEW = "new"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    KEPT = "kept"  # the archived post is better than what was fetched now


class PostStore:
    """Chooses each article's file once and keeps it; writes only what is no worse."""

    def __init__(self, folder: Path, index: Index):
        self.folder = folder
        self.index = index
        remove_leftovers(folder)

    def write(self, article: Article, text: str, complete: bool = True) -> tuple[Outcome, Path]:
        """Write ``article``'s post ``text`` unless that makes it worse; record it in the index.

        ``complete`` is False when an image failed for a reason that may pass, so that the
        next scheduled run fetches the article again.
        """
        path = self.path_for(article)
        outcome = Outcome.NEW
        if path.exists():
            old = path.read_text(encoding="utf-8")
            if old == text:
                outcome = Outcome.UNCHANGED
            elif is_worse(text, old):
                outcome = Outcome.KEPT
            else:
                outcome = Outcome.UPDATED
        if outcome in (Outcome.NEW, Outcome.UPDATED):
            atomic_write(path, text.encode("utf-8"))
        state = ArticleState.ARCHIVED if complete else ArticleState.INCOMPLETE
        self.index.add_article(article.key, article.url, path.name, state)
        return outcome, path

    def path_for(self, article: Article) -> Path:
        """The article's file: the one it already has, else a free ``date-slug.md``."""
        recorded = self.index.article_path(article.key)
        if recorded and (self.folder / recorded).is_file():
            return self.folder / recorded
        path = self.folder / post_filename(article)
        if path.exists() and archived_url(path) != article.url:
            path = self.folder / post_filename(article, disambiguate=True)
        return path


def archived_url(path: Path) -> str | None:
    """The ``wechat.url`` recorded in a post's front matter."""
    match = _URL_LINE.search(path.read_text(encoding="utf-8")[:4096])
    if not match:
        return None
    value = match.group(1).strip()
    return json.loads(value) if value.startswith('"') else value


def front_matter(path: Path) -> dict[str, Any]:
    """A post's front matter, read back as YAML; ``ValueError`` when it does not read back."""
    match = _FRONT_MATTER.match(path.read_text(encoding="utf-8"))
    if not match:
        raise ValueError("no front matter between --- lines at the top")
    try:
        data = yaml.safe_load(match.group(0)[4:-4])
    except yaml.YAMLError as error:
        raise ValueError(f"front matter is not valid YAML: {error}") from None
    if not isinstance(data, dict):
        raise ValueError("front matter is not a mapping")
    return data


def is_worse(new: str, old: str) -> bool:
    """Whether ``new`` has lost what ``old`` had: local images, or most of its text."""
    if len(_LOCAL_IMAGE.findall(new)) < len(_LOCAL_IMAGE.findall(old)):
        return True
    return len(_body(new).strip()) < len(_body(old).strip()) // 2


def _body(post: str) -> str:
    return _FRONT_MATTER.sub("", post, count=1)

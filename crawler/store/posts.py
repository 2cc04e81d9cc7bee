"""``_posts/``: where each article's post lives, and writing it without ever making it worse."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Sequence
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml

from crawler.post import post_filename
from crawler.store.files import atomic_write, remove_leftovers
from crawler.store.index import ArticleState, Index
from crawler.wechat.article import Article
from crawler.wechat.urls import article_key

# The ``wechat:`` block of a front matter, its lines indented as the first is (four spaces as
# written; a person's editor may have made it two, or left spaces or a comment after the key).
WECHAT_BLOCK = re.compile(r"^wechat:(?:[ \t]+#.*|[ \t]*)\n(?:( +).*\n(?:\1.*\n)*)?", re.MULTILINE)
_FRONT_MATTER = re.compile(r"\A---\n(?:.*?\n)??---\n", re.DOTALL)  # Jekyll takes an empty one
# The front matter as Jekyll finds it: its ``---`` lines may end in spaces.
_LOOSE_FRONT_MATTER = re.compile(r"---[ \t]*\n((?:.*\n)*?)---[ \t]*\n")
# A key and the tabs that set its value off, which Jekyll's YAML reader (Psych) takes and
# PyYAML refuses.
_KEY_TABS = re.compile(r"^( *[^\s#:'\"-][^:\n]*):[ \t]*\t", re.MULTILINE)
# What Ruby's String#split splits a string of tags at: ASCII whitespace only.
_TAG_SPACE = re.compile("[ \t\n\v\f\r]+")
_ATTRIBUTION = re.compile(r"\A\s*<blockquote><p>.*?</p></blockquote>\n", re.DOTALL)
# An image or a link, or an escape (read as a pair, so that text's escaped "!" or "[" starts
# neither); a link's or image's text holds no bracket but escaped ones, so that a run of
# brackets (a hostile page's, or code's) is read once, not to its end from each. A link's
# target is a URL or the Liquid tag of a link to an archived post.
_IMAGE = re.compile(r"\\.|!\[(?:[^\[\]\\]|\\.)*\]\(([^)\s]+)\)")
_LINK = re.compile(r"\\.|\[((?:[^\[\]\\]|\\.)*)\]\((?:[^)\s]+|\{% post_url [^\s%]+ %\})\)")


class Outcome(StrEnum):
    NEW = "new"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    KEPT = "kept"  # the archived post is better than what was fetched now


class PostStore:
    """Chooses each article's file once and keeps it; writes only what is no worse."""

    def __init__(self, folder: Path, index: Index, places: PostPlaces,
                 image_identity: Callable[[str], str] = lambda target: target):
        """``places`` tells where each article's post is; ``image_identity`` which image a
        link shows (two URLs with the same bytes show one image, and a stored image is the
        URL it came from)."""
        self.folder = folder
        self.index = index
        self.places = places
        self.image_identity = image_identity
        remove_leftovers(folder)

    def write(self, article: Article, text: str, complete: bool = True,
              tags: Sequence[str] = (), path: Path | None = None) -> tuple[Outcome, Path]:
        """Write ``article``'s post ``text`` unless that makes it worse; record it in the index
        with the ``tags`` it was made with (a post deleted by hand is made again from them).

        ``complete`` is False when an image failed for a reason that may pass, so that the
        next scheduled run fetches the article again. ``path``: ``path_for(article)``, when
        the caller has it already.
        """
        path = path or self.path_for(article)
        outcome = Outcome.NEW
        if path.exists():
            old = read_post(path)
            if old == text:
                outcome = Outcome.UNCHANGED
            elif is_worse(text, old, self.image_identity):
                outcome = Outcome.KEPT
                tags = front_matter_tags(front_matter(path))  # what it keeps
            else:
                outcome = Outcome.UPDATED
        if outcome in (Outcome.NEW, Outcome.UPDATED):
            atomic_write(path, text.encode("utf-8"))
        state = ArticleState.ARCHIVED if complete else ArticleState.INCOMPLETE
        published = int(article.published.timestamp()) if article.published else None
        self.index.add_article(article.key, article.url, self.places.name_of(path), state,
                               published, tags)
        return outcome, path

    def path_for(self, article: Article) -> Path:
        """The article's file: the one it already has (also when it was deleted by hand),
        else a free ``date-slug.md``: one that holds no other post, and that is no other
        article's (deleted by hand, it is restored there)."""
        path = self.places.placed(article.key)
        if path and self.places.name_of(path) and not path.is_symlink():
            return path
        path = self.folder / post_filename(article)
        if (path.exists() and archived_url(path) != article.url) \
                or self.index.path_holder(path.name) not in (None, article.key) \
                or self.places.in_a_folder(path.name):
            path = self.folder / post_filename(article, disambiguate=True)
        return path


class PostPlaces:
    """Where each archived article's post is now: a person may have renamed it, or moved it
    into a folder of ``_posts/`` (Jekyll publishes those too)."""

    def __init__(self, folder: Path, index: Index):
        self.folder = folder
        self.index = index
        self._renamed: dict[str, str] | None = None  # read when first asked: see ``renamed``
        self._in_folders: set[str] | None = None  # listed when first asked

    def placed(self, key: str) -> Path | None:
        """Where article ``key``'s post is: the file the index records (also when it was
        deleted by hand), or the one a person renamed it to; None when the index has none."""
        recorded = self.index.article_path(key)
        if not recorded:
            return None
        path = self.folder / recorded
        return path if path.exists() else self.renamed(key) or path

    def renamed(self, key: str) -> Path | None:
        """The post of article ``key`` under a name a person gave it, whose ``wechat:`` block
        names the article while the index knows it by its old name: written again under that
        one, the blog would show the article twice. The posts are read for this once, when
        first asked (a file is missing): only a person renames them."""
        if self._renamed is None:
            self._renamed = {}
            for post in post_files(self.folder):
                try:
                    url = archived_url(post) if post.is_file() and not post.is_symlink() else None
                except PostError:
                    continue
                found, name = article_key(url or "") or url, self.name_of(post)
                if found and self.index.article_path(found) != name:
                    self._renamed.setdefault(found, name)
        renamed = self._renamed.get(key)
        return self.folder / renamed if renamed and (self.folder / renamed).is_file() else None

    def in_a_folder(self, name: str) -> bool:
        """Whether a post in a folder of ``_posts/`` has the file name ``name`` (case aside):
        Jekyll would make one page of it and a post of that name at the top. The folders are
        listed once, when first asked."""
        if self._in_folders is None:
            self._in_folders = {path.name.casefold() for path in post_files(self.folder)
                                if path.parent != self.folder}
        return name.casefold() in self._in_folders

    def name_of(self, path: Path) -> str:
        """How the index names the post at ``path``: its path in ``_posts/``; "" for a path
        that is not inside it (a name in the index leading out of it)."""
        try:
            parts = path.relative_to(self.folder).parts
        except ValueError:
            return ""
        return "" if ".." in parts else "/".join(parts)


def post_files(folder: Path) -> list[Path]:
    """The posts in ``folder`` and its folders, as Jekyll reads them (not a hidden one, nor
    one under a name starting with ``_``, nor a folder named ``….md``, whose posts are)."""
    return sorted(path for path in folder.rglob("*.md")
                  if not any(part[0] in "._" for part in path.relative_to(folder).parts)
                  and not path.is_dir())


class PostError(ValueError):
    """A post file that cannot be read as one of ours; the message names the file."""


def read_post(path: Path) -> str:
    """A post's text as Jekyll reads it (CRLF line ends as LF, a byte order mark dropped: a
    Windows editor's; spaces after the front matter's ``---`` lines dropped, as Jekyll
    allows them); ``PostError`` when it cannot be read or is not UTF-8."""
    try:
        text = path.read_text(encoding="utf-8-sig")
        loose = _LOOSE_FRONT_MATTER.match(text)
        if loose and len(loose[0]) > len(loose[1]) + 8:  # not as written: "---\n" twice
            text = f"---\n{loose[1]}---\n{text[loose.end():]}"
        return text
    except UnicodeDecodeError as error:
        raise PostError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start})") from None
    except OSError as error:
        raise PostError(f"{path}: cannot be read ({error.strerror or error})") from None


def archived_url(path: Path) -> str | None:
    """The ``wechat.url`` recorded in a post's front matter (read without parsing YAML)."""
    return archived_identity(path)[0]


def archived_identity(path: Path) -> tuple[str | None, int | None]:
    """The ``wechat.url`` and ``wechat.published`` (Unix time) of a post, read without
    parsing YAML: enough to rebuild a lost index. Looked for in the front matter, however
    long (a title may be thousands of characters), and not below it."""
    text = read_post(path)
    block = WECHAT_BLOCK.search(text, 0, text.find("\n---\n", 3) + 1)
    keys = dict(re.findall(rf"^{block.group(1)}(url|published):[ \t]+(.+)$", block.group(), re.MULTILINE)) \
        if block and block.group(1) else {}
    try:
        url = _scalar(keys["url"]) if "url" in keys else None
    except ValueError:
        raise PostError(f"{path}: wechat.url is not readable: {keys['url'][:80]!r}") from None
    try:
        stamp = int(datetime.fromisoformat(_scalar(keys["published"])).timestamp()) \
            if "published" in keys else None
    except ValueError:
        stamp = None
    return url, stamp


def _scalar(value: str) -> str:
    """A one-line YAML scalar's string: plain, double-quoted as written, or single-quoted
    (as another editor may have re-saved it); ``ValueError`` when it does not read."""
    value = value.strip()
    if value.startswith('"'):
        return str(json.loads(value))
    if value.startswith("'"):
        if len(value) < 2 or not value.endswith("'"):
            raise ValueError(value)
        return value[1:-1].replace("''", "'")
    return value


def front_matter(path: Path) -> dict[str, Any]:
    """A post's front matter, read back as YAML; ``PostError`` when it does not read back."""
    match = _FRONT_MATTER.match(read_post(path))
    if not match:
        raise PostError(f"{path}: no front matter between --- lines at the top")
    try:
        data = yaml.safe_load(_KEY_TABS.sub(r"\1: ", match.group(0)[4:-4]))
    except (yaml.YAMLError, ValueError) as error:  # ValueError: a date no calendar has
        raise PostError(f"{path}: front matter is not valid YAML: {error}") from None
    if data is None:  # empty, or comments only: Jekyll publishes the post
        data = {}
    if not isinstance(data, dict):
        raise PostError(f"{path}: front matter is not a mapping")
    if not isinstance(data.get("wechat") or {}, dict):
        raise PostError(f"{path}: wechat: is not a mapping")
    return data


def front_matter_tags(front: dict[str, Any]) -> list[str]:
    """The ``tags`` of a post's front matter as Jekyll reads them, which a person editing a
    post may rely on: a string is split at spaces, an empty item is none, and ``yes`` or
    ``true`` is Ruby's ``true``."""
    tags = front.get("tags")
    if isinstance(tags, str):
        return [tag for tag in _TAG_SPACE.split(tags) if tag]
    if not isinstance(tags, list):
        return []
    return [str(tag).lower() if isinstance(tag, bool) else str(tag)
            for tag in tags if tag is not None]


def is_worse(new: str, old: str,
             image_identity: Callable[[str], str] = lambda target: target) -> bool:
    """Whether post ``new`` has lost what ``old`` had: any of its distinct images, any of
    its stored ones (shown from the CDN instead: an index rebuilt from the posts knows no
    image URLs, and the CDN may no longer have them), or more than half of the text a reader
    sees (markup, link targets and attribution not counted)."""
    if len(distinct_images(new, image_identity)) < len(distinct_images(old, image_identity)):
        return True
    if _stored_images(new) < _stored_images(old):
        return True
    return visible_length(new) < visible_length(old) / 2


def distinct_images(post: str,
                    image_identity: Callable[[str], str] = lambda target: target) -> set[str]:
    """The images a post shows, each counted once however often it is shown."""
    return {image_identity(target) for target in _IMAGE.findall(_body(post)) if target}


def _stored_images(post: str) -> int:
    """How many times a post shows a stored image (its image links that are no URL): each
    time, as two image URLs with the same bytes share one file."""
    return sum(bool(target) and "://" not in target for target in _IMAGE.findall(_body(post)))


def visible_length(post: str) -> int:
    """How many letters and digits a reader sees in a post's body."""
    return sum(1 for char in visible_text(post) if unicodedata.category(char)[0] in "LN")


def visible_text(post: str) -> str:
    """A post's body without images and link targets: about what a reader sees."""
    without_images = _IMAGE.sub(lambda match: "" if match.group(1) else match.group(0), _body(post))
    return _LINK.sub(lambda match: match.group(0) if match.group(1) is None else match.group(1),
                     without_images)


def _body(post: str) -> str:
    """The post after its front matter and attribution blockquote."""
    return _ATTRIBUTION.sub("", _FRONT_MATTER.sub("", post, count=1), count=1)

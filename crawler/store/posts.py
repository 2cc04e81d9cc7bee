"""``_posts/``: writing each article's post where it lives, without ever making it worse."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from enum import StrEnum
from pathlib import Path

from crawler.convert.post import post_filename
from crawler.store.files import Staged, remove_leftovers
from crawler.store.index import ArticleState, Index
from crawler.store.places import PostPlaces
from crawler.store.postfiles import FRONT_MATTER, archived_url, front_matter, front_matter_tags, read_post
from crawler.store.readonly import PostWrites
from crawler.wechat.article import Article

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
    READ_ONLY = "read-only"  # a person made the post read-only: left as it is


class PostStore:
    """Chooses each article's file once and keeps it; writes only what is no worse."""

    def __init__(self, folder: Path, index: Index, places: PostPlaces, writes: PostWrites,
                 image_identity: Callable[[str], str] = lambda target: target):
        """``places`` tells where each article's post is; ``writes`` writes it;
        ``image_identity`` which image a link shows (two URLs with the same bytes show one
        image, and a stored image is the URL it came from)."""
        self.folder = folder
        self.index = index
        self.places = places
        self.writes = writes
        self.image_identity = image_identity
        remove_leftovers(folder)

    def write(self, article: Article, text: str, complete: bool = True,
              tags: Sequence[str] = (), path: Path | None = None,
              staged: Staged | None = None) -> tuple[Outcome, Path]:
        """Write ``article``'s post ``text`` unless that makes it worse; record it in the index
        with the ``tags`` it was made with (a post deleted by hand is made again from them).

        ``complete`` is False when an image failed for a reason that may pass, so that the
        next scheduled run fetches the article again. ``path``: ``path_for``'s, when the
        caller has it already; ``staged``: its bytes fsynced already, put in place if they
        are what is written there.
        """
        path = path or self.path_for(article, self.places.placed(article.key))
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
        if outcome in (Outcome.NEW, Outcome.UPDATED) \
                and not self.writes.write(path, text.encode("utf-8"), staged):
            outcome = Outcome.READ_ONLY
            tags = front_matter_tags(front_matter(path))  # what it keeps
        state = ArticleState.ARCHIVED if complete else ArticleState.INCOMPLETE
        published = int(article.published.timestamp()) if article.published else None
        self.index.add_article(article.key, article.url, self.places.name_of(path), state,
                               published, tags)
        return outcome, path

    def path_for(self, article: Article, placed: Path | None) -> Path:
        """The article's file: the one it already has, ``placed`` (``PostPlaces.placed``;
        also when it was deleted by hand), else a free ``date-slug.md``: one that holds no
        other post, and that is no other article's (deleted by hand, it is restored there)."""
        path = placed
        if path and self.places.name_of(path) and not path.is_symlink():
            return path
        path = self.folder / post_filename(article)
        if (path.exists() and archived_url(path) != article.url) \
                or self.index.path_holder(path.name) not in (None, article.key) \
                or self.places.in_a_folder(path.name):
            path = self.folder / post_filename(article, disambiguate=True)
        return path


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
    return _ATTRIBUTION.sub("", FRONT_MATTER.sub("", post, count=1), count=1)

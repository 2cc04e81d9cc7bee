"""What the watch of the originals shows in a post, and how two versions of one differ (pure).

An archived article is fetched again now and then (``crawler.spiders.watch``); what that
finds is kept in the index (``crawler.store.watchbook``) as a ``WatchState``, and shown in
the post: keys at the end of its ``wechat:`` block and, while the original is gone, one
line right after the attribution blockquote. Both are added to a post as it is composed
and to a post already written (``mark``), and taken off again (``unmark``), so that a post
says exactly what its state says, whatever it said before.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from difflib import SequenceMatcher

from crawler.store.postfiles import WECHAT_BLOCK, PostError
from crawler.store.posts import distinct_images, visible_text
from crawler.wechat.article import Article

# What WeChat answered (``PageReason`` values) → the post's ``status:``.
STATUSES = {"deleted": "deleted", "violation": "removed"}
# The reader's line, one per status: plain text in emphasis, nothing a theme or kramdown reads
# as markup (no < > " ' & { }), a date in China time.
NOTICES = {"deleted": "*原文已于 {} 被发布者删除，此为存档。*",
           "removed": "*原文已于 {} 因违规被平台删除，此为存档。*"}
_KEYS = ("status", "gone_since", "updated", "versions")
_KEY_LINE = re.compile(r"^ +(?:" + "|".join(_KEYS) + r"): .*\n", re.MULTILINE)
_KEY_VALUE = re.compile(r"^ +(" + "|".join(_KEYS) + r"): (\S+)$", re.MULTILINE)
_ANSWERS = {status: answer for answer, status in STATUSES.items()}
_NOTICE_LINE = re.compile(r"\*原文已于 \d{4}-\d\d-\d\d (?:被发布者删除|因违规被平台删除)，此为存档。\*\n\n?")
_QUOTE_END = "</p></blockquote>\n\n"
# The title, which the theme prints as the page's heading: a line of the front matter.
_TITLE_LINE = re.compile(r"^title: +(.*)$", re.MULTILINE)
# kramdown's attribute lists (a remote image's ``{: referrerpolicy="no-referrer"}``): not seen,
# and present or not as an image was stored or not.
_ATTRIBUTES = re.compile(r'\{: [a-z-]+="[^"\n]*"\}')


@dataclass(frozen=True)
class Schedule:
    """How often an article is due for a check: young ones (published less than
    ``young_days`` ago) every ``young_every`` days, older ones every ``old_every`` days."""

    young_days: float = 30
    young_every: float = 1
    old_every: float = 7


@dataclass(frozen=True)
class WatchState:
    """What the watch knows of one article: WeChat's last answer that was not the article
    (``deleted``, ``violation``, ``unavailable``, ``expired`` …, a ``PageReason``; None while
    it shows the article) and the China date it was first seen; the date of the last edit
    archived, and how many versions the post has had."""

    answer: str | None = None
    since: str | None = None
    updated: str | None = None
    versions: int = 1

    @property
    def status(self) -> str | None:
        """``deleted`` or ``removed`` while the original is gone; None otherwise (a page that
        is only "temporarily unavailable" is not gone)."""
        return STATUSES.get(self.answer or "")

    def answered(self, answer: str, day: str) -> WatchState:
        """The state once WeChat answered ``answer`` on ``day`` (the first day is kept). An
        original gone stays gone while WeChat only says it is temporarily unavailable."""
        if self.answer == answer or (self.status and answer not in STATUSES):
            return self
        return replace(self, answer=answer, since=day)

    def live(self) -> WatchState:
        return replace(self, answer=None, since=None)

    def edited(self, day: str) -> WatchState:
        return replace(self, updated=day, versions=self.versions + 1)

    def keys(self) -> list[str]:
        """The lines this state adds to the ``wechat:`` block."""
        lines = [f"    status: {self.status}", f"    gone_since: {self.since}"] \
            if self.status else []
        if self.updated:
            lines += [f"    updated: {self.updated}", f"    versions: {self.versions}"]
        return lines

    def notice(self) -> str | None:
        return NOTICES[self.status].format(self.since) if self.status else None

    @classmethod
    def of_post(cls, post: str) -> WatchState:
        """The state ``post`` says (its ``keys``): what an index rebuilt from the posts
        knows of the watch."""
        block = WECHAT_BLOCK.search(post, 0, post.find("\n---\n", 3) + 1)
        found = dict(_KEY_VALUE.findall(block.group() if block else ""))
        since = found.get("gone_since")
        answer = _ANSWERS.get(found.get("status", "")) if since else None
        versions = found.get("versions", "")
        return cls(answer, since if answer else None,
                   found.get("updated"), int(versions) if versions.isdigit() else 1)


def mark(post: str, state: WatchState) -> str:
    """``post`` saying ``state``: its keys last in the ``wechat:`` block, its notice right
    after the attribution; what an earlier state put there goes. A post without the block
    (a person took it out, or wrote it as a flow mapping) gets the notice alone: indented
    under whatever key is last, the keys would leave a front matter no YAML reader takes.
    ``PostError`` for a text that is not a post (no front matter)."""
    post = unmark(post)
    end = post.find("\n---\n", 3) + 1
    if not post.startswith("---\n") or end <= 0:
        raise PostError("no front matter between --- lines at the top")
    block = WECHAT_BLOCK.search(post, 0, end)
    if block:
        indent = block.group(1) or "    "
        post = post[:block.end()] + "".join(f"{indent}{line.lstrip()}\n" for line in state.keys()) \
            + post[block.end():]
    notice = state.notice()
    at = post.find(_QUOTE_END, end)
    if notice is None or at < 0:
        return post
    at += len(_QUOTE_END)
    return post[:at] + notice + ("\n\n" if post[at:] else "\n") + post[at:]


def unmark(post: str) -> str:
    """``post`` without what ``mark`` added. A body cannot hold a line like the notice: the
    converter escapes a leading ``*``."""
    end = post.find("\n---\n", 3) + 1
    if end <= 0:
        return post
    head, rest = post[:end], post[end:]
    block = WECHAT_BLOCK.search(head)
    if block:
        head = head[:block.start()] + _KEY_LINE.sub("", block.group()) + head[block.end():]
    at = rest.find(_QUOTE_END)
    if at >= 0:
        at += len(_QUOTE_END)
        found = _NOTICE_LINE.match(rest, at)
        if found:
            rest = rest[:at] + rest[found.end():]
    return head + rest


def source_print(article: Article) -> str:
    """What the page gave, whitespace aside, in 40 hex digits (32 for the body, 8 for the
    title): when it is the same as at the last fetch, a post that reads otherwise now was
    made otherwise (a newer converter), and that is no edit upstream. A text post's text
    is printed with its references read, as the pages were before it was kept as HTML."""
    source = "\0".join(["".join(article.body_html.split()), "".join(html.unescape(article.text).split()),
                        *article.pictures, article.share_source_url])
    return _digest(source, 32) + _digest(article.title, 8)


def same_source(recorded: str | None, source: str) -> bool:
    """Whether the page whose ``source_print`` is ``source`` is the one a fetch recorded as
    ``recorded``; a print recorded before the title was in it (32 digits) tells the body alone."""
    return recorded in (source, source[:32])


def _digest(text: str, digits: int) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:digits]


@dataclass(frozen=True)
class Seen:
    """What a reader sees of a post: its title and text without whitespace, and its
    distinct images."""

    text: str
    images: frozenset[str]

    @classmethod
    def of(cls, post: str, image_identity: Callable[[str], str] = lambda target: target) -> Seen:
        post = unmark(post)
        title = _TITLE_LINE.search(post, 0, max(post.find("\n---\n", 3), 0))
        text = "".join(((title[1] if title else "") + _ATTRIBUTES.sub("", visible_text(post))).split())
        return cls(text, frozenset(distinct_images(post, image_identity)))

    def text_print(self) -> str:
        """The text in 32 hex digits: what the watch records of the post a fetch made, to
        weigh the next page against that, not against a post a person has edited since."""
        return _digest(self.text, 32)


@dataclass(frozen=True)
class Change:
    """How one version differs from the one before: characters and images added and removed."""

    added: int
    removed: int
    images_added: int
    images_removed: int

    @classmethod
    def between(cls, old: Seen, new: Seen) -> Change:
        added = removed = 0
        matcher = SequenceMatcher(None, old.text, new.text, autojunk=False)
        for op, i1, i2, j1, j2 in matcher.get_opcodes():
            if op != "equal":
                removed += i2 - i1
                added += j2 - j1
        return cls(added, removed, len(new.images - old.images), len(old.images - new.images))

    def line(self) -> str:
        """``+12 −3 characters, +1 −0 images``; ``no change a reader sees`` when nothing changed."""
        if not (self.added or self.removed or self.images_added or self.images_removed):
            return "no change a reader sees"
        return (f"+{self.added} -{self.removed} characters, "
                f"+{self.images_added} -{self.images_removed} images")

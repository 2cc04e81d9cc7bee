"""A text post's title, as a reader would give it: WeChat's title field of a text post
whose author gave none holds the start of its text. Pure."""

from __future__ import annotations

import html
import re

from crawler.wechat import dom
from crawler.wechat.shown import shown_text, shows_no_character

_LINK = re.compile(r"(?:https?://|www\.)\S+", re.I)
_SENTENCE_END = re.compile(r"[。！？!?]|\.(?=\s|$)")
_CLAUSE_MARKS = "，、；：,;: "
UNTITLED = "无标题"  # an article whose page gives no title and whose body shows no text


def starts_with(text: str, title: str) -> bool:
    """Whether ``title`` is the start of ``text`` (spacing aside, WeChat's ``…`` cut off): the
    title field of a text post whose author gave none holds its text."""
    return "".join(_shown(text).split()).startswith("".join(title.removesuffix("…").split()))


def title_from_text(text: str, limit: int = 64) -> str:
    """A title for a text post, as a reader would give it: the first sentence of its first
    line (its text: the field may hold markup, a topic tag say), without links, at most
    ``limit`` characters, shortened at a comma when it is longer."""
    lines = (line.strip() for line in text.splitlines() if line.strip())
    first_line = _shown(next(lines, "")).strip()
    line = " ".join(_LINK.sub(" ", first_line).split()) or first_line
    end = _SENTENCE_END.search(line)
    sentence = line[:end.end()].rstrip("。.") if end else line
    if len(sentence) <= limit:
        return sentence
    cut = sentence[:limit - 1]
    clause = max(cut.rfind(mark) for mark in _CLAUSE_MARKS)
    return (cut[:clause] if clause >= limit // 2 else cut).rstrip(_CLAUSE_MARKS) + "…"


def shows_nothing(title: str) -> bool:
    """Whether ``title`` (from the page, its references read: a no-break space, a zero-width
    space) shows no character. It is text, not HTML: WeChat shows ``<!--重要-->`` as it is."""
    return shows_no_character(title)


def title_of_body(shown: str) -> str:
    """A title for an article whose page gives none (WeChat's editor asks for one, yet
    nothing shows every page has one): the first sentence the body shows, as for a text
    post, else ``UNTITLED``."""
    return title_from_text(html.escape(shown)) or UNTITLED


def _shown(text: str) -> str:
    """The text a post's text (HTML) shows, as its post shows it (``shown_text``)."""
    return shown_text(dom.fragment(text)) if "<" in text or "&" in text else text

"""Text from an article made literal for the post's readers: Liquid reads the post first,
then kramdown. ``escape_text`` makes a text node literal for kramdown (its markup
characters backslash-escaped, an ``&`` that would start an entity ``&amp;``);
``escape_liquid``, over the whole Markdown at once, prints every ``{`` that would open a
Liquid tag through Liquid itself, so that a tag split by empty elements (``{<b></b>%``)
cannot come together; ``url_in_markdown``, a URL inside a link's ``(…)``.
"""

from __future__ import annotations

import html
import re
from urllib.parse import quote

# kramdown's markup characters, escaped wherever they stand
_ANYWHERE = re.compile(r"([\\*_\[\]{}<>|$])")
# An entity, or the start of one at the text's end, which the next element's text may end.
_ENTITY_LIKE = re.compile(r"&(?=#?[A-Za-z0-9]*(?:;|$))")
# What would start a block at the start of a line, which a text node may be; also a dot or
# parenthesis, which the number of an element before it would make a list item's, and a
# colon, which makes a definition (with the next node's space) or, after "]", a link's.
_LINE_START = re.compile(r"^(\s*)([#+=.):]|-|\d+(?=[.)]))")
# An "&" and what may follow it in a character reference; a browser reads one where
# ``html.unescape`` does (a legacy name needs no ";": "&copy2024" shows "©2024").
_REFERENCE_LIKE = re.compile(r"&(#[xX]?[0-9A-Fa-f]*|[A-Za-z0-9]*)(;?)")
_LIQUID_OPEN = re.compile(r"\{(?=[{%])")
_LONE_CARET = re.compile(r"^(\s*)\^(?=\s*$)")
_TILDE_PAIR = re.compile("~(?=~)|^~|~$")


def escape_liquid(text: str) -> str:
    """Make Liquid print ``text`` as it is (its ``{{`` and ``{%`` included)."""
    return _LIQUID_OPEN.sub('{{ "{" }}', text)


def escape_text(text: str) -> str:
    """Text made literal for kramdown (Liquid is seen to by ``to_markdown``, for all at once)."""
    # "]:" in a link's text at a line's start would make the line a link definition, unseen
    text = _ANYWHERE.sub(r"\\\1", text).replace("\\]:", "\\]\\:")
    text = _ENTITY_LIKE.sub("&amp;", text)
    text = _LINE_START.sub(_escape_line_start, text)
    text = _LONE_CARET.sub(r"\1&#94;", text)  # a line of it alone would end a block, unseen
    if text.endswith("!"):  # a link after it would make the two an image
        text = text[:-1] + "\\!"
    # A backtick of the text is an entity: the only backticks kramdown sees are the code's,
    # which is what its table rows, read for code spans before escapes, need. So is a tilde
    # before another, or at an end, beside another element's: "~~" would strike text through,
    # "~~~" open a code block (GFM reads no "\\~" in an image's alt text).
    return _TILDE_PAIR.sub("&#126;", text).replace("`", "&#96;")


def wide_references(text: str) -> str:
    """``text`` with the ``&`` of each character reference in it full-width (``＆copy;``):
    text that a theme writes into HTML as it is, where ``&copy;`` would show ``©``."""
    return _REFERENCE_LIKE.sub(_wide_reference, text)


def _wide_reference(match: re.Match[str]) -> str:
    text = match.group()
    return text if html.unescape(text) == text else "＆" + text[1:]


def bracketed(text: str) -> str:
    """``text`` (escaped) as a link's or an image's text: a caret at its start is an entity,
    or kramdown reads "[^" as a footnote's mark and shows the whole link as its Markdown."""
    return "&#94;" + text[1:] if text.startswith("^") else text


def _escape_line_start(match: re.Match[str]) -> str:
    lead, mark = match.group(1), match.group(2)
    if mark[0].isdigit():
        return lead + mark + "\\"  # "1." → "1\." (the dot or paren follows)
    return lead + "\\" + mark


def url_in_markdown(url: str) -> str:
    """A URL safe inside ``(…)`` of a Markdown link and invisible to Liquid."""
    return quote(url.strip(), safe="/:?&=#%@+,;!~*'-._")

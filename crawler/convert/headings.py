"""A post's headings: the level each takes, and their text made safe for the blog theme's
catalog. Pure."""

from __future__ import annotations

import html
import re

from bs4 import BeautifulSoup
from bs4.element import Tag

from crawler.convert.code import HeldCode
from crawler.convert.escaping import wide_references
from crawler.convert.relink import LINK_TARGET, between, found_in
from crawler.wechat.shown import INVISIBLE

_HEADING = re.compile(r"^h([1-6])$")
# A heading longer than this is a paragraph an editor made big: it stays bold text.
LONGEST_HEADING = 40
# Where a heading's last word of hashes starts: kramdown would take them for closing marks.
_CLOSING_HASHES = re.compile(r"(?<=\s)(?=#+$)")
_FORMULA = re.compile(r"\$\$.*?\$\$")  # as the converter writes one: text's "$" are escaped
_FULL_WIDTH_ANGLES = str.maketrans("<>", "＜＞")
# An "&" that a heading's Markdown shows: escaped, or bare before a name with no ";" (a bare
# one before a ";" is an entity of ours, "&#96;"); and the name after it.
_SHOWN_AMPERSAND = re.compile(r"&(amp;)?(#[xX]?[0-9A-Fa-f]*|[A-Za-z0-9]*)(;?)")
# What of a heading's Markdown is not its text: links' targets and formulas.
_NOT_TEXT = re.compile(LINK_TARGET.pattern + "|" + _FORMULA.pattern)


def heading_shift(soup: BeautifulSoup) -> int:
    """The levels added to every heading of ``soup`` so that the highest is ``##`` (the
    theme's H1 is the title); only the headings the post shows as headings count."""
    levels = [int(match.group(1)) for tag in soup.find_all(_HEADING)
              if (match := _HEADING.match(tag.name)) and shows_text(tag)
              and not any(_writes_as_text(parent.name) for parent in tag.parents)]
    return max(0, 2 - min(levels)) if levels else 0


def shows_text(heading: Tag) -> bool:
    """Whether ``heading`` shows a reader some text: only such a heading is one in the post."""
    return bool(INVISIBLE.sub("", heading.get_text()).strip())


def _writes_as_text(name: str) -> bool:
    """Whether markdownify writes a heading inside a ``name`` element as text (``_inline``,
    ``_noformat``): a heading, a table cell, code."""
    return name in {"td", "th", "pre", "code", "kbd", "samp"} or bool(_HEADING.match(name))


def too_long(heading: str) -> bool:
    """Whether ``heading`` (Markdown) is as long as a paragraph; a link's target is not shown."""
    return len(LINK_TARGET.sub("]", heading)) > LONGEST_HEADING


def heading_text(heading: str, code: HeldCode) -> str:
    """``heading`` (Markdown) as a heading's text: safe for the catalog, and a last word of
    hashes escaped."""
    return _CLOSING_HASHES.sub("\\\\", _catalog_safe(heading, code))


def _catalog_safe(heading: str, code: HeldCode) -> str:
    """``heading`` (Markdown) with no ``<`` or ``>`` in the text it shows: Hux's side
    catalog, on every post since Hux 1.9, reads each heading's text and writes it back
    as HTML (``$('<a …>' + $(h).text() + '</a>')``), where it would be markup and run.
    Text's and ``code``'s are made full-width, as the title's; a formula's are LaTeX's
    ``\\lt`` and ``\\gt``. So is the ``&`` of a character reference the text shows
    (``&copy;``), which would show as the character it names."""
    code.change_spans_in(
        heading, lambda span: wide_references(span.translate(_FULL_WIDTH_ANGLES)))
    heading = _FORMULA.sub(lambda math: math.group().replace("<", "\\lt ")
                           .replace(">", "\\gt "), heading)
    heading = between(heading, found_in(_NOT_TEXT, heading),
                      lambda text: _SHOWN_AMPERSAND.sub(_wide_shown, text))
    return heading.replace("\\<", "＜").replace("\\>", "＞")


def _wide_shown(match: re.Match[str]) -> str:
    """The ``&`` of ``_SHOWN_AMPERSAND`` full-width if what it shows is a character reference."""
    escaped, name, end = match.groups()
    shown = f"&{name}{end}"
    if (not escaped and end) or html.unescape(shown) == shown:
        return match.group()
    return f"＆{name}{end}"

"""Inline markup (emphasis, a code span, a link) around what an element holds, paragraph by
paragraph. Pure.

An inline element may hold blocks (paragraphs, pictures, code). Its markers around them
would show as text, or worse, be glued to a code block's closing fence: kramdown would
then not close the block there, and the next code block's text would be read as HTML.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from bs4.element import Tag

from crawler.convert.code import BLOCK
from crawler.convert.relink import NO_REFERRER

# Where a link (or a picture) the converter wrote ends: text's "]" is escaped (after an
# even number of backslashes, the escaped backslashes of text that ends in one, it is not).
_HOLDS_LINK = re.compile(r"(?<!\\)(?:\\\\)*\]\(")
# A picture, as the converter writes one (not text's escaped "!" before a link).
_PICTURE = re.compile(r"(?<!\\)!\[(?:[^\[\]\\\n]|\\.)*\]\([^()\s]+\)(?:" + re.escape(NO_REFERRER) + ")?")
_BLANK_LINES = re.compile(r"(\n\s*\n)")
# What starts a block the converter wrote (source text never does: its line starts are
# escaped): a heading, quote, table, list, image, formula, rule, code block.
_BLOCK_START = re.compile(r"[#>|]|[-*+] |\d+[.)] |!\[|\$\$|---|" + BLOCK)

Convert = Callable[[Any, Tag, str, set[str]], str]


def emphasis(convert: Convert, same: set[str]) -> Convert:
    """markdownify's ``convert`` of an emphasis, applied paragraph by paragraph, and not
    again inside an emphasis of its kind (bold in bold is bold; ``****`` would show)."""
    def converter(self: Any, el: Tag, text: str, parent_tags: set[str]) -> str:
        if parent_tags & same:
            return text
        return each_paragraph(outside(lambda inner: str(convert(self, el, inner, parent_tags))),
                              text)
    return converter


def outside(wrap: Callable[[str], str]) -> Callable[[str], str]:
    """``wrap`` (an inline markup) applied to a piece of text (``each_paragraph`` gives it
    only pieces that hold some) without its white space at either end, which stays outside
    the markup: a line break there (a ``<br>`` first or last in a link or emphasis) would
    otherwise be trimmed with it, and two lines run together."""
    def wrapped(piece: str) -> str:
        return piece[:len(piece) - len(piece.lstrip())] + wrap(piece.strip()) + piece[len(piece.rstrip()):]
    return wrapped


def each_paragraph(wrap: Callable[[str], str], text: str, code: bool = False,
                   link: bool = False) -> str:
    """``text`` with ``wrap`` (an inline markup: emphasis, code span, ``link``) applied to
    each of its paragraphs and to nothing else."""
    return "".join(wrap(piece) if number % 2 == 0 and _wrapped(piece, number == 0, code, link)
                   else piece for number, piece in enumerate(_BLANK_LINES.split(text)))


def _wrapped(piece: str, first: bool, code: bool, link: bool) -> bool:
    """Whether an inline markup goes around ``piece``: a paragraph; a link also around a
    picture or a formula (inline in its brackets), and not around a paragraph that holds a
    link (a widget's line): kramdown shows a link in a link as its Markdown."""
    if link and (_PICTURE.fullmatch(piece.strip()) or piece.strip().startswith("$$")):
        return True
    return _is_paragraph(piece, first, code) \
        and not (link and _HOLDS_LINK.search(_PICTURE.sub("", piece)))


def _is_paragraph(piece: str, first: bool, code: bool) -> bool:
    """Whether ``piece`` (between blank lines) is a paragraph of text: not a block the
    converter wrote, nor the indented rest of one (a list item's). In ``code``, whose text
    is not escaped and may start as any block would (``|<script>…``), every piece is but a
    code block held aside."""
    if not piece.strip():
        return False
    if code:
        return not piece.strip().startswith(BLOCK)
    return (first or not piece[0].isspace()) and not _BLOCK_START.match(piece.strip())

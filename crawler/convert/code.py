"""Code in a post: code blocks and spans, held aside while the rest of the body is written.

A code block stands in the Markdown as "\\0code<number>\\0" on a line of its own until the
rest is written: no emphasis, link or tidying can reach its fences. A code span stands as
"\\0span<number>\\0", so that it is written knowing what is next to it. Pure.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from bs4.element import NavigableString, Tag

from crawler.convert.escaping import escape_text
from crawler.wechat.shown import INVISIBLE

BLOCK = "\0code"  # how a code block held aside starts its line
_BLOCK = re.compile("^(.*?)" + BLOCK + "([0-9]+)\0(.*)$", re.M)
_SPAN = re.compile("\0span([0-9]+)\0")
_HELD_BLOCK = re.compile(BLOCK + "([0-9]+)\0")
# What may come before a code block on its line: the marks of quotes and a list item's.
_BLOCK_MARKS = re.compile(r"[ >]*((?:[-*+]|\d+[.)]) +)?")
# kramdown's end-of-block mark: first in a list item, it ends an empty block and shows nothing
_END_OF_BLOCK = "^"
_LANGUAGE = re.compile(r"[A-Za-z0-9+#-]{1,20}")
# A line kramdown reads as a rule (its HR_START); after a blank line, in a list item, it ends
# the list, whatever the item holds (a fenced code block)
_RULE = re.compile(r"[ \t]*([-*_])[ \t]*\1[ \t]*\1(?:\1|[ \t])*")
# What a blank code line before such a line is written as: not blank to kramdown (its \s is
# ASCII's), blank to a reader
_NOT_BLANK = "\u00a0"


class HeldCode:
    """The code blocks and spans of one conversion: each held aside (``block``, ``span``)
    and put back in its place once the Markdown around it is written (``place``)."""

    def __init__(self) -> None:
        self.blocks: list[tuple[str, str]] = []  # (code, language)
        self.spans: list[str] = []

    def block(self, code: str, language: str) -> str:
        """``code`` as a fenced block in ``language`` (may be empty), to be placed."""
        self.blocks.append((code, language))
        return f"\n\n{BLOCK}{len(self.blocks) - 1}\0\n\n"

    def span(self, code: str, in_cell: bool = False) -> str:
        """``code`` as a code span, to be placed; a space before or after it stays outside.
        In a table's cell, code that holds ``</code>`` is text: kramdown parts a row at
        ``<code…>…</code>`` before it reads code spans, and a span cut there does not close;
        its bars part the cell and the HTML after them is HTML."""
        if not code.strip():
            return ""
        # the text of code inside this code (a heading's <pre> in a <code>; a quote's), as text
        code = _SPAN.sub(lambda inner: self.spans[int(inner.group(1))], code)
        code = _HELD_BLOCK.sub(lambda inner: self.blocks[int(inner.group(1))][0], code)
        if in_cell and "</code>" in code:
            return escape_text(code.replace("\n", " "))
        self.spans.append(code.strip().replace("\n", " "))
        return f"{' ' * code.startswith(' ')}\0span{len(self.spans) - 1}\0" \
               f"{' ' * code.endswith(' ')}"

    def spans_in(self, markdown: str) -> list[str]:
        """The code of the code spans ``markdown`` holds."""
        return [self.spans[int(number)] for number in _SPAN.findall(markdown)]

    def spans_as_text(self, markdown: str, which: Callable[[str], bool]) -> str:
        """``markdown`` with the code spans it holds whose code is ``which`` written as text."""
        def written(match: re.Match[str]) -> str:
            code = self.spans[int(match.group(1))]
            return escape_text(code) if which(code) else match.group()
        return _SPAN.sub(written, markdown)

    def change_spans_in(self, markdown: str, change: Callable[[str], str]) -> None:
        """The code spans ``markdown`` holds, each changed by ``change``."""
        for number in _SPAN.findall(markdown):
            self.spans[int(number)] = change(self.spans[int(number)])

    def place(self, markdown: str) -> str:
        """``markdown`` with its code written in: blocks first (one that shares its line
        with text becomes a span there), then spans."""
        if self.blocks:  # a pass over the whole post, only if it has work
            markdown = _BLOCK.sub(self._place_block, markdown)
        if self.spans:
            markdown = _SPAN.sub(self._place_span, markdown)
        return markdown

    def _place_block(self, match: re.Match[str]) -> str:
        """The code block a line holds, fenced, each line indented as the quote or list item
        it is in; one that shares its line with text (a link's) is a code span there."""
        marks, number, rest = match.groups()
        code, language = self.blocks[int(number)]
        marked = _BLOCK_MARKS.fullmatch(marks)
        if rest.strip() or not marked:
            return marks + self.span(code) + rest
        longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
        fence = "`" * max(3, longest + 1)
        indent = re.sub(r"[^>]", " ", marks)
        if marked.group(1):  # first in a list item: the fence on the item's line
            # was read as text, and the code's lines that start a list as lists of the item
            marks += f"{_END_OF_BLOCK}\n{indent.rstrip()}\n{indent}"
        code_lines = code.split("\n")
        if re.sub("> ?", "", indent):  # in a list item
            code_lines = _unbroken(code_lines)
        lines = [f"{fence}{language}", *code_lines, fence]
        return marks + "\n".join([lines[0], *(indent + line if line else indent.rstrip()
                                               for line in lines[1:])])

    def _place_span(self, match: re.Match[str]) -> str:
        """The code span ``match`` stands for, between more backticks than it holds, and
        apart from a backtick beside it (another span's): two runs of backticks that touch
        are one, and the span would not close."""
        code = self.spans[int(match.group(1))]
        ticks = "`" * (max((len(run) for run in re.findall(r"`+", code)), default=0) + 1)
        span = f"{ticks} {code} {ticks}" if "`" in code else f"{ticks}{code}{ticks}"
        text, start, end = match.string, match.start(), match.end()
        before = " " if start and text[start - 1] in "`\0" else ""
        after = " " if end < len(text) and text[end] in "`\0" else ""
        return before + span + after


def _unbroken(lines: list[str]) -> list[str]:
    """A list item's code block's ``lines``, each blank one before a line kramdown reads as
    a rule written as no-break spaces (one for an empty line): kramdown ended the list at
    that line, the rest of the block shown as a rule and text."""
    return [_NOT_BLANK * max(1, len(line)) if not line.strip() and _RULE.fullmatch(after) else line
            for line, after in zip(lines, [*lines[1:], ""], strict=True)]


def code_lines(pre: Tag) -> str:
    """The text of a code block: ``<br>`` and per-line ``<code>``s become newlines, gutters go.
    A line's ``<code>`` ending in a ``<br>`` (an empty one is only that) is that one line."""
    codes = pre.find_all("code", recursive=False)
    if len(codes) > 1:
        return "\n".join(_code_text(code).removesuffix("\n") for code in codes)
    return _code_text(pre)


def _code_text(element: Tag) -> str:
    out: list[str] = []
    for child in element.children:
        if isinstance(child, NavigableString):
            out.append(str(child))
        elif isinstance(child, Tag):
            if child.name == "br":
                out.append("\n")
                continue
            out.append(_code_text(child))
            if child.name in ("p", "div", "section", "li") and not out[-1].endswith("\n"):
                out.append("\n")
    return INVISIBLE.sub("", "".join(out)).replace("\u00a0", " ")


def code_language(pre: Tag) -> str:
    """The language a code block names (WeChat's ``data-lang`` or ``code-snippet__<name>``
    class), if it is a plausible one; else empty."""
    names = [str(pre.get("data-lang") or "")] + [
        c.split("__", 1)[1] for c in pre.get("class") or [] if c.startswith("code-snippet__")
    ]
    return next((n for n in names if _LANGUAGE.fullmatch(n)), "")

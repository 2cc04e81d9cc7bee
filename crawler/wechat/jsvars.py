"""Values that WeChat pages carry in inline JavaScript rather than in the DOM.

Article pages state their metadata twice over, in two styles:

* ``var ct = "1762747210";``, ``var biz = "" || "MzA4…";``, ``var nickname = htmlDecode("…");``
  (classic and 2025 article template);
* ``title: JsDecode('…'),`` and ``mid: '2247503866' * 1,`` inside ``window.cgiDataNew``
  (image and text posts).

Only string literals are read; nothing is evaluated.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

# A string literal, written as an unrolled loop: Python's ``re`` is slow on ``(?:a|b)*``.
_STR = r"""(?:"[^"\\\n]*(?:\\.[^"\\\n]*)*"|'[^'\\\n]*(?:\\.[^'\\\n]*)*')"""
_JS_ESCAPE = re.compile(r"""\\(x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4}|.)""", re.S)
_SIMPLE_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}


def js_unescape(literal: str) -> str:
    """The value of a JavaScript string literal's body (quotes already removed)."""

    def one(match: re.Match[str]) -> str:
        code = match.group(1)
        if code[0] in "xu" and len(code) > 1:
            return chr(int(code[1:], 16))
        return _SIMPLE_ESCAPES.get(code, code)

    return _JS_ESCAPE.sub(one, literal)


def _literals(alternatives: str) -> Iterator[str]:
    for match in _STRING.finditer(alternatives):
        yield html.unescape(js_unescape(match.group(0)[1:-1]))


def _occurrences(text: str, needle: str) -> Iterator[int]:
    """Start positions of ``needle`` (``str.find`` is far faster than regex over 3 MB pages)."""
    pos = text.find(needle)
    while pos >= 0:
        yield pos
        pos = text.find(needle, pos + 1)


def var(script: str, name: str) -> str:
    """First non-empty value assigned by ``var NAME = …`` or ``window.NAME = …``.

    Handles ``"" || "value"`` chains and the ``htmlDecode("…")`` wrapper.
    """
    return assigned(script, f"var {name}") or assigned(script, f"window.{name}")


def assigned(script: str, target: str) -> str:
    """First non-empty string assigned by a statement ``TARGET = "…"``."""
    for pos in _occurrences(script, target):
        if pos and script[pos - 1] not in _STATEMENT_START:
            continue
        match = _ASSIGNMENT.match(script, pos + len(target))
        if not match:
            continue
        for value in _literals(match.group(1)):
            if value.strip():
                return value.strip()
    return ""


def object_literal(script: str, name: str) -> str:
    """Source text of the ``{…}`` assigned to ``NAME = {`` or ``NAME: {`` (first occurrence)."""
    open_at = _opening(script, name, "{")
    if open_at < 0:
        return ""
    for pos, depth in _structure(script, open_at):
        if depth == 0:
            return script[open_at:pos + 1]
    return ""


def array_items(script: str, name: str) -> list[str]:
    """Source text of each ``{…}`` element of the array ``NAME: [ … ]`` or ``NAME = [ … ]``."""
    open_at = _opening(script, name, "[")
    if open_at < 0:
        return []
    items: list[str] = []
    item_start = -1
    for pos, depth in _structure(script, open_at):
        if depth == 0:
            break
        if depth == 2 and script[pos] == "{":
            item_start = pos
        elif depth == 1 and script[pos] == "}" and item_start >= 0:
            items.append(script[item_start:pos + 1])
            item_start = -1
    return items


class Fields:
    """Fields of a JavaScript object literal; a value is decoded only when it is read."""

    def __init__(self) -> None:
        self._literals: dict[str, str] = {}

    def add(self, name: str, literal: str) -> None:
        """Keep the first non-empty literal given for ``name``."""
        if name not in self._literals or not len(self._literals[name].strip("'\" ")):
            self._literals[name] = literal

    def __contains__(self, name: str) -> bool:
        return name in self._literals

    def get(self, name: str, default: str = "") -> str:
        literal = self._literals.get(name)
        return next(_literals(literal)).strip() if literal else default


def top_level_fields(obj: str) -> Fields:
    """Every ``NAME: JsDecode('…')`` or ``NAME: '7' * 1`` at the top level of ``{…}`` text.

    One walk over the object; the first non-empty value of a name wins.
    """
    fields = Fields()
    span_start = -1
    for pos, depth in _structure(obj, 0):
        if span_start >= 0:
            for match in _FIELD.finditer(obj, span_start, pos + 1):
                fields.add(match.group(1), match.group(2))
        span_start = pos + 1 if depth == 1 else -1
    return fields


def _opening(script: str, name: str, bracket: str) -> int:
    """Position of the bracket opening the value of ``NAME = `` / ``NAME: ``, or -1."""
    after_name = re.compile(rf"\s*[:=]\s*\{bracket}")
    for pos in _occurrences(script, name):
        if pos and _is_word(script[pos - 1]) and not script.endswith("window.", 0, pos):
            continue
        match = after_name.match(script, pos + len(name))
        if match:
            return match.end() - 1
    return -1


def _is_word(char: str) -> bool:
    return char.isalnum() or char in "_$."


# What may precede ``var x =`` / ``window.x =`` as a statement (not inside a string).
_STATEMENT_START = frozenset(" \t\r\n;{}(,")
_STRING = re.compile(_STR, re.S)
_ASSIGNMENT = re.compile(rf"\s*=\s*(?:htmlDecode\()?({_STR}(?:\s*\|\|\s*{_STR})*)")
_FIELD = re.compile(rf"(?<![\w$.])([A-Za-z_$][\w$]*)\s*:\s*(?:JsDecode\()?({_STR})")
_STRUCTURAL = re.compile(r"""[][{}"']""")


def _structure(text: str, pos: int) -> Iterator[tuple[int, int]]:
    """Walk ``text`` from ``pos`` outside string literals, yielding (bracket position, depth).

    The depth is the one after the bracket: 1 for the first opening bracket.
    """
    depth = 0
    while True:
        found = _STRUCTURAL.search(text, pos)
        if not found:
            return
        pos = found.start()
        char = text[pos]
        if char in "\"'":
            literal = _STRING.match(text, pos)
            pos = literal.end() if literal else pos + 1
            continue
        depth += 1 if char in "[{" else -1
        yield pos, depth
        if depth <= 0:
            return
        pos += 1

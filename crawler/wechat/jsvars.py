"""Values that WeChat pages carry in inline JavaScript rather than in the DOM.

Article pages state their metadata twice over, in two styles:

* ``var ct = "1762747210";``, ``var biz = "" || "MzA4…";``, ``var nickname = htmlDecode("…");``
  (classic and 2025 article template);
* ``title: JsDecode('…'),`` and ``mid: '2247503866' * 1,`` inside ``window.cgiDataNew``
  (image and text posts).

Only string literals are read; nothing is evaluated. The page is searched as the UTF-8
bytes it came in: a 3 MB page is never decoded whole, only the literals that are read.
"""

from __future__ import annotations

import html
import re
import string
from collections.abc import Iterator

# A string literal, written as an unrolled loop: Python's ``re`` is slow on ``(?:a|b)*``.
_STR = rb"""(?:"[^"\\\n]*(?:\\.[^"\\\n]*)*"|'[^'\\\n]*(?:\\.[^'\\\n]*)*')"""
_JS_ESCAPE = re.compile(r"""\\(x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4}|.)""", re.S)
_SIMPLE_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}
# A backslash that does not start an escape Python's ``unicode_escape`` reads as JavaScript
# does (Python reads ``\\0`` with the digits after it as octal, keeps ``\\q`` as it is,
# ``\\a`` is a bell; JavaScript reads a missing hex digit, ``\\U``, ``\\N{…}`` otherwise).
_PYTHON_READS_OTHERWISE = re.compile(r"""\\(?!x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4}|[nrtbfv'"\\])""")
_SURROGATE = re.compile("[\ud800-\udfff]")


def number(raw: str) -> int | None:
    """A decimal number of ASCII digits; None for anything else (``"²".isdigit()`` is true
    but ``int("²")`` fails, and Python refuses to read numbers of over 4,300 digits)."""
    raw = raw.strip()
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 18 else None


def js_unescape(literal: str) -> str:
    """The value of a JavaScript string literal's body (quotes already removed).

    JavaScript strings are UTF-16: ``\\ud83d\\ude00`` is one emoji, and a lone
    ``\\ud800`` is no character at all (it becomes U+FFFD), so the value can always be
    written as UTF-8. NUL, which no text shows, is dropped.

    A literal whose escapes Python's ``unicode_escape`` reads as JavaScript does is read by
    it, in C: a shared article's body in ``content_noencode`` is 400 KB with 100,000
    escapes, each a call of ``one`` otherwise.
    """

    def one(match: re.Match[str]) -> str:
        code = match.group(1)
        if code[0] in "xu" and len(code) > 1:
            return chr(int(code[1:], 16))
        return _SIMPLE_ESCAPES.get(code, code)

    if "\\" not in literal:
        value = literal
    elif _PYTHON_READS_OTHERWISE.search(literal):
        value = _JS_ESCAPE.sub(one, literal)
    else:
        value = literal.encode("ascii", "backslashreplace").decode("unicode_escape")
    if _SURROGATE.search(value):
        value = value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return value.replace("\0", "")


def _literals(alternatives: bytes, markup: bool = False) -> Iterator[str]:
    """The values of the string literals in ``alternatives``; as text (HTML references read),
    or as the ``markup`` they are."""
    for match in _STRING.finditer(alternatives):
        value = js_unescape(match.group(0)[1:-1].decode("utf-8", "replace"))
        yield value if markup else html.unescape(value)


def _occurrences(text: bytes, needle: bytes) -> Iterator[int]:
    """Start positions of ``needle`` (``find`` is far faster than regex over 3 MB pages)."""
    pos = text.find(needle)
    while pos >= 0:
        yield pos
        pos = text.find(needle, pos + 1)


def var(script: bytes, name: str) -> str:
    """First non-empty value assigned by ``var NAME = …``, else by ``window.NAME = …``.

    Handles ``"" || "value"`` chains and the ``htmlDecode("…")`` wrapper. A name of
    ``_RARE_NAME`` bytes or more is looked for once, each place told apart by what precedes
    it: a 3 MB page is scanned once, not twice. A shorter one (``ct``) is in most lines of
    script, and is looked for after each keyword.
    """
    needle = name.encode("utf-8")
    if len(needle) < _RARE_NAME:
        return assigned(script, f"var {name}") or assigned(script, f"window.{name}")
    found = dict.fromkeys(_KEYWORDS, "")
    for pos in _occurrences(script, needle):
        for keyword in _KEYWORDS:
            start = pos - len(keyword)
            if not found[keyword] and start >= 0 and script.startswith(keyword, start):
                found[keyword] = _assigned_at(script, start, pos + len(needle))
        if found[_KEYWORDS[0]]:
            break
    return found[_KEYWORDS[0]] or found[_KEYWORDS[1]]


def assigned(script: bytes, target: str, markup: bool = False) -> str:
    """First non-empty string assigned by a statement ``TARGET = "…"``; as the ``markup``
    it is, for a target such as an ``innerHTML``."""
    needle = target.encode("utf-8")
    for pos in _occurrences(script, needle):
        if value := _assigned_at(script, pos, pos + len(needle), markup):
            return value
    return ""


def _assigned_at(script: bytes, start: int, end: int, markup: bool = False) -> str:
    """The first non-empty string assigned to the target at ``script[start:end]``, if that
    starts a statement that assigns one, else ""."""
    if start and script[start - 1] not in _STATEMENT_START:
        return ""
    match = _ASSIGNMENT.match(script, end)
    values = (value.strip() for value in _literals(match.group(1), markup)) if match else iter(())
    return next((value for value in values if value), "")


def object_literal(script: bytes, name: str) -> bytes:
    """Source text of the ``{…}`` assigned to ``NAME = {`` or ``NAME: {`` (first occurrence)."""
    open_at = _opening(script, name, "{")
    if open_at < 0:
        return b""
    for pos, depth in _structure(script, open_at):
        if depth == 0:
            return script[open_at:pos + 1]
    return b""


def array_items(script: bytes, name: str) -> list[bytes]:
    """Source text of each ``{…}`` element of the array ``NAME: [ … ]`` or ``NAME = [ … ]``."""
    open_at = _opening(script, name, "[")
    if open_at < 0:
        return []
    items: list[bytes] = []
    item_start = -1
    for pos, depth in _structure(script, open_at):
        if depth == 0:
            break
        if depth == 2 and script[pos] == _OPEN_BRACE:
            item_start = pos
        elif depth == 1 and script[pos] == _CLOSE_BRACE and item_start >= 0:
            items.append(script[item_start:pos + 1])
            item_start = -1
    return items


class Fields:
    """Fields of a JavaScript object literal; a value is decoded only when it is read."""

    def __init__(self) -> None:
        self._literals: dict[str, bytes] = {}

    def add(self, name: str, literal: bytes) -> None:
        """Keep the first non-empty literal given for ``name``."""
        if name not in self._literals or not len(self._literals[name].strip(b"'\" ")):
            self._literals[name] = literal

    def __contains__(self, name: str) -> bool:
        return name in self._literals

    def get(self, name: str, default: str = "") -> str:
        literal = self._literals.get(name)
        return next(_literals(literal)).strip() if literal else default

    def markup(self, name: str) -> str:
        """The value of ``name`` as the HTML it is (a post's text): its references are the
        HTML parser's to read, once."""
        literal = self._literals.get(name)
        return next(_literals(literal, markup=True)).strip() if literal else ""


def top_level_fields(obj: bytes) -> Fields:
    """Every ``NAME: JsDecode('…')`` or ``NAME: '7' * 1`` at the top level of ``{…}`` text.

    One walk over the object; the first non-empty value of a name wins.
    """
    return _fields(obj, 0)[0]


def object_fields(script: bytes, name: str) -> tuple[bytes, Fields]:
    """``object_literal(script, name)`` and its ``top_level_fields``, in one walk over it
    rather than two (a 2025 page's ``window.cgiDataNew`` is some 400 KB)."""
    open_at = _opening(script, name, "{")
    fields, end = _fields(script, open_at) if open_at >= 0 else (Fields(), -1)
    return (script[open_at:end + 1], fields) if end >= 0 else (b"", Fields())


def _fields(text: bytes, open_at: int) -> tuple[Fields, int]:
    """The top-level fields of the object opening at ``open_at``, and where it closes (-1:
    it does not). A field whose value is a bare number (``albumId: 4180740440766726147``:
    no capture shows one, nobody knows WeChat never writes one) is read as its digits,
    quoted: the text between the object's own brackets and literals is looked through."""
    fields = Fields()
    gap = -1  # where the text at the object's own level not looked through yet starts
    for pos, depth in _structure(text, open_at):
        if gap >= 0 and pos - gap > 3 and _BARE_VALUE.search(text, gap, pos):
            for bare in _BARE_NUMBER.finditer(text[gap:pos]):
                fields.add(bare.group(1).decode("ascii"), b'"' + bare.group(2) + b'"')
        if depth == 0:
            return fields, pos
        gap = -1
        if depth == 1 and text[pos] in _QUOTES:
            head = _FIELD_HEAD.search(text, max(open_at, pos - _LONGEST_FIELD_HEAD), pos)
            gap = _literal_end(text, pos)
            if head:
                fields.add(head.group(1).decode("ascii"), text[pos:gap])
        elif depth == 1:
            gap = pos + 1
    return fields, -1


def _opening(script: bytes, name: str, bracket: str) -> int:
    """Position of the bracket opening the value of ``NAME = `` / ``NAME: ``, or -1."""
    after_name = re.compile(rf"\s*[:=]\s*\{bracket}".encode())
    needle = name.encode("utf-8")
    for pos in _occurrences(script, needle):
        if pos and script[pos - 1] in _WORD and not script.endswith(b"window.", 0, pos):
            continue
        match = after_name.match(script, pos + len(needle))
        if match:
            return match.end() - 1
    return -1


_KEYWORDS = (b"var ", b"window.")  # in the order ``var`` tries them
_RARE_NAME = 8
# What may precede ``var x =`` / ``window.x =`` as a statement (not inside a string).
_STATEMENT_START = frozenset(b" \t\r\n;{}(,")
# Bytes of an identifier, or of the ``a.`` before a property: every byte of a non-ASCII
# character is 0x80 or above.
_WORD = frozenset(string.ascii_letters.encode() + string.digits.encode() + b"_$."
                  + bytes(range(0x80, 0x100)))
_STRING = re.compile(_STR, re.S)
_ASSIGNMENT = re.compile(rb"\s*=\s*(?:htmlDecode\()?(" + _STR + rb"(?:\s*\|\|\s*" + _STR + rb")*)")
# What precedes a field's literal: ``NAME: `` or ``NAME: JsDecode(``, looked for this far back.
_FIELD_HEAD = re.compile(rb"(?<![\w$.\x80-\xff])([A-Za-z_$][\w$]*)\s*:\s*(?:JsDecode\()?\Z")
_LONGEST_FIELD_HEAD = 128
# A field whose value is a bare decimal number, in text between literals (``'…', size: 12,``)
_BARE_NUMBER = re.compile(rb"(?:\A|[,{])\s*([A-Za-z_$][\w$]*)\s*:\s*(\d+)(?:\s*\*\s*1)?\s*(?=,|\Z)")
# Whether a gap may hold one, looked for in place (most gaps hold none: ``',\n  title: '``)
_BARE_VALUE = re.compile(rb":\s*\d")
_STRUCTURAL = re.compile(rb"""[][{}"']""")
_QUOTES = frozenset(b"\"'")
_OPENING = frozenset(b"[{")
_OPEN_BRACE, _CLOSE_BRACE, _BACKSLASH = ord("{"), ord("}"), ord("\\")


def _structure(text: bytes, pos: int) -> Iterator[tuple[int, int]]:
    """Walk ``text`` from ``pos``, yielding (position, depth) of each bracket and of each
    string literal (whose brackets are not counted).

    The depth is the one after the bracket: 1 for the first opening bracket.
    """
    depth = 0
    while True:
        found = _STRUCTURAL.search(text, pos)
        if not found:
            return
        pos = found.start()
        char = text[pos]
        if char in _QUOTES:
            end = _literal_end(text, pos)
            if end < 0:
                pos += 1
                continue
            yield pos, depth
            pos = end
            continue
        depth += 1 if char in _OPENING else -1
        yield pos, depth
        if depth <= 0:
            return
        pos += 1


def _literal_end(text: bytes, start: int) -> int:
    """Where the string literal opening at ``start`` ends (past its closing quote), or -1
    when it does not end: a quote or a line break not escaped ends it.

    As ``_STRING`` matches, with ``find``: a regex steps through each escape, and a 2025
    page's ``content_noencode`` is a literal of 400 KB and 15,000 ``\\x3c``s.
    """
    quote = text[start:start + 1]
    pos, close = start + 1, -1
    while True:
        if close < pos:
            close = text.find(quote, pos)
            if close < 0:
                return -1
        # up to the quote only: a minified object is one line of thousands of literals
        newline = text.find(b"\n", pos, close)
        if newline >= 0:
            if not _escaped(text, newline):
                return -1
            pos = newline + 1
        elif _escaped(text, close):
            pos = close + 1
        else:
            return close + 1


def _escaped(text: bytes, pos: int) -> bool:
    """Whether an odd number of backslashes precedes ``pos``."""
    start = pos
    while start and text[start - 1] == _BACKSLASH:
        start -= 1
    return (pos - start) % 2 == 1

"""Log lines carry no raw control characters from outside.

Pages, saved files and their names reach the log as arguments of its lines (``Not
imported: %s``). A line break there would write a line of its own, one an attacker
chooses ("… INFO: Run summary (finished): 99 new"), and an escape sequence would speak to
the terminal. So every argument of every record is shown with its control characters
escaped (``\\n``, ``\\x1b``), but for the line breaks of an argument the template starts
on a line of its own (Scrapy's ``Dumping Scrapy stats:\\n%(stats)s``): a dump's lines are
its layout.

And what an argument quotes is bounded, each of its lines: a link of 70 KB (an album item's
``chksm``, a hostile link) or a page's title of as much was a line of 70 KB in the cron mail.
A URL longer than ``URL_SHOWN`` keeps what names its article (scheme, host, path, ``__biz``,
``mid``, ``idx``, ``sn``, an album's id); text between URLs longer than ``TEXT_SHOWN`` keeps
its start and end (the words after a title quoted say what became of the article); each says
how much was left out. Here, once, for every line: not at each line that quotes.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from typing import Any

from scrapy.crawler import Crawler

from crawler.wechat.urls import split_url

_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")  # a tab stays a tab
_CONTROL_BUT_LINE_BREAKS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")
_ESCAPES = {"\n": "\\n", "\r": "\\r"}
# The longest URL, text between URLs, and line of an argument shown whole (characters)
URL_SHOWN = 300
TEXT_SHOWN = 800
LINE_SHOWN = 2000
# What a URL shortened keeps of its parts: so much of its host and path, of each value named
_PART_SHOWN = 120
_VALUE_SHOWN = 64
# The query's names that say which article (or album) a URL is of
_NAMING = frozenset({"__biz", "mid", "idx", "sn", "album_id"})
_URL = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://[^\s'\"<>]+")
_URL_END = re.compile(r"[.,;:!?)\]]+$")  # the line's punctuation after a URL, not the URL's


def escape_controls(text: str, pattern: re.Pattern[str] = _CONTROL) -> str:
    """``text`` with the control characters ``pattern`` finds written as escapes."""
    return pattern.sub(_escape, text)


def shown(text: str) -> str:
    """``text`` from outside as a line printed (not logged) shows it: escaped and bounded."""
    return bounded(escape_controls(text))


def bounded(text: str) -> str:
    """``text`` with each of its lines bounded (see the module's docstring)."""
    if len(text) <= URL_SHOWN:  # the common case, at once: nothing in it is long
        return text
    return "\n".join(_bounded_line(line) for line in text.split("\n"))


def _bounded_line(line: str) -> str:
    pieces, start = [], 0
    for match in _URL.finditer(line):
        url = _URL_END.sub("", match.group())
        pieces += [_cut_middle(line[start:match.start()], TEXT_SHOWN), _shortened_url(url)]
        start = match.start() + len(url)
    pieces.append(_cut_middle(line[start:], TEXT_SHOWN))
    return _cut_middle("".join(pieces), LINE_SHOWN)


def _shortened_url(url: str) -> str:
    """``url`` as a line quotes it: whole up to ``URL_SHOWN`` characters, else its scheme,
    host, path and the first value of each name of ``_NAMING`` (each bounded), then how
    much was left out."""
    if len(url) <= URL_SHOWN:
        return url
    parts = split_url(url)
    if parts is None:  # a URL no part of the project takes for one ("[" unclosed): the text it is
        return _cut_middle(url, URL_SHOWN)
    kept: dict[str, str] = {}
    for pair in parts.query.split("&"):
        name = pair.partition("=")[0]
        if name in _NAMING and name not in kept:
            kept[name] = pair[:len(name) + 1 + _VALUE_SHOWN]
    shown = (f"{parts.scheme}://{parts.netloc[:_PART_SHOWN]}{parts.path[:_PART_SHOWN]}"
             + (f"?{'&'.join(kept.values())}" if kept else ""))
    return f"{shown}…{_left_out(len(url) - len(shown))}"


def _cut_middle(text: str, limit: int) -> str:
    """``text``, or its start and end with how much of it was left out between them."""
    if len(text) <= limit:
        return text
    head, tail = limit * 2 // 3, limit // 3
    return f"{text[:head]}…{_left_out(len(text) - head - tail)}…{text[-tail:]}"


def _left_out(count: int) -> str:
    return f"(shortened: {count:,} characters left out)"


def counted(number: int, noun: str) -> str:
    """``1 album``, ``3 albums``, ``0 albums``: a number and the noun it counts."""
    return f"{number} {noun}{'s' * (number != 1)}"


def agreeing(number: int, singular: str, plural: str) -> str:
    """The form of a verb whose subject counts ``number``: ``is`` of 1, ``are`` of 0 or 2."""
    return singular if number == 1 else plural


def _escape(match: re.Match[str]) -> str:
    character = match.group()
    if character in _ESCAPES:
        return _ESCAPES[character]
    return f"\\x{ord(character):02x}" if ord(character) < 0x100 else f"\\u{ord(character):04x}"


class _Shown:
    """A record's argument as it is shown: ``%s`` and ``%r`` of it, escaped."""

    __slots__ = ("pattern", "value")

    def __init__(self, value: object, pattern: re.Pattern[str]):
        self.value, self.pattern = value, pattern

    def __str__(self) -> str:
        return bounded(escape_controls(str(self.value), self.pattern))

    def __repr__(self) -> str:
        return bounded(escape_controls(repr(self.value), self.pattern))


def _shown(value: object, pattern: re.Pattern[str]) -> object:
    # Numbers stay numbers, for %d and %.1f; nothing in them needs escaping.
    return value if isinstance(value, (int, float)) else _Shown(value, pattern)


# A conversion of a %-template ("%%" is one too, of no argument).
_CONVERSION = re.compile(r"%(?:\((?P<name>[^)]*)\))?[#0 +-]*\d*(?:\.\d+)?[hlL]?(?P<kind>[a-zA-Z%])")


def escape_arguments(record: logging.LogRecord) -> logging.LogRecord:
    """``record`` with its arguments shown escaped (see the module's docstring)."""
    if not record.args:
        return record
    own_line: set[int | str] = set()
    if isinstance(record.msg, str):
        template = record.msg
        conversions = [m for m in _CONVERSION.finditer(template) if m.group("kind") != "%"]
        own_line = {m.group("name") if m.group("name") is not None else number
                    for number, m in enumerate(conversions) if template[m.start() - 1:m.start()] == "\n"}

    def shown(key: int | str, value: object) -> object:
        return _shown(value, _CONTROL_BUT_LINE_BREAKS if key in own_line else _CONTROL)

    if isinstance(record.args, Mapping):
        record.args = {key: shown(key, value) for key, value in record.args.items()}
    else:
        record.args = tuple(shown(number, value) for number, value in enumerate(record.args))
    return record


def install() -> None:
    """Make every log record of this process escape its arguments (once)."""
    factory: Callable[..., logging.LogRecord] = logging.getLogRecordFactory()
    if getattr(factory, "escapes_arguments", False):
        return

    def escaping_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return escape_arguments(factory(*args, **kwargs))

    escaping_factory.escapes_arguments = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(escaping_factory)


class EscapedLogText:
    """The extension that installs the escaping when a crawl is set up, before any page."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> EscapedLogText:
        install()
        return cls()

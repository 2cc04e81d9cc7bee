"""Log lines carry no raw control characters from outside.

Pages, saved files and their names reach the log as arguments of its lines (``Not
imported: %s``). A line break there would write a line of its own, one an attacker
chooses ("… INFO: Run summary (finished): 99 new"), and an escape sequence would speak to
the terminal. So every argument of every record is shown with its control characters
escaped (``\\n``, ``\\x1b``), but for the line breaks of an argument the template starts
on a line of its own (Scrapy's ``Dumping Scrapy stats:\\n%(stats)s``): a dump's lines are
its layout.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from typing import Any

from scrapy.crawler import Crawler

_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")  # a tab stays a tab
_CONTROL_BUT_LINE_BREAKS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")
_ESCAPES = {"\n": "\\n", "\r": "\\r"}


def escape_controls(text: str, pattern: re.Pattern[str] = _CONTROL) -> str:
    """``text`` with the control characters ``pattern`` finds written as escapes."""
    return pattern.sub(_escape, text)


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
        return escape_controls(str(self.value), self.pattern)

    def __repr__(self) -> str:
        return escape_controls(repr(self.value), self.pattern)


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

"""``crawler.report.logtext``: log records show their arguments' control characters escaped."""

from __future__ import annotations

import logging

from crawler.report.logtext import escape_arguments


def message(template: str, *args: object) -> str:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, template, args, None)
    return escape_arguments(record).getMessage()


def test_an_argument_cannot_break_a_line_or_speak_to_the_terminal() -> None:
    assert message("Not imported: %s", "a\nb\r\x1b[2J\u2028c\td") == \
        "Not imported: a\\nb\\r\\x1b[2J\\u2028c\td"
    assert message("%r is %d pages, %.1f s", "x\ny", 3, 0.25) == "'x\\ny' is 3 pages, 0.2 s"


def test_an_argument_the_template_puts_on_lines_of_its_own_keeps_its_lines() -> None:
    assert message("Dumping stats:\n%s", "{'a': 1,\n 'b': 2}\x1b") == "Dumping stats:\n{'a': 1,\n 'b': 2}\\x1b"
    assert message("Dropped: %s\n%s", "a\nb", "c\nd") == "Dropped: a\\nb\nc\nd"
    assert message("%d%% of %s\n%s", 5, "a\nb", "c\nd") == "5% of a\\nb\nc\nd"


def test_named_arguments_are_escaped_too() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "Dropped: %(exception)s\n%(item)s",
                               ({"exception": ValueError("a\nb"), "item": "c\nd"},), None)
    assert escape_arguments(record).getMessage() == "Dropped: a\\nb\nc\nd"

"""A tag as Hux's archive page reads it back: text, or a number, a boolean or null.

The page writes each tag through Liquid, ``{{ tag | strip | url_encode }}``, into its tag
buttons' ``data-encode`` and its posts' ``data-tags`` (joined by ","), and its script reads
them with jQuery's ``.data()``. jQuery gives "true", "false" and "null" as those values, and
a string ``s`` as a number when ``String(+s) === s`` in JavaScript: "1e-7", "0.5", "NaN",
"-Infinity", but not "007", "1.0" or "1e21". (It reads ``{…}`` and ``[…]`` as JSON too, but
url_encode leaves no brace.) Pure functions: Ruby's, Liquid's and JavaScript's rules.
"""

from __future__ import annotations

import math
from decimal import Decimal
from urllib.parse import quote_plus

_JQUERY_WORDS = frozenset({"true", "false", "null"})
# What Ruby's String#strip takes off, which Liquid's strip is: not Unicode's spaces.
_RUBY_SPACE = " \t\n\v\f\r\0"
# JavaScript writes a number's digits out up to this exponent, then as "1e+21".
_JS_PLAIN_UP_TO = 21


def reads_as_text(tag: str) -> bool:
    """Whether the archive page gets ``tag`` back as text, so that its filter can find it."""
    written = _url_encoded(tag)
    return written not in _JQUERY_WORDS and not _is_js_number(written)


def _url_encoded(tag: str) -> str:
    """``{{ tag | strip | url_encode }}``: Ruby's ``CGI.escape``, which keeps letters, digits
    and ``_.-~`` and writes a space as "+" (so "1e 21" becomes "1e+21", a number)."""
    return quote_plus(tag.strip(_RUBY_SPACE), safe="~")


def _is_js_number(text: str) -> bool:
    """``String(+text) === text``: only the strings JavaScript writes numbers as pass, so
    Python's float() reading more than JavaScript does ("1_0", "inf") changes nothing."""
    try:
        return _js_number_string(float(text)) == text
    except ValueError:
        return False


def _js_number_string(number: float) -> str:
    """``String(number)`` in JavaScript (ECMA-262, Number::toString): the shortest digits that
    read back as ``number``, written out from 1e-6 to below 1e21, else with an exponent."""
    if math.isnan(number):
        return "NaN"
    if number == 0:
        return "0"
    sign = "-" if number < 0 else ""
    if math.isinf(number):
        return sign + "Infinity"
    # repr's digits are the shortest that read back, as JavaScript's are
    shortest = Decimal(repr(abs(number))).normalize().as_tuple()
    digits = "".join(map(str, shortest.digits))
    assert isinstance(shortest.exponent, int), shortest  # finite
    count, point = len(digits), shortest.exponent + len(digits)
    if count <= point <= _JS_PLAIN_UP_TO:
        return sign + digits + "0" * (point - count)
    if 0 < point <= _JS_PLAIN_UP_TO:
        return f"{sign}{digits[:point]}.{digits[point:]}"
    if -6 < point <= 0:
        return f"{sign}0.{'0' * -point}{digits}"
    fraction = f".{digits[1:]}" if count > 1 else ""
    return f"{sign}{digits[0]}{fraction}e{point - 1:+d}"

"""``crawler.wechat.jsvars``: values read from inline JavaScript, nothing evaluated."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.wechat import jsvars


@pytest.mark.parametrize("literal, value", [
    (r"a\x26b\u4e2d", "a&b中"), (r"\n\t\'\"\\", "\n\t'\"\\"), (r"\ud83d\ude00", "😀"),
    (r"x\ud800y", "x\ufffdy"), (r"\u0000z\0", "z"), (r"\q", "q"),
    (r"\xz\u12", "xzu12"),  # no code after \x or \u: the letter, as JavaScript's sloppy mode reads it
])
def test_js_escapes(literal: str, value: str) -> None:
    assert jsvars.js_unescape(literal) == value


SCRIPT = rb"""
    var biz = "" || "MzA=";
    var notbiz = "no";
    xvar biz = "nor this";
    var nickname = htmlDecode("&lt;\u53cd\u8bc8&gt;");
    window.msg_title = '\x27quoted\x27';
    var empty = "";
    var cut = "unterminated
"""


def test_a_value_is_read_without_the_blanks_around_it_and_blanks_alone_are_none() -> None:
    assert jsvars.var(rb'var nickname = "  " || " \u53cd\u8bc8 ";', "nickname") == "反诈"
    assert jsvars.top_level_fields(rb"{title: JsDecode(' \u6807\u9898 ')}").get("title") == "标题"


def test_var_reads_the_first_non_empty_value_of_a_statement() -> None:
    assert jsvars.var(SCRIPT, "biz") == "MzA="
    assert jsvars.var(SCRIPT, "nickname") == "<反诈>"
    assert jsvars.var(SCRIPT, "msg_title") == "'quoted'"
    assert jsvars.var(SCRIPT, "empty") == jsvars.var(SCRIPT, "cut") == jsvars.var(SCRIPT, "nope") == ""


@pytest.mark.parametrize("name", ["short_link", "ct"])  # looked for once, and after each keyword
def test_var_prefers_a_var_statement_to_a_window_one_wherever_each_is(name: str) -> None:
    window, var = f"window.{name} = 'w';".encode(), f"var {name} = 'v';".encode()
    not_statements = f"\n    {name} = 'no'; x.var {name} = 'no'; a.window.{name} = 'no';".encode()
    empty = f'var {name} = "";'.encode()
    assert jsvars.var(not_statements + window + empty + var, name) == "v"
    assert jsvars.var(not_statements + empty + window, name) == "w"
    assert jsvars.var(not_statements + empty, name) == ""


@pytest.mark.parametrize("script", [
    b'(function(){var ct = "5";})();', b'if(a){}var ct = "5";', b'var a = 1,window.ct = "5";',
    b'(window.ct = "5");',
])
def test_a_statement_may_follow_a_bracket_or_a_comma(script: bytes) -> None:
    """WeChat's minified scripts put statements right after ``{``, ``}``, ``(`` or ``,``."""
    assert jsvars.var(script, "ct") == "5"


OBJECT = b"""window.cgiDataNew = {
    title: JsDecode('\xe6\xa0\x87\xe9\xa2\x98 {not a brace}'),
    mid: '2247' * 1,
    inner: { title: JsDecode('inner title') },
    list: [ { cdn_url: JsDecode('a') }, { cdn_url: JsDecode('b'), nested: [ { cdn_url: 'c' } ] } ],
    title: JsDecode('second title, ignored'),
};"""


def test_an_object_literal_and_its_top_level_fields() -> None:
    literal = jsvars.object_literal(OBJECT, "window.cgiDataNew")
    assert literal.startswith(b"{") and literal.endswith(b"}")
    fields = jsvars.top_level_fields(literal)
    assert fields.get("title") == "标题 {not a brace}"
    assert fields.get("mid") == "2247"
    assert "cdn_url" not in fields and fields.get("missing", "x") == "x"


def test_a_field_named_again_is_its_first_value_that_is_not_empty() -> None:
    assert jsvars.top_level_fields(b"{a: '', a: JsDecode(' '), a: JsDecode('x'), a: 'y'}").get("a") == "x"


def test_an_object_is_the_one_of_that_name_not_of_a_longer_name_ending_so() -> None:
    script = b"notcgi = {a: 'n'}; x.cgi = {a: 'p'}; cgi = {a: 'y'}"
    assert jsvars.object_literal(script, "cgi") == b"{a: 'y'}"


def test_array_items_are_the_top_level_objects() -> None:
    items = jsvars.array_items(OBJECT, "list")
    assert [jsvars.top_level_fields(item).get("cdn_url") for item in items] == ["a", "b"]


@pytest.mark.parametrize("broken", [b"", b"window.cgiDataNew = {", b"list: [ { a: 'x' ",
                                    b"window.cgiDataNew = 5;"])
def test_broken_or_missing_literals_give_nothing(broken: bytes) -> None:
    assert jsvars.object_literal(broken, "window.cgiDataNew") == b""
    assert jsvars.array_items(broken, "list") == []


@pytest.mark.parametrize("literal, value", [
    (rb"'it\'s {'", "it's {"),  # an escaped quote does not end it, a bracket in it does not count
    (rb"'two\\\\'", "two\\\\"),  # nor does an even run of backslashes escape the quote
    (b"'one \\\n line'", "one \n line"),  # a line continuation
    (rb"""'a "b" ]'""", 'a "b" ]'),  # the other quote
    (rb'"x\x3c" ', "x<"),
])
def test_a_field_literal_ends_at_its_own_unescaped_quote(literal: bytes, value: str) -> None:
    fields = jsvars.top_level_fields(b"{ before: 'b', text: JsDecode(" + literal + b"), after: '7' * 1 }")
    assert (fields.get("before"), fields.get("text"), fields.get("after")) == ("b", value, "7")


@pytest.mark.parametrize("broken", [b"'no end\n", b"'escaped end\\'\n", b'"no end at all'])
def test_a_literal_that_does_not_end_on_its_line_is_no_field(broken: bytes) -> None:
    fields = jsvars.top_level_fields(b"{ text: " + broken + b" after: 'a' }")
    assert "text" not in fields and fields.get("after") == "a"


def test_a_field_is_a_name_and_a_colon_before_a_literal_at_the_top_level() -> None:
    fields = jsvars.top_level_fields(
        b"{ \"quoted\": 'q', a.b: 'dotted', k: f('call'), cond: x ? 'yes' : 'no', "
        b"deep: { inner: 'i' }, " + b"n" * 200 + b": 'a name no page has', ok: JsDecode('fine') }")
    names = ("quoted", "a", "b", "k", "f", "cond", "x", "deep", "inner", "n" * 200, "ok")
    assert [name for name in names if name in fields] == ["ok"]


def test_a_literal_ends_where_the_string_regex_ends_it() -> None:
    """``_literal_end`` finds with ``bytes.find`` what ``_STRING`` matches: checked on
    random text of quotes, backslashes, line breaks and brackets, at every quote."""
    generator = random.Random(26)
    for _ in range(3000):
        text = bytes(generator.choice(b"\"'\\\n\rax{}[]") for _ in range(generator.randint(1, 24)))
        for start in (pos for pos, byte in enumerate(text) if byte in b"\"'"):
            match = jsvars._STRING.match(text, start)
            assert jsvars._literal_end(text, start) == (match.end() if match else -1), (text, start)


_ESCAPE_PIECES = st.sampled_from([
    "\\x3c", "\\x3E", "\\x2", "\\u4e2d", "\\ud83d", "\\ude00", "\\u12", "\\n", "\\r", "\\t", "\\b",
    "\\f", "\\v", "\\0", "\\012", "\\'", '\\"', "\\\\", "\\/", "\\q", "\\a", "\\U0001F600",
    "\\N{BULLET}", "\\\n", "\\中", "\\", "a", "中", "😀", "<p>", "\ufffd", "x", "u", "0",
])


@settings(max_examples=2000, deadline=None)
@given(st.lists(_ESCAPE_PIECES, max_size=12).map("".join))
def test_a_literal_reads_alike_whether_or_not_python_could_read_it_in_c(literal: str) -> None:
    # "\q" ahead is JavaScript's "q", and an escape Python reads otherwise: the whole literal
    # is then read escape by escape, the way every literal was read before.
    assert jsvars.js_unescape("\\q" + literal) == "q" + jsvars.js_unescape(literal)

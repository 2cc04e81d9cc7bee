"""The post's bytes and file name: front matter, attribution, YAML quoting, slugs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
import yaml

from crawler.convert.archivepage import reads_as_text
from crawler.convert.post import post_filename, render_post, slugify, theme_safe, yaml_scalar
from crawler.wechat.article import Article, PostType

PUBLISHED = datetime(2021, 7, 28, 8, 5, 12, tzinfo=UTC)  # 16:05:12 in China


def make(**fields: object) -> Article:
    values: dict[str, object] = {
        "url": "https://mp.weixin.qq.com/s?__biz=MzA=&mid=1&idx=1&sn=abc",
        "title": "网购物品丢失的退款，清远大姐为什么不要？",
        "account": "清远市反诈骗中心", "account_id": "gh_f8106a4e0d72", "published": PUBLISHED,
        "biz": "MzA=", "mid": "1", "idx": "1", "sn": "abc",
    }
    values.update(fields)
    return Article(**values)  # type: ignore[arg-type]


def test_post_layout_byte_for_byte() -> None:
    assert render_post(make(), "正文。", ["其他"]) == """---
layout:     post
title:      网购物品丢失的退款，清远大姐为什么不要？
date:       2021-07-28
author:     转载
header-img: img/the-first.png
catalog:   false
tags:
    - 其他
wechat:
    account: 清远市反诈骗中心
    account_id: gh_f8106a4e0d72
    url: https://mp.weixin.qq.com/s?__biz=MzA=&mid=1&idx=1&sn=abc
    published: 2021-07-28T16:05:12+08:00
---

<blockquote><p>转载：清远市反诈骗中心<br>
来源：<a href="https://mp.weixin.qq.com/s?__biz=MzA=&amp;mid=1&amp;idx=1&amp;sn=abc">微信公众号</a></p></blockquote>

正文。
"""


def test_unknown_gh_id_is_left_out_and_extra_keys_follow() -> None:
    post = render_post(make(account_id="", item_show_type=PostType.IMAGES, copyright_stat=2,
                            share_source_url="https://mp.weixin.qq.com/s?__biz=B&mid=2&idx=1"),
                       "x", ["反诈", "其他"])
    front = yaml.safe_load(post.split("---\n")[1])
    assert "account_id" not in front["wechat"]
    assert front["wechat"]["post_type"] == "images"
    assert front["wechat"]["copyright"] == "reprint"
    assert front["wechat"]["reprint_of"] == "https://mp.weixin.qq.com/s?__biz=B&mid=2&idx=1"
    assert front["tags"] == ["反诈", "其他"]


def test_attribution_names_the_account_as_html_text() -> None:
    post = render_post(make(account="A&B <反诈> {{ site.x }}"), "x", ["其他"])
    assert '<blockquote><p>转载：A&amp;B &lt;反诈&gt; {{ "{" }}{ site.x }}<br>' in post


def test_the_attribution_is_two_lines_whatever_whitespace_the_account_name_holds() -> None:
    """A name with line breaks (a page's ``nickname`` may hold ``\\n``) is one line of the
    blockquote; the ``wechat:`` block keeps it exactly."""
    post = render_post(make(account="反诈\n\n中心\u2028 A"), "正文。", ["其他"])
    head, _, rest = post.partition("\n---\n\n")
    assert rest.split("\n")[:3] == [
        "<blockquote><p>转载：反诈 中心 A<br>",
        '来源：<a href="https://mp.weixin.qq.com/s?__biz=MzA=&amp;mid=1&amp;idx=1&amp;sn=abc">微信公众号</a></p></blockquote>',
        ""]
    assert yaml.safe_load(head[4:])["wechat"]["account"] == "反诈\n\n中心\u2028 A"


@pytest.mark.parametrize("value", [
    "plain 标题", "a: b", "a #b", "#tag", "*star", "&anchor", "!tag", "[list]", "{map}", "'q'",
    '"dq"', "@at", "%pct", "`tick", "yes", "No", "null", "~", "2021", "3.14", "-1", "- item",
    "? key", "trailing:", " lead", "trail ", "", "tab\tin", "line\nbreak", "back\\slash",
    "\u2028sep", "｛全角｝：冒号", "true", "off", ".inf", "0x1F", "2021-07-28",
    "=", '"C:\\new\\x" 诈骗',
])
def test_yaml_scalars_read_back_exactly(value: str) -> None:
    assert yaml.safe_load(f"k: {yaml_scalar(value)}\n") == {"k": value}


def test_plain_values_stay_unquoted() -> None:
    assert yaml_scalar("网购物品丢失的退款，清远大姐为什么不要？") == "网购物品丢失的退款，清远大姐为什么不要？"
    assert yaml_scalar("https://mp.weixin.qq.com/s?__biz=MzA=&mid=1") == \
        "https://mp.weixin.qq.com/s?__biz=MzA=&mid=1"


def test_file_name_is_china_date_and_readable_slug() -> None:
    late = datetime(2021, 7, 28, 23, 30, tzinfo=timezone(timedelta(hours=8)))
    assert post_filename(make(published=late.astimezone(UTC))) == \
        "2021-07-28-网购物品丢失的退款-清远大姐为什么不要.md"


def test_file_name_fits_200_bytes_and_is_safe() -> None:
    name = post_filename(make(title='<a>:"b"/c\\d|e?f*' + "很长的标题" * 60), disambiguate=True)
    assert len(name.encode()) <= 200
    assert not set('<>:"/\\|?*') & set(name.removesuffix(".md"))
    assert name.startswith("2021-07-28-a-b-c-d-e-f-很长的标题")
    assert name.endswith(".md")


def test_disambiguated_names_differ_per_article() -> None:
    one = post_filename(make(), disambiguate=True)
    two = post_filename(make(mid="2"), disambiguate=True)
    assert one != two and one != post_filename(make())


@pytest.mark.parametrize("title, slug", [
    ("？？？", "post"), ("  ", "post"), ("ＡＢＣ１２３", "ABC123"), ("a—b…c", "a-b-c"),
])
def test_slugify(title: str, slug: str) -> None:
    assert slugify(title, 100) == slug


def test_an_article_with_no_body_ends_after_the_attribution() -> None:
    """A post of no text (a card alone, a page that said nothing) ends with the attribution
    and its blank line, as one with text does before the text: no blank lines under it."""
    post = render_post(make(), "\n \n", ["其他"])
    assert post.endswith("微信公众号</a></p></blockquote>\n\n")
    assert not post.endswith("\n\n\n")


def test_tags_a_theme_would_show_alike_are_written_once() -> None:
    """``<反诈>`` and ``＜反诈＞`` are one tag once made theme-safe: written once, as Jekyll
    would otherwise list the tag twice on its page."""
    post = render_post(make(), "x", ["<反诈>", "＜反诈＞", "其他"])
    assert yaml.safe_load(post.split("---\n")[1])["tags"] == ["＜反诈＞", "其他"]


@pytest.mark.parametrize("tag, written", [
    ("2024", "２０２４"), ("3.15", "３.１５"), ("-1", "-１"), (" 12 ", " １２ "),
    ("true", "ｔｒｕｅ"), ("null", "ｎｕｌｌ"), ("NaN", "ＮａＮ"), ("-Infinity", "-Ｉｎｆｉｎｉｔｙ"),
    ("2024合集", "2024合集"), ("3.15晚会", "3.15晚会"), ("1.2.3", "1.2.3"),
    # jQuery's rule is JavaScript's: a number whose string it is, after Liquid's url_encode
    ("1e-7", "１ｅ-７"), ("1e 21", "１ｅ ２１"), ("0.000001", "０.０００００１"),
    ("007", "007"), ("1.0", "1.0"), ("2024.10", "2024.10"), ("-0", "-0"), ("1e21", "1e21"),
    ("1e+21", "1e+21"), ("0.0000001", "0.0000001"), ("12345678901234567890", "12345678901234567890"),
    ("[1]", "[1]"), ("Infinity\u3000", "Infinity\u3000"),
])
def test_a_tag_jquery_reads_as_other_than_text_is_written_full_width(tag: str, written: str) -> None:
    """Hux's archive page reads tags with jQuery's ``.data()``: a tag it reads as a number
    (a year's album, a ``3.15`` consumer-day album), a boolean or null makes its filter show
    no post. Such a tag is written full-width; a tag jQuery reads as text stays as it is."""
    post = render_post(make(), "x", [tag])
    assert yaml.safe_load(post.split("---\n")[1])["tags"] == [written]


@pytest.mark.parametrize("tag, text", [
    # JavaScript writes a number's digits out below 1e21 and from 1e-6; beyond, an exponent
    ("100000000000000000000", False), ("1000000000000000000000", True),
    ("0.000001", False), ("1e-7", False), ("0.0000001", True), ("1e-6", True),
    # Ruby's strip (Liquid's) takes vertical tabs and NULs off too, not Unicode's spaces
    ("\v2024\0", False), ("\u30002024", True), ("NaN", False), ("nan", True), ("Infinity", False),
])
def test_a_tag_reads_as_text_by_javascript_s_own_number_strings(tag: str, text: bool) -> None:
    assert reads_as_text(tag) is text


def _left_open(text: str) -> int:
    """How many embeddings, overrides and isolates ``text`` leaves open, as the Unicode
    bidi algorithm reads its controls (X1-X8): a PDF closes an embedding only when no
    isolate opened after it; a PDI closes the last isolate open and all opened since."""
    stack: list[str] = []
    for char in text:
        if char in "\u202a\u202b\u202d\u202e":
            stack.append("embedding")
        elif char in "\u2066\u2067\u2068":
            stack.append("isolate")
        elif char == "\u202c" and stack[-1:] == ["embedding"]:
            stack.pop()
        elif char == "\u2069" and "isolate" in stack:
            del stack[len(stack) - 1 - stack[::-1].index("isolate"):]
    return len(stack)


@pytest.mark.parametrize("tag", [
    "\u202eABC合集", "\u2067\u202eA", "\u2067A\u202c", "\u202bA\u2068B\u202c",
    "\u2066\u202aA\u2069\u202d", "A\u202c\u2069\u202e", "\u202e\u202e\u202cB",
])
def test_a_tag_leaves_no_bidi_embedding_override_or_isolate_open(tag: str) -> None:
    """Themes print tags one after another on a line: one that leaves a right-to-left
    override open turns every tag after it ("ABC合集" shown "集合CBA"). A stray closer
    (a PDF inside an isolate, a PDI with none open) closes nothing of what is open."""
    [written] = yaml.safe_load(render_post(make(), "x", [tag]).split("---\n")[1])["tags"]
    assert written.startswith(tag) and _left_open(written) == 0, ascii(written)


@pytest.mark.parametrize("title, max_bytes, slug", [
    ("สวัสดี ครับ", 100, "สวัสดี-ครับ"),  # Thai vowels and tone marks are marks (Mn)
    ("नमस्ते", 100, "नमस्ते"),
    ("ab cd", 3, "ab"),  # cut after the dash: no dash left at the end
    # a mark with no letter or digit before it (an emoji's variation selector) shows nothing
    ("❤️", 100, "post"), ("守护 ❤️ 平安", 100, "守护-平安"), ("\u0301a", 100, "a"),
])
def test_slugify_keeps_marks_and_ends_on_no_dash(title: str, max_bytes: int, slug: str) -> None:
    assert slugify(title, max_bytes) == slug


def test_an_unknown_copyright_state_is_left_out() -> None:
    """WeChat has more states than original and reprint (11: neither declared): no key."""
    post = render_post(make(copyright_stat=11), "x", ["其他"])
    assert "copyright" not in yaml.safe_load(post.split("---\n")[1])["wechat"]


@pytest.mark.parametrize("control", [chr(code) for code in range(0x20)])
def test_every_control_character_of_a_title_is_a_space(control: str) -> None:
    """Themes print the title into JSON (Hux's ``search.json``), where a raw control
    character leaves the whole file unreadable."""
    assert theme_safe(f"反诈{control}中心") == "反诈 中心"


def test_the_attribution_shows_a_control_character_of_the_account_as_a_space() -> None:
    """The site's feed carries the post's HTML, which XML refuses with one in it."""
    post = render_post(make(account="反诈\x01中心\x1f！"), "正文。", ["其他"])
    assert "<blockquote><p>转载：反诈 中心 ！<br>" in post

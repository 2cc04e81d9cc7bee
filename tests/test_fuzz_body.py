"""Fuzzing what a reader reads: the text of a post is the text of the article (hypothesis).

Article bodies are made of the structures WeChat's editor writes (paragraphs, headings,
nested lists, quotes, tables, code blocks and spans, emphasis, links, line breaks) holding
text a Markdown, kramdown, Liquid or HTML reader would take for markup, entities, CJK and
full-width punctuation, zero-width and bidi characters, emoji with variation selectors and
joiners, leading and trailing spaces. For each, the text a reader sees in the post (its
Markdown as the blog's kramdown renders it) is, in order, the text a reader saw in
``#js_content`` as the fidelity report reads it (``crawler.offline.fidelity``), white
space aside (HTML rendering folds it anyway). Deterministic; ``FUZZ_EXAMPLES`` sets how
many bodies.
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import replace
from html import escape, unescape
from urllib.parse import unquote

import lxml.html
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from crawler.convert.markdown import to_markdown
from crawler.convert.post import post_filename
from crawler.convert.relink import post_url
from crawler.offline.fidelity import shown_in_article, shown_in_post
from crawler.offline.kramdown import Kramdown
from crawler.wechat.article import Article
from crawler.wechat.page import parse_page
from tests.browser import BASEURL, build_site
from tests.conftest import PAGES
from tests.test_fuzz import PIECES, check_post, post_of
from tests.test_fuzz import text as fuzz_text
from tests.test_hostile import page
from tests.test_post import make

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "150"))
pytestmark = [pytest.mark.timeout(0)] if "FUZZ_EXAMPLES" in os.environ else []
URL = "https://mp.weixin.qq.com/s/BodyFuzz"
MADE = make()

# Escaped for HTML where the article shows them as text (``&lt;`` for ``<``).
WORDS = ["反诈", "提醒", "警惕", "a", "Z9", "2024", "1.", "1)", "# ", "## ", "> ", "- ", "+ ",
         "* ", "*", "**", "_", "__", "~", "~~", "`", "```", "~~~", "[", "]", "(", ")", "![x](y)",
         "[a](b)", "&lt;b&gt;", "&lt;script&gt;", "&amp;", "&amp;lt;", "&amp;#60;", "&lt;!--",
         "--&gt;", "{{", "}}", "{%", "%}", "{{ site.title }}", "{% raw %}", "{:", "{: .x}",
         "{::comment}", "$$", "$", "\\", "\\*", "|", "---", "===", "^", ":", "::", "*[HTML]: x",
         "[^1]", "[^1]: x", "&quot;", "'", "&nbsp;", "\u00a0", "\u3000", "，", "。", "！", "？",
         "：", "；", "（", "）", "【", "】", "《", "》", "“", "”", "＃", "＊", "＜", "＞", "～",
         "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u202e", "\u202c", "\u2066", "\u2069",
         "\u200f", "❤️", "☎️", "👮\u200d♂️", "👍🏻", "1️⃣", "🇨🇳", " ", "  ", "\t", "%", "#", "@",
         "=", "+", "-", "!", "?", ".",
         # WeChat's editor (2025-26): runs of no-break spaces, a lone variation selector, a
         # text-style one, very long words (a link written out, a run without a break)
         "&nbsp;&nbsp;&nbsp;", "&nbsp; &nbsp;", "\u00a0\u00a0", "\ufe0f", "☎\ufe0e", "🙋\u200d♀️",
         "https://www.xiaoyuzhoufm.com/episode/6908488543a4f4a984a75445?utm_source=rss",
         "a" * 120, "长" * 150,
         # kramdown's own syntax: definition lists, attribute lists and definitions, header
         # ids, extensions, end-of-block marks, math, typography, HTML blocks read as Markdown
         ": ", ": 定义", "{:zz: .zzc}", "{: .zzc #zzid zz=\"1\"}", "{#zzid}", "{::nomarkdown}",
         "{:/nomarkdown}", "{:/}", "{::comment}", "{:/comment}", '{::options parse_block_html="true" /}',
         "{::options auto_ids=\"false\" /}", "^", "$$x$$", "$$", "\\$", "--", "&lt;&lt;", "&gt;&gt;", "...",
         "&lt;div markdown=\"1\"&gt;", "&lt;/div&gt;", "*[反诈]: 反诈骗", "[^zz]", "[^zz]: 注",
         # Liquid's own, as Jekyll runs it over the post first
         "{%raw%}", "{%endraw%}", "{%- raw -%}", "{{-", "-}}", "{% comment %}", "{{site.title}}"]
words = st.lists(st.sampled_from(WORDS), min_size=1, max_size=8).map("".join)
INLINE = ["strong", "b", "em", "i", "del", "s", "span", "u", "sup", "sub", "code", "q",
          # as WeChat's editor (2025-26) writes its runs: leaves, styles, a topic's link
          'span leaf=""', 'span textstyle="" style="font-size: 16px;font-weight: bold;"',
          'span style="font-weight: normal;"', 'strong style="font-weight: normal"',
          'span style="font-style: italic;"', 'span data-pm-slice="0 0 []"',
          'a data-topic="1" style="color: #576B95 !important;"',
          # older runs the 2025-26 pages still carry: fonts, a Word paste's <o:p>, notes' marks
          "font", 'font face="宋体"', "o:p", 'sup style="box-sizing: border-box;margin: 0px;"',
          # a note's number of a 2025 page, faded
          'code style="box-sizing: border-box;margin: 0px;padding: 0px;font-size: 12.6px;opacity: 0.6;"']
inline = st.recursive(
    words,
    lambda inner: st.one_of(
        # one in ten without its end tag: a browser goes on with bold, italics, up to the end
        st.builds(lambda tag, parts, ended: f"<{tag}>{''.join(parts)}{f'</{tag.split()[0]}>' * ended}",
                  st.sampled_from(INLINE), st.lists(inner, min_size=1, max_size=3),
                  st.sampled_from([True] * 9 + [False])),
        # one link in five left open: a browser links what follows, up to the next link
        st.builds(lambda parts, end: f'<a href="https://example.com/x">{"".join(parts)}{end}',
                  st.lists(inner, min_size=1, max_size=2), st.sampled_from(["</a>"] * 4 + [""])),
        st.builds(lambda a, run, b: f"{a}{run}{b}", inner,
                  st.sampled_from(["<br>", "<br><br><br>", '<span leaf=""><br></span>']), inner),
        # what a browser draws of its own: a drop-down's option, an object's fallback
        st.builds(lambda one, two, chosen: f"<select><option>{one}</option>"
                  f"<option{' selected' if chosen else ''}>{two}</option></select>",
                  words, words, st.booleans()),
        st.lists(inner, min_size=1, max_size=2).map(lambda parts: f"<object>{''.join(parts)}</object>")),
    max_leaves=6)
line = st.lists(inline, min_size=1, max_size=3).map("".join)
paragraph = line.map(lambda text: f"<p>{text}</p>")
heading = st.builds(lambda level, text: f"<h{level}>{text}</h{level}>",
                    st.integers(1, 4), line)
code_block = st.lists(words, min_size=1, max_size=4).map(lambda rows: f"<pre><code>{'<br>'.join(rows)}</code></pre>")
table = st.lists(st.lists(line, min_size=2, max_size=2), min_size=1, max_size=3).map(
    lambda rows: "<table><tbody>" + "".join(
        "<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    + "</tbody></table>")


def listing(items: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.builds(lambda tag, entries: f"<{tag}>" + "".join(f"<li>{e}</li>" for e in entries)
                     + f"</{tag}>", st.sampled_from(["ul", "ol"]), st.lists(items, min_size=1,
                                                                           max_size=3))


# How WeChat's editor (2025-26) nests its blocks: styled sections, inline-block and flex
# boxes, text beside blocks in one section, empty lines, an empty inline SVG
SECTIONS = ["section", 'section style="margin-bottom: 24px;"', 'section style="display: inline-block;"',
            'section style="display: flex;justify-content: center;"', 'section nodeleaf=""',
            'section data-pm-slice="3 5 []"',
            # a 2025 page's mirrored and flattened boxes (drawn, turned)
            'section style="transform: perspective(0px);-webkit-transform: perspective(0px);'
            'transform-style: flat;box-sizing: border-box;"',
            'section style="margin: 0px;transform: rotateY(180deg);-webkit-transform: rotateY(180deg);"']
EMPTY_LINES = ["<p><br></p>", "<p>&nbsp;</p>", '<p><span leaf=""><br></span></p>',
               '<svg viewbox="0 0 1 1" style="float:left;line-height:0;width:0;"></svg>',
               '<hr style="border-style: solid;border-width: 1px 0 0;">', "<p><o:p></o:p></p>"]
# An SVG layout's text: its <title> undrawn, its <text> (words only: the browser's parser
# leaves the SVG at most HTML tags) and a <foreignObject>'s HTML drawn; as an interactive
# layout keeps what a tap reveals, its text may lie off the picture (y), in a group that is
# transparent, clipped to nothing, moved off, not displayed, or shown by a tap. Its width is
# the box's, as layout editors set it, or its viewBox's alone: in a box as wide as what it
# holds (a flex item, an inline block), it then has none, and nothing of it is seen (README)
SVG_GROUPS = [("", ""), ('<g opacity="0">', "</g>"), ('<g style="opacity: 0">', "</g>"),
              ('<g opacity="0"><set attributeName="opacity" to="1" begin="click"/>', "</g>"),
              ('<clipPath id="zcut"><rect width="320" height="0"/></clipPath><g clip-path="url(#zcut)">',
               "</g>"),
              ('<clipPath id="zkeep"><rect width="320" height="80"/></clipPath><g clip-path="url(#zkeep)">',
               "</g>"),
              ('<g transform="translate(0 300)">', "</g>"), ('<g display="none">', "</g>"),
              ('<g visibility="hidden"><set attributeName="visibility" to="visible" begin="click"/>',
               "</g>")]
svg_layout = st.builds(
    lambda width, title, drawn, html, group, y: f'<section><svg viewBox="0 0 320 80"{width}><title>'
    f'{title}</title>{group[0]}<text x="0" y="{y}">{drawn}</text>{group[1]}<foreignObject width="320" height="50">'
    f"<p>{html}</p></foreignObject></svg></section>",
    st.sampled_from([' style="width: 100%;"', ' style="width: 100%;"', ""]), words, words, line,
    st.sampled_from(SVG_GROUPS), st.sampled_from([20, 20, 200, -30]))
figure = line.map(lambda caption: '<figure><img data-src="https://mmbiz.qpic.cn/mmbiz_png/Fig/640">'
                  f"<figcaption>{caption}</figcaption></figure>")
block = st.recursive(
    st.one_of(paragraph, heading, code_block, table, st.sampled_from(EMPTY_LINES), svg_layout,
              figure),
    lambda inner: st.one_of(
        listing(st.one_of(line, st.lists(inner, min_size=1, max_size=2).map("".join))),
        st.lists(inner, min_size=1, max_size=2).map(
            lambda parts: f"<blockquote>{''.join(parts)}</blockquote>"),
        st.builds(lambda tag, parts: f"<{tag}>{''.join(parts)}</section>", st.sampled_from(SECTIONS),
                  st.lists(st.one_of(inner, line), min_size=1, max_size=3)),
        st.builds(lambda before, summary, after: f"<details>{before}{summary}{after}</details>",
                  st.one_of(st.just(""), inner),
                  st.one_of(line.map("<summary>{}</summary>".format), st.just("")), inner)),
    max_leaves=6)
body = st.lists(block, min_size=1, max_size=4).map("".join)


# "Typography (curly quotes, dashes) is the site's kramdown setting, not ours"
# (/work/shared/ARCHIVE_FORMAT.md, Body): kramdown prints ``---`` as an em dash, ``--`` as an
# en dash, ``...`` as an ellipsis, ``<<`` and ``>>`` as guillemets and quotes curly. Both
# sides are read with each of these as its ASCII spelling.
TYPOGRAPHY = [("\u2014", "---"), ("\u2013", "--"), ("\u2026", "..."), ("\u00ab", "<<"),
              ("\u00bb", ">>"), ("\u2018", "'"), ("\u2019", "'"), ("\u201c", '"'),
              ("\u201d", '"'),
              # README, Conversion: a heading's "&" of a character reference it shows is
              # full-width, for Hux's side catalog (its "<" and ">" are, by ``shown_in_post``)
              ("\uff06", "&")]


def as_typed(text: str) -> str:
    """``text`` (as the fidelity report reads it) with kramdown's typography as typed."""
    for printed, typed in TYPOGRAPHY:
        text = text.replace(printed, typed)
    return text


def read_on_wechat(article: Article) -> str:
    return as_typed(shown_in_article(article))


def read_in_post(article: Article, kramdown: Kramdown) -> str:
    return as_typed(shown_in_post(to_markdown(article, {}), kramdown))


@pytest.fixture(scope="module")
def kramdown() -> Iterator[Kramdown]:
    with Kramdown() as renderer:
        yield renderer


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(html=body)
def test_a_post_shows_the_text_the_article_showed(html: str, kramdown: Kramdown) -> None:
    article = parse_page(page(html), URL)
    assert isinstance(article, Article), article
    assert read_in_post(article, kramdown) == read_on_wechat(article), to_markdown(article, {})


def test_the_comparison_sees_a_lost_and_a_changed_character(kramdown: Kramdown) -> None:
    article = parse_page(page("<p>反诈*提醒*</p>"), URL)
    assert isinstance(article, Article)
    assert read_in_post(article, kramdown) == read_on_wechat(article) == "反诈*提醒*"
    assert shown_in_post("反诈*提醒*", kramdown) == "反诈提醒"


@pytest.mark.parametrize("html", [
    "<p><del><code>~~~</code></del></p>",  # the span's "~~" closed the strike-through
    "<p><s>删<code>a~~b</code>除</s></p>",
    # a list right after a list in an item went into the first one's item; "3." showed
    "<ul><li><ul><li>甲</li></ul><ol><li>乙</li><li><p>丙</p><p>丁</p></li><li>戊</li></ol></li></ul>",
    # a link first in its paragraph, its code holding "]:", was a link definition: all gone
    '<p><a href="https://e.com/x"><code>a[0]: b</code></a></p>',
    '<ul><li><a href="https://e.com/x">x<code>a]: b</code></a> 后</li></ul>',
    # italics beside italics in an underline (or sup, sub) showed "**" between them
    "<p><em>反诈</em><u><em>提醒</em></u></p>", "<p><sup><i>甲</i></sup><i>乙</i></p>",
    # ... or in other elements written as their text alone (a citation, an abbreviation, a
    # link to nowhere or to script)
    "<p><em>甲</em><cite><em>乙</em></cite>丙</p>", "<p><em>甲</em><abbr><em>乙</em></abbr></p>",
    "<p><em>甲</em><a><em>乙</em></a></p>", '<p><i>甲</i><a href="javascript:x"><i>乙</i></a></p>',
    # ... or in a link left unlinked for the link it holds: no brackets parted its italics'
    # markers from those before or after it (seed 8080)
    '<p><em>反诈</em><a href="https://e.com/x"><em><a href="https://e.com/y">反诈</a></em></a></p>',
    '<p><a href="https://e.com/x"><em>乙<a href="https://e.com/y">丙</a></em></a><em>丁</em></p>',
    # italics that start with bold, bold after them: kramdown read "***" as bold first, "**"
    # showed (test_fuzz_site.py)
    "<p><i><b>甲</b>乙</i>丙<b>丁</b></p>", "<p><i><b>甲</b>乙</i><b>丁</b></p>",
    "<p><em><strong>甲</strong></em>丙<strong>丁</strong></p>",
    # italics first in their paragraph that start with a link, code after them holding "]:":
    # kramdown read "*[…]:" as an abbreviation's definition, the paragraph shown as nothing
    '<p><em><a href="https://e.com/x">反诈</a></em><code>*[反诈]: 反诈骗</code></p>',
    '<ul><li><i><a href="https://e.com/x">甲</a>乙</i><code>x]: y</code></li></ul>',
    # a link in a link whose text ends in a backslash: its "]" taken for an escaped one, the
    # inner link was kept and shown as its Markdown
    '<p><a href="https://e.com/x"><strong><a href="https://e.com/y">\\</a></strong></a></p>',
    # italics in code, starting as bold would: the empty comment parting them showed
    "<p><code><em>**</em></code></p>", "<p><code><i>[甲</i></code></p>",
    # a joiner after a line break, before an emoji: the report joined it to the emoji of the
    # line before, the post (and Chromium) did not (seed 777)
    "<pre><code>❤️<br>\u200d☎︎</code></pre>", "<p>❤️<br>\u200d☎︎</p>",
    # a rule first in a list item in a list item: "- - ---" was a rule alone, the item's text
    # after it a code block that showed the next item's "-" (seed 31337)
    '<ul><li><ul><li><hr><p>反诈</p></li></ul></li><li>反诈</li></ul>',
    # a code block in a list item, a line of it that is a rule after a blank (or empty) one:
    # kramdown ended the list there, the rest a rule and fences shown as text (seed 50505)
    "<ul><li>反诈</li><li><pre><code>&nbsp;&nbsp;&nbsp;<br>---</code></pre></li></ul>",
    "<ol><li>甲<pre><code>a<br><br>* * *<br>b</code></pre>乙</li></ol>",
    "<ul><li>甲<ul><li>乙<pre><code>a<br><br>___</code></pre></li></ul></li></ul>",
    # code left open (no </code>), opened again after its item around a picture: the post
    # showed the picture's Markdown as text (the body fuzz's default seed, once one inline
    # element in ten is left open)
    '<p>反诈</p><details><ul><li><code>反诈</li></ul><figure><img data-src="https://mmbiz.qpic.cn/mmbiz_png/'
    'Fig/640"><figcaption>反诈</figcaption></figure></details>',
    # a heading as long as a paragraph (written in bold) in bold, markup or style: its bold
    # was bold again, "****", shown as text (seed 57721)
    '<b><h4>' + '反诈' * 25 + '</h4></b><span style="font-weight:bold">甲<section><h3>' + '提醒' * 25
    + '</h3></section></span>',
    # strike-through around a tilde that white space parts from the text's end: "~~~~~" showed
    # (seed 57721)
    '<p><del> ~ </del>甲<s> ~乙~ </s></p>',
    # ... and in code, which writes no strike-through and shows what it holds as typed: the
    # tilde showed as "&#126;" (seed 6007)
    "<p><code><del>~</del></code></p>", "<p><kbd><s>a~</s></kbd></p>",
])
def test_what_the_fuzz_found_shows_as_the_article_did(html: str, kramdown: Kramdown) -> None:
    article = parse_page(page(html), URL)
    assert isinstance(article, Article)
    assert read_in_post(article, kramdown) == read_on_wechat(article)


@pytest.mark.parametrize("html", [
    "<table><tr><td><ul><li>乙</li><li>丙<ul><li>丁</li></ul></li></ul></td><td><ol><li>戊</li></ol></td></tr></table>",
    "<h2>甲<ol start='3'><li>乙</li><li><p>丙</p></li></ol></h2>", "<h3><ul><li><em>甲</em></li></ul></h3>",
    "<dl><dt>词<li>甲</li><li>乙</li>尾</dt><dd>丙</dd></dl>",
    "<dl><dt>词<ul><li>甲</li></ul><blockquote>引</blockquote><h3>题</h3><hr><pre>码</pre><table><tr><td>格"
    "</td></tr><tr><td>二</td></tr></table>尾</dt><dd>丙</dd></dl>",
    "<dl><dt>甲</dt>乙<dd>丙</dd></dl><dl>丁<dd>戊</dd></dl>",
])
def test_a_list_in_a_table_cell_a_heading_or_a_term_shows_no_markers(html: str, kramdown: Kramdown) -> None:
    """A cell, a heading and a term hold one line: a list there was written as its Markdown,
    ``| - 乙 - 丙 |``, ``## 甲 3. 乙``, its Markdown markers shown as text (the markers a
    browser draws are text there, in the post and as the report reads the article: both
    ``• 乙``, ``3. 乙``); in a term (``<dt>``) so were
    a quote's ``>``, a heading's ``###``, a rule's ``---``, a code block's fence and a
    table's pipes; and a definition after text in its list showed its ``:`` after it."""
    article = parse_page(page(html), URL)
    assert isinstance(article, Article)
    assert read_in_post(article, kramdown) == read_on_wechat(article), to_markdown(article, {})


# Every kind of element a browser shows inline that no Markdown writes (HTML's phrasing
# elements, obsolete ones, custom and unknown names, MathML), and those markdownify writes
# otherwise (strike-through, code): none may stand between italics (or bold) and italics.
INLINE_KINDS = ["u", "ins", "sup", "sub", "small", "big", "mark", "abbr", "acronym", "cite",
                "dfn", "var", "time", "data", "bdi", "bdo", "label", "font", "tt", "kbd",
                "samp", "strike", "s", "del", "nobr", "blink", "marquee", "ruby", "rt", "rb",
                "output", "button", "meter", "progress", "map", "slot", "span", "math", "mi",
                "spacer", "mpchecktext", "x-editor-mark", "wbr", "q"]


@pytest.mark.parametrize("tag", INLINE_KINDS)
def test_no_inline_element_shows_the_emphasis_markers_beside_it(tag: str, kramdown: Kramdown) -> None:
    """Elements written as their text alone were a list (u, sup, cite ...): the fuzz found
    each next kind by a "**" shown (kramdown's ``*甲**乙*``) until tt, strike, ruby, custom
    names and the like were known; the converter unwraps every element it writes no
    Markdown for."""
    for html in (f"<p><em>甲</em><{tag}><em>乙</em></{tag}>丙</p>",
                 f"<p><{tag}><i>甲</i></{tag}><i>乙</i></p>",
                 f"<p><b>甲</b><{tag}><b>乙</b></{tag}>丙</p>"):
        article = parse_page(page(html), URL)
        assert isinstance(article, Article)
        assert read_in_post(article, kramdown) == read_on_wechat(article), html


@pytest.mark.parametrize("html", [
    "<ul><li><pre><code>- a<br>1. b</code></pre></li></ul>",
    "<blockquote><ol><li><pre><code>- a<br>1. b</code></pre><p>后</p></li></ol></blockquote>",
    "<ul><li><ul><li><pre><code>- a<br>1. b</code></pre></li></ul></li></ul>",
])
def test_a_list_item_that_starts_with_code_keeps_its_lines(html: str, kramdown: Kramdown) -> None:
    """A code block first in a list item, its fence on the item's line: kramdown read its
    lines that start a list as lists of the item (``- a`` a bullet, the fence's backticks
    shown)."""
    article = parse_page(page(html), URL)
    assert isinstance(article, Article)
    assert read_in_post(article, kramdown) == read_on_wechat(article)
    assert read_on_wechat(article).startswith("-a1.b")


# -- the post's file name ------------------------------------------------------------------
TITLE_PIECES = ["", ".", "..", "/", "\\", "\0", " ", "\u3000", "\u00a0", "CON", "nul", "PRN",
                "aux", "com1", "LPT9", "长", "𠀀", "é", "e\u0301", "ǅ", "Ａ", "①", "❶", "〡", "²",
                "٣", "\u200b", "\u202e", "\ufeff", ":", "*", "?", '"', "<", ">", "|", "-", "_",
                "~", "#", "%", "{{", "}}", "{%", "%}", "🇨🇳", "❤️", "\ud800", "\U000e0001",
                "ﷺ", "ß", "İ", "\t", "\n"]
title = st.lists(st.one_of(st.sampled_from(TITLE_PIECES), st.sampled_from(["长" * 100, "a" * 300,
                                                                         "."]).map(str)),
                 max_size=6).map("".join)


@settings(max_examples=EXAMPLES * 4, deadline=None, derandomize=True)
@given(name=title, disambiguate=st.booleans())
def test_a_post_file_name_is_a_file_name_everywhere(name: str, disambiguate: bool) -> None:
    """Never empty, ``.`` or ``..``, no separator or NUL, within the 255-byte limit of a
    file name (CJK is 3 bytes a character), no trailing dot or space (``.md``; the date
    before the slug makes no name Windows-reserved: ``CON``, ``NUL``), and made of what
    Jekyll keeps in the post's URL, so that ``post_url`` finds it."""
    filename = post_filename(replace(MADE, title=name), disambiguate)
    stem = filename.removesuffix(".md")
    assert filename.endswith(".md") and len(filename.encode()) <= 255, filename
    assert stem not in ("", ".", "..") and not {"/", "\\", "\0"} & set(filename), filename
    slug = stem[len("2021-07-28-"):]
    assert stem.startswith("2021-07-28-") and slug[0] != "-" and slug[-1] != "-", stem
    assert unicodedata.category(slug[0])[0] in "LN", stem  # a mark alone shows nothing
    # what Jekyll keeps in the post's URL and ``post_url`` finds: letters, marks, digits
    assert all(c == "-" or unicodedata.category(c) == "Nd" or unicodedata.category(c)[0] in "LM"
               for c in slug), stem
    assert filename.encode("utf-8").decode("utf-8") == filename
    assert unicodedata.normalize("NFC", stem) == stem, stem  # one name on every file system


@settings(max_examples=EXAMPLES * 4, deadline=None, derandomize=True)
@given(names=st.lists(title, min_size=2, max_size=2))
def test_two_articles_never_share_a_disambiguated_name(names: list[str]) -> None:
    one = post_filename(replace(MADE, title=names[0]), disambiguate=True)
    two = post_filename(replace(MADE, title=names[1], mid="2"), disambiguate=True)
    assert one != two


# -- albums named in the 2021 and 2023 page markups -----------------------------------------
LEADS_2021 = (PAGES / "leads_2021.html").read_text(encoding="utf-8")
LEADS_2023 = (PAGES / "leads_2023.html").read_text(encoding="utf-8")
# What HTML carries as text: no control but line breaks and tabs, no non-character (U+FFFE)
NAME_PIECES = [piece for piece in PIECES if not any(
    unicodedata.category(c) in ("Cc", "Cs") and c not in "\n\t" or c in "\ufffe\uffff"
    for c in piece)]
album_name = st.lists(st.sampled_from(PIECES + ["#", "＃", "49个", "\ud800", "\x00"]),
                      max_size=8).map("".join)


def js_literal(name: str, ascii_only: bool) -> str:
    """``name`` as a JavaScript string literal a page's script holds (a lone surrogate
    escaped: UTF-8 has none)."""
    ascii_only = ascii_only or any(unicodedata.category(c) == "Cs" for c in name)
    return json.dumps(name, ensure_ascii=ascii_only).replace("</", "<\\/")


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(name=album_name, ascii_only=st.booleans(), tag=fuzz_text)
def test_an_album_of_the_2023_markup_is_its_name_and_a_safe_tag(name: str, ascii_only: bool,
                                                                 tag: str) -> None:
    page_html = LEADS_2023.replace('"刷单诈骗"', js_literal(name, ascii_only), 1)
    made = post_of(page_html, tag)
    assert made is not None
    titles = {album.id: album.title for album in made.article.albums}
    # the template writes the name HTML-escaped into the string, as it does the title; a
    # lone surrogate (an escape that is no character) shows as U+FFFD, a NUL as nothing
    # (``crawler.wechat.jsvars``)
    shown = re.sub("[\ud800-\udfff]", "\ufffd", unescape(name)).replace("\0", "").strip()
    assert titles["2698309978880770049"] == shown
    check_post(made)


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(names=st.lists(st.lists(st.sampled_from(NAME_PIECES), max_size=8).map("".join),
                      min_size=1, max_size=3), tag=fuzz_text)
def test_albums_of_the_2021_markup_are_their_names_and_safe_tags(names: list[str],
                                                                 tag: str) -> None:
    wrapped = "".join(
        f'<span class="article-tag__item-wrp js_tag" data-album_id="16455216563683819{n:02}">'
        f'<span class="article-tag__item">#{escape(name, quote=False)}</span></span>'
        for n, name in enumerate(names))
    page_html = re.sub(r'<span class="article-tag__item-wrp.*?</span>\s*</span>', lambda _: wrapped,
                       LEADS_2021, count=1, flags=re.S)
    made = post_of(page_html, tag)
    assert made is not None
    titles = {album.id: album.title for album in made.article.albums}
    for n, name in enumerate(names):
        shown = ("#" + name).strip().lstrip("#").strip()  # WeChat's "#" is no name
        assert titles[f"16455216563683819{n:02}"] == shown
    check_post(made)


@pytest.mark.jekyll
@settings(max_examples=max(1, EXAMPLES // 50), deadline=None, derandomize=True,
          phases=[Phase.generate],  # a Jekyll build per try: shrinking would take hours
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(titles=st.lists(title, min_size=12, max_size=12))
def test_every_post_url_resolves_and_no_two_posts_share_a_page(
        titles: list[str], tmp_path_factory: pytest.TempPathFactory) -> None:
    """Posts of one day named by ``post_filename`` (disambiguated when the name is taken,
    as ``PostStore`` does), each linked from a post by ``post_url``: Jekyll builds them
    without a warning (two posts of one URL warn), every link leads to its own post."""
    work = tmp_path_factory.mktemp("names")
    posts = work / "archive" / "_posts"
    posts.mkdir(parents=True)
    (work / "archive" / "postimg").mkdir()
    stems: list[str] = []
    for number, name in enumerate(titles):
        article = replace(MADE, title=name, mid=str(number))
        filename = post_filename(article)
        if filename.removesuffix(".md") in stems:
            filename = post_filename(article, disambiguate=True)
        stems.append(filename.removesuffix(".md"))
        (posts / filename).write_text(f"---\ntitle: t{number}\n---\nPOST{number}\n",
                                      encoding="utf-8")
    links = "".join(f"[{number}]({post_url(stem)})\n\n" for number, stem in enumerate(stems))
    (posts / "2020-01-01-links.md").write_text(f"---\ntitle: links\n---\n{links}",
                                               encoding="utf-8")
    served = build_site(work / "archive", work)
    index = lxml.html.fromstring((served / BASEURL.strip("/") / "2020/01/01/links.html")
                                 .read_bytes())
    hrefs = [link.get("href") for link in index.iter("a") if link.text_content().isdigit()]
    assert len(hrefs) == len(stems) and len(set(hrefs)) == len(stems), hrefs
    for number, href in enumerate(hrefs):
        shown = (served / unquote(href).lstrip("/")).read_text(encoding="utf-8")
        assert f"POST{number}<" in shown, (number, href)

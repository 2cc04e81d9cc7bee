"""Golden files: WeChat body HTML in ``tests/golden/*.html``, expected Markdown beside it.

Post types are golden too: our own pages in ``tests/pages/`` through the parser, to
``tests/golden/<page>.md``. To review a change of output, delete a ``.md`` and look at
what the test writes back.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from crawler.convert.escaping import escape_liquid, escape_text
from crawler.convert.markdown import MarkdownStyle, to_markdown
from crawler.convert.relink import relink, remote_images
from crawler.wechat import dom, drawn
from crawler.wechat.article import Article
from crawler.wechat.page import parse_page
from crawler.wechat.shown import text_slots
from crawler.wechat.urls import normalise_image_url
from tests.conftest import page_text
from tests.test_fidelity import rendered

GOLDEN = Path(__file__).resolve().parent / "golden"
URL = "https://mp.weixin.qq.com/s?__biz=MzA=&mid=1&idx=1"
LINKS = {
    "https://mmbiz.qpic.cn/mmbiz_png/LocalOne/640?wx_fmt=png": "{{site.baseurl}}/postimg/LocalOne.png",
    "https://mmbiz.qpic.cn/mmbiz_png/PictureOne/0?wx_fmt=png&from=appmsg":
        "{{site.baseurl}}/postimg/PictureOne.png",
}
PAGES = ["image_post", "text_post", "classic_2018", "scriptless", "shared_post", "hostile"]


def check_golden(name: str, markdown: str) -> None:
    expected = GOLDEN / f"{name}.md"
    if not expected.exists():
        expected.write_text(markdown + "\n", encoding="utf-8")
        pytest.fail(f"wrote {expected}: review it, then run again")
    assert markdown == expected.read_text(encoding="utf-8").removesuffix("\n")


@pytest.mark.parametrize("name", sorted(p.stem for p in GOLDEN.glob("*.html")))
def test_construct(name: str) -> None:
    body = (GOLDEN / f"{name}.html").read_text(encoding="utf-8")
    article = Article(url=URL, title="t", account="a", published=None, body_html=body)
    check_golden(name, to_markdown(article, LINKS))


@pytest.mark.parametrize("name", PAGES)
def test_post_type(name: str) -> None:
    article = parse_page(page_text(f"{name}.html", "https://mmbiz.qpic.cn"), URL)
    assert isinstance(article, Article)
    check_golden(name, to_markdown(article, LINKS))


@pytest.mark.parametrize("text", ["{{ x }}", "{%raw%}", "{{{", "a{%-endraw-%}b", "{"])
def test_liquid_escape_leaves_no_tag_opening(text: str) -> None:
    escaped = escape_liquid(text)
    assert escaped.replace('{{ "{" }}', "").count("{{") == 0
    assert "{%" not in escaped.replace('{{ "{" }}', "")


def test_text_escape_is_idempotent_for_plain_cjk() -> None:
    assert escape_text("网购物品丢失的退款，清远大姐为什么不要？") == "网购物品丢失的退款，清远大姐为什么不要？"


def test_an_image_of_a_protocol_relative_url_left_on_the_cdn_keeps_its_link() -> None:
    """``//mmbiz.qpic.cn/…`` is downloaded as https; when that fails the post must still
    show the picture from the CDN (and the next run find it there to try again), not drop it."""
    body = ('<p><img data-src="//mmbiz.qpic.cn/mmbiz_png/ProtoRelative01/640?wx_fmt=png"></p>'
            '<p><img data-src="//mmbiz.qpic.cn/mmbiz_png/LocalOne/640?wx_fmt=png"></p>')
    article = Article(url=URL, title="t", account="a", published=None, body_html=body)
    markdown = to_markdown(article, LINKS, MarkdownStyle(cdn_hosts=frozenset({"mmbiz.qpic.cn"})))
    assert markdown.split("\n\n") == [
        '![](https://mmbiz.qpic.cn/mmbiz_png/ProtoRelative01/640?wx_fmt=png)'
        '{: referrerpolicy="no-referrer"}',
        "![]({{site.baseurl}}/postimg/LocalOne.png)"]
    assert [normalise_image_url(url) for url in remote_images(markdown)] \
        == ["https://mmbiz.qpic.cn/mmbiz_png/ProtoRelative01/640?wx_fmt=png"]


def test_urls_are_read_as_a_browser_reads_them_whatever_blanks_the_page_leaves_in_them() -> None:
    """A browser drops the blanks around a link's or a picture's URL and the line breaks and
    tabs inside it; lxml's HTML output, which the converter reads, percent-encoded them: a
    picture stored from its ``src`` showed from the CDN (``…?wx_fmt=png%20``), a link to an
    archived article led to WeChat with ``%0A`` in its ids, not to the article's post."""
    body = ('<p><img src="https://mmbiz.qpic.cn/mmbiz_png/LocalOne/640?wx_fmt=png \n"></p>'
            '<p><a href="\thttps://mp.weixin.qq.com/s?__biz=B&amp;mid=2&amp;idx=1\n&amp;sn=s ">看'
            '</a><a href="https://example.com/a\tb/ ">别处</a></p>')
    article = Article(url=URL, title="t", account="a", published=None, body_html=body)
    markdown = to_markdown(article, LINKS, MarkdownStyle(cdn_hosts=frozenset({"mmbiz.qpic.cn"})),
                           post_links={"B:2:1": "2021-07-28-目标"})
    assert markdown.split("\n\n") == [
        "![]({{site.baseurl}}/postimg/LocalOne.png)",
        "[看]({% post_url 2021-07-28-目标 %})[别处](https://example.com/ab/)"]


@pytest.mark.parametrize("first", [
    "<h1>\u200b</h1>",  # WeChat's editor leaves zero-width spaces in empty lines
    '<h1><img data-src="https://mmbiz.qpic.cn/mmbiz_png/LocalOne/640?wx_fmt=png"></h1>',
])
def test_body_headings_start_at_two_hashes_whatever_heading_shows_no_text(first: str) -> None:
    """The contract's "body headings start at ##": a heading of zero-width spaces, dropped
    as empty, still counted as the highest and every heading went a level down (``###``);
    one holding only a picture was written ``# ![](…)``, a second title in the body. A
    picture is its own paragraph."""
    body = first + "<h2>案例</h2><p>正文</p>"
    article = Article(url=URL, title="t", account="a", published=None, body_html=body)
    picture = ["![]({{site.baseurl}}/postimg/LocalOne.png)"] if "<img" in first else []
    assert to_markdown(article, LINKS).split("\n\n") == [*picture, "## 案例", "正文"]


@pytest.mark.parametrize(("body", "written"), [
    ("<table><tr><td><table><tr><td>甲</td><td>乙 丙</td></tr><tr><td>丁</td></tr></table></td></tr></table>",
     "| 甲 乙 丙 丁 |"),
    ("<table><tr><td>前<ul><li>甲</li><li>乙<ol><li>丙</li></ol></li></ul>后</td></tr></table>",
     "| 前 • 甲 • 乙 1\\. 丙 后 |"),
    ("<h2>前<table><tr><td>甲</td><td>乙</td></tr></table>后</h2>", "## 前 甲 乙 后"),
])
def test_a_table_or_a_list_in_one_line_is_its_text_one_space_apart(body: str, written: str) -> None:
    """A table or a list in a cell or a heading, which hold one line, is its cells' or
    items' text, a space apart: the cells were written two spaces apart ("甲  乙"), which
    the post's reader of its Markdown sees and HTML folds."""
    article = Article(url=URL, title="t", account="a", published=None, body_html=body)
    assert to_markdown(article, LINKS) == written


@pytest.mark.parametrize(("body", "written"), [
    ("<h2><ul><li>甲</li><li>乙<ul><li>丙<menu><li>丁</li></menu></li></ul></li></ul></h2>",
     "## • 甲 • 乙 ◦ 丙 ■ 丁"),
    ("<table><tr><td><ul><li><section>甲</section></li><li><ol><li>乙</li></ol></li></ul></td></tr></table>",
     "| • 甲 • 1\\. 乙 |"),
    ("<table><tr><td><ol start=' 3'><li>甲</li><li><p>乙</p></li></ol></td><th><ol><li>丙</li></ol></th>"
     "</tr></table>", "| 3\\. 甲 4\\. 乙 | 1\\. 丙 |"),
    ("<dl><dt>词<ul style='list-style: none'><li>甲</li></ul><ol style='color: red; list-style-type: "
     "circle'><li>乙</li><li style='list-style: inside square'>丙</li></ol></dt><dd>丁</dd></dl>",
     "词 甲 ◦ 乙 ■ 丙\n:   丁"),
    # numbers as HTML gives them: an item's value, counting down in a reversed list
    ("<h2><ol reversed><li>甲</li><li value='7'>乙</li><li>丙</li></ol></h2>", "## 3\\. 甲 7\\. 乙 6\\. 丙"),
    # letters and Roman numerals, of a type or a style
    ("<h2><ol type='A' start='27'><li>甲</li><li type='i' value='4'>乙</li></ol><ul style='list-style-type: "
     "upper-roman'><li>丙</li></ul><ol start='0' type='i'><li>丁</li></ol></h2>", "## AA. 甲 iv. 乙 I. 丙 0\\. 丁"),
    # an item shown as no list's item (a block, none: hidden) has no marker, nor a number
    ("<h2><ol><li style='display: none'>藏</li><li hidden>藏</li><li style='display: block'>甲</li>"
     "<li hidden style='display: list-item'>乙</li><li>丙</li></ol></h2>", "## 甲 1\\. 乙 2\\. 丙"),
    # an item in a block in a list is its item, numbered on
    ("<h2><ol><li>甲</li><div><li>乙</li></div><li>丙</li></ol><ul><section><li>丁</li></section></ul></h2>",
     "## 1\\. 甲 2\\. 乙 3\\. 丙 • 丁"),
    # an item outside a list: a browser draws its marker off the box's edge, unseen
    ("<h2>题<li>甲</li></h2>", "## 题 甲"),
])
def test_a_list_in_a_heading_a_cell_or_a_term_shows_its_markers_as_text(body: str, written: str) -> None:
    """A list in a heading, a table cell or a term, which hold one line, is its items' text
    after the markers Chromium draws, by its style, its nesting and its start: the post
    wrote the items alone, its bullets and numbers lost."""
    article = Article(url=URL, title="t", account="a", published=None, body_html=body)
    assert to_markdown(article, LINKS) == written


def test_a_long_list_on_one_line_reads_each_item_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """A list of thousands of items in a cell was read whole for each of its items, to
    number it: 4,000 took 14 s to convert, where a list of them outside a cell took under 2."""
    read: list[object] = []
    shown_as_item = drawn._shown_as_item
    monkeypatch.setattr(drawn, "_shown_as_item", lambda item: read.append(item) or shown_as_item(item))
    body = "<table><tr><td><ol>" + "<li>甲</li>" * 300 + "</ol></td></tr></table>"
    article = Article(url=URL, title="t", account="a", published=None, body_html=body)
    assert to_markdown(article, LINKS).endswith(" 299\\. 甲 300\\. 甲 |")
    assert len(read) == 300


@pytest.mark.parametrize(("first", "written"), [
    ("<table><tr><td><h1>表头</h1></td><td>值</td></tr></table>", "| **表头** | 值 |"),
    ("<pre><h1>x = 1</h1></pre>", "```\nx = 1\n```"),
    ("<h2>甲<h1>乙</h1></h2>", "## 甲乙"),
])
def test_a_heading_written_as_text_sets_no_level(first: str, written: str) -> None:
    """A heading in a table cell, in code or in another heading is written as its text (in
    a cell in bold, as a browser shows it), yet was counted as the highest heading: the
    post's headings began at ``###``."""
    article = Article(url=URL, title="t", account="a", published=None,
                      body_html=first + "<h2>案例</h2><p>正文</p>")
    assert to_markdown(article, LINKS).split("\n\n") == [written, "## 案例", "正文"]


def body_markdown(body_html: str) -> str:
    return to_markdown(Article(url=URL, title="t", account="a", published=None,
                               body_html=body_html), LINKS)


@pytest.mark.parametrize("odd", ["\ufffe", "\uffff"])
def test_non_characters_are_dropped_each_alone(odd: str) -> None:
    """U+FFFE and U+FFFF are in no XML: the site's feed holding either is unreadable. The
    body's parser drops them; the shared article's title, from the page's script, is not
    parsed."""
    article = Article(url=URL, title="t", account="a", published=None,
                      share_source_url=URL, share_source_title=f"原{odd}文")
    assert to_markdown(article, LINKS) == f"[原文：原文]({URL})"


def test_a_heading_of_forty_characters_stays_one_and_of_more_is_bold_text() -> None:
    assert body_markdown(f"<h2>{'字' * 40}</h2><h2>{'字' * 41}</h2>").split("\n\n") == [
        f"## {'字' * 40}", f"**{'字' * 41}**"]


def test_a_heading_s_link_keeps_its_target_whose_query_spells_an_entity() -> None:
    """A heading's text that spells an entity has its ``&`` full-width (Hux's side catalog
    writes the text back as HTML); a link's target is no text shown: ``&region=`` there is
    a parameter, not ``®ion``, and made ``＆region`` the link led elsewhere."""
    target = "https://example.com/list?a=1&region=cn&notify=1"
    assert body_markdown(f'<h2>&amp;copy2024 <a href="{target.replace("&", "&amp;")}">地区</a></h2>') \
        == f"## ＆copy2024 [地区]({target})"


def test_a_code_block_holding_a_fence_is_fenced_with_more_backticks() -> None:
    """Code that shows ``` (a Markdown lesson) would close a fence of three."""
    assert body_markdown('<pre><code>x = """\n```\n"""</code></pre>') == \
        '````\nx = """\n```\n"""\n````'


def test_a_quote_after_text_of_its_block_is_a_paragraph_apart() -> None:
    """Begun on the text's next line, the quote's mark was glued to the bold's markers."""
    assert body_markdown("<p><b>粗体<blockquote>引用</blockquote></b></p>") == "**粗体**\n\n> 引用"


def test_empty_links_between_italics_are_nothing_shown_and_the_italics_one() -> None:
    """``*甲**乙*``: kramdown shows the ``**`` of italics beside italics."""
    assert body_markdown('<p><em>甲</em><a href="https://x.cn/"></a><em>乙</em></p>') == "*甲乙*"


def test_a_link_holding_only_empty_emphasis_between_italics_is_nothing_shown() -> None:
    """``*甲**乙*`` again: a link closed by the link after it (``adoption``) keeps the empty
    italics it held open."""
    assert body_markdown('<p><em>甲</em><a href="https://x.cn/"><em><!-- --><b></b></em></a>'
                         "<em>乙</em></p>") == "*甲乙*"


def test_a_cell_spanning_a_thousand_rows_and_columns_fills_no_more_cells_than_the_table_has() -> None:
    """A hostile page's ``rowspan="1000" colspan="1000"`` made a million empty cells."""
    rows = body_markdown('<table><tr><td rowspan="1000" colspan="1000">甲</td></tr>'
                         + "<tr><td>乙</td></tr>" * 3 + "</table>").split("\n")[2:]
    assert len(rows) == 3 and all(row.count("|") <= 6 for row in rows)


def test_text_after_what_is_dropped_stays() -> None:
    """What CSS hides and scripts go; the text after them in their paragraph is shown."""
    assert body_markdown('<p>看得见<span style="display:none">藏起的</span>也看得见'
                         "<script>x()</script>，脚本之后</p>") == "看得见也看得见，脚本之后"


def test_headings_and_header_cells_set_bold_by_a_style_are_written_without_bold_marks() -> None:
    """They show bold whatever their text: ``## **标题**`` or ``| **表头** |`` only adds marks."""
    assert body_markdown('<h2 style="font-weight:bold">标题</h2><table><tr><th style="font-weight:'
                         'bold">表头</th><th><span style="font-weight:bold">二</span></th></tr>'
                         "<tr><td>格</td><td>格</td></tr></table>") == \
        "## 标题\n\n| 表头 | 二 |\n| --- | --- |\n| 格 | 格 |"


def test_a_list_indented_under_an_item_is_nested_with_a_comment_between() -> None:
    """A pasted ``<!--StartFragment-->`` between the item and its list shows nothing."""
    assert body_markdown("<ol><li>甲</li><!--StartFragment--><ol><li>乙</li></ol><li>丙</li></ol>") \
        == "1. 甲\n   1. 乙\n2. 丙"


@pytest.mark.parametrize(("body", "markdown"), [
    ("<ol><li>甲</li><blockquote>引</blockquote><ol><li>乙</li></ol></ol>", "1. 甲\n\n> 引\n\n1. 乙"),
    ("<section><li>甲</li><ul><li>乙</li></ul></section>", "- 甲\n^\n\n- 乙"),
])
def test_a_list_is_nested_only_right_after_an_item_of_the_list_it_is_in(body: str, markdown: str) -> None:
    """After a quote it is not the quote's; after an item in no list it is not indented."""
    assert body_markdown(body) == markdown


def test_a_cell_spanning_no_columns_spans_one_as_browsers_and_markdownify_show_it() -> None:
    """``colspan="0"``: its rows below are filled under it, their cells under their heads."""
    assert body_markdown('<table><tr><td>甲</td><td colspan="0" rowspan="2">乙</td><td>丙</td></tr>'
                         "<tr><td>丁</td><td>戊</td></tr></table>").split("\n")[2] == "| 丁 |  | 戊 |"


@pytest.mark.parametrize(("body", "markdown"), [
    ("<p><em>甲<b>乙</b></em><em>丙</em></p>", "*甲**乙**丙*"),  # joined in reading order
    ('<p><em>甲</em><a href="https://x.cn/"><img src="https://mmbiz.qpic.cn/a/640"></a><em>乙</em></p>',
     "*甲*\n\n[![](https://mmbiz.qpic.cn/a/640)](https://x.cn/)\n\n*乙*"),  # a linked picture shows
    ("<p><em>甲</em><b><br></b><em>乙</em></p>", "*甲*  \n*乙*"),  # so does a line break
])
def test_italics_beside_italics_are_joined_with_all_they_hold_and_nothing_shown_between(
        body: str, markdown: str) -> None:
    assert body_markdown(body) == markdown


@pytest.mark.parametrize("display", ["block", "flex", "grid", "list-item", "table"])
def test_a_span_displayed_as_a_block_is_a_line_of_its_own(display: str) -> None:
    assert body_markdown(f'<p>前<span style="display: {display}">中</span>后</p>') == "前\n\n中\n\n后"


def test_a_span_displayed_inline_block_stays_in_its_line() -> None:
    assert body_markdown('<p>前<span style="display: inline-block">中</span>后</p>') == "前中后"


def test_the_text_after_an_svg_showing_a_picture_stays() -> None:
    assert body_markdown('<p>前<svg style="background-image: url(&quot;https://mmbiz.qpic.cn/mmbiz_png/'
                         'Svg/640&quot;)"></svg>之后的文字</p>') == \
        "前\n\n![](https://mmbiz.qpic.cn/mmbiz_png/Svg/640)\n\n之后的文字"


def test_the_text_an_svg_draws_follows_its_pictures() -> None:
    """An SVG's <text> showed nothing in the post, where a browser draws its words."""
    assert body_markdown('<p>前<svg style="background-image: url(https://mmbiz.qpic.cn/mmbiz_png/'
                         'Svg/640)"><title>题</title><text x="0" y="9">图中<tspan>字</tspan></text>'
                         '</svg>后</p>') == \
        "前\n\n![](https://mmbiz.qpic.cn/mmbiz_png/Svg/640)\n\n图中字\n\n后"


def test_an_svgs_pictures_it_hides_or_places_off_the_picture_are_not_shown() -> None:
    """An SVG's <image>s a browser draws nothing of showed in the post: hidden by the SVG's
    own attributes (``display``, ``visibility``, ``opacity``) or a style, placed off the
    picture (the viewBox), clipped to nothing; a picture a tap reveals (WeChat's interactive
    layouts) shows, as a reader sees it once tapped."""
    def image(name: str, attributes: str = "") -> str:
        return f'<image href="https://mmbiz.qpic.cn/mmbiz_png/{name}/640" {attributes} width="100" height="50"/>'

    body = ('<svg viewBox="0 0 200 100">' + image("Shown01") + image("Hidden02", 'display="none"')
            + image("Hidden03", 'style="display: none"') + image("Hidden04", 'opacity="0"')
            + image("Hidden05", 'visibility="hidden"') + image("Hidden06", 'x="250"')
            + image("Hidden07", 'y="-50"') + '<g transform="translate(0, 120)">' + image("Hidden08")
            + '</g><clipPath id="none"><rect width="0" height="0"/></clipPath>'
            + image("Hidden09", 'clip-path="url(#none)"') + image("Hidden10", 'style="width: 0"')
            + '<g opacity="0"><set attributeName="opacity" to="1" begin="click"/>'
            + image("Tapped11") + "</g></svg>")
    shown = re.findall(r"mmbiz_png/(\w+)/", body_markdown(body))
    assert shown == ["Shown01", "Tapped11"]


@pytest.mark.parametrize("body", [
    "<ul><li><hr><p>甲</p></li><li>乙</li></ul>", "<ul><li>甲<hr>乙</li><li>丙</li></ul>",
    "<ol><li><p>甲</p><hr><p>乙</p></li><li>丙</li></ol>",
    "<ol><li>乙<ul><li>丙<hr></li></ul><hr></li><li>丁</li></ol>",
    "<ol>" + "<li>甲</li>" * 9 + "<li>十<hr>乙</li><li>丙</li></ol>",
])
def test_a_rule_in_a_list_item_stays_in_it(body: str) -> None:
    """kramdown read a rule's line (``---``) in a list item as the list's end: the item's
    text after it left the list and the next items began a new one, numbered from 1; first
    in the item (``- ---``), a rule alone, the item's text after it a code block."""
    post, article = rendered(body), dom.fragment(body)
    assert [len(hr.xpath("ancestor::li")) for hr in post.iter("hr")] \
        == [len(hr.xpath("ancestor::li")) for hr in article.iter("hr")]
    assert len(post.xpath("//ol|//ul")) == len(article.xpath("//ol|//ul"))
    assert not post.xpath("//pre")


@pytest.mark.parametrize(("body", "written"), [
    ("<ul><li>甲</li>丙<li>戊</li></ul>", "- 甲\n丙\n- 戊"),
    ("<ol><li>一</li><b>二</b><li>三</li></ol>", "1. 一\n**二**\n2. 三"),
    ("<ul><li><section>甲<li>乙</li></section></li></ul>", "- 甲\n  - 乙"),
])
def test_a_list_item_after_text_beside_it_starts_a_line(body: str, written: str) -> None:
    """A list item after text or an inline element in its list (or in a block of an item)
    ran on after them: kramdown showed its marker as text (``丙- 戊``)."""
    assert body_markdown(body) == written


def test_an_empty_font_between_italics_is_nothing_shown() -> None:
    """Older editors' ``<font>`` is unwrapped as a ``<span>`` is: kramdown shows ``*甲**乙*``'s ``**``."""
    assert body_markdown('<p><em>甲</em><font color="red"></font><em>乙</em></p>') == "*甲乙*"


def test_empty_rows_under_a_cell_spanning_them_are_filled_each() -> None:
    """As many empty cells as the table has cells: one fewer left the last row a bare ``|``."""
    assert body_markdown('<table><tr><td rowspan="3">甲</td><td>乙</td></tr><tr></tr><tr></tr></table>') \
        == "| 甲 | 乙 |\n| --- | --- |\n|  |\n|  |"


@pytest.mark.parametrize("tag", ["span", "font"])
def test_text_a_style_sets_bold_around_italics_is_one_bold(tag: str) -> None:
    """Older editors set bold on a ``<font>``: it is bold markup as a ``<span>`` is, not a run
    of bold on each side of the italics (``**甲*****乙*****丙**``)."""
    assert body_markdown(f'<p><{tag} style="font-weight:bold">甲<em>乙</em>丙</{tag}></p>') == "**甲*乙*丙**"


@pytest.mark.parametrize("table", [
    '<table><tbody><tr><td rowspan="2">甲</td><td>乙</td></tr><tr><td>丙</td></tr></tbody></table>',  # WeChat's
    '<table><tr><th rowspan="2">甲</th><th>乙</th></tr><tr><td>丙</td></tr></table>',
])
def test_a_row_under_a_cell_spanning_it_is_filled_in_a_tbody_and_under_a_header_cell(table: str) -> None:
    assert body_markdown(table) == "| 甲 | 乙 |\n| --- | --- |\n|  | 丙 |"


def test_a_cell_wider_than_a_thousand_columns_moves_the_cells_after_it_as_written() -> None:
    """markdownify writes a cell at most 1,000 columns wide: a cell spanning rows after a
    wider one is filled under that column in the next row, not 500 columns to its right."""
    rows = body_markdown('<table><tr><td colspan="1500">甲</td><td rowspan="2">乙</td></tr>'
                         '<tr><td colspan="1000">丙</td><td>丁</td></tr></table>').split("\n")
    assert rows[0].endswith("| 乙 |") and rows[2].endswith("|  | 丁 |")


def test_a_lists_start_of_more_than_six_digits_is_no_start() -> None:
    """Its items numbered on stay numbers a Markdown reader takes as a list's (CommonMark
    reads at most nine digits)."""
    assert body_markdown('<ol start="999999"><li>甲</li></ol><p>间</p>'
                         '<ol start="1000000"><li>乙</li></ol>') == "999999. 甲\n\n间\n\n1. 乙"


@pytest.mark.parametrize("lang", ["c onclick", "x" * 21, "py`thon"])
def test_a_code_blocks_language_is_a_name_or_nothing(lang: str) -> None:
    """The language follows the fence: kramdown reads its words as the block's class."""
    assert body_markdown(f'<pre data-lang="{lang}"><code>x = 1</code></pre>') == "```\nx = 1\n```"


def test_code_written_as_list_items_is_a_line_each() -> None:
    """Some editors number a code block's lines with a list in its ``<pre>``."""
    assert body_markdown("<pre><ol><li>a = 1</li><li>b = 2</li></ol></pre>") == \
        "```\na = 1\nb = 2\n```"


def test_a_formula_holding_two_dollars_does_not_close_its_math() -> None:
    assert body_markdown('<p>式<span data-formula="a$$b"></span>止</p>') == "式$$a$ $b$$止"


def test_a_link_to_an_accounts_page_naming_an_archived_article_keeps_its_url() -> None:
    """A home page or album link may carry an article's ``__biz``, ``mid`` and ``idx``: it
    leads to that page, not to the article's post."""
    home = "https://mp.weixin.qq.com/mp/homepage?__biz=MzA=&hid=1&mid=1&idx=1&sn=abc"
    article = Article(url=URL, title="t", account="a", published=None,
                      body_html=f'<p><a href="{home}">主页</a></p>')
    assert to_markdown(article, {}, post_links={"MzA=:1:1": "2021-07-28-x"}) == f"[主页]({home})"
    assert relink(f"[主页]({home})", {"MzA=:1:1"}, "2021-07-28-x") == f"[主页]({home})"


@pytest.mark.parametrize(("body", "written"), [
    ("<p>甲\u200b<b>乙</b></p>", "甲**乙**"),
    ("<p>甲<!--注-->\u200c丙</p>", "甲丙"),
    ("<p><b>乙\ufeff</b>丙\u2060</p>", "**乙**丙"),
    ("<p>甲\u200d乙<span>👮</span>\u200d<b>♂</b>\ufe0f</p>", "甲乙👮\u200d**♂**\ufe0f"),
])
def test_zero_width_characters_are_looked_for_slot_by_slot_only_in_a_body_that_has_some(
        body: str, written: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Most bodies have none: the body's text is searched once, and its text slots are
    listed only where it finds one (listing them was 1 ms of the 4.0 MB page's 34 ms). Where
    there are, they go as before, in a comment's tail too; a joiner between emoji stays."""
    listed: list[object] = []
    monkeypatch.setattr("crawler.wechat.shown.text_slots",
                        lambda root: listed.append(root) or text_slots(root))
    assert body_markdown("<p>甲<!--注--><b>乙</b>丙<br>丁👮</p>") == "甲**乙**丙  \n丁👮"
    assert listed == []
    assert body_markdown(body) == written and len(listed) == 1


def test_a_link_inside_a_link_is_written_where_a_browser_puts_it() -> None:
    """HTML's parser closes the outer link, and what it holds open, at the inner link: a
    quote's marks stood around the inner link, a hidden span hid it, bold ended before it."""
    assert body_markdown(
        '<p><a href="https://x.cn/1">前<q>引<a href="https://x.cn/2">内</a>后</q></a></p>'
        '<p><a href="https://x.cn/3">甲<span style="display:none">藏<a href="https://x.cn/4">'
        '显</a></span></a></p><p><a href="https://x.cn/5"><b>粗<a href="https://x.cn/6">链</a>'
        "体</b>尾</a></p>") == (
        "[前“引”](https://x.cn/1)[内](https://x.cn/2)后\n\n[甲](https://x.cn/3)[显](https://x.cn/4)"
        "\n\n[**粗**](https://x.cn/5)**[链](https://x.cn/6)体**尾")


@pytest.mark.parametrize(("body", "written"), [
    ('<ol start="3"><li>甲</li><li>乙</li></ol><p>后</p>', "3. 甲\n4. 乙\n\n后"),
    ('<ul><li>甲<ol start="0"><li>乙</li></ol></li></ul>', "- 甲\n  0. 乙"),
])
def test_an_ordered_list_is_numbered_from_its_start_with_no_attribute_list(body: str,
                                                                          written: str) -> None:
    """ARCHIVE_FORMAT.md allows no attribute list but a remote picture's: kramdown, which
    numbers every list from 1, is not told the start (``{: start="3"}``)."""
    assert body_markdown(body) == written


@pytest.mark.parametrize(("body", "written"), [
    ("<ul><li>甲</li></ul><ul><li>乙</li></ul>", "- 甲\n^\n\n- 乙"),
    ("<ol><li>甲</li></ol>\n<ol><li>乙</li></ol>", "1. 甲\n^\n\n1. 乙"),
    ('<ol start="2"><li>甲</li></ol><ul><li>乙</li></ul>', '2. 甲\n^\n\n- 乙'),
    ("<ul><li>甲<ul><li>乙</li></ul><ol><li>丙</li></ol></li></ul>", "- 甲\n  - 乙\n  ^\n\n  1. 丙"),
])
def test_a_list_right_after_a_list_is_parted_from_it(body: str, written: str) -> None:
    """kramdown reads a list right after another, a blank line between, as the first
    list's items (spaced out as paragraphs, numbered on); a browser shows two lists."""
    assert body_markdown(body) == written

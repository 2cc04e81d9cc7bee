"""Parsing into lxml trees (``crawler.wechat.dom``): nesting deeper than libxml2 keeps loses
no text, characters XML refuses are left out, and deep elements are unwrapped on demand."""

from __future__ import annotations

import lxml.html
import pytest
from lxml import etree

from crawler.wechat import dom, listitems


def depth(root: lxml.html.HtmlElement) -> int:
    """Levels below ``root`` of its deepest element (``root`` itself is level 1)."""
    return max(sum(1 for _ in element.iterancestors()) for element in root.iter()) + 1


def nested(levels: int, inner: str = "deep text") -> str:
    return "<section>" * levels + inner + "</section>" * levels


def test_nesting_deeper_than_libxml2_keeps_loses_no_text_and_no_sibling() -> None:
    markup = f"<html><body>{nested(3000, 'deep<br>text<img src=x>')}<p>after</p></body></html>"
    plain = lxml.html.document_fromstring(markup, parser=lxml.html.HTMLParser(huge_tree=True))
    assert "after" not in plain.text_content()  # what this module is for
    tree = dom.document(markup)
    assert tree.text_content().endswith("deeptextafter")
    assert len(tree.xpath("//br")) == len(tree.xpath("//img")) == len(tree.xpath("//p")) == 1
    sections = tree.xpath("//section")
    assert len(sections) == dom.MAX_DEPTH - 2  # html and body are two of the levels kept
    assert depth(tree) <= dom.MAX_DEPTH + 1


def test_nesting_libxml2_keeps_is_parsed_as_it_is() -> None:
    tree = dom.fragment(nested(1500))
    assert len(tree.xpath("//section")) == 1500
    assert tree.text_content() == "deep text"


def test_a_fragment_too_deep_keeps_its_text_in_order() -> None:
    tree = dom.fragment("<p>before</p>" + nested(2500, "<b>in</b>") + "<p>after</p>")
    assert tree.tag == "div"
    assert tree.text_content() == "beforeinafter"
    assert not tree.xpath("//b")  # past MAX_DEPTH, formatting goes with the tags
    assert tree.xpath("//p/text()") == ["before", "after"]


@pytest.mark.parametrize("character", ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1f", "\ufffe",
                                       "\uffff", "\ud800"])
def test_characters_xml_refuses_are_left_out(character: str) -> None:
    tree = dom.fragment(f"<p>a{character}b</p><p title='t{character}'>c</p>")
    assert tree.text_content() == "abc"
    assert tree.xpath("//p/@title") == ["t"]
    tree.xpath("//p")[0].drop_tag()  # setting text again is where lxml would refuse them


@pytest.mark.parametrize("character", ["\x00", "\x01", "\x0b", "\x1f", "\ufffe", "\uffff"])
def test_characters_xml_refuses_are_left_out_of_a_page_given_as_bytes(character: str) -> None:
    """A fetched page is given as UTF-8 bytes, looked through apart from text: what is read of
    its DOM (a title, an account's name) reaches the front matter as it is."""
    tree = dom.document(f"<h1 title='t{character}'>a{character}b</h1>".encode())
    assert tree.text_content() == "ab"
    assert tree.xpath("//h1/@title") == ["t"]


def test_tabs_newlines_and_other_text_stay() -> None:
    text = "a\tb\nc\rd 中文 \u00a0 \U0001f600"
    assert dom.fragment(f"<pre>{text}</pre>").text_content() == text.replace("\r", "\n")


def test_a_document_without_markup_is_a_parser_error() -> None:
    with pytest.raises(etree.ParserError):
        dom.document("")
    assert dom.fragment("").tag == "div"


def test_flatten_deeper_than_unwraps_below_the_limit_and_keeps_text() -> None:
    root = dom.fragment(nested(5, "x<i>y</i>") + "<p>z</p>")
    dom.flatten_deeper_than(root, 3)
    assert depth(root) == 3
    assert root.text_content() == "xyz"
    assert lxml.html.tostring(root) == b"<div><section><section>xy</section></section><p>z</p></div>"


def test_flatten_deeper_than_leaves_a_tree_within_the_limit_alone() -> None:
    markup = "<div><p>a<b>b</b></p></div>"
    root = dom.fragment(markup)
    dom.flatten_deeper_than(root, 4)
    assert lxml.html.tostring(root) == lxml.html.tostring(dom.fragment(markup))
    assert depth(root) == 4 and root.xpath("//b")  # the fragment's own <div> is level 1
    dom.flatten_deeper_than(root, 3)
    assert lxml.html.tostring(root) == b"<div><div><p>ab</p></div></div>"


def test_shallow_keeps_void_and_self_closed_tags_and_stray_end_tags() -> None:
    """The tags past ``MAX_DEPTH`` go; a void or self-closed one opens no level."""
    levels = dom.MAX_DEPTH + 2
    markup = "</b>" + "<div>" * levels + "<br><img src=x/><span/>t" + "</div>" * levels
    shallow = dom._shallow(markup)
    assert shallow.count("<div>") == shallow.count("</div>") == dom.MAX_DEPTH
    assert "<br><img src=x/><span/>t" in shallow
    assert shallow.startswith("</b>")


FOSTERED = {
    # HTML's parser (Chromium's) puts what stands in a table outside its cells before it
    "<table>前<tr>中<td>格</td>间</tr>后<colgroup>组</colgroup></table>":
        "<div>前中间后组<table><tr><td>格</td></tr><colgroup></colgroup></table></div>",
    "<table><tr><td>格</td></tr><p>段</p><a href='y'>链</a><!--注--><script>s</script></table>":
        '<div><p>段</p><a href="y">链</a><table><tr><td>格</td></tr><!--注--><script>s</script>'
        "</table></div>",
    # closed at the rows it held: bold opened again after them, a span not
    "<table><b>粗<tr><td>一</td></tr>粗后</b><span hidden>藏<tbody><tr><td>二</td></tr></tbody>"
    "显</span></table>":
        "<div><b>粗</b><b>粗后</b><span hidden=\"\">藏</span>显<table><tr><td>一</td></tr><tbody><tr>"
        "<td>二</td></tr></tbody></table></div>",
    # a table in a table outside its cells (or in what stands there) closes it: it and what
    # follows go after it, formatting elements opened again, rows' and cells' tags ignored
    "<table><tr><td>格</td></tr><b>粗<div>块<table><tr><td>内</td></tr></table>块后</div>粗后</b><tr>"
    "<td>格二</td></tr></table>尾":
        "<div><b>粗<div>块</div></b><table><tr><td>格</td></tr></table><table><tr><td>内</td></tr>"
        "</table><b>块后粗后</b>格二尾</div>",
    "<table><tr><td>格</td></tr><p>段<table><tr><td>内</td></tr></table>段后</p></table>":
        "<div><p>段</p><table><tr><td>格</td></tr></table><table><tr><td>内</td></tr></table>段后</div>",
    # a run of tables, each started in the last outside its cells: each closes the last, and
    # what stands in each goes before it, after the last (libxml2 nests them)
    "<table>甲<table>乙<tr><td>格</td></tr></table></table>":
        "<div>甲<table></table>乙<table><tr><td>格</td></tr></table></div>",
    # a cell holds anything; white space stays where it is
    "<table> <tr> <td><b>格</b>字<table>内<tr><td>内格</td></tr></table></td> </tr> </table>":
        "<div><table> <tr> <td><b>格</b>字内<table><tr><td>内格</td></tr></table></td> </tr> "
        "</table></div>",
}


def assert_placed(markup: str, placed: str) -> None:
    """``markup`` parsed is the tree ``placed`` (its ``<div>`` around it), and a second parse
    of that tree's markup (the converter's) leaves it so."""
    assert lxml.html.tostring(dom.fragment(markup), encoding="unicode") == placed
    assert lxml.html.tostring(dom.fragment(placed[5:-6]), encoding="unicode") == placed


@pytest.mark.parametrize(("markup", "placed"), FOSTERED.items())
def test_what_stands_in_a_table_outside_its_cells_goes_before_it(markup: str, placed: str) -> None:
    """Text and elements in a table outside its cells stayed where libxml2 left them: the
    post wrote them inside the table's Markdown and its pipes showed as text; a second
    parse (the body is parsed again from the page's) leaves the tree as it is."""
    assert_placed(markup, placed)


HELD_OPEN = {
    # libxml2 closes a link at a table or fieldset started in it, and its </a> is ignored;
    # HTML's parser keeps the link open around them, up to its end tag or its parent's (and,
    # without an end tag, opens it again after: leftopen)
    '<section><a href="x">甲<span>s</span><table><tr><td>丙</td></tr></table>乙</a>丁</section>':
        '<div><section><a href="x">甲<span>s</span><table><tr><td>丙</td></tr></table>乙</a>丁'
        '</section></div>',
    '<div><a href="x">甲<fieldset>丙</fieldset>乙<b>粗</b></div>丁':
        '<div><div><a href="x">甲<fieldset>丙</fieldset>乙<b>粗</b></a></div><a href="x">丁</a></div>',
    # a link after the table in it closes it there, as a link in a link does
    '<div><a href="x">甲<table><tr><td>丙</td></tr></table><a href="y">乙</a>戊</a>丁</div>':
        '<div><div><a href="x">甲<table><tr><td>丙</td></tr></table></a><a href="y">乙</a>戊丁</div>'
        '</div>',
    # a link closed before the table; a link of a tag HTML's tokenizer reads in a script, a
    # comment or an attribute: all as libxml2 reads them
    '<div><a href="x">甲</a><table><tr><td>丙</td></tr></table>乙</a>丁</div>':
        '<div><div><a href="x">甲</a><table><tr><td>丙</td></tr></table>乙丁</div></div>',
    '<script>"<a href=s>"</script><!--<a href=c>--><i title="<a href=t>"></i><div><a href="x">甲'
    '<table><tr><td>丙</td></tr></table>乙</a></div><textarea><a href=t></textarea>':
        '<div><script>"<a href=s>"</script><!--<a href=c>--><i title="&lt;a href=t&gt;"></i><div>'
        '<a href="x">甲<table><tr><td>丙</td></tr></table>乙</a></div><textarea>&lt;a href=t&gt;'
        '</textarea></div>',
    # an element of the page named as the one opened in the link is the page's
    '<div><held-link hidden><a href="x">甲<table><tr><td>丙</td></tr></table>乙</a></held-link>'
    '</div>':
        '<div><div><held-link hidden><a href="x">甲<table><tr><td>丙</td></tr></table>乙</a>'
        '</held-link></div></div>',
}


TABLE = "<table><tr><td>丙</td></tr></table>"
REOPENED = {
    # a paragraph open around a link, which a table or fieldset closes in a standards-mode
    # page, the link with it (libxml2 closes both): HTML's parser opens the link again after
    # it (in a fieldset too), up to its end tag, past the paragraph's end
    f'<p><a href="x">甲{TABLE}乙</a>丁</p>戊':
        f'<div><p><a href="x">甲</a></p>{TABLE}<a href="x">乙</a>丁戊</div>',
    f'<p><a href="x">甲{TABLE}乙</p>丁</a>戊':
        f'<div><p><a href="x">甲</a></p>{TABLE}<a href="x">乙丁</a>戊</div>',
    f'<p><b><a href="x">甲{TABLE}乙</a></b></p>':
        f'<div><p><b><a href="x">甲</a></b></p>{TABLE}<b><a href="x">乙</a></b></div>',
    '<p><a href="x">甲<fieldset>乙</fieldset>丁</a>戊</p>':
        '<div><p><a href="x">甲</a></p><fieldset><a href="x">乙</a></fieldset><a href="x">丁</a>戊</div>',
    # a table in the link opened again: held open around it
    f'<p><a href="x">甲{TABLE}乙{TABLE}丁</a>戊</p>':
        f'<div><p><a href="x">甲</a></p>{TABLE}<a href="x">乙{TABLE}丁</a>戊</div>',
    # in a cell of the table, another
    '<p><a href="x">甲<table><tr><td><p><a href="y">格<table><tr><td>内</td></tr></table>格后</a></p>'
    '</td></tr></table>乙</a>丁</p>':
        '<div><p><a href="x">甲</a></p><table><tr><td><p><a href="y">格</a></p><table><tr><td>内</td>'
        '</tr></table><a href="y">格后</a></td></tr></table><a href="x">乙</a>丁</div>',
    # a link ended before the table, or closed there by another, is not opened again; nor
    # one whose table never ends; a link's tag in a comment is none
    f'<p><a href="x">甲</a>{TABLE}乙</p>': f'<div><p><a href="x">甲</a></p>{TABLE}乙</div>',
    f'<p><a href="x">甲<a href="y">乙{TABLE}丁</a>戊</p>':
        f'<div><p><a href="x">甲</a><a href="y">乙</a></p>{TABLE}<a href="y">丁</a>戊</div>',
    '<p><a href="x">甲<table><tr><td>丙</td></tr>':
        f'<div><p><a href="x">甲</a></p>{TABLE}</div>',
    f'<p><a href="x">甲<!--<a>-->{TABLE}乙</a></p>':
        f'<div><p><a href="x">甲<!--<a>--></a></p>{TABLE}<a href="x">乙</a></div>',
}


@pytest.mark.parametrize(("markup", "placed"), REOPENED.items())
def test_a_link_a_table_closes_with_its_paragraph_is_opened_again_after_it(markup: str,
                                                                          placed: str) -> None:
    """libxml2 closed a link, and the paragraph it stood in, at a table or fieldset, and
    left what followed unlinked, where HTML's parser (Chromium's) opens the link again; a
    second parse of the tree's markup (the converter's) keeps it so."""
    assert_placed(markup, placed)


@pytest.mark.parametrize(("markup", "placed"), HELD_OPEN.items())
def test_a_link_a_table_starts_in_stays_open_around_it(markup: str, placed: str) -> None:
    """libxml2 closed a link at a table or fieldset that started in it, so that its cells
    and the text after it up to the link's end were not linked, where Chromium links them;
    a second parse of the tree's markup (the converter's) keeps it so."""
    assert_placed(markup, placed)


STRAY_PARTS = {
    # HTML's parser ignores the tags of a table's parts outside any table: a link, bold and a
    # paragraph libxml2 closed there run on
    '<div><a href="x">甲<td>乙</td>丙<tr>丁</a>戊</div>': '<div><div><a href="x">甲乙丙丁</a>戊</div></div>',
    '<p>甲<b>粗<caption>体</b>后<col>尾</p>': '<div><p>甲<b>粗体</b>后尾</p></div>',
    # in a table, a <template>, SVG, or read in a script, a comment or an attribute, they stay
    '<table><tr><td>格</td></tr></table><td>外</td><template><td>模</td></template><svg><td>图</td>'
    '</svg>': '<div><table><tr><td>格</td></tr></table>外<template><td>模</td></template><svg>'
              '<td>图</td></svg></div>',
    '<script>"<td>"</script><!--<tr>--><i title="<td>"></i><a href="x">甲<td>乙</td></a>':
        '<div><script>"<td>"</script><!--<tr>--><i title="&lt;td&gt;"></i><a href="x">甲乙</a></div>',
}


@pytest.mark.parametrize(("markup", "placed"), STRAY_PARTS.items())
def test_a_table_s_part_outside_any_table_is_no_element(markup: str, placed: str) -> None:
    """libxml2 made a cell or row outside any table an element and closed a link open there
    (the post showed a table, its text unlinked), where HTML's parser ignores its tags."""
    assert lxml.html.tostring(dom.fragment(markup), encoding="unicode") == placed


CLOSED_PARAGRAPHS = {
    # a table in a paragraph, within a span or bold: HTML's parser closes them all at the
    # table, puts it after the paragraph, and opens formatting elements again, not a span
    f'<p>甲<span hidden>藏{TABLE}显</span>乙<b>粗</b></p>丁':
        f'<div><p>甲<span hidden>藏</span></p>{TABLE}显乙<b>粗</b>丁</div>',
    f'<p><b>粗<i>斜{TABLE}斜后</i>粗后</b>尾</p>':
        f'<div><p><b>粗<i>斜</i></b></p>{TABLE}<b><i>斜后</i>粗后</b>尾</div>',
    # a link in the table outside its cells closes the link around it for good
    '<p><a href="x">甲<b>粗<table><tr><td>丙</td></tr><a href="y">表</a></table>乙</b>丁</a>戊</p>':
        f'<div><p><a href="x">甲<b>粗</b></a></p><a href="y">表</a>{TABLE}<b>乙</b>丁戊</div>',
    # past an object, a cell, SVG, the paragraph is out of the table's reach
    f'<div><p>甲<object>{TABLE}</object>乙</p></div>': f'<div><div><p>甲<object>{TABLE}</object>乙</p></div></div>',
    f'<table><tr><td><p>甲<span>{TABLE}乙</span></p></td></tr></table>':
        f'<div><table><tr><td><p>甲<span></span></p>{TABLE}乙</td></tr></table></div>',
}


@pytest.mark.parametrize(("markup", "placed"), CLOSED_PARAGRAPHS.items())
def test_a_table_in_a_paragraph_closes_it(markup: str, placed: str) -> None:
    """libxml2 left a table that starts in a paragraph, in a span or bold, inside them: a
    hidden span hid the table and what followed it, where Chromium (a page in standards
    mode) shows them; a second parse of the tree's markup (the converter's) keeps it so."""
    assert_placed(markup, placed)


LEFT_OPEN = {
    # a link without its </a>: HTML's parser opens it again at the text after the element
    # that closed it, in each paragraph, up to the next link
    '<p><a href="x">甲</p><p>乙</p><p>丙<a href="y">丁</a>戊</p>':
        '<div><p><a href="x">甲</a></p><p><a href="x">乙</a></p><p><a href="x">丙</a><a href="y">丁'
        '</a>戊</p></div>',
    # white space first in a block: all that follows in it is linked, a table too
    f'<p><a href="x">甲</p><div> <p>乙</p>{TABLE}</div>':
        f'<div><p><a href="x">甲</a></p><div><a href="x"> </a><p><a href="x">乙</a></p><a href="x">'
        f'{TABLE}</a></div></div>',
    # not in the cells of a table after it; left open in a cell, not past it
    '<p><a href="x">甲</p><table><tr><td>格</td></tr></table>乙':
        '<div><p><a href="x">甲</a></p><table><tr><td>格</td></tr></table><a href="x">乙</a></div>',
    '<table><tr><td><p><a href="x">甲</p>乙</td></tr></table>丙':
        '<div><table><tr><td><p><a href="x">甲</a></p><a href="x">乙</a></td></tr></table>丙</div>',
    # a link closed: as libxml2 has it; one whose </a> comes after the element that closed
    # it, up to its </a>
    '<p><a href="x">甲</a></p><p>乙</p>': '<div><p><a href="x">甲</a></p><p>乙</p></div>',
    '<p><a href="x">甲</p><p>乙</a>丙</p>': '<div><p><a href="x">甲</a></p><p><a href="x">乙</a>丙</p></div>',
    # bold and italics alike, up to their end tags, or to the end; closed within another
    # formatting element's end tag, opened again after it
    '<p><b>甲</p><p>乙</p><div>丙<i>丁</i></div>':
        '<div><p><b>甲</b></p><p><b>乙</b></p><div><b>丙<i>丁</i></b></div></div>',
    '<p><strong>甲</p><p>乙</strong>丙</p><p><em>丁</p>戊</em>己':
        '<div><p><strong>甲</strong></p><p><strong>乙</strong>丙</p><p><em>丁</em></p><em>戊</em>己</div>',
    '<a href="x"><b>甲</a>乙</b>丙<b><i>丁</b>戊</i>己':
        '<div><a href="x"><b>甲</b></a><b>乙</b>丙<b><i>丁</i></b><i>戊</i>己</div>',
    # what stands in a table outside its cells (foster puts it before the table): in it too
    '<p><i>x</p><table>甲<b>乙</b> <tr><td>格</td></tr> 丙<p>丁</p></table>戊</i>己':
        '<div><p><i>x</i></p><i>甲<b>乙</b> </i><i> 丙</i><p><i>丁</i></p><table><tr><td>格</td></tr></table>'
        '<i>戊</i>己</div>',
    # a copy made of one left open is no start tag: a link left open after it is opened
    # again in it, not around it
    '<p><b>甲</p>乙<p><a href="x">链</p><table><tr><td>格</td></tr><i>斜</i></table>后':
        '<div><p><b>甲</b></p><b>乙</b><p><b><a href="x">链</a></b></p><b><a href="x"><i>斜</i></a><table><tr>'
        '<td>格</td></tr></table><a href="x">后</a></b></div>',
    # several alike: each end tag ends the newest of them still open (the first ended all)
    '<p><b>甲<b>乙</p><p>丙</b>丁</b>戊</p>':
        '<div><p><b>甲<b>乙</b></b></p><p><b><b>丙</b></b><b>丁</b>戊</p></div>',
    # an end tag in another cell than the one left open does not end it; a comment of the
    # page stays, one that reads as the mark of an end tag too
    '<p><b>甲</p><table><tr><td>格</b>乙</td></tr></table>丙</b>丁<!--注--><!--end tag b-->':
        '<div><p><b>甲</b></p><table><tr><td>格乙</td></tr></table><b>丙</b>丁<!--注--><!--end tag b-->'
        '</div>',
    # opened again at an inline element that holds what ends it: around it, which closes with
    # it there (the next link's start, its end tag), what follows out of it (seed 86420)
    '<p><b><a href="x">甲</b><q><a href="y">乙</a>丙</q>丁</p><p><b><a href="x">甲</b><span>乙</a>丙</span>丁'
    '</p><p><b><a href="x">甲</b><q>乙<span>丙</a>丁</span>戊</q>己</p>':
        '<div><p><b><a href="x">甲</a></b><a href="x"><q></q></a><a href="y">乙</a>丙丁</p><p><b><a href="x">'
        '甲</a></b><a href="x"><span>乙</span></a>丙丁</p><p><b><a href="x">甲</a></b><a href="x"><q>乙<span>'
        '丙</span></q></a>丁戊己</p></div>',
    # after text it is opened again for: in the same copy
    '<p><b><a href="x">甲</b>乙<q><a href="y">丙</a>丁</q></p>':
        '<div><p><b><a href="x">甲</a></b><a href="x">乙<q></q></a><a href="y">丙</a>丁</p></div>',
}


@pytest.mark.parametrize(("markup", "placed"), LEFT_OPEN.items())
def test_a_link_left_open_is_opened_again_after_what_closed_it(markup: str, placed: str) -> None:
    """libxml2 closed a link without its end tag with the paragraph it stood in, and linked
    nothing after it; Chromium links all that follows, up to the next link or its end tag
    (libxml2 ignored it), and so bolds or italicises what follows bold or italics left open
    (libxml2 left it plain). A second parse of the tree's markup (the converter's) keeps it
    so."""
    assert_placed(markup, placed)


def test_thousands_of_elements_left_open_cost_copies_in_proportion() -> None:
    """Each of a page's bold elements left open (never closed) was opened again around all
    that followed it: 400 paragraphs made 160,400 copies in 2 s, 5,000 did not end. HTML's
    parser keeps three alike open (and, for a bound, the twelve newest of any are opened
    again): what follows them is bold all the same."""
    for alike in (True, False):
        markup = "".join(f'<p><b class="{0 if alike else number}">甲</p>乙' for number in range(2000))
        tree = dom.fragment(markup)
        assert len(list(tree.iter("b"))) < 30 * 2000
        assert "".join(tree.xpath("//text()[not(ancestor::b)]")) == ""
        assert len(tree.text_content()) == 4000


NESTED_ITEMS = {
    # an item's start tag closes the item it stands in, through inline elements and a div:
    # formatting elements are opened again in it, a span is not
    '<ul><li><a href="x">甲<li>乙</ul>': '<div><ul><li><a href="x">甲</a></li><li><a href="x">乙</a></li></ul></div>',
    '<ul><li><b>甲<div>乙<li>丙</div>丁</b></ul><dl><dt><i>甲<dd>乙</i>丙</dl>':
        '<div><ul><li><b>甲<div>乙</div></b></li><li><b>丙丁</b></li></ul><dl><dt><i>甲</i></dt><dd><i>乙</i>'
        '丙</dd></dl></div>',
    # what follows it in them: in it, up to its own end tag, then after it
    '<ul><li><a href="x">甲<li>乙</a>丙</ul>': '<div><ul><li><a href="x">甲</a></li><li><a href="x">乙</a>丙</li></ul></div>',
    '<ul><li><span>甲<li>乙</li>丙</span>丁</li></ul>': '<div><ul><li><span>甲</span></li><li>乙</li>丙丁</ul></div>',
    # not through a block other than a div: the parser nests it there too
    '<ul><li><section><b>甲<li>乙</b></section></ul>':
        '<div><ul><li><section><b>甲<li>乙</li></b></section></li></ul></div>',
}


def test_a_pages_list_items_are_walked_once_when_none_closes_another(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Whether a list item closes the item it stands in was asked of each item twice, of
    libxml2's first tree and of the tree the parse ends with (the 4.0 MB page: 0.05 ms).
    When none does and the parse's steps kept that first tree (each gives its tree
    untouched, or parses anew), once; items that do are still closed (the cases above)."""
    asked: list[etree._Element] = []
    closed = listitems._closed
    monkeypatch.setattr(listitems, "_closed", lambda item: asked.append(item) or closed(item))
    tree = dom.fragment("<ul>" + "<li><b>甲</b></li>" * 50 + "</ul><ol><li>乙<li>丙</ol>")
    assert len(tree.xpath("//li")) == 52 and len(asked) == 52
    asked.clear()
    placed = dom.fragment("<table><tr><td>甲</td></tr></table><td>乙</td><ul><li>丙</li></ul>")
    assert placed.xpath("//ul/li/text()") == ["丙"] and len(asked) == 2  # parsed anew: asked again


@pytest.mark.parametrize(("markup", "placed"), NESTED_ITEMS.items())
def test_a_list_item_closes_the_item_it_starts_in(markup: str, placed: str) -> None:
    """libxml2 nested an item in the link or span it started in, in the item before: the
    post wrote it inside the first item, its marker as text; Chromium closes the first item
    there. A second parse of the tree's markup keeps it so."""
    assert_placed(markup, placed)


HEADINGS_KEPT_OPEN = {
    # a paragraph, a list item, a table, a form or a fieldset in a heading: the parser keeps
    # the heading open around them, up to its end tag
    '<h2><li>甲</li></h2><p>乙</p>': '<div><h2><li>甲</li></h2><p>乙</p></div>',
    '<h2>甲<p>乙</p>丙<table><tr><td>丁</td></tr></table>戊<form>己</form><fieldset>庚</fieldset>辛</h2>壬':
        '<div><h2>甲<p>乙</p>丙<table><tr><td>丁</td></tr></table>戊<form>己</form><fieldset>庚</fieldset>辛'
        '</h2>壬</div>',
    # its end tag (of any level) closes what is open in it: what follows comes after it, bold
    # opened again
    '<h3>甲<p>乙</h2>丙': '<div><h3>甲<p>乙</p></h3>丙</div>',
    '<h2><b>甲<p>乙</h2>丙</b>丁': '<div><h2><b>甲</b><p><b>乙</b></p></h2><b>丙</b>丁</div>',
    # in a cell; a heading's end tag with no heading open is ignored
    '<table><tr><td><h4>甲<p>乙</h4>丙</td></tr></table>': '<div><table><tr><td><h4>甲<p>乙</p></h4>丙</td>'
                                                          '</tr></table></div>',
    '<h2>甲</h2><p>乙</h2>丙</p>': '<div><h2>甲</h2><p>乙丙</p></div>',
    # an end tag of another level closes it too (libxml2 ignored it), its own after is ignored
    '<h3>甲<b>乙</h2>丙</b>丁</h3>戊': '<div><h3>甲<b>乙</b></h3><b>丙</b>丁戊</div>',
    # with no end tag, it holds what follows in its parent, up to the next heading
    '<section><h2>甲<p>乙</p>丙<b>丁</b></section>戊<h3>己<table><tr><td>庚</td></tr></table><h4>辛</h4>壬':
        '<div><section><h2>甲<p>乙</p>丙<b>丁</b></h2></section>戊<h3>己<table><tr><td>庚</td></tr></table></h3>'
        '<h4>辛</h4>壬</div>',
}


@pytest.mark.parametrize(("markup", "placed"), HEADINGS_KEPT_OPEN.items())
def test_a_heading_holds_what_stands_up_to_its_end_tag(markup: str, placed: str) -> None:
    """libxml2 closed a heading where a paragraph, a list item, a table, a form or a fieldset
    started in it, and ignored its end tag: the post wrote them after an empty or shorter
    heading, of normal weight, where Chromium shows them in the heading."""
    assert_placed(markup, placed)

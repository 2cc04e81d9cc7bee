"""Parsing HTML into lxml trees without losing what deep nesting holds.

libxml2 stops at 256 levels of nesting (2048 with ``huge_tree``) and drops the rest of
the document with no exception: a page of 300 nested ``<section>``s would lose its text.
Pages are parsed with ``huge_tree``; one that still goes too deep is parsed again with
the tags beyond ``MAX_DEPTH`` left out, their text kept. Characters XML has no place for
(controls, U+FFFE, U+FFFF) and references to them are left out first: lxml parses them,
then refuses them wherever text is set, as when an element is unwrapped. The tags of a
table's parts outside any table are ignored, as HTML's parser ignores them (``strayparts``);
a link libxml2 closes at a table is kept open around it, or opened again after it
where a paragraph closed with it (``heldlinks``); a paragraph a table starts in is
closed there (``paragraphs``); a list item that starts in another's inline elements is
put after it (``listitems``); a heading libxml2 closed before its end tag holds what
stands up to it (``headingends``); a link, bold or italics that libxml2 closed before its end
tag is opened again after, up to it (``leftopen``); then a link inside a link is moved
where HTML's parser puts it (``adoption``), as Chromium draws it, and so is what stands in
a table outside its cells (``foster``), in that order: a link met in a table outside its
cells, within a link, is left by the first for the second to place.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

import lxml.html
from lxml import etree

from crawler.wechat.adoption import unnest_links
from crawler.wechat.endmarks import ends_marked
from crawler.wechat.foster import foster_parent
from crawler.wechat.headingends import close_headings_at_their_ends
from crawler.wechat.heldlinks import links_held_open, links_reopened
from crawler.wechat.leftopen import left_open, reopen_left_open
from crawler.wechat.listitems import close_nested_items, nested_items
from crawler.wechat.paragraphs import close_paragraphs_at_tables
from crawler.wechat.strayparts import without_stray_parts

MAX_DEPTH = 1000
# A tag name no page can give (the HTML parser lowercases every name): an element renamed so
# goes, in one call of lxml over the whole tree (``strip_tags``, ``strip_elements``).
GOING = "Going"
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
# The same in UTF-8 that decoding with "replace" keeps (it makes no surrogate).
_CONTROL_BYTES = bytes(range(0x20)).translate(None, b"\t\n\r")
_NON_CHARACTERS = (b"\xef\xbf\xbe", b"\xef\xbf\xbf")  # U+FFFE, U+FFFF
# A reference to a character of ``_NOT_XML`` (``&#1;``, ``&#xFFFE``): lxml reads it as the character
_NOT_XML_REFERENCE = re.compile(
    r"&#(?:0*(?:[1-8]|1[124-9]|2[0-9]|3[01]|6553[45])(?![0-9])"
    r"|[xX]0*(?:[1-8bcefBCEF]|1[0-9a-fA-F]|[fF]{3}[eEfF])(?![0-9a-fA-F]));?")
_TAG = re.compile(r"<(/?)([A-Za-z][^\s/>]*)[^>]*?(/?)>")
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                   "param", "source", "track", "wbr"})


def document(markup: str | bytes) -> lxml.html.HtmlElement:
    """The document tree of ``markup`` (``ParserError`` when it holds no HTML at all).

    ``markup`` given as UTF-8 bytes (bad sequences are replaced) is looked through for what
    XML has no place for by ``bytes.translate``, several times faster than a regex over the
    decoded text.
    """
    return _parse(lxml.html.document_fromstring, markup)


def fragment(markup: str) -> lxml.html.HtmlElement:
    """``markup``'s elements under one ``<div>``."""
    return _parse(lambda text, parser: lxml.html.fragment_fromstring(
        text, create_parent="div", parser=parser), markup)


def flatten_deeper_than(root: etree._Element, limit: int) -> None:
    """Unwrap the elements nested more than ``limit`` levels below ``root``; text stays."""
    if not _deeper_than(limit)(root):
        return
    depth = 0
    for event, element in etree.iterwalk(root, events=("start", "end")):
        if event == "start":
            depth += 1
            if depth > limit:
                element.tag = GOING
        else:
            depth -= 1
    etree.strip_tags(root, GOING)


@functools.lru_cache(maxsize=8)
def _deeper_than(limit: int) -> etree.XPath:
    """Whether an element holds what ``flatten_deeper_than`` unwraps (counting the element
    as the first level): libxml2 goes level by level, a fraction of a walk in Python."""
    return etree.XPath("boolean(" + "/".join(["*"] * limit) + ")")


def _parse(parse: Callable[[str, lxml.html.HTMLParser], lxml.html.HtmlElement],
           markup: str | bytes) -> lxml.html.HtmlElement:
    if isinstance(markup, bytes):
        clean = len(markup.translate(None, _CONTROL_BYTES)) == len(markup) \
            and not any(character in markup for character in _NON_CHARACTERS)
        markup = markup.decode("utf-8", "replace")
        if not clean:
            markup = _NOT_XML.sub("", markup)
    else:
        markup = _NOT_XML.sub("", markup)
    markup = _NOT_XML_REFERENCE.sub("", markup)
    parser = lxml.html.HTMLParser(huge_tree=True)
    tree = parse(markup, parser)

    def again(changed: str) -> lxml.html.HtmlElement:
        return parse(changed, lxml.html.HTMLParser(huge_tree=True))

    if any("Excessive depth" in error.message for error in parser.error_log):
        markup = _shallow(markup)
        parser = lxml.html.HTMLParser(huge_tree=True)
        tree = parse(markup, parser)
    first, items_nested = tree, bool(nested_items(tree))
    markup, tree, mark = ends_marked(markup, tree, parser.error_log, again, nested_items=items_nested)
    markup, tree = without_stray_parts(markup, tree, again)
    markup, tree = links_reopened(markup, tree, again)
    tree = links_held_open(markup, tree, again)
    if items_nested or tree is not first:  # each step gives its tree untouched, or parses anew
        close_nested_items(tree, mark)
    close_headings_at_their_ends(tree, mark)
    closed_early = left_open(tree, mark)
    close_paragraphs_at_tables(tree)
    reopen_left_open(closed_early)
    unnest_links(tree)
    foster_parent(tree)
    return tree


def _shallow(markup: str) -> str:
    """``markup`` without the tags opened beyond ``MAX_DEPTH`` levels (and their end tags)."""
    kept: list[bool] = []  # one per open element: whether its tags are kept

    def tag(match: re.Match[str]) -> str:
        closing, name, self_closing = match.group(1), match.group(2).lower(), match.group(3)
        if name in _VOID or self_closing:
            return match.group(0)
        if closing:
            return match.group(0) if not kept or kept.pop() else ""
        kept.append(len(kept) < MAX_DEPTH)
        return match.group(0) if kept[-1] else ""

    return _TAG.sub(tag, markup)

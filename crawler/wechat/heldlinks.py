"""A link that a table or a fieldset starts in, kept open around it as HTML's parser keeps it.

libxml2 closes an ``<a>`` when a ``<table>`` or ``<fieldset>`` starts in it (with nothing
else open in the link), and leaves no trace of it in the tree: the link's ``</a>`` is then
ignored, and the cells and the text after the table up to it are no longer linked. HTML's
parser (Chromium's) keeps the link open around them, unless a paragraph is open around it:
in a standards-mode page the table closes the paragraph, the link with it, as libxml2 does,
but HTML's parser opens the link again after the table (in a fieldset too), up to its end
tag, where libxml2 leaves what follows unlinked (``links_reopened``).

The tree cannot tell such a link from one closed just before a table, so such a page is
parsed again with an element of a name the page does not hold, opened just after the start
tag of each of these links: libxml2 closes nothing at a table while it is open, and closes
it with the link. It is then unwrapped. A link closed with its paragraph is given a copy of
its start tag where HTML's parser opens it again. Which start tag makes which link is known by
counting them in the markup, read as HTML's tokenizer reads it (``tokens``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree

from crawler.wechat.drawn import ONE_LINE
from crawler.wechat.endmarks import HEADING_CLOSERS, HEADINGS
from crawler.wechat.paragraphs import open_paragraph
from crawler.wechat.tokens import start_tags, tags

_HOLD = "held-link"
_LINK = frozenset({"a"})
_CLOSING = ("table", "fieldset")
# What a cell holds that is written as part of its table, never inside a link
_TABLE_TAGS = frozenset("table caption colgroup col thead tbody tfoot tr td th".split())
_MARKED_BLOCKS = ("li", "dt", "dd", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6")
_IN_MARKED_BLOCKS = frozenset({"ul", "ol", "dl", *_MARKED_BLOCKS, *_TABLE_TAGS})


def links_held_open(markup: str, tree: etree._Element,
                    parse: Callable[[str], etree._Element]) -> etree._Element:
    """``tree``, libxml2's of ``markup``; or, when it has closed a link at a table or
    fieldset where HTML's parser keeps it open, the tree ``parse`` gives of ``markup`` with
    an element opened in each such link, unwrapped. ``tree`` as it is when the links' start
    tags in ``markup`` are not ``tree``'s links, or libxml2 put such an element elsewhere."""
    closed_links = [link for link in _before_a_table(tree) if open_paragraph(link) is None]
    if not closed_links:
        return tree
    links = {link: number for number, link in enumerate(tree.iter("a"))}
    closed = {links[link] for link in closed_links}
    hold, lowered = _HOLD, markup.lower()
    while hold in lowered:
        hold += "-"
    pieces, start, found = [], 0, 0
    for token in start_tags(markup, _LINK):
        if found in closed:
            pieces += [markup[start:token.end()], f"<{hold}>"]
            start = token.end()
        found += 1
    if found != len(links):
        return tree
    held_tree = parse("".join([*pieces, markup[start:]]))
    held = list(held_tree.iter(hold))
    if len(held) != len(closed) or any(
            (parent := element.getparent()) is None or parent.tag != "a" for element in held):
        return tree
    etree.strip_tags(held_tree, hold)
    return held_tree


def links_reopened(markup: str, tree: etree._Element,
                   parse: Callable[[str], etree._Element]) -> tuple[str, etree._Element]:
    """``markup`` and ``tree``, libxml2's of it; or, when a table or fieldset has closed a
    paragraph and a link open in it (HTML's parser opens the link again after them, up to
    its end tag, and in a fieldset too), ``markup`` with a copy of each such link's start
    tag where the parser opens it again, and the tree ``parse`` gives of it. As they are
    when the links' start tags in ``markup`` are not ``tree``'s links."""
    closed_links = [link for link in _before_a_table(tree) if open_paragraph(link) is not None]
    if not closed_links:
        return markup, tree
    links = {link: number for number, link in enumerate(tree.iter("a"))}
    closing = {links[link]: _closing(link) for link in closed_links}
    copies: list[tuple[int, str]] = []  # where a copy of a link's start tag goes, and it
    open_links: list[_Closed] = []
    found = 0
    for name, end, token in tags(markup):
        for link in list(open_links):
            if link.depth == 0 and name == "a":  # ended, or closed by another, before it
                open_links.remove(link)
            elif name == link.closing:
                link.depth += -1 if end else 1
                if link.depth == 0 or (not end and link.closing == "fieldset" and link.depth == 1):
                    copies.append((token.end(), link.start_tag))
                if link.depth == 0:
                    open_links.remove(link)
        if name == "a" and not end:
            if found in closing:
                open_links.append(_Closed(token.group(0), closing[found]))
            found += 1
    if found != len(links) or not copies:
        return markup, tree
    pieces, start = [], 0
    for position, start_tag in copies:
        pieces += [markup[start:position], start_tag]
        start = position
    reopened = "".join([*pieces, markup[start:]])
    return reopened, parse(reopened)


def _closing(link: etree._Element) -> str:
    """The name of the table or fieldset right after ``link`` or its paragraph."""
    after = link.getnext()
    if after is None:
        parent = link.getparent()
        assert parent is not None
        after = parent.getnext()
    assert after is not None
    return str(after.tag)


@dataclass
class _Closed:
    """A link a paragraph's closing closes at a table or fieldset: its start tag, the name
    of what closes it, and how many of these are open once met (0 before)."""

    start_tag: str
    closing: str
    depth: int = 0


def hold_open(root: etree._Element) -> None:
    """Each link of ``root`` that holds a table or fieldset, and each heading that holds
    what libxml2 closes a heading at (``headingends``), given an element around all it
    holds, that keeps libxml2 from closing it there when ``root``'s markup is parsed again
    (BeautifulSoup's "lxml"); one that holds nothing to write (markdownify writes its
    content alone)."""
    for element in root.iter("a", *HEADINGS):
        closing = _CLOSING if element.tag == "a" else HEADING_CLOSERS
        if any(child.tag in closing for child in element):
            hold = element.makeelement(_HOLD)
            hold.text, element.text = element.text, None
            hold.extend(list(element))
            element.append(hold)


def link_beside_cell_links(root: etree._Element) -> None:
    """In each cell of ``root`` that holds a link of its own, within a link around its
    table, what stands beside that link given a copy of the link around the table: a
    browser links it there, and the converter writes a cell holding a link unlinked but for
    that link (a link in a link would show as its Markdown)."""
    for cell in list(root.iter("td", "th")):
        outer = next(cell.iterancestors("a"), None)
        if outer is not None and next(cell.iter("a"), None) is not None:
            _link_beside_links(cell, outer, _TABLE_TAGS)


def link_in_marked_blocks(root: etree._Element) -> None:
    """What each block of ``root`` that Markdown marks (a list's item, a term, a definition,
    a quote, a heading) holds within a link, given a copy of that link, but the blocks it
    holds (each linked in its turn) and a table (its cells are linked as written): a browser
    links them, where the converter left their Markdown unlinked (the link's brackets around
    it would show as text), and around a definition list showed the brackets and the URL.
    In a heading, a cell or a term, which the converter writes as one line of text, no block
    is marked: what they hold is linked whole, as text."""
    for block in list(root.iter(*_MARKED_BLOCKS)):
        outer = next(block.iterancestors("a"), None)
        if outer is not None and next(block.iterancestors(*ONE_LINE), None) is None:
            passed = frozenset() if block.tag in ONE_LINE else _IN_MARKED_BLOCKS
            _link_beside_links(block, outer, passed)


def _link_beside_links(element: etree._Element, outer: etree._Element,
                       passed: frozenset[str]) -> None:
    """The text and elements ``element`` holds outside its links, each in a copy of ``outer``
    (the elements that hold a link, in turn, what they hold); those named in ``passed``
    stay as they are."""
    if element.text and element.text.strip():
        element.insert(0, _linked(outer, element.text))
        element.text = None
    for child in list(element):
        if child.tail and child.tail.strip():
            child.addnext(_linked(outer, child.tail))
            child.tail = None
        if child.tag == "a" or child.tag in passed or not isinstance(child.tag, str):
            continue
        if next(child.iter("a"), None) is not None:
            _link_beside_links(child, outer, passed)
        else:
            link = _linked(outer, None)
            child.addprevious(link)
            link.append(child)
            link.tail, child.tail = child.tail, None


def _linked(outer: etree._Element, text: str | None) -> etree._Element:
    """A copy of the link ``outer`` that holds ``text``."""
    link = outer.makeelement("a", {str(name): str(value) for name, value in outer.attrib.items()})
    link.text = text
    return link


def _before_a_table(tree: etree._Element) -> list[etree._Element]:
    """The links right before a table or fieldset, or last in a paragraph right before it:
    closed by it (a paragraph with them), or by their end tag there."""
    return [link for closing in tree.iter(*_CLOSING)
            if (link := _last_link(closing.getprevious())) is not None]


def _last_link(element: etree._Element | None) -> etree._Element | None:
    """``element`` when it is a link, or the link last in it when it is a paragraph; none
    when text follows."""
    if element is not None and element.tag == "p" and not element.tail and len(element):
        element = element[-1]
    return element if element is not None and element.tag == "a" and not element.tail else None

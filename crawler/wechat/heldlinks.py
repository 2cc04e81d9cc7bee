"""A link that a table or a fieldset starts in, kept open around it as HTML's parser keeps it.

libxml2 closes an ``<a>`` when a ``<table>`` or ``<fieldset>`` starts in it (with nothing
else open in the link), and leaves no trace of it in the tree: the link's ``</a>`` is then
ignored, and the cells and the text after the table up to it are no longer linked. HTML's
parser (Chromium's) keeps the link open around them, unless a paragraph is open around it
(in a standards-mode page the table closes the paragraph, the link with it, as libxml2 does).

The tree cannot tell such a link from one closed just before a table, so such a page is
parsed again with an element of a name the page does not hold, opened just after the start
tag of each of these links: libxml2 closes nothing at a table while it is open, and closes
it with the link. It is then unwrapped. Which start tag makes which link is known by
counting them in the markup, read as HTML's tokenizer reads it (``tokens``).
"""

from __future__ import annotations

from collections.abc import Callable

from lxml import etree

from crawler.wechat.tokens import start_tags

# What ends the reach of a paragraph open around a link for a table's start ("button scope")
_SCOPE = frozenset("applet button caption html marquee object table td template th".split())
_FOREIGN = frozenset({"svg", "math"})
_HOLD = "held-link"
_LINK = frozenset({"a"})
_CLOSING = ("table", "fieldset")
# What a cell holds that is written as part of its table, never inside a link
_TABLE_TAGS = frozenset("table caption colgroup col thead tbody tfoot tr td th".split())


def links_held_open(markup: str, tree: etree._Element,
                    parse: Callable[[str], etree._Element]) -> etree._Element:
    """``tree``, libxml2's of ``markup``; or, when it has closed a link at a table or
    fieldset where HTML's parser keeps it open, the tree ``parse`` gives of ``markup`` with
    an element opened in each such link, unwrapped. ``tree`` as it is when the links' start
    tags in ``markup`` are not ``tree``'s links, or libxml2 put such an element elsewhere."""
    closed_links = [link for link in _before_a_table(tree) if not _in_a_paragraph(link)]
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


def hold_open(root: etree._Element) -> None:
    """Each link of ``root`` that holds a table or fieldset given an element around all it
    holds, that keeps libxml2 from closing the link there when ``root``'s markup is parsed
    again (BeautifulSoup's "lxml"); one that holds nothing to write (markdownify writes its
    content alone)."""
    for link in root.iter("a"):
        if any(child.tag in _CLOSING for child in link):
            hold = link.makeelement(_HOLD)
            hold.text, link.text = link.text, None
            hold.extend(list(link))
            link.append(hold)


def link_beside_cell_links(root: etree._Element) -> None:
    """In each cell of ``root`` that holds a link of its own, within a link around its
    table, what stands beside that link given a copy of the link around the table: a
    browser links it there, and the converter writes a cell holding a link unlinked but for
    that link (a link in a link would show as its Markdown)."""
    for cell in list(root.iter("td", "th")):
        outer = next(cell.iterancestors("a"), None)
        if outer is not None and next(cell.iter("a"), None) is not None:
            _link_beside_links(cell, outer)


def _link_beside_links(element: etree._Element, outer: etree._Element) -> None:
    """The text and elements ``element`` holds outside its links, each in a copy of ``outer``
    (the elements that hold a link, in turn, what they hold); parts of a table stay as
    they are."""
    if element.text and element.text.strip():
        element.insert(0, _linked(outer, element.text))
        element.text = None
    for child in list(element):
        if child.tail and child.tail.strip():
            child.addnext(_linked(outer, child.tail))
            child.tail = None
        if child.tag == "a" or child.tag in _TABLE_TAGS or not isinstance(child.tag, str):
            continue
        if next(child.iter("a"), None) is not None:
            _link_beside_links(child, outer)
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
    """The links right before a table or fieldset: closed by it, or by their end tag there."""
    return [link for closing in tree.iter(*_CLOSING)
            if (link := closing.getprevious()) is not None and link.tag == "a" and not link.tail]


def _in_a_paragraph(link: etree._Element) -> bool:
    """Whether a paragraph is open around ``link`` where a table's start tag closes it."""
    for ancestor in link.iterancestors():
        if ancestor.tag == "p":
            return True
        if ancestor.tag in _SCOPE or ancestor.tag in _FOREIGN:
            return False
    return False

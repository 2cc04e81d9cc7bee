"""What stands in a table outside its cells, moved before the table as HTML's parser moves it.

libxml2 leaves text and elements that stand in a ``<table>``, a row group or a row, but in
no cell, where they stand; HTML's parser (Chromium's) puts them just before the table
("foster parenting"), and a reader reads them there, before the cells. Left in place, such
text was written inside the table's Markdown, whose pipes then showed as text, or read in
another order than Chromium's. An element libxml2 let hold a table's rows
(``<table><b>x<tr>…``) is closed by HTML's parser at the first of them: its rows stay in
the table and what it held around them goes before it (a formatting element, such as
bold, opened again around what follows). A table that starts there closes the table, as
HTML's parser closes it: it and what follows it go after the table. Pure functions over
lxml trees.
"""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from crawler.wechat.adoption import FORMATTING, add_text_before, put_after, taken_up_to

# What each part of a table holds in its own right; anything else is moved out of it.
_HOLDS = {
    "table": frozenset("caption colgroup col thead tbody tfoot tr td th".split()),
    "thead": frozenset("tr td th".split()),
    "tbody": frozenset("tr td th".split()),
    "tfoot": frozenset("tr td th".split()),
    "tr": frozenset("td th".split()),
    "colgroup": frozenset({"col"}),
}
_PARTS = frozenset().union(*_HOLDS.values())
# Shown nowhere, so left where they stand
_STAYS = frozenset({"script", "style", "template"})
# What holds parts of a table of its own: a table, and a cell or caption, which hold anything
_OWN = frozenset({"table", "td", "th", "caption"})
# HTML's white space: any other character in a run of text makes the run stand outside.
_SPACE = " \t\n\f\r"
# A wrapper unwrapped once placed; no page gives a name with capitals.
_LOOSE = "Loose"


def foster_parent(root: etree._Element) -> None:
    """Close each table of ``root`` where a table starts in it outside its cells, the
    outermost first, as HTML's parser meets them: libxml2 nests a run of such tables, and a
    table closed holds the next to close, alone. Then move what stands in each outside its
    cells to just before it; the innermost first, so that what one moves out is then in the
    next."""
    tables = list(root.iter("table"))
    for table in tables:
        _close_at_table(table)
    for table in reversed(tables):
        if table.getparent() is not None:
            _sort(table, table)
    etree.strip_tags(root, _LOOSE)


def _close_at_table(table: etree._Element) -> None:
    """The first table that starts in ``table`` outside its cells (in a row, or in what stands
    there) closes ``table``, as HTML's parser closes it there: that table and all that follows
    it in ``table`` go just after it, the formatting elements it stood in opened again around
    what follows, the tags of rows and cells there ignored (their text loose)."""
    inner = next((element for element in _outside_cells(table) if element.tag == "table"), None)
    if inner is None:
        return
    following = taken_up_to(inner, table, lambda element: element.tag in FORMATTING)
    for piece in following:
        for part in [] if isinstance(piece, str) else piece.iter(*_PARTS):
            if next(part.iterancestors("table"), None) is None:  # taken out: of no table now
                part.tag = _LOOSE
    put_after(table, [inner, *following])


def _sort(part: etree._Element, table: etree._Element) -> None:
    """What ``part`` (``table``, or a row group or row of it) may not hold moved to just
    before ``table``, in order; its own parts sorted in turn."""
    holds, holders = _HOLDS[part.tag], _holders(part)

    def outside(child: etree._Element) -> bool:
        return isinstance(child.tag, str) and child.tag not in holds and child.tag not in _STAYS

    while (holder := next((c for c in part if c in holders and outside(c)), None)) is not None:
        _close_at_parts(holder, holders)
    if part.text and part.text.strip(_SPACE):
        _before(table, part.text)
        part.text = None
    for child in list(part):
        tail, child.tail = child.tail, None
        if outside(child):
            _before(table, child)
        elif child.tag in _HOLDS and child.tag in holds:
            _sort(child, table)
        if tail and tail.strip(_SPACE):
            _before(table, tail)
        else:
            child.tail = tail


def _holders(part: etree._Element) -> set[etree._Element]:
    """The elements below ``part`` that hold a part of its table (not of a table of their
    own); one walk up from each part, each element passed once."""
    holders: set[etree._Element] = set()
    for inner in _outside_cells(part):
        if inner.tag not in _PARTS:
            continue
        for ancestor in inner.iterancestors():
            if ancestor is part or ancestor in holders:
                break
            holders.add(ancestor)
    return holders


def _outside_cells(part: etree._Element) -> Iterator[etree._Element]:
    """The elements below ``part``, in order, but for what cells, captions and tables hold:
    a walk of a table's own parts, where its cells may hold a page of nested tables."""
    below = list(reversed(part))
    while below:
        element = below.pop()
        yield element
        if element.tag not in _OWN:
            below += reversed(element)


def _close_at_parts(element: etree._Element, holders: set[etree._Element]) -> None:
    """``element`` closed at each part of a table it holds: in its place, one after another,
    the runs of what it holds between them (the first in a copy of it, the others too when it
    is a formatting element, else loose) and the parts (or what holds them)."""
    pieces, run = [], _copy(element, element.tag)
    run.text = element.text
    for child in list(element):
        if child.tag in _PARTS or child in holders:
            pieces += [run, child]
            run = _copy(element, element.tag if element.tag in FORMATTING else _LOOSE)
            run.text, child.tail = child.tail, None
        else:
            run.append(child)
    pieces.append(run)
    kept = [piece for piece in pieces if piece.tag in _PARTS or piece.text or len(piece)]
    for piece in kept:
        element.addprevious(piece)
    kept[-1].tail = element.tail
    parent = element.getparent()
    assert parent is not None
    parent.remove(element)


def _copy(element: etree._Element, tag: str) -> etree._Element:
    """An empty element named ``tag``, with ``element``'s attributes unless it is loose."""
    attributes = {str(name): str(value) for name, value in element.attrib.items()}
    return element.makeelement(tag, attributes if tag != _LOOSE else None)


def _before(table: etree._Element, node: etree._Element | str) -> None:
    """``node``, an element or text, put just before ``table``."""
    if isinstance(node, str):
        add_text_before(table, node)
    else:
        table.addprevious(node)

"""A link inside a link, placed as HTML's parser places it (and Chromium draws it).

libxml2 leaves a link's start tag inside an open link where it stands; HTML's parser (its
"adoption agency" rule) closes the open link there first. What the outer link holds open
closes with it: a quote's marks then stand before the inner link, a hidden span no longer
hides it. Formatting elements (bold, italics) are opened again around the inner link, and
a block between the two links is split: its part from the inner link on leaves the outer
link. In a table outside its cells, the outer link is out of the rule's reach: the inner
link stays (``foster`` then puts it before the table) and the outer link is closed. Only
these cases of the rule are followed: the tree otherwise is libxml2's.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from lxml import etree

FORMATTING = frozenset("a b big code em font i nobr s small strike strong tt u".split())
SPECIAL = frozenset("""address applet area article aside base basefont bgsound blockquote body
    br button caption center col colgroup dd details dir div dl dt embed fieldset figcaption
    figure footer form frame frameset h1 h2 h3 h4 h5 h6 head header hgroup hr html iframe img
    input keygen li link listing main marquee menu meta nav noembed noframes noscript object ol
    p param plaintext pre script search section select source style summary table tbody td
    template textarea tfoot th thead title tr track ul wbr xmp""".split())
# Past one of these the outer link is out of the rule's reach (a table cell, an object, SVG's
# own links): the inner link stays where it is. In SVG or MathML both links are theirs, but
# in an SVG's <foreignObject>, which holds HTML (lxml's name is lowercase).
_FOREIGN = frozenset({"svg", "math"})
_HTML_IN_SVG = "foreignobject"
_OUT_OF_REACH = _FOREIGN | frozenset("applet caption marquee object template td th table".split())
# Of the elements between the outer link and a block, the formatting ones among this many
# nearest the block are opened again.
_REOPENED = 3
# HTML's parser splits at most this many blocks between the two links, then stops
_ROUNDS = 8
# Of formatting elements alike (``alike``), HTML's parser keeps this many open, the newest
ALIKE = 3
# Where what follows goes in an element left open; no page gives a name with capitals.
_HERE = "Here"
# Each link inside a link, in document order: libxml2 finds them in a walk of the tree, where
# a walk up from each link in Python took 30 times as long (most pages hold none).
_NESTED = etree.XPath("descendant-or-self::a//a")


@dataclass
class _Open:
    """An element open once the outer link is closed: what follows the inner link in
    ``source`` (or in what ``source`` holds) goes into ``element``, before ``anchor``."""

    source: etree._Element | None
    element: etree._Element
    anchor: etree._Element


def unnest_links(root: etree._Element) -> None:
    """Move each link inside a link where HTML's parser puts it, first to last (``root`` is
    a tree's root, as the parser gives it)."""
    for inner in cast(list[etree._Element], _NESTED(root)):
        for entry in _adopt(inner):
            add_text_before(entry.anchor, entry.anchor.tail)
            entry.element.remove(entry.anchor)


def _adopt(inner: etree._Element) -> list[_Open]:
    """Close the link ``inner`` stands in; the elements given anchors, to be removed."""
    path: list[etree._Element] = []  # the elements between the two links, outermost first
    outer = inner.getparent()
    while outer is not None and outer.tag != "a":
        path.insert(0, outer)
        outer = outer.getparent()
    container = None if outer is None else outer.getparent()
    if outer is None or container is None or _in_foreign(outer):
        return []
    out_of_reach = {element.tag for element in path if element.tag in _OUT_OF_REACH}
    if out_of_reach == {"table"}:  # in a table, outside its cells
        _close_at(outer, path[0])
    if out_of_reach:
        return []
    if sum(element.tag in SPECIAL for element in path) >= _ROUNDS:
        _link_around(outer, path, inner)
        return []
    # What follows each level's next element down (its tail, its later siblings) was parsed
    # after the inner link: it goes where the parser then stands.
    levels = [(level, child.tail, list(child.itersiblings()))
              for level, child in zip([outer, *path], [*path, inner], strict=True)]
    for child in [*path, inner]:
        child.tail = None
    listed = _listed(path)
    opened = [_Open(None, container, _anchor_after(outer))]
    closing, segment = outer, path
    while (block := _first_block(segment)) is not None:
        below = segment[block + 1:]
        opened += _split(closing, segment[:block], segment[block], [*below, inner][0],
                         opened[-1], listed)
        closing, segment = segment[block][0], below
    for element in segment:
        if element in listed:
            opened.append(_open_in(opened[-1], element))
    opened[-1].anchor.addprevious(inner)
    anchored = list(opened)
    for level, tail, siblings in reversed(levels):
        add_text_before(opened[-1].anchor, tail)
        for sibling in siblings:
            opened[-1].anchor.addprevious(sibling)
        while any(entry.source is level for entry in opened):
            opened.pop()
    return anchored


def formatting(element: etree._Element) -> bool:
    """Whether ``element`` is a formatting element, which HTML's parser opens again after
    what closed it (``taken_up_to``'s ``reopens``)."""
    return element.tag in FORMATTING


def _in_foreign(element: etree._Element) -> bool:
    """Whether ``element`` stands in SVG or MathML, not in HTML that an SVG's
    ``<foreignObject>`` holds."""
    nearest = next(element.iterancestors(*_FOREIGN, _HTML_IN_SVG), None)
    return nearest is not None and nearest.tag != _HTML_IN_SVG


def _close_at(outer: etree._Element, top: etree._Element) -> None:
    """``outer`` closed after ``top``, its child: what follows ``top`` in it moved after it.
    HTML's parser meets the inner link in a table outside its cells, where the outer link is
    out of its reach: it leaves the inner link where the table's text goes, in the outer
    link, and takes the outer link off the elements open, so that what follows the
    elements still open on the way to the table is no longer in it."""
    put_after(outer, taken_after(top))


def _link_around(outer: etree._Element, path: list[etree._Element], inner: etree._Element) -> None:
    """What ``outer`` holds but ``inner``, down ``path``, linked by copies of ``outer`` where
    it stands, ``outer`` itself unwrapped. With that many blocks between, HTML's parser
    stops before the last (its rule's eight rounds) and leaves a copy of the outer link open
    around the inner one: what follows stays linked to it, up to the outer link's end."""
    for level, child in zip([outer, *path], [*path, inner], strict=True):
        before, after = _copy(outer), _copy(outer)
        before.text, level.text = level.text, None
        for sibling in reversed(list(child.itersiblings(preceding=True))):
            before.append(sibling)
        after.text, child.tail = child.tail, None
        for sibling in list(child.itersiblings()):
            after.append(sibling)
        if after.text or len(after):
            child.addnext(after)
        if before.text or len(before):
            level.insert(0, before)
    parent = outer.getparent()
    assert parent is not None
    add_text_before(outer, outer.text)
    for child in list(outer):
        outer.addprevious(child)
    add_text_before(outer, outer.tail)
    outer.tail = None
    parent.remove(outer)


def _listed(path: list[etree._Element]) -> set[etree._Element]:
    """The formatting elements of ``path`` (outermost first) that HTML's parser keeps in its
    list to open again: of those alike (name and attributes), the three innermost, as it
    drops the oldest when a fourth opens ("Noah's Ark"). Opened again, the others made text
    bold past the end tag that ends the last bold a browser shows."""
    listed, seen = set(), Counter[tuple[str, frozenset[tuple[str, str]]]]()
    for element in reversed(path):
        if element.tag in FORMATTING:
            if seen[alike(element)] < ALIKE:
                listed.add(element)
            seen[alike(element)] += 1
    return listed


def alike(element: etree._Element) -> tuple[str, frozenset[tuple[str, str]]]:
    """What makes formatting elements alike to HTML's parser: name and attributes."""
    return str(element.tag), frozenset((str(k), str(v)) for k, v in element.attrib.items())


def _first_block(segment: list[etree._Element]) -> int | None:
    return next((i for i, element in enumerate(segment) if element.tag in SPECIAL), None)


def _split(closing: etree._Element, between: list[etree._Element], block: etree._Element,
           successor: etree._Element, current: _Open, listed: set[etree._Element]) -> list[_Open]:
    """The block nearest the link being closed moved out of it, into copies of formatting
    elements between; what the block held before ``successor`` (the next element down),
    and ``successor`` unless it is the inner link, stays in a copy of the link. The
    elements left open, outermost first."""
    nearest = list(reversed(between))[:_REOPENED]
    last, copies = block, list[_Open]()
    for element in (element for element in nearest if element in listed):
        copy = _copy(element)
        copy.append(last)
        copies.insert(0, _Open(element, copy, _anchor_after(last)))
        last = copy
    current.anchor.addprevious(last)
    link = _copy(closing)
    link.text, block.text = block.text, None
    children = list(block)
    for child in children[:children.index(successor) + (successor.tag != "a")]:
        link.append(child)
    block.insert(0, link)
    return [*copies, _Open(block, block, _anchor_after(link))]


def _open_in(current: _Open, element: etree._Element) -> _Open:
    """``element`` opened again where ``current`` takes what follows."""
    copy = _copy(element)
    current.anchor.addprevious(copy)
    anchor = copy.makeelement(_HERE)
    copy.append(anchor)
    return _Open(element, copy, anchor)


def _copy(element: etree._Element) -> etree._Element:
    copy = element.makeelement(element.tag)
    copy.attrib.update(element.attrib)
    return copy


def _anchor_after(element: etree._Element) -> etree._Element:
    """An anchor just after ``element``, before its tail."""
    anchor = element.makeelement(_HERE)
    anchor.tail, element.tail = element.tail, None
    element.addnext(anchor)
    return anchor


def taken_after(element: etree._Element) -> list[etree._Element | str]:
    """What follows ``element`` in its parent, its tail and later siblings, taken out."""
    parent = element.getparent()
    assert parent is not None
    taken: list[etree._Element | str] = [element.tail] if element.tail else []
    element.tail = None
    for sibling in list(element.itersiblings()):
        tail, sibling.tail = sibling.tail, None
        parent.remove(sibling)
        taken += [sibling, *([tail] if tail else [])]
    return taken


def taken_up_to(element: etree._Element, top: etree._Element,
                reopens: Callable[[etree._Element], bool]) -> list[etree._Element | str]:
    """What follows ``element`` in each element up to ``top``, ``top``'s own child's included,
    taken out in order: what HTML's parser meets once it has closed them all at ``element``,
    each run in a copy of the elements it stood in that ``reopens`` says the parser opens
    again (formatting elements)."""
    following: list[etree._Element | str] = []
    level = element
    while (parent := level.getparent()) is not top:
        assert parent is not None
        following += taken_after(level)
        if following and reopens(parent):
            following = [holding(_copy(parent), following)]
        level = parent
    return following + taken_after(level)


def holding(element: etree._Element, pieces: list[etree._Element | str]) -> etree._Element:
    """``element`` holding ``pieces``, elements and text, in order."""
    for piece in pieces:
        if isinstance(piece, str):
            last = element[-1] if len(element) else None
            if last is None:
                element.text = (element.text or "") + piece
            else:
                last.tail = (last.tail or "") + piece
        else:
            element.append(piece)
    return element


def put_after(element: etree._Element, pieces: list[etree._Element | str]) -> None:
    """``pieces``, elements and text, put just after ``element``, before its tail."""
    tail, element.tail, last = element.tail, None, element
    for piece in [*pieces, tail or ""]:
        if isinstance(piece, str):
            last.tail = (last.tail or "") + piece or None
        else:
            last.addnext(piece)
            last = piece


def add_text_before(anchor: etree._Element, text: str | None) -> None:
    """``text`` just before ``anchor``: the tail of its previous sibling, else its parent's text."""
    if not text:
        return
    previous = anchor.getprevious()
    if previous is not None:
        previous.tail = (previous.tail or "") + text
    else:
        parent = anchor.getparent()
        assert parent is not None
        parent.text = (parent.text or "") + text

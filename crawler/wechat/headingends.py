"""A heading that libxml2 closes at a paragraph, a list item, a table, a form or a fieldset,
kept open up to its end tag, as HTML's parser keeps it.

libxml2 closes an open ``<h2>`` where one of these starts and ignores the heading's end tag
after: ``<h2><li>甲</li></h2>`` is an empty heading and a list item, which the post wrote as
a list of normal weight; HTML's parser (Chromium's) keeps the item in the heading, in its
font. The heading's end tag closes what is open in it, and what follows comes after it;
so does one of another level, which libxml2 ignores (``<h3>甲</h2>乙``: 乙 was in the heading).
A heading with no end tag at all stays open to its parent's end, or to the next heading.

Which end tag closed which heading is read from the marks ``endmarks`` puts before them: a
heading's mark that no heading holds last is an end tag libxml2 ignored.
"""

from __future__ import annotations

from itertools import takewhile

from lxml import etree

from crawler.wechat.adoption import holding, put_after, taken_up_to
from crawler.wechat.endmarks import HEADING_CLOSERS, HEADINGS, closed_by, marked_end

# Where the walk back from an ignored end tag to its heading ends: a cell starts afresh
_STOPS = frozenset({"td", "th", "caption", "table", "body"})


def close_headings_at_their_ends(root: etree._Element, mark: str | None) -> None:
    """Each heading of ``root`` (parsed by ``endmarks.ends_marked``, which gave ``mark``)
    that libxml2 closed before its end tag made to hold what stands up to it, and each that
    an end tag of another level stands in closed there; what followed the end tag in the
    elements it closed put after the heading (``leftopen`` opens formatting ones again)."""
    if mark is None:
        return
    ends = [(end, name) for end in root.iter(etree.Comment)
            if (name := marked_end(end, mark)) in HEADINGS]
    closed = {closed_by(end, name) for end, name in ends}
    ended: set[etree._Element] = set()  # the headings the first end tag in them closed
    for end, _ in ends:
        inside = next(end.iterancestors(*HEADINGS, *_STOPS), None)
        if inside is not None and inside.tag in HEADINGS:
            if inside not in ended:  # of any level (libxml2 ignored another's)
                ended.add(inside)
                put_after(inside, taken_up_to(end, inside, _not_copied))
            continue
        heading = _closed_early(end)
        if heading is None or heading in closed:
            continue
        closed.add(heading)
        parent = heading.getparent()
        assert parent is not None
        following = taken_up_to(end, parent, _not_copied)
        between = list(heading.itersiblings())
        holding(heading, [heading.tail or "", *between])
        heading.tail = None
        put_after(heading, following)
    for heading in list(root.iter(*HEADINGS)):
        if heading not in closed and heading not in ended and _closed_at_a_block(heading):
            _held_to_its_parents_end(heading)


def _closed_at_a_block(heading: etree._Element) -> bool:
    """Whether libxml2 closed ``heading``, which no end tag closed, where a block starts."""
    following = heading.getnext()
    return not (heading.tail or "").strip() and following is not None \
        and following.tag in HEADING_CLOSERS


def _held_to_its_parents_end(heading: etree._Element) -> None:
    """``heading``, left without an end tag, holding what follows it in its parent up to the
    next heading, which closes it in HTML's parser, as its parent's end tag does."""
    following = list(takewhile(lambda sibling: sibling.tag not in HEADINGS, heading.itersiblings()))
    holding(heading, [heading.tail or "", *following])
    heading.tail = None


def _not_copied(_: etree._Element) -> bool:
    """No element is copied around what follows an end tag: a formatting element closed
    there is opened again after it by ``leftopen``, up to its own end tag."""
    return False


def _closed_early(end: etree._Element) -> etree._Element | None:
    """The heading nearest before ``end`` (a mark) among its and its ancestors' earlier
    siblings, in the cell it stands in: the one an ignored end tag there would have closed."""
    node: etree._Element | None = end
    while node is not None and node.tag not in _STOPS:
        for before in node.itersiblings(preceding=True):
            if before.tag in HEADINGS:
                return before
        node = node.getparent()
    return None

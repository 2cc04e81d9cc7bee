"""A list item that starts inside another's inline elements, after it, as HTML's parser
puts it.

libxml2 closes an open ``<li>`` at the next one's start tag only when no element but a
paragraph is open in it: ``<li><a href=x>甲<li>乙`` puts the second item in the link, in the
first item (the post wrote it there, its marker as text). HTML's parser (Chromium's) closes
the first item and all that is open in it, up to a block other than a ``div``, ``address``
or ``p`` (a list, a section: then it closes nothing), and puts the second item after it.
What followed the second item in them is in it, unless its own end tag closed it (an end
tag of what libxml2 closed it with is ignored there), and after it when it did. The same
for ``<dd>`` and ``<dt>``, which close either. Formatting elements closed there are opened
again after (``leftopen``), a span is not.
"""

from __future__ import annotations

from lxml import etree

from crawler.wechat.adoption import SPECIAL, holding, put_after, taken_up_to
from crawler.wechat.endmarks import ITEMS, closed_by, marked_end

_CLOSES = {"li": frozenset({"li"}), "dd": frozenset({"dd", "dt"}), "dt": frozenset({"dd", "dt"})}
# Blocks the parser walks past to find the item to close
_PASSED = frozenset({"address", "div", "p"})
# Where the parser's walk up from an item's start tag ends: an item, or a block it stops at
_ENDING = tuple(SPECIAL - _PASSED)


def nested_items(root: etree._Element) -> list[etree._Element]:
    """The list items of ``root`` whose start tags close an item they stand in."""
    return [item for item in root.iter(*ITEMS) if _closed(item) is not None]


def _closed(item: etree._Element) -> etree._Element | None:
    """The list item that ``item``'s start tag closes, when it stands in one."""
    ancestor = next(item.iterancestors(*_ENDING), None)  # made by lxml, none between
    return ancestor if ancestor is not None and ancestor.tag in _CLOSES[str(item.tag)] else None


def close_nested_items(root: etree._Element, mark: str | None) -> None:
    """Each list item of ``root`` that closes an item it stands in put after that item, and
    what followed it in the elements between, in it or after it; which end tags closed
    items is read from their marks (``mark``, ``endmarks``), or taken to be theirs without."""
    ended = {closed_by(end, name) for end in root.iter(etree.Comment)
             if mark is not None and (name := marked_end(end, mark)) in ITEMS}
    for item in list(root.iter(*ITEMS)):
        closed = _closed(item)
        if closed is None:
            continue
        following = taken_up_to(item, closed, lambda _: False)
        if mark is None or item in ended:
            put_after(closed, [item, *following])
        else:
            put_after(closed, [holding(item, following)])

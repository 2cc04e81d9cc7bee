"""A table's parts outside any table, whose tags HTML's parser ignores (and Chromium with it).

A ``<td>``, ``<tr>``, ``<tbody>``, ``<caption>`` or ``<col>`` start tag met outside a table
is no element to HTML's parser: what follows runs on in the elements open. libxml2 makes it
an element, closing what was open there (a link, bold, a paragraph) with their end tags
then ignored: the post showed a table of it, its pipes as text, and what followed unlinked.
Such a page is parsed again without these start tags (their end tags libxml2 ignores
outside a table, as HTML's parser does). Which start tag makes which element is known by
counting them in the markup (``tokens``); the tree is kept as it is when the counts differ.
"""

from __future__ import annotations

from collections.abc import Callable

from lxml import etree

from crawler.wechat.tokens import start_tags

_PARTS = frozenset("caption col colgroup tbody td tfoot th thead tr".split())
# Outside a table; in a <template> or in SVG or MathML the tags are not HTML's parser's to ignore
_OUTSIDE = "not(ancestor::table or ancestor::template or ancestor::svg or ancestor::math)"
_STRAY = etree.XPath("boolean(//*[" + " or ".join(f"self::{name}" for name in sorted(_PARTS))
                     + f"][{_OUTSIDE}])")
_IS_STRAY = etree.XPath(f"boolean(self::*[{_OUTSIDE}])")


def without_stray_parts(markup: str, tree: etree._Element,
                        parse: Callable[[str], etree._Element]) -> tuple[str, etree._Element]:
    """``markup`` and ``tree``, libxml2's of it; or, when ``tree`` holds a table's part
    outside any table, ``markup`` without the start tags of these parts and the tree
    ``parse`` gives of it."""
    if not _STRAY(tree):
        return markup, tree
    parts = list(tree.iter(*_PARTS))
    stray = {number for number, part in enumerate(parts) if _IS_STRAY(part)}
    pieces, start, found = [], 0, 0
    for token in start_tags(markup, _PARTS):
        if found in stray:
            pieces.append(markup[start:token.start()])
            start = token.end()
        found += 1
    if found != len(parts):
        return markup, tree
    kept = "".join([*pieces, markup[start:]])
    return kept, parse(kept)

"""A table's parts outside any table, whose tags HTML's parser ignores (and Chromium with it).

A ``<td>``, ``<tr>``, ``<tbody>``, ``<caption>`` or ``<col>`` start tag met outside a table
is no element to HTML's parser: what follows runs on in the elements open. libxml2 makes it
an element, closing what was open there (a link, bold, a paragraph) with their end tags
then ignored: the post showed a table of it, its pipes as text, and what followed unlinked.
Such a page is parsed again without these start tags (their end tags libxml2 ignores
outside a table, as HTML's parser does); in a ``<template>``, SVG or MathML they are left.
Which start tag makes which element is known by counting them in the markup (``tokens``);
the tree is kept as it is when the counts differ. Found by lxml's walk of these parts
alone: an XPath over all elements cost 5% of a 4 MB page's parse and conversion.
"""

from __future__ import annotations

from collections.abc import Callable

from lxml import etree

from crawler.wechat.tokens import start_tags

_PARTS = frozenset("caption col colgroup tbody td tfoot th thead tr".split())
# What a part stands in for its tags to be HTML's parser's: a table's, a template's, SVG's
_HOLDERS = ("table", "template", "svg", "math")


def without_stray_parts(markup: str, tree: etree._Element,
                        parse: Callable[[str], etree._Element]) -> tuple[str, etree._Element]:
    """``markup`` and ``tree``, libxml2's of it; or, when ``tree`` holds a table's part
    outside any table, ``markup`` without the start tags of these parts and the tree
    ``parse`` gives of it."""
    parts = list(tree.iter(*_PARTS))
    stray = {number for number, part in enumerate(parts)
             if next(part.iterancestors(*_HOLDERS), None) is None}
    if not stray:
        return markup, tree
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

"""End tags marked in a page, where libxml2 may close an element before its end tag or
leave one open past it, for the tree fixes that follow HTML's parser there (``listitems``,
``leftopen``, ``headingends``).

Which end tag closed which element is not in libxml2's tree: a page that may hold such an
element (libxml2 reported an end tag it ignored or one that closed a formatting element,
the page holds fewer end tags of one than elements, or a list item that libxml2 nests in
another; no fixture page does) is parsed again with a comment put just before each end tag
of a formatting element, a list item or a heading. An element closed by its own end tag
holds that comment last; the others mark end tags that libxml2 ignored.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable

from lxml import etree

from crawler.wechat.adoption import FORMATTING
from crawler.wechat.tokens import tags

ITEMS = frozenset({"li", "dd", "dt"})
HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
# What libxml2 closes a heading at, where HTML's parser keeps it open (``headingends``)
HEADING_CLOSERS = frozenset({"p", "li", "table", "form", "fieldset"})
_MARKED = FORMATTING | ITEMS | HEADINGS
_CLOSING = re.compile(r"Opening and ending tag mismatch: \S+ and (\S+)|Unexpected end tag : (\S+)")
# libxml2 reports no more errors of a page than this
_REPORTED = 100


def ends_marked(markup: str, tree: etree._Element, errors: Iterable[etree._LogEntry],
                parse: Callable[[str], etree._Element], *,
                nested_items: bool) -> tuple[str, etree._Element, str | None]:
    """``markup``, ``tree`` (libxml2's of it, which reported ``errors``) and no mark; or, when
    libxml2 may have closed a formatting element before its end tag or ``tree`` holds
    ``nested_items`` (list items in another that their start tags close), ``markup`` with a
    comment before each end tag of a formatting element or list item (the mark, then the
    element's name), the tree ``parse`` gives of it, and the mark."""
    if not nested_items and not _may_close_early(markup, tree, list(errors)):
        return markup, tree, None
    mark = "end tag "
    while mark in markup:
        mark += "_"
    pieces, start = [], 0
    for name, end, token in tags(markup):
        if end and name in _MARKED:
            pieces += [markup[start:token.start()], f"<!--{mark}{name}-->"]
            start = token.start()
    marked = "".join([*pieces, markup[start:]])
    return marked, parse(marked), mark


def _may_close_early(markup: str, tree: etree._Element, errors: list[etree._LogEntry]) -> bool:
    """Whether libxml2 may have closed a formatting element or a heading of ``tree`` before
    its end tag: ``errors`` (its report) name one closed by another's end tag, or an end tag
    of one ignored, or are as many as it reports; or ``markup`` holds fewer end tags of a
    formatting element or of a heading than ``tree`` holds (libxml2 closes one where a
    paragraph starts, and reports nothing)."""
    if len(errors) >= _REPORTED or any(
            (found := _CLOSING.match(error.message))
            and ((found[1] or found[2]) in FORMATTING or found[2] in HEADINGS)
            for error in errors):
        return True
    elements = Counter(str(element.tag) for element in tree.iter(*FORMATTING, *HEADINGS))
    if not elements:
        return False
    # the end tags of those ``tree`` holds only: a search of all of them takes half as long again
    end_tag = rf"</({'|'.join(sorted(elements))})(?=[\s/>])"
    ends = Counter(name.lower() for name in re.findall(end_tag, markup, re.I))
    return any(ends[name] < count for name, count in elements.items())


def closed_by(end: etree._Element, name: str) -> etree._Element | None:
    """The element named ``name`` that the end tag marked by ``end`` closed: the innermost
    of those ``end`` is last in (nothing after it in them, nor in what it stands in there).
    An element is last in one only, so that marks are followed up the tree once in all."""
    node = end
    while not node.tail and node.getnext() is None and (parent := node.getparent()) is not None:
        if parent.tag == name:
            return parent
        node = parent
    return None


def marked_end(node: etree._Element, mark: str) -> str | None:
    """The name of the end tag ``node`` marks, when it is such a mark."""
    if isinstance(node, etree._Comment) and node.text and node.text.startswith(mark):
        return node.text[len(mark):]
    return None



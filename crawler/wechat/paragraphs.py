"""A paragraph a table starts in, closed there as HTML's parser closes it in a standards-mode
page (WeChat's pages are: ``<!DOCTYPE html>``).

libxml2 leaves a table that starts in a paragraph, within a span or bold, inside them;
HTML's parser closes the paragraph and all it holds open at the table's start tag, puts
the table after it, and opens again the formatting elements (bold, a link) around what
follows, up to their end tags; the others (a span) are not: a hidden span's text after the
table, and the table, are seen. libxml2's own closing (a link or the paragraph itself
current at the table) is followed by ``heldlinks``. A link in the table outside its cells
closes a link around it for good: it is not opened again.
"""

from __future__ import annotations

from collections.abc import Callable

from lxml import etree

from crawler.wechat.adoption import FORMATTING, put_after, taken_up_to

# What ends the reach of a paragraph open around an element for a table's start ("button scope")
_SCOPE = frozenset("applet button caption html marquee object table td template th svg math".split())


def open_paragraph(element: etree._Element) -> etree._Element | None:
    """The paragraph open around ``element`` that a table's start tag there closes."""
    # lxml matches the names: no element object is made of the ancestors between
    ancestor = next(element.iterancestors("p", *_SCOPE), None)
    return ancestor if ancestor is not None and ancestor.tag == "p" else None


def close_paragraphs_at_tables(root: etree._Element) -> None:
    """Each table of ``root`` in a paragraph moved after it, and what followed the table
    in the paragraph after the table, in copies of the formatting elements it stood in."""
    for table in list(root.iter("table")):
        paragraph = open_paragraph(table)
        if paragraph is None:
            continue
        put_after(paragraph, [table, *taken_up_to(table, paragraph, _reopened_after(table))])


def _reopened_after(table: etree._Element) -> Callable[[etree._Element], bool]:
    """Whether HTML's parser opens an element closed at ``table`` again after it: a
    formatting element; a link not when ``table`` holds one outside its cells, which closes
    it for good (the parser's adoption agency)."""
    closes_links = any(next(link.iterancestors("td", "th", "caption", "table")) is table
                       for link in table.iter("a"))
    return lambda element: element.tag in FORMATTING and not (element.tag == "a" and closes_links)

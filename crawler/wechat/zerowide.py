"""Whether an inline SVG is drawn 0 wide, so that a reader sees none of its text.

An SVG sized by its ``viewBox`` alone (no width, no height) takes the width of the box it
stands in; in a box as wide as what it holds (an inline block, a float, a flex item …)
that holds nothing else, Chromium gives it none, and draws nothing of it. Only what the
inline styles say is read, and only where it is plain: another element or text beside it
on the way, a width set, a table's cell, or a display other than block or inline there,
and the SVG is taken as drawn (its width is not worked out). Pure functions.
"""

from __future__ import annotations

from lxml import etree

from crawler.wechat import widgets
from crawler.wechat.svgdrawn import view_box

# Displays of a box as wide as what it holds
_SHRINKING = frozenset({"inline-block", "inline-flex", "inline-grid", "inline-table", "table-cell"})
_FITTING = frozenset({"fit-content", "max-content", "min-content"})
# Displays of a box whose width is worked out here: its container's, or what it holds'
_PLAIN = frozenset({"block", "inline"})
_FLEX = frozenset({"flex", "inline-flex"})
# Elements laid out as parts of a table, whatever their style: not worked out
_TABLE = frozenset("table caption colgroup col thead tbody tfoot tr td th".split())
# Properties that give a box a width of its own, or let a flex item grow
_SIZING = ("width", "min-width")
_GROWING = ("flex", "flex-grow", "flex-basis")
# White space that takes no width (a no-break space does)
_SPACE = " \t\n\r\f"


def drawn_zero_wide(svg: etree._Element) -> bool:
    """Whether ``svg``, sized by its viewBox alone, stands alone in a box as wide as what
    it holds, and so is drawn 0 wide."""
    if not _sized_by_viewbox_alone(svg):
        return False
    element = svg
    for box in svg.iterancestors():
        style = box.get("style") or ""
        display = widgets.declared(style, "display")
        if element is not svg and display in _FLEX and _flex_row(style) \
                and not _set(element.get("style") or "", _GROWING):
            return True  # ``element``, a flex item, is as wide as the SVG it holds
        if box.tag in _TABLE or _beside(element, box) or _set(style, _SIZING):
            return False
        if display in _SHRINKING or widgets.declared(style, "width") in _FITTING \
                or widgets.declared(style, "float") in ("left", "right") \
                or widgets.declared(style, "position") in ("absolute", "fixed"):
            return True
        if display not in _PLAIN and display is not None:
            return False
        element = box
    return False


def _sized_by_viewbox_alone(svg: etree._Element) -> bool:
    if view_box(svg) is None:
        return False
    style = svg.get("style") or ""
    return not any(svg.get(name) for name in ("width", "height", "overflow")) \
        and not _set(style, ("width", "height", "min-width", "min-height", "overflow", *_GROWING))


def _flex_row(style: str) -> bool:
    direction = widgets.declared(style, "flex-direction") or widgets.declared(style, "flex-flow") or ""
    return not direction.startswith("column")


def _set(style: str, names: tuple[str, ...]) -> bool:
    """Whether ``style`` sets any of the properties ``names`` (``fit-content`` and the like
    aside, which a box as wide as what it holds has)."""
    return any(widgets.declared(style, name) not in (None, "auto", *_FITTING) for name in names)


def _beside(element: etree._Element, box: etree._Element) -> bool:
    """Whether ``box`` holds text or an element besides ``element``."""
    return any(child is not element for child in box.iterchildren(etree.Element)) or any(
        (text or "").strip(_SPACE) for text in [box.text, *(child.tail for child in box)])

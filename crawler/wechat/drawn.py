"""What a browser draws of its own, that a copy of a page's text has not, made text where
it stands: a ``<q>``'s quotation marks, a ``<select>``'s chosen option, a ``<details>``'s
summary first, a list's markers where the post writes one line (``show_as_drawn``). Pure:
it changes only the tree it is given.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from lxml import etree

_WHITESPACE = re.compile(r"[ \t\n\f\r]+")  # HTML's
# The line Chromium draws to open a <details> that has no <summary> (its en-US label; a
# browser set to Chinese draws 详细信息)
DETAILS_LABEL = "Details"
_NUMBER = re.compile("[0-9]+")  # as HTML reads one: its leading digits ("3px" is 3)
_INTEGER = re.compile("[ \t\n\f\r]*([-+]?[0-9]+)")  # as HTML reads a list's start, an item's value
_LISTS = frozenset({"ul", "ol", "menu", "dir"})
# What the converter writes as one line of text, the blocks in it too: a heading, a table
# cell, a term
ONE_LINE = frozenset({"h1", "h2", "h3", "h4", "h5", "h6", "td", "th", "dt"})
_DISPLAY = re.compile(r"(?:^|;)\s*display\s*:\s*([^;]*)", re.I)
_LIST_STYLE = re.compile(r"(?:^|;)\s*list-style(?:-type)?\s*:\s*([^;]*)", re.I)
_BULLETS = {"disc": "•", "circle": "◦", "square": "■"}  # as Chromium draws them
_LETTERS = {"lower-alpha": "abcdefghijklmnopqrstuvwxyz", "lower-latin": "abcdefghijklmnopqrstuvwxyz",
            "upper-alpha": "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "upper-latin": "ABCDEFGHIJKLMNOPQRSTUVWXYZ"}
_ROMAN = ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l"),
          (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i"))
_NUMBERED = frozenset({"decimal", "lower-roman", "upper-roman", *_LETTERS})
_LIST_STYLE_TYPES = frozenset({*_BULLETS, "none", *_NUMBERED})  # those read
# A list's or an item's ``type``, as HTML's rendering reads it: numbers case-sensitive
_NUMBER_TYPES = {"1": "decimal", "a": "lower-alpha", "A": "upper-alpha", "i": "lower-roman",
                 "I": "upper-roman"}


def show_as_drawn(root: etree._Element) -> None:
    """What a browser draws below ``root`` as text in its place: a ``<select>``'s
    (``draw_select``), a quote's marks (``show_quotation_marks``; none in an option, which
    shows its text alone), a list's items' markers where the post writes them on one line
    (``one_line_markers``), and each ``<details>``'s first summary first, where the browser
    draws it (as the line that opens it), wherever it stands among the others; one without
    a summary opens with the browser's own (``DETAILS_LABEL``)."""
    for select in list(root.iter("select")):
        draw_select(select)
    show_quotation_marks(root)
    for item, marker in one_line_markers(root).items():
        item.text = marker + (item.text or "")
    for details in root.iter("details"):
        summary = next(details.iterchildren("summary"), None)
        if summary is None:
            summary = details.makeelement("summary", {})
            summary.text = DETAILS_LABEL
            details.insert(0, summary)
            summary.tail, details.text = details.text, None
        elif details.text or summary.getprevious() is not None:
            _move_first(details, summary)


def one_line_markers(root: etree._Element) -> dict[etree._Element, str]:
    """The marker a browser draws (``• ``, ``◦ ``, ``■ ``, ``3. ``) before each item of a list
    below ``root`` in a heading, a table cell or a term, by the item: the post writes them on
    one line, where no Markdown list can stand, and the marker was lost. None elsewhere,
    where the post's own list draws it, nor for an item outside a list, whose marker a
    browser draws beyond the left edge of a box with no padding, unseen, nor for one not
    shown as a list's item (``_shown_as_item``). Each list is read once: a list of thousands
    of items in a cell read them all for each."""
    markers: dict[etree._Element, str] = {}
    for items in root.iter(*_LISTS):
        # lxml's walks by tag, in C: an XPath of the same took 40 times as long, 0.6 ms a page
        if next(items.iterancestors(*ONE_LINE), None) is not None:
            markers.update(_markers(items))
    return markers


def _markers(items: etree._Element) -> dict[etree._Element, str]:
    """The markers of the list ``items``'s items shown as such, by the item: of its list
    style type (``_list_style_type``), else its list's, else the browser's."""
    shown = [item for item in _items_of(items) if _shown_as_item(item)]
    inherited = _list_style_type(items) or _default_list_style(items)
    markers = {}
    for item, number in zip(shown, _ordinals(items, shown), strict=True):
        kind = _list_style_type(item) or inherited
        if kind in _NUMBERED:
            markers[item] = f"{_numeral(number, kind)}. "
        elif kind in _BULLETS:
            markers[item] = f"{_BULLETS[kind]} "
    return markers


def _list_style_type(element: etree._Element) -> str | None:
    """The list style type ``element`` sets, of those read (``_LIST_STYLE_TYPES``): its
    style's, else its ``type``'s (``a``, ``I``, ``square``), which a style overrides."""
    values: list[str] = _LIST_STYLE.findall(element.get("style") or "")
    for value in reversed(values):  # the last one set counts
        kind = next((word for word in value.lower().split() if word in _LIST_STYLE_TYPES), None)
        if kind:
            return kind
    named = (element.get("type") or "").strip()
    if named in _NUMBER_TYPES:
        return _NUMBER_TYPES[named]
    return named.lower() if named.lower() in {*_BULLETS, "none"} else None


def _numeral(number: int, kind: str) -> str:
    """``number`` as the list style type ``kind`` writes it (``c``, ``IV``): in decimal
    where it has no letter (0 and below) or Roman numeral (from 4000)."""
    if kind in _LETTERS and number > 0:
        letters = ""
        while number:
            number, rest = divmod(number - 1, 26)
            letters = _LETTERS[kind][rest] + letters
        return letters
    if kind.endswith("roman") and 0 < number < 4000:
        roman = ""
        for value, numeral in _ROMAN:
            count, number = divmod(number, value)
            roman += numeral * count
        return roman.upper() if kind == "upper-roman" else roman
    return str(number)


def _default_list_style(items: etree._Element) -> str:
    """A browser's own list style type for the list ``items``: numbers for ``<ol>``, else a
    disc, a circle in one list, a square in two or more."""
    if items.tag == "ol":
        return "decimal"
    depth = sum(1 for _ in items.iterancestors(*_LISTS))
    return ("disc", "circle", "square")[min(depth, 2)]


def _items_of(items: etree._Element) -> Iterator[etree._Element]:
    """The items of the list ``items``: its ``<li>``s, in a block in it too (a browser draws
    their markers, the list's padding before them, and numbers them on), not those of a
    list in it."""
    walk = etree.iterwalk(items, events=("start",))
    for _, element in walk:
        if element.tag in _LISTS and element is not items:
            walk.skip_subtree()
        elif element.tag == "li":
            yield element


def _ordinals(items: etree._Element, shown: list[etree._Element]) -> list[int]:
    """The numbers HTML gives the items ``shown`` of the list ``items``: an item's ``value``,
    else one on from the number of the item before it (one back in a ``reversed`` list); the
    first item's is the list's ``start``, else 1 (in a reversed list, its number of items)."""
    step = -1 if items.get("reversed") is not None else 1
    number = _integer(items.get("start"))
    if number is None:
        number = len(shown) if step < 0 else 1
    ordinals = []
    for item in shown:
        own = _integer(item.get("value"))
        number = number if own is None else own
        ordinals.append(number)
        number += step
    return ordinals


def _shown_as_item(item: etree._Element) -> bool:
    """Whether a browser shows ``item`` as a list's item, which has a marker and a number:
    not where its style sets another ``display`` (``block``, ``none``), or ``hidden`` does
    and no style sets one. One not shown so has no number, and the next item takes it."""
    displays: list[str] = _DISPLAY.findall(item.get("style") or "")
    if displays:
        return "list-item" in displays[-1].lower()
    return item.get("hidden") is None


def _integer(value: str | None) -> int | None:
    """``value`` as HTML reads an integer: its leading digits, after blanks and a sign."""
    read = _INTEGER.match(value or "")
    return int(read.group(1)) if read else None


def draw_select(select: etree._Element) -> None:
    """``select`` made a ``<span>`` of what a browser draws of it, its attributes kept (they
    may hide it): a drop-down's chosen option (``chosen_option``), or a list box's lines
    (``multiple``, or ``size`` above 1): its groups' labels and their options, each line a
    ``<span>`` of its option or group after a ``<br>``. Nothing else it holds shows."""
    lines: list[etree._Element] = []
    label = None
    if _list_box(select):
        lines = list(select.iterchildren("option", "optgroup"))
        for line in lines:
            options = list(line.iterchildren("option")) if line.tag == "optgroup" else []
            _draw_line(line, line.get("label") if line.tag == "optgroup" else option_label(line))
            for option in options:
                _draw_line(option, option_label(option))
                line.append(option)
    elif (chosen := chosen_option(select)) is not None:
        label = option_label(chosen)
    for child in list(select):
        if not any(child is line for line in lines):
            select.remove(child)
    select.tag, select.text = "span", label


def _draw_line(entry: etree._Element, text: str | None) -> None:
    """A list box's option or group made its line: a ``<span>``, with its attributes, of a
    line break and ``text``."""
    for child in list(entry):
        entry.remove(child)
    entry.tag, entry.text, entry.tail = "span", None, None
    etree.SubElement(entry, "br").tail = text


def chosen_option(select: etree._Element) -> etree._Element | None:
    """The option a drop-down shows: the last marked ``selected``, else the first not
    disabled (by its own ``disabled`` or its group's), hidden or not."""
    options = [(option, entry) for entry in select.iterchildren("option", "optgroup")
               for option in ([entry] if entry.tag == "option" else entry.iterchildren("option"))]
    marked = [option for option, _ in options if option.get("selected") is not None]
    if marked:
        return marked[-1]
    return next((option for option, entry in options
                 if option.get("disabled") is None and entry.get("disabled") is None), None)


def option_label(option: etree._Element) -> str:
    """What a browser shows of ``option``: its ``label``, else its text (none of a script's),
    its white space collapsed."""
    label = option.get("label")
    if label:
        return label
    texts = []
    walk = etree.iterwalk(option, events=("start", "end", "comment", "pi"))
    for event, element in walk:
        if event != "start":
            texts.append(element.tail if element is not option and element.tail else "")
        elif element.tag == "script":
            walk.skip_subtree()  # its end still comes, with its tail
        else:
            texts.append(element.text or "")
    return _WHITESPACE.sub(" ", "".join(texts)).strip()


def _list_box(select: etree._Element) -> bool:
    """Whether ``select`` shows as a list box, not a drop-down: ``multiple``, or a ``size``
    above 1."""
    size = _NUMBER.match((select.get("size") or "").lstrip(" \t\n\f\r"))
    return select.get("multiple") is not None or (size is not None and int(size.group()) > 1)


def _move_first(parent: etree._Element, summary: etree._Element) -> None:
    """``summary`` made ``parent``'s first child; what was before it, and its tail, stay
    where they were: the tail after what was before it, the parent's text after it."""
    before = summary.getprevious()
    if summary.tail:
        if before is not None:
            before.tail = (before.tail or "") + summary.tail
        else:
            parent.text = (parent.text or "") + summary.tail
    summary.tail, parent.text = parent.text, None
    parent.insert(0, summary)


# CSS's ``quotes`` of a style: ``none``, or pairs of strings (the first for the outermost quote)
_QUOTES = re.compile(r"(?:^|;)\s*quotes\s*:\s*([^;]*)", re.I)
_QUOTE_STRING = re.compile(r"\"((?:[^\"\\]|\\.)*)\"|'((?:[^'\\]|\\.)*)'")
_CSS_ESCAPE = re.compile(r"\\([0-9a-fA-F]{1,6})[ \t\n]?|\\(.)", re.S)
# A browser's (Chromium's for Chinese, and for a page that names no language)
_BROWSERS_QUOTES = (("“", "”"), ("‘", "’"))


def show_quotation_marks(root: etree._Element) -> None:
    """Each ``<q>`` below ``root`` given, as text, the quotation marks a browser draws around
    it from CSS (``open-quote``, ``close-quote``), which a copy of its text has not: those of
    the nearest ``quotes`` style set, by how deep the quote is in quotes (the last pair
    deeper), none for ``quotes: none``, else the browser's."""
    for quote in list(root.iter("q")):
        opening, closing = quotation_marks(quote)
        if opening or closing:
            quote.text = opening + (quote.text or "")
            mark = quote.makeelement("span", {})
            mark.text = closing
            quote.append(mark)


def quotation_marks(quote: etree._Element) -> tuple[str, str]:
    """The quotation marks a browser draws around ``quote`` (``show_quotation_marks``)."""
    pairs = _quotes_of(quote)
    if not pairs:
        return "", ""
    return pairs[min(len(pairs), 1 + sum(1 for _ in quote.iterancestors("q"))) - 1]


def _quotes_of(quote: etree._Element) -> tuple[tuple[str, str], ...]:
    """The pairs of quotation marks the nearest ``quotes`` set in a style gives ``quote``
    (inherited); none for ``none``, the browser's where none is set or it is not pairs."""
    for element in (quote, *quote.iterancestors()):
        if found := _QUOTES.search(element.get("style") or ""):
            value = found.group(1).strip()
            if value.lower().startswith("none"):
                return ()
            marks = [_css_text(double or single) for double, single in _QUOTE_STRING.findall(value)]
            if marks and len(marks) % 2 == 0:
                return tuple(zip(marks[::2], marks[1::2], strict=True))
            return _BROWSERS_QUOTES
    return _BROWSERS_QUOTES


def _css_text(string: str) -> str:
    """A CSS string's text: its escapes (``\\201C``, ``\\"``) the characters they stand for."""
    def character(escape: re.Match[str]) -> str:
        if escape.group(2) is not None:
            return escape.group(2)
        code = int(escape.group(1), 16)
        return chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "\ufffd"
    return _CSS_ESCAPE.sub(character, string)

"""The article's tree thinned by lxml for the converter (``lean_markup``): what it ignores
dropped, what it reads made plain, before BeautifulSoup, whose cost grows with every tag
and attribute, sees it. No state, no I/O: it changes only the tree it is given (the
converter's copy)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import lxml.html
from lxml import etree

from crawler.wechat import dom, widgets
from crawler.wechat.drawn import show_as_drawn
from crawler.wechat.heldlinks import hold_open, link_beside_cell_links, link_in_marked_blocks
from crawler.wechat.shown import draw_svgs, drop_invisible, not_content
from crawler.wechat.svgdrawn import SvgDrawings
from crawler.wechat.urls import on_wechat, web_url

_READ_ATTRIBUTES = frozenset({
    "src", "data-src", "href", "alt", "class", "data-lang", "data-formula", "start", "colspan",
    *widgets.ATTRIBUTES,
})
_NUMBER_ATTRIBUTES = frozenset({"start", "colspan"})
_NUMBER = re.compile("[0-9]{1,6}")
_URL_ATTRIBUTES = frozenset({"src", "data-src", "href"})
# What a browser drops of a URL: blanks and controls around it, tabs and line breaks in it
# (lxml's HTML output percent-encodes them in ``href`` and ``src``: another URL).
_NOT_IN_URL = re.compile(r"^[\x00-\x20]+|[\x00-\x20]+$|[\t\n\r]")
_BLOCK_DISPLAY = re.compile(r"(?:^|;)\s*display\s*:\s*(?:block|flex|grid|list-item|table)\b", re.I)
_EMPTY_INLINE = frozenset({"a", "b", "strong", "em", "i", "s", "del"})
# Elements a browser shows as blocks that the converter writes no Markdown for: written as
# the block it writes for them (a <div>, a list), not run into the lines around them.
_AS_BLOCK = {name: "div" for name in (
    "address", "aside", "center", "details", "dialog", "fieldset", "footer", "form",
    "header", "hgroup", "legend", "listing", "main", "nav", "optgroup", "plaintext", "search",
    "summary", "xmp")} | {"menu": "ul", "dir": "ul", "strike": "s"}
# What a list's or a definition list's item stands in that the converter writes it in
_HOLDING_ITEMS = frozenset({"ul", "ol", "menu", "dir", "dl"})
# Parts of a table, which its cells' and rows' handlers read
_TABLE_PARTS = frozenset({"thead", "tbody", "tfoot", "colgroup", "col"})
# Levels of nesting markdownify is given: it recurses about four Python frames per level,
# and WeChat's editor rarely nests past 30. Deeper elements are unwrapped, text kept.
MAX_NESTING = 64


def lean_markup(root: etree._Element, writes: Callable[[str], bool],
                drawings: SvgDrawings | None = None) -> str:
    """``root`` as markup without what the conversion ignores, done by lxml before
    BeautifulSoup.

    WeChat's editor wraps nearly every run of text in a ``<span>`` with inline CSS;
    BeautifulSoup's cost grows with tags and attributes, lxml's hardly at all. Plain spans
    are unwrapped (before anything else is read of them: they are most of the elements),
    dropped elements and code gutters go, a code block's ``<br>``s are the newlines they
    stand for (a code page has a thousand), italics beside italics are one, and only the
    attributes the converter reads stay (``style`` only where it names a background picture).
    ``writes`` says of an element's name whether the converter writes Markdown of its own
    for it; any other inline element is its content alone (``_unwrap_unwritten``). Its SVGs
    are drawn of their drawings in ``drawings`` when given (``draw_svgs``).
    """
    draw_svgs(root, drawings)
    show_as_drawn(root)  # before hidden elements go: a drop-down shows a hidden option
    for element in _not_content_in(root):
        element.tag = dom.GOING
    etree.strip_elements(root, dom.GOING, with_tail=False)
    drop_invisible(root)  # what stays is seen, a joiner between emoji in two elements too
    for element in list(root.iter("span", "font")):
        style = element.get("style") or ""
        if _shown_as_block(style):
            element.tag = "wx-block"  # shown on lines of its own: not unwrapped into its line
        elif element.tag == "span" and "data-formula" in element.attrib:
            element.tag = "wx-formula"
    styled = [(element, css) for element in root.iter(etree.Element)
              if (css := element.get("style"))]
    _list_stray_items(root)
    holding_blocks = _ancestors(root.iter("table", "li"))
    for emphasis in (_ITALICS, _BOLD):  # italics first: bold is then written inside them
        emphasis.mark(root, styled, holding_blocks)
    for link in list(root.iter("a")):
        if _links_nowhere(link):
            link.tag = "span"
    _unwrap_unwritten(root, writes)
    _join_adjacent_emphasis(root)
    for pre in root.iter("pre"):  # its lines are read whole (code.code_lines), as text
        for line_break in pre.iter("br"):
            line_break.tail = "\n" + (line_break.tail or "")
        etree.strip_tags(pre, "br")
    _fill_row_spans(root)
    _nest_stray_lists(root)
    for element in root.iter(etree.Element):
        _keep_read_attributes(element)
    link_beside_cell_links(root)
    link_in_marked_blocks(root)
    hold_open(root)
    dom.flatten_deeper_than(root, MAX_NESTING)
    return str(lxml.html.tostring(root, encoding="unicode"))


def _unwrap_unwritten(root: etree._Element, writes: Callable[[str], bool]) -> None:
    """Each element the converter writes no Markdown for (``writes``), and a browser shows
    inline (an underline, a superscript, ``<tt>``, ruby, a name no HTML has), unwrapped, its
    content kept: italics inside one beside italics outside (``<em>a</em><u><em>b</em></u>``)
    are then joined, where kramdown would show the ``**`` of ``*a**b*``. Blocks are written
    as the blocks the converter knows (``_AS_BLOCK``); widgets and formulas are read whole."""
    names = {element.tag for element in root.iter(etree.Element)}
    # spans, most of a page's elements, are not asked one by one: none is read whole
    unwritten = [name for name in names
                 if not writes(name) and name not in _TABLE_PARTS and name != "span"]
    for element in list(root.iter(*unwritten)) if unwritten else ():
        if element.tag in _AS_BLOCK:
            element.tag = _AS_BLOCK[element.tag]
        elif not _read_whole(element):
            element.tag = "span"
    etree.strip_tags(root, "span")


def _read_whole(element: etree._Element) -> bool:
    """Whether the converter reads ``element`` as one thing: a widget, a card, a formula."""
    return element.tag == widgets.ARTICLE_CARD or bool(element.get("data-formula")) \
        or widgets.widget_of(element.tag, {"class": element.get("class") or ""}) is not None


@dataclass(frozen=True)
class _Emphasis:
    """Emphasis markup (bold, italics) where a page's markup and styles show it: WeChat's
    editor (2025) sets it in a style (``<span textstyle style="font-weight: bold">``), and
    leaves ``<strong>`` around text it sets of normal weight, which the post showed bold.
    Emphasis around a table or a list shows its cells or items so (a table inherits the
    font in a standards-mode page, as WeChat's are), where the converter writes a table or
    a list in emphasis markup as a table or list alone: it is marked inside, text by text."""

    markup: frozenset[str]  # the elements a browser shows so
    tag: str  # the markup written
    reads: Callable[[str], bool | None]  # a style's say: so, not so, or nothing
    prop: str  # the property it reads, looked for before the style is read
    left: frozenset[str]  # shown so whatever their text, or read as text whole
    # what a browser's own style sheet shows so: inline elements (made the markup) and blocks
    inline_so: tuple[str, ...] = ()
    blocks_so: tuple[str, ...] = ()

    def mark(self, root: etree._Element, styled: list[tuple[etree._Element, str]],
             holding_blocks: set[etree._Element]) -> None:
        """Mark what shows so below ``root`` (``styled``: its elements that have a style):
        an element whose text all shows so is markup; where such text holds text that does
        not, each run of it is markup of its own. Nothing is marked where nothing shows so:
        a style that says "not so" counts only inside what does."""
        for element in root.iter(*self.inline_so) if self.inline_so else ():
            element.tag = self.tag
        says = {element: True for element in root.iter(*self.blocks_so)} if self.blocks_so else {}
        says |= {element: so for element, style in styled
                 if self.prop in style and (so := self.reads(style)) is not None}
        if not any(says.values()) and next(root.iter(*self.markup), None) is None:
            return
        around_blocks = [element for element in holding_blocks if element.tag in self.markup]
        if says or around_blocks:
            _Marking(self, says, _ancestors([*says, *around_blocks]),
                     holding_blocks | _ancestors(element for element, so in says.items()
                                                 if not so)).walk(root)


@dataclass
class _Marking:
    """One marking of an emphasis: ``says`` what the styles say, ``holding`` what holds
    what is to be marked, ``not_markup`` what is marked inside, not made markup whole."""

    emphasis: _Emphasis
    says: dict[etree._Element, bool]
    holding: set[etree._Element]
    not_markup: set[etree._Element]

    def walk(self, root: etree._Element) -> None:
        """Level by level (a page nests deeper than Python recurses): each element's
        children, the element in no markup, its own text shown so if ``shown``."""
        markup, wrappers = self.emphasis.markup, self.emphasis.markup | {"span", "font"}
        below = [(root, False)]
        while below:
            element, shown = below.pop()
            for child in list(element):
                said = self.says.get(child)
                so = (shown or child.tag in markup) if said is None else said
                if not isinstance(child.tag, str) or child.tag in self.emphasis.left:
                    pass
                elif so and child.tag in wrappers and child not in self.not_markup:
                    child.tag = self.emphasis.tag
                else:
                    if child.tag in markup:  # only then: a name like "s<p" is not set
                        child.tag = "span"
                    if so and child.text and child.text.strip():
                        child.insert(0, self._markup(child, child.text))
                        child.text = None
                    if so or child in self.holding:
                        below.append((child, so))
                if shown and child.tail and child.tail.strip():
                    child.addnext(self._markup(child, child.tail))
                    child.tail = None

    def _markup(self, near: etree._Element, text: str) -> etree._Element:
        """Markup of ``text``, made as ``near`` is (an element of its tree's kind)."""
        made = near.makeelement(self.emphasis.tag, {})
        made.text = text
        return made


_BOLD = _Emphasis(frozenset({"strong", "b"}), "b", widgets.bold, "font-weight",
                  frozenset({"h1", "h2", "h3", "h4", "h5", "h6", "th", "pre"}))
_ITALICS = _Emphasis(frozenset({"em", "i"}), "em", widgets.italic, "font-style",
                     frozenset({"pre"}), ("cite", "var", "dfn"), ("address",))


def _ancestors(elements: Iterable[etree._Element]) -> set[etree._Element]:
    """The elements ``elements`` are in, each found once: the walk up from one ends where
    another's began."""
    found: set[etree._Element] = set()
    for element in elements:
        for above in element.iterancestors():
            if above in found:
                break
            found.add(above)
    return found


def _fill_row_spans(root: etree._Element) -> None:
    """An empty cell where a cell above spans rows (``rowspan``): markdownify writes each
    row's cells in turn, and the next rows' cells moved a column left, under the wrong heads.
    No more empty cells than the table has cells: a page of ``rowspan="1000"
    colspan="1000"`` would make millions."""
    for table in root.iter("table"):
        cells = list(table.iter("td", "th"))
        if not any(cell.get("rowspan") for cell in cells):
            continue
        covered: dict[int, int] = {}  # column → rows below it that a cell above covers
        room = len(cells)
        parts = table.iterchildren("tr", "thead", "tbody", "tfoot")
        for row in (row for part in parts for row in (
                [part] if part.tag == "tr" else part.iterchildren("tr"))):
            column = 0
            for cell in [*row.iterchildren("td", "th"), None]:
                while covered.get(column, 0) > 0 and room:
                    covered[column] -= 1
                    room -= 1
                    filler = row.makeelement("td", {})
                    row.append(filler) if cell is None else cell.addprevious(filler)
                    column += 1
                if cell is None:
                    break
                width, height = _span(cell, "colspan"), _span(cell, "rowspan")
                for spanned in range(column, column + width):
                    covered[spanned] = height - 1
                column += width


def _list_stray_items(root: etree._Element) -> None:
    """A list item outside any list (one started in a block in an item, which HTML's parser
    leaves there) put in a list, with the stray items right after it: a browser shows it on
    lines of its own, with a marker; markdownify wrote its marker on the lines around it,
    which kramdown ran into one paragraph, and emphasis around it showed as text. A term or
    a definition outside a definition list (libxml2 ends the list at an item) is a block:
    markdownify wrote a definition's ``:`` for kramdown, shown as text without its term."""
    for item in list(root.iter("li", "dt", "dd")):
        parent, before = item.getparent(), item.getprevious()
        if parent is None or parent.tag in _HOLDING_ITEMS:
            continue
        if item.tag != "li":
            item.tag = "div"
            continue
        if before is not None and before.tag == "ul" and not (before.tail or "").strip():
            held_in = before
        else:
            held_in = item.makeelement("ul", {})
            item.addprevious(held_in)
        tail, item.tail = item.tail, None
        held_in.append(item)
        held_in.tail = tail


def _nest_stray_lists(root: etree._Element) -> None:
    """A list right inside a list, after an item, moved into that item: editors indent an
    item so (``<ol><li>a</li><ol><li>b</li></ol></ol>``), and browsers show it nested under
    the item before; markdownify wrote its items as the outer list's, numbered on."""
    for inner in list(root.iter("ol", "ul")):
        parent = inner.getparent()
        before = next((element for element in inner.itersiblings(preceding=True)
                       if isinstance(element.tag, str)), None)  # not a comment
        if parent is not None and parent.tag in ("ol", "ul") and before is not None \
                and before.tag == "li":
            before.append(inner)


def _span(cell: etree._Element, name: str) -> int:
    """A cell's ``colspan`` or ``rowspan``, as markdownify reads one (at most 1,000)."""
    value = cell.get(name) or ""
    return max(1, min(1000, int(value))) if _NUMBER.fullmatch(value) else 1


def _join_adjacent_emphasis(root: etree._Element) -> None:
    """Italics right after italics, nothing between, made one: kramdown reads ``*a**b*`` as
    one, its ``**`` shown; bold beside bold too: it reads ``**a****b**`` as two, but not
    in italics, ``***a****b**c*``."""
    for kind in (("em", "i"), ("strong", "b")):
        _join_adjacent(root, kind)


def _join_adjacent(root: etree._Element, kind: tuple[str, str]) -> None:
    """Nothing between is nothing shown: comments (a pasted ``<!--StartFragment-->``) and
    empty emphasis or links go with the join (zero-width characters are gone already)."""
    for element in list(root.iter(*kind)):
        before, parent = element.getprevious(), element.getparent()
        between = []
        while before is not None and before.tag not in kind and _shows_nothing(before):
            between.append(before)
            before = before.getprevious()
        if before is None or parent is None or before.tag not in kind \
                or any(unseen.tail for unseen in [before, *between]):
            continue
        for unseen in between:
            parent.remove(unseen)
        if len(before):
            before[-1].tail = (before[-1].tail or "") + (element.text or "")
        else:
            before.text = (before.text or "") + (element.text or "")
        before.extend(list(element))
        before.tail = element.tail
        parent.remove(element)


def _links_nowhere(link: etree._Element) -> bool:
    """Whether a link is written as its text alone: it has no web address to point to, and
    is no widget (a link is one by its class alone: a music entry)."""
    return not web_url(on_wechat((link.get("href") or "").strip())) \
        and widgets.widget_of("a", {"class": link.get("class") or ""}) is None


def _shows_nothing(element: etree._Element) -> bool:
    """A comment, or an emphasis or link of no text holding only such (what a reader does
    not see of it is gone already): a link a link closed keeps the italics it held open."""
    return all(not isinstance(part.tag, str) or (part.tag in _EMPTY_INLINE and not part.text)
               for part in element.iter()) \
        and not any(part.tail for part in element.iterdescendants())


@widgets.per_style
def _shown_as_block(style: str) -> bool:
    return bool(_BLOCK_DISPLAY.search(style))


def _not_content_in(root: etree._Element) -> list[etree._Element]:
    """The elements below ``root`` that are not content, none inside another: what is
    inside goes with it, unread (reading it costs a walk of its own per element)."""
    found, walk = [], etree.iterwalk(root, events=("start",))
    for _, element in walk:
        if element is not root and isinstance(element.tag, str) and not_content(element):
            found.append(element)
            walk.skip_subtree()
    return found


def _keep_read_attributes(element: etree._Element) -> None:
    """Only the attributes the converter reads stay (``style`` only with a picture in it),
    and a list's start or a cell's colspan only as a number ``int()`` reads: markdownify
    takes what ``isnumeric()`` does ("½", "²", 5,000 digits), and ``int()`` then fails.

    The others are not read at all: a page may carry names lxml cannot look up, such as
    ``{x}`` (read as a namespace) or names with control characters.
    """
    names = set(map(str, element.attrib.keys()))
    kept: dict[str | bytes, str | bytes] = {
        name: element.get(name) or "" for name in names & _READ_ATTRIBUTES}
    for name in names & _URL_ATTRIBUTES:
        if _NOT_IN_URL.search(url := str(kept[name])):
            element.set(name, _NOT_IN_URL.sub("", url))
            kept[name] = element.get(name) or ""
    for name in _NUMBER_ATTRIBUTES & names:
        if not _NUMBER.fullmatch(str(kept[name])):
            del kept[name]
    if "style" in names and "url(" in (style := element.get("style") or ""):
        kept["style"] = style
    if len(kept) < len(names):
        element.attrib.clear()
        element.attrib.update(kept)

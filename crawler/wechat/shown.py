"""What a reader of a WeChat page sees of it: which elements show nothing (scripts and such,
what CSS hides, a code block's line numbers, a rendered player beside its widget) and which
characters show nothing (WeChat's editor scatters zero-width ones through its text). The
page's parser lists only the pictures a reader sees; the converter writes only what one
reads.
"""

from __future__ import annotations

import copy
import itertools
import re
from collections.abc import Callable

from lxml import etree

from crawler.wechat import widgets
from crawler.wechat.drawn import DETAILS_LABEL, draw_select, one_line_markers, quotation_marks
from crawler.wechat.svgdrawn import SvgDrawing, SvgDrawings
from crawler.wechat.urls import background_image_url
from crawler.wechat.zerowide import drawn_zero_wide

# Zero-width characters WeChat's editor scatters through text; a reader never sees them. A
# joiner between two emoji is seen: it makes them one (👮‍♂️ a policeman, not 👮 and ♂️).
_EMOJI = "\u2600-\u27bf\u2b00-\u2bff\U0001f000-\U0001faff"
_ZERO_WIDTH = "\u200b\u200c\u2060\ufeff"
INVISIBLE = re.compile(rf"[{_ZERO_WIDTH}]|\u200d(?<![{_EMOJI}\ufe0f]\u200d)|\u200d(?![{_EMOJI}])")
# Bidi marks and controls: they turn the text around them and show nothing of their own
_NO_CHARACTER = re.compile(r"[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\s]+")
# Any character ``INVISIBLE`` may take, a joiner seen or not
_MAY_BE_INVISIBLE = re.compile(f"[{_ZERO_WIDTH}\u200d]")
# Dropped with everything inside: what shows nothing (a browser's own style sheet hides
# <title>, <rp>, <datalist>, <noembed>, <noframes>, <template>; a gauge shows no text), only
# through scripts, or only as the browser draws it (a <select>: drawn.draw_select).
# Void elements (embed, input) are not listed: libxml2 lets them swallow what follows, and
# dropping them would drop that content too.
_DROPPED = frozenset({
    "script", "style", "noscript", "template", "select", "textarea", "svg", "canvas",
    "title", "rp", "datalist", "noembed", "noframes", "meter", "progress",
    "mp-common-profile", "mp-style-type", "mp-common-product", "mp-common-poi",
})
# An SVG's elements whose content is drawn only where another element uses it, or never
_SVG_UNDRAWN = frozenset({
    "defs", "symbol", "clippath", "mask", "pattern", "marker", "lineargradient",
    "radialgradient", "filter", "desc", "metadata",
})
# An SVG's elements that draw text: <text> (with its <tspan>s) and a <foreignObject>'s HTML
_SVG_TEXT = frozenset({"text", "foreignobject"})
# A style's display, which wins over the browser's ``display: none`` for ``hidden`` elements
# and dialogs not open
_DISPLAY = re.compile(r"(?:^|;)\s*display\s*:\s*(?!none\b)[a-z]", re.I)
_LINE_NUMBERS = re.compile(r"line-index|linenum|line-numbers|hljs-ln-numbers")


def not_content(element: etree._Element) -> bool:
    """Whether ``element`` goes with all it holds: scripts and such, a code block's line
    numbers, a rendered player beside its widget, a frame's fallback text, and what is
    hidden from readers, by the browser's own style sheet unless a style shows it
    (``hidden``, a dialog not open) or by CSS (not ``#js_content``, which WeChat hides until
    its scripts have run, nor an element a descendant makes visible again)."""
    classes = element.get("class")
    return element.tag in _DROPPED or bool(classes and (
        _LINE_NUMBERS.search(classes) or widgets.PLAYER_CLASSES.search(classes))) \
        or _hidden(element)


def _hidden(element: etree._Element, html: bool = True) -> bool:
    """Whether the browser's style sheet or CSS hides ``element`` (``not_content``); the
    style sheet's rules are HTML's: an SVG's elements (not ``html``) have no ``hidden``."""
    if element.get("id") == "js_content":
        return False
    style = element.get("style")
    if html and _hidden_by_the_browser(element) and not (style and _DISPLAY.search(style)):
        return True
    if element.tag == "iframe":  # what it holds a browser never shows; a widget shows its line
        return widgets.widget_of("iframe", {
            name: element.get(name) or "" for name in ("class", "src", "data-src")}) is None
    hiding = widgets.hiding(style) if style else widgets.Hiding.NOTHING
    if not style or hiding is widgets.Hiding.NOTHING:
        return False
    return _hides(element, hiding) and not any(
        "visible" in (child.get("style") or "") for child in element.iterdescendants())


def _hidden_by_the_browser(element: etree._Element) -> bool:
    """Whether the browser's own style sheet hides ``element``: marked ``hidden``, or a
    dialog not open."""
    return element.get("hidden") is not None or (
        element.tag == "dialog" and element.get("open") is None)


def _hides(element: etree._Element, hiding: widgets.Hiding) -> bool:
    """Whether ``element``'s style, which hides ``hiding``, hides it: text in lines that fall
    on one another is hidden only beyond a line, and not where a descendant sets a line
    height of its own (``line-height: 0`` wrapping ``<p style="line-height: 1.6">``); what
    hides text hides no picture (looked for last: it reads every descendant's style)."""
    if hiding is widgets.Hiding.ALL:
        return True
    if hiding is widgets.Hiding.TEXT_BEYOND_A_LINE:
        styles = (e.get("style") or "" for e in itertools.chain((element,), element.iterancestors()))
        if widgets.fits_a_line(map(str, element.itertext()), styles) or any(
                widgets.restores_lines(e.get("style") or "") for e in element.iterdescendants()):
            return False
    return not _has_picture(element)


def svg_pictures(svg: etree._Element, drawings: SvgDrawings) -> list[str]:
    """The pictures an ``<svg>`` shows, in order: the CSS backgrounds of it and of what it
    holds (WeChat's layouts set cards, posters and what a tap reveals so, in
    ``<foreignObject>``s), its ``<image>``s and the ``<img>``s of its ``<foreignObject>``s;
    not those of what CSS or its own attributes hide, nor of what lies off the picture,
    unless a tap shows them (its drawing in ``drawings``)."""
    pictures, drawing = [], drawings.of(svg)
    walk = etree.iterwalk(svg, events=("start",))
    for _, element in walk:
        if not isinstance(element.tag, str):
            continue
        style = element.get("style")
        if (style and widgets.hiding(style) is widgets.Hiding.ALL and not drawing.restyled(element)) \
                or not drawing.shows(element):
            walk.skip_subtree()
            continue
        if element.tag in ("img", "image"):
            url = element.get("data-src") or element.get("src") or element.get("href") \
                or element.get("xlink:href") or ""
        else:
            url = background_image_url(style) if style else ""
        if url.startswith(("https://", "http://", "//")):
            pictures.append(url)
    return pictures


def draw_svgs(root: etree._Element, drawings: SvgDrawings | None = None) -> None:
    """Each outermost ``<svg>`` below ``root`` that draws pictures or text made what it draws
    (``draw_svg``), of its drawing in ``drawings`` (made there when not yet); the others are
    no content (``not_content``)."""
    drawings = SvgDrawings() if drawings is None else drawings
    for svg in [svg for svg in root.iter("svg") if next(svg.iterancestors("svg"), None) is None]:
        drawn, parent = draw_svg(svg, drawings), svg.getparent()
        if len(drawn) and parent is not None:
            drawn.tail = svg.tail
            parent.replace(svg, drawn)


def draw_svg(svg: etree._Element, drawings: SvgDrawings) -> etree._Element:
    """What a browser draws of ``svg`` as HTML, in a new ``<section>``: its pictures
    (``svg_pictures``), then a paragraph of each text it draws (``svg_texts``), both read of
    its one drawing in ``drawings``."""
    drawn = svg.makeelement("section", {})
    for url in svg_pictures(svg, drawings):
        etree.SubElement(drawn, "img", {"data-src": url})
    for text in svg_texts(svg, drawings):
        etree.SubElement(drawn, "p").text = text
    return drawn


def svg_texts(svg: etree._Element, drawings: SvgDrawings) -> list[str]:
    """The texts an ``<svg>`` draws, in order: of each ``<text>`` and ``<foreignObject>``
    (WeChat's 2025 editor lays cards out so), of a ``<switch>`` its first element's only;
    none of what draws nothing (``<defs>``, ``<title>``, text elsewhere), nor of what CSS
    or the SVG's own attributes hide, nor of what lies off the picture or its clip path,
    unless a tap shows it (its drawing in ``drawings``, and an SVG's inside it in theirs)."""
    if drawn_zero_wide(svg):
        return []
    texts, drawing = [], drawings.of(svg)

    def undrawn(element: etree._Element) -> bool:
        return _not_drawn_in_svg(element, drawing)

    walk = etree.iterwalk(svg, events=("start",))
    for _, element in walk:
        if undrawn(element):
            walk.skip_subtree()
        elif element.tag in _SVG_TEXT:
            texts.append(shown_text(element, undrawn if element.tag == "text" else not_content,
                                    drawings))
            walk.skip_subtree()
    return [text for text in texts if text.strip()]


def _not_drawn_in_svg(element: etree._Element, drawing: SvgDrawing) -> bool:
    """Whether an element of an SVG draws nothing of what it holds (``svg_texts``)."""
    parent = element.getparent()
    return not isinstance(element.tag, str) or element.tag in _SVG_UNDRAWN \
        or (element.tag in _DROPPED and element.tag != "svg") \
        or (_hidden(element, html=False) and not drawing.restyled(element)) \
        or (parent is not None and parent.tag == "switch"
            and element is not next(parent.iterchildren(etree.Element), None)) \
        or not drawing.shows(element, text=True)


def _has_picture(element: etree._Element) -> bool:
    """Whether ``element`` holds a picture: an ``<img>`` or a CSS background."""
    return next(element.iter("img"), None) is not None or any(
        background_image_url(child.get("style") or "") for child in element.iter())


def shows_no_character(text: str) -> bool:
    """Whether ``text`` (text, not HTML) shows no character: only white space, zero-width
    characters and bidi marks and controls."""
    return not _NO_CHARACTER.sub("", INVISIBLE.sub("", text))


def shown_text(root: etree._Element, hidden: Callable[[etree._Element], bool] = not_content,
               drawings: SvgDrawings | None = None) -> str:
    """The text a reader sees inside ``root``, in reading order: none of what is ``hidden``
    (no content), nor comments; a ``<q>``'s quotation marks, a ``<select>``'s option, a
    list's marker on one line and a ``<details>``'s summary first, as ``drawn.show_as_drawn``
    draws them, an SVG's texts (``svg_texts``: of their drawings in ``drawings``, made there
    when not yet), a ``<br>``'s line break, zero-width characters kept (``INVISIBLE``).
    ``root`` is not changed."""
    drawings = SvgDrawings() if drawings is None else drawings
    texts = [root.text or ""]
    closing: dict[etree._Element, str] = {}  # of each quote shown, its closing mark
    drawn_first: set[etree._Element] = set()  # summaries shown at the start of their <details>
    markers = one_line_markers(root)
    walk = etree.iterwalk(root, events=("start", "end", "comment", "pi"))
    for event, element in walk:
        if element is root:
            continue
        if event != "start":
            texts.append(closing.pop(element, "") + (element.tail or ""))
        elif element.tag == "select" and not hidden(drawn := _drawn_select(element)):
            texts.append(shown_text(drawn, hidden))  # a copy: its SVGs are none of the tree's
            walk.skip_subtree()
        elif element.tag == "svg" and not _hidden(element, html=False):
            texts.append("".join(svg_texts(element, drawings)))
            walk.skip_subtree()
        elif element in drawn_first or hidden(element):
            walk.skip_subtree()  # its end still comes, with its tail
        else:
            opening = ""
            if element.tag == "q":
                opening, closing[element] = quotation_marks(element)
            elif element.tag == "details":
                opening = _summary_text(element, drawn_first, hidden, drawings)
            elif element.tag == "br":
                opening = "\n"
            elif element.tag == "li":
                opening = markers.get(element, "")
            texts.append(opening + (element.text or ""))
    return "".join(texts)


def _summary_text(details: etree._Element, drawn_first: set[etree._Element],
                  hidden: Callable[[etree._Element], bool], drawings: SvgDrawings) -> str:
    """The text of the line that opens ``details``: its first summary's, which is then
    ``drawn_first``, or the browser's own."""
    summary = next(details.iterchildren("summary"), None)
    if summary is None:
        return DETAILS_LABEL
    drawn_first.add(summary)
    return "" if hidden(summary) else shown_text(summary, hidden, drawings)


def _drawn_select(select: etree._Element) -> etree._Element:
    """A copy of ``select`` as ``draw_select`` makes it."""
    drawn = copy.deepcopy(select)
    draw_select(drawn)
    return drawn


def without_invisible(pieces: list[str]) -> list[str]:
    """Each of ``pieces``, text in reading order, without what a reader does not see of it
    (``INVISIBLE``), judged in the text they make together: a joiner between emoji in two
    elements (``<b>👮</b>\u200d♂️``) is seen, as in one text."""
    joined = "".join(pieces)
    gone = [match.start() for match in INVISIBLE.finditer(joined)]
    if not gone:
        return pieces
    kept, start, next_gone = [], 0, 0
    for piece in pieces:
        end, cut = start + len(piece), []
        while next_gone < len(gone) and gone[next_gone] < end:
            cut.append(gone[next_gone] - start)
            next_gone += 1
        kept.append("".join(piece[a + 1:b] for a, b in zip([-1, *cut], [*cut, len(piece)],
                                                              strict=True)) if cut else piece)
        start = end
    return kept


def drop_invisible(root: etree._Element) -> None:
    """What a reader does not see of the text below ``root`` taken out (``without_invisible``).
    Most pages have none: their text, as libxml2 joins it, is searched for one first, in a
    tenth of the time it takes to list the text's slots."""
    if not _MAY_BE_INVISIBLE.search(
            etree.tostring(root, method="text", encoding="unicode", with_tail=False)):
        return
    slots = text_slots(root)
    pieces = [slot_text(*slot) for slot in slots]
    for (element, where), piece, kept in zip(slots, pieces, without_invisible(pieces), strict=True):
        if kept is not piece:  # a line break is never cut
            setattr(element, where, kept)


def text_slots(root: etree._Element) -> list[tuple[etree._Element, str]]:
    """Where the text below ``root`` lies, in reading order: each element's ``"text"`` and
    ``"tail"`` (not ``root``'s tail, nor a comment's text), a ``<br>``'s line break
    (``"break"``) in place of its text: emoji on two lines are not joined."""
    slots = []
    for event, element in etree.iterwalk(root, events=("start", "end", "comment", "pi")):
        if event == "start":
            slots.append((element, "break" if element.tag == "br" else "text"))
        elif element is not root:
            slots.append((element, "tail"))
    return slots


def slot_text(element: etree._Element, where: str) -> str:
    """The text of a slot of ``text_slots``: a line break's is a newline."""
    if where == "break":
        return "\n"
    return (element.tail if where == "tail" else element.text) or ""


def text_as_html(text: str) -> str:
    """An image or text post's text as the HTML WeChat shows it as: blank lines part
    paragraphs, a newline breaks a line, and what markup it holds (topic tags, links to
    articles and music) is markup."""
    paragraphs = re.split(r"\n\s*\n", text.strip())
    return "".join("<p>" + "<br>".join(line for line in p.splitlines() if line.strip()) + "</p>"
                   for p in paragraphs if p.strip())

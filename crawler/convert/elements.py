"""WeChat's markup → Markdown, element by element: markdownify taught WeChat's editor soup,
lazy images, media cards, formulas and code. Pure.

No HTML from the source passes through: unknown elements contribute their text only, and
only http(s) URLs are linked. Text is made literal for kramdown here, node by node.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from typing import Any, Literal

import markdownify
from bs4 import BeautifulSoup
from bs4.element import NavigableString, Tag
from lxml import etree

from crawler.convert.code import HeldCode, code_language, code_lines
from crawler.convert.escaping import bracketed, escape_text, url_in_markdown
from crawler.convert.headings import heading_shift, heading_text, shows_text, too_long
from crawler.convert.inline import each_paragraph, emphasis, outside
from crawler.convert.lean import lean_markup
from crawler.convert.relink import NO_REFERRER, link_identity, post_url
from crawler.wechat import widgets
from crawler.wechat.endmarks import HEADINGS
from crawler.wechat.svgdrawn import SvgDrawings
from crawler.wechat.urls import (
    BACKGROUND_HOLDERS,
    background_image_url,
    host_of,
    is_article_link,
    normalise_image_url,
    on_wechat,
    web_url,
    with_scheme,
)

_WHITESPACE = re.compile(r"[\s\u00a0\u3000]+")
# A bar, or a LaTeX command of one character (``\|``, ``\\``), in a formula
_LATEX_BAR = re.compile(r"\\.|\|", re.S)
_CELL_BARS = {"|": "\\|", "\\|": "\\Vert "}
_LINE_BARS = {"|": "\\vert ", "\\|": "\\Vert "}  # the same, spelled without a bar
_TABLE_RULE = re.compile(r"\|(?: --- \|)+")  # under a table's header, as markdownify writes it
_CELL_BORDER = re.compile(r"(?:^| )\|")  # the text's own are escaped: "\|"

# markdownify's stub declares few of the methods a subclass overrides: taken as untyped.
_MarkdownConverter: Any = markdownify.MarkdownConverter
_PARTED = "{::comment}{:/}"  # kramdown's empty comment: parts two markers, shows nothing
_BARE_MARKER_START = re.compile(r"\*(?! )")  # emphasis's, not a bullet's ("* ")
_EDGE_TILDE = re.compile(r"^~|~$")
_CELLS_AND_TERMS = frozenset({"td", "th", "dt"})  # each holds one line: a heading there is bold text
# Spaces where elements on one line meet (text's own are one: process_text; code is held)
_SPACES = re.compile(" {2,}")
_LINE = re.compile(r"^(.*)", re.MULTILINE)


def _italics(self: Any, el: Tag, text: str, parent_tags: set[str]) -> str:
    """Italics; around text that starts with bold or a link, parted from its marker by an
    empty comment, which shows nothing: kramdown reads "***" as bold first, and
    "***甲**乙*丙**丁**" as bold around "甲**乙*丙", its other markers shown; and a block
    starting "*[" that a code span's "]:" follows as an abbreviation's definition, unseen.
    In code, text: no marker, nor the comment."""
    parted = _PARTED + text if text.startswith(("**", "[")) and "_noformat" not in parent_tags else text
    return str(_MarkdownConverter.convert_em(self, el, parted, parent_tags))


class WeChatConverter(_MarkdownConverter):
    """markdownify, taught WeChat's markup: editor soup, lazy images, media cards, code."""

    def __init__(self, article_url: str, image_links: Mapping[str, str], bullet: str,
                 cdn_hosts: frozenset[str], post_links: Mapping[str, str]):
        super().__init__(
            heading_style=markdownify.ATX, bullets=bullet, strong_em_symbol="*",
            table_infer_header=True, bs4_options="lxml", escape_asterisks=False,
            escape_underscores=False,
        )
        self.cdn_hosts = cdn_hosts
        self.heading_shift = 0
        self.article_url = article_url
        self.image_links = image_links
        self.post_links = post_links
        # Links to stored images, which may use Liquid ({{site.baseurl}}): the Markdown
        # holds "\0<number>\0" in their place until Liquid is escaped.
        self.local_links: list[str] = []
        self.code = HeldCode()
        self.numbers: dict[int, dict[int, int]] = {}  # of each ordered list, its items' numbers

    # -- entry points ---------------------------------------------------------------
    def convert(self, root: etree._Element, drawings: SvgDrawings | None = None) -> str:
        """The Markdown of what ``root`` holds (which this changes), its SVGs drawn of their
        drawings in ``drawings`` when given."""
        soup = BeautifulSoup(lean_markup(root, self.writes, drawings), "lxml",
                             element_classes={Tag: _Tag})
        self.heading_shift = heading_shift(soup)
        return str(self.convert_soup(soup))

    def writes(self, name: str) -> bool:
        """Whether an element of ``name`` is written as Markdown of its own; the others are
        unwrapped before (``lean_markup``)."""
        return self.get_conv_fn_cached(name) is not None

    def image(self, src: str, alt: str = "") -> str:
        local = self.image_links.get(normalise_image_url(src))
        if local:
            self.local_links.append(local)
            link = f"\0{len(self.local_links) - 1}\0"
        else:
            link = url_in_markdown(web_url(with_scheme(src.strip())))
        if not link:
            return ""
        no_referrer = NO_REFERRER if not local and host_of(src.strip()) in self.cdn_hosts else ""
        return f"\n\n![{bracketed(escape_text(alt))}]({link}){no_referrer}\n\n"

    # -- text -----------------------------------------------------------------------
    def process_text(self, el: NavigableString, parent_tags: set[str] | None = None) -> str:
        if "pre" not in (parent_tags or ()):
            el = NavigableString(_WHITESPACE.sub(" ", str(el)))  # none invisible: lean_markup
        return str(super().process_text(el, parent_tags))

    def escape(self, text: str, parent_tags: set[str]) -> str:
        return escape_text(text) if text else ""

    # -- elements -------------------------------------------------------------------
    def convert_img(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        src = _attribute(el, "data-src") or _attribute(el, "src")
        alt = _WHITESPACE.sub(" ", _attribute(el, "alt"))  # a blank line would end the image
        if not src.strip():
            return ""
        image = self.image(src, "" if _meaningless_alt(alt) else alt)
        return image.strip() if "_inline" in parent_tags else image

    def convert_a(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        """A link; in code, its text alone (a code span shows its Markdown as text). The
        space or line break at an edge of its text stays, outside the brackets. One around
        blocks (a card: a picture, a title) links each of its paragraphs and pictures, and
        leaves the other blocks (a heading, a quote, a list) unlinked: the brackets around
        their Markdown would show it as text; what they hold is linked in them before
        (``heldlinks.link_in_marked_blocks``). Code in it that holds ``]:`` is text: a line
        starting ``[x`a]:`` is a link definition to kramdown, shown as nothing."""
        href = web_url(on_wechat(_attribute(el, "href").strip()))
        inner = text.strip()
        if not inner or not href or "_noformat" in parent_tags:
            return text
        text = self.code.spans_as_text(text, lambda code: "]:" in code)
        target = self.target(href)
        linked = outside(lambda shown: f"[{bracketed(shown)}]({target})")
        return _parted_at_edges(each_paragraph(linked, text, link=True))

    def target(self, href: str) -> str:
        """Where a link to ``href`` points: the post of an archived article, else ``href``."""
        stem = self.post_links.get(link_identity(href)) if is_article_link(href) else None
        if stem is None:
            return url_in_markdown(href)
        self.local_links.append(post_url(stem))
        return f"\0{len(self.local_links) - 1}\0"

    def convert_pre(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        """A fenced code block, held aside until the rest is written; in a heading or a
        table cell, which hold one line, a code span. ``text`` is not used, the lines are
        read from ``el``."""
        lines = code_lines(el).strip("\n")
        if not lines.strip():
            return ""
        if "_inline" in parent_tags:
            return self.code.span(lines, in_cell=bool(parent_tags & {"td", "th"}))
        return self.code.block(lines, code_language(el))

    def convert_code(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        if "pre" in parent_tags or "_noformat" in parent_tags:
            return text
        in_cell = bool(parent_tags & {"td", "th"})

        def spans(piece: str) -> str:  # a span holds no line break: one a line
            return "  \n".join(self.code.span(line, in_cell) for line in piece.split("  \n"))

        return each_paragraph(outside(spans), text, code=True)

    convert_kbd = convert_samp = convert_code
    # markdownify's, of what kramdown has no Markdown for, or the page's text holds by now (a
    # quote's marks): their content alone, unwritten
    convert_sup = convert_sub = convert_q = None

    _bold = emphasis(_MarkdownConverter.convert_b, {"b", "strong"})

    def convert_b(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        """Bold; in a heading in a table cell or a term, which is bold there, its text:
        ``****`` would show."""
        if parent_tags & _CELLS_AND_TERMS and parent_tags & HEADINGS:
            return text
        return str(self._bold(el, text, parent_tags))

    convert_strong = convert_b
    convert_em = convert_i = emphasis(_italics, {"em", "i"})

    def _struck(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        """Strike-through around ``text``, a tilde at its edges an entity: glued to the
        markers, it made a longer run of them ("~~~~~"), shown as text. In code, which has
        no strike-through and shows an entity as typed, ``text`` as it is."""
        if "_noformat" in parent_tags:
            return text
        return str(_MarkdownConverter.convert_del(self, el, _EDGE_TILDE.sub("&#126;", text), parent_tags))

    _strike = emphasis(_struck, {"del", "s"})

    def convert_del(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        """Strike-through, but not around code that holds ``~~``: kramdown ends the
        strike-through at the first ``~~``, code spans or not, and the rest shows as text."""
        if any("~~" in code for code in self.code.spans_in(text)):
            return text
        return str(self._strike(el, text, parent_tags))

    convert_s = convert_del

    def convert_iframe(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        return ""  # a video or vote is a widget (process_tag); any other frame is nothing

    def convert_hN(self, n: int, el: Tag, text: str, parent_tags: set[str]) -> str:
        """Headings shifted so that the highest is ``##`` (the theme's H1 is the title);
        an empty one goes, and one as long as a paragraph stays its text, in bold."""
        text = text.strip()
        if text and "_noformat" not in parent_tags and parent_tags & _CELLS_AND_TERMS \
                and not parent_tags & HEADINGS:
            # in a cell or a term, which hold one line, bold, as a browser shows a heading
            return self.convert_b(el, text, parent_tags)
        if not text or parent_tags & {"_inline", "_noformat"}:  # in code or a heading, text
            return text
        if not shows_text(el):  # a picture alone: its own paragraph, no heading
            return f"\n\n{text}\n\n"
        if too_long(text):  # in bold, no bold again ("****" showed)
            bold = self.convert_b(el, text, parent_tags) if "*" not in text else text
            return f"\n\n{bold.strip()}\n\n"
        text = heading_text(text, self.code)
        return str(super().convert_hN(min(6, n + self.heading_shift), el, text, parent_tags))

    def formula(self, latex: str, in_cell: bool = False) -> str:
        """A formula as kramdown math, its LaTeX kept (WeChat shows it as an SVG).

        In a table cell kramdown parts the row at each bar, math or not, and gives the
        math a bar escaped as ``\\|`` as a plain bar: LaTeX's own ``\\|`` is spelled
        ``\\Vert`` there, which means the same. Elsewhere a bar makes its line a table's
        row, and an escaped one stays escaped: a bar is ``\\vert`` there.
        """
        latex = _WHITESPACE.sub(" ", html.unescape(latex)).replace("$$", "$ $")
        if "|" in latex:
            bars = _CELL_BARS if in_cell else _LINE_BARS
            latex = _LATEX_BAR.sub(lambda bar: bars.get(bar.group(), bar.group()), latex)
        latex = latex.strip()
        return f"$${latex}$$" if latex else ""

    def card(self, kind: str, name: str, url: str) -> str:
        """One visible line for a shared article, linking its post once it is archived."""
        return self.widget(widgets.Widget(kind, name), url, self.target)

    def widget(self, widget: widgets.Widget, url: str,
               target: Callable[[str], str] | None = None) -> str:
        """A widget's one line: its label, linked to ``url`` (as ``target`` writes it)."""
        title = _WHITESPACE.sub(" ", html.unescape(widget.title)).strip()
        label = widgets.Widget(widget.kind, title, widget.length).label
        link = web_url(url)
        if not link:
            return f"\n\n{escape_text(label)}\n\n"
        return f"\n\n[{escape_text(label)}]({(target or url_in_markdown)(link)})\n\n"

    def process_tag(self, node: Tag, parent_tags: set[str] | None = None) -> str:
        if isinstance(node, Tag) and node.name == "pre":  # its text is read whole, below
            return self.convert_pre(node, "", parent_tags or set())
        if isinstance(node, Tag) and node.get("data-formula"):
            return self.formula(str(node["data-formula"]), bool((parent_tags or set()) & {"td", "th"}))
        if isinstance(node, Tag) and (widget := widgets.widget_of(node.name, _attributes(node))):
            return self.widget(widget, self.article_url)
        if isinstance(node, Tag) and node.name == widgets.ARTICLE_CARD:
            title, url = widgets.article_card(_attribute(node, "data-article-data"))
            return self.card("文章", title, url) if title.strip() or url.strip() else ""
        if isinstance(node, Tag) and node.name == "dt" and "_inline" not in (parent_tags or ()):
            return self.term(node, parent_tags or set())
        return str(super().process_tag(node, parent_tags))

    def term(self, el: Tag, parent_tags: set[str]) -> str:
        """A definition list's term, which kramdown reads of one line, what it holds written
        as a heading's or a cell's is (``_inline``): their text, no block's markers (a list's
        ``-``, a quote's ``>``, a table's pipes showed as text, and a definition list ended
        the term)."""
        one_line = str(super().process_tag(el, parent_tags | {"_inline"}))
        return str(self.convert_dt(el, one_line, parent_tags))

    def convert_div(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        """A block; one that holds no text but a CSS background shows that picture."""
        if not text.strip() and el.name in BACKGROUND_HOLDERS:
            background = background_image_url(_attribute(el, "style"))
            if background:
                return self.image(background)
        return str(super().convert_div(el, text, parent_tags))

    def convert_list(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        """A list; in a list item, one that comes after another list is parted from it by a
        blank line: kramdown reads it otherwise as the first list's item's lazy lines (its
        numbers shown, ``3. 戊``) or a list in that item. In a cell or a heading, its items.
        A blank line ends it: text after it (after the link it ends, after it in its item)
        ran on in its last item, where a browser starts a line."""
        if "_inline" in parent_tags:
            return f" {text.strip()} "  # a space apart from the text beside it
        written = str(super().convert_list(el, text, parent_tags)).rstrip("\n")
        if written.strip():
            written += _list_end(el)
        return ("\n" if "li" in parent_tags and _beside_a_list(el, "previous_sibling") else "") \
            + written + "\n\n"

    convert_ul = convert_ol = convert_list

    def convert_li(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        """A list item; in a table cell, a heading or a term, which hold one line, its text
        (after the marker a browser draws, made text: ``drawn.one_line_markers``), a space
        before the next, and one between its marker and a block or a list it starts with:
        its Markdown marker (``- ``, ``3. ``) would show as text. After text or an element
        beside it (in the list, or in a block in an item), on a line of its own: its marker
        showed after them as text."""
        if "_inline" in parent_tags:
            return f"{_SPACES.sub(' ', text.strip())} "
        items = el.parent
        written = self._numbered_item(el, items, text) if items is not None and items.name == "ol" \
            else str(super().convert_li(el, text, parent_tags))
        return "\n" + written if _after_inline(el, ("li",)) else written

    def _numbered_item(self, item: Tag, items: Tag, text: str) -> str:
        """An item of the ordered list ``items`` as markdownify writes one: its number (the
        list's ``start`` on), then its text, its lines below indented to the text's column.
        The numbers are counted once a list: markdownify counted each item's siblings before
        it, and an ordered list of 4,000 items took 1.3 s (one of 50,000, some minutes)."""
        text = text.strip()
        if not text:
            return "\n"
        numbers = self.numbers.get(id(items))
        if numbers is None:
            first = _start(items)
            numbers = self.numbers[id(items)] = {
                id(each): first + n for n, each in enumerate(items.find_all("li", recursive=False))}
        marker = f"{numbers[id(item)]}. "
        indented = _LINE.sub(lambda line: " " * len(marker) + line[1] if line[1] else "", text)
        return f"{marker}{indented[len(marker):]}\n"

    def convert_dd(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        """A definition; after text or an element other than a term or a definition (in
        the list, beside them), on a line of its own: its ``:`` showed after them as text."""
        written = str(super().convert_dd(el, text, parent_tags))
        inline = "_inline" in parent_tags
        return "\n" + written if not inline and _after_inline(el, ("dt", "dd")) else written

    def convert_hr(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        """A rule; a space in a table cell or a heading, where its ``---`` would be text or a
        table's header rule. In a list item, ``  * * *``: kramdown reads a line that is a
        rule as the list's end unless it is indented four spaces, which two past the item's
        text are (and fewer than a code block's), and ``- ---`` on the item's line as a rule
        alone (the item's lines after it a code block)."""
        if "_inline" in parent_tags:
            return " "
        return "\n\n  * * *\n\n" if "li" in parent_tags else str(super().convert_hr(el, text, parent_tags))

    def convert_table(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        """A table; one of a single row (a layout box) is that row alone: kramdown reads a
        header with no row under it as a paragraph, its pipes and dashes shown. One in a
        table's cell, a heading or a term (which hold one line) is its cells' text, one after
        another: its pipes would part the cell, or show as text."""
        rows = text.strip().split("\n")
        if "_inline" in parent_tags:
            cells = " ".join(cell.strip() for row in rows if not _TABLE_RULE.fullmatch(row)
                             for cell in _CELL_BORDER.split(row) if cell.strip())
            return f" {cells} "  # a space apart from the text beside it, as a list's items
        if len(rows) == 2 and _TABLE_RULE.fullmatch(rows[1]):
            text = rows[0]
        return str(super().convert_table(el, text, parent_tags))

    def convert_td(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        """A cell; in a link around its table, its text linked: a browser links all a link
        holds, and the link's brackets around the table would show as text."""
        link = el.find_parent("a") if "a" in parent_tags else None
        if link is not None:
            text = self.convert_a(link, text, parent_tags)
        return str(super().convert_td(el, text, parent_tags))

    convert_th = convert_td

    def convert_blockquote(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        """A quote, a blank line apart from text before it: markdownify begins it on the
        next line, in that text's paragraph for a bold's or a link's markers around them."""
        quote = str(super().convert_blockquote(el, text, parent_tags))
        return "\n" + quote if quote.startswith("\n>") else quote

    convert_section = convert_div
    convert_figure = convert_div
    convert_wx_block = convert_div

    def convert_p(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        if not text.strip() and background_image_url(_attribute(el, "style")):
            return self.convert_div(el, text, parent_tags)
        return str(super().convert_p(el, text, parent_tags))


class _Tag(Tag):
    """A tag whose nearest ancestor of a name is found by walking up: markdownify asks for
    every tag's ``pre`` ancestor, and BeautifulSoup builds a filter for each question."""

    def find_parent(self, name: Any = None, attrs: Any = None, **kwargs: Any) -> Any:
        if not isinstance(name, str) or attrs or kwargs:
            return super().find_parent(name, attrs, **kwargs)
        parent = self.parent
        while parent is not None and parent.name != name:
            parent = parent.parent
        return parent


def _attribute(tag: Tag, name: str) -> str:
    """An attribute's value as text (BeautifulSoup gives ``class`` as a list)."""
    value = tag.get(name)
    return " ".join(value) if isinstance(value, list) else value or ""


def _attributes(tag: Tag) -> dict[str, str]:
    return {name: " ".join(value) if isinstance(value, list) else value
            for name, value in tag.attrs.items()}


def _start(items: Tag) -> int:
    """The number of an ordered list's first item: its ``start``, else 1."""
    start = str(items.get("start") or "")
    return int(start) if start.isdecimal() else 1  # not "²", numeric, which int() refuses


def _list_end(items: Tag) -> str:
    """The line under a list's items: kramdown's end of a block before a list right after it
    (or in what comes right after it), which kramdown reads otherwise as items of this list,
    spaced out as paragraphs, numbered on. (No attribute list says an ordered list's start,
    which kramdown does not read from its first number: ARCHIVE_FORMAT.md allows none but a
    remote picture's.)"""
    return "\n^" if _beside_a_list(items, "next_sibling") else ""


def _beside_a_list(element: Tag, side: Literal["previous_sibling", "next_sibling"]) -> bool:
    """Whether what comes first on ``side`` of ``element`` in its list item (or in the body)
    is, or holds, a list."""
    node: Tag | None = element
    while node is not None and node.name != "li":
        beside = getattr(node, side)
        while isinstance(beside, NavigableString) and not beside.strip():
            beside = getattr(beside, side)
        if beside is not None:
            return isinstance(beside, Tag) and (beside.name in ("ul", "ol")
                                                or beside.find(("ul", "ol")) is not None)
        node = node.parent
    return False


def _after_inline(item: Tag, items: tuple[str, ...]) -> bool:
    """Whether what comes just before ``item`` is text or an element other than ``items``."""
    before = item.previous_sibling
    while isinstance(before, NavigableString) and not before.strip():
        before = before.previous_sibling
    return before is not None and (not isinstance(before, Tag) or before.name not in items)


def _parted_at_edges(written: str) -> str:
    """A link's Markdown, parted by an empty comment where it starts or ends with emphasis
    left bare: a paragraph holding a link is written unlinked, and no bracket then parts its
    markers from emphasis beside it (``*甲**乙*`` shows ``**``)."""
    if _BARE_MARKER_START.match(written):
        written = _PARTED + written
    return written + _PARTED if written.endswith("*") else written


def _meaningless_alt(alt: str) -> bool:
    return not alt.strip() or alt.strip().lower() in {"图片", "image", "img", "picture"}

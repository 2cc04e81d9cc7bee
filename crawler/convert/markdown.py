"""An ``Article`` → the Markdown body of its post. Pure.

The post is read by Liquid first, then by kramdown, so text from the article is made
literal for both (``crawler.convert.escaping``): for kramdown text node by text node, for Liquid
over the whole Markdown at once. No HTML from the source passes through: unknown elements
contribute their text only, and only http(s) URLs are linked.
"""

from __future__ import annotations

import copy
import html
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import markdownify
from bs4 import BeautifulSoup
from bs4.element import NavigableString, Tag
from lxml import etree

from crawler.convert.code import BLOCK, HeldCode, code_language, code_lines
from crawler.convert.escaping import (
    bracketed,
    escape_liquid,
    escape_text,
    url_in_markdown,
    wide_references,
)
from crawler.convert.lean import lean_markup
from crawler.convert.relink import LINK_TARGET, NO_REFERRER, between, found_in, link_identity, post_url
from crawler.wechat import dom, widgets
from crawler.wechat.article import Article, PostType
from crawler.wechat.shown import INVISIBLE, text_as_html
from crawler.wechat.urls import (
    BACKGROUND_HOLDERS,
    background_image_url,
    host_of,
    is_article_link,
    normalise_image_url,
    web_url,
    with_scheme,
)

_LOCAL_LINK = re.compile("\0([0-9]+)\0")
# Not characters, and in no XML: the site's feed (``post.content | xml_escape``) holding one
# is unreadable to every feed reader. A reader sees nothing of them.
_NON_CHARACTERS = re.compile("[\ufffe\uffff]")
# Where a link (or a picture) the converter wrote ends: text's "]" is escaped.
_HOLDS_LINK = re.compile(r"(?<!\\)\]\(")
# A picture, as ``image`` writes one (not text's escaped "!" before a link).
_PICTURE = re.compile(r"(?<!\\)!\[(?:[^\[\]\\\n]|\\.)*\]\([^()\s]+\)(?:" + re.escape(NO_REFERRER) + ")?")
_WHITESPACE = re.compile(r"[\s\u00a0\u3000]+")
_BLANK_LINES = re.compile(r"(\n\s*\n)")
# What starts a block the converter wrote (source text never does: its line starts are
# escaped): a heading, quote, table, list, image, formula, rule, code block.
_BLOCK_START = re.compile(r"[#>|]|[-*+] |\d+[.)] |!\[|\$\$|---|" + BLOCK)
_HEADING = re.compile(r"^h([1-6])$")
# A bar, or a LaTeX command of one character (``\|``, ``\\``), in a formula
_LATEX_BAR = re.compile(r"\\.|\|", re.S)
_CELL_BARS = {"|": "\\|", "\\|": "\\Vert "}
_LINE_BARS = {"|": "\\vert ", "\\|": "\\Vert "}  # the same, spelled without a bar
# Where a heading's last word of hashes starts: kramdown would take them for closing marks.
_CLOSING_HASHES = re.compile(r"(?<=\s)(?=#+$)")
# A heading longer than this is a paragraph an editor made big: it stays bold text.
LONGEST_HEADING = 40
_FORMULA = re.compile(r"\$\$.*?\$\$")  # as ``formula`` writes one: text's "$" are escaped
_FULL_WIDTH_ANGLES = str.maketrans("<>", "＜＞")
_PARTED = "{::comment}{:/}"  # kramdown's empty comment: parts two markers, shows nothing
# An "&" that a heading's Markdown shows: escaped, or bare before a name with no ";" (a bare
# one before a ";" is an entity of ours, "&#96;"); and the name after it.
_SHOWN_AMPERSAND = re.compile(r"&(amp;)?(#[xX]?[0-9A-Fa-f]*|[A-Za-z0-9]*)(;?)")
# What of a heading's Markdown is not its text: links' targets and formulas.
_NOT_TEXT = re.compile(LINK_TARGET.pattern + "|" + _FORMULA.pattern)
_TABLE_RULE = re.compile(r"\|(?: --- \|)+")  # under a table's header, as markdownify writes it
_CELL_BORDER = re.compile(r"(?:^| )\|")  # the text's own are escaped: "\|"


@dataclass(frozen=True)
class MarkdownStyle:
    """How posts are written: ``bullet`` marks the items of unordered lists (``-``, ``*``
    or ``+``); an image left on one of ``cdn_hosts`` (not stored) is written with
    ``{: referrerpolicy="no-referrer"}``, since the CDN answers a foreign Referer with a
    "not allowed" picture."""

    bullet: str = "-"
    cdn_hosts: frozenset[str] = frozenset()


def to_markdown(article: Article, image_links: Mapping[str, str],
                style: MarkdownStyle = MarkdownStyle(),
                post_links: Mapping[str, str] | None = None) -> str:
    """The body of ``article``'s post.

    ``image_links`` maps a normalised image URL to what the post links to (a local
    ``{{site.baseurl}}/postimg/…`` path); an image missing from it keeps its own URL.
    ``post_links`` maps an article's key (a short link: the link) to the name of its post
    without ``.md``: a link to it points at that post (``post_url``); others keep their URL.
    """
    converter = _WeChatConverter(article_url=article.url, image_links=image_links, style=style,
                                 post_links=post_links or {})
    parts: list[str] = []
    if article.item_show_type == PostType.IMAGES:
        parts += [converter.image(url) for url in article.pictures]
    if article.text:
        parts.append(converter.convert(dom.fragment(text_as_html(_no_nul(article.text)))))
    if article.body_html:
        parts.append(converter.convert(_body(article)))
    if article.share_source_url:
        parts.append(converter.card("原文", _no_nul(article.share_source_title),
                                    article.share_source_url))
    markdown = converter.code.place(_tidy("\n\n".join(p for p in parts if p.strip())))
    markdown = escape_liquid(markdown)
    if "\ufffe" in markdown or "\uffff" in markdown:
        markdown = _NON_CHARACTERS.sub("", markdown)
    if not converter.local_links:
        return markdown
    return _LOCAL_LINK.sub(lambda m: converter.local_links[int(m.group(1))], markdown)


def _body(article: Article) -> etree._Element:
    """``article``'s body under one ``<div>``, as ``dom.fragment`` makes it of ``body_html``
    (its tail included): a copy of the tree the parser made when there is one, which costs
    a fraction of parsing the markup again."""
    if article.body is None:
        parsed: etree._Element = dom.fragment(_no_nul(article.body_html))
        return parsed
    root = etree.Element("div")  # plain lxml: no Python class lookup for each element read
    root.append(copy.deepcopy(article.body))
    return root


def _no_nul(text: str) -> str:
    """Source text without NUL, which marks the stored-image links while converting."""
    return text.replace("\0", "")


# markdownify's stub declares few of the methods a subclass overrides: taken as untyped.
_MarkdownConverter: Any = markdownify.MarkdownConverter
_Converter = Callable[[Any, Tag, str, set[str]], str]


def _inline(convert: _Converter, same: set[str]) -> _Converter:
    """markdownify's ``convert`` of an emphasis, applied paragraph by paragraph, and not
    again inside an emphasis of its kind (bold in bold is bold; ``****`` would show)."""
    def converter(self: Any, el: Tag, text: str, parent_tags: set[str]) -> str:
        if parent_tags & same:
            return text
        return _each_paragraph(_outside(lambda inner: str(convert(self, el, inner, parent_tags))),
                               text)
    return converter


def _italics(self: Any, el: Tag, text: str, parent_tags: set[str]) -> str:
    """Italics; around text that starts with bold, parted from its marker by an empty
    comment, which shows nothing: kramdown reads "***" as bold first, and "***甲**乙*丙**丁**"
    as bold around "甲**乙*丙", its other markers shown."""
    parted = _PARTED + text if text.startswith("**") else text
    return str(_MarkdownConverter.convert_em(self, el, parted, parent_tags))


def _wide_shown(match: re.Match[str]) -> str:
    """The ``&`` of ``_SHOWN_AMPERSAND`` full-width if what it shows is a character reference."""
    escaped, name, end = match.groups()
    shown = f"&{name}{end}"
    if (not escaped and end) or html.unescape(shown) == shown:
        return match.group()
    return f"＆{name}{end}"


def _outside(wrap: Callable[[str], str]) -> Callable[[str], str]:
    """``wrap`` (an inline markup) applied to a piece of text without its white space at
    either end, which stays outside the markup: a line break there (a ``<br>`` first or last
    in a link or emphasis) would otherwise be trimmed with it, and two lines run together."""
    def wrapped(piece: str) -> str:
        inner = piece.strip()
        if not inner:
            return piece
        return piece[:len(piece) - len(piece.lstrip())] + wrap(inner) + piece[len(piece.rstrip()):]
    return wrapped


def _each_paragraph(wrap: Callable[[str], str], text: str, code: bool = False,
                    link: bool = False) -> str:
    """``text`` with ``wrap`` (an inline markup: emphasis, code span, ``link``) applied to
    each of its paragraphs and to nothing else.

    An inline element may hold blocks (paragraphs, pictures, code). Its markers around them
    would show as text, or worse, be glued to a code block's closing fence: kramdown would
    then not close the block there, and the next code block's text would be read as HTML.
    """
    return "".join(wrap(piece) if number % 2 == 0 and _wrapped(piece, number == 0, code, link)
                   else piece for number, piece in enumerate(_BLANK_LINES.split(text)))


def _wrapped(piece: str, first: bool, code: bool, link: bool) -> bool:
    """Whether an inline markup goes around ``piece``: a paragraph; a link also around a
    picture or a formula (inline in its brackets), and not around a paragraph that holds a
    link (a widget's line): kramdown shows a link in a link as its Markdown."""
    if link and (_PICTURE.fullmatch(piece.strip()) or piece.strip().startswith("$$")):
        return True
    return _is_paragraph(piece, first, code) \
        and not (link and _HOLDS_LINK.search(_PICTURE.sub("", piece)))


def _is_paragraph(piece: str, first: bool, code: bool) -> bool:
    """Whether ``piece`` (between blank lines) is a paragraph of text: not a block the
    converter wrote, nor the indented rest of one (a list item's). In ``code``, whose text
    is not escaped and may start as any block would (``|<script>…``), every piece is but a
    code block held aside."""
    if not piece.strip():
        return False
    if code:
        return not piece.strip().startswith(BLOCK)
    return (first or not piece[0].isspace()) and not _BLOCK_START.match(piece.strip())


class _WeChatConverter(_MarkdownConverter):
    """markdownify, taught WeChat's markup: editor soup, lazy images, media cards, code."""

    def __init__(self, article_url: str, image_links: Mapping[str, str], style: MarkdownStyle,
                 post_links: Mapping[str, str]):
        super().__init__(
            heading_style=markdownify.ATX, bullets=style.bullet, strong_em_symbol="*",
            table_infer_header=True, bs4_options="lxml", escape_asterisks=False,
            escape_underscores=False,
        )
        self.cdn_hosts = style.cdn_hosts
        self.heading_shift = 0
        self.article_url = article_url
        self.image_links = image_links
        self.post_links = post_links
        # Links to stored images, which may use Liquid ({{site.baseurl}}): the Markdown
        # holds "\0<number>\0" in their place until Liquid is escaped.
        self.local_links: list[str] = []
        self.code = HeldCode()

    # -- entry points ---------------------------------------------------------------
    def convert(self, root: etree._Element) -> str:
        """The Markdown of what ``root`` holds (which this changes)."""
        soup = BeautifulSoup(lean_markup(root), "lxml", element_classes={Tag: _Tag})
        levels = [int(match.group(1)) for tag in soup.find_all(_HEADING)
                  if (match := _HEADING.match(tag.name)) and _shows_text(tag)
                  and not any(_writes_as_text(parent.name) for parent in tag.parents)]
        self.heading_shift = max(0, 2 - min(levels)) if levels else 0
        return str(self.convert_soup(soup))

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
            el = NavigableString(_WHITESPACE.sub(" ", INVISIBLE.sub("", str(el))))
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
        their Markdown would show it as text. Code in it that holds ``]:`` is text: a line
        starting ``[x`a]:`` is a link definition to kramdown, shown as nothing."""
        href = web_url(_attribute(el, "href"))
        inner = text.strip()
        if not inner or not href or "_noformat" in parent_tags:
            return text
        text = self.code.spans_as_text(text, lambda code: "]:" in code)
        target = self.target(href)
        linked = _outside(lambda shown: f"[{bracketed(shown)}]({target})")
        return _each_paragraph(linked, text, link=True)

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

        return _each_paragraph(_outside(spans), text, code=True)

    convert_kbd = convert_samp = convert_code

    convert_b = convert_strong = _inline(_MarkdownConverter.convert_b, {"b", "strong"})
    convert_em = convert_i = _inline(_italics, {"em", "i"})
    _strike = _inline(_MarkdownConverter.convert_del, {"del", "s"})

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
        if not text or parent_tags & {"_inline", "_noformat"}:  # in code, text
            return text
        if not _shows_text(el):  # a picture alone: its own paragraph, no heading
            return f"\n\n{text}\n\n"
        if len(LINK_TARGET.sub("]", text)) > LONGEST_HEADING:  # a link's target is not shown
            bold = _each_paragraph(lambda piece: f"**{piece.strip()}**", text) \
                if "*" not in text else text
            return f"\n\n{bold}\n\n"
        text = _CLOSING_HASHES.sub("\\\\", self.catalog_safe(text))
        return str(super().convert_hN(min(6, n + self.heading_shift), el, text, parent_tags))

    def catalog_safe(self, heading: str) -> str:
        """``heading`` (Markdown) with no ``<`` or ``>`` in the text it shows: Hux's side
        catalog, on every post since Hux 1.9, reads each heading's text and writes it back
        as HTML (``$('<a …>' + $(h).text() + '</a>')``), where it would be markup and run.
        Text's and code's are made full-width, as the title's; a formula's are LaTeX's
        ``\\lt`` and ``\\gt``. So is the ``&`` of a character reference the text shows
        (``&copy;``), which would show as the character it names."""
        self.code.change_spans_in(
            heading, lambda code: wide_references(code.translate(_FULL_WIDTH_ANGLES)))
        heading = _FORMULA.sub(lambda math: math.group().replace("<", "\\lt ")
                               .replace(">", "\\gt "), heading)
        heading = between(heading, found_in(_NOT_TEXT, heading),
                          lambda text: _SHOWN_AMPERSAND.sub(_wide_shown, text))
        return heading.replace("\\<", "＜").replace("\\>", "＞")

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
        return str(super().process_tag(node, parent_tags))

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
        numbers shown, ``3. 戊``) or a list in that item."""
        written = str(super().convert_list(el, text, parent_tags))
        return "\n" + written if "li" in parent_tags and _after_a_list(el) else written

    convert_ul = convert_ol = convert_list

    def convert_hr(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        """A rule; a space in a table cell or a heading, where its ``---`` would be text or a
        table's header rule."""
        return " " if "_inline" in parent_tags else str(super().convert_hr(el, text, parent_tags))

    def convert_table(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        """A table; one of a single row (a layout box) is that row alone: kramdown reads a
        header with no row under it as a paragraph, its pipes and dashes shown. One in a
        table's cell is its cells' text, one after another: its pipes would part the cell."""
        rows = text.strip().split("\n")
        if parent_tags & {"td", "th"}:
            return " ".join(_CELL_BORDER.sub(" ", row).strip() for row in rows
                            if not _TABLE_RULE.fullmatch(row))
        if len(rows) == 2 and _TABLE_RULE.fullmatch(rows[1]):
            text = rows[0]
        return str(super().convert_table(el, text, parent_tags))

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


def _after_a_list(element: Tag) -> bool:
    """Whether what comes first before ``element`` in its list item is, or ends in, a list."""
    node: Tag | None = element
    while node is not None and node.name != "li":
        before = node.previous_sibling
        while isinstance(before, NavigableString) and not before.strip():
            before = before.previous_sibling
        if before is not None:
            return isinstance(before, Tag) and (before.name in ("ul", "ol")
                                                or before.find(("ul", "ol")) is not None)
        node = node.parent
    return False


def _shows_text(heading: Tag) -> bool:
    """Whether ``heading`` shows a reader some text: only such a heading is one in the post."""
    return bool(INVISIBLE.sub("", heading.get_text()).strip())


def _writes_as_text(name: str) -> bool:
    """Whether markdownify writes a heading inside a ``name`` element as text (``_inline``,
    ``_noformat``): a heading, a table cell, code."""
    return name in {"td", "th", "pre", "code", "kbd", "samp"} or bool(_HEADING.match(name))


def _meaningless_alt(alt: str) -> bool:
    return not alt.strip() or alt.strip().lower() in {"图片", "image", "img", "picture"}


def _tidy(markdown: str) -> str:
    """Trailing blanks and runs of blank lines out (code blocks are not in it yet)."""
    lines = []
    for line in markdown.split("\n"):
        stripped = line.rstrip()
        hard_break = line.endswith("  ") and stripped
        lines.append(stripped + ("  " if hard_break else ""))
    markdown = re.sub(r"\n{3,}", "\n\n", "\n".join(lines))
    # a hard break that ends a paragraph goes
    return re.sub(r" {2}\n(?=\n|$)", "\n", markdown).strip("\n")

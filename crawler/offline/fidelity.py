"""How much of each saved WeChat page survives conversion: ``python -m crawler.offline.fidelity DIR``.

For every saved page in DIR (``.html``, ``.htm``, ``.mhtml``) that parses as an article,
prints the share of the body's visible text found again in the Markdown, the content
images the post references, and the lines of its code blocks; then the totals. A post that
keeps less than ``--min-text`` of its text, or leaves out a content image, is flagged.
Pages that are not articles, or cannot be read, are listed and left out of the totals.
Exit status 1 when any page is flagged.

Images are counted as if every one had been downloaded, so that what is measured is the
converter, not the network. Emphasis markers that show as text are found in the HTML
kramdown (the blog's renderer, from Debian's ``jekyll``) makes of the post.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from dataclasses import dataclass, fields
from pathlib import Path

import lxml.html

from crawler.convert.markdown import to_markdown
from crawler.offline.kramdown import Kramdown
from crawler.wechat import dom
from crawler.wechat.article import Article, PostType
from crawler.wechat.drawn import show_as_drawn
from crawler.wechat.page import parse_page
from crawler.wechat.saved import (
    SAVED_PAGE_SUFFIXES,
    SavedPageError,
    read_saved_page,
    saved_pages_in,
)
from crawler.wechat.shown import (
    INVISIBLE,
    draw_svgs,
    not_content,
    slot_text,
    text_as_html,
    text_slots,
    without_invisible,
)
from crawler.wechat.urls import image_stem
from crawler.wechat.widgets import PLAYER_CLASSES, widget_of

# What shows as text but was markup: a tag, or an attribute, printed.
_MARKUP = re.compile(r"</?[A-Za-z][\w-]*(?:\s[^<>]*)?/?>|\b(?:class|style|href|src|data-[\w-]+)=[\"']")
_WIDGET_LINE = re.compile(r"\[(?:音频|音乐|视频|视频号|小程序|投票|原文)[^\]\n]*\]\([^)\n]*\)")
_MARKDOWN_ESCAPE = re.compile(r"\\([\\`*_\[\]{}<>|$#+\-=:.!()])")
_LIQUID_BRACE = '{{ "{" }}'
_SPACE = re.compile(r"\s+")
# Text a post writes otherwise, the same to a reader: a heading's "<" and ">" full-width (for
# Hux's side catalog), the non-characters U+FFFE and U+FFFF left out (for the feed).
_AS_READ = str.maketrans({"＜": "<", "＞": ">", "\ufffe": None, "\uffff": None})
_FENCED = re.compile(r"^(`{3,})[^\n]*\n(.*?)\n\1$", re.S | re.M)


@dataclass
class Fidelity:
    text_source: int = 0
    text_kept: int = 0
    images_source: int = 0
    images_kept: int = 0
    code_lines_source: int = 0
    code_lines_kept: int = 0
    # markup, a widget's text beside its one line, or an emphasis marker (each * or ~ more
    # than the source shows), shown as text
    leftovers: int = 0

    @property
    def text_share(self) -> float:
        return self.text_kept / self.text_source if self.text_source else 1.0

    def add(self, other: Fidelity) -> None:
        for name in (f.name for f in fields(self)):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def measure(article: Article, kramdown: Kramdown | None = None) -> Fidelity:
    """Compare ``article``'s source body with the Markdown it converts to, rendered by
    ``kramdown`` (by one started for this alone if None)."""
    if kramdown is None:
        with Kramdown() as own:
            return measure(article, own)
    links = {url: f"{{{{site.baseurl}}}}/postimg/{image_stem(url)}.img" for url in article.image_urls}
    markdown = to_markdown(article, links)
    flat = _flatten(markdown)
    segments, widget_text = _text_segments(article)
    images = _content_images(article)
    prose = _flatten(_WIDGET_LINE.sub("", markdown))
    source = "".join(segments)
    markup = (_SPACE.sub("", found) for found in _MARKUP.findall(_shown(_FENCED.sub("", markdown))))
    titles = _shown("".join(_WIDGET_LINE.findall(markdown)))  # a widget's line shows its title
    return Fidelity(
        leftovers=sum(1 for found in markup if found not in source)  # not the article's own text
        + sum(1 for piece in widget_text if len(piece) > 1 and prose.count(piece) > source.count(piece))
        + _emphasis_shown(_rendered(markdown, kramdown), source + titles, article),
        text_source=sum(len(s) for s in segments),
        text_kept=sum(len(s) for s in segments if s in flat),
        images_source=len(images),
        images_kept=sum(1 for url in images if links.get(url, url) in markdown),
        code_lines_source=_source_code_lines(article),
        code_lines_kept=sum(len(m.group(2).split("\n")) for m in _FENCED.finditer(markdown)),
    )


def shown_in_article(article: Article) -> str:
    """The text a reader sees in ``article``'s body (``#js_content``), as the report counts
    it: outside widgets and what shows nothing, without white space."""
    return "".join(_text_segments(article)[0])


def shown_in_post(markdown: str, kramdown: Kramdown) -> str:
    """The text a reader sees in the post whose body is ``markdown``, rendered by the blog's
    ``kramdown``, in the terms of ``shown_in_article``: the two compare."""
    return as_read(dom.fragment(_rendered(markdown, kramdown)).text_content())


def _rendered(markdown: str, kramdown: Kramdown) -> str:
    """The HTML the blog makes of a post's ``markdown`` body (Liquid's escape of "{" read)."""
    return kramdown.render(markdown.replace(_LIQUID_BRACE, "{"))


def as_read(text: str) -> str:
    """``text`` as the report reads it (a post's, or a page's a browser shows): without
    white space and what shows nothing, the post's other spellings of the same text undone."""
    return _read(INVISIBLE.sub("", text))


def _read(shown: str) -> str:
    """``shown``, text without what shows nothing, as the report reads it (``as_read``)."""
    return _SPACE.sub("", shown).translate(_AS_READ)


def _emphasis_shown(html: str, source: str, article: Article) -> int:
    """The ``*`` and ``~`` a reader sees in the post's ``html``, outside code, beyond those
    of the source's text: markers kramdown did not read as emphasis."""
    rendered = dom.fragment(html)
    for code in rendered.xpath("//pre|//code"):
        code.drop_tree()
    shown = rendered.text_content()
    code_text = "".join(code.text_content() for code in dom.fragment(
        article.body_html).xpath("//pre|//code")) if article.body_html else ""
    return sum(max(0, shown.count(marker) - source.count(marker) + code_text.count(marker))
               for marker in "*~")


def _shown(markdown: str) -> str:
    """The Markdown's text as a reader sees it (links and images reduced to their text)."""
    text = re.sub(r"!?\[((?:[^\]\\]|\\.)*)\]\([^)\s]*\)(?:\{:[^}]*\})?", r"\1", markdown)
    text = re.sub(r"(`+).+?\1", "", text)  # code: markup there is the article's text
    return _unescaped(text)


def _flatten(markdown: str) -> str:
    """The Markdown's text as a reader sees it, without white space."""
    return _SPACE.sub("", _unescaped(markdown)).translate(_AS_READ)


def _unescaped(markdown: str) -> str:
    """``markdown`` without the escapes the converter writes."""
    text = _MARKDOWN_ESCAPE.sub(r"\1", markdown.replace(_LIQUID_BRACE, "{"))
    return text.replace("&amp;", "&").replace("&#126;", "~").replace("&#96;", "`").replace("&#94;", "^")


def _text_segments(article: Article) -> tuple[list[str], list[str]]:
    """The source's text a reader sees, and the text inside its widgets (players, cards),
    one piece per text node, without white space."""
    html = article.body_html or (text_as_html(article.text) if article.text else "")
    shown: list[str] = []
    widget_text: list[str] = []
    if not html:
        return shown, widget_text
    root = dom.fragment(html)
    draw_svgs(root)
    show_as_drawn(root)
    for element, where in text_slots(root):
        if not (text := slot_text(element, where)):
            continue
        kind = _kind(element.getparent() if where == "tail" else element)  # a tail's: not its own
        if kind == "text":
            shown.append(text)
        elif kind == "widget":
            widget_text.append(text)
    return ([piece for text in without_invisible(shown) if (piece := _read(text))],
            [piece for text in without_invisible(widget_text) if (piece := _read(text))])


def _kind(element: lxml.html.HtmlElement | None) -> str:
    """``text`` for what a reader sees as text, ``widget`` inside a widget, else ``none``."""
    while element is not None:
        if not isinstance(element.tag, str):
            return "none"
        if widget_of(element.tag, element.attrib) is not None \
                or PLAYER_CLASSES.search(element.get("class") or ""):
            return "widget"
        if not_content(element):
            return "none"
        element = element.getparent()
    return "text"


def _content_images(article: Article) -> list[str]:
    if article.item_show_type == PostType.IMAGES:
        return list(article.pictures)
    return list(article.image_urls)


def _source_code_lines(article: Article) -> int:
    """Lines of the source's ``<pre>`` blocks: one per ``<code>`` when there are several."""
    if not article.body_html:
        return 0
    lines = 0
    for pre in dom.fragment(article.body_html).iter("pre"):
        codes = pre.findall("code")
        if len(codes) > 1:
            lines += len(codes)
            continue
        for br in pre.iter("br"):
            br.tail = "\n" + (br.tail or "")
        lines += len(pre.text_content().strip("\n").split("\n"))
    return lines


def _fraction(text: str) -> float:
    """A share of the text, 0 to 1: ``95`` (a percentage) flagged every page, and ``nan``
    or a negative share none."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"takes a fraction from 0 to 1 (0.95 for 95 %), not {text!r}")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawler.offline.fidelity", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--min-text", type=_fraction, default=0.95,
                        help="flag a post that keeps less of its text than this (default 0.95)")
    args = parser.parse_args(argv)
    pages = saved_pages_in(args.folder) if args.folder.is_dir() else []
    if not pages:
        print(f"no saved pages ({', '.join(SAVED_PAGE_SUFFIXES)}) in {args.folder}",
              file=sys.stderr)
        return 2
    total = Fidelity()
    flagged = 0
    print(f"{'page':56} {'text kept':>10} {'images':>9} {'code lines':>11} {'leftovers':>9}")
    with Kramdown() as kramdown:
        for path in pages:
            result, flags, row = _measure_page(path, kramdown, args.min_text)
            if result is not None:
                total.add(result)
            flagged += bool(flags)
            print(row)
    print(f"{'total':56} {_row(total)}")
    return 1 if flagged else 0


def _measure_page(path: Path, kramdown: Kramdown,
                  min_text: float) -> tuple[Fidelity | None, list[str], str]:
    """The measure of the page saved in ``path`` (None if it is no article), what it is
    flagged for, and its row of the report."""
    try:
        saved = read_saved_page(path)
    except SavedPageError as error:
        return None, [], f"{path.name:56} not read: {error}"
    parsed = parse_page(saved.html, saved.url or path.absolute().as_uri(), saved.saved_at)
    if not isinstance(parsed, Article):
        return None, [], f"{path.name:56} not an article: {parsed.reason}"
    result = measure(parsed, kramdown)
    flags = [flag for flag, raised in (
        ("SUSPICIOUSLY SHORT", result.text_share < min_text),
        ("IMAGES MISSING", result.images_kept < result.images_source),
        ("LEFTOVERS", result.leftovers > 0),
    ) if raised]
    return result, flags, f"{path.name:56} {_row(result)}  {' '.join(flags)}".rstrip()


def _row(result: Fidelity) -> str:
    return (f"{result.text_share:>9.1%} {result.images_kept:>4}/{result.images_source:<4}"
            f" {result.code_lines_kept:>5}/{result.code_lines_source:<5} {result.leftovers:>9}")


if __name__ == "__main__":
    sys.exit(main())

"""How much of each saved WeChat page survives conversion: ``python -m crawler.fidelity DIR``.

For every saved page in DIR (``.html``, ``.htm``, ``.mhtml``) that parses as an article,
prints the share of the body's visible text found again in the Markdown, the content
images the post references, and the lines of its code blocks; then the totals. A post that
keeps less than ``--min-text`` of its text, or leaves out a content image, is flagged.
Pages that are not articles, or cannot be read, are listed and left out of the totals.
Exit status 1 when any page is flagged.

Images are counted as if every one had been downloaded, so that what is measured is the
converter, not the network.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass, fields
from pathlib import Path

import lxml.html

from crawler.markdown import INVISIBLE, to_markdown
from crawler.wechat import dom
from crawler.wechat.article import Article, PostType
from crawler.wechat.page import parse_page
from crawler.wechat.saved import (
    SAVED_PAGE_SUFFIXES,
    SavedPageError,
    read_saved_page,
    saved_pages_in,
)
from crawler.wechat.urls import image_stem

_HIDDEN = re.compile(r"display\s*:\s*none", re.I)
_NOT_TEXT = {"script", "style", "svg", "mp-style-type", "mp-common-profile", "noscript", "template"}
_MARKDOWN_ESCAPE = re.compile(r"\\([\\`*_\[\]{}<>|$#+\-=:.!()])")
_LIQUID_BRACE = '{{ "{" }}'
_SPACE = re.compile(r"\s+")
_FENCED = re.compile(r"^(`{3,})[^\n]*\n(.*?)\n\1$", re.S | re.M)


@dataclass
class Fidelity:
    text_source: int = 0
    text_kept: int = 0
    images_source: int = 0
    images_kept: int = 0
    code_lines_source: int = 0
    code_lines_kept: int = 0

    @property
    def text_share(self) -> float:
        return self.text_kept / self.text_source if self.text_source else 1.0

    def add(self, other: Fidelity) -> None:
        for name in (f.name for f in fields(self)):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def measure(article: Article) -> Fidelity:
    """Compare ``article``'s source body with the Markdown it converts to."""
    links = {url: f"{{{{site.baseurl}}}}/postimg/{image_stem(url)}.img" for url in article.image_urls}
    markdown = to_markdown(article, links)
    flat = _flatten(markdown)
    segments = _text_segments(article)
    images = _content_images(article)
    return Fidelity(
        text_source=sum(len(s) for s in segments),
        text_kept=sum(len(s) for s in segments if s in flat),
        images_source=len(images),
        images_kept=sum(1 for url in images if links.get(url, url) in markdown),
        code_lines_source=_source_code_lines(article),
        code_lines_kept=sum(len(m.group(2).split("\n")) for m in _FENCED.finditer(markdown)),
    )


def _flatten(markdown: str) -> str:
    """The Markdown's text as a reader sees it, without white space."""
    text = markdown.replace(_LIQUID_BRACE, "{")
    text = _MARKDOWN_ESCAPE.sub(r"\1", text).replace("&amp;", "&").replace("&#126;", "~")
    return _SPACE.sub("", text)


def _text_segments(article: Article) -> list[str]:
    """The visible text of the source, one piece per text node, without white space."""
    if not article.body_html:
        pieces = [article.text]
    else:
        root = dom.fragment(article.body_html)
        pieces = [t for t in root.xpath("//text()") if _visible(t.getparent())]
    segments = (_SPACE.sub("", INVISIBLE.sub("", p)) for p in pieces)
    return [s for s in segments if s]


def _visible(element: lxml.html.HtmlElement | None) -> bool:
    while element is not None:
        if not isinstance(element.tag, str) or element.tag in _NOT_TEXT:
            return False
        if _HIDDEN.search(element.get("style") or ""):
            return False
        element = element.getparent()
    return True


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawler.fidelity", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--min-text", type=float, default=0.95,
                        help="flag a post that keeps less of its text than this (default 0.95)")
    args = parser.parse_args(argv)
    pages = saved_pages_in(args.folder) if args.folder.is_dir() else []
    if not pages:
        print(f"no saved pages ({', '.join(SAVED_PAGE_SUFFIXES)}) in {args.folder}",
              file=sys.stderr)
        return 2
    total = Fidelity()
    flagged = 0
    print(f"{'page':56} {'text kept':>10} {'images':>9} {'code lines':>11}")
    for path in pages:
        try:
            saved = read_saved_page(path)
        except SavedPageError as error:
            print(f"{path.name:56} not read: {error}")
            continue
        parsed = parse_page(saved.html, saved.url or path.absolute().as_uri())
        if not isinstance(parsed, Article):
            print(f"{path.name:56} not an article: {parsed.reason}")
            continue
        result = measure(parsed)
        total.add(result)
        flags = [flag for flag, raised in (
            ("SUSPICIOUSLY SHORT", result.text_share < args.min_text),
            ("IMAGES MISSING", result.images_kept < result.images_source),
        ) if raised]
        flagged += bool(flags)
        print(f"{path.name:56} {_row(result)}  {' '.join(flags)}".rstrip())
    print(f"{'total':56} {_row(total)}")
    return 1 if flagged else 0


def _row(result: Fidelity) -> str:
    return (f"{result.text_share:>9.1%} {result.images_kept:>4}/{result.images_source:<4}"
            f" {result.code_lines_kept:>5}/{result.code_lines_source:<5}")


if __name__ == "__main__":
    sys.exit(main())

"""An ``Article`` → the Markdown body of its post. Pure.

The post is read by Liquid first, then by kramdown, so text from the article is made
literal for both (``crawler.convert.escaping``): for kramdown text node by text node, as
``crawler.convert.elements`` writes each element, for Liquid over the whole Markdown at once.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass

from lxml import etree

from crawler.convert.elements import WeChatConverter
from crawler.convert.escaping import escape_liquid
from crawler.wechat import dom
from crawler.wechat.article import Article, PostType
from crawler.wechat.shown import text_as_html
from crawler.wechat.svgdrawn import SvgDrawings

_LOCAL_LINK = re.compile("\0([0-9]+)\0")
# Not characters, and in no XML: the site's feed (``post.content | xml_escape``) holding one
# is unreadable to every feed reader. A reader sees nothing of them.
_NON_CHARACTERS = re.compile("[\ufffe\uffff]")


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
    converter = WeChatConverter(article_url=article.url, image_links=image_links,
                                bullet=style.bullet, cdn_hosts=style.cdn_hosts,
                                post_links=post_links or {})
    parts: list[str] = []
    if article.item_show_type == PostType.IMAGES:
        parts += [converter.image(url) for url in article.pictures]
    if article.text:
        parts.append(converter.convert(dom.fragment(text_as_html(_no_nul(article.text)))))
    if article.body_html:
        body, drawings = _body(article)
        parts.append(converter.convert(body, drawings))
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


def _body(article: Article) -> tuple[etree._Element, SvgDrawings | None]:
    """``article``'s body under one ``<div>``, as ``dom.fragment`` makes it of ``body_html``
    (its tail included): a copy of the tree the parser made when there is one, which costs
    a fraction of parsing the markup again, with the drawings of its SVGs read of the
    parser's (``SvgDrawings.of_copy``)."""
    if article.body is None:
        parsed: etree._Element = dom.fragment(_no_nul(article.body_html))
        return parsed, None
    root = etree.Element("div")  # plain lxml: no Python class lookup for each element read
    root.append(copy.deepcopy(article.body))
    if article.svg_drawings is None:
        return root, None
    return root, article.svg_drawings.of_copy(article.body, root[0])


def _no_nul(text: str) -> str:
    """Source text without NUL, which marks the stored-image links while converting."""
    return text.replace("\0", "")


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

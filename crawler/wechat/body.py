"""What an article's body leads to besides its text: the pictures a reader sees, in page
order, and the links to other articles and to albums, by which an account's archive grows.
"""

from __future__ import annotations

import re

import lxml.html
from lxml import etree

from crawler.wechat import jsvars
from crawler.wechat.shown import INVISIBLE, not_content, svg_pictures
from crawler.wechat.svgdrawn import SvgDrawings
from crawler.wechat.urls import (
    ARTICLE_HOST,
    BACKGROUND_HOLDERS,
    background_image_url,
    homepage_link,
    is_article_link,
    link_as_given,
    normalise_image_url,
    resolved,
    short_link_alone,
    web_url,
)
from crawler.wechat.urls import album_id as album_id_of
from crawler.wechat.widgets import ARTICLE_CARD, article_card

# A link to an article, an album or a homepage as a text writes it, up to the first character
# no WeChat link holds (a Chinese sentence goes on right after it); WeChat's host only: a
# text names other sites' links of that shape (a podcast's ``…/s/<name>`` in a real 2025 page).
_WRITTEN_LINK = re.compile(
    rf"https?://{re.escape(ARTICLE_HOST)}/(?:s/[A-Za-z0-9_-]+|"
    r"(?:s|mp/appmsg/show|mp/appmsgalbum|mp/homepage)\?[A-Za-z0-9_.~%=&;:+/?#-]+)")


def unlazy_backgrounds(content: lxml.html.HtmlElement) -> None:
    """Each CSS background a saved page's script had not yet shown, its picture again: WeChat's
    script (2024-) moves the picture's URL to ``data-lazy-bgimg`` and sets a blank GIF in its
    place until the element is scrolled to."""
    for element in content.xpath(".//*[@data-lazy-bgimg]"):
        lazy, style = element.get("data-lazy-bgimg", "").strip(), element.get("style", "")
        blank = background_image_url(style)
        if blank.startswith("data:") and lazy.startswith(("https://", "http://", "//")) \
                and not set(lazy) & set("()\"'\\"):
            element.set("style", style.replace(blank, lazy))


def links_resolved(linking: lxml.html.HtmlElement | None, base: str) -> None:
    """Each link and quote of an article in ``linking`` written without a scheme
    (``//mp.weixin.qq.com/s/…``) or as a path (``/s?__biz=…``) made whole against ``base``,
    the page's URL, as a browser follows it (``resolved``): the post links it, and it leads
    to its article as any link does."""
    for element in linking.iter("a", "blockquote") if linking is not None else ():
        name = "href" if element.tag == "a" else "data-url"
        value = (element.get(name) or "").strip()
        if (whole := resolved(value, base)) != value:
            element.set(name, whole)


def body_images(content: lxml.html.HtmlElement | None, drawings: SvgDrawings) -> tuple[str, ...]:
    """Images of the body in page order: ``<img>``s, and content backgrounds, an SVG's as
    its drawing in ``drawings`` shows them; not those in what is no content (CSS hides it, a
    script's): the post does not show them."""
    if content is None:
        return ()
    sources = []
    hidden = _Hidden(content)
    for element in content.iter("img", "svg", *BACKGROUND_HOLDERS):
        if element.tag == "img":
            if not hidden(element):
                sources.append(element.get("data-src") or element.get("src") or "")
        elif element.tag == "svg":  # an outermost one: one inside another is in what is hidden
            if (parent := element.getparent()) is not None and not hidden(parent):
                sources += svg_pictures(element, drawings)
        elif (background := background_image_url(element.get("style", ""))) \
                and next(element.iter("img"), None) is None and not hidden(element) \
                and not _shows_text(element):
            sources.append(background)
    urls = (normalise_image_url(s) for s in sources if s.strip())
    return tuple(u for u in urls if u.startswith(("http://", "https://")))


class _Hidden:
    """Whether a picture below ``content`` is in what its post does not show as pictures:
    what is no content (``not_content``), a code block (its text) or a formula (its LaTeX).
    Its ancestors are asked once each: a page's few pictures, not its thousand elements."""

    def __init__(self, content: etree._Element):
        self.content = content
        self.known: dict[etree._Element, bool] = {}

    def __call__(self, element: etree._Element) -> bool:
        chain: list[etree._Element] = []
        node: etree._Element | None = element
        while node is not None and node is not self.content and node not in self.known:
            chain.append(node)
            node = node.getparent()
        hidden = self.known.get(node, False) if node is not None else False
        for above in reversed(chain):
            hidden = hidden or above.tag == "pre" or "data-formula" in above.attrib \
                or not_content(above)
            self.known[above] = hidden
        return hidden


def _shows_text(element: etree._Element) -> bool:
    """Whether a reader sees text in ``element``, as its post would show it: not that of
    what is no content, nor invisible characters (a zero-width space)."""
    texts = [element.text]
    walk = etree.iterwalk(element, events=("start",))
    for _, child in walk:
        if child is element:
            continue
        texts.append(child.tail)
        if isinstance(child.tag, str) and not not_content(child):
            texts.append(child.text)
        else:
            walk.skip_subtree()
    return bool(INVISIBLE.sub("", "".join(text for text in texts if text)).strip())


def album_links(content: lxml.html.HtmlElement | None, written: list[str]) -> tuple[str, ...]:
    """Album pages the body links to (``<a href="…/mp/appmsgalbum?…album_id=…"
    data-linktype="2">``, or ``written`` out in its text: ``written_links``), as given."""
    if content is None:
        return ()
    hrefs = (link_as_given(href) for href in [*(a.get("href", "") for a in content.iter("a")), *written])
    return _unique(tuple(href for href in hrefs
                         if "appmsgalbum" in href and web_url(href) and album_id_of(href)))


def homepage_links(content: lxml.html.HtmlElement | None, written: list[str], base: str) -> tuple[str, ...]:
    """Account homepages (主页) the body links to (or ``written`` out in its text), each as
    ``homepage_link`` gives it on a page at ``base``."""
    if content is None:
        return ()
    hrefs = [*(a.get("href", "") for a in content.iter("a")), *written]
    links = (homepage_link(href, base) for href in hrefs if "homepage" in href)
    return _unique(tuple(link for link in links if link))


def article_links(content: lxml.html.HtmlElement | None, written: list[str], info: jsvars.Fields,
                  *more: str, base: str) -> tuple[str, ...]:
    """Links to articles in the body (and the articles it quotes: ``<blockquote
    data-url="…">``, and its article cards), the album's previous and next article (``info``, the
    ``appmsgalbuminfo`` of ``cgiDataNew``), then ``more`` (阅读原文, a shared article), as given
    (a short link as ``/s/<token>`` alone, on the page's scheme on its host; one without a
    scheme, or a path, read against ``base``, the page's URL);
    links to WeChat articles ``written`` out in its text too."""
    hrefs = [_link_of(element) for element in content.iter("a", "blockquote", ARTICLE_CARD)] \
        if content is not None else []
    hrefs += written
    hrefs += [info.get("pre_article_link"), info.get("next_article_link"), *more]
    links = (short_link_alone(resolved(link_as_given(href), base), base) for href in hrefs if href)
    return _unique(tuple(link for link in links if is_article_link(link)))


def written_links(content: lxml.html.HtmlElement | None) -> list[str]:
    """Links to articles, albums and homepages written out in the text, which WeChat shows as
    text, no ``<a>`` (the real 2021 text post ``article_textpost_ruanyifeng_2021.html`` ends
    in one), without the marks a sentence puts after them."""
    text = content.text_content() if content is not None else ""
    return [found.group().rstrip(".:;?") for found in _WRITTEN_LINK.finditer(text)] \
        if ARTICLE_HOST in text else []


def _link_of(element: etree._Element) -> str:
    """Where a link, a quote of an article or an article card leads."""
    if element.tag == ARTICLE_CARD:
        return article_card(element.get("data-article-data", ""))[1]
    return element.get("href" if element.tag == "a" else "data-url", "")


def _unique(urls: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(urls))

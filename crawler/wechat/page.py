"""A WeChat page's HTML → ``Article``, or ``NotAnArticle`` saying which error page it is.

Pure: takes the page and the URL it came from, touches nothing else. Works on the
2018 classic template, the 2025–2026 template (metadata in inline scripts, image and text
posts in ``window.cgiDataNew``), and pages whose scripts were stripped (DOM only).
"""

from __future__ import annotations

import codecs
import html
import json
import logging
import re
from datetime import datetime
from urllib.parse import unquote

import lxml.html
from lxml import etree
from lxml.etree import ParserError

from crawler.wechat import dates, dom, jsvars
from crawler.wechat.article import Album, Article, NotAnArticle, PageReason, PostType
from crawler.wechat.body import (
    album_links,
    article_links,
    body_images,
    homepage_links,
    links_resolved,
    unlazy_backgrounds,
    written_links,
)
from crawler.wechat.errorpage import not_an_article
from crawler.wechat.shown import shown_text, shows_no_character
from crawler.wechat.svgdrawn import SvgDrawings
from crawler.wechat.texttitle import shows_nothing, starts_with, title_from_text, title_of_body
from crawler.wechat.urls import album_id as album_id_of
from crawler.wechat.urls import (
    article_ids_from_url,
    canonical_article_url,
    has_ids,
    normalise_image_url,
    page_base,
    resolved,
    short_link_alone,
    web_url,
    without_tracking,
)

logger = logging.getLogger(__name__)

_MODULE = re.compile(rb"<script[^>]*>\s*var __INLINE_SCRIPT__\b")


def parse_page(page: bytes | str, url: str, seen_at: datetime | None = None) -> Article | NotAnArticle:
    """Parse one fetched page. ``url`` is where it was fetched from (used only as a fallback);
    ``seen_at``, when a browser rendered it (a saved page's date), dates a page that shows
    only a relative publish time (``4天前``) to the day.

    ``page`` is best given as the UTF-8 bytes WeChat sent: only its DOM (a few percent of
    it) and the literals that are read get decoded, not the 2-4 MB of inline scripts.
    A page this parser fails on, whatever the failure, is ``NotAnArticle("unparseable")``:
    one page can never stop a crawl or a rebuild.
    """
    try:
        return _parse(page, url, seen_at)
    except Exception as error:
        logger.debug("The parser failed on %s", url, exc_info=error)  # for whoever mends it
        return NotAnArticle.because(PageReason.UNPARSEABLE, f"{type(error).__name__}: {error}")


def _parse(page: bytes | str, url: str, seen_at: datetime | None) -> Article | NotAnArticle:
    if isinstance(page, str):
        page = page.encode("utf-8", "replace")
    markup, page = _split(page)  # from here on, the page without WeChat's own code
    try:
        doc = dom.document(markup)
    except (ParserError, ValueError):
        return NotAnArticle.because(PageReason.UNKNOWN, "empty or not HTML")
    cgi_text, cgi = jsvars.object_fields(page, "window.cgiDataNew")
    content = _by_id(doc, "js_content")
    base = page_base(url)
    if content is not None:
        unlazy_backgrounds(content)
        links_resolved(content, base)
    drawings = SvgDrawings()  # of the body's SVGs, which the tagger reads again
    show_type = jsvars.number(_meta(page, cgi, "item_show_type")) or PostType.ARTICLE
    title = _meta(page, cgi, "msg_title", "title") or _text(_by_id(doc, "activity-name")) \
        or _meta_tag(doc, "og:title")
    share = _by_id(doc, "js_share_source", having="data-url")
    shared = web_url(_article_url(resolved(share.get("data-url", "").strip(), base))) \
        if share is not None else ""
    text = _post_text(cgi_text, cgi, show_type) or (_share_notice(page, doc) if share is not None else "")
    if not title or (show_type == PostType.TEXT and starts_with(text, title)):
        title = title_from_text(text or title)
    if content is None and (not text or not title):
        return not_an_article(page, doc)
    if shows_nothing(title):
        shown = shown_text(content, drawings=drawings) if content is not None else ""
        # nothing shown, on a page that says why it holds no article: that page, not a post
        if not shown.strip() and (instead := not_an_article(page, doc)).reason != PageReason.UNKNOWN:
            return instead
        title = title_of_body(shown)

    ids = _ids(page, cgi, doc, url)
    # a name that shows nothing (zero-width characters) is none: the next the page gives
    names = (lambda: _meta(page, cgi, "nickname", "nick_name"), lambda: _text(_by_id(doc, "js_name")),
             lambda: _meta_tag(doc, "og:article:author"))
    account = next((name for read in names if not shows_no_character(name := read())), "")
    album = jsvars.top_level_fields(jsvars.object_literal(cgi_text, "appmsgalbuminfo"))
    shown = _text(_by_id(doc, "publish_time", "post-date"))
    published = dates.published(page, cgi) or dates.shown_publish_time(shown)
    relative = dates.relative_publish_day(shown, seen_at) if published is None and seen_at else None
    body_html = etree.tostring(content, method="html", encoding="unicode") \
        if content is not None and show_type not in (PostType.IMAGES, PostType.TEXT) else ""
    pictures = _pictures(cgi_text) if show_type == PostType.IMAGES else ()
    # what holds the post's links: its body, or an image or text post's text (markup too)
    linking = content if body_html else dom.fragment(text) if text else None
    if linking is not content:
        links_resolved(linking, base)
    written = written_links(linking)
    return Article(
        url=canonical_article_url(ids["__biz"], ids["mid"], ids["idx"], ids.get("sn", ""))
        if has_ids(ids) else without_tracking(url),
        title=title,
        account=account,
        account_id=_meta(page, cgi, "user_name", "user_name"),
        published=published or relative,
        published_shown=shown if relative else "",
        body_html=body_html,
        body=content if body_html else None,
        svg_drawings=drawings if body_html else None,
        biz=ids.get("__biz", ""),
        mid=ids.get("mid", ""),
        idx=ids.get("idx", ""),
        sn=ids.get("sn", ""),
        copyright_stat=_copyright_stat(page, cgi, doc),
        item_show_type=show_type,
        albums=_albums(page, cgi_text, album, doc, account),
        album_links=album_links(linking, written),
        homepage_links=homepage_links(linking, written, base),
        short_link=short_link_alone(web_url(_meta(page, cgi, "short_link")), base),
        pictures=pictures,
        text=text,
        source_url=web_url(resolved(_meta(page, cgi, "msg_source_url", "source_url").strip(), base)),
        share_source_url=shared,
        share_source_title=_text(_by_id(doc, "original_panel_title")) if share is not None else "",
        image_urls=tuple(dict.fromkeys(pictures + body_images(content if body_html else None, drawings))),
        links=article_links(linking, written, album,
                            _meta(page, cgi, "msg_source_url", "source_url"),
                            _appmsg_link(page, cgi_text)
                            if show_type in (PostType.IMAGES, PostType.TEXT) else "", shared,
                            *(_shared_links(page, cgi, base) if share is not None
                              else (_reprint_url(cgi_text),)), base=base),
    )


def as_utf8(body: bytes, encoding: str) -> bytes:
    """A fetched page in UTF-8, as WeChat always sends it: re-encoded only if it is not."""
    if codecs.lookup(encoding).name == "utf-8":
        return body
    return body.decode(encoding, "replace").encode("utf-8")


def _meta(page: bytes, cgi: jsvars.Fields, var_name: str, cgi_name: str | None = None) -> str:
    """A value from the ``cgiDataNew`` object, else from ``var NAME = …`` in the page.

    2025-2026 pages carry all of it in ``cgiDataNew``, read in one walk; looking for a
    ``var`` means scanning the whole page, which is needed only on older (small) pages.
    """
    name = cgi_name or var_name
    return cgi.get(name, "") if name in cgi else jsvars.var(page, var_name)


def _copyright_stat(page: bytes, cgi: jsvars.Fields, doc: lxml.html.HtmlElement) -> int | None:
    """The page's ``copyright_stat``; in a page saved without its scripts (Chrome's MHTML
    keeps none), 1 when it shows the 原创 mark, which WeChat shows on original articles only."""
    stat = jsvars.number(_meta(page, cgi, "copyright_stat") or jsvars.var(page, "_copyright_stat"))
    if stat is None and "原创" in _text(_by_id(doc, "copyright_logo")):
        return 1
    return stat


def _ids(page: bytes, cgi: jsvars.Fields, doc: lxml.html.HtmlElement, url: str) -> dict[str, str]:
    ids = {
        "__biz": _meta(page, cgi, "biz", "bizuin"),
        "mid": _meta(page, cgi, "mid"),
        "idx": _meta(page, cgi, "idx"),
        "sn": _meta(page, cgi, "sn"),
    }
    ids = {k: v for k, v in ids.items() if v}
    fallbacks = (lambda: _meta_tag(doc, "og:url"), lambda: jsvars.var(page, "msg_link"), lambda: url,
                 lambda: _qr_code_link(doc))
    for fallback in fallbacks:
        if has_ids(ids):
            break
        found = article_ids_from_url(fallback() or "")
        if has_ids(found):
            ids = found
    return ids


def _qr_code_link(doc: lxml.html.HtmlElement) -> str:
    """The link of the page's QR code (``/mp/qrcode?…&__biz=…&mid=…&idx=…&sn=…``), which
    its scripts set: what names the article in a page saved without them (Chrome's MHTML)
    when it was opened by its short link, the only link its markup then names."""
    image = _by_id(doc, "js_pc_qr_code_img", "js_profile_qrcode_img")
    return image.get("src", "") if image is not None else ""


def _albums(page: bytes, cgi_text: bytes, info: jsvars.Fields,
            doc: lxml.html.HtmlElement, account: str) -> tuple[Album, ...]:
    """The albums a page names, each once, in the order first named, from all the places
    pages name them: ``album_info_list``, ``window.cgiDataNew`` (2025-2026: ``info`` is its
    ``appmsgalbuminfo``), the tags under the body (older pages) and the audio cards of
    ``account``'s own audio."""
    found: dict[str, Album] = {}

    def add(album_id: str, title: str, count: str) -> None:
        album_id = album_id.strip()
        if album_id.isascii() and album_id.isdigit():
            known = found.get(album_id)
            found[album_id] = Album(album_id, (known.title if known else "") or title.strip(),
                                    (known.count if known else None) or jsvars.number(count))

    # an item's link names its album too: WeChat's own template reads the id from it
    for item in jsvars.array_items(page, "album_info_list"):
        fields = jsvars.top_level_fields(item)
        add(fields.get("albumId") or album_id_of(fields.get("link")), fields.get("title"), fields.get("size"))
    add(info.get("album_id"), info.get("title"), info.get("content_size"))
    for item in jsvars.array_items(jsvars.object_literal(cgi_text, "public_tag_info"), "tags"):
        fields = jsvars.top_level_fields(item)
        add(fields.get("album_id") or album_id_of(fields.get("tag_link")), fields.get("tag_name"),
            fields.get("tag_content_num"))
    for link in doc.xpath('//a[contains(@href, "appmsgalbum")]'  # few: then their ancestors
                          '[ancestor::*[@id="js_tags" or contains(@class, "article-tag__list")]]'):
        number = link.xpath('string(following-sibling::*[contains(@class, "item-num")][1])')
        add(album_id_of(link.get("href", "")), link.text_content().lstrip("#"),
            re.sub(r"\D", "", number))
    # 2023-2024 server pages: ``var publicTagInfo = [{title: …, size: "12" * 1, albumId: …}]``
    # (a public capture of such a page; the shared 2024 page has it empty).
    for item in jsvars.array_items(page, "publicTagInfo"):
        fields = jsvars.top_level_fields(item)
        add(fields.get("albumId") or album_id_of(fields.get("link")), fields.get("title"),
            fields.get("size"))
    # 2021 pages: ``<span class="article-tag__item-wrp js_tag" data-url="…appmsgalbum…"
    # data-album_id="…"><span class="article-tag__item">#名</span>`` with the count in
    # ``.article-tag__item-num`` or, for a page in one album, ``.article-tag-card__right``
    # ("49个"), as a public capture of a 2021-11-26 page shows.
    tags = doc.xpath('//*[@class and contains(@class, "article-tag__item-wrp")]')
    for tag in tags:
        number = tag.xpath('string(.//*[contains(@class, "article-tag__item-num")])')
        if not number.strip() and len(tags) == 1:
            number = tag.xpath('string(//*[contains(@class, "article-tag-card__right")])')
        name = tag.xpath('string(.//*[contains(@class, "article-tag__item")]'
                         '[not(contains(@class, "item-num"))])')
        add(tag.get("data-album_id") or album_id_of(tag.get("data-url", "")),
            name.strip().lstrip("#"), re.sub(r"\D", "", number))
    # An audio series (音频合集) is named only on its audio's card, ``<mp-common-mpaudio
    # data-topic_id=… data-topic_name=… author=…>`` (article_audio_mpvoice_jinbang_2025.html),
    # and WeChat's script opens it as the album ``appmsgalbuminfo`` links. Its account is
    # the audio's: another account's audio names another account's album.
    for audio in doc.iter("mp-common-mpaudio"):  # libxml2's walk by name: an XPath takes 70x
        if account and audio.get("data-topic_id") and audio.get("author", "").strip() == account:
            add(audio.get("data-topic_id"), audio.get("data-topic_name", ""), "")
    return tuple(found.values())


def _appmsg_link(page: bytes, cgi_text: bytes) -> str:
    """The article an image or text post shares (``appmsg_link.content_url``), as the page
    states it: ``appmsg_link: {…}`` in ``cgiDataNew`` or ``window.appmsg_link = {…}``, in
    JavaScript or JSON notation (no captured page has one filled in; both are read)."""
    for literal in (jsvars.object_literal(cgi_text, "appmsg_link"),
                    jsvars.object_literal(page, "window.appmsg_link")):
        try:
            value = json.loads(literal.decode("utf-8", "replace"))
            url = value.get("content_url") if isinstance(value, dict) else None
        except ValueError:
            url = jsvars.top_level_fields(literal).get("content_url")
        if isinstance(url, str) and url:
            return url
    return ""


def _reprint_url(cgi_text: bytes) -> str:
    """The original a reprint (``copyright_stat`` 2) reprints, as ``cgiDataNew`` names it
    (``copyright_info.reprint_url``); the page links it nowhere else. A share page's is the
    article it shares, which ``js_share_source`` names already."""
    return jsvars.top_level_fields(jsvars.object_literal(cgi_text, "copyright_info")).get("reprint_url")


def _shared_links(page: bytes, cgi: jsvars.Fields, base: str) -> tuple[str, ...]:
    """The links of the article a share page shares: its body is in the page for WeChat's
    script to show under the share, in ``content_noencode`` of ``cgiDataNew`` (2025-2026)
    or ``<script id="content_tpl" type="text/html">``."""
    body = cgi.markup("content_noencode")
    start = page.find(b'id="content_tpl"') if not body else -1
    if start >= 0 and (opened := page.find(b">", start)) >= 0:
        closed = page.find(b"</script>", opened)
        body = page[opened + 1:closed if closed >= 0 else len(page)].decode("utf-8", "replace")
    if not body.strip():
        return ()
    shared = dom.fragment(body)
    links_resolved(shared, base)
    return article_links(shared, written_links(shared), jsvars.Fields(), base=base)


def _pictures(cgi_text: bytes) -> tuple[str, ...]:
    """The pictures of an image post, in order (not their watermark or share-cover variants)."""
    urls = (jsvars.top_level_fields(item).get("cdn_url", "")
            for item in jsvars.array_items(cgi_text, "picture_page_info_list"))
    return tuple(normalise_image_url(u) for u in urls if u)


def _post_text(cgi_text: bytes, cgi: jsvars.Fields, show_type: int) -> str:
    """An image or text post's text, as the HTML it is (its topic tags and links markup)."""
    if show_type == PostType.TEXT:
        text_info = jsvars.top_level_fields(jsvars.object_literal(cgi_text, "text_page_info"))
        return text_info.markup("content_noencode") or cgi.markup("content_noencode")
    if show_type == PostType.IMAGES:
        return cgi.markup("content_noencode") or cgi.markup("desc")
    return ""


def _share_notice(page: bytes, doc: lxml.html.HtmlElement) -> str:
    """What the sharing account wrote above a shared article (set by a script, or rendered),
    as HTML."""
    notice = jsvars.assigned(page, "document.getElementById('js_share_notice').innerHTML",
                             markup=True)
    return notice or html.escape(_text(_by_id(doc, "js_share_notice")), quote=False)


def _article_url(url: str) -> str:
    """An article link in canonical form when it carries the ids, else as given."""
    ids = article_ids_from_url(unquote(url))
    if has_ids(ids):
        return canonical_article_url(ids["__biz"], ids["mid"], ids["idx"], ids.get("sn", ""))
    return url


def _split(page: bytes) -> tuple[bytes, bytes]:
    """The page without its ``<script>`` elements (its DOM: a few percent of a 2-4 MB page),
    and the page without the scripts that are WeChat's own code (where its values are
    looked for).

    WeChat inlines its code, the same in every page, as modules ``var __INLINE_SCRIPT__ =
    (function …``: 11-17 in each 2024-2026 page of ``../shared/fixtures/wechat/``, 2.8 MB
    of the largest page's 4.0 MB. The page's own values (``var ct``, ``short_link``,
    ``album_info_list``, ``window.cgiDataNew``) are in its other scripts; each value looked
    for is one scan of the page, a third as long without the modules.
    """
    markup: list[bytes] = []
    modules: list[tuple[int, int]] = []
    pos = 0
    while (start := page.find(b"<script", pos)) >= 0:
        markup.append(page[pos:start])
        end = _script_end(page, start)
        if end < 0:
            return b"".join(markup), _without(page, modules)
        pos = end + len(b"</script>")
        if _MODULE.match(page, start):
            modules.append((start, pos))
    markup.append(page[pos:])
    return b"".join(markup), _without(page, modules)


def _script_end(page: bytes, start: int) -> int:
    """Where the first ``</script>`` after ``start`` is, or -1.

    Found by its ``<``: ``find`` of one byte is ``memchr``, some ten times as fast over
    script as ``find`` of ``</script>`` (whose bytes are those script is written in), and a
    page's script holds a ``<`` every few kilobytes. Where they are denser than
    ``_SPARSE`` bytes apart (hostile, or minified markup), each would be a step in Python:
    the rest is left to ``find``.
    """
    pos, steps = page.find(b"<", start), 0
    while pos >= 0 and not page.startswith(b"/script>", pos + 1):
        steps += 1
        if steps > _FEW and steps * _SPARSE > pos - start:
            return page.find(b"</script>", pos)
        pos = page.find(b"<", pos + 1)
    return pos


_FEW, _SPARSE = 16, 256


def _without(page: bytes, spans: list[tuple[int, int]]) -> bytes:
    """``page`` without the (start, end) ``spans``, in order; ``page`` itself when none."""
    if not spans:
        return page
    view, kept, pos = memoryview(page), [], 0
    for start, end in spans:
        kept.append(view[pos:start])
        pos = end
    kept.append(view[pos:])
    return b"".join(kept)


def _by_id(doc: lxml.html.HtmlElement, *ids: str, having: str = "") -> lxml.html.HtmlElement | None:
    """The first element in page order whose ``id`` is one of ``ids`` (and that has the
    attribute ``having``, when given).

    libxml2's index of ids answers at once, where ``//*[@id=…]`` walks the whole page. The
    index holds the first element of each id (or an ``<a name>`` of that name): only when one
    of those is not what is asked for is the page walked.
    """
    indexed = doc.xpath(f'id("{" ".join(ids)}")')
    if all(element.get("id") in ids and (not having or element.get(having) is not None)
           for element in indexed):
        return indexed[0] if indexed else None
    found = doc.xpath("//*[" + " or ".join(f'@id="{name}"' for name in ids) + "]"
                      + (f"[@{having}]" if having else ""))
    return found[0] if found else None


def _text(element: lxml.html.HtmlElement | None) -> str:
    return re.sub(r"\s+", " ", element.text_content()).strip() if element is not None else ""


def _meta_tag(doc: lxml.html.HtmlElement, prop: str) -> str:
    # Some savers rewrite ``content=`` to ``value=``; read either.
    for meta in doc.xpath(f'//meta[@property="{prop}" or @name="{prop}"]'):
        value = meta.get("content") or meta.get("value") or ""
        if value.strip():
            return value.strip()
    return ""

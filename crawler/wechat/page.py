"""A WeChat page's HTML → ``Article``, or ``NotAnArticle`` saying which error page it is.

Pure: takes the page and the URL it came from, touches nothing else. Works on the
2018 classic template, the 2025–2026 template (metadata in inline scripts, image and text
posts in ``window.cgiDataNew``), and pages whose scripts were stripped (DOM only).
"""

from __future__ import annotations

import codecs
import re
from datetime import datetime
from urllib.parse import unquote

import lxml.html
from lxml.etree import ParserError

from crawler.wechat import dom, jsvars
from crawler.wechat.article import CHINA_TIME, Album, Article, NotAnArticle, PageReason, PostType
from crawler.wechat.urls import (
    BACKGROUND_HOLDERS,
    article_ids_from_url,
    background_image_url,
    canonical_article_url,
    has_ids,
    is_article_link,
    link_as_given,
    normalise_image_url,
    web_url,
    without_tracking,
)
from crawler.wechat.urls import (
    album_id as album_id_of,
)

# Checked in order; the first whose marker appears in the page's visible text wins.
_ERROR_MARKERS: tuple[tuple[PageReason, tuple[str, ...]], ...] = (
    (PageReason.VERIFICATION, ("环境异常", "完成验证后即可继续访问", "Environment abnormal")),
    (PageReason.DELETED, ("该内容已被发布者删除", "deleted by the author", "deleted by the publisher")),
    (PageReason.VIOLATION, ("此内容因违规无法查看", "违反相关法律法规", "violat")),
    (PageReason.UNAVAILABLE, ("该内容暂时无法查看", "temporarily unavailable")),
    (PageReason.EXPIRED, ("链接已过期", "link has expired")),
    (PageReason.BAD_PARAMS, ("参数错误", "Invalid parameter")),
)
_VERIFY_PAGE = re.compile(rb"secitptpage/verify|wappoc_appmsgcaptcha")
_VERIFY_MARKERS = tuple(marker.encode() for marker in _ERROR_MARKERS[0][1])
LARGEST_VERIFICATION_PAGE = 512 * 1024
_SHOWN_TIME = re.compile(r"(\d{4})[年-](\d{1,2})[月-](\d{1,2})日?(?:\s*(\d{1,2}):(\d{2}))?")


def parse_page(page: bytes | str, url: str) -> Article | NotAnArticle:
    """Parse one fetched page. ``url`` is where it was fetched from (used only as a fallback).

    ``page`` is best given as the UTF-8 bytes WeChat sent: only its DOM (a few percent of
    it) and the literals that are read get decoded, not the 2-4 MB of inline scripts.
    A page this parser fails on, whatever the failure, is ``NotAnArticle("unparseable")``:
    one page can never stop a crawl or a rebuild.
    """
    try:
        return _parse(page, url)
    except Exception as error:
        return NotAnArticle.because(PageReason.UNPARSEABLE, f"{type(error).__name__}: {error}")


def _parse(page: bytes | str, url: str) -> Article | NotAnArticle:
    if isinstance(page, str):
        page = page.encode("utf-8", "replace")
    try:
        doc = dom.document(_without_scripts(page).decode("utf-8", "replace"))
    except (ParserError, ValueError):
        return NotAnArticle(PageReason.UNKNOWN, "the page is empty or not HTML")
    cgi_text = jsvars.object_literal(page, "window.cgiDataNew")
    cgi = jsvars.top_level_fields(cgi_text)
    content = _first(doc, 'id("js_content")')  # libxml2's index of ids: the first, at once
    show_type = _int(_meta(page, cgi, "item_show_type")) or PostType.ARTICLE
    title = _meta(page, cgi, "msg_title", "title") or _text(doc, '//*[@id="activity-name"]') \
        or _meta_tag(doc, "og:title")
    share = _first(doc, '//*[@id="js_share_source"][@data-url]')
    text = _post_text(cgi_text, cgi, show_type) or (_share_notice(page, doc) if share is not None else "")
    title = title or _title_from_text(text)
    if not title or (content is None and not text):
        return _not_an_article(page, doc)

    ids = _ids(page, cgi, doc, url)
    body_html = lxml.html.tostring(content, encoding="unicode") \
        if content is not None and show_type not in (PostType.IMAGES, PostType.TEXT) else ""
    pictures = _pictures(cgi_text) if show_type == PostType.IMAGES else ()
    return Article(
        url=canonical_article_url(ids["__biz"], ids["mid"], ids["idx"], ids.get("sn", ""))
        if has_ids(ids) else without_tracking(url),
        title=title,
        account=_meta(page, cgi, "nickname", "nick_name") or _text(doc, '//*[@id="js_name"]')
        or _meta_tag(doc, "og:article:author"),
        account_id=_meta(page, cgi, "user_name", "user_name"),
        published=_published(page, cgi) or _shown_publish_time(doc),
        body_html=body_html,
        biz=ids.get("__biz", ""),
        mid=ids.get("mid", ""),
        idx=ids.get("idx", ""),
        sn=ids.get("sn", ""),
        author=_meta(page, cgi, "author", "author"),
        copyright_stat=_int(_meta(page, cgi, "copyright_stat") or jsvars.var(page, "_copyright_stat")),
        item_show_type=show_type,
        albums=_albums(page, cgi_text, doc),
        pictures=pictures,
        text=text,
        source_url=web_url(_meta(page, cgi, "msg_source_url", "source_url")),
        share_source_url=web_url(_article_url(share.get("data-url", ""))) if share is not None else "",
        share_source_title=_text(doc, '//*[@id="original_panel_title"]') if share is not None else "",
        image_urls=_unique(pictures + _body_images(content if body_html else None)),
        links=_links(content if body_html else dom.fragment(text) if text else None, cgi_text),
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


def _published(page: bytes, cgi: jsvars.Fields) -> datetime | None:
    candidates = (lambda: cgi.get("ori_create_time", ""), lambda: cgi.get("create_time", ""),
                  lambda: jsvars.var(page, "ct"), lambda: jsvars.var(page, "create_time"))
    for candidate in candidates:  # in turn: each var lookup scans the page
        stamp = _int(candidate())
        if stamp and stamp > 0:
            try:
                return datetime.fromtimestamp(stamp, CHINA_TIME)
            except (OverflowError, OSError, ValueError):  # beyond what a date can hold
                return None
    return None


def _shown_publish_time(doc: lxml.html.HtmlElement) -> datetime | None:
    """The publish time the page shows (``2024年12月18日 18:08``, ``2018-03-20``), in China
    time: all that is left of it in a page a browser saved without its scripts."""
    shown = _text(doc, '//*[@id="publish_time" or @id="post-date"]')
    match = _SHOWN_TIME.search(shown)
    if not match:
        return None
    year, month, day, hour, minute = (int(part) if part else 0 for part in match.groups())
    try:
        return datetime(year, month, day, hour, minute, tzinfo=CHINA_TIME)
    except ValueError:
        return None


def _ids(page: bytes, cgi: jsvars.Fields, doc: lxml.html.HtmlElement, url: str) -> dict[str, str]:
    ids = {
        "__biz": _meta(page, cgi, "biz", "bizuin"),
        "mid": _meta(page, cgi, "mid"),
        "idx": _meta(page, cgi, "idx"),
        "sn": _meta(page, cgi, "sn"),
    }
    ids = {k: v for k, v in ids.items() if v}
    fallbacks = (lambda: _meta_tag(doc, "og:url"), lambda: jsvars.var(page, "msg_link"), lambda: url)
    for fallback in fallbacks:
        if has_ids(ids):
            break
        found = article_ids_from_url(fallback() or "")
        if has_ids(found):
            ids = found
    return ids


def _albums(page: bytes, cgi_text: bytes, doc: lxml.html.HtmlElement) -> tuple[Album, ...]:
    """The albums a page names, each once, in the order first named, from all three places
    pages name them: ``album_info_list``, ``window.cgiDataNew`` (2025-2026) and the tags
    under the body (older pages)."""
    found: dict[str, Album] = {}

    def add(album_id: str, title: str, count: str) -> None:
        album_id = album_id.strip()
        if album_id.isascii() and album_id.isdigit():
            known = found.get(album_id)
            found[album_id] = Album(album_id, (known.title if known else "") or title.strip(),
                                    (known.count if known else None) or _int(count))

    for item in jsvars.array_items(page, "album_info_list"):
        fields = jsvars.top_level_fields(item)
        add(fields.get("albumId"), fields.get("title"), fields.get("size"))
    info = jsvars.top_level_fields(jsvars.object_literal(cgi_text, "appmsgalbuminfo"))
    add(info.get("album_id"), info.get("title"), info.get("content_size"))
    for item in jsvars.array_items(jsvars.object_literal(cgi_text, "public_tag_info"), "tags"):
        fields = jsvars.top_level_fields(item)
        add(fields.get("album_id"), fields.get("tag_name"), fields.get("tag_content_num"))
    for link in doc.xpath('//a[contains(@href, "appmsgalbum")]'  # few: then their ancestors
                          '[ancestor::*[@id="js_tags" or contains(@class, "article-tag__list")]]'):
        number = link.xpath('string(following-sibling::*[contains(@class, "item-num")][1])')
        add(album_id_of(link.get("href", "")), link.text_content().lstrip("#"),
            re.sub(r"\D", "", number))
    return tuple(found.values())


def _links(content: lxml.html.HtmlElement | None, cgi_text: bytes) -> tuple[str, ...]:
    """Links to articles in the body, then the album's previous and next article, as given."""
    hrefs = [a.get("href", "") for a in content.iter("a")] if content is not None else []
    info = jsvars.top_level_fields(jsvars.object_literal(cgi_text, "appmsgalbuminfo"))
    hrefs += [info.get("pre_article_link"), info.get("next_article_link")]
    links = (link_as_given(href) for href in hrefs if href)
    return _unique(tuple(link for link in links if is_article_link(link)))


def _pictures(cgi_text: bytes) -> tuple[str, ...]:
    """The pictures of an image post, in order (not their watermark or share-cover variants)."""
    urls = (jsvars.top_level_fields(item).get("cdn_url", "")
            for item in jsvars.array_items(cgi_text, "picture_page_info_list"))
    return tuple(normalise_image_url(u) for u in urls if u)


def _post_text(cgi_text: bytes, cgi: jsvars.Fields, show_type: int) -> str:
    if show_type == PostType.TEXT:
        text_info = jsvars.top_level_fields(jsvars.object_literal(cgi_text, "text_page_info"))
        return text_info.get("content_noencode") or cgi.get("content_noencode", "")
    if show_type == PostType.IMAGES:
        return cgi.get("content_noencode") or cgi.get("desc", "")
    return ""


def _share_notice(page: bytes, doc: lxml.html.HtmlElement) -> str:
    """What the sharing account wrote above a shared article (set by a script, or rendered)."""
    notice = jsvars.assigned(page, "document.getElementById('js_share_notice').innerHTML")
    return notice or _text(doc, '//*[@id="js_share_notice"]')


def _article_url(url: str) -> str:
    """An article link in canonical form when it carries the ids, else as given."""
    ids = article_ids_from_url(unquote(url))
    if has_ids(ids):
        return canonical_article_url(ids["__biz"], ids["mid"], ids["idx"], ids.get("sn", ""))
    return url


def _title_from_text(text: str, limit: int = 30) -> str:
    """What WeChat shows for a text post without a title: the start of its first line
    (its text: the field may hold markup, a topic tag say)."""
    first_line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if "<" in first_line:
        first_line = dom.fragment(first_line).text_content().strip()
    return first_line if len(first_line) <= limit else first_line[:limit] + "…"


def _body_images(content: lxml.html.HtmlElement | None) -> tuple[str, ...]:
    """Images of the body in page order: ``<img>``s, and content backgrounds."""
    if content is None:
        return ()
    sources = []
    for element in content.iter("img", *BACKGROUND_HOLDERS):
        if element.tag == "img":
            sources.append(element.get("data-src") or element.get("src") or "")
        elif (background := background_image_url(element.get("style", ""))) \
                and not element.text_content().strip() and next(element.iter("img"), None) is None:
            sources.append(background)
    urls = (normalise_image_url(s) for s in sources if s.strip())
    return tuple(u for u in urls if u.startswith(("http://", "https://")))


def is_verification_page(page: bytes) -> bool:
    """Whether ``page`` (as fetched, UTF-8) is WeChat's "环境异常 … 完成验证后即可继续访问"
    challenge (cheap check).

    That page is about 20 KB; article pages are megabytes and are not searched through.
    """
    if len(page) > LARGEST_VERIFICATION_PAGE or b'id="js_content"' in page:
        return False
    return bool(_VERIFY_PAGE.search(page)) or any(m in page for m in _VERIFY_MARKERS)


def _not_an_article(page: bytes, doc: lxml.html.HtmlElement) -> NotAnArticle:
    visible = " ".join(doc.xpath("//text()[not(ancestor::script) and not(ancestor::style)]"))
    visible = re.sub(r"\s+", " ", visible).strip()
    if _VERIFY_PAGE.search(page):
        return NotAnArticle.because(PageReason.VERIFICATION)
    for reason, markers in _ERROR_MARKERS:
        if any(marker in visible for marker in markers):
            return NotAnArticle.because(reason)
    snippet = visible[:80] or "no visible text"
    return NotAnArticle.because(PageReason.UNKNOWN, repr(snippet))


def _without_scripts(page: bytes) -> bytes:
    """The page without its ``<script>`` elements: most of a 2-4 MB page, none of its DOM."""
    parts, pos = [], 0
    while (start := page.find(b"<script", pos)) >= 0:
        end = page.find(b"</script>", start)
        parts.append(page[pos:start])
        if end < 0:
            return b"".join(parts)
        pos = end + len(b"</script>")
    parts.append(page[pos:])
    return b"".join(parts)


def _first(doc: lxml.html.HtmlElement, xpath: str) -> lxml.html.HtmlElement | None:
    found = doc.xpath(xpath)
    return found[0] if found else None


def _text(doc: lxml.html.HtmlElement, xpath: str) -> str:
    element = _first(doc, xpath)
    return re.sub(r"\s+", " ", element.text_content()).strip() if element is not None else ""


def _meta_tag(doc: lxml.html.HtmlElement, prop: str) -> str:
    # Some savers rewrite ``content=`` to ``value=``; read either.
    for meta in doc.xpath(f'//meta[@property="{prop}" or @name="{prop}"]'):
        value = meta.get("content") or meta.get("value") or ""
        if value.strip():
            return value.strip()
    return ""


def _int(raw: str) -> int | None:
    """A decimal number of ASCII digits; None for anything else (``"²".isdigit()`` is true
    but ``int("²")`` fails, and Python refuses to read numbers of over 4,300 digits)."""
    raw = raw.strip()
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 18 else None


def _unique(urls: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(urls))

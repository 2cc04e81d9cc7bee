"""Lists of articles → entries: album (合集) JSON, RSS/Atom feeds, the MP back-office list.

Pure functions. Each entry carries the URL to fetch (tracking parameters removed, host kept)
and, when the link has them, the article's ``__biz``/``mid``/``idx``, so that an article
already archived is known before it is fetched.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import lxml.html
from lxml import etree

from crawler.wechat.urls import (
    ArticleKey,
    article_ids_from_url,
    history_page,
    link_as_given,
    scheme_of,
    short_link_alone,
    split_url,
    web_url,
    with_scheme,
)

_NUMBER = re.compile(r"[0-9]+")
_BASE64 = re.compile(r"[A-Za-z0-9+/ ]+={0,2}")  # a query's unescaped + reads as a space


class ListingError(ValueError):
    """A listing that says it failed, or that cannot be read; the message says which."""


class ErrorAnswer(ListingError):
    """A listing WeChat answered with an error of its own (``base_resp.ret``), as it answers
    for an album that is no more: not a verification, nor an answer that cannot be read,
    nor WeChat refusing it for now (``_FOR_NOW``)."""


@dataclass(frozen=True)
class Entry:
    """One article found in a listing."""

    url: str
    title: str = ""
    biz: str = ""
    mid: str = ""
    idx: str = ""

    @property
    def key(self) -> ArticleKey | None:
        """The article's identity (as ``Article.key``) when the link carries it."""
        return ArticleKey.of(self.biz, self.mid, self.idx)


def entry(link: str, title: str = "", base: str = "") -> Entry:
    """An entry for an article link as listings give it (``&amp;``, ``chksm``, ``#rd``…).

    The URL stays as given, ``chksm`` and all, but for its fragment: it is what is fetched.
    A short link is the one a page gives for it (``short_link_alone``; ``base``, the listing's
    URL), or a listing and a page linking one article would have it fetched twice.
    """
    url = short_link_alone(link_as_given(link), base)
    ids = article_ids_from_url(url)
    return Entry(url=url, title=title.strip() if isinstance(title, str) else "",
                 biz=ids.get("__biz", ""), mid=ids.get("mid", ""), idx=ids.get("idx", ""))


# -- albums ------------------------------------------------------------------------------
# What the album JSON looks like is read from real answers (../shared/fixtures/wechat_album,
# the public scheduled captures of soda92/biao-short-novels, 2025-03 to 2026-03): numbers are
# strings; items are listed in the album's position order (``pos_num``), which the owner
# sets and which is not the publish order; the first screen's ``base_info`` carries the
# title and ``article_count`` (current members only), later pages only
# ``{"is_first_screen": "0"}``; ``continue_flag`` alone says whether more pages follow in the
# direction being read (``reverse_continue_flag`` is "1" on every later page, the last
# included); ``verify_status`` is in every answer since about April 2025. Which end an album
# lists first is its owner's choice: a real album page (album_page_1_html.html) states
# ``is_reverse: '0'`` and lists from its oldest, where those JSON pages count down.
@dataclass(frozen=True)
class AlbumPage:
    """One page of an album's JSON, in the album's position order, newest position first."""

    entries: list[Entry]
    next_url: str | None  # the JSON URL of the next page, None after the last one
    title: str = ""
    article_count: int | None = None  # current members, as the first screen states it
    first_screen: bool = True
    cut: bool = False  # it listed nothing, yet continue_flag says more follow
    unlinked: tuple[str, ...] = ()  # items with no article link (an audio album's audios, say)
    # its first screen says it lists its oldest first (``base_info.is_reverse`` "0"): its
    # newest members, new ones too, are on its last page
    oldest_first: bool = False
    # the next page asked from before the push that ends this one, listing that push whole
    # should WeChat's next page start after a whole push (None after the last page)
    across_url: str | None = None
    # the page after a last page as full as asked: asked when no count says the album ends
    # there (continue_flag "0" alone may end it early, as it may with a count)
    beyond_url: str | None = None


def album_json_url(album_url: str, count: int = 20, begin_msgid: str = "",
                   begin_itemidx: str = "", *, oldest_first: bool = False) -> str:
    """The JSON form of an album URL (``…/mp/appmsgalbum?__biz=…&action=getalbum&album_id=…``),
    newest position first: asked without ``is_reverse``, as the real pages were
    (``is_reverse=1`` lists the oldest first, and a first page of the oldest hides a change on
    top: ``oldest_first`` only reads an album again from its other end). ``begin_msgid``/
    ``begin_itemidx`` name the last item of the page before (the next page starts after it).
    A link without ``__biz`` is asked with it empty, as WeChat answered
    soda92/biao-short-novels' scheduled reads for a year: the album id names the album."""
    if said := history_page(album_url):
        raise ListingError(said)
    parts = split_url(html.unescape(album_url))
    query = dict(parse_qsl(parts.query)) if parts else {}
    # An album id is a number and a __biz base64: the README's placeholder (…) is neither.
    if parts is None or parts.path.rstrip("/") != "/mp/appmsgalbum" \
            or not _NUMBER.fullmatch(query.get("album_id", "")) \
            or "__biz" in query and not _BASE64.fullmatch(query["__biz"]):
        raise ListingError("not an album URL (…/mp/appmsgalbum?__biz=<the account's id>&album_id="
                           f"<a number>, as the album's link in WeChat gives them): {album_url!r}")
    params = {"action": "getalbum", "__biz": query.get("__biz", ""), "album_id": query["album_id"],
              "count": str(count), "f": "json"}
    if oldest_first:
        params["is_reverse"] = "1"
    if begin_msgid:
        params.update(begin_msgid=begin_msgid, begin_itemidx=begin_itemidx or "1")
    return urlunsplit((parts.scheme, parts.netloc, "/mp/appmsgalbum", urlencode(params), ""))


def album_url(base_url: str, biz: str, album_id: str) -> str:
    """The album page URL for an account's album id."""
    return f"{base_url.rstrip('/')}/mp/appmsgalbum?__biz={biz}&action=getalbum&album_id={album_id}"


def parse_album_page(body: str, request_url: str) -> AlbumPage:
    """One page of an album's JSON; ``ListingError`` when WeChat reports an error, asks for
    verification, or the answer is not an album's.

    The next page is asked for only when ``continue_flag`` says there is one and this page
    listed something; it starts after this page's last item. An item whose URL is not an
    http(s) link is no entry: it is named in ``unlinked`` (by its ``key``, else its ids or
    title), as an audio album may list its audios (the caller checks hosts).
    """
    data = _json(body, "album")
    _check_base_resp(data, "album")
    album = data.get("getalbum_resp")
    if not isinstance(album, dict):
        raise ListingError("the album answer has no getalbum_resp: not an album's answer")
    verify = _text_of(album.get("verify_status", "0")) or "0"
    if verify != "0":
        raise ListingError(f"the album answered verify_status={verify[:20]!r}: WeChat wants a "
                           "verification")
    items = album.get("article_list") or []
    if isinstance(items, dict):  # WeChat sends a single item as an object
        items = [items]
    if not isinstance(items, list):
        raise ListingError(f"the album's article_list is not a list: {type(items).__name__}")
    items = [item for item in items if isinstance(item, dict)]
    asked = dict(parse_qsl(urlsplit(request_url).query))
    biz = asked.get("__biz", "")
    found = [(item, _entry_of(item, biz, request_url)) for item in items]
    entries = [listed for _, listed in found if listed is not None]
    unlinked = tuple(_item_name(item) for item, listed in found if listed is None)
    more = _text_of(album.get("continue_flag")) == "1"
    next_url = across_url = beyond_url = None
    # the next page starts after the last item that can name it (a msgid)
    cursors = [item for item in items if _text_of(item.get("msgid"))]
    count = int(asked["count"]) if _NUMBER.fullmatch(asked.get("count", "")) else 20
    reverse = asked.get("is_reverse") == "1"
    if not more and cursors and len(items) >= count:
        beyond_url = album_json_url(request_url, count, *_cursor(cursors[-1]), oldest_first=reverse)
    if more and cursors:
        next_url = album_json_url(request_url, count, *_cursor(cursors[-1]), oldest_first=reverse)
        before = [item for item in cursors if _cursor(item)[0] != _cursor(cursors[-1])[0]]
        # a page of one push: this page again, twice as long, reaches past it
        across_url = album_json_url(request_url, count, *_cursor(before[-1]), oldest_first=reverse) \
            if before else album_json_url(request_url, count * 2, asked.get("begin_msgid", ""),
                                asked.get("begin_itemidx", ""), oldest_first=reverse)
    base_info = _object(album.get("base_info"))
    first_screen = _text_of(base_info.get("is_first_screen", "1")) != "0"
    title = _text_of(base_info.get("title"))
    return AlbumPage(entries, next_url, html.unescape(title), _count(base_info.get("article_count")),
                     first_screen, cut=more and not items, unlinked=unlinked,
                     oldest_first=_text_of(base_info.get("is_reverse")) == "0", across_url=across_url,
                     beyond_url=beyond_url)


def _entry_of(item: dict[str, Any], biz: str, base: str) -> Entry | None:
    """The entry of an album's item, None if it links no article (no http(s) ``url``). Every
    captured item gives a long link with the article's ids, and ``msgid`` and ``itemidx``
    (``../shared/fixtures/wechat_album``); one whose link names no article by its ids (a
    short ``/s/<id>`` link) is known by those and the album's ``__biz`` (``biz``, of the
    request), as a member is. A link without a scheme is on the scheme of ``base``, the request's."""
    url = with_scheme(item["url"].strip(), scheme_of(base)) if isinstance(item.get("url"), str) else ""
    if not web_url(url):
        return None
    listed = entry(url, _text_of(item.get("title")), base)
    ids = {"biz": listed.biz or biz, "mid": listed.mid or _text_of(item.get("msgid")),
           "idx": listed.idx or _text_of(item.get("itemidx"))}
    return listed if listed.key is not None or ArticleKey.of(*ids.values()) is None \
        else replace(listed, **ids)


def _cursor(item: dict[str, Any]) -> tuple[str, str]:
    """The ``begin_msgid`` and ``begin_itemidx`` of a page that starts after ``item``."""
    return _text_of(item.get("msgid")), _text_of(item.get("itemidx"))


def _item_name(item: dict[str, Any]) -> str:
    """What names an album's item that links no article, as its ``key`` does a real item
    (``<uin>_<msgid>_<itemidx>``)."""
    return _text_of(item.get("key")) or "_".join(_text_of(item.get(name)) for name in (
        "msgid", "itemidx", "title"))


def _text_of(value: object) -> str:
    """A JSON string or number as text (WeChat sends numbers as strings, mostly)."""
    if isinstance(value, bool):
        return ""
    return str(value).strip() if isinstance(value, (str, int)) else ""


def _object(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _count(value: object) -> int | None:
    text = _text_of(value)
    return int(text) if _NUMBER.fullmatch(text) and len(text) < 10 else None


# -- account homepages (主页) --------------------------------------------------------------
# What a homepage's HTML looks like is read from a 2018 homepage kept in a public repository
# (stormzhang's, hid 1; tests/site.py's ``homepage`` imitates it): ``div#js_plugins`` holds
# its parts, a slider's articles as ``.item.js_post > a`` and each tab's as
# ``a.list_item.js_post``, the first tab's in the HTML, the others' loaded by its script.


def parse_homepage(body: str, url: str = "") -> list[Entry]:
    """The articles an account homepage's HTML lists (a link without a scheme on that of
    ``url``, the homepage's, as a browser follows it); ``ListingError`` for a page that is
    no homepage's (no ``js_plugins``)."""
    try:
        doc = lxml.html.fromstring(body)
    except (etree.ParserError, ValueError):  # no markup at all
        doc = lxml.html.fromstring("<html></html>")
    if not any(element.get("id") == "js_plugins" for element in doc.iter("div")):
        raise ListingError("the homepage answer is not a homepage's page (no js_plugins)")
    posts = [link for link in doc.iter("a")
             if any("js_post" in (up.get("class") or "").split() for up in (link, *link.iterancestors()))]
    scheme = scheme_of(url)
    entries = [entry(with_scheme(post.get("href", "").strip(), scheme),
                     post.findtext(".//h2") or post.findtext(".//p") or "", url) for post in posts]
    return [e for e in entries if web_url(e.url)]


# -- feeds -------------------------------------------------------------------------------
_FEED_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, recover=False)
_ATOM = "{http://www.w3.org/2005/Atom}"


def parse_feed(body: bytes) -> list[Entry]:
    """Article entries of an RSS 2.0 or Atom feed (as RSSHub or WeWe-RSS serve them)."""
    try:
        root = etree.fromstring(body, _FEED_PARSER)
    except etree.XMLSyntaxError as error:
        raise ListingError(f"not an RSS or Atom feed: {error}") from None
    entries = []
    for item in root.iter("item"):
        link = item.findtext("link") or item.findtext("guid") or ""
        entries.append(entry(link, item.findtext("title") or ""))
    for item in root.iter(f"{_ATOM}entry"):
        links = item.findall(f"{_ATOM}link")
        href = next((link.get("href") for link in links
                     if link.get("rel", "alternate") == "alternate"), "")
        entries.append(entry(href or "", item.findtext(f"{_ATOM}title") or ""))
    return [e for e in entries if e.url.startswith(("http://", "https://"))]


# -- the MP back-office list (cgi-bin/appmsgpublish) -------------------------------------
# WeChat's errors that say it refuses for now (too many asks), not that the source is no more.
_FOR_NOW = {200013: "freq control"}
_MP_ERRORS = {
    200013: "freq control: WeChat refuses the back-office list for now",
    200003: "session expired: log in to mp.weixin.qq.com again and update the token and cookie",
}


def publish_list_url(base_url: str, biz: str, token: str, begin: int = 0, count: int = 5) -> str:
    params = {"sub": "list", "sub_action": "list_ex", "begin": str(begin), "count": str(count),
              "fakeid": biz, "type": "101_1", "free_publish_type": "1", "token": token,
              "lang": "zh_CN", "f": "json", "ajax": "1"}
    return f"{base_url.rstrip('/')}/cgi-bin/appmsgpublish?{urlencode(params)}"


def parse_publish_list(body: str) -> list[Entry]:
    """Articles of one page of ``cgi-bin/appmsgpublish`` (JSON strings inside JSON)."""
    data = _json(body, "back-office list")
    _check_base_resp(data, "back-office list", _MP_ERRORS)
    page = _json(_text(data.get("publish_page")) or "{}", "back-office list")
    entries = []
    for published in _objects(page.get("publish_list")):
        info = _json(_text(published.get("publish_info")) or "{}", "back-office list")
        entries += [entry(item["link"], _text(item.get("title")))
                    for item in _objects(info.get("appmsgex")) if _text(item.get("link"))]
    return entries


def _objects(value: object) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _json(body: str, what: str) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except ValueError:
        raise ListingError(f"the {what} answer is not JSON: {body[:80]!r}") from None
    if not isinstance(data, dict):
        raise ListingError(f"the {what} answer is not a JSON object")
    return data


def _check_base_resp(data: dict[str, Any], what: str, known: dict[int, str] | None = None) -> None:
    base = data.get("base_resp") or {}
    if not isinstance(base, dict):
        raise ListingError(f"the {what} answer's base_resp is not an object")
    ret_text = _text_of(base.get("ret", 0)) or "0"
    try:
        ret = int(ret_text)
    except ValueError:
        raise ListingError(f"the {what} answered ret={ret_text[:20]!r}") from None
    if ret:
        reason = (known or {}).get(ret) or _text_of(base.get("errmsg")) \
            or _text_of(base.get("err_msg")) or _FOR_NOW.get(ret) or "error"
        error = ListingError if ret in _FOR_NOW else ErrorAnswer
        raise error(f"the {what} answered ret={ret}: {reason[:200]}")

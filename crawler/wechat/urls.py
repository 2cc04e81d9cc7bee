"""WeChat URLs: article links, canonical article URLs, image URLs and names.

Pure functions: no network, no Scrapy.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Iterable, Mapping
from urllib.parse import SplitResult, parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from w3lib.url import safe_url_string

from crawler.wechat import memo

ARTICLE_HOST = "mp.weixin.qq.com"
ARTICLE_ID_PARAMS = ("__biz", "mid", "idx", "sn")

# What of a long link names the article, as an album lists it: a chat's copy adds the
# share's scene, the PC client's the reader's own session (key, uin, pass_ticket).
_LINK_PARAMS = (*ARTICLE_ID_PARAMS, "chksm")
_ALBUM_PATH = "/mp/appmsgalbum"
# An account's history of posts (the profile its "share" copies opens it), today's and before 2017
_HISTORY_PATHS = ("/mp/profile_ext", "/mp/getmasssendmsg")
# An account's pages: its history, its home page (主页)
_ACCOUNT_PATHS = (*_HISTORY_PATHS, "/mp/homepage")
_HOMEPAGE_PATH = "/mp/homepage"
# Where a link of a page known only as WeChat's is read from (``page_base``)
_WECHAT_PAGE = f"https://{ARTICLE_HOST}/s"
# The 2013-15 article link: ``/mp/appmsg/show?__biz=…&appmsgid=…&itemidx=…&sign=…``, whose
# ``appmsgid`` and ``itemidx`` are today's ``mid`` and ``idx`` (old pages still link it)
OLD_ARTICLE_PATH = "/mp/appmsg/show"
_OLD_ID_PARAMS = {"appmsgid": "mid", "itemidx": "idx"}
_OLD_LINK_PARAMS = ("__biz", *_OLD_ID_PARAMS, "sign")
_SHORT_TOKEN = re.compile(r"^/s/([A-Za-z0-9_-]+)/?$")
# What each id of a long link is, as WeChat writes it: __biz the base64 of a number, the
# others numbers (not sn, whose shape no source states)
_ID_SHAPES = {"__biz": re.compile(r"[A-Za-z0-9+/]+={0,2}"), "mid": re.compile(r"[0-9]+"),
              "idx": re.compile(r"[0-9]+")}
_SCHEME_PORTS = {"http": 80, "https": 443}
_NOT_ASCII = re.compile(r"[^\x00-\x7f]")
# WeChat's links are ASCII, escaped, and use none of the marks a text puts around a link
# (not ASCII as a class of its own: Python 3.11 takes 4.5 ms to compile a class ranging
# to U+10FFFF, at every start)
_NOT_IN_A_LINK = re.compile(r"[^\x00-\x7f]|[\s\"'<>`()\[\]{}|\\^,!]")
# the marks a message quotes or brackets a link with (RFC 3986, appendix C: "<…>", '"…"')
_AROUND_A_LINK = (("<", ">"), ('"', '"'), ("'", "'"), ("`", "`"), ("(", ")"), ("[", "]"),
                  ("\u201c", "\u201d"), ("\u2018", "\u2019"), ("\u300c", "\u300d"))
_ESCAPED_AMPERSAND = re.compile(r"&(?:amp;)+", re.I)
_REFERENCE = re.compile(r"&(?:[A-Za-z][A-Za-z0-9]*|#[0-9]+|#[xX][0-9A-Fa-f]+);")
_IMAGE_DROP_PARAMS = frozenset({"tp", "wxfrom", "wx_lazy", "wx_co", "watermark"})
_CDN_PATH = re.compile(r"^/(?:mmbiz|mmbiz_[a-z0-9]+|sz_mmbiz_[a-z0-9]+)/([A-Za-z0-9_-]+)(?:/[^/]*)?/?$")


# Read in one pass: the declaration up to the next one, the picture up to a parenthesis
# (a hostile style of unclosed "url(", read to its end from each, cost minutes a page).
_BACKGROUND_URL = re.compile(
    r"background(?:-image)?\s*:(?:(?!background(?:-image)?\s*:)[^;])*?url\(([^()]*)\)", re.I)


class ArticleKey(str):
    """An article's identity, as the index stores it: ``__biz:mid:idx``, or the article's
    URL when its page gives no ids. The one place its form is spelled; a ``str``, so that
    SQLite, dicts and sets take it as the text it is."""

    __slots__ = ()

    @classmethod
    def of(cls, biz: str, mid: str, idx: str) -> ArticleKey | None:
        """The key of the article these ids name; None unless all three are given."""
        return cls(f"{biz}:{mid}:{idx}") if biz and mid and idx else None

    @property
    def biz(self) -> str:
        """The ``__biz`` of the account the article is of; "" for a key that is a URL."""
        biz, colon, rest = self.partition(":")
        return "" if not colon or rest.startswith("//") else biz

    @staticmethod
    def account_range(biz: str) -> tuple[str, str]:
        """The keys of account ``biz``'s articles sort strictly between these two (for an
        SQL range on an indexed key: ``key > ? AND key < ?``)."""
        return f"{biz}:", f"{biz};"


class BadArticleURL(ValueError):
    """A URL that is not a WeChat article link; the message says why."""


def split_url(url: str) -> SplitResult | None:
    """``urlsplit``, or None where Python refuses the URL (``http://[::1``: "Invalid IPv6 URL").

    Page content is hostile input: every URL taken from a page is split through here.
    """
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises for a port out of range or not a number
    except ValueError:
        return None
    return parts


def web_url(url: str) -> str:
    """``url`` stripped, if it is an http(s) URL with a host; else "".

    The one scheme check every URL passes before it reaches a post: a link, an image,
    a card, a shared article's source. ``javascript:``, ``data:``, ``file:`` and URLs
    Python cannot split never reach kramdown.
    """
    url = url.strip()
    parts = split_url(url)
    if parts is None or parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return ""
    return url


def redacted(url: str) -> str:
    """``url`` without its password (``redis://user:***@host``, ``?password=***``), for
    any line that prints it."""
    head, slashes, rest = url.partition("//")
    if not slashes:
        head, rest = "", url
    userinfo, at, place = rest.rpartition("@")  # the last @: a password may hold one
    user, colon, _ = userinfo.partition(":")
    masked = f"{user}{colon}***{at}" if colon else userinfo + at
    return re.sub(r"(?i)([?&]password=)[^&#]*", r"\1***", f"{head}{slashes}{masked}{place}")


def with_credentials(url: str) -> bool:
    """Whether ``url`` carries a user name or password (``https://user:pass@host/``). Scrapy's
    downloader takes ``user:pass@host`` for a host name it cannot resolve: a URL given so
    fails at every run as if its server were down, the password printed in the line."""
    parts = split_url(url.strip())
    return parts is not None and "@" in parts.netloc


def article_link(url: str, hosts: Iterable[str] = (ARTICLE_HOST,)) -> str:
    """Check an article URL and return it as given, without its fragment (``link_as_given``).

    Accepts the short form ``/s/<token>``, the long form ``/s?__biz=…&mid=…&idx=…`` and the
    2013-15 form ``/mp/appmsg/show?__biz=…&appmsgid=…&itemidx=…`` (kept with its ``sign``).
    A short link is returned as ``/s/<token>`` alone (on https on WeChat's host): the token
    names the article, and what a chat's copy adds (a trailing slash, ``?scene=…``, ``http:``)
    would make it another link, fetched again and unknown to the index, which knows a short
    link by the one it was fetched as.
    A long link is fetched with the ``chksm`` it came with (WeChat has answered the same
    link without it with the verification page), and nothing else of its query.
    """
    link = link_as_given(_unquoted(url.strip()))
    parts = split_url(link)
    if parts is None or parts.scheme not in ("http", "https"):
        raise BadArticleURL(f"not an http(s) URL: {url.strip()!r}")
    if "…" in link:  # the README's placeholder: a browser's link holds no such character
        raise BadArticleURL(f"a link cut short with '…' (copy the whole link): {url.strip()!r}")
    stray = _stray_mark(link, parts)
    if "://" in link[link.index(stray) if stray else len(parts.scheme) + 3:]:
        # a message's list of links pasted whole, or a link pasted twice with nothing between
        raise BadArticleURL(f"several links in one (give each on its own): {url.strip()!r}")
    look_alike = _NOT_ASCII.search(parts.netloc)  # і for i, ． for .
    if look_alike:
        raise BadArticleURL(f"not a WeChat article host ({', '.join(hosts)}): {look_alike.group()!r} "
                            f"in its host: {url.strip()!r}")
    if stray:  # a chat's text after it would reach the query's values
        said = "a space" if stray.isspace() else repr(stray)
        raise BadArticleURL(f"a link with {said} in it (copy the link alone): {url.strip()!r}")
    if said := history_page(link):  # before the host's line, which would show the reader's session
        raise BadArticleURL(said)
    if (parts.hostname or "") not in set(hosts):
        raise BadArticleURL(f"not a WeChat article host ({', '.join(hosts)}): {url.strip()!r}")
    if parts.hostname == ARTICLE_HOST and parts.port not in (None, _SCHEME_PORTS[parts.scheme]):
        raise BadArticleURL(f"WeChat's article links have no port but their scheme's (:{parts.port}): "
                            f"{url.strip()!r}")
    if with_credentials(link):
        raise BadArticleURL(f"a link with a user name or password in it (WeChat's hold none): "
                            f"{redacted(url.strip())!r}")
    if _SHORT_TOKEN.match(parts.path):
        return short_link_alone(link)
    old = parts.path.rstrip("/") == OLD_ARTICLE_PATH
    if parts.path.rstrip("/") == "/s" or old:
        ids = article_ids_from_url(link)
        missing = [p for p in ("__biz", "mid", "idx") if not ids.get(p)]
        if missing:
            raise BadArticleURL(f"article link lacks {', '.join(missing)}: {url.strip()!r}")
        _check_ids(parts.query, old, url.strip())
        names = _OLD_LINK_PARAMS if old else _LINK_PARAMS
        kept = "&".join(pair for pair in parts.query.split("&") if pair.split("=", 1)[0] in names)
        return urlunsplit((parts.scheme, parts.netloc, parts.path, kept, ""))
    if parts.path == _ALBUM_PATH:
        raise BadArticleURL("an album's link, not an article's: archive it with "
                            f"scrapy crawl album -a url=…: {url.strip()!r}")
    biz = article_ids_from_url(link).get("__biz", "")
    if parts.path.rstrip("/") in _ACCOUNT_PATHS and biz:
        raise BadArticleURL(f"an account's page, not an article's: give its biz = \"{biz}\" (with one "
                            f"of its articles' links to start): {url.strip()!r}")
    raise BadArticleURL(f"not an article path (/s/<token> or /s?__biz=…): {url.strip()!r}")


def history_page(url: str) -> str:
    """What to say of ``url`` given as a way in when it is an account's history page
    (``/mp/profile_ext?action=home&__biz=…``, before 2017 ``/mp/getmasssendmsg``); else "".
    WeChat shows its list only to a reader signed in to its app (``key``, ``pass_ticket``):
    asked by a crawler it lists nothing, at every run. The line shows the page by its
    ``action`` and ``__biz`` alone: a copy from the app holds the reader's session."""
    parts = split_url(link_as_given(url.strip()))
    if parts is None or parts.path.rstrip("/") not in _HISTORY_PATHS:
        return ""
    query = dict(parse_qsl(parts.query))
    kept = [(name, query[name]) for name in ("action", "__biz") if query.get(name)]
    shown = urlunsplit((parts.scheme, parts.netloc, parts.path, _join_query(kept), ""))
    named = f" (its biz = \"{query['__biz']}\" names the account in the accounts file)" \
        if query.get("__biz") else ""
    return (f"an account's history page, which WeChat lists only to a reader signed in to its app: "
            f"give one of the account's articles' links or one of its albums' links instead{named}: "
            f"{shown!r}")


def _check_ids(query: str, old: bool, given: str) -> None:
    """Refuse a long link whose ids WeChat never gives: one given twice (which of the two
    would be asked, which recorded?), one not of its shape (a ``%``-escape cut in copying):
    asked, WeChat answers a parameter error, a run of nothing."""
    pairs = parse_qsl(query)
    if old:  # its ids by their names then; a mid it carries besides is not its own
        pairs = [(_OLD_ID_PARAMS[name], value) if name in _OLD_ID_PARAMS else (name, value)
                 for name, value in pairs if name not in _OLD_ID_PARAMS.values()]
    for name, shape in _ID_SHAPES.items():
        values = [value for key, value in pairs if key == name]
        if len(values) > 1:
            raise BadArticleURL(f"article link gives {name} twice: {given!r}")
        if values and not shape.fullmatch(values[0]):
            raise BadArticleURL(f"article link's {name} {values[0]!r} is none WeChat gives (a link cut "
                                f"or changed in copying?): {given!r}")


def _unquoted(text: str) -> str:
    """``text`` without the pair of marks a message put around it, if it is one link so marked."""
    for opening, closing in _AROUND_A_LINK:
        if len(text) > 2 and text[0] == opening and text[-1] == closing:
            return text[1:-1].strip()
    return text


def _stray_mark(link: str, parts: SplitResult) -> str:
    """The first character of ``link`` no WeChat link has, or the mark ending a sentence
    after its query (its last value would take it); "" if none."""
    found = _NOT_IN_A_LINK.search(link)
    if found:
        return found.group()
    return link[-1] if parts.query and link[-1] in ".?" else ""


def short_link_alone(link: str, base: str = "") -> str:
    """A short link ``link`` as ``/s/<token>`` alone (see ``article_link``), as every page
    linking it is taken to give it; any other link as it is.

    Its ``http:`` and ``https:`` forms are one link, asked once and known to the index as
    one: on WeChat's host it is on https, as WeChat serves its pages; on the host of
    ``base``, the page or listing giving it (if any), on that one's scheme."""
    parts = split_url(link)
    token = _SHORT_TOKEN.match(parts.path) if parts else None
    if parts is None or token is None:
        return link
    return urlunsplit((*_place(parts, base), f"/s/{token.group(1)}", "", ""))


def _place(parts: SplitResult, base: str) -> tuple[str, str]:
    """The scheme and host a link of ``parts`` that names its page alone (a short link, a
    homepage's) is asked on: one for all the forms pages give it (``short_link_alone``)."""
    if parts.hostname == ARTICLE_HOST:
        return "https", ARTICLE_HOST
    on = split_url(base) if base else None
    same_place = on is not None and on.hostname == parts.hostname and on.port == parts.port
    return scheme_of(base) if same_place else parts.scheme, parts.netloc.lower()


def is_article_link(url: str) -> bool:
    """Whether ``url`` is an http(s) link to an article, short or long, on any host; not
    one with a user name or password (``with_credentials``), which no download can ask."""
    parts = split_url(url)
    if parts is None or parts.scheme not in ("http", "https") or "@" in parts.netloc:
        return False
    return bool(_SHORT_TOKEN.match(parts.path)) or (
        parts.path.rstrip("/") in ("/s", OLD_ARTICLE_PATH) and has_ids(article_ids_from_url(url)))


def is_old_article_link(url: str) -> bool:
    """Whether ``url`` is an article link of the 2013-15 form (``OLD_ARTICLE_PATH``)."""
    parts = split_url(url)
    return parts is not None and parts.path.rstrip("/") == OLD_ARTICLE_PATH and is_article_link(url)


def lacks_chksm(url: str) -> bool:
    """Whether ``url`` is a long article link without ``chksm``: the shape of in-body links
    since 2024 (album items and the album's previous/next links still carry one). Whether
    WeChat answers such a link, or asks for verification, is not known."""
    parts = split_url(link_as_given(url))
    if parts is None or parts.path.rstrip("/") != "/s":
        return False
    query = dict(parse_qsl(parts.query))
    return has_ids(query) and not query.get("chksm")


def album_id(album_url: str) -> str:
    """The ``album_id`` of an album link."""
    parts = split_url(link_as_given(album_url))
    return dict(parse_qsl(parts.query)).get("album_id", "") if parts else ""


def homepage_link(url: str, base: str = "") -> str:
    """``url`` as an account homepage's (主页: ``…/mp/homepage?__biz=…&hid=…``) link, with
    what names the page and its tab alone (``__biz``, ``hid``, ``sn``, ``cid``: a copy from
    the client adds the reader's session, ``uin``, ``key``, ``pass_ticket``); "" if it is none.
    Its ``http:`` and ``https:`` forms are one page, read once a run and remembered once: on
    the scheme and host a short link is (``short_link_alone``; ``base``, the page linking it)."""
    parts = split_url(link_as_given(url))
    if parts is None or parts.scheme not in ("http", "https") or parts.path.rstrip("/") != _HOMEPAGE_PATH:
        return ""
    query = dict(parse_qsl(parts.query))
    if not (query.get("__biz") and query.get("hid")):
        return ""
    kept = [(name, query[name]) for name in ("__biz", "hid", "sn", "cid") if query.get(name)]
    return urlunsplit((*_place(parts, base), _HOMEPAGE_PATH, _join_query(kept), ""))


def link_as_given(url: str) -> str:
    """A link as a page or listing gives it (``&amp;``, ``\\/`` undone), without its fragment.

    Only references with their semicolon are undone, as a page escapes its ampersands:
    ``html.unescape`` also reads ``&not`` of ``&notreplace=`` (WeChat's share links) as ``¬``.
    An ``&amp;`` escaped again (``&amp;amp;amp;``: a page's JSON in its HTML in its script) is
    undone to its ``&`` however many times: a WeChat link holds no ``&amp;`` of its own.
    """
    text = _ESCAPED_AMPERSAND.sub("&", url.strip().replace("\\/", "/"))
    return _REFERENCE.sub(lambda found: html.unescape(found.group()), text).split("#", 1)[0]


def canonical_article_url(biz: str, mid: str, idx: str, sn: str = "") -> str:
    """``https://mp.weixin.qq.com/s?__biz=…&mid=…&idx=…&sn=…`` (``sn`` left out when empty)."""
    pairs = [("__biz", biz), ("mid", mid), ("idx", idx)] + ([("sn", sn)] if sn else [])
    return f"https://{ARTICLE_HOST}/s?{_join_query(pairs)}"


def without_tracking(url: str) -> str:
    """A fetched article URL with only its identifying parameters and no fragment.

    Not w3lib's ``url_query_cleaner``: it keeps the URL's order and escapes (``%3D%3D``),
    where the canonical URL is spelled as WeChat's own links are (``_join_query``)."""
    parts = split_url(link_as_given(url))
    if parts is None:
        return ""
    query = dict(parse_qsl(parts.query))
    kept = [(k, query[k]) for k in ARTICLE_ID_PARAMS if query.get(k)]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, _join_query(kept), ""))


def article_ids_from_url(url: str) -> dict[str, str]:
    """``__biz``/``mid``/``idx``/``sn`` found in a URL's query (missing ones left out); a link
    of the 2013-15 form gives ``mid`` and ``idx`` as ``appmsgid`` and ``itemidx``."""
    parts = split_url(link_as_given(url))
    query = dict(parse_qsl(parts.query)) if parts else {}
    if parts is not None and parts.path.rstrip("/") == OLD_ARTICLE_PATH:
        query = {_OLD_ID_PARAMS.get(name, name): value for name, value in query.items()
                 if name not in _OLD_ID_PARAMS.values()}
    return {k: query[k] for k in ARTICLE_ID_PARAMS if query.get(k)}


def has_ids(ids: Mapping[str, str]) -> bool:
    """Whether ``ids`` (as ``article_ids_from_url`` gives them) name an article."""
    return _key_of_ids(ids) is not None


def article_key(url: str) -> ArticleKey | None:
    """An article's identity (as ``Article.key``) from a link that carries its ids: the one
    parser of a key from a URL."""
    return _key_of_ids(article_ids_from_url(url))


def _key_of_ids(ids: Mapping[str, str]) -> ArticleKey | None:
    return ArticleKey.of(ids.get("__biz", ""), ids.get("mid", ""), ids.get("idx", ""))


def with_scheme(src: str, scheme: str = "https") -> str:
    """``src`` on ``scheme`` when it is protocol-relative (``//mmbiz.qpic.cn/…``): a browser
    follows such a URL on the scheme of the page holding it, and WeChat serves its pages
    over https."""
    return f"{scheme}:{src}" if src.startswith("//") else src


def page_base(url: str) -> str:
    """What the relative links of an article page fetched from ``url`` are read against: its
    long link's path, ``/s``, on the host it came from, as a browser reads them there, by
    whichever link it was fetched (from its short link, ``/s/<token>``, a browser reads
    ``s?__biz=…`` as ``/s/s?__biz=…``, a link to no article); a saved page's path, or a URL
    of no web scheme, is taken as WeChat's."""
    parts = split_url(url.strip()) if web_url(url) else None
    return urlunsplit((parts.scheme, parts.netloc, "/s", "", "")) if parts else _WECHAT_PAGE


def on_wechat(link: str) -> str:
    """``link`` as ``resolved`` reads it on a page of WeChat's over https: what a post's text,
    which keeps no page's URL (an image or text post's), links (a body's is on its page's
    already)."""
    return resolved(link, _WECHAT_PAGE)


def resolved(link: str, base: str) -> str:
    """``link`` as a browser follows it from a page at ``base``: one without a scheme
    (``//mp.weixin.qq.com/s/…``) on the page's; a path (``/s?__biz=…``, ``/s/<token>``,
    ``./s?…``, ``s?__biz=…``) on the page's host, when it leads to an article or to one of
    WeChat's ``/mp/`` pages (an album, a homepage). Any other link is as it is: a fragment,
    ``javascript:``, a path to no such page (a site's address written without its scheme,
    ``www.example.cn``, is no WeChat page either)."""
    if link.startswith("//"):
        return with_scheme(link, scheme_of(base))
    parts = split_url(link)
    if not link or link.startswith("#") or parts is None or parts.scheme:
        return link
    joined = urljoin(base, link)
    path = split_url(joined)
    return joined if is_article_link(joined) or (path is not None and path.path.startswith("/mp/")) else link


def scheme_of(url: str) -> str:
    """The scheme a page fetched from ``url`` is on: http or https (a saved page's path, or
    a URL of no web scheme, is taken as WeChat's, https)."""
    parts = split_url(url.strip())
    return parts.scheme.lower() if parts and parts.scheme.lower() in ("http", "https") else "https"


@memo.per_text(longest=2000)  # read by the parser, again by the converter
def normalise_image_url(src: str) -> str:
    """The URL that fetches the original image: entities decoded, no WebP or lazy-load markers.

    ``tp=webp`` makes the CDN transcode to WebP; ``wx_lazy``, ``wx_co``, ``wxfrom`` and
    ``watermark`` only vary the URL, so dropping them also lets one image dedupe by URL.
    Not w3lib's ``url_query_cleaner``: it keeps the rest of the query as given, where this
    re-encodes it (``t=a/b`` → ``t=a%2Fb``), and the index knows stored images by this form.
    Escaped as Scrapy escapes a request's URL (w3lib's ``safe_url_string``: a path of
    letters or spaces, a host in capitals): the download of an image is known by its URL.
    "" for a URL that fetches nothing: one Python cannot split, or whose host holds what no
    host may (``http://a b/``), which w3lib refuses and the article's page was lost with.
    """
    src = with_scheme(html.unescape(src.strip()))
    parts = split_url(src)
    if parts is None:
        return ""
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if k not in _IMAGE_DROP_PARAMS]
    try:
        return safe_url_string(urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), "")),
                               "utf-8")
    except ValueError:  # "contains a forbidden domain code point"
        return ""


def image_stem(url: str) -> str:
    """File name (without extension) for an image URL: its CDN media id, else a URL hash."""
    parts = split_url(url)
    match = _CDN_PATH.match(parts.path) if parts else None
    if match:
        return match.group(1)
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:32]


# Elements whose CSS background is content (a picture) when they hold no text.
BACKGROUND_HOLDERS = ("section", "div", "p")


def background_image_url(style: str) -> str:
    """The ``url(…)`` of a CSS ``background``/``background-image`` declaration, if any."""
    match = _BACKGROUND_URL.search(html.unescape(style or ""))
    if not match:
        return ""
    url = match.group(1).strip()
    quoted = len(url) > 1 and url[0] == url[-1] and url[0] in "'\""
    return (url[1:-1] if quoted else url).strip()


def host_of(url: str) -> str:
    parts = split_url(url)
    return (parts.hostname or "") if parts else ""


def _join_query(pairs: Iterable[tuple[str, str]]) -> str:
    # WeChat's own links keep ``==`` of __biz unescaped; so do we, to match them.
    return "&".join(f"{k}={v}" for k, v in pairs)

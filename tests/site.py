"""A small WeChat for the scheduled-run tests: accounts, articles, albums, feeds, the
back-office list. What each answer looks like follows a real capture, named where it is
made.

Articles: served at their long link and at their short ``/s/<token>`` link if they have
one. Pages link other articles as 2024-2026 pages do, without ``chksm``
(``../shared/fixtures/wechat/article_normal_ruanyifeng-weekly372_2025.html``: 0 of 16
in-body links in the 2024-2026 pages carry one); album items carry one. Whether WeChat
answers a crawler's link without ``chksm`` or asks for verification is not known, so
``refuse_without_chksm`` chooses, and tests run both.

Albums: a list per album in the owner's position order (the last is the newest position,
whatever its date), listed from the newest unless the owner set it to list from the oldest
(``ascending_albums``); a test changes membership by editing the list; ``cursor_skips_message``
says what a later page starts after. The JSON is the shape of
``../shared/fixtures/wechat_album`` (see ``_album_json``).

A test may replace what an article's long link answers through ``site.pages[art.path]``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from tests.conftest import PAGES, page_text
from tests.mockserver import MockWeChat, Route, png

BIZ = "MzA5OTk5OTk5OQ=="
OTHER_BIZ = "MzkxMTExMTExMQ=="
VERIFICATION = Route(200, "text/html; charset=utf-8",
                     (PAGES / "verification.html").read_bytes())


@dataclass(frozen=True)
class Art:
    mid: str
    idx: str = "1"
    title: str = ""
    albums: tuple[str, ...] = ()
    items: tuple[str, ...] = ()  # a list in the body
    links: tuple[str, ...] = ()  # links in the body, as a page writes them
    biz: str = BIZ
    token: str = ""  # its short link /s/<token>, if it has one
    days_ago: int | None = None  # published this many days before now (else a fixed date)
    # How the page names its albums: "2025" (album_info_list), "2023" (publicTagInfo) or
    # "2021" (the tag card under the title)
    markup: str = "2025"

    @property
    def name(self) -> str:
        return self.title or f"反诈提醒第{self.mid}期"

    @property
    def path(self) -> str:
        return f"/s?__biz={self.biz}&mid={self.mid}&idx={self.idx}&sn=sn{self.mid}{self.idx}"


def numbered(first: int, count: int, **fields: object) -> list[Art]:
    """``count`` articles with consecutive ids from ``first``."""
    return [Art(str(first + number), **fields) for number in range(count)]  # type: ignore[arg-type]


@dataclass
class Site:
    server: MockWeChat
    account: str = "测试反诈中心"
    articles: list[Art] = field(default_factory=list)
    albums: dict[str, list[Art]] = field(default_factory=dict)
    album_errors: dict[str, int] = field(default_factory=dict)
    # What each article's long link answers (a Route, or a function of the query)
    pages: dict[str, Route | Callable[[str], Route]] = field(default_factory=dict)
    refuse_without_chksm: bool = False
    # What a page asked from (begin_msgid, begin_itemidx) starts after: that item, or every
    # item of that msgid (a push's other articles). No capture shows a push of several
    # articles in an album (every item of ../shared/fixtures/wechat_album has itemidx 1), so
    # nobody knows, and tests run both. WeChat's own album directory under an article
    # (its script appmsg/album_keep_read.js, ``action=paging``) asks the next page from the
    # last item's msgid and itemidx, and the page before from the first item's with
    # ``isbackward=1``: the cursor names an item, which speaks for the first answer.
    cursor_skips_message: bool = False
    # Whether ``is_reverse=1`` lists the album oldest first, as the public clients that ask
    # so take it to (no capture of such an answer is public), or is ignored.
    honours_reverse: bool = True
    # Whether an album asked with ``__biz`` empty is refused. soda92/biao-short-novels asked
    # its album's later pages so for a year and WeChat answered (../shared/fixtures/
    # wechat_album); its first screen as JSON so is not captured, nor a refusal: refused, it
    # answers as for an album that is no more (``album_errors``), a guess.
    album_needs_biz: bool = False
    # Albums whose items are audios with no article link (an audio series, 音频合集, as its
    # audio card in ../shared/fixtures/wechat/article_audio_mpvoice_jinbang_2025.html names
    # it): no capture shows what WeChat lists for one, articles or audios, so tests run both.
    audio_albums: set[str] = field(default_factory=set)
    # Albums whose owner set them to list their oldest position first (正序): a real album
    # page, ../shared/fixtures/wechat/album_page_1_html.html, states ``is_reverse: '0'`` and
    # lists its articles from the oldest, where the pages of ../shared/fixtures/wechat_album
    # count down (``pos_num``); WeChat's album directory script (``appmsg/album_keep_read.js``,
    # in copies of its article scripts in public repositories) numbers its list up when
    # ``base_info.is_reverse`` is false, down when true. So such an album's first screen
    # says ``is_reverse`` "0", the others' "1" (wechat-article/wechat-article-exporter types
    # it in ``base_info``, ``types/album.d.ts``). Asked ``is_reverse=1``, it is taken to list
    # the other way round: no answer so is captured.
    ascending_albums: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.server.route("/s", self._long_link)
        self.server.route("/mp/appmsgalbum", self._album_json)

    def article(self, art: Art, nickname: str | None = None) -> str:
        """Serve ``art`` and its images; return the link a listing would give."""
        self.pages[art.path] = Route(200, "text/html; charset=utf-8", self.page(art, nickname).encode())
        if art.token:
            self.server.route(f"/s/{art.token}", self.pages[art.path])
        self.picture(art)
        self.server.image("/mmbiz_png/SharedFooter/640", png((1, 1, 1)))
        self.articles.append(art)
        return self.link(art)

    def picture(self, art: Art) -> str:
        """Serve ``art``'s own picture (again); return its path."""
        path = f"/mmbiz_png/Img{art.mid}x{art.idx}/640"
        self.server.image(path, png((int(art.mid) % 256, 9, 9)))
        return path

    def serve(self, arts: list[Art]) -> list[Art]:
        """Serve each of ``arts`` (see ``article``); return them."""
        for art in arts:
            self.article(art)
        return arts

    def page(self, art: Art, nickname: str | None = None) -> str:
        published = int(time.time()) - art.days_ago * 86400 if art.days_ago is not None \
            else 1700000000 + int(art.mid) % 100000 * 60
        links = "".join(f'<p><a href="{link}" data-linktype="2">往期推荐</a></p>' for link in art.links)
        name = self.account if nickname is None else nickname
        tags, albums, script = self._album_markup(art)
        if art.token:  # 2025-2026 pages state their own short link (…_2026.html)
            script += f"\n    window.short_link = '{self.short(art)}' || '';"
        return (page_text("album_article.html", self.server.base)
                .replace("{{TITLE}}", art.name).replace("{{MID}}", art.mid)
                .replace("{{IDX}}", art.idx).replace("{{SN}}", f"sn{art.mid}{art.idx}")
                .replace("{{BIZ}}", art.biz).replace("{{ALBUMS}}", albums)
                .replace("{{TAGS}}", tags).replace("{{SCRIPT}}", script)
                .replace("{{LIST}}", "".join(f"<li>{item}</li>" for item in art.items))
                .replace("{{LINKS}}", links)
                .replace("{{NICKNAME}}", name).replace("{{ACCOUNT}}", name)
                .replace("{{CT}}", str(published)))

    def _album_markup(self, art: Art) -> tuple[str, str, str]:
        """(tag card HTML, album_info_list items, script) naming ``art``'s albums."""
        def url(album: str) -> str:
            return f"{self.server.base}/mp/appmsgalbum?__biz={art.biz}&amp;action=getalbum&amp;album_id={album}#wechat_redirect"

        def size(album: str) -> int:
            return len(self.albums.get(album, []))

        if art.markup == "2021":  # tests/pages/leads_2021.html names its capture
            items = "".join(
                f'<span class="article-tag__item-wrp js_tag" data-url="{url(a)}" data-album_id="{a}">'
                f'<span class="article-tag__item">#合集{a}</span>'
                f'<span class="article-tag__item-num">{size(a)}个</span></span>' for a in art.albums)
            return f'<div id="js_tags" class="article-tag__list">{items}</div>', "", ""
        if art.markup == "2023":  # tests/pages/leads_2023.html names its capture
            items = ", ".join(f'{{ title: "合集{a}", size: "{size(a)}" * 1, link: "{url(a)}", '
                              f'albumId: "{a}" }}' for a in art.albums)
            return "", "", f"var publicTagInfo = [ {items} ];"
        items = ", ".join(f"{{ title: '合集{a}', size: '{size(a)}' * 1, albumId: '{a}' }}"
                          for a in art.albums)
        return "", items, ""

    def link(self, art: Art) -> str:
        """The long link as listings write it: ``&amp;``, ``chksm``, ``#rd``."""
        return (f"{self.server.base}{art.path.replace('&', '&amp;')}"
                f"&amp;chksm=abcdef0123&amp;scene=126#rd")

    def body_link(self, art: Art) -> str:
        """The long link as 2024-2026 pages write it in their body: no ``chksm``
        (``…/article_normal_ruanyifeng-weekly372_2025.html``)."""
        return f"{self.server.base}{art.path.replace('&', '&amp;')}&amp;scene=21#wechat_redirect"

    def short(self, art: Art) -> str:
        return f"{self.server.base}/s/{art.token}"

    def album(self, album_id: str, arts: list[Art], error: int = 0) -> str:
        """Serve an album's JSON (``count`` per page, the last single item as an object)."""
        self.albums[album_id] = arts
        if error:
            self.album_errors[album_id] = error
        return f"{self.server.base}/mp/appmsgalbum?__biz={BIZ}&action=getalbum&album_id={album_id}"

    def homepage(self, hid: str, tabs: list[list[Art]]) -> str:
        """Serve an account homepage (主页) whose tabs list ``tabs``; return its link as a page
        gives it. Its HTML is the shape of a 2018 homepage kept in a public repository
        (stormzhang's, ``cgiData`` biz ``MzA4NTQwNDcyMA==``, hid 1): ``div#js_plugins`` holds
        the tabs, the first tab's articles in the HTML as ``a.list_item.js_post`` (no ``chksm``,
        ``scene=19``), the other tabs' ``div.article_list`` empty, filled by its script (a POST
        ``action=appmsg_list``, whose answer no capture shows). An article with a short link
        is listed by it (no capture shows whether a later homepage lists short links: tests
        run both)."""
        items = "".join(
            f'<a class="list_item js_post" href="{self._home_link(a)}"><div class="cover"><img class="img js_img" '
            f'src="{self.server.base}/mmbiz_jpg/Cover{a.mid}/0" alt=""></div><div class="cont">'
            f'<h2 class="title js_title">{a.name}</h2><p class="desc">提醒</p></div></a>' for a in tabs[0])
        heads = "".join(f'<div type="index" data-index="{n}" class="item">栏目{n}</div>' for n in range(len(tabs)))
        lists = "".join(f'<div class="article_list article_list_{n}">{items if n == 0 else ""}</div>'
                        for n in range(len(tabs)))
        page = (f'<!DOCTYPE html><html><head><title>{self.account}</title></head><body><div class="container">'
                f'<div id="js_plugins"><div class="tab js_plugin" id="namespace_1" data-pid="2">'
                f'<div class="tab_hd"><div class="tab_hd_inner">{heads}</div></div>'
                f'<div class="tab_bd">{lists}</div></div></div></div>'
                f"<script>var cgiData = {{ biz: '{BIZ}', hid: '{hid}', pagename: '{self.account}' }};"
                "</script></body></html>")
        self.server.route("/mp/homepage", Route(200, "text/html; charset=utf-8", page.encode()))
        return f"{self.server.base}/mp/homepage?__biz={BIZ}&amp;hid={hid}&amp;sn=5f0e&amp;scene=18#wechat_redirect"

    def _home_link(self, art: Art) -> str:
        if art.token:
            return self.short(art)
        return f'{self.server.base}{art.path.replace("&", "&amp;")}&amp;scene=19#wechat_redirect'

    def feed(self, path: str, arts: list[Art]) -> str:
        items = "".join(f"<item><title>{a.name}</title><link>{self.link(a)}</link></item>" for a in arts)
        xml = f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'
        return self.server.route(path, Route(200, "application/rss+xml", xml.encode()))

    def publish_list(self, arts: list[Art], ret: int = 0) -> None:
        info = json.dumps({"appmsgex": [{"link": self.link(a).replace("&amp;", "&"), "title": a.name,
                                          "aid": f"{a.mid}_{a.idx}"} for a in arts]})
        page = json.dumps({"publish_list": [{"publish_type": 101, "publish_info": info}]})
        body = {"base_resp": {"ret": ret, "err_msg": "freq control" if ret else "ok"}, "publish_page": page}
        self.server.route("/cgi-bin/appmsgpublish", _json(body))

    def _long_link(self, query: str) -> Route:
        params = {k: v[0] for k, v in parse_qs(query).items()}
        if "chksm" not in params and self.refuse_without_chksm:
            return VERIFICATION
        path = (f"/s?__biz={params.get('__biz')}&mid={params.get('mid')}&idx={params.get('idx')}"
                f"&sn={params.get('sn')}")
        route = self.pages.get(path)
        if callable(route):
            route = route(query)
        return route or Route(404, "text/plain", b"not found")

    def _album_json(self, query: str) -> Route:
        """One page of an album, as ``../shared/fixtures/wechat_album/*.json`` show it: numbers
        as strings; items newest position first (those pages were asked without
        ``is_reverse``, by soda92/biao-short-novels' ``py_scripts/get_all_json.py``), oldest
        first with ``is_reverse=1`` (qianfei11/WeChat-Album-Downloader asks so "from the first
        article" and lists positions 1, 2, …), an album of ``ascending_albums`` the other way
        round, each with ``msgid``,
        ``itemidx``, ``pos_num``, ``key`` and an ``http://…&chksm=…#rd`` URL; ``begin_msgid``
        exclusive; ``continue_flag`` "1" while more follow in the direction read and
        ``reverse_continue_flag`` "1" on every page after the first; the first screen's
        ``base_info`` has the title and ``article_count`` (current members), later pages only
        ``is_first_screen``; ``verify_status`` "0"; a single item sent as an object (other
        public clients of the JSON)."""
        params = {k: v[0] for k, v in parse_qs(query).items()}
        album_id = params.get("album_id", "")
        if album_id in self.album_errors:
            return _json({"base_resp": {"ret": self.album_errors[album_id], "errmsg": "no such album"}})
        if self.album_needs_biz and not params.get("__biz"):
            return _json({"base_resp": {"ret": -2, "errmsg": "invalid args"}})
        if album_id not in self.albums or params.get("f") != "json":
            return Route(404, "text/plain", b"not found")
        arts = self.albums[album_id]
        positions = {(a.mid, a.idx): number for number, a in enumerate(arts, 1)}
        reversed_asked = params.get("is_reverse") == "1" and self.honours_reverse
        oldest_first = reversed_asked != (album_id in self.ascending_albums)
        ordered = list(arts) if oldest_first else list(reversed(arts))
        count, begin = int(params.get("count", "10")), params.get("begin_msgid")
        start = 0
        if begin:
            start = max(i for i, a in enumerate(ordered) if a.mid == begin and (
                self.cursor_skips_message or a.idx == params.get("begin_itemidx"))) + 1
        page = ordered[start:start + count]
        items = [{"title": a.name, "url": self.link(a).replace("&amp;", "&"), "msgid": a.mid,
                  "itemidx": a.idx, "pos_num": str(positions[(a.mid, a.idx)]),
                  "key": f"3885769611_{a.mid}_{a.idx}", "create_time": "1700000000",
                  "item_show_type": "0", "is_read": "0"} for a in page]
        if album_id in self.audio_albums:
            for item in items:
                del item["url"]
        listed = items[0] if len(items) == 1 else items
        base_info = {"title": f"合集{album_id}", "article_count": str(len(arts)),
                     "is_reverse": "0" if album_id in self.ascending_albums else "1"} if not begin \
            else {"is_first_screen": "0"}
        return _json({"base_resp": {"exportkey_token": "", "ret": 0},
                      "getalbum_resp": {"article_list": listed,
                                        "continue_flag": "1" if start + count < len(ordered) else "0",
                                        "reverse_continue_flag": "1" if begin else "0",
                                        "base_info": base_info, "is_show_subscribe": "0",
                                        "verify_status": "0"}})


def _json(data: object) -> Route:
    return Route(200, "application/json", json.dumps(data, ensure_ascii=False).encode())

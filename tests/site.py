"""A small WeChat for the scheduled-run tests: accounts, articles, albums, feeds, the
back-office list.

As WeChat does, it serves an article at its long link only with the ``chksm`` the link came
with (without, the verification page), and at its short ``/s/<token>`` link if it has one;
albums answer their JSON newest first with ``is_reverse=1`` and state their article count.
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

    def __post_init__(self) -> None:
        self.server.route("/s", self._long_link)
        self.server.route("/mp/appmsgalbum", self._album_json)

    def article(self, art: Art, nickname: str | None = None) -> str:
        """Serve ``art`` and its images; return the link a listing would give."""
        self.pages[art.path] = Route(200, "text/html; charset=utf-8", self.page(art, nickname).encode())
        if art.token:
            self.server.route(f"/s/{art.token}", self.pages[art.path])
        self.server.image(f"/mmbiz_png/Img{art.mid}x{art.idx}/640", png((int(art.mid) % 256, 9, 9)))
        self.server.image("/mmbiz_png/SharedFooter/640", png((1, 1, 1)))
        self.articles.append(art)
        return self.link(art)

    def serve(self, arts: list[Art]) -> list[Art]:
        """Serve each of ``arts`` (see ``article``); return them."""
        for art in arts:
            self.article(art)
        return arts

    def page(self, art: Art, nickname: str | None = None) -> str:
        albums = ", ".join(f"{{ title: '合集{a}', size: '{len(self.albums.get(a, []))}' * 1, "
                           f"albumId: '{a}' }}" for a in art.albums)
        published = int(time.time()) - art.days_ago * 86400 if art.days_ago is not None \
            else 1700000000 + int(art.mid) % 100000 * 60
        links = "".join(f'<p><a href="{link}">往期推荐</a></p>' for link in art.links)
        name = self.account if nickname is None else nickname
        return (page_text("album_article.html", self.server.base)
                .replace("{{TITLE}}", art.name).replace("{{MID}}", art.mid)
                .replace("{{IDX}}", art.idx).replace("{{SN}}", f"sn{art.mid}{art.idx}")
                .replace("{{BIZ}}", art.biz).replace("{{ALBUMS}}", albums)
                .replace("{{LIST}}", "".join(f"<li>{item}</li>" for item in art.items))
                .replace("{{LINKS}}", links)
                .replace("{{NICKNAME}}", name).replace("{{ACCOUNT}}", name)
                .replace("{{CT}}", str(published)))

    def link(self, art: Art) -> str:
        """The long link as pages and listings write it: ``&amp;``, ``chksm``, ``#rd``."""
        return (f"{self.server.base}{art.path.replace('&', '&amp;')}"
                f"&amp;chksm=abcdef0123&amp;scene=126#rd")

    def short(self, art: Art) -> str:
        return f"{self.server.base}/s/{art.token}"

    def album(self, album_id: str, arts: list[Art], error: int = 0) -> str:
        """Serve an album's JSON (``count`` per page, the last single item as an object)."""
        self.albums[album_id] = arts
        if error:
            self.album_errors[album_id] = error
        return f"{self.server.base}/mp/appmsgalbum?__biz={BIZ}&action=getalbum&album_id={album_id}"

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
        if "chksm" not in params:
            return VERIFICATION
        path = (f"/s?__biz={params.get('__biz')}&mid={params.get('mid')}&idx={params.get('idx')}"
                f"&sn={params.get('sn')}")
        route = self.pages.get(path)
        if callable(route):
            route = route(query)
        return route or Route(404, "text/plain", b"not found")

    def _album_json(self, query: str) -> Route:
        params = {k: v[0] for k, v in parse_qs(query).items()}
        album_id = params.get("album_id", "")
        if album_id in self.album_errors:
            return _json({"base_resp": {"ret": self.album_errors[album_id], "errmsg": "no such album"}})
        if album_id not in self.albums or params.get("f") != "json":
            return Route(404, "text/plain", b"not found")
        arts = self.albums[album_id]
        ordered = list(reversed(arts)) if params.get("is_reverse") == "1" else list(arts)
        count, begin = int(params.get("count", "10")), params.get("begin_msgid")
        start = 0
        if begin:
            start = next(i for i, a in enumerate(ordered)
                         if a.mid == begin and a.idx == params.get("begin_itemidx")) + 1
        page = ordered[start:start + count]
        items = [{"title": a.name, "url": self.link(a), "msgid": a.mid, "itemidx": a.idx,
                  "create_time": "1700000000"} for a in page]
        listed = items[0] if len(items) == 1 else items
        more = "1" if start + count < len(ordered) else "0"
        return _json({"base_resp": {"ret": 0},
                      "getalbum_resp": {"article_list": listed, "continue_flag": more,
                                        "reverse_continue_flag": "0",
                                        "base_info": {"title": f"合集{album_id}",
                                                      "article_count": str(len(arts))}}})


def _json(data: object) -> Route:
    return Route(200, "application/json", json.dumps(data, ensure_ascii=False).encode())

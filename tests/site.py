"""A small WeChat for the scheduled-run tests: articles, albums, feeds, the back-office list."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from tests.conftest import page_text
from tests.mockserver import MockWeChat, Route, png

BIZ = "MzA5OTk5OTk5OQ=="


@dataclass(frozen=True)
class Art:
    mid: str
    idx: str = "1"
    title: str = ""
    albums: tuple[str, ...] = ()
    items: tuple[str, ...] = ()  # a list in the body

    @property
    def name(self) -> str:
        return self.title or f"反诈提醒第{self.mid}期"

    @property
    def path(self) -> str:
        return f"/s?__biz={BIZ}&mid={self.mid}&idx={self.idx}&sn=sn{self.mid}{self.idx}"


@dataclass
class Site:
    server: MockWeChat
    account: str = "测试反诈中心"
    articles: list[Art] = field(default_factory=list)

    def article(self, art: Art, nickname: str | None = None) -> str:
        """Serve ``art`` and its images; return the link a listing would give."""
        albums = ", ".join(f"{{ title: '合集{a}', albumId: '{a}' }}" for a in art.albums)
        html = (page_text("album_article.html", self.server.base)
                .replace("{{TITLE}}", art.name).replace("{{MID}}", art.mid)
                .replace("{{IDX}}", art.idx).replace("{{SN}}", f"sn{art.mid}{art.idx}")
                .replace("{{BIZ}}", BIZ).replace("{{ALBUMS}}", albums)
                .replace("{{LIST}}", "".join(f"<li>{item}</li>" for item in art.items))
                .replace("{{NICKNAME}}", self.account if nickname is None else nickname)
                .replace("{{ACCOUNT}}", self.account if nickname is None else nickname)
                .replace("{{CT}}", str(1700000000 + int(art.mid) % 100000 * 60)))
        self.server.page(art.path, html)
        self.server.image(f"/mmbiz_png/Img{art.mid}x{art.idx}/640", png((int(art.mid) % 256, 9, 9)))
        self.server.image("/mmbiz_png/SharedFooter/640", png((1, 1, 1)))
        self.articles.append(art)
        return self.link(art)

    def link(self, art: Art) -> str:
        return (f"{self.server.base}{art.path.replace('&', '&amp;')}"
                f"&amp;chksm=abcdef0123&amp;scene=126#rd")

    def album(self, album_id: str, arts: list[Art], error: int = 0) -> str:
        """Serve an album's JSON (``count`` per page, the last single item as an object)."""

        def route(query: str) -> Route:
            params = {k: v[0] for k, v in parse_qs(query).items()}
            if error:
                return _json({"base_resp": {"ret": error, "errmsg": "no such album"}})
            if params.get("album_id") != album_id or params.get("f") != "json":
                return Route(404, "text/plain", b"not found")
            count, begin = int(params.get("count", "10")), params.get("begin_msgid")
            start = 0
            if begin:
                start = next(i for i, a in enumerate(arts)
                             if a.mid == begin and a.idx == params.get("begin_itemidx")) + 1
            page = arts[start:start + count]
            items = [{"title": a.name, "url": self.link(a), "msgid": a.mid, "itemidx": a.idx,
                      "create_time": "1700000000"} for a in page]
            listed = items[0] if len(items) == 1 else items
            more = "1" if start + count < len(arts) else "0"
            return _json({"base_resp": {"ret": 0},
                          "getalbum_resp": {"article_list": listed, "continue_flag": more,
                                            "base_info": {"title": f"合集{album_id}"}}})

        self.server.routes["/mp/appmsgalbum"] = route
        return f"{self.server.base}/mp/appmsgalbum?__biz={BIZ}&action=getalbum&album_id={album_id}"

    def feed(self, path: str, arts: list[Art]) -> str:
        items = "".join(f"<item><title>{a.name}</title><link>{self.link(a)}</link></item>" for a in arts)
        xml = f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'
        self.server.routes[path] = Route(200, "application/rss+xml", xml.encode())
        return self.server.base + path

    def publish_list(self, arts: list[Art], ret: int = 0) -> None:
        info = json.dumps({"appmsgex": [{"link": self.link(a).replace("&amp;", "&"), "title": a.name,
                                          "aid": f"{a.mid}_{a.idx}"} for a in arts]})
        page = json.dumps({"publish_list": [{"publish_type": 101, "publish_info": info}]})
        body = {"base_resp": {"ret": ret, "err_msg": "freq control" if ret else "ok"}, "publish_page": page}
        self.server.routes["/cgi-bin/appmsgpublish"] = _json(body)


def _json(data: object) -> Route:
    return Route(200, "application/json", json.dumps(data, ensure_ascii=False).encode())

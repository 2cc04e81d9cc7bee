"""The baseline: a plain sequential WeChat archiver, as most public crawlers are written.

One request at a time (urllib), BeautifulSoup with html.parser, markdownify, images one by
one. ``python benchmarks/sequential.py ALBUM_URL OUT_DIR``. Only for comparison.
"""

from __future__ import annotations

import json
import re
import sys
import urllib.request
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from bs4 import BeautifulSoup
from markdownify import markdownify


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=60) as response:
        return bytes(response.read())


def album_links(album_url: str) -> list[str]:
    parts = urlsplit(album_url)
    query = dict(parse_qsl(parts.query))
    links: list[str] = []
    begin: dict[str, str] = {}
    while True:
        params = {"action": "getalbum", "__biz": query["__biz"], "album_id": query["album_id"],
                  "count": "10", "f": "json", **begin}
        data = json.loads(fetch(urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(params), ""))))
        items = data["getalbum_resp"].get("article_list") or []
        items = [items] if isinstance(items, dict) else items
        links += [item["url"].replace("&amp;", "&") for item in items]
        if data["getalbum_resp"].get("continue_flag") != "1":
            return links
        begin = {"begin_msgid": items[-1]["msgid"], "begin_itemidx": items[-1]["itemidx"]}


def archive(link: str, out: Path) -> None:
    soup = BeautifulSoup(fetch(link).decode("utf-8"), "html.parser")
    content, heading = soup.find(id="js_content"), soup.find(id="activity-name")
    mid = re.search(r"mid=(\d+)", link)
    assert content is not None and heading is not None and mid is not None, link
    title, name = heading.get_text(strip=True), mid.group(1)
    for number, img in enumerate(content.find_all("img")):
        src = str(img.get("data-src") or img.get("src"))
        path = out / "postimg" / f"{name}-{number}.png"
        path.write_bytes(fetch(src))
        img["src"] = f"/postimg/{path.name}"
    (out / "_posts" / f"{name}.md").write_text(f"# {title}\n\n{markdownify(str(content))}",
                                              encoding="utf-8")


def main() -> None:
    album_url, out = sys.argv[1], Path(sys.argv[2])
    (out / "_posts").mkdir(parents=True, exist_ok=True)
    (out / "postimg").mkdir(parents=True, exist_ok=True)
    for link in album_links(album_url):
        archive(link, out)


if __name__ == "__main__":
    main()

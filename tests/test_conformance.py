"""The real WeChat pages of ``../shared/fixtures/wechat``, crawled through the stand-in (their
images served by it), make posts as ``ARCHIVE_FORMAT.md`` has them, clause by clause, and
the site builds them."""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from PIL import Image

from crawler.convert.post import post_filename, theme_safe
from crawler.wechat.article import CHINA_TIME, Article
from crawler.wechat.page import parse_page
from tests.conftest import SHARED_FIXTURES, crawl, jekyll_build, shared_fixture
from tests.mockserver import MockWeChat, png
from tests.test_shared_fixtures import ARTICLES

# The image CDN's hosts (IMAGE_HOSTS), served by the stand-in instead.
CDN = re.compile(r"(?:https?:)?//(?:mmbiz\.qpic\.cn|mmbiz\.qlogo\.cn|mmecoa\.qpic\.cn|mmsns\.qpic\.cn)")
# The legacy example's first seven keys, title and date aside, then tags.
HEAD = {0: "---", 1: "layout:     post", 4: "author:     转载", 5: "header-img: img/the-first.png",
        6: "catalog:   false", 7: "tags:"}
IMAGE = re.compile(r"!\[[^\]\n]*\]\(([^)\s]+)\)")
STORED = re.compile(r"\{\{site\.baseurl\}\}/postimg/([A-Za-z0-9_-]+)\.([a-z]+)")


@dataclass
class Post:
    article: Article  # the page as the parser reads it
    path: Path
    text: str
    front: dict[str, object]


@dataclass
class Crawled:
    archive: Path
    posts: list[Post]
    again: dict[str, bytes]  # the posts of a second crawl into another archive


def crawl_ok(archive: Path, urls: Path) -> None:
    result = crawl("article", archive, "-a", f"urls_file={urls}")
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawled]:
    if not SHARED_FIXTURES.is_dir():
        pytest.skip(f"{SHARED_FIXTURES} is absent: the third-party pages live beside the project")
    with MockWeChat() as server:
        pages = {}
        for name in sorted(ARTICLES):
            page = CDN.sub(server.base, shared_fixture(name))
            for path in set(re.findall(re.escape(server.base) + r"(/[^?\"'\s)&\\]+)", page)):
                color = hashlib.sha256(path.encode()).digest()
                server.image(path, png((color[0], color[1], color[2])))
            pages[server.page(f"/s/{name.removesuffix('.html')}", page)] = page
        urls = tmp_path_factory.mktemp("urls") / "urls.txt"
        urls.write_text("\n".join(pages) + "\n", encoding="utf-8")
        archive, other = tmp_path_factory.mktemp("archive"), tmp_path_factory.mktemp("again")
        crawl_ok(archive, urls)
        crawl_ok(other, urls)
    articles = {article.url: article for url, page in pages.items()
                if isinstance(article := parse_page(page, url), Article)}
    posts = []
    for path in sorted((archive / "_posts").glob("*.md")):
        text = path.read_text(encoding="utf-8")
        front = yaml.safe_load(text.split("\n---\n", 1)[0][4:])
        posts.append(Post(articles[front["wechat"]["url"]], path, text, front))
    yield Crawled(archive, posts, {p.name: p.read_bytes() for p in (other / "_posts").iterdir()})


def test_each_page_makes_one_post_named_by_its_china_date_and_title(crawled: Crawled) -> None:
    assert len(crawled.posts) == len(ARTICLES)
    for post in crawled.posts:
        assert post.article.published is not None
        day = f"{post.article.published.astimezone(CHINA_TIME):%Y-%m-%d}"
        assert post.path.name == post_filename(post.article), post.path.name
        assert re.fullmatch(rf"{day}-[^\s\\/:*?\"<>|]+\.md", post.path.name), post.path.name
        assert len(post.path.name.encode()) <= 200


def test_the_front_matter_is_the_legacy_keys_the_tags_and_the_wechat_block(crawled: Crawled) -> None:
    for post in crawled.posts:
        article, lines, published = post.article, post.text.split("\n"), post.article.published
        assert published is not None
        assert {n: lines[n] for n in HEAD} == HEAD, post.path.name
        assert lines[2].startswith("title:      ") and lines[3] == f"date:       {post.path.name[:10]}"
        assert post.front["title"] == theme_safe(article.title)
        tags = lines[8:lines.index("wechat:")]
        assert tags and all(line.startswith("    - ") for line in tags)
        wechat = post.front["wechat"]
        assert isinstance(wechat, dict)
        assert list(wechat)[:4] == ["account", "account_id", "url", "published"]
        assert wechat["account"] == article.account and wechat["account_id"] == article.account_id
        assert re.fullmatch(r"https://mp\.weixin\.qq\.com/s\?__biz=[^&]+&mid=\d+&idx=\d+(&sn=\w+)?",
                            wechat["url"])
        assert f"    published: {published.isoformat()}\n" in post.text
        assert published.isoformat().endswith("+08:00")


def test_the_attribution_is_two_lines_linking_the_canonical_url(crawled: Crawled) -> None:
    for post in crawled.posts:
        after = post.text.split("\n---\n", 1)[1].split("\n")
        url = html.escape(post.article.url)
        assert after[:4] == ["", f"<blockquote><p>转载：{html.escape(post.article.account)}<br>",
                             f'来源：<a href="{url}">微信公众号</a></p></blockquote>', ""], post.path.name


def test_every_cdn_image_is_a_stored_file_in_its_real_format_and_a_paragraph_of_its_own(
        crawled: Crawled) -> None:
    for post in crawled.posts:
        body = post.text.split("</blockquote>\n\n", 1)[1]
        for paragraph in body.strip("\n").split("\n\n"):
            for target in IMAGE.findall(paragraph):
                if not target.startswith("{{"):
                    assert not CDN.match(target) and "127.0.0.1" not in target, target
                    continue
                stored = STORED.fullmatch(target)
                assert stored, target
                with Image.open(crawled.archive / "postimg" / f"{stored[1]}.{stored[2]}") as image:
                    assert stored[2] == str(image.format).lower()
                # alone, or the one thing a link holds
                assert re.fullmatch(r"(\[)?!\[[^\]\n]*\]\([^)\s]+\)(?(1)\]\([^)\s]+\))", paragraph), \
                    paragraph
        assert body.endswith("\n") and not body.endswith("\n\n")


def test_the_same_pages_make_the_same_bytes(crawled: Crawled) -> None:
    assert {post.path.name: post.path.read_bytes() for post in crawled.posts} == crawled.again


def test_jekyll_builds_every_post_without_a_warning(crawled: Crawled, tmp_path: Path) -> None:
    out, log = jekyll_build(crawled.archive, tmp_path)
    assert not re.search(r"warn|error|deprecat|conflict", log, re.IGNORECASE), log
    assert len(list(out.rglob("*.html"))) == len(crawled.posts)

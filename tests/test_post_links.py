"""Links between posts: a link to an archived article points at its post in the built site,
and the posts linking to an article archived later are relinked in that run."""

from __future__ import annotations

import errno
import re
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from crawler.convert.markdown import to_markdown
from crawler.convert.post import compose_post
from crawler.convert.relink import post_url, relink, relink_images, remote_images
from crawler.store.archive import Archive
from crawler.store.index import Index
from crawler.store.links import linkable
from crawler.store.posts import Outcome
from crawler.store.readonly import PostWrites
from crawler.wechat.article import Article
from crawler.wechat.page import parse_page
from tests.conftest import crawl, jekyll_build, page_text, scrapy_command
from tests.mockserver import MockWeChat
from tests.site import Art, Site

LONG = "https://mp.weixin.qq.com/s?__biz=B&mid={}&idx=1&sn=s"


@pytest.fixture
def site(wechat: MockWeChat) -> Site:
    return Site(wechat)


def archive(site: Site, archive_dir: Path, *arts: Art) -> None:
    urls = archive_dir.parent / "urls.txt"
    urls.write_text("\n".join(site.link(art).replace("&amp;", "&") for art in arts), encoding="utf-8")
    result = crawl("article", archive_dir, "-a", f"urls_file={urls}")
    assert result.returncode == 0, result.stderr


def posts(archive_dir: Path) -> dict[str, str]:
    return {p.stem: p.read_text(encoding="utf-8") for p in (archive_dir / "_posts").glob("*.md")}


def test_a_post_archived_later_relinks_the_posts_pointing_to_it_and_the_site_resolves_them(
        site: Site, tmp_path: Path) -> None:
    target, never = Art("2247495002", title="被引用的文章"), Art("2247495003", title="从未存档")
    source = Art("2247495001", title="引用别的文章",
                 links=(site.body_link(target), site.body_link(never)))
    site.serve([source, target])
    archive_dir = tmp_path / "archive"
    archive(site, archive_dir, source)
    [first] = posts(archive_dir).values()
    assert "{% post_url" not in first and "mid=2247495002" in first

    archive(site, archive_dir, target)
    written = posts(archive_dir)
    [stem] = [name for name in written if "被引用的文章" in name]
    [linking] = [text for name, text in written.items() if name != stem]
    assert f"[往期推荐]({{% post_url {stem} %}})" in linking
    assert "mid=2247495003" in linking  # not archived: keeps its WeChat link
    assert linking.count("{%") == 1  # the one Liquid tag a post holds

    out, log = jekyll_build(archive_dir, tmp_path / "jekyll")
    assert "warn" not in log.lower() and "error" not in log.lower()
    [page] = [p for p in out.rglob("*.html") if "引用别的文章" in p.read_text(encoding="utf-8")]
    hrefs = re.findall(r'<a href="([^"]+)">往期推荐</a>', page.read_text(encoding="utf-8"))
    [local] = [unquote(href).removeprefix("/blog/") for href in hrefs if href.startswith("/blog/")]
    assert "<h1>被引用的文章</h1>" in (out / local).read_text(encoding="utf-8")

    # Its post deleted by hand: verify says the site would fail, rebuild brings it back.
    (archive_dir / "_posts" / f"{stem}.md").unlink()
    verified = scrapy_command("verify", archive_dir)
    assert verified.returncode == 1
    assert f"links to the post {stem}, which does not exist" in verified.stdout
    assert scrapy_command("rebuild", archive_dir).returncode == 0
    assert scrapy_command("verify", archive_dir).returncode == 0


def test_articles_archived_in_one_run_link_to_each_other(site: Site, tmp_path: Path) -> None:
    one, two = Art("2247495101", title="甲文"), Art("2247495102", title="乙文")
    one = Art(one.mid, title=one.title, links=(site.body_link(two),))
    two = Art(two.mid, title=two.title, links=(site.body_link(one),))
    site.serve([one, two])
    archive_dir = tmp_path / "archive"
    archive(site, archive_dir, one, two)
    written = posts(archive_dir)
    for name, text in written.items():
        [other] = [n for n in written if n != name]
        assert f"{{% post_url {other} %}}" in text
    jekyll_build(archive_dir, tmp_path / "jekyll")


def test_the_tag_is_the_only_liquid_and_source_text_cannot_forge_one() -> None:
    body = ('<p><a href="https://mp.weixin.qq.com/s?__biz=B&amp;mid=2&amp;idx=1&amp;sn=s">看</a>'
            '{% post_url 2021-01-01-x %}</p><pre>[a](https://mp.weixin.qq.com/s?__biz=B&amp;mid=2&amp;idx=1)</pre>')
    article = Article(url=LONG.format(1), title="t", account="a", published=None, body_html=body)
    markdown = to_markdown(article, {}, post_links={"B:2:1": "2021-07-28-目标"})
    assert f"[看]({post_url('2021-07-28-目标')})" in markdown
    assert markdown.count("{%") == 1  # the page's own "{% post_url …" is escaped
    assert "\n[a](https://mp.weixin.qq.com/s?__biz=B&mid=2&idx=1)\n" in markdown  # code stays
    plain = to_markdown(article, {})
    assert relink(plain, {"B:2:1"}, "2021-07-28-目标") == markdown


@pytest.mark.parametrize("code", [
    "<code>[看](https://mp.weixin.qq.com/s?__biz=B&amp;mid=2&amp;idx=1&amp;sn=s)</code>",
    "<code>`[看](https://mp.weixin.qq.com/s?__biz=B&amp;mid=2&amp;idx=1)`</code>",
    "<code>![](https://mmbiz.qpic.cn/mmbiz_png/InCode/640){: referrerpolicy=&quot;no-referrer&quot;}</code>",
    '<span data-formula="x](https://mp.weixin.qq.com/s?__biz=B&amp;mid=2&amp;idx=1)"></span>',
])
# a backslash escaped: "\\\\`" starts code; a "$" escaped: "\\$$$" starts a formula a "$" after
@pytest.mark.parametrize("before", ["写法：", "路径C:\\", "价$"])
def test_text_of_a_code_span_is_neither_relinked_nor_an_image_left_on_the_cdn(code: str, before: str) -> None:
    """A code span's text is what the article said: relinking a post once its link's article
    is archived turned ``[看](https://mp.weixin…)`` in inline code into
    ``[看]({% post_url … %})``, which Liquid printed as the post's path; the text of an image
    left on the CDN made the post incomplete, its "image" asked for at every run. So is a
    formula's (found by the fuzz test). Text that ends with a backslash, written escaped
    (``\\\\``), escapes no backtick or dollar after it."""
    body = f"<p>{before}{code} 完</p>"
    article = Article(url=LONG.format(1), title="t", account="a", published=None, body_html=body)
    markdown = to_markdown(article, {}, post_links={"B:2:1": "2021-07-28-目标"})
    assert markdown == to_markdown(article, {})
    assert relink(markdown, {"B:2:1"}, "2021-07-28-目标") == markdown
    assert relink_images(markdown, lambda _: "{{site.baseurl}}/postimg/x.png") == markdown
    assert remote_images(markdown) == []


def test_a_link_between_paragraphs_each_of_a_lone_backtick_is_relinked() -> None:
    """A code span ends in its own paragraph, as kramdown reads it: a formula's backtick in
    one paragraph and another's further on are no code span, and a link between them is
    pointed at its archived post."""
    body = ('<p>甲<span data-formula="a`b"></span></p>'
            '<p><a href="https://mp.weixin.qq.com/s?__biz=B&amp;mid=2&amp;idx=1&amp;sn=s">看</a></p>'
            '<p>乙<span data-formula="c`d"></span></p>')
    article = Article(url=LONG.format(1), title="t", account="a", published=None, body_html=body)
    linked = to_markdown(article, {}, post_links={"B:2:1": "2021-07-28-目标"})
    assert post_url("2021-07-28-目标") in linked
    assert relink(to_markdown(article, {}), {"B:2:1"}, "2021-07-28-目标") == linked


@pytest.mark.parametrize("code", ["&lt;b&gt;", "x = ```"])  # fenced by ``` / by ````, as the span
def test_a_code_span_of_a_fence_opens_no_code_block_for_relinking(code: str) -> None:
    """A line of a code span holding a fence (```` ``` ````) was read as a code block's fence
    (GFM's info string holds no backtick): the code block after it was read as its end, the
    next one's end as the start of one, and the link between as code, never relinked (found
    by the fuzz test)."""
    body = (f'<p><code>```</code></p><pre>{code}</pre>'
            '<p><a href="https://mp.weixin.qq.com/s?__biz=B&amp;mid=2&amp;idx=1&amp;sn=s">看</a></p>'
            f'<pre>{code}</pre>')
    article = Article(url=LONG.format(1), title="t", account="a", published=None, body_html=body)
    linked = to_markdown(article, {}, post_links={"B:2:1": "2021-07-28-目标"})
    assert post_url("2021-07-28-目标") in linked
    assert relink(to_markdown(article, {}), {"B:2:1"}, "2021-07-28-目标") == linked


def test_a_link_between_two_code_blocks_of_a_list_item_is_relinked() -> None:
    """A code block in a list item closes with its fence indented under the item's text
    (``- ```…`` then ``  ```…``): relinking took that closing fence for an opening one and
    the link after it for code, never pointed at its archived post (found by the fuzz test)."""
    body = ('<ul><li><pre>a</pre><a href="https://mp.weixin.qq.com/s?__biz=B&amp;mid=2&amp;idx=1'
            '&amp;sn=s">看</a><pre>b</pre></li></ul>')
    article = Article(url=LONG.format(1), title="t", account="a", published=None, body_html=body)
    linked = to_markdown(article, {}, post_links={"B:2:1": "2021-07-28-目标"})
    assert post_url("2021-07-28-目标") in linked
    assert relink(to_markdown(article, {}), {"B:2:1"}, "2021-07-28-目标") == linked


def test_the_front_matter_is_neither_relinked_nor_holds_images_left_on_the_cdn() -> None:
    """Relinking read the whole post: a title, an album's or an account's tag holding
    ``](https://mp.weixin…)`` became ``]({% post_url … %})``, which the front matter shows
    as it is, and in the attribution as the post's path (found by the fuzz test). Nor is an
    image's Markdown there an image of the post."""
    image = '![](https://mmbiz.qpic.cn/mmbiz_png/InTitle/640){: referrerpolicy="no-referrer"}'
    link = "[看](https://mp.weixin.qq.com/s?__biz=B&mid=2&idx=1&sn=s)"
    article = Article(url=LONG.format(1), title=f"{link} {image}", account=link, published=None,
                      body_html="<p>正文</p>")
    post = compose_post(replace(article, published=datetime(2024, 1, 2, tzinfo=UTC)), {},
                        [link, image])
    assert relink(post, {"B:2:1"}, "2021-07-28-目标") == post
    assert relink_images(post, lambda _: "{{site.baseurl}}/postimg/x.png") == post
    assert remote_images(post) == []


@pytest.mark.parametrize("name, ok", [
    ("2021-07-28-网购物品丢失的退款-清远大姐为什么不要.md", True),
    ("2021-07-28-post-1a2b3c4d.md", True),
    ("2021-07-28-a %} {{ site.x }}.md", False),
    ("2021-07-28-a\"b.md", False),
    ("readme.md", False),
])
def test_only_a_post_name_that_cannot_break_the_tag_is_linked(name: str, ok: bool) -> None:
    assert linkable(name) is ok


SHARED_ORIGINAL = Art("2247483687", title="冒充公检法诈骗案例", biz="MzIxNzE3MjEwNg==")


@pytest.mark.parametrize("original_first", [True, False])
def test_a_shared_articles_link_to_its_original_points_at_the_archived_original(
        site: Site, tmp_path: Path, original_first: bool) -> None:
    """The line of a shared article that links its original (tests/pages/shared_post.html
    shares the article of ``SHARED_ORIGINAL``'s ids) is a link to another article: it points
    at the original's post, whichever of the two is archived first."""
    site.serve([SHARED_ORIGINAL])
    shared = site.server.page("/s/SharedPostToken", page_text("shared_post.html"))
    archive_dir = tmp_path / "archive"
    for url in ([site.link(SHARED_ORIGINAL).replace("&amp;", "&"), shared] if original_first
                else [shared, site.link(SHARED_ORIGINAL).replace("&amp;", "&")]):
        result = crawl("article", archive_dir, "-a", f"url={url}")
        assert result.returncode == 0, result.stderr
    written = posts(archive_dir)
    [stem] = [name for name in written if "冒充公检法诈骗案例" in name and "转发" not in name]
    [sharing] = [text for name, text in written.items() if "转发" in name]
    assert f"[原文：冒充公检法诈骗案例]({{% post_url {stem} %}})" in sharing
    out, log = jekyll_build(archive_dir, tmp_path / "jekyll")
    assert "warn" not in log.lower() and "error" not in log.lower()



@pytest.mark.parametrize("fault", ["record", "relink"])
def test_a_post_whose_run_failed_after_writing_it_relinks_the_posts_pointing_to_it_later(
        site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fault: str) -> None:
    """A full disk (or a kill) after a post was written, before it was recorded in the index
    or before the posts linking to it were relinked: the post was settled, or found as it
    would be written ("unchanged") by the next run, and those posts kept the WeChat link."""
    target = Art("2247495202", title="被引用的文章")
    source = Art("2247495201", title="引用别的文章", links=(site.body_link(target),))
    site.serve([source, target])
    archive_dir = tmp_path / "archive"
    archive(site, archive_dir, source)
    real = Index.add_article

    def full_index(index: Index, key: str, *args: Any, **kwargs: Any) -> None:
        if target.mid in key:
            raise sqlite3.OperationalError("database or disk is full")
        real(index, key, *args, **kwargs)

    real_write = PostWrites.write

    def full_disk(writes: PostWrites, path: Path, data: bytes, staged: Any = None) -> bool:
        if source.title in path.name:  # its relink: the run does not fetch it
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(writes, path, data, staged)

    if fault == "record":
        monkeypatch.setattr(Index, "add_article", full_index)
    else:
        monkeypatch.setattr(PostWrites, "write", full_disk)
    urls = tmp_path / "urls.txt"
    urls.write_text(site.link(target).replace("&amp;", "&"), encoding="utf-8")
    failed = crawl("article", archive_dir, "-a", f"urls_file={urls}")
    monkeypatch.undo()
    assert failed.returncode == 1
    # what the run said is what is on disk: kept once posts may have been relinked to it
    [post] = [path for path in (archive_dir / "_posts").glob("*.md") if "被引用的文章" in path.name] \
        or [None]
    [line] = [line for line in failed.stderr.splitlines() if "ERROR: Not " in line]
    if fault == "record":
        assert post is None and "ERROR: Not archived: cannot write the post of" in line, line
    else:
        assert post is not None and f"ERROR: Not recorded: {post} was written now, where no post " \
            "was: [Errno 28] No space left on device, and it stays: posts linking to it may have " \
            "been relinked to it" in line and "the index has no record of it" in line, line
    index = Index(archive_dir / ".state" / "index.sqlite", read_only=True)
    assert index.article_state(f"{target.biz}:{target.mid}:1") is None  # a later run fetches it
    index.close()

    result = crawl("article", archive_dir, "-a", f"urls_file={urls}")
    assert result.returncode == 0, result.stderr
    assert "Post new:" in result.stderr  # the last run said it was not archived
    written = posts(archive_dir)
    [stem] = [name for name in written if "被引用的文章" in name]
    [linking] = [text for name, text in written.items() if name != stem]
    assert f"[往期推荐]({{% post_url {stem} %}})" in linking


@pytest.mark.parametrize("again", ["the same", "changed"])
def test_a_post_written_but_never_recorded_is_new_and_relinks_the_posts_linking_to_it(
        site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, again: str) -> None:
    """A run that wrote a post but could not record it (killed between the two; a new post
    whose record a full disk refuses is taken away) relinked no post: the next run's write
    of it, the page the same or changed, is the article's first in the index, so it counts
    as new and relinks the posts that link to it."""
    target = Art("2247495301", title="写下未记下")
    source = Art("2247495302", title="引用它", links=(site.body_link(target),))
    first, second = (parse_page(site.page(art).encode(), site.link(art).replace("&amp;", "&"))
                     for art in (source, target))
    store = Archive(tmp_path)
    try:
        linking = store.write_post(first, compose_post(first, {}, ["其他"]), tags=["其他"], complete=True)[1]

        def full(*args: object) -> None:
            raise sqlite3.OperationalError("database or disk is full")

        with monkeypatch.context() as patch:  # the post's file written, then the kill
            patch.setattr(store.index, "add_article", full)
            with pytest.raises(sqlite3.OperationalError):
                store.posts.write(second, compose_post(second, {}, ["其他"]), tags=["其他"])
        tags = ["其他"] if again == "the same" else ["其他", "冒充客服"]
        outcome, path = store.write_post(second, compose_post(second, {}, tags), tags=tags, complete=True)
        assert outcome is (Outcome.NEW if again == "the same" else Outcome.UPDATED)
        assert f"{{% post_url {path.stem} %}}" in linking.read_text(encoding="utf-8")
    finally:
        store.close()


def test_a_post_linking_to_one_written_while_its_own_bytes_were_fsynced_links_its_post(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A new post's bytes are fsynced on a thread while the crawl goes on: a post it links to
    written meanwhile relinked the posts it knew, not this one yet. It is converted again,
    and links the post, as when the two were written one after the other."""
    import asyncio

    from crawler.items import ArticleItem
    from crawler.pipelines.posts import PostPipeline
    from crawler.run import Run
    from tests.conftest import unit_crawler
    from tests.test_hostile import page
    crawler = unit_crawler(ARCHIVE_DIR=str(tmp_path))
    crawler.stats.open_spider()
    pipeline = PostPipeline.from_crawler(crawler)
    target = parse_page(page(mid="2247493301", title="被链接的文章", ct="1700000000"),
                        "https://mp.weixin.qq.com/s/target")
    linking = parse_page(page(f'<p><a href="{target.url}">往期推荐</a></p>', mid="2247493302",
                              title="链接它的文章", ct="1700086400"), "https://mp.weixin.qq.com/s/linking")
    staged = PostPipeline._staged

    async def target_written_meanwhile(self: PostPipeline, text: str, placed: Path | None) -> Any:
        if "往期推荐" in text:  # the linking article's
            await PostPipeline.process_item(self, ArticleItem(article=target, file_urls=[]))
        return await staged(self, text, placed)

    monkeypatch.setattr(PostPipeline, "_staged", target_written_meanwhile)
    asyncio.run(pipeline.process_item(ArticleItem(article=linking, file_urls=[])))
    pipeline.close()
    Run.of(crawler).archive.close()
    [written] = [path for path in (tmp_path / "_posts").glob("*.md") if "链接它的文章" in path.read_text()]
    assert "{% post_url " in written.read_text(), written.read_text()

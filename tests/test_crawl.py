"""The real ``scrapy crawl article`` against the local WeChat stand-in; the files it writes."""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
from io import BytesIO
from pathlib import Path

import pytest
import yaml
from PIL import Image

from crawler.spiders import base
from tests.conftest import (
    POST_NAME,
    PROJECT,
    Served,
    crawl,
    crawl_cli,
    crawl_command,
    crawl_env,
    page_text,
    post_of,
    refusal,
    serve_legacy_shape,
)
from tests.mockserver import PLACEHOLDER, MockWeChat, jpeg, png
from tests.site import Art, Site

CANONICAL = ("https://mp.weixin.qq.com/s?__biz=MzI0NzE2NjQ0Mg==&mid=2247500001&idx=1"
             "&sn=aaaabbbbccccdddd0000111122223333")
EXPECTED_HEAD = f"""---
layout:     post
title:      网购物品丢失的退款，清远大姐为什么不要？
date:       2021-07-28
author:     转载
header-img: img/the-first.png
catalog:   false
tags:
    - 冒充电商物流客服
    - 反诈快报
    - 冒充客服诈骗
wechat:
    account: 清远市反诈骗中心
    account_id: gh_f8106a4e0d72
    url: {CANONICAL}
    published: 2021-07-28T16:05:12+08:00
    copyright: original
---

<blockquote><p>转载：清远市反诈骗中心<br>
来源：<a href="{CANONICAL.replace("&", "&amp;")}">微信公众号</a></p></blockquote>

"""


def snapshot(archive: Path) -> dict[str, bytes]:
    return {str(p.relative_to(archive)): p.read_bytes()
            for p in sorted(archive.rglob("*")) if p.is_file() and ".state" not in p.parts}


def test_post_starts_exactly_as_the_contract_says(archived: tuple[Path, str]) -> None:
    archive, _ = archived
    assert [p.name for p in (archive / "_posts").iterdir()] == [POST_NAME]
    assert post_of(archive).startswith(EXPECTED_HEAD)


def test_front_matter_reads_back(archived: tuple[Path, str]) -> None:
    front = yaml.safe_load(post_of(archived[0]).split("---\n")[1])
    assert front["title"] == "网购物品丢失的退款，清远大姐为什么不要？"
    # The scam it explains, then the albums the page names; 其他 only alone.
    assert front["tags"] == ["冒充电商物流客服", "反诈快报", "冒充客服诈骗"]
    assert front["wechat"]["url"] == CANONICAL


def test_body_has_the_article_and_no_page_chrome(archived: tuple[Path, str]) -> None:
    body = post_of(archived[0])[len(EXPECTED_HEAD):]
    assert body.startswith("![]({{site.baseurl}}/postimg/HeaderGifMediaId001.gif)\n\n")
    assert "当你欣然同意  \n按照对方的要求实施操作时，  \n恐怕不是**退款**而是**赔钱**喽！" in body
    assert "\\*在接到疑似售后电话时" in body
    assert body.rstrip().endswith("编辑：阻阻")
    for chrome in ("微信号", "功能介绍", "冒充客服诈骗", "15个", "在看", "微信扫一扫",
                   "document.write", "网购物品丢失的退款，清远大姐为什么不要？"):
        assert chrome not in body


def test_images_are_local_once_each_in_their_real_format(legacy: Served,
                                                         archived: tuple[Path, str]) -> None:
    archive, _ = archived
    stored = sorted(p.name for p in (archive / "postimg").iterdir())
    assert stored == ["HeaderGifMediaId001.gif", "LyingFormatMedia006.jpeg",
                      "SameBytesMediaId003.jpeg", "TwiceUsedMediaId002.png",
                      "WebpAskedMediaId005.png"]
    body = post_of(archive)
    for name in re.findall(r"\{\{site\.baseurl\}\}/postimg/([^)]+)\)", body):
        assert (archive / "postimg" / name).is_file()
    assert body.count("/postimg/TwiceUsedMediaId002.png)") == 2
    assert body.count("/postimg/SameBytesMediaId003.jpeg)") == 2
    assert Image.open(archive / "postimg" / "WebpAskedMediaId005.png").format == "PNG"
    assert Image.open(archive / "postimg" / "LyingFormatMedia006.jpeg").format == "JPEG"


def test_gif_stays_animated_and_byte_identical(legacy: Served, archived: tuple[Path, str]) -> None:
    data = (archived[0] / "postimg" / "HeaderGifMediaId001.gif").read_bytes()
    assert data == legacy.gif
    gif = Image.open(BytesIO(data))
    assert gif.n_frames == 3 and gif.info["loop"] == 0


def test_failed_and_foreign_images_keep_their_urls(legacy: Served,
                                                   archived: tuple[Path, str]) -> None:
    archive, log = archived
    body = post_of(archive)
    # The CDN's images are asked for without a Referer; other hosts' are left as they are.
    assert (f"![]({legacy.server.base}/mmbiz_jpg/FailingMediaId00007/640?wx_fmt=jpeg)"
            '{: referrerpolicy="no-referrer"}\n') in body
    assert "![外站图片](https://example.org/elsewhere.png)\n" in body
    assert re.search(r"Run summary \(finished\): 1 new, 1 image failed", log)
    assert re.search(r"WARNING: Images not stored, the post keeps their URLs: 1 of \d+ in "
                     r"https://mp\.weixin\.qq\.com/s\?__biz=\S+ \(HTTP 404\)", log)
    assert "Traceback" not in log and " ERROR: " not in log


def test_cdn_never_sees_a_referer(legacy: Served, archived: tuple[Path, str]) -> None:
    image_requests = legacy.server.hits("/mmbiz")
    assert image_requests and all("Referer" not in headers for _, headers in image_requests)
    assert all(PLACEHOLDER != p.read_bytes() for p in (archived[0] / "postimg").iterdir())
    assert not any("tp=webp" in path or "wx_lazy" in path for path, _ in image_requests)


def test_archiving_again_refetches_and_changes_no_byte(legacy: Served, archived: tuple[Path, str],
                                                       tmp_path: Path) -> None:
    archive = tmp_path / "again"
    shutil.copytree(archived[0], archive)
    before = snapshot(archive)
    pages, images = len(legacy.server.hits("/s/")), len(legacy.server.hits("/mmbiz"))
    result = crawl_cli("article", archive, "-a", f"url={legacy.url}", tz="America/Los_Angeles")
    assert result.returncode == 0, result.stderr
    assert snapshot(archive) == before
    assert len(legacy.server.hits("/s/")) == pages + 1
    # Only the image that failed is asked for again.
    assert [p for p, _ in legacy.server.hits("/mmbiz")[images:]] == [
        "/mmbiz_jpg/FailingMediaId00007/640?wx_fmt=jpeg"]
    assert re.search(r"Run summary \(finished\): 1 unchanged, 1 image failed", result.stderr)


def test_machine_time_zone_changes_nothing(legacy: Served, archived: tuple[Path, str],
                                          tmp_path: Path) -> None:
    result = crawl_cli("article", tmp_path, "-a", f"url={legacy.url}", tz="Pacific/Kiritimati")
    assert result.returncode == 0, result.stderr
    assert snapshot(tmp_path) == snapshot(archived[0])


def test_a_failed_image_is_fetched_on_the_next_run(wechat: MockWeChat, tmp_path: Path) -> None:
    served = serve_legacy_shape(wechat)
    assert crawl("article", tmp_path, "-a", f"url={served.url}").returncode == 0
    assert "/mmbiz_jpg/FailingMediaId00007/640?wx_fmt=jpeg)" in post_of(tmp_path)
    wechat.image("/mmbiz_jpg/FailingMediaId00007/640", jpeg((9, 9, 9)), content_type="image/jpeg")
    result = crawl("article", tmp_path, "-a", f"url={served.url}")
    assert result.returncode == 0, result.stderr
    assert "![]({{site.baseurl}}/postimg/FailingMediaId00007.jpeg)" in post_of(tmp_path)
    assert result.stats["posts/updated"] == 1


def test_a_worse_page_never_overwrites_the_archived_post(wechat: MockWeChat,
                                                         archived: tuple[Path, str],
                                                         tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    shutil.copytree(archived[0], archive)
    before = snapshot(archive)
    page = page_text("legacy_shape.html", wechat.base)
    gutted = re.sub(r'(<div class="rich_media_content[^>]*>).*?(<div id="js_tags")',
                    r"\1<p>该文已修改</p></div>\2", page, flags=re.S)
    url = wechat.page("/s/LegacyShapeToken", gutted)
    result = crawl("article", archive, "-a", f"url={url}")
    assert result.returncode == 0, result.stderr
    assert snapshot(archive) == before
    assert re.search(r"WARNING: Kept the archived \S+\.md: the page fetched now", result.stderr)


def test_an_edited_title_keeps_the_articles_file(wechat: MockWeChat, archived: tuple[Path, str],
                                                 tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    shutil.copytree(archived[0], archive)
    serve_legacy_shape(wechat)
    page = page_text("legacy_shape.html", wechat.base).replace("清远大姐为什么不要", "清远大姐不要")
    url = wechat.page("/s/LegacyShapeToken", page)
    result = crawl("article", archive, "-a", f"url={url}")
    assert result.returncode == 0 and result.stats["posts/updated"] == 1
    assert [p.name for p in (archive / "_posts").iterdir()] == [POST_NAME]
    assert "title:      网购物品丢失的退款，清远大姐不要？" in post_of(archive)


def test_two_articles_with_one_title_and_date_get_two_files(wechat: MockWeChat,
                                                            tmp_path: Path) -> None:
    page = page_text("legacy_shape.html", wechat.base)
    first = wechat.page("/s/First", page)
    second = wechat.page("/s/Second", page.replace('"2247500001"', '"2247500002"'))
    result = crawl("article", tmp_path, "-a", f"url={first}")
    assert result.returncode == 0
    assert crawl("article", tmp_path, "-a", f"url={second}").returncode == 0
    names = sorted(p.name for p in (tmp_path / "_posts").iterdir())
    assert len(names) == 2 and POST_NAME in names
    assert all(len(n.encode()) <= 200 for n in names)


def test_a_short_link_listed_twice_as_chats_copy_it_is_fetched_once(wechat: MockWeChat,
                                                                   tmp_path: Path) -> None:
    """The share menu's link and a chat's copy of it (a trailing slash, tracking, a
    fragment) are one article: one request, one post."""
    short = wechat.page("/s/Twice", page_text("legacy_shape.html", wechat.base))
    listing = tmp_path / "urls.txt"
    listing.write_text(f"{short}\n{short}/?scene=1&srcid=0101&sharer_shareid=ab#rd\n")
    result = crawl("article", tmp_path / "archive", "-a", f"urls_file={listing}")
    assert result.returncode == 0, result.stderr
    assert [path for path, _ in wechat.hits("/s/")] == ["/s/Twice"]
    assert [p.name for p in (tmp_path / "archive" / "_posts").iterdir()] == [POST_NAME]


def test_an_article_given_by_its_short_and_its_long_link_is_fetched_once(wechat: MockWeChat,
                                                                         tmp_path: Path) -> None:
    """A short link names its article only once fetched: the long link given after it (or
    before) is not asked for again, nor written twice."""
    page = page_text("legacy_shape.html", wechat.base)
    long = wechat.page("/s?__biz=MzI0NzE2NjQ0Mg==&mid=2247500001&idx=1"
                       "&sn=aaaabbbbccccdddd0000111122223333&chksm=ab12", page)
    short = wechat.page("/s/LegacyShapeToken", page)
    listing = tmp_path / "urls.txt"
    listing.write_text(f"{long}\n{short}\n")
    result = crawl("article", tmp_path / "archive", "-a", f"urls_file={listing}")
    assert result.returncode == 0, result.stderr
    assert len(wechat.hits("/s")) == 1, wechat.hits("/s")
    assert "Run summary (finished): 1 new, 7 images failed\n" in result.stderr, result.stderr


def test_links_waiting_for_a_short_link_are_sent_a_batch_at_a_time_each_once(
        wechat: MockWeChat, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(base, "_HELD_AT_ONCE", 2)
    site = Site(wechat)
    arts = site.serve([Art(str(2247480001 + n), token="Given" if n == 0 else "") for n in range(6)])
    listing = tmp_path / "urls.txt"
    # the first article by its short link and its long link too
    listing.write_text("".join(f"{site.link(art).replace('&amp;', '&')}\n" for art in arts)
                       + f"{site.short(arts[0])}\n")
    result = crawl("article", tmp_path / "archive", "-a", f"urls_file={listing}")
    assert result.returncode == 0, result.stderr
    fetched = [path for path, _ in wechat.hits("/s")]
    assert fetched[0] == "/s/Given" and len(fetched) == 6, fetched
    assert "Run summary (finished): 6 new\n" in result.stderr, result.stderr


def test_a_list_saved_by_notepad_is_read_as_its_lines_and_a_stray_byte_named_by_its_line(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """A list of links saved on Windows (a byte order mark, CRLF line ends), with a blank
    line, a comment and one link twice, archives each article once. One byte of another
    encoding in it (a GBK comment pasted in) is one line, exit status 2, that names its line,
    as the accounts file's does: it said "'utf-8' codec can't decode byte 0xb7 in position
    93: invalid start byte", a count of bytes no editor shows."""
    site = Site(wechat)
    arts = site.serve([Art("2247480101"), Art("2247480102")])
    links = [site.link(art).replace("&amp;", "&") for art in arts]
    listing = tmp_path / "urls.txt"
    listing.write_bytes(b"\xef\xbb\xbf# \xe9\x93\xbe\xe6\x8e\xa5\r\n\r\n"
                        + "\r\n".join([links[0], "  # done", links[1], links[0]]).encode() + b"\r\n")
    result = crawl("article", tmp_path / "archive", "-a", f"urls_file={listing}")
    assert result.returncode == 0, result.stderr
    assert len(wechat.hits("/s?")) == 2 and len(list((tmp_path / "archive" / "_posts").glob("*.md"))) == 2
    assert "Run summary (finished): 2 new\n" in result.stderr, result.stderr
    listing.write_bytes(listing.read_bytes() + "# 第三批\r\n".encode("gbk"))
    refused = crawl("article", tmp_path / "archive", "-a", f"urls_file={listing}")
    assert refused.returncode == 2 and len(wechat.hits("/s?")) == 2
    assert refused.stderr == (f"scrapy crawl article: urls_file {str(listing)!r} is not UTF-8 "
                              "(byte 0xb5 on line 7): save it as UTF-8\n"), refused.stderr


NOT_ARTICLES = {
    "deleted.html": "deleted by its publisher",
    "deleted_en.html": "deleted by its publisher",
    "violation.html": "removed for violating platform rules",
    "unavailable.html": "temporarily unavailable",
    "expired.html": "an expired link",
    "bad_params.html": "parameter-error page",
}


def test_pages_that_are_not_articles_write_nothing_and_say_why(wechat: MockWeChat,
                                                               tmp_path: Path) -> None:
    urls = [wechat.page(f"/s/{name.split('.')[0]}", page_text(name)) for name in NOT_ARTICLES]
    listing = tmp_path / "urls.txt"
    listing.write_text("# pages WeChat serves instead of articles\n" + "\n".join(urls) + "\n")
    result = crawl("article", tmp_path / "archive", "-a", f"urls_file={listing}")
    assert result.returncode == 0, result.stderr
    assert not list((tmp_path / "archive" / "_posts").glob("*.md"))
    for url, reason in zip(urls, NOT_ARTICLES.values(), strict=True):
        assert re.search(rf"WARNING: Not archived: {re.escape(url)} is [^\n]*{reason}", result.stderr)
    # Counted in the summary, every one: it said "nothing to do", and the source's line
    # left out all but the deleted and removed.
    counts = ("2 deleted, 1 removed, 1 temporarily unavailable, 1 expired link, "
              "1 parameter-error page")
    assert f"Run summary (finished): {counts}\n  url: {counts}\n" in result.stderr, result.stderr


def test_no_publish_time_means_no_post(wechat: MockWeChat, tmp_path: Path) -> None:
    url = wechat.page("/s/Scriptless", page_text("scriptless.html"))
    result = crawl("article", tmp_path, "-a", f"url={url}")
    assert result.returncode == 0, result.stderr
    assert not list((tmp_path / "_posts").glob("*.md"))
    assert "states no publish time" in result.stderr


@pytest.mark.parametrize("page, counted", [("scriptless.html", "1 without publish time"),
                                            ("expired.html", "1 expired link")])
def test_from_cron_a_page_not_archived_comes_with_the_summary(wechat: MockWeChat, tmp_path: Path,
                                                             page: str, counted: str) -> None:
    """At LOG_LEVEL=WARNING a run that said something went wrong says its summary too: the
    page's WARNING line came alone, the summary left at INFO."""
    url = wechat.page("/s/Page", page_text(page))
    result = crawl("article", tmp_path, "-a", f"url={url}", settings={"LOG_LEVEL": "WARNING"})
    assert result.returncode == 0, result.stderr
    assert "Not archived: " in result.stderr
    assert f"WARNING: Run summary (finished): {counted}\n  url: {counted}\n" in result.stderr, \
        result.stderr
    # one line for the page: not Scrapy's "Dropped: Not archived: …" and the item on a line of its own
    said, summary, _ = result.stderr.splitlines()
    assert re.search(r"^\S+ \S+ \[[\w.]+\] WARNING: Not archived: \S+", said), said
    assert "Run summary" in summary


@pytest.mark.parametrize("args, message", [
    (["-a", "url=not-a-url"], "not an http(s) URL: 'not-a-url'"),
    (["-a", "url=https://example.com/s/abc"], "not a WeChat article host"),
    (["-a", "url=http://127.0.0.1/s?__biz=MzA=&idx=1"], "article link lacks mid"),
    (["-a", "url=http://127.0.0.1/mp/appmsgalbum?__biz=MzA=&action=getalbum&album_id=1#wechat_redirect"],
     "an album's link, not an article's: archive it with scrapy crawl album -a url="),
    (["-a", "urls_file=/no/such/file"], "cannot read urls_file '/no/such/file'"),
    ([], "give an article with -a url=URL"),
    # fetched as it was, its password in the log, the captures and the index
    (["-a", "url=http://reader:secret@127.0.0.1/s/abc"], "a link with a user name or password in it"),
    # pasted from a message listing several: "a link with a space in it (copy the link alone)"
    (["-a", "url=http://127.0.0.1/s/abc http://127.0.0.1/s/def"],
     "several links in one (give each on its own): 'http://127.0.0.1/s/abc http://127.0.0.1/s/def'"),
    (["-a", "url=http://127.0.0.1/s/abc,https://127.0.0.1/s/def"], "several links in one"),
])
def test_bad_arguments_get_one_clear_line(tmp_path: Path, args: list[str], message: str) -> None:
    result = crawl("article", tmp_path, *args)
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("scrapy crawl article:")]
    assert len(errors) == 1 and message in errors[0]
    assert "Traceback" not in result.stderr and "secret" not in result.stderr  # a password given


LONG_IDS = "__biz=MzA%3D&mid=2247500001&idx=1"


@pytest.mark.parametrize("url, said", [
    # a %-escape cut in copying: each was asked of WeChat, which answers a parameter error
    ("BASE/s?__biz=MzA%&mid=2247500001&idx=1&sn=ab",
     "article link's __biz 'MzA%' is none WeChat gives (a link cut or changed in copying?)"),
    ("BASE/s?__biz=MzA%3D&mid=22475%ZZ00001&idx=1", "article link's mid '22475%ZZ00001' is none"),
    ("BASE/s?__biz=MzA%3D&mid=2247500001&idx=%E4", "article link's idx '\ufffd' is none"),
    # one link pasted twice, or two links, without a space between: asked as one
    (f"BASE/s?{LONG_IDS}&sn=abBASE/s?{LONG_IDS}&sn=ab", "several links in one"),
    ("BASE/s/abcBASE/s/def", "several links in one"),
    (f"BASE/s?{LONG_IDS}&mid=2247500002&sn=ab", "article link gives mid twice"),
    # a look-alike host (a Cyrillic і, a full-width dot) was "copy the link alone"
    ("http://127.0.0.\u0456/s/abc", "not a WeChat article host (127.0.0.1): 'і' in its host"),
    ("http://127.0.0\uff0e1/s/abc", "not a WeChat article host (127.0.0.1): '．' in its host"),
])
def test_a_link_that_names_no_article_is_one_line_and_status_2(wechat: MockWeChat, tmp_path: Path,
                                                               url: str, said: str) -> None:
    """What cannot be an article's link is refused before a page is asked: it was asked,
    and the run ended 0 on WeChat's parameter-error page, or 1 on an error status, or took
    one article's ids of two, or told the user of a look-alike host to copy the link alone."""
    result = crawl("article", tmp_path / "archive", "-a", f"url={url.replace('BASE', wechat.base)}")
    assert result.returncode == 2, result.stderr
    assert refusal(result, "crawl article").startswith(f"scrapy crawl article: {said}"), result.stderr
    assert wechat.hits() == [] and not (tmp_path / "archive").exists()


def test_wechats_host_with_another_port_than_its_schemes_is_refused(tmp_path: Path) -> None:
    """mp.weixin.qq.com answers on 443 (and 80): a link to another port of it was asked
    there, and the run ended 1, "none of the articles given could be fetched", after the
    connection timed out. Its scheme's own port is its link."""
    settings = {"ARTICLE_HOSTS": "mp.weixin.qq.com"}
    result = crawl("article", tmp_path / "archive", "-a", "url=https://mp.weixin.qq.com:8443/s/abc",
                   settings=settings)
    assert result.returncode == 2, result.stderr
    assert refusal(result, "crawl article") == (
        "scrapy crawl article: WeChat's article links have no port but their scheme's (:8443): "
        "'https://mp.weixin.qq.com:8443/s/abc'"), result.stderr
    assert not (tmp_path / "archive").exists()


@pytest.mark.parametrize("line, said", [
    ("http://127.0.0.1/s/a b", "a link with a space in it"),
    ("http://[::1/s/abc", "not an http(s) URL"),
    ("http://127.0.0.1/s?__biz=MzA=&mid=2&sn=ab", "article link lacks idx"),
    ("http://reader:secret@127.0.0.1/s/abc", "a link with a user name or password in it"),
    ("http://127.0.0.1/s/abc\thttp://127.0.0.1/s/def", "several links in one"),
])
def test_a_malformed_link_in_a_list_is_one_line_and_nothing_is_fetched(wechat: MockWeChat, tmp_path: Path,
                                                                      line: str, said: str) -> None:
    """The whole list refused, named by its line, before a page of it is asked for: a cron
    job's list of the day is mended and run again, not archived in part."""
    good = wechat.page("/s/Good", page_text("minimal_article.html"))
    listing = tmp_path / "urls.txt"
    listing.write_text(f"{good}\n{line}\n", encoding="utf-8")
    result = crawl("article", tmp_path / "archive", "-a", f"urls_file={listing}")
    assert result.returncode == 2, result.stderr
    assert refusal(result, "crawl article").startswith(f"scrapy crawl article: {listing}:2: {said}")
    assert "secret" not in result.stderr  # a password in the list is not printed back
    assert wechat.hits("/s") == [] and not (tmp_path / "archive").exists()


@pytest.mark.parametrize("spider, argument, said", [
    ("article", "urls_file", "'{}' lists no URL"),
    ("import", "paths_file", "no saved pages (.html, .htm, .xhtml, .mhtml, .mht, .eml, .webarchive) in '{}'"),
    ("import", "path", "no saved pages (.html, .htm, .xhtml, .mhtml, .mht, .eml, .webarchive) in '{}'"),
])
def test_a_list_or_folder_naming_nothing_is_one_line_nothing_to_do_and_status_0(
        tmp_path: Path, spider: str, argument: str, said: str) -> None:
    """A cron job's list of the day (``-a urls_file=<(program)``) or its folder of saved
    pages may hold nothing: the article list was a run of nothing, status 0, the import's
    a refusal, status 2 ("bad arguments" mailed every quiet night). Both are now one line
    naming where nothing was found, status 0, and no archive made."""
    given = tmp_path / ("saved" if argument == "path" else "list.txt")
    if argument == "path":
        given.mkdir()
    else:
        given.write_text("# nothing yet\n\n")
    result = crawl(spider, tmp_path / "archive", "-a", f"{argument}={given}")
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [f"scrapy crawl {spider}: nothing to do: {said.format(given)}"]
    assert not (tmp_path / "archive").exists()


def test_a_folder_whose_pages_are_all_in_its_subfolders_says_they_are_not_read(tmp_path: Path) -> None:
    """A drop folder sorted into subfolders (``saved/2026-12/…html``) was "nothing to do: no
    saved pages … in 'saved'", status 0, night after night: nothing said where the pages are."""
    saved = tmp_path / "saved"
    for folder in ("2026-12", "done", "empty"):
        (saved / folder).mkdir(parents=True)
    (saved / "2026-12" / "a.html").write_text(page_text("text_post.html"), encoding="utf-8")
    (saved / "done" / "b.mhtml").write_bytes(b"")
    result = crawl("import", tmp_path / "archive", "-a", f"path={saved}")
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [
        f"scrapy crawl import: nothing to do: no saved pages (.html, .htm, .xhtml, .mhtml, .mht, .eml, .webarchive) in '{saved}' "
        "(its subfolders are not read; saved pages are in '2026-12', 'done': give each)"]
    assert not (tmp_path / "archive").exists()


@pytest.mark.parametrize("around", ["<{}>", '"{}"', "'{}'", "“{}”", "「{}」", "({})", "`{}`"])
def test_a_link_quoted_in_a_chat_message_is_the_link_inside(wechat: MockWeChat, tmp_path: Path,
                                                            around: str) -> None:
    """A link a message quotes or brackets (``<…>``, as mail and Markdown write it) was
    'not an http(s) URL'; the marks around a link are not part of it."""
    site = Site(wechat)
    [art] = site.serve([Art("2247490701")])
    link = site.link(art).replace("&amp;", "&").split("#")[0]
    result = crawl("article", tmp_path, "-a", f"url={around.format(link)}")
    assert result.returncode == 0, result.stderr
    assert [path for path, _ in wechat.hits("/s")] == [art.path + "&chksm=abcdef0123"]
    assert len(list((tmp_path / "_posts").glob("*.md"))) == 1


@pytest.mark.parametrize("after", ['"', "'", ">", ")", "]", "`", ",", "!", "<br>", ".", "?"])
def test_a_long_link_with_a_mark_after_it_is_refused_not_fetched_with_it(wechat: MockWeChat,
                                                                         tmp_path: Path,
                                                                         after: str) -> None:
    """A long link copied with a mark after it (a quote left open, a chat's ASCII comma) was
    fetched with the mark in its last parameter (``chksm``, or ``scene`` here): one line
    now, nothing asked."""
    site = Site(wechat)
    [art] = site.serve([Art("2247490702")])
    link = site.link(art).replace("&amp;", "&").split("#")[0] + after
    result = crawl("article", tmp_path, "-a", f"url={link}")
    assert result.returncode == 2, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("scrapy crawl article:")]
    assert len(errors) == 1 and "(copy the link alone)" in errors[0], result.stderr
    assert wechat.hits("/s") == []


def test_oversized_and_non_image_downloads_keep_their_urls(wechat: MockWeChat,
                                                           tmp_path: Path) -> None:
    page = page_text("legacy_shape.html", wechat.base)
    wechat.image("/mmbiz_gif/HeaderGifMediaId001/640", b"<html>not allowed</html>",
                 content_type="image/gif")
    wechat.image("/mmbiz_png/TwiceUsedMediaId002/640", png((1, 2, 3), (400, 400)) + b"\0" * 20000)
    url = wechat.page("/s/LegacyShapeToken", page)
    result = crawl("article", tmp_path, "-a", f"url={url}", settings={"DOWNLOAD_MAXSIZE": "15000"})
    assert result.returncode == 0, result.stderr
    body = post_of(tmp_path)
    assert f"![]({wechat.base}/mmbiz_gif/HeaderGifMediaId001/640?wx_fmt=gif&wxfrom=5&wx_lazy=1)" in body
    assert f"![]({wechat.base}/mmbiz_png/TwiceUsedMediaId002/640?wx_fmt=png&from=appmsg)" in body
    assert re.search(r"Images not stored[^\n]*: 7 of 7 in [^\n]*\(not a readable image[^\n]*; "
                     r"\S+/mmbiz_png/TwiceUsedMediaId002/640\S*: 21387 bytes, larger than DOWNLOAD_MAXSIZE "
                     r"\(15000\)[^\n]*; 1 other reason\)", result.stderr)  # the five unserved (HTTP 404)
    assert not list((tmp_path / "postimg").glob("*"))


def a_file_put_in_place_of(folder: Path, server: MockWeChat) -> None:
    """Have a file put where the archive keeps ``folder`` (by a person, by a sync tool) as the
    crawl asks ``server`` for its first page, once: the crawl found the folder sound as it
    started (a file there from the start is one line, nothing fetched), and each write there
    fails from then on."""
    lock = threading.Lock()  # the server answers each connection on a thread of its own

    def put_file(path: str) -> None:
        with lock:
            if server.before_answer is not put_file:
                return
            server.before_answer = lambda path: None
            if folder.is_dir():  # made as the archive opened, empty
                folder.rmdir()
            folder.write_text("not a folder")

    server.before_answer = put_file


def test_a_disk_error_is_one_clear_line_and_loses_nothing(wechat: MockWeChat, tmp_path: Path) -> None:
    legacy = serve_legacy_shape(wechat)
    a_file_put_in_place_of(tmp_path / "_posts", wechat)
    result = crawl("article", tmp_path, "-a", f"url={legacy.url}")
    assert re.search(r"ERROR: Not archived: cannot write the post of "
                     r"https://mp\.weixin\.qq\.com/s\?__biz=\S+: \[Errno \d+\] \w",
                     result.stderr)
    assert (tmp_path / "_posts").read_text() == "not a folder"
    assert "Traceback" not in result.stderr and "body_html" not in result.stderr


def test_each_post_a_disk_error_costs_is_a_line_of_the_command_the_first_an_error(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """One ERROR line a cause, each post after it at INFO: those went through Scrapy's
    logger, which a run below DEBUG holds to WARNING, and never showed. A full disk's log
    named one post of the twelve it cost; which the others were, no line said."""
    site = Site(wechat)
    urls = [site.article(art).replace("&amp;", "&") for art in (Art("301"), Art("302"), Art("303"))]
    listed = tmp_path / "urls.txt"
    listed.write_text("\n".join(urls), encoding="utf-8")
    archive = tmp_path / "archive"
    a_file_put_in_place_of(archive / "_posts", wechat)
    result = crawl_cli("article", archive, "-a", f"urls_file={listed}")
    assert result.returncode == 1, result.stderr
    said = [line for line in result.stderr.splitlines() if "Not archived: cannot write the post of" in line]
    assert [line.split("] ")[1].split(":")[0] for line in said] == ["ERROR", "INFO", "INFO"], result.stderr
    assert {re.search(r"mid=(\d+)", line)[1] for line in said} == {"301", "302", "303"}  # type: ignore[index]


def test_images_that_cannot_be_written_keep_their_urls_and_are_retried(wechat: MockWeChat,
                                                                       tmp_path: Path) -> None:
    legacy = serve_legacy_shape(wechat)
    a_file_put_in_place_of(tmp_path / "postimg", wechat)
    result = crawl("article", tmp_path, "-a", f"url={legacy.url}")
    assert result.returncode == 1, result.stderr  # the archive cannot be written
    assert len(re.findall(r"ERROR: Images not stored[^\n]*: 7 of 7 in ", result.stderr)) == 1
    assert "Images not stored" not in result.stderr.replace("ERROR: Images not stored", "", 1)
    # six cannot be written (two of them bring the same bytes), one is not served
    assert (result.stats["posts/new"], result.stats["images/failed"]) == (1, 7)
    assert f"]({legacy.server.base}/mmbiz_gif/HeaderGifMediaId001/" in post_of(tmp_path)
    assert "{{site.baseurl}}/postimg/" not in post_of(tmp_path)
    assert "Traceback" not in result.stderr

    (tmp_path / "postimg").unlink()
    again = crawl("article", tmp_path, "-a", f"url={legacy.url}")
    assert again.returncode == 0, again.stderr
    assert "{{site.baseurl}}/postimg/HeaderGifMediaId001.gif" in post_of(tmp_path)
    assert (tmp_path / "postimg" / "HeaderGifMediaId001.gif").read_bytes() == legacy.gif


def test_a_crawl_without_redis_imports_no_redis(legacy: Served, tmp_path: Path) -> None:
    """Only a job's writer or node uses Redis; importing redis and scrapy-redis costs every
    other crawl some 50 ms of its start."""
    result = subprocess.run(crawl_command("article", tmp_path, "-a", f"url={legacy.url}"), cwd=PROJECT,
                            env={**crawl_env(), "PYTHONPROFILEIMPORTTIME": "1"},
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    imported = {line.rsplit("|", 1)[1].strip() for line in result.stderr.splitlines()
                if line.startswith("import time:")}
    assert {"scrapy", "crawler.distributed.mode"} <= imported
    assert {name for name in imported if name.split(".")[0] in ("redis", "scrapy_redis")} == set()

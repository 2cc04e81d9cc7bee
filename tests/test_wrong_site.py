"""``crawl article`` and ``crawl accounts`` against a WECHAT_BASE_URL or a proxy that answers
for another site: a web server's welcome page, a redirect to a login page, an empty page."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import PAGES, crawl
from tests.mockserver import MockWeChat, Route
from tests.site import Site, numbered
from tests.test_watch import archive_all, watch

BIZ = "MzA5OTk5OTk5OQ=="
WELCOME = b"<!DOCTYPE html><html><head><title>Welcome to nginx!</title></head><body><h1>Welcome to nginx!</h1></body></html>"
LOGIN = "<html><head><title>登录</title></head><body><form><input type=password></form></body></html>"
FAILED = ("Exit status 1: no page answered was WeChat's: each was not an article page (a proxy, a login "
          "page, or WECHAT_BASE_URL answering for another site?): see the WARNING lines")


def answering(server: MockWeChat, answer: str) -> None:
    """``server`` answering every article and album as ``answer`` says."""
    route = {"another site": Route(200, "text/html", WELCOME),
             "a login page": Route(301, "text/html", b"", (("Location", server.base + "/login?from=mp"),)),
             "an empty page": Route(200, "text/html", b"")}[answer]
    for path in ("/s", "/mp/appmsgalbum"):
        server.route(path, route)
    server.page("/login", LOGIN)


def links(server: MockWeChat) -> list[str]:
    return [f"{server.base}/s?__biz={BIZ}&mid=224749700{number}&idx=1&sn=x" for number in (1, 2, 3)]


@pytest.mark.parametrize("answer", ["another site", "a login page", "an empty page"])
def test_articles_answered_by_another_site_are_each_one_line_and_fail_the_run(
        wechat: MockWeChat, tmp_path: Path, answer: str) -> None:
    """Every article answered with another site's page ended with exit status 0, as if done:
    a cron job behind a proxy gone wrong archived nothing, night after night, and said it
    did its job. And three links redirected to one login page were one line and one count:
    Scrapy dropped the second and third redirect as a page asked already."""
    answering(wechat, answer)
    listed = tmp_path / "links.txt"
    listed.write_text("".join(link + "\n" for link in links(wechat)))

    result = crawl("article", tmp_path / "archive", "-a", f"urls_file={listed}")

    assert result.returncode == 1, result.stderr
    refused = [line for line in result.stderr.splitlines() if "Not archived: " in line]
    assert sorted(link for link in links(wechat) for line in refused if f"Not archived: {link}" in line) \
        == links(wechat), result.stderr
    assert all("is not an article page" in line for line in refused) and len(refused) == 3, refused
    assert "Run summary (finished): 3 not article pages" in result.stderr
    assert FAILED in result.stderr


@pytest.mark.parametrize("answer", ["another site", "a login page", "an empty page"])
def test_an_account_answered_by_another_site_fails_the_run(
        wechat: MockWeChat, tmp_path: Path, answer: str) -> None:
    """The album failed to read, and the account's link was "not an article page", yet the
    run ended with exit status 0: the account's link counted as a source read."""
    answering(wechat, answer)
    accounts = tmp_path / "accounts.toml"
    accounts.write_text(f'[[account]]\nname = "某市反诈中心"\nbiz = "{BIZ}"\nalbums = ["1999000111222333444"]\n'
                        f'urls = ["{links(wechat)[0]}"]\n', encoding="utf-8")

    result = crawl("accounts", tmp_path / "archive", "-a", f"file={accounts}",
                   settings={"WECHAT_BASE_URL": wechat.base})

    assert result.returncode == 1, result.stderr
    assert "Source album:1999000111222333444 could not be read" in result.stderr
    assert f"Not archived: {links(wechat)[0]}" in result.stderr


def test_short_links_of_one_article_fetch_its_page_once(wechat: MockWeChat, tmp_path: Path) -> None:
    """What the filter above still drops: several links redirected to one article's page
    (a chat's short links of one article) fetch that page once, not once a link."""
    article = f"/s?__biz={BIZ}&mid=2247497001&idx=1&sn=x"
    wechat.page(article, (PAGES / "text_post.html").read_text(encoding="utf-8"))
    tokens = ("AAAAAAAAAAAAAAAAAAAAAA", "BBBBBBBBBBBBBBBBBBBBBB", "CCCCCCCCCCCCCCCCCCCCCC")
    for token in tokens:
        wechat.redirect(f"/s/{token}", wechat.base + article)
    listed = tmp_path / "links.txt"
    listed.write_text("".join(f"{wechat.base}/s/{token}\n" for token in tokens))

    result = crawl("article", tmp_path / "archive", "-a", f"urls_file={listed}")

    assert result.returncode == 0, result.stderr
    assert len(wechat.hits("/s?")) == 1, wechat.hits()
    assert len(list((tmp_path / "archive" / "_posts").glob("*.md"))) == 1


@pytest.mark.parametrize("answer", ["another site", "a login page", "an empty page"])
def test_a_watch_answered_by_another_site_fails_the_run_and_marks_nothing(
        wechat: MockWeChat, tmp_path: Path, answer: str) -> None:
    """``crawl watch`` over posts whose every original answered as another site ended with
    exit status 0 where ``crawl article`` and ``crawl accounts`` end 1: an original looked at
    was counted as WeChat's answer, whatever answered."""
    archive = tmp_path / "archive"
    site = Site(wechat)
    arts = site.serve(numbered(2247497101, 3))
    archive_all(site, arts, archive)
    posts = {path: path.read_bytes() for path in (archive / "_posts").glob("*.md")}
    answering(wechat, answer)

    result = watch(archive, site)

    assert result.returncode == 1, result.stderr
    assert FAILED in result.stderr, result.stderr
    assert "Run summary (finished): 3 not article pages, 3 originals watched;" in result.stderr, result.stderr
    assert {path: path.read_bytes() for path in (archive / "_posts").glob("*.md")} == posts

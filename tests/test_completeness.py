"""Complete on real WeChat: albums that shrink, grow and reorder, links without ``chksm``,
and runs that say they failed when they did.

Each test runs the real ``scrapy crawl`` against the stand-in of ``tests/site.py``, whose
album JSON and links follow real captures (named there).
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest

from tests.conftest import PAGES, crawl
from tests.inprocess import Crawled
from tests.mockserver import MockWeChat, Route
from tests.site import BIZ, VERIFICATION, Art, Site, numbered
from tests.test_captures import posts, scrapy


def archived(archive: Path) -> set[str]:
    with sqlite3.connect(archive / ".state" / "index.sqlite") as db:
        return {key.split(":")[1] for (key,) in db.execute(
            "SELECT key FROM articles WHERE state = 'archived'")}


def departed(archive: Path, album: str) -> set[str]:
    with sqlite3.connect(archive / ".state" / "index.sqlite") as db:
        return {key.split(":")[1] for (key,) in db.execute(
            "SELECT key FROM album_articles WHERE album_id = ? AND left_at IS NOT NULL", (album,))}


def served_album(server: MockWeChat, album: str, first: int, count: int) -> tuple[Site, list[Art]]:
    """A stand-in site with an album of ``count`` articles numbered from ``first``."""
    site = Site(server)
    arts = site.serve(numbered(first, count, albums=(album,)))
    site.album(album, arts)
    return site, arts


def cursor_back(query: str, arts: list[Art], back: int) -> str:
    """The ``query`` of a later page of an album of ``arts`` with its cursor (``begin_msgid``)
    moved ``back`` items towards the end read from: the page WeChat would answer were its
    cursor not to advance (the first page, when that is before it)."""
    params = dict(parse_qsl(query))
    ordered = arts if params.get("is_reverse") == "1" else arts[::-1]
    at = [a.mid for a in ordered].index(params["begin_msgid"]) - back
    if at < 0:
        del params["begin_msgid"], params["begin_itemidx"]
    else:
        params.update(begin_msgid=ordered[at].mid, begin_itemidx=ordered[at].idx)
    return urlencode(params)


def album_crawl(site: Site, album: str, archive: Path, **settings: str) -> dict[str, Any]:
    """The stats of a crawl of ``album``, which must succeed."""
    result = crawl("album", archive, "-a", f"url={site.album(album, site.albums[album])}",
                   settings={"ALBUM_PAGE_SIZE": "20", **settings})
    assert result.returncode == 0, result.stderr
    return result.stats


def album_requests(server: MockWeChat, since: int = 0) -> list[str]:
    return [path for path, _ in server.hits("/mp/appmsgalbum")[since:]]


def article_requests(server: MockWeChat, since: int = 0) -> list[str]:
    return [path for path, _ in server.hits("/s")[since:]]


def account_crawl(server: MockWeChat, tmp_path: Path, lines: str, **settings: str) -> Crawled:
    """``scrapy crawl accounts`` into ``tmp_path / "archive"`` of an accounts file of one
    account, 测试反诈中心, its TOML ``lines`` after its name, at ``server``."""
    accounts = tmp_path / "accounts.toml"
    accounts.write_text(f'[[account]]\nname = "测试反诈中心"\n{lines}\n', encoding="utf-8")
    return crawl("accounts", tmp_path / "archive", settings={
        "ACCOUNTS_FILE": str(accounts), "WECHAT_BASE_URL": server.base, **settings})


def test_an_album_that_loses_members_and_gains_more_than_a_page_is_read_until_all_are_in(
        wechat: MockWeChat, tmp_path: Path) -> None:
    site, first = served_album(wechat, "3301", 2247480001, 20)
    archive = tmp_path / "archive"
    album_crawl(site, "3301", archive)
    assert archived(archive) == {a.mid for a in first}

    # Five deleted (they leave the album), 24 new on top, and an old article (published
    # long ago) newly added to the album, in the newest position: 40 members, 2 pages.
    gone = first[3:8]
    new = site.serve(numbered(2247481001, 24, albums=("3301",)))
    old = site.serve([Art("2247470001", albums=("3301",), days_ago=900)])
    members = [a for a in first if a not in gone] + new + old
    site.albums["3301"] = members
    pages, fetched = len(album_requests(wechat)), len(article_requests(wechat))
    stats = album_crawl(site, "3301", archive)
    assert archived(archive) == {a.mid for a in first + new + old}
    assert sorted(article_requests(wechat, fetched)) == sorted(a.path + "&chksm=abcdef0123&scene=126"
                                                               for a in new + old)
    assert len(album_requests(wechat, pages)) == 2  # 40 members: two pages of 20
    assert departed(archive, "3301") == {a.mid for a in gone}
    assert (stats["posts/new"], stats["albums/left"]) == (25, 5)

    # Nothing changed: one request, nothing fetched; posts of departed articles stay.
    pages, fetched = len(album_requests(wechat)), len(article_requests(wechat))
    album_crawl(site, "3301", archive)
    assert len(album_requests(wechat, pages)) == 1
    assert article_requests(wechat, fetched) == []
    assert len(posts(archive)) == 45


def test_an_album_link_without_biz_is_read_and_known_as_its_accounts(wechat: MockWeChat,
                                                                   tmp_path: Path) -> None:
    """``/mp/appmsgalbum?action=getalbum&album_id=…`` alone: WeChat answers it, page and JSON
    (soda92/biao-short-novels read its album so, ``__biz`` empty, for a year). It was refused
    as "not an album URL"; the album's account is the one its members are of."""
    site, arts = served_album(wechat, "3309", 2247480101, 3)
    archive = tmp_path / "archive"
    for album in (f"{wechat.base}/mp/appmsgalbum?action=getalbum&album_id=3309#wechat_redirect",
                  f"{wechat.base}/mp/appmsgalbum?__biz={BIZ}&action=getalbum&album_id=3309"):
        result = crawl("album", archive, "-a", f"url={album}", settings={"ALBUM_PAGE_SIZE": "2"})
        assert result.returncode == 0, result.stderr
        assert archived(archive) == {a.mid for a in arts}
        with sqlite3.connect(archive / ".state" / "index.sqlite") as db:
            assert db.execute("SELECT biz FROM albums").fetchall() == [(BIZ,)]
    assert len(album_requests(wechat)) == 3  # two pages, then one: unchanged
    site.albums["3309"] = []  # every member deleted: no article says whose the album is
    result = crawl("album", archive, "-a", f"url={wechat.base}/mp/appmsgalbum?album_id=3309")
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(archive / ".state" / "index.sqlite") as db:
        assert db.execute("SELECT biz FROM albums").fetchall() == [(BIZ,)]


def test_an_album_of_the_same_size_whose_members_changed_is_read_whole(
        wechat: MockWeChat, tmp_path: Path) -> None:
    site, arts = served_album(wechat, "3302", 2247482001, 30)
    archive = tmp_path / "archive"
    album_crawl(site, "3302", archive)
    # One member deleted deep in the album while an old article joins at the top: the
    # count stays 30, but the first page changed.
    newcomer = site.serve([Art("2247470002", albums=("3302",), days_ago=400)])
    site.albums["3302"] = arts[:5] + arts[6:] + newcomer
    pages = len(album_requests(wechat))
    album_crawl(site, "3302", archive)
    assert len(album_requests(wechat, pages)) == 2
    assert "2247470002" in archived(archive)
    assert departed(archive, "3302") == {arts[5].mid}


def test_a_new_member_of_an_album_that_lost_one_deep_inside_is_archived_in_that_run(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """WeChat lists an album newest position first unless asked ``is_reverse=1``, which lists
    the oldest first: asked so, the first page stayed the oldest 20 when a member deep inside
    was deleted and a new article joined on top, the count stayed 45, and the new article
    waited for ``ALBUM_RECHECK_DAYS`` (and was lost if deleted meanwhile)."""
    site, arts = served_album(wechat, "3312", 2247486201, 45)
    archive = tmp_path / "archive"
    album_crawl(site, "3312", archive)
    new = site.serve([Art("2247486301", albums=("3312",), days_ago=0)])
    site.albums["3312"] = arts[:22] + arts[23:] + new
    album_crawl(site, "3312", archive)
    assert new[0].mid in archived(archive)
    assert departed(archive, "3312") == {arts[22].mid}


def test_a_new_member_of_an_album_listed_oldest_first_is_archived_in_that_run(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """An album its owner set to list its oldest first (正序, ``is_reverse`` "0" on its first
    screen: ``Site.ascending_albums``) lists its new members on its last page. When one
    deep inside was deleted as a new article joined, its first page and count stayed as
    they were, it passed for unchanged, and the new article waited for
    ``ALBUM_RECHECK_DAYS`` (lost if deleted meanwhile)."""
    site = Site(wechat, ascending_albums={"3316"})
    arts = site.serve(numbered(2247486701, 45, albums=("3316",)))
    site.album("3316", arts)
    archive = tmp_path / "archive"
    album_crawl(site, "3316", archive)
    assert archived(archive) == {a.mid for a in arts}
    new = site.serve([Art("2247486801", albums=("3316",), days_ago=0)])
    site.albums["3316"] = arts[:30] + arts[31:] + new
    pages = len(album_requests(wechat))
    album_crawl(site, "3316", archive)
    assert new[0].mid in archived(archive)
    assert departed(archive, "3316") == {arts[30].mid}
    assert len(album_requests(wechat, pages)) == 3  # its first page vouches for nothing after it


@pytest.mark.parametrize("counted", [True, False], ids=["counted", "no-count"])
def test_an_old_article_added_deep_in_an_album_is_archived_in_that_run(
        wechat: MockWeChat, tmp_path: Path, counted: bool) -> None:
    """An owner adds an old article to the album, in a position on its third page: the
    first page is as it was, the count one more. Whether every first screen states
    ``article_count`` is not known: without one, the album passed for unchanged on its
    first page alone, and the article waited for ``ALBUM_RECHECK_DAYS``."""
    site, arts = served_album(wechat, "3314", 2247486501, 45)
    if not counted:
        listing = site._album_json

        def uncounted(query: str) -> Route:
            answer = json.loads(listing(query).body)
            answer["getalbum_resp"]["base_info"].pop("article_count", None)
            return Route(200, "application/json", json.dumps(answer).encode())

        wechat.route("/mp/appmsgalbum", uncounted)
    archive = tmp_path / "archive"
    album_crawl(site, "3314", archive)
    old = site.serve([Art("2247460001", albums=("3314",), days_ago=700)])
    site.albums["3314"] = arts[:3] + old + arts[3:]
    pages = len(album_requests(wechat))
    album_crawl(site, "3314", archive)
    assert old[0].mid in archived(archive)
    assert len(album_requests(wechat, pages)) == 3
    pages = len(album_requests(wechat))
    album_crawl(site, "3314", archive)
    assert len(album_requests(wechat, pages)) == (1 if counted else 3)


@pytest.mark.parametrize("moved", [True, False], ids=["taken-out", "deleted"])
def test_a_member_that_left_its_album_before_it_could_be_archived_is_asked_once_more(
        wechat: MockWeChat, tmp_path: Path, moved: bool) -> None:
    """A member whose page failed (a 503) left the album before the next run: taken out of
    it by its owner (the article still there), it was never asked again, and never
    archived; deleted, it is asked once, and known as deleted."""
    site, arts = served_album(wechat, "3313", 2247486401, 30)
    member = arts[25]
    site.pages[member.path] = Route(503, "text/plain", b"busy")
    archive = tmp_path / "archive"
    album_crawl(site, "3313", archive)
    assert member.mid not in archived(archive)
    html = site.page(replace(member, albums=())) if moved else (PAGES / "deleted.html").read_text()
    site.pages[member.path] = Route(200, "text/html; charset=utf-8", html.encode())
    site.albums["3313"] = [a for a in arts if a is not member]
    fetched = len(article_requests(wechat))
    stats = album_crawl(site, "3313", archive)
    assert canonical_paths(article_requests(wechat, fetched)) == [member.path]
    assert (member.mid in archived(archive)) is moved
    assert stats["albums/left"] == 1 and departed(archive, "3313") == {member.mid}
    fetched = len(article_requests(wechat))
    album_crawl(site, "3313", archive)
    assert article_requests(wechat, fetched) == []


def test_a_member_that_left_its_album_is_asked_until_it_is_had(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """A member whose page failed left the album, and its page failed again when asked
    once more (a run blocked, WeChat busy): it was recorded as having left, never asked
    again, and never archived, without a word after that run."""
    site, arts = served_album(wechat, "3315", 2247486501, 30)
    member = arts[25]
    page = site.pages[member.path]
    site.pages[member.path] = Route(503, "text/plain", b"busy")
    archive = tmp_path / "archive"
    album_crawl(site, "3315", archive)
    site.albums["3315"] = [a for a in arts if a is not member]
    crawl("album", archive, "-a", f"url={site.album('3315', site.albums['3315'])}",
          settings={"ALBUM_PAGE_SIZE": "20"})  # its one page asked fails: exit status 1
    assert member.mid not in archived(archive)
    site.pages[member.path] = page
    fetched = len(article_requests(wechat))
    album_crawl(site, "3315", archive)
    assert canonical_paths(article_requests(wechat, fetched)) == [member.path]
    assert member.mid in archived(archive)


def test_the_members_not_yet_archived_of_an_album_that_is_gone_are_asked_by_its_links(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """A run stopped before it had all of an album (here: pages that failed), and the owner
    deleted the album before the next: its members not archived were never asked again (the
    album known from a page said GONE at INFO, no source failed), though the articles are
    there and the index holds their links."""
    site = Site(wechat)
    entry = Art("2247486601", albums=("3314",))
    arts = site.serve([entry, *numbered(2247486602, 4, albums=("3314",))])
    site.album("3314", arts)
    failing = arts[3:]
    pages = {art.path: site.pages[art.path] for art in failing}
    for art in failing:
        site.pages[art.path] = Route(503, "text/plain", b"busy")
    accounts = tmp_path / "accounts.toml"
    accounts.write_text(f'[[account]]\nname = "测试反诈中心"\n'
                        f'urls = ["{site.link(entry).replace("&amp;", "&")}"]\n', encoding="utf-8")
    settings = {"ACCOUNTS_FILE": str(accounts), "WECHAT_BASE_URL": wechat.base}
    archive = tmp_path / "archive"
    crawl("accounts", archive, settings=settings)
    assert archived(archive) == {a.mid for a in arts[:3]}
    site.pages.update(pages)
    site.album_errors["3314"] = -2
    result = crawl("accounts", archive, settings=settings)
    assert result.returncode == 0, result.stderr
    assert archived(archive) == {a.mid for a in arts}, result.stderr


def test_an_album_s_link_answered_by_a_redirect_to_its_article_is_followed_there(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """Album items link ``http://mp.weixin.qq.com/s?…`` (../shared/fixtures/wechat_album);
    a link WeChat answers with a redirect to another link of the same article (https://, its
    parameters otherwise): the redirect was taken for a link to an article the run had
    requested already, that very request, and the article was never fetched, run after run
    ('Not fetched again: … leads to …' at INFO, exit status 0)."""
    site, arts = served_album(wechat, "3316", 2247486701, 3)
    moved = arts[1]
    page = site.pages[moved.path]
    site.pages[moved.path] = lambda query: page if "chksm" not in query else Route(
        302, "text/html", b"moved", (("Location", f"{wechat.base}{moved.path}&from=302"),))
    archive = tmp_path / "archive"
    album_crawl(site, "3316", archive)
    assert archived(archive) == {a.mid for a in arts}


def canonical_paths(paths: list[str]) -> list[str]:
    return [re.sub(r"&(chksm|scene)=[^&]*", "", path) for path in paths]


def test_a_200_article_album_with_8_pages_in_flight_archives_200(wechat: MockWeChat,
                                                                 tmp_path: Path) -> None:
    site, arts = served_album(wechat, "3303", 2247483001, 200)
    archive = tmp_path / "archive"
    stats = album_crawl(site, "3303", archive, ARTICLE_PAGES_IN_FLIGHT="8",
                        CONCURRENT_REQUESTS="32")
    assert archived(archive) == {a.mid for a in arts}
    assert stats["posts/new"] == 200


@pytest.mark.parametrize("refuse", [False, True], ids=["answered", "refused"])
def test_links_without_chksm_are_followed_and_a_refusal_loses_nothing(
        wechat: MockWeChat, tmp_path: Path, refuse: bool) -> None:
    site = Site(wechat, refuse_without_chksm=refuse)
    # An entry linking, without chksm, to ten articles that are also in an album the
    # entry names; the album is listed after the links are followed.
    linked = numbered(2247484001, 10, albums=("3304",))
    entry = Art("2247484000", token="Entry", albums=("3304",),
                links=tuple(site.body_link(a) for a in linked))
    site.serve([entry, *linked])
    site.album("3304", [*linked, entry])
    archive = tmp_path / "archive"
    result = account_crawl(wechat, tmp_path, f'urls = ["{site.short(entry)}"]', BLOCK_LIMIT="2")
    assert result.returncode == 0, result.stderr
    assert archived(archive) == {a.mid for a in [entry, *linked]}
    assert "blocked" not in result.stderr.split("Run summary")[1]
    requested = article_requests(wechat)
    assert len({re.sub(r"&(chksm|scene)=[^&]*", "", p) for p in requested}) == 11
    refused = re.search(r"(\d+) refused without chksm", result.stderr)
    assert (int(refused.group(1)) if refused else 0) == sum(
        "chksm" not in p and p.startswith("/s?") for p in requested) * refuse
    assert re.search(r"\d+ links? without chksm followed", result.stderr) or refuse
    assert "WeChat refused" not in result.stderr  # the album's links brought each refused one


def test_links_written_as_paths_lead_to_their_articles(wechat: MockWeChat, tmp_path: Path) -> None:
    """An entry (fetched by its short link) whose body links four articles of the account
    as paths, ``/s?__biz=…``, ``/s/<token>``, ``./s?…``, ``s?__biz=…`` (no capture shows
    WeChat writing them so; ``test_page`` names what does): all five archived in the run,
    each linking the others' posts. They led nowhere: one archived of five, no line."""
    site = Site(wechat)
    linked = numbered(2247484101, 4)
    linked[1] = replace(linked[1], token="PathToken")
    entry = Art("2247484100", token="PathEntry", links=(
        linked[0].path.replace("&", "&amp;"), f"/s/{linked[1].token}",
        "." + linked[2].path.replace("&", "&amp;"), linked[3].path[1:].replace("&", "&amp;")))
    site.serve([entry, *linked])
    result = account_crawl(wechat, tmp_path, f'urls = ["{site.short(entry)}"]')
    assert result.returncode == 0, result.stderr
    assert archived(tmp_path / "archive") == {a.mid for a in [entry, *linked]}
    [post] = [text for text in posts(tmp_path / "archive").values() if entry.name.encode() in text.split(b"---")[1]]
    assert post.count(b"{% post_url ") == 4, post.decode()


def test_a_body_link_to_the_account_s_history_page_is_no_lead(wechat: MockWeChat, tmp_path: Path) -> None:
    """The account's history page (``/mp/profile_ext?action=home``) lists nothing to a crawler
    (only to a reader signed in to WeChat's app): a body's link to it, whole or as a path, is
    not asked, at this run or the next, and no line says a loss."""
    site = Site(wechat)
    history = f"/mp/profile_ext?action=home&amp;__biz={BIZ}&amp;scene=124#wechat_redirect"
    entry = site.serve([Art("2247484200", token="HistoryLink", links=(f"{wechat.base}{history}", history))])[0]
    for _ in range(2):
        result = account_crawl(wechat, tmp_path, f'urls = ["{site.short(entry)}"]')
        assert result.returncode == 0, result.stderr
        assert archived(tmp_path / "archive") == {entry.mid}
        assert not [line for line in result.stderr.splitlines() if "profile_ext" in line and "WARNING" in line]
    assert wechat.hits("/mp/profile_ext") == []


def test_a_link_in_a_body_holding_a_password_is_no_link_to_fetch(wechat: MockWeChat,
                                                                 tmp_path: Path) -> None:
    """A page's link to an article of the account with a user name and password before its
    host (WeChat writes none; a hostile or mangled page may): followed, Scrapy's downloader
    took ``reader:secret@host`` for a host name, failed ("invalid hostname") and the run
    said a page could not be fetched, exit status 1, at every run, the password in the mail."""
    site = Site(wechat)
    linked = site.serve([Art("2247485101")])[0]
    entry = site.serve([Art("2247485100", token="Entry", links=(
        site.body_link(linked).replace("://", "://reader:secret@", 1),))])[0]
    result = account_crawl(wechat, tmp_path, f'urls = ["{site.short(entry)}"]')
    assert result.returncode == 0, result.stderr
    assert archived(tmp_path / "archive") == {entry.mid}
    assert "secret" not in result.stderr and "could not fetch" not in result.stderr, result.stderr


def test_a_refused_link_without_chksm_is_kept_until_an_album_lists_it(
        wechat: MockWeChat, tmp_path: Path) -> None:
    site = Site(wechat, refuse_without_chksm=True)
    later = site.serve([Art("2247485001")])[0]
    entry = site.serve([Art("2247485000", token="Entry", links=(site.body_link(later),))])[0]
    accounts = tmp_path / "accounts.toml"
    archive = tmp_path / "archive"
    settings = {"ACCOUNTS_FILE": str(accounts), "WECHAT_BASE_URL": wechat.base}
    accounts.write_text(f'[[account]]\nname = "测试反诈中心"\nurls = ["{site.short(entry)}"]\n',
                        encoding="utf-8")
    result = crawl("accounts", archive, settings=settings)
    assert result.returncode == 0, result.stderr
    assert archived(archive) == {entry.mid}
    # not "(fetched by an album's link)": no album lists it yet
    assert "1 refused without chksm (left to an album's link)" in result.stderr, result.stderr
    fetched = len(article_requests(wechat))
    # The next run does not ask the refused link again; once an album lists the article,
    # its listed link fetches it.
    crawl("accounts", archive, settings=settings)
    assert [p for p in article_requests(wechat, fetched) if "2247485001" in p] == []
    # LINK_RETRY_DAYS later it is asked again, refused again, and not said again
    refused_days_ago(archive, 7)
    fetched = len(article_requests(wechat))
    result = crawl("accounts", archive, settings=settings)
    assert result.returncode == 0 and " WARNING: " not in result.stderr, result.stderr
    assert len([p for p in article_requests(wechat, fetched) if "2247485001" in p]) == 1
    album = site.album("3305", [later])
    accounts.write_text(f'[[account]]\nname = "测试反诈中心"\nurls = ["{site.short(entry)}"]\n'
                        f'albums = ["{album}"]\n', encoding="utf-8")
    result = crawl("accounts", archive, settings=settings)
    assert result.returncode == 0, result.stderr
    assert archived(archive) == {entry.mid, later.mid}


def test_a_link_without_chksm_the_user_gave_that_wechat_refuses_is_a_failure_not_kept(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """No album will bring the article a user named (``crawl article``), nor the one way
    into an account (its ``urls``): the refusal is a page not fetched, said at WARNING, and
    the account's link is asked again by the next run rather than dropped for good."""
    site = Site(wechat, refuse_without_chksm=True)
    art = site.serve([Art("2247485101")])[0]
    link = site.body_link(art).replace("&amp;", "&")
    result = crawl("article", tmp_path / "one", "-a", f"url={link}")
    assert result.returncode == 1, result.stderr
    assert re.search(r"WARNING: Not archived: WeChat refused \S*2247485101\S*, a link without chksm", result.stderr)
    assert result.stderr.count("WeChat refused") == 1  # said once

    accounts = tmp_path / "accounts.toml"
    accounts.write_text(f'[[account]]\nname = "测试反诈中心"\nurls = ["{link}"]\n', encoding="utf-8")
    settings = {"ACCOUNTS_FILE": str(accounts), "WECHAT_BASE_URL": wechat.base}
    for _ in range(2):
        asked = len(article_requests(wechat))
        result = crawl("accounts", tmp_path / "archive", settings=settings)
        assert [p for p in article_requests(wechat, asked) if "2247485101" in p], result.stderr
        [summary] = [line for line in result.stderr.splitlines() if "Run summary" in line]
        assert "WARNING" in summary and "1 not fetched" in summary, summary
        assert "no source failed" not in result.stderr
        assert re.search(r"this run 0 new, 1 page not fetched", result.stderr), result.stderr


def test_a_link_without_chksm_refused_by_a_redirect_to_the_verification_page_is_a_failure(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """WeChat sends its verification page from ``/mp/wappoc_appmsgcaptcha`` (see
    ``../shared/fixtures/wechat/SOURCES.md``), where it redirects the page asked for: the
    refusal, taken for that URL's, which names no article, was dropped without a word, the
    run "1 links without chksm followed", exit status 0."""
    wechat.route("/mp/wappoc_appmsgcaptcha", VERIFICATION)
    path = f"/s?__biz={BIZ}&mid=2247485111&idx=1&sn=sn22474851111"
    link = wechat.redirect(path, f"{wechat.base}/mp/wappoc_appmsgcaptcha?poc_token=t&target_url=x")
    result = crawl("article", tmp_path, "-a", f"url={link}")
    assert re.search(r"WARNING: Not archived: WeChat refused \S*2247485111\S*, a link without chksm",
                     result.stderr), result.stderr
    assert result.returncode == 1


def test_an_article_the_user_listed_with_and_without_chksm_is_fetched_by_its_chksm(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """A list of links pasted from pages (no ``chksm``) and from the share menu (``chksm``)
    may name one article twice: the link WeChat answers is the one fetched, once."""
    site = Site(wechat, refuse_without_chksm=True)
    art = site.serve([Art("2247485111")])[0]
    listing = tmp_path / "urls.txt"
    listing.write_text(f"{site.body_link(art)}\n{site.link(art)}\n".replace("&amp;", "&"))
    result = crawl("article", tmp_path / "archive", "-a", f"urls_file={listing}")
    assert result.returncode == 0, result.stderr
    assert archived(tmp_path / "archive") == {art.mid}
    assert [p for p in article_requests(wechat) if "chksm" in p] == article_requests(wechat)
    assert len(article_requests(wechat)) == 1


def test_an_album_whose_later_page_fails_is_reported_read_in_part(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """The verification page answering page 2 of 2: the summary is a WARNING (cron mails it),
    the album's line and the account's say that not all of it was read."""
    site = Site(wechat)
    arts = site.serve(numbered(2247485201, 30, albums=("3308",), days_ago=1))
    album = site.album("3308", arts)
    listing = site._album_json
    wechat.route("/mp/appmsgalbum", lambda query: VERIFICATION if "begin_msgid" in query
                 else listing(query))
    result = account_crawl(wechat, tmp_path, f'albums = ["{album}"]', ALBUM_PAGE_SIZE="20")
    assert result.returncode == 0, result.stderr
    assert len(archived(tmp_path / "archive")) == 20
    [summary] = [line for line in result.stderr.splitlines() if "Run summary" in line]
    assert "WARNING" in summary, summary
    assert "album:3308: READ IN PART (20 listed, 20 new)" in result.stderr, result.stderr
    assert "no source failed" not in result.stderr
    assert "this run 20 new (20 by albums), 1 source read in part" in result.stderr
    # Never recorded as read whole: the next run reads it to its end.
    wechat.route("/mp/appmsgalbum", listing)
    result = account_crawl(wechat, tmp_path, f'albums = ["{album}"]', ALBUM_PAGE_SIZE="20")
    assert archived(tmp_path / "archive") == {a.mid for a in arts}, result.stderr


def test_an_album_known_from_a_page_whose_later_page_answers_an_error_is_read_in_part(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """An album no line of the accounts file names, known from its member's page: WeChat's
    error (``ret``) on its first page is taken as the album gone (said at INFO), but on page 2
    of 2 it is no answer about the album: a source read in part, at WARNING, the summary
    too, and the next run reads it to its end."""
    site = Site(wechat)
    arts = site.serve(numbered(2247485801, 30, albums=("3321",), days_ago=1))
    site.album("3321", arts)
    listing = site._album_json
    error = Route(200, "application/json", json.dumps({"base_resp": {"ret": -1, "errmsg": "system error"}}).encode())
    wechat.route("/mp/appmsgalbum", lambda query: error if "begin_msgid" in query else listing(query))
    lines = f'urls = ["{site.link(arts[-1]).replace("&amp;", "&")}"]'
    result = account_crawl(wechat, tmp_path, lines, ALBUM_PAGE_SIZE="20")
    assert result.returncode == 0, result.stderr
    assert len(archived(tmp_path / "archive")) == 20
    assert result.stats.get("sources/failed_pages") == 1
    assert "albums/gone" not in result.stats
    [summary] = [line for line in result.stderr.splitlines() if "Run summary" in line]
    assert "WARNING" in summary, summary
    assert "album:3321: READ IN PART (20 listed, " in result.stderr, result.stderr
    assert "WARNING: Source album:3321 could not be read: the album answered ret=-1: system error" \
        in result.stderr
    assert "1 source read in part" in result.stderr
    wechat.route("/mp/appmsgalbum", listing)
    result = account_crawl(wechat, tmp_path, lines, ALBUM_PAGE_SIZE="20")
    assert archived(tmp_path / "archive") == {a.mid for a in arts}, result.stderr


@pytest.mark.parametrize("block", ["verification", "429"])
def test_an_album_page_answered_by_a_block_is_asked_again_after_a_pause(
        wechat: MockWeChat, tmp_path: Path, block: str) -> None:
    """WeChat's verification page (fetching too fast) or 429 on page 2 of an album, once: as
    for an article page, a pause and the page again, and the album is read to its end in
    this run (it was a failed source, the rest of the album left to the next run). A title
    quoting the verification page is no block."""
    site = Site(wechat)
    arts = site.serve(numbered(2247485601, 29, albums=("3311",), days_ago=1) + [
        Art("2247485630", albums=("3311",), days_ago=1,
            title="“您的账户环境异常，完成验证后即可继续访问”？是骗子")])
    site.album("3311", arts)
    listing, answered = site._album_json, []

    def once(query: str) -> Route:
        if "begin_msgid" in query and not answered:
            answered.append(query)
            return VERIFICATION if block == "verification" else Route(429, "text/plain", b"")
        return listing(query)

    wechat.route("/mp/appmsgalbum", once)
    stats = album_crawl(site, "3311", tmp_path / "archive")
    assert archived(tmp_path / "archive") == {a.mid for a in arts}
    assert stats.get("sources/failed_pages", 0) == 0
    assert len(album_requests(wechat)) == 3


@pytest.mark.parametrize("cut", ["failed", "blocked", "budget"])
def test_links_a_run_did_not_get_to_are_followed_by_the_next(
        wechat: MockWeChat, tmp_path: Path, cut: str) -> None:
    """Articles only links lead to: a page that failed (HTTP 500), a run stopped by a block,
    short links over ``FOLLOW_LINKS_PER_RUN``. The page holding the links is archived and
    never fetched again, so the next run must remember them itself."""
    site = Site(wechat)
    linked = site.serve([Art(str(2247485301 + n), token=f"Linked{n}") for n in range(4)])
    links = tuple(site.short(a) if cut == "budget" else site.body_link(a) for a in linked)
    entry = site.serve([Art("2247485300", token="Entry", links=links)])[0]
    failing = site.pages[linked[1].path]
    site.pages[linked[1].path] = Route(403 if cut == "blocked" else 500, "text/plain", b"no")
    accounts = tmp_path / "accounts.toml"
    accounts.write_text(f'[[account]]\nname = "测试反诈中心"\nurls = ["{site.short(entry)}"]\n',
                        encoding="utf-8")
    settings = {"ACCOUNTS_FILE": str(accounts), "WECHAT_BASE_URL": wechat.base,
                "BLOCK_LIMIT": "1", "FOLLOW_LINKS_PER_RUN": "2"}
    crawl("accounts", tmp_path / "archive", settings=settings)
    assert entry.mid in archived(tmp_path / "archive")
    assert archived(tmp_path / "archive") != {a.mid for a in [entry, *linked]}
    site.pages[linked[1].path] = failing
    for _ in range(2):  # the budget: two short links a run
        result = crawl("accounts", tmp_path / "archive", settings=settings)
        assert result.returncode == 0, result.stderr
    assert archived(tmp_path / "archive") == {a.mid for a in [entry, *linked]}
    requested = [p for p in article_requests(wechat) if "2247485300" not in p and "Entry" not in p]
    assert len(requested) == len(set(requested)) + (cut != "budget"), requested  # each once more


def test_short_links_past_the_budget_are_said_and_counted_not_left_silently(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """Short links over ``FOLLOW_LINKS_PER_RUN`` are left to a later run: the summary and
    the account's line say how many (each once, however many pages link it), and say
    nothing once none are left. With the budget at 0 they would be left at every run, with
    not a line saying so."""
    site = Site(wechat)
    linked = site.serve([Art(str(2247485701 + n), token=f"Budget{n}") for n in range(4)])
    site.serve([replace(linked[0], links=(site.short(linked[3]),))])  # linked again from a page
    entry = site.serve([Art("2247485700", token="BudgetEntry", links=tuple(map(site.short, linked)))])[0]
    settings = {"FOLLOW_LINKS_PER_RUN": "2"}
    result = account_crawl(wechat, tmp_path, f'urls = ["{site.short(entry)}"]', **settings)
    assert result.returncode == 0, result.stderr
    assert len(archived(tmp_path / "archive")) == 3  # the entry, two by their short links
    assert result.stats.get("links/over_budget") == 2, result.stats
    [summary] = [line for line in result.stderr.splitlines() if "Run summary" in line]
    assert "2 short links left to a later run (FOLLOW_LINKS_PER_RUN)" in summary, summary
    assert "2 short links left to a later run" in result.stderr.split("account 测试反诈中心:")[1]
    result = account_crawl(wechat, tmp_path, f'urls = ["{site.short(entry)}"]', **settings)
    assert archived(tmp_path / "archive") == {a.mid for a in [entry, *linked]}
    assert "links/over_budget" not in result.stats
    assert "left to a later run" not in result.stderr


def test_a_short_link_to_a_deleted_article_is_asked_once_not_every_run(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """A deleted page names no article: the short link that led to it is settled by itself."""
    site = Site(wechat)
    wechat.route("/s/Gone", Route(200, "text/html; charset=utf-8",
                                  (PAGES / "deleted.html").read_bytes()))
    entry = site.serve([Art("2247485700", token="Entry", links=(f"{wechat.base}/s/Gone",))])[0]
    accounts = tmp_path / "accounts.toml"
    accounts.write_text(f'[[account]]\nname = "测试反诈中心"\nurls = ["{site.short(entry)}"]\n',
                        encoding="utf-8")
    for _ in range(2):
        result = crawl("accounts", tmp_path / "archive",
                       settings={"ACCOUNTS_FILE": str(accounts), "WECHAT_BASE_URL": wechat.base})
        assert result.returncode == 0, result.stderr
    assert [path for path, _ in wechat.hits("/s/Gone")] == ["/s/Gone"]


def test_an_accounts_short_link_to_a_deleted_article_is_asked_once_not_every_run(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """The accounts file's own link, deleted before it was ever archived: each daily run
    asked for it again, and put the same WARNING in cron's mail."""
    site = Site(wechat)
    wechat.route("/s/Gone", Route(200, "text/html; charset=utf-8",
                                  (PAGES / "deleted.html").read_bytes()))
    entry = site.serve([Art("2247485710", token="Entry")])[0]
    accounts = tmp_path / "accounts.toml"
    accounts.write_text(f'[[account]]\nname = "测试反诈中心"\n'
                        f'urls = ["{wechat.base}/s/Gone", "{site.short(entry)}"]\n', encoding="utf-8")
    logs = []
    for _ in range(2):
        result = crawl("accounts", tmp_path / "archive",
                       settings={"ACCOUNTS_FILE": str(accounts), "WECHAT_BASE_URL": wechat.base})
        assert result.returncode == 0, result.stderr
        logs.append(result.stderr)
    assert [path for path, _ in wechat.hits("/s/")] == ["/s/Gone", "/s/Entry"]
    assert "/s/Gone is deleted by its publisher" in logs[0]
    assert "WARNING" not in logs[1]


def test_an_article_gone_before_it_was_archived_is_not_said_to_be_archived(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """An account whose only link leads to an article deleted before any run archived it
    (``deleted.html``, the shape of ``../shared/fixtures/wechat/deleted_1.html``): the run
    after the one that found it deleted asks nothing, and its summary said "1 already
    archived" of an article the archive holds no post of. Now "1 gone before archived"; one
    archived, then deleted, is still "already archived"."""
    site = Site(wechat)
    wechat.route("/s/Gone", Route(200, "text/html; charset=utf-8", (PAGES / "deleted.html").read_bytes()))
    [kept] = site.serve([Art("2247485720", token="Kept")])
    lines = f'urls = ["{wechat.base}/s/Gone", "{site.short(kept)}"]'
    account_crawl(wechat, tmp_path, lines)
    wechat.route(kept.path, Route(200, "text/html; charset=utf-8", (PAGES / "deleted.html").read_bytes()))
    again = account_crawl(wechat, tmp_path, lines)
    assert again.returncode == 0 and "WARNING" not in again.stderr, again.stderr
    [summary] = [line for line in again.stderr.splitlines() if "Run summary" in line]
    assert summary.endswith("Run summary (finished): 1 already archived, 1 gone before archived"), summary
    assert len(posts(tmp_path / "archive")) == 1


def test_an_account_whose_only_link_leads_to_a_deleted_article_says_what_to_do(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """An account whose one link (a short one: no ``__biz`` in it) leads to an article deleted
    before any run archived it (``deleted.html``, the shape of
    ``../shared/fixtures/wechat/deleted_1.html``, which names no article): no run can find
    any other of its articles, yet its line said "biz unknown yet (no page of it fetched)",
    run after run, a page of it fetched and nothing to wait for. Now its line says its links
    lead to no article and asks for another (so does ``scrapy accounts-report``); given one,
    its articles are had."""
    site = Site(wechat)
    wechat.route("/s/Gone", Route(200, "text/html; charset=utf-8", (PAGES / "deleted.html").read_bytes()))
    lines = f'urls = ["{wechat.base}/s/Gone"]'
    runs = [account_crawl(wechat, tmp_path, lines) for _ in range(2)]
    for run in runs:
        assert run.returncode == 0, run.stderr
        assert ("account 测试反诈中心: biz unknown: its links lead to no article WeChat shows (deleted or "
                "removed before a run had it): give another of its links") in run.stderr, run.stderr
    assert "WARNING" not in runs[1].stderr, runs[1].stderr
    report = scrapy("accounts-report", tmp_path / "archive", f"ACCOUNTS_FILE={tmp_path / 'accounts.toml'}")
    assert report.returncode == 0, report.stderr
    assert "测试反诈中心: biz unknown: its links lead to no article WeChat shows" in report.stdout, report.stdout
    [entry] = site.serve([Art("2247485730", token="Entry")])
    given = account_crawl(wechat, tmp_path, f'urls = ["{wechat.base}/s/Gone", "{site.short(entry)}"]')
    assert archived(tmp_path / "archive") == {entry.mid}, given.stderr
    assert "account 测试反诈中心: 1 archived" in given.stderr, given.stderr


@pytest.mark.parametrize("spelled", ["MzA5OTk5OTk5OQ%3D%3D", "MzA5OTk5OTk5OQ"],
                         ids=["escaped", "unpadded"])
def test_an_account_whose_biz_is_written_as_a_link_may_show_it_is_still_that_account(
        wechat: MockWeChat, tmp_path: Path, spelled: str) -> None:
    """A ``biz`` copied from an escaped link (``%3D%3D``) or without its padding: every page
    of the account was taken for another account's and nothing was archived, silently."""
    site = Site(wechat)
    arts = site.serve(numbered(2247485401, 3, albums=("3309",), days_ago=1))
    site.album("3309", arts)
    result = account_crawl(wechat, tmp_path, f'biz = "{spelled}"\nalbums = ["3309"]')
    assert result.returncode == 0, result.stderr
    assert archived(tmp_path / "archive") == {a.mid for a in arts}


def test_an_account_whose_biz_is_no_biz_is_refused(tmp_path: Path) -> None:
    accounts = tmp_path / "accounts.toml"
    accounts.write_text('[[account]]\nname = "测试反诈中心"\nbiz = "__biz=MzA5OTk5OTk5OQ==&mid=1"\n',
                        encoding="utf-8")
    result = crawl("accounts", tmp_path / "archive", settings={"ACCOUNTS_FILE": str(accounts)})
    assert result.returncode == 2, result.stderr
    assert "is not an account's __biz" in result.stderr, result.stderr


def test_an_account_renamed_in_the_accounts_file_is_still_found_by_its_short_link(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """Accounts rename themselves, and their name in the accounts file follows: its one
    short link, archived already, is not fetched again, so its ``__biz`` (and the albums
    remembered under it) must come from the index, not from a page of this run."""
    site = Site(wechat)
    entry = Art("2247485500", token="Entry", albums=("3310",), days_ago=2)
    arts = site.serve([entry])
    site.album("3310", arts)
    accounts = tmp_path / "accounts.toml"
    settings = {"ACCOUNTS_FILE": str(accounts), "WECHAT_BASE_URL": wechat.base}
    for name in ("测试反诈中心", "测试市公安局反诈中心"):
        accounts.write_text(f'[[account]]\nname = "{name}"\nurls = ["{site.short(entry)}"]\n',
                            encoding="utf-8")
        result = crawl("accounts", tmp_path / "archive", settings=settings)
        assert result.returncode == 0, result.stderr
        new = site.serve([Art(str(2247485501 + len(arts)), albums=("3310",), days_ago=1)])
        arts = site.albums["3310"] = arts + new
    assert archived(tmp_path / "archive") == {a.mid for a in arts[:-1]}, result.stderr
    assert "biz unknown yet" not in result.stderr


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("spider", ["article", "album", "accounts"])
def test_a_run_that_cannot_reach_wechat_exits_1_and_says_so(spider: str, tmp_path: Path) -> None:
    base = f"http://127.0.0.1:{closed_port()}"
    article = f"{base}/s?__biz={BIZ}&mid=1&idx=1&sn=x&chksm=y"
    album = f"{base}/mp/appmsgalbum?__biz={BIZ}&action=getalbum&album_id=3306"
    accounts = tmp_path / "accounts.toml"
    accounts.write_text(f'[[account]]\nname = "测试反诈中心"\nurls = ["{article}"]\n',
                        encoding="utf-8")
    args = {"article": ["-a", f"url={article}"], "album": ["-a", f"url={album}"], "accounts": []}
    result = crawl(spider, tmp_path / "archive", *args[spider],
                   settings={"ACCOUNTS_FILE": str(accounts), "WECHAT_BASE_URL": base})
    assert result.returncode == 1, result.stderr
    summary = [line for line in result.stderr.splitlines() if "Run summary" in line]
    assert summary and "WARNING" in summary[0] and "could not be reached" in summary[0], summary
    assert "no source failed" not in result.stderr
    # an album it could not read is not "nothing to do", as if it had listed nothing new
    assert "nothing to do" not in summary[0], summary


def test_rebuild_brings_back_a_post_deleted_by_hand_byte_for_byte(wechat: MockWeChat,
                                                                  tmp_path: Path) -> None:
    site, arts = served_album(wechat, "3307", 2247486001, 3)
    archive = tmp_path / "archive"
    accounts = tmp_path / "accounts.toml"
    accounts.write_text(f'[[account]]\nname = "测试反诈中心"\nalbums = ["{site.album("3307", arts)}"]\n'
                        'tags = ["反诈宣传", "yes"]\n', encoding="utf-8")
    result = crawl("accounts", archive, settings={"ACCOUNTS_FILE": str(accounts),
                                                  "WECHAT_BASE_URL": wechat.base})
    assert result.returncode == 0, result.stderr
    before = posts(archive)
    assert len(before) == 3 and all("反诈宣传" in text.decode() for text in before.values())
    lost = sorted(before)[1]
    (archive / "_posts" / lost).unlink()
    result = scrapy("rebuild", archive)
    assert result.returncode == 0, result.stderr
    assert posts(archive) == before
    assert re.search(r"1 restored", result.stdout + result.stderr), result.stdout + result.stderr


def test_rebuild_after_the_index_was_lost_keeps_the_stored_images(
        wechat: MockWeChat, tmp_path: Path) -> None:
    site = Site(wechat)
    arts = site.serve(numbered(2247486111, 2))
    archive = tmp_path / "archive"
    for art in arts:
        assert crawl("article", archive, "-a", f"url={site.link(art)}").returncode == 0
    before = posts(archive)
    (archive / ".state" / "index.sqlite").unlink()  # as the error of a damaged one advises
    result = scrapy("rebuild", archive)
    assert result.returncode == 0, result.stderr
    assert "2 unchanged" in result.stdout, result.stdout + result.stderr
    assert posts(archive) == before


def test_after_the_index_was_lost_an_article_with_a_long_front_matter_keeps_its_one_post(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """The post's ``wechat.url``, read to know whose post a file is, is found however far
    down the front matter it is (a title of thousands of characters): the article is not
    given a second post beside its own."""
    site = Site(wechat)
    [art] = site.serve([Art("2247486121", title="很长的标题" * 1000)])
    archive = tmp_path / "archive"
    assert crawl("article", archive, "-a", f"url={site.link(art)}").returncode == 0
    before = posts(archive)
    (archive / ".state" / "index.sqlite").unlink()  # as the error of a damaged one advises
    assert crawl("article", archive, "-a", f"url={site.link(art)}").returncode == 0
    assert posts(archive) == before


def test_after_the_index_was_lost_a_post_a_person_indented_otherwise_keeps_its_article(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """A front matter an editor's formatter indented with two spaces still says whose post
    the file is: the article is not given a second post, and its publish time is known."""
    site = Site(wechat)
    [art] = site.serve([Art("2247486131")])
    archive = tmp_path / "archive"
    assert crawl("article", archive, "-a", f"url={site.link(art)}").returncode == 0
    [post] = (archive / "_posts").glob("*.md")
    text = post.read_text(encoding="utf-8")
    head, body = text.split("\n---\n", 1)
    post.write_text(re.sub(r"(?m)^    ", "  ", head) + "\n---\n" + body, encoding="utf-8")
    (archive / ".state" / "index.sqlite").unlink()  # as the error of a damaged one advises
    assert crawl("article", archive, "-a", f"url={site.link(art)}").returncode == 0
    assert [path.name for path in (archive / "_posts").glob("*.md")] == [post.name]


def test_rebuild_brings_back_with_its_tags_a_post_the_index_knows_only_from_the_posts(
        wechat: MockWeChat, tmp_path: Path) -> None:
    site = Site(wechat)
    first, lost, later = site.serve(numbered(2247486101, 3))
    archive = tmp_path / "archive"
    for art in (first, lost):
        assert crawl("article", archive, "-a", f"url={site.link(art)}").returncode == 0
    before = posts(archive)
    (archive / ".state" / "index.sqlite").unlink()  # as the error of a damaged one advises
    # The next run makes the index again from the posts; then a post is deleted by hand.
    assert crawl("article", archive, "-a", f"url={site.link(later)}").returncode == 0
    [name] = [name for name in before if lost.mid in name]
    (archive / "_posts" / name).unlink()
    result = scrapy("rebuild", archive)
    assert result.returncode == 0, result.stderr
    assert re.search(r"1 restored", result.stdout + result.stderr), result.stdout + result.stderr
    assert (archive / "_posts" / name).read_bytes() == before[name]


def test_an_article_whose_post_was_deleted_by_hand_never_takes_the_file_another_now_holds(
        wechat: MockWeChat, tmp_path: Path) -> None:
    site = Site(wechat)
    # One title, one day: two accounts' reprints of one release.
    first, second = site.serve(numbered(2247486201, 2, title="公安部发布十大高发电诈类型"))
    archive = tmp_path / "archive"
    assert crawl("article", archive, "-a", f"url={site.link(first)}").returncode == 0
    [deleted] = (archive / "_posts").glob("*.md")
    deleted.unlink()
    assert crawl("article", archive, "-a", f"url={site.link(second)}").returncode == 0
    [other] = (archive / "_posts").glob("*.md")
    assert other != deleted and second.mid in other.read_text(encoding="utf-8")

    assert crawl("article", archive, "-a", f"url={site.link(first)}").returncode == 0
    assert first.mid in deleted.read_text(encoding="utf-8")
    assert second.mid in other.read_text(encoding="utf-8")


def test_titles_differing_only_in_case_get_files_that_differ_on_every_file_system(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """macOS and Windows see one file in two names that differ only in case: a copy of the
    blog there would lose one of two reprints titled "…APP" and "…App" on one day."""
    site = Site(wechat)
    first, second = site.serve([Art("2247486211", title="下载国家反诈中心APP"),
                                Art("2247486212", title="下载国家反诈中心App")])
    archive = tmp_path / "archive"
    for art in (first, second):
        assert crawl("article", archive, "-a", f"url={site.link(art)}").returncode == 0
    names = [path.name for path in (archive / "_posts").glob("*.md")]
    assert len({name.casefold() for name in names}) == 2, names


def test_a_post_deleted_by_hand_comes_back_from_its_best_capture_not_a_worse_newer_one(
        wechat: MockWeChat, tmp_path: Path) -> None:
    site = Site(wechat)
    [art] = site.serve(numbered(2247486301, 1))
    archive = tmp_path / "archive"
    assert crawl("article", archive, "-a", f"url={site.link(art)}").returncode == 0
    before = posts(archive)
    picture = f'<p><img data-src="{wechat.base}/mmbiz_png/Img{art.mid}x1/640?wx_fmt=png" data-type="png"></p>'
    site.pages[art.path] = Route(200, "text/html; charset=utf-8",
                                 site.page(art).replace(picture, "").encode())
    again = crawl("article", archive, "-a", f"url={site.link(art)}")
    assert "Kept the archived" in again.stderr and posts(archive) == before
    [name] = before
    (archive / "_posts" / name).unlink()
    result = scrapy("rebuild", archive)
    assert result.returncode == 0, result.stderr
    assert posts(archive) == before


def test_rebuild_says_which_post_has_no_capture_left(wechat: MockWeChat, tmp_path: Path) -> None:
    site = Site(wechat)
    arts = site.serve(numbered(2247487001, 2))
    archive = tmp_path / "archive"
    for art in arts:
        assert crawl("article", archive, "-a", f"url={site.link(art)}").returncode == 0
    for capture in (archive / ".state" / "warc").iterdir():
        capture.unlink()
    for post in (archive / "_posts").iterdir():
        post.unlink()
    result = scrapy("rebuild", archive)
    output = result.stdout + result.stderr
    assert "2 without capture" in output, output
    assert len(re.findall(r"Not restored: .*no capture", output)) == 2, output


def test_a_hostile_album_fetches_only_article_hosts_and_ends(wechat: MockWeChat,
                                                           tmp_path: Path) -> None:
    """#22.2, .3, .6: items on another host, file: and javascript: URLs, and an album that
    answers the same full page forever (continue_flag 1)."""
    site = Site(wechat)
    arts = site.serve(numbered(2247488001, 2))
    items = [{"title": "x", "url": url, "msgid": str(n), "itemidx": "1"} for n, url in enumerate([
        "http://169.254.169.254/s?__biz=MzA=&mid=1&idx=1&sn=a", "file:///etc/passwd",
        "javascript:alert(1)", *(site.link(a).replace("&amp;", "&") for a in arts)])]
    page = {"base_resp": {"ret": 0}, "getalbum_resp": {
        "article_list": items, "continue_flag": "1", "reverse_continue_flag": "0",
        "base_info": {"title": "合集", "article_count": "99"}, "verify_status": "0"}}
    wechat.route("/mp/appmsgalbum", Route(200, "application/json", json.dumps(page).encode()))
    album = f"{wechat.base}/mp/appmsgalbum?__biz={BIZ}&action=getalbum&album_id=3602"
    result = crawl("album", tmp_path, "-a", f"url={album}", settings={"ALBUM_PAGE_SIZE": "5"})
    assert result.returncode == 0, result.stderr
    assert archived(tmp_path) == {a.mid for a in arts}
    # the second page brought nothing new; asked from the album's other end, it answered its
    # first page again (is_reverse ignored); read across its pushes, from before its last
    # item, nothing new again: read no further, no page asked twice
    asked = album_requests(wechat)
    assert len(asked) == len(set(asked)) == 4, asked
    assert "album:3602: READ IN PART" in result.stderr  # not taken as read whole
    assert re.search(r"Not fetched: album:3602 lists \S*169\.254\.169\.254\S*, not on an "
                     r"article host", result.stderr)
    assert not [p for p, _ in wechat.hits("") if "passwd" in p] and "Traceback" not in result.stderr


@pytest.mark.parametrize("flag", ["1", "0"])
def test_an_album_page_that_lists_nothing_before_the_album_s_end_is_no_end(
        wechat: MockWeChat, tmp_path: Path, flag: str) -> None:
    """Page 2 of a 30-member album answered with no items: saying more follow
    (``continue_flag`` "1"), or not ("0", as WeChat might answer a ``begin_msgid`` whose
    article left the album since page 1; nobody knows). It was taken for the album's end,
    the album recorded as read whole, and the next run, finding the first page and count as
    they were, read one page: the 10 members after page 1 were never archived, and both runs
    said "no source failed". The first screen's count (current members,
    ``../shared/fixtures/wechat_album/SOURCES.md``) says 30: the read is in part."""
    site = Site(wechat)
    arts = site.serve(numbered(2247486301, 30, albums=("3312",), days_ago=1))
    album = site.album("3312", arts)
    listing = site._album_json

    def empty_later(query: str) -> Route:  # and read from its oldest, empty at once
        if "begin_msgid" not in query and "is_reverse" not in query:
            return listing(query)
        return Route(200, "application/json", json.dumps({
            "base_resp": {"ret": 0}, "getalbum_resp": {
                "article_list": [], "continue_flag": flag, "reverse_continue_flag": "1",
                "base_info": {"is_first_screen": "0"}, "verify_status": "0"}}).encode())

    wechat.route("/mp/appmsgalbum", empty_later)
    accounts = tmp_path / "accounts.toml"
    accounts.write_text(f'[[account]]\nname = "测试反诈中心"\nalbums = ["{album}"]\n',
                        encoding="utf-8")
    settings = {"ACCOUNTS_FILE": str(accounts), "WECHAT_BASE_URL": wechat.base,
                "ALBUM_PAGE_SIZE": "20"}
    result = crawl("accounts", tmp_path / "archive", settings=settings)
    assert result.returncode == 0, result.stderr
    assert len(archived(tmp_path / "archive")) == 20
    assert "album:3312: READ IN PART" in result.stderr, result.stderr
    assert "1 source read in part" in result.stderr
    [summary] = [line for line in result.stderr.splitlines() if "Run summary" in line]
    assert "WARNING" in summary, summary
    wechat.route("/mp/appmsgalbum", listing)
    result = crawl("accounts", tmp_path / "archive", settings=settings)
    assert archived(tmp_path / "archive") == {a.mid for a in arts}, result.stderr
    assert "no source failed" in result.stderr


def test_an_article_whose_link_without_chksm_wechat_answered_with_its_verification_is_said_lost(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """WeChat's verification page (环境异常) answering an in-body link, which has no
    ``chksm``: a refusal of such links, or a block that passed. The article, in no album,
    was kept "for an album's link" at INFO and never asked again: every run after said
    "no source failed" and nobody learned it was not archived. It is said once, at WARNING,
    with what brings it: the link asked again by ``crawl article``."""
    site = Site(wechat)
    later = site.serve([Art("2247486401")])[0]
    entry = site.serve([Art("2247486400", token="Entry", links=(site.body_link(later),))])[0]
    page, site.pages[later.path] = site.pages[later.path], VERIFICATION
    accounts = tmp_path / "accounts.toml"
    accounts.write_text(f'[[account]]\nname = "测试反诈中心"\nurls = ["{site.short(entry)}"]\n',
                        encoding="utf-8")
    archive = tmp_path / "archive"
    settings = {"ACCOUNTS_FILE": str(accounts), "WECHAT_BASE_URL": wechat.base}
    result = crawl("accounts", archive, settings=settings)
    assert result.returncode == 0, result.stderr
    [said, summary] = [line for line in result.stderr.splitlines() if " WARNING: " in line]
    assert "Not archived: 1 article WeChat refused by a link without chksm" in said, said
    assert "scrapy crawl article -a url=" in said and "Run summary" in summary, said
    site.pages[later.path] = page
    result = crawl("accounts", archive, settings=settings)
    assert " WARNING: " not in result.stderr, result.stderr  # said once, not every day
    link = re.search(r": (http\S+)$", said)
    assert link is not None and f"&mid={later.mid}&" in link.group(1), said
    assert archived(archive) == {entry.mid}  # asked again only LINK_RETRY_DAYS after
    refused_days_ago(archive, 7)
    result = crawl("accounts", archive, settings=settings)
    assert result.returncode == 0 and "Not archived" not in result.stderr, result.stderr
    assert archived(archive) == {entry.mid, later.mid}  # the block passed: no one had to act


def test_an_article_refused_without_chksm_that_is_in_fact_deleted_is_named_at_warning(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """An in-body link (no ``chksm``) WeChat refuses, to an article in fact deleted: the run
    that meets it names its link at WARNING (refused, nothing more can be known); asked again
    ``LINK_RETRY_DAYS`` later, the deleted page it answers then is a WARNING naming it too,
    once: the runs after say nothing more of it."""
    site = Site(wechat)
    gone = site.serve([Art("2247486411")])[0]
    entry = site.serve([Art("2247486410", token="Entry", links=(site.body_link(gone),))])[0]
    site.pages[gone.path] = VERIFICATION
    accounts = tmp_path / "accounts.toml"
    accounts.write_text(f'[[account]]\nname = "测试反诈中心"\nurls = ["{site.short(entry)}"]\n',
                        encoding="utf-8")
    archive = tmp_path / "archive"
    settings = {"ACCOUNTS_FILE": str(accounts), "WECHAT_BASE_URL": wechat.base, "LINK_RETRY_DAYS": "0"}
    said = []
    for answer in (VERIFICATION, Route(200, "text/html; charset=utf-8", (PAGES / "deleted.html").read_bytes()),
                   None):
        if answer is not None:
            site.pages[gone.path] = answer
        result = crawl("accounts", archive, settings=settings)
        assert result.returncode == 0, result.stderr
        said.append([line.split(": ", 1)[1] for line in result.stderr.splitlines()
                     if " WARNING: " in line and f"mid={gone.mid}&" in line])
    [refused], [deleted], again = said
    assert refused.startswith("Not archived: 1 article WeChat refused by a link without chksm"), refused
    assert re.fullmatch(rf"Not archived: \S+mid={gone.mid}&\S+ is deleted by its publisher", deleted), deleted
    assert again == []
    assert archived(archive) == {entry.mid}


def refused_days_ago(archive: Path, days: int) -> None:
    """Make each refusal of a link without chksm that the index records ``days`` old."""
    at = (datetime.now(UTC) - timedelta(days=days, seconds=1)).isoformat(timespec="seconds")
    with contextlib.closing(sqlite3.connect(archive / ".state" / "index.sqlite")) as db, db:
        db.execute("UPDATE articles SET refused = ? WHERE refused IS NOT NULL", (at,))


def archived_keys(archive: Path) -> set[str]:
    with sqlite3.connect(archive / ".state" / "index.sqlite") as db:
        return {key.split(":", 1)[1] for (key,) in db.execute(
            "SELECT key FROM articles WHERE state = 'archived'")}


@pytest.mark.parametrize("skips", [False, True])
def test_a_push_of_three_articles_split_across_album_pages(wechat: MockWeChat, tmp_path: Path,
                                                          skips: bool) -> None:
    """A push of three articles (msgid 2247487002, itemidx 1-3) in an album of five, pages of
    two: page 1 ends on its first article, and page 2 is asked from (2247487002, 1). No capture
    shows what WeChat answers (every real album item has itemidx 1), so both answers: after
    that item (the push's articles 2 and 3 on page 2: all five archived, the read whole), or
    after every item of that msgid (articles 2 and 3 never listed: the read ends at WeChat's
    own end with 3 of the 5 members the first screen counts; read again oldest first, its
    first page ends on article 3 and the next skips article 2). Article 2 was then never
    fetched, the album read in part at every run; now the album is read a third time, newest
    first, each page asked from before the push that ended the page before: page 2 from
    (2247487003, 1) lists the push from its start, all five archived, the read whole."""
    site = Site(wechat, cursor_skips_message=skips)
    arts = site.serve([Art("2247487001", albums=("3320",)),
                       *(Art("2247487002", str(idx), albums=("3320",)) for idx in (3, 2, 1)),
                       Art("2247487003", albums=("3320",))])
    album = site.album("3320", arts)
    result = crawl("album", tmp_path, "-a", f"url={album}", settings={"ALBUM_PAGE_SIZE": "2"})
    assert result.returncode == 0, result.stderr
    assert archived_keys(tmp_path) == {f"{a.mid}:{a.idx}" for a in arts}
    assert "READ IN PART" not in result.stderr and "WARNING" not in result.stderr, result.stderr
    if skips:
        assert [path.split("&count=2&f=json")[1] for path in album_requests(wechat)] == [
            "", "&begin_msgid=2247487002&begin_itemidx=1", "&is_reverse=1",
            "&is_reverse=1&begin_msgid=2247487002&begin_itemidx=3", "&begin_msgid=2247487003&begin_itemidx=1"]
    result = crawl("album", tmp_path, "-a", f"url={album}", settings={"ALBUM_PAGE_SIZE": "2"})
    assert result.returncode == 0 and len(album_requests(wechat)) == (6 if skips else 4), result.stderr


@pytest.mark.parametrize("honoured", [True, False], ids=["is_reverse-honoured", "is_reverse-ignored"])
def test_a_push_the_next_page_skips_is_read_from_the_album_s_other_end(
        wechat: MockWeChat, tmp_path: Path, honoured: bool) -> None:
    """A push of three articles (msgid 2247487102) in an album of six, pages of two, and a
    WeChat whose next page starts after the whole push (``Site.cursor_skips_message``): read
    newest first, page 1 ends on the push's article 1 and its articles 2 and 3 are never
    listed. Read again from the album's other end (``is_reverse=1``, oldest first), the pages
    split the album elsewhere and list them: all six archived, the album read whole, the next
    run one request. Should WeChat ignore ``is_reverse`` (no capture shows its answer), its
    first page oldest first is its first page newest first: the two were then never fetched,
    the album read in part at every run. Now that page starts a read newest first across
    the pushes, each page asked from before the push that ended the page before (page 2 from
    (2247487103, 1)): all six archived, the album read whole, no page asked twice."""
    site = Site(wechat, cursor_skips_message=True, honours_reverse=honoured)
    push = [Art("2247487102", str(idx), albums=("3322",)) for idx in (3, 2, 1)]
    arts = site.serve([*numbered(2247487100, 2, albums=("3322",)), *push,
                       Art("2247487103", albums=("3322",))])
    album = site.album("3322", arts)
    result = crawl("album", tmp_path, "-a", f"url={album}", settings={"ALBUM_PAGE_SIZE": "2"})
    assert result.returncode == 0, result.stderr
    assert archived_keys(tmp_path) == {f"{a.mid}:{a.idx}" for a in arts}
    assert "WARNING" not in result.stderr, result.stderr
    asked = album_requests(wechat)
    if honoured:
        assert len(asked) == 4 and ["is_reverse=1" in path for path in asked] == [False, False, True, True]
    else:
        assert len(set(asked)) == len(asked) == 5, asked
        assert "&begin_msgid=2247487103&begin_itemidx=1" in asked[3], asked
    result = crawl("album", tmp_path, "-a", f"url={album}", settings={"ALBUM_PAGE_SIZE": "2"})
    assert result.returncode == 0 and len(album_requests(wechat)) == len(asked) + 1, result.stderr


def test_an_album_whose_next_page_starts_it_again_is_read_from_its_other_end(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """Should WeChat answer a ``begin_msgid`` it no longer knows (its article left the album
    since page 1) with the album's first page again, the read newest first lists nothing new
    and stops, 10 of the 30 members never listed (a read in part, at every run until the
    album changes). Read from its oldest end, they are: all 30 archived, the read whole."""
    site = Site(wechat)
    arts = site.serve(numbered(2247486601, 30, albums=("3323",)))
    album = site.album("3323", arts)
    listing = site._album_json

    def again_from_the_start(query: str) -> Route:
        params = dict(parse_qsl(query))
        if "is_reverse" not in params:
            params.pop("begin_msgid", None)
        return listing(urlencode(params))

    wechat.route("/mp/appmsgalbum", again_from_the_start)
    result = crawl("album", tmp_path, "-a", f"url={album}", settings={"ALBUM_PAGE_SIZE": "20"})
    assert result.returncode == 0, result.stderr
    assert archived(tmp_path) == {a.mid for a in arts}
    assert "WARNING" not in result.stderr, result.stderr
    assert len(album_requests(wechat)) == 3


def test_a_first_screen_counting_more_than_the_album_lists_is_said(wechat: MockWeChat,
                                                                   tmp_path: Path) -> None:
    """Every real count seen equals what the album lists (``pos_num`` of the 25 real pages
    runs 1..newest with no gap, shifting down when an article is deleted; items carry
    ``is_pay_subscribe`` and ``item_show_type``, so paid articles and other kinds are listed
    as items, though every real one is "0"). Should WeChat's first screen
    ever count members its pages never list (7 for 5), the read reaches WeChat's own end
    (continue_flag "0" on a page listing members) short of the count: every listed member is
    archived, and the shortfall is said at WARNING, not taken silently for a whole read."""
    site = Site(wechat)
    arts = site.serve(numbered(2247487101, 5, albums=("3321",)))
    album = site.album("3321", arts)
    listing = site._album_json

    def overcounted(query: str) -> Route:
        route = listing(query)
        body = json.loads(route.body)
        if "article_count" in body["getalbum_resp"]["base_info"]:
            body["getalbum_resp"]["base_info"]["article_count"] = "7"
        return replace(route, body=json.dumps(body).encode())

    wechat.route("/mp/appmsgalbum", overcounted)
    result = crawl("album", tmp_path, "-a", f"url={album}", settings={"ALBUM_PAGE_SIZE": "2"})
    assert result.returncode == 0, result.stderr
    assert archived(tmp_path) == {a.mid for a in arts}
    assert re.search(r"WARNING.*album:3321.*its pages listed 5 of the 7 articles", result.stderr), \
        result.stderr


def test_an_overcount_both_ends_agree_on_is_a_warning_once_not_at_every_run(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """A first screen counting members its pages list from neither end (7 for 5: a deleted
    member still counted, say; no capture shows one) was a source READ IN PART at every run,
    after both reads, its WARNING mailed forever, the album read whole again each time. When
    the read from the oldest end lists the very members the read from the newest did, they
    are what WeChat lists: said at WARNING once, then at INFO while the shortfall stays, the
    album taken as read (one request while unchanged); another shortfall is news again."""
    site = Site(wechat)
    arts = site.serve(numbered(2247487201, 5, albums=("3324",)))
    album = site.album("3324", arts)
    listing = site._album_json
    counted = {"extra": 2}

    def overcounted(query: str) -> Route:
        route = listing(query)
        body = json.loads(route.body)
        info = body["getalbum_resp"]["base_info"]
        if "article_count" in info:
            info["article_count"] = str(int(info["article_count"]) + counted["extra"])
        return replace(route, body=json.dumps(body).encode())

    wechat.route("/mp/appmsgalbum", overcounted)

    def run(**settings: str) -> str:
        result = crawl("album", tmp_path, "-a", f"url={album}",
                       settings={"ALBUM_PAGE_SIZE": "2", **settings})
        assert result.returncode == 0, result.stderr
        return result.stderr

    said = run()
    assert archived(tmp_path) == {a.mid for a in arts}
    warned = [line for line in said.splitlines() if " WARNING: " in line and "album:" in line]
    assert len(warned) == 1 and "album:3324" in warned[0] and "5 of the 7" in warned[0] \
        and "the same 5" in warned[0], said
    asked = len(album_requests(wechat))
    assert " WARNING: " not in run() and len(album_requests(wechat)) == asked + 1  # unchanged
    said = run(ALBUM_RECHECK_DAYS="0")  # read whole again: the same shortfall
    assert " WARNING: " not in said and re.search(r"INFO.*album:3324.*5 of the 7", said), said
    site.albums["3324"] = arts[1:]  # a member deleted: 6 counted for 4, two short still
    assert " WARNING: " not in run()
    counted["extra"] = 3
    assert re.search(r"WARNING.*album:3324.*4 of the 7", run()), "another shortfall is news"


def test_after_the_index_was_lost_a_post_whose_images_failed_for_a_passing_reason_gets_them(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """A full disk failing the index's writes (its WAL) left the run's posts unindexed, their
    images on the CDN ("cannot record the image"); the index made again from the posts took
    each as complete, and verify said the images were left on the CDN for good, nothing to
    do: no run asked for them again. Now they are tried again when a run finds the article."""
    site = Site(wechat)
    arts = site.serve(numbered(2247486301, 2))
    album = site.album("3308", arts)
    for art in arts:
        wechat.route(f"/mmbiz_png/Img{art.mid}x1/640", Route(503, "text/plain", b"busy"))
    archive = tmp_path / "archive"
    first = crawl("album", archive, "-a", f"url={album}", settings={"WECHAT_BASE_URL": wechat.base})
    assert first.returncode == 0, first.stderr
    assert all("Img" in text.decode() and "/postimg/Img" not in text.decode()
               for text in posts(archive).values())
    (archive / ".state" / "index.sqlite").unlink()  # as a full disk can leave it: no article
    site.serve(arts)  # the CDN answers again
    again = crawl("album", archive, "-a", f"url={album}", settings={"WECHAT_BASE_URL": wechat.base})
    assert again.returncode == 0, again.stderr
    assert all(f"/postimg/Img{art.mid}x1" in text.decode()
               for art, text in zip(arts, [posts(archive)[name] for name in sorted(posts(archive))],
                                    strict=True)), again.stderr


@pytest.mark.parametrize("relative", [True, False], ids=["without-scheme", "with-scheme"])
def test_links_without_a_scheme_lead_where_a_browser_follows_them(
        wechat: MockWeChat, tmp_path: Path, relative: bool) -> None:
    """A link written ``//mp.weixin.qq.com/s?…`` or ``//…/s/<token>``: a browser follows it
    on the scheme of the page it is on. No captured WeChat page links an article so (its
    pages load their own scripts so, ``//res.wx.qq.com/…``, and other sites link articles so):
    it gave no lead, the post dropped the link and the 阅读原文 (``msg_source_url``) the
    page's script names so. Both spellings are run: each must end the same."""
    site = Site(wechat)
    linked, short, original = site.serve([Art("2247485201"), Art("2247485202", token="NoScheme"),
                                          Art("2247485203")])

    def spelled(link: str) -> str:
        return link.removeprefix("http:") if relative else link

    entry = Art("2247485200", links=(spelled(site.body_link(linked)), spelled(site.short(short))))
    site.serve([entry])
    source = spelled(site.body_link(original).replace("&amp;", "&"))
    site.pages[entry.path] = Route(200, "text/html; charset=utf-8", site.page(entry).replace(
        "window.album_info_list", f"var msg_source_url = '{source}';\n    window.album_info_list").encode())
    result = account_crawl(wechat, tmp_path, f'urls = ["{site.link(entry).replace("&amp;", "&")}"]')
    assert result.returncode == 0, result.stderr
    archive = tmp_path / "archive"
    assert archived(archive) == {a.mid for a in [entry, linked, short, original]}
    post = next(text.decode() for text in posts(archive).values() if f"mid: {entry.mid}" in text.decode()
                or f"mid={entry.mid}" in text.decode())
    assert post.count("{% post_url ") == 2, post  # both links point at their posts
    assert f"source_url: {site.body_link(original).replace('&amp;', '&')}" in post, post


def test_album_items_that_name_an_article_otherwise_are_followed_or_said(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """Album items not of the shape of every captured one (``../shared/fixtures/wechat_album``,
    soda92/biao-short-novels' scheduled reads: ``url`` a long link with ``chksm``, ``msgid``,
    ``itemidx``, ``key``, ``pos_num``). Other public readers of the JSON read ``url``,
    ``msgid`` (their next page's ``begin_msgid``), ``title`` and ``create_time`` of an item
    (nansang/wechat-articles' ``main.py``, ktKongTong/btnews' ``script/article/index.ts``),
    ``itemidx`` and ``key`` (wechat-article/wechat-article-exporter's ``AlbumArticle``), and
    none of them a short link or one without a scheme: nobody knows whether WeChat lists one
    so. Here an item gives a short link ``/s/<id>``, one a link without a scheme, one an
    empty ``msgid``, one no ``itemidx``, one no ``url`` and one a title alone. The short
    link was fetched but counted as no member: the read came short of the count, was read
    again from the other end and said "WeChat counts 1 it lists from neither end"; the link
    without a scheme was taken for no link; the two that name no article were said in a line
    naming neither, counted nowhere. Now each naming an article by a link is archived and a
    member, the two that name none are named in a line and counted in the summary, and the
    album is read whole (the count holds them), in one request when unchanged."""
    site = Site(wechat)
    arts = site.serve([Art("2247486401", token="AlbumShort"), *numbered(2247486402, 6)])
    album = site.album("3313", arts)
    listing = site._album_json
    short, no_msgid, no_itemidx, no_url, title_only, no_scheme, _ = arts

    def odd_items(query: str) -> Route:
        answer = json.loads(listing(query).body)
        for item in answer["getalbum_resp"]["article_list"]:
            mid = item["msgid"]
            if mid == short.mid:
                item["url"] = site.short(short)
            elif mid == no_msgid.mid:
                item["msgid"] = ""
            elif mid == no_itemidx.mid:
                del item["itemidx"]
            elif mid == no_url.mid:
                del item["url"]
            elif mid == title_only.mid:
                item.clear()
                item["title"] = title_only.name
            elif mid == no_scheme.mid:
                item["url"] = item["url"].removeprefix("http:")
        return Route(200, "application/json", json.dumps(answer).encode())

    wechat.route("/mp/appmsgalbum", odd_items)
    settings = {"ALBUM_PAGE_SIZE": "20"}
    result = crawl("album", tmp_path / "archive", "-a", f"url={album}", settings=settings)
    assert result.returncode == 0, result.stderr
    assert archived(tmp_path / "archive") == {a.mid for a in arts if a not in (no_url, title_only)}
    assert "READ IN PART" not in result.stderr and "neither end" not in result.stderr, result.stderr
    assert len(album_requests(wechat)) == 1
    with sqlite3.connect(tmp_path / "archive" / ".state" / "index.sqlite") as db:
        assert {key.split(":")[1] for (key,) in db.execute("SELECT key FROM album_articles")} \
            == {a.mid for a in arts if a not in (no_url, title_only)}
    said = re.search(r"WARNING.*album:3313: lists 2 items with no article link.*", result.stderr)
    assert said and f"{no_url.mid}" in said.group() and title_only.name in said.group(), result.stderr
    [summary] = [line for line in result.stderr.splitlines() if "Run summary" in line]
    assert "2 album items with no article link" in result.stderr.split("Run summary")[1], summary
    pages = len(album_requests(wechat))
    again = crawl("album", tmp_path / "archive", "-a", f"url={album}", settings=settings)
    assert len(album_requests(wechat)) == pages + 1, again.stderr  # unchanged: one request
    assert "2 album items with no article link" in again.stderr.split("Run summary")[1]


@pytest.mark.parametrize("answer", ["bad_params.html", "expired.html"])
@pytest.mark.parametrize("known", [False, True], ids=["album-unread", "album-read-before"])
def test_an_article_linked_twice_in_a_run_with_different_chksm_is_had_by_the_one_that_works(
        wechat: MockWeChat, tmp_path: Path, answer: str, known: bool) -> None:
    """A 2016-2022 page's in-body link carries a ``chksm`` (8 of 9 links of those pages in
    ``../shared/fixtures/wechat``); its album lists the same article with another. Whether
    WeChat answers a link whose ``chksm`` is not today's with its parameter-error or
    expired-link page is not known. Should it, the body's link was asked, the album's link
    of the same article dropped as asked already, and at every later run the body's link
    (remembered) went first again: never archived, a WARNING at each run that said "no
    source failed". Now the album's link is asked after the refusal: when the album is read
    (the run's first read of it), or at once when an earlier run read it (the article's page
    failed then: HTTP 500)."""
    site = Site(wechat)
    member = Art("2247486501", albums=("3314",))
    site.serve([member])
    entry = site.serve([Art("2247486500", token="Stale", albums=("3314",), links=(
        site.body_link(member).replace("&amp;scene=21", "&amp;chksm=0ld0ld&amp;scene=21"),))])[0]
    site.album("3314", [member, entry])
    page = site.pages[member.path]
    refusal = Route(200, "text/html; charset=utf-8", (PAGES / answer).read_bytes())
    failing = Route(500, "text/plain", b"down")
    site.pages[member.path] = lambda query: refusal if "chksm=0ld0ld" in query else failing if known else page
    result = account_crawl(wechat, tmp_path, f'urls = ["{site.short(entry)}"]')
    if known:
        assert archived(tmp_path / "archive") == {entry.mid}
        site.pages[member.path] = lambda query: refusal if "chksm=0ld0ld" in query else page
        result = account_crawl(wechat, tmp_path, f'urls = ["{site.short(entry)}"]')
    assert result.returncode == 0, result.stderr
    assert archived(tmp_path / "archive") == {entry.mid, member.mid}, result.stderr
    assert ("asked by its album's link instead" in result.stderr) == known, result.stderr
    said = [line for line in result.stderr.splitlines() if "0ld0ld" in line]
    assert said and all(" INFO: " in line for line in said), said  # archived: nothing lost
    summary = result.stderr.split("Run summary")[1].splitlines()[0]
    assert summary.endswith(": 1 new, 1 already archived" if known else ": 2 new"), summary
    asked = article_requests(wechat)
    result = account_crawl(wechat, tmp_path, f'urls = ["{site.short(entry)}"]')
    assert article_requests(wechat, len(asked)) == [] and "Not archived" not in result.stderr


@pytest.mark.parametrize("album", ["failing", "failing by a short link", "refusing", "not listing it"])
def test_an_article_whose_refused_link_its_album_does_not_make_up_for_is_said_lost_once(
        wechat: MockWeChat, tmp_path: Path, album: str) -> None:
    """The refused link is said at INFO while the album's link may still have the article
    (above); when it does not, the article is lost, and said once at WARNING, counted once:
    by the album's link, which failed (HTTP 500, WeChat's parameter-error page again; a
    short link, which names no article until fetched), or, when no link of it but the
    refused one was had this run, by the refused link at the run's end."""
    site = Site(wechat)
    member = Art("2247486511", albums=("3318",), token="ShortMember")
    site.serve([member])
    if album == "failing by a short link":
        listing = site._album_json

        def short_items(query: str) -> Route:
            answer = json.loads(listing(query).body)
            for item in answer["getalbum_resp"]["article_list"]:
                if item["msgid"] == member.mid:
                    item["url"] = site.short(member)
            return Route(200, "application/json", json.dumps(answer).encode())

        wechat.route("/mp/appmsgalbum", short_items)
        wechat.route(f"/s/{member.token}", Route(500, "text/plain", b"down"))
    entry = site.serve([Art("2247486510", token="Stale2", albums=("3318",), links=(
        site.body_link(member).replace("&amp;scene=21", "&amp;chksm=0ld0ld&amp;scene=21"),))])[0]
    site.album("3318", [entry] if album == "not listing it" else [member, entry])
    refusal = Route(200, "text/html; charset=utf-8", (PAGES / "bad_params.html").read_bytes())
    answer = Route(500, "text/plain", b"down") if album.startswith("failing") else refusal
    site.pages[member.path] = lambda query: refusal if "chksm=0ld0ld" in query else answer
    result = account_crawl(wechat, tmp_path, f'urls = ["{site.short(entry)}"]')
    assert result.returncode == 0, result.stderr
    assert archived(tmp_path / "archive") == {entry.mid}
    lost = [line for line in result.stderr.splitlines() if " WARNING: Not archived" in line]
    assert len(lost) == 1 and (member.token if "short" in album else member.mid) in lost[0], result.stderr
    assert ("0ld0ld" in lost[0]) == (album == "not listing it"), lost
    summary = result.stderr.split("Run summary")[1].splitlines()[0]
    assert summary.endswith(": 1 new, 1 not fetched" if album.startswith("failing")
                            else ": 1 new, 1 parameter-error page"), summary


def test_an_article_whose_album_s_own_link_is_refused_is_said_lost_at_once(wechat: MockWeChat,
                                                                         tmp_path: Path) -> None:
    """No other link is to come for an article whose album's link WeChat refuses: one line,
    a WARNING, not an INFO promising the album's link first."""
    site = Site(wechat)
    member = site.serve([Art("2247486521", albums=("3319",))])[0]
    album = site.album("3319", [member])
    site.pages[member.path] = Route(200, "text/html; charset=utf-8", (PAGES / "expired.html").read_bytes())
    result = account_crawl(wechat, tmp_path, f'albums = ["{album}"]')
    said = [line for line in result.stderr.splitlines() if member.mid in line and "expired" in line]
    assert len(said) == 1 and " WARNING: Not archived: " in said[0], said


@pytest.mark.parametrize("members, beyond", [(25, "lists on"), (20, "ends"), (20, "starts again")])
def test_an_album_with_no_count_whose_full_page_says_it_is_the_last_is_asked_one_page_more(
        wechat: MockWeChat, tmp_path: Path, members: int, beyond: str) -> None:
    """A first screen that states no count (no capture shows one; every real first screen
    has ``article_count``) and a ``continue_flag`` "0" on a page as full as asked, as a
    lying flag ends a read early where a count shows it (``../shared/fixtures/wechat_album``:
    the flag alone says whether more follow). The 5 members after it were never archived,
    at every run, and the album taken as read whole. Now the page after it is asked: it lists
    on, or ends the album (empty, or WeChat ignoring ``begin_msgid``: its first page again)."""
    site = Site(wechat)
    arts = site.serve(numbered(2247486701, members, albums=("3317",)))
    album = site.album("3317", arts)
    listing = site._album_json

    def no_count(query: str) -> Route:
        answer = json.loads(listing(query if beyond != "starts again" else re.sub(
            r"&begin_msgid=\d+&begin_itemidx=\d+", "", query)).body)
        answer["getalbum_resp"]["base_info"].pop("article_count", None)
        if "begin_msgid" not in query:
            answer["getalbum_resp"]["continue_flag"] = "0"
        return Route(200, "application/json", json.dumps(answer).encode())

    wechat.route("/mp/appmsgalbum", no_count)
    result = crawl("album", tmp_path / "archive", "-a", f"url={album}", settings={"ALBUM_PAGE_SIZE": "20"})
    assert result.returncode == 0, result.stderr
    assert archived(tmp_path / "archive") == {a.mid for a in arts}
    assert len(album_requests(wechat)) == 2
    assert "WARNING" not in result.stderr, result.stderr


@pytest.mark.parametrize("emptied", ["empty first screen", "ret error"])
def test_an_album_emptied_between_runs_leaves_its_members_and_its_unarchived_one_is_had(
        wechat: MockWeChat, tmp_path: Path, emptied: str) -> None:
    """An album whose every member left it between two runs (its owner took them out, or
    deleted the album). What WeChat answers an album with no member is not captured (every
    first screen of ``../shared/fixtures/wechat_album`` lists some): a first screen listing
    nothing, ``article_count`` "0", or an error ``ret``, as a deleted album answers. Either
    way the posts stay, and the member the first run could not fetch (HTTP 500) is asked by
    the link the album gave and archived."""
    site, arts = served_album(wechat, "3351", 2247487100, 4)
    page = site.pages[arts[2].path]
    site.pages[arts[2].path] = Route(500, "text/plain", b"down")
    archive = tmp_path / "archive"
    album = site.album("3351", arts)
    first = account_crawl(wechat, tmp_path, f'albums = ["{album}"]')
    assert archived(archive) == {a.mid for a in arts} - {arts[2].mid}, first.stderr
    site.pages[arts[2].path] = page
    if emptied == "ret error":
        site.album("3351", arts, error=-6)
    else:
        site.albums["3351"] = []
    second = account_crawl(wechat, tmp_path, f'albums = ["{album}"]')
    assert archived(archive) == {a.mid for a in arts}, second.stderr
    assert len(list((archive / "_posts").glob("*.md"))) == 4
    summary = second.stderr.split("Run summary")[1]
    assert "Not archived" not in second.stderr, second.stderr
    if emptied == "ret error":  # an album the user named, deleted: a source failed, said
        assert "album:3351: COULD NOT BE READ" in summary and second.returncode == 1, summary
    else:
        assert summary.startswith(" (finished): 1 new, 4 left their albums\n"), summary
        assert "  album:3351: 1 new\n" in summary and second.returncode == 0, summary
        # (the stand-in's page of the one had names the album still: a member again)
        assert departed(archive, "3351") >= {a.mid for a in arts} - {arts[2].mid}


@pytest.mark.parametrize("gone", ["ret error", "HTTP 404"])
def test_two_albums_sharing_members_one_gone_lose_none_of_them(wechat: MockWeChat, tmp_path: Path,
                                                                gone: str) -> None:
    """Two albums of one account share two members; the first run could not fetch one shared
    member and one of the second album's own (HTTP 500). Then the second album is gone: an
    error ``ret``, as WeChat answers an album deleted (``base_resp``, the shape of every
    answer in ``../shared/fixtures/wechat_album``), or HTTP 404 (no capture shows WeChat
    answering so). The shared member is had through the first album; the second's own, by
    the link it gave when WeChat says it is deleted, else said each run as known not
    archived while its album could not be read, and had once it answers again."""
    site = Site(wechat)
    arts = site.serve(numbered(2247487200, 6, albums=("3352",)))
    first_album, second_album = site.album("3352", arts[:4]), site.album("3353", arts[2:])
    shared, own = arts[2], arts[5]
    pages = {art.mid: site.pages[art.path] for art in (shared, own)}
    for art in (shared, own):
        site.pages[art.path] = Route(500, "text/plain", b"down")
    archive = tmp_path / "archive"
    lines = f'albums = ["{first_album}", "{second_album}"]'
    first = account_crawl(wechat, tmp_path, lines)
    assert archived(archive) == {a.mid for a in arts} - {shared.mid, own.mid}, first.stderr
    for art in (shared, own):
        site.pages[art.path] = pages[art.mid]
    if gone == "ret error":
        site.album("3353", arts[2:], error=-6)
    else:
        del site.albums["3353"]
    second = account_crawl(wechat, tmp_path, lines)
    summary = second.stderr.split("Run summary")[1]
    assert "album:3353: COULD NOT BE READ" in summary, summary
    assert shared.mid in archived(archive), second.stderr
    if gone == "ret error":
        assert archived(archive) == {a.mid for a in arts}, second.stderr
        return
    assert own.mid not in archived(archive)
    assert "account 测试反诈中心: 5 archived, 1 known not archived" in summary, summary
    site.album("3353", arts[2:])
    third = account_crawl(wechat, tmp_path, lines)
    assert archived(archive) == {a.mid for a in arts}, third.stderr


@pytest.mark.parametrize("stuck", ["newest first", "both ways"])
def test_an_album_whose_cursor_does_not_advance_lists_the_rest_or_says_it(
        wechat: MockWeChat, tmp_path: Path, stuck: str) -> None:
    """A later page of an album that repeats the page before it: WeChat's cursor
    (``begin_msgid``, exclusive in every real page of ``../shared/fixtures/wechat_album``)
    not advancing, as if taken inclusive of the whole page before (nobody knows that WeChat
    ever answers so). Of 50 members, the read newest first lists 20; read from the oldest end
    the rest are listed and archived; should that cursor not advance either, the album is
    read in part, a WARNING, and not taken as read. That line said only that a page listed
    nothing new: not that 10 of the 50 members were never listed. Now it says how many were."""
    site = Site(wechat)
    arts = site.serve(numbered(2247487301, 50, albums=("3354",)))
    album = site.album("3354", arts)
    listing = site._album_json

    def repeating(query: str) -> Route:  # the page that ends with begin_msgid: the one before
        params = dict(parse_qsl(query))
        if "begin_msgid" in params and (stuck == "both ways" or params.get("is_reverse") != "1"):
            return listing(cursor_back(query, arts, 20))
        return listing(query)

    wechat.route("/mp/appmsgalbum", repeating)
    result = crawl("album", tmp_path, "-a", f"url={album}", settings={"ALBUM_PAGE_SIZE": "20"})
    if stuck == "newest first":
        assert result.returncode == 0, result.stderr
        assert archived(tmp_path) == {a.mid for a in arts}, result.stderr
        assert "WARNING" not in result.stderr, result.stderr
        return
    assert archived(tmp_path) == {a.mid for a in arts[:20] + arts[-20:]}, result.stderr
    [said] = [line for line in result.stderr.splitlines() if "album:3354" in line and " WARNING: " in line]
    assert ("WARNING: Source album:3354 could not be read: a page listed nothing new (the album repeats itself): "
            "read no further; its pages listed 40 of the 50 articles its first screen counts, read from its newest "
            "and from its oldest and across its pushes; the articles it did not list are had by their links") in said, said
    assert "album:3354: READ IN PART (" in result.stderr.split("Run summary")[1], result.stderr


def test_an_album_read_in_part_the_same_way_again_says_what_to_do_at_warning_once(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """An album whose cursor repeats the page before it from either end and across its pushes
    (as above; every real page of ``../shared/fixtures/wechat_album`` is asked with
    ``begin_msgid``, ``begin_itemidx`` 1 and ``count`` 20, and no capture shows another form
    of cursor that WeChat answers) is read in part at every run. Each run said it at WARNING,
    alike, and what a maintainer could do about it nowhere: now the first run's WARNING says
    it (the articles not listed are had by their links), the runs after that meet it as it
    was say it at INFO (its line still READ IN PART, the summary not a WARNING), and one
    that finds it changed (a new member) says it at WARNING again. The articles given by
    their links are had, and the album's read costs no more."""
    site = Site(wechat)
    arts = site.serve(numbered(2247487351, 50, albums=("3357",)))
    album = site.album("3357", arts)
    listing = site._album_json

    def repeating(query: str) -> Route:  # the page that ends with begin_msgid: the one before
        if "begin_msgid" in query:
            return listing(cursor_back(query, site.albums["3357"], 20))
        return listing(query)

    wechat.route("/mp/appmsgalbum", repeating)
    archive, lines = tmp_path / "archive", f'albums = ["{album}"]'
    runs = [account_crawl(wechat, tmp_path, lines)]
    [said] = [line for line in runs[0].stderr.splitlines() if " WARNING: Source album:3357" in line]
    assert "its pages listed 40 of the 50 articles" in said and "scrapy crawl article -a url=" in said, said
    unlisted = tmp_path / "unlisted.txt"
    unlisted.write_text("\n".join(site.link(a).replace("&amp;", "&") for a in arts[20:30]), encoding="utf-8")
    given = crawl("article", archive, "-a", f"urls_file={unlisted}")
    assert given.returncode == 0, given.stderr
    pages = len(album_requests(wechat))
    assert pages == 5, album_requests(wechat)  # README's "What it costs": the same at every run
    runs.append(account_crawl(wechat, tmp_path, lines))
    assert " WARNING: " not in runs[1].stderr, runs[1].stderr
    assert "this run 0 new, 1 source read in part as at its last read" in runs[1].stderr, runs[1].stderr
    assert "album:3357: READ IN PART as at its last read (" in runs[1].stderr.split("Run summary")[1], runs[1].stderr
    assert [line for line in runs[1].stderr.splitlines() if " INFO: Source album:3357 read in part as at its last "
            "read: a page listed nothing new" in line], runs[1].stderr
    assert len(album_requests(wechat)) == 2 * pages, album_requests(wechat)  # no more than the first run
    site.albums["3357"] = arts + site.serve(numbered(2247487401, 1, albums=("3357",)))
    runs.append(account_crawl(wechat, tmp_path, lines))
    [again] = [line for line in runs[2].stderr.splitlines() if " WARNING: Source album:3357" in line]
    assert "its pages listed 40 of the 51 articles" in again, again
    assert all(run.returncode == 0 for run in runs), runs
    assert archived(archive) == {a.mid for a in site.albums["3357"]}, runs[2].stderr


@pytest.mark.parametrize("answer", ["count below", "flag on past the end", "flag on, empty pages"])
def test_an_album_whose_count_or_flags_disagree_with_its_pages_loses_none_and_says_no_loss(
        wechat: MockWeChat, tmp_path: Path, answer: str) -> None:
    """The first screen's ``article_count`` and the pages' ``continue_flag`` disagreeing with
    what the pages list (every real page of ``../shared/fixtures/wechat_album`` agrees; no
    capture shows otherwise): a count below what the album lists; a ``continue_flag`` "1" on
    its last page, the page after it listing nothing with "0"; or "1" on every page, the
    empty ones after its end too. All 25 members are archived, no line says a loss, and a
    run after costs what an unchanged album costs."""
    site = Site(wechat)
    arts = site.serve(numbered(2247487401, 25, albums=("3355",)))
    album = site.album("3355", arts)
    listing = site._album_json

    def disagreeing(query: str) -> Route:
        body = json.loads(listing(query).body)
        resp = body["getalbum_resp"]
        if answer == "count below" and "article_count" in resp["base_info"]:
            resp["base_info"]["article_count"] = "3"
        elif resp["article_list"] or answer == "flag on, empty pages":
            resp["continue_flag"] = "1"
        return Route(200, "application/json", json.dumps(body).encode())

    wechat.route("/mp/appmsgalbum", disagreeing)
    result = crawl("album", tmp_path, "-a", f"url={album}", settings={"ALBUM_PAGE_SIZE": "20"})
    assert result.returncode == 0, result.stderr
    assert archived(tmp_path) == {a.mid for a in arts}, result.stderr
    assert "WARNING" not in result.stderr, result.stderr
    pages = len(album_requests(wechat))
    again = crawl("album", tmp_path, "-a", f"url={album}", settings={"ALBUM_PAGE_SIZE": "20"})
    assert again.returncode == 0 and "WARNING" not in again.stderr, again.stderr
    assert len(album_requests(wechat)) == pages + 1, again.stderr


@pytest.mark.parametrize("repeat", ["a page served twice", "pages overlapping by half"])
def test_an_album_whose_pages_repeat_items_counts_each_member_once(
        wechat: MockWeChat, tmp_path: Path, repeat: str) -> None:
    """An album of 50 whose later pages repeat what a page before them listed: its second
    page first answered as its first again (a page WeChat serves twice), or every page
    starting 10 items back (a cursor that advances half a page; every real page of
    ``../shared/fixtures/wechat_album`` follows the one before with no overlap, ``pos_num``,
    so nobody knows that WeChat ever answers so). All 50 are archived and its line said
    "90 listed" and "80 listed", counting each page's items: now 50, each member once; the
    pages overlapping are said once, at INFO (nothing lost)."""
    site = Site(wechat)
    arts = site.serve(numbered(2247487501, 50, albums=("3356",)))
    album = site.album("3356", arts)
    listing = site._album_json
    served: set[str] = set()

    def repeating(query: str) -> Route:
        begin = dict(parse_qsl(query)).get("begin_msgid")
        if begin and (repeat == "pages overlapping by half" or not served):
            served.add(begin)
            return listing(cursor_back(query, arts, 20 if repeat == "a page served twice" else 10))
        return listing(query)

    wechat.route("/mp/appmsgalbum", repeating)
    result = crawl("album", tmp_path, "-a", f"url={album}", settings={"ALBUM_PAGE_SIZE": "20"})
    assert result.returncode == 0, result.stderr
    assert archived(tmp_path) == {a.mid for a in arts}, result.stderr
    assert "WARNING" not in result.stderr, result.stderr
    assert "album:3356: 50 listed, 50 new" in result.stderr.split("Run summary")[1], result.stderr
    said = [line for line in result.stderr.splitlines() if "album:3356" in line and "again" in line]
    if repeat == "a page served twice":  # said as the read turned to the album's other end
        assert said == [], said
    else:
        [line] = said
        assert line.endswith(" INFO: Source album:3356: a page listed again 10 articles a page before it "
                             "listed: each counted once"), line

"""Scheduled runs over the local WeChat: albums, accounts files, feeds, blocks, incrementality."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import pytest
from scrapy import Request
from scrapy.http import Response

from crawler import settings as project_settings
from tests.conftest import crawl, refusal
from tests.mockserver import MockWeChat, Route
from tests.redisserver import free_port
from tests.site import BIZ, VERIFICATION, Art, Site, numbered


def snapshot(archive: Path) -> dict[str, bytes]:
    return {str(p.relative_to(archive)): p.read_bytes()
            for p in sorted(archive.rglob("*")) if p.is_file() and ".state" not in p.parts}


def posts(archive: Path) -> list[str]:
    return sorted(p.name for p in (archive / "_posts").glob("*.md"))


def article_hits(server: MockWeChat) -> list[str]:
    return [path for path, _ in server.hits("/s")]


def canonical(path: str) -> str:
    """An article path without the chksm and scene it was fetched with."""
    return re.sub(r"&(chksm|scene)=[^&]*", "", path)


def state_of(archive: Path, mid: str) -> str:
    with sqlite3.connect(archive / ".state" / "index.sqlite") as db:
        return db.execute("SELECT state FROM articles WHERE key = ?", (f"{BIZ}:{mid}:1",)).fetchone()[0]


@pytest.fixture
def site(wechat: MockWeChat) -> Site:
    return Site(wechat)


def test_a_21_article_album_over_three_pages_is_archived_whole_then_costs_one_listing(
        site: Site, tmp_path: Path) -> None:
    arts = site.serve(numbered(2247480000, 21))
    album = site.album("3001", arts)

    pages_of_10 = {"ALBUM_PAGE_SIZE": "10"}
    first = crawl("album", tmp_path, "-a", f"url={album}", settings=pages_of_10)
    assert first.returncode == 0, first.stderr
    assert len(posts(tmp_path)) == 21
    listings = [p for p, _ in site.server.hits("/mp/appmsgalbum")]
    assert len(listings) == 3 and not any("is_reverse" in listing for listing in listings)
    assert "begin_msgid=2247480011&begin_itemidx=1" in listings[1]  # newest first
    assert "begin_msgid=2247480001&begin_itemidx=1" in listings[2]
    assert (first.stats["finish_reason"], first.stats["posts/new"]) == ("finished", 21)
    assert first.stats["run/sources"]["album:3001"] == {"listed": 21, "new": 21, "read": 1}
    assert " WARNING: " not in first.stderr  # nor Scrapy's about meta copied to the next page

    before, requests = snapshot(tmp_path), len(site.server.requests)
    second = crawl("album", tmp_path, "-a", f"url={album}", settings=pages_of_10)
    assert second.returncode == 0, second.stderr
    assert snapshot(tmp_path) == before
    # The album's first page and count are as when it was read whole: its first page is enough.
    assert [p.split("?")[0] for p, _ in site.server.requests[requests:]] == ["/mp/appmsgalbum"]
    assert second.stats["articles/already_archived"] == 10 and "posts/new" not in second.stats


def test_an_accounts_file_archives_album_urls_and_feed_once(site: Site, tmp_path: Path) -> None:
    in_album = [Art("2247481001"), Art("2247481002")]
    extra = [Art("2247481003"), Art("2247481004")]
    in_feed = [Art("2247481005"), Art("2247481002")]  # one also in the album
    for art in in_album + extra + in_feed[:1]:
        site.article(art, nickname="")  # the pages lack a name: the file's name is used
    site.album("3002", in_album)
    feed = site.feed("/feeds/wewe.xml", in_feed)
    accounts = tmp_path / "accounts.toml"
    accounts.write_text(f'''
[[account]]
name = "清远市反诈骗中心"
biz = "{BIZ}"
tags = ["反诈", "清远"]
albums = ["3002"]
urls = ["{site.link(extra[0]).replace("&amp;", "&")}", "{site.link(extra[1]).replace("&amp;", "&")}"]
feeds = ["{feed}"]
''', encoding="utf-8")
    archive = tmp_path / "archive"
    result = crawl("accounts", archive, settings={"ACCOUNTS_FILE": str(accounts),
                                                  "WECHAT_BASE_URL": site.server.base})
    assert result.returncode == 0, result.stderr
    assert len(posts(archive)) == 5
    fetched = article_hits(site.server)
    assert len(fetched) == len(set(fetched)) == 5
    post = (archive / "_posts" / posts(archive)[0]).read_text(encoding="utf-8")
    assert "tags:\n    - 反诈\n    - 清远\n" in post
    assert "<blockquote><p>转载：清远市反诈骗中心<br>" in post
    for source in ("album:3002", "urls:清远市反诈骗中心", "feed:" + feed):
        assert f"  {source}: " in result.stderr

    again = crawl("accounts", archive, settings={"ACCOUNTS_FILE": str(accounts),
                                                 "WECHAT_BASE_URL": site.server.base})
    assert again.returncode == 0 and article_hits(site.server) == fetched


def test_a_failing_feed_does_not_stop_the_others(site: Site, tmp_path: Path) -> None:
    site.article(Art("2247482001"))
    album = site.album("3003", [Art("2247482001")])
    accounts = tmp_path / "accounts.toml"
    accounts.write_text(f'[[account]]\nname = "甲"\nfeeds = ["{site.server.base}/missing.xml"]\n'
                        f'albums = ["{album}"]\n', encoding="utf-8")
    result = crawl("accounts", tmp_path / "archive", settings={"ACCOUNTS_FILE": str(accounts)})
    assert result.returncode == 0, result.stderr
    assert len(posts(tmp_path / "archive")) == 1
    assert re.search(r"WARNING: Source feed:\S+/missing.xml could not be read: HTTP 404", result.stderr)
    assert re.search(r"feed:\S+/missing.xml: COULD NOT BE READ", result.stderr)


def test_a_feed_two_accounts_name_that_fails_once_is_read_in_part(site: Site, tmp_path: Path) -> None:
    """One feed in two accounts is asked twice; one answer failed, one listed: its line says
    both (what it listed, after the failure), not a bare failure."""
    site.article(Art("2247482051"))
    body = site.server.body_of(site.feed("/feeds/shared.xml", [Art("2247482051")]).removeprefix(
        site.server.base))
    answers = [Route(404, "text/plain", b"not found"), Route(200, "application/rss+xml", body)]
    feed = site.server.route("/feeds/shared.xml", lambda query: answers.pop(0))
    accounts = tmp_path / "accounts.toml"
    accounts.write_text("".join(f'[[account]]\nname = "{name}"\nfeeds = ["{feed}"]\n' for name in "甲乙"),
                        encoding="utf-8")
    result = crawl("accounts", tmp_path / "archive", settings={"ACCOUNTS_FILE": str(accounts)})
    assert f"\n  feed:{feed}: COULD NOT BE READ (in part: 1 listed, 1 new)\n" in result.stderr, result.stderr
    assert len(posts(tmp_path / "archive")) == 1


def test_an_album_gone_beside_an_accounts_links_archived_is_no_run_whose_every_source_failed(
        site: Site, tmp_path: Path) -> None:
    """The account's own link is a source its line names and archives from: the run said
    "FAILED: no source could be read" and exited 1 (with two such accounts, 0)."""
    link = site.article(Art("2247482101")).replace("&amp;", "&")
    accounts = tmp_path / "accounts.toml"
    accounts.write_text(f'[[account]]\nname = "甲"\nurls = ["{link}"]\n'
                        f'albums = ["{site.album("3009", [], error=-2)}"]\n', encoding="utf-8")
    result = crawl("accounts", tmp_path / "archive", settings={"ACCOUNTS_FILE": str(accounts),
                                                               "LOG_LEVEL": "WARNING"})
    assert result.returncode == 0, result.stderr
    assert "FAILED" not in result.stderr and " ERROR: " not in result.stderr, result.stderr
    assert "\n  album:3009: COULD NOT BE READ\n  urls:甲: 1 listed, 1 new\n" in result.stderr, result.stderr
    assert len(posts(tmp_path / "archive")) == 1


def from_cron(site: Site, tmp_path: Path, line: str) -> dict[str, str]:
    """The settings of a run from cron (``LOG_LEVEL=WARNING``) over an accounts file of one
    account, 甲, with ``line``."""
    accounts = tmp_path / "accounts.toml"
    accounts.write_text(f'[[account]]\nname = "甲"\n{line}\n', encoding="utf-8")
    return {"ACCOUNTS_FILE": str(accounts), "LOG_LEVEL": "WARNING", "WECHAT_BASE_URL": site.server.base}


def test_from_cron_an_album_known_from_a_page_that_is_gone_is_no_warning_every_day(
        site: Site, tmp_path: Path) -> None:
    """An album the accounts file does not list, remembered from a page, then deleted by its
    owner: every later run read it again and mailed "could not be read", for ever, of a
    source the maintainer cannot remove. Read in the run that found it, it is said then."""
    first, second = Art("2247482201", albums=("3012",), days_ago=1), Art("2247482202", days_ago=2)
    site.serve([first, second])
    site.album("3012", [first, second])
    quiet = from_cron(site, tmp_path, f'albums = ["{site.album("3011", [first])}"]')
    accounts, archive = tmp_path / "accounts.toml", tmp_path / "archive"
    assert crawl("accounts", archive, settings=quiet).stderr == ""
    assert len(posts(archive)) == 2
    site.album("3012", [first, second], error=-2)
    for _ in range(2):
        gone = crawl("accounts", archive, settings=quiet)
        assert (gone.returncode, gone.stderr) == (0, "")
    said = crawl("accounts", archive, settings={**quiet, "LOG_LEVEL": "INFO"})
    assert "INFO: Source album:3012 (known from a page) could not be read: the album answered ret=-2: " \
        "no such album" in said.stderr, said.stderr
    assert "\n  album:3012: GONE (known from a page)\n" in said.stderr, said.stderr
    # the user's own album gone: said, run after run (a line of the accounts file to remove)
    accounts.write_text(f'[[account]]\nname = "甲"\nalbums = ["{site.album("3013", [], error=-2)}"]\n',
                        encoding="utf-8")
    listed = crawl("accounts", archive, settings=quiet)
    assert "WARNING: Source album:3013 could not be read" in listed.stderr, listed.stderr


def test_from_cron_an_album_found_on_a_page_already_deleted_is_no_failure_of_the_run(
        site: Site, tmp_path: Path) -> None:
    """An album a fetched page names, deleted by its owner before the run that found it
    read it: that run mailed "Source album:… could not be read" and "1 source failed", of a
    source the maintainer never gave and cannot remove; later runs said it at INFO. Now
    every run says it at INFO, the album GONE; the user's album gone is still a failure."""
    entry = Art("2247482301", albums=("3030",))
    site.serve([entry])
    site.album("3030", [entry], error=-2)
    link = site.link(entry).replace("&amp;", "&")
    quiet = from_cron(site, tmp_path, f'urls = ["{link}"]')
    archive = tmp_path / "archive"
    found = crawl("accounts", archive, settings={**quiet, "LOG_LEVEL": "INFO"})
    assert found.returncode == 0, found.stderr
    assert "WARNING" not in found.stderr and "ERROR" not in found.stderr, found.stderr
    assert "INFO: Source album:3030 (known from a page) could not be read: the album answered " \
        "ret=-2: no such album" in found.stderr, found.stderr
    assert "\n  album:3030: GONE (known from a page)\n" in found.stderr, found.stderr
    assert "1 source failed" not in found.stderr and len(posts(archive)) == 1
    followed = crawl("article", tmp_path / "b", "-a", f"url={link}", "-a", "follow_albums=true",
                     settings={"LOG_LEVEL": "WARNING", "WECHAT_BASE_URL": site.server.base})
    assert (followed.returncode, followed.stderr) == (0, ""), followed.stderr
    # named by the user, in the accounts file or given to ``crawl album``: said, and failed
    album = site.album("3030", [entry], error=-2)
    named = crawl("accounts", archive, settings=from_cron(site, tmp_path, f'albums = ["{album}"]'))
    assert named.returncode == 1, named.stderr  # its one source
    assert "WARNING: Source album:3030 could not be read" in named.stderr, named.stderr
    assert "\n  album:3030: COULD NOT BE READ\n" in named.stderr, named.stderr
    given = crawl("album", tmp_path / "c", "-a", f"url={album}")
    assert given.returncode == 1, given.stderr
    assert "ERROR: Exit status 1: no source could be read" in given.stderr, given.stderr


def test_an_account_of_only_albums_known_from_pages_all_deleted_is_no_failed_run(
        site: Site, tmp_path: Path) -> None:
    """An account the accounts file names by its ``biz`` alone, whose albums known from
    its pages are all deleted: each run said "FAILED: no source could be read" and exited 1,
    its account line "no source failed"; an album answered as deleted is an answer."""
    entry = Art("2247482311", albums=("3031",))
    site.serve([entry])
    site.album("3031", [entry])
    archive = tmp_path / "archive"
    link = site.link(entry).replace("&amp;", "&")
    assert crawl("accounts", archive, settings=from_cron(site, tmp_path, f'urls = ["{link}"]')).stderr == ""
    site.album("3031", [entry], error=-2)
    gone = crawl("accounts", archive, settings=from_cron(site, tmp_path, f'biz = "{BIZ}"'))
    assert (gone.returncode, gone.stderr) == (0, ""), gone.stderr


def test_an_album_known_from_a_page_whose_later_page_fails_is_read_in_part_not_gone(
        site: Site, tmp_path: Path) -> None:
    """WeChat's error answering page 2 of an album known from a page says nothing of the
    album being gone (its page 1 was just read): a source read in part, at WARNING."""
    first, second, third = (Art(f"224748240{n}", albums=("3016",), days_ago=n) for n in (1, 2, 3))
    site.serve([first, second, third])
    site.album("3016", [first, second])
    settings = {**from_cron(site, tmp_path, f'albums = ["{site.album("3015", [first])}"]'), "ALBUM_PAGE_SIZE": "1"}
    archive = tmp_path / "archive"
    assert crawl("accounts", archive, settings=settings).stderr == ""
    site.album("3016", [first, second, third])  # changed: read to its end
    listing = site._album_json
    error = Route(200, "application/json", b'{"base_resp": {"ret": -2, "errmsg": "no such album"}}')
    site.server.route("/mp/appmsgalbum", lambda query: error if "begin_msgid" in query and "3016" in query
                      else listing(query))
    result = crawl("accounts", archive, settings=settings)
    assert "WARNING: Source album:3016 could not be read: the album answered ret=-2" in result.stderr, \
        result.stderr
    assert "\n  album:3016: READ IN PART (" in result.stderr, result.stderr


@pytest.mark.parametrize("answer", [
    '{"base_resp": {"ret": 0}, "getalbum_resp": {"base_info": {}, "verify_status": "1"}}',
    '{"base_resp": {"ret": 0}, "getalbum_resp": {"article_list": [',  # cut short
    "<html><body>系统繁忙，请稍后再试</body></html>",
    # WeChat's "too many asks", as its logged-in list answers everyone: whether the album
    # JSON answers so is not known; if it does, it says nothing of the album being gone
    '{"base_resp": {"ret": 200013, "err_msg": "freq control"}}',
], ids=["verification", "cut-short", "not-json", "freq-control"])
def test_from_cron_an_album_known_from_a_page_that_wechat_did_not_list_is_no_album_gone(
        site: Site, tmp_path: Path, answer: str) -> None:
    """Only WeChat's own error (``ret``, but 200013) says an album is no more: an album that
    answered with a verification (``verify_status``), freq control (``ret`` 200013, which was
    taken as the album deleted) or an answer that is not an album's was said at
    INFO, its line "GONE (known from a page)", run after run, while none of its new articles
    was found, and cron mailed nothing."""
    first, second = Art("2247482301", albums=("3014",), days_ago=1), Art("2247482302", days_ago=2)
    site.serve([first, second])
    site.album("3014", [first])
    quiet = from_cron(site, tmp_path, f'urls = ["{site.link(first).replace("&amp;", "&")}"]')
    archive = tmp_path / "archive"
    assert crawl("accounts", archive, settings=quiet).stderr == ""
    site.albums["3014"] = [second, first]
    listing = site._album_json
    site.server.route("/mp/appmsgalbum", lambda query: Route(200, "application/json", answer.encode())
                      if "album_id=3014" in query else listing(query))
    failed = crawl("accounts", archive, settings=quiet)
    assert "WARNING: Source album:3014 could not be read: " in failed.stderr, failed.stderr
    assert "\n  album:3014: COULD NOT BE READ\n" in failed.stderr, failed.stderr
    assert "GONE" not in failed.stderr


def test_an_album_error_is_one_clear_line_and_a_failed_run(site: Site, tmp_path: Path) -> None:
    album = site.album("3004", [], error=10004)
    result = crawl("album", tmp_path, "-a", f"url={album}")
    assert result.returncode == 1
    assert re.search(r"WARNING: Source album:3004 could not be read: the album answered "
                     r"ret=10004: no such album", result.stderr)
    assert "ERROR: Exit status 1: no source could be read" in result.stderr


def test_a_verification_page_stops_the_run_as_blocked(site: Site, tmp_path: Path) -> None:
    arts = [Art(str(2247483000 + i)) for i in range(8)]
    for art in arts:
        site.pages[art.path] = VERIFICATION
    album = site.album("3005", arts)
    result = crawl("album", tmp_path, "-a", f"url={album}")
    assert result.returncode == 1
    assert re.search(r"ERROR: WeChat is blocking: 3 blocked pages in a row", result.stderr)
    assert len(article_hits(site.server)) == 3  # BLOCK_LIMIT: nothing is sent after
    assert (result.stats["finish_reason"], result.stats["pages/blocked"]) == ("blocked", 1)
    assert "ERROR: Exit status 1: the run was cut short: WeChat is blocking" in result.stderr
    assert not posts(tmp_path)


def test_a_verification_page_past_the_blocks_quick_look_is_a_page_blocked_not_one_answered(
        site: Site, tmp_path: Path) -> None:
    """BlockMiddleware looks for the verification page in answers of 512 KB at most (a 小绿书
    of megabytes holds no ``js_content`` either); one larger, which the parser knows, was
    counted as a page answered: the run's summary said "nothing to do", exit status 0, of
    an article given that was not archived."""
    [art] = site.serve([Art("2247483050")])
    site.pages[art.path] = Route(200, "text/html; charset=utf-8",
                                 VERIFICATION.body + b"<!--" + b" " * 600_000 + b"-->")
    result = crawl("article", tmp_path, "-a", f"url={site.link(art).replace('&amp;', '&')}")
    assert re.search(r"WARNING: Not archived: \S+mid=2247483050\S+ is WeChat's verification page "
                     r"\(the crawler is being challenged\)\n", result.stderr), result.stderr
    # one page: it was "1 blocked, 1 not fetched", the page blocked counted twice
    assert "Run summary (finished): 1 blocked; FAILED: none of the articles given could be " \
           "fetched\n  url: 1 blocked\n" in result.stderr, result.stderr
    assert result.returncode == 1
    assert not posts(tmp_path)


def test_from_cron_a_run_stopped_by_blocks_is_not_a_line_per_page_left(site: Site, tmp_path: Path) -> None:
    """Once WeChat is blocking, the pages already queued are not sent: the ERROR line says
    so once, and the summary counts them. Each was a WARNING line of its own in the mail."""
    arts = [Art(str(2247483100 + i)) for i in range(12)]
    for art in arts:
        site.pages[art.path] = VERIFICATION
    album = site.album("3006", arts)
    result = crawl("album", tmp_path, "-a", f"url={album}", settings={"LOG_LEVEL": "WARNING"})
    assert result.returncode == 1
    assert len(article_hits(site.server)) == 3
    assert "ERROR: WeChat is blocking: 3 blocked pages in a row" in result.stderr
    assert "Stopping; what is not fetched is left for the next run.\n" in result.stderr, result.stderr
    assert "not fetched, WeChat is blocking" not in result.stderr, result.stderr
    # 12 pages: it was "1 blocked, 12 not fetched", the page blocked counted twice
    assert re.search(r"WARNING: Run summary \(blocked\): 1 blocked, 11 not fetched; FAILED: the run was cut "
                     r"short: WeChat is blocking\n  album:3006: 12 listed, 1 blocked, 11 not fetched\n",
                     result.stderr), result.stderr
    assert len(result.stderr.splitlines()) <= 8, result.stderr


class LateJudgement:
    """A downloader middleware just below the downloader's side of ``BlockMiddleware``: each
    article page reaches its judgement 0.2 s after its answer came, four times the block
    pause of the tests, as on a machine too loaded to run the reactor meanwhile."""

    async def process_response(self, request: Request, response: Response) -> Response:
        if request.meta.get("article"):
            await asyncio.sleep(0.2)
        return response


def test_a_block_judged_late_lets_no_page_out_before_it(site: Site, tmp_path: Path) -> None:
    """The pause a block sets at its answer held the slot only ``BLOCK_BACKOFF`` seconds
    from when the page was asked: judged later than that (a loaded machine; a page slower
    to answer than the pause), the next page went out into the block, and after the block
    that stops the run a fourth page was asked, blocked, and counted as a second page
    blocked. A block answered now holds the slot until it is judged."""
    arts = [Art(str(2247483120 + i)) for i in range(6)]
    for art in arts:
        site.pages[art.path] = VERIFICATION
    album = site.album("3009", arts)
    middlewares = {**project_settings.DOWNLOADER_MIDDLEWARES, f"{__name__}.LateJudgement": 586}
    result = crawl("album", tmp_path, "-a", f"url={album}",
                   settings={"LOG_LEVEL": "WARNING", "DOWNLOADER_MIDDLEWARES": json.dumps(middlewares)})
    assert result.returncode == 1
    assert len(article_hits(site.server)) == 3, article_hits(site.server)
    assert (result.stats["finish_reason"], result.stats["pages/blocked"]) == ("blocked", 1)


def test_from_cron_a_run_stopped_by_blocks_is_not_a_line_per_listing_left(site: Site, tmp_path: Path) -> None:
    """The albums' next pages queued behind the blocked article pages are not sent either:
    each was a WARNING line of its own ("Source album:… could not be read: Blocked: not
    fetched, WeChat is blocking"), for the one cause the ERROR line says; the summary still
    says which albums were read in part."""
    albums = []
    for number in range(3):
        arts = [Art(str(2247483400 + 10 * number + i)) for i in range(6)]
        for art in arts:
            site.pages[art.path] = VERIFICATION
        albums.append(site.album(str(3020 + number), arts))
    accounts = tmp_path / "accounts.toml"
    accounts.write_text(f'[[account]]\nname = "甲"\nbiz = "{BIZ}"\nalbums = {albums!r}\n'.replace("'", '"'),
                        encoding="utf-8")
    result = crawl("accounts", tmp_path / "archive", "-a", f"file={accounts}",
                   settings={"LOG_LEVEL": "WARNING", "ALBUM_PAGE_SIZE": "5", "WATCH_PER_RUN": "0"})
    assert result.returncode == 1
    assert "ERROR: WeChat is blocking: 3 blocked pages in a row" in result.stderr
    assert "READ IN PART" in result.stderr, result.stderr
    assert "WeChat is blocking: http" not in result.stderr, result.stderr


def test_a_page_that_stays_blocked_is_one_line(site: Site, tmp_path: Path) -> None:
    """"stayed blocked after 2 tries", then "could not fetch …: blocked": two lines a page."""
    arts = site.serve(numbered(2247483201, 2))
    site.pages[arts[0].path] = VERIFICATION
    album = site.album("3007", arts)
    result = crawl("album", tmp_path, "-a", f"url={album}",
                   settings={"LOG_LEVEL": "WARNING", "BLOCK_RETRY_TIMES": "1", "BLOCK_LIMIT": "5"})
    assert result.returncode == 0, result.stderr
    [line] = [line for line in result.stderr.splitlines() if "Not archived" in line]
    assert re.search(r"WARNING: Not archived: \S+mid=2247483201\S+ stayed blocked after 2 tries$", line)
    # two pages: it was "1 new, 1 blocked, 1 not fetched", the page blocked counted twice
    assert "Run summary (finished): 1 new, 1 blocked\n  album:3007: 2 listed, 1 new, 1 blocked\n" \
        in result.stderr, result.stderr


def test_blocks_counted_at_settings_of_one(site: Site, tmp_path: Path) -> None:
    """A blocked page not asked again (``BLOCK_RETRY_TIMES=0``) and a run stopped at its
    first block (``BLOCK_LIMIT=1``) said "stayed blocked after 1 tries" and "1 blocked pages
    in a row"."""
    arts = site.serve(numbered(2247483211, 2))
    site.pages[arts[0].path] = VERIFICATION
    album = site.album("3008", arts)
    result = crawl("album", tmp_path / "once", "-a", f"url={album}",
                   settings={"LOG_LEVEL": "WARNING", "BLOCK_RETRY_TIMES": "0", "BLOCK_LIMIT": "5"})
    assert re.search(r"WARNING: Not archived: \S+mid=2247483211\S+ stayed blocked after 1 try$", result.stderr,
                     re.M), result.stderr
    result = crawl("album", tmp_path / "stopped", "-a", f"url={album}",
                   settings={"LOG_LEVEL": "WARNING", "BLOCK_RETRY_TIMES": "0", "BLOCK_LIMIT": "1"})
    assert "ERROR: WeChat is blocking: 1 blocked page in a row (last: " in result.stderr, result.stderr


def test_an_album_that_stays_blocked_is_one_line(site: Site, tmp_path: Path) -> None:
    """Its page "Not archived: …&f=json stayed blocked after 3 tries", then "Source album:…
    could not be read: Blocked: blocked: …": two WARNING lines, the first calling an album
    page an article not archived."""
    album = site.album("3030", site.serve(numbered(2247483501, 2)))
    blocked = album.replace("3030", "3031")
    site.server.route("/mp/appmsgalbum", lambda query: VERIFICATION if "album_id=3031" in query
                      else site._album_json(query))
    accounts = tmp_path / "accounts.toml"
    accounts.write_text(f'[[account]]\nname = "甲"\nbiz = "{BIZ}"\nalbums = ["{album}", "{blocked}"]\n',
                        encoding="utf-8")
    result = crawl("accounts", tmp_path / "archive", "-a", f"file={accounts}",
                   settings={"LOG_LEVEL": "WARNING", "WATCH_PER_RUN": "0", "BLOCK_LIMIT": "5"})
    assert result.returncode == 0, result.stderr
    [line] = [line for line in result.stderr.splitlines()
              if "3031" in line and "] WARNING: Blocked (" not in line and line.startswith("20")]
    assert re.search(r"WARNING: Not read: \S+album_id=3031\S+ stayed blocked after 3 tries$", line), line
    assert "\n  album:3031: COULD NOT BE READ\n" in result.stderr
    assert "Run summary (finished): 2 new, 1 listing page blocked\n" in result.stderr, result.stderr


@pytest.mark.parametrize("served", ["none", "one"])
def test_a_run_none_of_whose_article_pages_could_be_fetched_fails(site: Site, tmp_path: Path,
                                                                  served: str) -> None:
    """WeChat reached (the album answers) but every article page a 5xx: the run archived
    nothing of what it found, and must not tell cron or systemd it did its job. One page
    fetched (here, one deleted) is a run that did its job, with its failures reported."""
    arts = site.serve(numbered(2247483301, 2))
    deleted = (Path(__file__).parent / "pages" / "deleted.html").read_bytes()
    site.pages[arts[0].path] = Route(200, "text/html; charset=utf-8", deleted) if served == "one" \
        else Route(502, "text/html", b"Bad Gateway")
    site.pages[arts[1].path] = Route(502, "text/html", b"Bad Gateway")
    album = site.album("3008", arts)
    result = crawl("album", tmp_path, "-a", f"url={album}", settings={"RETRY_TIMES": "0"})
    if served == "one":
        assert result.returncode == 0, result.stderr
        assert "\n  album:3008: 2 listed, 1 deleted, 1 not fetched\n" in result.stderr, result.stderr
        return
    assert result.returncode == 1, result.stderr
    assert "\n  album:3008: 2 listed, 2 not fetched\n" in result.stderr, result.stderr
    assert "ERROR: Exit status 1: no article page could be fetched (an error page, 5xx, a timeout): " \
        "see the WARNING lines" in result.stderr, result.stderr


@pytest.mark.parametrize("status", [502, 500])
def test_from_cron_pages_that_fail_for_one_cause_are_one_warning_those_gone_one_each(
        site: Site, tmp_path: Path, status: int) -> None:
    """WeChat answering 502 (or unreachable) for every page: the mail had a WARNING line per
    page for the one cause (30 a day from the watch alone). A page's own 404 is its own."""
    arts = site.serve(numbered(2247483401, 7))
    for art in arts[:4]:
        site.pages[art.path] = Route(status, "text/html", b"Server Error")
    for art in arts[4:6]:
        site.pages[art.path] = Route(404, "text/plain", b"not found")
    album = site.album("3010", arts)
    result = crawl("album", tmp_path, "-a", f"url={album}", settings={"LOG_LEVEL": "WARNING"})
    assert result.returncode == 0, result.stderr
    said = [line for line in result.stderr.splitlines() if "Not archived" in line]
    assert sorted(line.rsplit(": ", 1)[-1] for line in said) == ["HTTP 404", "HTTP 404", f"HTTP {status}"], said
    assert "\n  album:3010: 7 listed, 1 new, 6 not fetched\n" in result.stderr, result.stderr


def test_from_cron_wechat_unreachable_is_one_warning_not_one_per_album(site: Site, tmp_path: Path) -> None:
    """Every account's album "could not be read" for the one cause already said by the first
    page not fetched: a WARNING line per album of the accounts file in the mail. A feed's
    host that refuses as well is another problem, with its own line."""
    dead = f"http://127.0.0.1:{free_port()}"
    feed = f"http://localhost:{free_port()}/feed.xml"
    accounts = tmp_path / "accounts.toml"
    accounts.write_text("".join(
        f'[[account]]\nname = "甲{n}"\nurls = ["{dead}/s/Token{n}"]\n'
        f'albums = ["{dead}/mp/appmsgalbum?__biz={BIZ[:-3]}{n}Q==&action=getalbum&album_id=305{n}"]\n'
        + (f'feeds = ["{feed}"]\n' if n == 0 else "") for n in range(3)), encoding="utf-8")
    result = crawl("accounts", tmp_path / "archive", "-a", f"file={accounts}",
                   settings={"LOG_LEVEL": "WARNING"})
    assert result.returncode == 1
    said = [line for line in result.stderr.splitlines() if "] WARNING: " in line and "Run summary" not in line]
    assert len(said) == 2, said
    assert any("could not be read" in line and "localhost" in line for line in said), said
    assert result.stderr.count("COULD NOT BE READ") == 4, result.stderr


def test_429_is_retried_with_a_pause_and_then_archived(site: Site, tmp_path: Path) -> None:
    art = Art("2247484001")
    url = site.article(art)
    page = site.pages[art.path]
    answers = iter([Route(429, "text/plain", b"slow down"), page])
    site.pages[art.path] = lambda query: next(answers)
    result = crawl("article", tmp_path, "-a", f"url={url}")
    assert result.returncode == 0, result.stderr
    assert re.search(r"INFO: Blocked \(HTTP 429\) on \S+; asking again in", result.stderr)
    assert len(posts(tmp_path)) == 1


def test_a_page_redirected_to_the_verification_page_is_asked_again_by_its_own_link(
        site: Site, tmp_path: Path) -> None:
    """WeChat sends its verification page from ``/mp/wappoc_appmsgcaptcha``, where it
    redirects the page asked for: asking that page again (the verification page, whatever
    the pause) stopped the run as blocked, exit status 1, on the first block."""
    captcha = site.server.route("/mp/wappoc_appmsgcaptcha", VERIFICATION)
    art = Art("2247484011")
    url = site.article(art)
    answers = iter([Route(302, "text/html", b"moved", (("Location", f"{captcha}?poc_token=t"),)),
                    site.pages[art.path]])
    site.pages[art.path] = lambda query: next(answers)
    result = crawl("article", tmp_path, "-a", f"url={url}")
    assert re.search(r"INFO: Blocked \(verification page\) on \S+mid=2247484011\S+; asking again in",
                     result.stderr), result.stderr
    assert result.returncode == 0, result.stderr
    assert len(posts(tmp_path)) == 1


def test_a_deleted_article_leaves_the_archived_post_and_is_recorded(site: Site,
                                                                   tmp_path: Path) -> None:
    art = Art("2247485001")
    url = site.article(art)
    assert crawl("article", tmp_path, "-a", f"url={url}").returncode == 0
    before = snapshot(tmp_path)
    deleted = (Path(__file__).parent / "pages" / "deleted.html").read_text(encoding="utf-8")
    site.pages[art.path] = Route(200, "text/html; charset=utf-8", deleted.encode())
    result = crawl("article", tmp_path, "-a", f"url={url}")
    assert result.returncode == 0, result.stderr
    after = snapshot(tmp_path)
    assert after.keys() == before.keys()
    [name] = [name for name in after if after[name] != before[name]]
    assert after[name].decode().count("被发布者删除，此为存档") == 1  # marked, not removed
    assert state_of(tmp_path, art.mid) == "deleted"
    assert result.stats["posts/deleted"] == 1
    assert result.stats["run/sources"]["url"]["deleted"] == 1  # counted twice there before


def test_following_albums_from_one_article(site: Site, tmp_path: Path) -> None:
    arts = site.serve([Art("2247486001", albums=("3006",)), Art("2247486002"), Art("2247486003")])
    site.album("3006", arts)
    result = crawl("article", tmp_path, "-a", f"url={site.link(arts[0]).replace('&amp;', '&')}",
                   "-a", "follow_albums=true", settings={"WECHAT_BASE_URL": site.server.base})
    assert result.returncode == 0, result.stderr
    assert len(posts(tmp_path)) == 3
    assert len(article_hits(site.server)) == 3  # the first article is not fetched twice


def test_follow_albums_false_follows_no_album(site: Site, tmp_path: Path) -> None:
    arts = site.serve([Art("2247486101", albums=("3016",)), Art("2247486102")])
    site.album("3016", arts)
    result = crawl("article", tmp_path, "-a", f"url={site.link(arts[0]).replace('&amp;', '&')}",
                   "-a", "follow_albums=false")
    assert result.returncode == 0, result.stderr
    assert len(posts(tmp_path)) == 1 and not site.server.hits("/mp/appmsgalbum")


def test_a_page_that_cannot_be_fetched_says_why(tmp_path: Path) -> None:
    result = crawl("article", tmp_path, "-a", "url=http://127.0.0.1:9/s/Closed")
    assert result.returncode == 1, result.stderr  # nothing reached WeChat
    assert re.search(r"WARNING: Not archived: could not fetch http://127.0.0.1:9/s/Closed: "
                     r"\w+: \S", result.stderr)
    assert "\n  url: 1 not fetched\n" in result.stderr  # the source's line says what became of it


def test_a_lost_index_is_rebuilt_from_the_posts(site: Site, tmp_path: Path) -> None:
    arts = site.serve(numbered(2247487000, 3))
    album = site.album("3007", arts)
    assert crawl("album", tmp_path, "-a", f"url={album}").returncode == 0
    shutil.rmtree(tmp_path / ".state")
    hits = len(article_hits(site.server))
    result = crawl("album", tmp_path, "-a", f"url={album}")
    assert result.returncode == 0, result.stderr
    assert "Rebuilt the index of 3 archived articles" in result.stderr
    assert len(article_hits(site.server)) == hits


def test_an_article_with_a_transient_image_failure_is_fetched_again(site: Site,
                                                                   tmp_path: Path) -> None:
    arts = site.serve([Art("2247488001"), Art("2247488002")])
    site.server.image("/mmbiz_png/Img2247488002x1/640", b"busy", status=503)
    album = site.album("3008", arts)
    assert crawl("album", tmp_path, "-a", f"url={album}").returncode == 0
    assert state_of(tmp_path, "2247488002") == "incomplete"
    site.article(arts[1])  # the CDN is back
    hits = len(article_hits(site.server))
    result = crawl("album", tmp_path, "-a", f"url={album}")
    assert result.returncode == 0, result.stderr
    assert [canonical(hit) for hit in article_hits(site.server)[hits:]] == [arts[1].path]
    assert state_of(tmp_path, "2247488002") == "archived"
    assert (result.stats["posts/updated"], result.stats["articles/already_archived"]) == (1, 1)


def test_the_back_office_list_is_used_when_a_session_is_given(site: Site, tmp_path: Path) -> None:
    arts = site.serve([Art("2247489001"), Art("2247489002")])
    site.publish_list(arts)
    accounts = tmp_path / "accounts.toml"
    accounts.write_text(f'[[account]]\nname = "乙"\nbiz = "{BIZ}"\n', encoding="utf-8")
    settings = {"ACCOUNTS_FILE": str(accounts), "WECHAT_BASE_URL": site.server.base,
                "MP_TOKEN": "12345", "MP_COOKIE": "slave_sid=abc; slave_user=gh_x"}
    result = crawl("accounts", tmp_path / "archive", settings=settings)
    assert result.returncode == 0, result.stderr
    assert len(posts(tmp_path / "archive")) == 2
    [(path, headers)] = site.server.hits("/cgi-bin/appmsgpublish")
    assert "token=12345" in path and f"fakeid={quote(BIZ)}" in path
    assert "slave_sid=abc" in headers.get("Cookie", "")


@pytest.mark.parametrize("ret, words", [(200013, "freq control"), (200003, "session expired")])
def test_back_office_errors_stop_that_source_only(site: Site, tmp_path: Path, ret: int,
                                                  words: str) -> None:
    site.article(Art("2247490001"))
    site.publish_list([], ret=ret)
    feed = site.feed("/feeds/ok.xml", [Art("2247490001")])
    accounts = tmp_path / "accounts.toml"
    accounts.write_text(f'[[account]]\nname = "丙"\nbiz = "{BIZ}"\nfeeds = ["{feed}"]\n',
                        encoding="utf-8")
    result = crawl("accounts", tmp_path / "archive",
                   settings={"ACCOUNTS_FILE": str(accounts), "WECHAT_BASE_URL": site.server.base,
                             "MP_TOKEN": "1", "MP_COOKIE": "a=b"})
    assert result.returncode == 0, result.stderr
    assert re.search(rf"Source mp:丙 could not be read: .*ret={ret}: {words}", result.stderr)
    assert len(posts(tmp_path / "archive")) == 1


@pytest.mark.parametrize("content, message", [
    (None, "there is no accounts file"),
    ("[[account]\nname = 1", "is not valid TOML"),
    ("title = 'x'", "has no [[account]] tables"),
    ('[[account]]\nname = "丁"\nalbmus = ["1"]', "account 1 (丁): unknown key 'albmus'"),
    ('[[account]]\nname = "丁"\nalbums = ["123"]', "album id 123 needs the account's biz"),
    ('[[account]]\nname = "丁"\nurls = ["https://example.com/s/x"]', "not a WeChat article host"),
    ('[[account]]\nname = "丁"', "nothing to archive"),
    ('[[account]]\nbiz = "MzA="', "account 1: no name"),
])
def test_a_bad_accounts_file_gets_one_clear_line(tmp_path: Path, content: str | None,
                                                 message: str) -> None:
    accounts = tmp_path / "accounts.toml"
    if content is not None:
        accounts.write_text(content, encoding="utf-8")
    result = crawl("accounts", tmp_path, settings={"ACCOUNTS_FILE": str(accounts)})
    assert result.returncode == 2
    line = refusal(result, "crawl accounts")
    assert message in line and str(accounts) in line


@pytest.mark.parametrize("spider, args, message", [
    ("album", [], "give an album with -a url="),
    ("album", ["-a", "url=http://127.0.0.1/s/abc"], "not an album URL"),
    ("album", ["-a", f"url=https://example.com/mp/appmsgalbum?__biz={BIZ}&album_id=1"],
     "not a WeChat host"),
    ("article", ["-a", "url=http://127.0.0.1/s/abc", "-a", "follow_albums=maybe"],
     "-a follow_albums= takes true or false"),
    ("album", ["-a", "url=http://127.0.0.1/mp/appmsgalbum?__biz=MzA=&album_id=1",
               "-a", "follow_albums=false"], "unknown argument -a follow_albums= (this spider "
                                             "takes -a url=)"),
    ("accounts", ["-a", "fiel=x.toml"], "unknown argument -a fiel="),
    ("import", [], "give saved pages with -a path="),
    ("import", ["-a", "path=/no/such/folder"], "no such file or folder"),
])
def test_bad_spider_arguments_get_one_clear_line(tmp_path: Path, spider: str, args: list[str],
                                                 message: str) -> None:
    result = crawl(spider, tmp_path, *args)
    assert result.returncode == 2
    line = refusal(result, f"crawl {spider}")
    assert message in line


def test_an_article_two_albums_list_is_counted_once_in_the_summary(site: Site, tmp_path: Path) -> None:
    """As a new article is counted once, by the source that fetched it, so is one already
    archived: three articles were "5 already archived" when two albums listed two of them."""
    arts = site.serve(numbered(2247489001, 3))
    albums = [site.album("3022", arts), site.album("3023", arts[1:])]
    accounts = tmp_path / "accounts.toml"
    accounts.write_text(f'[[account]]\nname = "甲"\nbiz = "{BIZ}"\nalbums = {albums!r}\n'.replace("'", '"'),
                        encoding="utf-8")
    settings = {"ACCOUNTS_FILE": str(accounts), "WATCH_PER_RUN": "0"}
    first = crawl("accounts", tmp_path / "archive", settings=settings)
    assert "Run summary (finished): 3 new\n  album:3022: 3 listed, 3 new\n  album:3023: 2 listed\n" \
        in first.stderr, first.stderr
    again = crawl("accounts", tmp_path / "archive", settings=settings)
    assert again.returncode == 0, again.stderr
    assert "Run summary (finished): 3 already archived\n  album:3022: 3 listed, 3 already archived\n" \
        "  album:3023: 2 listed\n" in again.stderr, again.stderr
    assert again.stats["articles/already_archived"] == 3


def test_from_cron_a_run_that_went_well_says_nothing_and_one_that_did_not_says_so(
        site: Site, tmp_path: Path) -> None:
    arts = site.serve([Art("2247489101"), Art("2247489102")])
    album = site.album("3021", arts)
    quiet = crawl("album", tmp_path / "a", "-a", f"url={album}", settings={"LOG_LEVEL": "WARNING"})
    assert quiet.returncode == 0 and quiet.stderr == ""

    site.server.image("/mmbiz_png/Img2247489102x1/640", b"busy", status=503)
    noisy = crawl("album", tmp_path / "b", "-a", f"url={album}", settings={"LOG_LEVEL": "WARNING"})
    assert noisy.returncode == 0
    assert re.search(r"WARNING: Run summary \(finished\): 2 new, 1 image failed\n  album:3021: "
                     r"2 listed, 2 new", noisy.stderr), noisy.stderr
    assert len(re.findall(r"Images not stored", noisy.stderr)) == 1  # one line per post


def _timing_out(query: str) -> Route:
    time.sleep(3)  # past DOWNLOAD_TIMEOUT
    return Route(200, "image/png", b"late")


@pytest.mark.parametrize("outage, settings", [
    (Route(503, "image/png", b"busy"), {}),
    (Route(429, "image/png", b"slow down"), {}),
    # Long enough for the article pages on a loaded machine: at 0.3 s one could time out too.
    (_timing_out, {"DOWNLOAD_TIMEOUT": "2"}),
], ids=["5xx", "429", "timeout"])
def test_a_cdn_outage_is_one_warning_not_one_a_post_and_an_image_s_own_failure_still_its_own(
        site: Site, tmp_path: Path, outage: Route | Callable[[str], Route],
        settings: dict[str, str]) -> None:
    """Every image on the CDN answering 5xx, 429 (too many requests) or timing out for a run
    was one WARNING line per post in the cron mail, one cause; now the first post it costs says it, the others at INFO.
    An image of its own gone (404) is still its post's WARNING; the summary counts every image."""
    arts = site.serve(numbered(2247489301, 3))
    album = site.album("3023", arts)
    for art in arts[:2]:
        site.server.route(f"/mmbiz_png/Img{art.mid}x1/640", outage)
    site.server.image(f"/mmbiz_png/Img{arts[2].mid}x1/640", b"gone", status=404)
    site.server.route("/mmbiz_png/SharedFooter/640", outage)  # in every post
    result = crawl("album", tmp_path, "-a", f"url={album}", settings=settings)
    assert result.returncode == 0, result.stderr
    lines = _image_lines(result.stderr)
    assert len(lines) == 3, result.stderr
    named = False  # the outage, by a reason other than the 404 (a timeout's names its URL)
    for level, mid, reasons in lines:  # in the order the posts came
        first = any(reason != "HTTP 404" for reason in reasons.split("; ")) and not named
        named = named or first
        assert level == ("WARNING" if mid == arts[2].mid or first else "INFO"), result.stderr
    assert re.search(r"WARNING: Run summary \(finished\): 3 new, 4 images failed", result.stderr), \
        result.stderr


def test_a_cdn_outage_first_met_beside_an_image_s_own_failure_is_named_by_its_line(
        site: Site, tmp_path: Path) -> None:
    """The first post a CDN outage cost also lost an image of its own: its line named the
    image's reason and counted the outage among "1 other reason", and the outage, taken as
    said, was named by no line of the mail."""
    [art] = site.serve([Art("2247489311")])
    site.server.image(f"/mmbiz_png/Img{art.mid}x1/640", b"gone", status=404)
    site.server.route("/mmbiz_png/SharedFooter/640", Route(503, "image/png", b"busy"))
    result = crawl("album", tmp_path, "-a", f"url={site.album('3024', [art])}")
    assert [(level, reasons) for level, _, reasons in _image_lines(result.stderr)] == [
        ("WARNING", "HTTP 404; HTTP 503")], result.stderr


def _image_lines(log: str) -> list[tuple[str, str, str]]:
    """(level, mid, reasons) of each post's line of images not stored, in order."""
    return re.findall(r"(\w+): Images not stored, the post keeps their URLs: \d+ of \d+ in "
                      r"\S+mid=(\d+)\S* \((.*)\)$", log, re.M)


def test_failed_images_are_one_warning_per_post_with_its_count_and_each_url_at_debug(
        site: Site, tmp_path: Path) -> None:
    first, second = site.serve([Art("2247489201"), Art("2247489202")])
    album = site.album("3022", [first, second])
    site.server.image("/mmbiz_png/SharedFooter/640", b"gone", status=404)  # in both posts
    site.server.image("/mmbiz_png/Img2247489201x1/640", b"busy", status=503)
    result = crawl("album", tmp_path / "a", "-a", f"url={album}")
    assert result.returncode == 0, result.stderr
    warnings = re.findall(r"WARNING: Images not stored, the post keeps their URLs: (\d+) of 2 in "
                          r"\S+mid=(\d+)", result.stderr)
    assert sorted(warnings) == [("1", "2247489202"), ("2", "2247489201")], result.stderr
    assert "SharedFooter" not in result.stderr and "Image not stored:" not in result.stderr
    assert (result.stats["posts/new"], result.stats["images/failed"]) == (2, 2)

    debug = crawl("album", tmp_path / "b", "-a", f"url={album}", "-L", "DEBUG")
    assert len(re.findall(r"DEBUG: Image not stored: \S+/SharedFooter/640\S* \(HTTP 404\)",
                          debug.stderr)) == 1
    assert re.search(r"DEBUG: Image not stored: \S+/Img2247489201x1/640\S* \(HTTP 503\)",
                     debug.stderr)

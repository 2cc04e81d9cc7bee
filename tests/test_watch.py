"""The watch of the originals against the stand-in WeChat: real ``scrapy crawl watch`` and
``scrapy crawl accounts`` runs between which articles are deleted, removed, edited, blocked
and come back."""

from __future__ import annotations

import re
import sqlite3
import subprocess
from datetime import datetime
from pathlib import Path

import pytest
import yaml
from scrapy import Request

from crawler.watch.watcher import watched
from crawler.wechat.article import CHINA_TIME, PageReason
from tests.conftest import PAGES, crawl, jekyll_build, refusal, scrapy_command
from tests.mockserver import MockWeChat, Route, png
from tests.site import BIZ, VERIFICATION, Art, Site, numbered

DUE_NOW = {"WATCH_OLD_EVERY_DAYS": "0", "WATCH_YOUNG_EVERY_DAYS": "0"}


def watch(archive: Path, site: Site, *args: str, spider: str = "watch",
          **settings: str) -> subprocess.CompletedProcess[str]:
    """``scrapy crawl watch`` (or ``spider``), every archived article due now."""
    return crawl(spider, archive, *args,
                 settings={**DUE_NOW, "WECHAT_BASE_URL": site.server.base, **settings})


def answer(name: str) -> Route:
    return Route(200, "text/html; charset=utf-8", (PAGES / name).read_bytes())


def post_of(archive: Path, art: Art) -> str:
    with sqlite3.connect(archive / ".state" / "index.sqlite") as db:
        name = db.execute("SELECT path FROM articles WHERE key = ?",
                          (f"{art.biz}:{art.mid}:{art.idx}",)).fetchone()[0]
    return (archive / "_posts" / name).read_text(encoding="utf-8")


def watch_row(archive: Path, art: Art) -> tuple[object, ...] | None:
    with sqlite3.connect(archive / ".state" / "index.sqlite") as db:
        row = db.execute("SELECT checked, answer, since, updated, versions FROM watch WHERE key = ?",
                         (f"{art.biz}:{art.mid}:{art.idx}",)).fetchone()
    return tuple(row) if row else None


def article_hits(server: MockWeChat) -> list[str]:
    return [path for path, _ in server.hits("/s?")]


def archive_all(site: Site, arts: list[Art], archive: Path) -> None:
    urls = archive.parent / "urls.txt"
    urls.write_text("\n".join(site.link(a).replace("&amp;", "&") for a in arts), encoding="utf-8")
    result = crawl("article", archive, "-a", f"urls_file={urls}")
    assert result.returncode == 0, result.stderr


def marked_gone(site: Site, mid: str, tmp_path: Path, page: str) -> tuple[Art, Path, str]:
    """Article ``mid`` archived, then watched while its page answers ``page``: the article,
    the archive and its post as marked."""
    [art] = site.serve([Art(mid)])
    archive = tmp_path / "archive"
    archive_all(site, [art], archive)
    site.pages[art.path] = answer(page)
    assert watch(archive, site).returncode == 0
    return art, archive, post_of(archive, art)


def asked_one_a_run(site: Site, archive: Path, runs: int, statuses: tuple[int, ...] = (0,)) -> list[str]:
    """The ``mid`` of the article each of ``runs`` watches of one article asked for, all
    archived articles checked an hour before: each in its turn, none twice. Each run ends
    with one of ``statuses``."""
    with sqlite3.connect(archive / ".state" / "index.sqlite") as db:
        db.execute("UPDATE watch SET checked = checked - 3600")
    asked = []
    for _ in range(runs):
        hits = len(article_hits(site.server))
        result = watch(archive, site, WATCH_PER_RUN="1")
        assert result.returncode in statuses, result.stderr
        # one article a run (asked again only by Scrapy's retries of a 5xx)
        [mid] = {re.search(r"mid=(\d+)", path).group(1) for path in article_hits(site.server)[hits:]}
        asked.append(mid)
    return asked


@pytest.fixture
def site(wechat: MockWeChat) -> Site:
    return Site(wechat)


def today() -> str:
    return f"{datetime.now(CHINA_TIME):%Y-%m-%d}"


def test_deleted_removed_edited_and_restored_between_runs(site: Site, tmp_path: Path) -> None:
    deleted, removed, edited, same = site.serve(numbered(2247490001, 4, items=("第一条",)))
    archive = tmp_path / "archive"
    archive_all(site, [deleted, removed, edited, same], archive)
    first = {art.mid: post_of(archive, art) for art in (deleted, removed, edited, same)}

    site.pages[deleted.path] = answer("deleted.html")
    site.pages[removed.path] = answer("violation.html")
    site.article(Art(edited.mid, items=("第一条", "新加的一条")))
    result = watch(archive, site)
    assert result.returncode == 0, result.stderr
    assert len(article_hits(site.server)) == 4 + 4

    day = today()
    post = post_of(archive, deleted)
    assert f"    status: deleted\n    gone_since: {day}\n---\n" in post
    assert f"</p></blockquote>\n\n*原文已于 {day} 被发布者删除，此为存档。*\n\n" in post
    assert post.replace(f"    status: deleted\n    gone_since: {day}\n", "").replace(
        f"*原文已于 {day} 被发布者删除，此为存档。*\n\n", "") == first[deleted.mid]
    post = post_of(archive, removed)
    assert f"    status: removed\n    gone_since: {day}\n---\n" in post
    assert f"*原文已于 {day} 因违规被平台删除，此为存档。*" in post
    post = post_of(archive, edited)
    assert f"    updated: {day}\n    versions: 2\n---\n" in post and "新加的一条" in post
    assert post_of(archive, same) == first[same.mid]
    assert re.search(r"WARNING: The original of \S+ is deleted by its publisher: the post "
                     r"stays, marked as deleted", result.stderr)
    assert watch_row(archive, deleted)[1:3] == ("deleted", day)
    assert watch_row(archive, removed)[1:3] == ("violation", day)
    assert watch_row(archive, edited)[3:] == (day, 2)

    # The publisher puts the article back; the removed one stays removed, unchanged.
    site.article(deleted)
    kept = post_of(archive, removed)
    again = watch(archive, site)
    assert again.returncode == 0, again.stderr
    assert post_of(archive, deleted) == first[deleted.mid]
    assert watch_row(archive, deleted)[1:3] == (None, None)
    assert post_of(archive, removed) == kept
    assert "updated:" in post_of(archive, edited)  # the edit is history, not undone


def test_an_original_back_but_worse_keeps_the_post_and_takes_its_gone_mark_off(
        site: Site, tmp_path: Path) -> None:
    [art] = site.serve([Art("2247490091")])
    archive = tmp_path / "archive"
    archive_all(site, [art], archive)
    first = post_of(archive, art)
    site.pages[art.path] = answer("deleted.html")
    assert watch(archive, site).returncode == 0
    assert "status: deleted" in post_of(archive, art)

    # Back, without its first picture: the archived post is kept, and no longer says deleted.
    picture = f'<p><img data-src="{site.server.base}/mmbiz_png/Img{art.mid}x1/640?wx_fmt=png" data-type="png"></p>'
    assert picture in site.page(art)
    site.pages[art.path] = Route(200, "text/html; charset=utf-8",
                                 site.page(art).replace(picture, "").encode())
    again = watch(archive, site)
    assert again.returncode == 0, again.stderr
    assert "Kept the archived" in again.stderr
    assert watch_row(archive, art)[1:3] == (None, None)
    assert post_of(archive, art) == first


def test_from_cron_an_original_made_worse_is_said_once_not_at_every_watch(
        site: Site, tmp_path: Path) -> None:
    """The publisher took a picture out: the post is kept, and the run that found it says so.
    Every later watch of the same page said it again, and put the summary in cron's mail."""
    [art] = site.serve([Art("2247490092")])
    archive = tmp_path / "archive"
    archive_all(site, [art], archive)
    first = post_of(archive, art)
    picture = f'<p><img data-src="{site.server.base}/mmbiz_png/Img{art.mid}x1/640?wx_fmt=png" data-type="png"></p>'
    site.pages[art.path] = Route(200, "text/html; charset=utf-8",
                                 site.page(art).replace(picture, "").encode())
    found = watch(archive, site, LOG_LEVEL="WARNING")
    assert found.returncode == 0, found.stderr
    assert len(re.findall(r"WARNING: Kept the archived ", found.stderr)) == 1, found.stderr
    for _ in range(2):
        again = watch(archive, site, LOG_LEVEL="WARNING")
        assert (again.returncode, again.stderr) == (0, "")
    assert post_of(archive, art) == first
    # Worse again, another way: said again.
    footer = f'<p><img data-src="{site.server.base}/mmbiz_png/SharedFooter/640?wx_fmt=png" data-type="png"></p>'
    site.pages[art.path] = Route(200, "text/html; charset=utf-8",
                                 site.page(art).replace(picture, "").replace(footer, "").encode())
    worse = watch(archive, site, LOG_LEVEL="WARNING")
    assert len(re.findall(r"WARNING: Kept the archived ", worse.stderr)) == 1, worse.stderr


def test_from_cron_an_image_lost_for_good_is_said_when_archived_not_at_every_watch(
        site: Site, tmp_path: Path) -> None:
    """A picture the CDN answers 404 for: the post keeps its URL, and the run that archived
    it says so. Every watch asked for it again and mailed "Images not stored" and a summary
    of "1 images failed", the post unchanged."""
    [art] = site.serve([Art("2247490093")])
    picture = f"/mmbiz_png/Img{art.mid}x1/640"
    site.server.image(picture, b"gone", status=404)
    archive = tmp_path / "archive"
    archive_all(site, [art], archive)
    first = post_of(archive, art)
    assert f"{site.server.base}{picture}" in first
    for _ in range(2):
        again = watch(archive, site, LOG_LEVEL="WARNING")
        assert (again.returncode, again.stderr) == (0, "")
    assert len(site.server.hits(picture)) == 1
    assert post_of(archive, art) == first


def test_from_cron_a_new_picture_lost_for_good_in_a_kept_post_is_said_once_not_at_every_watch(
        site: Site, tmp_path: Path) -> None:
    """The publisher swapped a picture for one the CDN answers 404 for: the post is kept
    (one stored image fewer), and the run that found it says so. Every later watch of the
    same page asked for the new picture again and mailed "Images not stored" and the
    summary; now those lines are INFO, the summary still counting the image."""
    [art] = site.serve([Art("2247490095")])
    archive = tmp_path / "archive"
    archive_all(site, [art], archive)
    first = post_of(archive, art)
    picture = f'<p><img data-src="{site.server.base}/mmbiz_png/Img{art.mid}x1/640?wx_fmt=png" data-type="png"></p>'
    swapped = f"/mmbiz_png/New{art.mid}/640"
    site.server.image(swapped, b"gone", status=404)
    site.pages[art.path] = Route(200, "text/html; charset=utf-8", site.page(art).replace(
        picture, picture.replace(f"/mmbiz_png/Img{art.mid}x1/640", swapped)).encode())
    found = watch(archive, site, LOG_LEVEL="WARNING")
    assert found.returncode == 0, found.stderr
    assert len(re.findall(r"WARNING: Images not stored, the post keeps their URLs: 1 of 2 in ",
                          found.stderr)) == 1, found.stderr
    for _ in range(2):
        again = watch(archive, site)
        assert again.returncode == 0, again.stderr
        assert "WARNING" not in again.stderr and "ERROR" not in again.stderr, again.stderr
        assert "INFO: Images not stored, the post keeps their URLs: 1 of 2 in " in again.stderr
        assert "INFO: Run summary (finished): 1 kept (the new page worse), 1 image failed" \
            in again.stderr, again.stderr
    assert post_of(archive, art) == first


def test_an_edit_upstream_keeps_the_tags_a_person_added_to_the_post(site: Site,
                                                                    tmp_path: Path) -> None:
    [art] = site.serve([Art("2247490092", items=("第一条",))])
    archive = tmp_path / "archive"
    archive_all(site, [art], archive)
    post = post_of(archive, art)
    assert "tags:\n    - 其他\nwechat:" in post
    [path] = (archive / "_posts").glob("*.md")
    path.write_text(post.replace("    - 其他\n", "    - 我加的\n"), encoding="utf-8")
    site.article(Art(art.mid, items=("第一条", "新加的一条")))
    assert watch(archive, site).returncode == 0
    edited = post_of(archive, art)
    assert "新加的一条" in edited and "versions: 2" in edited
    assert "tags:\n    - 我加的\nwechat:" in edited
    site.article(Art(art.mid, items=("第一条", "新加的一条", "又一条")))
    archive_all(site, [art], archive)  # fetched again as given, not by the watch
    again = post_of(archive, art)
    assert "又一条" in again and "tags:\n    - 我加的\nwechat:" in again


def test_a_verification_page_is_no_answer_the_watch_records() -> None:
    """A block, or a link WeChat refuses: the article stays as due as it was."""
    asked = Request("https://mp.weixin.qq.com/s/Token", meta={"watch_key": "B:1:1"})
    assert not watched(asked, PageReason.VERIFICATION)
    assert watched(asked, PageReason.UNAVAILABLE)
    assert not watched(Request("https://mp.weixin.qq.com/s/Token"), PageReason.UNAVAILABLE)


def test_temporarily_unavailable_is_recorded_and_the_post_left_alone(site: Site,
                                                                     tmp_path: Path) -> None:
    [art] = site.serve([Art("2247490081")])
    archive = tmp_path / "archive"
    archive_all(site, [art], archive)
    before = post_of(archive, art)
    site.pages[art.path] = answer("unavailable.html")
    result = watch(archive, site)
    assert result.returncode == 0, result.stderr
    assert post_of(archive, art) == before
    assert watch_row(archive, art)[1:3] == ("unavailable", today())
    assert "INFO: Watched: " in result.stderr and "temporarily unavailable" in result.stderr
    assert "WARNING" not in result.stderr, result.stderr  # not gone: nothing for cron to mail


def test_an_original_back_as_it_was_is_a_post_updated_not_unchanged(site: Site,
                                                                    tmp_path: Path) -> None:
    """The run that took the marks of a deleted original off its post said "Post unchanged"
    of it, and counted it unchanged: the post had changed (its status keys and line gone)."""
    art, archive, marked = marked_gone(site, "2247490084", tmp_path, "deleted.html")
    site.article(art)
    result = watch(archive, site)
    assert result.returncode == 0, result.stderr
    assert "status:" not in post_of(archive, art) and post_of(archive, art) != marked
    assert re.search(r"INFO: Post updated: \S+2247490084", result.stderr), result.stderr
    assert "Run summary (finished): 1 updated, 1 original watched, 1 original back\n" \
        in result.stderr, result.stderr


def test_from_cron_an_original_found_deleted_is_one_line_and_then_nothing(
        site: Site, tmp_path: Path) -> None:
    """The watch comes back to a deleted original (it may come back): at LOG_LEVEL=WARNING
    the run that found it gone says so once, and later runs that find nothing new say
    nothing. Each watch of it printed "Not archived: … is deleted", a post that is archived."""
    [art] = site.serve([Art("2247490083")])
    archive = tmp_path / "archive"
    archive_all(site, [art], archive)
    site.pages[art.path] = answer("deleted.html")
    found = watch(archive, site, LOG_LEVEL="WARNING")
    assert found.returncode == 0, found.stderr
    [line] = [line for line in found.stderr.splitlines() if "deleted by its publisher" in line]
    assert re.search(r"WARNING: The original of \S+ is deleted by its publisher: the post stays, "
                     r"marked as deleted", line)
    assert "Not archived" not in found.stderr and "WARNING: Run summary" in found.stderr
    for _ in range(2):
        again = watch(archive, site, LOG_LEVEL="WARNING")
        assert (again.returncode, again.stderr) == (0, "")
    assert len(article_hits(site.server)) == 1 + 3


def test_a_deleted_original_then_temporarily_unavailable_stays_marked_deleted(
        site: Site, tmp_path: Path) -> None:
    art, archive, marked = marked_gone(site, "2247490082", tmp_path, "deleted.html")
    assert "status: deleted" in marked
    site.pages[art.path] = answer("unavailable.html")
    assert watch(archive, site).returncode == 0
    assert post_of(archive, art) == marked
    assert watch_row(archive, art)[1:3] == ("deleted", today())


def test_a_block_or_a_network_failure_during_the_watch_never_marks_an_article_gone(
        site: Site, tmp_path: Path) -> None:
    arts = site.serve(numbered(2247490101, 3))
    archive = tmp_path / "archive"
    archive_all(site, arts, archive)
    before = [post_of(archive, art) for art in arts]
    checked = [watch_row(archive, art) for art in arts]
    site.pages[arts[0].path] = Route(403, "text/plain", b"forbidden")
    site.pages[arts[1].path] = Route(429, "text/plain", b"slow down")
    site.pages[arts[2].path] = VERIFICATION
    result = watch(archive, site, BLOCK_LIMIT="10", BLOCK_RETRY_TIMES="0")
    assert [post_of(archive, art) for art in arts] == before
    assert [watch_row(archive, art) for art in arts[:2]] == checked[:2]  # not checked: due as before
    # The verification page answering the canonical link (no chksm) may be WeChat refusing
    # such links: the article takes its turn, nothing learned of it
    # (test_an_original_wechat_refuses_by_its_only_link_waits_its_turn_again)
    assert watch_row(archive, arts[2])[1:] == checked[2][1:]
    assert "status:" not in "".join(before) and "gone" not in result.stderr.lower()

    # The server gone altogether: nothing is marked, nor checked, either.
    checked = [watch_row(archive, art) for art in arts]
    site.server.stop()
    result = watch(archive, site)
    assert [post_of(archive, art) for art in arts] == before
    assert [watch_row(archive, art) for art in arts] == checked


def test_blocks_stop_the_watch_like_any_run(site: Site, tmp_path: Path) -> None:
    arts = site.serve(numbered(2247490151, 5))
    archive = tmp_path / "archive"
    archive_all(site, arts, archive)
    for art in arts:
        site.pages[art.path] = Route(403, "text/plain", b"forbidden")
    hits = len(article_hits(site.server))
    result = watch(archive, site, BLOCK_RETRY_TIMES="0")
    assert result.returncode == 1
    assert "WeChat is blocking: 3 blocked pages in a row" in result.stderr
    assert len(article_hits(site.server)) - hits == 3  # BLOCK_LIMIT: nothing is sent after
    # none was looked at: the summary said "5 originals watched"
    assert "watched" not in result.stderr.split("Run summary")[1]


def test_watch_per_run_bounds_the_requests_exactly(site: Site, tmp_path: Path) -> None:
    arts = site.serve(numbered(2247490201, 6))
    archive = tmp_path / "archive"
    archive_all(site, arts, archive)
    hits = len(article_hits(site.server))
    result = watch(archive, site, WATCH_PER_RUN="4")
    assert result.returncode == 0, result.stderr
    assert len(article_hits(site.server)) - hits == 4

    # A scheduled run: the album lists all six, archived already; the watch adds two pages.
    album = site.album("3901", arts)
    accounts = tmp_path / "accounts.toml"
    accounts.write_text(f'[[account]]\nname = "测试反诈中心"\nbiz = "{BIZ}"\nalbums = ["{album}"]\n',
                        encoding="utf-8")
    hits = len(article_hits(site.server))
    result = watch(archive, site, "-a", f"file={accounts}", spider="accounts", WATCH_PER_RUN="2")
    assert result.returncode == 0, result.stderr
    assert len(article_hits(site.server)) - hits == 2


def test_nothing_is_watched_before_it_is_due(site: Site, tmp_path: Path) -> None:
    arts = site.serve(numbered(2247490301, 2))
    archive = tmp_path / "archive"
    archive_all(site, arts, archive)
    hits = len(article_hits(site.server))
    result = crawl("watch", archive, settings={"WECHAT_BASE_URL": site.server.base})  # just archived: checked now, due in a week
    assert result.returncode == 0, result.stderr
    assert len(article_hits(site.server)) == hits


def test_a_daily_run_checks_a_young_original_at_each_run(site: Site, tmp_path: Path) -> None:
    """A run decides what is due when it starts, and a check is recorded when its page comes,
    later in the run: checked at 06:10 by yesterday's run, a young original was not due at
    06:00 today (23 h 50 min), so a daily cron looked at it every other day, not every day."""
    young, fresh = site.serve([Art("2247490311", days_ago=3), Art("2247490312", days_ago=3)])
    archive = tmp_path / "archive"
    archive_all(site, [young, fresh], archive)
    with sqlite3.connect(archive / ".state" / "index.sqlite") as db:
        db.execute("UPDATE watch SET checked = checked - (86400 - 600) WHERE key LIKE ?",
                   (f"%:{young.mid}:%",))
    hits = len(article_hits(site.server))
    result = crawl("watch", archive, settings={"WECHAT_BASE_URL": site.server.base})
    assert result.returncode == 0, result.stderr
    asked = article_hits(site.server)[hits:]
    assert [re.search(r"mid=(\d+)", path).group(1) for path in asked] == [young.mid]  # not the one just checked


def test_a_marked_post_builds_in_jekyll_and_shows_the_line(site: Site, tmp_path: Path) -> None:
    [art] = site.serve([Art("2247490401", title='标题里有"引号"和<尖括号>')])
    archive = tmp_path / "archive"
    archive_all(site, [art], archive)
    site.pages[art.path] = answer("deleted.html")
    assert watch(archive, site).returncode == 0
    out, log = jekyll_build(archive, tmp_path / "jekyll")
    assert "warn" not in log.lower()
    [page] = list(out.rglob("*.html"))
    html = page.read_text(encoding="utf-8")
    assert f"</blockquote>\n\n<p><em>原文已于 {today()} 被发布者删除，此为存档。</em></p>" in html


def test_versions_lists_the_captures_and_prints_the_post_as_it_was(site: Site, tmp_path: Path) -> None:
    site.server.image("/mmbiz_png/AddedLater/640", b"")  # not fetched: stays remote
    [art] = site.serve([Art("2247490501", items=("第一条",))])
    archive = tmp_path / "archive"
    archive_all(site, [art], archive)
    first = post_of(archive, art)
    site.article(Art(art.mid, items=("第一条改了", f'<img data-src="{site.server.base}/mmbiz_png/AddedLater/640">')))
    assert watch(archive, site).returncode == 0
    second = post_of(archive, art)
    site.pages[art.path] = answer("deleted.html")
    assert watch(archive, site).returncode == 0

    url = site.link(art).replace("&amp;", "&")
    listed = scrapy_command("versions", archive, url)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert len(lines) == 3
    assert re.fullmatch(r"1  \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC  first capture", lines[0])
    assert lines[1].endswith("  +3 -0 characters, +1 -0 images")  # 改了, and the new bullet
    assert lines[2].endswith("  deleted by its publisher")
    shown = scrapy_command("versions", archive, url, "--show", "1")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout == first
    assert scrapy_command("versions", archive, url, "--show", "2").stdout \
        == second.replace(f"    updated: {today()}\n    versions: 2\n", "")
    refused = scrapy_command("versions", archive, url, "--show", "3")
    assert refused.returncode == 1 and "capture 3 is no version of the article" in refused.stderr


def test_versions_shows_the_post_with_its_links_to_archived_posts(site: Site, tmp_path: Path) -> None:
    """A post links the posts of the articles it links to (``{% post_url %}``): ``--show``
    printed the newest version with those links left to WeChat, unlike the post a crawl of
    that very capture wrote."""
    [later] = site.serve([Art("2247490503")])
    [art] = site.serve([Art("2247490502", links=(site.body_link(later),))])
    archive = tmp_path / "archive"
    archive_all(site, [later, art], archive)
    post = post_of(archive, art)
    assert "{% post_url " in post
    shown = scrapy_command("versions", archive, site.link(art).replace("&amp;", "&"), "--show", "1")
    assert (shown.returncode, shown.stdout) == (0, post), shown.stderr


def test_versions_finds_the_captures_of_a_short_link_once_the_index_is_rebuilt(
        site: Site, tmp_path: Path) -> None:
    """An article archived by its short link, then the index deleted (as a damaged one's
    error advises) and rebuilt from the posts, which know no short links: ``versions`` said
    there was no capture of it, though the capture names the article in its page."""
    [art] = site.serve([Art("2247490504", token="ShortOne")])
    archive = tmp_path / "archive"
    assert crawl("article", archive, "-a", f"url={site.short(art)}").returncode == 0
    post = post_of(archive, art)
    (archive / ".state" / "index.sqlite").unlink()
    assert scrapy_command("rebuild", archive).returncode == 0
    url = site.link(art).replace("&amp;", "&")
    listed = scrapy_command("versions", archive, url)
    assert listed.returncode == 0, listed.stderr
    assert re.fullmatch(r"1  \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC  first capture\n", listed.stdout)
    assert scrapy_command("versions", archive, url, "--show", "1").stdout == post  # its images


def test_rebuild_keeps_what_the_watch_found(site: Site, tmp_path: Path) -> None:
    art, archive, marked = marked_gone(site, "2247490601", tmp_path, "violation.html")
    assert "status: removed" in marked
    rebuilt = scrapy_command("rebuild", archive)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert post_of(archive, art) == marked


def test_rebuild_re_renders_a_post_kept_from_an_earlier_page(site: Site, tmp_path: Path) -> None:
    """The page lost a picture, so the post was kept from the page before: rebuilding with
    another converter option left it as it was ("1 kept"), rendered from the newest capture,
    which is worse, instead of from the capture the post was made from."""
    [art] = site.serve([Art("2247490093", items=("不转账", "不透露验证码"))])
    archive = tmp_path / "archive"
    archive_all(site, [art], archive)
    picture = f'<p><img data-src="{site.server.base}/mmbiz_png/Img{art.mid}x1/640?wx_fmt=png" data-type="png"></p>'
    site.pages[art.path] = Route(200, "text/html; charset=utf-8",
                                 site.page(art).replace(picture, "").encode())
    assert "Kept the archived" in watch(archive, site).stderr
    kept = post_of(archive, art)
    rebuilt = scrapy_command("rebuild", archive, "-s", "MARKDOWN_BULLET=*")
    assert (rebuilt.returncode, rebuilt.stdout) == (0, "rebuild: 1 updated\n"), rebuilt.stderr
    assert post_of(archive, art) == kept.replace("\n- ", "\n* ") != kept


@pytest.mark.parametrize("title", ["", "很长的标题" * 1000])  # a front matter of 5000 characters
def test_an_index_rebuilt_from_the_posts_keeps_what_the_watch_found(site: Site, tmp_path: Path,
                                                                    title: str) -> None:
    gone, edited = site.serve(numbered(2247490611, 2, items=("第一条",), title=title))
    archive = tmp_path / "archive"
    archive_all(site, [gone, edited], archive)
    site.pages[gone.path] = answer("deleted.html")
    site.article(Art(edited.mid, items=("第一条", "新加的一条"), title=title))
    assert watch(archive, site).returncode == 0
    marked = {art.mid: post_of(archive, art) for art in (gone, edited)}
    assert "status: deleted" in marked[gone.mid] and "versions: 2" in marked[edited.mid]

    (archive / ".state" / "index.sqlite").unlink()  # as the error of a damaged one advises
    rebuilt = scrapy_command("rebuild", archive)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert {art.mid: post_of(archive, art) for art in (gone, edited)} == marked


def test_the_summary_and_accounts_report_count_what_the_watch_saw(site: Site, tmp_path: Path) -> None:
    arts = site.serve(numbered(2247490701, 4))
    # deleted before it could be archived: no original of ours, only looked at again (it may come back)
    never = Art("2247490799")
    site.pages[never.path] = answer("deleted.html")
    accounts = tmp_path / "accounts.toml"
    accounts.write_text(f'[[account]]\nname = "测试反诈中心"\nbiz = "{BIZ}"\n'
                        f'albums = ["{site.album("3902", [*arts, never])}"]\n', encoding="utf-8")
    archive = tmp_path / "archive"
    alarm = {"WATCH_ALARM_DELETIONS": "2", "ACCOUNTS_FILE": str(accounts)}
    assert watch(archive, site, spider="accounts", **alarm).returncode == 0
    site.pages[arts[0].path] = answer("deleted.html")
    site.pages[arts[1].path] = answer("violation.html")
    site.article(Art(arts[2].mid, items=("新加的一条",)))
    result = watch(archive, site, spider="accounts", **alarm)
    assert result.returncode == 0, result.stderr
    assert re.search(r"Run summary \(finished\): .*5 originals watched, 1 original deleted, "
                     r"1 original removed, 1 original edited", result.stderr)
    assert "; originals 1 deleted, 1 removed, 1 edited" in result.stderr
    assert re.search(r"WARNING: 2 originals of 测试反诈中心 were deleted or removed upstream "
                     r"within 7 days", result.stderr)
    report = scrapy_command("accounts-report", archive, "-s", f"ACCOUNTS_FILE={accounts}",
                            "-s", "WATCH_ALARM_DELETIONS=2")
    assert report.returncode == 0, report.stderr
    assert re.search(r"测试反诈中心: 4 archived, .*; originals 1 deleted, 1 removed, 1 edited.*\n"
                     r"WARNING: 2 originals of 测试反诈中心", report.stdout)

    # The next run sees nothing new: no warning again (the report keeps saying it).
    again = watch(archive, site, spider="accounts", **alarm)
    assert "were deleted or removed" not in again.stderr
    assert "originals 1 deleted, 1 removed, 1 edited" in again.stderr


def test_an_album_line_counts_its_articles_the_watch_fetches_as_already_archived(
        site: Site, tmp_path: Path) -> None:
    """The daily run watches the album's newest articles too: whichever request went
    first, the album's line counted them or not ("8 listed, 3 already archived"), and the
    totals with it."""
    arts = site.serve(numbered(2247490801, 8))
    accounts = tmp_path / "accounts.toml"
    accounts.write_text(f'[[account]]\nname = "甲"\nalbums = ["{site.album("3903", arts)}"]\n',
                        encoding="utf-8")
    archive = tmp_path / "archive"
    assert watch(archive, site, spider="accounts", ACCOUNTS_FILE=str(accounts)).returncode == 0
    result = watch(archive, site, spider="accounts", ACCOUNTS_FILE=str(accounts))
    assert result.returncode == 0, result.stderr
    assert "\n  album:3903: 8 listed, 8 already archived\n  watch: 8 unchanged\n" in result.stderr, \
        result.stderr
    assert re.search(r"Run summary \(finished\): 8 unchanged, 8 already archived, 8 originals "
                     r"watched\n", result.stderr), result.stderr


def test_from_cron_a_watch_that_cannot_reach_wechat_says_so_once(tmp_path: Path) -> None:
    """WeChat unreachable: the watch wrote a WARNING line for each original it asked for."""
    archive = tmp_path / "archive"
    with MockWeChat() as server:
        site = Site(server)
        archive_all(site, site.serve(numbered(2247490901, 4)), archive)
    result = watch(archive, site, LOG_LEVEL="WARNING")
    assert result.returncode == 1, result.stderr
    assert len(re.findall(r"WARNING: Not checked: could not fetch the original \S+: "
                          r"DownloadConnectionRefusedError",
                          result.stderr)) == 1, result.stderr
    assert "FAILED: WeChat could not be reached" in result.stderr
    assert "\n  watch: 4 not fetched\n" in result.stderr, result.stderr


def test_crawl_watch_alone_raises_the_deletions_alarm(site: Site, tmp_path: Path) -> None:
    """``scrapy crawl watch`` (run again later in the day, say) that sees the deletions has
    no accounts file: it said nothing, and the next ``crawl accounts`` run, which saw none of
    them itself, nothing either."""
    arts = site.serve(numbered(2247490721, 3))
    archive = tmp_path / "archive"
    archive_all(site, arts, archive)
    site.pages[arts[0].path] = answer("deleted.html")
    site.pages[arts[1].path] = answer("violation.html")
    result = watch(archive, site, WATCH_ALARM_DELETIONS="2")
    assert result.returncode == 0, result.stderr
    assert len(re.findall(rf"WARNING: 2 originals of {site.account} were deleted or removed upstream "
                          r"within 7 days", result.stderr)) == 1, result.stderr
    again = watch(archive, site, WATCH_ALARM_DELETIONS="2")
    assert "were deleted or removed" not in again.stderr


def test_the_deletions_alarm_cannot_write_a_line_of_its_own(site: Site, tmp_path: Path) -> None:
    """``crawl watch`` names the account as its newest post does; a line break there wrote
    a line of the log the post chose."""
    arts = site.serve(numbered(2247490724, 2))
    archive = tmp_path / "archive"
    archive_all(site, arts, archive)
    for path in (archive / "_posts").glob("*.md"):
        made = path.read_text(encoding="utf-8")
        path.write_text(made.replace(f"    account: {site.account}\n",
                                     f'    account: "{site.account}\\nINFO: Run summary: 9 new"\n'),
                        encoding="utf-8")
    site.pages[arts[0].path] = answer("deleted.html")
    site.pages[arts[1].path] = answer("violation.html")
    result = watch(archive, site, WATCH_ALARM_DELETIONS="2")
    assert result.returncode == 0, result.stderr
    assert f"WARNING: 2 originals of {site.account}\\nINFO: Run summary: 9 new were deleted" \
        in result.stderr
    assert not [line for line in result.stderr.splitlines() if line.startswith("INFO: Run summary: 9")]


def test_an_archived_original_found_deleted_by_another_source_is_said_once_as_by_the_watch(
        site: Site, tmp_path: Path) -> None:
    """An article whose picture failed for a reason that may pass is fetched again when a
    source names it (here the user's links, as cron gives them each night); found deleted
    then, it was also 'Not archived: … is deleted', a second WARNING line, and a false one:
    its post is there (the summary counts it among the articles asked for that are deleted)."""
    [art] = site.serve([Art("2247490726")])
    site.server.image(f"/mmbiz_png/Img{art.mid}x{art.idx}/640", b"", status=503)
    archive = tmp_path / "archive"
    archive_all(site, [art], archive)
    site.pages[art.path] = answer("deleted.html")
    result = crawl("article", archive, "-a", f"urls_file={archive.parent / 'urls.txt'}")
    assert result.returncode == 0, result.stderr
    said = [line for line in result.stderr.splitlines() if " WARNING: " in line]
    assert len(said) == 2, said
    assert re.search(r"WARNING: The original of \S+ is deleted by its publisher: the post stays, "
                     r"marked as deleted", said[0])
    assert said[1].endswith("WARNING: Run summary (finished): 1 deleted, 1 original deleted")
    assert "status: deleted" in post_of(archive, art)


def test_a_post_that_cannot_be_read_is_one_error_line_not_a_traceback(site: Site,
                                                                     tmp_path: Path) -> None:
    broken, fine = site.serve(numbered(2247490801, 2))
    archive = tmp_path / "archive"
    archive_all(site, [broken, fine], archive)
    [path] = [p for p in (archive / "_posts").glob("*.md") if broken.mid in p.read_text("utf-8")]
    path.write_bytes(b"\xff\xfe not UTF-8")
    site.pages[broken.path] = site.pages[fine.path] = answer("deleted.html")
    result = watch(archive, site)
    assert re.search(r"ERROR: Not marked: the original of \S+ is deleted by its publisher, but "
                     r".*not UTF-8", result.stderr)
    assert result.returncode == 1  # its cause among those the failure names
    assert "FAILED: the archive could not be written (a full disk, a locked index, a post a person " \
        "left unreadable)" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert "status: deleted" in post_of(archive, fine)


def test_an_original_wechat_refuses_by_its_only_link_waits_its_turn_again(
        site: Site, tmp_path: Path) -> None:
    """If WeChat refuses links without ``chksm`` (nobody knows: ``Site`` tests both), an
    article archived by such a link, which no listing gave since, cannot be watched; it is
    checked all the same, or it would take the watch's places in every run."""
    arts = site.serve(numbered(2247490501, 2))
    archive = tmp_path / "archive"
    urls = archive.parent / "urls.txt"
    urls.write_text("\n".join(re.sub(r"&chksm=[^&#]*", "", site.link(a).replace("&amp;", "&"))
                              for a in arts), encoding="utf-8")
    assert crawl("article", archive, "-a", f"urls_file={urls}").returncode == 0
    site.refuse_without_chksm = True
    assert sorted(asked_one_a_run(site, archive, len(arts))) == [a.mid for a in arts]
    assert all(watch_row(archive, a)[1] is None for a in arts)  # nothing learned of them


def test_a_key_a_person_added_after_the_wechat_block_stays_readable_once_marked(
        site: Site, tmp_path: Path) -> None:
    [art] = site.serve([Art("2247490402")])
    archive = tmp_path / "archive"
    archive_all(site, [art], archive)
    [path] = (archive / "_posts").glob("*.md")
    made = path.read_text(encoding="utf-8")
    end = made.index("\n---\n", 3) + 1
    path.write_text(made[:end] + "comments: true\n" + made[end:], encoding="utf-8")
    site.pages[art.path] = answer("deleted.html")
    assert watch(archive, site).returncode == 0
    front = yaml.safe_load(path.read_text(encoding="utf-8").split("---\n")[1])
    assert front["comments"] is True
    assert (front["wechat"]["status"], str(front["wechat"]["gone_since"])) == ("deleted", today())
    out, log = jekyll_build(archive, tmp_path / "jekyll")
    assert "warn" not in log.lower()


@pytest.mark.parametrize("block", ["", "wechat: {account: 测试反诈中心}\n"], ids=["removed", "flow"])
def test_a_post_whose_wechat_block_a_person_took_out_stays_readable_once_marked(
        site: Site, tmp_path: Path, block: str) -> None:
    """No block to add the keys to: added under the front matter's last key, they made it
    YAML no reader takes (Jekyll's strict build failed); the line tells the reader alone."""
    [art] = site.serve([Art("2247490403")])
    archive = tmp_path / "archive"
    archive_all(site, [art], archive)
    [path] = (archive / "_posts").glob("*.md")
    made = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r"^wechat:\n(?: .*\n)*", block, made, count=1, flags=re.MULTILINE),
                    encoding="utf-8")
    site.pages[art.path] = answer("deleted.html")
    assert watch(archive, site).returncode == 0
    post = path.read_text(encoding="utf-8")
    front = yaml.safe_load(post.split("---\n")[1])
    assert front.get("wechat") == yaml.safe_load(block or "wechat:")["wechat"]
    assert f"*原文已于 {today()} 被发布者删除，此为存档。*" in post
    out, log = jekyll_build(archive, tmp_path / "jekyll")
    assert "warn" not in log.lower()


def test_an_edit_upstream_remakes_the_scam_types_of_the_post(site: Site,
                                                            tmp_path: Path) -> None:
    police_call = ("近日，王女士接到自称公安局民警的电话，称她涉嫌洗钱，已被通缉，并发来“逮捕令”。"
                   "对方要求她保密，把存款转入“安全账户”接受资金核查。警方提醒：公检法机关不会"
                   "通过电话办案，更没有所谓的“安全账户”。")
    [art] = site.serve([Art("2247490403", albums=("3203",), items=(police_call,))])
    site.album("3203", [art])
    archive = tmp_path / "archive"
    archive_all(site, [art], archive)
    tags = yaml.safe_load(post_of(archive, art).split("---\n")[1])["tags"]
    assert tags == ["冒充公检法及政府机关", "合集3203"]
    swimming = "暑假将至，请家长看护好孩子，不要到江河、水库、池塘等无人看管的水域游泳嬉戏。" * 3
    site.article(Art(art.mid, albums=("3203",), items=(swimming,)))
    assert watch(archive, site).returncode == 0
    edited = post_of(archive, art)
    assert "versions: 2" in edited
    assert yaml.safe_load(edited.split("---\n")[1])["tags"] == ["合集3203"]


def test_a_watched_post_deleted_by_hand_comes_back_with_the_tags_it_had(site: Site,
                                                                        tmp_path: Path) -> None:
    art = Art("2247490404")
    site.article(art)
    saved = tmp_path / "saved.html"
    saved.write_text(site.page(art), encoding="utf-8")
    archive = tmp_path / "archive"
    assert crawl("import", archive, "-a", f"path={saved}", "-a", "tags=清远").returncode == 0
    [path] = (archive / "_posts").glob("*.md")
    assert "tags:\n    - 清远\nwechat:" in path.read_text(encoding="utf-8")
    path.unlink()
    assert watch(archive, site).returncode == 0
    assert "tags:\n    - 清远\nwechat:" in path.read_text(encoding="utf-8")


def test_a_deleted_article_given_by_its_short_link_with_tracking_marks_its_post(
        site: Site, tmp_path: Path) -> None:
    """A chat's copy of a short link carries tracking (``?scene=…``, ``#rd``): it is still
    the link the article was archived by, and its deleted page marks the post."""
    [art] = site.serve([Art("2247490601", token="ShortGone")])
    archive = tmp_path / "archive"
    assert crawl("article", archive, "-a", f"url={site.short(art)}").returncode == 0
    site.server.route(f"/s/{art.token}", answer("deleted.html"))
    result = crawl("article", archive, "-a", f"url={site.short(art)}/?scene=1&srcid=0101#rd")
    assert result.returncode == 0, result.stderr
    assert "status: deleted" in post_of(archive, art)


@pytest.mark.parametrize("notice", ["此内容被投诉且经审核涉嫌侵权，无法查看。",
                                    "此内容被多人投诉，相关的内容无法进行查看。"],
                         ids=["infringement", "complaints"])
def test_an_original_the_platform_took_down_on_complaints_is_marked_removed(
        site: Site, tmp_path: Path, notice: str) -> None:
    """WeChat's other pages of an article its platform took down (an infringement
    complaint, many complaints) were pages the parser did not know: the post stayed
    unmarked, as if the original were still there."""
    page = ('<!DOCTYPE html><html><head><meta charset="utf-8"><title></title></head><body>'
            f'<div class="weui-msg"><h2 class="weui-msg__title">{notice}</h2></div></body></html>')
    [art] = site.serve([Art("2247490921")])
    archive = tmp_path / "archive"
    archive_all(site, [art], archive)
    site.pages[art.path] = Route(200, "text/html; charset=utf-8", page.encode())
    result = watch(archive, site)
    assert result.returncode == 0, result.stderr
    post = post_of(archive, art)
    assert f"    status: removed\n    gone_since: {today()}\n---\n" in post
    assert f"</p></blockquote>\n\n*原文已于 {today()} 因违规被平台删除，此为存档。*\n\n" in post


@pytest.mark.parametrize("page", [
    "bad_params.html", "expired.html",
    # an account moved (its articles may be at the new one's), a page the parser does not know
    "<html><body><p>该公众号已迁移</p></body></html>"])
def test_an_original_answering_a_page_that_says_nothing_of_it_takes_its_turn(
        site: Site, tmp_path: Path, page: str) -> None:
    """WeChat answered, but neither with the article nor with its deleted, removed or
    unavailable page: the article was left as due as before, so the most due of all at every
    run, asked again and again while the others waited (at 30 such pages, for ever). (A run
    whose only page is one the parser does not know exits 1: nothing says WeChat answered.)"""
    arts = site.serve(numbered(2247490911, 2))
    archive = tmp_path / "archive"
    archive_all(site, arts, archive)
    site.pages[arts[0].path] = answer(page) if page.endswith(".html") \
        else Route(200, "text/html; charset=utf-8", page.encode())
    statuses = (0,) if page.endswith(".html") else (0, 1)
    assert sorted(asked_one_a_run(site, archive, len(arts), statuses)) == [a.mid for a in arts]
    assert "status:" not in post_of(archive, arts[0])


@pytest.mark.parametrize("route", [Route(404, "text/html", b"Not Found"), Route(502, "text/html", b"Bad Gateway")],
                         ids=["404", "502"])
def test_an_original_answering_an_error_status_takes_its_turn(site: Site, tmp_path: Path,
                                                             route: Route) -> None:
    """WeChat answered, with an error: the article was left as due as before, so the most
    due at every run, asked again and again while the others waited. (A run whose only
    page was an error exits 1: it could fetch none of what it asked for.)"""
    arts = site.serve(numbered(2247490931, 2))
    archive = tmp_path / "archive"
    archive_all(site, arts, archive)
    site.pages[arts[0].path] = route
    assert sorted(asked_one_a_run(site, archive, len(arts), statuses=(0, 1))) == [a.mid for a in arts]
    assert "status:" not in post_of(archive, arts[0])


def test_from_cron_an_original_the_watch_could_not_fetch_is_not_said_not_archived(
        site: Site, tmp_path: Path) -> None:
    """The watch's page answering 404 said "Not archived: could not fetch …" of an article
    whose post is archived and stays."""
    [art] = site.serve([Art("2247490941")])
    archive = tmp_path / "archive"
    archive_all(site, [art], archive)
    site.pages[art.path] = Route(404, "text/html", b"Not Found")
    result = watch(archive, site, LOG_LEVEL="WARNING")
    assert "Not archived" not in result.stderr, result.stderr
    assert re.search(r"WARNING: Not checked: could not fetch the original \S+mid=2247490941\S+: "
                     r"HTTP 404; its post stays as it is\n", result.stderr), result.stderr


def test_from_cron_an_original_that_stayed_blocked_is_not_said_not_archived(
        site: Site, tmp_path: Path) -> None:
    """A watched page that stayed blocked was "Not archived: … stayed blocked", at WARNING,
    of an article whose post is archived and stays: the one line cron mailed of it."""
    [art] = site.serve([Art("2247490943")])
    archive = tmp_path / "archive"
    archive_all(site, [art], archive)
    before = post_of(archive, art)
    site.pages[art.path] = VERIFICATION
    result = watch(archive, site, LOG_LEVEL="WARNING", BLOCK_RETRY_TIMES="1", BLOCK_LIMIT="10")
    assert post_of(archive, art) == before
    assert "Not archived" not in result.stderr, result.stderr
    assert re.search(r"WARNING: Not checked: the original \S+mid=2247490943\S+ stayed blocked after "
                     r"2 tries; its post stays as it is\n", result.stderr), result.stderr


def test_from_cron_an_original_answering_a_verification_page_past_the_blocks_quick_look_is_not_checked(
        site: Site, tmp_path: Path) -> None:
    """One larger than BlockMiddleware looks at (512 KB) was "Not archived: …" of an archived
    article, its check taken as done, the run's exit status 0."""
    [art] = site.serve([Art("2247490945")])
    archive = tmp_path / "archive"
    archive_all(site, [art], archive)
    before = post_of(archive, art)
    site.pages[art.path] = Route(200, "text/html; charset=utf-8",
                                 VERIFICATION.body + b"<!--" + b" " * 600_000 + b"-->")
    result = watch(archive, site, LOG_LEVEL="WARNING")
    assert re.search(r"WARNING: Not checked: the original \S+mid=2247490945\S+ is WeChat's verification "
                     r"page \(the crawler is being challenged\); its post stays as it is\n", result.stderr), \
        result.stderr
    assert "Not archived" not in result.stderr
    assert result.returncode == 1
    assert post_of(archive, art) == before


@pytest.mark.parametrize("where, said, status", [
    # the run's only answer a login page: no page answered was WeChat's, as crawl article says
    ("/cgi-bin/loginpage", r"WARNING: The original of \S+ is not an article page: the post stays as it is", 1),
    ("https://example.com/x", r"WARNING: Not checked: could not fetch the original \S+: IgnoreRequest: "
                              r"redirected to 'https://example.com/x', not an article host; its post stays", 1),
    ("/s/Back", r"WARNING: Not checked: could not fetch the original \S+: IgnoreRequest: redirected in a "
                r"loop, back to '\S+/s/Back'; its post stays", 1),
], ids=["login-page", "foreign-host", "loop"])
def test_an_original_redirected_away_is_one_line_and_its_post_stays(site: Site, tmp_path: Path, where: str,
                                                                  said: str, status: int) -> None:
    """A watched original answered by a redirect to WeChat's login page, off the article
    hosts, or in a loop: the post is neither marked gone nor changed."""
    [art] = site.serve([Art("2247490947")])
    archive = tmp_path / "archive"
    archive_all(site, [art], archive)
    before = post_of(archive, art)
    site.server.page("/cgi-bin/loginpage", "<html><body><h3>使用账号登录</h3><p>请使用微信扫描二维码登录</p></body></html>")
    site.server.redirect("/s/Back", site.server.base + art.path)
    moved = where if where.startswith("https:") else site.server.base + where
    site.pages[art.path] = Route(302, "text/html", b"", (("Location", moved),))
    result = watch(archive, site, LOG_LEVEL="WARNING")
    assert re.search(said, result.stderr), result.stderr
    assert result.returncode == status
    assert post_of(archive, art) == before


def test_a_title_edited_upstream_is_an_edit(site: Site, tmp_path: Path) -> None:
    """The publisher changed the title, and nothing else: the post took the new title without
    saying ``updated:``, the run counted no edit, and ``scrapy versions`` said "no change a
    reader sees" of a title every reader sees."""
    [art] = site.serve([Art("2247490961", title="原来的标题")])
    archive = tmp_path / "archive"
    archive_all(site, [art], archive)
    page = site.page(art).replace("原来的标题", "改过的标题").replace("改过的标题：", "原来的标题：")
    site.pages[art.path] = Route(200, "text/html; charset=utf-8", page.encode())
    result = watch(archive, site)
    assert result.returncode == 0, result.stderr
    post = post_of(archive, art)
    assert "title:      改过的标题\n" in post and "原来的标题：警方提示" in post
    assert f"    updated: {today()}\n    versions: 2\n---\n" in post
    assert "1 original edited" in result.stderr
    listed = scrapy_command("versions", archive, site.link(art).replace("&amp;", "&"))
    assert listed.stdout.splitlines()[1].endswith("  +2 -2 characters, +0 -0 images"), listed.stdout


def test_an_original_archived_by_a_link_with_chksm_is_watched_by_it(site: Site,
                                                                    tmp_path: Path) -> None:
    """An article archived by the link with ``chksm`` its user gave (as WeChat's share menu
    copies it), which no album lists: the watch asked by the canonical link, without
    ``chksm``; if WeChat refuses such links, its deletion was never seen."""
    [art] = site.serve([Art("2247490971")])
    archive = tmp_path / "archive"
    archive_all(site, [art], archive)
    site.refuse_without_chksm = True
    site.pages[art.path] = answer("deleted.html")
    result = watch(archive, site)
    assert result.returncode == 0, result.stderr
    assert "refused without chksm" not in result.stderr
    assert "status: deleted" in post_of(archive, art)
    assert [path for path in article_hits(site.server)[1:] if "chksm=abcdef0123" in path]


def test_crawl_watch_on_a_folder_that_holds_no_archive_is_refused(tmp_path: Path) -> None:
    """A mistyped ``-s ARCHIVE_DIR=`` in the cron line of ``scrapy crawl watch``: an empty
    archive was made there, "nothing to do", exit status 0, so nothing was ever watched and
    nothing said so."""
    typo = tmp_path / "archiv"
    result = crawl("watch", typo)
    assert result.returncode == 2, result.stderr
    assert refusal(result, "crawl watch") == (
        f"scrapy crawl watch: {typo} holds no archive (no _posts/ or .state/ folder), so "
        "nothing to watch: check -s ARCHIVE_DIR=")
    assert not typo.exists()


def test_a_post_that_could_not_be_marked_is_marked_at_the_next_watch(site: Site,
                                                                     tmp_path: Path) -> None:
    """The post could not be marked when its original was found deleted (not UTF-8 then, a
    full disk): once mended, the next watch marked it no more (the index said deleted
    already), and it never said so."""
    [art] = site.serve([Art("2247490991")])
    archive = tmp_path / "archive"
    archive_all(site, [art], archive)
    [path] = (archive / "_posts").glob("*.md")
    made = path.read_bytes()
    path.write_bytes(b"\xff\xfe not UTF-8")
    site.pages[art.path] = answer("deleted.html")
    assert "ERROR: Not marked" in watch(archive, site).stderr
    path.write_bytes(made)  # mended by hand
    assert watch(archive, site).returncode == 0
    post = post_of(archive, art)
    assert f"    status: deleted\n    gone_since: {today()}\n---\n" in post
    assert f"*原文已于 {today()} 被发布者删除，此为存档。*" in post


def test_from_cron_an_original_answering_a_page_that_says_nothing_of_it_is_said_once(
        site: Site, tmp_path: Path) -> None:
    """The watch came back to an archived article whose link WeChat answers with its
    parameter-error page, and each time printed "Not archived: …", of a post that is."""
    [art] = site.serve([Art("2247490992")])
    archive = tmp_path / "archive"
    archive_all(site, [art], archive)
    first = post_of(archive, art)
    site.pages[art.path] = answer("bad_params.html")
    found = watch(archive, site, LOG_LEVEL="WARNING")
    assert found.returncode == 0, found.stderr
    [line] = [line for line in found.stderr.splitlines() if "The original of" in line]
    assert re.search(r"WARNING: The original of \S+ is WeChat's parameter-error page .*: the "
                     r"post stays as it is \(\S+\)$", line), line
    assert "Not archived" not in found.stderr
    for _ in range(2):
        again = watch(archive, site, LOG_LEVEL="WARNING")
        assert (again.returncode, again.stderr) == (0, "")
    assert post_of(archive, art) == first


def test_an_edit_upstream_met_with_a_post_that_cannot_be_read_is_an_edit_once_it_can(
        site: Site, tmp_path: Path) -> None:
    """The page was edited while its post could not be read (saved in GBK by hand, say):
    the watch recorded the new page as seen all the same, so once the post was mended the
    edit was written as the same page again, without ``updated:``."""
    [art] = site.serve([Art("2247490993", items=("第一条",))])
    archive = tmp_path / "archive"
    archive_all(site, [art], archive)
    [path] = (archive / "_posts").glob("*.md")
    made = path.read_text(encoding="utf-8")
    path.write_bytes(made.encode("gbk", "replace"))
    site.article(Art(art.mid, items=("第一条", "新加的一条")))
    assert watch(archive, site).returncode == 1
    path.write_text(made, encoding="utf-8")  # mended by hand
    assert watch(archive, site).returncode == 0
    edited = post_of(archive, art)
    assert "新加的一条" in edited and f"    updated: {today()}\n    versions: 2\n" in edited


def test_an_original_of_pictures_alone_back_with_one_more_is_an_edit_not_a_worse_page(
        site: Site, tmp_path: Path) -> None:
    """An article of pictures and no text, marked deleted, back with one picture more: the
    marked post's notice counted as its text, so the page back, without it, read as "much
    less text": the post was kept without the new picture, and the run warned of a worse page."""
    [art] = site.serve([Art("2247490994")])
    site.server.image("/mmbiz_png/AddedOnReturn/640", png((7, 7, 7)))
    page = site.page(art).replace(f"{art.name}：警方提示，请提高警惕。", "")
    site.pages[art.path] = Route(200, "text/html; charset=utf-8", page.encode())
    archive = tmp_path / "archive"
    archive_all(site, [art], archive)
    site.pages[art.path] = answer("deleted.html")
    assert "status: deleted" in (watch(archive, site), post_of(archive, art))[1]
    added = f'<p><img data-src="{site.server.base}/mmbiz_png/AddedOnReturn/640" data-type="png"></p>'
    site.pages[art.path] = Route(200, "text/html; charset=utf-8",
                                 page.replace("</ul>", "</ul>" + added).encode())
    back = watch(archive, site)
    assert back.returncode == 0, back.stderr
    assert "Kept the archived" not in back.stderr
    post = post_of(archive, art)
    assert "AddedOnReturn" in post and "status:" not in post and "versions: 2" in post


def test_the_summary_counts_as_deleted_only_the_originals_deleted_since_the_last_look(
        site: Site, tmp_path: Path) -> None:
    """The watch comes back to originals found deleted before (they may return): each was
    counted "deleted" again, so that a day with one new deletion said "3 deleted" beside
    "1 originals deleted", and a maintainer took it that three articles vanished today."""
    arts = site.serve(numbered(2247490901, 3))
    archive = tmp_path / "archive"
    archive_all(site, arts, archive)
    site.pages[arts[0].path] = answer("deleted.html")
    site.pages[arts[1].path] = answer("deleted.html")
    assert watch(archive, site).returncode == 0
    site.pages[arts[2].path] = answer("deleted.html")
    result = watch(archive, site)
    assert result.returncode == 0, result.stderr
    [summary] = re.findall(r"Run summary \(finished\): (.*)", result.stderr)
    assert summary == "3 originals watched, 1 original deleted", result.stderr
    site.pages[arts[0].path] = Route(500, "text/html", b"")
    failing = watch(archive, site)  # two originals seen (deleted, as before): WeChat answered
    assert failing.returncode == 0, failing.stderr
    assert "Run summary (finished): 1 not fetched, 2 originals watched\n" in failing.stderr


@pytest.mark.parametrize("now", ["deleted", "verification", "another article"])
def test_an_archived_article_given_again_keeps_its_post_whatever_its_page_answers_now(
        site: Site, tmp_path: Path, now: str) -> None:
    """``crawl article`` of an archived article whose link now answers its deleted page, the
    verification page (a block), or another article's page (a redirect): the post is never
    made worse, and the run's lines and exit status say what came of it. Led to another
    article, the run said only 'Post new' of that one, exit status 0: nothing said that the
    article asked for was not fetched."""
    art, other = site.serve([Art("2247490901"), Art("2247490902")])
    archive = tmp_path / "archive"
    url = site.link(art).replace("&amp;", "&")  # with its chksm: a verification page is a block
    assert crawl("article", archive, "-a", f"url={url}").returncode == 0
    made = post_of(archive, art)
    [name] = [path.name for path in (archive / "_posts").glob("*.md")]
    site.pages[art.path] = {
        "deleted": answer("deleted.html"), "verification": VERIFICATION,
        "another article": Route(302, "text/html", b"", (("Location", site.link(other).replace("&amp;", "&")),)),
    }[now]
    result = crawl("article", archive, "-a", f"url={url}", settings={"BLOCK_LIMIT": "2"})
    said = [line.split(": ", 1)[1] for line in result.stderr.splitlines()
            if re.search(r"\] (WARNING|ERROR): ", line)]
    if now == "deleted":
        assert result.returncode == 0
        assert "status: deleted" in post_of(archive, art)
        assert made.split("</p></blockquote>\n")[1] in post_of(archive, art)  # the body whole
        assert said[0].startswith(f"The original of {name} is deleted by its publisher: the post stays")
    elif now == "verification":
        assert result.returncode == 1
        assert post_of(archive, art) == made
        assert said[-1] == "Exit status 1: the run was cut short: WeChat is blocking"
    else:
        assert result.returncode == 0
        assert post_of(archive, art) == made
        asked = url.split("&scene=")[0]  # as requested: a chat's tracking left out
        assert said[0].startswith(f"{asked}, the link of the archived {name}, led to another article, ")
        assert f"mid={other.mid}&" in said[0]
        assert said[0].endswith(f": archived as its own post, and {name} stays as it is")


def test_an_original_whose_link_leads_to_another_article_has_had_its_turn(
        site: Site, tmp_path: Path) -> None:
    """The watch asked an original whose link now leads to another article's page: that
    article was archived, and the original's check never recorded, so that, still the most
    due, it was asked again at every run. Said at WARNING once, at the first look."""
    first, other = site.serve(numbered(2247490911, 2))
    archive = tmp_path / "archive"
    archive_all(site, [first], archive)
    site.pages[first.path] = Route(302, "text/html", b"", (("Location", site.link(other).replace("&amp;", "&")),))
    said = []
    for _ in range(2):
        with sqlite3.connect(archive / ".state" / "index.sqlite") as db:
            db.execute("UPDATE watch SET checked = checked - 3600")
        [checked, *_] = watch_row(archive, first) or (None,)
        result = watch(archive, site)
        assert result.returncode == 0, result.stderr
        assert (watch_row(archive, first) or (None,))[0] > checked
        said.append([line for line in result.stderr.splitlines() if "led to another article" in line])
    assert [" WARNING: " in line for line in said[0]] == [True]
    assert [" INFO: " in line for line in said[1]] == [True]

"""What the run summary and ``scrapy accounts-report`` say of an account."""

from __future__ import annotations

import contextlib
import re
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

from crawler.report.coverage import Coverage, coverage_of, found_this_run, named_by_posts
from crawler.store.accountbook import AccountBook
from crawler.store.index import ArticleState, Index
from crawler.wechat.article import CHINA_TIME
from tests.conftest import crawl
from tests.mockserver import MockWeChat, Route
from tests.site import OTHER_BIZ, Art, Site
from tests.test_captures import scrapy

NOW = datetime(2026, 11, 29, 6, 17, tzinfo=CHINA_TIME)


def test_an_account_that_went_quiet_is_stale() -> None:
    coverage = Coverage("甲", "B", newest=NOW - timedelta(days=45), usual_gap=timedelta(days=5))
    assert coverage.stale(30, NOW)
    assert not coverage.stale(60, NOW)


def test_an_account_that_always_published_rarely_is_not() -> None:
    assert not Coverage("甲", "B", newest=NOW - timedelta(days=45),
                        usual_gap=timedelta(days=40)).stale(30, NOW)
    assert not Coverage("甲", "B", newest=NOW - timedelta(days=45)).stale(30, NOW)  # one article


def test_coverage_from_the_index(tmp_path: Path) -> None:
    index = Index(tmp_path / "index.sqlite")
    for mid, days in enumerate((50, 45, 41, 40)):
        published = int((NOW - timedelta(days=days)).timestamp())
        index.add_article(f"B:{mid}:1", "u", f"{mid}.md", ArticleState.ARCHIVED, published)
    coverage = coverage_of(index, "甲", "B")
    assert (coverage.archived, coverage.newest) == (4, NOW - timedelta(days=40))
    assert coverage.usual_gap == timedelta(days=4)
    assert coverage.line(NOW) == ("4 archived, 0 albums known, newest 2026-10-20 (40 days ago), "
                                  "0 links to other accounts seen")
    assert coverage_of(index, "乙", "").line(NOW) == "biz unknown yet (no page of it fetched)"
    index.close()


def test_a_line_counts_one_of_a_kind_in_the_singular() -> None:
    coverage = Coverage("甲", "B", archived=1, albums=1, foreign_links=1, newest=NOW - timedelta(days=1))
    assert coverage.line(NOW) == ("1 archived, 1 album known, newest 2026-11-28 (1 day ago), "
                                  "1 link to other accounts seen")


def test_known_not_archived_counts_what_later_runs_are_to_fetch(tmp_path: Path) -> None:
    index = Index(tmp_path / "index.sqlite")
    AccountBook(index).remember_album("301", "B")
    AccountBook(index).add_album_articles("301", ["B:1:1", "B:2:1", "B:3:1", "B:4:1", "B:5:1"])
    AccountBook(index).album_read_whole("301", "", {"B:1:1", "B:2:1", "B:3:1", "B:4:1"}, "2026-11-29")  # 5 left
    # …still to be had: later reads of the album ask it
    index.add_article("B:1:1", "u", "1.md", ArticleState.ARCHIVED)
    index.add_article("B:2:1", "u", "2.md", ArticleState.INCOMPLETE)  # a post, an image to retry
    index.add_article("B:3:1", "u", "", ArticleState.DELETED)
    index.needs_link("B:6:1", "https://mp.weixin.qq.com/s?__biz=B&mid=6&idx=1&sn=s", "2026-11-29T00:00:00+00:00")
    AccountBook(index).follow_later("https://mp.weixin.qq.com/s?__biz=B&mid=4&idx=1&sn=s", "B")  # and a member
    AccountBook(index).follow_later("https://mp.weixin.qq.com/s/Short", "B")
    index.add_link("https://mp.weixin.qq.com/s/Short", "C:7:1")  # another account's
    assert AccountBook(index).known_not_archived("B") == 3  # 4, 5 and 6
    index.close()


def test_what_a_run_found() -> None:
    assert found_this_run(Counter({"new": 3, "new/album": 2, "new/link": 1})) == \
        "3 new (2 by albums, 1 by links), no source failed"
    assert found_this_run(Counter({"failed": 2})) == "0 new, 2 sources failed"


def test_the_report_needs_no_accounts_file_and_names_every_account_archived(
        wechat: MockWeChat, tmp_path: Path) -> None:
    site = Site(wechat)
    ours, theirs = Art("2247497001"), Art("2247497002", biz=OTHER_BIZ)
    site.article(ours)
    site.article(theirs, nickname="某县公安")
    archive = tmp_path / "archive"
    for art in (ours, theirs):  # as an import does: no accounts file, no account recorded
        assert crawl("article", archive, "-a", "url=" + site.link(art).replace("&amp;", "&"),
                     settings={"ACCOUNTS_FILE": "/nonexistent"}).returncode == 0
    with contextlib.chdir(tmp_path):  # the default accounts.toml: none there
        alone = scrapy("accounts-report", archive)
    assert alone.returncode == 0, alone.stderr
    assert re.search(rf"^{site.account}: 1 archived, .*$", alone.stdout, re.M), alone.stdout
    assert re.search(r"^某县公安: 1 archived, .*$", alone.stdout, re.M), alone.stdout
    assert "accounts-report: 2 accounts" in alone.stdout

    accounts = tmp_path / "accounts.toml"  # its link carries the __biz of archived articles
    accounts.write_text(f'[[account]]\nname = "本市反诈"\nurls = ["{site.link(ours)}"]\n',
                        encoding="utf-8")
    listed = scrapy("accounts-report", archive, f"ACCOUNTS_FILE={accounts}")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert re.fullmatch(r"本市反诈: 1 archived, .*seen", lines[0]), lines
    assert re.fullmatch(r"某县公安: 1 archived, .*; not in the accounts file", lines[1]), lines
    assert lines[2].startswith("accounts-report: 2 accounts")


def test_the_report_knows_an_account_by_the_page_its_short_link_led_to(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """An account's one short link archived with ``crawl article`` before the account was
    put in the accounts file (as a scheduled run finds it): the report said 'biz unknown
    yet (no page of it fetched)', and listed its post under another line, 'not in the
    accounts file'."""
    site = Site(wechat)
    entry = Art("2247497201", token="Entry")
    site.article(entry)
    archive = tmp_path / "archive"
    assert crawl("article", archive, "-a", f"url={site.short(entry)}").returncode == 0
    accounts = tmp_path / "accounts.toml"
    accounts.write_text(f'[[account]]\nname = "甲"\nurls = ["{site.short(entry)}"]\n',
                        encoding="utf-8")
    report = scrapy("accounts-report", archive, f"ACCOUNTS_FILE={accounts}")
    assert report.stdout.splitlines()[0].startswith("甲: 1 archived, "), report.stdout
    assert "accounts-report: 1 account" in report.stdout, report.stdout


def test_articles_pushed_together_are_one_publication_to_the_quiet_alarm(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """A push of several articles (idx 1, 2, 3) shares one publish time: its gaps of 0 made
    every such account "publish every 0 days or so", quiet after 30 days however rarely it
    pushes."""
    site = Site(wechat)

    def pushes(first: int, days_apart: int, count: int, articles: int) -> list[Art]:
        # the stand-in dates an article by its mid, a minute a step (tests/site.py)
        return [Art(str(first + push * days_apart * 1440), idx=str(idx))
                for push in range(count) for idx in range(1, articles + 1)]

    def run(album: str, arts: list[Art], archive: Path) -> str:
        accounts = tmp_path / f"{album}.toml"
        accounts.write_text(f'[[account]]\nname = "甲"\nbiz = "{site_biz}"\n'
                            f'albums = ["{site.album(album, site.serve(arts))}"]\n', encoding="utf-8")
        result = crawl("accounts", archive, settings={"ACCOUNTS_FILE": str(accounts), "WATCH_PER_RUN": "0",
                                                      "LOG_LEVEL": "WARNING"})
        assert result.returncode == 0, result.stderr
        report = scrapy("accounts-report", archive, f"ACCOUNTS_FILE={accounts}")
        assert report.returncode == 0, report.stderr
        return result.stderr + report.stdout

    site_biz = Art("0").biz
    every_60_days = run("3101", pushes(2247400000, 60, 2, 3), tmp_path / "rare")
    assert "No new article" not in every_60_days and "STALE" not in every_60_days, every_60_days
    assert "accounts-report: 1 account, 0 stale" in every_60_days
    daily = run("3102", pushes(2247410000, 1, 4, 2), tmp_path / "daily")
    assert re.search(r"WARNING: No new article from 甲 for \d+ days \(it published every 1 day or "
                     r"so\)", daily), daily
    assert "; STALE" in daily and "accounts-report: 1 account, 1 stale" in daily


def test_the_quiet_alarm_says_how_often_an_account_that_pushed_daily_published(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """An account that pushed three times a day said "it published every 0 days or so"."""
    site = Site(wechat)
    # the stand-in dates an article by its mid, a minute a step (tests/site.py): 8 hours apart
    arts = site.serve([Art(str(2247420000 + push * 480)) for push in range(4)])
    accounts = tmp_path / "accounts.toml"
    accounts.write_text(f'[[account]]\nname = "甲"\nalbums = ["{site.album("3103", arts)}"]\n',
                        encoding="utf-8")
    result = crawl("accounts", tmp_path / "archive", settings={
        "ACCOUNTS_FILE": str(accounts), "WATCH_PER_RUN": "0", "LOG_LEVEL": "WARNING"})
    assert result.returncode == 0, result.stderr
    assert re.search(r"WARNING: No new article from 甲 for \d+ days \(it published every 8 hours or "
                     r"so\)", result.stderr), result.stderr


def test_the_quiet_alarm_is_said_once_for_each_quiet_spell(wechat: MockWeChat, tmp_path: Path) -> None:
    """A quiet account was a WARNING, and cron's mail, at every run for as long as it stayed
    quiet (a merged or abandoned account: every day, for ever); the deletions alarm warns
    once. Said once now, at INFO after; a new article ends the spell, and the next one warns."""
    site = Site(wechat)
    arts = site.serve([Art(str(2247430000 + day), days_ago=days) for day, days in enumerate((50, 45, 40))])
    album = site.album("3104", arts)
    accounts = tmp_path / "accounts.toml"
    accounts.write_text(f'[[account]]\nname = "甲"\nalbums = ["{album}"]\n', encoding="utf-8")
    settings = {"ACCOUNTS_FILE": str(accounts), "WATCH_PER_RUN": "0", "LOG_LEVEL": "WARNING",
                "ALBUM_RECHECK_DAYS": "0"}
    archive = tmp_path / "archive"
    alarm = r"WARNING: No new article from 甲 for 40 days"
    first = crawl("accounts", archive, settings=settings)
    assert first.returncode == 0 and re.search(alarm, first.stderr), first.stderr
    second = crawl("accounts", archive, settings=settings)
    assert second.returncode == 0, second.stderr
    assert second.stderr.strip() == "", second.stderr  # a run that went well says nothing
    site.albums["3104"] = arts + site.serve([Art("2247430009", days_ago=35)])
    third = crawl("accounts", archive, settings=settings)
    assert third.returncode == 0 and re.search(r"WARNING: No new article from 甲 for 35 days",
                                               third.stderr), third.stderr


def test_the_report_counts_the_articles_known_and_not_archived(wechat: MockWeChat,
                                                               tmp_path: Path) -> None:
    """Articles the index knows of an account and has no post of: an album's members a
    stopped run did not get to (here: pages that failed), an article only a link without
    chksm leads to that WeChat refused (it waits for an album's link, maybe for ever). The
    account's line said only '2 archived', run after run, as if that were all of it."""
    site = Site(wechat, refuse_without_chksm=True)
    hidden = Art("2247497103")  # in no album: only the entry's link leads to it
    entry = Art("2247497101", albums=("3501",), links=(site.body_link(hidden),))
    member, failing = Art("2247497102", albums=("3501",)), Art("2247497104", albums=("3501",))
    site.serve([entry, member, failing, hidden])
    site.album("3501", [failing, member, entry])
    site.pages[failing.path] = Route(503, "text/plain", b"busy")
    accounts = tmp_path / "accounts.toml"
    accounts.write_text(f'[[account]]\nname = "甲"\nurls = ["{site.link(entry)}"]\n',
                        encoding="utf-8")
    archive = tmp_path / "archive"
    run = crawl("accounts", archive, settings={"ACCOUNTS_FILE": str(accounts),
                                               "WECHAT_BASE_URL": wechat.base})
    assert "account 甲: 2 archived, 2 known not archived, 1 album known" in run.stderr, run.stderr
    report = scrapy("accounts-report", archive, f"ACCOUNTS_FILE={accounts}")
    assert report.stdout.startswith("甲: 2 archived, 2 known not archived, 1 album known"), \
        report.stdout


def test_an_account_of_the_file_no_run_has_fetched_a_page_of_is_named_once(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """An album crawled by hand, then the account put in the accounts file by a short link
    no run has fetched yet (pages before 2025 state none): ``accounts-report`` named the
    account twice, from the file ("biz unknown yet") and from its posts ("not in the
    accounts file"), until the next ``crawl accounts``. The file names an account as its
    posts attribute it: one line, its posts counted."""
    site = Site(wechat)
    arts = site.serve([Art("2247497301"), Art("2247497302")])
    entry = Art("2247497303", token="NotFetchedYet")
    site.article(entry)
    archive = tmp_path / "archive"
    assert crawl("album", archive, "-a", f"url={site.album('3050', arts)}").returncode == 0
    accounts = tmp_path / "accounts.toml"
    accounts.write_text(f'[[account]]\nname = "{site.account}"\nurls = ["{site.short(entry)}"]\n'
                        f'[[account]]\nname = "乙"\nurls = ["{site.server.base}/s/OfNoPostYet"]\n',
                        encoding="utf-8")
    report = scrapy("accounts-report", archive, f"ACCOUNTS_FILE={accounts}")
    assert report.returncode == 0, report.stderr
    lines = report.stdout.splitlines()
    assert [line.split(":", 1)[0] for line in lines[:-1]] == [site.account, "乙"], report.stdout
    assert lines[0].startswith(f"{site.account}: 2 archived, 1 album known"), report.stdout
    assert "not in the accounts file" not in report.stdout, report.stdout
    assert lines[1] == "乙: biz unknown yet (no page of it fetched)", report.stdout
    assert lines[-1].startswith("accounts-report: 2 accounts, "), report.stdout


def test_an_account_of_the_file_whose_name_two_archived_accounts_bear_is_neither_of_them() -> None:
    """The accounts file names an account whose ``__biz`` no run has learned: the one account
    its posts attribute to that name is it; two of one name (two centres of one city), and
    neither is sure to be it: each keeps a line of its own, none of its posts counted as
    the file's account's."""
    listed = [("甲", ""), ("乙", ""), ("丙", "BIZ_C")]
    others = [("甲", "BIZ_A1"), ("甲", "BIZ_A2"), ("乙", "BIZ_B"), ("丁", "BIZ_D")]
    assert named_by_posts(listed, others) == (
        [("甲", ""), ("乙", "BIZ_B"), ("丙", "BIZ_C")],
        [("甲", "BIZ_A1"), ("甲", "BIZ_A2"), ("丁", "BIZ_D")])

"""An archive lived with from cron: ``scrapy crawl accounts`` at ``LOG_LEVEL=WARNING`` once a
simulated day against the stand-in WeChat, while the account publishes, edits, deletes,
reorders its album and renames itself, WeChat blocks, the network and the disk fail, and a
person edits the posts by hand; the blog is built with Jekyll every day.

A day passes by moving the index's times a day back (the checks of the watch, the albums'
reads), as the team's tests make an article due again. After each day: the exit status and
the WARNING and ERROR lines are what the day deserves, every article is one post, no post
is worse than it was, the blog builds and ``scrapy verify`` finds the archive sound.
"""

from __future__ import annotations

import errno
import itertools
import os
import re
import shutil
import sqlite3
import subprocess
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml

from crawler.store import index as index_module
from tests.conftest import PAGES, PROJECT, crawl, crawl_options, jekyll_build, scrapy_command
from tests.inprocess import Crawled
from tests.mockserver import Gate, MockWeChat, Route
from tests.site import VERIFICATION, Art, Site, png

DAY = 86400


def said(result: Crawled) -> list[str]:
    """The WARNING and ERROR lines of a run but its summary, each from its level on."""
    return [line.split("] ", 1)[1] for line in result.stderr.splitlines()
            if re.search(r"\] (WARNING|ERROR): ", line) and "Run summary" not in line]


def summed_up(result: Crawled) -> bool:
    """Whether the run's summary is in the mail (a WARNING)."""
    return "WARNING: Run summary" in result.stderr


def front(text: str) -> dict[str, object]:
    loaded = yaml.safe_load(text.split("---\n")[1])
    assert isinstance(loaded, dict)
    return loaded


class Life:
    """One archive, its accounts file of one account and the days it lives through."""

    def __init__(self, site: Site, tmp_path: Path, entry: Art):
        self.site, self.tmp = site, tmp_path
        self.archive = tmp_path / "archive"
        accounts = tmp_path / "accounts.toml"
        accounts.write_text(f'[[account]]\nname = "甲"\nurls = ["{site.short(entry)}"]\n', encoding="utf-8")
        self.settings = {"ACCOUNTS_FILE": str(accounts), "LOG_LEVEL": "WARNING", "ALBUM_PAGE_SIZE": "3",
                         "WECHAT_BASE_URL": site.server.base}
        self.day = 0
        self.kept: dict[str, str] = {}  # each article's post as it was, by its URL

    def live(self, status: int = 0) -> Crawled:
        """A day: the run from cron, then the checks every day deserves."""
        self.next_day()
        result = crawl("accounts", self.archive, settings=self.settings)
        assert result.returncode == status, f"day {self.day}:\n{result.stderr}"
        return result

    def next_day(self) -> None:
        self.day += 1
        if (self.archive / ".state" / "index.sqlite").exists():
            self.pass_a_day()

    def pass_a_day(self) -> None:
        def back(stamp: str | None) -> str | None:
            return None if stamp is None else (datetime.fromisoformat(stamp) - timedelta(days=1)).isoformat()

        with sqlite3.connect(self.archive / ".state" / "index.sqlite") as db:
            db.execute("UPDATE watch SET checked = checked - ?", (DAY,))
            db.execute("UPDATE watch_events SET at = at - ?", (DAY,))
            db.execute("UPDATE image_failures SET first = first - ?, said = said - ?", (DAY, DAY))
            for album, last, whole in db.execute("SELECT album_id, last_read, read_whole FROM albums").fetchall():
                db.execute("UPDATE albums SET last_read = ?, read_whole = ? WHERE album_id = ?",
                           (back(last), back(whole), album))

    def posts(self) -> dict[str, str]:
        """Every post, by its article's URL; each article once."""
        found: dict[str, str] = {}
        for path in sorted((self.archive / "_posts").rglob("*.md")):
            text = path.read_text(encoding="utf-8")
            if "wechat" not in front(text):
                continue  # the blog's own
            url = front(text)["wechat"]["url"]  # type: ignore[index]
            assert url not in found, f"day {self.day}: two posts of {url}"
            found[url] = text
        return found

    def check(self) -> dict[str, str]:
        """The archive after a day: one post an article, none worse, sound, and it builds."""
        posts = self.posts()
        with sqlite3.connect(self.archive / ".state" / "index.sqlite") as db:
            archived = {url for (url,) in db.execute(
                "SELECT url FROM articles WHERE state IN ('archived', 'incomplete', 'deleted', 'violation', "
                "'gone_incomplete') "
                "AND path != ''")}  # an article deleted before it was had has no post
        assert set(posts) == archived, f"day {self.day}"
        for url, before in self.kept.items():
            if url in posts:
                now = posts[url]
                assert now.count("/postimg/") >= before.count("/postimg/"), f"day {self.day}: {url}"
                assert len(unmarked(now)) >= len(unmarked(before)) * 0.9, f"day {self.day}: {url}\n{before}\n{now}"
        self.kept.update(posts)
        verified = scrapy_command("verify", self.archive)
        assert verified.returncode == 0, f"day {self.day}:\n{verified.stdout}{verified.stderr}"
        assert "incomplete" not in verified.stdout, verified.stdout
        out, log = jekyll_build(self.archive, self.tmp / f"day{self.day}")
        assert "warn" not in log.lower(), log
        built = list(out.rglob("*.html"))
        assert len(built) == len(list((self.archive / "_posts").rglob("*.md"))), f"day {self.day}"
        return posts

    def recovers(self, art: Art) -> None:
        """The day after a bad one: a quiet run, and ``art``, not had then, is archived."""
        result = self.live()
        assert (said(result), summed_up(result)) == ([], False), result.stderr
        assert self.archived(art)
        self.check()

    def archived(self, art: Art) -> bool:
        return self._indexed(art, "state") == "archived"

    def has_post(self, art: Art) -> bool:
        return self._indexed(art, "path") not in (None, "")

    def post_path(self, art: Art) -> Path:
        path = self._indexed(art, "path")
        assert path, f"{art.mid} has no post"
        return self.archive / "_posts" / path

    def _indexed(self, art: Art, column: str) -> str | None:
        """``art``'s ``column`` in the index; None before a run made the index (a story
        whose first days the machine is off) or when it holds no such article."""
        index = self.archive / ".state" / "index.sqlite"
        if not index.exists():
            return None
        with sqlite3.connect(index) as db:
            row = db.execute(f"SELECT {column} FROM articles WHERE key = ?",
                             (f"{art.biz}:{art.mid}:{art.idx}",)).fetchone()
        return None if row is None else str(row[0])


def unmarked(post: str) -> str:
    """``post`` without what the watch says of its original (its keys, the reader's line),
    which goes when a deleted original comes back."""
    return re.sub(r"^ +(status|gone_since|updated|versions): .*\n|^\*原文已于 .*\*\n\n?", "", post, flags=re.MULTILINE)


def answer(name: str) -> Route:
    return Route(200, "text/html; charset=utf-8", (PAGES / name).read_bytes())


@pytest.fixture
def site(wechat: MockWeChat) -> Site:
    return Site(wechat)


def no_space_left(fd: int, data: bytes) -> int:
    """``os.write`` on a full disk."""
    raise OSError(errno.ENOSPC, "No space left on device")


def first_day(site: Site, tmp_path: Path, first: int, album_id: str, count: int) -> tuple[Life, list[Art]]:
    """An account of ``count`` articles (ids from ``first``, one a day) and its entry, all in
    album ``album_id``, archived by a quiet first run: its life and the ``count`` articles."""
    arts = [Art(str(first + n), albums=(album_id,), days_ago=2 * count - n) for n in range(count)]
    entry = Art(str(first + 10), albums=(album_id,), token=f"Entry{album_id}", days_ago=1)
    site.serve([*arts, entry])
    site.album(album_id, [*arts, entry])
    life = Life(site, tmp_path, entry)
    result = life.live()
    assert (said(result), summed_up(result)) == ([], False), result.stderr
    assert len(life.check()) == count + 1
    return life, arts


def test_three_weeks_of_cron(site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    life, album = first_day(site, tmp_path, 2247510000, "4001", 5)  # day 1

    # Day 2: nothing happened.
    before = dict(life.kept)
    quiet = life.live()
    assert (said(quiet), summed_up(quiet)) == ([], False), quiet.stderr
    assert life.check() == before

    # Day 3: two new articles.
    new = site.serve([Art(str(2247510020 + n), albums=("4001",), days_ago=0) for n in range(2)])
    site.albums["4001"] += new
    result = life.live()
    assert (said(result), summed_up(result)) == ([], False), result.stderr
    assert len(life.check()) == 8

    # Day 4: an article edited upstream: the watch archives the new version.
    site.article(Art(album[2].mid, albums=("4001",), days_ago=8, items=("新加的一条",)))
    result = life.live()
    assert (said(result), summed_up(result)) == ([], False), result.stderr
    edited = life.post_path(album[2]).read_text(encoding="utf-8")
    assert "新加的一条" in edited and "versions: 2" in edited
    life.check()

    # Day 5: one deleted by its publisher: one WARNING, its post marked.
    site.pages[album[1].path] = answer("deleted.html")
    site.albums["4001"].remove(album[1])
    result = life.live()
    assert len(said(result)) == 1 and "deleted by its publisher" in said(result)[0], result.stderr
    assert summed_up(result)
    marked = front(life.post_path(album[1]).read_text(encoding="utf-8"))["wechat"]
    assert marked["status"] == "deleted" and marked["gone_since"]  # type: ignore[index]
    life.check()

    # Day 6: nothing new; the deleted one is said no more.
    result = life.live()
    assert (said(result), summed_up(result)) == ([], False), result.stderr
    life.check()

    # Day 7: the album gains an old article deep inside and loses another there: its first
    # page and count are as they were, so it is read whole only at its weekly recheck.
    old = site.serve([Art("2247509990", albums=("4001",), days_ago=40)])[0]
    site.albums["4001"] = [old, *[a for a in site.albums["4001"] if a != album[0]]]
    for _ in range(7):
        result = life.live()
        assert (said(result), summed_up(result)) == ([], False), result.stderr
        life.check()
        if life.archived(old):
            break
    assert life.archived(old), "the old article added deep in the album was never archived"

    # The account renames itself, and publishes.
    site.account = "测试反诈中心新名"
    for art in {a.path: a for a in site.articles if a != album[1]}.values():
        site.article(art)
    renamed = site.serve([Art("2247510030", albums=("4001",), days_ago=0)])[0]
    site.albums["4001"].append(renamed)
    result = life.live()
    assert (said(result), summed_up(result)) == ([], False), result.stderr
    assert front(life.post_path(renamed).read_text(encoding="utf-8"))["wechat"]["account"] == site.account
    life.check()

    # The maintainer renames the account in the accounts file too: the same account, known again.
    accounts = Path(life.settings["ACCOUNTS_FILE"])
    accounts.write_text(accounts.read_text(encoding="utf-8").replace("甲", site.account), encoding="utf-8")
    result = life.live()
    assert (said(result), summed_up(result)) == ([], False), result.stderr
    assert f"account {site.account}: {len(life.kept)} archived" in crawl(
        "accounts", life.archive, settings={**life.settings, "LOG_LEVEL": "INFO", "WATCH_PER_RUN": "0"}).stderr
    life.check()

    # WeChat blocks one day (its verification page), then recovers.
    blocked = site.serve([Art("2247510040", albums=("4001",), days_ago=0)])[0]
    site.albums["4001"].append(blocked)
    site.server.route("/s", lambda query: VERIFICATION)
    result = life.live(status=1)
    assert any("WeChat is blocking" in line for line in said(result)), result.stderr
    assert summed_up(result)
    life.check()
    site.server.route("/s", site._long_link)
    life.recovers(blocked)

    # The network is down one day, then back.
    offline = site.serve([Art("2247510050", albums=("4001",), days_ago=0)])[0]
    site.albums["4001"].append(offline)
    site.server.down()
    result = life.live(status=1)
    site.server.up()
    assert said(result) and summed_up(result), result.stderr
    life.check()
    life.recovers(offline)

    # The disk is full one day, then has room again.
    full = site.serve([Art("2247510060", albums=("4001",), days_ago=0)])[0]
    site.albums["4001"].append(full)
    site.article(Art(new[0].mid, albums=("4001",), days_ago=0, items=("满盘那天改的",)))
    monkeypatch.setattr(os, "write", no_space_left)
    result = life.live(status=1)
    monkeypatch.undo()
    assert summed_up(result), result.stderr
    # one line a cause, not one a page: each page's capture failed for the one full disk
    assert sum("Capture not written" in line for line in said(result)) == 1, result.stderr
    life.check()
    life.recovers(full)
    text = life.post_path(new[0]).read_text(encoding="utf-8")
    assert "满盘那天改的" in text and "versions: 2" in text, text  # the edit of that day, once

    # A person adds a tag to a post by hand and deletes another; the first is edited upstream.
    tagged, gone = life.post_path(album[3]), life.post_path(album[4])
    tagged.write_text(tagged.read_text(encoding="utf-8").replace("tags:\n", "tags:\n    - 手加\n", 1),
                      encoding="utf-8")
    gone.unlink()
    site.article(Art(album[3].mid, albums=("4001",), days_ago=7, items=("又加的一条",)))
    result = life.live()
    assert (said(result), summed_up(result)) == ([], False), result.stderr
    assert gone.exists()  # the watch brings a post deleted by hand back, as it was
    text = life.post_path(album[3]).read_text(encoding="utf-8")
    assert "又加的一条" in text and "手加" in front(text)["tags"], text
    life.check()

    # A person writes another post's tags as a flow list; its original is then deleted, and
    # the first is edited once more.
    flowed = life.post_path(album[4])
    flowed.write_text(re.sub(r"tags:\n(    - .*\n)+", "tags: [手写, 反诈]\n", flowed.read_text(encoding="utf-8")),
                      encoding="utf-8")
    site.pages[album[4].path] = answer("deleted.html")
    site.article(Art(album[3].mid, albums=("4001",), days_ago=7, items=("又加的一条", "第三版")))
    result = life.live()
    assert len(said(result)) == 1 and "deleted by its publisher" in said(result)[0], result.stderr
    text = flowed.read_text(encoding="utf-8")
    assert front(text)["tags"] == ["手写", "反诈"] and "status: deleted" in text, text
    text = life.post_path(album[3]).read_text(encoding="utf-8")
    assert "第三版" in text and "versions: 3" in text and "手加" in front(text)["tags"], text
    life.check()
    # Its captures, one a day the watch came, say the two edits; the report what the watch saw.
    listed = scrapy_command("versions", life.archive, site.link(album[3]).replace("&amp;", "&"))
    changes = [line for line in listed.stdout.splitlines() if "no change a reader sees" not in line]
    assert [line.split("UTC  ")[1] for line in changes] == [
        "first capture", "+6 -0 characters, +0 -0 images", "+4 -0 characters, +0 -0 images"], listed.stdout
    report = scrapy_command("accounts-report", life.archive, "-s", f"ACCOUNTS_FILE={life.settings['ACCOUNTS_FILE']}")
    assert f"{site.account}: {len(life.kept)} archived" in report.stdout, report.stdout
    assert "originals 2 deleted, 3 edited" in report.stdout, report.stdout
    result = life.live()
    assert (said(result), summed_up(result)) == ([], False), result.stderr
    life.check()


def cron(srv: Path, base: str) -> subprocess.CompletedProcess[str]:
    """The README's cron line, run in ``srv`` (an install: scrapy.cfg, .venv, accounts.toml),
    with the stand-in's hosts and no politeness; what it prints is what cron mails."""
    options = " ".join(f"-s {name}={value}" for name, value in crawl_options(Path("archive"), {
        "WECHAT_BASE_URL": base}).items())
    line = (f"cd {srv} && mkdir -p logs && bash -o pipefail -c '.venv/bin/scrapy crawl accounts "
            f"-s LOG_LEVEL=WARNING {options} 2>&1 | tee -a logs/crawl.log'")
    cron_env = {"PATH": "/usr/bin:/bin", "HOME": str(srv), "SHELL": "/bin/sh", "LOGNAME": "archive"}  # no LANG
    return subprocess.run(["/bin/sh", "-c", line], capture_output=True, text=True, encoding="utf-8",
                          timeout=300, env=cron_env)


def test_the_cron_line_mails_only_the_bad_day_and_tells_cron(site: Site, tmp_path: Path) -> None:
    """The README's own line, through ``tee`` and ``pipefail``: a quiet day mails nothing and
    exits 0, the day WeChat blocks mails its lines and exits 1, the next day is quiet again;
    ``logs/crawl.log`` keeps what was mailed."""
    srv = tmp_path / "srv"
    srv.mkdir()
    shutil.copy(PROJECT / "scrapy.cfg", srv)
    (srv / ".venv").symlink_to(PROJECT / ".venv")
    entry = Art("2247511010", albums=("4101",), token="Entry4101", days_ago=1)
    site.serve([entry])
    site.album("4101", [entry])
    life = Life(site, srv, entry)
    life.archive = srv / "archive"

    life.next_day()
    first = cron(srv, site.server.base)
    assert (first.returncode, first.stdout) == (0, ""), first.stdout + first.stderr
    assert len(life.check()) == 1

    life.next_day()
    blocked = site.serve([Art("2247511011", albums=("4101",), days_ago=0)])[0]
    site.albums["4101"].append(blocked)
    site.server.route("/s", lambda query: VERIFICATION)
    bad = cron(srv, site.server.base)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "ERROR: Exit status 1: the run was cut short: WeChat is blocking" in bad.stdout, bad.stdout
    assert (srv / "logs" / "crawl.log").read_text(encoding="utf-8") == bad.stdout

    life.next_day()
    site.server.route("/s", site._long_link)
    good = cron(srv, site.server.base)
    assert (good.returncode, good.stdout) == (0, ""), good.stdout + good.stderr
    assert (srv / "logs" / "crawl.log").read_text(encoding="utf-8") == bad.stdout
    assert life.archived(blocked)
    life.check()


def gateway_error(query: str) -> Route:
    return Route(502, "text/html", b"Bad Gateway")


def too_many(query: str) -> Route:
    return Route(429, "text/plain", b"slow down")


@pytest.mark.parametrize("trouble", ["slow", "502", "album-502", "429"])
def test_a_day_of_trouble_at_wechat_then_a_good_one(site: Site, tmp_path: Path, trouble: str) -> None:
    """WeChat too slow to answer, answering 502, or 429 (a block), for a day: the mail says so in a few
    lines, cron hears it failed, and the next day archives what that day could not, quietly."""
    life, _ = first_day(site, tmp_path, 2247512000, "4201", 4)
    new = site.serve([Art(str(2247512020 + n), albums=("4201",), days_ago=0) for n in range(3)])
    site.albums["4201"] += new
    if trouble == "slow":
        site.server.latency = 1.5
        life.settings["DOWNLOAD_TIMEOUT"] = "1"
    elif trouble == "429":
        site.server.route("/s", too_many)
        site.server.route("/mp/appmsgalbum", too_many)
    else:
        site.server.route("/s", gateway_error)
        if trouble == "album-502":
            site.server.route("/mp/appmsgalbum", gateway_error)
    result = life.live(status=1)
    assert summed_up(result) and len(said(result)) <= 4, result.stderr  # 429: two retries said
    life.check()

    site.server.latency = 0
    life.settings.pop("DOWNLOAD_TIMEOUT", None)
    site.server.route("/s", site._long_link)
    site.server.route("/mp/appmsgalbum", site._album_json)
    life.recovers(new[0])
    assert all(life.archived(art) for art in new)


def test_deletions_day_after_day_raise_the_alarm_once(site: Site, tmp_path: Path) -> None:
    """An account deleting an original a day: one line a deletion, and the alarm from the
    third within a week on, with each run that sees one more; the days after are quiet."""
    life, arts = first_day(site, tmp_path, 2247513000, "4301", 5)
    for day, art in enumerate(arts[:4]):
        site.pages[art.path] = answer("deleted.html")
        result = life.live()
        lines = said(result)
        assert sum("deleted by its publisher" in line for line in lines) == 1, result.stderr
        assert sum("within 7 days" in line for line in lines) == (day >= 2), result.stderr
        life.check()
    for _ in range(2):
        result = life.live()
        assert (said(result), summed_up(result)) == ([], False), result.stderr


def test_an_image_the_cdn_fails_for_nine_days(site: Site, tmp_path: Path) -> None:
    """A new article whose picture the CDN answers 503 nine days running: a line the first
    day and the eighth (``IMAGE_RETRY_WARN_DAYS``, 7, after; the article is tried again each
    day, quietly between), then stored the tenth day, quietly, the post complete. It was a
    line every day."""
    life, _ = first_day(site, tmp_path, 2247514000, "4401", 2)
    new = site.serve([Art("2247514020", albums=("4401",), days_ago=0)])[0]
    site.albums["4401"].append(new)
    image = f"/mmbiz_png/Img{new.mid}x1/640"
    site.server.image(image, b"busy", status=503)
    for day in range(9):
        asked = len(site.server.hits(image))
        result = life.live()
        assert len(site.server.hits(image)) > asked  # tried again
        if day in (0, 7):
            [line] = said(result)
            assert line.startswith("WARNING: Images not stored") and summed_up(result), result.stderr
            assert line.endswith("(HTTP 503; failing for 7 days)" if day else "(HTTP 503)"), line
        else:
            assert (said(result), summed_up(result)) == ([], False), result.stderr
        assert life.post_path(new).read_text(encoding="utf-8").count("/postimg/") == 1  # the footer
    site.article(new)
    result = life.live()
    assert (said(result), summed_up(result)) == ([], False), result.stderr
    assert life.post_path(new).read_text(encoding="utf-8").count("/postimg/") == 2
    life.check()


def test_posts_deleted_by_hand_one_of_them_also_upstream(site: Site, tmp_path: Path) -> None:
    """A person deletes the post of an old article another post links to, and the post of a
    young one, whose original is deleted the same day: the run said "the post stays, marked
    as deleted" of a post that was not there. It says the post is missing and how to have it
    back; ``scrapy rebuild`` restores both, the second marked, and the blog builds again."""
    old = site.serve([Art("2247515001", days_ago=60)])[0]
    young = site.serve([Art("2247515002", albums=("4501",), days_ago=3)])[0]
    entry = Art("2247515010", albums=("4501",), token="Entry4501", days_ago=1, links=(site.body_link(old),))
    site.serve([entry])
    site.album("4501", [young, entry])
    life = Life(site, tmp_path, entry)
    result = life.live()
    assert (said(result), summed_up(result)) == ([], False), result.stderr
    assert "{% post_url" in life.post_path(entry).read_text(encoding="utf-8")
    life.check()
    life.post_path(old).unlink()
    life.post_path(young).unlink()
    site.pages[young.path] = answer("deleted.html")
    result = life.live()
    [line] = said(result)
    assert re.search(r"WARNING: The original of \S+ is deleted by its publisher, and its post is missing "
                     r"\(deleted by hand\?\): scrapy rebuild restores it, marked as deleted \(", line), line
    rebuilt = scrapy_command("rebuild", life.archive)
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    assert "status: deleted" in life.post_path(young).read_text(encoding="utf-8")
    life.check()


def test_the_accounts_one_link_deleted_upstream(site: Site, tmp_path: Path) -> None:
    """The article the accounts file names is deleted by its publisher: one line that day,
    then quiet days on which the account's new articles are still found, through its album."""
    life, _ = first_day(site, tmp_path, 2247516000, "4601", 2)
    entry = next(art for art in site.articles if art.token)
    deleted = answer("deleted.html")
    site.pages[entry.path] = deleted
    site.server.route(f"/s/{entry.token}", deleted)
    site.albums["4601"].remove(entry)
    result = life.live()
    assert len(said(result)) == 1 and "deleted by its publisher" in said(result)[0], result.stderr
    life.check()
    for n in range(2):
        new = site.serve([Art(str(2247516020 + n), albums=("4601",), days_ago=0)])[0]
        site.albums["4601"].append(new)
        result = life.live()
        assert (said(result), summed_up(result)) == ([], False), result.stderr
        assert life.archived(new)
        life.check()


def test_the_blog_checkout_as_the_archive_loses_its_index(site: Site, tmp_path: Path) -> None:
    """ARCHIVE_DIR is the blog's checkout, with a post of the blog's own; one day its
    ``.state`` is lost (a fresh clone): the run after rebuilds the index from the posts,
    fetches no archived article again, still finds the new ones, and says nothing in the mail."""
    life, arts = first_day(site, tmp_path, 2247517000, "4701", 3)
    own = life.archive / "_posts" / "2020-01-01-hello.md"
    own.write_text("---\nlayout: post\ntitle: 你好\n---\n博客自己的文章。\n", encoding="utf-8")
    site.pages[arts[0].path] = answer("deleted.html")
    result = life.live()
    assert len(said(result)) == 1, result.stderr
    life.check()
    shutil.rmtree(life.archive / ".state")
    new = site.serve([Art("2247517020", albums=("4701",), days_ago=0)])[0]
    site.albums["4701"].append(new)
    result = life.live()
    assert (said(result), summed_up(result)) == ([], False), result.stderr
    assert life.archived(new)
    assert result.stats["posts/new"] == 1 and "posts/updated" not in result.stats, result.stats
    assert "status: deleted" in life.post_path(arts[0]).read_text(encoding="utf-8")
    assert own.read_text(encoding="utf-8").endswith("博客自己的文章。\n")
    life.check()



def test_the_network_lost_in_the_middle_of_a_run(site: Site, tmp_path: Path) -> None:
    """The network goes down after the run's second article page: what was had is kept, the
    rest is one line (its first page, for the one cause) and the summary, the run did what it
    could (exit status 0: not every request failed), and the next day archives the rest, quietly."""
    life, _ = first_day(site, tmp_path, 2247519000, "4901", 2)
    new = site.serve([Art(str(2247519020 + n), albums=("4901",), days_ago=0) for n in range(5)])
    site.albums["4901"] += new
    gate = Gate(2)
    site.server.before_answer = gate.before_answer

    def cut() -> None:
        gate.wait()
        site.server.down()
        gate.open()

    cutter = threading.Thread(target=cut)
    cutter.start()
    result = life.live()
    cutter.join()
    site.server.before_answer = lambda path: None
    site.server.up()
    assert len(said(result)) == 1 and "could not" in said(result)[0], result.stderr
    assert summed_up(result) and "READ IN PART" in result.stderr, result.stderr
    life.check()
    life.recovers(new[-1])
    assert all(life.archived(art) for art in new)


@pytest.mark.parametrize("edit, kept", [
    (lambda tags: tags.replace("合集5001", "冒充客服"), ["合集5001", "冒充客服"]),
    (lambda tags: "tags: 手加\n", ["合集5001", "手加"]),
    (lambda tags: "tags: []\n", ["合集5001"]),
    (lambda tags: tags.replace("tags:\n", 'tags:\n    - "案例: 手加"\n'), ["合集5001", "案例: 手加"]),
    (lambda tags: "tags: [手加, 合集5001]\n", ["合集5001", "手加"]),
], ids=["renamed", "a-string", "emptied", "quoted", "flow"])
def test_tags_a_person_edited_then_an_edit_upstream(site: Site, tmp_path: Path, edit: Callable[[str], str],
                                                    kept: list[str]) -> None:
    """A person edits a post's tags by hand; the routine watch of the next day (the page
    unchanged) and the original's edit after keep the tags the person added, in the
    contract's order, and work the tool's own out again (the album's, as ``scrapy rebuild``
    does: a tool's tag a person took out comes back)."""
    life, arts = first_day(site, tmp_path, 2247520000, "5001", 1)
    path = life.post_path(arts[0])
    text = path.read_text(encoding="utf-8")
    assert "tags:\n    - 合集5001\nwechat:" in text
    path.write_text(text.replace("tags:\n    - 合集5001\n", edit("tags:\n    - 合集5001\n")), encoding="utf-8")
    result = life.live()
    assert (said(result), summed_up(result)) == ([], False), result.stderr
    assert front(path.read_text(encoding="utf-8"))["tags"] == kept
    life.kept.clear()
    life.check()
    site.article(Art(arts[0].mid, albums=("5001",), days_ago=2, items=("上游改了",)))
    result = life.live()
    assert (said(result), summed_up(result)) == ([], False), result.stderr
    now = path.read_text(encoding="utf-8")
    assert "上游改了" in now and "versions: 2" in now, now
    assert front(now)["tags"] == kept
    life.check()


@pytest.mark.parametrize("trouble", ["blocked", "offline"])
def test_new_articles_beyond_an_albums_first_page_on_a_bad_day(site: Site, tmp_path: Path, trouble: str) -> None:
    """Five new articles in a day, more than the album's first page holds, on a day WeChat
    blocks the article pages (or the network goes down once the first page is read): the
    next day archives all five, not only those of the first page."""
    life, _ = first_day(site, tmp_path, 2247522000, "5201", 4)
    new = site.serve([Art(str(2247522020 + n), albums=("5201",), days_ago=0) for n in range(5)])
    site.albums["5201"] += new
    listing = site._album_json

    def first_page_then_down(query: str) -> Route:
        answer = listing(query)
        site.server.is_down = True
        return answer

    if trouble == "blocked":
        site.server.route("/s", lambda query: VERIFICATION)
    else:
        site.server.route("/mp/appmsgalbum", first_page_then_down)
    life.live(status=1)
    site.server.is_down = False
    site.server.route("/s", site._long_link)
    site.server.route("/mp/appmsgalbum", listing)
    life.recovers(new[0])
    assert [art.mid for art in new if not life.archived(art)] == []


def test_an_article_deleted_and_published_again_the_same_day(site: Site, tmp_path: Path) -> None:
    """The account deletes an article to mend a typo and publishes it again, same title, same
    day: two posts (the first marked deleted), two pages of the blog, both sound."""
    life, arts = first_day(site, tmp_path, 2247523000, "5301", 2)
    first = Art("2247523030", title="关于防范冒充客服诈骗的提示", albums=("5301",), days_ago=0)
    site.serve([first])
    site.albums["5301"].append(first)
    result = life.live()
    assert (said(result), summed_up(result)) == ([], False), result.stderr
    life.check()
    again = Art("2247523031", title=first.title, albums=("5301",), days_ago=0, items=("改正了错字",))
    site.serve([again])
    site.pages[first.path] = answer("deleted.html")
    site.albums["5301"] = [*site.albums["5301"][:-1], again]
    result = life.live()
    assert len(said(result)) == 1 and "deleted by its publisher" in said(result)[0], result.stderr
    assert life.post_path(first) != life.post_path(again)
    assert "status: deleted" in life.post_path(first).read_text(encoding="utf-8")
    assert "改正了错字" in life.post_path(again).read_text(encoding="utf-8")
    life.check()


def test_an_original_deleted_on_the_day_the_disk_is_full(site: Site, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The watch finds an original deleted while its post cannot be marked: the mail says
    so and cron hears it; the next day marks the post, quietly."""
    life, arts = first_day(site, tmp_path, 2247524000, "5401", 2)
    site.pages[arts[0].path] = answer("deleted.html")
    monkeypatch.setattr(os, "write", no_space_left)
    result = life.live(status=1)
    monkeypatch.undo()
    assert any("deleted by its publisher" in line for line in said(result)), result.stderr
    assert "status: deleted" not in life.post_path(arts[0]).read_text(encoding="utf-8")
    result = life.live()
    assert (said(result), summed_up(result)) == ([], False), result.stderr
    assert "status: deleted" in life.post_path(arts[0]).read_text(encoding="utf-8")
    life.check()


@pytest.mark.parametrize("full", ["files", "index", "read-only"])
def test_a_disk_that_fills_up_as_the_account_publishes(site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       full: str) -> None:
    """The disk fills up as the run fetches the first article page of a day the account
    published four: each page's image and post failed alike, and each said so at ERROR
    (and each record of the index: an album's nine times), dozens of lines a mail for one
    cause (or is remounted read-only after an error: each refusal names its own temporary
    file). One ERROR line a cause and kind of write; the summary counts them all. The
    first refusal stops the run (``ArchiveStop``, one ERROR line more): what it had not
    asked of WeChat yet is left for the next day, which archives the four, quietly."""
    life, _ = first_day(site, tmp_path, 2247525000, "5501", 2)
    new = site.serve([Art(str(2247525020 + n), albums=("5501",), days_ago=0) for n in range(4)])
    site.albums["5501"] += new
    filled: list[str] = []
    site.server.before_answer = lambda path: filled.append(path) if path.startswith("/s?") else None
    if full == "files":
        def no_space(fd: int, data: bytes) -> int:
            if filled:
                raise OSError(errno.ENOSPC, "No space left on device")
            return real_write(fd, data)

        real_write = os.write
        monkeypatch.setattr(os, "write", no_space)
    elif full == "read-only":
        def read_only(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:  # a temporary file made
            if filled and flags & os.O_EXCL and str(path).endswith(".tmp"):
                raise OSError(errno.EROFS, "Read-only file system", str(path))
            return real_open(path, flags, *args, **kwargs)

        real_open = os.open
        monkeypatch.setattr(os, "open", read_only)
    else:
        execute = index_module._Connection.execute

        def index_full(db: sqlite3.Connection, sql: str, parameters: object = (), /) -> sqlite3.Cursor:
            if filled and sql.split()[0].upper() in ("INSERT", "UPDATE", "DELETE", "REPLACE"):
                raise sqlite3.OperationalError("database or disk is full")
            return execute(db, sql, parameters)  # type: ignore[arg-type]

        monkeypatch.setattr(index_module._Connection, "execute", index_full)
    result = life.live(status=1)
    monkeypatch.undo()
    site.server.before_answer = lambda path: None
    errors = [line for line in said(result) if line.startswith("ERROR")]
    kinds = [line.split(": ")[1].split(" for ")[0] for line in errors]  # "Not recorded for …"
    assert len(kinds) == len(set(kinds)) and len(errors) <= 5, result.stderr
    assert {"Not archived", "Stopping", "Exit status 1"} <= set(kinds), result.stderr
    assert "Run summary (archive_refused): " in result.stderr, result.stderr
    life.check()
    life.recovers(new[0])
    assert all(life.archived(art) for art in new)


def test_a_feed_that_also_lists_what_is_not_an_article(site: Site, tmp_path: Path) -> None:
    """A feed of the account's articles that also lists a page off the article hosts (a
    bridge's own notice): the same WARNING line came in the mail every day the feed still
    listed it, for nothing lost and nothing to do; the summary counts it. A feed that lists
    nothing on the article hosts (a bridge linking to its own copies) yields no article:
    that is said, in one line, every day it stays so."""
    arts = site.serve([Art(str(2247526000 + n), token=f"Feed{n}", days_ago=3 - n) for n in range(2)])
    notices = ["https://example.com/notice/1", "https://example.com/notice/2"]

    def feed(links: list[str]) -> None:
        items = "".join(f"<item><title>t</title><link>{link}</link></item>" for link in links)
        xml = f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'
        site.server.route("/feed.xml", Route(200, "application/rss+xml", xml.encode()))

    feed([*(site.link(art) for art in arts), *notices])
    life = Life(site, tmp_path, arts[0])
    accounts = Path(life.settings["ACCOUNTS_FILE"])
    accounts.write_text(accounts.read_text(encoding="utf-8") + f'feeds = ["{site.server.base}/feed.xml"]\n',
                        encoding="utf-8")
    for _ in range(2):
        result = life.live()
        assert (said(result), summed_up(result)) == ([], False), result.stderr
        assert all(life.archived(art) for art in arts)
    life.check()
    feed(notices)
    for _ in range(2):
        result = life.live()
        [line] = said(result)
        assert re.search(r"WARNING: Not fetched: feed:\S+/feed.xml lists 'https://example.com/notice/1', not on an "
                         r"article host", line), result.stderr


def test_a_block_that_passes_when_the_page_is_asked_again(site: Site, tmp_path: Path) -> None:
    """WeChat answers one page of the day with its verification page, then the page itself
    when it is asked again after the pause: everything is archived, and the mail said
    "Blocked …; asking again in 60 s" with a summary of a day that went well, nothing to do."""
    life, _ = first_day(site, tmp_path, 2247527000, "5701", 2)
    new = site.serve([Art(str(2247527020 + n), albums=("5701",), days_ago=0) for n in range(3)])
    site.albums["5701"] += new
    asked = itertools.count(1)
    site.server.route("/s", lambda query: VERIFICATION if next(asked) == 2 else site._long_link(query))
    result = life.live()
    assert (said(result), summed_up(result)) == ([], False), result.stderr
    assert all(life.archived(art) for art in new)
    assert result.stats["blocks/detected"] == 1, result.stats
    life.check()


def test_an_image_gone_for_good_beside_one_the_cdn_fails_for_a_day(site: Site, tmp_path: Path) -> None:
    """A new article shows two pictures: the CDN answers 503 for one for a day, and 404 for
    the other for good. The mail tells both that day; the next, the first is stored and the
    post complete, and the mail told the 404 again, for nothing new and nothing to do."""
    life, _ = first_day(site, tmp_path, 2247528000, "5801", 2)
    new = site.serve([Art("2247528020", albums=("5801",), days_ago=0)])[0]
    site.albums["5801"].append(new)
    page = site.pages[new.path]
    assert isinstance(page, Route)
    site.pages[new.path] = Route(200, page.content_type, page.body.replace(b"SharedFooter", b"GoneForGood"))
    site.server.image("/mmbiz_png/GoneForGood/640", b"gone", status=404)
    own = f"/mmbiz_png/Img{new.mid}x1/640"
    site.server.image(own, b"busy", status=503)
    result = life.live()
    [line] = said(result)
    assert "Images not stored" in line and "2 of 2" in line and summed_up(result), result.stderr
    site.server.image(own, png((1, 2, 3)))
    result = life.live()
    assert (said(result), summed_up(result)) == ([], False), result.stderr
    text = life.post_path(new).read_text(encoding="utf-8")
    assert text.count("/postimg/") == 1 and "GoneForGood" in text, text
    life.check()


@pytest.mark.parametrize("relisted", [False, True])
def test_an_article_deleted_before_it_was_archived_whose_page_answers_again(
        site: Site, tmp_path: Path, relisted: bool) -> None:
    """An article a new one links (往期推荐) answered deleted the day it was first asked for,
    then its page answered again (its publisher restored it, or WeChat's deleted page was a
    mistake), its album listing it again or not (nobody knows): it was known as deleted and
    never asked again, lost without a word. Now the watch asks for it as for an old archived
    article, once a week: archived within the week, without a word; its album listing it
    again (WeChat drops a deleted article from its albums) has it archived by the run that
    reads the album, where it waited for the watch's turn."""
    life, _ = first_day(site, tmp_path, 2247524000, "5401", 2)
    lost = Art("2247524030", albums=("5401",), days_ago=0)
    head = Art("2247524031", albums=("5401",), days_ago=0, links=(site.body_link(lost),))
    site.serve([lost, head])
    site.pages[lost.path] = answer("deleted.html")
    site.albums["5401"].append(head)
    result = life.live()
    assert [line for line in said(result) if "deleted by its publisher" not in line] == [], result.stderr
    site.article(lost)
    if relisted:
        site.albums["5401"].insert(-1, lost)
    result = life.live()
    assert said(result) == [], result.stderr
    assert life.archived(lost) == relisted, f"day {life.day}"
    for _ in range(5):  # days cron did not run
        life.next_day()
    result = life.live()
    assert said(result) == [], result.stderr
    assert life.archived(lost), f"day {life.day}"
    life.check()


@pytest.mark.parametrize("kept", [False, True])
def test_an_article_an_album_lists_while_its_page_stays_deleted(
        site: Site, tmp_path: Path, kept: bool) -> None:
    """An article answered deleted before it was archived, which its album keeps listing
    (should WeChat keep deleted members) or drops and then lists again while its page stays
    deleted (nobody knows either): its page is asked when the album lists it anew, once
    that run, and otherwise only at the watch's weekly turn, not at every read of the album."""
    life, _ = first_day(site, tmp_path, 2247525000, "5501", 2)
    lost = Art("2247525030", albums=("5501",), days_ago=0)
    site.serve([lost])
    site.pages[lost.path] = answer("deleted.html")
    site.albums["5501"].append(lost)
    asked: list[int] = []

    def day() -> None:
        before = len(site.server.hits("/s?"))
        result = life.live()
        news = ["deleted by its publisher"] if not asked else []  # said once, when first found
        assert [line for line in said(result) if not any(word in line for word in news)] == [], result.stderr
        asked.append(sum(f"&mid={lost.mid}&" in path for path, _ in site.server.hits("/s?")[before:]))

    day()  # listed new: asked, deleted
    if not kept:
        site.albums["5501"].remove(lost)
        day()
        site.albums["5501"].append(lost)
    for _ in range(8):
        day()
    assert not life.archived(lost)
    # asked when listed anew (by the run that reads the album), then at the watch's week
    assert asked == ([1, 0, 0, 0, 0, 0, 0, 1, 0] if kept else [1, 0, 1, 0, 0, 0, 0, 0, 0, 1]), asked
    life.check()


@pytest.mark.parametrize("place", ["same", "new", "none"])
@pytest.mark.parametrize("gone_as", ["deleted", "404"])
def test_an_archived_article_deleted_then_restored_and_relisted_in_its_album(
        site: Site, tmp_path: Path, place: str, gone_as: str) -> None:
    """The sequence the random model draws rarely, day by day: an archived article's page
    answers WeChat's deleted page (or HTTP 404) and its album drops it (as WeChat does);
    then its page answers again and the album lists it again, where it was, in the newest
    position, or not at all (nobody knows). The post stays as it was, marked ``status:
    deleted`` and ``gone_since`` while WeChat says it deleted (``ARCHIVE_FORMAT.md``; a 404
    marks nothing), and its keys and line go when the watch finds it back, within the week;
    no day says more than the deletion, once."""
    life, arts = first_day(site, tmp_path, 2247526000, "5601", 3)
    gone = arts[1]
    before = life.post_path(gone).read_text(encoding="utf-8")
    members = site.albums["5601"]
    where, page = members.index(gone), site.pages[gone.path]
    site.pages[gone.path] = answer("deleted.html") if gone_as == "deleted" else Route(404, "text/plain", b"")
    members.remove(gone)
    result = life.live()
    [line] = said(result)
    assert gone.mid in line and ("deleted" if gone_as == "deleted" else "HTTP 404") in line, result.stderr
    marked = life.post_path(gone).read_text(encoding="utf-8")
    wechat = front(marked)["wechat"]
    assert isinstance(wechat, dict) and (wechat.get("status") == "deleted") == (gone_as == "deleted"), marked
    assert ("gone_since" in wechat) == (gone_as == "deleted"), marked
    assert unmarked(marked) == before, marked
    life.check()
    site.pages[gone.path] = page  # the very page: restored as it was
    if place != "none":
        members.insert(where if place == "same" else len(members), gone)
    for _ in range(8):
        result = life.live()
        assert said(result) == [], f"day {life.day}: {result.stderr}"
        life.check()
        text = life.post_path(gone).read_text(encoding="utf-8")
        assert unmarked(text) == before, f"day {life.day}: {text}"
        if "status" not in front(text)["wechat"]:  # type: ignore[operator]
            break
    else:
        raise AssertionError(f"day {life.day}: still marked deleted:\n{text}")
    assert text == before, text
    with sqlite3.connect(life.archive / ".state" / "index.sqlite") as db:
        state, = db.execute("SELECT state FROM articles WHERE key = ?",
                            (f"{gone.biz}:{gone.mid}:{gone.idx}",)).fetchone()
    assert state == "archived", state
    site.pages[gone.path] = answer("deleted.html")  # deleted again, a later day
    if gone in members:
        members.remove(gone)
    result = life.live()
    [line] = said(result)
    assert gone.mid in line and "deleted" in line, result.stderr
    again = front(life.post_path(gone).read_text(encoding="utf-8"))["wechat"]
    today = datetime.now(UTC).astimezone(timezone(timedelta(hours=8))).date()
    assert isinstance(again, dict) and again["status"] == "deleted" and again["gone_since"] == today, again
    life.check()

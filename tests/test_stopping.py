"""A run stopped by a signal (``systemctl stop``, a shutdown, cron's ``timeout``) asks WeChat
for no page more, ends within moments of the page it has in hand, and loses nothing: the
real command, at a polite pace, against the stand-in."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import PROJECT, crawl, crawl_command, crawl_env
from tests.mockserver import Gate, MockWeChat, Route
from tests.site import BIZ, OTHER_BIZ, Art, Site, numbered

ARTICLES = 30
# Scrapy's downloader takes up to CONCURRENT_REQUESTS (16) pages at a time into the article
# slot, sent one a DOWNLOAD_DELAY apart: a run that sent them before ending took 15 x 5 s
# after the page in hand. A run that sends none ends within moments, on a loaded machine
# within this bound, which the run sending them cannot meet.
DELAY = "5"
BOUND = 30.0


def stopped_at(wechat: MockWeChat, gate: Gate, command: list[str]) -> tuple[str, int, float]:
    """The log, exit status and time to its end of ``command``, stopped by SIGTERM while the
    page ``gate`` holds is on the wire: the stand-in holds it until the run has said it is
    stopping."""
    wechat.before_answer = gate.before_answer
    process = subprocess.Popen(command, cwd=PROJECT, env=crawl_env(), text=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        gate.wait()
        process.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        assert process.stderr is not None
        log = ""
        for line in process.stderr:
            log += line
            if "Stopping (SIGTERM)" in line:
                break
        gate.open()
        _, rest = process.communicate(timeout=BOUND)
        took = time.monotonic() - signalled
    finally:
        process.kill()
        wechat.before_answer = lambda path: None
    return log + rest, process.returncode, took


class Stopped:
    """An album of ``ARTICLES`` archived by ``scrapy crawl album``, a page apart every
    ``DELAY`` seconds, stopped by SIGTERM while its first article page is on the wire: the
    stand-in holds it until the run has said it is stopping."""

    def __init__(self, wechat: MockWeChat, archive: Path, served: bool = True, **settings: str):
        """``served=False``: the stand-in answers each article page 404."""
        self.wechat = wechat
        site = Site(wechat)
        arts = numbered(2247495000, ARTICLES)
        self.album = site.album("3201", site.serve(arts) if served else arts)
        self.archive = archive
        self.settings = {"WECHAT_BASE_URL": wechat.base, **settings}
        self.log, self.returncode, self.took = stopped_at(
            wechat, Gate(1), self.command({"DOWNLOAD_DELAY": DELAY, "DOWNLOAD_DELAY_JITTER": "0"}))
        self.asked = [path for path, _ in wechat.hits("/s?")]

    def command(self, settings: dict[str, str]) -> list[str]:
        return crawl_command("album", self.archive, "-a", f"url={self.album}",
                             settings={**self.settings, **settings})

    def again(self) -> list[str]:
        """The same command again, to its end (politeness off); the article pages it asked."""
        before = len(self.wechat.hits("/s?"))
        result = crawl("album", self.archive, "-a", f"url={self.album}", settings=self.settings)
        assert result.returncode == 0, result.stderr
        return [path for path, _ in self.wechat.hits("/s?")[before:]]

    def posts(self) -> int:
        return len(list((self.archive / "_posts").glob("*.md")))


@pytest.mark.parametrize("job", [False, True], ids=["plain", "job folder"])
def test_a_run_stopped_by_sigterm_asks_for_no_page_more_and_the_next_run_archives_the_rest(
        wechat: MockWeChat, tmp_path: Path, job: bool) -> None:
    """The pages Scrapy had queued in its downloader went out one by one at the polite pace
    before the run ended (16 pages: 48 s at the default 3 s, minutes when AutoThrottle has
    slowed the run, past systemd's 90 s, which then kills the run without its summary).
    Now none goes out: the page on the wire is finished, and every other page is left for
    the next run, which finds them again from the album, or resumes them from the job
    folder, whose duplicate filter drops the album's links to them as seen."""
    archive = tmp_path / "archive"
    settings = {"JOBDIR": str(archive / ".state" / "job")} if job else {}
    stopped = Stopped(wechat, archive, **settings)
    assert stopped.returncode == -signal.SIGTERM, stopped.log
    assert len(stopped.asked) == 1, (stopped.asked, stopped.log)  # the page on the wire only
    assert stopped.took < BOUND
    assert stopped.posts() == 1, stopped.log  # the page in hand archived, its pictures too
    held = re.search(r"mid=(\d+)", stopped.asked[0])[1]  # type: ignore[index]
    assert sorted(path.name for path in (archive / "postimg").iterdir()) == [f"Img{held}x1.png",
                                                                              "SharedFooter.png"]
    [stopping] = [line for line in stopped.log.splitlines() if "Stopping" in line]
    assert stopping.endswith(f"INFO: Stopping (SIGTERM): no page more is asked of WeChat, {ARTICLES - 1} "
                             "queued pages left for the next run; the pages in hand are finished "
                             "first; SIGTERM again stops at once"), stopping
    assert "Run summary (stopped by SIGTERM): 1 new" in stopped.log, stopped.log

    asked_again = stopped.again()
    assert stopped.posts() == ARTICLES
    mids = [re.search(r"mid=(\d+)", path)[1] for path in asked_again]  # type: ignore[index]
    assert len(mids) == len(set(mids)) == ARTICLES - 1
    assert held not in mids


def test_a_run_stopped_before_it_asked_for_its_source_says_it_left_that_source(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """SIGTERM as the command hands the crawl to Scrapy (``tests/signalat``), noted, and acted
    on as the engine starts, before the engine took the album from the spider: the stop line
    said "0 queued pages left for the next run", of a run that left all it was given unread.
    Now it says so; the next run reads the album."""
    site = Site(wechat)
    arts = numbered(2247495100, 3)
    album = site.album("3202", site.serve(arts))
    archive = tmp_path / "archive"
    settings = {"WECHAT_BASE_URL": wechat.base}
    hooked = {**crawl_env(), "SIGNAL_AT": "handed", "PYTHONPATH": f"{PROJECT / 'tests' / 'signalat'}:{PROJECT}"}

    stopped = subprocess.run(crawl_command("album", archive, "-a", f"url={album}", settings=settings),
                             cwd=PROJECT, env=hooked, capture_output=True, text=True, timeout=120)

    assert stopped.returncode == -signal.SIGTERM, stopped.stderr
    assert wechat.hits() == [], stopped.stderr
    [stopping] = [line for line in stopped.stderr.splitlines() if "Stopping" in line]
    assert stopping.endswith("INFO: Stopping (SIGTERM): no page more is asked of WeChat, 0 queued pages and "
                             "every source it was given (none asked for yet) left for the next run; the "
                             "pages in hand are finished first; SIGTERM again stops at once"), stopping
    again = crawl("album", archive, "-a", f"url={album}", settings=settings)
    assert again.returncode == 0, again.stderr
    assert len(list((archive / "_posts").glob("*.md"))) == len(arts)


@pytest.mark.parametrize("spider, left", [("article", "3 of the 4 URLs given"),
                                          ("accounts", "1 of the 2 accounts given")])
def test_a_run_stopped_while_its_short_links_are_fetched_says_the_sources_it_left_unasked(
        wechat: MockWeChat, tmp_path: Path, spider: str, left: str) -> None:
    """SIGTERM while the short link given first is on the wire: the other sources wait for
    it (``short_links_first``), none of their pages asked, and the stop line said "0 queued
    pages left for the next run" of a run that left them all. Now it says how many of those
    given it left; the next run archives them."""
    site = Site(wechat)
    # the first two of one account, the others of another
    arts = [Art("2247495201", token="ShortFirst"), Art("2247495202"), *numbered(2247495203, 2, biz=OTHER_BIZ)]
    site.serve(arts)
    links = [site.short(arts[0]), *(site.link(art).replace("&amp;", "&") for art in arts[1:])]
    archive = tmp_path / "archive"
    settings = {"WECHAT_BASE_URL": wechat.base, "WATCH_PER_RUN": "0"}
    if spider == "article":
        listed = tmp_path / "urls.txt"
        listed.write_text("\n".join(links) + "\n", encoding="utf-8")
        words = ["-a", f"urls_file={listed}"]
    else:
        accounts = tmp_path / "accounts.toml"
        accounts.write_text("".join(f'[[account]]\nname = "{name}"\nurls = {json.dumps(urls)}\n'
                                    for name, urls in (("甲市反诈中心", links[:2]), ("乙市反诈中心", links[2:]))),
                            encoding="utf-8")
        settings["ACCOUNTS_FILE"] = str(accounts)
        words = []

    log, returncode, _ = stopped_at(wechat, Gate(1, prefix="/s/"), crawl_command(
        spider, archive, *words, settings={**settings, "DOWNLOAD_DELAY": DELAY, "DOWNLOAD_DELAY_JITTER": "0"}))

    assert returncode == -signal.SIGTERM, log
    assert [path for path, _ in wechat.hits("/s")] == ["/s/ShortFirst"], log
    [stopping] = [line for line in log.splitlines() if "Stopping" in line]
    assert stopping.endswith(f"INFO: Stopping (SIGTERM): no page more is asked of WeChat, 0 queued pages and "
                             f"{left} (not asked for yet) left for the next run; the pages in hand are "
                             "finished first; SIGTERM again stops at once"), stopping
    again = crawl(spider, archive, *words, settings=settings)
    assert again.returncode == 0, again.stderr
    assert len(list((archive / "_posts").glob("*.md"))) == len(arts)


def test_a_run_stopped_while_its_short_link_answers_404_ends_by_its_signal_not_as_failed(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """The short link on the wire when SIGTERM came answered 404, the three URLs given after
    it never asked: the stop left nothing, as the run counted it, so it was judged as a run
    that had asked all it was given, "FAILED: none of the articles given could be fetched",
    exit status 1. It left three URLs: it ends by its signal, as a run stopped with pages left does."""
    site = Site(wechat)
    arts = site.serve(numbered(2247495301, 3))
    listed = tmp_path / "urls.txt"
    listed.write_text(f"{wechat.base}/s/GoneShort\n" + "".join(f"{site.link(art).replace('&amp;', '&')}\n"
                                                                for art in arts), encoding="utf-8")
    wechat.route("/s/GoneShort", Route(404, "text/html", b"<html>404</html>"))

    log, returncode, _ = stopped_at(wechat, Gate(1, prefix="/s/"), crawl_command(
        "article", tmp_path / "archive", "-a", f"urls_file={listed}",
        settings={"DOWNLOAD_DELAY": DELAY, "DOWNLOAD_DELAY_JITTER": "0"}))

    assert returncode == -signal.SIGTERM, log
    assert "3 of the 4 URLs given (not asked for yet) left for the next run" in log, log
    assert "FAILED" not in log and "] ERROR: " not in log, log


def test_a_run_stopped_when_its_only_page_answered_failed_ends_by_its_signal_not_as_failed(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """The page in hand when SIGTERM came answered 404 (a deleted article, an error page):
    the run said "FAILED: no article page could be fetched" at ERROR and exited 1, as if
    every page of the album had been asked and failed, where 29 were never asked. A run
    stopped is judged by what broke, not by what it was stopped before doing: it ends by
    its signal, its summary says how far it came."""
    stopped = Stopped(wechat, tmp_path / "archive", served=False)
    assert stopped.returncode == -signal.SIGTERM, stopped.log
    assert len(stopped.asked) == 1, (stopped.asked, stopped.log)
    assert re.search(r"WARNING: Not archived: could not fetch \S+: HTTP 404", stopped.log), stopped.log
    assert "WARNING: Run summary (stopped by SIGTERM): 1 not fetched\n" in stopped.log, stopped.log
    assert "FAILED" not in stopped.log and "] ERROR: " not in stopped.log, stopped.log


def test_a_stopped_run_says_no_account_went_quiet_and_leaves_it_to_a_run_that_finishes(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """Two accounts whose newest articles are 45 days old, though they published every 5
    days. A run stopped by SIGTERM while the first album was on the wire never asked the
    other; it said of both "No new article from … for 45 days …; its sources may have dried
    up" (the index alone decided it) and recorded the alarms as given: the next run, which
    read every source, said nothing. A run cut short did not look at every source: the
    warning is a finished run's, said once."""
    site = Site(wechat)
    archive, accounts = tmp_path / "archive", tmp_path / "accounts.toml"
    names = ("甲市反诈中心", "乙市反诈中心")
    for number, (name, biz) in enumerate(zip(names, (BIZ, OTHER_BIZ), strict=True)):
        arts = [Art(str(2247470400 + 100 * number + i), biz=biz, days_ago=100 - 5 * i) for i in range(12)]
        album = site.album(str(3201 + number), site.serve(arts)).replace(BIZ, biz)
        archived = crawl("album", archive, "-a", f"url={album}", settings={"WECHAT_BASE_URL": wechat.base})
        assert archived.returncode == 0, archived.stderr
        with accounts.open("a", encoding="utf-8") as file:
            file.write(f'[[account]]\nname = "{name}"\nbiz = "{biz}"\nalbums = ["{album}"]\n')
    settings = {"ACCOUNTS_FILE": str(accounts), "WECHAT_BASE_URL": wechat.base, "WATCH_PER_RUN": "0"}
    read_before = len(wechat.hits("/mp/appmsgalbum"))
    log, returncode, _ = stopped_at(wechat, Gate(1, prefix="/mp/appmsgalbum"), crawl_command(
        "accounts", archive, settings={**settings, "DOWNLOAD_DELAY": DELAY, "DOWNLOAD_DELAY_JITTER": "0"}))
    assert returncode == -signal.SIGTERM, log
    assert len(wechat.hits("/mp/appmsgalbum")) == read_before + 1, log  # the other album never asked
    assert "Run summary (stopped by SIGTERM)" in log, log
    assert "No new article" not in log, log
    for name in names:  # the second album never asked: no source failed, so far
        assert f"account {name}: 12 archived, 1 album known, newest " in log, log
        assert re.search(rf"account {name}: .*; this run 0 new, no source failed before the run was "
                         r"cut short\n", log), log

    finished = crawl("accounts", archive, settings=settings)
    assert finished.returncode == 0, finished.stderr
    for name in names:
        assert re.search(rf"WARNING: No new article from {name} for 45 days \(it published every 5 "
                         r"days or so\); its sources may have dried up", finished.stderr), finished.stderr


@pytest.mark.parametrize("job", [False, True], ids=["plain", "job folder"])
def test_an_album_whose_later_pages_a_stop_left_unasked_is_said_read_in_part_and_read_whole_next(
        wechat: MockWeChat, tmp_path: Path, job: bool) -> None:
    """An album of 60, 20 a page, SIGTERM while its second page is on the wire: its third
    page is left unasked. Its line said "40 listed", as of an album read, and the account's
    "no source failed": nothing said the album was read in part. Now its line says so, and
    why (the run cut short, no failure and nothing lost: not "COULD NOT BE READ" nor "READ IN
    PART (…)", a failure's), the account's counts it; the next run (or the job resumed)
    reads the album to its end and archives all 60."""
    site = Site(wechat)
    album = site.album("3341", site.serve(numbered(2247487000, 60, albums=("3341",))))
    archive, accounts = tmp_path / "archive", tmp_path / "accounts.toml"
    accounts.write_text(f'[[account]]\nname = "测试反诈中心"\nalbums = ["{album}"]\n', encoding="utf-8")
    settings = {"ACCOUNTS_FILE": str(accounts), "WECHAT_BASE_URL": wechat.base, "ALBUM_PAGE_SIZE": "20",
                "WATCH_PER_RUN": "0", "JOBDIR": str(archive / ".state" / "job") if job else ""}
    log, returncode, _ = stopped_at(wechat, Gate(2, prefix="/mp/appmsgalbum"),
                                    crawl_command("accounts", archive, settings=settings))
    assert returncode == -signal.SIGTERM, log
    assert len(wechat.hits("/mp/appmsgalbum")) == 2, log
    summary = log.split("Run summary (stopped by SIGTERM)")[1]
    assert "  album:3341: read in part, the run cut short: the rest left for the next run (40 listed)\n" \
        in summary, summary
    assert "COULD NOT BE READ" not in log and "READ IN PART" not in log, log
    assert "this run 0 new, no source failed before the run was cut short, 1 source read in part " \
           "left for the next run" in summary, summary
    again = crawl("accounts", archive, settings=settings)
    assert again.returncode == 0, again.stderr
    assert len(list((archive / "_posts").glob("*.md"))) == 60, again.stderr
    assert "  album:3341: 60 listed, 60 new\n" in again.stderr, again.stderr
    assert "read in part" not in again.stderr.lower(), again.stderr

"""A run stopped and resumed with a job folder (``JOBDIR``): nothing lost, nothing archived
fetched again, however it was stopped."""

from __future__ import annotations

import errno
import re
import resource
import signal
import sqlite3
import subprocess
import time
from contextlib import closing
from pathlib import Path

import pytest
from queuelib.queue import LifoDiskQueue
from scrapy import Request
from scrapy.core.scheduler import Scheduler
from scrapy.dupefilters import RFPDupeFilter

from crawler.store.files import is_leftover
from tests.conftest import PAGES, PROJECT, crawl, crawl_command, crawl_env, scrapy_command
from tests.inprocess import Crawled
from tests.mockserver import Gate, MockWeChat, Route
from tests.site import Art, Site, numbered
from tests.test_faults import on_a_full_disk

# More than Scrapy's job folder holds in memory of the requests it has seen before writing
# them (a buffer of 4 or 8 KiB, 22 bytes a request)
ARTICLES = 400


class Backfill:
    """An album of ``articles`` on the stand-in, archived by ``scrapy crawl album`` with a
    job folder."""

    def __init__(self, wechat: MockWeChat, folder: Path, articles: int = ARTICLES):
        self.wechat = wechat
        self.articles = articles
        site = Site(wechat)
        self.album = site.album("3901", site.serve(numbered(2247490000, articles)))
        self.archive = folder / "archive"
        self.job = self.archive / ".state" / "job-backfill"
        self.settings = {"WECHAT_BASE_URL": wechat.base, "ALBUM_PAGE_SIZE": "100",
                         "JOBDIR": str(self.job)}

    def command(self) -> list[str]:
        return crawl_command("album", self.archive, "-a", f"url={self.album}", settings=self.settings)

    def start(self) -> subprocess.Popen[bytes]:
        """The real command in the background, which a test stops by a signal."""
        return subprocess.Popen(self.command(), cwd=PROJECT, env=crawl_env(),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop(self, number: signal.Signals) -> None:
        """Run the command in the background and send it signal ``number`` while it waits
        for the 20th article page from now."""
        self.wechat.before_answer = (gate := Gate(len(self.wechat.hits("/s?")) + 20)).before_answer
        run = self.start()
        gate.wait()
        run.send_signal(number)
        gate.open()
        run.wait(60)
        self.wechat.before_answer = lambda path: None
        assert len(self.posts()) < self.articles

    def resume(self) -> None:
        """Run the same command again to its end: every article is archived, and no page of
        an article archived before it started is fetched. (A post written in the instant
        before a kill, whose record in the index the kill took, is new yet: the index is what
        a run knows. Posts are written one at a time, so there is one such post at most.)"""
        archived = self.recorded()
        assert len(set(self.posts()) - archived) <= 1
        asked = len(self.wechat.hits("/s?"))
        resumed = crawl("album", self.archive, "-a", f"url={self.album}", settings=self.settings)
        assert resumed.returncode == 0, resumed.stderr
        assert len(self.posts()) == self.articles, resumed.stderr
        fetched = {re.search(r"mid=(\d+)", path)[1] for path, _ in self.wechat.hits("/s?")[asked:]}
        assert not archived & fetched, len(archived & fetched)

    def recorded(self) -> set[str]:
        """The ids (``mid``) of the articles whose posts the index records."""
        with closing(sqlite3.connect(self.archive / ".state" / "index.sqlite")) as index:
            paths = index.execute("SELECT path FROM articles WHERE path != ''").fetchall()
        return {re.findall(r"\d+", path)[-1] for path, in paths}

    def posts(self) -> list[str]:
        """The ids (``mid``) of the articles archived, as their posts' names say them."""
        return [re.findall(r"\d+", path.name)[-1] for path in (self.archive / "_posts").glob("*.md")]


def test_a_run_killed_then_resumed_with_its_job_folder_archives_every_article(
        wechat: MockWeChat, tmp_path: Path) -> None:
    backfill = Backfill(wechat, tmp_path)
    first = backfill.start()
    seen = backfill.job / "requests.seen"
    while not (seen.is_file() and seen.stat().st_size) and first.poll() is None:
        time.sleep(0.01)
    first.kill()  # its queue is not written, what it had seen is
    first.wait()
    assert len(backfill.posts()) < ARTICLES
    backfill.resume()


def test_a_resumed_run_killed_then_resumed_again_archives_every_article(
        wechat: MockWeChat, tmp_path: Path) -> None:
    backfill = Backfill(wechat, tmp_path, articles=100)
    backfill.stop(signal.SIGTERM)  # a clean stop: its queue is written
    backfill.stop(signal.SIGKILL)  # the queue of the clean stop is left as it was before this run
    backfill.resume()


def test_the_same_command_again_after_a_run_that_finished_fetches_what_it_could_not(
        wechat: MockWeChat, tmp_path: Path) -> None:
    site = Site(wechat)
    arts = site.serve(numbered(2247491000, 3))
    album = site.album("3902", arts)
    page = site.pages[arts[1].path]
    site.pages[arts[1].path] = Route(503, "text/plain", b"busy")
    archive = tmp_path / "archive"
    settings = {"WECHAT_BASE_URL": wechat.base, "JOBDIR": str(archive / ".state" / "job")}
    assert crawl("album", archive, "-a", f"url={album}", settings=settings).returncode == 0
    assert len(list((archive / "_posts").glob("*.md"))) == 2

    site.pages[arts[1].path] = page  # WeChat answers it again: the job folder was not removed
    again = crawl("album", archive, "-a", f"url={album}", settings=settings)
    assert again.returncode == 0, again.stderr
    assert len(list((archive / "_posts").glob("*.md"))) == 3, again.stderr


def test_a_stopped_job_resumed_after_another_run_archived_its_queue_fetches_none_of_it(
        wechat: MockWeChat, tmp_path: Path) -> None:
    backfill = Backfill(wechat, tmp_path, articles=100)
    backfill.stop(signal.SIGTERM)  # its queue is written, to be resumed
    daily = crawl("album", backfill.archive, "-a", f"url={backfill.album}",
                  settings={**backfill.settings, "JOBDIR": ""})  # the daily run, in between
    assert daily.returncode == 0 and len(backfill.posts()) == backfill.articles, daily.stderr
    backfill.resume()


def test_a_job_folder_on_a_full_disk_is_one_error_line_and_the_run_ends(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """A queue file that failed a write fails every read after it: the run printed a
    traceback every few milliseconds, for ever, holding the archive's lock."""
    backfill = Backfill(wechat, tmp_path, articles=1000)  # a queue of 300 KB

    def full_disk() -> None:  # in the command's process: no file grows past 256 KiB
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (256 * 1024, 256 * 1024))

    run = subprocess.run(backfill.command(), cwd=PROJECT, env=crawl_env(), preexec_fn=full_disk,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 1
    assert f"ERROR: The job folder {backfill.job} cannot be written" in run.stderr
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize("room", [0, 20_000], ids=["at once", "its queue holding the album"])
def test_a_job_folder_on_a_full_disk_stops_the_run_in_one_line_and_the_next_run_ends_the_job(
        wechat: MockWeChat, tmp_path: Path, room: int) -> None:
    """A job folder on a real disk filling (a tmpfs of the test's own), the archive on
    another with room. The run went on without the folder, a WARNING, exit status 0 (stopped,
    it could not have been resumed); or, its queue file failing a read, lost the album's
    listing it held: "no source could be read", exit 1, nothing archived. Now the first
    write the folder refuses stops the run as a full archive does: one ERROR line naming the
    folder, the stop's (which counts the listing in hand, whose pages it leaves too), exit
    status 1, WeChat asked for no page more; the next run, given room, archives the album
    whole."""
    site = Site(wechat)
    album = site.album("3405", site.serve(numbered(2247480601, 6)))
    archive, job = tmp_path / "archive", tmp_path / "job"
    job.mkdir()
    command = crawl_command("album", archive, "-a", f"url={album}",
                            settings={"DOWNLOAD_DELAY": "1", "DOWNLOAD_DELAY_JITTER": "0", "JOBDIR": str(job)})
    stopped = on_a_full_disk(job, command, room)
    assert stopped.returncode == 1 and "Traceback" not in stopped.stderr, stopped.stderr
    errors = [line.split(" ERROR: ", 1)[1] for line in stopped.stderr.splitlines() if " ERROR: " in line]
    [given_up, stop, status] = errors
    cause = "[Errno 28] No space left on device"
    assert given_up.startswith(f"The job folder {job} cannot be written ({cause}): it is given up, and "
                               "the run stops: ") and given_up.endswith(" starts over from the archive's "
                                                                        "index"), errors
    assert stop.startswith(f"Stopping: the job folder cannot be written ({cause}); no page more is "
                           "asked of WeChat, "), errors
    if not room:  # its album's listing on the wire, its 6 pages not queued yet: the line said "0
        # queued pages left for the next run", as if the run left nothing
        assert "WeChat, 0 queued pages and the pages of 1 listing being read left for the next run, " \
            in stop, errors
    assert status == ("Exit status 1: the run was cut short: the job folder cannot be written (a full "
                      "disk, a read-only one): see the ERROR lines"), errors
    assert len(wechat.hits("/s?")) <= 2
    again = crawl("album", archive, "-a", f"url={album}", settings={"JOBDIR": str(job)})
    assert again.returncode == 0, again.stderr
    assert len(list((archive / "_posts").glob("*.md"))) == 6


def album_with_job(wechat: MockWeChat, archive: Path, articles: int = 3) -> Crawled:
    """An album of ``articles`` on the stand-in archived with the job folder ``.state/job``."""
    site = Site(wechat)
    album = site.album("3902", site.serve(numbered(2247491000, articles)))
    return crawl("album", archive, "-a", f"url={album}",
                 settings={"WECHAT_BASE_URL": wechat.base, "JOBDIR": str(archive / ".state" / "job")})


def test_a_job_folder_that_cannot_note_a_request_seen_loses_no_article(
        wechat: MockWeChat, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    archive = tmp_path / "archive"
    noting = RFPDupeFilter.request_seen

    def failing_disk(self: RFPDupeFilter, request: Request) -> bool:
        if noting(self, request):
            return True
        if self.file is None:  # given up: as Scrapy's, noted in memory only
            return False
        raise OSError(errno.EIO, "Input/output error")  # noted in memory, not in the file

    monkeypatch.setattr(RFPDupeFilter, "request_seen", failing_disk)
    run = album_with_job(wechat, archive)
    assert run.stderr.count("WARNING: The job folder") == 1 and "Traceback" not in run.stderr
    assert len(list((archive / "_posts").glob("*.md"))) == 3, run.stderr
    assert run.returncode == 0, run.stderr  # it did all it was asked


def test_a_job_folder_given_up_holding_one_request_says_it_in_the_singular(
        wechat: MockWeChat, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pushing = Scheduler._dqpush

    def failing_past_one(self: Scheduler, request: Request) -> None:
        if self.dqs is not None and len(self.dqs) >= 1:
            raise OSError(errno.EIO, "Input/output error")
        pushing(self, request)

    monkeypatch.setattr(Scheduler, "_dqpush", failing_past_one)
    run = album_with_job(wechat, tmp_path / "archive", articles=5)
    assert "it is given up, and the 1 request it held is left to the next run" in run.stderr, run.stderr
    assert run.stats["job/requests_lost"] == 1


def test_a_job_folder_given_up_holding_nothing_in_a_run_that_ends_its_work_is_a_warning_and_exit_0(
        wechat: MockWeChat, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A job folder whose disk failed before it held a request: the run did all it was
    asked, yet said at ERROR that "the 0 requests it held are left to the next run". (A full
    or read-only disk stops the run: ``…_on_a_full_disk_stops_the_run…``.)"""
    def failing_disk(self: Scheduler, request: Request) -> bool:
        if self.dqs is None:  # given up: as Scrapy's, in memory
            return False
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(Scheduler, "_dqpush", failing_disk)
    run = album_with_job(wechat, tmp_path / "archive", articles=3)
    assert run.returncode == 0, run.stderr
    assert len(list((tmp_path / "archive" / "_posts").glob("*.md"))) == 3
    job = tmp_path / "archive" / ".state" / "job"
    assert (f"WARNING: The job folder {job} cannot be written ([Errno 5] Input/output error): "
            "it is given up, and the run goes on without it (stopped now, it could "
            "not be resumed)") in run.stderr, run.stderr
    assert "ERROR" not in run.stderr and "0 requests" not in run.stderr, run.stderr


def test_a_job_folder_a_full_disk_left_an_empty_spider_state_in_is_no_traceback(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """Scrapy's SpiderState truncates ``spider.state`` before writing it as the run ends: on a
    full disk it stayed empty, and every later run with the folder printed two tracebacks."""
    archive = tmp_path / "archive"
    job = archive / ".state" / "job"
    job.mkdir(parents=True)
    (job / "spider.state").write_bytes(b"")
    run = album_with_job(wechat, archive)
    assert run.returncode == 0 and "Traceback" not in run.stderr, run.stderr
    assert len(list((archive / "_posts").glob("*.md"))) == 3


class SmallJob:
    """An album of 40 on the stand-in, archived in this process with a job folder; a run of
    it stopped early (``CLOSESPIDER_ITEMCOUNT``) leaves requests in the folder's queue."""

    def __init__(self, wechat: MockWeChat, folder: Path):
        site = Site(wechat)
        self.album = site.album("3903", site.serve(numbered(2247492000, 40)))
        self.archive = folder / "archive"
        self.queue = self.archive / ".state" / "job" / "requests.queue"
        self.settings = {"WECHAT_BASE_URL": wechat.base, "JOBDIR": str(self.queue.parent)}

    def run(self, **settings: str) -> Crawled:
        return crawl("album", self.archive, "-a", f"url={self.album}",
                     settings={**self.settings, **settings})

    def posts(self) -> int:
        return len(list((self.archive / "_posts").glob("*.md")))


def test_a_stop_that_cannot_write_its_queue_is_one_error_line_and_the_next_run_ends_the_job(
        wechat: MockWeChat, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    job = SmallJob(wechat, tmp_path)

    def full_disk(self: LifoDiskQueue) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(LifoDiskQueue, "close", full_disk)
    stopped = job.run(CLOSESPIDER_ITEMCOUNT="1")
    monkeypatch.undo()
    assert stopped.returncode == 1 and "Traceback" not in stopped.stderr, stopped.stderr
    assert f"ERROR: The job folder {job.queue.parent} cannot be written" in stopped.stderr
    assert stopped.stats["job/requests_lost"] > 0 and job.posts() < 40
    again = job.run()
    assert again.returncode == 0 and "Traceback" not in again.stderr, again.stderr
    assert job.posts() == 40


def test_a_stop_that_cannot_write_what_it_saw_leaves_no_clean_stop(
        wechat: MockWeChat, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The queue and its state are written, then ``requests.seen`` fails its last write: the
    folder is not one a clean stop left, to be resumed with requests seen it does not hold."""
    job = SmallJob(wechat, tmp_path)

    def full_disk(self: RFPDupeFilter, reason: str) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(RFPDupeFilter, "close", full_disk)
    stopped = job.run(CLOSESPIDER_ITEMCOUNT="1")
    monkeypatch.undo()
    assert f"ERROR: The job folder {job.queue.parent} cannot be written" in stopped.stderr
    assert not (job.queue / "active.json").exists()


def test_a_resumed_job_of_articles_given_again_fetches_them_though_archived(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """``crawl article`` fetches again what it is given (re-archiving is what was asked): the
    queue a stop left holds such articles, archived before, which the resumed run fetches."""
    job = SmallJob(wechat, tmp_path)
    assert job.run(JOBDIR="").returncode == 0 and job.posts() == 40
    given = tmp_path / "urls.txt"
    given.write_text("".join(f"{wechat.base}{art.path}\n" for art in numbered(2247492000, 40)),
                     encoding="utf-8")
    asked = len(wechat.hits("/s?"))

    def again(**settings: str) -> Crawled:
        return crawl("article", job.archive, "-a", f"urls_file={given}",
                     settings={**job.settings, **settings})

    assert again(CLOSESPIDER_ITEMCOUNT="1").returncode == 0
    assert (job.queue / "active.json").exists()
    resumed = again()
    assert resumed.returncode == 0, resumed.stderr
    fetched = {re.search(r"mid=(\d+)", path)[1] for path, _ in wechat.hits("/s?")[asked:]}
    assert len(fetched) == 40, len(fetched)


def test_a_job_folder_whose_queue_state_a_full_disk_cut_short_starts_over(
        wechat: MockWeChat, tmp_path: Path) -> None:
    job = SmallJob(wechat, tmp_path)
    assert job.run(CLOSESPIDER_ITEMCOUNT="1").returncode == 0
    state = job.queue / "active.json"
    state.write_bytes(state.read_bytes()[:5])
    again = job.run()
    assert again.returncode == 0 and "Traceback" not in again.stderr, again.stderr
    assert job.posts() == 40


def test_an_album_stopped_between_two_of_its_pages_is_read_once_when_resumed(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """The stop left the album's next page in the queue; the resumed run reads the album
    from its first page again. The page left queued went on to the album's end too, with
    what the stopped run had listed forgotten: the album read twice, and the members it had
    listed counted as having left it ("60 left their albums" in the summary)."""
    backfill = Backfill(wechat, tmp_path, articles=200)
    backfill.settings["ALBUM_PAGE_SIZE"] = "20"
    wechat.before_answer = (gate := Gate(5)).before_answer
    run = backfill.start()
    gate.wait()
    run.send_signal(signal.SIGTERM)
    gate.open()
    run.wait(60)
    wechat.before_answer = lambda path: None
    queue = [path for path in (backfill.job / "requests.queue").rglob("*") if path.is_file()]
    assert any(b"begin_msgid" in path.read_bytes() for path in queue)  # a page of the album
    listings = len(wechat.hits("/mp/appmsgalbum"))
    resumed = crawl("album", backfill.archive, "-a", f"url={backfill.album}",
                    settings=backfill.settings)
    assert resumed.returncode == 0, resumed.stderr
    assert len(backfill.posts()) == 200
    assert "albums/left" not in resumed.stats and " left " not in resumed.stderr
    assert resumed.stats["run/sources"]["album:3901"]["listed"] == 200
    assert len(wechat.hits("/mp/appmsgalbum")) - listings <= 10 + 1  # ten pages, and the one left
    again = crawl("album", backfill.archive, "-a", f"url={backfill.album}",
                  settings={**backfill.settings, "JOBDIR": ""})
    assert len(wechat.hits("/mp/appmsgalbum")) - listings == 10 + 1 + 1, again.stderr  # unchanged



@pytest.mark.parametrize(("first", "second"), [(signal.SIGINT, signal.SIGINT),
                                               (signal.SIGTERM, signal.SIGTERM),
                                               (signal.SIGTERM, signal.SIGINT),
                                               (signal.SIGTERM, signal.SIGKILL)])
def test_a_run_stopped_at_once_mid_write_leaves_a_sound_archive_the_next_run_completes(
        wechat: MockWeChat, tmp_path: Path, first: signal.Signals, second: signal.Signals) -> None:
    """A second Ctrl-C, a Ctrl-C after ``systemctl stop``, cron's ``timeout -k`` (SIGTERM,
    then SIGKILL): the run stops at once, with posts, images, captures and the index being
    written. It ends by the signal that forced it (it ended by the first: a Ctrl-C after a
    SIGTERM gave 143), and its last line says so (nothing did: its last line was a post's
    or "Stopping", and no summary followed, as if cut off); the archive holds no half file (a kill can leave a temporary one, which verify names and the
    next run removes), verify finds nothing else, and the next run archives the rest,
    fetching none of what was archived."""
    backfill = Backfill(wechat, tmp_path, articles=100)
    backfill.settings["JOBDIR"] = ""  # cron's daily run
    wechat.before_answer = (gate := Gate(20)).before_answer
    run = subprocess.Popen(backfill.command(), cwd=PROJECT, env=crawl_env(), text=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        gate.wait()
        run.send_signal(first)
        assert run.stderr is not None
        for line in run.stderr:  # a second signal before the first is handled is the same one
            if f"Stopping ({first.name})" in line:
                break
        run.send_signal(second)
        gate.open()
        _, log = run.communicate(timeout=60)
    finally:
        run.kill()
    wechat.before_answer = lambda path: None
    assert run.returncode == -second, log
    if second != signal.SIGKILL:  # the last line says what the missing summary would have
        last = log.rstrip("\n").rsplit("\n", 1)[-1]
        by = f"a second {first.name}" if first == second else f"{second.name} after {first.name}"
        assert re.search(rf"\] WARNING: Stopped at once by {by}: no run summary; .* left for the "
                         r"next run", last), log[-2000:]
    assert len(backfill.posts()) < backfill.articles
    leftovers = [path for path in backfill.archive.rglob("*") if is_leftover(path)]
    if second != signal.SIGKILL:
        assert not leftovers, leftovers
    verified = scrapy_command("verify", backfill.archive)
    archived = set(backfill.posts())
    # the images of an article whose post the stop cut off, which its next run links
    unwritten = [line for line in verified.stdout.splitlines() if "whose post is not written yet" in line]
    assert not {re.search(r"/Img(\d+)x", line)[1] for line in unwritten} & archived, unwritten
    problems = [line for line in verified.stdout.splitlines() if not line.startswith("verify: ")
                and "half-written file" not in line and line not in unwritten]
    assert not problems and verified.returncode == (1 if leftovers else 0), verified
    backfill.resume()
    assert not [path for path in backfill.archive.rglob("*") if is_leftover(path)]
    again = scrapy_command("verify", backfill.archive)
    assert again.returncode == 0, again


def test_images_a_kill_left_without_their_post_are_said_as_waiting_for_it_not_as_orphans(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """Killed after an article's images were written and before its post was (its long body
    being converted): verify named them "no post links to it" and exited 1 until the next
    crawl wrote the post. They are the images of an article the index knows fetched and not
    written: verify says so, and what the next run does, and the archive is sound."""
    site = Site(wechat)
    [art] = site.serve([Art("2247490001", items=tuple(f"第{n}条提醒" for n in range(20000)))])
    archive = tmp_path / "archive"
    command = crawl_command("article", archive, "-a", f"url={site.link(art)}")
    run = subprocess.Popen(command, cwd=PROJECT, env=crawl_env(),
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        # both its images in place: they are renamed one after the other, and a kill between
        # would leave the second half-written, which verify rightly names
        while run.poll() is None and len([path for path in (archive / "postimg").glob("*")
                                          if not is_leftover(path)]) < 2:
            time.sleep(0.01)
        run.kill()
    finally:
        run.wait(60)
    assert not list((archive / "_posts").glob("*.md")), "the kill came after the post"
    images = sorted(path for path in (archive / "postimg").glob("*") if not is_leftover(path))
    verified = scrapy_command("verify", archive)
    assert verified.returncode == 0, verified.stdout
    assert "no post links to it" not in verified.stdout
    for image in images:
        assert (f"{image}: an image of an article whose post is not written yet (a run stopped "
                "before it): the next run that finds the article writes it") in verified.stdout
    assert f"verify: {archive} is sound (0 posts)" in verified.stdout
    asked = len(wechat.hits("/mmbiz_png/"))
    again = crawl("article", archive, "-a", f"url={site.link(art)}")
    assert again.returncode == 0 and len(list((archive / "_posts").glob("*.md"))) == 1, again.stderr
    assert len(images) == 2 and len(wechat.hits("/mmbiz_png/")) == asked  # none fetched again
    verified = scrapy_command("verify", archive)
    assert verified.returncode == 0 and "not written yet" not in verified.stdout, verified.stdout


@pytest.mark.parametrize("job", [True, False], ids=["resumed", "next-run"])
@pytest.mark.parametrize("album", ["lists it", "not listing it"])
def test_a_refused_link_pending_at_a_stop_is_said_once_by_the_run_that_settles_it(
        wechat: MockWeChat, tmp_path: Path, album: str, job: bool) -> None:
    """A link with a ``chksm`` not today's, refused (WeChat's parameter-error page), waits
    for its album's link; a SIGTERM came before the album was read. The stopped run said the
    article lost at WARNING, and the resumed run, which had forgotten the refusal, archived it
    by the album's link, or, when the album did not list it, said nothing. Now the stopped run
    says it left for the next run (the job's next part, or a run without a job folder, which
    asks the link again), which says it lost once, only when it is."""
    site = Site(wechat)
    member = site.serve([Art("2247486531", albums=("3331",))])[0]
    entry = site.serve([Art("2247486530", token="StaleJob", albums=("3331",), links=(
        site.body_link(member).replace("&amp;scene=21", "&amp;chksm=0ld0ld&amp;scene=21"),))])[0]
    site.album("3331", [member, entry] if album == "lists it" else [entry])
    page = site.pages[member.path]
    refusal = Route(200, "text/html; charset=utf-8", (PAGES / "bad_params.html").read_bytes())
    site.pages[member.path] = lambda query: refusal if "chksm=0ld0ld" in query else page
    archive = tmp_path / "archive"
    accounts = tmp_path / "accounts.toml"
    accounts.write_text(f'[[account]]\nname = "测试反诈中心"\nurls = ["{site.short(entry)}"]\n',
                        encoding="utf-8")
    settings = {"ACCOUNTS_FILE": str(accounts), "WECHAT_BASE_URL": wechat.base,
                "JOBDIR": str(archive / ".state" / "job") if job else ""}
    wechat.before_answer = (gate := Gate(1, prefix="/mp/appmsgalbum")).before_answer
    log = tmp_path / "stopped.log"
    with log.open("wb") as err:
        run = subprocess.Popen(crawl_command("accounts", archive, settings=settings), cwd=PROJECT,
                               env=crawl_env(), stdout=subprocess.DEVNULL, stderr=err)
        gate.wait()  # the album's first page asked, the refused link answered before it
        run.send_signal(signal.SIGTERM)
        gate.open()
        run.wait(60)
    wechat.before_answer = lambda path: None
    stopped = log.read_text(encoding="utf-8")
    assert "asked by its album's link if an album lists it this run" in stopped, stopped
    assert member.mid not in {re.findall(r"\d+", path.name)[-1] for path in (archive / "_posts").glob("*.md")}
    assert " WARNING: Not archived" not in stopped, stopped
    assert "0ld0ld&scene=21 is WeChat's parameter-error page (bad or incomplete link): its album's link is " \
        "left for the next run, as the run was cut short" in stopped, stopped
    assert "parameter-error" not in stopped.split("Run summary")[1].splitlines()[0], stopped
    resumed = crawl("accounts", archive, settings=settings)
    lost = [line for line in resumed.stderr.splitlines() if " WARNING: Not archived" in line]
    posts = {re.findall(r"\d+", path.name)[-1] for path in (archive / "_posts").glob("*.md")}
    assert not (archive / ".state" / "job" / "refusals.sqlite").exists()  # the job is over
    if album == "lists it":
        assert member.mid in posts and lost == [], resumed.stderr
        assert resumed.returncode == 0, resumed.stderr
    else:
        assert member.mid not in posts, resumed.stderr
        assert len(lost) == 1 and "0ld0ld" in lost[0] and "parameter-error" in lost[0], resumed.stderr
        summary = resumed.stderr.split("Run summary")[1].splitlines()[0]
        assert "1 parameter-error page" in summary, summary

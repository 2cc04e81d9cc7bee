"""Faults of the machine and of the archive: a full disk, a torn file, a damaged or locked
index, files in ``_posts`` that are not ours. One clear line each, and nothing lost."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import fcntl
import gzip
import os
import re
import shlex
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from crawler.convert.post import compose_post
from crawler.items import ArticleItem
from crawler.pipelines.images import ImagePipeline
from crawler.reading import SILENCE_LIMIT
from crawler.report import extensions
from crawler.run import Run
from crawler.store import files, images
from crawler.store.archive import Archive, ArchiveError
from crawler.store.captures import CaptureError, CaptureStore
from crawler.store.files import remove_leftovers
from crawler.store.index import ArticleState, Index
from crawler.store.posts import visible_length
from crawler.wechat.page import parse_page
from tests.conftest import (
    POST_NAME,
    PROJECT,
    crawl,
    crawl_cli,
    crawl_command,
    crawl_env,
    crawl_options,
    page_text,
    refusal,
    serve_legacy_shape,
)
from tests.mockserver import Gate, MockWeChat, Route
from tests.site import BIZ, Art, Site, numbered
from tests.test_captures import scrapy
from tests.test_hostile import page
from tests.test_images import noise

DAY = datetime(2026, 11, 29, 12, tzinfo=UTC)
PAGE = "<html>反诈提醒</html>".encode() * 2000


def add(store: CaptureStore, number: int) -> None:
    store.add_response(f"https://mp.weixin.qq.com/s/p{number}", [], 200, [], PAGE + bytes([number]),
                       fetched_at=DAY)


def urls(store: CaptureStore) -> list[str]:
    return [capture.url.rsplit("/", 1)[1] for capture in store.captures()]


# -- 8. captures -----------------------------------------------------------------------
def test_a_short_write_raises_and_leaves_the_file_as_it_was(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    store = CaptureStore(tmp_path)
    add(store, 1)
    [path] = tmp_path.glob("*.warc.gz")
    before = path.read_bytes()
    real_write = os.write
    calls = []

    def nearly_full(fd: int, data: bytes) -> int:
        calls.append(len(data))
        if len(calls) == 1:
            return real_write(fd, bytes(data)[:100])  # the disk took only 100 bytes
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", nearly_full)
    with pytest.raises(CaptureError, match="No space left on device"):
        add(store, 2)
    monkeypatch.undo()
    assert path.read_bytes() == before
    add(store, 3)
    assert urls(store) == ["p1", "p3"]


def test_a_torn_tail_is_cut_off_before_the_next_append(tmp_path: Path) -> None:
    add(CaptureStore(tmp_path), 1)
    add(CaptureStore(tmp_path), 2)
    [path] = tmp_path.glob("*.warc.gz")
    whole = path.stat().st_size
    with path.open("r+b") as file:
        file.truncate(whole - 500)  # a crash in the middle of the second capture's write
    assert urls(CaptureStore(tmp_path)) == ["p1"]
    add(CaptureStore(tmp_path), 3)  # a later run appends
    assert urls(CaptureStore(tmp_path)) == ["p1", "p3"]
    assert list(CaptureStore(tmp_path).damaged()) == []


def test_a_damaged_stretch_hides_nothing_after_it_and_is_reported(tmp_path: Path) -> None:
    store = CaptureStore(tmp_path)
    for number in (1, 2, 3):
        add(store, number)
    [path] = tmp_path.glob("*.warc.gz")
    data = bytearray(path.read_bytes())
    second = data.index(b"\x1f\x8b\x08", data.index(b"\x1f\x8b\x08", 1) + 1)  # p2's response
    data[second + 200:second + 260] = b"\x00" * 60
    path.write_bytes(bytes(data))
    assert urls(CaptureStore(tmp_path)) == ["p1", "p3"]
    assert [offset for _, offset in CaptureStore(tmp_path).damaged()] == [second]


def test_a_capture_file_that_cannot_be_opened_is_reported_and_the_others_read(tmp_path: Path) -> None:
    """verify, rebuild and versions ended in a traceback (a failing disk, a stray folder)."""
    add(CaptureStore(tmp_path / ".state" / "warc"), 1)
    unreadable = tmp_path / ".state" / "warc" / "captures-2000-01-01.warc.gz"
    unreadable.mkdir()  # opening it fails as a file the disk cannot read does
    assert urls(CaptureStore(tmp_path / ".state" / "warc")) == ["p1"]
    verify = scrapy("verify", tmp_path)
    assert verify.returncode == 1 and "Traceback" not in verify.stderr
    assert f"{unreadable}: the capture at byte 0 cannot be read" in verify.stdout
    rebuild = scrapy("rebuild", tmp_path)
    assert rebuild.returncode == 0 and "Traceback" not in rebuild.stderr


def test_a_record_whose_body_was_cut_short_is_not_a_page(tmp_path: Path) -> None:
    import gzip
    store = CaptureStore(tmp_path)
    add(store, 1)
    [path] = tmp_path.glob("*.warc.gz")
    records = gzip.decompress(path.read_bytes())
    response_end = records.index(b"WARC/1.0", 10)
    cut = records[:response_end - 1000] + b"\r\n\r\n"  # the body shorter than its digest says
    path.write_bytes(gzip.compress(cut.replace(b"Content-Length: ", b"Content-Length: ", 1)))
    assert list(CaptureStore(tmp_path).captures()) == []
    assert len(list(CaptureStore(tmp_path).damaged())) == 1


# -- the index and the archive's lock ---------------------------------------------------
def test_a_damaged_index_is_one_line_with_what_to_do(tmp_path: Path) -> None:
    (tmp_path / ".state").mkdir()
    (tmp_path / ".state" / "index.sqlite").write_bytes(b"this is not SQLite" * 100)
    result = crawl("article", tmp_path, "-a", "url=http://127.0.0.1:9/s/x")
    assert result.returncode == 1
    line = refusal(result, "crawl article")
    assert line.startswith("scrapy crawl article: the index ") and "delete it" in line
    assert "Traceback" not in result.stderr
    verify = scrapy("verify", tmp_path)
    assert verify.returncode == 1 and "delete it" in verify.stderr


def overwrite(archive: Path, table: str, damage: Callable[[int], tuple[int, bytes]]) -> None:
    """Overwrite bytes of the first page of ``table`` in the archive's index: ``damage``,
    given the page's size, says where in the page and with what."""
    index = archive / ".state" / "index.sqlite"
    with sqlite3.connect(index) as db:
        [page] = db.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()
        size = db.execute("PRAGMA page_size").fetchone()[0]
    db.close()
    offset, data = damage(size)
    with index.open("r+b") as file:
        file.seek((page - 1) * size + offset)
        file.write(data)


def test_an_index_damaged_past_what_opening_reads_is_one_line_with_what_to_do(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """A damaged page of the images' table was read only once a run needed it: the article
    given was lost in tracebacks and the run exited 0; verify called the archive sound."""
    legacy = serve_legacy_shape(wechat)
    assert crawl("article", tmp_path, "-a", f"url={legacy.url}").returncode == 0
    overwrite(tmp_path, "images", lambda size: (0, b"\xde\xad" * (size // 2)))
    post = next((tmp_path / "_posts").glob("*.md"))
    archived = post.read_bytes()
    result = crawl("article", tmp_path, "-a", f"url={legacy.url}")
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    line = refusal(result, "crawl article")
    assert line.startswith("scrapy crawl article: the index ") and "delete it" in line
    for command in ("verify", "accounts-report"):
        looked = scrapy(command, tmp_path)
        assert looked.returncode == 1 and "Traceback" not in looked.stderr, looked.stderr
        assert "delete it" in refusal(looked, command)
    assert post.read_bytes() == archived


def test_an_index_whose_rows_are_damaged_is_one_line_that_names_the_damage_once(tmp_path: Path) -> None:
    """Bytes overwritten among the articles' rows: SQLite's quick check names the damage in
    its first row, after a header the check dropped with it; the line said "database disk
    image is malformed: database disk image is malformed"."""
    archive = Archive(tmp_path)
    for number in range(30):
        archive.index.add_article(f"b:{number}:1", f"https://mp.weixin.qq.com/s/{number}",
                                  f"2026-11-29-{number}.md", ArticleState.ARCHIVED, None, ())
    archive.close()
    overwrite(tmp_path, "articles", lambda size: (size - 300, b"GARBAGE" * 30))
    result = crawl("article", tmp_path, "-a", "url=http://127.0.0.1:9/s/x")
    line = refusal(result, "crawl article")
    assert re.search(r"cannot be used \(database disk image is malformed: On tree page \d+ [^;()]+\); "
                     r"it is damaged: delete it", line), line


@pytest.mark.parametrize("read", ["article_state", "given_tags"])
def test_an_error_the_run_does_not_handle_fails_it(wechat: MockWeChat, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch, read: str) -> None:
    """An index read that fails mid-run (a failing disk) where no code expects it, in the
    run's start (whether the article is archived) or in a pipeline (the post's tags): the
    article was lost to a traceback and the run exited 0, as if it had done its job."""
    legacy = serve_legacy_shape(wechat)

    def fails(*args: object) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(Index, read, fails)
    result = crawl("article", tmp_path, "-a", f"url={legacy.url}")
    assert result.returncode == 1, result.stderr
    assert re.search(r"ERROR: Exit status 1: an error the run does not handle", result.stderr)
    assert not list((tmp_path / "_posts").glob("*.md"))


def test_an_index_that_fails_the_runs_summary_fails_the_run_with_its_summary(
        wechat: MockWeChat, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The summary reads the index (the watch's changes, each account's line): a read that
    failed there was a traceback, no summary, and exit status 0."""
    legacy = serve_legacy_shape(wechat)

    def fails(*args: object) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(extensions, "record_changes", fails)
    result = crawl("article", tmp_path, "-a", f"url={legacy.url}")
    assert result.returncode == 1, result.stderr
    assert "ERROR: The run's summary could not read the index: disk I/O error" in result.stderr
    assert re.search(r"WARNING: Run summary \(finished\): 1 new, .*1 index read failed; FAILED: the "
                     r"index could not be read", result.stderr), result.stderr
    assert len(list((tmp_path / "_posts").glob("*.md"))) == 1


@pytest.mark.parametrize(("message", "name"), [("database or disk is full", "SQLITE_FULL"),
                                              ("disk I/O error", "SQLITE_IOERR"),
                                              ("unable to open database file", "SQLITE_CANTOPEN")])
def test_an_index_that_cannot_be_opened_for_another_reason_is_not_to_be_deleted(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, message: str, name: str) -> None:
    """Deleting the index loses what only it holds (albums read, links refused, what the watch
    saw, the images' names): the line advises it only for a damaged file, not a full disk."""
    Archive(tmp_path).close()

    def fails(self: Index, *args: object, **kwargs: object) -> None:
        error = sqlite3.OperationalError(message)
        error.sqlite_errorname = name
        raise error

    monkeypatch.setattr(Index, "__init__", fails)
    result = crawl("article", tmp_path, "-a", "url=http://127.0.0.1:9/s/x")
    assert result.returncode == 1
    line = refusal(result, "crawl article")
    assert message in line and "delete" not in line and "nothing was changed" in line


# Bytes left on the disk of test_a_crawl_on_a_disk_filling_as_it_writes_… (of its 8 MB tmpfs)
ROOMS = (60_000, 120_000, 450_000)
# What a run's summary says of each kind of write that failed
WRITES_FAILED = (("picture", r"\d+ images? failed, \d+ of those not written"), ("capture", r"\d+ captures? not written"),
                 ("post", r"[:,] \d+ not written"), ("index", r"\d+ index writes? failed"))


def on_a_full_disk(archive: Path, line: list[str], room: int = 0) -> subprocess.CompletedProcess[str]:
    """``line`` run with ``archive`` as it is on a disk filled but for ``room`` bytes (to its
    last byte by default). What the command left in the archive is in ``archive`` after."""
    ran = subprocess.run([*full_disk(archive, room), *line],
                         cwd=PROJECT, env=crawl_env(), capture_output=True, text=True, timeout=120)
    back_from_full_disk(archive)
    return ran


def full_disk(archive: Path, room: int = 0) -> tuple[str, ...]:
    """What a command is run behind to find ``archive`` as it is on a disk filled but for
    ``room`` bytes: a tmpfs mounted over it, in a mount namespace of the command's own (root
    only). Once it has ended, ``back_from_full_disk`` puts what it left in ``archive``."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("a full disk needs root and unshare(1) (a tmpfs of the test's own)")
    copy = archive.with_name(f"{archive.name}-copy")
    shutil.copytree(archive, copy)
    script = ('copy="$1" room="$2" && shift 2 && mount -t tmpfs -o size=8m tmpfs "$0" '
              '&& cp -a "$copy/." "$0/" || exit 125; '
              'head -c $(($(df -B1 --output=avail "$0" | tail -1) - room)) /dev/zero > "$0/filler"; '
              '"$@"; status=$?; rm "$0/filler" && rm -r "$copy" && cp -a "$0" "$copy"; exit $status')
    return ("unshare", "--mount", "sh", "-c", script, str(archive), str(copy), str(room))


def back_from_full_disk(archive: Path) -> None:
    shutil.rmtree(archive)
    archive.with_name(f"{archive.name}-copy").rename(archive)


def test_a_crawl_on_a_disk_filling_as_it_writes_loses_nothing_and_ends_whole_the_next_time(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """A real disk (a tmpfs of the test's own) filling while a run writes: an archived
    article edited upstream (more text, two pictures more) and a new one, at several levels
    of room left, so that pictures, a raw capture, posts and index writes each fail at one
    of them, on the disk as it is rather than by an error put in one call. Each time: lines,
    no traceback, exit status 1, no half file, the archived post as it was or written whole
    and no worse, the archive sound; and the next run, given room, ends it whole."""
    pictures = [wechat.image(f"/mmbiz_png/Room{number}/640", noise("PNG", size=(300, 200)))
                for number in range(6)]

    def body(urls: list[str], more: str = "") -> str:
        return "".join(f'<p>第{n}段。</p><p><img data-src="{url}"></p>' for n, url in enumerate(urls)) + more

    first = tmp_path / "first"
    edited = wechat.page("/s/Filling", page(body(pictures[:2]), mid="2247499711", title="甲"))
    assert crawl("article", first, "-a", f"url={edited}").returncode == 0
    [archived] = [path.read_text(encoding="utf-8") for path in (first / "_posts").glob("*.md")]
    text = "".join(chr(0x4E00 + number * 7919 % 20000) for number in range(30000))  # compresses little
    wechat.page("/s/Filling", page(body(pictures[:4], f"<p>{text}</p>"), mid="2247499711", title="甲"))
    new = wechat.page("/s/Filled", page(body(pictures[4:]), mid="2247499712", title="乙"))
    (tmp_path / "urls.txt").write_text(f"{edited}\n{new}\n")
    given = f"urls_file={tmp_path / 'urls.txt'}"
    failed = set()
    for room in ROOMS:
        archive = tmp_path / f"room-{room}"
        shutil.copytree(first, archive)
        result = on_a_full_disk(archive, crawl_command("article", archive, "-a", given), room)
        assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
        [summary] = re.findall(r"Run summary \(archive_refused\): .*FAILED: the run was cut short: the "
                               r"archive cannot be written", result.stderr)
        failed |= {what for what, said in WRITES_FAILED if re.search(said, summary)}
        assert not list(archive.rglob("*.tmp"))
        posts = {path.name: path.read_text(encoding="utf-8") for path in (archive / "_posts").glob("*.md")}
        for post in posts.values():
            assert all((archive / "postimg" / name).is_file() for name in re.findall(r"/postimg/([^)]+)\)", post))
        now = posts[next(iter((first / "_posts").glob("*.md"))).name]
        assert now == archived or (visible_length(now) > visible_length(archived) and all(
            link in now for link in re.findall(r"/postimg/[^)]+\)", archived))), now
        assert scrapy("verify", archive).returncode == 0
        again = crawl("article", archive, "-a", given)
        assert again.returncode == 0, again.stderr
        assert scrapy("verify", archive).stdout.endswith("is sound (2 posts)\n")
        assert not any(f"]({wechat.base}/mmbiz" in path.read_text(encoding="utf-8")
                       for path in (archive / "_posts").glob("*.md"))
    assert failed == {what for what, _ in WRITES_FAILED}


# An album of so many articles, asked a second apart: a run that went on asking WeChat
# after its archive refused a write would ask for them all.
ARTICLES = 6
POLITE = {"DOWNLOAD_DELAY": "1", "DOWNLOAD_DELAY_JITTER": "0"}


def stopped_by_the_archive(log: str, cause: str, asked: int) -> list[str]:
    """The ERROR lines of the writes that failed before the stop in ``log``, a run of an
    album of ``ARTICLES`` that asked WeChat for ``asked`` of them, having checked that it
    stopped as the archive refused a write for ``cause`` (``ArchiveStop``): those lines (one
    a cause), then one of the stop, naming the cause and the pages left, then those of the
    pages in hand failing for a cause of their own, if any, then the exit status's, the run
    cut short by the archive. No traceback."""
    assert "Traceback" not in log, log
    assert asked <= 2, log  # the page whose write failed, and one sent as it failed at most
    errors = [line.split(" ERROR: ", 1)[1] for line in log.splitlines() if " ERROR: " in line]
    [at] = [number for number, line in enumerate(errors) if line.startswith("Stopping: ")]
    written, stop, in_hand, status = errors[:at], errors[at], errors[at + 1:-1], errors[-1]
    # a page in hand, finished after the stop, may fail for a cause of its own (the index full)
    assert all(line.startswith("Not ") for line in in_hand), errors
    left = ARTICLES - asked
    assert stop == (f"Stopping: the archive cannot be written ({cause}); no page more is asked of "
                    f"WeChat, {left} queued page{'s' * (left != 1)} left for the next run, the pages "
                    "in hand are finished first. Give the archive room (or make it writable again) "
                    "and run again"), errors
    assert status.startswith("Exit status 1: the run was cut short: the archive cannot be written"), errors
    assert "no source could be read" not in log and "Run summary (archive_refused): " in log, log
    assert written and cause in written[0], errors
    return written


def told_once_each(log: str) -> None:
    """Each article a line of ``log`` names (by its ``mid``) is named by one line, which says
    what became of it: its pictures not stored were said first, "the post keeps their URLs",
    and then its post not archived."""
    said: dict[str, list[str]] = {}
    for line in log.splitlines():
        if " Run summary " not in line:
            for mid in dict.fromkeys(re.findall(r"mid=(\d+)", line)):
                said.setdefault(mid, []).append(line)
    assert all(len(lines) == 1 for lines in said.values()), said


def test_a_full_disk_stops_the_run_asking_wechat_and_the_next_run_archives_all(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """A real disk (a tmpfs of the test's own) with room for the archive's index and not for
    a picture: the run went on asking WeChat for every page of the album, a page apart, to
    keep none of their pictures. Now the first picture refused stops it as a signal does
    (``stopped_by_the_archive``); the next run, given room, archives them all, asking again
    only the pages whose writes failed."""
    site = Site(wechat)
    arts = site.serve(numbered(2247480501, ARTICLES))
    for art in arts:
        wechat.image(site.picture(art), noise("PNG", size=(300, 200)))  # more than the room left
    album = site.album("3403", arts)
    archive = tmp_path / "archive"
    Archive(archive).close()  # made with room
    result = on_a_full_disk(archive, crawl_command("album", archive, "-a", f"url={album}", settings=POLITE),
                            room=ROOMS[1])
    asked = len(wechat.hits("/s?"))
    assert result.returncode == 1, result.stderr
    [first, *_] = stopped_by_the_archive(result.stderr, "[Errno 28] No space left on device", asked)
    assert first.startswith("Not archived: cannot write the post of ") \
        and "cannot write the image: [Errno 28] No space left on device" in first, first
    told_once_each(result.stderr)
    assert not list(archive.rglob("*.tmp"))
    again = crawl("album", archive, "-a", f"url={album}")
    assert again.returncode == 0, again.stderr
    assert len(wechat.hits("/s?")) <= asked + ARTICLES
    assert scrapy("verify", archive).stdout.endswith(f"is sound ({ARTICLES} posts)\n")
    assert not any(f"]({wechat.base}/mmbiz" in path.read_text(encoding="utf-8")
                   for path in (archive / "_posts").glob("*.md"))


def test_an_index_on_a_full_disk_is_one_line_that_says_so(tmp_path: Path) -> None:
    """SQLite, finding no room for the file it shares the index through, says "disk I/O
    error": the line read as a failing disk, not a full one."""
    archive = tmp_path / "archive"
    Archive(archive).close()
    result = on_a_full_disk(archive, crawl_command("article", archive, "-a", "url=http://127.0.0.1:9/s/x"))
    assert result.returncode == 1, result.stderr
    line = refusal(result, "crawl article")
    assert re.search(r"cannot be used \(disk I/O error; its disk has 0 KiB free\); nothing was changed",
                     line), line


def test_an_index_another_process_is_writing_is_one_line_and_nothing_done(
        wechat: MockWeChat, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A person's SQLite tool holding a change not saved: every write of the run waited out
    the index's timeout (30 s, here shortened) and failed, each article with it in an ERROR
    line: a run of a hundred new articles took most of an hour and archived none."""
    site = Site(wechat)
    album = site.album("3603", site.serve(numbered(2247496201, 2)))
    Archive(tmp_path).close()
    connect = sqlite3.connect

    def impatient(*args: object, **kwargs: object) -> sqlite3.Connection:
        return connect(*args, **{**kwargs, "timeout": 0.2})  # type: ignore[arg-type]

    monkeypatch.setattr(sqlite3, "connect", impatient)
    holder = sqlite3.connect(tmp_path / ".state" / "index.sqlite", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("INSERT INTO accounts VALUES ('a person', 'editing')")
    try:
        result = crawl("album", tmp_path, "-a", f"url={album}")
    finally:
        holder.close()
    assert result.returncode == 1
    line = refusal(result, "crawl album")
    assert "cannot be used (database is locked)" in line and "another process" in line, line
    assert not wechat.hits("/mp/appmsgalbum") and not (tmp_path / "_posts").exists()



def test_an_index_another_process_locks_during_the_run_holds_up_one_write_not_each(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A person's SQLite tool took the index's lock after the run had started: each write
    of the run waited out the timeout (30 s; here shortened) before it failed, the crawl's
    reactor stopped meanwhile: an article of seven images took four minutes, a scheduled run
    of fifty hours, and kept the next from starting. Once one has waited, the others fail at
    once (each its ERROR line, as on a full disk), and succeed once the lock is let go."""
    connect = sqlite3.connect

    def impatient(*args: object, **kwargs: object) -> sqlite3.Connection:
        return connect(*args, **{**kwargs, "timeout": 0.2})  # type: ignore[arg-type]

    monkeypatch.setattr(sqlite3, "connect", impatient)
    index = Index(tmp_path / "index.sqlite")
    holder = connect(tmp_path / "index.sqlite", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    for url in ("https://example.com/a", "https://example.com/b"):
        with pytest.raises(sqlite3.OperationalError, match="database is locked"):
            index.add_link(url, "B:1:1")
        assert index.connection.execute("PRAGMA busy_timeout").fetchone() == (0,)  # waits no more
    holder.execute("ROLLBACK")
    holder.close()
    index.add_link("https://example.com/c", "B:1:1")
    assert index.link_key("https://example.com/c") == "B:1:1"
    index.close()

def test_a_full_disk_that_cannot_take_the_lock_s_process_id_is_one_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first run in a new folder on a full disk (or a user's run in the blocks the file
    system keeps for root) could make the lock but not write its process id in it: a
    traceback."""

    def full(*args: object) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "pwrite", full)
    result = crawl("article", tmp_path, "-a", "url=http://127.0.0.1:9/s/x")
    assert result.returncode == 1
    assert refusal(result, "crawl article") == (f"scrapy crawl article: cannot open the archive at "
                                                f"{tmp_path}/: [Errno 28] No space left on device")
    monkeypatch.undo()
    Archive(tmp_path).close()  # the lock was let go


def test_an_archive_on_a_share_that_takes_no_lock_is_one_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An NFS share whose client runs no lock daemon answers every lock "No locks available":
    a traceback, at every run."""

    def no_locks(*args: object) -> None:
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(fcntl, "flock", no_locks)
    result = crawl("article", tmp_path, "-a", "url=http://127.0.0.1:9/s/x")
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert refusal(result, "crawl article") == (
        f"scrapy crawl article: cannot lock the archive at {tmp_path}/ ([Errno 37] No locks "
        f"available), which keeps two runs from writing it at once: put it on a disk of "
        f"this machine, or a share that takes locks")


def test_a_second_run_on_one_archive_is_refused_while_the_first_runs(tmp_path: Path) -> None:
    first = Archive(tmp_path)
    try:
        with pytest.raises(ArchiveError, match=f"process {os.getpid()}"):
            Archive(tmp_path)
        result = crawl("article", tmp_path, "-a", "url=http://127.0.0.1:9/s/x")
        assert result.returncode == 1
        assert re.search(r"^scrapy crawl article: another run is writing the archive",
                         result.stderr, re.M)
        assert scrapy("verify", tmp_path).returncode == 0  # looking needs no lock
    finally:
        first.close()
    Archive(tmp_path).close()


def test_a_full_index_costs_the_article_not_the_run(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    with MockWeChat() as server:
        legacy = serve_legacy_shape(server)
        archive = Archive(tmp_path)

        def full(*args: object) -> None:
            raise sqlite3.OperationalError("database or disk is full")

        monkeypatch.setattr(archive.index, "add_article", full)
        from crawler.store.posts import Outcome
        from crawler.wechat.page import parse_page
        article = parse_page(server.body_of("/s/LegacyShapeToken"), legacy.url)
        text = compose_post(article, {}, ["其他"])
        with pytest.raises(sqlite3.OperationalError):
            archive.write_post(article, text, tags=["其他"], complete=True)
        monkeypatch.undo()
        assert archive.write_post(article, text, tags=["其他"], complete=True)[0] in (
            Outcome.NEW, Outcome.UPDATED, Outcome.UNCHANGED)
        archive.close()


@pytest.mark.parametrize("write", ["add_article", "set_tool_tags"])
def test_a_post_the_index_cannot_record_is_said_and_not_left_behind(
        wechat: MockWeChat, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, write: str) -> None:
    """The tags the tool made were recorded after the post's index row was committed: a
    full disk there said "Not archived" of a post archived and recorded, and left its tags
    unrecorded, so that a later rewrite took them for a person's and kept them for good.
    And a new post whose record a full disk refused was left written: "Not archived" was
    said of a post that was there, and ``scrapy verify`` failed on it as a post whose
    article the index lacks (what a lost index leaves)."""
    legacy = serve_legacy_shape(wechat)

    def full(*args: object) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(Index, write, full)
    result = crawl("article", tmp_path, "-a", f"url={legacy.url}")
    assert "ERROR: Not archived: cannot write the post of" in result.stderr, result.stderr
    index = Index(tmp_path / ".state" / "index.sqlite", read_only=True)
    key = parse_page(wechat.body_of("/s/LegacyShapeToken"), legacy.url).key
    assert index.article_path(key) is None  # not recorded, as said
    index.close()
    monkeypatch.undo()
    assert list((tmp_path / "_posts").iterdir()) == []  # nor written
    assert scrapy("verify", tmp_path).returncode == 0
    assert crawl("article", tmp_path, "-a", f"url={legacy.url}").returncode == 0
    index = Index(tmp_path / ".state" / "index.sqlite", read_only=True)
    assert index.article_path(key) is not None and index.tool_tags(key)
    index.close()


def test_a_new_post_that_cannot_be_taken_away_is_said_as_it_is(
        wechat: MockWeChat, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A new post whose record a full disk refused, and whose removal failed as well (a file
    system remounted read-only): the run said "Not archived" of a post left on disk, one the
    index has no record of."""
    legacy, [other] = serve_legacy_shape(wechat), Site(wechat).serve([Art("2247493101")])
    # an archive of another article: an empty index is rebuilt from the posts, this one too
    assert crawl("article", tmp_path, "-a", f"url={wechat.base}{other.path}").returncode == 0
    [other_post] = (tmp_path / "_posts").iterdir()
    _refused(monkeypatch, "add_article")
    posts, unlink = tmp_path / "_posts", Path.unlink

    def fails_in_posts(path: Path, missing_ok: bool = False) -> None:
        if path.parent == posts and not path.name.startswith("."):
            raise OSError(errno.EROFS, "Read-only file system")
        unlink(path, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", fails_in_posts)
    result = crawl("article", tmp_path, "-a", f"url={legacy.url}")
    monkeypatch.undo()
    article = parse_page(wechat.body_of("/s/LegacyShapeToken"), legacy.url)
    assert result.returncode == 1
    assert "Not archived" not in result.stderr, result.stderr
    [post] = set(posts.iterdir()) - {other_post}
    [line] = [line for line in result.stderr.splitlines() if "Not recorded" in line]
    assert "ERROR: Not recorded: " in line and f"{post} was written now, where no post was" in line \
        and "database or disk is full" in line and "Read-only file system" in line \
        and "the index has no record of it" in line \
        and f"scrapy crawl article -a url={article.url} records it" in line, line
    verify = scrapy("verify", tmp_path)
    assert verify.returncode == 1 and f"its article ({article.url}) is not in the index" in verify.stdout
    again = crawl("article", tmp_path, "-a", f"url={legacy.url}")
    assert again.returncode == 0 and f"INFO: Post new: {post}" in again.stderr, again.stderr
    assert set(posts.iterdir()) == {post, other_post}  # recorded, not written anew beside it
    index = Index(tmp_path / ".state" / "index.sqlite", read_only=True)
    assert index.article_path(article.key) == post.name and index.tool_tags(article.key)
    index.close()
    assert scrapy("verify", tmp_path).returncode == 0


def _an_update(wechat: MockWeChat, tmp_path: Path) -> tuple[str, Path, bytes]:
    """An article archived, then its page with a paragraph more: its URL, its post and the
    post's bytes as archived."""
    legacy = serve_legacy_shape(wechat)
    assert crawl("article", tmp_path, "-a", f"url={legacy.url}").returncode == 0
    [post] = (tmp_path / "_posts").iterdir()
    html = page_text("legacy_shape.html", wechat.base)
    wechat.page("/s/LegacyShapeToken", html.replace("<p>&nbsp;</p>", "<p>新增的防骗提示：陌生链接不要点。</p>", 1))
    return legacy.url, post, post.read_bytes()


def _an_update_the_index_refuses(wechat: MockWeChat, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                 write: str) -> tuple[str, Path, bytes]:
    """``_an_update`` whose index record (``write``) a full disk will refuse."""
    update = _an_update(wechat, tmp_path)
    _refused(monkeypatch, write)
    return update


def _no_hard_links(monkeypatch: pytest.MonkeyPatch) -> None:
    """``os.link`` failing as on vfat or a FUSE mount without hard links."""
    def refused(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", refused)


def _refused(monkeypatch: pytest.MonkeyPatch, write: str) -> None:
    """The index's ``write`` refused, as by a full disk."""
    def full(*args: object) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(Index, write, full)


def _putting_back_fails(monkeypatch: pytest.MonkeyPatch, post: Path) -> list[str | Path]:
    """The second rename onto ``post`` failing (the first writes it anew), as on a disk error
    or a file system remounted read-only; the renames onto it, as they come."""
    replace, onto_post = os.replace, []

    def fails_putting_back(source: str | Path, target: str | Path) -> None:
        if Path(target) == post:
            onto_post.append(source)
            if len(onto_post) == 2:
                raise OSError(errno.EIO, "Input/output error")
        replace(source, target)

    monkeypatch.setattr(os, "replace", fails_putting_back)
    return onto_post


@pytest.mark.parametrize("links", [True, False], ids=["hard links", "no hard links"])
@pytest.mark.parametrize("write", ["add_article", "set_tool_tags"])
def test_a_post_updated_whose_record_the_index_refuses_is_put_back_as_it_was(
        wechat: MockWeChat, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, write: str,
        links: bool) -> None:
    """A post replaced by a better version whose index record a full disk then refused:
    the run said "Not archived" of it, yet left the new version on disk with the old
    version's record in the index; so still where the file system has no hard links."""
    url, post, before = _an_update_the_index_refuses(wechat, tmp_path, monkeypatch, write)
    if not links:
        _no_hard_links(monkeypatch)
    result = crawl("article", tmp_path, "-a", f"url={url}")
    assert "ERROR: Not archived: cannot write the post of" in result.stderr, result.stderr
    monkeypatch.undo()
    assert post.read_bytes() == before  # as the index records it, as "Not archived" says
    assert [path.name for path in post.parent.iterdir()] == [post.name]  # nothing left beside it
    assert scrapy("verify", tmp_path).returncode == 0
    again = crawl("article", tmp_path, "-a", f"url={url}")
    assert "INFO: Post updated: " in again.stderr, again.stderr
    assert "新增的防骗提示" in post.read_text(encoding="utf-8")


def test_a_kept_version_that_cannot_be_removed_after_a_good_write_is_said_and_removed_next_run(
        wechat: MockWeChat, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The second name keeping a post's version before, to put it back should its record
    fail, stayed beside the post when removing it failed after a good write, and nothing
    said so: verify named a half-written file the run had not mentioned."""
    url, post, _ = _an_update(wechat, tmp_path)
    unlink = Path.unlink

    def fails_for_kept(path: Path, missing_ok: bool = False) -> None:
        if path.name.endswith(".kept.tmp") and path.exists():
            raise OSError(errno.EIO, "Input/output error")
        unlink(path, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", fails_for_kept)
    result = crawl("article", tmp_path, "-a", f"url={url}")
    monkeypatch.undo()
    assert result.returncode == 0 and f"INFO: Post updated: {post}" in result.stderr, result.stderr
    [kept] = [path for path in post.parent.iterdir() if path.name.endswith(".kept.tmp")]
    [line] = [line for line in result.stderr.splitlines() if str(kept) in line]
    assert f"WARNING: {kept} stays beside {post}" in line and "Input/output error" in line \
        and "delete it" in line, line
    again = crawl("article", tmp_path, "-a", f"url={url}")  # or the next run removes it
    assert again.returncode == 0 and str(kept) not in again.stderr, again.stderr
    assert [path.name for path in post.parent.iterdir()] == [post.name]
    assert scrapy("verify", tmp_path).returncode == 0


def test_leftovers_beside_a_post_a_person_moved_into_a_folder_are_named_and_removed(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """A run killed while writing a post a person had moved into a folder of ``_posts/``
    left its temporary file there for good: the next run removed those at the top only,
    and verify, which named those, said the archive was sound."""
    url, post, _ = _an_update(wechat, tmp_path)
    moved = post.parent / "2025" / post.name
    moved.parent.mkdir()
    post.rename(moved)
    name, fd = files._write_temporary(moved.parent, f".{moved.name}.", b"half",
                                      start_writeback=False)  # what a kill leaves
    os.close(fd)
    leftover = Path(name)
    verify = scrapy("verify", tmp_path)
    assert verify.returncode == 1 and f"{leftover}: a half-written file" in verify.stdout, verify.stdout
    again = crawl("article", tmp_path, "-a", f"url={url}")
    assert again.returncode == 0 and f"INFO: Post updated: {moved}" in again.stderr, again.stderr
    assert sorted(moved.parent.iterdir()) == [moved]
    assert scrapy("verify", tmp_path).returncode == 0


def test_a_leftover_that_cannot_be_removed_is_said_with_what_to_do(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """A killed run's temporary file that the next run could not remove stayed, unsaid."""
    leftover = tmp_path / ".post.md.123.kept.tmp"
    leftover.write_text("before", encoding="utf-8")

    def fails(path: Path, missing_ok: bool = False) -> None:
        raise OSError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(Path, "unlink", fails)
    remove_leftovers(tmp_path)
    [record] = caplog.records
    assert record.levelname == "WARNING" and str(leftover) in record.getMessage() \
        and "Permission denied" in record.getMessage() and "delete it" in record.getMessage()


def killed_in(method: str, refused: str) -> list[str]:
    """Lines of a ``python -c`` script that make the index's ``refused`` write fail as on a
    full disk, and kill the process (SIGKILL) as ``method`` of ``crawler.store.files`` is
    entered: a kill at that very point of a real crawl."""
    owner, _, name = method.rpartition(".")
    return [
        "import os, signal, sqlite3",
        "from crawler.store import files",
        "from crawler.store.index import Index",
        "def full(*args, **kwargs): raise sqlite3.OperationalError('database or disk is full')",
        "def killed(*args, **kwargs): os.kill(os.getpid(), signal.SIGKILL)",
        f"setattr(Index, {refused!r}, full)",
        f"setattr(files.{owner} if {owner!r} else files, {name!r}, killed)",
    ]


def _crawled_with(tmp_path: Path, url: str, prelude: list[str]) -> subprocess.CompletedProcess[str]:
    """``scrapy crawl article`` of ``url`` in a process that runs ``prelude`` first."""
    command = crawl_command("article", tmp_path, "-a", f"url={url}")
    command[1:3] = ["-c", "\n".join([*prelude, "import sys", "from scrapy.cmdline import execute",
                                      "sys.argv[0] = 'scrapy'", "execute()"])]
    return subprocess.run(command, cwd=PROJECT, env=crawl_env(), capture_output=True, text=True,
                          timeout=120)


def _killed_putting_back(tmp_path: Path, url: str) -> None:
    """Archive ``url`` again, killed as the post written over is put back after the index
    refused the new version's record."""
    killed = _crawled_with(tmp_path, url, killed_in("_Before.put_back", "add_article"))
    assert killed.returncode == -signal.SIGKILL, killed.stderr


def test_a_run_killed_while_putting_back_a_post_its_index_refused_leaves_the_post_it_records(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """Killed between writing a better version of a post and putting the old one back
    after the index refused its record: the next run removed the old version as a
    leftover, and the post held the new version for good, with the index's record of the
    old one (its tags, its links, what the watch saw), a version no run had said it archived."""
    url, post, before = _an_update(wechat, tmp_path)
    [other] = Site(wechat).serve([Art("2247493101")])
    _killed_putting_back(tmp_path, url)
    assert "新增的防骗提示" in post.read_text(encoding="utf-8")  # killed at that very point
    [kept] = [path for path in post.parent.iterdir() if path.name.endswith(".kept.tmp")]
    verify = scrapy("verify", tmp_path)
    said = (f"{kept}: {post.name} as it was, kept by an interrupted run to put it back: the next "
            "run puts it back, if that is the version the index records, or removes it; do not delete it")
    assert verify.returncode == 1 and said in verify.stdout, verify.stdout
    again = crawl("article", tmp_path, "-a", f"url={wechat.base}{other.path}")  # another article
    assert again.returncode == 0, again.stderr
    assert f"WARNING: Put back {post} as the index records it" in again.stderr, again.stderr
    assert post.read_bytes() == before  # the post the index records
    assert not [path for path in tmp_path.rglob("*") if path.name.endswith(".tmp")]
    assert scrapy("verify", tmp_path).returncode == 0
    fetched = crawl("article", tmp_path, "-a", f"url={url}")
    assert fetched.returncode == 0 and f"INFO: Post updated: {post}" in fetched.stderr, fetched.stderr
    assert "新增的防骗提示" in post.read_text(encoding="utf-8")


def test_a_post_a_killed_run_left_that_the_next_run_cannot_put_back_fails_that_run(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """The next run could not put back the version the index records (a disk error): its
    ERROR line said so and the run exited 0, the post holding a version no run recorded."""
    url, post, _ = _an_update(wechat, tmp_path)
    [other] = Site(wechat).serve([Art("2247493101")])
    _killed_putting_back(tmp_path, url)
    again = _crawled_with(tmp_path, f"{wechat.base}{other.path}", [
        "import errno, types",
        "from crawler.store import rewrites",
        "def fails(*args): raise OSError(errno.EIO, 'Input/output error')",
        "rewrites.os = types.SimpleNamespace(replace=fails)"])
    assert f"ERROR: {post} holds the version a run wrote before it was killed" in again.stderr, again.stderr
    assert again.returncode == 1, again.stderr
    assert "新增的防骗提示" in post.read_text(encoding="utf-8")


def test_a_run_killed_while_putting_back_a_post_the_index_never_recorded_leaves_it_to_be_taken_over(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """The same kill, of a post the index had no record of (a run before could not record
    it): the next run said it put back the version the index records, of which there is none."""
    url, post, _ = _an_update(wechat, tmp_path)
    [other] = Site(wechat).serve([Art("2247493101")])
    assert crawl("article", tmp_path, "-a", f"url={wechat.base}{other.path}").returncode == 0
    [other_post] = set(post.parent.iterdir()) - {post}
    with contextlib.closing(sqlite3.connect(tmp_path / ".state" / "index.sqlite")) as db, db:
        db.execute("DELETE FROM articles WHERE path = ?", (post.name,))  # lost, as by a full disk
    _killed_putting_back(tmp_path, url)
    again = crawl("article", tmp_path, "-a", f"url={wechat.base}{other.path}")
    assert again.returncode == 0 and "Put back" not in again.stderr, again.stderr
    assert not [path for path in tmp_path.rglob("*") if path.name.endswith(".tmp")]
    assert crawl("article", tmp_path, "-a", f"url={url}").returncode == 0  # takes it over
    assert sorted(path.name for path in post.parent.iterdir()) == sorted([post.name, other_post.name])
    assert "新增的防骗提示" in post.read_text(encoding="utf-8")
    with contextlib.closing(sqlite3.connect(tmp_path / ".state" / "index.sqlite")) as db:
        assert db.execute("SELECT count(*) FROM articles WHERE path = ?", (post.name,)).fetchone() == (1,)
    assert scrapy("verify", tmp_path).returncode == 0


@pytest.mark.parametrize("links", [True, False], ids=["hard links", "no hard links"])
def test_a_post_updated_that_cannot_be_put_back_is_said_as_it_is(
        wechat: MockWeChat, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, links: bool) -> None:
    """Its index record refused, the post could not be put back either (a disk error, a
    file system remounted read-only: a rename fails as writing does): the run said "Not
    archived" of a post that held the new version, the index the old one's record."""
    url, post, before = _an_update_the_index_refuses(wechat, tmp_path, monkeypatch, "add_article")
    if not links:
        _no_hard_links(monkeypatch)
    onto_post = _putting_back_fails(monkeypatch, post)
    result = crawl("article", tmp_path, "-a", f"url={url}")
    monkeypatch.undo()
    article = parse_page(wechat.body_of("/s/LegacyShapeToken"), url)
    assert len(onto_post) == 2
    assert result.returncode == 1
    assert "Not archived" not in result.stderr, result.stderr
    [line] = [line for line in result.stderr.splitlines() if "Not recorded" in line]
    assert "ERROR: Not recorded: " in line and f"{post} holds what was written now" in line \
        and "database or disk is full" in line and "Input/output error" in line \
        and f"scrapy crawl article -a url={article.url} records it" in line, line
    assert "新增的防骗提示" in post.read_text(encoding="utf-8")
    assert [path.name for path in post.parent.iterdir()] == [post.name]
    again = crawl("article", tmp_path, "-a", f"url={url}")
    assert again.returncode == 0, again.stderr
    index = Index(tmp_path / ".state" / "index.sqlite", read_only=True)
    assert index.article_path(article.key) == post.name and index.tool_tags(article.key)
    index.close()
    assert post.read_bytes() != before


def test_a_post_that_cannot_be_kept_as_it_was_is_not_written_over(
        wechat: MockWeChat, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where no hard link can be made, a post is kept as its bytes before it is written
    over, to be put back should its record fail; that read failing (a disk error) escaped
    as the bare error."""
    url, post, before = _an_update(wechat, tmp_path)
    _no_hard_links(monkeypatch)
    read_bytes = Path.read_bytes

    def fails_for_post(path: Path) -> bytes:
        if path == post:
            raise OSError(errno.EIO, "Input/output error")
        return read_bytes(path)

    monkeypatch.setattr(Path, "read_bytes", fails_for_post)
    result = crawl("article", tmp_path, "-a", f"url={url}")
    monkeypatch.undo()
    assert result.returncode == 1
    article = parse_page(wechat.body_of("/s/LegacyShapeToken"), url)
    [line] = [line for line in result.stderr.splitlines() if "Not archived" in line]
    assert line.endswith(f"ERROR: Not archived: cannot write the post of {article.url}: {post} cannot be "
                         "kept as it was, to be put back should writing it fail ([Errno 5] "
                         "Input/output error): not written over; 1 of its 7 images not stored "
                         "either (HTTP 404)"), line
    assert "Traceback" not in result.stderr
    assert post.read_bytes() == before
    assert [path.name for path in post.parent.iterdir()] == [post.name]
    again = crawl("article", tmp_path, "-a", f"url={url}")
    assert again.returncode == 0 and "INFO: Post updated: " in again.stderr, again.stderr


def test_a_rebuilt_post_that_cannot_be_put_back_is_said_as_it_is(
        wechat: MockWeChat, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """So for ``scrapy rebuild``: it said "Not rebuilt" of a post it had rewritten."""
    legacy = serve_legacy_shape(wechat)
    assert crawl("article", tmp_path, "-a", f"url={legacy.url}").returncode == 0
    [post] = (tmp_path / "_posts").iterdir()
    post.write_text(post.read_text(encoding="utf-8") + "\n一句手写的话。\n", encoding="utf-8")
    _refused(monkeypatch, "add_article")
    onto_post = _putting_back_fails(monkeypatch, post)
    rebuilt = scrapy("rebuild", tmp_path)
    monkeypatch.undo()
    assert len(onto_post) == 2
    assert rebuilt.returncode == 1 and rebuilt.stdout == "rebuild: 1 not recorded\n", rebuilt.stdout
    [line] = rebuilt.stderr.splitlines()
    assert line == (f"Not recorded: {post} holds what was written now, not what it held before: "
                    "database or disk is full, and putting it back failed ([Errno 5] Input/output "
                    "error); the index still records the post before: once that is mended, "
                    "scrapy rebuild records it"), line
    assert "一句手写的话" not in post.read_text(encoding="utf-8")
    again = scrapy("rebuild", tmp_path)
    assert again.returncode == 0 and again.stdout == "rebuild: 1 unchanged\n", again.stdout


def test_a_restored_post_that_cannot_be_taken_away_is_said_as_it_is(
        wechat: MockWeChat, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """So for a post deleted by hand that ``scrapy rebuild`` makes again: it said "Not
    restored" of a post it had made, and at WARNING."""
    legacy = serve_legacy_shape(wechat)
    assert crawl("article", tmp_path, "-a", f"url={legacy.url}").returncode == 0
    [post] = (tmp_path / "_posts").iterdir()
    post.unlink()
    _refused(monkeypatch, "add_article")
    unlink = Path.unlink

    def fails_in_posts(path: Path, missing_ok: bool = False) -> None:
        if path == post:
            raise OSError(errno.EROFS, "Read-only file system")
        unlink(path, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", fails_in_posts)
    rebuilt = scrapy("rebuild", tmp_path)
    monkeypatch.undo()
    assert rebuilt.returncode == 1 and rebuilt.stdout == "rebuild: 1 not recorded\n", rebuilt.stdout
    assert rebuilt.stderr.splitlines() == [
        f"Not recorded: {post} was written now, where no post was: database or disk is full, and "
        "taking it away failed ([Errno 30] Read-only file system); the index still records the "
        "post before: once that is mended, scrapy rebuild records it"], rebuilt.stderr
    assert post.is_file()
    again = scrapy("rebuild", tmp_path)
    assert again.returncode == 0 and again.stdout == "rebuild: 1 unchanged\n", again.stdout


def read_only(archive: Path, command: str, *, line: list[str] | None = None,
              part: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``scrapy COMMAND`` (or ``line``) on ``archive`` as a user who may read it (or its
    ``part``, a file or folder) but not write it: the folders or file made read-only to this
    user, or, for root (whom permissions do not stop), bound read-only in a mount namespace
    of the command's own."""
    line = line or [sys.executable, "-m", "scrapy", command, "-s", f"ARCHIVE_DIR={archive}"]
    target = part or archive
    if os.geteuid() != 0:
        paths = [target, *(path for path in target.rglob("*") if path.is_dir())]
        for path in paths:
            path.chmod(0o555)
        try:
            return subprocess.run(line, cwd=PROJECT, env=crawl_env(), capture_output=True,
                                  text=True, timeout=120)
        finally:
            for path in paths:
                path.chmod(0o755 if path.is_dir() else 0o644)
    if shutil.which("unshare") is None:
        pytest.skip("run as root without unshare(1): no way to make the archive read-only")
    script = 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"'
    return subprocess.run(["unshare", "--mount", "sh", "-c", script, str(target), *line],
                          cwd=PROJECT, env=crawl_env(), capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("command", ["verify", "accounts-report"])
def test_an_archive_one_may_read_but_not_write_can_be_looked_at(tmp_path: Path, command: str) -> None:
    """The commands that only look refused it: SQLite could make no file to share the index
    with a writer (its WAL mode's ``-shm``), and said "unable to open database file"."""
    root, _ = _archive_of_two(tmp_path)
    result = read_only(root, command)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout.splitlines()[-1].startswith(
        f"verify: {root} is sound (2 posts)" if command == "verify" else "accounts-report: 1 account, ")



def test_an_index_this_user_may_not_write_is_one_line_and_nothing_done(tmp_path: Path) -> None:
    """The index another user's file (made by a run under sudo), in a folder this user may
    write: SQLite opened it read-only and said nothing until the first write; then each
    write of the run failed, each its ERROR line, and, as none was recorded, each run
    fetched every article again."""
    with MockWeChat() as server:
        legacy = serve_legacy_shape(server)
        assert crawl("article", tmp_path, "-a", f"url={legacy.url}").returncode == 0
        asked = len(server.hits("/s"))
        index = tmp_path / ".state" / "index.sqlite"
        result = read_only(tmp_path, "crawl", part=index,
                           line=crawl_command("article", tmp_path, "-a", f"url={legacy.url}"))
        assert result.returncode == 1, result.stderr
        assert refusal(result, "crawl article") == (
            f"scrapy crawl article: the index {index} cannot be used (attempt to write a readonly "
            "database); nothing was changed: run again once that is mended")
        assert len(server.hits("/s")) == asked

# -- posts that are not ours -----------------------------------------------------------
def test_a_torn_post_is_one_line_that_says_what_to_do_and_is_not_written_over(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """A post cut short (a copy interrupted, a disk that failed; here inside a character)
    was a line that named its file and what is wrong with it, and nothing to do about it."""
    legacy = serve_legacy_shape(wechat)
    assert crawl("article", tmp_path, "-a", f"url={legacy.url}").returncode == 0
    post = tmp_path / "_posts" / POST_NAME
    whole = post.read_bytes()
    post.write_bytes(whole[:200])
    result = crawl("article", tmp_path, "-a", f"url={legacy.url}")
    assert result.returncode == 1
    [line] = [line for line in result.stderr.splitlines() if " ERROR: " in line and "Exit status" not in line]
    assert f"{post}: not UTF-8 text" in line and line.endswith(
        ": not written over: mend it, or delete it and run scrapy rebuild to make it again; 1 of "
        "its 7 images not stored either (HTTP 404)"), line  # its one line says all of it
    assert post.read_bytes() == whole[:200]
    post.unlink()
    assert scrapy("rebuild", tmp_path).returncode == 0
    assert post.read_bytes() == whole and scrapy("verify", tmp_path).returncode == 0


def test_posts_that_are_not_ours_are_reported_and_skipped(tmp_path: Path) -> None:
    with MockWeChat() as server:
        legacy = serve_legacy_shape(server)
        assert crawl("article", tmp_path, "-a", f"url={legacy.url}").returncode == 0
    posts = tmp_path / "_posts"
    (posts / "2020-01-01-gbk.md").write_bytes("---\ntitle: 反诈\n---\n".encode("gbk"))
    (posts / "2020-01-02-list.md").write_text("---\ntitle: x\nwechat: [1, 2]\n---\n")
    (posts / "2020-01-03-escape.md").write_text('---\ntitle: "\\udc80"\nwechat:\n    url: u\n---\n')
    (posts / ".gitkeep").write_text("")
    verify = scrapy("verify", tmp_path)
    assert verify.returncode == 1
    out = verify.stdout
    assert "2020-01-01-gbk.md: not UTF-8 text" in out
    assert "2020-01-02-list.md: wechat: is not a mapping" in out
    assert "2020-01-03-escape.md: front matter: title holds U+DC80, which Jekyll cannot read" in out
    assert ".gitkeep" not in out
    rebuilt = scrapy("rebuild", tmp_path)
    [line] = [line for line in rebuilt.stderr.splitlines() if "Not rebuilt: 2020-01-01-gbk" in line]
    assert line.endswith("Not rebuilt: 2020-01-01-gbk.md: not UTF-8 text (invalid start byte at byte 11)") \
        and line.count("2020-01-01-gbk.md") == 1, line  # named once
    assert "1 unchanged" in rebuilt.stdout and "Traceback" not in rebuilt.stderr
    # a lost index is rebuilt from the posts that can be read
    os.remove(tmp_path / ".state" / "index.sqlite")
    again = crawl("article", tmp_path, "-a", "url=http://127.0.0.1:9/s/x")
    assert "Traceback" not in again.stderr
    assert "Rebuilt the index of 2 archived articles" in again.stderr


def test_a_lost_index_rebuilt_on_a_full_disk_is_one_line_and_whole_the_next_time(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rebuilding a deleted index from the posts on a disk that filled up was a traceback,
    and the articles recorded before it filled stayed: the next run, finding an index of
    articles, rebuilt none of the others."""
    root, arts = _archive_of_two(tmp_path)
    os.remove(root / ".state" / "index.sqlite")
    real, calls = Index.add_article, []

    def fills_up(self: Index, *args: object, **kwargs: object) -> None:
        calls.append(args)
        if len(calls) == 2:
            raise sqlite3.OperationalError("database or disk is full")
        real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Index, "add_article", fills_up)
    result = crawl("article", root, "-a", "url=http://127.0.0.1:9/s/x")
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    line = refusal(result, "crawl article")
    assert "database or disk is full" in line and "nothing was changed" in line
    monkeypatch.undo()
    again = crawl("article", root, "-a", "url=http://127.0.0.1:9/s/x")
    assert "Rebuilt the index of 2 archived articles" in again.stderr, again.stderr
    assert scrapy("verify", root).returncode == 0


def test_a_lost_index_of_one_post_is_rebuilt_of_one_article(tmp_path: Path) -> None:
    """The run after an index of one post was lost said it "Rebuilt the index of 1 archived
    articles"."""
    root, [gone, _] = _archive_of_two(tmp_path)
    [post] = (root / "_posts").glob(f"*{gone.mid}*.md")
    post.unlink()
    os.remove(root / ".state" / "index.sqlite")
    again = crawl("article", root, "-a", "url=http://127.0.0.1:9/s/x")
    assert "Rebuilt the index of 1 archived article from " in again.stderr, again.stderr


def test_a_lost_index_costs_no_post_its_stored_images(wechat: MockWeChat, tmp_path: Path) -> None:
    """The damaged index's line says to delete it; one rebuilt from the posts knows no image
    URLs. Neither a rebuild nor a crawl in which the CDN no longer serves the images may then
    swap a post's stored images for links to the CDN."""
    legacy = serve_legacy_shape(wechat)
    assert crawl("article", tmp_path, "-a", f"url={legacy.url}").returncode == 0
    post = next((tmp_path / "_posts").glob("*.md"))
    archived = post.read_bytes()
    assert archived.count(b"{{site.baseurl}}/postimg/") == 7
    os.remove(tmp_path / ".state" / "index.sqlite")
    rebuilt = scrapy("rebuild", tmp_path)
    assert rebuilt.returncode == 0 and post.read_bytes() == archived, rebuilt.stdout
    for path in [path for path, _ in wechat.hits("/mmbiz")]:
        wechat.image(path.split("?")[0], b"", status=404)
    again = crawl("article", tmp_path, "-a", f"url={legacy.url}")
    assert "Kept the archived" in again.stderr
    assert post.read_bytes() == archived
    assert scrapy("verify", tmp_path).returncode == 0



def test_a_lost_index_still_stores_identical_bytes_once(wechat: MockWeChat, tmp_path: Path) -> None:
    """The index is rebuilt from the posts and the files in ``postimg/`` (the contract): it
    was rebuilt from the posts alone, knew no image's bytes, and the picture a later article
    shows under another URL (an account's footer uploaded again) was stored again under a
    name of its own, a copy per article."""
    site = Site(wechat)
    first, later = site.serve([Art("2247496301"), Art(str(2247496301 + 256))])  # one picture
    urls = tmp_path / "urls.txt"
    urls.write_text(site.link(first).replace("&amp;", "&"), encoding="utf-8")
    assert crawl("article", tmp_path / "archive", "-a", f"urls_file={urls}").returncode == 0
    images = tmp_path / "archive" / "postimg"
    stored = sorted(path.name for path in images.iterdir())
    assert f"Img{first.mid}x1.png" in stored
    os.remove(tmp_path / "archive" / ".state" / "index.sqlite")
    urls.write_text(site.link(later).replace("&amp;", "&"), encoding="utf-8")
    result = crawl("article", tmp_path / "archive", "-a", f"urls_file={urls}")
    assert result.returncode == 0, result.stderr
    assert sorted(path.name for path in images.iterdir()) == stored
    [post] = [path for path in (tmp_path / "archive" / "_posts").glob("*.md") if later.mid in path.name
              or later.mid in path.read_text(encoding="utf-8")]
    assert f"{{{{site.baseurl}}}}/postimg/Img{first.mid}x1.png" in post.read_text(encoding="utf-8")
    assert scrapy("verify", tmp_path / "archive").returncode == 0

def test_an_image_the_index_cannot_record_costs_the_image_not_the_article(
        wechat: MockWeChat, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    legacy = serve_legacy_shape(wechat)

    def full(*args: object) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(Index, "add_blobs", full)
    result = crawl("article", tmp_path, "-a", f"url={legacy.url}")
    assert "Traceback" not in result.stderr
    assert "cannot record the image: database or disk is full" in result.stderr
    assert result.returncode == 1  # an index write failed, and the ERROR lines say which
    assert re.search(r"ERROR: Not recorded for \S+/mmbiz_gif/HeaderGifMediaId001/640\S*: database or disk is full",
                     result.stderr)
    the_next_run_stores_the_images(tmp_path, legacy.url, monkeypatch)


def the_next_run_stores_the_images(root: Path, url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The post of ``url`` a faulty run wrote links the CDN's images; the fault undone, the
    next run stores its seven and links them."""
    [post] = (root / "_posts").glob("*.md")
    assert "{{site.baseurl}}/postimg/" not in post.read_text()
    monkeypatch.undo()
    assert crawl("article", root, "-a", f"url={url}").returncode == 0
    assert post.read_text().count("{{site.baseurl}}/postimg/") == 7


def test_images_the_disk_cannot_take_fail_the_run(
        wechat: MockWeChat, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A nearly full disk takes the posts and the index but not the images (or ``postimg/``
    is read-only): the run exited 0, its summary a WARNING of "images failed", while every
    post showed the CDN's links, which the blog cannot show, run after run. The first
    picture refused so stops the run (``ArchiveStop``): one line more, the stop's."""
    legacy = serve_legacy_shape(wechat)

    def full(files: list[tuple[Path, bytes]]) -> list[OSError | None]:
        return [OSError(errno.ENOSPC, "No space left on device") for _ in files]

    monkeypatch.setattr(images, "atomic_write_many", full)
    result = crawl("article", tmp_path, "-a", f"url={legacy.url}")
    assert result.returncode == 1, result.stderr
    assert re.findall(r"ERROR: Images not stored, the post keeps their URLs: 7 of 7 in \S+ "
                      r"\(cannot write the image: \[Errno 28\] No space left on device; HTTP 404\)\n", result.stderr) != [], result.stderr
    assert result.stderr.count("ERROR:") == 3, result.stderr  # that line, the stop's, the exit status's
    assert "ERROR: Stopping: the archive cannot be written ([Errno 28] No space left on device); " \
        "no page more is asked of WeChat, 0 queued pages left for the next run" in result.stderr
    assert "FAILED: the run was cut short: the archive cannot be written" in result.stderr
    the_next_run_stores_the_images(tmp_path, legacy.url, monkeypatch)


def test_a_capture_that_cannot_be_written_fails_the_run(
        wechat: MockWeChat, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The raw page is part of what a run keeps: a full disk that loses it is an ERROR line
    and exit status 1, as a post or an index write that fails; the post is written."""
    legacy = serve_legacy_shape(wechat)

    def full(self: CaptureStore, *args: object, **kwargs: object) -> None:
        raise CaptureError("cannot write a capture to captures.warc.gz: No space left on device")

    monkeypatch.setattr(CaptureStore, "add_response", full)
    result = crawl("article", tmp_path, "-a", f"url={legacy.url}")
    assert "ERROR: Capture not written: cannot write a capture" in result.stderr
    assert result.returncode == 1
    assert "FAILED: the archive could not be written" in result.stderr
    assert len(list((tmp_path / "_posts").glob("*.md"))) == 1


@pytest.mark.parametrize("status", [500, 503, 404])
def test_an_article_given_that_cannot_be_fetched_fails_the_run(wechat: MockWeChat, tmp_path: Path,
                                                              status: int) -> None:
    """Asked for an article WeChat did not serve, the run did not do its job: as when
    WeChat cannot be reached at all, but WeChat answered (an error page)."""
    url = wechat.page("/s/Unavailable", "<html><body><p>系统繁忙</p></body></html>", status=status)
    result = crawl("article", tmp_path, "-a", f"url={url}")
    assert result.returncode == 1, result.stderr
    assert "Exit status 1: none of the articles given could be fetched" in result.stderr


def test_an_article_given_that_wechat_says_is_deleted_is_fetched_beside_one_that_failed(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """One of two articles given answered "deleted" (a page fetched, its state recorded),
    the other a 500: the run was told "FAILED: none of the articles given could be fetched"
    beside its own count of the deleted one, and exited 1 (an album's run so exits 0)."""
    deleted = wechat.page("/s/Deleted", (Path(__file__).parent / "pages" / "deleted.html").read_text())
    failing = wechat.page("/s/Failing", "<html><body><p>系统繁忙</p></body></html>", status=500)
    (tmp_path / "urls.txt").write_text(f"{deleted}\n{failing}\n")
    result = crawl("article", tmp_path / "archive", "-a", f"urls_file={tmp_path / 'urls.txt'}")
    assert "Run summary (finished): 1 deleted, 1 not fetched\n" in result.stderr, result.stderr
    assert "none of the articles given" not in result.stderr
    assert result.returncode == 0


def test_an_article_page_redirected_in_a_loop_is_one_line_and_a_failed_run(wechat: MockWeChat,
                                                                         tmp_path: Path) -> None:
    """The scheduler drops the redirect back as a duplicate, with no errback: the run said
    "nothing to do" and exited 0."""
    wechat.redirect("/s/Here", wechat.base + "/s/There")
    url = wechat.redirect("/s/There", wechat.base + "/s/Here")
    result = crawl("article", tmp_path, "-a", f"url={url}")
    assert re.search(rf"WARNING: Not archived: could not fetch {re.escape(url)}: IgnoreRequest: "
                     rf"redirected in a loop, back to '{re.escape(url)}'", result.stderr), result.stderr
    assert result.returncode == 1


def test_images_a_full_disk_refuses_for_several_posts_are_one_error_line_and_no_warning(
        wechat: MockWeChat, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Three posts whose images all come but none can be written: one ERROR line for the
    cause, the other posts' lines at INFO, not a WARNING a post in the cron mail. The first
    write is refused once all three have their images (the refusal stops the run, and a page
    not yet had is not asked: on a loaded machine the third's was not, one line short)."""
    site = Site(wechat)
    arts = site.serve(numbered(2247493051, 3))
    placed: list[object] = []
    finish = ImagePipeline.finish

    async def counted(pipeline: ImagePipeline, item: ArticleItem, *args: Any, **kwargs: Any) -> ArticleItem:
        placed.append(item)
        return await finish(pipeline, item, *args, **kwargs)

    def full(files: list[tuple[Path, bytes]]) -> list[OSError | None]:
        until = time.monotonic() + 20  # on the images' writer thread: the reactor goes on
        while len(placed) < len(arts) and time.monotonic() < until:
            time.sleep(0.01)
        return [OSError(errno.ENOSPC, "No space left on device") for _ in files]

    monkeypatch.setattr(ImagePipeline, "finish", counted)
    monkeypatch.setattr(images, "atomic_write_many", full)
    wechat.before_answer = Gate(2, patience=1.0).before_answer  # the second page comes late
    result = crawl("album", tmp_path, "-a", f"url={site.album('3203', arts)}")
    assert result.returncode == 1, result.stderr
    lines = [line for line in result.stderr.splitlines() if "Images not stored" in line]
    assert len(lines) == 3 and sum("ERROR: " in line for line in lines) == 1, lines
    assert sum("INFO: " in line for line in lines) == 2, lines


# -- image failures shared by several articles ---------------------------------------------
def test_every_article_sharing_a_failed_image_is_fetched_again(wechat: MockWeChat,
                                                              tmp_path: Path) -> None:
    site = Site(wechat)
    arts = site.serve(numbered(2247493000, 3))
    wechat.image("/mmbiz_png/SharedFooter/640", b"busy", status=503)  # on every article
    album = site.album("3201", arts)
    assert crawl("album", tmp_path, "-a", f"url={album}").returncode == 0
    with sqlite3.connect(tmp_path / ".state" / "index.sqlite") as db:
        states = [state for (state,) in db.execute("SELECT state FROM articles")]
    assert states == ["incomplete"] * 3


# -- a page the converter fails on costs only itself -------------------------------------
def _archive_of_two(tmp_path: Path) -> tuple[Path, list[Art]]:
    with MockWeChat() as server:
        site = Site(server)
        arts = site.serve([Art("2247493101"), Art("2247493102")])
        assert crawl("album", tmp_path, "-a", f"url={site.album('3202', arts)}").returncode == 0
    return tmp_path, arts


def _failing_for(mid: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import crawler.convert.post as post_module
    real = post_module.compose_post

    def compose(article, *args, **kwargs):  # type: ignore[no-untyped-def]
        if article.mid == mid:
            raise RecursionError("maximum recursion depth exceeded")
        return real(article, *args, **kwargs)

    monkeypatch.setattr(post_module, "compose_post", compose)


def test_rebuild_goes_on_past_a_capture_it_cannot_convert(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from crawler.offline.rebuild import rebuild
    root, arts = _archive_of_two(tmp_path)
    _failing_for(arts[0].mid, monkeypatch)
    archive = Archive(root)
    try:
        assert rebuild(archive) == {"unchanged": 1, "not rebuilt": 1}
    finally:
        archive.close()


def test_a_rebuild_that_cannot_record_the_tool_s_tags_records_none_of_the_post(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A rebuild recorded the tool's tags after the post's index row was committed: a full
    disk there said "Not rebuilt" of a post recorded with its tags, none of them the tool's."""
    from crawler.offline.rebuild import rebuild
    root, arts = _archive_of_two(tmp_path)
    (root / ".state" / "index.sqlite").unlink()  # rebuilt from the posts: no tags recorded

    def full(*args: object) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    archive = Archive(root)
    keys = [key for key, _, _ in archive.index.archived_articles()]
    try:
        monkeypatch.setattr(Index, "set_tool_tags", full)
        assert rebuild(archive) == {"not rebuilt": 2}
        assert [archive.index.article_tags(key) for key in keys] == [None, None]
        monkeypatch.undo()
        assert rebuild(archive) == {"unchanged": 2}
        assert all(archive.index.article_tags(key) and archive.index.tool_tags(key) for key in keys)
    finally:
        archive.close()


def test_the_pipeline_drops_an_article_it_cannot_convert_with_one_counted_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from scrapy.exceptions import DropItem

    from crawler.items import ArticleItem
    from crawler.pipelines.posts import PostPipeline
    from crawler.wechat.page import parse_page
    from tests.conftest import unit_crawler
    from tests.test_hostile import page
    crawler = unit_crawler(ARCHIVE_DIR=str(tmp_path))
    crawler.stats.open_spider()
    pipeline = PostPipeline.from_crawler(crawler)
    article = parse_page(page(mid="2247493201"), "https://mp.weixin.qq.com/s/x")
    _failing_for("2247493201", monkeypatch)
    with pytest.raises(DropItem, match=r"Not archived: \S+ could not be converted: RecursionError"):
        asyncio.run(pipeline.process_item(ArticleItem(article=article, file_urls=[])))
    assert crawler.stats.get_value("posts/unconvertible") == 1
    assert not list((tmp_path / "_posts").glob("*.md"))
    Run.of(crawler).archive.close()


@pytest.mark.parametrize("error", ["database or disk is full", "database is locked"])
def test_an_index_that_cannot_be_written_in_a_listing_is_one_line_and_a_failed_run(
        wechat: MockWeChat, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: str) -> None:
    """#22.7: it escaped as a traceback, the album was dropped, and the run exited 0. Now
    the record costs only itself (``StatePipeline``); on a full disk, where every write
    fails alike, it stops the run (``ArchiveStop``): the album's articles not asked yet are
    left for the next run, which archives them."""
    from crawler.store.accountbook import AccountBook
    site = Site(wechat)
    arts = site.serve(numbered(2247496001, 3))
    album = site.album("3601", arts)

    def fails(*arguments: object) -> None:
        raise sqlite3.OperationalError(error)

    monkeypatch.setattr(AccountBook, "add_album_articles", fails)
    result = crawl("album", tmp_path, "-a", f"url={album}")
    assert result.returncode == 1
    assert f"ERROR: Not recorded for album 3601: {error}" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    if error == "database is locked":  # the writes after it do not wait: they go on
        assert len(list((tmp_path / "_posts").glob("*.md"))) == 3  # its articles are not lost
        assert "FAILED: the archive could not be written" in result.stderr
        return
    assert f"ERROR: Stopping: the archive cannot be written ({error}); no page more is asked of WeChat" \
        in result.stderr, result.stderr
    assert "FAILED: the run was cut short: the archive cannot be written" in result.stderr
    monkeypatch.undo()
    assert crawl("album", tmp_path, "-a", f"url={album}").returncode == 0
    assert len(list((tmp_path / "_posts").glob("*.md"))) == 3  # its articles are not lost


def test_an_index_that_cannot_be_read_in_a_listing_is_one_line_and_a_failed_run(
        wechat: MockWeChat, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from crawler.store.accountbook import AccountBook
    site = Site(wechat)
    album = site.album("3602", site.serve(numbered(2247496101, 2)))

    def fails(*arguments: object) -> None:
        raise sqlite3.DatabaseError("database disk image is malformed")

    monkeypatch.setattr(AccountBook, "album_signature", fails)
    result = crawl("album", tmp_path, "-a", f"url={album}")
    assert result.returncode == 1
    assert re.search(r"ERROR: Not followed: what \S+appmsgalbum\S+ leads to is left for the next "
                     r"run: database disk image is malformed", result.stderr), result.stderr
    assert "Traceback" not in result.stderr
    assert "FAILED: the index could not be read" in result.stderr


def test_an_empty_answer_is_one_line_that_reads(wechat: MockWeChat, tmp_path: Path) -> None:
    """It said "Not archived: URL is the page is empty or not HTML"."""
    url = wechat.page("/s/EmptyAnswer", "")
    result = crawl("article", tmp_path, "-a", f"url={url}")
    assert f"WARNING: Not archived: {url} is not an article page (empty or not HTML)" in result.stderr, \
        result.stderr


@pytest.mark.parametrize(("args", "what"), [
    (["accounts", "-s", "ACCOUNTS_FILE={big}"], "accounts file"),
    (["article", "-a", "urls_file={big}"], "urls_file"),
    (["import", "-a", "paths_file={big}"], "paths_file"),
])
def test_a_list_or_accounts_file_far_too_large_is_one_line(tmp_path: Path, args: list[str],
                                                          what: str) -> None:
    """A device or a huge file given by mistake was read whole: /dev/zero filled the
    memory until the kernel killed the run, with no line at all."""
    big = tmp_path / "big"
    with big.open("wb") as file:
        file.truncate(17 << 20)  # as much of /dev/zero as the limit lets through, and one more
    command = [arg.format(big=big) for arg in args]
    settings = dict([command.pop(2).split("=", 1)]) if command[1] == "-s" else {}
    if settings:
        command.pop(1)
    result = crawl(command[0], tmp_path / "archive", *command[1:], settings=settings)
    assert result.returncode == 2, result.stderr
    line = refusal(result, f"crawl {command[0]}")
    assert f"{what} '{big}'" in line and "larger than 16 MB" in line, line


@pytest.mark.parametrize("args", [["accounts", "-a", "file={fifo}"], ["article", "-a", "urls_file={fifo}"]])
def test_a_list_or_accounts_file_that_is_a_fifo_no_program_writes_to_is_one_line_not_a_hang(
        tmp_path: Path, args: list[str]) -> None:
    """``mkfifo x; scrapy crawl accounts -a file=x`` waited for a writer for ever."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    result = crawl_cli(args[0], tmp_path / "archive", *(arg.format(fifo=fifo) for arg in args[1:]))
    assert result.returncode == 2, result.stderr
    assert refusal(result, f"crawl {args[0]}").endswith(
        f" {str(fifo)!r}: nothing was written to it for {SILENCE_LIMIT:g} s: a FIFO or a pipe no "
        "program writes to"), result.stderr
    assert "Traceback" not in result.stderr


def test_a_list_file_from_process_substitution_is_read_though_its_writer_is_slow(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """``-a urls_file=<(program)`` names a pipe: what the program writes, once it has, is the list."""
    legacy = serve_legacy_shape(wechat)
    command = shlex.join(crawl_command("article", tmp_path))
    result = subprocess.run(["bash", "-c", f"{command} -a urls_file=<(sleep 1; echo {shlex.quote(legacy.url)})"],
                            cwd=PROJECT, env=crawl_env(), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "/dev/fd/" not in result.stderr, result.stderr
    assert [post.name for post in (tmp_path / "_posts").glob("*.md")] == [POST_NAME]


@pytest.mark.parametrize("fault", ["too large", "redirected in a loop", "redirected off the hosts"])
def test_pages_that_fail_for_their_own_reasons_are_not_said_to_be_a_network_failure(
        fault: str, wechat: MockWeChat, tmp_path: Path) -> None:
    """WeChat answered each page: a page over ``DOWNLOAD_MAXSIZE`` (cancelled by Scrapy), a
    redirect loop, a redirect off ``ARTICLE_HOSTS`` are those pages' own, not a network down.
    The run said "WeChat could not be reached: every request failed for a network reason"."""
    if fault == "too large":
        url = wechat.page("/s/Large", "<html><body>" + "反诈" * 20000 + "</body></html>")
    elif fault == "redirected in a loop":
        wechat.redirect("/s/Here", wechat.base + "/s/There")
        url = wechat.redirect("/s/There", wechat.base + "/s/Here")
    else:
        url = wechat.redirect("/s/Away", "https://example.com/s/elsewhere", status=301)
    result = crawl("article", tmp_path, "-a", f"url={url}", settings={"DOWNLOAD_MAXSIZE": "50000"})
    assert result.returncode == 1, result.stderr
    assert "could not be reached" not in result.stderr and "network" not in result.stderr, result.stderr
    assert "ERROR: Exit status 1: none of the articles given could be fetched" in result.stderr, result.stderr


def test_a_page_over_download_maxsize_is_one_warning_that_names_the_setting(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """Cron mailed two WARNING lines for it: Scrapy's "Expected to receive N bytes which is
    larger than download max size …" and ours. Now ours alone, saying what to raise."""
    url = wechat.page("/s/Large", "<html><body>" + "反诈" * 20000 + "</body></html>")
    result = crawl_cli("article", tmp_path, "-a", f"url={url}", settings={"DOWNLOAD_MAXSIZE": "50000"})
    assert result.returncode == 1, result.stderr
    warnings = [line for line in result.stderr.splitlines() if "WARNING" in line and "Large" in line]
    assert len(warnings) == 1, result.stderr
    assert re.search(r"WARNING: Not archived: could not fetch \S+/s/Large: 120026 bytes, larger than "
                     r"DOWNLOAD_MAXSIZE \(50000\): raise it to archive the page$", warnings[0]), warnings


def test_a_page_and_a_picture_that_decompress_past_download_maxsize_are_one_warning_each(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """A decompression bomb (a page or a picture sent gzip-compressed, beyond DOWNLOAD_MAXSIZE
    once decoded): cron mailed Scrapy's "Ignored response … exceeded DOWNLOAD_MAXSIZE during
    decompression" at WARNING beside our line that says it, two lines for one answer."""
    bomb = gzip.compress(b"\0" * 3_000_000)
    wechat.route("/mmbiz_png/Bomb/640", Route(200, "image/png", bomb, (("Content-Encoding", "gzip"),)))
    picture = wechat.page("/s/Picture", page(f'<p>正文</p><p><img data-src="{wechat.base}/mmbiz_png/Bomb/640"></p>'))
    bombed = wechat.route("/s/Bomb", Route(200, "text/html", bomb, (("Content-Encoding", "gzip"),)))
    (tmp_path / "urls.txt").write_text(f"{picture}\n{bombed}\n")
    result = crawl_cli("article", tmp_path / "archive", "-a", f"urls_file={tmp_path / 'urls.txt'}",
                       settings={"DOWNLOAD_MAXSIZE": "1000000", "LOG_LEVEL": "WARNING"})
    assert result.returncode == 0, result.stderr
    warnings = sorted(line.split(" WARNING: ", 1)[1] for line in result.stderr.splitlines()
                      if " WARNING: " in line and "Bomb" in line)
    assert len(warnings) == 2, result.stderr
    assert re.match(r"Images not stored, [^\n]*: 1 of 1 in [^\n]*/mmbiz_png/Bomb/640: \d+ bytes sent, "
                    r"larger than DOWNLOAD_MAXSIZE \(1000000\) once decompressed: raise it", warnings[0])
    assert re.match(r"Not archived: could not fetch \S+/s/Bomb: \d+ bytes sent, larger than "
                    r"DOWNLOAD_MAXSIZE \(1000000\) once decompressed: raise it to archive the page$",
                    warnings[1]), warnings


@pytest.mark.parametrize("how", ["as sent", "as it comes", "once decompressed"])
def test_a_picture_over_download_maxsize_is_one_plain_line(how: str, wechat: MockWeChat,
                                                            tmp_path: Path) -> None:
    """A picture larger than DOWNLOAD_MAXSIZE: its post's line gave Scrapy's words ("Expected to
    receive 834709 bytes which is larger than download max size (100000) in request <GET …>.",
    or "Ignored response <200 …> because its body …"), naming neither the setting's use nor
    what to do. Now the picture, its size, the setting and what to do; the post keeps its URL."""
    picture = noise("PNG", size=(600, 600))
    headers: tuple[tuple[str, str], ...] = {
        "as sent": (), "as it comes": (("Transfer-Encoding", "chunked"),),
        "once decompressed": (("Content-Encoding", "gzip"),)}[how]
    body = gzip.compress(picture + bytes(2_000_000)) if how == "once decompressed" else picture
    big = wechat.route("/mmbiz_png/Big/640", Route(200, "image/png", body, headers))
    url = wechat.page("/s/Picture", page(f'<p>正文</p><p><img data-src="{big}"></p>'))
    maxsize = 1_000_000 if how == "once decompressed" else 100000
    result = crawl_cli("article", tmp_path, "-a", f"url={url}",
                       settings={"DOWNLOAD_MAXSIZE": str(maxsize), "LOG_LEVEL": "WARNING"})
    assert result.returncode == 0, result.stderr
    [line] = [line for line in result.stderr.splitlines() if "WARNING" in line and "Run summary" not in line]
    assert len(body) < maxsize or how != "once decompressed"
    too_large = {"as sent": f"{len(body)} bytes, larger than DOWNLOAD_MAXSIZE ({maxsize})",
                 "as it comes": f"larger than DOWNLOAD_MAXSIZE ({maxsize})",
                 "once decompressed": f"{len(body)} bytes sent, larger than DOWNLOAD_MAXSIZE "
                                      f"({maxsize}) once decompressed"}[how]
    assert line.endswith(
        "WARNING: Images not stored, the post keeps their URLs: 1 of 1 in https://mp.weixin.qq.com/s?"
        f"__biz=MzA5OTk5OTk5OQ==&mid=2247499001&idx=1&sn=sn2247499001 ({big}: {too_large}: "
        "raise it and give the article again to keep the picture)"), result.stderr
    [post] = (tmp_path / "_posts").glob("*.md")
    assert f"]({big})" in post.read_text(encoding="utf-8")
    if how == "as sent":  # as the line says: the setting raised, the article given again keeps it
        assert crawl("article", tmp_path, "-a", f"url={url}").returncode == 0
        assert [picture.name for picture in (tmp_path / "postimg").iterdir()] == ["Big.png"]
        assert "{{site.baseurl}}/postimg/Big.png" in post.read_text(encoding="utf-8")


def test_a_page_and_a_picture_in_an_unknown_encoding_are_one_line_each(wechat: MockWeChat,
                                                                        tmp_path: Path) -> None:
    """A page or a picture sent in an encoding Scrapy cannot decode (``Content-Encoding: x-lz``)
    went on as it came: Scrapy's WARNING "HttpCompressionMiddleware cannot decode the response
    for URL from unsupported encoding(s) 'x-lz'" beside ours ("not a readable image", a page
    not an article), and the page's capture kept its undecoded bytes as a page decoded. Now
    one line each names the encoding. ``identity``, no encoding at all, is read as it is."""
    encoded = (("Content-Encoding", "x-lz"),)
    odd = wechat.route("/mmbiz_png/Odd/640", Route(200, "image/png", bytes(range(256)) * 8, encoded))
    plain = wechat.route("/mmbiz_png/Plain/640", Route(200, "image/png", noise("PNG"),
                                                       (("Content-Encoding", "identity"),)))
    pictured = wechat.page("/s/Pictures", page(f'<p>正文</p><p><img data-src="{odd}"></p>'
                                               f'<p><img data-src="{plain}"></p>'))
    packed = wechat.route("/s/Packed", Route(200, "text/html", gzip.compress(page(mid="2247499002").encode()),
                                             encoded))
    (tmp_path / "urls.txt").write_text(f"{pictured}\n{packed}\n")
    result = crawl_cli("article", tmp_path / "archive", "-a", f"urls_file={tmp_path / 'urls.txt'}",
                       settings={"LOG_LEVEL": "WARNING"})
    assert result.returncode == 0, result.stderr
    lines = [line.split(" WARNING: ", 1)[1] for line in result.stderr.splitlines()
             if " WARNING: " in line and "Run summary" not in line]
    assert sorted(lines) == [
        "Images not stored, the post keeps their URLs: 1 of 2 in https://mp.weixin.qq.com/s?__biz="
        "MzA5OTk5OTk5OQ==&mid=2247499001&idx=1&sn=sn2247499001 (sent in an encoding that "
        "cannot be decoded (Content-Encoding: x-lz))",
        f"Not archived: could not fetch {packed}: sent in an encoding that cannot be decoded "
        "(Content-Encoding: x-lz)"], result.stderr
    [post] = (tmp_path / "archive" / "_posts").glob("*.md")
    assert f"]({odd})" in post.read_text(encoding="utf-8")
    assert [picture.name for picture in (tmp_path / "archive" / "postimg").iterdir()] == ["Plain.png"]
    captured = [capture.url for capture in CaptureStore(tmp_path / "archive" / ".state" / "warc").captures()]
    assert captured == [pictured]


@pytest.mark.parametrize("command", ["verify", "rebuild", "crawl article"])
def test_a_post_that_is_no_regular_file_is_one_line_not_a_hang(wechat: MockWeChat, tmp_path: Path,
                                                               command: str) -> None:
    """A FIFO (or a link to a device) named as a post: reading it waited for a writer that
    never came, and verify, rebuild and a crawl of its article hung until killed."""
    legacy = serve_legacy_shape(wechat)
    assert crawl("article", tmp_path, "-a", f"url={legacy.url}").returncode == 0
    [post] = (tmp_path / "_posts").glob("*.md")
    post.unlink()
    os.mkfifo(post)
    args = ["-a", f"url={legacy.url}", *(f"-s{name}={value}" for name, value in crawl_options(
        tmp_path).items())] if command.startswith("crawl") else [f"-sARCHIVE_DIR={tmp_path}"]
    result = subprocess.run([sys.executable, "-m", "scrapy", *command.split(), *args], cwd=PROJECT,
                            env=crawl_env(), capture_output=True, text=True, timeout=60)
    assert "Traceback" not in result.stderr
    assert f"{post.name}: cannot be read (not a regular file)" in result.stdout + result.stderr, result
    assert result.returncode == 1
    assert stat.S_ISFIFO(post.lstat().st_mode)  # left as it is, for a person to look at


@pytest.mark.parametrize("command", ["verify", "rebuild", "versions"])
@pytest.mark.parametrize("which", ["capture", "index"])
def test_a_capture_or_index_that_is_no_regular_file_is_one_line_not_a_hang(
        wechat: MockWeChat, tmp_path: Path, which: str, command: str) -> None:
    """A FIFO named as a day's captures or as the index: verify, rebuild and versions waited
    for a writer that never came."""
    legacy = serve_legacy_shape(wechat)
    assert crawl("article", tmp_path, "-a", f"url={legacy.url}").returncode == 0
    state = tmp_path / ".state"
    fifo = state / "warc" / "captures-2000-01-01.warc.gz" if which == "capture" else state / "index.sqlite"
    fifo.unlink(missing_ok=True)
    os.mkfifo(fifo)
    args = [legacy.url] if command == "versions" else []
    result = subprocess.run([sys.executable, "-m", "scrapy", command, *args, f"-sARCHIVE_DIR={tmp_path}",
                             "-sARTICLE_HOSTS=127.0.0.1"], cwd=PROJECT, env=crawl_env(),
                            capture_output=True, text=True, timeout=60)
    assert "Traceback" not in result.stderr
    if which == "index":
        assert refusal(result, command).endswith(f"the index {fifo} cannot be used (not a regular "
                                                 "file); nothing was changed: run again once that is mended")
        assert result.returncode == 1
    elif command == "verify":
        assert f"{fifo}: the capture at byte 0 cannot be read" in result.stdout, result
        assert result.returncode == 1
    else:
        assert result.returncode == 0, result


def test_an_image_file_torn_or_changed_is_named_by_verify_and_fetched_again_once_deleted(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """An image file cut short (a copy or a disk that failed) or overwritten with a web page:
    verify found the archive sound, and the post showed a broken picture for ever."""
    legacy = serve_legacy_shape(wechat)
    assert crawl("article", tmp_path, "-a", f"url={legacy.url}").returncode == 0
    images = tmp_path / "postimg"
    torn, changed = images / "HeaderGifMediaId001.gif", images / "TwiceUsedMediaId002.png"
    whole = torn.read_bytes()
    torn.write_bytes(whole[:len(whole) // 2])
    changed.write_bytes(b"<html>404</html>")
    verify = scrapy("verify", tmp_path)
    assert verify.returncode == 1
    for path in (torn, changed):
        assert (f"{path}: not the bytes archived (torn or changed): a crawl of its "
                "article fetches it again") in verify.stdout, verify.stdout
    assert "Traceback" not in verify.stderr
    torn.unlink()
    assert crawl("article", tmp_path, "-a", f"url={legacy.url}").returncode == 0
    assert torn.read_bytes() == whole


def test_an_image_file_torn_is_fetched_again_by_a_crawl_of_an_article_showing_it(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """A crawl of an article showing an image whose file was cut short took the file as
    stored: the post linked to the broken picture, the run said nothing and exited 0."""
    legacy = serve_legacy_shape(wechat)
    assert crawl("article", tmp_path, "-a", f"url={legacy.url}").returncode == 0
    torn = tmp_path / "postimg" / "HeaderGifMediaId001.gif"
    whole = torn.read_bytes()
    torn.write_bytes(whole[:len(whole) // 2])
    again = crawl("article", tmp_path, "-a", f"url={legacy.url}")
    assert again.returncode == 0, again.stderr
    assert torn.read_bytes() == whole
    assert again.stderr.count(f"WARNING: {torn}: not the bytes archived (torn or changed): "
                              "fetched again") == 1, again.stderr
    assert scrapy("verify", tmp_path).returncode == 0


def test_an_image_file_torn_when_a_lost_index_is_rebuilt_is_said_and_fetched_again(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """The index rebuilt from the posts recorded each image file by its bytes as they were:
    one already cut short or overwritten was then its own "archived" bytes, so that neither
    a crawl's check nor ``verify`` found it, and the post showed a broken picture for ever."""
    legacy = serve_legacy_shape(wechat)
    assert crawl("article", tmp_path, "-a", f"url={legacy.url}").returncode == 0
    [post] = (tmp_path / "_posts").iterdir()
    archived = post.read_bytes()
    images = tmp_path / "postimg"
    torn, changed = images / "SameBytesMediaId003.jpeg", images / "TwiceUsedMediaId002.png"
    whole = {path: path.read_bytes() for path in (torn, changed)}
    os.truncate(torn, len(whole[torn]) // 2)
    changed.write_bytes(b"<html>404</html>")
    os.remove(tmp_path / ".state" / "index.sqlite")
    rebuilt = scrapy("rebuild", tmp_path)
    assert rebuilt.returncode == 0, rebuilt.stderr
    for path in (torn, changed):  # the message alone: a command's process configures no logging
        assert re.search(rf"^{re.escape(str(path))}: not a readable image: .+: left out of the "
                         "rebuilt index$", rebuilt.stderr, re.M), rebuilt.stderr
    assert re.search(rf"^2 image files of {re.escape(str(images))} left out of the rebuilt index, "
                     "not readable: a crawl of an article showing one fetches it again$",
                     rebuilt.stderr, re.M), rebuilt.stderr
    assert post.read_bytes() == archived and torn.stat().st_size == len(whole[torn]) // 2
    verify = scrapy("verify", tmp_path)
    assert verify.returncode == 1
    for path in (torn, changed):
        assert re.search(rf"{re.escape(str(path))}: not a readable image: .+: a crawl of an "
                         "article showing it fetches it again$", verify.stdout, re.M), verify.stdout
    again = crawl("article", tmp_path, "-a", f"url={legacy.url}")
    assert again.returncode == 0, again.stderr
    assert {path: path.read_bytes() for path in (torn, changed)} == whole
    assert post.read_bytes() == archived  # the same files, written over
    assert scrapy("verify", tmp_path).returncode == 0


@pytest.mark.parametrize("kind", ["fifo", "folder"])
def test_an_image_file_that_is_no_regular_file_is_one_line_not_a_hang(
        wechat: MockWeChat, tmp_path: Path, kind: str) -> None:
    """A FIFO or a folder where a post's image file was: verify's check of each image's
    bytes against the index must neither wait for a FIFO's writer nor name it twice (it
    is the file the post links that does not exist, not bytes torn)."""
    legacy = serve_legacy_shape(wechat)
    assert crawl("article", tmp_path, "-a", f"url={legacy.url}").returncode == 0
    image = tmp_path / "postimg" / "HeaderGifMediaId001.gif"
    image.unlink()
    os.mkfifo(image) if kind == "fifo" else image.mkdir()
    verify = scrapy("verify", tmp_path)
    assert verify.returncode == 1 and "Traceback" not in verify.stderr, verify.stderr
    assert [line for line in verify.stdout.splitlines() if "HeaderGifMediaId001.gif" in line] == [
        f"{next((tmp_path / '_posts').glob('*.md'))}: links to postimg/HeaderGifMediaId001.gif, "
        "which does not exist"], verify.stdout


def album_accounts(wechat: MockWeChat, tmp_path: Path, articles: int) -> dict[str, str]:
    """The settings of ``scrapy crawl accounts`` over one account whose album holds ``articles``."""
    site = Site(wechat)
    site.album("3801", site.serve(numbered(2247493000, articles)))
    accounts = tmp_path / "accounts.toml"
    accounts.write_text(f'[[account]]\nname = "测试反诈中心"\nbiz = "{BIZ}"\nalbums = ["3801"]\n',
                        encoding="utf-8")
    return {"ACCOUNTS_FILE": str(accounts), "WECHAT_BASE_URL": wechat.base}


def archive_command(command: str, archive: Path) -> subprocess.CompletedProcess[str]:
    """The real ``scrapy COMMAND`` (rebuild, verify) on ``archive``, in a process of its own."""
    return subprocess.run([sys.executable, "-m", "scrapy", command, "-s", f"ARCHIVE_DIR={archive}"],
                          cwd=PROJECT, env=crawl_env(), capture_output=True, text=True, timeout=120)


def test_a_cron_run_or_rebuild_while_a_crawl_runs_is_one_line_and_the_crawl_loses_nothing(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """The next day's cron job starting while the first still runs (a long first run), or a
    rebuild started by hand: each refused in one line, exit status 1, and the run goes on."""
    settings = album_accounts(wechat, tmp_path, 30)
    archive = tmp_path / "archive"
    wechat.before_answer = (gate := Gate(10)).before_answer
    first = subprocess.Popen(crawl_command("accounts", archive, settings=settings), cwd=PROJECT,
                             env=crawl_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        gate.wait()
        second = subprocess.run(crawl_command("accounts", archive, settings=settings), cwd=PROJECT,
                                env=crawl_env(), capture_output=True, text=True, timeout=120)
        rebuild = archive_command("rebuild", archive)
        gate.open()
        _, log = first.communicate(timeout=120)
    finally:
        first.kill()
    held = f"another run is writing the archive at {archive}/ (process {first.pid}); try again when it has finished"
    assert (second.returncode, second.stderr) == (1, f"scrapy crawl accounts: {held}\n")
    assert (rebuild.returncode, rebuild.stderr) == (1, f"scrapy rebuild: {held}\n")
    assert first.returncode == 0, log
    assert len(list((archive / "_posts").glob("*.md"))) == 30
    assert archive_command("verify", archive).returncode == 0


def test_a_crawl_while_a_rebuild_runs_is_one_line_and_the_rebuild_ends_whole(
        wechat: MockWeChat, tmp_path: Path) -> None:
    settings = album_accounts(wechat, tmp_path, 20)
    archive = tmp_path / "archive"
    assert crawl("accounts", archive, settings=settings).returncode == 0
    posts = {path: path.read_bytes() for path in (archive / "_posts").glob("*.md")}
    rebuild = subprocess.Popen([sys.executable, "-m", "scrapy", "rebuild", "-s", f"ARCHIVE_DIR={archive}"],
                               cwd=PROJECT, env=crawl_env(), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        lock = archive / ".state" / "lock"
        while lock.read_text() != str(rebuild.pid):  # it holds the lock: stopped there
            assert rebuild.poll() is None
        rebuild.send_signal(signal.SIGSTOP)
        crawled = subprocess.run(crawl_command("accounts", archive, settings=settings), cwd=PROJECT,
                                 env=crawl_env(), capture_output=True, text=True, timeout=120)
        rebuild.send_signal(signal.SIGCONT)
        out, err = rebuild.communicate(timeout=120)
    finally:
        rebuild.kill()
    assert (crawled.returncode, crawled.stderr) == (
        1, f"scrapy crawl accounts: another run is writing the archive at {archive}/ (process "
           f"{rebuild.pid}); try again when it has finished\n")
    assert rebuild.returncode == 0 and "Traceback" not in err, err
    assert {path: path.read_bytes() for path in (archive / "_posts").glob("*.md")} == posts


def test_verify_beside_a_crawl_says_no_file_the_crawl_is_writing_is_wrong(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """Verify takes no lock, so that it runs beside a crawl; run so, it said the files the
    crawl was writing were "half-written file left by an interrupted run" and its new images
    "no post links to it", exit status 1, of an archive that was sound."""
    settings = album_accounts(wechat, tmp_path, 120)
    archive = tmp_path / "archive"
    run = subprocess.Popen(crawl_command("accounts", archive, settings=settings), cwd=PROJECT,
                           env=crawl_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    said = []
    try:
        while run.poll() is None:
            verified = scrapy("verify", archive)
            said += [line for line in verified.stdout.splitlines()
                     if verified.returncode != 0 or "interrupted run" in line or "no post links" in line]
        _, log = run.communicate(timeout=120)
    finally:
        run.kill()
    assert run.returncode == 0, log
    assert not said, [line for line in said if "not judged" not in line][:5]


def test_what_a_run_writing_the_archive_may_be_writing_is_not_judged_while_it_runs(tmp_path: Path) -> None:
    """A temporary file and an image no post links: while another process holds the archive's
    lock, the run writing them; once it is gone, what it left."""
    archive = tmp_path / "archive"
    Archive(archive).close()
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time; from pathlib import Path; "
                               "from crawler.store.archive import Archive; Archive(Path(sys.argv[1])); "
                               "print(flush=True); time.sleep(600)", str(archive)],
                              cwd=PROJECT, env=crawl_env(), stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "\n"
        # written by the holder, as far as verify can tell: it removed what it found as it began
        for folder in ("_posts", "postimg"):
            (archive / folder).mkdir(exist_ok=True)
        (archive / "_posts" / ".2024-01-16-x.md.abc.tmp").write_text("half")
        (archive / "postimg" / "New.png").write_bytes(b"png")
        during = scrapy("verify", archive)
    finally:
        holder.kill()
        holder.wait()
    after = scrapy("verify", archive)
    assert during.returncode == 0, during.stdout
    assert during.stdout.splitlines() == [
        f"{archive}/_posts/.2024-01-16-x.md.abc.tmp: not judged: process {holder.pid} is writing the archive",
        f"{archive}/postimg/New.png: not judged: process {holder.pid} is writing the archive",
        f"verify: 2 files not judged: process {holder.pid} was writing the archive (run verify again "
        "once it has finished)",
        f"verify: {archive} is sound as far as judged (0 posts; 2 files not judged)"]
    assert after.returncode == 1
    assert f"{archive}/_posts/.2024-01-16-x.md.abc.tmp: a half-written file left by an interrupted run" \
        in after.stdout

"""Raw captures, rebuild, import, check, and a crawl killed with SIGKILL."""

from __future__ import annotations

import gzip
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from crawler.offline.rebuild import rebuild
from crawler.store.archive import Archive
from crawler.store.captures import CaptureStore
from tests.conftest import PROJECT, crawl, scrapy_command, serve_legacy_shape
from tests.mockserver import Gate, MockWeChat
from tests.site import Art, Site, numbered


def scrapy(command: str, archive: Path, *settings: str) -> subprocess.CompletedProcess[str]:
    """Run a project command (rebuild, verify…) on ``archive`` with ``settings`` (NAME=VALUE)."""
    return scrapy_command(command, archive, *(word for setting in settings for word in ("-s", setting)))


def posts(archive: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((archive / "_posts").glob("*.md"))}


@pytest.fixture
def archived(tmp_path: Path) -> tuple[Path, MockWeChat, Site]:
    """An archive of the legacy-shaped article and three album articles, two with lists."""
    server = MockWeChat().start()
    site = Site(server)
    legacy = serve_legacy_shape(server)
    arts = [Art("2247491001", items=("不转账", "不透露验证码")), Art("2247491002"),
            Art("2247491003", items=("挂断",))]
    for art in arts:
        site.article(art)
    album = site.album("3101", arts)
    archive = tmp_path / "archive"
    assert crawl("article", archive, "-a", f"url={legacy.url}").returncode == 0
    assert crawl("album", archive, "-a", f"url={album}").returncode == 0
    return archive, server, site


def test_every_article_page_is_captured_in_a_gzip_warc(archived: tuple[Path, MockWeChat, Site]) -> None:
    archive, server, _ = archived
    server.stop()
    [warc] = (archive / ".state" / "warc").glob("captures-*.warc.gz")
    with gzip.open(warc) as raw:
        assert raw.read(8) == b"WARC/1.0"
    with warc.open("rb") as stream:
        records = [(r.rec_type, r.rec_headers.get_header("WARC-Target-URI"), r.rec_headers,
                    r.http_headers) for r in ArchiveIterator(stream)]
    responses = [r for r in records if r[0] == "response"]
    assert len(responses) == 4 and len([r for r in records if r[0] == "request"]) == 4
    assert all(r[1].startswith(server.base + "/s") for r in responses)
    assert all(r[2].get_header("WARC-Date") for r in records)
    requests = [r for r in records if r[0] == "request"]
    assert requests[0][3].get_header("User-Agent", "").startswith("Mozilla/5.0")
    assert responses[0][3].get_header("Content-Type") == "text/html; charset=utf-8"
    assert not list((archive / "_posts").glob("*.warc*")) and not list((archive / "postimg").glob("*.warc*"))


def test_captures_are_records_whose_digests_verify(tmp_path: Path) -> None:
    store = CaptureStore(tmp_path)
    page = "<html>反诈提醒</html>".encode() * 5000
    store.add_response("https://mp.weixin.qq.com/s/x", [("User-Agent", "UA")], 200,
                       [("Content-Type", "text/html"), ("Content-Encoding", "gzip"), ("X-Ü", "ä")], page)
    store.add_resource("https://mp.weixin.qq.com/s/y", page[:100])
    [warc] = tmp_path.glob("*.warc.gz")
    seen = []
    with warc.open("rb") as stream:
        for record in ArchiveIterator(stream, check_digests="raise"):
            body = record.content_stream().read()
            assert record.rec_headers.get_header("WARC-Block-Digest", "").startswith("sha1:")
            if record.rec_type != "request":
                assert record.rec_headers.get_header("WARC-Payload-Digest", "").startswith("sha1:")
            seen.append((record.rec_type, len(body)))
            if record.rec_type == "response":
                assert record.http_headers.get_header("Content-Encoding") is None
                assert record.http_headers.get_header("Content-Type") == "text/html"
    assert seen == [("response", len(page)), ("request", 0), ("resource", 100)]
    assert b"\r\nX-\xdc: \xe4\r\n" in gzip.open(warc).read()  # header bytes as sent


def test_an_answer_other_than_200_is_kept_but_is_no_capture_of_the_page(tmp_path: Path) -> None:
    """Every answer to an article's request is kept as it came; but a 503 or a 404 is not a
    page of the article that ``rebuild`` or ``versions`` may take."""
    store = CaptureStore(tmp_path)
    store.add_response("https://mp.weixin.qq.com/s/x", [], 200, [], b"<html>page</html>")
    store.add_response("https://mp.weixin.qq.com/s/x", [], 503, [], b"busy")
    assert [capture.body for capture in store.captures()] == [b"<html>page</html>"]


def test_a_page_sent_gzip_compressed_is_captured_decoded_and_rebuilds_the_same_post(
        tmp_path: Path) -> None:
    server = MockWeChat().start()
    server.compress_html = True
    try:
        legacy = serve_legacy_shape(server)
        archive = tmp_path / "archive"
        assert crawl("article", archive, "-a", f"url={legacy.url}").returncode == 0
    finally:
        server.stop()
    [(_, headers)] = server.hits("/s/")
    assert "gzip" in headers["Accept-Encoding"]
    [capture] = CaptureStore(archive / ".state" / "warc").captures()
    assert capture.body == server.body_of("/s/LegacyShapeToken")
    before = posts(archive)
    assert len(before) == 1
    result = scrapy("rebuild", archive)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "rebuild: 1 unchanged"
    assert posts(archive) == before


def test_rebuild_offline_gives_byte_identical_posts_and_touches_none(
        archived: tuple[Path, MockWeChat, Site]) -> None:
    archive, server, _ = archived
    server.stop()
    before = posts(archive)
    times = {p.name: p.stat().st_mtime_ns for p in (archive / "_posts").glob("*.md")}
    result = scrapy("rebuild", archive)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "rebuild: 4 unchanged"
    assert posts(archive) == before
    assert {p.name: p.stat().st_mtime_ns for p in (archive / "_posts").glob("*.md")} == times


def test_rebuild_shows_its_progress_while_it_restores_missing_posts(
        archived: tuple[Path, MockWeChat, Site]) -> None:
    """A lost ``_posts/`` is made again from the captures, post by post: the progress line
    said nothing of those (it counted them, and showed only the posts found)."""
    root, server, _ = archived
    server.stop()
    before = posts(root)
    shutil.rmtree(root / "_posts")
    told: list[str] = []
    archive = Archive(root)
    try:
        assert rebuild(archive, progress=told.append, interval=0) == {"restored": 4}
    finally:
        archive.close()
    assert posts(root).keys() == before.keys()
    assert [line.split(",")[0] for line in told] == [f"{n} of 4 posts ({25 * n} %)" for n in (1, 2, 3, 4)]


def test_rebuild_with_another_converter_option_rewrites_only_affected_posts(
        archived: tuple[Path, MockWeChat, Site]) -> None:
    archive, server, _ = archived
    server.stop()
    before = posts(archive)
    result = scrapy("rebuild", archive, "MARKDOWN_BULLET=*")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "rebuild: 2 unchanged, 2 updated"
    after = posts(archive)
    changed = sorted(name for name in before if before[name] != after[name])
    assert len(changed) == 2 and all(b"\n* " in after[name] for name in changed)
    assert all(before[name] == after[name] for name in before if name not in changed)


def test_import_of_a_saved_page_equals_the_post_from_fetching_it(tmp_path: Path) -> None:
    with MockWeChat() as server:
        legacy = serve_legacy_shape(server)
        fetched = tmp_path / "fetched"
        assert crawl("article", fetched, "-a", f"url={legacy.url}").returncode == 0
        saved = tmp_path / "saved"
        saved.mkdir()
        (saved / "article.html").write_bytes(server.body_of("/s/LegacyShapeToken"))
        (saved / "deleted.html").write_text((Path(__file__).parent / "pages" / "deleted.html")
                                            .read_text(encoding="utf-8"), encoding="utf-8")
        listing = tmp_path / "pages.txt"
        listing.write_text(f"# saved pages\n{saved / 'article.html'}\n{saved / 'deleted.html'}\n",
                           encoding="utf-8")
        imported = tmp_path / "imported"
        result = crawl("import", imported, "-a", f"paths_file={listing}")
        assert result.returncode == 0, result.stderr
        assert posts(imported) == posts(fetched)
        assert sorted(p.name for p in (imported / "postimg").iterdir()) == \
            sorted(p.name for p in (fetched / "postimg").iterdir())
        assert "Not imported: " + str(saved / "deleted.html") + " is deleted" in result.stderr
    rebuilt = scrapy("rebuild", imported)
    assert rebuilt.stdout.strip() == "rebuild: 1 unchanged"


def test_verify_passes_a_sound_archive_and_finds_each_planted_defect(
        archived: tuple[Path, MockWeChat, Site]) -> None:
    archive, server, _ = archived
    server.stop()
    sound = scrapy("verify", archive)
    assert sound.returncode == 0, sound.stdout
    assert "is sound (4 posts)" in sound.stdout
    # The legacy-shaped article's failing image is a 404, gone for good: not a problem.
    assert re.search(r"网购[^\n]*\.md: 1 image left on the CDN for good", sound.stdout)
    assert "verify: 1 post with images left on the CDN for good (nothing to do)" in sound.stdout
    old_name = scrapy("check", archive)
    assert old_name.returncode == 0 and "is sound (4 posts)" in old_name.stdout
    assert "this is now 'scrapy verify'" in old_name.stderr

    postdir, images = archive / "_posts", archive / "postimg"
    legacy = next(p for p in postdir.glob("*.md") if "网购" in p.name)
    text = legacy.read_text(encoding="utf-8")
    legacy.write_text(text.replace("postimg/HeaderGifMediaId001.gif", "postimg/Missing.gif"),
                      encoding="utf-8")  # broken link, and the GIF becomes an orphan
    (images / "Orphan.png").write_bytes(b"x")
    other = next(p for p in postdir.glob("*.md") if p != legacy)
    other.write_text(other.read_text(encoding="utf-8").replace("title:      ", "title: [", 1),
                     encoding="utf-8")
    twin = postdir / legacy.name.replace(".md", ".markdown")
    shutil.copy(legacy, twin)
    result = scrapy("verify", archive)
    assert result.returncode == 1
    out = result.stdout
    assert f"{legacy}: links to postimg/Missing.gif, which does not exist" in out
    assert f"{images / 'HeaderGifMediaId001.gif'}: no post links to it" in out
    assert f"{images / 'Orphan.png'}: no post links to it" in out
    assert f"{other}: front matter is not valid YAML" in out
    assert f"{twin}: links to postimg/Missing.gif, which does not exist" in out
    assert "share the date 2021-07-28 and slug" in out
    assert out.count("no post links to it") == 2  # not the images of the post that does not read
    assert "verify: 6 problems" in out


def test_a_crawl_killed_with_sigkill_then_run_again_ends_complete(tmp_path: Path) -> None:
    with MockWeChat() as server:
        site = Site(server)
        arts = site.serve(numbered(2247492000, 30))
        album = site.album("3102", arts)
        # Ten article pages are answered, the eleventh held until the crawl is killed: the
        # kill lands mid-crawl however slow the machine.
        eleventh = Gate(11)
        server.before_answer = eleventh.before_answer
        archive = tmp_path / "archive"
        command = [sys.executable, "-m", "scrapy", "crawl", "album", "-a", f"url={album}",
                   "-s", f"ARCHIVE_DIR={archive}", "-s", "ARTICLE_HOSTS=127.0.0.1",
                   "-s", "IMAGE_HOSTS=127.0.0.1", "-s", "DOWNLOAD_DELAY=0",
                   "-s", "AUTOTHROTTLE_ENABLED=False"]
        env = {**os.environ, "PYTHONPATH": str(PROJECT)}
        process = subprocess.Popen(command, cwd=PROJECT, env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while len(list((archive / "_posts").glob("*.md"))) < 8 and time.monotonic() < deadline:
            time.sleep(0.01)
        process.send_signal(signal.SIGKILL)
        process.wait()
        eleventh.open()
        killed_at = len(list((archive / "_posts").glob("*.md")))
        assert 8 <= killed_at <= 10
        with sqlite3.connect(archive / ".state" / "index.sqlite") as db:
            done = {key.split(":")[1] for (key,) in db.execute(
                "SELECT key FROM articles WHERE state = 'archived'")}
        first_run = len(server.hits("/s"))

        result = crawl("album", archive, "-a", f"url={album}")
        assert result.returncode == 0, result.stderr
        check = scrapy("verify", archive)
        assert check.returncode == 0, check.stdout
        assert len(list((archive / "_posts").glob("*.md"))) == 30
        assert not list(archive.rglob(".*.tmp"))
        again = {re.search(r"mid=(\d+)", path).group(1) for path, _ in server.hits("/s")[first_run:]}
        assert done and not again & done  # the rerun skipped what was done


def rebuild_stopped(tmp_path: Path, *signals: signal.Signals) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """The real ``scrapy rebuild`` of an archive of 60 posts, every one of which it rewrites
    (``DEFAULT_TAGS`` changed), sent ``signals`` together once it has rewritten one: stopped
    (SIGSTOP) meanwhile, so that they land together wherever it is, a post half written too."""
    with MockWeChat() as server:
        site = Site(server)
        album = site.album("3901", site.serve(numbered(2247494000, 60)))
        archive = tmp_path / "archive"
        assert crawl("album", archive, "-a", f"url={album}").returncode == 0
    command = [sys.executable, "-m", "scrapy", "rebuild", "-s", f"ARCHIVE_DIR={archive}", "-s", "DEFAULT_TAGS=新的"]
    process = subprocess.Popen(command, cwd=PROJECT, env={**os.environ, "PYTHONPATH": str(PROJECT)},
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    posts = archive / "_posts"
    before = posts.stat().st_mtime_ns
    try:
        while posts.stat().st_mtime_ns == before:  # the first post being rewritten
            assert process.poll() is None, process.communicate()
        time.sleep(0.1)  # a few more: some 10 ms each
        process.send_signal(signal.SIGSTOP)
        for number in signals:
            process.send_signal(number)
        process.send_signal(signal.SIGCONT)
        out, err = process.communicate(timeout=120)
    finally:
        process.kill()
    return archive, subprocess.CompletedProcess(command, process.returncode, out, err)


def retagged(archive: Path) -> int:
    """How many posts the rebuild rewrote: tagged ``新的``."""
    return sum("\n    - 新的\n" in path.read_text(encoding="utf-8") for path in (archive / "_posts").glob("*.md"))


def assert_the_next_rebuild_finishes(archive: Path) -> None:
    assert not [path for path in archive.rglob("*") if path.name.endswith(".tmp")]
    again = scrapy("rebuild", archive, "DEFAULT_TAGS=新的")
    assert again.returncode == 0, again.stderr
    assert re.fullmatch(r"rebuild: [1-5]?\d unchanged, [1-5]?\d updated\n", again.stdout), again.stdout
    assert retagged(archive) == 60
    assert scrapy("verify", archive).returncode == 0


def test_rebuild_stopped_by_sigterm_finishes_the_post_in_hand_says_so_and_ends_by_it(tmp_path: Path) -> None:
    """Cron's ``timeout`` (SIGTERM) while ``scrapy rebuild`` rewrote posts killed it on the
    spot: a post's temporary file and its version before left beside it, no line, no count.
    It now finishes the post in hand, says what it did and left, and ends by the signal."""
    archive, stopped = rebuild_stopped(tmp_path, signal.SIGTERM)
    assert stopped.returncode == -signal.SIGTERM, stopped.stderr
    assert stopped.stderr == ""
    done = retagged(archive)
    assert 0 < done < 60
    assert stopped.stdout == f"rebuild (stopped by SIGTERM): {60 - done} left for the next rebuild, {done} updated\n"
    assert_the_next_rebuild_finishes(archive)


def test_rebuild_stopped_by_a_second_signal_writes_no_half_file_and_says_it_was_forced(tmp_path: Path) -> None:
    """SIGTERM then SIGINT (cron's timeout, then a person's Ctrl-C): the post being written is
    finished whole, the last line says the stop was forced and what is left, and the process
    ends by the second signal. (Both land together: Python runs its handlers in the order
    of the signals' numbers, whichever came first.)"""
    archive, stopped = rebuild_stopped(tmp_path, signal.SIGTERM, signal.SIGINT)
    done = retagged(archive)
    assert 0 < done < 60
    *_, last = stopped.stderr.splitlines() or [""]
    forced = re.fullmatch(r"Stopped at once by (SIG\w+) after (SIG\w+): no summary; the post being written "
                          r"was finished whole; the next scrapy rebuild does the (\d+) posts? not rebuilt yet",
                          last)
    assert forced, stopped.stderr
    assert {forced[1], forced[2]} == {"SIGTERM", "SIGINT"}
    assert stopped.returncode == -signal.Signals[forced[1]], stopped.stderr
    assert int(forced[3]) == 60 - done
    assert stopped.stdout == ""
    assert_the_next_rebuild_finishes(archive)

"""Posts left incomplete (an image the CDN failed for a reason that may pass) whose original
is then deleted: no run finds the article again, so later runs try the images again from the
post's raw capture, asking WeChat for no article page."""

from __future__ import annotations

import re
import shutil
import sqlite3
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from crawler.store import warc
from crawler.store.index import Index
from crawler.store.warc import members
from tests.conftest import crawl, scrapy_command
from tests.mockserver import Gate, MockWeChat, Route, png
from tests.site import Art, Site
from tests.test_watch import answer, archive_all, article_hits, marked_gone, post_of, watch


@pytest.fixture
def site(wechat: MockWeChat) -> Site:
    return Site(wechat)


def incomplete_then_deleted(site: Site, tmp_path: Path, mid: str) -> tuple[Art, Path, str]:
    """Article ``mid`` archived while the CDN answers its picture 502, then found deleted by
    the watch: the article, the archive and the picture's path on the CDN."""
    [art] = site.serve([Art(mid)])
    image = f"/mmbiz_png/Img{art.mid}x{art.idx}/640"
    site.server.image(image, b"Bad Gateway", status=502, content_type="text/html")
    archive = tmp_path / "archive"
    archive_all(site, [art], archive)
    assert image in post_of(archive, art)
    site.pages[art.path] = answer("deleted.html")
    assert watch(archive, site).returncode == 0
    assert "status: deleted" in post_of(archive, art)
    return art, archive, image


def image_hits(site: Site, image: str) -> int:
    return len(site.server.hits(image))


def capture_files_read(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The capture files read from now on, one entry a reading, in order."""
    reads: list[Path] = []

    def counted(path: Path) -> Iterator[tuple[int, bytes | None]]:
        reads.append(path)
        return members(path)

    monkeypatch.setattr(warc, "members", counted)
    return reads


@pytest.mark.parametrize("spider", ["watch", "accounts"])
def test_an_incomplete_post_whose_original_is_deleted_gets_its_image_at_a_later_run(
        site: Site, tmp_path: Path, spider: str) -> None:
    art, archive, image = incomplete_then_deleted(site, tmp_path, "2247520001")
    marked = post_of(archive, art)
    site.server.image(image, png((7, 7, 7)))
    accounts = tmp_path / "accounts.toml"  # whose one link is the deleted article's
    accounts.write_text(f'[[account]]\nname = "甲"\nurls = ["{site.link(art).replace("&amp;", "&")}"]\n',
                        encoding="utf-8")
    pages = len(article_hits(site.server))
    result = watch(archive, site, spider=spider, ACCOUNTS_FILE=str(accounts),
                   WATCH_OLD_EVERY_DAYS="7", WATCH_YOUNG_EVERY_DAYS="1")  # nothing due
    assert result.returncode == 0, result.stderr
    assert len(article_hits(site.server)) == pages  # the deleted page is not asked for
    post = post_of(archive, art)
    assert image not in post and post.count("/postimg/") == marked.count("/postimg/") + 1, post
    assert "    status: deleted\n" in post and "被发布者删除，此为存档。*" in post
    verified = scrapy_command("verify", archive)
    assert verified.returncode == 0 and "still on the CDN" not in verified.stdout, verified.stdout
    hits = image_hits(site, image)
    assert watch(archive, site, spider=spider, ACCOUNTS_FILE=str(accounts),
                 WATCH_OLD_EVERY_DAYS="7", WATCH_YOUNG_EVERY_DAYS="1").returncode == 0
    assert image_hits(site, image) == hits  # complete: not asked again


def state_of(archive: Path, art: Art) -> str:
    with sqlite3.connect(archive / ".state" / "index.sqlite") as db:
        (state,) = db.execute("SELECT state FROM articles WHERE key = ?",
                              (f"{art.biz}:{art.mid}:{art.idx}",)).fetchone()
    return str(state)


NOTHING_DUE = {"WATCH_OLD_EVERY_DAYS": "7", "WATCH_YOUNG_EVERY_DAYS": "1"}


def test_an_image_that_fails_again_is_tried_at_each_run_until_lost_for_good(
        site: Site, tmp_path: Path) -> None:
    """Still 502 (also when the watch finds the original deleted again, and through a
    rebuild): the post stays as it is, verify says when it is tried again, and the next
    run tries it; then 404: the post is complete with the image lost, not asked again."""
    art, archive, image = incomplete_then_deleted(site, tmp_path, "2247520011")
    marked = post_of(archive, art)
    assert state_of(archive, art) == "gone_incomplete"
    verified = scrapy_command("verify", archive)
    assert re.search(r"\.md: incomplete, 1 image still on the CDN \(its original is gone: tried "
                     r"again by the next run, from its raw capture\)\n", verified.stdout), verified.stdout
    hits = image_hits(site, image)
    result = watch(archive, site)  # due: the watch asks for the page, deleted still
    assert result.returncode == 0, result.stderr
    assert image_hits(site, image) > hits and post_of(archive, art) == marked
    assert "Images not stored, the post keeps their URLs: 1 of 2" in result.stderr
    rebuilt = scrapy_command("rebuild", archive)
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    assert state_of(archive, art) == "gone_incomplete" and post_of(archive, art) == marked
    site.server.image(image, b"", status=404)
    pages, hits = len(article_hits(site.server)), image_hits(site, image)
    assert watch(archive, site, **NOTHING_DUE).returncode == 0
    assert image_hits(site, image) > hits and len(article_hits(site.server)) == pages
    assert post_of(archive, art) == marked
    hits = image_hits(site, image)
    assert watch(archive, site, **NOTHING_DUE).returncode == 0
    assert image_hits(site, image) == hits
    verified = scrapy_command("verify", archive)  # no run asks for it again: none finds the page
    assert re.search(r"\.md: 1 image left on the CDN for good \(gone there, not an image, or over "
                     r"a limit: the post shows the link, and no run asks for it again\)\n",
                     verified.stdout), verified.stdout


def test_a_post_whose_capture_is_gone_is_said_once_and_kept(site: Site, tmp_path: Path) -> None:
    art, archive, image = incomplete_then_deleted(site, tmp_path, "2247520021")
    marked = post_of(archive, art)
    for capture in (archive / ".state" / "warc").iterdir():
        capture.unlink()
    site.server.image(image, png((7, 7, 7)))
    hits = image_hits(site, image)
    result = watch(archive, site, **NOTHING_DUE, LOG_LEVEL="WARNING")
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if "WARNING" in line and "Run summary" not in line]
    assert len(lines) == 1 and "Images not tried again: no readable capture of the page of " in lines[0], lines
    assert post_of(archive, art) == marked and image_hits(site, image) == hits
    result = watch(archive, site, **NOTHING_DUE, LOG_LEVEL="WARNING")
    assert result.returncode == 0 and "WARNING" not in result.stderr, result.stderr
    assert post_of(archive, art) == marked and image_hits(site, image) == hits
    assert state_of(archive, art) == "deleted"
    verified = scrapy_command("verify", archive)
    assert "1 image left on the CDN for good (its original is gone: the post shows the link, and " \
        "no run asks for it again)\n" in verified.stdout, verified.stdout


def all_incomplete_then_deleted(site: Site, tmp_path: Path,
                                mids: list[str]) -> tuple[list[Art], Path, list[str]]:
    """``incomplete_then_deleted`` of several articles in one archive: the articles, the
    archive and their pictures' paths on the CDN."""
    arts = site.serve([Art(mid) for mid in mids])
    images = [f"/mmbiz_png/Img{art.mid}x1/640" for art in arts]
    for image in images:
        site.server.image(image, b"Bad Gateway", status=502, content_type="text/html")
    archive = tmp_path / "archive"
    archive_all(site, arts, archive)
    for art in arts:
        site.pages[art.path] = answer("deleted.html")
    assert watch(archive, site).returncode == 0
    return arts, archive, images


def test_watch_per_run_bounds_the_posts_made_again_from_captures(site: Site, tmp_path: Path) -> None:
    """Two such posts, ``WATCH_PER_RUN=1``: one a run, and ``WATCH_PER_RUN=0`` none."""
    arts, archive, images = all_incomplete_then_deleted(site, tmp_path, ["2247520031", "2247520032"])
    for image in images:
        site.server.image(image, png((7, 7, 7)))
    assert watch(archive, site, **NOTHING_DUE, WATCH_PER_RUN="0").returncode == 0
    assert [state_of(archive, art) for art in arts] == ["gone_incomplete"] * 2
    for run in range(2):
        assert watch(archive, site, **NOTHING_DUE, WATCH_PER_RUN="1").returncode == 0
        assert [state_of(archive, art) for art in arts].count("archived") == run + 1
    assert all(image not in post_of(archive, art) for art, image in zip(arts, images, strict=True))


def test_a_post_whose_image_keeps_failing_does_not_keep_the_others_from_their_turn(
        site: Site, tmp_path: Path) -> None:
    """Two such posts, ``WATCH_PER_RUN=1``: the first's picture 502 still, the second's
    back; the second's turn comes at the next run all the same (else every run would
    take the first, and the second wait for ever)."""
    arts, archive, images = all_incomplete_then_deleted(site, tmp_path, ["2247520041", "2247520042"])
    site.server.image(images[1], png((7, 7, 7)))
    for _ in range(2):
        assert watch(archive, site, **NOTHING_DUE, WATCH_PER_RUN="1").returncode == 0
    assert [state_of(archive, art) for art in arts] == ["gone_incomplete", "archived"]
    assert images[1] not in post_of(archive, arts[1])
    hits = [image_hits(site, image) for image in images]
    assert watch(archive, site, **NOTHING_DUE, WATCH_PER_RUN="1").returncode == 0
    assert image_hits(site, images[0]) > hits[0] and image_hits(site, images[1]) == hits[1]


def test_a_run_reads_each_capture_file_once_for_all_the_posts_it_makes_again(
        site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Three such posts whose pages were captured the same day: their day's file (a
    backfill's may hold thousands of pages of some MB) is read once, not once a post."""
    arts, archive, images = all_incomplete_then_deleted(
        site, tmp_path, ["2247520051", "2247520052", "2247520053"])
    for image in images:
        site.server.image(image, png((7, 7, 7)))
    reads = capture_files_read(monkeypatch)
    assert watch(archive, site, **NOTHING_DUE).returncode == 0
    assert [state_of(archive, art) for art in arts] == ["archived"] * 3
    assert reads and len(reads) == len(set(reads)), reads


@pytest.mark.parametrize("down", [False, True])
def test_a_run_that_gets_no_wechat_page_fails_though_it_made_posts_again(
        site: Site, tmp_path: Path, down: bool) -> None:
    """WeChat answers 5xx (the image CDN does not), or the network is down: the watch
    fetches no original, and the run's exit status says so, whatever the posts it made
    again from captures."""
    art, archive, image = incomplete_then_deleted(site, tmp_path, "2247520061")
    site.server.image(image, png((7, 7, 7)))
    site.pages[art.path] = Route(502, "text/html", b"Bad Gateway")
    site.server.is_down = down
    result = watch(archive, site)
    assert (image in post_of(archive, art)) is down  # made again all the same
    assert result.returncode == 1, result.stderr
    failure = "WeChat could not be reached" if down else "no article page could be fetched"
    assert f"Exit status 1: {failure}" in result.stderr, result.stderr


def test_a_post_archived_before_the_index_recorded_fetches_gets_its_image_from_its_capture(
        site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An index from before it recorded when each page was fetched (column ``fetched``, added
    empty): the capture is looked for in every file, once; the next runs know its file."""
    art, archive, image = incomplete_then_deleted(site, tmp_path, "2247520071")
    with sqlite3.connect(archive / ".state" / "index.sqlite") as db:
        db.execute("UPDATE watch SET fetched = NULL")
    other = archive / ".state" / "warc" / "captures-2020-01-01.warc.gz"  # another day's file
    other.write_bytes(b"")
    reads = capture_files_read(monkeypatch)
    result = watch(archive, site, **NOTHING_DUE)  # the CDN answers 502 still
    assert result.returncode == 0 and "Images not tried again" not in result.stderr, result.stderr
    assert state_of(archive, art) == "gone_incomplete" and other in reads
    site.server.image(image, png((7, 7, 7)))
    reads.clear()
    assert watch(archive, site, **NOTHING_DUE).returncode == 0
    assert state_of(archive, art) == "archived" and image not in post_of(archive, art)
    assert reads and other not in reads


def test_a_lost_index_rebuilt_from_the_posts_still_has_the_images_tried_again(
        site: Site, tmp_path: Path) -> None:
    """The index deleted (damaged): the post says its original is gone and shows a
    picture of the CDN, so the run that rebuilds the index makes it again from its capture."""
    art, archive, image = incomplete_then_deleted(site, tmp_path, "2247520081")
    (archive / ".state" / "index.sqlite").unlink()
    site.server.image(image, png((7, 7, 7)))
    assert watch(archive, site, **NOTHING_DUE).returncode == 0
    post = post_of(archive, art)
    assert image not in post and "    status: deleted\n" in post, post
    assert state_of(archive, art) == "archived"


def test_a_post_made_again_keeps_its_state_when_its_page_answers_deleted_after(
        site: Site, tmp_path: Path) -> None:
    """With the index lost, the run that makes a post again from its capture also asks its
    page (the rebuilt watch book has no last look). The page's answer, deleted as the watch
    knew, turned the article made whole just before into 'deleted' when it came after the
    post (seen once in a loaded suite, above); coming first it left it 'archived'. An answer
    the watch already had leaves the article's state as it is: the page is held here until
    the post is made again."""
    art, archive, image = incomplete_then_deleted(site, tmp_path, "2247520086")
    (archive / ".state" / "index.sqlite").unlink()
    site.server.image(image, png((7, 7, 7)))
    [post] = (archive / "_posts").glob("*.md")
    gate = Gate(1, patience=60)
    site.server.before_answer = gate.before_answer
    ran: list[int] = []
    runner = threading.Thread(target=lambda: ran.append(watch(archive, site, **NOTHING_DUE).returncode))
    runner.start()
    gate.wait()
    deadline = time.monotonic() + 60
    while image in post.read_text(encoding="utf-8") and time.monotonic() < deadline:
        time.sleep(0.05)
    gate.open()
    runner.join(120)
    assert ran == [0]
    assert image not in post_of(archive, art) and "    status: deleted\n" in post_of(archive, art)
    assert state_of(archive, art) == "archived"


def test_a_blog_checked_out_without_the_state_folder_says_nothing_of_captures(
        site: Site, tmp_path: Path) -> None:
    """``_posts/`` and ``postimg/`` alone (a clone of the blog: no index, no captures): the
    index is rebuilt, and no post is said to have lost the capture it never had here."""
    art, archive, image = incomplete_then_deleted(site, tmp_path, "2247520091")
    shutil.rmtree(archive / ".state")
    site.server.image(image, png((7, 7, 7)))
    result = watch(archive, site, **NOTHING_DUE, LOG_LEVEL="WARNING")
    assert result.returncode == 0 and "capture" not in result.stderr, result.stderr
    assert state_of(archive, art) != "gone_incomplete" and image in post_of(archive, art)


def test_a_post_edited_upstream_before_its_original_was_deleted_is_made_again_from_the_edit(
        site: Site, tmp_path: Path) -> None:
    """Captured twice (archived, then edited upstream and fetched again by the watch), the
    CDN failing its picture both times: the post made again once the original is deleted is
    the edit's, from the newest capture, not the first version's."""
    [art] = site.serve([Art("2247520101", items=("第一条",))])
    image = f"/mmbiz_png/Img{art.mid}x{art.idx}/640"
    site.server.image(image, b"Bad Gateway", status=502, content_type="text/html")
    archive = tmp_path / "archive"
    archive_all(site, [art], archive)
    site.article(Art(art.mid, items=("第一条", "新加的一条")))
    site.server.image(image, b"Bad Gateway", status=502, content_type="text/html")
    assert watch(archive, site).returncode == 0
    assert "新加的一条" in post_of(archive, art) and image in post_of(archive, art)
    site.pages[art.path] = answer("deleted.html")
    assert watch(archive, site).returncode == 0
    assert state_of(archive, art) == "gone_incomplete"
    site.server.image(image, png((7, 7, 7)))
    assert watch(archive, site, **NOTHING_DUE).returncode == 0
    post = post_of(archive, art)
    assert image not in post and "新加的一条" in post and "    status: deleted\n" in post, post


def test_a_post_found_deleted_again_while_another_takes_the_turn_keeps_its_images_due(
        site: Site, tmp_path: Path) -> None:
    """Two such posts, ``WATCH_PER_RUN=1``, the CDN failing still: the watch asking for one's
    page (deleted still) while the other is made again leaves both due, not the one the
    watch found marked as gone for good, its images never tried again."""
    arts, archive, _ = all_incomplete_then_deleted(site, tmp_path, ["2247520111", "2247520112"])
    for _ in range(2):
        assert watch(archive, site, WATCH_PER_RUN="1").returncode == 0
        assert [state_of(archive, art) for art in arts] == ["gone_incomplete"] * 2


def test_a_lost_index_rebuilt_beside_a_complete_post_whose_original_is_gone_says_nothing(
        site: Site, tmp_path: Path) -> None:
    """A complete post whose original is deleted, its capture since pruned (other days' kept),
    the index lost: it has no image to try again, so no run looks for its capture, nor says
    in a WARNING line that its images are not tried again."""
    art, archive, marked = marked_gone(site, "2247520121", tmp_path, "deleted.html")
    assert "status: deleted" in marked and f"/mmbiz_png/Img{art.mid}x1/" not in marked
    for capture in (archive / ".state" / "warc").iterdir():
        capture.unlink()
    (archive / ".state" / "warc" / "captures-2020-01-01.warc.gz").write_bytes(b"")
    (archive / ".state" / "index.sqlite").unlink()
    result = watch(archive, site, **NOTHING_DUE, LOG_LEVEL="WARNING")
    assert result.returncode == 0 and "WARNING" not in result.stderr, result.stderr
    assert post_of(archive, art) == marked


def test_a_post_recorded_just_after_midnight_gets_its_image_from_the_day_before_s_capture(
        site: Site, tmp_path: Path) -> None:
    """A page captured before midnight (UTC) whose post was recorded after it (a run that
    crossed midnight): its capture is in the day before's file, and is found there."""
    art, archive, image = incomplete_then_deleted(site, tmp_path, "2247520131")
    [capture] = (archive / ".state" / "warc").glob("captures-*.warc.gz")
    day = datetime.strptime(capture.name, "captures-%Y-%m-%d.warc.gz").replace(tzinfo=UTC)
    with sqlite3.connect(archive / ".state" / "index.sqlite") as db:
        db.execute("UPDATE watch SET fetched = ?", ((day + timedelta(days=1, seconds=1)).timestamp(),))
    site.server.image(image, png((7, 7, 7)))
    result = watch(archive, site, **NOTHING_DUE)
    assert result.returncode == 0 and "Images not tried again" not in result.stderr, result.stderr
    assert state_of(archive, art) == "archived" and image not in post_of(archive, art)


def test_an_imported_page_whose_image_failed_waits_for_a_run_that_finds_its_article(
        site: Site, tmp_path: Path) -> None:
    """A saved page imported (not fetched from WeChat) while the CDN answers its picture 502,
    its original never found gone: the post waits for a run that finds the article, not
    for one that makes it again from a capture as if its original were gone."""
    [art] = site.serve([Art("2247520141")])
    image = f"/mmbiz_png/Img{art.mid}x{art.idx}/640"
    site.server.image(image, b"Bad Gateway", status=502, content_type="text/html")
    saved = tmp_path / "saved"
    saved.mkdir()
    (saved / "a.html").write_text(site.page(art), encoding="utf-8")
    archive = tmp_path / "archive"
    assert crawl("import", archive, "-a", f"path={saved}").returncode == 0
    assert image in post_of(archive, art) and state_of(archive, art) == "incomplete"
    verified = scrapy_command("verify", archive)
    assert re.search(r"\.md: incomplete, 1 image still on the CDN \(tried again when a run finds "
                     r"the article\)\n", verified.stdout), verified.stdout


def test_a_deleted_page_of_an_incomplete_post_asks_the_index_its_path_and_state_once_a_step(
        site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An article whose post is incomplete, its page found deleted by a run of its album: the
    spider asked the index for its post's path, then its state, and the state pipeline its
    state, then its path: 7 look-ups of the article in the run, 5 now, one a step
    (``Index.article_row``). It is still gone_incomplete, its post marked deleted."""
    [art] = site.serve([Art("2247520091")])
    site.server.image(f"/mmbiz_png/Img{art.mid}x{art.idx}/640", b"Bad Gateway", status=502,
                      content_type="text/html")
    archive, album = tmp_path / "archive", site.album("3091", [art])
    assert crawl("album", archive, "-a", f"url={album}").returncode == 0
    site.pages[art.path] = answer("deleted.html")
    statements: list[str] = []
    opened = Index.__init__

    def traced(index: Index, path: Path, read_only: bool = False) -> None:
        opened(index, path, read_only)
        index.connection.set_trace_callback(statements.append)

    monkeypatch.setattr(Index, "__init__", traced)
    result = crawl("album", archive, "-a", f"url={album}")
    assert result.returncode == 0, result.stderr
    assert state_of(archive, art) == "gone_incomplete" and "    status: deleted\n" in post_of(archive, art)
    key = f"{art.biz}:{art.mid}:{art.idx}"
    asked = [sql for sql in statements if sql.startswith("SELECT") and " FROM articles WHERE key = " in sql
             and f"'{key}'" in sql]
    # the spider's and the state pipeline's, one each; before the page is asked, whether the
    # article is new (the incremental middleware, twice); where its post is, for the watch's mark
    assert len(asked) == 5, "\n".join(asked)

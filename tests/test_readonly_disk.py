"""An archive on a disk that is read-only, or turns so during a run (a file system
remounted read-only after an error, a read-only bind mount of the blog's checkout), as
cron meets it: one true line, the right exit status, nothing lost. The disk is a real
read-only tmpfs; where this user may not mount one, the tests skip, saying so."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import crawl, crawl_cli, scrapy_command
from tests.mockserver import MockWeChat
from tests.site import Site, numbered
from tests.test_faults import ARTICLES, POLITE, stopped_by_the_archive


@pytest.fixture
def read_only() -> Iterator[Callable[[Path], None]]:
    """Mounts a read-only tmpfs on a folder; each taken away at the test's end."""
    mounted: list[Path] = []

    def mount(folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(folder)],
                              capture_output=True, text=True, check=False)
        if done.returncode != 0:
            pytest.skip(f"this user may not mount a read-only file system: {done.stderr.strip()}")
        mounted.append(folder)

    yield mount
    for folder in reversed(mounted):
        if os.path.ismount(folder):  # not taken away by the test
            subprocess.run(["umount", str(folder)], check=True)


def test_a_disk_turned_read_only_stops_the_run_asking_wechat_and_the_next_run_archives_all(
        wechat: MockWeChat, tmp_path: Path, read_only: Callable[[Path], None]) -> None:
    """``_posts/`` turned read-only once the run had started (its first article page
    asked): the run went on asking WeChat for every page of the album, a page apart, to
    write none of them (each "Not archived"). Now the first post refused stops it as a
    signal does: its line, then one ERROR line naming the cause and the pages left for the
    next run; no page more asked; exit 1, the summary saying the archive cut it short. No
    post was half written or left behind (a new post's temporary file refused, and
    unlinking a name a read-only disk does not hold fails so too, not as missing: never
    said as "Not recorded … written now"); the next run, the disk mended, archives them all."""
    site = Site(wechat)
    album = site.album("3401", site.serve(numbered(2247480401, ARTICLES)))
    archive = tmp_path / "archive"
    posts = archive / "_posts"
    posts.mkdir(parents=True)

    def turning_read_only(path: str) -> None:
        if path.startswith("/s?") and not os.path.ismount(posts):
            read_only(posts)
    wechat.before_answer = turning_read_only
    result = crawl_cli("album", archive, "-a", f"url={album}", settings=POLITE)
    wechat.before_answer = lambda path: None
    asked = len(wechat.hits("/s?"))
    assert result.returncode == 1, result.stderr
    assert "written now" not in result.stderr, result.stderr
    [post] = stopped_by_the_archive(result.stderr, "[Errno 30] Read-only file system", asked)
    assert post.startswith("Not archived: cannot write the post of "), post
    assert f"Run summary (archive_refused): {asked} not written" in result.stderr, result.stderr
    subprocess.run(["umount", str(posts)], check=True)
    again = crawl("album", archive, "-a", f"url={album}")
    assert again.returncode == 0, again.stderr
    assert len(list(posts.glob("*.md"))) == ARTICLES
    assert len(wechat.hits("/s?")) == asked + ARTICLES  # each asked again only if its post failed
    verified = scrapy_command("verify", archive)
    assert verified.returncode == 0, verified.stdout


@pytest.mark.parametrize("folder", ["_posts", "postimg", ".state"])
def test_an_archive_a_folder_of_which_is_read_only_is_refused_before_anything_is_fetched(
        wechat: MockWeChat, tmp_path: Path, read_only: Callable[[Path], None], folder: str) -> None:
    """The blog's checkout writable, its ``_posts/`` (or ``postimg/``, or the state's
    folder) a read-only mount: the check of ``ARCHIVE_DIR`` tried its top folder alone, and
    the run fetched every page at WeChat's pace to write none of it (``_posts/``: each post
    "Not archived", exit status 1), or stopped on its index (``.state/``: "cannot open the
    archive", status 1). Refused as an ``ARCHIVE_DIR`` that cannot be written is: one line
    naming the folder, exit status 2, nothing asked of WeChat."""
    site = Site(wechat)
    album = site.album("3402", site.serve(numbered(2247480411, 2)))
    archive = tmp_path / "archive"
    read_only(archive / folder)
    result = crawl("album", archive, "-a", f"url={album}")
    assert result.returncode == 2, result.stderr
    assert result.stderr == (f"scrapy crawl album: -s ARCHIVE_DIR= names {str(archive)!r}, which this "
                             f"user cannot write ({archive / folder}: Read-only file system)\n")
    assert not wechat.hits("/")

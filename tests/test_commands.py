"""The project's Scrapy commands (``crawler/commands``), run in the test process: ``crawl``'s
checks before a crawl starts and its exit status, ``verify``, ``check`` (its old name),
``versions`` and ``rebuild`` on an archive one crawl made (``archived`` in conftest)."""

from __future__ import annotations

import itertools
import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import IO, Any

import pytest
import redis
from scrapy.crawler import Crawler, CrawlerRunner
from scrapy.settings import Settings

from crawler import settings as project_settings
from crawler.commands import check, rebuild, verify, versions
from crawler.commands.crawl import exit_status, prepare_crawl
from crawler.run import Run
from crawler.spiders.article import ArticleParams
from crawler.store.archive import Archive
from crawler.store.captures import CaptureStore
from crawler.store.index import ArticleState
from crawler.wechat.page import parse_page
from tests.conftest import (
    PAGES,
    POST_NAME,
    PROJECT,
    Served,
    crawl,
    crawl_command,
    crawl_env,
    run_command,
    scrapy_command,
)
from tests.mockserver import Gate, MockWeChat, Route
from tests.redisserver import RedisServer, free_port
from tests.site import Site, numbered
from tests.test_hostile import URL as HOSTILE_URL
from tests.test_hostile import page as hostile_page

URL = "https://mp.weixin.qq.com/s/KDWh_qGpFN5Vu1TR9t30Mw"
LOCAL_HOSTS = {"ARTICLE_HOSTS": "127.0.0.1", "IMAGE_HOSTS": "127.0.0.1"}


def prepared(archive: Path, spider: str = "article", arguments: dict[str, str] | None = None,
             **settings: str) -> tuple[Crawler, Any] | int:
    values = Settings()
    values.setmodule(project_settings, priority="project")
    values.update({"ARCHIVE_DIR": str(archive), **settings}, priority="cmdline")
    return prepare_crawl(CrawlerRunner(values), values, spider,
                         {"url": URL} if arguments is None else arguments)


@pytest.fixture
def crawlers() -> Iterator[list[Crawler]]:
    """Crawlers a test prepared: their archives are closed after it."""
    made: list[Crawler] = []
    yield made
    for crawler in made:
        Run.of(crawler).archive.close()


def test_a_crawl_is_prepared_with_its_archive_open_and_its_arguments_read(
        tmp_path: Path, crawlers: list[Crawler]) -> None:
    result = prepared(tmp_path)
    assert not isinstance(result, int)
    crawler, params = result
    crawlers.append(crawler)
    assert params == ArticleParams(urls=(URL,))
    assert Run.of(crawler).archive.layout.root == tmp_path
    assert prepared(tmp_path) == 1  # the archive is held: a second run is refused


def test_a_bad_setting_or_argument_is_status_2_and_opens_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert prepared(tmp_path / "a", PROGRESS="sometimes") == 2
    assert prepared(tmp_path / "b", arguments={}) == 2
    assert prepared(tmp_path / "c", arguments={"url": URL, "depth": "3"}) == 2
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "file").write_text("")  # an ARCHIVE_DIR that is a file, or in one
    assert prepared(tmp_path / "file") == 2 and prepared(tmp_path / "file" / "archive") == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 5 and all(line.startswith("scrapy crawl article: ") for line in lines)
    assert lines[-1].endswith(f"-s ARCHIVE_DIR= takes a folder, not {str(tmp_path / 'file' / 'archive')!r}: "
                              f"{tmp_path / 'file'} is a file")


def test_an_archive_another_run_holds_is_status_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    held = Archive(tmp_path)
    try:
        assert prepared(tmp_path) == 1
    finally:
        held.close()
    assert capsys.readouterr().err.startswith("scrapy crawl article: ")


def test_a_redis_that_does_not_answer_is_status_1_before_the_archive_is_opened(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    archive = tmp_path / "archive"
    assert prepared(archive, REDIS_URL=f"redis://:pw@127.0.0.1:{free_port()}/0") == 1
    assert not archive.exists()
    assert capsys.readouterr().err.startswith("scrapy crawl article: Redis at redis://:***@127.0.0.1:")


def test_a_second_writer_of_a_job_is_status_2(tmp_path: Path, redis_db: redis.Redis,
                                              redis_server_session: RedisServer,
                                              crawlers: list[Crawler]) -> None:
    # not renewed within this writer's own lease (REDIS_HEARTBEAT), which it waits at most
    redis_db.set("job:writer", "elsewhere:1", px=30000)
    settings = {"REDIS_URL": redis_server_session.url, "REDIS_JOB": "job", "REDIS_HEARTBEAT": "1"}
    assert prepared(tmp_path / "a", **settings) == 2
    result = prepared(tmp_path / "b", **{**settings, "REDIS_JOB": "another"})
    assert not isinstance(result, int)
    crawlers.append(result[0])


def test_an_import_beside_a_jobs_writer_is_no_second_writer(tmp_path: Path, redis_db: redis.Redis,
                                                             redis_server_session: RedisServer,
                                                             crawlers: list[Crawler]) -> None:
    """Saved pages fetch nothing: an import is not refused while the job runs, nor takes
    the writer's lease from it."""
    redis_db.set("job:writer", "elsewhere:1", px=30000)
    saved = tmp_path / "saved.html"
    saved.write_text("<html></html>", encoding="utf-8")
    result = prepared(tmp_path / "archive", "import", {"path": str(saved)},
                      REDIS_URL=redis_server_session.url, REDIS_JOB="job")
    assert not isinstance(result, int)
    crawlers.append(result[0])
    assert redis_db.get("job:writer") == b"elsewhere:1"


def test_a_fetch_node_opens_no_archive(tmp_path: Path, redis_server_session: RedisServer) -> None:
    archive = tmp_path / "archive"
    result = prepared(archive, "fetch", {}, REDIS_URL=redis_server_session.url)
    assert not isinstance(result, int)
    assert not archive.exists()
    assert prepared(archive, "fetch", {}) == 2  # a node without a job


def test_a_mistyped_spider_is_one_line_and_status_2(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """Not Scrapy's KeyError traceback: the names there are."""
    assert prepared(tmp_path, "articles") == 2
    assert capsys.readouterr().err == ("scrapy crawl articles: no such spider (this project's: "
                                       "accounts, album, article, fetch, import, watch)\n")
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize(("bootstrap_failed", "stats", "status"), [
    (False, {"finish_reason": "finished"}, 0),
    (True, {"finish_reason": "finished"}, 1),
    (False, {"finish_reason": "blocked"}, 1),
    (False, {"finish_reason": "finished", "sources/attempted": 2}, 1),
    (False, {"finish_reason": "finished", "sources/attempted": 2, "sources/read": 1}, 0),
    (False, {"finish_reason": "finished", "articles/given": 2, "pages/fetch_failed": 2}, 1),
    (False, {"finish_reason": "finished", "articles/given": 2, "posts/unchanged": 1}, 0),
])
def test_the_exit_status_says_whether_the_run_did_its_job(bootstrap_failed: bool, stats: dict[str, Any],
                                                         status: int) -> None:
    crawler = SimpleNamespace(stats=SimpleNamespace(get_stats=lambda: stats))
    runner = SimpleNamespace(bootstrap_failed=bootstrap_failed)
    assert exit_status(runner, crawler) == status  # type: ignore[arg-type]


@pytest.mark.parametrize(("words", "says"), [
    ((), "give one spider (this project's: accounts, album, article, fetch, import, watch)"),
    (("article", "--bogus"), "unknown option '--bogus' (scrapy crawl -h lists them)"),
    (("article", "album"), "give one spider (this project's: accounts, album, article, fetch, import, "
                           "watch), not 'article album'"),
])
def test_the_crawl_command_takes_one_spider(tmp_path: Path, words: tuple[str, ...], says: str) -> None:
    """``scrapy crawl article --bogus`` (an option mistyped) said "give one spider: scrapy
    crawl article|album|accounts|import|fetch", under Scrapy's usage: one was given, and
    ``watch`` is one too."""
    line = [*crawl_command("article", tmp_path / "archive")]
    line[line.index("article"):line.index("article") + 1] = words
    result = subprocess.run(line, cwd=PROJECT, env=crawl_env(), capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [f"scrapy crawl: {says}"]
    assert not (tmp_path / "archive").exists()


# -- verify, check ---------------------------------------------------------------------------
def test_verify_finds_the_archive_sound_and_says_an_image_is_left_on_the_cdn_for_good(
        archived: tuple[Path, str], capsys: pytest.CaptureFixture[str]) -> None:
    """The article's one failing image is a 404, lost for good: verify called its post
    incomplete, its image "still on the CDN (tried again when a run finds the article)" and
    "not stored yet", where no run asks for it again."""
    archive, _ = archived
    assert run_command(verify.Command(), archive, **LOCAL_HOSTS) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [f"{archive / '_posts' / POST_NAME}: 1 image left on the CDN for good (gone there, "
                     "not an image, or over a limit: the post shows the link, and no run asks for it "
                     "again)",
                     "verify: 1 post with images left on the CDN for good (nothing to do)",
                     f"verify: {archive} is sound (1 post)"]


def test_verify_counts_problems_and_exits_1(archived: tuple[Path, str], tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    archive = tmp_path / "archive"
    shutil.copytree(archived[0], archive)
    (archive / "_posts" / POST_NAME).write_text("no front matter\n", encoding="utf-8")
    (archive / "postimg" / "orphan.png").write_bytes(b"x")
    assert run_command(verify.Command(), archive, **LOCAL_HOSTS) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1] == f"verify: {len(lines) - 1} problems in {archive}"
    assert len(lines) - 1 >= 2


def test_verify_says_one_problem_in_the_singular(copied: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (copied / "postimg" / "orphan.png").write_bytes(b"x")
    assert run_command(verify.Command(), copied, **LOCAL_HOSTS) == 1
    assert capsys.readouterr().out.splitlines()[-1] == f"verify: 1 problem in {copied}"


def test_verify_says_once_that_the_index_is_lost(copied: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The index deleted (as a damaged one's error advises) or not there (a blog checkout
    without ``.state/``): verify said of each post that its article is not in the index,
    one line per post, and nothing of the index itself."""
    index = copied / ".state" / "index.sqlite"
    index.unlink()
    assert run_command(verify.Command(), copied, **LOCAL_HOSTS) == 1
    problems = [line for line in capsys.readouterr().out.splitlines()
                if "incomplete" not in line and not line.startswith("verify: ")]
    assert problems == [f"{index}: missing: the next run (or scrapy rebuild) rebuilds it from the "
                        "posts"]
    assert not index.exists()


HAND_MADE = "---\nlayout: post\ntitle: 一篇手工转载\ntags:\n    - 其他\n---\n\n正文。\n"


def test_verify_takes_the_blogs_hand_made_posts_for_no_problem(copied: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    """The README's first way to the blog, ``-s ARCHIVE_DIR=/srv/blog``: its ``_posts/`` holds
    the blog's hand-made reprints, which have no ``wechat:`` block; verify said of each
    "front matter has no wechat.url" and exited 1 after every run. A ``wechat:`` block of
    ours without its url is still one."""
    (copied / "_posts" / "2021-07-28-一篇手工转载.md").write_text(HAND_MADE, encoding="utf-8")
    assert run_command(verify.Command(), copied, **LOCAL_HOSTS) == 0
    assert capsys.readouterr().out.endswith(f"verify: {copied} is sound (2 posts)\n")
    broken = copied / "_posts" / "2021-07-29-坏了的.md"
    broken.write_text(HAND_MADE.replace("tags:", "wechat:\n    account: 某反诈中心\ntags:"),
                      encoding="utf-8")
    assert run_command(verify.Command(), copied, **LOCAL_HOSTS) == 1
    assert f"{broken}: front matter has no wechat.url\n" in capsys.readouterr().out


def test_verify_takes_a_folder_of_posts_for_no_misnamed_post(copied: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    """A blog's ``_posts/2020/``, which Jekyll reads the posts of as well: verify said the
    folder was "not named YYYY-MM-DD-slug.md" and exited 1 after every run."""
    (copied / "_posts" / "2020").mkdir()
    (copied / "_posts" / "2020" / "2020-01-02-一篇手工转载.md").write_text(HAND_MADE, encoding="utf-8")
    assert run_command(verify.Command(), copied, **LOCAL_HOSTS) == 0
    assert capsys.readouterr().out.endswith(f"verify: {copied} is sound (2 posts)\n")  # both


def test_check_is_verify_under_its_old_name(archived: tuple[Path, str],
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert run_command(check.Command(), archived[0], **LOCAL_HOSTS) == 0
    output = capsys.readouterr()
    assert output.err == "scrapy check: this is now 'scrapy verify'; running it\n"
    assert output.out.endswith(f"verify: {archived[0]} is sound (1 post)\n")


# -- versions --------------------------------------------------------------------------------
def test_versions_lists_the_captures_and_shows_one(archived: tuple[Path, str], legacy: Served,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    archive, _ = archived
    assert run_command(versions.Command(), archive, legacy.url, **LOCAL_HOSTS) == 0
    [line] = capsys.readouterr().out.splitlines()
    assert line.startswith("1  ") and line.endswith("  first capture")
    assert run_command(versions.Command(), archive, legacy.url, "--show", "1", **LOCAL_HOSTS) == 0
    assert capsys.readouterr().out == (archive / "_posts" / POST_NAME).read_text(encoding="utf-8")
    assert run_command(versions.Command(), archive, f"{legacy.url}#rd", **LOCAL_HOSTS) == 0  # as copied
    assert capsys.readouterr().out.splitlines() == [line]


def test_versions_lists_the_captures_of_a_post_whose_front_matter_a_person_broke(
        copied: Path, legacy: Served, capsys: pytest.CaptureFixture[str]) -> None:
    """The captures are what there is to see then (its tags are not): not a traceback."""
    (copied / "_posts" / POST_NAME).write_text("---\ntitle: [\n---\n", encoding="utf-8")
    assert run_command(versions.Command(), copied, legacy.url, **LOCAL_HOSTS) == 0
    [line] = capsys.readouterr().out.splitlines()
    assert line.startswith("1  ") and line.endswith("  first capture")


@pytest.mark.parametrize(("args", "status", "says"), [
    ((), 2, "give one article URL"),
    (("a", "b"), 2, "give one article URL"),
    ((URL.replace("https://mp.weixin.qq.com", "http://127.0.0.1:9"),), 1, "no capture of http://127.0.0.1:9/s/"),
    (("{url}", "--show", "2"), 1, "capture 2 is no version of the article (captures 1 to 1"),
    (("{url}", "--show", "0"), 1, "capture 0 is no version"),
    # argparse's "invalid int value: 'x'", under Scrapy's usage
    (("{url}", "--show", "x"), 2, "--show takes a capture's number (scrapy versions URL lists them), not 'x'"),
    (("not a link",), 2, "not an http(s) URL: 'not a link'"),
    (("https://mp.weixin.qq.com/s/…",), 2, "a link cut short with '…'"),
])
def test_versions_refuses_in_one_line(archived: tuple[Path, str], legacy: Served,
                                      capsys: pytest.CaptureFixture[str], args: tuple[str, ...],
                                      status: int, says: str) -> None:
    given = [arg.format(url=legacy.url) for arg in args]
    assert run_command(versions.Command(), archived[0], *given, **LOCAL_HOSTS) == status
    output = capsys.readouterr()
    assert output.out == ""
    assert output.err.startswith(f"scrapy versions: {says}") and output.err.count("\n") == 1


@pytest.mark.parametrize("command", [verify.Command, check.Command, rebuild.Command])
def test_a_command_of_the_whole_archive_refuses_an_argument(command: type[verify.Command],
                                                            archived: tuple[Path, str], tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    """``scrapy rebuild _posts/one.md`` rebuilt every post, exit status 0."""
    archive = tmp_path / "archive"
    shutil.copytree(archived[0], archive)
    before = {path: path.stat().st_mtime_ns for path in archive.rglob("*")}
    assert run_command(command(), archive, "_posts/one.md", **LOCAL_HOSTS) == 2
    output = capsys.readouterr()
    assert output.out == "" and output.err.count("\n") == 1
    assert "takes no arguments, not '_posts/one.md'" in output.err
    assert {path: path.stat().st_mtime_ns for path in archive.rglob("*")} == before


def test_versions_shows_no_post_of_a_capture_in_which_the_article_was_gone(
        archived: tuple[Path, str], legacy: Served, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    archive = tmp_path / "archive"
    shutil.copytree(archived[0], archive)
    CaptureStore(archive / ".state" / "warc").add_resource(legacy.url, (PAGES / "deleted.html").read_bytes())
    assert run_command(versions.Command(), archive, legacy.url, **LOCAL_HOSTS) == 0
    assert len(capsys.readouterr().out.splitlines()) == 2
    assert run_command(versions.Command(), archive, legacy.url, "--show", "2", **LOCAL_HOSTS) == 1
    assert capsys.readouterr().err.startswith("scrapy versions: capture 2 is no version of the article")


def test_versions_of_a_capture_the_converter_fails_on_is_one_line(
        archived: tuple[Path, str], legacy: Served, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """``scrapy versions`` called the converter without the guard a crawl and a rebuild
    have: a page it failed on (a bug a hostile page finds) was a traceback."""
    import crawler.convert.post as post_module

    def failing(*args: object, **kwargs: object) -> str:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(post_module, "to_markdown", failing)
    assert run_command(versions.Command(), archived[0], legacy.url, **LOCAL_HOSTS) == 0
    [line] = capsys.readouterr().out.splitlines()
    assert line.startswith("1  ") and line.endswith("  could not be converted: RecursionError: "
                                                     "maximum recursion depth exceeded")
    assert run_command(versions.Command(), archived[0], legacy.url, "--show", "1", **LOCAL_HOSTS) == 1
    output = capsys.readouterr()
    assert output.out == "" and output.err.count("\n") == 1
    assert output.err.startswith("scrapy versions: capture 1 is no version of the article: "
                                 "could not be converted: RecursionError")


def test_versions_lists_a_capture_of_a_long_multi_line_reason_as_one_bounded_line(
        archived: tuple[Path, str], legacy: Served, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A capture's line quotes what the page carries (a moved account's 70 KB link, a
    converter's error about the page): printed as it was, one line of 70 KB, or two."""
    import crawler.convert.post as post_module

    def failing(*args: object, **kwargs: object) -> str:
        raise ValueError("a reason\nthe page carries" + "x" * 70_000)

    monkeypatch.setattr(post_module, "to_markdown", failing)
    assert run_command(versions.Command(), archived[0], legacy.url, **LOCAL_HOSTS) == 0
    [line] = capsys.readouterr().out.splitlines()
    assert line.startswith("1  ") and "could not be converted: ValueError: a reason\\nthe page carries" in line
    assert len(line) < 1_000 and "characters left out" in line


def test_versions_finds_the_captures_of_the_short_link_they_were_fetched_by_once_the_index_is_lost(
        copied: Path, legacy: Served, capsys: pytest.CaptureFixture[str]) -> None:
    """The archive was crawled by the short link WeChat shares; the index deleted (as a damaged
    one's error advises) and rebuilt from the posts, which know no short links, ``versions``
    of that very link said there was no capture of it."""
    (copied / ".state" / "index.sqlite").unlink()
    assert run_command(versions.Command(), copied, legacy.url, **LOCAL_HOSTS) == 0
    [line] = capsys.readouterr().out.splitlines()
    assert line.startswith("1  ") and line.endswith("  first capture")


def test_versions_shows_the_post_with_its_tags_once_the_index_is_lost(
        copied: Path, legacy: Served, capsys: pytest.CaptureFixture[str]) -> None:
    """An index rebuilt from the posts (by the next run, a crawl) records no tags: ``--show``
    printed the post without the tags its file has, which a crawl or a rebuild of that
    capture keeps. (Its images are another matter: which URLs share one file is lost.)"""
    post = (copied / "_posts" / POST_NAME).read_text(encoding="utf-8")
    assert "tags:\n    - " in post
    (copied / ".state" / "index.sqlite").unlink()
    Archive(copied).close()
    assert run_command(versions.Command(), copied, legacy.url, "--show", "1", **LOCAL_HOSTS) == 0
    shown = capsys.readouterr().out
    assert shown[:shown.index("\n---\n")] == post[:post.index("\n---\n")]


def test_versions_shows_a_picture_whose_file_is_gone_by_its_own_link_as_a_rebuild_does(
        copied: Path, legacy: Served, capsys: pytest.CaptureFixture[str]) -> None:
    """A picture the index knows whose file a person deleted: ``--show`` linked the missing
    file, where a rebuild of that capture (and a crawl) links the picture where it was."""
    picture = sorted((copied / "postimg").iterdir())[0]
    picture.unlink()
    assert run_command(versions.Command(), copied, legacy.url, "--show", "1", **LOCAL_HOSTS) == 0
    shown = capsys.readouterr().out
    assert picture.name not in shown
    (copied / "_posts" / POST_NAME).unlink()
    assert run_command(rebuild.Command(), copied, **LOCAL_HOSTS) == 0
    assert shown == (copied / "_posts" / POST_NAME).read_text(encoding="utf-8")


# -- rebuild ---------------------------------------------------------------------------------
@pytest.fixture
def copied(archived: tuple[Path, str], tmp_path: Path) -> Path:
    archive = tmp_path / "archive"
    shutil.copytree(archived[0], archive)
    return archive


def test_rebuild_of_an_unchanged_archive_changes_nothing(copied: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    post = copied / "_posts" / POST_NAME
    before = post.read_bytes()
    assert run_command(rebuild.Command(), copied, **LOCAL_HOSTS) == 0
    [line] = capsys.readouterr().out.splitlines()
    assert line.startswith("rebuild: 1 ") and "not rebuilt" not in line
    assert post.read_bytes() == before


def test_rebuild_brings_back_a_deleted_post(copied: Path, capsys: pytest.CaptureFixture[str]) -> None:
    post = copied / "_posts" / POST_NAME
    before = post.read_bytes()
    post.unlink()
    assert run_command(rebuild.Command(), copied, **LOCAL_HOSTS) == 0
    assert post.read_bytes() == before
    assert "not rebuilt" not in capsys.readouterr().out



def test_rebuild_says_it_cannot_restore_a_post_a_folder_stands_in_for(
        copied: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> None:
    """A folder of the post's name (a person's mistake): rebuild took it for the post,
    restored nothing, said nothing of it and exited 0."""
    post = copied / "_posts" / POST_NAME
    post.unlink()
    post.mkdir()
    assert run_command(rebuild.Command(), copied, **LOCAL_HOSTS) == 1
    assert capsys.readouterr().out == "rebuild: 1 not rebuilt\n"
    assert [record.getMessage() for record in caplog.records if record.levelname == "WARNING"] \
        == [f"Not restored: {POST_NAME}: cannot be read (not a regular file)"]
    assert post.is_dir()

def test_rebuild_keeps_a_post_whose_captures_are_gone(copied: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    shutil.rmtree(copied / ".state" / "warc")
    post = copied / "_posts" / POST_NAME
    before = post.read_bytes()
    assert run_command(rebuild.Command(), copied, **LOCAL_HOSTS) == 0
    assert capsys.readouterr().out == "rebuild: 1 without capture\n"
    assert post.read_bytes() == before


def test_rebuild_counts_the_blog_s_hand_made_posts_as_such(copied: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """``-s ARCHIVE_DIR=/srv/blog`` (the README's first way to the blog): its hand-made
    reprints, which have no ``wechat:`` block, were counted "without capture", the count of
    archived articles whose raw captures are lost."""
    hand_made = copied / "_posts" / "2020-01-01-hand-made.md"
    hand_made.write_text("---\nlayout: post\ntitle: 手写\ntags:\n    - 其他\n---\n\n你好\n", encoding="utf-8")
    before = hand_made.read_bytes()
    assert run_command(rebuild.Command(), copied, **LOCAL_HOSTS) == 0
    assert capsys.readouterr().out == "rebuild: 1 hand-made (no wechat: url), 1 unchanged\n"
    assert hand_made.read_bytes() == before


def test_a_post_rebuild_cannot_read_is_counted_kept_and_exits_1(copied: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    post = copied / "_posts" / POST_NAME
    post.write_text("no front matter\n", encoding="utf-8")
    assert run_command(rebuild.Command(), copied, **LOCAL_HOSTS) == 1
    assert capsys.readouterr().out == "rebuild: 1 not rebuilt\n"
    assert post.read_text(encoding="utf-8") == "no front matter\n"


def test_a_post_s_file_name_writes_no_line_of_its_own(copied: Path) -> None:
    """In a process of its own: a crawl in this one has set the escaping up already."""
    (copied / "_posts" / "2021-01-01-x\n2099-01-01 [crawler] INFO: forged.md").write_bytes(
        "---\ntitle: 反诈\n---\n".encode("gbk"))
    result = scrapy_command("rebuild", copied)
    assert result.returncode == 1
    [line] = [line for line in result.stderr.splitlines() if "Not rebuilt" in line]
    assert "x\\n2099-01-01 [crawler] INFO: forged.md" in line, result.stderr


def test_rebuild_of_an_archive_of_no_posts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Archive(tmp_path).close()
    assert run_command(rebuild.Command(), tmp_path) == 0
    assert capsys.readouterr().out == "rebuild: no posts\n"


def restored_from(tmp_path: Path, captured: list[tuple[str, datetime]]) -> str:
    """The post ``rebuild`` restores of an article archived whose captures are ``captured``
    (its page, when fetched), in that order."""
    store = CaptureStore(tmp_path / ".state" / "warc")
    for html, at in captured:
        store.add_resource(HOSTILE_URL, html.encode("utf-8"), fetched_at=at)
    archive = Archive(tmp_path)
    key = parse_page(captured[0][0], HOSTILE_URL).key
    archive.index.add_article(key, HOSTILE_URL, "2023-11-14-restored.md", ArticleState.ARCHIVED)
    archive.close()
    assert run_command(rebuild.Command(), tmp_path) == 0
    return (tmp_path / "_posts" / "2023-11-14-restored.md").read_text(encoding="utf-8")


def test_rebuild_takes_of_captures_made_the_same_second_the_one_made_last(tmp_path: Path) -> None:
    """A page fetched thrice in one second, edited in between and edited back: the newest
    version is the one the last capture shows, not the one its first capture did."""
    at = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    first, edited = hostile_page("<p>第一稿。</p>"), hostile_page("<p>改过的一稿。</p>")
    post = restored_from(tmp_path, [(first, at), (edited, at), (first, at)])
    assert "第一稿" in post and "改过" not in post


def test_rebuild_passes_over_a_capture_without_a_publish_time(tmp_path: Path) -> None:
    """A page that came without its publish time (a post needs one) is no version: the
    post is restored from the capture before it, not left out."""
    at = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    post = restored_from(tmp_path, [(hostile_page("<p>第一稿。</p>"), at),
                                    (hostile_page("<p>无日期。</p>", ct=""), at + timedelta(seconds=1))])
    assert "第一稿" in post and "无日期" not in post


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_a_run_stopped_by_a_signal_ends_by_that_signal_after_its_summary(
        stop: signal.Signals, tmp_path: Path) -> None:
    """Cron's shell sees a run cut short (status 128 + N, not 0: it did not do all it was
    asked), and systemd a clean stop (a service killed by SIGTERM or SIGINT is one); what
    the run had archived stays, and it says what it did."""
    with MockWeChat() as server:
        site = Site(server)
        album = site.album("3102", site.serve(numbered(2247492000, 30)))
        fourth = Gate(4)  # the signal lands mid-run however slow the machine
        server.before_answer = fourth.before_answer
        archive = tmp_path / "archive"
        process = subprocess.Popen(crawl_command("album", archive, "-a", f"url={album}"),
                                   cwd=PROJECT, env=crawl_env(), text=True,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        fourth.wait()
        process.send_signal(stop)
        assert process.stderr is not None
        log = _read_until(process.stderr, f"Stopping ({stop.name})")
        fourth.open()
        _, rest = process.communicate(timeout=60)
    log += rest
    assert process.returncode == -stop, log
    # the pages in hand are archived before the run ends, and no page more is asked
    # (tests/test_stopping.py)
    assert len(list((archive / "_posts").glob("*.md"))) == 4
    [summary] = [line for line in log.splitlines() if "Run summary" in line]
    assert f"stopped by {stop.name}" in summary, summary
    # said when it lands (Scrapy's own line is at DEBUG, not shown), with what is left
    [stopping] = [line for line in log.splitlines() if "Stopping" in line]
    assert re.search(rf"INFO: Stopping \({stop.name}\): no page more is asked of WeChat, \d+ queued "
                     rf"pages left for the next run; the pages in hand are finished first; "
                     rf"{stop.name} again stops at once$", stopping), stopping


def stopped_as_its_page_is_held(server: MockWeChat, archive: Path, url: str) -> tuple[int, str]:
    """``crawl article url`` stopped by SIGTERM while the stand-in holds its page: its exit
    status and its summary line."""
    held = Gate(1)
    server.before_answer = held.before_answer
    process = subprocess.Popen(crawl_command("article", archive, "-a", f"url={url}",
                                             settings={"RETRY_TIMES": "0"}),
                               cwd=PROJECT, env=crawl_env(), text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    held.wait()
    process.send_signal(signal.SIGTERM)
    held.open()
    _, log = process.communicate(timeout=60)
    summaries = [line for line in log.splitlines() if "Run summary" in line]
    assert len(summaries) == 1, log
    return process.returncode, summaries[0]


def test_a_run_stopped_by_a_signal_that_failed_exits_1(tmp_path: Path) -> None:
    """A run in which something broke says so to cron by its status, stopped or not: ended
    by the signal, it would be told apart from a clean stop only by a shell. Here the post of
    the page in hand is not written (its front matter a person left unreadable)."""
    archive = tmp_path / "archive"
    with MockWeChat() as server:
        site = Site(server)
        [art] = site.serve(numbered(2247494000, 1))
        url = f"{server.base}{art.path}"
        assert crawl("article", archive, "-a", f"url={url}").returncode == 0
        [post] = (archive / "_posts").glob("*.md")
        post.write_text(post.read_text(encoding="utf-8").replace("title: ", 'title: "', 1), encoding="utf-8")
        site.pages[art.path] = Route(200, "text/html; charset=utf-8",
                                     site.page(art).replace("警方提示", "警方特别提示").encode())
        status, summary = stopped_as_its_page_is_held(server, archive, url)
    assert status == 1, summary
    assert "stopped by SIGTERM" in summary and "1 not written" in summary, summary


def test_a_run_stopped_by_a_signal_having_asked_all_it_was_given_and_fetched_none_exits_1(
        tmp_path: Path) -> None:
    """Its one article answered 502 as the signal landed: nothing was left unasked, so the
    run failed whatever the stop, and says so by its status (a stop with pages left ends
    by its signal: tests/test_stopping.py)."""
    with MockWeChat() as server:
        site = Site(server)
        [art] = site.serve(numbered(2247494000, 1))
        site.pages[art.path] = Route(502, "text/html", b"Bad Gateway")
        status, summary = stopped_as_its_page_is_held(server, tmp_path / "archive", f"{server.base}{art.path}")
    assert status == 1, summary
    assert "stopped by SIGTERM" in summary and "none of the articles given could be fetched" in summary, summary


@pytest.mark.parametrize(("stop", "when"), [(signal.SIGTERM, "during the pause"),
                                             (signal.SIGINT, "as a page comes back blocked")])
def test_a_signal_during_a_block_pause_ends_the_run_without_waiting_it_out(
        stop: signal.Signals, when: str, tmp_path: Path) -> None:
    """The pages waiting in the article slot for WeChat's block pause (``BLOCK_BACKOFF``,
    doubled per try) were fetched at its pace before the run could end: minutes after
    systemd's SIGTERM, which kills the run at 90 s, with no summary. They are left for the
    next run, as every page not sent yet (tests/test_stopping.py); nor is a page said to be
    asked again when the stop means it never will be.

    No outcome depends on the machine's speed: the page held while the signal lands is
    never given up (at ``DOWNLOAD_TIMEOUT``'s 30 s, a loaded machine slow to signal, log and
    open the gate made it a timeout, and the pages behind it were fetched), and the pause
    is an hour, far above the bounds a slow machine is given."""
    pause = 3600
    bound = 300  # seconds a loaded machine may take for a step; a run waiting out the pause takes more
    with MockWeChat() as server:
        site = Site(server)
        album = site.album("3103", site.serve(numbered(2247493000, 8)))
        asked = itertools.count(1)
        site.server.route("/s", lambda query: Route(429, "text/plain", b"slow down")
                          if next(asked) == 2 else site._long_link(query))
        second = Gate(2, patience=bound)  # the page to be blocked, held until the signal has landed
        server.before_answer = second.before_answer
        archive = tmp_path / "archive"
        settings = {"BLOCK_BACKOFF": str(pause), "DOWNLOAD_TIMEOUT": str(pause)}
        process = subprocess.Popen(crawl_command("album", archive, "-a", f"url={album}", settings=settings),
                                   cwd=PROJECT, env=crawl_env(), text=True,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            assert process.stderr is not None
            if when == "during the pause":
                second.open()
                log = _read_until(process.stderr, f"asking again in {pause} s")
                process.send_signal(stop)
            else:
                second.wait()
                process.send_signal(stop)
                log = _read_until(process.stderr, f"Stopping ({stop.name})")
                second.open()
            _, rest = process.communicate(timeout=bound)
        finally:
            process.kill()
        hits = [path for path, _ in server.hits("/s?")]
    log += rest
    assert process.returncode == -stop, log
    assert len(hits) == 2, (hits, log)  # the blocked page and the one before it: none of those waiting
    assert len(list((archive / "_posts").glob("*.md"))) == 1
    [summary] = [line for line in log.splitlines() if "Run summary" in line]
    assert f"stopped by {stop.name}" in summary, summary
    [stopping] = [line for line in log.splitlines() if "Stopping" in line]
    # the six after the blocked page, and its retry when Scrapy had handed it on already
    assert re.search(r"no page more is asked of WeChat, [67] queued pages left for the next run",
                     stopping), stopping
    after_the_stop = log[log.index(f"Stopping ({stop.name})"):]
    assert "asking again" not in after_the_stop and "Not archived" not in after_the_stop, after_the_stop


def _read_until(stream: IO[str], text: str) -> str:
    """What ``stream`` says up to the first line saying ``text``, that line included."""
    lines = []
    for line in stream:
        lines.append(line)
        if text in line:
            return "".join(lines)
    raise AssertionError(f"never said {text!r}:\n" + "".join(lines))


@pytest.mark.parametrize("command", [verify.Command, rebuild.Command])
def test_a_date_a_person_mistyped_in_a_front_matter_is_one_line_not_a_traceback(
        command: type[verify.Command], copied: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``date: 2024-02-30``: YAML reads it as a date, and Python's datetime refuses it with a
    ValueError, not a YAMLError (Jekyll refuses the site too)."""
    post = copied / "_posts" / POST_NAME
    text = post.read_text(encoding="utf-8")
    post.write_text(re.sub(r"^date: +\S+$", "date:       2024-02-30", text, count=1, flags=re.MULTILINE),
                    encoding="utf-8")
    before = post.read_bytes()
    assert run_command(command(), copied, **LOCAL_HOSTS) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"{post}: front matter is not valid YAML: day is out of range for month\n"
                          if command is verify.Command else "rebuild: 1 not rebuilt\n")
    assert post.read_bytes() == before


UNREADABLE = "2020-01-01-gbk.md: not UTF-8 text (invalid start byte at byte 11)"


def command_logging(tmp_path: Path, *options: str, within: tuple[str, ...] = (),
                    command: str = "rebuild") -> tuple[Path, subprocess.CompletedProcess[str]]:
    """``scrapy COMMAND OPTIONS`` (``{log}``: ``logs/rebuild.log``), run ``within`` a
    command, its home ``tmp_path``, on an archive of one post it cannot read."""
    archive, log = tmp_path / "archive", tmp_path / "logs" / "rebuild.log"
    (archive / "_posts").mkdir(parents=True)
    log.parent.mkdir()
    (archive / "_posts" / "2020-01-01-gbk.md").write_bytes("---\ntitle: 反诈\n---\n".encode("gbk"))
    line = [sys.executable, "-m", "scrapy", command, "-s", f"ARCHIVE_DIR={archive}",
            *(option.format(log=log) for option in options)]
    return log, subprocess.run([*within, *line], cwd=PROJECT, env={**crawl_env(), "HOME": str(tmp_path)},
                               capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("option", ["--logfile={log}", "-s LOG_FILE={log}", "-s LOG_FILE=~/logs/rebuild.log"])
def test_rebuild_writes_its_log_lines_to_the_log_file_given(tmp_path: Path, option: str) -> None:
    """They went to standard error whatever was asked: a cron line with ``--logfile`` kept
    nothing of what went wrong, and mailed it instead."""
    log, result = command_logging(tmp_path, *option.split(" "))
    assert result.returncode == 1
    assert result.stdout == "rebuild: 1 not rebuilt\n"
    assert result.stderr == ""
    lines = log.read_text(encoding="utf-8").splitlines()
    assert [line.split("] ", 1)[1] for line in lines] == [
        f"WARNING: Not in the rebuilt index: {tmp_path}/archive/_posts/{UNREADABLE}",
        f"WARNING: Not rebuilt: {UNREADABLE}"], lines


def test_verify_with_a_log_file_reports_on_standard_output_and_logs_nothing(tmp_path: Path) -> None:
    """What ``verify`` finds is its report, on standard output, a log file given or not; it
    logs nothing of its own (a Pillow warning was all it put there: ``test_hostile``)."""
    log, result = command_logging(tmp_path, "--logfile={log}", command="verify")
    archive = tmp_path / "archive"
    assert result.returncode == 1
    assert result.stdout == f"{archive}/_posts/{UNREADABLE}\nverify: 1 problem in {archive}\n"
    assert result.stderr == ""
    assert log.read_text(encoding="utf-8") == ""


def test_rebuild_with_a_log_file_on_a_full_disk_says_so_and_gives_its_lines_to_standard_error(
        tmp_path: Path) -> None:
    """As a crawl's (``log_file_falls_back``): no traceback of Python's for each line lost."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("a full disk needs root and unshare(1) (a tmpfs of the test's own)")
    script = 'mount -t tmpfs -o size=64k tmpfs "$0" && { cat /dev/zero > "$0/filler" 2>/dev/null; exec "$@"; }'
    log, result = command_logging(tmp_path, "--logfile={log}",
                                  within=("unshare", "--mount", "sh", "-c", script, str(tmp_path / "logs")))
    assert result.returncode == 1
    said = [line.split("] ", 1)[1] for line in result.stderr.splitlines()]
    assert said == [f"ERROR: Cannot write the log file {log} (No space left on device): the run's lines "
                    "go to standard error from here",
                    f"WARNING: Not in the rebuilt index: {tmp_path}/archive/_posts/{UNREADABLE}",
                    f"WARNING: Not rebuilt: {UNREADABLE}"], result.stderr

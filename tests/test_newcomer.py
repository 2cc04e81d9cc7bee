"""A newcomer's first hour: a fresh clone verifies, a first run says what to do, a long run
shows its progress at a terminal and stays quiet in cron."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from crawler.report.progress import Pace
from crawler.store.archive import Archive, ArchiveError
from tests.conftest import PROJECT, crawl, crawl_cli, crawl_command, crawl_env, page_text, refusal
from tests.mockserver import Gate, MockWeChat
from tests.site import Site, numbered
from tests.test_captures import scrapy


def test_the_archive_of_a_fresh_clone_verifies(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    shutil.copytree(PROJECT / "archive", archive, ignore=shutil.ignore_patterns(".state", "*.md"))
    assert {p.name for p in archive.rglob(".gitkeep")}  # what git keeps of the empty tree
    result = scrapy("verify", archive)
    assert result.returncode == 0, result.stdout
    assert f"verify: {archive} is sound (0 posts)" in result.stdout


def test_a_first_run_without_an_accounts_file_says_to_copy_the_example(tmp_path: Path) -> None:
    result = crawl("accounts", tmp_path, settings={"ACCOUNTS_FILE": str(tmp_path / "accounts.toml")})
    assert result.returncode == 2
    line = refusal(result, "crawl accounts")
    assert "copy accounts.example.toml to it" in line


def test_progress_says_done_of_found_pace_and_time_left() -> None:
    pace = Pace(started=0.0, found=450, done=120)
    assert pace.line("articles", 400.0) == "120 of 450 articles (26 %), 18 a minute, about 18 min left"
    assert Pace(0.0, 0, 0).line("posts", 1.0) == "0 of 0 posts, 0 a minute"
    assert "about 1 h 39 min left" in Pace(0.0, 1000, 10).line("posts", 60.0)  # 990 at 10


def test_a_long_run_shows_progress_when_asked_and_cron_gets_none(wechat: MockWeChat,
                                                                 tmp_path: Path) -> None:
    site = Site(wechat)
    arts = site.serve(numbered(2247495000, 6))
    album = site.album("3301", arts)
    wechat.latency = 0.15
    shown = crawl("album", tmp_path / "a", "-a", f"url={album}",
                  settings={"PROGRESS": "on", "PROGRESS_INTERVAL": "0.2"})
    assert shown.returncode == 0, shown.stderr
    assert "INFO: Progress: " in shown.stderr and " of 6 articles (" in shown.stderr
    piped = crawl("album", tmp_path / "b", "-a", f"url={album}")  # stderr is a pipe: PROGRESS=auto
    assert "Progress:" not in piped.stderr and "Crawled " not in piped.stderr


@pytest.mark.parametrize("stop", [None, signal.SIGTERM])
def test_a_run_with_standard_error_closed_logs_to_its_log_file(wechat: MockWeChat, tmp_path: Path,
                                                               stop: signal.Signals | None) -> None:
    """``scrapy crawl … --logfile crawl.log 2>&-`` (a job that closes what it does not read):
    Python then has no ``sys.stderr``, and asking it whether it was a terminal (``PROGRESS``
    auto) was a traceback in the crawl's start: exit status 1, nothing archived; a stop by a
    signal flushed it, another."""
    site = Site(wechat)
    album = site.album("3302", site.serve(numbered(2247495100, 3)))
    log = tmp_path / "crawl.log"
    line = crawl_command("album", tmp_path / "archive", "-a", f"url={album}", settings={"LOG_FILE": str(log)})
    first = Gate(2)  # the signal lands mid-run however slow the machine
    if stop is not None:
        wechat.before_answer = first.before_answer
    process = subprocess.Popen(["sh", "-c", 'exec "$@" 2>&-', "sh", *line], cwd=PROJECT, env=crawl_env(),
                               stdout=subprocess.DEVNULL)
    if stop is not None:
        first.wait()
        process.send_signal(stop)
        first.open()
    assert process.wait(timeout=120) == (0 if stop is None else -stop), log.read_text(encoding="utf-8")
    said = log.read_text(encoding="utf-8")
    assert "Traceback" not in said, said
    assert f"Run summary ({'finished' if stop is None else 'stopped by SIGTERM'})" in said, said
    assert list((tmp_path / "archive" / "_posts").glob("*.md"))


def test_a_run_that_archives_one_article_prints_its_own_lines_only(wechat: MockWeChat,
                                                                   tmp_path: Path) -> None:
    site = Site(wechat)
    [art] = site.serve(numbered(2247495100, 1))
    url = "url=" + site.link(art).replace("&amp;", "&")
    quiet = crawl_cli("article", tmp_path / "a", "-a", url)
    assert quiet.returncode == 0, quiet.stderr
    lines = quiet.stderr.splitlines()
    assert 2 <= len(lines) <= 10 and "Run summary" in quiet.stderr, quiet.stderr
    assert not [line for line in lines if "[scrapy." in line or "[twisted]" in line]
    for verbose in (["-L", "DEBUG"], ["-s", "LOG_LEVEL=DEBUG"]):
        chatty = crawl_cli("article", tmp_path / "b", "-a", url, *verbose)
        assert chatty.returncode == 0, chatty.stderr
        for banner in ("Scrapy 2", "Versions:", "Overridden settings", "Enabled downloader "
                       "middlewares", "Dumping Scrapy stats"):
            assert banner in chatty.stderr, banner


def test_an_argument_error_is_its_one_line(tmp_path: Path) -> None:
    result = crawl("article", tmp_path, "-a", "url=mp.weixin.qq.com/s/x")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [refusal(result, "crawl article")]


@pytest.mark.parametrize("spider, refused", [("album", "not an album URL"),
                                             ("article", "cut short with '…'")])
def test_the_readmes_placeholders_are_refused_like_a_malformed_url(tmp_path: Path, spider: str,
                                                                    refused: str) -> None:
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    [url] = re.findall(rf"scrapy crawl {spider} -a url='(https://[^']*…[^']*)'", readme)
    result = crawl(spider, tmp_path, "-a", f"url={url}",
                   settings={"ARTICLE_HOSTS": "mp.weixin.qq.com"})
    assert result.returncode == 2
    assert refused in refusal(result, f"crawl {spider}")
    assert not (tmp_path / ".state").exists()


def test_time_left_under_a_minute_is_in_seconds() -> None:
    assert Pace(0.0, 10, 9).line("articles", 1.0).endswith(", about 1 s left")  # 0.1 s
    assert Pace(0.0, 10, 5).line("articles", 5.0).endswith(", about 5 s left")
    assert Pace(0.0, 10, 5).line("articles", 100.0).endswith(", about 2 min left")


def test_the_lock_message_names_the_archive_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    holder = Archive(Path("archive"))
    with pytest.raises(ArchiveError) as refused:
        Archive(Path("archive"))
    holder.close()
    assert f"process {os.getpid()}" in str(refused.value)
    assert "archive archive" not in str(refused.value)


def test_an_import_counts_its_refused_pages_shows_its_progress_and_fails_if_nothing_came_in(
        wechat: MockWeChat, tmp_path: Path) -> None:
    saved = tmp_path / "saved"
    saved.mkdir()
    (saved / "article.html").write_text(page_text("legacy_shape.html", wechat.base), encoding="utf-8")
    (saved / "deleted.html").write_text(page_text("deleted.html"), encoding="utf-8")
    (saved / "no_ids.html").write_text("<html><body><p>反诈</p></body></html>", encoding="utf-8")
    listing = tmp_path / "pages.txt"
    listing.write_text("".join(f"{saved / name}\n" for name in
                               ("article.html", "missing.html", "deleted.html", "no_ids.html")))
    wechat.latency = 0.3  # the article's images: long enough for progress lines
    result = crawl("import", tmp_path / "a", "-a", f"paths_file={listing}",
                   settings={"PROGRESS": "on", "PROGRESS_INTERVAL": "0.1"})
    assert result.returncode == 0, result.stderr
    assert len(list((tmp_path / "a" / "_posts").glob("*.md"))) == 1
    assert len(re.findall(r"WARNING: Not imported: ", result.stderr)) == 3
    summary = re.search(r"Run summary \(finished\): (.*)\n  import: (.*)", result.stderr)
    assert summary and "1 new" in summary[1] and "3 not imported" in summary[1], result.stderr
    assert "3 not imported" in summary[2]
    # Pages, not requests (a line before the list is read, on a busy machine, says 0 of 0)
    progress = [found for _, found in re.findall(r"Progress: (\d+) of (\d+) articles", result.stderr)
                if found != "0"]
    assert progress and all(found == "4" for found in progress), result.stderr

    listing.write_text(f"{saved / 'deleted.html'}\n{saved / 'missing.html'}\n")
    nothing = crawl("import", tmp_path / "b", "-a", f"paths_file={listing}")
    assert nothing.returncode == 1, nothing.stderr
    assert not list((tmp_path / "b" / "_posts").glob("*.md"))


def test_the_readmes_module_map_names_every_module_and_only_modules_that_exist() -> None:
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    block = readme.split("The code reads in the order the data flows:\n\n```\n", 1)[1].split("```")[0]
    named = set()
    for line in block.splitlines():
        for name in line.split("  ", 1)[0].split(", "):
            named.add(name if name.startswith("crawler/") else f"crawler/{name}")
    assert [name for name in sorted(named) if not (PROJECT / name).exists()] == []
    top = {f"crawler/{path.name}" + ("/" if path.is_dir() else "")
           for path in (PROJECT / "crawler").iterdir()
           if path.suffix == ".py" and path.stem != "__init__"
           or path.is_dir() and (path / "__init__.py").exists()}
    assert sorted(top - named) == []

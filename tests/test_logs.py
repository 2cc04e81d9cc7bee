"""``crawler.report.logs``: what a crawl's logging makes of libraries' lines, and of a log
file that stops taking them."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from scrapy.settings import Settings

from crawler.report.logs import quiet_scrapy
from crawler.store.images import check_image
from tests.conftest import PROJECT, Served, crawl, crawl_command, crawl_env
from tests.mockserver import MockWeChat, png
from tests.site import Site, numbered

_LOGGERS = ("", "scrapy", "PIL", "crawler")


@pytest.fixture
def levels() -> Iterator[None]:
    """The root logger at NOTSET, as Scrapy's root handler leaves it (the handler has the
    run's level); the levels put back after."""
    before = {name: logging.getLogger(name).level for name in _LOGGERS}
    logging.getLogger().setLevel(logging.NOTSET)
    yield
    for name, level in before.items():
        logging.getLogger(name).setLevel(level)


@contextlib.contextmanager
def records_made() -> Iterator[list[logging.LogRecord]]:
    """Every log record made inside, whether a handler shows it or not."""
    made: list[logging.LogRecord] = []
    factory = logging.getLogRecordFactory()

    def recording(*args: object, **kwargs: object) -> logging.LogRecord:
        made.append(record := factory(*args, **kwargs))
        return record

    logging.setLogRecordFactory(recording)
    try:
        yield made
    finally:
        logging.setLogRecordFactory(factory)


def records_of_a_picture_checked() -> list[logging.LogRecord]:
    with records_made() as made:
        check_image(png((1, 2, 3)))
    return [record for record in made if record.name.startswith("PIL")]


@pytest.mark.parametrize("level", ["INFO", "WARNING"])
def test_pillows_debug_lines_are_not_made_below_a_runs_level(levels: None, level: str) -> None:
    """Pillow logs each chunk of each PNG it checks at DEBUG: some 1.5 % of a crawl's CPU
    went into making records that no handler of a run at INFO would show."""
    quiet_scrapy(Settings({"LOG_LEVEL": level}))
    assert records_of_a_picture_checked() == []


def test_pillows_debug_lines_are_there_for_a_run_at_debug(levels: None) -> None:
    quiet_scrapy(Settings({"LOG_LEVEL": "DEBUG"}))
    assert records_of_a_picture_checked()


@pytest.mark.parametrize("level", ["WARNING", "INFO"])
def test_the_archivers_lines_below_a_runs_level_are_not_made(
        levels: None, wechat: MockWeChat, tmp_path: Path, level: str) -> None:
    """At ``LOG_LEVEL=WARNING``, as cron runs it, each article's "Post new: …" line was
    made, its arguments wrapped for escaping, to be thrown away by the run's handler; at
    INFO it is made and said. (``scrapy crawl`` quiets the loggers before its crawl; the
    crawl in process here does not.)"""
    quiet_scrapy(Settings({"LOG_LEVEL": level}))
    site = Site(wechat)
    arts = site.serve(numbered(2247590001, 3, albums=("5901",)))
    with records_made() as made:
        result = crawl("album", tmp_path, "-a", f"url={site.album('5901', arts)}",
                       settings={"LOG_LEVEL": level})
    assert result.returncode == 0, result.stderr
    assert result.stats["posts/new"] == 3
    posts = [record for record in made if record.name.startswith("crawler.")
             and record.getMessage().startswith("Post new: ")]
    if level == "WARNING":
        assert [record.getMessage() for record in made if record.name.startswith("crawler.")
                and record.levelno < logging.WARNING] == []
    else:
        assert len(posts) == 3 and result.stderr.count("Post new: ") == 3


def test_a_log_file_on_a_disk_that_fills_up_gives_its_lines_to_standard_error(
        legacy: Served, tmp_path: Path) -> None:
    """``-s LOG_FILE=`` on a disk that is full by the time the run logs: each line was lost,
    and Python's logging printed a traceback for it on standard error ("--- Logging error
    ---", 80 lines for a run of three), which cron mailed; the run said nothing of it."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("a full disk needs root and unshare(1) (a tmpfs of the test's own)")
    logs = tmp_path / "logs"
    logs.mkdir()
    line = crawl_command("article", tmp_path / "archive", "-a", f"url={legacy.url}",
                         settings={"LOG_FILE": str(logs / "crawl.log")})
    script = 'mount -t tmpfs -o size=64k tmpfs "$0" && { cat /dev/zero > "$0/filler" 2>/dev/null; exec "$@"; }'
    result = subprocess.run(["unshare", "--mount", "sh", "-c", script, str(logs), *line], cwd=PROJECT,
                            env=crawl_env(), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    said = result.stderr.splitlines()
    assert "Traceback (most recent call last):" not in said and "--- Logging error ---" not in said, result.stderr
    assert re.search(rf"ERROR: Cannot write the log file {re.escape(str(logs / 'crawl.log'))} "
                     r"\(No space left on device\): the run's lines go to standard error from here", said[0]), said
    assert any("INFO: Post new: " in line for line in said[1:]), said
    assert "Run summary (finished): 1 new" in result.stderr

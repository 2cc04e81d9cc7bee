"""``crawler.report.logs``: what a crawl's logging makes of libraries' lines, and of a log
file that stops taking them."""

from __future__ import annotations

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
from tests.conftest import PROJECT, Served, crawl_command, crawl_env
from tests.mockserver import png

_LOGGERS = ("", "scrapy", "PIL")


@pytest.fixture
def levels() -> Iterator[None]:
    """The root logger at NOTSET, as Scrapy's root handler leaves it (the handler has the
    run's level); the levels put back after."""
    before = {name: logging.getLogger(name).level for name in _LOGGERS}
    logging.getLogger().setLevel(logging.NOTSET)
    yield
    for name, level in before.items():
        logging.getLogger(name).setLevel(level)


def records_of_a_picture_checked() -> list[logging.LogRecord]:
    made: list[logging.LogRecord] = []
    factory = logging.getLogRecordFactory()

    def recording(*args: object, **kwargs: object) -> logging.LogRecord:
        made.append(record := factory(*args, **kwargs))
        return record

    logging.setLogRecordFactory(recording)
    try:
        check_image(png((1, 2, 3)))
    finally:
        logging.setLogRecordFactory(factory)
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

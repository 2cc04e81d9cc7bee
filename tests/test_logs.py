"""``crawler.report.logs``: what a crawl's logging makes of libraries' lines."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from scrapy.settings import Settings

from crawler.report.logs import quiet_scrapy
from crawler.store.images import check_image
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

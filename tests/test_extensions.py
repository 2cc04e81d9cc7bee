"""``CollectorPace``: the garbage collector's pace during a crawl, and back after it."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from scrapy import signals
from scrapy.exceptions import NotConfigured

from crawler.extensions import CollectorPace
from tests.conftest import unit_crawler as crawler


@pytest.fixture(autouse=True)
def python_thresholds() -> Iterator[tuple[int, ...]]:
    before = gc.get_threshold()
    yield before
    gc.set_threshold(*before)


def test_the_young_threshold_holds_from_engine_start_to_spider_close(
        python_thresholds: tuple[int, ...]) -> None:
    running = crawler(GC_YOUNG_THRESHOLD=12345)
    pace = CollectorPace.from_crawler(running)  # noqa: F841 (signals hold it weakly; Scrapy keeps it)
    assert gc.get_threshold() == python_thresholds
    running.signals.send_catch_log(signals.engine_started)
    assert gc.get_threshold() == (12345, *python_thresholds[1:])
    running.signals.send_catch_log(signals.spider_closed, spider=None, reason="finished")
    assert gc.get_threshold() == python_thresholds


def test_zero_leaves_the_collector_alone() -> None:
    with pytest.raises(NotConfigured):
        CollectorPace.from_crawler(crawler(GC_YOUNG_THRESHOLD=0))


def test_a_run_that_reached_nothing_fails_unless_it_archived_something() -> None:
    from crawler.extensions import run_failure
    unreachable = {"downloader/exception_count": 3}
    assert "could not be reached" in (run_failure(unreachable, "finished") or "")
    assert run_failure({**unreachable, "posts/new": 1}, "finished") is None  # images only failed
    assert run_failure({**unreachable, "downloader/response_count": 1}, "finished") is None

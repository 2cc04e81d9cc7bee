"""When a run says again that an image keeps failing for a reason that may pass
(``ImageFailures``): its first failure, once ``IMAGE_RETRY_WARN_DAYS`` have passed since a
run said it, and when a clock set wrong would keep it quiet for good."""

from __future__ import annotations

import sqlite3
import tracemalloc
from pathlib import Path

import pytest

from crawler.report.imagefailures import ImageFailures
from crawler.store.index import Index

DAY = 86400
NOW = 1_750_000_000
URL = "https://mmbiz.qpic.cn/mmbiz_png/a/0?wx_fmt=png"


def run_at(index: Index, when: int, days: int = 7) -> ImageFailures:
    """What one run, at ``when``, says."""
    return ImageFailures(index, days, clock=lambda: when)


def test_a_first_failure_is_said_and_then_not_again_until_the_days_have_passed(index: Index) -> None:
    assert run_at(index, NOW).to_say(URL) == 0
    assert index.image_failure(URL) == (NOW, NOW)
    assert run_at(index, NOW + DAY).to_say(URL) is None
    assert run_at(index, NOW + 7 * DAY - 1).to_say(URL) is None
    assert run_at(index, NOW + 7 * DAY).to_say(URL) == 7  # the days passed, to the second
    assert index.image_failure(URL) == (NOW, NOW + 7 * DAY)


def test_what_a_run_decides_is_kept_by_the_image_pipeline_not_here(index: Index) -> None:
    """One entry for each failing image of a run, 16,000 of a 2,000-article run with the
    CDN down, kept here beside the pipeline's own (``ImagePipeline.results``, which holds the
    decision now): asked again, the index says a run said it."""
    run = run_at(index, NOW)
    urls = [f"{URL}&n={number}" for number in range(3000)]
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        assert {run.to_say(url) for url in urls} == {0}
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert kept < 20_000, kept
    assert run.to_say(URL) == 0 and run.to_say(URL) is None


def test_a_failure_said_by_a_clock_set_ahead_is_said_again_and_counted_from_now(index: Index) -> None:
    """Said (and first failed) two days ahead of the clock: taken as said never, else no run
    would say it for the days the clock was ahead and more; its days count from now."""
    index.set_image_failure(URL, NOW + 2 * DAY, NOW + 2 * DAY)
    assert run_at(index, NOW).to_say(URL) == 0
    assert index.image_failure(URL) == (NOW, NOW)
    assert run_at(index, NOW + 7 * DAY).to_say(URL) == 7


def test_a_failure_said_within_a_day_ahead_waits_its_days(index: Index) -> None:
    """Clocks of two machines a little apart (a job's nodes, a moved archive) are no reason."""
    index.set_image_failure(URL, NOW - DAY, NOW + DAY)
    assert run_at(index, NOW).to_say(URL) is None


@pytest.mark.parametrize("days", [1, 30])
def test_the_days_are_the_setting_s(index: Index, days: int) -> None:
    assert run_at(index, NOW, days).to_say(URL) == 0
    assert run_at(index, NOW + days * DAY - 1, days).to_say(URL) is None
    assert run_at(index, NOW + days * DAY, days).to_say(URL) == days


def test_an_index_that_cannot_be_read_has_the_failure_said(index: Index) -> None:
    """Said again rather than not at all: the mail gets a line too many, never one too few."""
    index.close()
    with pytest.raises(sqlite3.Error):
        index.image_failure(URL)
    assert run_at(index, NOW).to_say(URL) == 0


def test_an_image_stored_at_last_fails_anew(index: Index) -> None:
    assert run_at(index, NOW).to_say(URL) == 0
    index.add_images({URL: "a.png"}, "biz:1:1")
    assert index.image_failure(URL) is None
    assert run_at(index, NOW + DAY).to_say(URL) == 0


def test_an_image_that_failed_in_an_earlier_run_and_is_stored_now_fails_no_more(tmp_path: Path) -> None:
    """The index of the next run, which has recorded no failure itself, clears it too."""
    earlier = Index(tmp_path / "index.sqlite")
    assert run_at(earlier, NOW).to_say(URL) == 0
    earlier.close()
    index = Index(tmp_path / "index.sqlite")
    index.add_images({URL: "a.png"}, "biz:1:1")
    assert index.image_failure(URL) is None

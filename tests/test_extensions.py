"""``CollectorPace``: the garbage collector's pace during a crawl, and back after it; the
stats names the run summary reads (``Stat``)."""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from scrapy import Request, signals
from scrapy.exceptions import NotConfigured

from crawler.accounts import Account
from crawler.process import CollectorPace
from crawler.report.extensions import _TOTALS, _counts
from crawler.report.tally import Stat, Tally
from crawler.store.index import Index
from crawler.store.posts import Outcome
from crawler.store.watchbook import WatchBook
from crawler.watch.watcher import record_changes
from crawler.wechat.article import PageReason
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
    from crawler.report.extensions import run_failure
    unreachable = {"downloader/exception_count": 3}
    assert "could not be reached" in (run_failure(unreachable, "finished") or "")
    assert run_failure({**unreachable, "posts/new": 1}, "finished") is None  # images only failed
    assert run_failure({**unreachable, "downloader/response_count": 1}, "finished") is None


def test_a_run_whose_pages_failed_for_their_own_reason_reached_wechat() -> None:
    """A page beyond DOWNLOAD_MAXSIZE, a redirect loop: a downloader exception, but no
    sign of a network down; the run says what failed, not that WeChat could not be reached."""
    from crawler.report.extensions import run_failure
    own = {"downloader/exception_count": 1, "requests/failed_own": 1, "pages/fetch_failed": 1}
    assert (run_failure(own, "finished") or "").startswith("no article page could be fetched")


@pytest.mark.parametrize("came_to", [{"pages/fetch_failed": 1}, {"downloader/exception_count": 2},
                                     {"sources/attempted": 1}, {"pages/unknown": 1}])
def test_a_run_a_signal_stopped_is_judged_by_what_broke_not_by_what_it_did_not_reach(
        came_to: dict[str, int]) -> None:
    from crawler.report.extensions import run_failure
    assert run_failure(came_to, "finished")
    left = {**came_to, "stop/left": 29}
    assert run_failure(left, "shutdown") is None
    assert "could not be written" in (run_failure({**left, "posts/write_failed": 1}, "shutdown") or "")
    # stopped with nothing left (it had asked all it was given, and had answers): judged as any run
    asked = {**came_to, "downloader/response_count": came_to.get("downloader/response_count", 1)}
    assert run_failure({**asked, "stop/left": 0}, "shutdown") == run_failure(asked, "finished")


def test_a_run_a_signal_stopped_before_any_answer_ends_by_it() -> None:
    """Stopped as its engine started (the signal noted before): its source not asked yet."""
    from crawler.report.extensions import run_failure
    assert run_failure({"sources/attempted": 1}, "shutdown") is None
    assert run_failure({"sources/attempted": 1}, "finished") == "no source could be read"


def test_every_outcome_and_page_reason_has_its_stats_name() -> None:
    """``Stat.post``/``Stat.page`` build names from typed values: an Outcome or a PageReason
    added without its stats name fails here, not in a run."""
    assert {Stat.post(outcome) for outcome in Outcome} == {
        "posts/new", "posts/updated", "posts/unchanged", "posts/kept", "posts/read-only"}
    assert {Stat.page(reason).part for reason in PageReason} == {reason.value for reason in PageReason}
    # what an ArticleGone records: gone for good, or unavailable while watched
    assert [Stat.post(reason) for reason in (PageReason.DELETED, PageReason.VIOLATION,
                                            PageReason.UNAVAILABLE)] == [
        "posts/deleted", "posts/violation", "posts/unavailable"]


def test_a_request_is_counted_for_the_source_and_account_its_callback_is_given() -> None:
    running = crawler()
    running.stats.open_spider()
    tally = Tally(running)
    tally.count_of(Stat.PAGES_FETCH_FAILED, Request("https://mp.weixin.qq.com/s/x", cb_kwargs={
        "source": "album:3001", "account": Account("反诈中心")}))
    tally.count_of(Stat.PAGES_FETCH_FAILED, Request("https://mp.weixin.qq.com/s/y"))
    assert running.stats.get_value(Stat.PAGES_FETCH_FAILED) == 2
    assert tally.by_source() == {"album:3001": Counter({Stat.PAGES_FETCH_FAILED.part: 1})}
    assert tally.by_account("反诈中心") == Counter({Stat.PAGES_FETCH_FAILED.part: 1,
                                                  f"{Stat.PAGES_FETCH_FAILED.part}/album": 1})


def test_stats_are_written_under_plain_names(tmp_path: Path) -> None:
    """Scrapy's stats dump prints its keys' repr: a ``Stat`` member as a key would print as
    ``<Stat.POSTS_NEW: 'posts/new'>``. What a run counts is read back as it was counted."""
    running = crawler()
    running.stats.open_spider()
    tally = Tally(running)
    tally.count(Stat.POSTS_NEW, source="album:3001", account="反诈中心")
    tally.count(Stat.ALBUMS_LEFT, 3)
    tally.set(Stat.IMPORT_PAGES, 2)
    started = datetime.now(UTC)
    tally.set(Stat.START_TIME, started)  # as Scrapy's CoreStats does
    index = Index(tmp_path / "index.sqlite")
    book = WatchBook(index)
    for change in ("deleted", "removed", "edited", "restored"):  # all WatchBook records
        book.event("MzA=:1:1", change, started.timestamp() + 1)
    record_changes(tally, index)
    index.close()
    stats = running.stats.get_stats()
    assert all(type(name) is str for name in stats)
    assert {name: stats[name] for name in stats if name not in ("run/sources", "run/accounts")} \
        == {"start_time": started, "posts/new": 1, "albums/left": 3, "imports/pages": 2, "watch/deleted": 1,
            "watch/removed": 1, "watch/edited": 1, "watch/restored": 1}
    assert tally.by_source() == {"album:3001": Counter({"new": 1})}
    assert tally.by_account("反诈中心") == Counter({"new": 1, "new/album": 1})
    assert "3 left their albums" in _counts(stats, _TOTALS)
    # one of a count is said in the singular: the summary said "1 originals deleted"
    assert _counts(stats, _TOTALS) == ("1 new, 3 left their albums, 1 original deleted, 1 original removed, "
                                       "1 original edited, 1 original back")

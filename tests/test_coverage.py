"""What the run summary and ``scrapy accounts-report`` say of an account."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

from crawler.coverage import Coverage, coverage_of, found_this_run
from crawler.store.index import ArticleState, Index
from crawler.wechat.article import CHINA_TIME

NOW = datetime(2026, 11, 29, 6, 17, tzinfo=CHINA_TIME)


def test_an_account_that_went_quiet_is_stale() -> None:
    coverage = Coverage("甲", "B", newest=NOW - timedelta(days=45), usual_gap=timedelta(days=5))
    assert coverage.stale(30, NOW)
    assert not coverage.stale(60, NOW)


def test_an_account_that_always_published_rarely_is_not() -> None:
    assert not Coverage("甲", "B", newest=NOW - timedelta(days=45),
                        usual_gap=timedelta(days=40)).stale(30, NOW)
    assert not Coverage("甲", "B", newest=NOW - timedelta(days=45)).stale(30, NOW)  # one article


def test_coverage_from_the_index(tmp_path: Path) -> None:
    index = Index(tmp_path / "index.sqlite")
    for mid, days in enumerate((50, 45, 41, 40)):
        published = int((NOW - timedelta(days=days)).timestamp())
        index.add_article(f"B:{mid}:1", "u", f"{mid}.md", ArticleState.ARCHIVED, published)
    coverage = coverage_of(index, "甲", "B")
    assert (coverage.archived, coverage.newest) == (4, NOW - timedelta(days=40))
    assert coverage.usual_gap == timedelta(days=4)
    assert coverage.line(NOW) == ("4 archived, 0 albums known, newest 2026-10-20 (40 days ago), "
                                  "0 links to other accounts seen")
    assert coverage_of(index, "乙", "").line(NOW) == "biz unknown yet (no page of it fetched)"
    index.close()


def test_what_a_run_found() -> None:
    assert found_this_run(Counter({"new": 3, "new/album": 2, "new/link": 1})) == \
        "3 new (2 by albums, 1 by links), no source failed"
    assert found_this_run(Counter({"failed": 2})) == "0 new, 2 sources failed"

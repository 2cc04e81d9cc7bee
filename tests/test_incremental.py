"""``IncrementalMiddleware`` and ``AlbumProgress``: what a run leaves out as not new."""

from __future__ import annotations

from pathlib import Path

import pytest
from scrapy import Request

from crawler.incremental import AlbumProgress, IncrementalMiddleware
from crawler.items import ArticleItem
from crawler.store.index import ArticleState, Index
from crawler.tally import Tally
from crawler.wechat.listing import AlbumPage, Entry
from tests.conftest import unit_crawler
from tests.test_hostile import page, parsed

LONG = "https://mp.weixin.qq.com/s?__biz=B&mid={}&idx=1&sn=s&chksm={}"


@pytest.fixture
def index(tmp_path: Path) -> Index:
    opened = Index(tmp_path / "index.sqlite")
    yield opened
    opened.close()


@pytest.fixture
def middleware(index: Index) -> IncrementalMiddleware:
    crawler = unit_crawler()
    crawler.stats.open_spider()
    return IncrementalMiddleware(index, Tally(crawler))


def request(url: str, **meta: object) -> Request:
    return Request(url, meta={"article": True, **meta}, cb_kwargs={"source": "album:1",
                                                                   "account": None})


def test_what_is_settled_is_left_out_unless_asked_for(index: Index,
                                                      middleware: IncrementalMiddleware) -> None:
    index.add_article("B:1:1", "u", "a.md", ArticleState.ARCHIVED)
    index.add_article("B:2:1", "u", "b.md", ArticleState.INCOMPLETE)
    assert not middleware.wanted(request(LONG.format(1, "x")))
    assert middleware.wanted(request(LONG.format(2, "x")))  # incomplete: fetched again
    assert middleware.wanted(request(LONG.format(1, "y"), refetch=True))
    assert middleware.tally.stats.get_value("articles/already_archived") == 1


def test_one_article_is_requested_once_whatever_link_names_it(
        index: Index, middleware: IncrementalMiddleware) -> None:
    assert middleware.wanted(request(LONG.format(3, "a")))
    assert not middleware.wanted(request(LONG.format(3, "b")))  # another chksm, same article
    index.add_link("https://mp.weixin.qq.com/s/Tok", "B:3:1")
    assert not middleware.wanted(request("https://mp.weixin.qq.com/s/Tok"))
    assert middleware.wanted(request("https://mp.weixin.qq.com/s/Unknown"))
    assert not middleware.wanted(request("https://mp.weixin.qq.com/s/Unknown"))


def test_an_article_fetched_from_a_short_link_is_known_by_its_key_from_then_on(
        middleware: IncrementalMiddleware) -> None:
    article = parsed(page(mid="2247490001"))
    assert middleware.wanted(ArticleItem(article=article, file_urls=[]))
    assert not middleware.wanted(request(f"https://mp.weixin.qq.com/s?__biz={article.biz}"
                                         f"&mid=2247490001&idx=1&chksm=z"))


def test_other_output_goes_on(middleware: IncrementalMiddleware) -> None:
    assert middleware.wanted(Request("https://mp.weixin.qq.com/mp/appmsgalbum?x=1"))
    assert middleware.wanted({"an": "item"})


def album_page(mids: list[int], count: int | None) -> AlbumPage:
    entries = [Entry(LONG.format(mid, "c"), biz="B", mid=str(mid), idx="1") for mid in mids]
    return AlbumPage(entries, "next", "合集", count)


def test_an_unchanged_album_is_done_after_its_first_page(index: Index) -> None:
    for mid in range(1, 13):
        index.add_article(f"B:{mid}:1", "u", f"{mid}.md", ArticleState.ARCHIVED)
    index.add_album_articles("9", [f"B:{mid}:1" for mid in range(1, 13)])
    assert not AlbumProgress(index).read("9", "B", album_page(list(range(12, 2, -1)), 12), True)


def test_an_album_with_new_articles_is_read_until_they_are_all_listed(index: Index) -> None:
    for mid in range(1, 9):
        index.add_article(f"B:{mid}:1", "u", f"{mid}.md", ArticleState.ARCHIVED)
    index.add_album_articles("9", [f"B:{mid}:1" for mid in range(1, 9)])
    progress = AlbumProgress(index)
    assert progress.read("9", "B", album_page([20, 19, 18], 12), True)  # 8 + 3 < 12
    assert not progress.read("9", "B", album_page([17, 8, 7], 12), False)  # 8 + 4 = 12


def test_an_album_that_states_no_count_is_read_to_its_end(index: Index) -> None:
    assert AlbumProgress(index).read("9", "B", album_page([1], None), True)


def test_each_album_is_read_once_a_run(index: Index) -> None:
    progress = AlbumProgress(index)
    assert progress.start("9") and not progress.start("9")

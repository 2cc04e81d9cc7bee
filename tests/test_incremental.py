"""``IncrementalMiddleware`` and ``AlbumProgress``: what a run leaves out as not new."""

from __future__ import annotations

import json
import logging
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta, tzinfo

import pytest
from scrapy import Request

from crawler.incremental import AlbumProgress, AlbumStep, IncrementalMiddleware
from crawler.items import ArticleItem, LinkRefused
from crawler.pipelines.state import StatePipeline
from crawler.report.tally import Tally
from crawler.run import Run
from crawler.store.accountbook import AccountBook
from crawler.store.index import ArticleState, Index
from crawler.wechat.listing import AlbumPage, Entry, album_json_url, parse_album_page
from tests.conftest import PROJECT, memory_refused, unit_crawler
from tests.test_hostile import page, parsed

LONG = "https://mp.weixin.qq.com/s?__biz=B&mid={}&idx=1&sn=s&chksm={}"
NOW = datetime.now(UTC).isoformat(timespec="seconds")
RETRY_DAYS = 7


@pytest.fixture
def middleware(index: Index) -> IncrementalMiddleware:
    crawler = unit_crawler()
    crawler.stats.open_spider()
    return IncrementalMiddleware(index, Tally(crawler), RETRY_DAYS, memory_refused)


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


def test_an_archived_article_is_counted_already_archived_once_whatever_link_names_it(
        index: Index, middleware: IncrementalMiddleware) -> None:
    index.add_article("B:1:1", "u", "a.md", ArticleState.ARCHIVED)
    assert not middleware.wanted(request(LONG.format(1, "x")))
    assert not middleware.wanted(request(LONG.format(1, "y")))  # another page's link to it
    assert middleware.tally.stats.get_value("articles/already_archived") == 1


def test_an_article_the_watch_asked_for_is_already_archived_to_a_listing(
        index: Index, middleware: IncrementalMiddleware) -> None:
    """The watch fetches an archived article again; the album listing it the same run has
    it as already archived (its line in the summary), not as nothing."""
    index.add_article("B:1:1", "u", "a.md", ArticleState.ARCHIVED)
    assert middleware.wanted(request(LONG.format(1, "x"), refetch=True, watch_key="B:1:1"))
    assert not middleware.wanted(request(LONG.format(1, "y")))
    assert middleware.tally.stats.get_value("articles/already_archived") == 1


def test_one_article_is_requested_once_whatever_link_names_it(
        index: Index, middleware: IncrementalMiddleware) -> None:
    assert middleware.wanted(request(LONG.format(3, "a")))
    assert not middleware.wanted(request(LONG.format(3, "b")))  # another chksm, same article
    index.add_link("https://mp.weixin.qq.com/s/Tok", "B:3:1")
    assert not middleware.wanted(request("https://mp.weixin.qq.com/s/Tok"))
    assert middleware.wanted(request("https://mp.weixin.qq.com/s/Unknown"))
    assert not middleware.wanted(request("https://mp.weixin.qq.com/s/Unknown"))


WEAK = "https://mp.weixin.qq.com/s?__biz=B&mid={}&idx=1&sn=s&scene=21"


def test_a_listing_s_link_goes_out_after_a_link_without_chksm_was_refused(
        index: Index, middleware: IncrementalMiddleware) -> None:
    assert middleware.wanted(request(WEAK.format(4), weak_link=True))
    assert not middleware.wanted(request(LONG.format(4, "c")))  # the weak one is in flight
    index.needs_link("B:4:1", WEAK.format(4), NOW)  # ... and was answered with verification
    assert middleware.wanted(request(LONG.format(4, "c")))
    assert not middleware.wanted(request(LONG.format(4, "d")))
    assert middleware.tally.stats.get_value("links/without_chksm") == 1


def test_a_refusal_on_its_way_to_the_index_lets_the_listing_s_link_out(
        middleware: IncrementalMiddleware) -> None:
    assert middleware.wanted(request(WEAK.format(6), weak_link=True))
    assert middleware.wanted(LinkRefused("B:6:1", WEAK.format(6)))  # not yet in the index
    assert middleware.wanted(request(LONG.format(6, "c")))
    assert not middleware.wanted(request(WEAK.format(6), weak_link=True))


def test_an_incomplete_article_refused_without_chksm_is_fetched_by_the_listing_s_link(
        index: Index, middleware: IncrementalMiddleware) -> None:
    """An archived article whose image failed is fetched again; WeChat refusing the link
    without ``chksm`` leaves it incomplete in the index, and the album's link, given later
    in the run, fetches it (not next run)."""
    index.add_article("B:7:1", "u", "g.md", ArticleState.INCOMPLETE)
    assert middleware.wanted(request(WEAK.format(7), weak_link=True))
    assert middleware.wanted(LinkRefused("B:7:1", WEAK.format(7)))
    index.needs_link("B:7:1", WEAK.format(7), NOW)  # the index keeps it incomplete
    assert index.article_state("B:7:1") == ArticleState.INCOMPLETE
    assert middleware.wanted(request(LONG.format(7, "c")))
    assert not middleware.wanted(request(LONG.format(7, "d")))


def test_a_link_without_chksm_is_not_asked_again_once_refused(
        index: Index, middleware: IncrementalMiddleware) -> None:
    index.needs_link("B:5:1", WEAK.format(5), NOW)
    assert not middleware.wanted(request(WEAK.format(5), weak_link=True))
    assert middleware.wanted(request(LONG.format(5, "c")))


@pytest.mark.parametrize(("days", "asked"), [(RETRY_DAYS - 1, False), (RETRY_DAYS, True), (-3, True)],
                         ids=["not yet", "due", "refused in the future"])
def test_a_link_without_chksm_refused_is_asked_again_retry_days_later(
        index: Index, middleware: IncrementalMiddleware, days: int, asked: bool) -> None:
    """A refusal may have been a block that passed, and an article no album lists was
    never asked again: asked again ``LINK_RETRY_DAYS`` later (at once if the refusal's time
    is ahead of the clock, which was set back since)."""
    at = datetime.now(UTC) - timedelta(days=days, seconds=1 if days >= 0 else 0)
    index.needs_link("B:5:1", WEAK.format(5), at.isoformat(timespec="seconds"))
    assert middleware.wanted(request(WEAK.format(5), weak_link=True)) is asked


def test_a_link_without_chksm_refused_before_its_time_was_recorded_is_asked_again(
        index: Index, middleware: IncrementalMiddleware) -> None:
    index.needs_link("B:5:1", WEAK.format(5), NOW)
    with index.connection:
        index.connection.execute("UPDATE articles SET refused = NULL")  # an index from before
    assert middleware.wanted(request(WEAK.format(5), weak_link=True))


def test_a_link_without_chksm_the_user_gave_is_asked_again_though_refused_before(
        index: Index, middleware: IncrementalMiddleware) -> None:
    """The user's own word (an account's ``urls``) is asked again; a link found on the way
    is not, once refused."""
    index.needs_link("B:5:1", WEAK.format(5), NOW)
    given = Request(WEAK.format(5), meta={"article": True, "weak_link": True},
                    cb_kwargs={"source": "urls:某反诈中心", "account": None})
    assert middleware.wanted(given)


def test_an_article_fetched_from_a_short_link_is_known_by_its_key_from_then_on(
        middleware: IncrementalMiddleware) -> None:
    article = parsed(page(mid="2247490001"))
    assert middleware.wanted(ArticleItem(article=article, file_urls=[]))
    assert not middleware.wanted(request(f"https://mp.weixin.qq.com/s?__biz={article.biz}"
                                         f"&mid=2247490001&idx=1&chksm=z"))


def test_other_output_goes_on(middleware: IncrementalMiddleware) -> None:
    assert middleware.wanted(Request("https://mp.weixin.qq.com/mp/appmsgalbum?x=1"))
    assert middleware.wanted({"an": "item"})


def kept_each(do: Callable[[range], None], warm: int, measured: int) -> float:
    """The bytes of Python's memory ``do`` keeps for each of ``measured`` more after
    ``warm`` (what the first ones allocate once: caches, SQLite statements)."""
    def heap() -> int:
        return sum(stat.size for stat in tracemalloc.take_snapshot().statistics("filename"))

    tracemalloc.start()
    try:
        do(range(warm))
        before = heap()
        do(range(warm, warm + measured))
        return (heap() - before) / measured
    finally:
        tracemalloc.stop()


def test_what_a_run_requested_takes_no_memory_per_article(middleware: IncrementalMiddleware) -> None:
    """A first run over large albums requests tens of thousands of articles: what the run
    remembers of each (to ask for it once) is not kept in the process's memory."""
    def requested(mids: range) -> None:
        for mid in mids:
            assert middleware.wanted(request(LONG.format(mid, f"chksm{mid:020}")))

    assert kept_each(requested, 1000, 4000) < 20
    assert not middleware.wanted(request(LONG.format(150, "other")))  # still once a run


def album_page(mids: list[int], count: int | None, last: bool = False) -> AlbumPage:
    entries = [Entry(LONG.format(mid, "c"), biz="B", mid=str(mid), idx="1") for mid in mids]
    return AlbumPage(entries, None if last else "next", "合集", count)


def read(progress: AlbumProgress, page: AlbumPage, first_page: bool) -> AlbumStep:
    """One page read, and what it records written as a run writes it (``StatePipeline``)."""
    step = progress.read("9", "B", page, first_page)
    crawler = unit_crawler()
    crawler.stats.open_spider()
    StatePipeline(progress.index, Run.of(crawler)).process_item(step.record)
    return step


def read_whole(progress: AlbumProgress, *pages: list[int], count: int | None) -> None:
    for number, mids in enumerate(pages):
        last = number == len(pages) - 1
        step = read(progress, album_page(mids, count, last), number == 0)
        assert step.more != last


def archive(index: Index, *mids: int) -> None:
    for mid in mids:
        index.add_article(f"B:{mid}:1", "u", f"{mid}.md", ArticleState.ARCHIVED)


def test_an_album_unchanged_since_it_was_read_whole_costs_its_first_page(index: Index) -> None:
    read_whole(AlbumProgress(index, 7), [12, 11, 10], [9, 8], count=5)
    archive(index, 8, 9, 10, 11, 12)
    step = read(AlbumProgress(index, 7), album_page([12, 11, 10], 5), True)
    assert (step.more, step.relisted) == (False, ())


def test_an_unchanged_album_fetches_its_unsettled_members_by_their_listed_links(
        index: Index) -> None:
    read_whole(AlbumProgress(index, 7), [12, 11, 10], [9, 8], count=5)
    archive(index, 10, 11, 12, 9)
    step = read(AlbumProgress(index, 7), album_page([12, 11, 10], 5), True)
    assert (step.more, step.relisted) == (False, (LONG.format(8, "c"),))


@pytest.mark.parametrize("first_page, count", [
    ([13, 12, 11], 6),  # a new member on top
    ([12, 11, 10], 4),  # a member left
    ([12, 10, 11], 5),  # the owner reordered
])
def test_an_album_that_changed_is_read_to_its_end(index: Index, first_page: list[int],
                                                  count: int) -> None:
    read_whole(AlbumProgress(index, 7), [12, 11, 10], [9, 8], count=5)
    archive(index, 8, 9, 10, 11, 12)
    assert read(AlbumProgress(index, 7), album_page(first_page, count), True).more


def test_an_album_not_read_whole_for_longer_than_the_recheck_is_read_whole(index: Index) -> None:
    read_whole(AlbumProgress(index, 0), [12, 11, 10], [9, 8], count=5)
    archive(index, 8, 9, 10, 11, 12)
    assert read(AlbumProgress(index, 0), album_page([12, 11, 10], 5), True).more


def test_an_album_read_whole_by_a_clock_set_far_ahead_is_read_whole_again(
        index: Index, monkeypatch: pytest.MonkeyPatch) -> None:
    """Read whole by a run whose clock was ten years ahead, then set right: the read was in
    the future, never older than the recheck, and the album was taken as unchanged (its
    first page alone) for ten years. A read over a day ahead of the clock is taken as none."""
    import crawler.incremental as incremental

    class Ahead(datetime):
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> Ahead:
            return cls.fromtimestamp(time.time() + 3650 * 86400, tz)

    monkeypatch.setattr(incremental, "datetime", Ahead)
    read_whole(AlbumProgress(index, 7), [12, 11, 10], [9, 8], count=5)
    monkeypatch.undo()
    archive(index, 8, 9, 10, 11, 12)
    assert read(AlbumProgress(index, 7), album_page([12, 11, 10], 5), True).more


def test_an_album_without_a_count_is_read_to_its_end_however_its_first_page_looks(
        index: Index) -> None:
    """Without ``article_count`` the first page says nothing of the pages after it: a new
    member there would be missed if the album were taken as unchanged."""
    read_whole(AlbumProgress(index, 7), [12, 11, 10], [9, 8], count=None)
    archive(index, 8, 9, 10, 11, 12)
    assert read(AlbumProgress(index, 7), album_page([12, 11, 10], None), True).more


def test_an_unchanged_album_whose_unsettled_member_has_no_link_is_read_to_its_end(
        index: Index) -> None:
    """A member listed by a link without ``chksm`` is remembered with no link: the album is
    read whole, for the link its page gives, rather than the member asked by no link."""
    progress = AlbumProgress(index, 7)
    assert read(progress, album_page([12, 11, 10], 5), True).more
    bare = Entry("https://mp.weixin.qq.com/s?__biz=B&mid=8&idx=1&sn=s", biz="B", mid="8", idx="1")
    read(progress, AlbumPage([*album_page([9], 5).entries, bare], None, "合集", 5), False)
    archive(index, 9, 10, 11, 12)
    step = read(AlbumProgress(index, 7), album_page([12, 11, 10], 5), True)
    assert (step.more, step.relisted) == (True, ())


def test_members_that_left_are_recorded_once_the_album_is_read_whole(index: Index) -> None:
    read_whole(AlbumProgress(index, 7), [12, 11, 10], [9, 8], count=5)
    progress = AlbumProgress(index, 7)
    assert read(progress, album_page([14, 13, 12], 6), True).more
    step = read(progress, album_page([11, 9, 8], 6, last=True), False)
    assert not step.more and step.record.whole == {f"B:{mid}:1" for mid in (14, 13, 12, 11, 9, 8)}
    assert AccountBook(index).album_members("9", departed=True) == {"B:10:1"}


def test_a_page_that_lists_nothing_new_ends_the_listing(index: Index) -> None:
    progress = AlbumProgress(index, 7)
    assert read(progress, album_page([3, 2], None), True).more
    assert not read(progress, album_page([3, 2], None), False).more
    assert AccountBook(index).album_signature("9") == (None, None)  # not read whole: read again next run


def test_a_read_that_ends_short_of_the_first_screen_s_count_is_not_whole(index: Index) -> None:
    """Short newest first, and oldest first listing one member more yet still short: the
    two reads split the album differently, so more may hide between pages (a push)."""
    progress = AlbumProgress(index, 7)
    assert read(progress, album_page([12, 11, 10], 7), True).more
    step = read(progress, album_page([9, 8], None, last=True), False)
    assert (step.from_other_end, step.unread, step.record.whole) == (True, "", None)
    step = read(progress, album_page([7, 8], None), False)  # oldest first: one more
    assert not step.from_other_end and step.more
    step = read(progress, album_page([9, 10, 11, 12], None, last=True), False)
    assert step.record.whole is None and "listed 6 of the 7 articles" in step.unread
    assert not step.notes
    assert AccountBook(index).album_signature("9") == (None, None)  # read again next run


def test_a_read_both_ends_list_the_same_members_of_is_taken_as_read_short_of_its_count(
        index: Index) -> None:
    """Newest first and oldest first list the very same 5 of the 6 counted: what WeChat
    lists, the count holding one it lists from neither end. Taken as read, said once."""
    progress = AlbumProgress(index, 7)
    assert read(progress, album_page([12, 11, 10], 6), True).more
    assert read(progress, album_page([9, 8], None, last=True), False).from_other_end
    assert read(progress, album_page([8, 9], None), False).more
    step = read(progress, album_page([10, 11, 12], None, last=True), False)
    assert step.record.whole == {f"B:{mid}:1" for mid in (12, 11, 10, 9, 8)}
    assert (step.unread, step.record.overcount) == ("", 1)
    [(level, note)] = step.notes
    assert level == logging.WARNING and "listed 5 of the 6 articles" in note and "the same 5 from both" in note


def test_a_read_from_the_other_end_ends_whole_once_both_list_the_count(index: Index) -> None:
    """The members a short read newest first missed, listed oldest first: the album is read
    whole as soon as the two reads list as many as its first screen counts."""
    progress = AlbumProgress(index, 7)
    assert read(progress, album_page([12, 11], 5), True).more
    assert read(progress, album_page([8], None, last=True), False).from_other_end
    step = read(progress, album_page([8, 9, 10], None), False)  # more follow: not asked for
    assert not step.more and not step.unread
    assert step.record.whole == {f"B:{mid}:1" for mid in (12, 11, 10, 9, 8)}
    assert AccountBook(index).album_signature("9")[1] is not None


def test_a_read_from_the_other_end_answered_newest_first_again_stops_at_its_first_page(
        index: Index) -> None:
    """WeChat ignoring ``is_reverse``: its pages would be the first read's, each asked again."""
    progress = AlbumProgress(index, 7)
    assert read(progress, album_page([12, 11], 5), True).more
    assert read(progress, album_page([10], None, last=True), False).from_other_end
    step = read(progress, album_page([12, 11], None), False)
    assert (step.more, step.from_other_end, step.record.whole) == (False, False, None)
    assert "listed 3 of the 5" in step.unread and "WeChat listed it newest first again" in step.unread
    assert "9" not in progress.reading


@pytest.mark.parametrize("ignored", [False, True], ids=["is_reverse-honoured", "is_reverse-ignored"])
def test_a_read_short_from_both_ends_is_read_again_across_its_pushes(index: Index, ignored: bool) -> None:
    """Both reads short of the count (a push split where each read's pages end): read again
    newest first from the first page's page after, asked from before the push it ends on,
    each page so, until the count is listed; WeChat ignoring ``is_reverse`` starts it at once."""
    progress = AlbumProgress(index, 7)
    assert read(progress, replace(album_page([12, 11], 5), across_url="across-1"), True).more
    assert read(progress, album_page([9], None, last=True), False).from_other_end
    if ignored:
        assert read(progress, album_page([12, 11], None), False).ask == "across-1"
    else:
        assert read(progress, album_page([9, 11], None, last=True), False).ask == "across-1"
    step = read(progress, replace(album_page([11, 10], None), across_url="across-2"), False)
    assert (step.ask, step.unread) == ("across-2", "")
    step = read(progress, album_page([10, 8], None), False)
    assert step.record.whole == {f"B:{mid}:1" for mid in (12, 11, 10, 9, 8)}


@pytest.mark.parametrize("count, whole", [(5, True), (None, False)])
def test_an_empty_page_saying_more_follow_ends_a_read_whole_only_once_the_count_is_listed(
        index: Index, count: int | None, whole: bool) -> None:
    """An empty last page whose ``continue_flag`` says more follow (an album of a multiple of
    the page size, should WeChat say so) ends a read whole if the count is listed; without
    a count nothing says the album ended there."""
    progress = AlbumProgress(index, 7)
    read(progress, album_page([12, 11, 10], count), True)
    read(progress, album_page([9, 8], None), False)
    step = read(progress, AlbumPage([], None, cut=True), False)
    assert (step.record.whole is not None, bool(step.unread)) == (whole, not whole)


def test_a_listing_remembers_links_with_chksm_only(index: Index) -> None:
    page = AlbumPage([Entry(LONG.format(1, "c"), biz="B", mid="1", idx="1"),
                      Entry(LONG.format(2, "c").replace("&chksm=c", ""), biz="B", mid="2",
                            idx="1")], None, "合集", 2)
    read(AlbumProgress(index, 7), page, True)
    assert (index.listed_link("B:1:1"), index.listed_link("B:2:1")) == (LONG.format(1, "c"), None)


def test_an_album_read_leaves_nothing_of_its_members_in_memory(index: Index) -> None:
    """A run reads an account's albums one after the other: what it keeps to read one (the
    members listed so far) goes once that album is read."""
    progress = AlbumProgress(index, 7)

    def read_albums(albums: range) -> None:
        for album in albums:
            entries = [Entry(LONG.format(album * 100 + n, "c"), biz="B", mid=str(album * 100 + n),
                             idx="1") for n in range(20)]
            for first, last in ((True, False), (False, True)):
                progress.read(str(album), "B", AlbumPage(entries[10 * last:10 + 10 * last],
                                                         None if last else "next", "合集", 20), first)

    assert kept_each(read_albums, 20, 200) < 20 * 20  # 20 members an album


def test_each_album_is_read_once_a_run(index: Index) -> None:
    progress = AlbumProgress(index, 7)
    assert progress.start("9") and not progress.start("9")


# -- a real read of an album to its end (../shared/fixtures/wechat_album) ----------------
REAL_PAGES = PROJECT.parent / "shared" / "fixtures" / "wechat_album"
REAL_ALBUM = ("https://mp.weixin.qq.com/mp/appmsgalbum?__biz=Mzg4NTc2OTYxMQ==&action=getalbum"
              "&album_id=3329839945947119618")
# One read of soda92/biao-short-novels' album to its end, saved on 2025-03-31 (its commit
# bf844ae): each page asked from the last item of the page before (py_scripts/
# get_all_json.py names each file after its page's last msgid, not after the begin_msgid
# it was asked with). Positions (pos_num) 76-57, 56-37, 36-17, 16-1.
REAL_READ = ["2247484310.json", "2247484179.json", "2247484063.json", "2247483853.json"]


@pytest.mark.skipif(not REAL_PAGES.is_dir(), reason=f"{REAL_PAGES} is absent: the third-party "
                    "album answers live in ../shared, beside the project")
def test_a_real_album_read_to_its_end_is_whole_no_page_taken_for_a_repeat(index: Index) -> None:
    """WeChat's pages of one read follow each other with no overlap (``begin_msgid``
    exclusive: no item of page N again at the top of page N+1) and no gap (each page's
    first ``pos_num`` one below the last of the page before), so the rules of a read that
    stops short (a page listing nothing new, fewer members than the count) take none of it
    for one. The first screen is the read's first page with the first screen's
    ``base_info`` (title and ``article_count``); its count is the newest position, as
    ``pos_num`` counts current members (a deleted article's later positions shift down)."""
    bodies = [json.loads((REAL_PAGES / name).read_text(encoding="utf-8")) for name in REAL_READ]
    items = [body["getalbum_resp"]["article_list"] for body in bodies]
    count = int(items[0][0]["pos_num"])
    bodies[0]["getalbum_resp"]["base_info"] = {"title": "微型小说", "article_count": str(count)}
    progress, url, steps = AlbumProgress(index, 7), album_json_url(REAL_ALBUM, 20), []
    for number, body in enumerate(bodies):
        if number:
            before = items[number - 1][-1]
            assert url == album_json_url(REAL_ALBUM, 20, before["msgid"], before["itemidx"])
            assert int(items[number][0]["pos_num"]) == int(before["pos_num"]) - 1
        page = parse_album_page(json.dumps(body), url)
        steps.append(progress.read("3329839945947119618", "Mzg4NTc2OTYxMQ==", page, not number))
        url = page.next_url or ""
    assert [step.more for step in steps] == [True, True, True, False] and url == ""
    assert not any(step.unread for step in steps)
    assert steps[-1].record.whole is not None and len(steps[-1].record.whole) == count

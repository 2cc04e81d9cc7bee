"""The watch's order and what it writes into a post: ``WatchBook.due``, ``mark``/``unmark``,
``Seen`` and ``Change`` on real index files and real posts."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest
import yaml

from crawler.convert.post import render_post
from crawler.report.coverage import deletions_alarm
from crawler.store.index import ArticleState, Index
from crawler.store.postfiles import PostError
from crawler.store.readonly import PostWrites
from crawler.store.watchbook import WatchBook, Watched
from crawler.watch.state import Change, Schedule, Seen, WatchState, mark, source_print, unmark
from crawler.wechat.article import CHINA_TIME, Article

DAY = 86400
NOW = 1_800_000_000


@pytest.fixture
def book(index: Index) -> WatchBook:
    return WatchBook(index)


def archived(index: Index, key: str, published_days_ago: float,
             checked_days_ago: float | None) -> None:
    index.add_article(key, f"https://mp.weixin.qq.com/s?k={key}", f"{key}.md",
                      ArticleState.ARCHIVED, int(NOW - published_days_ago * DAY))
    if checked_days_ago is not None:
        WatchBook(index).checked(key, NOW - checked_days_ago * DAY)


def test_the_most_overdue_first_young_articles_more_often_than_old(index: Index,
                                                                  book: WatchBook) -> None:
    archived(index, "old-checked-30-days-ago", 400, 30)    # 30 / 7: 4.3 times overdue
    archived(index, "young-checked-2-days-ago", 10, 2)     # 2 / 1
    archived(index, "old-checked-8-days-ago", 400, 8)      # 8 / 7: 1.1
    archived(index, "young-checked-5-hours-ago", 3, 0.2)   # not due
    archived(index, "old-checked-3-days-ago", 400, 3)      # not due
    archived(index, "old-never-checked", 90, None)         # since publication: 90 / 7
    schedule = Schedule(young_days=30, young_every=1, old_every=7)
    due = [key for key, _ in book.due(10, NOW, schedule)]
    assert due == ["old-never-checked", "old-checked-30-days-ago", "young-checked-2-days-ago",
                   "old-checked-8-days-ago"]
    assert [key for key, _ in book.due(2, NOW, schedule)] == due[:2]


def test_an_article_is_due_a_24th_of_its_period_early_and_no_earlier(index: Index,
                                                                     book: WatchBook) -> None:
    """A daily run finds yesterday's check 23 hours and some minutes old: due then, it is
    looked at each day; half an hour earlier, it was checked in this run's hour."""
    archived(index, "young-checked-23-hours-ago", 10, 23 / 24)
    archived(index, "young-checked-22-and-a-half-hours-ago", 10, 22.5 / 24)
    archived(index, "old-checked-161-hours-ago", 400, 161 / 24)  # 7 days less 7 hours
    archived(index, "old-checked-160-hours-ago", 400, 160 / 24)
    assert sorted(key for key, _ in book.due(10, NOW, Schedule())) == [
        "old-checked-161-hours-ago", "young-checked-23-hours-ago"]


def test_a_check_a_clock_set_far_forward_recorded_does_not_keep_the_article_unwatched(
        index: Index, book: WatchBook) -> None:
    """A run on a machine whose clock was years ahead (a dead RTC battery, a mistyped date)
    recorded its checks then; with the clock set right, "since the last check" was negative
    and the watch never looked at those articles again until that date came. A check in the
    future is taken as none: the article is due by its age, and looked at now."""
    archived(index, "checked-by-a-clock-ten-years-ahead", 400, -3650)
    archived(index, "checked-an-hour-ahead", 400, -1 / 24)  # clocks drift: a slip, not a loss
    archived(index, "checked-a-day-ago", 400, 1)
    assert [key for key, _ in book.due(10, NOW, Schedule())] == ["checked-by-a-clock-ten-years-ahead"]


def test_an_article_without_post_is_not_watched(book: WatchBook) -> None:
    book.db.execute("INSERT INTO articles (key, url, state) VALUES ('k', 'u', 'needs_link')")
    assert book.due(10, NOW, Schedule()) == []


LONG = "https://mp.weixin.qq.com/s?__biz=B&mid=1&idx=1&sn=s"
POST = render_post(
    Article(url=LONG, title="标题",
            account="某反诈中心", published=datetime(2021, 7, 28, 16, 5, 12, tzinfo=CHINA_TIME)),
    "第一段。\n\n![]({{site.baseurl}}/postimg/a.png)", ["其他"])


def test_mark_adds_the_keys_and_the_line_and_unmark_takes_them_off() -> None:
    gone = WatchState("deleted", "2026-12-01", "2026-11-02", 3)
    marked = mark(POST, gone)
    assert marked == POST.replace(
        "    published: 2021-07-28T16:05:12+08:00\n",
        "    published: 2021-07-28T16:05:12+08:00\n    status: deleted\n"
        "    gone_since: 2026-12-01\n    updated: 2026-11-02\n    versions: 3\n").replace(
        "</p></blockquote>\n\n", "</p></blockquote>\n\n*原文已于 2026-12-01 被发布者删除，此为存档。*\n\n")
    assert mark(marked, gone) == marked
    assert unmark(marked) == POST
    removed = mark(marked, gone.answered("violation", "2026-12-03"))
    assert "status: removed\n    gone_since: 2026-12-03\n" in removed
    assert "*原文已于 2026-12-03 因违规被平台删除，此为存档。*\n\n第一段" in removed
    assert mark(removed, WatchState()) == POST


@pytest.mark.parametrize("state", [
    WatchState(), WatchState("deleted", "2026-12-01"), WatchState("violation", "2026-12-01"),
    WatchState(updated="2026-11-02", versions=3), WatchState("deleted", "2026-12-01", "2026-11-02", 3),
])
def test_a_post_says_its_state_back_for_an_index_rebuilt_from_the_posts(state: WatchState) -> None:
    assert WatchState.of_post(mark(POST, state)) == state


def test_a_post_a_person_indented_otherwise_stays_readable_once_marked() -> None:
    """The front matter re-indented by two spaces (an editor's formatter, say): the keys went
    in with four, and the whole front matter no longer read as YAML (Jekyll drops it)."""
    indented = POST.replace("\n    ", "\n  ")
    state = WatchState("deleted", "2026-12-01", "2026-11-02", 3)
    marked = mark(indented, state)
    front = yaml.safe_load(marked.split("---\n")[1])
    assert (front["wechat"]["status"], front["wechat"]["versions"]) == ("deleted", 3)
    assert front["wechat"]["account"] == "某反诈中心"
    assert WatchState.of_post(marked) == state
    assert unmark(marked) == indented


def test_a_status_without_its_day_is_no_state_that_would_print_none() -> None:
    edited = mark(POST, WatchState("deleted", "2026-12-01")).replace("    gone_since: 2026-12-01\n", "")
    assert WatchState.of_post(edited) == WatchState()


def test_a_post_without_body_gets_the_line_as_its_last() -> None:
    empty = POST[:POST.index("第一段")]
    marked = mark(empty, WatchState("violation", "2026-12-01"))
    assert marked.endswith("</p></blockquote>\n\n*原文已于 2026-12-01 因违规被平台删除，此为存档。*\n")
    assert unmark(marked) == empty


def test_a_post_whose_attribution_a_person_took_out_gets_the_keys_alone() -> None:
    """No attribution blockquote to put the notice after: the keys say the state, and the
    rest of the post is as it was (no notice spliced into its front matter)."""
    quote = POST[POST.index("<blockquote>"):POST.index("第一段")]
    without = POST.replace(quote, "")
    marked = mark(without, WatchState("deleted", "2026-12-01"))
    assert marked == without.replace("    published: 2021-07-28T16:05:12+08:00\n",
                                     "    published: 2021-07-28T16:05:12+08:00\n    status: deleted\n"
                                     "    gone_since: 2026-12-01\n")
    assert unmark(marked) == without


def test_unavailable_is_recorded_but_not_shown() -> None:
    state = WatchState().answered("unavailable", "2026-12-01")
    assert state.status is None and state.since == "2026-12-01"
    assert mark(POST, state) == POST


def test_a_body_line_that_looks_like_the_notice_is_escaped_and_stays() -> None:
    looks_like = POST.replace("第一段。", r"\*原文已于 2026-12-01 被发布者删除，此为存档。\*")
    assert unmark(looks_like) == looks_like


def test_a_notice_a_person_wrote_further_down_stays() -> None:
    """Only the line right after the attribution is the watch's."""
    written = POST.replace("第一段。", "第一段。\n\n*原文已于 2026-12-01 被发布者删除，此为存档。*")
    assert unmark(written) == written


def test_whitespace_is_no_edit_and_text_or_images_are() -> None:
    seen = Seen.of(POST)
    assert Seen.of(POST.replace("第一段。", "第一段。 \n")) == seen
    assert Seen.of(mark(POST, WatchState("deleted", "2026-12-01"))) == seen
    edited = Seen.of(POST.replace("第一段。", "第一段，改了。").replace("a.png", "b.png"))
    assert Change.between(seen, edited) == Change(added=3, removed=0, images_added=1,
                                                  images_removed=1)
    assert Change.between(seen, seen).line() == "no change a reader sees"
    assert Change.between(seen, edited).line() == "+3 -0 characters, +1 -1 images"


def test_an_image_stored_or_left_remote_is_no_edit() -> None:
    """kramdown's attribute list after a remote image (``{: referrerpolicy="no-referrer"}``)
    is not seen: an image that could not be stored at one fetch and was at the next is the
    same text a reader sees."""
    remote = POST.replace("({{site.baseurl}}/postimg/a.png)",
                          '(https://mmbiz.qpic.cn/a/640){: referrerpolicy="no-referrer"}')
    assert '{: referrerpolicy="no-referrer"}' in remote
    assert Seen.of(remote).text == Seen.of(POST).text


def test_a_text_without_front_matter_is_refused() -> None:
    with pytest.raises(PostError, match="no front matter"):
        mark("just text\n", WatchState("deleted", "2026-12-01"))


def stamped_once(book: WatchBook, folder: Path) -> tuple[Watched, Path, Article]:
    """A page of one paragraph, fetched and its post (``POST``) stamped and written in
    ``folder``: the watch, the post's path, the page."""
    watched = Watched(book, PostWrites(), lambda target: target)
    path = folder / "post.md"
    page = Article(url=LONG, title="标题", account="某反诈中心", body_html="<p>第一段。</p>",
                   published=datetime(2021, 7, 28, 16, 5, 12, tzinfo=CHINA_TIME))
    path.write_text(watched.stamp(page, POST, path, fetched=True), encoding="utf-8")
    return watched, path, page


def test_an_edit_is_a_new_page_that_reads_otherwise_not_a_newer_converter(
        index: Index, book: WatchBook, tmp_path: Path) -> None:
    watched, path, page = stamped_once(book, tmp_path)
    assert path.read_text(encoding="utf-8") == POST

    # The same page, made into another post (a newer converter): no edit upstream.
    converted_otherwise = POST.replace("第一段。", "第一段。（转换方式变了）")
    assert watched.stamp(page, converted_otherwise, path, fetched=True) == converted_otherwise
    # Another page that reads the same (WeChat's markup changed): no edit either.
    remarked = replace(page, body_html='<section><p data-x="1">第一段。</p></section>')
    assert watched.stamp(remarked, POST, path, fetched=True) == POST
    # Another page that reads otherwise: an edit.
    edited = replace(page, body_html="<p>第一段，改了。</p>")
    stamped = watched.stamp(edited, POST.replace("第一段。", "第一段，改了。"), path, fetched=True)
    day = f"{datetime.now(CHINA_TIME):%Y-%m-%d}"
    assert f"    updated: {day}\n    versions: 2\n---\n" in stamped
    assert book.counts()["edited"] == 1


def test_the_watch_asks_by_a_link_wechat_answered_before(index: Index, book: WatchBook) -> None:
    archived(index, "B:1:1", 400, None)
    archived(index, "B:2:1", 400, None)
    archived(index, "B:3:1", 400, None)
    index.add_listed_links([("B:1:1", "https://mp.weixin.qq.com/s?__biz=B&mid=1&idx=1&chksm=c")])
    index.add_link("https://mp.weixin.qq.com/s?__biz=B&mid=2&idx=1&scene=21", "B:2:1")
    index.add_link("https://mp.weixin.qq.com/s/ShortToken2", "B:2:1")
    archived(index, "B:4:1", 400, None)  # by the link with chksm its user gave
    index.add_link("https://mp.weixin.qq.com/s?__biz=B&mid=4&idx=1&chksm=d&scene=126", "B:4:1")
    index.add_link("https://mp.weixin.qq.com/s/ShortToken4", "B:4:1")
    assert sorted(book.due(10, NOW, Schedule())) == [
        ("B:1:1", "https://mp.weixin.qq.com/s?__biz=B&mid=1&idx=1&chksm=c"),
        ("B:2:1", "https://mp.weixin.qq.com/s/ShortToken2"),
        ("B:3:1", "https://mp.weixin.qq.com/s?k=B:3:1"),
        ("B:4:1", "https://mp.weixin.qq.com/s?__biz=B&mid=4&idx=1&chksm=d&scene=126")]


def test_a_print_recorded_before_titles_were_printed_still_tells_a_newer_converter(
        index: Index, book: WatchBook, tmp_path: Path) -> None:
    """An index whose prints of the pages are the body's alone (32 digits): the same page,
    converted otherwise now, is no edit; a page that reads otherwise is one."""
    watched, path, page = stamped_once(book, tmp_path)
    key = page.key
    book.db.execute("UPDATE watch SET source = substr(source, 1, 32) WHERE key = ?", (key,))
    converted_otherwise = POST.replace("第一段。", "第一段。（转换方式变了）")
    assert watched.fetched_before(page)
    assert watched.stamp(page, converted_otherwise, path, fetched=True) == converted_otherwise
    book.db.execute("UPDATE watch SET source = substr(source, 1, 32) WHERE key = ?", (key,))
    edited = replace(page, body_html="<p>第一段，改了。</p>")
    assert "versions: 2" in watched.stamp(edited, POST.replace("第一段。", "第一段，改了。"), path,
                                          fetched=True)


def test_a_text_posts_print_is_of_its_text_as_read_not_of_its_markups_references() -> None:
    """A text post's text is handed on as the HTML it is (its ``&amp;`` as written) since
    2026-12-05; before, with its references read. The print is of the text as read, so that
    the pages an index printed before are not all edits upstream at their next check."""
    page = Article(url=LONG, title="标题", account="某反诈中心", published=None,
                   text='看<a href="https://mp.weixin.qq.com/s?__biz=B&amp;mid=4">这里</a>&lt;b')
    as_read_before = replace(page, text='看<a href="https://mp.weixin.qq.com/s?__biz=B&mid=4">这里</a><b')
    assert source_print(page) == source_print(as_read_before)
    assert source_print(page) != source_print(replace(page, text="看这里"))


def test_the_deletions_alarm_counts_originals_not_their_changes(index: Index, book: WatchBook) -> None:
    """An original deleted, then removed by the platform (or deleted, back, deleted) is one
    original gone: counted at each change, two made "3 originals" of two."""
    biz = "MzA5OTk5OTk5OQ=="
    now = datetime(2026, 12, 5, 12, tzinfo=CHINA_TIME)
    day = 86400.0
    first, second = f"{biz}:2247480001:1", f"{biz}:2247480002:1"
    book.event(first, "deleted", now.timestamp() - 3 * day)
    book.event(first, "removed", now.timestamp() - 2 * day)
    book.event(second, "deleted", now.timestamp() - day)
    assert deletions_alarm(index, "反诈中心", biz, now, 3, 7) is None
    book.event(f"{biz}:2247480003:1", "removed", now.timestamp())
    assert deletions_alarm(index, "反诈中心", biz, now, 3, 7) == \
        "3 originals of 反诈中心 were deleted or removed upstream within 7 days; their posts stay, marked as such"


def test_the_deletions_alarm_of_one_original_says_one(index: Index, book: WatchBook) -> None:
    """``WATCH_ALARM_DELETIONS=1`` and ``WATCH_ALARM_DAYS=1`` said "1 originals of … were
    deleted or removed upstream within 1 days; their posts stay"."""
    biz = "MzA5OTk5OTk5OQ=="
    now = datetime(2026, 12, 5, 12, tzinfo=CHINA_TIME)
    book.event(f"{biz}:2247480001:1", "deleted", now.timestamp())
    assert deletions_alarm(index, "反诈中心", biz, now, 1, 1) == \
        "1 original of 反诈中心 was deleted or removed upstream within 1 day; its post stays, marked as such"
    assert deletions_alarm(index, "反诈中心", biz, now, 1, 0.5) == \
        "1 original of 反诈中心 was deleted or removed upstream within 0.5 days; its post stays, marked as such"


def test_originals_seen_gone_by_a_clock_set_ahead_raise_no_alarm_at_every_run(
        index: Index, book: WatchBook) -> None:
    """Deletions recorded by a run whose clock was a year ahead, then set right: each later
    run took them as seen since it started, and mailed the alarm at every run for a year."""
    biz = "MzA5OTk5OTk5OQ=="
    now = datetime(2026, 12, 5, 12, tzinfo=CHINA_TIME)
    for mid in range(3):
        book.event(f"{biz}:224748000{mid}:1", "deleted", now.timestamp() + 365 * 86400)
    assert deletions_alarm(index, "反诈中心", biz, now, 3, 7, now.timestamp() - 3600) is None
    assert book.gone_since(now.timestamp() - 3600, now.timestamp()) == set()


def test_a_check_that_fetched_nothing_keeps_when_the_page_was_last_fetched(index: Index) -> None:
    """A check without the page (a link WeChat refused) is no fetch: the time of the last one
    stays, which tells a saved page older than the archived post."""
    book = WatchBook(index)
    book.checked("B:1:1", 100, source="page")
    book.checked("B:1:1", 200)
    assert book.fetched("B:1:1") == 100


def test_an_account_counts_as_edited_upstream_only_what_had_a_second_version(index: Index) -> None:
    book = WatchBook(index)
    book.save("B:1:1", WatchState())
    book.save("B:2:1", WatchState(versions=2))
    book.save("B:3:1", WatchState(answer="deleted"))
    assert book.upstream("B") == {"deleted": 1, "edited": 1}


def test_a_fetched_pages_post_reads_its_watch_row_once(tmp_path: Path) -> None:
    """Writing a fetched page's post read the article's row of ``watch`` in four statements
    (whether its original was gone, the print of the post last made, the page last fetched,
    its state): one now. An edit upstream is still told from the row as it was."""
    from crawler.store.archive import Archive

    archive = Archive(tmp_path / "archive")
    try:
        statements: list[str] = []
        archive.index.connection.set_trace_callback(statements.append)
        page = Article(url=LONG, title="标题", account="某反诈中心", body_html="<p>第一段。</p>",
                       published=datetime(2021, 7, 28, 16, 5, 12, tzinfo=CHINA_TIME))
        archive.write_post(page, POST, tags=["其他"], complete=True, fetched=True)
        assert len([sql for sql in statements if sql.startswith("SELECT") and " FROM watch " in sql]) == 1
        edited = replace(page, body_html="<p>第一段，改了。</p>")
        _, path = archive.write_post(edited, POST.replace("第一段。", "第一段，改了。"), tags=["其他"],
                                     complete=True, fetched=True)
        assert "    versions: 2\n---\n" in path.read_text(encoding="utf-8")
    finally:
        archive.close()

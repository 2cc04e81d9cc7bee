"""The pipelines in process: one result per image URL a run, read by every article that
shows the image; what ``ImagePipeline`` hands ``PostPipeline``; what ``StatePipeline``
writes of the records spiders yield."""

from __future__ import annotations

import asyncio
import itertools
import sqlite3
import threading
import time
from collections.abc import Callable, Collection, Iterator
from contextvars import ContextVar
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.pipelines import media
from scrapy.pipelines.media import MediaPipeline
from twisted.python.failure import Failure

from crawler.items import (
    AccountFound,
    AlbumFound,
    AlbumPageRead,
    ArticleItem,
    ForeignLinkFound,
    LinkFound,
    LinkRefused,
    TagsAsked,
)
from crawler.pipelines import images
from crawler.pipelines.images import (
    ImageNotStored,
    ImagePipeline,
    PermanentImageFailure,
    TransientImageFailure,
)
from crawler.pipelines.posts import PostPipeline
from crawler.pipelines.state import StatePipeline
from crawler.run import Run
from crawler.store.accountbook import AccountBook
from crawler.store.images import CheckedImage, check_image
from crawler.store.index import ArticleState, Index
from crawler.store.postfiles import archived_url, read_post
from crawler.store.posts import PostStore
from crawler.wechat.page import parse_page
from crawler.wechat.urls import host_of
from tests.conftest import unit_crawler
from tests.mockserver import png
from tests.test_hostile import page

CDN = "https://mmbiz.qpic.cn/mmbiz_png"
SHARED, OWN, GONE, DOWN = (f"{CDN}/{name}/640" for name in ("Shared", "Own", "Gone", "Down"))


@pytest.fixture
def crawler(tmp_path: Path) -> Iterator[Crawler]:
    """A crawler whose run has its archive in ``tmp_path``, closed after the test."""
    made = unit_crawler(ARCHIVE_DIR=str(tmp_path))
    made.stats.open_spider()
    yield made
    Run.of(made).archive.close()


@pytest.fixture
def pipeline(crawler: Crawler) -> ImagePipeline:
    return ImagePipeline.from_crawler(crawler)


def item(mid: str, *images: str) -> ArticleItem:
    article = parse_page(page(mid=mid), "https://mp.weixin.qq.com/s/x")
    return ArticleItem(article=article, file_urls=list(images))  # type: ignore[arg-type]


def downloaded(pipeline: ImagePipeline, url: str, color: tuple[int, int, int]) -> None:
    pipeline.results[pipeline.crawler.request_fingerprinter.fingerprint(Request(url))] = \
        check_image(png(color))


def failed(pipeline: ImagePipeline, url: str, error: Exception) -> None:
    with pytest.raises(ImageNotStored):
        pipeline.media_failed(Failure(error), Request(url), None)  # type: ignore[arg-type]


INFO: MediaPipeline.SpiderInfo = None  # type: ignore[assignment]  # the hooks do not read it


def completed(pipeline: ImagePipeline, item: ArticleItem) -> ArticleItem:
    """What the pipeline makes of ``item`` once its downloads are in (MediaPipeline's results:
    one a request, in order, each answered by its own URL's download)."""
    results = [(True, {"url": request.url}) for request in pipeline.get_media_requests(item, INFO)]
    return asyncio.run(pipeline.finish(item, pipeline.item_completed(results, item, INFO)))


def test_an_image_whose_write_failed_leaves_every_article_showing_it_incomplete(
        pipeline: ImagePipeline, monkeypatch: pytest.MonkeyPatch) -> None:
    downloaded(pipeline, SHARED, (1, 2, 3))
    downloaded(pipeline, OWN, (4, 5, 6))
    write = pipeline.images.write
    monkeypatch.setattr(pipeline.images, "write", lambda placements: {
        **write([p for p in placements if p.url != SHARED]),
        **{p.url: OSError(28, "No space left on device") for p in placements if p.url == SHARED}})
    first = completed(pipeline, item("2247490001", SHARED))
    second = completed(pipeline, item("2247490002", SHARED, OWN))
    assert first.images_incomplete and first.files == []
    # The second article shares the image: it must not be taken as complete with a CDN link.
    assert second.images_incomplete
    assert [f["url"] for f in second.files] == [OWN]


def test_a_stored_image_is_named_alike_for_every_article(pipeline: ImagePipeline) -> None:
    downloaded(pipeline, SHARED, (1, 2, 3))
    first = completed(pipeline, item("2247490011", SHARED))
    second = completed(pipeline, item("2247490012", SHARED))
    assert first.files == second.files == [{"url": SHARED, "path": "Shared.png"}]
    assert not first.images_incomplete and not second.images_incomplete


def test_a_permanent_failure_is_not_incomplete_a_transient_one_is(pipeline: ImagePipeline) -> None:
    failed(pipeline, GONE, PermanentImageFailure("HTTP 404"))
    failed(pipeline, DOWN, TransientImageFailure("HTTP 503"))
    assert not completed(pipeline, item("2247490021", GONE)).images_incomplete
    assert completed(pipeline, item("2247490022", GONE, DOWN)).images_incomplete
    assert pipeline.crawler.stats.get_value("images/failed") == 2  # once per URL


class Downloads:
    """The engine's downloads of images as the test lets them go: each URL's answer held
    until ``release``; MediaPipeline's look at its cache of downloads held in the task of
    an item ``later`` processes until ``read``, so that what happens meanwhile is the test's
    to say."""

    def __init__(self, pipeline: ImagePipeline, monkeypatch: pytest.MonkeyPatch):
        self.pipeline = pipeline
        self.held: dict[str, asyncio.Event] = {}
        self.asked: list[str] = []
        self.reading, self.read = asyncio.Event(), asyncio.Event()
        self._later: ContextVar[bool] = ContextVar("later", default=False)
        pipeline.crawler.spider = Spider("images")
        pipeline.crawler.engine = SimpleNamespace(download_async=self._download)  # type: ignore[assignment]
        pipeline.open_spider()
        pending_io = media._process_pending_io

        async def held_in_later(*_: object) -> None:
            await pending_io()
            if self._later.get():
                self.reading.set()
                await self.read.wait()

        monkeypatch.setattr(media, "_process_pending_io", held_in_later)

    def hold(self, *urls: str) -> None:
        self.held.update((url, asyncio.Event()) for url in urls)

    def release(self, url: str) -> None:
        self.held[url].set()

    async def _download(self, request: Request) -> Response:
        self.asked.append(request.url)
        if request.url in self.held:
            await self.held[request.url].wait()
        return Response(request.url, body=png((7, 7, 7) if "Order" in request.url else (8, 8, 8)))

    def start(self, shown: ArticleItem) -> asyncio.Task[ArticleItem]:
        return asyncio.ensure_future(self.pipeline.process_item(shown))

    def later(self, shown: ArticleItem) -> asyncio.Task[ArticleItem]:
        async def process() -> ArticleItem:
            self._later.set(True)  # for the tasks MediaPipeline makes of it too
            return await self.pipeline.process_item(shown)
        return asyncio.ensure_future(process())

    async def until(self, condition: Callable[[], bool]) -> None:
        """Wait, a loop turn at a time, for ``condition``; after 1,000 turns, for what a
        thread does (a picture's check), in steps of 10 ms for at most 10 s."""
        deadline = time.monotonic() + 10
        for turn in itertools.count():
            if condition():
                return
            if time.monotonic() > deadline:
                raise AssertionError("never came")
            await asyncio.sleep(0 if turn < 1000 else 0.01)


ORDER_AB, ORDER_BA = f"{CDN}/Order/640?a=1&b=2", f"{CDN}/Order/640?b=2&a=1"


def stored_or_said(shown: ArticleItem, url: str) -> bool:
    """Whether the post of ``shown`` shows ``url`` from a file, or is incomplete with a line
    to say (by ``PostPipeline``)."""
    if {"url": url, "path": "Order.png"} in shown.files:
        return True
    return bool(shown.images_incomplete) and shown.images_not_stored is not None


def test_a_picture_read_from_the_cache_of_an_article_ending_meanwhile_is_stored(
        pipeline: ImagePipeline, monkeypatch: pytest.MonkeyPatch) -> None:
    """MediaPipeline yields to the loop twice between finding a download in its cache and
    reading it; the article whose download it was, ending meanwhile, took it out of the
    cache: the later article's picture (another URL of the same query) raised a KeyError,
    which left it neither stored nor failed, a CDN link in a post counted complete."""
    async def scenario() -> ArticleItem:
        downloads = Downloads(pipeline, monkeypatch)
        downloads.hold(OWN)
        first = downloads.start(item("2247490031", ORDER_AB, OWN))
        fingerprint = pipeline.crawler.request_fingerprinter.fingerprint(Request(ORDER_AB))
        await downloads.until(lambda: fingerprint in pipeline.spiderinfo.downloaded)
        second = downloads.later(item("2247490032", ORDER_BA))
        await downloads.reading.wait()
        downloads.release(OWN)
        await first
        downloads.read.set()
        return await second

    second = asyncio.run(scenario())
    assert stored_or_said(second, ORDER_BA), second.files
    assert second.files == [{"url": ORDER_BA, "path": "Order.png"}]


def test_a_picture_downloaded_for_an_article_not_done_yet_is_stored_for_one_done_before(
        pipeline: ImagePipeline, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two articles waiting on one download (two URLs of one query): the one with no other
    picture was done first, when the download was known only to the other, not placed yet:
    its picture was neither stored nor failed."""
    async def scenario() -> tuple[ArticleItem, ArticleItem]:
        downloads = Downloads(pipeline, monkeypatch)
        downloads.hold(ORDER_AB, OWN)
        first = downloads.start(item("2247490041", ORDER_AB, OWN))
        fingerprint = pipeline.crawler.request_fingerprinter.fingerprint(Request(ORDER_AB))
        await downloads.until(lambda: fingerprint in pipeline.spiderinfo.downloading)
        second = downloads.start(item("2247490042", ORDER_BA))
        await downloads.until(lambda: len(pipeline.spiderinfo.waiting[fingerprint]) == 2)
        downloads.release(ORDER_AB)
        done = await second
        downloads.release(OWN)
        return await first, done

    first, second = asyncio.run(scenario())
    assert stored_or_said(second, ORDER_BA), second.files
    assert second.files == [{"url": ORDER_BA, "path": "Order.png"}]
    assert {"url": ORDER_AB, "path": "Order.png"} in first.files
    assert sorted(p.name for p in pipeline.images.folder.iterdir()) == ["Order.png", "Own.png"]


def test_a_picture_two_articles_share_stays_recorded_for_the_article_that_stored_it(
        pipeline: ImagePipeline, monkeypatch: pytest.MonkeyPatch) -> None:
    """The index records which article an image was stored for (``verify`` says a file
    whose articles have no post yet): the second article done was recorded in its place,
    and a run stopped before its post left the first one's picture said to await a post."""
    async def scenario() -> None:
        downloads = Downloads(pipeline, monkeypatch)
        downloads.hold(ORDER_AB, OWN)
        first = downloads.start(item("2247490061", ORDER_AB))
        second = downloads.start(item("2247490062", ORDER_AB, OWN))
        fingerprint = pipeline.crawler.request_fingerprinter.fingerprint(Request(ORDER_AB))
        await downloads.until(lambda: len(pipeline.spiderinfo.waiting[fingerprint]) == 2)
        downloads.release(ORDER_AB)
        await first
        downloads.release(OWN)
        await second

    asyncio.run(scenario())
    recorded = pipeline.images.index.connection.execute("SELECT key FROM images WHERE url = ?",
                                                        (ORDER_AB,)).fetchone()
    assert recorded[0].endswith(":2247490061:1")


def test_a_picture_whose_file_the_index_cannot_tell_is_said_and_left_incomplete(
        pipeline: ImagePipeline, monkeypatch: pytest.MonkeyPatch) -> None:
    """The index unreadable as ``media_to_download`` asked it for a picture's file (locked
    past its timeout): Scrapy logged the traceback, and the post kept a CDN link with no
    line saying which, counted complete, the picture never asked again."""
    def locked(urls: Collection[str]) -> dict[str, str]:
        raise sqlite3.OperationalError("database is locked")

    async def scenario() -> ArticleItem:
        downloads = Downloads(pipeline, monkeypatch)
        monkeypatch.setattr(pipeline.images, "stored_names", locked)
        return await downloads.start(item("2247490051", SHARED))

    shown = asyncio.run(scenario())
    assert shown.images_incomplete and shown.files == []
    said = shown.images_not_stored
    assert said is not None and said.refused == ("OperationalError: database is locked",)  # an ERROR
    assert said.reasons == "OperationalError: database is locked"


def test_the_loop_goes_on_while_a_picture_is_checked_and_pictures_are_named_in_page_order(
        pipeline: ImagePipeline, monkeypatch: pytest.MonkeyPatch) -> None:
    """Pillow's check of each picture downloaded (a 640-wide JPEG: 1 ms, an animated GIF:
    tens) ran on the reactor's thread, which read no page meanwhile: the loop now goes on
    while a picture is checked. An article's pictures are still named in page order, not as
    their checks end: the second picture, checked first, has the bytes of the first and
    shares its name."""
    loop_ran_during_check: list[bool] = []

    def watched_check(data: bytes, max_pixels: int) -> CheckedImage:
        loop_ran = threading.Event()
        running.call_soon_threadsafe(loop_ran.set)
        loop_ran_during_check.append(loop_ran.wait(timeout=10))
        return check_image(data, max_pixels)

    monkeypatch.setattr(images, "check_image", watched_check)

    async def scenario() -> ArticleItem:
        nonlocal running
        running = asyncio.get_running_loop()
        downloads = Downloads(pipeline, monkeypatch)
        downloads.hold(SHARED)
        shown = downloads.start(item("2247490071", SHARED, OWN))  # the same bytes, (8, 8, 8)
        await downloads.until(lambda: loop_ran_during_check != [])  # OWN's check, done first
        downloads.release(SHARED)
        return await shown

    running: asyncio.AbstractEventLoop
    shown = asyncio.run(scenario())
    assert loop_ran_during_check == [True, True]
    assert shown.files == [{"url": SHARED, "path": "Shared.png"}, {"url": OWN, "path": "Shared.png"}]


# -- StatePipeline: what the spiders learn, written by one pipeline --------------------------
@pytest.fixture
def state(crawler: Crawler) -> StatePipeline:
    return StatePipeline.from_crawler(crawler)


def test_each_record_is_written_to_the_index_and_passed_on(state: StatePipeline) -> None:
    index = state.index
    records = [AccountFound("反诈", "B"), AlbumFound("7", "B", "合集", 3, member="B:1:1"),
               LinkFound("https://mp.weixin.qq.com/s/Tok", "B:1:1"),
               ForeignLinkFound("C:2:1", "C", "B"), LinkRefused("B:3:1", "https://weak")]
    assert [state.process_item(record) for record in records] == records
    assert AccountBook(index).account_biz("反诈") == "B"
    assert AccountBook(index).albums_of("B") == ["7"]
    # a page's word: known not archived (as B:3:1, refused), no member its listing may say left it
    assert AccountBook(index).known_not_archived("B") == 2
    assert AccountBook(index).album_members("7") == AccountBook(index).album_members("7", departed=True) == set()
    assert index.link_key("https://mp.weixin.qq.com/s/Tok") == "B:1:1"
    assert AccountBook(index).account_coverage("B")[2] == 1  # the foreign link, seen from B
    assert index.article_state("B:3:1") == ArticleState.NEEDS_LINK


def test_an_album_read_whole_records_who_left_it(state: StatePipeline) -> None:
    members = (("B:1:1", "https://listed/1"), ("B:2:1", ""))
    state.process_item(AlbumPageRead("7", "B", members, "2026-12-01T00:00:00+00:00", first=True,
                                     title="合集", count=2))
    assert state.index.listed_link("B:1:1") == "https://listed/1"
    assert state.index.listed_link("B:2:1") is None  # no chksm: not a link to fetch it by
    state.process_item(AlbumPageRead("7", "B", (("B:1:1", ""),), "2026-12-02T00:00:00+00:00",
                                     whole=frozenset({"B:1:1"}), signature="1|B:1:1"))
    assert AccountBook(state.index).album_members("7", departed=True) == {"B:2:1"}
    assert AccountBook(state.index).album_signature("7") == ("1|B:1:1", "2026-12-02T00:00:00+00:00")
    assert state.tally.stats.get_value("albums/left") == 1


def test_a_record_that_cannot_be_written_costs_only_itself(
        state: StatePipeline, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    def full(*arguments: object) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(state.index, "add_link", full)
    assert state.process_item(LinkFound("https://mp.weixin.qq.com/s/Tok", "B:1:1"))
    state.process_item(AccountFound("反诈", "B"))
    assert AccountBook(state.index).account_biz("反诈") == "B"
    assert state.tally.stats.get_value("state/write_failed") == 1
    assert [record.levelname for record in caplog.records] == ["ERROR"]


def test_an_index_that_cannot_be_read_when_refusals_are_said_is_one_error_line(
        state: StatePipeline, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    def damaged(*arguments: object) -> None:
        raise sqlite3.DatabaseError("database disk image is malformed")

    state.process_item(LinkRefused("B:3:1", "https://weak"))
    monkeypatch.setattr(state.index, "article_state", damaged)
    state.close_spider()
    assert state.tally.stats.get_value("state/read_failed") == 1
    assert [record.levelname for record in caplog.records] == ["ERROR"]


def test_only_articles_refused_without_chksm_that_no_listing_brings_are_said_at_the_end(
        state: StatePipeline, caplog: pytest.LogCaptureFixture) -> None:
    """An article refused by a link without chksm that an album lists is fetched by the
    album's link (this run or the next): said lost, cron would mail a false alarm. One the
    user gave is said when refused; one the watch asked for keeps its post."""
    state.index.add_listed_links([("B:2:1", "https://listed-with-chksm")])
    for refused in (LinkRefused("B:1:1", "https://lost"), LinkRefused("B:2:1", "https://listed"),
                    LinkRefused("B:3:1", "https://given", said=True),
                    LinkRefused("B:4:1", "https://watched", watched=True)):
        state.process_item(refused)
    state.close_spider()
    [said] = [record for record in caplog.records if record.levelname == "WARNING"]
    assert said.getMessage().startswith("Not archived: 1 article WeChat refused by a link without "
                                        "chksm"), said.getMessage()
    assert said.getMessage().endswith(": https://lost"), said.getMessage()


def test_an_article_asks_nothing_of_the_runs_failures_before_one_and_chooses_its_pictures_once(
        pipeline: ImagePipeline, monkeypatch: pytest.MonkeyPatch) -> None:
    """Until a picture fails, an article's pictures are not looked up among the run's failures
    (3.6 us each, three a picture); which of its URLs are pictures to fetch is worked out once
    an article, not three times. A failure then is found as before."""
    statements: list[str] = []
    pipeline.failed._db.connection.set_trace_callback(statements.append)
    hosts: list[str] = []
    monkeypatch.setattr(images, "host_of", lambda url: hosts.append(url) or host_of(url))
    downloaded(pipeline, SHARED, (1, 2, 3))
    downloaded(pipeline, OWN, (4, 5, 6))
    done = completed(pipeline, item("2247490011", SHARED, OWN, "https://example.com/a.png"))
    assert [entry["url"] for entry in done.files] == [SHARED, OWN] and not done.images_incomplete
    assert statements == [] and len(hosts) == 3
    failed(pipeline, DOWN, TransientImageFailure("HTTP 503"))
    assert completed(pipeline, item("2247490012", DOWN, SHARED)).images_incomplete


def test_a_new_posts_name_is_worked_out_once_and_still_after_another_took_it_meanwhile(
        crawler: Crawler, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A new post's bytes are fsynced on a thread while the crawl goes on; its file's name
    (two index queries and a ``stat``) was worked out for that, and again to write it. Once
    now, when it is written: another article of the same day and title written meanwhile
    took the plain name, and each post is in a file of its own, not one over the other."""
    posts = PostPipeline.from_crawler(crawler)
    alone, first, second = (
        parse_page(page(f"<p>{text}</p>", mid=mid, ct=ct), f"https://mp.weixin.qq.com/s/{mid}")
        for mid, ct, text in (("2247490021", "1700000000", "独自的正文"),
                              ("2247490022", "1700086400", "先到的正文"),
                              ("2247490023", "1700086400", "后到的正文")))
    named: list[str] = []
    path_for = PostStore.path_for
    monkeypatch.setattr(PostStore, "path_for", lambda store, article, placed: named.append(article.key)
                        or path_for(store, article, placed))
    asyncio.run(posts.process_item(ArticleItem(article=alone, file_urls=[])))
    assert named == [alone.key]
    staged = PostPipeline._staged

    async def another_written_meanwhile(self: PostPipeline, text: str, placed: Path | None) -> Any:
        written = await staged(self, text, placed)
        if "先到的正文" in text:  # the first article's
            await PostPipeline.process_item(self, ArticleItem(article=second, file_urls=[]))
        return written

    monkeypatch.setattr(PostPipeline, "_staged", another_written_meanwhile)
    asyncio.run(posts.process_item(ArticleItem(article=first, file_urls=[])))
    posts.close()
    files = {archived_url(path): read_post(path) for path in (tmp_path / "_posts").glob("*.md")}
    assert len(files) == 3 and all(text in files[article.url] for article, text in (
        (alone, "独自的正文"), (first, "先到的正文"), (second, "后到的正文"))), files


def test_the_pictures_an_article_placed_are_named_as_placed_not_looked_up_again(
        pipeline: ImagePipeline) -> None:
    """The files of an article's new pictures were each looked up in the index after it had
    recorded them (5 us a picture, 1,600 a benchmark crawl); one another article placed is
    still looked up."""
    statements: list[str] = []
    pipeline.archive.index.connection.set_trace_callback(statements.append)
    downloaded(pipeline, SHARED, (1, 2, 3))
    downloaded(pipeline, OWN, (4, 5, 6))
    first = completed(pipeline, item("2247490031", SHARED, OWN))
    assert [entry["url"] for entry in first.files] == [SHARED, OWN]
    assert not [sql for sql in statements if sql.startswith("SELECT name FROM images WHERE url")]
    downloaded(pipeline, SHARED, (1, 2, 3))
    second = completed(pipeline, item("2247490032", SHARED))
    assert second.files == [first.files[0]]


def test_a_posts_place_is_asked_once_before_its_bytes_are_staged_and_once_when_written(
        crawler: Crawler, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The posts pipeline asked the index where an article's post is 4 times an article
    (its tags, whether to stage its bytes, its file's name, whether it was recorded): twice
    now, once before the bytes are staged on the writer thread and once when written, as a
    post may be written meanwhile. A post moved by a person is still found and written there."""
    posts = PostPipeline.from_crawler(crawler)
    asked: list[str] = []
    article_path = Index.article_path
    monkeypatch.setattr(Index, "article_path",
                        lambda index, key: asked.append(key) or article_path(index, key))
    article = parse_page(page("<p>正文</p>", mid="2247490041"), "https://mp.weixin.qq.com/s/41")
    asyncio.run(posts.process_item(ArticleItem(article=article, file_urls=[])))
    assert asked == [article.key] * 2
    [written] = (tmp_path / "_posts").glob("*.md")
    moved = tmp_path / "_posts" / "mine" / "moved.md"
    moved.parent.mkdir()
    written.rename(moved)
    asked.clear()
    again = parse_page(page("<p>正文，改过</p>", mid="2247490041"), "https://mp.weixin.qq.com/s/41")
    asyncio.run(posts.process_item(ArticleItem(article=again, file_urls=[], tags=("新标签",))))
    posts.close()
    assert asked[:2] == [article.key] * 2 and len(asked) <= 3, asked  # the renamed posts read once
    assert "正文，改过" in read_post(moved) and "新标签" in read_post(moved)
    assert list((tmp_path / "_posts").glob("*.md")) == []


def test_tags_asked_of_an_article_with_no_post_file_give_the_retag_writer_nothing(
        crawler: Crawler, tmp_path: Path) -> None:
    """The tags asked for an article whose page is gone (``crawl article -a tags=``) reach its
    post on the retag writer's thread; one with no post file there to retag was handed to
    the thread all the same, an empty job waited for. Now none; a post there gets them."""
    posts = PostPipeline.from_crawler(crawler)
    submitted: list[object] = []
    submit = posts.retag_writer.submit
    posts.retag_writer.submit = lambda *args: submitted.append(args) or submit(*args)  # type: ignore[method-assign]
    article = parse_page(page("<p>正文</p>", mid="2247490051"), "https://mp.weixin.qq.com/s/51")
    asyncio.run(posts.process_item(TagsAsked(article.key, ("新标签",))))
    assert submitted == []
    asyncio.run(posts.process_item(ArticleItem(article=article, file_urls=[])))
    [post] = (tmp_path / "_posts").glob("*.md")
    post.rename(post.with_suffix(".gone"))
    asyncio.run(posts.process_item(TagsAsked(article.key, ("新标签",))))
    assert submitted == []
    post.with_suffix(".gone").rename(post)
    asyncio.run(posts.process_item(TagsAsked(article.key, ("新标签",))))
    posts.close()
    assert len(submitted) == 1 and "新标签" in read_post(post)


def test_the_tags_given_a_post_before_are_read_in_one_statement(crawler: Crawler) -> None:
    """A post written read the tags its account's configuration gave it and those the tool
    made in two statements, each letting the reactor's thread go: one now, and the post
    written again still keeps the configured tags it was given."""
    posts = PostPipeline.from_crawler(crawler)
    index = Run.of(crawler).archive.index
    article = parse_page(page("<p>正文</p>", mid="2247490061"), "https://mp.weixin.qq.com/s/61")
    asyncio.run(posts.process_item(ArticleItem(article=article, file_urls=[], tags=("清远",))))
    assert index.given_tags(article.key) == (["清远"], index.tool_tags(article.key)) != ([], [])
    statements: list[str] = []
    index.connection.set_trace_callback(statements.append)
    again = parse_page(page("<p>正文，改过</p>", mid="2247490061"), "https://mp.weixin.qq.com/s/61")
    asyncio.run(posts.process_item(ArticleItem(article=again, file_urls=[])))
    posts.close()
    assert len([sql for sql in statements if sql.startswith("SELECT") and "_tags WHERE" in sql]) == 1
    [post] = (Run.of(crawler).archive.layout.posts).glob("*.md")
    assert "清远" in read_post(post) and "正文，改过" in read_post(post)

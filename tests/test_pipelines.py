"""The pipelines in process: one result per image URL a run, read by every article that
shows the image; what ``ImagePipeline`` hands ``PostPipeline``."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.pipelines.media import MediaPipeline
from twisted.python.failure import Failure

from crawler.items import ArticleItem
from crawler.pipelines import (
    ImageNotStored,
    ImagePipeline,
    PermanentImageFailure,
    TransientImageFailure,
)
from crawler.run import Run
from crawler.store.images import check_image
from crawler.wechat.page import parse_page
from tests.conftest import unit_crawler
from tests.mockserver import png
from tests.test_hostile import page

CDN = "https://mmbiz.qpic.cn/mmbiz_png"
SHARED, OWN, GONE, DOWN = (f"{CDN}/{name}/640" for name in ("Shared", "Own", "Gone", "Down"))


@pytest.fixture
def pipeline(tmp_path: Path) -> Iterator[ImagePipeline]:
    crawler = unit_crawler(ARCHIVE_DIR=str(tmp_path))
    crawler.stats.open_spider()
    yield ImagePipeline.from_crawler(crawler)
    Run.of(crawler).archive.close()


def item(mid: str, *images: str) -> ArticleItem:
    article = parse_page(page(mid=mid), "https://mp.weixin.qq.com/s/x")
    return ArticleItem(article=article, file_urls=list(images))  # type: ignore[arg-type]


def downloaded(pipeline: ImagePipeline, url: str, color: tuple[int, int, int]) -> None:
    pipeline.results[url] = check_image(png(color))


def failed(pipeline: ImagePipeline, url: str, error: Exception) -> None:
    with pytest.raises(ImageNotStored):
        pipeline.media_failed(Failure(error), Request(url), None)  # type: ignore[arg-type]


INFO: MediaPipeline.SpiderInfo = None  # type: ignore[assignment]  # the hooks do not read it


def completed(pipeline: ImagePipeline, item: ArticleItem) -> ArticleItem:
    """What the pipeline makes of ``item`` once its downloads are in."""
    return asyncio.run(pipeline.finish(item, pipeline.item_completed([], item, INFO)))


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

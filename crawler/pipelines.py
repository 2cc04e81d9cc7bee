"""Thin adapters from Scrapy items to the archive in ``crawler.store``."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from typing import Any, NoReturn

from itemadapter import ItemAdapter
from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.http import Response
from scrapy.pipelines.files import FilesPipeline
from scrapy.pipelines.media import FileException, MediaPipeline
from twisted.python.failure import Failure

from crawler.config import Config
from crawler.items import ArticleGone, ArticleItem
from crawler.store.archive import Archive, NotConverted
from crawler.store.images import CheckedImage, NotAnImage, check_image
from crawler.store.index import ArticleState
from crawler.store.posts import Outcome, PostError
from crawler.tally import Tally
from crawler.wechat.urls import host_of

logger = logging.getLogger(__name__)

# Image answers that will not change on a later try.
PERMANENT_STATUSES = frozenset({404, 410})


class PermanentImageFailure(FileException):
    """An image that is gone or is not an image: retrying will not help."""


class ImagePipeline(FilesPipeline):
    """Scrapy's FilesPipeline (concurrent downloads, per-run dedup) over ``ImageStore``.

    Not ImagesPipeline: that one re-encodes every picture, turning animated GIFs into
    still JPEGs. Here the bytes are kept as they came, after Pillow has checked them.
    Downloads run concurrently, but an article's new images are named in page order
    once all of them are in, so which name two identical files share never depends on
    which download finished first; then they are written together.
    """

    def __init__(self, archive: Archive, config: Config, *, crawler: Crawler):
        super().__init__(str(archive.layout.images), crawler=crawler)
        self.image_hosts = frozenset(config.image_hosts)
        self.max_pixels = config.image_max_pixels
        self.images = archive.images
        self.checked: dict[str, CheckedImage] = {}  # downloaded, not yet stored
        # Images that failed this run, and whether for a reason that may pass: Scrapy
        # downloads a URL once per run, so every article showing it needs to know.
        self.failed: dict[str, bool] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ImagePipeline:
        return cls(Archive.of(crawler), Config.of(crawler), crawler=crawler)

    async def process_item(self, item: Any, spider: Any = None) -> Any:
        if not isinstance(item, ArticleItem):
            return item
        return await super().process_item(item)

    def get_media_requests(self, item: Any, info: MediaPipeline.SpiderInfo) -> list[Request]:
        # The CDN answers a foreign Referer with a "not allowed" placeholder picture, and
        # AutoThrottle must not slow the CDN down to the pace of article pages.
        meta = {"referrer_policy": "no-referrer", "autothrottle_dont_adjust_delay": True}
        return [Request(url, meta=meta) for url in self._wanted(item)]

    # FilesPipeline's types say a file is stored when downloaded (a path, a Deferred); here
    # it is placed when the whole item is in (path None until then), and a failure is
    # logged, not returned: the three hooks below differ from its signatures on purpose.
    def media_to_download(self, request: Request, info: MediaPipeline.SpiderInfo, *,  # type: ignore[override]
                          item: Any = None) -> dict[str, Any] | None:
        name = self.images.stored_name(request.url)
        if name is None:
            return None
        self.crawler.stats.inc_value("images/already_stored")
        return {"url": request.url, "path": name, "checksum": None, "status": "uptodate"}

    async def media_downloaded(self, response: Response, request: Request,  # type: ignore[override]
                               info: MediaPipeline.SpiderInfo, *, item: Any = None) -> dict[str, Any]:
        if response.status in PERMANENT_STATUSES:
            raise PermanentImageFailure(f"HTTP {response.status}")
        if response.status != 200:
            raise FileException(f"HTTP {response.status}")
        try:
            image = check_image(response.body, self.max_pixels)
        except NotAnImage as error:
            raise PermanentImageFailure(str(error)) from None
        self.checked[request.url] = image
        self.crawler.stats.inc_value("images/downloaded")
        return {"url": request.url, "path": None, "checksum": image.sha256, "status": "downloaded"}

    def media_failed(self, failure: Failure, request: Request,  # type: ignore[override]
                     info: MediaPipeline.SpiderInfo) -> None:
        """Log one line and return: raising would make Scrapy log a traceback as well."""
        self.failed[request.url] = not failure.check(PermanentImageFailure)
        self._failed(request.url, failure.getErrorMessage() or type(failure.value).__name__)

    def item_completed(self, results: list[Any], item: Any, info: MediaPipeline.SpiderInfo) -> Any:
        fetched = {result["url"] for ok, result in results if ok and result}
        adapter = ItemAdapter(item)
        names, placements = {}, []
        for url in self._wanted(item):
            if self.failed.get(url):
                adapter["images_incomplete"] = True
            if url not in fetched:
                continue
            image = self.checked.pop(url, None)
            if image is None:  # media_to_download found it stored already
                names[url] = self.images.stored_name(url)
                continue
            try:
                placements.append(self.images.place(url, image))
            except OSError as error:  # reading a file that holds the name already
                self._failed(url, f"cannot store the image: {error}")
                adapter["images_incomplete"] = True
                continue
            names[url] = placements[-1].name
        for url, write_error in self.images.write(placements).items():
            self._failed(url, f"cannot write the image: {write_error}")
            adapter["images_incomplete"] = True
            names[url] = None
        adapter[self.files_result_field] = [{"url": url, "path": name}
                                            for url, name in names.items() if name]
        return item

    def _wanted(self, item: Any) -> list[str]:
        urls = ItemAdapter(item).get(self.files_urls_field) or []
        return [url for url in urls if host_of(url) in self.image_hosts]

    def _failed(self, url: str, reason: str) -> None:
        self.crawler.stats.inc_value("images/failed")
        logger.warning("Image not stored, the post keeps its URL: %s (%s)", url, reason)


class PostPipeline:
    """Hands each article to ``Archive.archive_article`` and reports what became of it.

    An ``ArticleGone`` only has its state recorded: the archived post stays as it is.
    Whatever keeps an article from being archived is one "Not archived" line, counted.
    """

    def __init__(self, archive: Archive, config: Config, crawler: Crawler):
        self.archive = archive
        self.tags = list(config.default_tags)
        self.style = config.markdown_style()
        self.tally = Tally.of(crawler)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PostPipeline:
        return cls(Archive.of(crawler), Config.of(crawler), crawler)

    def process_item(self, item: ArticleItem | ArticleGone) -> ArticleItem | ArticleGone:
        if isinstance(item, ArticleGone):
            self._record(lambda: self.archive.index.set_article_state(
                item.key, item.url, ArticleState(item.reason)), item.url)
            self.tally.count(f"posts/{item.reason}", source=item.source)
            return item
        article = item.article
        if article.published is None:
            self._not_archived(item, "no_publish_time", f"{article.url} ({article.title!r}) states "
                               "no publish time, and a post is never given an invented date")
        if (page := item.imported_page) is not None:
            self._record(lambda: self.archive.captures.add_resource(article.url, page), article.url)
        names = {f["url"]: f["path"] for f in item.files}
        try:
            outcome, path = self.archive.archive_article(
                article, names, item.tags or self.tags, self.style,
                complete=not item.images_incomplete, fetched=item.imported_page is None)
            if item.fetched_url:
                self.archive.index.add_link(item.fetched_url, article.key)
        except NotConverted as error:
            self._not_archived(item, "unconvertible", f"{article.url} {error}")
        except (OSError, sqlite3.Error, PostError) as error:
            self._not_archived(item, "write_failed",
                               f"cannot write the post of {article.url}: {error}", "ERROR")
        self.tally.count(f"posts/{outcome.value}", source=item.source, account=item.account)
        if outcome is Outcome.KEPT:
            logger.warning("Kept the archived %s: the page fetched now has fewer images or "
                           "much less text (%s)", path, article.url)
        else:
            logger.info("Post %s: %s", outcome.value, path)
        return item

    def _record(self, write: Callable[[], object], url: str) -> None:
        """An index or capture write that, failing, costs only itself (one ERROR line)."""
        try:
            write()
        except (OSError, sqlite3.Error) as error:
            self.tally.count("state/write_failed")
            logger.error("Not recorded for %s: %s", url, error)

    def _not_archived(self, item: ArticleItem, why: str, message: str,
                      level: str = "WARNING") -> NoReturn:
        self.tally.count(f"posts/{why}", source=item.source, account=item.account)
        raise DropItem(f"Not archived: {message}", log_level=level)

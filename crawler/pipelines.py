"""Thin adapters from Scrapy items to the archive in ``crawler.store``."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from itemadapter import ItemAdapter
from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.http import Response
from scrapy.pipelines.files import FilesPipeline
from scrapy.pipelines.media import FileException, MediaPipeline
from twisted.python.failure import Failure

from crawler.items import ArticleGone, ArticleItem
from crawler.store.archive import POST_FOLDER, open_captures, open_index
from crawler.store.images import CheckedImage, ImageStore, NotAnImage, check_image
from crawler.store.post_text import IMAGE_FOLDER, compose_post
from crawler.store.posts import Outcome, PostStore
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

    def __init__(self, archive_dir: Path, image_hosts: list[str], *, crawler: Crawler):
        super().__init__(str(archive_dir / IMAGE_FOLDER), crawler=crawler)
        self.image_hosts = frozenset(image_hosts)
        self.images = ImageStore(archive_dir / IMAGE_FOLDER, open_index(archive_dir))
        self.checked: dict[str, CheckedImage] = {}  # downloaded, not yet stored
        self.transient_failures: set[str] = set()  # failed for a reason that may pass

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ImagePipeline:
        settings = crawler.settings
        return cls(Path(settings["ARCHIVE_DIR"]), settings.getlist("IMAGE_HOSTS"), crawler=crawler)

    def close_spider(self) -> None:
        self.images.index.close()

    async def process_item(self, item: Any, spider: Any = None) -> Any:
        if not isinstance(item, ArticleItem):
            return item
        return await super().process_item(item)

    def get_media_requests(self, item: Any, info: MediaPipeline.SpiderInfo) -> list[Request]:
        # The CDN answers a foreign Referer with a "not allowed" placeholder picture, and
        # AutoThrottle must not slow the CDN down to the pace of article pages.
        meta = {"referrer_policy": "no-referrer", "autothrottle_dont_adjust_delay": True}
        return [Request(url, meta=meta) for url in self._wanted(item)]

    def media_to_download(self, request: Request, info: MediaPipeline.SpiderInfo, *,
                          item: Any = None) -> dict[str, Any] | None:
        name = self.images.stored_name(request.url)
        if name is None:
            return None
        self.crawler.stats.inc_value("images/already_stored")
        return {"url": request.url, "path": name, "checksum": None, "status": "uptodate"}

    async def media_downloaded(self, response: Response, request: Request,
                               info: MediaPipeline.SpiderInfo, *, item: Any = None) -> dict[str, Any]:
        if response.status in PERMANENT_STATUSES:
            raise PermanentImageFailure(f"HTTP {response.status}")
        if response.status != 200:
            raise FileException(f"HTTP {response.status}")
        try:
            image = check_image(response.body)
        except NotAnImage as error:
            raise PermanentImageFailure(str(error)) from None
        self.checked[request.url] = image
        self.crawler.stats.inc_value("images/downloaded")
        return {"url": request.url, "path": None, "checksum": image.sha256, "status": "downloaded"}

    def media_failed(self, failure: Failure, request: Request,
                     info: MediaPipeline.SpiderInfo) -> None:
        """Log one line and return: raising would make Scrapy log a traceback as well."""
        if not failure.check(PermanentImageFailure):
            self.transient_failures.add(request.url)
        self._failed(request.url, failure.getErrorMessage())

    def item_completed(self, results: list[Any], item: Any, info: MediaPipeline.SpiderInfo) -> Any:
        fetched = {result["url"] for ok, result in results if ok and result}
        adapter = ItemAdapter(item)
        names, placements = {}, []
        for url in self._wanted(item):
            if url in self.transient_failures:
                self.transient_failures.discard(url)
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
        for url, error in self.images.write(placements).items():
            self._failed(url, f"cannot write the image: {error}")
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
    """Converts each article to its post and writes it through ``PostStore``.

    An ``ArticleGone`` only has its state recorded: the archived post stays as it is.
    """

    def __init__(self, archive_dir: Path, tags: list[str], bullet: str, crawler: Crawler):
        self.posts = PostStore(archive_dir / POST_FOLDER, open_index(archive_dir))
        self.captures = open_captures(archive_dir)
        self.tags = tags
        self.bullet = bullet
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PostPipeline:
        settings = crawler.settings
        return cls(Path(settings["ARCHIVE_DIR"]), settings.getlist("DEFAULT_TAGS"),
                   settings["MARKDOWN_BULLET"], crawler)

    def close_spider(self) -> None:
        self.posts.index.close()

    def process_item(self, item: ArticleItem | ArticleGone) -> ArticleItem | ArticleGone:
        if isinstance(item, ArticleGone):
            self.posts.index.set_article_state(item.key, item.url, item.reason)
            self._count(item.source, item.reason)
            return item
        article = item.article
        if article.published is None:
            self.stats.inc_value("posts/no_publish_time")
            raise DropItem(f"Not archived: {article.url} ({article.title!r}) states no publish "
                           "time, and a post is never given an invented date")
        if item.imported_page is not None:
            self.captures.add_resource(article.url, item.imported_page)
        names = {f["url"]: f["path"] for f in item.files}
        text = compose_post(article, names, item.tags or self.tags, self.bullet)
        try:
            outcome, path = self.posts.write(article, text, complete=not item.images_incomplete)
        except OSError as error:
            self.stats.inc_value("posts/write_failed")
            raise DropItem(f"Not archived: cannot write the post of {article.url}: {error}",
                           log_level="ERROR") from None
        if item.fetched_url:
            self.posts.index.add_link(item.fetched_url, article.key)
        self._count(item.source, outcome.value)
        if outcome is Outcome.KEPT:
            logger.warning("Kept the archived %s: the page fetched now has fewer images or "
                           "much less text (%s)", path, article.url)
        else:
            logger.info("Post %s: %s", outcome.value, path)
        return item

    def _count(self, source: str, outcome: str) -> None:
        self.stats.inc_value(f"posts/{outcome}")
        self.stats.inc_value(f"source/{source}/{outcome}")

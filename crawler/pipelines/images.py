"""Images: each article's pictures downloaded once a run (Scrapy's MediaPipeline), checked by
Pillow and handed to ``ImageStore``; what became of each URL, for every article showing it:
its file, as the index says, or its failure, as the run remembers."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections import Counter
from collections.abc import Collection, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

from itemadapter import ItemAdapter
from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DownloadCancelledError, IgnoreRequest
from scrapy.http import Response
from scrapy.pipelines.media import FileInfo, MediaPipeline
from twisted.internet.defer import Deferred, succeed
from twisted.python.failure import Failure

from crawler.config import Config
from crawler.items import ArticleItem, ImagesNotStored
from crawler.pipelines.imageresults import FailedImages, ImageResult
from crawler.report.imagefailures import ImageFailures
from crawler.report.logtext import counted
from crawler.report.tally import Stat
from crawler.run import Run, cause_of
from crawler.spiders.failures import shared_cause, too_large
from crawler.store.archive import Archive, Standing
from crawler.store.images import CheckedImage, NotAnImage, Placement, TooManyPixels, check_image
from crawler.store.index import ArticleState
from crawler.watch.watcher import SOURCE as WATCH
from crawler.wechat.urls import host_of

logger = logging.getLogger(__name__)


# Image answers that will not change on a later try.
PERMANENT_STATUSES = frozenset({404, 410})
# Tencent's image CDN answers an image it cannot serve with 200 and a picture of its own,
# its error in X-ErrNo; this one is for an image that no longer exists (X-Info: notexist).
GONE_ERRNO = "-6101"


class PermanentImageFailure(Exception):
    """An image that is gone or is not an image: retrying will not help."""


class TransientImageFailure(Exception):
    """An image that could not be had now (5xx, an unexpected status): a later run tries."""


class CdnFailing(TransientImageFailure):
    """The CDN answering 5xx or 429 (too many requests): no fault of the image, every image
    asked then may fail so."""


class ImageNotStored(Exception):
    """An image failure already recorded and reported by ``ImagePipeline``; ``result`` is
    what became of it, for another URL that Scrapy answered with this download."""

    def __init__(self, result: ImageResult):
        super().__init__(result.reason)
        self.result = result


def _over_a_limit(url: str, how: str) -> str:
    """Why the picture of ``url`` was not kept when it is larger than a setting allows
    (``how`` names it): which picture, and what keeps it."""
    return f"{url}: {how}: raise it and give the article again to keep the picture"


def _quiet(record: logging.LogRecord) -> bool:
    """MediaPipeline logs every failed download with its traceback; a failure the
    pipeline recorded is reported once, in the post's line, instead."""
    return not (record.exc_info and isinstance(record.exc_info[1], ImageNotStored))


class ImagePipeline(MediaPipeline):
    """Scrapy's MediaPipeline (concurrent downloads, each URL once a run) over ``ImageStore``.

    Not ImagesPipeline: that one re-encodes every picture, turning animated GIFs into still
    JPEGs; not FilesPipeline, whose file store would write what ``ImageStore`` writes. The
    bytes are kept as they came, after Pillow has checked them. Downloads run concurrently,
    but an article's new images are named in page order once all of them are in, so which
    name two identical files share never depends on which download finished first; then
    they are written together. Each URL has one result a run: a stored file, which the
    index tells every later article showing the image (without asking the CDN), or a
    failure that the run remembers on disk (``failed``). Once an article is done, neither
    this pipeline nor MediaPipeline's cache of downloads keeps anything of its images that
    no article in process shares, so that memory grows neither with the articles of a run
    nor with its failures.
    """

    def __init__(self, archive: Archive, config: Config, *, crawler: Crawler):
        super().__init__(crawler=crawler)
        logging.getLogger("scrapy.pipelines.media").addFilter(_quiet)
        self.image_hosts = frozenset(config.image_hosts)
        self.max_pixels = config.image_max_pixels
        self.max_size = config.download_maxsize
        self.archive = archive
        self.images = archive.images
        # Per download (by its request's fingerprint): its image checked, for each URL of
        # the items in process that it answers (``?a=1&b=2`` and ``?b=2&a=1`` are one).
        self.results: dict[bytes, CheckedImage] = {}
        # and the URLs it was placed for: once each, the index records the article it was for
        self.placed: dict[bytes, set[str]] = {}
        self.failed = FailedImages(Run.of(crawler).memory_refused)
        # The ``ImageResult.shared`` causes said so far this run.
        self.causes_said: set[str] = set()
        self.failing = ImageFailures(archive.index, config.image_retry_warn_days)
        # Per item being processed (by id): the image URLs it wants (on IMAGE_HOSTS, in page
        # order, chosen once), each with its request's fingerprint; and
        # how many of those items each fingerprint is one of.
        self.fingerprints: dict[int, dict[str, bytes]] = {}
        self.holders: Counter[bytes] = Counter()
        # Per item being processed: the files of its images already stored (``_stored_names``).
        self.stored: dict[int, dict[str, str]] = {}
        # Writing an article's images waits on the disk (each file fsynced): on a thread, so
        # that the reactor goes on. One thread: articles' writes are done in the order they
        # were placed, so an article showing an image another placed before it reads what
        # became of that write once its own (later) writes are done.
        self.writer = Run.of(crawler).writer("images")
        # Pillow's check of each picture downloaded, off the reactor's thread: Pillow lets go
        # of the interpreter's lock as it decodes (a 640-wide JPEG: 1 ms, an animated GIF:
        # tens), and the reactor reads pages meanwhile. Not on ``writer``: a check would wait
        # there behind articles' files being fsynced.
        self.checker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="image-checks")
        crawler.signals.connect(self.close, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ImagePipeline:
        run = Run.of(crawler)
        return cls(run.archive, run.config, crawler=crawler)

    async def process_item(self, item: Any, spider: Any = None) -> Any:
        if not isinstance(item, ArticleItem):
            return item
        standing = self.archive.standing(item.article.key)
        left = self.archive.images_left_on_cdn(standing)
        urls = dict.fromkeys([*item.file_urls, *left])
        if item.source == WATCH:  # it looks at the original: images lost for good stay lost
            for url in self.archive.images_lost(standing):
                urls.pop(url, None)
        item.file_urls = list(urls)
        told = list(urls) if self._fetched_again(item, standing) else left
        try:
            return await self.finish(item, await super().process_item(item), told=told)
        finally:
            self._release(item)

    def _release(self, item: ArticleItem) -> None:
        """Forget the downloads of ``item``'s images that no other item in process shares.
        MediaPipeline keeps every download's result for the run, a failure with its
        traceback: a stored image is the index's to tell, a failed one ``failed``'s. One
        that another item shares is kept for it: MediaPipeline yields to the loop between
        finding a download in its cache and reading it, and the image is placed from
        ``results`` for each item's own URL."""
        self.stored.pop(id(item), None)
        for fingerprint in set(self.fingerprints.pop(id(item), {}).values()):
            self.holders[fingerprint] -= 1
            if self.holders[fingerprint] <= 0:
                del self.holders[fingerprint]
                self.spiderinfo.downloaded.pop(fingerprint, None)
                self.results.pop(fingerprint, None)
                self.placed.pop(fingerprint, None)

    def _fetched_again(self, item: ArticleItem, standing: Standing) -> bool:
        """Whether ``item`` is the page the last fetch of its complete article (``standing``)
        gave: an image of it that fails for good failed so then, and that run said it (a post
        kept from an earlier page does not show it, so ``images_lost`` does not know it)."""
        if item.imported_page is not None or item.from_capture:
            return False
        try:
            return standing.state == ArticleState.ARCHIVED \
                and self.archive.watched.fetched_before(item.article)
        except sqlite3.Error:
            return False  # said again, rather than not at all

    async def finish(self, item: ArticleItem, placements: list[Placement],
                     told: Collection[str] = ()) -> ArticleItem:
        """Write what ``item_completed`` placed, then say what became of each image (``told``:
        those the post left on the CDN, their failure said by the run that did)."""
        errors = await asyncio.get_running_loop().run_in_executor(
            self.writer, self.images.write, placements)
        for url, write_error in errors.items():  # the archive cannot be written: fails the run
            Run.of(self.crawler).tally.count(Stat.IMAGES_WRITE_FAILED)
            self._failed(url, ImageResult(transient=True, reason=f"cannot write the image: {write_error}",
                                          refused=cause_of(write_error)))
        return self._reported(item, told, {placement.url: placement.name for placement in placements})

    def close(self) -> None:
        self.checker.shutdown(wait=True)
        self.writer.shutdown(wait=True)
        self.failed.close()

    def get_media_requests(self, item: Any, info: MediaPipeline.SpiderInfo) -> list[Request]:
        # The CDN answers a foreign Referer with a "not allowed" placeholder picture, and
        # AutoThrottle must not slow the CDN down to the pace of article pages; "image": a
        # redirect stays on IMAGE_HOSTS (crawler/middlewares.py).
        meta = {"referrer_policy": "no-referrer", "autothrottle_dont_adjust_delay": True,
                "image": True}
        # A picture the saved page holds goes with its request: ``media_failed``, which
        # stands in for it when the CDN fails, is not given the item.
        held = item.imported_page.images if isinstance(item, ArticleItem) and item.imported_page else {}
        urls = ItemAdapter(item).get("file_urls") or []
        requests = {url: Request(url, meta={**meta, "held": held[url]} if url in held else meta)
                    for url in urls if host_of(url) in self.image_hosts}
        # Scrapy's fingerprinter keeps what it works out per request: MediaPipeline then
        # finds these, and ``process_item`` forgets the downloads by them.
        fingerprint = self.crawler.request_fingerprinter.fingerprint
        self.fingerprints[id(item)] = fingerprints = {url: fingerprint(r) for url, r in requests.items()}
        self.holders.update(set(fingerprints.values()))
        return list(requests.values())

    def media_to_download(self, request: Request, info: MediaPipeline.SpiderInfo, *,
                          item: Any = None) -> Deferred[FileInfo | None] | None:
        name = self._stored_names(item).get(request.url)
        if name is None:
            fingerprint = self.crawler.request_fingerprinter.fingerprint(request)
            if (failed := self.failed.get(request.url, fingerprint)) is not None:  # by an article done
                raise ImageNotStored(failed)
            return None
        Run.of(self.crawler).tally.count(Stat.IMAGES_ALREADY_STORED)
        return succeed(FileInfo(url=request.url, path=name, checksum=None, status="uptodate"))

    async def media_downloaded(self, response: Response, request: Request,
                               info: MediaPipeline.SpiderInfo, *, item: Any = None) -> FileInfo:
        image = await self._checked(response, request.url)
        Run.of(self.crawler).tally.count(Stat.IMAGES_DOWNLOADED)
        self.results[self.crawler.request_fingerprinter.fingerprint(request)] = image
        return FileInfo(url=request.url, path="", checksum=image.sha256, status="downloaded")

    def _stored_names(self, item: Any) -> dict[str, str]:
        """The files already holding ``item``'s images, by URL: the index asked once an
        article, as its first image's turn comes. One stored meanwhile by another article in
        process is not missed: that article keeps its download for this one (``holders``)."""
        names = self.stored.get(id(item))
        if names is None:
            names = self.stored[id(item)] = self.images.stored_names(list(self.fingerprints[id(item)]))
        return names

    def _held_image(self, request: Request) -> CheckedImage | None:
        """The picture of ``request`` an imported page holds: the one copy left when the
        CDN no longer serves it (an article taken down) or cannot be reached (offline)."""
        held = request.meta.get("held")
        try:
            return check_image(held, self.max_pixels) if held is not None else None
        except NotAnImage:
            return None

    async def _checked(self, response: Response, url: str) -> CheckedImage:
        if response.status in PERMANENT_STATUSES:
            raise PermanentImageFailure(f"HTTP {response.status}")
        if response.status >= 500 or response.status == 429:
            raise CdnFailing(f"HTTP {response.status}")
        if response.status != 200:
            raise TransientImageFailure(f"HTTP {response.status}")
        errno = (response.headers.get("X-ErrNo") or b"0").decode("latin-1").strip()
        if errno not in ("", "0"):
            failure = PermanentImageFailure if errno == GONE_ERRNO else TransientImageFailure
            raise failure(f"the CDN's picture for X-ErrNo {errno}, not the image")
        try:
            return await asyncio.get_running_loop().run_in_executor(
                self.checker, check_image, response.body, self.max_pixels)
        except TooManyPixels as error:
            raise PermanentImageFailure(_over_a_limit(url, str(error))) from None
        except NotAnImage as error:
            # Its length unsaid, it ended where the connection closed: maybe cut short on the way.
            failure = TransientImageFailure if "partial" in response.flags else PermanentImageFailure
            raise failure(str(error)) from None

    # Scrapy types it as returning a Failure (deprecated) or raising; returning nothing is
    # what it takes as the download having succeeded.
    def media_failed(self, failure: Failure, request: Request,  # type: ignore[override]
                     info: MediaPipeline.SpiderInfo) -> None:
        """Take the picture from the saved page that holds it; else record what became of
        the image, and raise it as ``ImageNotStored``: the post's one line says it,
        MediaPipeline's traceback of it is left out (``_quiet``)."""
        message = failure.getErrorMessage()
        over = too_large(failure, self.max_size)
        reason = _over_a_limit(request.url, over) if over else message or type(failure.value).__name__
        if (held := self._held_image(request)) is not None:
            logger.info("Image taken from the saved page, as the CDN failed (%s): %s",
                        reason, request.url)
            self.results[self.crawler.request_fingerprinter.fingerprint(request)] = held
            return None  # not stored yet: ``item_completed`` places it
        # Scrapy cancels a download for one reason: it is over DOWNLOAD_MAXSIZE, as it will be
        # on every later try; an image request is ignored when redirected off IMAGE_HOSTS or
        # in a loop (crawler/middlewares.py, RedirectMiddleware).
        lasting = failure.check(PermanentImageFailure, DownloadCancelledError, IgnoreRequest)
        shared = shared_cause(failure) or (message if failure.check(CdnFailing) else None)
        result = ImageResult(transient=not lasting, reason=reason,
                             shared=shared and f"{shared} from {host_of(request.url)}")
        self._failed(request.url, result, self.crawler.request_fingerprinter.fingerprint(request))
        raise ImageNotStored(result)

    def file_path(self, request: Request, response: Response | None = None,
                  info: MediaPipeline.SpiderInfo | None = None, *, item: Any = None) -> str:
        """The file of ``request``'s image once it has one, else ""."""
        return self.images.stored_name(request.url) or ""

    def item_completed(self, results: list[Any], item: Any,
                       info: MediaPipeline.SpiderInfo) -> list[Placement]:
        """The item's new images named, in page order, and recorded in the index: what is
        left to write (``process_item`` writes it). Each under its own URL, also one Scrapy
        answered with another URL's download or failure: ``?a=1&b=2`` and ``?b=2&a=1`` are
        one request to it, downloaded once."""
        new = {}
        wanted = self.fingerprints[id(item)]
        for (url, fingerprint), (ok, outcome) in zip(wanted.items(), results, strict=True):
            if not ok:
                self._not_downloaded(url, outcome)
                continue
            image = self.results.get(fingerprint)
            placed = self.placed.setdefault(fingerprint, set())
            if image is None or url in placed:  # stored already: the index names its file
                continue
            placed.add(url)
            new[url] = image
        return self._placed(new, item.article.key)

    def _placed(self, new: dict[str, CheckedImage], key: str) -> list[Placement]:
        """``new`` images placed for the article ``key``, recorded in one transaction: one
        commit to the index's WAL an article, not three a picture, each of which the reactor
        waited on. Should recording fail (a full disk, an index locked too long), none is."""
        try:
            with self.archive.index.transaction():
                placements, unread = self.images.place_all(new, key)
        except sqlite3.Error as error:
            for url in new:
                self._not_recorded(url, error)
            return []
        for url, reading in unread.items():
            self._failed(url, ImageResult(transient=True, reason=f"cannot store the image: {reading}"))
        return placements

    def _not_downloaded(self, url: str, failure: Failure) -> None:
        """Record what became of ``url``'s image when its download, or another URL's that
        answered it, failed: as ``media_failed`` recorded it, else (the index unreadable as
        ``media_to_download`` asked it; Scrapy's traceback says where) for its error."""
        if url in self.failed:
            return
        if isinstance(failure.value, ImageNotStored):
            self._failed(url, failure.value.result)
        else:
            reason = f"{type(failure.value).__name__}: {failure.getErrorMessage()}"
            self._failed(url, ImageResult(transient=True, reason=reason, refused=reason))

    def _not_recorded(self, url: str, error: sqlite3.Error) -> None:
        Run.of(self.crawler).tally.count(Stat.STATE_WRITE_FAILED)
        level = Run.of(self.crawler).error_level("record", error)  # as StateWrites says it
        logger.log(level, "Not recorded for %s: %s", url, error)
        self._failed(url, ImageResult(transient=True, reason=f"cannot record the image: {error}",
                                      refused=cause_of(error)))

    def _reported(self, item: ArticleItem, told: Collection[str],
                  placed: Mapping[str, str]) -> ArticleItem:
        """The item with the files its images are in (``placed``: those it placed now, by
        URL; the index names the others), incomplete if one failed for a reason that may
        pass; those that failed for ``PostPipeline`` to say (``ImagesNotStored``), an ERROR
        if the archive refused one for a cause not said yet this run (``Run.error_level``),
        else at INFO when it says nothing new: each failed for good again after the run that
        left it on the CDN, or that fetched the same page, said so, or for a reason that may
        pass again since a run said so (``ImageFailures``), or for a cause many share that an
        earlier post's line said (the mail gets one line a cause, the summary counts every
        image)."""
        wanted = self.fingerprints[id(item)]  # its image URLs, as get_media_requests chose them
        adapter = ItemAdapter(item)
        stored, failed, news, days = {}, [], False, 0
        for url in wanted:
            result = self.failed.get(url)
            if result is not None:
                failed.append(result)
                if result.refused is None and result.transient:  # said once IMAGE_RETRY_WARN_DAYS
                    fresh, days = result.warn_days is not None, max(days, result.warn_days or 0)
                else:
                    fresh = url not in told
                news = news or result.refused is None and fresh and result.shared not in self.causes_said
                adapter["images_incomplete"] = adapter["images_incomplete"] or result.transient
            elif name := placed.get(url) or self.images.index.image_name(url):  # written, or a failure above
                stored[url] = name
        adapter["files"] = [{"url": url, "path": name} for url, name in stored.items()]
        if failed:
            reasons = list(dict.fromkeys(result.reason for result in failed))
            named = reasons[:2]
            refused = tuple(result.refused for result in failed if result.refused is not None)
            # a cause is said by the line that names it, not by one counting it among others
            self.causes_said.update(result.shared for result in failed
                                    if result.shared and result.reason in named)
            adapter["images_not_stored"] = ImagesNotStored(
                len(failed), len(wanted), "; ".join(named)
                + (f"; {counted(len(reasons) - 2, 'other reason')}" if len(reasons) > 2 else "")
                + (f"; failing for {counted(days, 'day')}" if days and (news or refused) else ""),
                logging.WARNING if news else logging.INFO, refused)
        return item

    def _failed(self, url: str, result: ImageResult, fingerprint: bytes | None = None) -> None:
        """Record and count, once a run, an image that could not be stored (``fingerprint``:
        its download's, when that failed)."""
        if result.transient and result.refused is None:
            result = replace(result, warn_days=self.failing.to_say(url))
            if result.warn_days is None:
                Run.of(self.crawler).tally.count(Stat.IMAGES_FAILING)
        self.failed.put(url, result, fingerprint)
        Run.of(self.crawler).tally.count(Stat.IMAGES_FAILED)
        logger.debug("Image not stored: %s (%s)", url, result.reason)

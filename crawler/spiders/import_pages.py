"""``scrapy crawl import -a path=FILE_OR_FOLDER`` (or ``-a paths_file=LIST``): archive saved pages.
``-a tags=a,b`` gives them tags as an account's configuration does.

For pages of WeChat articles kept elsewhere, as browsers save them (``.html``, ``.htm``,
``.mhtml``): each is archived as if fetched from its canonical URL (images are downloaded
as in a crawl), and its HTML is kept as a capture so that ``scrapy rebuild`` can render it
again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import scrapy
from scrapy.http import Response

from crawler.config import Config
from crawler.items import ArticleItem, StateRecord, TagsAsked
from crawler.report.tally import Stat
from crawler.run import Run
from crawler.settingread import from_home
from crawler.spiders.arguments import ArgumentError, NothingGiven, check_known, list_file, tags_given
from crawler.spiders.base import WeChatSpider
from crawler.wechat.article import NotAnArticle, PageReason
from crawler.wechat.page import parse_page
from crawler.wechat.saved import (
    SAVED_PAGE_SUFFIXES,
    SavedPageError,
    image_files,
    read_saved_page,
    saved_pages_in,
)
from crawler.wechat.urls import article_key, web_url


@dataclass(frozen=True)
class ImportParams:
    """The saved pages named by ``-a path=`` (a file or folder) and ``-a paths_file=``, and
    the tags of ``-a tags=`` (comma-separated). ``urls``: the lines of ``paths_file`` that
    are web URLs, each said as given (made a path, ``http://`` read ``http:/``)."""

    pages: tuple[Path, ...]
    max_size: int
    max_parts: int
    tags: tuple[str, ...] = ()
    urls: tuple[str, ...] = ()

    @classmethod
    def from_arguments(cls, arguments: Mapping[str, Any], config: Config) -> ImportParams:
        check_known(arguments, ("path", "paths_file", "tags"))
        path, paths_file = arguments.get("path"), arguments.get("paths_file")
        if not path and not paths_file:
            raise ArgumentError("give saved pages with -a path=FILE_OR_FOLDER or -a paths_file=LIST")
        pages: list[Path] = []
        urls: list[str] = []
        if path:
            if web_url(path):
                raise ArgumentError(not_a_page(path))
            given = from_home(path)
            if given.is_dir():
                pages += saved_pages_in(given)
            elif given.is_file():
                pages.append(given)
            elif given.exists():
                raise ArgumentError(f"neither a file nor a folder (a FIFO, a device): {path!r}")
            elif given.is_symlink():
                raise ArgumentError("a symbolic link that leads to no file or folder (its target "
                                    f"is gone, or a loop): {path!r}")
            else:
                raise ArgumentError(f"no such file or folder: {path!r}")
        if paths_file:
            # a file's name is the bytes the file system holds (a GBK name unzipped here), as
            # a program listing them (find) writes them
            for _, line in list_file(from_home(paths_file), "paths_file", "surrogateescape"):
                if web_url(line):
                    urls.append(line)
                else:
                    pages.append(from_home(line))
        if not pages and not urls:
            below = _held_below(from_home(path)) if path else ""
            raise NothingGiven(f"no saved pages ({', '.join(SAVED_PAGE_SUFFIXES)}) "
                                f"in {path or paths_file!r}{below}")
        return cls(tuple(pages), config.import_maxsize, config.import_max_parts,
                   tags_given(arguments), tuple(urls))


def _held_below(folder: Path) -> str:
    """What a folder of no saved page says of its subfolders that hold some (a drop folder
    sorted by month, one of pages done): they are not read."""
    try:
        held = sorted(repr(sub.name) for sub in folder.iterdir() if sub.is_dir() and saved_pages_in(sub))
    except OSError:  # a subfolder this user may not read: said of none
        held = []
    return f" (its subfolders are not read; saved pages are in {', '.join(held)}: give each)" if held else ""


def not_a_page(url: str) -> str:
    """Why ``url``, given to an import, is not imported: where an article's URL goes."""
    return (f"{url!r} is a URL, not a saved page: give article URLs to scrapy crawl article "
            "-a url=URL (or -a urls_file=LIST)")


class ImportSpider(WeChatSpider):
    name = "import"
    Params = ImportParams
    fetches_articles = False
    params: ImportParams

    async def start(self) -> AsyncIterator[scrapy.Request]:
        # The pages are read in the callback of one request for nothing: items a spider's
        # start() yields are not followed by a check whether the crawl is over, so the
        # engine would end it only at its next heartbeat, seconds later.
        yield scrapy.Request("data:,", callback=self.read_pages, dont_filter=True)

    def read_pages(self, response: Response) -> Iterator[ArticleItem | StateRecord | TagsAsked]:
        # What the progress line and the exit status count: pages, not requests.
        given = len(self.params.pages) + len(self.params.urls)
        self.tally.set(Stat.IMPORT_PAGES, given)
        self.tally.set(Stat.ARTICLES_REQUESTED, given)
        for url in self.params.urls:
            self.tally.count(Stat.ARTICLES_HANDLED)
            self._refuse(not_a_page(url))
        for path in self.params.pages:
            self.tally.count(Stat.ARTICLES_HANDLED)
            try:
                saved = read_saved_page(path, self.params.max_size, self.params.max_parts)
            except SavedPageError as error:
                self._refuse(str(error))
                continue
            # The URL a browser saved it from names the article when the page itself does not.
            page = parse_page(saved.html, saved.url or path.absolute().as_uri(), saved.saved_at)
            if isinstance(page, NotAnArticle):
                yield from self._no_article(path, saved.url, page)
                continue
            if not (page.biz and page.mid and page.idx):
                self._refuse(f"{path} names no article (no __biz/mid/idx), so it has no URL to "
                             "be archived under")
                continue
            if page.body is not None and not saved.images:
                saved = replace(saved, images=image_files(path, page.body, self.params.max_size))
            if page.published_shown and page.published:
                self.logger.info("Dated to the day only: %s showed %r when saved on %s, so it is "
                                 "dated %s", path, page.published_shown,
                                 f"{saved.saved_at:%Y-%m-%d %H:%M %z}", f"{page.published:%Y-%m-%d}")
            yield ArticleItem(article=page, file_urls=list(page.image_urls), source="import",
                              tags=list(self.params.tags), imported_page=saved)
            yield from self.discovered(page, None)

    def _no_article(self, path: Path, url: str, page: NotAnArticle) -> Iterator[TagsAsked]:
        """A saved page that shows no article is refused; but one saved from the link (``url``)
        of an archived article, its "deleted" notice or WeChat's check, is a worse page of
        it, as one that lost its pictures is: the post stands, kept, given the tags asked."""
        # WeChat's check, served to the person who saved it: no crawler is challenged.
        checked = page.reason is PageReason.VERIFICATION
        what = "WeChat's verification page, saved instead of the article" if checked else page.message
        key = (article_key(url) or self.index.link_key(url)) if url else None
        post = Run.of(self.crawler).archive.places.placed(key) if key else None
        if key is None or post is None:
            again = " (save it again once the check is passed)" if checked else ""
            self._refuse(f"{path} is {what}{again}")
            return
        self.logger.warning("Kept the archived %s: the saved page imported now is %s (%s)", post, what, path)
        self.tally.count(Stat.POSTS_KEPT, source="import")
        if self.params.tags:
            yield TagsAsked(key, self.params.tags)

    def _refuse(self, why: str) -> None:
        self.logger.warning("Not imported: %s", why)
        self.tally.count(Stat.PAGES_NOT_IMPORTED, source="import")

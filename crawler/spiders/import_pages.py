"""``scrapy crawl import -a path=FILE_OR_FOLDER`` (or ``-a paths_file=LIST``): archive saved pages.

For pages of WeChat articles kept elsewhere, as browsers save them (``.html``, ``.htm``,
``.mhtml``): each is archived as if fetched from its canonical URL (images are downloaded
as in a crawl), and its HTML is kept as a capture so that ``scrapy rebuild`` can render it
again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from scrapy.settings import BaseSettings

from crawler.items import ArticleItem
from crawler.spiders.arguments import ArgumentError
from crawler.spiders.base import WeChatSpider
from crawler.wechat.article import NotAnArticle
from crawler.wechat.page import parse_page
from crawler.wechat.saved import (
    SAVED_PAGE_SUFFIXES,
    SavedPageError,
    read_saved_page,
    saved_pages_in,
)


class ImportSpider(WeChatSpider):
    name = "import"

    @classmethod
    def check_arguments(cls, kwargs: dict[str, Any], settings: BaseSettings) -> list[Path]:
        return saved_pages(kwargs.get("path"), kwargs.get("paths_file"))

    async def start(self) -> AsyncIterator[ArticleItem]:
        for path in self.targets:
            try:
                saved = read_saved_page(path)
            except SavedPageError as error:
                self.logger.warning("Not imported: %s", error)
                continue
            # The URL a browser saved it from names the article when the page itself does not.
            page = parse_page(saved.html, saved.url or path.absolute().as_uri())
            if isinstance(page, NotAnArticle):
                self.logger.warning("Not imported: %s is %s", path, page.message)
                self.crawler.stats.inc_value(f"pages/{page.reason}")
                continue
            if not (page.biz and page.mid and page.idx):
                self.logger.warning("Not imported: %s names no article (no __biz/mid/idx), so it "
                                    "has no URL to be archived under", path)
                continue
            yield ArticleItem(article=page, file_urls=list(page.image_urls), source="import",
                              imported_page=saved.html)


def saved_pages(path: str | None, paths_file: str | None) -> list[Path]:
    """The saved pages named by ``-a path=`` (a file or a folder) and ``-a paths_file=``."""
    if not path and not paths_file:
        raise ArgumentError("give saved pages with -a path=FILE_OR_FOLDER or -a paths_file=LIST")
    pages: list[Path] = []
    if path:
        given = Path(path)
        if given.is_dir():
            pages += saved_pages_in(given)
        elif given.is_file():
            pages.append(given)
        else:
            raise ArgumentError(f"no such file or folder: {path!r}")
    if paths_file:
        try:
            lines = Path(paths_file).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as error:
            raise ArgumentError(f"cannot read paths_file {paths_file!r}: {error}") from None
        pages += [Path(line.strip()) for line in lines if line.strip() and not line.startswith("#")]
    if not pages:
        raise ArgumentError(f"no saved pages ({', '.join(SAVED_PAGE_SUFFIXES)}) in {path!r}")
    return pages

"""``scrapy crawl import -a path=FILE_OR_FOLDER`` (or ``-a paths_file=LIST``): archive saved pages.

For pages of WeChat articles kept elsewhere, as browsers save them (``.html``, ``.htm``,
``.mhtml``): each is archived as if fetched from its canonical URL (images are downloaded
as in a crawl), and its HTML is kept as a capture so that ``scrapy rebuild`` can render it
again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crawler.config import Config
from crawler.items import ArticleItem
from crawler.spiders.arguments import ArgumentError, check_known, list_file
from crawler.spiders.base import WeChatSpider
from crawler.wechat.article import NotAnArticle
from crawler.wechat.page import parse_page
from crawler.wechat.saved import (
    SAVED_PAGE_SUFFIXES,
    SavedPageError,
    read_saved_page,
    saved_pages_in,
)


@dataclass(frozen=True)
class ImportParams:
    """The saved pages named by ``-a path=`` (a file or folder) and ``-a paths_file=``."""

    pages: tuple[Path, ...]
    max_size: int
    max_parts: int

    @classmethod
    def from_arguments(cls, arguments: Mapping[str, Any], config: Config) -> ImportParams:
        check_known(arguments, ("path", "paths_file"))
        path, paths_file = arguments.get("path"), arguments.get("paths_file")
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
            pages += [Path(line) for _, line in list_file(Path(paths_file), "paths_file")]
        if not pages:
            raise ArgumentError(f"no saved pages ({', '.join(SAVED_PAGE_SUFFIXES)}) in {path!r}")
        return cls(tuple(pages), config.import_maxsize, config.import_max_parts)


class ImportSpider(WeChatSpider):
    name = "import"
    Params = ImportParams
    fetches_articles = False
    params: ImportParams

    async def start(self) -> AsyncIterator[ArticleItem]:
        for path in self.params.pages:
            try:
                saved = read_saved_page(path, self.params.max_size, self.params.max_parts)
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

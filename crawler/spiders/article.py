"""``scrapy crawl article -a url=URL`` (or ``-a urls_file=PATH``): fetch articles to archive."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Response, TextResponse
from scrapy.settings import BaseSettings
from twisted.python.failure import Failure

from crawler.items import ArticleItem
from crawler.spiders.arguments import ArgumentError
from crawler.wechat.article import NotAnArticle
from crawler.wechat.page import parse_page
from crawler.wechat.urls import BadArticleURL, article_link


class ArticleSpider(scrapy.Spider):
    """Fetches the given article URLs, every time: re-archiving is what the user asked for."""

    name = "article"

    @classmethod
    def check_arguments(cls, kwargs: dict[str, Any], settings: BaseSettings) -> list[str]:
        """The article URLs to fetch; ``ArgumentError`` if the arguments cannot be used."""
        return article_urls(kwargs.get("url"), kwargs.get("urls_file"),
                            settings.getlist("ARTICLE_HOSTS"))

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> ArticleSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.urls = cls.check_arguments(kwargs, crawler.settings)
        return spider

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.urls:
            yield scrapy.Request(url, callback=self.parse_article, errback=self.fetch_failed,
                                 dont_filter=True)

    def parse_article(self, response: Response) -> Iterator[ArticleItem]:
        page = parse_page(response.text, response.url) if isinstance(response, TextResponse) \
            else NotAnArticle("unknown", f"not an HTML page ({response.headers.get('Content-Type')!r})")
        if isinstance(page, NotAnArticle):
            self.logger.warning("Not archived: %s is %s", response.url, page.message)
            self.crawler.stats.inc_value(f"pages/{page.reason}")
            return
        yield ArticleItem(article=page, file_urls=list(page.image_urls))

    def fetch_failed(self, failure: Failure) -> None:
        self.logger.warning("Not archived: could not fetch %s: %s",
                            failure.request.url, failure.getErrorMessage())
        self.crawler.stats.inc_value("pages/fetch_failed")


def article_urls(url: str | None, urls_file: str | None, hosts: list[str]) -> list[str]:
    """The validated article URLs given by ``-a url=`` and/or ``-a urls_file=``."""
    if not url and not urls_file:
        raise ArgumentError("give an article with -a url=URL or a list with -a urls_file=PATH")
    urls = []
    try:
        if url:
            urls.append(article_link(url, hosts))
        if urls_file:
            urls += _urls_from_file(Path(urls_file), hosts)
    except BadArticleURL as error:
        raise ArgumentError(str(error)) from None
    return list(dict.fromkeys(urls))


def _urls_from_file(path: Path, hosts: list[str]) -> list[str]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise ArgumentError(f"cannot read urls_file {str(path)!r}: {error}") from None
    urls = []
    for number, line in enumerate(lines, 1):
        line = line.strip()
        if line and not line.startswith("#"):
            try:
                urls.append(article_link(line, hosts))
            except BadArticleURL as error:
                raise BadArticleURL(f"{path}:{number}: {error}") from None
    return urls

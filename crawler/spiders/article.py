"""``scrapy crawl article -a url=URL`` (or ``-a urls_file=PATH``): archive the given articles.

Given articles are always fetched again: re-archiving is what the user asked for.
With ``-a follow_albums=true``, every album an article's page lists is archived too.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import scrapy
from scrapy.crawler import Crawler
from scrapy.settings import BaseSettings

from crawler.spiders.arguments import ArgumentError, flag
from crawler.spiders.base import WeChatSpider
from crawler.wechat.urls import BadArticleURL, article_link


class ArticleSpider(WeChatSpider):
    name = "article"

    @classmethod
    def check_arguments(cls, kwargs: dict[str, Any], settings: BaseSettings) -> list[str]:
        """The article URLs to fetch; ``ArgumentError`` if the arguments cannot be used."""
        flag(kwargs, "follow_albums")
        return article_urls(kwargs.get("url"), kwargs.get("urls_file"),
                            settings.getlist("ARTICLE_HOSTS"))

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> ArticleSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.follow_albums = flag(kwargs, "follow_albums")
        return spider

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.targets:
            yield self.article_request(url, "url")


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

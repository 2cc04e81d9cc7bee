"""``scrapy crawl article -a url=URL`` (or ``-a urls_file=PATH``): archive the given articles.

Given articles are always fetched again: re-archiving is what the user asked for.
With ``-a follow_albums=true``, every album an article's page lists is archived too.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import scrapy

from crawler.accounts import Account
from crawler.config import Config
from crawler.report.tally import Stat, named_by_user
from crawler.settingread import from_home
from crawler.spiders.arguments import (
    ArgumentError,
    Given,
    NothingGiven,
    check_known,
    flag,
    list_file,
    tags_given,
)
from crawler.spiders.base import WeChatSpider
from crawler.wechat.article import Article
from crawler.wechat.listing import album_url
from crawler.wechat.urls import BadArticleURL, article_key, article_link, host_of, lacks_chksm


@dataclass(frozen=True)
class ArticleParams:
    """The articles given; ``tags``: those of ``-a tags=``, given their posts as an account's
    tags would be (not to the articles of the albums followed)."""

    urls: tuple[str, ...]
    follow_albums: bool = False
    tags: tuple[str, ...] = ()

    @classmethod
    def from_arguments(cls, arguments: Mapping[str, Any], config: Config) -> ArticleParams:
        check_known(arguments, ("url", "urls_file", "follow_albums", "tags"))
        url, urls_file = arguments.get("url"), arguments.get("urls_file")
        if not url and not urls_file:
            raise ArgumentError("give an article with -a url=URL or a list with -a urls_file=PATH")
        urls = []
        try:
            if url:
                urls.append(article_link(url, config.article_hosts))
            if urls_file:
                for number, line in list_file(from_home(urls_file), "urls_file"):
                    try:
                        urls.append(article_link(line, config.article_hosts))
                    except BadArticleURL as error:
                        raise BadArticleURL(f"{urls_file}:{number}: {error}") from None
        except BadArticleURL as error:
            raise ArgumentError(str(error)) from None
        if not urls:
            raise NothingGiven(f"{urls_file!r} lists no URL")
        return cls(urls=_each_once(urls), follow_albums=flag(arguments, "follow_albums"),
                   tags=tags_given(arguments))

    @property
    def given(self) -> Given:
        return Given(len(self.urls), "URL")


def _each_once(urls: list[str]) -> tuple[str, ...]:
    """Each article once, where it was first given, by a link with ``chksm`` if any of its
    links has one: WeChat may refuse the link without (``lacks_chksm``). A short link is
    its token on its host, over http or https."""
    chosen: dict[str, str] = {}
    for url in urls:
        article = article_key(url) or f"{host_of(url)}{urlsplit(url).path}"
        if article not in chosen or lacks_chksm(chosen[article]) and not lacks_chksm(url):
            chosen[article] = url
    return tuple(chosen.values())


class ArticleSpider(WeChatSpider):
    name = "article"
    Params = ArticleParams
    params: ArticleParams

    async def start(self) -> AsyncIterator[scrapy.Request]:
        self.tally.set(Stat.ARTICLES_GIVEN, len(self.params.urls))  # for the exit status
        for request in self.short_links_first(lambda: (
                (number, self.article_request(url, "url", refetch=True))
                for number, url in enumerate(self.params.urls))):
            yield request

    @property
    def follow_albums(self) -> bool:
        return bool(self.params.follow_albums)

    def tags_asked(self, source: str) -> list[str]:
        return list(self.params.tags) if named_by_user(source) else []

    def discovered(self, article: Article, account: Account | None) -> Iterator[Any]:
        """What a fetched article leads to, and its albums, read now with
        ``-a follow_albums=true``."""
        yield from super().discovered(article, account)
        if self.follow_albums and article.biz:
            for album in article.albums:
                request = self.album_request(album_url(self.config.wechat_base_url, article.biz,
                                                       album.id), account, remembered=True)
                if request is not None:
                    yield request

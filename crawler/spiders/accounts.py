"""``scrapy crawl accounts``: the scheduled run over the accounts of ``ACCOUNTS_FILE``.

Per account it reads the albums, the extra article URLs, the RSS/Atom feeds and, when a
back-office token and cookie are set, the MP back-office list. A source that fails is
logged and skipped; the others go on.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.settings import BaseSettings

from crawler.accounts import Account, AccountsError, load_accounts
from crawler.spiders.arguments import ArgumentError
from crawler.spiders.base import WeChatSpider
from crawler.wechat.listing import Entry, ListingError, entry, parse_feed, parse_publish_list, \
    publish_list_url


class AccountsSpider(WeChatSpider):
    name = "accounts"

    @classmethod
    def check_arguments(cls, kwargs: dict[str, Any], settings: BaseSettings) -> list[Account]:
        path = Path(kwargs.get("file") or settings["ACCOUNTS_FILE"])
        try:
            return load_accounts(path, settings["WECHAT_BASE_URL"], settings.getlist("ARTICLE_HOSTS"))
        except AccountsError as error:
            raise ArgumentError(str(error)) from None

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> AccountsSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        spider.base_url = settings["WECHAT_BASE_URL"]
        spider.mp_token = settings["MP_TOKEN"] or os.environ.get("WECHAT_MP_TOKEN", "")
        spider.mp_cookie = settings["MP_COOKIE"] or os.environ.get("WECHAT_MP_COOKIE", "")
        return spider

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for account in self.targets:
            for request in self._account_requests(account):
                yield request

    def _account_requests(self, account: Account) -> Iterator[scrapy.Request]:
        common = {"tags": account.tags, "account": account.name}
        for url in account.albums:
            request = self.album_request(url, **common)
            if request is not None:
                yield request
        if account.urls:
            yield from self.new_article_requests([entry(u) for u in account.urls],
                                                 f"urls:{account.label}", **common)
        for feed in account.feeds:
            yield self.listing_request(feed, f"feed:{feed}", self.parse_feed, **common)
        if account.biz and self.mp_token and self.mp_cookie:
            cookies = {k: v.value for k, v in SimpleCookie(self.mp_cookie).items()}
            yield self.listing_request(publish_list_url(self.base_url, account.biz, self.mp_token),
                                       f"mp:{account.label}", self.parse_publish_list,
                                       cookies=cookies, **common)

    def parse_feed(self, response: Response) -> Iterator[scrapy.Request]:
        yield from self._listed(response, lambda: parse_feed(response.body))

    def parse_publish_list(self, response: Response) -> Iterator[scrapy.Request]:
        yield from self._listed(response, lambda: parse_publish_list(response.text))

    def _listed(self, response: Response, parse: Any) -> Iterator[scrapy.Request]:
        try:
            entries: list[Entry] = parse()
        except ListingError as error:
            self.source_failed(response.meta, str(error))
            return
        self.source_read(response.meta)
        yield from self.new_article_requests(entries, response.meta["source"],
                                             tags=response.meta["tags"], account=response.meta["account"])

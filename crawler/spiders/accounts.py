"""``scrapy crawl accounts``: the scheduled run over the accounts of ``ACCOUNTS_FILE``.

Per account it reads the albums, the extra article URLs, the RSS/Atom feeds and, when a
back-office token and cookie are set, the MP back-office list. A source that fails is
logged and skipped; the others go on.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import scrapy
from scrapy.http import Response

from crawler.accounts import Account, AccountsError, load_accounts
from crawler.config import Config
from crawler.spiders.arguments import ArgumentError, check_known
from crawler.spiders.base import WeChatSpider
from crawler.wechat.listing import Entry, ListingError, entry, parse_feed, parse_publish_list, \
    publish_list_url


@dataclass(frozen=True)
class AccountsParams:
    """``-a file=PATH`` reads another accounts file than ``ACCOUNTS_FILE``."""

    accounts: tuple[Account, ...]

    @classmethod
    def from_arguments(cls, arguments: Mapping[str, Any], config: Config) -> AccountsParams:
        check_known(arguments, ("file",))
        path = Path(arguments.get("file") or config.accounts_file)
        try:
            return cls(tuple(load_accounts(path, config.wechat_base_url, config.article_hosts)))
        except AccountsError as error:
            raise ArgumentError(str(error)) from None


class AccountsSpider(WeChatSpider):
    name = "accounts"
    Params = AccountsParams
    params: AccountsParams

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for account in self.params.accounts:
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
        config = self.config
        if account.biz and config.mp_token and config.mp_cookie:
            cookies = {k: v.value for k, v in SimpleCookie(config.mp_cookie).items()}
            yield self.listing_request(publish_list_url(config.wechat_base_url, account.biz,
                                                        config.mp_token),
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

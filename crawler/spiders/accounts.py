"""``scrapy crawl accounts``: the scheduled run over the accounts of ``ACCOUNTS_FILE``.

Per account it reads the albums (given, or found on its pages in earlier runs), the
article URLs, the RSS/Atom feeds and, when a back-office token and cookie are set, the MP
back-office list; every page fetched leads to the account's further albums and articles
(``crawler.spiders.discovery``). A source that fails is logged and skipped; the others go
on.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Any

import scrapy
from scrapy.http import Response
from scrapy.http.request import CookiesT

from crawler.accounts import Account, AccountsError, load_accounts
from crawler.config import Config
from crawler.items import AccountTagged, LinkFound, LinkToFollow, StateRecord
from crawler.report.tally import Stat
from crawler.settingread import from_home
from crawler.spiders.arguments import ArgumentError, Given, check_known
from crawler.spiders.articlepages import asked_url
from crawler.spiders.base import Sourced, WeChatSpider
from crawler.spiders.discovery import AlbumLead, HomepageLead, LinkLead
from crawler.store.accountbook import AccountBook
from crawler.watch.mend import mend_requests
from crawler.watch.watcher import watch_requests
from crawler.wechat.article import Article
from crawler.wechat.listing import (
    Entry,
    ListingError,
    album_url,
    parse_feed,
    parse_publish_list,
    publish_list_url,
)


@dataclass(frozen=True)
class AccountsParams:
    """``-a file=PATH`` reads another accounts file than ``ACCOUNTS_FILE``."""

    accounts: tuple[Account, ...]

    @classmethod
    def from_arguments(cls, arguments: Mapping[str, Any], config: Config) -> AccountsParams:
        check_known(arguments, ("file",))
        path = from_home(str(arguments.get("file") or config.accounts_file))
        try:
            return cls(tuple(load_accounts(path, config.wechat_base_url, config.article_hosts)))
        except AccountsError as error:
            raise ArgumentError(str(error)) from None

    @property
    def given(self) -> Given:
        return Given(len(self.accounts), "account")


class AccountsSpider(WeChatSpider):
    """Per account: the albums given and those found on its pages before, the URLs, feeds
    and back-office list given; then whatever the fetched pages lead to (``Discovery``)."""

    name = "accounts"
    Params = AccountsParams
    params: AccountsParams

    async def start(self) -> AsyncIterator[scrapy.Request | StateRecord | AccountTagged]:
        outputs: list[Sourced] = [
            *((number, output) for number, account in enumerate(self.params.accounts)
              for output in self._account_requests(account)),
            *((None, output) for output in (*watch_requests(self), *mend_requests(self)))]
        for output in self.short_links_first(lambda: outputs):
            yield output

    def _account_requests(self, account: Account) -> Iterator[scrapy.Request | StateRecord | AccountTagged]:
        config = self.config
        biz = self.discovery.account_biz(account)
        yield from self.discovery.learned(account)
        if biz and account.tags:
            yield AccountTagged(account.name, biz, account.tags)
        remembered = [album_url(config.wechat_base_url, biz, album)
                      for album in AccountBook(self.index).albums_of(biz)] if biz else []
        # A short link names its article only once fetched: the albums wait for it
        # (``short_links_first``), or they would list that article by another link.
        for url in account.urls:
            self.tally.count(Stat.ARTICLES_LISTED, source=f"urls:{account.name}")
            yield self.article_request(url, f"urls:{account.name}", account)
        for url, known in [*((url, False) for url in account.albums), *((url, True) for url in remembered)]:
            request = self.album_request(url, account, remembered=known)
            if request is not None:
                yield request
        for url in AccountBook(self.index).homepages_of(biz) if biz else []:
            if (request := self.homepage_request(url, account)) is not None:
                yield request
        for lead in self.discovery.left_to_follow(account):
            yield self._follow(lead, account)
        for feed in account.feeds:
            yield self.listing_request(feed, f"feed:{feed}", self.parse_feed, account)
        if biz and config.mp_token and config.mp_cookie:
            cookies: CookiesT = {k: v.value for k, v in SimpleCookie(config.mp_cookie).items()}
            yield self.listing_request(publish_list_url(config.wechat_base_url, biz, config.mp_token),
                                       f"mp:{account.name}", self.parse_publish_list, account,
                                       cookies=cookies)

    def accepts(self, article: Article, response: Response, account: Account | None) -> bool:
        """A page found by a link or a listing that turns out another account's is not
        archived (unless ``FOLLOW_LINKS=all``), whatever ``__biz`` the link carried: the
        fetched page decides. A URL the accounts file gives is the user's word."""
        request = response.request
        return account is None or request is None or self.config.follow_links == "all" \
            or str(request.cb_kwargs.get("source", "")).startswith("urls:") \
            or not self.discovery.is_foreign(article, account)

    def declined(self, article: Article, response: Response,
                 account: Account | None) -> Iterator[StateRecord]:
        """Another account's page: its link is remembered, so it is not fetched again by
        this account, and left to that account's runs (should it be in the accounts file)."""
        request = response.request
        assert request is not None and account is not None  # as ``accepts`` found them
        asked = asked_url(request)
        yield LinkFound(asked, article.key)
        yield LinkToFollow(asked, article.biz)
        yield from self.discovery.foreign(article.key, article.biz,
                                          self.discovery.account_biz(account), account)
        self.logger.info("Not archived: %s is another account's article (%s)", response.url,
                         article.account or article.biz)

    def discovered(self, article: Article, account: Account | None) -> Iterator[Any]:
        if account is None:  # the watch's
            yield from super().discovered(article, account)
            return
        for lead in self.discovery.leads(article, account):
            if isinstance(lead, AlbumLead):
                request = self.album_request(lead.url, account, remembered=True, guess_biz=lead.guess_biz)
                if request is not None:
                    yield request
            elif isinstance(lead, HomepageLead):
                if (request := self.homepage_request(lead.url, account)) is not None:
                    yield request
            elif isinstance(lead, LinkLead):
                yield self._follow(lead, account)
            else:
                yield lead

    def _follow(self, lead: LinkLead, account: Account) -> scrapy.Request:
        return self.article_request(lead.url, "link", account, unknown_account=lead.unknown_account)

    def parse_feed(self, response: Response, **listing: Any) -> Iterator[scrapy.Request]:
        yield from self._listed(lambda: parse_feed(response.body), **listing)

    def parse_publish_list(self, response: Response, **listing: Any) -> Iterator[scrapy.Request]:
        yield from self._listed(lambda: parse_publish_list(response.text), **listing)

    def _listed(self, parse: Callable[[], list[Entry]], source: str, account: Account,
                first_page: bool) -> Iterator[scrapy.Request]:
        try:
            entries = parse()
        except ListingError as error:
            self.source_failed(source, account, first_page, str(error))
            return
        self.source_read(source, first_page)
        yield from self.listed_requests(entries, source, account)

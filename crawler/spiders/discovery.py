"""Where an account's fetched article leads: its albums, and its links to the account's
other articles, so that one link per account is enough to find them all.

Every album an account's page names (in any template's markup) or links to in its body is
remembered in the index under the account's ``__biz`` (later runs read it with no edit of
the accounts file) and read in this run if it was not yet. A link in the body (往期推荐,
相关阅读, an image that links), to the album's previous or next article, 阅读原文 or an
image post's shared article is followed when it is the account's: its ``__biz`` says so
(the page records its own short link, so another page's short link to it costs nothing),
or, for a short ``/s/<token>`` link, the page it leads to does (at most
``FOLLOW_LINKS_PER_RUN`` such links a run). Other accounts' links are recorded, and
followed only with ``FOLLOW_LINKS=all``; ``FOLLOW_LINKS=none`` follows no link.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import scrapy

from crawler.accounts import Account
from crawler.tally import Stat
from crawler.wechat.article import Article
from crawler.wechat.listing import album_url
from crawler.wechat.urls import album_id, article_ids_from_url, host_of

if TYPE_CHECKING:
    from crawler.spiders.base import WeChatSpider


class Discovery:
    def __init__(self, spider: WeChatSpider):
        self.spider = spider
        self.index = spider.index
        self.config = spider.config
        self.unknown_budget = spider.config.follow_links_per_run
        self.foreign_seen: set[str] = set()

    def account_biz(self, account: Account, article: Article | None = None) -> str:
        """The account's ``__biz``: from the accounts file, else as found before, else that
        of ``article``, the first of its pages fetched (then remembered)."""
        biz = account.biz or self.index.account_biz(account.name) or ""
        if not biz and article is not None and article.biz:
            biz = article.biz
            self.index.set_account(account.name, biz)
        return biz

    def is_foreign(self, article: Article, account: Account) -> bool:
        """Whether ``article`` is another account's (then, fetched from a short link, it is
        not archived unless ``FOLLOW_LINKS=all``)."""
        biz = self.account_biz(account, article)
        return bool(article.biz and biz and article.biz != biz)

    def leads(self, article: Article, account: Account) -> Iterator[scrapy.Request]:
        """The albums and links an account's ``article`` leads to."""
        biz = self.account_biz(account, article)
        if not biz or article.biz != biz:
            return
        yield from self._albums(article, account, biz)
        if self.config.follow_links != "none":
            yield from self._links(article, account, biz)

    def _albums(self, article: Article, account: Account, biz: str) -> Iterator[scrapy.Request]:
        for album in article.albums:
            self.index.remember_album(album.id, biz, album.title, album.count)
            self.index.add_album_articles(album.id, [article.key])
            request = self.spider.album_request(
                album_url(self.config.wechat_base_url, biz, album.id), account)
            if request is not None:
                yield request
        for link in article.album_links:  # the account's own albums only, as its links
            link_biz = article_ids_from_url(link).get("__biz", "")
            if host_of(link) not in self.config.article_hosts or link_biz != biz:
                continue
            self.index.remember_album(album_id(link), biz)
            request = self.spider.album_request(
                album_url(self.config.wechat_base_url, biz, album_id(link)), account)
            if request is not None:
                yield request

    def _links(self, article: Article, account: Account, biz: str) -> Iterator[scrapy.Request]:
        for link in article.links:
            if host_of(link) not in self.config.article_hosts:
                continue
            key = self.index.article_of(link)
            if key is None:
                if self.unknown_budget > 0:
                    self.unknown_budget -= 1
                    yield self.spider.article_request(link, "link", account, unknown_account=True)
                continue
            if key.biz != biz:
                self.foreign(key, key.biz, biz, account)
                if self.config.follow_links != "all":
                    continue
            self.spider.tally.count(Stat.ARTICLES_LINKED, source="link", account=account.name)
            yield self.spider.article_request(link, "link", account)

    def foreign(self, key: str, biz: str, seen_from: str, account: Account) -> None:
        """Record a link to another account's article (counted once a run)."""
        self.index.add_foreign_link(key, biz, seen_from)
        if key not in self.foreign_seen:
            self.foreign_seen.add(key)
            self.spider.tally.count(Stat.LINKS_FOREIGN, account=account.name)

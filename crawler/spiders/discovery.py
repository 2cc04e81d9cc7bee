"""Where an account's fetched article leads: its albums, its homepages (主页), and its links
to the account's other articles, so that one link per account is enough to find them all.

Every album an account's page names (in any template's markup) or links to in its body, and
every homepage of the account it links, is remembered in the index under the account's
``__biz`` (later runs read it with no edit of the accounts file) and read in this run if it
was not yet. A link in the body (往期推荐,
相关阅读, an image that links), to the album's previous or next article, 阅读原文 or an
image post's shared article is followed when it is the account's: its ``__biz`` says so
(the page records its own short link, so another page's short link to it costs nothing),
or, for a short ``/s/<token>`` link, the page it leads to does (at most
``FOLLOW_LINKS_PER_RUN`` such links a run). Other accounts' links are recorded, and
followed only with ``FOLLOW_LINKS=all`` (or by their own account's runs, when it is in the
accounts file); ``FOLLOW_LINKS=none`` follows no link. A page is never fetched again once
archived, so what it leads to is recorded whichever spider fetched it (``for_later``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from crawler.accounts import Account
from crawler.config import Config
from crawler.items import (
    AccountFound,
    AlbumFound,
    ForeignLinkFound,
    HomepageFound,
    LinkToFollow,
    StateRecord,
)
from crawler.report.tally import Stat, Tally
from crawler.runsets import Refused, RunSets
from crawler.store.accountbook import AccountBook
from crawler.store.index import SETTLED, ArticleState, Index
from crawler.wechat.article import Article
from crawler.wechat.listing import album_url
from crawler.wechat.urls import ArticleKey, album_id, article_ids_from_url, host_of


@dataclass(frozen=True)
class AlbumLead:
    """An album of the account to read; ``guess_biz``: the page's account's ``__biz``, for
    an album its body links without one (WeChat may want it, and its members must be that
    account's)."""

    url: str
    guess_biz: str = ""


@dataclass(frozen=True)
class HomepageLead:
    """An account homepage (主页) of the account to read: the articles its HTML lists."""

    url: str


@dataclass(frozen=True)
class LinkLead:
    """A link to follow; ``unknown_account``: a short link, whose account its page tells."""

    url: str
    unknown_account: bool = False


Lead = AlbumLead | HomepageLead | LinkLead | StateRecord


def linked_biz(index: Index, account: Account) -> str:
    """The ``__biz`` of the first article the account's links led to (fetched before), or
    that they name."""
    return next((key.biz for key in map(index.article_of, account.urls) if key and key.biz), "")


class Discovery:
    """Decides where an account's pages lead (the spider makes the requests) and what is
    learned on the way (``StateRecord`` items, for the index)."""

    def __init__(self, index: Index, config: Config, tally: Tally, refused: Refused):
        self.index = index
        self.config = config
        self.tally = tally
        self.unknown_budget = config.follow_links_per_run
        sets = RunSets(refused)
        self.close = sets.close
        self.foreign_seen = sets.of("foreign")  # keys counted this run
        self.granted = sets.of("granted")  # short links given a share of the budget this run
        self.over_budget = sets.of("over_budget")  # short links left to a later run, counted
        self.found: dict[str, str] = {}  # account → __biz learned from its pages this run
        self.unrecorded: dict[str, str] = {}  # of those, what is not yet on its way to the index

    def account_biz(self, account: Account, article: Article | None = None) -> str:
        """The account's ``__biz``: from the accounts file, else that of an article its links
        led to before, else as found before under its name (its links may have led to
        another account's article before they were corrected; its name may have changed
        since), else that of ``article``, the first of its pages fetched (then remembered)."""
        biz = account.biz or self.found.get(account.name)
        if biz:
            return biz
        remembered = AccountBook(self.index).account_biz(account.name) or ""
        biz = linked_biz(self.index, account) or remembered \
            or (article.biz if article is not None else "")
        if biz:
            self.found[account.name] = biz
            if biz != remembered:
                self.unrecorded[account.name] = biz
        return biz

    def learned(self, account: Account) -> Iterator[AccountFound]:
        """The account's ``__biz`` as learned this run, for the index (once)."""
        if account.name in self.unrecorded:
            yield AccountFound(account.name, self.unrecorded.pop(account.name))

    def is_foreign(self, article: Article, account: Account) -> bool:
        """Whether ``article`` is another account's (then, fetched from a short link, it is
        not archived unless ``FOLLOW_LINKS=all``)."""
        biz = self.account_biz(account, article)
        return bool(article.biz and biz and article.biz != biz)

    def leads(self, article: Article, account: Account) -> Iterator[Lead]:
        """The albums and links an account's ``article`` leads to."""
        biz = self.account_biz(account, article)
        yield from self.learned(account)
        if not biz or article.biz != biz:  # remembered all the same: the file may be corrected
            yield from self.for_later(article)
            return
        yield from self._albums(article, biz)
        yield from self._homepages(article, biz)
        if self.config.follow_links != "none":
            yield from self._links(article, account, biz)
        else:  # recorded all the same: the page is not fetched again once links are followed
            yield from self._to_follow(article, biz)

    def _albums(self, article: Article, biz: str) -> Iterator[Lead]:
        for album in article.albums:
            yield AlbumFound(album.id, biz, album.title, album.count, member=article.key)
            yield AlbumLead(album_url(self.config.wechat_base_url, biz, album.id))
        for link in article.album_links:  # the account's own albums only, as its links
            link_biz = article_ids_from_url(link).get("__biz", "")
            if host_of(link) not in self.config.article_hosts or link_biz not in (biz, ""):
                continue
            # one linked without __biz is taken for the account's until its members say whose
            if not link_biz and AccountBook(self.index).album_biz(album_id(link)) not in (None, "", biz):
                continue  # its members said: another account's
            yield AlbumFound(album_id(link), biz)
            yield AlbumLead(album_url(self.config.wechat_base_url, link_biz, album_id(link)),
                            guess_biz="" if link_biz else biz)

    def _homepages(self, article: Article, biz: str) -> Iterator[Lead]:
        """The account's homepages ``article`` links, remembered, and read now."""
        for link in article.homepage_links:  # the account's own, as its albums
            if host_of(link) in self.config.article_hosts and article_ids_from_url(link).get("__biz") == biz:
                yield HomepageFound(link, biz)
                yield HomepageLead(link)

    def left_to_follow(self, account: Account) -> Iterator[LinkLead]:
        """The links earlier runs found on the account's pages whose articles are not
        settled (a page that failed, a run stopped, short links past the budget): the pages
        holding them are archived, and not fetched again."""
        biz = self.account_biz(account)
        if not biz or self.config.follow_links == "none":
            return
        for link in AccountBook(self.index).links_to_follow(biz):
            if self._dead(link):
                continue
            if self.index.article_of(link) is not None:
                yield LinkLead(link)
            elif self._may_fetch_unknown(link, account):
                yield LinkLead(link, unknown_account=True)

    def for_later(self, article: Article) -> Iterator[StateRecord]:
        """What a page archived for no account of the accounts file (``crawl article``,
        ``album``, ``import``, the watch), or for an account it is not of, leads to, recorded
        only (under the page's own ``__biz``): its account's albums and homepages and its
        links to the account's articles not settled. A scheduled run never fetches an archived page again,
        so it reads and follows these from the index, or never finds them."""
        if not article.biz:
            return
        yield from (lead for lead in (*self._albums(article, article.biz),
                                      *self._homepages(article, article.biz))
                    if isinstance(lead, (AlbumFound, HomepageFound)))
        yield from self._to_follow(article, article.biz)

    def _to_follow(self, article: Article, biz: str) -> Iterator[LinkToFollow]:
        """The links on ``article``, a page of account ``biz``, that later runs follow,
        recorded only."""
        for link in article.links:
            if self._followable(link):
                yield from self._later(link, self.index.article_of(link), biz)

    def _later(self, link: str, key: ArticleKey | None, biz: str) -> Iterator[LinkToFollow]:
        """A link to ``key`` on a page of account ``biz``, followed by later runs of the
        account it names until its article is settled: another account's is that account's
        to follow when it is in the accounts file, and a short link naming no article yet is
        taken for the page's account's until fetched."""
        if key is None or self.index.article_state(key) not in SETTLED:
            yield LinkToFollow(link, (key and key.biz) or biz)

    def _links(self, article: Article, account: Account, biz: str) -> Iterator[Lead]:
        for link in article.links:
            if not self._followable(link):
                continue
            key = self.index.article_of(link)
            yield from self._later(link, key, biz)
            if key is None:
                if self._may_fetch_unknown(link, account):
                    yield LinkLead(link, unknown_account=True)
                continue
            if key.biz != biz:
                yield from self.foreign(key, key.biz, biz, account)
                if self.config.follow_links != "all":
                    continue
            self.tally.count(Stat.ARTICLES_LINKED, source="link", account=account.name)
            yield LinkLead(link)

    def _followable(self, link: str) -> bool:
        """Whether ``link`` is on an article host and not known to lead nowhere."""
        return host_of(link) in self.config.article_hosts and not self._dead(link)

    def _dead(self, link: str) -> bool:
        """Whether ``link`` is known to lead to no article, ever (``LinkDead``)."""
        return self.index.article_state(link) == ArticleState.DEAD_LINK

    def _may_fetch_unknown(self, link: str, account: Account) -> bool:
        """Whether ``link``, a short link naming no account, may be fetched this run
        (``FOLLOW_LINKS_PER_RUN``): once granted, it costs nothing again until its page names
        its article (往期推荐 of one week's pages name the same ones, and a page waits in
        the queue long before it is fetched). One refused is counted for ``account``, once
        a run: the summary says what is left to a later run (with the budget at 0, all)."""
        if link in self.granted:
            return True
        if self.unknown_budget <= 0:
            if link not in self.over_budget:
                self.over_budget.add(link)
                self.tally.count(Stat.LINKS_OVER_BUDGET, account=account.name)
            return False
        self.unknown_budget -= 1
        self.granted.add(link)
        return True

    def foreign(self, key: str, biz: str, seen_from: str,
                account: Account) -> Iterator[ForeignLinkFound]:
        """A link to another account's article, recorded and counted once a run."""
        if key not in self.foreign_seen:
            self.foreign_seen.add(key)
            self.tally.count(Stat.LINKS_FOREIGN, account=account.name)
            yield ForeignLinkFound(key, biz, seen_from)

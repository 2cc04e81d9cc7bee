"""An article page asked for, and what the spider does with what came of it: an article
handed to the pipelines, a page that is no article (gone, the verification page), a link
WeChat refused without ``chksm``, a page not fetched.

Whichever source found an article, it is fetched, parsed and handed on the same way.
What travels with a request (its source, its account) is in its ``cb_kwargs``; ``meta``
carries only what downloader middlewares read.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace
from functools import cached_property
from typing import Any

import scrapy
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.job import job_dir
from twisted.python.failure import Failure

from crawler.accounts import Account
from crawler.incremental import RedirectedToKnown
from crawler.items import (
    ArticleGone,
    ArticleItem,
    LinkDead,
    LinkFound,
    LinkRefused,
    MendTurnTaken,
    NoPageKept,
    StateRecord,
    TagsAsked,
    WatchTurnTaken,
)
from crawler.middlewares import StayedBlocked
from crawler.report.tally import Stat, named_by_user
from crawler.run import Run
from crawler.spiders.failures import failed_request, failure_reason, redirect_loop
from crawler.spiders.refusals import Refusal, Refusals
from crawler.spiders.runspider import RunSpider
from crawler.stopping import Dropped
from crawler.store.accountbook import AccountBook
from crawler.watch.mend import kept_pages
from crawler.watch.watcher import is_watch, watched, watched_key
from crawler.wechat.article import Article, NotAnArticle, PageReason
from crawler.wechat.page import as_utf8, parse_page
from crawler.wechat.urls import ArticleKey, article_key, is_old_article_link, lacks_chksm

# What WeChat answers a link with when the link itself is wrong, not its article
_LINK_REFUSED = (PageReason.BAD_PARAMS, PageReason.EXPIRED)


def request_of(response: Response) -> scrapy.Request:
    """The request a response answers (Scrapy sets it before any callback sees it)."""
    assert response.request is not None
    return response.request


def asked_url(request: scrapy.Request) -> str:
    """The link a request was made for, as its source gave it, before any redirect."""
    url: str = request.meta.get("redirect_urls", [request.url])[0]
    return url


class ArticlePages(RunSpider):
    @cached_property
    def refusals(self) -> Refusals:
        """The articles a link of which WeChat answered with its parameter-error or
        expired-link page this run (this job): another link of theirs is asked all the same.
        Opened as the spider opens (``opened``), before a job that finishes drops its folder:
        Scrapy closes its scheduler before the spider."""
        return Refusals.of_job(job_dir(self.crawler.settings), Run.of(self.crawler).memory_refused)

    def opened(self) -> None:
        """Opens ``refusals``, with what an earlier part of the job refused (``spider_opened``)."""
        self.refusals  # noqa: B018  (a cached_property: made now)

    def closed(self, reason: str) -> None:
        """Says at WARNING, and counts, each refused link whose article no other link of
        this run had; a run cut short (a signal, blocks) leaves it to the next, which reads
        the albums it did not (a job folder keeps it for the job's next part; without one,
        the next run asks the link again). Runs before the summary (``RunReport``): Scrapy
        connects the spider's ``closed`` to ``spider_closed`` before it makes the extensions."""
        for refusal in self.refusals.pending():
            if reason != "finished":
                self.logger.info("%s is %s: its album's link is left for the next run, as the run "
                                 "was cut short", refusal.shown, refusal.reason.message)
                continue
            self.logger.warning("Not archived: %s is %s", refusal.shown, refusal.reason.message)
            self.tally.count(Stat.page(refusal.reason), source=refusal.source)
        self.refusals.close()
        super().closed(reason)

    def article_request(self, url: str, source: str, account: Account | None = None, *,
                        refetch: bool = False, unknown_account: bool = False,
                        instead: ArticleKey | None = None) -> scrapy.Request:
        """A request for an article page, fetched as the source gave its link, or by a link
        with ``chksm`` a listing gave for it (in-body links have had none since 2024).

        ``refetch``: fetched even if archived (the user asked for it). ``unknown_account``:
        a short link whose account is known only once fetched. ``instead``: the article of
        ``refusals`` this link is of (a short link names none), asked though the run asked
        for it already.
        """
        weak = lacks_chksm(url)
        if weak:
            key = article_key(url)
            listed = self.index.listed_link(key) if key else None
            weak = listed is None
            url = listed or url
        meta = {"article": True, "refetch": refetch, "unknown_account": unknown_account,
                "weak_link": weak, "instead": instead}
        return scrapy.Request(url, callback=self.parse_article, errback=self.fetch_failed,
                              meta=meta, cb_kwargs={"source": source, "account": account})

    def parse_article(self, response: Response, source: str,
                      account: Account | None) -> Iterator[Any]:
        self.tally.count(Stat.ARTICLES_HANDLED)
        page = self.page_of(response)
        request = request_of(response)
        asked = asked_url(request)
        self.answered(request, page)
        if isinstance(page, NotAnArticle) and page.reason is PageReason.VERIFICATION:
            if request.meta.get("weak_link"):  # by the link asked, not the page it redirected to
                yield from self.refused_without_chksm(request.replace(url=asked), source, account)
            else:
                self.challenged(request, asked)
            return
        if is_watch(request):  # looked at: WeChat showed the original, or what became of it
            self.tally.count(Stat.WATCH_REQUESTED)
            if not isinstance(page, NotAnArticle) or page.reason is not PageReason.UNKNOWN:
                self.tally.count(Stat.WATCH_WECHATS)  # not another site's page, say
        if isinstance(page, NotAnArticle):
            yield from self.no_article(page, response, asked, source)
            return
        if not self.accepts(page, response, account):
            yield from self.declined(page, response, account)
            return
        named = watched_key(request) or article_key(asked) or self.index.link_key(asked)
        if named and named != page.key:
            yield from self._led_elsewhere(named, page, request, source)
        # another account's page (a link followed with FOLLOW_LINKS=all) is not this one's
        own = account if account is not None and self._of_account(page, account) else None
        if own is not None and not page.account:
            page = replace(page, account=own.name)
        if page.short_link:
            yield LinkFound(page.short_link, page.key)
        yield ArticleItem(article=page, file_urls=list(page.image_urls), source=source,
                          tags=list(own.tags) if own else self.tags_asked(source),
                          account=account.name if account else "",
                          fetched_url=asked)
        yield from self.discovered(page, account)

    def no_article(self, page: NotAnArticle, response: Response, asked: str,
                   source: str) -> Iterator[ArticleGone | LinkFound | LinkDead | TagsAsked | scrapy.Request]:
        """Says what the page ``asked`` led to is instead of an article; records an article
        gone (deleted, removed …) under its key, with the link that led to it, and a link
        of the 2013-15 form found on a page that WeChat refuses as a link as dead: it is not
        asked again, and its article is had by a link of today's form, if one leads to it
        (one the user gave is the user's to mend, asked and said at every run)."""
        request = request_of(response)
        # the link asked, which the user gave or a source listed, and where it led
        shown = asked if asked == response.url else f"{asked}, redirected to {response.url},"
        if is_old_article_link(asked) and page.reason in _LINK_REFUSED and not is_watch(request) \
                and not named_by_user(source):
            self.logger.warning("Not archived: %s is %s; a link of the 2013-15 form, not asked "
                                "again", shown, page.message)
            self.tally.count(Stat.page(page.reason), source=source)
            yield LinkDead(asked)
            return
        refused = article_key(asked) if page.reason in _LINK_REFUSED and not is_watch(request) \
            and not request.meta.get("instead") else None
        if refused is not None:  # the link, not its article: a chksm not today's, say
            listed = self.index.listed_link(refused)
            # another link may yet have it (not so the album's own, refused)
            self.refusals.turn_down(refused, Refusal(shown, page.reason, source) if listed != asked else None)
            if listed != asked:
                if listed:
                    self.logger.info("%s is %s: asked by its album's link instead", shown, page.message)
                    yield self.article_request(listed, source, request.cb_kwargs.get("account"),
                                               instead=refused)
                else:
                    self.logger.info("%s is %s: asked by its album's link if an album lists it this run",
                                     shown, page.message)
                return
        # a short link (found, or the user's) to a page that names no article is settled
        # under its own URL
        key = article_key(response.url) or self.index.link_key(asked) \
            or (ArticleKey(asked) if request.meta.get("unknown_account")
                or named_by_user(source) else None)
        # its post's path and its state, asked in one statement
        path, state = self.index.article_row(key) if key and page.reason.gone else ("", None)
        # an original with a post, gone (an incomplete one fetched again by a source, too)
        original = page.reason.gone and (is_watch(request) or bool(path))
        # gone before it was archived, and known so (an album listing it again asked it):
        # said and counted when it went
        known = page.reason.gone and bool(key) and not named_by_user(source) and state == page.reason
        if original or (is_watch(request) and watched(request, page.reason)):
            # an archived original: WatchPipeline warns once, when its status changes
            self.logger.info("Watched: %s is %s", shown, page.message)
        elif known:
            self.logger.info("Not archived: %s is %s, as it was", shown, page.message)
        else:
            self.logger.warning("Not archived: %s is %s", shown, page.message)
        if not (known or (is_watch(request) and page.reason.gone)):  # counted once, when it
            self.tally.count(Stat.page(page.reason), source=source)  # went: originals deleted
        if key and (page.reason.gone or watched(request, page.reason)):
            yield ArticleGone(key=key, url=response.url, reason=page.reason)
            if original and (tags := self.tags_asked(source)):  # its post stands, given them
                yield TagsAsked(key, tuple(tags))
            if asked != response.url:  # a link redirected to the page: settled with it
                yield LinkFound(asked, key)

    def answered(self, request: scrapy.Request, page: Article | NotAnArticle | None = None) -> None:
        """Settles the refusal of the article another link of which came to an end: ``page``
        (had by whatever link), or what the link asked ``instead`` came to."""
        if isinstance(page, Article):
            self.refusals.settle(page.key)
        if instead := request.meta.get("instead"):
            self.refusals.settle(instead)

    def tags_asked(self, source: str) -> list[str]:
        """The tags the user asked for the articles of ``source`` beside an account's (none)."""
        return []

    def _led_elsewhere(self, named: str, page: Article, request: scrapy.Request,
                       source: str) -> Iterator[WatchTurnTaken]:
        """The link of article ``named`` led to another article's ``page`` (a redirect, a short
        link WeChat gave anew), archived as its own: an archived article's post stays as it
        is, said (the run's lines said the other post alone): at WARNING to the user who gave
        the link, and the first time the other article is met (the watch comes back to it);
        one the watch asked for has had its turn (else, still the most due, asked at every run)."""
        path = self.index.article_path(named)
        if path:
            said = not named_by_user(source) and self.index.article_path(page.key)
            self.logger.log(logging.INFO if said else logging.WARNING,
                            "%s, the link of the archived %s, led to another article, %s: archived "
                            "as its own post, and %s stays as it is", asked_url(request), path,
                            page.url, path)
        if is_watch(request):
            yield WatchTurnTaken(named)

    def challenged(self, request: scrapy.Request, asked: str) -> None:
        """WeChat's verification page, which BlockMiddleware's quick look passed over (it
        looks at answers of ``LARGEST_VERIFICATION_PAGE`` at most): a page blocked and not
        had, as a block that stays is, not a page WeChat answered."""
        self.tally.count_of(Stat.PAGES_BLOCKED, request)
        if is_watch(request):  # an original of an archived post, which stays
            self.logger.warning("Not checked: the original %s is %s; its post stays as it is",
                                asked, PageReason.VERIFICATION.message)
        else:
            self.logger.warning("Not archived: %s is %s", asked, PageReason.VERIFICATION.message)

    def _of_account(self, page: Article, account: Account) -> bool:
        """Whether ``page`` may be ``account``'s, as far as the page says: a page of another
        ``__biz`` naming no account is not given the configured account's name."""
        known = account.biz or AccountBook(self.index).account_biz(account.name) or ""
        return not page.biz or not known or page.biz == known

    def refused_without_chksm(self, request: scrapy.Request, source: str,
                              account: Account | None) -> Iterator[Any]:
        """A link without ``chksm`` answered with the verification page: not a block (the
        link may be what WeChat refuses), and the article is not lost: it is fetched by a
        listing's link, now if one is known, else when a listing gives one. A link the user
        gave, with no listing's link known, is a page not fetched: no listing may ever come."""
        key = article_key(request.url)
        if key is None:
            return
        listed = self.index.listed_link(key)
        failed = not listed and named_by_user(source)
        yield LinkRefused(key, request.url, watched=is_watch(request), said=failed)
        if failed:
            self.logger.warning("Not archived: WeChat refused %s, a link without chksm; give the "
                                "article's link with its chksm (as WeChat's share menu copies it)",
                                request.url)
            self.tally.count(Stat.PAGES_FETCH_FAILED, source=source,
                             account=account.name if account else "")
            return
        self.tally.count(Stat.LINKS_REFUSED_WITHOUT_CHKSM, source=source,
                         account=account.name if account else "")
        if listed:
            yield self.article_request(listed, source, account)
        else:
            self.logger.info("Kept for later: %s was refused without chksm; it is fetched when "
                             "an album lists it", request.url)

    def page_of(self, response: Response) -> Article | NotAnArticle:
        if isinstance(response, TextResponse):
            return parse_page(as_utf8(response.body, response.encoding), response.url)
        return NotAnArticle(PageReason.UNKNOWN,
                            f"not an HTML page ({response.headers.get('Content-Type')!r})")

    def accepts(self, article: Article, response: Response, account: Account | None) -> bool:
        """Whether a fetched article is to be archived (see ``AccountsSpider``)."""
        return True

    def declined(self, article: Article, response: Response,
                 account: Account | None) -> Iterator[StateRecord]:
        """What to record of a fetched article ``accepts`` refused."""
        return iter(())

    def discovered(self, article: Article, account: Account | None) -> Iterator[Any]:
        """What a fetched article leads to, for the scheduled runs (``Discovery.for_later``)."""
        yield from self.discovery.for_later(article)

    def fetch_failed(self, failure: Failure) -> list[StateRecord]:
        """Says why an article page was not had; an original the watch asked for that WeChat
        answered with an error has had its turn (a network failure or a block leaves it due)."""
        request = failed_request(failure)
        self.answered(request)
        if failure.check(Dropped):  # left for the next run: the run is stopping
            return []
        self.tally.count(Stat.ARTICLES_HANDLED)
        asked = asked_url(request)
        if isinstance(failure.value, RedirectedToKnown):
            self.logger.info("Not fetched again: %s leads to %s", asked, request.url)
            return [LinkFound(asked, failure.value.key)]
        level = logging.INFO if self.already_said(failure) else logging.WARNING
        if is_watch(request):  # an original of an archived post, which stays
            self.logger.log(level, "Not checked: could not fetch the original %s: %s; its post "
                            "stays as it is", asked, failure_reason(failure))
        else:
            self.logger.log(level, "Not archived: could not fetch %s: %s", asked, failure_reason(failure))
        if not failure.check(StayedBlocked):  # counted blocked
            self.tally.count_of(Stat.PAGES_FETCH_FAILED, request)
        key = watched_key(request)
        return [WatchTurnTaken(key)] if key and failure.check(HttpError) else []

    def request_dropped(self, request: scrapy.Request) -> None:
        failure = redirect_loop(request)
        if failure is not None:
            self.fetch_failed(failure)

    def read_kept_pages(self, response: Response) -> Iterator[ArticleItem | MendTurnTaken | NoPageKept]:
        """The posts left incomplete whose originals are gone, made again from their raw
        captures (``crawler.watch.mend``): a spider method, as a request's callback in a JOBDIR."""
        self.tally.count(Stat.MEND_READS)
        yield from kept_pages(Run.of(self.crawler).archive, self.config.watch_per_run)

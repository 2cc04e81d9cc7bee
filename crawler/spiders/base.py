"""What every spider shares: fetching article pages and paging through albums.

Spiders only decide where to look; whichever source found an article, it is fetched,
parsed and handed to the pipelines the same way. Which listed articles are fetched at all
is decided by ``crawler.incremental`` (not what the index holds as settled, and each
article once a run). What travels with a request (its source, its account) is in its
``cb_kwargs``; ``meta`` carries only what downloader middlewares read.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from functools import cached_property
from typing import Any, ClassVar

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response, TextResponse
from scrapy.http.request import CookiesT
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler.accounts import Account
from crawler.config import Config
from crawler.distributed.wire import JobStopped, LostInRedis
from crawler.incremental import AlbumProgress, IncrementalMiddleware, RedirectedToKnown
from crawler.items import (
    ArticleGone,
    ArticleItem,
    LinkFound,
    LinkRefused,
    MendTurnTaken,
    NoPageKept,
    StateRecord,
    WatchTurnTaken,
)
from crawler.mend import kept_pages
from crawler.middlewares import Blocked, Dropped
from crawler.run import Run
from crawler.spiders.arguments import SpiderParams
from crawler.spiders.discovery import Discovery
from crawler.spiders.failures import failed_request, failure_reason, redirect_loop, shared_cause
from crawler.store.accountbook import AccountBook
from crawler.store.index import Index
from crawler.tally import Stat, Tally, named_by_user
from crawler.watcher import is_watch, watched, watched_key
from crawler.wechat.article import Article, NotAnArticle, PageReason
from crawler.wechat.listing import (
    Entry,
    ErrorAnswer,
    ListingError,
    album_json_url,
    album_url,
    parse_album_page,
)
from crawler.wechat.page import as_utf8, parse_page
from crawler.wechat.urls import (
    ArticleKey,
    album_id,
    article_ids_from_url,
    article_key,
    host_of,
    lacks_chksm,
)

# Held start requests sent at once when the spider is idle (``release_held``).
_HELD_AT_ONCE = 100


class WeChatSpider(scrapy.Spider):
    Params: ClassVar[type[SpiderParams]]
    # Whether the spider fetches article pages (all but ``import``): the fetch nodes of a
    # job in Redis then fetch them (``crawler.distributed``).
    fetches_articles: ClassVar[bool] = True
    params: Any

    @property
    def follow_albums(self) -> bool:
        """Whether the albums a fetched article names are read too (``scrapy crawl article``)."""
        return False

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, params: Any = None,
                     **arguments: Any) -> WeChatSpider:
        """The spider with its ``params``: as the crawl command built them, or from ``-a``
        (checked against the settings as they are now; the run's ``config`` is read later)."""
        if not isinstance(params, cls.Params):
            params = cls.Params.from_arguments(arguments, Config.from_settings(crawler.settings))
        spider = super().from_crawler(crawler)
        spider.params = params
        crawler.signals.connect(spider.request_dropped, signal=signals.request_dropped)
        crawler.signals.connect(spider.release_held, signal=signals.spider_idle)
        return spider

    # Read when first used: the spider is made before the crawl's settings are final.
    @property
    def config(self) -> Config:
        return Run.of(self.crawler).config

    @property
    def index(self) -> Index:
        return Run.of(self.crawler).archive.index

    @property
    def tally(self) -> Tally:
        return Run.of(self.crawler).tally

    @cached_property
    def albums(self) -> AlbumProgress:
        return AlbumProgress(self.index, self.config.album_recheck_days)

    @cached_property
    def discovery(self) -> Discovery:
        return Discovery(self.index, self.config, self.tally)

    def closed(self, reason: str) -> None:
        if "discovery" in self.__dict__:  # made (a cached_property) once the run needed it
            self.discovery.close()

    @cached_property
    def causes_said(self) -> set[str]:
        """The ``shared_cause`` of each page and listing not had so far this run, with its host."""
        return set()

    @cached_property
    def held(self) -> Iterator[scrapy.Request]:
        """Start requests held back by ``short_links_first``, made as they are sent."""
        return iter(())

    # -- articles ------------------------------------------------------------------------
    def article_request(self, url: str, source: str, account: Account | None = None, *,
                        refetch: bool = False, unknown_account: bool = False) -> scrapy.Request:
        """A request for an article page, fetched as the source gave its link, or by a link
        with ``chksm`` a listing gave for it (in-body links have had none since 2024).

        ``refetch``: fetched even if archived (the user asked for it). ``unknown_account``:
        a short link whose account is known only once fetched.
        """
        weak = lacks_chksm(url)
        if weak:
            key = article_key(url)
            listed = self.index.listed_link(key) if key else None
            weak = listed is None
            url = listed or url
        meta = {"article": True, "refetch": refetch, "unknown_account": unknown_account,
                "weak_link": weak}
        return scrapy.Request(url, callback=self.parse_article, errback=self.fetch_failed,
                              meta=meta, cb_kwargs={"source": source, "account": account})

    def short_links_first(self, outputs: Callable[[], Iterable[Any]]) -> Iterator[Any]:
        """``start``'s outputs (``outputs()`` makes them, the same each time: made again
        rather than kept, so that a list of thousands of links is not thousands of requests
        in memory at once); but while any is a request for a short link naming no article
        the index knows, the other requests are held back until the spider is idle
        (``release_held``). A short link names its article only once fetched: another link
        to that article (given too, an album's, a feed's) then finds it requested this run
        (``IncrementalMiddleware``), and it is fetched once, whatever the pages in flight."""
        unnamed = [isinstance(output, scrapy.Request) and bool(output.meta.get("article"))
                   and self.index.article_of(output.url) is None for output in outputs()]
        if not any(unnamed):
            yield from outputs()
            return
        for output, short in zip(outputs(), unnamed, strict=True):
            if short or not isinstance(output, scrapy.Request):
                yield output
        self.held = (output for output, short in zip(outputs(), unnamed, strict=True)
                     if isinstance(output, scrapy.Request) and not short)

    def release_held(self) -> None:
        """The requests ``short_links_first`` held back, once the short links are fetched,
        through the incremental filter as any request; ``_HELD_AT_ONCE`` at a time (the
        next when the spider is idle again), so that a list of thousands of links is not
        thousands of requests in memory at once."""
        gate = self.crawler.get_spider_middleware(IncrementalMiddleware)
        assert self.crawler.engine is not None
        sent = 0
        for request in self.held:
            if gate is None or gate.wanted(request):
                self.crawler.engine.crawl(request)
                sent += 1
                if sent == _HELD_AT_ONCE:
                    break
        if sent:
            raise DontCloseSpider

    def listed_requests(self, entries: list[Entry], source: str,
                        account: Account | None = None) -> Iterator[scrapy.Request]:
        """Requests for the articles a listing names (``crawler.incremental`` keeps the new);
        an entry off ``ARTICLE_HOSTS`` is left out with one line, counted. At WARNING only
        the first of a listing that names no article: one that does lists the others beside
        them (a feed's notice), nothing lost and nothing to do, run after run."""
        said = any(host_of(entry.url) in self.config.article_hosts for entry in entries)
        for entry in entries:
            if host_of(entry.url) not in self.config.article_hosts:
                self.logger.log(logging.INFO if said else logging.WARNING, "Not fetched: %s lists %s, not "
                                "on an article host", source, ascii(entry.url[:200]))
                said = True
                self.tally.count(Stat.LINKS_OFF_HOST, source=source)
                continue
            self.tally.count(Stat.ARTICLES_LISTED, source=source)
            yield self.article_request(entry.url, source, account)

    def parse_article(self, response: Response, source: str,
                      account: Account | None) -> Iterator[Any]:
        self.tally.count(Stat.ARTICLES_HANDLED)
        page = self.page_of(response)
        request = _request(response)
        asked = request.meta.get("redirect_urls", [request.url])[0]  # as the source gave it
        if isinstance(page, NotAnArticle) and page.reason is PageReason.VERIFICATION \
                and request.meta.get("weak_link"):  # by the link asked, not the page it redirected to
            yield from self.refused_without_chksm(request.replace(url=asked), source, account)
            return
        if is_watch(request):  # looked at: WeChat showed the original, or what became of it
            self.tally.count(Stat.WATCH_REQUESTED)
        if isinstance(page, NotAnArticle):
            yield from self.no_article(page, response, asked, source)
            return
        if not self.accepts(page, response, account):
            yield from self.declined(page, response, account)
            return
        # another account's page (a link followed with FOLLOW_LINKS=all) is not this one's
        own = account if account is not None and self._of_account(page, account) else None
        if own is not None and not page.account:
            page = replace(page, account=own.name)
        if page.short_link:
            yield LinkFound(page.short_link, page.key)
        yield ArticleItem(article=page, file_urls=list(page.image_urls), source=source,
                          tags=list(own.tags) if own else [],
                          account=account.name if account else "",
                          fetched_url=asked)
        yield from self.discovered(page, account)

    def no_article(self, page: NotAnArticle, response: Response, asked: str,
                   source: str) -> Iterator[ArticleGone | LinkFound]:
        """Says what the page ``asked`` led to is instead of an article; records an article
        gone (deleted, removed …) under its key, with the link that led to it."""
        request = _request(response)
        # a short link (found, or the user's) to a page that names no article is settled
        # under its own URL
        key = article_key(response.url) or self.index.link_key(asked) \
            or (ArticleKey(asked) if request.meta.get("unknown_account")
                or named_by_user(source) else None)
        # an original with a post, gone (an incomplete one fetched again by a source, too)
        original = page.reason.gone and (is_watch(request) or bool(
            key and self.index.article_path(key)))
        if original or (is_watch(request) and watched(request, page.reason)):
            # an archived original: WatchPipeline warns once, when its status changes
            self.logger.info("Watched: %s is %s", response.url, page.message)
        else:
            self.logger.warning("Not archived: %s is %s", response.url, page.message)
        if not (is_watch(request) and page.reason.gone):  # counted once, when it went:
            self.tally.count(Stat.page(page.reason), source=source)  # originals deleted
        if key and (page.reason.gone or watched(request, page.reason)):
            yield ArticleGone(key=key, url=response.url, reason=page.reason)
            if asked != response.url:  # a link redirected to the page: settled with it
                yield LinkFound(asked, key)

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
        """What a fetched article leads to, for the scheduled runs (``Discovery.for_later``),
        and its albums, read now with ``-a follow_albums=true``."""
        yield from self.discovery.for_later(article)
        if self.follow_albums and article.biz:
            for album in article.albums:
                request = self.album_request(album_url(self.config.wechat_base_url, article.biz,
                                                       album.id), account)
                if request is not None:
                    yield request

    def fetch_failed(self, failure: Failure) -> list[StateRecord]:
        """Says why an article page was not had; an original the watch asked for that WeChat
        answered with an error has had its turn (a network failure or a block leaves it due)."""
        if failure.check(Dropped):  # said by BlockMiddleware; left as the run's unsent requests
            return []
        self.tally.count(Stat.ARTICLES_HANDLED)
        request = failed_request(failure)
        asked = request.meta.get("redirect_urls", [request.url])[0]  # as the source gave it
        if isinstance(failure.value, RedirectedToKnown):
            self.logger.info("Not fetched again: %s leads to %s", asked, request.url)
            return [LinkFound(asked, failure.value.key)]
        level = logging.INFO if self.already_said(failure) else logging.WARNING
        if is_watch(request):  # an original of an archived post, which stays
            self.logger.log(level, "Not checked: could not fetch the original %s: %s; its post "
                            "stays as it is", asked, failure_reason(failure))
        else:
            self.logger.log(level, "Not archived: could not fetch %s: %s", asked, failure_reason(failure))
        account = request.cb_kwargs.get("account")
        self.tally.count(Stat.PAGES_FETCH_FAILED, source=request.cb_kwargs.get("source", ""),
                         account=account.name if account else "")
        key = watched_key(request)
        return [WatchTurnTaken(key)] if key and failure.check(HttpError) else []

    def already_said(self, failure: Failure) -> bool:
        """Whether why a page or listing was not had is said already, at WARNING: blocks by
        BlockMiddleware, a job its writer stopped; a cause many share (a host unreachable,
        answering 5xx; the job's Redis losing pages), for the first page or listing of that
        host it cost (the summary counts them all). Counts a failure of the request's own
        (``run_failure`` tells a network down from it)."""
        cause = shared_cause(failure)
        if cause is None:
            self.tally.count(Stat.REQUESTS_FAILED_OWN)
        if cause:
            cause = f"{cause} from {host_of(failed_request(failure).url)}"
        elif failure.check(LostInRedis):  # not WeChat's doing: counted as the page's own above
            cause = "lost in Redis"
        said = bool(failure.check(Blocked, JobStopped)) or cause in self.causes_said
        if cause:
            self.causes_said.add(cause)
        return said

    def request_dropped(self, request: scrapy.Request) -> None:
        failure = redirect_loop(request)
        if failure is not None:
            self.fetch_failed(failure)

    def read_kept_pages(self, response: Response) -> Iterator[ArticleItem | MendTurnTaken | NoPageKept]:
        """The posts left incomplete whose originals are gone, made again from their raw
        captures (``crawler.mend``): a spider method, as a request's callback in a JOBDIR."""
        self.tally.count(Stat.MEND_READS)
        yield from kept_pages(Run.of(self.crawler).archive, self.config.watch_per_run)

    # -- albums --------------------------------------------------------------------------
    def album_request(self, url: str, account: Account | None = None, *,
                      remembered: bool = False) -> scrapy.Request | None:
        """The first page of an album's JSON; None for an album already being read this run.
        ``remembered``: an album known from a page an earlier run fetched, not the user's."""
        try:
            json_url = album_json_url(url, self.config.album_page_size)
        except ListingError as error:
            self.logger.warning("Source %s could not be read: %s", url, error)
            return None
        album = album_id(url)
        if not self.albums.start(album):
            return None
        return self.listing_request(json_url, f"album:{album}", self.parse_album, account,
                                    album=album, remembered=remembered, reader=self.albums.reader)

    def listing_request(self, url: str, source: str, callback: Any, account: Account | None = None,
                        *, cookies: CookiesT | None = None,
                        **cb_kwargs: Any) -> scrapy.Request:
        """A request for the first page of one listing source (album, feed, back-office list)."""
        self.tally.count(Stat.SOURCES_ATTEMPTED, account=account.name if account else "")
        return scrapy.Request(url, callback=callback, errback=self.listing_failed, cookies=cookies,
                              dont_filter=True, meta={"listing": True},
                              cb_kwargs={"source": source, "account": account, "first_page": True,
                                         **cb_kwargs})

    def parse_album(self, response: Response, source: str, account: Account | None,
                    first_page: bool, album: str, remembered: bool = False,
                    reader: str = "") -> Iterator[Any]:
        if not first_page and reader != self.albums.reader:
            return  # queued by the run this one resumes: this run reads the album from page 1
        try:
            page = parse_album_page(response.body.decode("utf-8", "replace"), response.url)
        except ListingError as error:
            if remembered and first_page and isinstance(error, ErrorAnswer):
                # its owner's doing; no accounts file line to remove
                self.logger.info("Source %s (known from a page) could not be read: %s", source, error)
                self.tally.count(Stat.ALBUMS_GONE, source=source)
            else:
                self.source_failed(source, account, first_page, str(error))
            if first_page and isinstance(error, ErrorAnswer):
                for url in self.albums.gone(album):
                    yield self.article_request(url, source, account)
            return
        self.source_read(source, account, first_page)
        # an album asked without __biz is of the account its members are of
        biz = article_ids_from_url(response.url).get("__biz") \
            or next((entry.biz for entry in page.entries if entry.biz), "")
        step = self.albums.read(album, biz, page, first_page)
        if step.unread:
            self.source_failed(source, account, False, step.unread)
        yield step.record
        yield from self.listed_requests(page.entries, source, account)
        for url in step.relisted:
            yield self.article_request(url, source, account)
        if page.next_url and step.more:
            request = _request(response)
            # meta stays behind: what Scrapy put there (download_latency) is not the next page's
            yield request.replace(url=page.next_url, meta={"listing": True},
                                  cb_kwargs={**request.cb_kwargs, "first_page": False})

    # -- listing outcomes ----------------------------------------------------------------
    def source_read(self, source: str, account: Account | None, first_page: bool) -> None:
        if first_page:
            self.tally.count(Stat.SOURCES_READ, source=source)

    def source_failed(self, source: str, account: Account | None, first_page: bool,
                      reason: str, level: int = logging.WARNING) -> None:
        self.logger.log(level, "Source %s could not be read: %s", source, reason)
        self.tally.count(Stat.SOURCES_FAILED if first_page else Stat.SOURCES_FAILED_PAGES, source=source,
                         account=account.name if account else "")

    def listing_failed(self, failure: Failure) -> None:
        if failure.check(Dropped):
            return
        kwargs = failed_request(failure).cb_kwargs
        self.source_failed(kwargs["source"], kwargs["account"], kwargs["first_page"], failure_reason(failure),
                           logging.INFO if self.already_said(failure) else logging.WARNING)


def _request(response: Response) -> scrapy.Request:
    """The request a response answers (Scrapy sets it before any callback sees it)."""
    assert response.request is not None
    return response.request

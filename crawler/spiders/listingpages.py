"""A listing asked for (an album, a feed, the back-office list), and what the spider does
with each of its pages: requests for the articles it names, the album's next page, or one
line saying why the source could not be read. Which listed articles are fetched at all is
decided by ``crawler.incremental`` (not what the index holds as settled, and each article
once a run).
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterator
from functools import cached_property
from typing import Any

import scrapy
from scrapy.http import Response
from scrapy.http.request import CookiesT
from twisted.python.failure import Failure

from crawler.accounts import Account
from crawler.incremental import AlbumProgress
from crawler.items import AlbumFound, LinkToFollow
from crawler.report.tally import Stat
from crawler.run import Run
from crawler.runsets import RunSet, RunSets
from crawler.spiders.articlepages import ArticlePages, request_of
from crawler.spiders.failures import failed_request, failure_reason
from crawler.stopping import Dropped
from crawler.wechat.listing import (
    Entry,
    ErrorAnswer,
    ListingError,
    album_json_url,
    album_url,
    parse_album_page,
    parse_homepage,
)
from crawler.wechat.urls import album_id, article_ids_from_url, host_of


class ListingPages(ArticlePages):
    @cached_property
    def albums(self) -> AlbumProgress:
        return AlbumProgress(self.index, self.config.album_recheck_days)

    @cached_property
    def run_sets(self) -> RunSets:
        """What the listings' pages remember for the run, on disk (``RunSets``)."""
        return RunSets(Run.of(self.crawler).memory_refused)

    @property
    def listed(self) -> RunSet:
        """Each source's articles counted as listed this run, as ``source key``: a page that
        lists again what an earlier one did (WeChat's cursor not advancing, the album read
        again from its other end) counts each article once."""
        return self.run_sets.of("listed")

    @cached_property
    def pages_to_come(self) -> dict[str, str]:
        """The listings whose next page is asked and not answered yet, with the account each
        is read for: those a run cut short (a signal, blocks) left read in part, not failed."""
        return {}

    def closed(self, reason: str) -> None:
        """Counts the listings ``pages_to_come`` holds as read in part by a run cut short:
        the next run reads them again (a job resumed, from their first page)."""
        if reason != "finished":
            for source, account in self.pages_to_come.items():
                self.tally.count(Stat.SOURCES_CUT_SHORT, source=source, account=account)
        if "run_sets" in self.__dict__:  # made (a cached_property) once a listing listed
            self.run_sets.close()
        super().closed(reason)

    @cached_property
    def homepages(self) -> set[str]:
        """The account homepages asked for this run (each once)."""
        return set()

    def listed_requests(self, entries: list[Entry], source: str, account: Account | None = None,
                        back: Collection[str] = ()) -> Iterator[scrapy.Request]:
        """Requests for the articles a listing names (``crawler.incremental`` keeps the new,
        and those of ``back``, keys of articles gone that an album lists anew); an entry off
        ``ARTICLE_HOSTS`` is left out with one line, counted. At WARNING only the first of a
        listing that names no article: one that does lists the others beside them (a feed's
        notice), nothing lost and nothing to do, run after run."""
        said = any(host_of(entry.url) in self.config.article_hosts for entry in entries)
        for entry in entries:
            if host_of(entry.url) not in self.config.article_hosts:
                self.logger.log(logging.INFO if said else logging.WARNING, "Not fetched: %s lists %s, not "
                                "on an article host", source, ascii(entry.url[:200]))
                said = True
                self.tally.count(Stat.LINKS_OFF_HOST, source=source)
                continue
            listed = f"{source} {entry.key or entry.url}"
            if listed not in self.listed:
                self.listed.add(listed)
                self.tally.count(Stat.ARTICLES_LISTED, source=source)
            yield self.article_request(entry.url, source, account, refetch=entry.key in back,
                                       unknown_account=not entry.biz,
                                       instead=entry.key if entry.key in self.refusals else None)

    def album_request(self, url: str, account: Account | None = None, *, remembered: bool = False,
                      guess_biz: str = "") -> scrapy.Request | None:
        """The first page of an album's JSON; None for an album already being read this run.
        ``remembered``: an album known from a page (this run's or an earlier run's), not the
        user's: deleted, it is no failure of the run. ``guess_biz``: the ``__biz`` of the page
        that linked the album without one (``AlbumLead``)."""
        try:
            json_url = album_json_url(url, self.config.album_page_size)
        except ListingError as error:
            self.logger.warning("Source %s could not be read: %s", url, error)
            return None
        album = album_id(url)
        if not self.albums.start(album):
            return None
        return self.listing_request(json_url, f"album:{album}", self.parse_album, account,
                                    album=album, remembered=remembered, reader=self.albums.reader,
                                    guess_biz=guess_biz)

    def homepage_request(self, url: str, account: Account) -> scrapy.Request | None:
        """An account homepage (主页) a page of ``account`` links; None for one already
        asked for this run."""
        if url in self.homepages:
            return None
        self.homepages.add(url)
        return self.listing_request(url, f"homepage:{url}", self.parse_homepage, account)

    def parse_homepage(self, response: Response, source: str, account: Account,
                       first_page: bool) -> Iterator[scrapy.Request]:
        """The account's articles its homepage's HTML lists (another account's it lists are
        not fetched, as a link to them is not). A short link it lists is taken for the
        account's until its page, fetched, says whose it is (then it is known by the index)."""
        try:
            entries = parse_homepage(response.body.decode("utf-8", "replace"), response.url)
        except ListingError as error:
            self.source_failed(source, account, first_page, str(error))
            return
        self.source_read(source, first_page)
        biz = article_ids_from_url(response.url).get("__biz", "")
        yield from self.listed_requests([entry for entry in entries if self._whose(entry, biz) == biz],
                                        source, account)

    def _whose(self, entry: Entry, homepage_biz: str) -> str:
        """The ``__biz`` of the account a homepage's entry is of: its link's, else that of the
        article its short link led to, else (not yet fetched) the homepage's."""
        key = None if entry.biz else self.index.article_of(entry.url)
        return entry.biz or (key.biz if key is not None else homepage_biz)

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
                    reader: str = "", guess_biz: str = "") -> Iterator[Any]:
        if not first_page and reader != self.albums.reader:
            return  # queued by the run this one resumes: this run reads the album from page 1
        self.pages_to_come.pop(source, None)
        asked_biz = article_ids_from_url(response.url).get("__biz", "")
        try:
            page = parse_album_page(response.body.decode("utf-8", "replace"), response.url)
        except ListingError as error:
            if first_page and guess_biz:
                if not asked_biz:
                    yield self._with_biz(response, source, album, guess_biz, error)
                    return
                error = type(error)(f"asked without __biz and with its page's account's: {error}")
            if remembered and first_page and isinstance(error, ErrorAnswer):
                # its owner's doing; no accounts file line to remove
                self.logger.info("Source %s (known from a page) could not be read: %s", source, error)
                self.tally.count(Stat.ALBUMS_GONE, source=source)
            else:
                self.source_failed(source, account, first_page, str(error))
            if first_page and isinstance(error, ErrorAnswer):
                for url in self.albums.unsettled(album):
                    yield self.article_request(url, source, account)
            return
        # an album asked without __biz is of the account its members are of
        biz = asked_biz or next((entry.biz for entry in page.entries if entry.biz), "")
        # One known from a page is the account's only if its members are: one linked without
        # __biz is recorded as the page's account's until read, and WeChat answers it by its
        # id, whatever __biz it is then asked with (a later run's, when this read failed).
        own = guess_biz or (asked_biz if remembered else "")
        stranger = next((entry.biz for entry in page.entries if entry.biz not in ("", own)), "")
        if first_page and own and stranger:
            self.logger.info("Source %s is another account's album (its articles are %s's), %s: "
                             "recorded as theirs, not read for %s", source, stranger,
                             "linked without __biz" if guess_biz else "known from a page",
                             account.name if account else guess_biz)
            yield AlbumFound(album, stranger, page.title, page.article_count)
            # what it listed of this account before, not had yet: no read of it brings them
            # now, so they are followed as a page's links are, until had
            for url in self.albums.unsettled(album):
                yield LinkToFollow(url, own)
                yield self.article_request(url, source, account)
            return
        self.source_read(source, first_page)
        back = self.albums.back(album, page)
        step = self.albums.read(album, biz, page, first_page)
        if step.as_before:
            self.logger.info("Source %s read in part as at its last read: %s", source, step.unread)
            self.tally.count(Stat.SOURCES_PART_AS_BEFORE, source=source,
                             account=account.name if account else "")
        elif step.unread:
            self.source_failed(source, account, False, step.unread)
        for level, note in step.notes:
            self.logger.log(level, "Source %s: %s", source, note)
        if step.unlinked:
            self.tally.count(Stat.ALBUMS_UNLINKED, len(step.unlinked), source=source)
        yield step.record
        yield from self.listed_requests(page.entries, source, account, back)
        for url in step.relisted:
            yield self.article_request(url, source, account)
        next_url = step.ask or (page.next_url if step.more else None)
        if step.from_other_end:
            next_url = album_json_url(response.url, self.config.album_page_size, oldest_first=True)
        if next_url:
            self.pages_to_come[source] = account.name if account else ""
            request = request_of(response)
            # meta stays behind: what Scrapy put there (download_latency) is not the next page's
            yield request.replace(url=next_url, meta={"listing": True},
                                  cb_kwargs={**request.cb_kwargs, "first_page": False})

    def _with_biz(self, response: Response, source: str, album: str, biz: str,
                  refusal: ListingError) -> scrapy.Request:
        """The first page of ``album`` asked again with ``biz``, the account's whose page
        linked it without ``__biz``: WeChat answered without one as ``refusal`` says."""
        self.logger.info("Source %s answered without __biz (%s): asked with its page's "
                         "account's", source, refusal)
        url = album_json_url(album_url(self.config.wechat_base_url, biz, album), self.config.album_page_size)
        return request_of(response).replace(url=url, meta={"listing": True})

    def source_read(self, source: str, first_page: bool) -> None:
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
        if kwargs.get("reader") in (None, self.albums.reader):  # not a page an earlier part queued
            self.pages_to_come.pop(kwargs["source"], None)
        self.source_failed(kwargs["source"], kwargs["account"], kwargs["first_page"], failure_reason(failure),
                           logging.INFO if self.already_said(failure) else logging.WARNING)

"""What makes a run incremental: only what the index does not hold is fetched.

``IncrementalMiddleware`` (a spider middleware, so every spider gets it, whatever found the
article) lets an article request out only if the index does not hold the article as
settled, and only once a run, whichever link led to it: a listing, a page's links and a
feed may all name one article, each with another ``chksm``; ``KnownRedirects`` does the same
for a link that redirects (Scrapy's redirects pass no spider middleware). What the run
remembers to do so is on disk (``RunSets``), not in memory. ``AlbumProgress`` tells how far
an album is read, and what to record of each page (``StatePipeline`` writes it: who joined
the album, who left it).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from crawler.albumread import AlbumRead, listing, members
from crawler.items import AlbumPageRead, ArticleItem, LinkRefused
from crawler.report.logtext import counted, escape_controls
from crawler.report.tally import Stat, Tally, named_by_user
from crawler.run import Run
from crawler.runsets import Refused, RunSets
from crawler.store.accountbook import AccountBook
from crawler.store.index import SETTLED, ArticleState, Index
from crawler.watch.watcher import watched_key
from crawler.wechat.listing import AlbumPage
from crawler.wechat.urls import article_key

# Items with no article link a line names (the rest counted), and how much of each name
_NAMES_SHOWN, _NAME_SHOWN = 10, 80
# What a maintainer can do of an album read in part: its pages are asked with every cursor
# the captures show WeChat answering (begin_msgid and begin_itemidx, from either end, across
# pushes; 20 a page), so only the articles' own links, or pages longer than any captured
_WHAT_TO_DO = ("; the articles it did not list are had by their links (scrapy crawl article -a "
               "url=<each one's link>, or the account's urls), or may be by longer pages, should "
               "WeChat answer them (-s ALBUM_PAGE_SIZE=100); said at INFO while its reads come short alike")

class IncrementalMiddleware:
    """Drops article requests for what is settled in the index, or requested this run.

    A request with ``meta["refetch"]`` (an article the user named) goes out even if
    archived. The run remembers the keys and links it requested, on disk (``RunSets``).
    """

    def __init__(self, index: Index, tally: Tally, retry_days: int, refused: Refused):
        self.index = index
        self.tally = tally
        self.retry_days = retry_days
        sets = RunSets(refused)
        self.close = sets.close
        self.keys = sets.of("keys")
        self.links = sets.of("links")
        self.weak = sets.of("weak")  # keys requested so far only by links without chksm
        self.refused = sets.of("refused")  # keys whose link without chksm was refused this run
        self.archived = sets.of("archived")  # keys counted as already archived this run
        self.watched = sets.of("watched")  # keys the watch requested this run

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IncrementalMiddleware:
        run = Run.of(crawler)
        middleware = cls(run.archive.index, run.tally, run.config.link_retry_days, run.memory_refused)
        crawler.signals.connect(middleware.close, signal=signals.spider_closed)
        return middleware

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        async for output in start:
            if self.wanted(output):
                yield output

    def process_spider_output(self, response: Response, result: Iterable[Any]) -> Iterator[Any]:
        return (output for output in result if self.wanted(output))

    async def process_spider_output_async(self, response: Response,
                                          result: AsyncIterator[Any]) -> AsyncIterator[Any]:
        async for output in result:
            if self.wanted(output):
                yield output

    def wanted(self, output: Any) -> bool:
        """Whether ``output`` goes on: anything but an article request already settled or
        already requested. An article fetched from a link that did not name it (a short
        link) is known by its key from then on.

        A link without ``chksm`` may be refused (``ArticleState.NEEDS_LINK``); a listing's
        link for the same article then goes out, though its key was requested this run.
        """
        if isinstance(output, ArticleItem):
            self.keys.add(output.article.key)
            return True
        if isinstance(output, LinkRefused):  # on its way to the index, read before it is there
            self.refused.add(output.key)
            return True
        if not (isinstance(output, Request) and output.meta.get("article")):
            return True
        key = self.index.article_of(output.url)
        weak = bool(output.meta.get("weak_link"))
        # a short link whose page was gone, naming no article, is settled under its URL
        state = self.index.article_state(key or output.url)
        if key in self.refused and state not in SETTLED:
            state = ArticleState.NEEDS_LINK
        settled = not output.meta.get("refetch") and state in SETTLED
        if settled and key and key in self.watched:  # the watch's, yet already archived to the listing
            return self._already_archived(key, output)
        if output.url in self.links:
            return False
        if key and key in self.keys and not output.meta.get("instead") and not (
                not weak and key in self.weak and state == ArticleState.NEEDS_LINK):
            return False
        if key and weak and state == ArticleState.NEEDS_LINK and not output.meta.get("refetch") \
                and not named_by_user(output.cb_kwargs.get("source", "")) \
                and (key in self.refused or not self._due_again(key)):
            return False  # refused before: a listing's link will do (the user's, asked again)
        if settled:
            return self._already_archived(key or output.url, output)
        self.links.add(output.url)
        if key:
            self.keys.add(key)
            if watched_key(output):
                self.watched.add(key)
            (self.weak.add if weak else self.weak.discard)(key)
        if weak:
            self.tally.count(Stat.LINKS_WITHOUT_CHKSM)
        self.tally.count(Stat.ARTICLES_REQUESTED)
        return True

    def _due_again(self, key: str) -> bool:
        """Whether ``key``'s link without ``chksm``, refused, is asked again: the refusal is
        ``retry_days`` old (the verification page may have been a block that passed, and
        no album may ever list the article), of a time not known, or in the future (a
        clock set ahead, then right)."""
        refused = self.index.refused_at(key)
        if refused is None:
            return True
        age = datetime.now(UTC) - datetime.fromisoformat(refused)
        return age >= timedelta(days=self.retry_days) or age < timedelta(0)

    def _already_archived(self, key: str, request: Request) -> bool:
        """Count ``request``'s article as already archived (``had_before``), once a run (as
        a new article is); it does not go out."""
        if key not in self.archived:
            self.archived.add(key)
            self.tally.count_of(had_before(self.index, key), request)
        return False


def had_before(index: Index, key: str) -> Stat:
    """What a request for article ``key``, settled in the index, counts as: already archived,
    or, the index holding no post of it, gone before archived (deleted or removed before a
    run had it, a link to no article): "already archived" said of it was false."""
    return Stat.ARTICLES_ALREADY_ARCHIVED if index.article_path(key) else Stat.ARTICLES_GONE_BEFORE


class RedirectedToKnown(IgnoreRequest):
    """A link that redirected to an article the run requested already, or the index holds
    settled (``KnownRedirects``)."""

    def __init__(self, key: str):
        super().__init__(f"redirected to article {key}, requested this run or archived")
        self.key = key


class KnownRedirects:
    """A downloader middleware: a link naming no article (an old short link) that redirects
    to an article page the run requested already, or that the index holds settled, is not
    followed there (Scrapy's redirects pass no spider middleware, so not
    ``IncrementalMiddleware``); the spider records the link as leading to that article."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> KnownRedirects:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        if not (request.meta.get("article") and request.meta.get("redirect_urls")) \
                or request.meta.get("refetch"):
            return
        gate = self.crawler.get_spider_middleware(IncrementalMiddleware)
        key = article_key(request.url)
        if gate is None or key is None:
            return
        # a link to this very article redirected (http:// to https://, as album items link):
        # the run requested it by this link
        own = gate.index.article_of(request.meta["redirect_urls"][0]) == key
        if key in gate.keys and key not in gate.weak and not own:  # a weak link may yet be refused
            raise RedirectedToKnown(key)
        if gate.index.article_state(key) in SETTLED:
            gate._already_archived(key, request)
            raise RedirectedToKnown(key)


@dataclass(frozen=True)
class AlbumStep:
    """What one page of an album tells the spider: what to record of it, whether to read the
    next page, and which known members to fetch by the links the album gave (an unchanged
    album)."""

    record: AlbumPageRead
    more: bool
    relisted: tuple[str, ...] = ()
    unread: str = ""  # why an album that answered was not read to its end: a source read in part
    as_before: bool = False  # ``unread`` is why its last read came short too: said then
    from_other_end: bool = False  # read it again, oldest first: the read newest first came short
    ask: str = ""  # the page to ask next: of the read across pushes
    notes: tuple[tuple[int, str], ...] = ()  # (logging level, line) of what the read found
    unlinked: tuple[str, ...] = ()  # what names each item of a read to its end that links no article


class AlbumProgress:
    """Which albums a run reads, how far, and what is recorded of them.

    An album lists its current members in the owner's position order, not by date: members
    leave when deleted, old articles join anywhere, and ``article_count`` counts current
    members only. So nothing is inferred from counts of what the index holds. An album
    whose first page and count (stated) are what they were when it was last read whole (within
    ``ALBUM_RECHECK_DAYS``), and which lists its newest first, is unchanged: one request,
    and its members not yet settled are fetched by the links it gave. Any other album is
    read to its end (``continue_flag`` "0", or a page that lists nothing new), and the
    members it no longer lists are recorded as having left it: their posts stay.

    ``reader`` names this process's reads: a page of an album that a job folder's queue
    kept from an earlier process (``JOBDIR``) carries another, and is not of this run's
    read (what that process listed died with it).
    """

    def __init__(self, index: Index, recheck_days: int):
        self.index = index
        self.recheck = timedelta(days=recheck_days)
        self.reader = uuid.uuid4().hex
        self.started: set[str] = set()
        self.reading: dict[str, AlbumRead] = {}

    def start(self, album: str) -> bool:
        """Whether ``album`` is new to this run (each album is read once a run)."""
        if album in self.started:
            return False
        self.started.add(album)
        return True

    def read(self, album: str, biz: str, page: AlbumPage, first_page: bool) -> AlbumStep:
        """What to record of one page of ``album`` (of account ``biz``), and what to do next
        (``_step``). A read that comes short is a WARNING that says what a maintainer can do,
        once: while the album's reads come short alike, its line is said at INFO (``as_before``),
        as no other cursor WeChat is known to answer reads it whole."""
        step = self._step(album, biz, page, first_page)
        if not step.unread:
            return step
        record = replace(step.record, short=step.unread)
        if AccountBook(self.index).album_short_read(album) == step.unread:
            return replace(step, record=record, as_before=True)
        return replace(step, record=record, unread=step.unread + _WHAT_TO_DO)

    def _step(self, album: str, biz: str, page: AlbumPage, first_page: bool) -> AlbumStep:
        """What to record of one page of ``album`` (of account ``biz``), and what to do next.

        A read that ends with fewer members than the first screen counts (current members
        only) is not whole: a page that listed nothing, or a ``begin_msgid`` WeChat no longer
        knows, may end it early, and taking it as whole would take the members after it as
        gone and the album as unchanged for ``ALBUM_RECHECK_DAYS``. Such a read, or one
        stopped by a page that lists nothing new, is read again from the album's other end
        (oldest first), until the two reads list as many as the count: a push's articles a
        page boundary split, which the next page may skip (``begin_itemidx``), fall on either
        side of another boundary read so. Should that boundary split the push too, or WeChat
        ignore ``is_reverse``, it is read newest first across its pushes (``AlbumRead.cross``)."""
        at = datetime.now(UTC).isoformat(timespec="seconds")
        listed = listing(page)
        record = AlbumPageRead(album, biz, members(page), at)
        if first_page:
            signature = f"{page.article_count}|{','.join(listed)}"
            record = replace(record, first=True, title=page.title, count=page.article_count)
            # without a count, or listing the oldest first (new members join its last page),
            # the first page says nothing of the pages after it
            relisted = None if page.article_count is None or page.oldest_first \
                else self._unchanged(album, signature, dict(record.members))
            if relisted is not None:
                return AlbumStep(record, False, relisted, notes=_unlinked(page.unlinked, True),
                                 unlinked=page.unlinked)
            seen = AccountBook(self.index).album_signature(album)[0] == signature
            self.reading[album] = AlbumRead(signature, page.article_count, first_keys=listed,
                                            seen_before=seen, first_across=page.across_url)
        reading = self.reading.setdefault(album, AlbumRead())
        if reading.repeats_newest_first(listed):
            reading.reverse_ignored = True
            if reading.may_cross():
                return AlbumStep(record, False, ask=reading.cross())
            del self.reading[album]
            return AlbumStep(record, False, self._leaving(album, reading.listed),
                             f"{reading.short(page)}: read no further")
        again = reading.repeated(listed)
        step = self._next(album, record, reading, page, reading.take(listed))
        if again:  # nothing lost: each counted once
            step = replace(step, notes=((logging.INFO, f"a page listed again {counted(again, 'article')} "
                                         "a page before it listed: each counted once"),) + step.notes)
        return step

    def _next(self, album: str, record: AlbumPageRead, reading: AlbumRead, page: AlbumPage,
              new: bool) -> AlbumStep:
        """The step of a page of ``album``'s read that listed something ``new`` or not:
        the next page, the read again from another end or across its pushes, or its end."""
        beyond, reading.beyond = reading.beyond, False
        # past a full last page, a page listing nothing new: the album ended there
        short, ended = ("", True) if beyond and not new else (reading.short(page), reading.ends(page))
        if ended and not short and not (beyond and not new) and reading.count is None and page.beyond_url:
            reading.beyond = True  # no count says it ends on a page as full as asked
            return AlbumStep(record, False, ask=page.beyond_url)
        if (ended or not new) and short and reading.may_turn():
            reading.turn()
            return AlbumStep(record, False, from_other_end=True)
        if (ended or not new) and short and reading.may_cross() and not reading.same_from_both_ends():
            return AlbumStep(record, False, ask=reading.cross())
        if reading.across and not ended and new:
            return AlbumStep(record, False, ask=page.across_url or "")
        if ended:
            del self.reading[album]
            step = self._ended(album, record, reading, short)
            return replace(step, notes=step.notes + _unlinked(reading.unlinked(), reading.seen_before),
                           unlinked=reading.unlinked())
        if not new:  # said with how many of its count it listed: those after them are not had
            del self.reading[album]
            why = "a page listed nothing new (the album repeats itself): read no further"
            return AlbumStep(record, False, unread=f"{why}; {short}" if short else why)
        return AlbumStep(record, True)

    def _ended(self, album: str, record: AlbumPageRead, reading: AlbumRead, short: str) -> AlbumStep:
        """The step of the page that ends a read: the album read whole, or in part (``short``)."""
        if short and reading.same_from_both_ends():
            return self._overcounted(album, record, reading, short)
        whole = reading.articles()
        if short:
            return AlbumStep(record, False, self._leaving(album, whole), short)
        return AlbumStep(replace(record, whole=frozenset(whole), signature=reading.signature),
                         False, self._leaving(album, whole))

    def _overcounted(self, album: str, record: AlbumPageRead, reading: AlbumRead,
                     short: str) -> AlbumStep:
        """A read from the oldest end that listed the very members the read from the newest
        did, short of the count: they are what WeChat lists, and the count holds members it
        lists from neither end (a deleted one still counted, say). The album is taken as read;
        the shortfall is news (a WARNING) unless it is the one its last read found."""
        whole = reading.articles()
        overcount = reading.overcount()
        said = AccountBook(self.index).album_overcount(album) == overcount
        note = (f"{short}, the same {len(reading.listed)} from both: WeChat counts {overcount} it "
                "lists from neither end (deleted, likely); taken as read"
                + ("" if said else ", said at INFO while it stays so"))
        return AlbumStep(replace(record, whole=frozenset(whole), signature=reading.signature,
                                 overcount=overcount),
                         False, self._leaving(album, whole),
                         notes=((logging.INFO if said else logging.WARNING, note),))

    def back(self, album: str, page: AlbumPage) -> set[str]:
        """The keys of the members ``page`` of ``album`` lists anew that WeChat answered
        deleted or removed before they were archived: WeChat drops a deleted article from
        its albums, so one listed again was likely restored, and is asked at once (once a
        run, as any), not at the watch's weekly turn. One an album keeps listing while its
        page stays deleted is left to the watch. Asked before the page is recorded."""
        return AccountBook(self.index).back_in_album(album, [key for key, _ in members(page)])

    def unsettled(self, album: str) -> tuple[str, ...]:
        """The links of the members not settled of ``album``, which no read of it brings any
        more (WeChat says it is no more, or it lists another account's articles now): asked
        all the same, as deleting an album leaves its articles."""
        return self._leaving(album, set())

    def _leaving(self, album: str, whole: set[str]) -> tuple[str, ...]:
        """The links of the members not settled that ``album`` no longer lists: asked at
        each read of it until had (an article taken out of the album is still the account's;
        a deleted one is then known as such), as the album's pages no longer bring them."""
        return tuple(url for key, url in AccountBook(self.index).unsettled_in_album(album)
                     if key not in whole and url)

    def _unchanged(self, album: str, signature: str,
                   links: dict[str, str]) -> tuple[str, ...] | None:
        """The links of the unsettled members of an unchanged album (as this page gives
        them, else as an earlier listing did); None if the album changed."""
        known, read_whole = AccountBook(self.index).album_signature(album)
        if known != signature or read_whole is None:
            return None
        # a read over a day ahead of the clock was by a clock set wrong: taken as none
        age = datetime.now(UTC) - datetime.fromisoformat(read_whole)
        if not -timedelta(days=1) <= age <= self.recheck:
            return None
        unsettled = [links.get(key) or url for key, url in AccountBook(self.index).unsettled_in_album(album)]
        if not all(unsettled):
            return None  # a member known only from its own page: read the album whole
        return tuple(unsettled)


def _unlinked(names: tuple[str, ...], said: bool) -> tuple[tuple[int, str], ...]:
    """The line of a read whose album listed items with no article link, each named by
    ``names`` (its ``key``, else its ids and title): a loss, news (a WARNING) unless ``said``
    at the read that found the album as it is."""
    if not names:
        return ()
    shown = ", ".join(escape_controls(name[:_NAME_SHOWN]) for name in names[:_NAMES_SHOWN])
    return ((logging.INFO if said else logging.WARNING,
             f"lists {counted(len(names), 'item')} with no article link (an audio album's audios, say): "
             f"nothing of them archived: {shown}{', …' if len(names) > _NAMES_SHOWN else ''}"),)


"""How well the archive covers each account: what the run summary and
``scrapy accounts-report`` say per account, read from the index (and, for the name of an
account no accounts file lists, its newest post).
"""

from __future__ import annotations

import statistics
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from crawler.accounts import Account
from crawler.report.logtext import counted
from crawler.report.tally import SOURCE_KINDS, Stat, by_kind
from crawler.store.accountbook import AccountBook
from crawler.store.index import SETTLED, ArticleState, Index
from crawler.store.postfiles import PostError, front_matter
from crawler.store.watchbook import WatchBook
from crawler.wechat.article import CHINA_TIME

# Settled states of an article the archive holds a post of
_HELD = (ArticleState.ARCHIVED, ArticleState.GONE_INCOMPLETE)
# What the watch saw of an account's originals, in the order its line gives them.
_UPSTREAM = ("deleted", "removed", "edited")
# How many of an account's latest publications (pushes) tell how often it publishes.
_CADENCE_ARTICLES = 11


@dataclass(frozen=True)
class Coverage:
    account: str
    biz: str
    archived: int = 0
    albums: int = 0
    not_archived: int = 0  # known to the index (album members, linked articles), no post yet
    foreign_links: int = 0
    newest: datetime | None = None
    usual_gap: timedelta | None = None  # the median gap between its latest articles
    upstream: Mapping[str, int] = field(default_factory=dict)  # deleted, removed, edited there
    links_gone: bool = False  # its biz unknown, every link given it leads to no article

    def silence(self, now: datetime) -> timedelta | None:
        """How long since its newest archived article was published."""
        return now - self.newest if self.newest else None

    def stale(self, days: int, now: datetime) -> bool:
        """Silent for more than ``days`` while it used to publish more often than that."""
        silence, limit = self.silence(now), timedelta(days=days)
        return bool(silence and self.usual_gap and silence > limit and self.usual_gap < limit)

    def line(self, now: datetime) -> str:
        """``40 archived, 3 albums known, newest 2026-11-20 (9 days ago), 2 links to other
        accounts seen`` (``biz unknown yet`` for an account none of whose pages was fetched);
        ``40 archived, 5 known not archived, …`` while the index knows articles it has not."""
        if self.links_gone:
            return ("biz unknown: its links lead to no article WeChat shows (deleted or removed before "
                    "a run had it): give another of its links")
        if not self.biz:
            return "biz unknown yet (no page of it fetched)"
        silence = self.silence(now)
        days = counted(silence.days, "day") if silence is not None else ""
        newest = f"newest {self.newest:%Y-%m-%d} ({days} ago)" if self.newest else "no article yet"
        upstream = ", ".join(f"{self.upstream[what]} {what}" for what in _UPSTREAM
                             if self.upstream.get(what))
        missing = f"{self.not_archived} known not archived, " if self.not_archived else ""
        return (f"{self.archived} archived, {missing}{counted(self.albums, 'album')} known, {newest}, "
                f"{counted(self.foreign_links, 'link')} to other accounts seen"
                + (f"; originals {upstream}" if upstream else ""))


def coverage_of(index: Index, account: str, biz: str, links: Collection[str] = ()) -> Coverage:
    """What the index holds of ``account``; ``links``, the links it is given (with no album
    or feed), may lead to no article, when no run can find another of its articles."""
    if not biz:
        return Coverage(account, biz, links_gone=_all_gone(index, links))
    accounts = AccountBook(index)
    archived, albums, foreign = accounts.account_coverage(biz)
    times = accounts.publish_times(biz, _CADENCE_ARTICLES)
    newest = datetime.fromtimestamp(times[0], CHINA_TIME) if times else None
    gaps = [newer - older for newer, older in zip(times, times[1:], strict=False)]
    usual = timedelta(seconds=statistics.median(gaps)) if gaps else None
    return Coverage(account, biz, archived, albums, accounts.known_not_archived(biz), foreign,
                    newest, usual, WatchBook(index).upstream(biz))


def ways_in(account: Account) -> tuple[str, ...]:
    """The links ``account``'s way in hangs on (``coverage_of``): its ``urls``, when it names
    no album or feed, which may yet bring its articles."""
    return () if account.albums or account.feeds else account.urls


def _all_gone(index: Index, links: Collection[str]) -> bool:
    """Whether each of ``links`` leads to no article the index holds or will: deleted or
    removed before a run had it, or a short link to such a page (settled by its URL)."""
    states = [index.article_state(index.article_of(url) or url) for url in links]
    return bool(states) and all(state in SETTLED and state not in _HELD for state in states)


def deletions_alarm(index: Index, account: str, biz: str, now: datetime, deletions: int,
                    days: float, fresh_since: float = 0) -> str | None:
    """A warning when ``deletions`` or more of the account's originals were seen deleted or
    removed within ``days``, one of them since ``fresh_since`` (a run warns once, not at
    every run of the week): an account cleaning up, or being cleaned up, is worth a look."""
    if not biz:
        return None
    book = WatchBook(index)
    until = now.timestamp()  # one seen by a clock set ahead then is no news at each run
    gone = book.gone_originals(biz, since=until - days * 86400, until=until)
    if gone < deletions or not book.gone_originals(biz, since=fresh_since, until=until):
        return None
    was, stay = ("was", "its post stays") if gone == 1 else ("were", "their posts stay")
    return (f"{counted(gone, 'original')} of {account} {was} deleted or removed upstream within "
            f"{days:g} day{'s' * (days != 1)}; {stay}, marked as such")


def archived_accounts(index: Index, posts: Path, known: Collection[str]) -> list[tuple[str, str]]:
    """(name, ``__biz``) of each account the archive holds posts of but ``known`` does not
    list (imported pages, say), named as its newest post attributes it."""
    accounts = []
    for biz, newest in AccountBook(index).archived_accounts():
        if biz in known:
            continue
        try:
            name = (front_matter(posts / newest).get("wechat") or {}).get("account")
        except PostError:  # scrapy verify says what is wrong with it
            name = None
        accounts.append((str(name or biz), biz))
    return accounts


def named_by_posts(listed: list[tuple[str, str]], others: list[tuple[str, str]]
                   ) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(name, ``__biz``) of the accounts ``listed``, each whose ``__biz`` is unknown yet (no
    page of its links fetched: an album of it archived first) given that of the one account
    of ``others`` its posts attribute to that name (the accounts file names an account so);
    and ``others`` without those."""
    bizes: dict[str, list[str]] = {}
    for name, biz in others:
        bizes.setdefault(name, []).append(biz)
    # two accounts of one name: neither is sure to be the file's
    only = {name: found[0] for name, found in bizes.items() if len(found) == 1}
    known = [(name, biz or only.get(name, "")) for name, biz in listed]
    taken = {biz for _, biz in known if biz}
    return known, [(name, biz) for name, biz in others if biz not in taken]


def found_this_run(counts: Mapping[str, int], cut_short: bool = False) -> str:
    """``38 new (30 by albums, 8 by links)`` from an account's counts of a run; a run
    ``cut_short`` (a signal, blocks) may not have asked all its sources, which may yet fail."""
    new = counts.get(Stat.POSTS_NEW.part, 0)
    by = [f"{counts[by_kind(Stat.POSTS_NEW, kind)]} by {words}" for kind, words in SOURCE_KINDS.items()
          if counts.get(by_kind(Stat.POSTS_NEW, kind))]
    found = f"{new} new" + (f" ({', '.join(by)})" if by else "")
    failed = counts.get(Stat.SOURCES_FAILED.part, 0)
    in_part = counts.get(Stat.SOURCES_FAILED_PAGES.part, 0)  # a later page failed
    as_before = counts.get(Stat.SOURCES_PART_AS_BEFORE.part, 0)  # an album read so at its last read
    not_fetched = counts.get(Stat.PAGES_FETCH_FAILED.part, 0) + counts.get(Stat.PAGES_BLOCKED.part, 0)
    later = counts.get(Stat.LINKS_OVER_BUDGET.part, 0)  # short links past FOLLOW_LINKS_PER_RUN
    cut = counts.get(Stat.SOURCES_CUT_SHORT.part, 0)  # their next page unasked: no failure
    left = (f", {counted(cut, 'source')} read in part left for the next run" if cut else "") \
        + (f", {counted(later, 'short link')} left to a later run" if later else "")
    if not failed and not in_part and not as_before and not not_fetched:
        return found + ", no source failed" + (" before the run was cut short" if cut_short else "") + left
    return found + "".join([f", {counted(failed, 'source')} failed" if failed else "",
                            f", {counted(in_part, 'source')} read in part" if in_part else "",
                            f", {counted(as_before, 'source')} read in part as at its last read"
                            if as_before else "",
                            f", {counted(not_fetched, 'page')} not fetched" if not_fetched else "", left])

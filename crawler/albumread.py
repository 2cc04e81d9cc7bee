"""One run's read of one album, from its newest end and, when that falls short, from its oldest.

An album's pages are asked newest first; a page boundary may split one push's articles, and
WeChat's next page may then skip some of them (``begin_itemidx``), or a page that lists
nothing, or a ``begin_msgid`` it no longer knows, may end the read early. So a read that
lists fewer members than the album's first screen counts is read again from the other end
(``is_reverse=1``), whose page boundaries fall elsewhere; the two reads together are the
album. Should they still come short (both ends split one push, or WeChat ignored
``is_reverse``), it is read a third time newest first across its pushes: each page asked
from before the push that ended the page before, which lists that push whole whatever the
cursor skips. ``AlbumRead`` keeps what that takes; ``AlbumProgress`` decides what each page
means.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from crawler.wechat.listing import AlbumPage
from crawler.wechat.urls import lacks_chksm

# What marks an item that links no article among a read's members, and one that links an
# article its item names by no ids (a short link, the album's ``__biz`` unknown): no key has
# either (``__biz:…``)
_UNLINKED = "~"
_LINK_ONLY = "@"


def members(page: AlbumPage) -> tuple[tuple[str, str], ...]:
    """The (key, link) of each article ``page`` lists; the link "" when it lacks ``chksm``
    (such a link may be refused: the member is then fetched by another)."""
    return tuple((entry.key, "" if lacks_chksm(entry.url) else entry.url)
                 for entry in page.entries if entry.key)


def listing(page: AlbumPage) -> tuple[str, ...]:
    """What ``page`` lists, in its order: its members' keys (one known by its link alone by
    that link, marked), then the items that link no article, marked (an audio album's
    audios): each is one the count holds, and makes a first page what it is."""
    return tuple(entry.key or _LINK_ONLY + entry.url for entry in page.entries) \
        + tuple(_UNLINKED + item for item in page.unlinked)


@dataclass
class AlbumRead:
    """What a run keeps of an album while it reads it: the signature of its first page, the
    count its first screen states, and what the read newest first and the read oldest first
    listed, so as to tell when the two together are the album, or only ever list the same."""

    signature: str = ""
    count: int | None = None
    first_keys: tuple[str, ...] = ()  # what its first page (newest first) lists
    seen_before: bool = False  # its first page as at its last read to its end
    listed: set[str] = field(default_factory=set)  # by either read
    this_read: set[str] = field(default_factory=set)  # by the read under way
    from_oldest: bool = False
    newest_first: frozenset[str] = frozenset()  # what the read newest first listed, once over
    first_across: str | None = None  # the first page's next page asked from before its last push
    across: bool = False  # the read across pushes under way
    reverse_ignored: bool = False  # asked oldest first, WeChat listed it newest first
    beyond: bool = False  # the page under way was asked past a full last page (no count)
    repeat_said: bool = False  # a page that listed again what a page before it listed, said

    def repeated(self, listed: tuple[str, ...]) -> int:
        """How many of what a page lists a page before it in this read listed already, when
        that is news: said once a read, not of a page that lists nothing new (its own line
        says so), nor of the read across pushes, whose pages repeat a push by design."""
        again = len(set(listed) & self.this_read)
        if self.repeat_said or self.across or not again or again == len(set(listed)):
            return 0
        self.repeat_said = True
        return again

    def repeats_newest_first(self, listed: tuple[str, ...]) -> bool:
        """Whether the read oldest first opened on the first page of the read newest first:
        WeChat ignored ``is_reverse``, and would give the same pages again."""
        return self.from_oldest and not self.this_read and listed == self.first_keys

    def take(self, listed: tuple[str, ...]) -> bool:
        """Add what a page lists; whether it listed anything this read had not."""
        new = set(listed) - self.this_read
        self.this_read |= new
        self.listed |= new
        return bool(new)

    def ends(self, page: AlbumPage) -> bool:
        """Whether ``page`` ends this read: the last WeChat has, or, oldest first, the one
        at which the two reads list the count (the rest were listed newest first)."""
        return page.next_url is None or self.from_oldest and not self.short(page)

    def may_turn(self) -> bool:
        """Whether a read that came short may be read again oldest first: only once, and only
        with a count to tell when the two reads are whole."""
        return self.count is not None and not self.from_oldest

    def turn(self) -> None:
        """Start the read oldest first; what newest first listed is kept to compare."""
        self.from_oldest, self.newest_first = True, frozenset(self.this_read)
        self.this_read = set()

    def may_cross(self) -> bool:
        """Whether a read that came short from both ends may be read across its pushes."""
        return self.from_oldest and not self.across and self.first_across is not None

    def cross(self) -> str:
        """Start the read across pushes, from the first page (already read): the URL of its
        next page."""
        assert self.first_across is not None
        self.across, self.this_read = True, set(self.first_keys)
        return self.first_across

    def same_from_both_ends(self) -> bool:
        """Whether the read oldest first listed the very members the read newest first did:
        what WeChat lists from either end, however short of the count (the read across pushes
        starts from the first page, and is no third end)."""
        return self.from_oldest and not self.across and self.this_read == self.newest_first

    def articles(self) -> set[str]:
        """The keys of the articles listed (items that link none, or name theirs by a link
        alone, left out)."""
        return {key for key in self.listed if not key.startswith((_UNLINKED, _LINK_ONLY))}

    def unlinked(self) -> tuple[str, ...]:
        """What names each item listed that links no article."""
        return tuple(sorted(key.removeprefix(_UNLINKED) for key in self.listed if key.startswith(_UNLINKED)))

    def overcount(self) -> int:
        """How many more the first screen counts than the reads listed."""
        return (self.count or 0) - len(self.listed)

    def short(self, last: AlbumPage) -> str:
        """Why the read, were it to end on page ``last``, is not whole ("" when it is): fewer
        members listed than its first screen counts, or, with no count, a last page that
        listed nothing while ``continue_flag`` said more follow."""
        if self.count is not None:
            ends = ", read from its newest and from its oldest" if self.from_oldest else ""
            if self.reverse_ignored:
                ends = ", read from its newest (asked oldest first, WeChat listed it newest first again)"
            if self.across:
                ends += " and across its pushes"
            return f"its pages listed {len(self.listed)} of the {self.count} articles its first " \
                f"screen counts{ends}" if len(self.listed) < self.count else ""
        return "a page listed no article, yet its continue_flag said more follow" if last.cut else ""

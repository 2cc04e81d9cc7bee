"""What travels from the spiders through the pipelines: articles, and what the spiders
learn on the way (albums, links, accounts), which only ``StatePipeline`` writes to the index."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from crawler.wechat.article import Article
from crawler.wechat.saved import SavedPage


@dataclass(frozen=True)
class ImagesNotStored:
    """An article's images ``ImagePipeline`` could not store, said by ``PostPipeline`` with
    what became of the post, in one line: a full disk refused an article's pictures, then its
    post, and the mail said "the post keeps their URLs" of a post it then said was not
    archived, the stop's line between them."""

    count: int
    of: int
    reasons: str  # the reasons named, others counted: "HTTP 404; HTTP 503; 1 other reason"
    level: int  # of its line, as the failures alone make it: WARNING for news, else INFO
    refused: tuple[str, ...] = ()  # the causes the archive refused some for (``Run.error_level``)


@dataclass
class ArticleItem:
    """A parsed article; ``file_urls``/``files`` are ImagePipeline's input and output."""

    article: Article
    file_urls: list[str]
    source: str = "url"
    tags: list[str] = field(default_factory=list)  # configured: the account's, or import's -a tags=
    account: str = ""  # the account of the accounts file it was found for
    fetched_url: str = ""  # the link it was fetched by, as its source gave it (before redirects)
    files: list[dict[str, Any]] = field(default_factory=list)
    images_incomplete: bool = False  # an image failed for a reason that may pass
    images_not_stored: ImagesNotStored | None = None
    imported_page: SavedPage | None = None  # a saved page, kept as a capture when archived
    from_capture: bool = False  # its page read from the raw captures, not fetched now

    def __repr__(self) -> str:
        # Scrapy logs dropped items with their repr; a whole article body is no log line.
        return f"<article {self.article.url} {self.article.title!r}>"


@dataclass
class ArticleGone:
    """An article WeChat no longer shows (deleted, removed): recorded, never written over."""

    key: str
    url: str
    reason: str
    # The watch had this answer already, for an article with a post (``WatchPipeline``): its
    # state stays as it is (made whole again from its capture meanwhile, say).
    known: bool = False


@dataclass(frozen=True)
class AccountTagged:
    """The ``tags`` the accounts file gives account ``biz`` now: each post of it archived
    before, which no run fetches again, gets those it was not given yet."""

    account: str
    biz: str
    tags: tuple[str, ...]


@dataclass(frozen=True)
class TagsAsked:
    """The ``tags`` asked (``crawl article -a tags=``) for the post of article ``key``, whose
    page gave no article now (deleted, removed): the post stands, and gets those it lacks."""

    key: str
    tags: tuple[str, ...]


# -- what the spiders learn, for the index (``StatePipeline`` records it) ---------------------
@dataclass(frozen=True)
class AccountFound:
    """The ``__biz`` of an account of the accounts file, as its first fetched page shows it."""

    account: str
    biz: str


@dataclass(frozen=True)
class AlbumFound:
    """An album of account ``biz`` that a page names (``member``: that page's article)."""

    album: str
    biz: str
    title: str = ""
    count: int | None = None
    member: str = ""


@dataclass(frozen=True)
class AlbumPageRead:
    """One page of an album: its members in order, with the links it gave them.

    ``first`` pages carry the album's title and count; ``whole`` is set on the page that
    ends a read to the end: every member listed in this run, and the album's signature
    (``crawler.incremental.AlbumProgress``).
    """

    album: str
    biz: str
    members: tuple[tuple[str, str], ...]  # (key, listed link; "" when it lacks chksm)
    at: str
    first: bool = False
    title: str = ""
    count: int | None = None
    whole: frozenset[str] | None = None
    signature: str = ""
    overcount: int = 0  # members the count holds that neither end lists, when read whole
    short: str = ""  # why the read this page ends was read in part, as its line says it


@dataclass(frozen=True)
class LinkFound:
    """A link (a short ``/s/<token>`` one, say) found to lead to article ``key``."""

    url: str
    key: str


@dataclass(frozen=True)
class ForeignLinkFound:
    """A link to another account's article ``key`` (of ``biz``), seen from ``seen_from``."""

    key: str
    biz: str
    seen_from: str


@dataclass(frozen=True)
class HomepageFound:
    """An account homepage (主页) of account ``biz`` that a page links: read by every run of
    the account (the page is not fetched again)."""

    url: str
    biz: str


@dataclass(frozen=True)
class LinkToFollow:
    """A link on a page of account ``biz`` to an article not settled yet: a later run
    follows it too, until its article is settled (the page holding it is not fetched again)."""

    url: str
    biz: str


@dataclass(frozen=True)
class WatchTurnTaken:
    """An original the watch asked for that WeChat answered with an error (a 404, a 5xx
    after the retries): its turn is taken, and nothing else is known (else, still the most
    due, it would take the watch's places in every run)."""

    key: str


@dataclass(frozen=True)
class LinkRefused:
    """A link without ``chksm`` WeChat refused: only a listing's link can fetch ``key``.
    ``watched``: the watch asked for it, and its turn is taken all the same (else the
    article, still most due, would take the watch's places in every run). ``said``: its
    refusal is said already (a link the user gave)."""

    key: str
    url: str
    watched: bool = False
    said: bool = False


@dataclass(frozen=True)
class LinkDead:
    """A link of the 2013-15 form (``/mp/appmsg/show``) WeChat answers with no article and
    never will (its parameter-error page, say): not asked again, its article left to links
    of today's form."""

    url: str


@dataclass(frozen=True)
class NoPageKept:
    """An article ``GONE_INCOMPLETE`` whose raw capture is missing or unreadable: its images
    cannot be tried again without its page, and it stays as its original is (gone)."""

    key: str
    url: str


@dataclass(frozen=True)
class MendTurnTaken:
    """An article ``GONE_INCOMPLETE`` whose post a run makes again from its capture: its turn
    is taken (else, first still, one whose images keep failing would take the places of the
    others in every run). ``captured``: when the page it is made of was fetched, the last
    fetch of it for an index that knows none (one from before it recorded them)."""

    key: str
    captured: float


StateRecord = AccountFound | AlbumFound | AlbumPageRead | LinkFound | ForeignLinkFound | LinkRefused \
    | LinkToFollow | LinkDead | HomepageFound | WatchTurnTaken | NoPageKept | MendTurnTaken

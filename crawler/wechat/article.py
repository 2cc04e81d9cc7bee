"""What a WeChat page is, once parsed: an article, or the reason it is not one."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from enum import StrEnum
from typing import TYPE_CHECKING

from crawler.wechat.urls import ArticleKey

if TYPE_CHECKING:
    import lxml.html

    from crawler.wechat.svgdrawn import SvgDrawings

CHINA_TIME = timezone(timedelta(hours=8), "Asia/Shanghai")
# No article is older than WeChat (launched 2011-01-21).
FIRST_PUBLISH_TIME = datetime(2011, 1, 21, tzinfo=CHINA_TIME)
# How far a publish time may lie after the page was fetched: clocks and time zones differ
# by hours, never by more.
CLOCK_SLACK = timedelta(days=1)


def trusted_publish_time(published: datetime, fetched: datetime) -> bool:
    """Whether a page's stated publish time can be believed of a page fetched at ``fetched``:
    not before WeChat existed, nor later than ``CLOCK_SLACK`` after the fetch. A post dated
    by any other (year 9999) would never be published by Jekyll, which leaves out posts
    dated in the future, and would keep its account looking active for ever."""
    return FIRST_PUBLISH_TIME <= published <= fetched + CLOCK_SLACK


class PostType:
    """WeChat's ``item_show_type`` values that change how a post is built."""

    ARTICLE = 0
    VIDEO = 5
    IMAGES = 8
    TEXT = 10


@dataclass(frozen=True)
class Album:
    """An album (合集) a page names, with the article count it states, when it does."""

    id: str
    title: str
    count: int | None = None


@dataclass(frozen=True)
class Article:
    """One article as WeChat published it; ``body_html`` is the ``#js_content`` markup."""

    url: str
    title: str
    account: str
    published: datetime | None
    body_html: str = ""
    account_id: str = ""
    biz: str = ""
    mid: str = ""
    idx: str = ""
    sn: str = ""
    copyright_stat: int | None = None
    item_show_type: int = PostType.ARTICLE
    albums: tuple[Album, ...] = ()
    pictures: tuple[str, ...] = ()
    text: str = ""
    source_url: str = ""
    share_source_url: str = ""
    share_source_title: str = ""
    image_urls: tuple[str, ...] = field(default=(), repr=False)
    # The relative time the page showed ("4天前") when ``published`` was worked out from it
    # and the day the page was saved: right to the day only.
    published_shown: str = ""
    # Links to other articles, as the page gives them (往期推荐, the album's previous and
    # next article): what a scheduled run follows to find the account's other articles.
    links: tuple[str, ...] = field(default=(), repr=False)
    # Albums the body links to (``…/mp/appmsgalbum?__biz=…&album_id=…``): leads, not tags.
    album_links: tuple[str, ...] = field(default=(), repr=False)
    # Account homepages (主页) the body links to (``…/mp/homepage?__biz=…&hid=…``): leads.
    homepage_links: tuple[str, ...] = field(default=(), repr=False)
    short_link: str = ""  # the page's own ``/s/<token>`` link, when it states one, as links to it are read
    # ``body_html`` as ``parse_page`` parsed it, when it did: the converter and the tagger
    # read this tree (never changing it) rather than parse the markup a second time.
    body: lxml.html.HtmlElement | None = field(default=None, compare=False, repr=False)
    # What ``body``'s SVGs draw, as far as the parser asked: the tagger asks the same
    # drawings, and what each SVG draws is worked out once.
    svg_drawings: SvgDrawings | None = field(default=None, compare=False, repr=False)

    @property
    def key(self) -> ArticleKey:
        """Identity across runs and edits: ``__biz:mid:idx``, else the URL."""
        return ArticleKey.of(self.biz, self.mid, self.idx) or ArticleKey(self.url)


class PageReason(StrEnum):
    """Why a page WeChat served is not an article."""

    DELETED = "deleted"
    VIOLATION = "violation"
    UNAVAILABLE = "unavailable"
    EXPIRED = "expired"
    BAD_PARAMS = "bad_params"
    VERIFICATION = "verification"
    UNKNOWN = "unknown"
    UNPARSEABLE = "unparseable"

    @property
    def message(self) -> str:
        return _MESSAGES[self]

    @property
    def gone(self) -> bool:
        """Whether the article is gone for good: it is not asked for again."""
        return self in (PageReason.DELETED, PageReason.VIOLATION)


_MESSAGES = {
    PageReason.DELETED: "deleted by its publisher",
    PageReason.VIOLATION: "removed for violating platform rules",
    PageReason.UNAVAILABLE: "temporarily unavailable",
    PageReason.EXPIRED: "an expired link",
    PageReason.BAD_PARAMS: "WeChat's parameter-error page (bad or incomplete link)",
    PageReason.VERIFICATION: "WeChat's verification page (the crawler is being challenged)",
    PageReason.UNKNOWN: "not an article page",
    PageReason.UNPARSEABLE: "a page the parser fails on",
}


@dataclass(frozen=True)
class NotAnArticle:
    """A page WeChat served instead of an article."""

    reason: PageReason
    message: str

    @classmethod
    def because(cls, reason: PageReason, detail: str = "") -> NotAnArticle:
        """``reason``, with its message and what more there is to say."""
        return cls(reason, f"{reason.message} ({detail})" if detail else reason.message)

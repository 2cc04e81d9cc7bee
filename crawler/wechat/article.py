"""What a WeChat page is, once parsed: an article, or the reason it is not one."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

CHINA_TIME = timezone(timedelta(hours=8), "Asia/Shanghai")


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
    author: str = ""
    copyright_stat: int | None = None
    item_show_type: int = PostType.ARTICLE
    albums: tuple[Album, ...] = ()
    pictures: tuple[str, ...] = ()
    text: str = ""
    source_url: str = ""
    share_source_url: str = ""
    share_source_title: str = ""
    image_urls: tuple[str, ...] = field(default=(), repr=False)
    # Links to other articles, as the page gives them (往期推荐, the album's previous and
    # next article): what a scheduled run follows to find the account's other articles.
    links: tuple[str, ...] = field(default=(), repr=False)

    @property
    def key(self) -> str:
        """Identity across runs and edits: ``__biz:mid:idx``, else the URL."""
        if self.biz and self.mid and self.idx:
            return f"{self.biz}:{self.mid}:{self.idx}"
        return self.url


@dataclass(frozen=True)
class NotAnArticle:
    """A page WeChat served instead of an article; ``reason`` is one of ``REASONS``."""

    reason: str
    message: str

    REASONS = {
        "deleted": "deleted by its publisher",
        "violation": "removed for violating platform rules",
        "unavailable": "temporarily unavailable",
        "expired": "an expired link",
        "bad_params": "WeChat's parameter-error page (bad or incomplete link)",
        "verification": "WeChat's verification page (the crawler is being challenged)",
        "unknown": "not an article page",
        "unparseable": "a page the parser fails on",
    }

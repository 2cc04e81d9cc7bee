"""What travels from the spiders through the pipelines."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from crawler.wechat.article import Article


@dataclass
class ArticleItem:
    """A parsed article; ``file_urls``/``files`` are ImagePipeline's input and output."""

    article: Article
    file_urls: list[str]
    source: str = "url"
    tags: list[str] = field(default_factory=list)  # configured: the account's, or import's -a tags=
    account: str = ""  # the account of the accounts file it was found for
    fetched_url: str = ""
    files: list[dict[str, Any]] = field(default_factory=list)
    images_incomplete: bool = False  # an image failed for a reason that may pass
    imported_page: bytes | None = None  # a saved page, kept as a capture when archived

    def __repr__(self) -> str:
        # Scrapy logs dropped items with their repr; a whole article body is no log line.
        return f"<article {self.article.url} {self.article.title!r}>"


@dataclass
class ArticleGone:
    """An article WeChat no longer shows (deleted, removed): recorded, never written over."""

    key: str
    url: str
    reason: str
    source: str = "url"

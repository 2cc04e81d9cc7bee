"""What travels from a spider through the pipelines."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from crawler.wechat.article import Article


@dataclass
class ArticleItem:
    """A parsed article; ``file_urls``/``files`` are FilesPipeline's input and output."""

    article: Article
    file_urls: list[str]
    files: list[dict[str, Any]] = field(default_factory=list)

    def __repr__(self) -> str:
        # Scrapy logs dropped items with their repr; a whole article body is no log line.
        return f"<article {self.article.url} {self.article.title!r}>"

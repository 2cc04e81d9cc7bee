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

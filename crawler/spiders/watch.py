"""``scrapy crawl watch``: only the watch of the originals (``crawler.watch.watcher``), which a
scheduled ``scrapy crawl accounts`` runs as well: ``WATCH_PER_RUN`` archived articles, the
most due first, fetched again to see whether they were deleted, removed or edited."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

import scrapy

from crawler.config import Config
from crawler.spiders.arguments import ArgumentError, check_known
from crawler.spiders.base import WeChatSpider
from crawler.store.archive import Layout
from crawler.watch.mend import mend_requests
from crawler.watch.watcher import watch_requests


@dataclass(frozen=True)
class WatchParams:
    """No arguments: what is watched is the index's to say."""

    @classmethod
    def from_arguments(cls, arguments: Mapping[str, Any], config: Config) -> WatchParams:
        """Refused, before anything is made, on a folder that holds no archive (a mistyped
        ``-s ARCHIVE_DIR=``): there an empty one would be made, and nothing ever watched."""
        check_known(arguments, ())
        if not Layout(config.archive_dir).exists():
            raise ArgumentError(f"{config.archive_dir} holds no archive (no _posts/ or .state/ "
                                "folder), so nothing to watch: check -s ARCHIVE_DIR=")
        return cls()


class WatchSpider(WeChatSpider):
    name = "watch"
    Params = WatchParams

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for request in [*watch_requests(self), *mend_requests(self)]:
            yield request

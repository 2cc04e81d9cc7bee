"""``scrapy crawl album -a url=ALBUM_URL``: archive every article of an album (合集).

Reads the album's public JSON page by page; articles already archived are not fetched.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

import scrapy

from crawler.config import Config
from crawler.spiders.arguments import ArgumentError, check_known
from crawler.spiders.base import WeChatSpider
from crawler.wechat.listing import ListingError, album_json_url
from crawler.wechat.urls import host_of


@dataclass(frozen=True)
class AlbumParams:
    url: str

    @classmethod
    def from_arguments(cls, arguments: Mapping[str, Any], config: Config) -> AlbumParams:
        check_known(arguments, ("url",))
        url = str(arguments.get("url") or "").strip()
        if not url:
            raise ArgumentError("give an album with -a url='https://mp.weixin.qq.com/mp/appmsgalbum?"
                                "__biz=…&action=getalbum&album_id=…'")
        try:
            album_json_url(url)
        except ListingError as error:
            raise ArgumentError(str(error)) from None
        if host_of(url) not in config.article_hosts:
            raise ArgumentError(f"not a WeChat host ({', '.join(config.article_hosts)}): {url!r}")
        return cls(url=url)


class AlbumSpider(WeChatSpider):
    name = "album"
    Params = AlbumParams
    params: AlbumParams

    async def start(self) -> AsyncIterator[scrapy.Request]:
        request = self.album_request(self.params.url)
        if request is not None:
            yield request

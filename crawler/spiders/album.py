"""``scrapy crawl album -a url=ALBUM_URL``: archive every article of an album (合集).

Reads the album's public JSON page by page; articles already archived are not fetched.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import scrapy
from scrapy.settings import BaseSettings

from crawler.spiders.arguments import ArgumentError
from crawler.spiders.base import WeChatSpider
from crawler.wechat.listing import ListingError, album_json_url
from crawler.wechat.urls import host_of


class AlbumSpider(WeChatSpider):
    name = "album"

    @classmethod
    def check_arguments(cls, kwargs: dict[str, Any], settings: BaseSettings) -> str:
        url = (kwargs.get("url") or "").strip()
        if not url:
            raise ArgumentError("give an album with -a url='https://mp.weixin.qq.com/mp/appmsgalbum?"
                                "__biz=…&action=getalbum&album_id=…'")
        try:
            album_json_url(url)
        except ListingError as error:
            raise ArgumentError(str(error)) from None
        if host_of(url) not in settings.getlist("ARTICLE_HOSTS"):
            raise ArgumentError(f"not a WeChat host ({', '.join(settings.getlist('ARTICLE_HOSTS'))}): {url!r}")
        return url

    async def start(self) -> AsyncIterator[scrapy.Request]:
        request = self.album_request(self.targets)
        if request is not None:
            yield request

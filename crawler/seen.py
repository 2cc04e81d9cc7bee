"""Which requests the scheduler drops as asked already (``DUPEFILTER_CLASS``)."""

from __future__ import annotations

from scrapy import Request
from scrapy.dupefilters import RFPDupeFilter

from crawler.wechat.urls import article_key


class ArticleRedirects(RFPDupeFilter):
    """Scrapy's filter, but for an article's link redirected to a page that names no
    article, where another request of the run was led already (every link sent to one
    login page, a portal's page): that page is fetched for this link too, whose answer it
    is. Dropped, the link had no line and no count (three links to a login page were "1 not
    article page"). Still dropped: a redirect to an article asked already (several short
    links of one article: its page is fetched once), and one back into its own chain, a
    loop, which the spider reports (``crawler.spiders.failures.redirect_loop``)."""

    def request_seen(self, request: Request) -> bool:
        seen = super().request_seen(request)  # noted, for a loop of this chain later
        chain = request.meta.get("redirect_urls", ())
        return seen and not (request.meta.get("article") and chain and request.url not in chain
                             and article_key(request.url) is None)

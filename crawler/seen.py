"""Which requests the scheduler drops as asked already (``DUPEFILTER_CLASS``)."""

from __future__ import annotations

from scrapy import Request
from scrapy.dupefilters import RFPDupeFilter


class ArticleRedirects(RFPDupeFilter):
    """Scrapy's filter, but for an article page redirected to a page another request of the
    run was led to already (every link sent to one login page, a portal's page): that page
    is fetched for this article too, whose answer it is. Dropped, the article had no line
    and no count (three links to a login page were "1 not article page"). A redirect back
    into its own chain is still dropped: a loop, which the spider reports
    (``crawler.spiders.failures.redirect_loop``)."""

    def request_seen(self, request: Request) -> bool:
        seen = super().request_seen(request)  # noted, for a loop of this chain later
        chain = request.meta.get("redirect_urls", ())
        return seen and not (request.meta.get("article") and chain and request.url not in chain)

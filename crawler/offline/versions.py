"""Every version of one article the raw captures hold, what changed from one to the next,
and its post as it was at each (``scrapy versions``).

Read from the captures alone, offline: a page WeChat answered with is kept whole in
``.state/warc/`` whether or not its post was rewritten (an edit that made the post worse
is there too). Images link the stored files the index knows (or, for one rebuilt from the
posts, the files named after their URLs), else stay remote, and links to archived
articles their posts, as a crawl would write them now.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from crawler.convert.markdown import MarkdownStyle
from crawler.convert.post import NotConverted, converted
from crawler.offline.rebuild import files_by_stem, stored_images
from crawler.store.archive import Archive
from crawler.store.captures import Capture
from crawler.store.postfiles import PostError
from crawler.watch.state import Change, Seen
from crawler.wechat.article import Article, NotAnArticle
from crawler.wechat.page import parse_page


@dataclass(frozen=True)
class Version:
    """One capture of the article: its post when WeChat showed the article (else why not),
    and how it differs from the article's version before it."""

    number: int
    fetched_at: datetime
    post: str | None
    answer: str = ""  # what WeChat said instead of the article
    change: Change | None = None  # None: the first version of the article

    def line(self) -> str:
        when = f"{self.fetched_at:%Y-%m-%d %H:%M:%S} UTC"
        if self.post is None:
            return f"{self.number}  {when}  {self.answer}"
        return f"{self.number}  {when}  {self.change.line() if self.change else 'first capture'}"


def versions_of(archive: Archive, url: str, style: MarkdownStyle) -> Iterator[Version]:
    """The captures of the article ``url`` names (a long link, or a short one the index
    knows or its captures were fetched by), oldest first, numbered from 1."""
    key = archive.index.article_of(url) or _named_by_capture(archive, url) or url
    try:
        # as its post has them: an index rebuilt from the posts has none
        tags = archive.post_tags(key, archive.places.placed(key))
    except PostError:  # a person's edit gone wrong: the versions are still to be seen
        tags = []
    found = sorted((capture for capture in archive.captures.captures()
                    if _article_of(archive, capture) == key),
                   key=lambda capture: capture.fetched_at)
    files = files_by_stem(archive)
    previous: Seen | None = None
    for number, capture in enumerate(found, 1):
        page = parse_page(capture.body, capture.url, capture.fetched_at)
        if isinstance(page, NotAnArticle):
            yield Version(number, capture.fetched_at, None, page.message)
            continue
        try:
            post = _post(archive, page, tags, style, files)
        except NotConverted as error:  # a bug a hostile page finds: the other versions are still to be seen
            yield Version(number, capture.fetched_at, None, str(error))
            continue
        if post is None:
            yield Version(number, capture.fetched_at, None, "an article without publish time")
            continue
        seen = Seen.of(post)
        yield Version(number, capture.fetched_at, post, change=None if previous is None
                      else Change.between(previous, seen))
        previous = seen


def _named_by_capture(archive: Archive, url: str) -> str | None:
    """The article a capture fetched by ``url`` shows: a short link that an index rebuilt
    from the posts does not know, as its captures were made (read again only then)."""
    return next((key for capture in archive.captures.captures()
                 if capture.url == url and (key := _article_of(archive, capture))), None)


def _article_of(archive: Archive, capture: Capture) -> str | None:
    """The article ``capture`` is of: the one its link names or led to, else (a short link
    an index rebuilt from the posts does not know) the one its page names."""
    if key := archive.index.article_of(capture.url):
        return key
    page = parse_page(capture.body, capture.url, capture.fetched_at)
    return page.key if isinstance(page, Article) else None


def _post(archive: Archive, article: Article, tags: list[str], style: MarkdownStyle,
          files: dict[str, str]) -> str | None:
    if article.published is None:
        return None
    return converted(article, archive.image_links(stored_images(archive, article, files)), tags,
                     style, archive.links.targets(article))

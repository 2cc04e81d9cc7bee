"""A post's tags, in the contract's order: the scam types its text explains, the albums its
page names, the account's tags, ``DEFAULT_TAGS``; each once; ``其他`` only alone."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from crawler.post import theme_safe
from crawler.tagging.rules import ScamTypes
from crawler.wechat import dom
from crawler.wechat.article import Article

FALLBACK = "其他"
# "#冒充客服诈骗15个": the mark and the count pages print around an album's name.
_ALBUM_CHROME = re.compile(r"^[#＃\s]+|\s*\d+\s*个\s*$")


@dataclass(frozen=True)
class Tagger:
    """Tags posts with ``rules``' types and the ``default`` tags of every post."""

    rules: ScamTypes
    default: tuple[str, ...] = (FALLBACK,)

    @classmethod
    def packaged(cls) -> Tagger:
        """The packaged rules and the default ``DEFAULT_TAGS``."""
        return cls(ScamTypes.load())

    def tags(self, article: Article, configured: Sequence[str] = ()) -> list[str]:
        """The tags of ``article``'s post; ``configured`` are its account's tags."""
        return _composed(self.derived(article), configured, self.default)

    def retagged(self, article: Article, tags: Sequence[str]) -> list[str]:
        """A post's ``tags`` with its derived ones made again from ``article``: the tags a
        person added (neither a type, an album of the page, a default tag nor ``其他``)
        stay, in their order, after the derived ones."""
        derived = self.derived(article)
        return _composed(derived, self._added(derived, tags), self.default)

    def added(self, article: Article, tags: Sequence[str]) -> list[str]:
        """Of a post's ``tags``, those a person added (see ``retagged``)."""
        return self._added(self.derived(article), tags) if tags else []

    def _added(self, derived: Sequence[str], tags: Sequence[str]) -> list[str]:
        # as a post writes them: a tag read back from one is full-width already
        made = {theme_safe(tag) for tag in (*self.rules.names, *derived, *self.default, FALLBACK)}
        return [tag for tag in tags if theme_safe(tag) not in made]

    def derived(self, article: Article) -> list[str]:
        """The types ``article`` explains, then its albums' names."""
        albums = (album_tag(album.title) for album in article.albums)
        return [*self.rules.explained(article.title, article_text(article)),
                *(name for name in albums if name)]


def album_tag(title: str) -> str:
    """An album's name as a tag: ``#冒充客服诈骗15个`` → ``冒充客服诈骗``."""
    return _ALBUM_CHROME.sub("", title).strip()


def article_text(article: Article) -> str:
    """The text of ``article``'s body (or of a text post), without markup."""
    if not article.body_html:
        return article.text
    # Joined as a reader reads it: pages split words across elements (刷<span>单</span>).
    if article.body is not None:
        return str(article.body.text_content()) + (article.body.tail or "")
    return str(dom.fragment(article.body_html).text_content())


def _composed(derived: Iterable[str], configured: Iterable[str],
              default: Iterable[str]) -> list[str]:
    tags = [tag for tag in dict.fromkeys([*derived, *configured, *default]) if tag.strip()]
    return [tag for tag in tags if tag != FALLBACK] or [FALLBACK]

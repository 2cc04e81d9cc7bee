"""A post's tags, in the contract's order: the scam types its text explains, the albums its
page names, the account's tags, ``DEFAULT_TAGS``; each once; ``其他`` only alone."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from crawler.convert.post import FULL_WIDTH_ALPHANUMERICS, tag_safe
from crawler.tagging.rules import ScamTypes
from crawler.wechat import dom
from crawler.wechat.article import Article
from crawler.wechat.shown import shown_text, shows_no_character, text_as_html

FALLBACK = "其他"
# "#冒充客服诈骗15个": the mark and the count pages print around an album's name. The count
# is read from the end, in the name reversed: searched for forwards, it was looked for from
# each digit of a run, and a hostile name of a long one took hours.
_ALBUM_MARK = re.compile(r"^[#＃\s]+")
_ALBUM_COUNT_REVERSED = re.compile(r"\s*个\s*\d+\s*")
# Control characters, which a post writes as spaces (``tag_safe``): at the ends of a name,
# a tag a theme strips to another's twin (Hux: ``{{ tag | strip | url_encode }}``).
_CONTROLS_AS_SPACES = {code: " " for code in range(0x20)}


@dataclass(frozen=True)
class Tagger:
    """Tags posts with ``rules``' types and the ``default`` tags of every post."""

    rules: ScamTypes
    default: tuple[str, ...] = (FALLBACK,)
    # What the tool makes of every post, as ``_written``: the same for each.
    _always_made: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_always_made",  # frozen: set once, here
                           frozenset(_written((*self.rules.names, *self.default, FALLBACK))))

    @classmethod
    def packaged(cls) -> Tagger:
        """The packaged rules and the default ``DEFAULT_TAGS``."""
        return cls(ScamTypes.load())

    def tags(self, article: Article, configured: Sequence[str] = (),
             kept: Sequence[str] = (), made_before: Sequence[str] = (),
             configured_before: Sequence[str] = ()) -> list[str]:
        """The tags of ``article``'s post; ``configured`` are its account's tags, ``kept``
        those of the post it had: of these, the ones a person added (neither a type, an
        album of the page, a default tag, ``其他``, nor one the tool made when it last wrote
        the post, ``made_before``: an old default, an album the page no longer names) stay,
        in their order, after the others, and so do those an account gave the post before,
        ``configured_before``, whatever they are spelled as."""
        return self.tagged(article, configured, kept, made_before, configured_before)[0]

    def tagged(self, article: Article, configured: Sequence[str] = (), kept: Sequence[str] = (),
               made_before: Sequence[str] = (),
               configured_before: Sequence[str] = ()) -> tuple[list[str], list[str]]:
        """``tags``, and those the tool makes itself whatever the account (types, albums,
        defaults): what a later write may drop (its ``made_before``) if it would not make
        them again."""
        derived = self.derived(article)
        added = self._added(derived, kept, made_before, configured_before)
        tags = _composed(derived, [*configured, *added], self.default)
        return tags, [*derived, *self.default]

    def retagged(self, tags: Sequence[str], asked: Sequence[str]) -> list[str]:
        """The ``tags`` of a post that stands as it is (the page now no better than it), with
        each tag ``asked`` now (its account's, ``-a tags=``) that it lacks: after its own,
        before the default tags that end it."""
        written = _written(tags)
        default = _written((*self.default, FALLBACK))
        head = list(tags)
        while head and tag_safe(head[-1]) in default:
            head.pop()
        return _composed(head, [tag for tag in asked if tag_safe(tag) not in written],
                         tags[len(head):])

    def _added(self, derived: Sequence[str], tags: Sequence[str],
               made_before: Sequence[str], configured_before: Sequence[str]) -> list[str]:
        made = (self._always_made | _written((*derived, *made_before))) - _written(configured_before)
        return [tag for tag in tags if tag_safe(tag) not in made]

    def derived(self, article: Article) -> list[str]:
        """The types ``article`` explains, then its albums' names."""
        albums = (album_tag(album.title) for album in article.albums)
        return [*self.rules.explained(article.title, article_text(article)),
                *(name for name in albums if name)]


def _written(tags: Iterable[str]) -> set[str]:
    """``tags`` as a post writes them (a tag read back from one is full-width already), and
    as one written before the archive page's rule was jQuery's exactly may hold them: their
    letters and digits full-width ("００７")."""
    safe = {tag_safe(tag) for tag in tags}
    return safe | {tag.translate(FULL_WIDTH_ALPHANUMERICS) for tag in safe}


def album_tag(title: str) -> str:
    """An album's name as a tag: ``#冒充客服诈骗15个`` → ``冒充客服诈骗``."""
    name = _ALBUM_MARK.sub("", title.translate(_CONTROLS_AS_SPACES))
    count = _ALBUM_COUNT_REVERSED.match(name[::-1])
    return (name[:len(name) - count.end()] if count else name).strip()


def article_text(article: Article) -> str:
    """The text of ``article``'s body (or of a text post), without markup: what its post
    shows (none of what the page's CSS hides)."""
    if not article.body_html:  # a text or image post's text, HTML
        return shown_text(dom.fragment(text_as_html(article.text))) if article.text else ""
    # Joined as a reader reads it: pages split words across elements (刷<span>单</span>).
    if article.body is not None:
        return shown_text(article.body, drawings=article.svg_drawings) + (article.body.tail or "")
    return shown_text(dom.fragment(article.body_html))


def _composed(derived: Iterable[str], configured: Iterable[str],
              default: Iterable[str]) -> list[str]:
    # a tag written as spaces (control characters), zero-width characters or bidi marks
    # shows nothing; on Hux's archive page, stripped, its button shows every post
    tags = [tag for tag in dict.fromkeys([*derived, *configured, *default])
            if not shows_no_character(tag_safe(tag))]
    return [tag for tag in tags if tag != FALLBACK] or [FALLBACK]

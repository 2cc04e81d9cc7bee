"""An article → the bytes of its post, and its file name, exactly as ``ARCHIVE_FORMAT.md`` has them.

Pure, as the Markdown conversion it wraps: the archive (``crawler.store``) decides where
the post and its images go and gives the links to stored images.
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from collections.abc import Mapping, Sequence

from crawler.convert.archivepage import reads_as_text
from crawler.convert.escaping import escape_liquid, url_in_markdown, wide_references
from crawler.convert.markdown import MarkdownStyle, to_markdown
from crawler.wechat.article import CHINA_TIME, Article, PostType
from crawler.wechat.urls import web_url

MAX_NAME_BYTES = 200
_POST_TYPES = {PostType.IMAGES: "images", PostType.TEXT: "text", PostType.VIDEO: "video"}
_COPYRIGHT = {1: "original", 2: "reprint"}
# Values YAML 1.1 would read as something other than this string.
_YAML_SPECIAL = re.compile(
    r"^(?:[-+.~0-9<=]|(?:y|n|yes|no|true|false|on|off|null)$)", re.IGNORECASE
)
_YAML_UNSAFE_CHAR = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff]")
# What Jekyll's YAML reader (Ruby's Psych, libyaml) rejects even escaped, failing the whole
# site: lone surrogates and the non-characters U+FFFE and U+FFFF.
_YAML_REJECTED = re.compile("[\ud800-\udfff\ufffe\uffff]")
# Hux's featured tags and archive page capture every tag's link into one string and split it
# at these words (both spellings are Hux's): a tag holding one broke the tag links of every page.
# Looked for from a run's first underscore only: from each, a long run took hours.
_THEME_SEPARATOR = re.compile(r"(?<!_)_+(?=SEP[AE]RATOR__)")
FULL_WIDTH_ALPHANUMERICS = {code: code + 0xFEE0 for code in range(0x21, 0x7F) if chr(code).isalnum()}
# Bidi controls: what opens an embedding or override (closed by PDF) or an isolate (by PDI)
_BIDI_CONTROL = re.compile("[\u202a-\u202e\u2066-\u2069]")
_EMBEDDINGS, _ISOLATES, _PDF, _PDI = "\u202a\u202b\u202d\u202e", "\u2066\u2067\u2068", "\u202c", "\u2069"
_CONTROL_SPACES = {code: " " for code in range(0x20)}
_FULL_WIDTH = {ord(c): wide for c, wide in zip("<>\"'\\", "＜＞＂＇＼", strict=True)} \
    | _CONTROL_SPACES


def compose_post(article: Article, image_links: Mapping[str, str], tags: Sequence[str],
                 style: MarkdownStyle = MarkdownStyle(),
                 post_links: Mapping[str, str] | None = None) -> str:
    """The whole post of ``article``; ``image_links`` maps image URLs to stored images' links,
    ``post_links`` archived articles to their posts (see ``to_markdown``)."""
    return render_post(article, to_markdown(article, image_links, style, post_links), tags)


class NotConverted(Exception):
    """An article whose post could not be made; the message says why."""


def converted(article: Article, image_links: Mapping[str, str], tags: Sequence[str],
              style: MarkdownStyle = MarkdownStyle(),
              post_links: Mapping[str, str] | None = None) -> str:
    """``compose_post``, for an article that comes from outside: whatever the converter
    raises on it (a bug a hostile page finds) is ``NotConverted``, the cause kept."""
    try:
        return compose_post(article, image_links, tags, style, post_links)
    except Exception as error:  # conversion is pure: whatever it raises, no post is made
        raise NotConverted(f"could not be converted: {type(error).__name__}: {error}") \
            from error


def render_post(article: Article, body: str, tags: Sequence[str]) -> str:
    """Front matter, attribution blockquote and body of ``article``'s post.

    ``article.published`` must be known: a post is dated by it.
    """
    assert article.published is not None, "a post needs its publish time"
    published = article.published.astimezone(CHINA_TIME)
    account = article.account or article.account_id or "微信公众号"
    lines = [
        "---",
        "layout:     post",
        f"title:      {yaml_scalar(theme_safe(article.title))}",
        f"date:       {published:%Y-%m-%d}",
        "author:     转载",
        "header-img: img/the-first.png",
        "catalog:   false",
        *tag_lines(tags, end=""),
        "wechat:",
        f"    account: {yaml_scalar(account)}",
        *([f"    account_id: {yaml_scalar(article.account_id)}"] if article.account_id else []),
        f"    url: {yaml_scalar(article.url)}",
        f"    published: {published.isoformat()}",
        *_optional_keys(article),
        "---",
        "",
        escape_liquid(f"<blockquote><p>转载：{_attribution_name(account)}<br>"),
        escape_liquid(f"来源：{_source_link(article.url)}</p></blockquote>"),
        "",
    ]
    return "\n".join(lines) + "\n" + (body.strip("\n") + "\n" if body.strip() else "")


def tag_lines(tags: Sequence[str], end: str = "\n") -> list[str]:
    """A post's ``tags:`` key and its items, each line ending in ``end``."""
    # once each as written: a tag read back from a post is full-width already
    return [f"tags:{end}", *(f"    - {yaml_scalar(tag)}{end}" for tag in dict.fromkeys(map(tag_safe, tags)))]


def _attribution_name(account: str) -> str:
    """The account's name as the attribution shows it: on one line, with no character XML
    refuses (the site's feed carries the post's HTML): control characters are spaces, and
    what YAML refuses U+FFFD, as the ``wechat:`` block reads it back."""
    return html.escape(" ".join(yaml_readable(account).translate(_CONTROL_SPACES).split()))


def _source_link(url: str) -> str:
    """``微信公众号`` linking the article's canonical URL, so that readers reach the source.

    The URL is made of the ids the page states: what no URL holds (a line break, a space,
    a quote) is percent-encoded, or it would cut the attribution's two lines apart."""
    url = url_in_markdown(web_url(url))
    return f'<a href="{html.escape(url, quote=True)}">微信公众号</a>' if url else "微信公众号"


def theme_safe(value: str) -> str:
    """``value`` with ``<``, ``>``, ``"``, ``'``, ``\\`` and an ``&`` that starts a character
    reference made full-width, control characters spaces, and bidi controls left open closed
    (``_bidi_closed``): themes print ``page.title`` and
    the tags raw, into HTML text (where ``&copy;`` shows ``©``) and into
    attribute values, double-quoted (Hux: ``title="{{page.next.title}}"``) or single-quoted
    (``content='{{ page.title }}'``), and into JSON strings (Hux's ``search.json``), which a
    backslash or a control character leaves unreadable for the search of the whole site.
    ``__SEPARATOR__`` loses an underscore (``_THEME_SEPARATOR``).
    What no YAML reader takes is made U+FFFD (``yaml_readable``): the value as it reads back
    from the post, so that a tag read back is known for the one written."""
    value = wide_references(value.translate(_FULL_WIDTH))
    return yaml_readable(_THEME_SEPARATOR.sub("_", _bidi_closed(value)))


def _bidi_closed(value: str) -> str:
    """``value`` with each bidi embedding, override and isolate it leaves open closed at its
    end: themes print tags one after another in a line, where an open right-to-left override
    turned every tag after it right to left."""
    closers: list[str] = []
    for control in _BIDI_CONTROL.findall(value):
        if control in _EMBEDDINGS or control in _ISOLATES:
            closers.append(_PDF if control in _EMBEDDINGS else _PDI)
        elif control == _PDF and closers[-1:] == [_PDF]:
            closers.pop()
        elif control == _PDI and _PDI in closers:  # closes the embeddings inside it too
            del closers[len(closers) - 1 - closers[::-1].index(_PDI):]
    return value + "".join(reversed(closers))


def tag_safe(tag: str) -> str:
    """``tag`` as a post writes it: ``theme_safe``, and its letters and digits full-width
    (``２０２４``) where Hux's archive page would read it as other than text
    (``crawler.convert.archivepage``): a tag read as a number (a year's album) made its
    filter show no post."""
    tag = theme_safe(tag)
    return tag if reads_as_text(tag) else tag.translate(FULL_WIDTH_ALPHANUMERICS)



def _optional_keys(article: Article) -> list[str]:
    keys = []
    if article.item_show_type in _POST_TYPES:
        keys.append(f"    post_type: {_POST_TYPES[article.item_show_type]}")
    if article.copyright_stat in _COPYRIGHT:
        keys.append(f"    copyright: {_COPYRIGHT[article.copyright_stat]}")
    if article.share_source_url:
        keys.append(f"    reprint_of: {yaml_scalar(article.share_source_url)}")
    if article.source_url:
        keys.append(f"    source_url: {yaml_scalar(article.source_url)}")
    return keys


def yaml_readable(value: str) -> str:
    """``value`` without what no YAML reader takes (lone surrogates, U+FFFE, U+FFFF), each
    made U+FFFD: what a front-matter value reads back as."""
    return _YAML_REJECTED.sub("\ufffd", value)


def yaml_scalar(value: str) -> str:
    """``value`` as a YAML scalar that reads back as exactly ``yaml_readable(value)``."""
    value = yaml_readable(value)
    plain_ok = (
        value
        and value == value.strip()
        and value[0] not in "-?:,[]{}#&*!|>'\"%@`"
        and ": " not in value
        and " #" not in value
        and not value.endswith(":")
        and not _YAML_SPECIAL.match(value)
        and not _YAML_UNSAFE_CHAR.search(value)
    )
    if plain_ok:
        return value
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + _YAML_UNSAFE_CHAR.sub(lambda m: f"\\u{ord(m.group()):04x}", escaped) + '"'


def post_filename(article: Article, disambiguate: bool = False) -> str:
    """``YYYY-MM-DD-<slug>.md`` in China time, at most ``MAX_NAME_BYTES`` bytes of UTF-8.

    With ``disambiguate``, a short hash of the article's identity is appended, for when
    another article already holds the plain name.
    """
    assert article.published is not None, "a post needs its publish time"
    date = f"{article.published.astimezone(CHINA_TIME):%Y-%m-%d}"
    suffix = "-" + hashlib.sha256(article.key.encode()).hexdigest()[:8] if disambiguate else ""
    budget = MAX_NAME_BYTES - len(f"{date}-{suffix}.md".encode())
    return f"{date}-{slugify(article.title, budget)}{suffix}.md"


def slugify(title: str, max_bytes: int) -> str:
    """Letters and digits of ``title`` (CJK kept) joined by ``-``: safe on every file system.

    What Jekyll keeps of a file name in the post's URL (letters, marks, decimal digits): a
    number of another kind (❶, 〡) it drops, and two posts of one day would share a page.
    A mark is kept on a letter or digit only: alone (an emoji's variation selector, ❤️) it
    shows nothing, and a title of emoji would make a name that looks empty."""
    kept = ""
    for c in unicodedata.normalize("NFKC", title):
        category = unicodedata.category(c)
        if category == "Nd" or category[0] == "L" or category[0] == "M" and kept[-1:] not in "-":
            kept += c
        elif category[0] != "M":
            kept += "-"
    slug = re.sub(r"-{2,}", "-", kept).strip("-") or "post"
    slug = slug.encode()[:max_bytes].decode(errors="ignore")  # a character cut in two goes
    return slug.rstrip("-") or "post"

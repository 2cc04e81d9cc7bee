"""What in an article body is not text: players, cards and votes, and what its CSS hides.

Pure, like the converter that uses it: each widget becomes one line of the post (its
kind, its title when the page names one, the length of audio and video when it is
known), linked to the original article; nothing else of the widget shows.
"""

from __future__ import annotations

import enum
import itertools
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from crawler.wechat import memo

# (kind, attributes that may name it, attribute of its length in milliseconds)
_BY_TAG = {
    "mpvoice": ("音频", ("name",), "play_length"),
    "mp-common-mpaudio": ("音频", ("name",), "play_length"),
    "qqmusic": ("音乐", ("music_name",), ""),
    "mp-common-clmusic": ("音乐", ("music_name",), ""),  # the editor's QQ music card (2023-)
    "mpvideo": ("视频", ("data-title", "title"), "data-duration"),
    "mp-common-videosnap": ("视频号", ("data-desc", "data-nickname"), ""),
    "mp-miniprogram": ("小程序", ("data-miniprogram-title",), ""),
    "mp-common-miniprogram": ("小程序", ("data-miniprogram-title",), ""),  # as WeChat's API names it
    "mp-weapp": ("小程序", ("data-title", "data-miniprogram-title"), ""),  # an earlier card
    "mp-vote": ("投票", ("data-title", "title"), ""),
    "mp-common-vote": ("投票", ("data-title", "title"), ""),  # in mp_vote_iframe_wrp
    # HTML's own players: a browser shows the player, not the text inside (markdownify
    # linked a video's src, of any scheme)
    "video": ("视频", ("title",), ""),
    "audio": ("音频", ("title",), ""),
}
# What a reader of the archive must do in WeChat to get the widget: the post keeps no
# player and no ballot, so its line says so (audio and music name what plays there).
_IN_WECHAT = {"视频": "在微信中观看", "视频号": "在微信中观看", "投票": "在微信中投票"}
_VIDEO_SRC = re.compile(r"v\.qq\.com|video_player|mpvideo|/mp/videoplayer|readtemplate\?t=pages/video")
_VOTE_SRC = re.compile(r"appmsgvote|vote_tmpl")
# Elements a page renders a player or card into, beside the widget's own element (saved
# pages, rendered DOMs): their text is the player's (title again, "来自…", 00:00 / 13:45).
PLAYER_CLASSES = re.compile(r"(?:^|\s)(?:js_audio_frame|audio_area|audio_card\w*|mpaudio\w*|qqmusic_area|"
                            r"weapp_card\w*|js_miniprogram_card|vote_area_title|js_video_poster)"
                            r"(?:\s|$)")
# A card of another article (WeChat's reading page, 2025): its data-article-data is JSON.
ARTICLE_CARD = "mp-common-article"
# Attributes the converter needs to read for widgets.
ATTRIBUTES = frozenset({name for _, names, length in _BY_TAG.values() for name in (*names, length)}
                       | {"data-src", "src", "data-music_name", "data-title", "title",
                          "data-article-data"}) - {""}


@dataclass(frozen=True)
class Widget:
    kind: str
    title: str = ""
    length: str = ""  # m:ss

    @property
    def label(self) -> str:
        """``音频：早安武汉3月19日（4:43）``, ``视频：识破骗局（1:05，在微信中观看）``."""
        label = f"{self.kind}：{self.title}" if self.title else self.kind
        notes = "，".join(note for note in (self.length, _IN_WECHAT.get(self.kind, "")) if note)
        return f"{label}（{notes}）" if notes else label


def widget_of(tag: str, attributes: Mapping[str, str]) -> Widget | None:
    """The widget an element is, or None for an element of text."""
    classes = attributes.get("class", "")
    if tag in _BY_TAG:
        kind, names, length = _BY_TAG[tag]
        # no attribute of no name is asked for: an lxml element's attributes refuse the name
        return Widget(kind, _first(attributes, names),
                      _length(attributes.get(length, "")) if length else "")
    if tag == "iframe":
        src = attributes.get("data-src") or attributes.get("src") or ""
        if "vote" in classes or _VOTE_SRC.search(src):
            return Widget("投票", _first(attributes, ("data-title", "title")))
        if "video" in classes or _VIDEO_SRC.search(src):
            return Widget("视频", _first(attributes, ("data-title", "title")))
        if "weapp" in classes:
            return Widget("小程序", _first(attributes, ("data-title", "title")))
    if "js_plain-music_entry" in classes:
        return Widget("音乐", _first(attributes, ("data-music_name",)))
    return None


def article_card(data: str) -> tuple[str, str]:
    """The title and link of an article card, of its ``data-article-data`` (JSON whose
    ``content_url`` has its ``&`` as ``&amp;``, which WeChat's script decodes); empty strings
    for what it does not say."""
    try:
        fields = json.loads(data)
    except ValueError:
        return "", ""
    if not isinstance(fields, dict):
        return "", ""
    title, url = fields.get("title"), fields.get("content_url")
    return (title if isinstance(title, str) else "",
            url.replace("&amp;", "&") if isinstance(url, str) else "")


class Hiding(enum.Enum):
    """What an inline ``style`` hides of its element."""

    NOTHING = "nothing"
    TEXT = "text"  # its text, not its pictures
    # Its text once longer than a line: in lines of almost no height, overflow shown, every
    # line falls on the one before, and the text is a smear (a decorative run of glyphs);
    # one line stays readable.
    TEXT_BEYOND_A_LINE = "text beyond a line"
    ALL = "all"


# A page's hundreds of styled elements share a few dozen styles, and parsing each one's
# declarations was most of the converter's time; no editor writes a style this long.
per_style = memo.per_text(longest=2000)


@per_style
def hiding(style: str) -> Hiding:
    """What an inline ``style`` hides: all of the element when it is not shown, invisible,
    transparent, or of no height with its overflow hidden; its text when its font is a pixel
    or less, or its lines of almost no height with the overflow hidden, as decorative runs of
    characters are tucked in (and as pictures are set, with no gap under them); its text
    beyond a line in lines of almost no height with the overflow shown."""
    declarations = _declarations(style)
    if _hides_all(declarations):
        return Hiding.ALL
    size = _pixels(declarations.get("font-size", ""))
    if size is not None and size <= 1:
        return Hiding.TEXT
    if not _squeezed(declarations.get("line-height", "")):
        return Hiding.NOTHING
    return Hiding.TEXT if _overflow_hidden(declarations) else Hiding.TEXT_BEYOND_A_LINE


def fits_a_line(texts: Iterable[str], styles: Iterable[str]) -> bool:
    """Whether ``texts`` (an element's, in order) fit one line of a phone's screen, white
    space collapsed, at the font size of the first of ``styles`` (the element's, then its
    ancestors') that sets one in pixels, else WeChat's own; in a Chinese font a glyph is an
    em wide (``嗼``, ``▪``), ASCII and half-width forms half of one. Reads no further than a
    line: a page may hold megabytes of text under many such elements."""
    size = next((size for size in map(_font_pixels, styles) if size), _WECHAT_FONT_PX)
    room, begun, gap = _PHONE_LINE_PX / size, False, False  # room in ems
    for char in itertools.chain.from_iterable(texts):
        if char.isspace():
            gap = begun  # one space between words, none before the first
            continue
        narrow = unicodedata.east_asian_width(char) in ("Na", "H")
        room -= (0.5 if gap else 0) + (0.5 if narrow else 1)
        begun, gap = True, False
        if room < 0:
            return False
    return True


@per_style
def restores_lines(style: str) -> bool:
    """Whether an inline ``style`` sets lines of a readable height of its own, whatever an
    ancestor's ``line-height``."""
    line = _declarations(style).get("line-height")
    return line is not None and line not in ("inherit", "unset") and not _squeezed(line)


@per_style
def bold(style: str) -> bool | None:
    """Whether an inline ``style`` shows its text bold (True) or of normal weight (False);
    None when it says nothing of the weight, and the text is as bold as its parent's."""
    weight = _declarations(style).get("font-weight")
    if weight in ("bold", "bolder"):
        return True
    if weight in ("normal", "lighter", "initial"):
        return False
    number = _number(weight or "")
    return None if number is None else number >= 600


@per_style
def italic(style: str) -> bool | None:
    """Whether an inline ``style`` sets its text in italics or oblique (True) or upright
    (False); None when it says nothing of the style, and the text is as its parent's."""
    value = _declarations(style).get("font-style")
    if value is None:
        return None
    if value.startswith(("italic", "oblique")):
        return True
    return False if value in ("normal", "initial") else None


_WECHAT_FONT_PX = 17
_PHONE_LINE_PX = 343  # a 375-pixel-wide screen less WeChat's margins


@per_style
def _font_pixels(style: str) -> float | None:
    return _pixels(_declarations(style).get("font-size", ""))


def declared(style: str, name: str) -> str | None:
    """The value an inline ``style`` declares for the property ``name`` (lower case), else None."""
    return _declarations(style).get(name)


def _declarations(style: str) -> dict[str, str]:
    return {name: value.strip().removesuffix("!important").rstrip()
            for name, value in _DECLARATION.findall(style.lower())}


def _hides_all(declarations: dict[str, str]) -> bool:
    if declarations.get("display") == "none" or declarations.get("visibility") == "hidden":
        return True
    if _number(declarations.get("opacity", "")) == 0:
        return True
    return _overflow_hidden(declarations) and 0 in (
        _pixels(declarations.get("height", "")), _pixels(declarations.get("max-height", "")))


def _squeezed(line_height: str) -> bool:
    """Whether a ``line-height`` leaves lines of almost no height."""
    unitless, pixels = _number(line_height), _pixels(line_height)
    return (unitless is not None and unitless < 0.1) or (pixels is not None and pixels < 2)


def _overflow_hidden(declarations: dict[str, str]) -> bool:
    return "hidden" in (declarations.get("overflow"), declarations.get("overflow-y"))


# A declaration: its property's name, found only where a run of letters starts, and its value,
# read to the ";" and trimmed after. Each part is read once: a hostile style of a long run of
# letters or spaces, read again from each of them, cost minutes a page.
_DECLARATION = re.compile(r"(?<![a-z-])([a-z-]+)\s*:([^;]*)")


def _number(value: str) -> float | None:
    """A unitless number (``0.02``), else None."""
    match = re.fullmatch(r"\s*(-?(?:\d+(?:\.\d+)?|\.\d+))\s*", value)
    return float(match.group(1)) if match else None


def _pixels(value: str) -> float | None:
    """A length in pixels (``1px``, ``0``), else None (``1em`` is not known in pixels)."""
    match = re.fullmatch(r"\s*(-?(?:\d+(?:\.\d+)?|\.\d+))\s*(px)?\s*", value)
    return float(match.group(1)) if match and (match.group(2) or float(match.group(1)) == 0) \
        else None


def _first(attributes: Mapping[str, str], names: tuple[str, ...]) -> str:
    return next((attributes[name] for name in names if (attributes.get(name) or "").strip()), "")


def _length(milliseconds: str) -> str:
    """``283000`` → ``4:43``."""
    if not (milliseconds.isascii() and milliseconds.isdigit()) or len(milliseconds) > 9:
        return ""
    seconds = int(milliseconds) // 1000
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds else ""

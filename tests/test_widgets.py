"""Widgets (players, cards, votes) and what CSS hides: ``crawler.wechat.widgets``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from crawler.wechat.widgets import Hiding, Widget, bold, fits_a_line, hiding, restores_lines, widget_of


@pytest.mark.parametrize("tag, attributes, label", [
    ("mpvoice", {"name": "早安武汉", "play_length": "283000"}, "音频：早安武汉（4:43）"),
    ("mp-common-mpaudio", {"name": "Day 15", "play_length": "x"}, "音频：Day 15"),
    ("qqmusic", {"music_name": "你那么爱她"}, "音乐：你那么爱她"),
    ("iframe", {"class": "video_iframe", "data-src": "https://v.qq.com/x"}, "视频（在微信中观看）"),
    ("iframe", {"data-src": "https://v.qq.com/x", "data-title": "识破骗局"}, "视频：识破骗局（在微信中观看）"),
    ("iframe", {"class": "vote_iframe", "data-src": "/mp/newappmsgvote?action=show"}, "投票（在微信中投票）"),
    ("mp-vote", {"data-title": "接到过吗？"}, "投票：接到过吗？（在微信中投票）"),
    # the editor's vote card (its wrapper mp_vote_iframe_wrp, as mp_profile_iframe_wrp wraps
    # <mp-common-profile>): what attribute holds its title is not known
    ("mp-common-vote", {"class": "js_uneditable custom_select_card mp_vote_iframe"}, "投票（在微信中投票）"),
    ("mp-common-vote", {"data-title": "接到过吗？"}, "投票：接到过吗？（在微信中投票）"),
    ("mpvideo", {"data-title": "识破骗局", "data-duration": "65000"}, "视频：识破骗局（1:05，在微信中观看）"),
    ("mp-common-videosnap", {"data-nickname": "反诈中心"}, "视频号：反诈中心（在微信中观看）"),
    ("mp-miniprogram", {"data-miniprogram-title": "国家反诈中心"}, "小程序：国家反诈中心"),
    ("mp-common-miniprogram", {"data-miniprogram-title": "一键举报"}, "小程序：一键举报"),
    ("mp-common-clmusic", {"music_name": "反诈之歌", "singer": "民警"}, "音乐：反诈之歌"),
    # WeChat's own digest of a post names these 小程序 (its page script): what attribute holds
    # their title is not known, so either is read, and without one the kind alone shows
    ("mp-weapp", {"class": "weapp_element js_weapp_entry"}, "小程序"),
    ("mp-weapp", {"class": "weapp_element", "data-title": "反诈"}, "小程序：反诈"),
    ("iframe", {"class": "res_iframe js_editor_weapp", "data-src": "/mp/weapp?x=1"}, "小程序"),
    ("iframe", {"class": "res_iframe weapp_app_iframe"}, "小程序"),  # as WeChat's classes name it
    ("a", {"class": "js_plain-music_entry", "data-music_name": "孤勇者"}, "音乐：孤勇者"),
])
def test_widgets_are_one_label(tag: str, attributes: dict[str, str], label: str) -> None:
    widget = widget_of(tag, attributes)
    assert widget is not None and widget.label == label


@pytest.mark.parametrize("tag, attributes", [
    ("iframe", {"src": "https://evil.example/frame"}), ("p", {}), ("a", {"href": "https://x"}),
])
def test_text_and_foreign_frames_are_no_widget(tag: str, attributes: dict[str, str]) -> None:
    assert widget_of(tag, attributes) is None


@pytest.mark.parametrize("style", ["display:none", "visibility: hidden", "opacity: 0",
                                   "opacity:0.0", "height: 0; overflow: hidden",
                                   "max-height:0px;overflow-y:hidden", "DISPLAY: NONE !important"])
def test_what_hides_an_element(style: str) -> None:
    assert hiding(style) is Hiding.ALL


@pytest.mark.parametrize("style", ["font-size: 0", "font-size: 1px", "font-size:0.5px",
                                   "font-size: 10px; line-height: 0.02; overflow: hidden",
                                   "line-height: 1px; overflow: hidden"])
def test_what_hides_text(style: str) -> None:
    assert hiding(style) is Hiding.TEXT


@pytest.mark.parametrize("style", ["font-size: 10px; line-height: 0.02", "line-height: 0",
                                   "line-height: 1.5px", "LINE-HEIGHT: 0.05 !important"])
def test_what_hides_text_beyond_a_line(style: str) -> None:
    assert hiding(style) is Hiding.TEXT_BEYOND_A_LINE


@pytest.mark.parametrize("style", ["", "font-size: 1.5em", "opacity: 0.5", "line-height: 0.1",
                                   "line-height: 2px", "visibility: visible", "height: 10px; "
                                   "overflow: hidden", "font-size: 12px; line-height: 1.6"])
def test_what_hides_nothing(style: str) -> None:
    assert hiding(style) is Hiding.NOTHING


def test_a_style_too_long_to_cache_is_read_all_the_same() -> None:
    padding = "color: red; " * 400
    assert hiding(padding + "display: none") is Hiding.ALL
    assert hiding(padding + "font-size: 1px") is Hiding.TEXT
    assert hiding(padding) is Hiding.NOTHING


def test_a_widget_without_a_title_is_its_kind() -> None:
    assert Widget("音乐").label == "音乐"
    assert Widget("视频").label == "视频（在微信中观看）"


@pytest.mark.parametrize("text, styles, fits", [
    ("嗼" * 34, ["font-size: 10px; line-height: 0.02"], True),  # 340 px
    ("嗼" * 35, ["font-size: 10px; line-height: 0.02"], False),
    ("嗼" * 35, ["line-height: 0.02", "", "font-size: 1.2em", "font-size: 9px"], True),
    ("嗼" * 21, ["line-height: 0"], False),  # WeChat's 17 px
    ("Open from 6 a.m. to 7 p.m. on weekdays", ["line-height: 0.02"], True),
    ("嗼 " * 40, ["font-size: 10px"], False),
    ("嗼 " * 23, ["font-size: 10px"], True),  # 23 ems and 22 spaces of half an em: 340 px
    ("嗼 " * 24, ["font-size: 10px"], False),
])
def test_what_fits_a_line(text: str, styles: list[str], fits: bool) -> None:
    assert fits_a_line([text], styles) is fits
    assert fits_a_line(["  ", *text, " "], styles) is fits  # white space collapses


def test_fitting_a_line_reads_no_further_than_a_line() -> None:
    read = []

    def texts() -> Iterator[str]:
        for n in range(100_000):
            read.append(n)
            yield "嗼"

    assert not fits_a_line(texts(), ["font-size: 10px"])
    assert len(read) == 35  # 343 px hold 34 glyphs of 10 px


@pytest.mark.parametrize("style, restores", [
    ("line-height: 1.6", True), ("line-height: normal", True), ("LINE-HEIGHT: 24PX", True),
    ("line-height: 0.02", False), ("line-height: inherit", False), ("color: red", False),
    ("", False),
])
def test_what_restores_lines(style: str, restores: bool) -> None:
    assert restores_lines(style) is restores


@pytest.mark.parametrize("style, shown_bold", [
    ("font-weight: 600", True), ("font-weight: 500", False), ("font-weight: bold", True),
    ("font-weight: normal", False), ("color: red", None),
])
def test_what_weight_a_style_sets(style: str, shown_bold: bool | None) -> None:
    assert bold(style) is shown_bold


def test_a_length_of_digits_int_cannot_read_is_not_shown() -> None:
    """``"²"`` is a digit to ``str.isdigit``, and ``int()`` refuses it: no post was made."""
    assert widget_of("mpvoice", {"name": "早安", "play_length": "²"}) == Widget("音频", "早安")

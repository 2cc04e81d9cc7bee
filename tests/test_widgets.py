"""Widgets (players, cards, votes) and what CSS hides: ``crawler.widgets``."""

from __future__ import annotations

import pytest

from crawler.widgets import Widget, hides_all, hides_text, widget_of


@pytest.mark.parametrize("tag, attributes, label", [
    ("mpvoice", {"name": "早安武汉", "play_length": "283000"}, "音频：早安武汉（4:43）"),
    ("mp-common-mpaudio", {"name": "Day 15", "play_length": "x"}, "音频：Day 15"),
    ("qqmusic", {"music_name": "你那么爱她"}, "音乐：你那么爱她"),
    ("iframe", {"class": "video_iframe", "data-src": "https://v.qq.com/x"}, "视频（在微信中观看）"),
    ("iframe", {"data-src": "https://v.qq.com/x", "data-title": "识破骗局"}, "视频：识破骗局（在微信中观看）"),
    ("iframe", {"class": "vote_iframe", "data-src": "/mp/newappmsgvote?action=show"}, "投票（在微信中投票）"),
    ("mp-vote", {"data-title": "接到过吗？"}, "投票：接到过吗？（在微信中投票）"),
    ("mpvideo", {"data-title": "识破骗局", "data-duration": "65000"}, "视频：识破骗局（1:05，在微信中观看）"),
    ("mp-common-videosnap", {"data-nickname": "反诈中心"}, "视频号：反诈中心（在微信中观看）"),
    ("mp-miniprogram", {"data-miniprogram-title": "国家反诈中心"}, "小程序：国家反诈中心"),
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
    assert hides_all(style)


@pytest.mark.parametrize("style", ["font-size: 0", "font-size: 1px", "font-size:0.5px",
                                   "font-size: 10px; line-height: 0.02; overflow: hidden",
                                   "line-height: 1px; overflow: hidden"])
def test_what_hides_text(style: str) -> None:
    assert hides_text(style) and not hides_all(style)


@pytest.mark.parametrize("style", ["", "font-size: 1.5em", "line-height: 0", "opacity: 0.5",
                                   "line-height: 0.02", "visibility: visible", "height: 10px; "
                                   "overflow: hidden", "font-size: 12px; line-height: 1.6"])
def test_what_hides_nothing(style: str) -> None:
    assert not hides_all(style) and not hides_text(style)


def test_a_widget_without_a_title_is_its_kind() -> None:
    assert Widget("音乐").label == "音乐"
    assert Widget("视频").label == "视频（在微信中观看）"

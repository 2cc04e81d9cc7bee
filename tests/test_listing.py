"""Listings → entries: album JSON pages (newest first, paged, counted), feeds, the
back-office list. Pure functions, JSON and XML in, entries out."""

from __future__ import annotations

import json

import pytest

from crawler.wechat.listing import (
    ListingError,
    album_json_url,
    entry,
    parse_album_page,
    parse_feed,
    parse_publish_list,
)

ALBUM = "https://mp.weixin.qq.com/mp/appmsgalbum?__biz=MzA=&action=getalbum&album_id=77#wechat_redirect"
FIRST = album_json_url(ALBUM, 2)


def album_json(items: object, more: str = "0", count: object = "5", **extra: object) -> str:
    return json.dumps({"base_resp": {"ret": 0}, "getalbum_resp": {
        "article_list": items, "continue_flag": more, "reverse_continue_flag": "0",
        "base_info": {"title": "反诈&amp;快报", "article_count": count}, **extra}})


def item(mid: str) -> dict[str, str]:
    return {"title": f"第{mid}期", "msgid": mid, "itemidx": "1",
            "url": f"http://mp.weixin.qq.com/s?__biz=MzA=&amp;mid={mid}&amp;idx=1&amp;sn=s&amp;chksm=c#rd"}


def test_album_json_is_asked_for_newest_first() -> None:
    assert FIRST == ("https://mp.weixin.qq.com/mp/appmsgalbum?action=getalbum&__biz=MzA%3D"
                     "&album_id=77&count=2&is_reverse=1&f=json")


def test_an_album_page_gives_links_as_given_its_count_and_the_next_page() -> None:
    page = parse_album_page(album_json([item("9"), item("8")], more="1"), FIRST)
    assert [e.url for e in page.entries] == [
        "http://mp.weixin.qq.com/s?__biz=MzA=&mid=9&idx=1&sn=s&chksm=c",
        "http://mp.weixin.qq.com/s?__biz=MzA=&mid=8&idx=1&sn=s&chksm=c"]
    assert [e.key for e in page.entries] == ["MzA=:9:1", "MzA=:8:1"]
    assert (page.title, page.article_count) == ("反诈&快报", 5)
    assert page.next_url == FIRST + "&begin_msgid=8&begin_itemidx=1"


@pytest.mark.parametrize("body", [
    album_json([item("9")], more="1"),  # a page cut short is the last
    album_json([item("9"), item("8")], more="0"),
    album_json([], more="1"),
])
def test_an_album_ends(body: str) -> None:
    assert parse_album_page(body, FIRST).next_url is None


def test_either_flag_says_there_is_more() -> None:
    body = json.dumps({"getalbum_resp": {"article_list": [item("9"), item("8")],
                                         "continue_flag": "0", "reverse_continue_flag": "1"}})
    assert parse_album_page(body, FIRST).next_url is not None


@pytest.mark.parametrize("body", [
    album_json({"url": 5}), album_json(["x", None, {"title": "no url"}]),
    album_json([item("9")], count="二十"), album_json([item("9")], count=None),
    json.dumps({"getalbum_resp": "x"}), json.dumps({"getalbum_resp": {"base_info": []}}),
])
def test_hostile_album_json_gives_what_it_can(body: str) -> None:
    page = parse_album_page(body, FIRST)
    assert page.article_count is None or page.article_count == 5
    assert all(e.url.startswith("http") for e in page.entries)


@pytest.mark.parametrize("body, message", [
    ('{"base_resp": {"ret": 10004, "errmsg": "no such album"}}', "ret=10004: no such album"),
    ("<html>", "not JSON"), ("[1]", "not a JSON object"),
])
def test_album_errors_are_listing_errors(body: str, message: str) -> None:
    with pytest.raises(ListingError, match=message):
        parse_album_page(body, FIRST)


def test_an_entry_keeps_its_link_but_the_fragment() -> None:
    found = entry(" https:\\/\\/mp.weixin.qq.com\\/s\\/Tok?scene=1#rd ", " 标题 ")
    assert (found.url, found.title, found.key) == ("https://mp.weixin.qq.com/s/Tok?scene=1", "标题", None)


def test_feeds_give_their_links() -> None:
    rss = b"""<?xml version="1.0"?><rss><channel><item><title>A</title>
    <link>https://mp.weixin.qq.com/s?__biz=MzA=&amp;mid=1&amp;idx=1&amp;chksm=z</link></item>
    <item><title>B</title><guid>not a link</guid></item></channel></rss>"""
    assert [e.url for e in parse_feed(rss)] == ["https://mp.weixin.qq.com/s?__biz=MzA=&mid=1&idx=1&chksm=z"]
    with pytest.raises(ListingError, match="not an RSS or Atom feed"):
        parse_feed(b"<rss><unclosed>")


def test_the_back_office_list_and_its_errors() -> None:
    info = json.dumps({"appmsgex": [{"link": "https://mp.weixin.qq.com/s/T1", "title": "t"}]})
    body = json.dumps({"base_resp": {"ret": 0}, "publish_page": json.dumps(
        {"publish_list": [{"publish_info": info}]})})
    assert [e.url for e in parse_publish_list(body)] == ["https://mp.weixin.qq.com/s/T1"]
    with pytest.raises(ListingError, match="freq control"):
        parse_publish_list('{"base_resp": {"ret": 200013}}')

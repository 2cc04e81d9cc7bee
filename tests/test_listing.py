"""Listings → entries: album JSON pages (newest first, paged, counted), feeds, the
back-office list. Pure functions, JSON and XML in, entries out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crawler.albumread import listing
from crawler.wechat.listing import (
    ListingError,
    album_json_url,
    entry,
    parse_album_page,
    parse_feed,
    parse_homepage,
    parse_publish_list,
)
from tests.conftest import PROJECT

ALBUM = "https://mp.weixin.qq.com/mp/appmsgalbum?__biz=MzA=&action=getalbum&album_id=77#wechat_redirect"
FIRST = album_json_url(ALBUM, 2)


def album_json(items: object, more: str = "0", count: object = "5", **extra: object) -> str:
    """A first screen, as WeChat sends it (see tests/site.py for the evidence)."""
    return json.dumps({"base_resp": {"ret": 0}, "getalbum_resp": {
        "article_list": items, "continue_flag": more, "reverse_continue_flag": "0",
        "base_info": {"title": "反诈&amp;快报", "article_count": count}, "verify_status": "0",
        **extra}})


def item(mid: str) -> dict[str, str]:
    return {"title": f"第{mid}期", "msgid": mid, "itemidx": "1",
            "url": f"http://mp.weixin.qq.com/s?__biz=MzA=&amp;mid={mid}&amp;idx=1&amp;sn=s&amp;chksm=c#rd"}


def test_album_json_is_asked_for_newest_first() -> None:
    assert FIRST == ("https://mp.weixin.qq.com/mp/appmsgalbum?action=getalbum&__biz=MzA%3D"
                     "&album_id=77&count=2&f=json")


def test_an_album_page_gives_links_as_given_its_count_and_the_next_page() -> None:
    page = parse_album_page(album_json([item("9"), item("8")], more="1"), FIRST)
    assert [e.url for e in page.entries] == [
        "http://mp.weixin.qq.com/s?__biz=MzA=&mid=9&idx=1&sn=s&chksm=c",
        "http://mp.weixin.qq.com/s?__biz=MzA=&mid=8&idx=1&sn=s&chksm=c"]
    assert [e.key for e in page.entries] == ["MzA=:9:1", "MzA=:8:1"]
    assert (page.title, page.article_count) == ("反诈&快报", 5)
    assert page.next_url == FIRST + "&begin_msgid=8&begin_itemidx=1"
    assert page.first_screen  # the first screen's base_info says nothing of is_first_screen


@pytest.mark.parametrize(("said", "oldest"), [("0", True), ("1", False), (None, False), (0, True)])
def test_a_first_screen_says_which_end_its_album_lists_first(said: object, oldest: bool) -> None:
    """``base_info.is_reverse``: "0" for an album listed from its oldest (a real album page,
    ../shared/fixtures/wechat/album_page_1_html.html, lists so); unsaid, newest first."""
    info = {"title": "合集", "article_count": "5"} | ({} if said is None else {"is_reverse": said})
    body = json.loads(album_json([item("1")]))
    body["getalbum_resp"]["base_info"] = info
    assert parse_album_page(json.dumps(body), FIRST).oldest_first is oldest


def test_an_album_read_from_its_oldest_asks_each_page_so() -> None:
    oldest = album_json_url(ALBUM, 2, oldest_first=True)
    assert oldest == FIRST + "&is_reverse=1"
    assert parse_album_page(album_json([item("1"), item("2")], more="1"), oldest).next_url == \
        oldest + "&begin_msgid=2&begin_itemidx=1"


def test_a_short_page_goes_on_when_continue_flag_says_so() -> None:
    # continue_flag alone says whether more follow; how many items a page holds does not
    assert parse_album_page(album_json([item("9")], more="1"), FIRST).next_url == \
        FIRST + "&begin_msgid=9&begin_itemidx=1"


def test_a_page_read_across_pushes_asks_the_next_from_before_the_push_it_ends_on() -> None:
    """Should WeChat's next page start after the whole push of its cursor, the page after
    one ending on a push is asked from the item before that push; a page of one push is asked
    again twice as long."""
    second = {**item("8"), "itemidx": "2"}
    page = parse_album_page(album_json([item("9"), item("8"), second], more="1"), FIRST)
    assert page.next_url == FIRST + "&begin_msgid=8&begin_itemidx=2"
    assert page.across_url == FIRST + "&begin_msgid=9&begin_itemidx=1"
    later = FIRST + "&begin_msgid=9&begin_itemidx=1"
    assert parse_album_page(album_json([item("8"), second], more="1"), later).across_url == \
        album_json_url(ALBUM, 4, "9", "1")
    assert parse_album_page(album_json([item("8"), second]), later).across_url is None


def test_the_next_page_starts_after_an_item_without_itemidx_as_the_first_of_its_message() -> None:
    last = {k: v for k, v in item("9").items() if k != "itemidx"}
    assert parse_album_page(album_json([last], more="1"), FIRST).next_url == \
        FIRST + "&begin_msgid=9&begin_itemidx=1"


@pytest.mark.parametrize("body", [
    album_json([item("9"), item("8")], more="0"),
    album_json([], more="1"),
    # reverse_continue_flag is "1" on every page after the first, the last included
    album_json([item("9"), item("8")], more="0", reverse_continue_flag="1"),
])
def test_an_album_ends(body: str) -> None:
    assert parse_album_page(body, FIRST).next_url is None


def test_a_page_that_lists_nothing_yet_says_more_follow_is_cut() -> None:
    assert parse_album_page(album_json([], more="1"), FIRST).cut
    assert not parse_album_page(album_json([], more="0"), FIRST).cut
    assert not parse_album_page(album_json([item("9")], more="1"), FIRST).cut


def test_later_pages_state_no_title_and_no_count() -> None:
    body = json.dumps({"base_resp": {"ret": 0}, "getalbum_resp": {
        "article_list": [item("9")], "continue_flag": "1", "reverse_continue_flag": "1",
        "base_info": {"is_first_screen": "0"}, "verify_status": "0"}})
    page = parse_album_page(body, FIRST)
    assert (page.first_screen, page.title, page.article_count) == (False, "", None)


@pytest.mark.parametrize("body, message", [
    (album_json([item("9")], verify_status="1"), "verify_status='1'"),
    (album_json([item("9")], verify_status="2"), "verify_status='2'"),
    (json.dumps({"base_resp": {"ret": 0}}), "not an album's answer"),
    (json.dumps({"base_resp": {"ret": "abc"}}), "ret='abc'"),
    (json.dumps({"base_resp": [1]}), "base_resp is not an object"),
    (album_json(7), "article_list is not a list"),
])
def test_a_verification_or_a_body_that_is_not_an_album_answer_is_a_failed_source(
        body: str, message: str) -> None:
    with pytest.raises(ListingError, match=message):
        parse_album_page(body, FIRST)


def test_items_that_are_not_http_links_are_left_out() -> None:
    body = album_json([{"title": "x", "url": "javascript:alert(1)", "msgid": "1"},
                       {"title": "y", "url": "file:///etc/passwd", "msgid": "2"}, item("9")])
    assert [e.key for e in parse_album_page(body, FIRST).entries] == ["MzA=:9:1"]


@pytest.mark.parametrize("body", [
    album_json({"url": 5}), album_json(["x", None, {"title": "no url"}]),
    album_json([item("9")], count="二十"), album_json([item("9")], count=None),
    album_json([item("9")], count="9" * 5000), album_json([item("9")], verify_status=False),
    json.dumps({"getalbum_resp": {"base_info": []}}),
])
def test_hostile_album_json_gives_what_it_can(body: str) -> None:
    page = parse_album_page(body, FIRST)
    assert page.article_count is None or page.article_count == 5
    assert all(e.url.startswith("http") for e in page.entries)


@pytest.mark.parametrize("body, message", [
    ('{"base_resp": {"ret": 10004, "errmsg": "no such album"}}', "ret=10004: no such album"),
    ('{"base_resp": {"ret": -1, "err_msg": "system error"}}', "ret=-1: system error"),
    ("<html>", "not JSON"), ("[1]", "not a JSON object"),
])
def test_album_errors_are_listing_errors(body: str, message: str) -> None:
    with pytest.raises(ListingError, match=message):
        parse_album_page(body, FIRST)


def test_an_entry_s_short_link_is_its_token_alone_as_a_page_gives_it() -> None:
    """A listing's ``/s/Tok?scene=1`` and a page's ``/s/Tok`` were two links of one article."""
    found = entry(" http:\\/\\/mp.weixin.qq.com\\/s\\/Tok?scene=1#rd ", " 标题 ")
    assert (found.url, found.title, found.key) == ("https://mp.weixin.qq.com/s/Tok", "标题", None)


def test_feeds_give_their_links() -> None:
    rss = b"""<?xml version="1.0"?><rss><channel><item><title>A</title>
    <link>https://mp.weixin.qq.com/s?__biz=MzA=&amp;mid=1&amp;idx=1&amp;chksm=z</link></item>
    <item><title>B</title><guid>not a link</guid></item>
    <item><title>C</title><guid>https://mp.weixin.qq.com/s/GuidToken</guid></item></channel></rss>"""
    assert [e.url for e in parse_feed(rss)] == ["https://mp.weixin.qq.com/s?__biz=MzA=&mid=1&idx=1&chksm=z",
                                                "https://mp.weixin.qq.com/s/GuidToken"]
    with pytest.raises(ListingError, match="not an RSS or Atom feed"):
        parse_feed(b"<rss><unclosed>")


def test_an_atom_entry_is_its_alternate_link_not_the_feeds_own() -> None:
    atom = b"""<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>A</title>
    <link rel="self" href="https://rsshub.example/entry/1"/>
    <link href="https://mp.weixin.qq.com/s/AtomToken"/></entry></feed>"""
    assert [(e.url, e.title) for e in parse_feed(atom)] == [("https://mp.weixin.qq.com/s/AtomToken", "A")]


def test_the_back_office_list_and_its_errors() -> None:
    info = json.dumps({"appmsgex": [{"link": "https://mp.weixin.qq.com/s/T1", "title": "t"}]})
    body = json.dumps({"base_resp": {"ret": 0}, "publish_page": json.dumps(
        {"publish_list": [{"publish_info": info}]})})
    assert [e.url for e in parse_publish_list(body)] == ["https://mp.weixin.qq.com/s/T1"]
    with pytest.raises(ListingError, match="freq control"):
        parse_publish_list('{"base_resp": {"ret": 200013}}')
    with pytest.raises(ListingError, match="session expired: log in"):
        parse_publish_list('{"base_resp": {"ret": 200003, "errmsg": "invalid session"}}')
    odd = json.dumps({"appmsgex": [{"link": 5}, {"link": ""}, {"title": "none"},
                                   {"link": "https://mp.weixin.qq.com/s/T2"}]})
    body = json.dumps({"base_resp": {"ret": 0}, "publish_page": json.dumps(
        {"publish_list": [{"publish_info": odd}]})})
    assert [e.url for e in parse_publish_list(body)] == ["https://mp.weixin.qq.com/s/T2"]


@pytest.mark.parametrize("url", [
    "https://mp.weixin.qq.com/mp/appmsgalbum?__biz=…&album_id=77",  # the README's placeholder
    "https://mp.weixin.qq.com/mp/appmsgalbum?__biz=MzA=，看看&album_id=77",  # a chat's words after it
])
def test_an_album_link_with_a_biz_that_is_no_base64_is_refused(url: str) -> None:
    with pytest.raises(ListingError, match="not an album URL"):
        album_json_url(url)


# -- the real album answers in ../shared/fixtures/wechat_album ---------------------------
ALBUM_FIXTURES = PROJECT.parent / "shared" / "fixtures" / "wechat_album"
REAL_ALBUM = ("https://mp.weixin.qq.com/mp/appmsgalbum?__biz=Mzg4NTc2OTYxMQ==&action=getalbum"
              "&album_id=3329839945947119618")


def real_album_pages() -> list[Path]:
    return sorted(ALBUM_FIXTURES.glob("*.json"))


@pytest.mark.skipif(not ALBUM_FIXTURES.is_dir(), reason=f"{ALBUM_FIXTURES} is absent: the "
                    "third-party album answers live in ../shared, beside the project")
@pytest.mark.parametrize("path", real_album_pages(), ids=lambda path: path.name)
def test_every_real_album_page_reads_with_its_entries_flag_and_next_cursor(path: Path) -> None:
    raw = json.loads(path.read_text(encoding="utf-8"))["getalbum_resp"]
    items = raw["article_list"] if isinstance(raw["article_list"], list) else [raw["article_list"]]
    asked = album_json_url(REAL_ALBUM, 20, "2247400000", "1")
    page = parse_album_page(path.read_text(encoding="utf-8"), asked)
    assert [e.key for e in page.entries] == [
        f"Mzg4NTc2OTYxMQ==:{item['msgid']}:{item['itemidx']}" for item in items]
    assert all("chksm=" in e.url and "#" not in e.url for e in page.entries)
    assert not page.first_screen and page.article_count is None
    last = items[-1]
    if raw["continue_flag"] == "1":
        assert page.next_url == album_json_url(REAL_ALBUM, 20, last["msgid"], last["itemidx"])
    else:
        assert page.next_url is None


@pytest.mark.skipif(not ALBUM_FIXTURES.is_dir(), reason=f"{ALBUM_FIXTURES} is absent")
def test_the_real_album_s_last_page_ends_it_though_reverse_continue_flag_is_one() -> None:
    raw = (ALBUM_FIXTURES / "2247483853.json").read_text(encoding="utf-8")
    assert '"reverse_continue_flag": "1"' in raw.replace("\n", "").replace("  ", "")
    assert parse_album_page(raw, album_json_url(REAL_ALBUM, 20, "2247484063", "1")).next_url is None


def test_an_album_item_without_an_article_link_is_named_not_dropped() -> None:
    """An audio album may list its audios with no article link (no capture shows one): such
    an item is no entry, but named, so that a read counts it against the first screen's
    count and says it is not archived, and the next page still starts after it."""
    audio = {"title": "第3期", "msgid": "7", "itemidx": "1", "key": "3885769611_7_1", "voice_id": "v"}
    page = parse_album_page(album_json([item("9"), audio, {"title": "第2期", "url": "javascript:;"}],
                                       more="1"), FIRST)
    assert [e.key for e in page.entries] == ["MzA=:9:1"]
    assert page.unlinked == ("3885769611_7_1", "__第2期")
    assert page.next_url == FIRST + "&begin_msgid=7&begin_itemidx=1"  # its last that has a msgid


def test_an_album_item_that_names_its_article_by_a_short_link_is_a_member_by_its_ids() -> None:
    """An item whose ``url`` is a short link (no capture shows one; every real item has
    ``msgid`` and ``itemidx``): its article is the album's account's ``msgid``/``itemidx``,
    known before it is fetched; an album asked without ``__biz`` names no account, and its
    item is listed by its link alone, a member the count holds all the same."""
    short = {"title": "短", "msgid": "8", "itemidx": "2", "url": "https://mp.weixin.qq.com/s/ShortItem"}
    without_biz = album_json_url(ALBUM.replace("__biz=MzA=&", ""), 2)
    for asked, key in ((FIRST, "MzA=:8:2"), (without_biz, None)):
        page = parse_album_page(album_json([item("9"), short, {**short, "url": "//mp.weixin.qq.com/s/NoScheme"}]),
                                asked)
        assert [(e.url, e.key) for e in page.entries[1:]] == [
            ("https://mp.weixin.qq.com/s/ShortItem", key), ("https://mp.weixin.qq.com/s/NoScheme", key)]
        assert len(set(listing(page))) == (3 if key is None else 2)  # one article, two links
        assert page.unlinked == ()


HOMEPAGE = """<html><body><div class="container"><div id="js_plugins">
<div class="slider js_plugin"><div class="swiper"><div class="item js_post"><a href="
http://mp.weixin.qq.com/s?__biz=MzA=&amp;mid=3&amp;idx=1&amp;sn=c&amp;scene=19#wechat_redirect">
<p class="desc js_title">轮播</p></a></div></div></div>
<div class="tab js_plugin"><div class="tab_bd"><div class="article_list article_list_0">
<a class="list_item js_post" href="http://mp.weixin.qq.com/s?__biz=MzA=&amp;mid=2&amp;idx=1&amp;sn=b&amp;scene=19">
<div class="cont"><h2 class="title js_title">第二期</h2></div></a>
<a class="list_item js_post" href="javascript:;"><h2>坏</h2></a>
<a class="other" href="http://mp.weixin.qq.com/s?__biz=MzA=&amp;mid=9&amp;idx=1">不是</a>
</div><div class="article_list article_list_1" style="display: none;"></div></div></div>
</div></div></body></html>"""


def test_a_homepage_lists_its_slider_s_and_tabs_articles() -> None:
    """The shape of a 2018 homepage (tests/site.py names it): ``.item.js_post > a`` and
    ``a.list_item.js_post``; a link that is no web URL is left out, and so is a link that is
    no post of the page's."""
    entries = parse_homepage(HOMEPAGE)
    assert [(e.key, e.title) for e in entries] == [("MzA=:3:1", "轮播"), ("MzA=:2:1", "第二期")]


@pytest.mark.parametrize("scheme", ["https", "http"])
def test_a_homepage_s_post_linked_without_a_scheme_is_on_the_homepage_s(scheme: str) -> None:
    """``href="//mp.weixin.qq.com/s?…"`` (no captured homepage links so; WeChat's pages load
    their own scripts so): a browser follows it on the homepage's scheme. It was left out as
    no web URL, with no line: its article never fetched from the homepage."""
    page = HOMEPAGE.replace('href="http://mp.weixin.qq.com/s?__biz=MzA=&amp;mid=2', 'href="//mp.weixin.qq.com/s?__biz=MzA=&amp;mid=2')
    entries = parse_homepage(page, f"{scheme}://mp.weixin.qq.com/mp/homepage?__biz=MzA=&hid=1")
    assert [(e.url.split("?")[0], e.key) for e in entries][1] == (f"{scheme}://mp.weixin.qq.com/s", "MzA=:2:1")


@pytest.mark.parametrize("body", ["", " \n", "<!-- -->", "\x00", "<html><body>参数错误</body></html>", '{"base_resp": {"ret": -1}}'])
def test_an_answer_that_is_no_homepage_s_page_is_said(body: str) -> None:
    with pytest.raises(ListingError, match="not a homepage's page"):
        parse_homepage(body)

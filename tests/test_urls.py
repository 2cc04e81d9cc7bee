"""Article links and keys, canonical URLs, image URL normalising and media ids."""

from __future__ import annotations

import pytest

from crawler.wechat.urls import (
    ArticleKey,
    BadArticleURL,
    article_key,
    article_link,
    canonical_article_url,
    homepage_link,
    image_stem,
    is_article_link,
    link_as_given,
    normalise_image_url,
    short_link_alone,
    web_url,
    without_tracking,
)


@pytest.mark.parametrize("given, expected", [
    ("https://mp.weixin.qq.com/s/KDWh_qGpFN5Vu1TR9t30Mw", "https://mp.weixin.qq.com/s/KDWh_qGpFN5Vu1TR9t30Mw"),
    ("https://MP.weixin.qq.com/s/KDWh_qGpFN5Vu1TR9t30Mw/?scene=1#rd",
     "https://mp.weixin.qq.com/s/KDWh_qGpFN5Vu1TR9t30Mw"),
    ("http://mp.weixin.qq.com/s?__biz=MzA=&amp;mid=2&amp;idx=1&amp;sn=ab&amp;chksm=ff&amp;scene=21#wechat_redirect",
     "http://mp.weixin.qq.com/s?__biz=MzA=&mid=2&idx=1&sn=ab&chksm=ff"),
    # the PC client's copy: the reader's own session (key, uin, pass_ticket) is not the link's
    ("https://mp.weixin.qq.com/s?__biz=MzA%3D&mid=2&idx=1&sn=ab&chksm=ff&scene=90&sessionid=1"
     "&key=7a1f&ascene=1&uin=MTIz&devicetype=Windows+10&version=63090b13&lang=zh_CN"
     "&exportkey=n_Ch&acctmode=0&pass_ticket=Qx%2Bz&wx_header=1",
     "https://mp.weixin.qq.com/s?__biz=MzA%3D&mid=2&idx=1&sn=ab&chksm=ff"),
    ("  https://mp.weixin.qq.com/s?idx=1&mid=2&__biz=MzA=  ", "https://mp.weixin.qq.com/s?idx=1&mid=2&__biz=MzA="),
])
def test_article_links_are_kept_as_given_but_for_their_fragment(given: str, expected: str) -> None:
    """A long link keeps its chksm: WeChat has answered the same link without it with the
    verification page; the rest of its query (a share's scene, the PC client's copy of the
    reader's session) is not the article's. A short link is its token alone: what a chat adds
    is not the link."""
    assert article_link(given) == expected


@pytest.mark.parametrize("given", [
    "", "mp.weixin.qq.com/s/abc", "ftp://mp.weixin.qq.com/s/abc", "https://example.com/s/abc",
    "https://mp.weixin.qq.com/", "https://mp.weixin.qq.com/s?__biz=MzA=", "https://mp.weixin.qq.com/s/a b",
    "https://mp.weixin.qq.com/s?__biz=MzA=&mid=2&sn=ab",  # no idx: which article of the message?
])
def test_malformed_article_links_are_refused(given: str) -> None:
    with pytest.raises(BadArticleURL):
        article_link(given)


def test_a_long_link_with_a_slash_after_s_is_an_article_link() -> None:
    assert is_article_link("https://mp.weixin.qq.com/s/?__biz=MzA=&mid=2&idx=1&sn=ab")
    assert not is_article_link("https://mp.weixin.qq.com/s/?__biz=MzA=&mid=2")
    assert not is_article_link("https://reader:secret@mp.weixin.qq.com/s/?__biz=MzA=&mid=2&idx=1&sn=ab")
    assert not is_article_link("https://reader@mp.weixin.qq.com/s/AbCdEfGhIjKlMnOpQrStUv")


def test_a_link_of_the_2013_form_is_an_article_link_with_its_ids() -> None:
    """``/mp/appmsg/show?__biz=…&appmsgid=…&itemidx=…&sign=…`` (2013-15): ``appmsgid`` is
    ``mid``, ``itemidx`` is ``idx``; a ``mid`` it carries besides is not its own."""
    old = "http://mp.weixin.qq.com/mp/appmsg/show?__biz=MjM5&amp;appmsgid=10012087&amp;itemidx=2&amp;sign=3f9b&amp;mid=9"
    assert is_article_link(link_as_given(old))
    assert article_key(old) == "MjM5:10012087:2"
    assert not is_article_link("http://mp.weixin.qq.com/mp/appmsg/show?__biz=MjM5&itemidx=1&sign=3f9b")
    assert not is_article_link("http://mp.weixin.qq.com/mp/appmsg/list?__biz=MjM5&appmsgid=1&itemidx=1")
    assert article_link(old + "#wechat_redirect") == \
        "http://mp.weixin.qq.com/mp/appmsg/show?__biz=MjM5&appmsgid=10012087&itemidx=2&sign=3f9b"


def test_canonical_url() -> None:
    assert canonical_article_url("MzA=", "2", "1", "ab") == "https://mp.weixin.qq.com/s?__biz=MzA=&mid=2&idx=1&sn=ab"
    assert canonical_article_url("MzA=", "2", "1") == "https://mp.weixin.qq.com/s?__biz=MzA=&mid=2&idx=1"


def test_image_urls_lose_webp_and_lazy_markers() -> None:
    src = ("//mmbiz.qpic.cn/mmbiz_png/Abc/640?wx_fmt=png&amp;tp=webp&amp;wxfrom=5&amp;wx_lazy=1"
           "&amp;wx_co=1&amp;watermark=1&amp;from=appmsg#imgIndex=3")
    assert normalise_image_url(src) == "https://mmbiz.qpic.cn/mmbiz_png/Abc/640?wx_fmt=png&from=appmsg"


def test_an_image_urls_parameters_without_a_value_stay() -> None:
    """The index knows a stored picture by this form of its URL: ``from=`` dropped, a picture
    stored by an earlier run would be another URL, fetched and stored again."""
    src = "https://mmbiz.qpic.cn/mmbiz_jpg/Abc/0?wx_fmt=jpeg&from=&tp=webp"
    assert normalise_image_url(src) == "https://mmbiz.qpic.cn/mmbiz_jpg/Abc/0?wx_fmt=jpeg&from="


@pytest.mark.parametrize("url", ["javascript:alert(1)", "http:///etc/passwd", "https:", "http://[::1",
                                 "data:image/png;base64,AA", "file://host/x"])
def test_only_an_http_url_with_a_host_reaches_a_post(url: str) -> None:
    assert web_url(url) == ""
    assert web_url(" https://example.com/a?b=1 ") == "https://example.com/a?b=1"


@pytest.mark.parametrize("url, stem", [
    ("https://mmbiz.qpic.cn/mmbiz_png/3CxTSiafadc/640?wx_fmt=png", "3CxTSiafadc"),
    ("https://mmbiz.qpic.cn/sz_mmbiz_jpg/Ab-c_D/0", "Ab-c_D"),
    ("https://mmbiz.qpic.cn/mmbiz/OldStyle/0", "OldStyle"),
    ("http://127.0.0.1:8000/mmbiz_gif/Local/640?wx_fmt=gif", "Local"),
])
def test_media_ids(url: str, stem: str) -> None:
    assert image_stem(url) == stem


def test_other_paths_are_hashed_into_safe_names() -> None:
    stem = image_stem("https://mmbiz.qpic.cn/mmbiz_png/../../etc/passwd")
    assert len(stem) == 32 and stem.isalnum()


def test_an_article_key_is_its_ids_and_says_whose_article_it_is() -> None:
    key = article_key("https://mp.weixin.qq.com/s?__biz=MzA=&amp;mid=2247&amp;idx=2&amp;sn=ab#rd")
    assert key == "MzA=:2247:2" and isinstance(key, str)
    assert key.biz == "MzA="
    assert article_key("https://mp.weixin.qq.com/s?__biz=MzA=&mid=2247") is None  # no idx
    assert ArticleKey.of("MzA=", "2247", "") is None
    # the key of a page that gives no ids is its URL, of no account
    for url in ("https://mp.weixin.qq.com/s/KDWh_qGpFN5Vu1TR9t30Mw", "http://127.0.0.1:8080/s/T",
                "file:///home/me/saved.html"):
        assert ArticleKey(url).biz == ""


def test_an_accounts_keys_are_those_in_its_range() -> None:
    """``biz:`` to ``biz;``: no other account's key falls in it, however its ``__biz`` begins."""
    keys = [ArticleKey(key) for key in ("MzA:1:1", "MzA:9:2", "MzA=:1:1", "MzA0:1:1", "MzB:1:1",
                                         "Mz:1:1", "https://mp.weixin.qq.com/s/T")]
    low, high = ArticleKey.account_range("MzA")
    assert [key for key in keys if low < key < high] == [key for key in keys if key.biz == "MzA"] \
        == ["MzA:1:1", "MzA:9:2"]


def test_cleaned_urls_keep_the_form_archives_know_them_by() -> None:
    """A stored image is known by its normalised URL, a post by its canonical one: the query
    is re-encoded, and ``__biz`` spelled as WeChat's own links spell it (``==``), whatever
    escapes the URL came with (what w3lib's ``url_query_cleaner`` would keep)."""
    assert normalise_image_url("https://mp.weixin.qq.com/mp/readtemplate?t=pages/video_player_tmpl"
                               "&amp;vid=wxv_1&amp;tp=webp#rd") == \
        "https://mp.weixin.qq.com/mp/readtemplate?t=pages%2Fvideo_player_tmpl&vid=wxv_1"
    assert without_tracking("http://mp.weixin.qq.com/s?scene=45&amp;idx=1&amp;mid=2247&amp;"
                            "__biz=MzIxNzE3MjEwNg%3D%3D&amp;sn=8c05#wechat_redirect") == \
        "http://mp.weixin.qq.com/s?__biz=MzIxNzE3MjEwNg==&mid=2247&idx=1&sn=8c05"


@pytest.mark.parametrize("given, expected", [
    # as a page links one (a 2022 blog's 参考文章), the PC client's reader's session in it
    ("https://mp.weixin.qq.com/mp/homepage?__biz=MzI2NTQ5NTE4OA==&amp;hid=1&amp;sn=d38e&amp;scene=1"
     "&amp;devicetype=Windows+10+x64&amp;uin=&amp;key=&amp;wx_header=1",
     "https://mp.weixin.qq.com/mp/homepage?__biz=MzI2NTQ5NTE4OA==&hid=1&sn=d38e"),
    # on WeChat's host on https, as a short link, whatever the scheme and case it is given in
    ("http://MP.weixin.qq.com/mp/homepage?__biz=MzA=&hid=4&cid=2#wechat_redirect",
     "https://mp.weixin.qq.com/mp/homepage?__biz=MzA=&hid=4&cid=2"),
    ("https://mp.weixin.qq.com/mp/homepage?__biz=MzA=", ""),  # no hid: no page of it
    ("https://mp.weixin.qq.com/mp/profile_ext?action=home&__biz=MzA=&hid=1", ""),
    ("javascript:;//mp/homepage?__biz=MzA=&hid=1", ""),
])
def test_a_homepage_link_keeps_what_names_the_page(given: str, expected: str) -> None:
    assert homepage_link(given) == expected


@pytest.mark.parametrize("given", [
    "http://mp.weixin.qq.com/s/KDWh_qGpFN5Vu1TR9t30Mw", "https://MP.Weixin.qq.com/s/KDWh_qGpFN5Vu1TR9t30Mw/",
    "https://mp.weixin.qq.com/s/KDWh_qGpFN5Vu1TR9t30Mw#wechat_redirect",
])
def test_the_forms_of_a_short_link_on_wechat_are_one_link_on_https(given: str) -> None:
    """Whichever page gives it so, a short link is one link: asked once, and known to the
    index by one form."""
    assert short_link_alone(given, "http://127.0.0.1:8000/s") == "https://mp.weixin.qq.com/s/KDWh_qGpFN5Vu1TR9t30Mw"


@pytest.mark.parametrize("link, base, expected", [
    ("https://127.0.0.1:8000/s/Tok", "http://127.0.0.1:8000/s", "http://127.0.0.1:8000/s/Tok"),
    ("https://127.0.0.1:8001/s/Tok", "http://127.0.0.1:8000/s", "https://127.0.0.1:8001/s/Tok"),
    ("https://127.0.0.1:8000/s/Tok", "", "https://127.0.0.1:8000/s/Tok"),
])
def test_a_short_link_on_the_host_of_the_page_giving_it_is_on_the_page_s_scheme(
        link: str, base: str, expected: str) -> None:
    assert short_link_alone(link, base) == expected


@pytest.mark.timeout(60)
def test_a_link_escaped_three_hundred_thousand_times_is_read_in_one_pass() -> None:
    """A hostile page's 1.2 MB link: undoing one escape a pass took a pass per escape."""
    given = "https://mp.weixin.qq.com/s?__biz=MzA=" + "&" + "amp;" * 300_000 + "mid=2&idx=1"
    assert link_as_given(given) == "https://mp.weixin.qq.com/s?__biz=MzA=&mid=2&idx=1"


@pytest.mark.parametrize("ampersand", ["&amp;", "&amp;amp;", "&amp;amp;amp;", "&AMP;amp;"])
def test_a_link_s_ampersand_escaped_any_number_of_times_is_read_once(ampersand: str) -> None:
    given = "https://mp.weixin.qq.com/s?__biz=MzA=&mid=2&idx=1&sn=ab".replace("&", ampersand)
    assert link_as_given(given) == "https://mp.weixin.qq.com/s?__biz=MzA=&mid=2&idx=1&sn=ab"
    assert article_key(link_as_given(given)) == "MzA=:2:1"

"""Every lead a page gives to the account's other articles and albums: the album markups of
each template, album links in the body, 阅读原文 and a shared article's link, and the page's
own short link. Our small pages in, ``Article`` fields out."""

from __future__ import annotations

import json

import pytest

from crawler.wechat.article import Album, Article
from crawler.wechat.page import parse_page
from crawler.wechat.urls import article_key
from tests.conftest import page_text, shared_fixture

BIZ = "MzA5OTk5OTk5OQ=="


def parsed(html: str) -> Article:
    page = parse_page(html, "https://mp.weixin.qq.com/s/Fetched")
    assert isinstance(page, Article), page
    return page


def test_the_2021_album_tag_card_names_the_album_and_its_count() -> None:
    page = parsed(page_text("leads_2021.html"))
    assert page.albums == (Album("1645521656368381958", "冒充客服诈骗", 49),)


def test_the_2021_tag_cards_count_is_of_a_page_in_one_album_only() -> None:
    """The card's right side ("49个") counts the one album of a page in one; a page in two
    shows each album's count by its tag, or none."""
    second = ('<span class="article-tag__item-wrp js_tag" data-album_id="1645521656368381959">'
              '<span class="article-tag__item">#刷单诈骗</span></span>')
    html = page_text("leads_2021.html").replace("  </span>\n  <span id=\"js_article-tag-card__right\"",
                                                second + "  </span>\n  <span id=\"js_article-tag-card__right\"")
    assert parsed(html).albums == (Album("1645521656368381958", "冒充客服诈骗"),
                                   Album("1645521656368381959", "刷单诈骗"))


def test_the_2023_public_tag_info_names_every_album() -> None:
    page = parsed(page_text("leads_2023.html"))
    assert page.albums == (Album("2698309978880770049", "刷单诈骗", 200),
                           Album("2698309978880770050", "反诈快报", 12))


def test_album_links_in_the_body_are_leads_not_the_page_s_albums() -> None:
    page = parsed(page_text("leads_2021.html"))
    assert page.album_links == (
        f"https://mp.weixin.qq.com/mp/appmsgalbum?__biz={BIZ}&action=getalbum"
        "&album_id=2123743679373688834",)
    assert "2123743679373688834" not in {album.id for album in page.albums}


def test_in_body_links_are_kept_without_chksm_and_the_original_link_follows() -> None:
    page = parsed(page_text("leads_2021.html"))
    assert page.links == (
        f"https://mp.weixin.qq.com/s?__biz={BIZ}&mid=2650238689&idx=1"
        "&sn=cb62a76c5b9707a70aed7173e7923aba&scene=21",
        f"https://mp.weixin.qq.com/s?__biz={BIZ}&mid=2650230000&idx=2"
        "&sn=feedfacefeedfacefeedfacefeedface")


def test_the_page_s_own_short_link_is_read() -> None:
    assert parsed(page_text("leads_2021.html")).short_link == \
        "https://mp.weixin.qq.com/s/LeadsToken2021"
    assert parsed(page_text("leads_2023.html")).short_link == ""


def test_a_short_link_in_cgi_data_new_is_read_as_the_2026_pages_give_it() -> None:
    page = parsed(shared_fixture("article_normal_xiaoshuoshiyi-longtext_2026.html"))
    assert page.short_link == "https://mp.weixin.qq.com/s/p6ri8T7X-n9UKMUMfkzaAQ"


SHARED = f"https://mp.weixin.qq.com/s?__biz={BIZ}&mid=2650250003&idx=1&sn=0000aaaa0000aaaa"
IMAGE_POST = """<html><body><div id="js_content"></div><script>
window.cgiDataNew = {{ title: JsDecode('图说反诈'), item_show_type: '8' * 1,
  biz: '{biz}', mid: '2650250009' * 1, idx: '1' * 1, create_time: '1700000000',
  content_noencode: JsDecode('看图识骗局'), picture_page_info_list: [],
  {cgi_link} }};
{window_link}
</script></body></html>"""


@pytest.mark.parametrize("cgi_link, window_link", [
    # Where nobody has captured a filled-in one, both notations are read: a JavaScript
    # literal inside cgiDataNew, and JSON assigned to window.appmsg_link.
    (f"appmsg_link: {{ title: JsDecode('原文'), content_url: JsDecode('{SHARED}') }}", ""),
    ("appmsg_link: {}", "window.appmsg_link = " + json.dumps({"title": "原文", "content_url": SHARED}) + ";"),
    ("appmsg_link: { content_url: JsDecode('') }",
     "window.appmsg_link = " + json.dumps({"title": "原文", "content_url": SHARED}) + ";"),
])
def test_an_image_post_s_shared_article_is_a_lead(cgi_link: str, window_link: str) -> None:
    page = parsed(IMAGE_POST.format(biz=BIZ, cgi_link=cgi_link, window_link=window_link))
    assert SHARED in page.links


def test_an_empty_appmsg_link_as_real_text_posts_have_it_gives_no_lead() -> None:
    page = parsed(shared_fixture("article_textpost_ruanyifeng_2021.html"))
    assert page.links == ()


OTHER = "MzkxMTExMTExMQ=="
REPRINT = """<html><body><h1 id="activity-name">转载：警惕刷单诈骗</h1>
<div id="js_content"><p>刷单就是诈骗。</p></div><script>
window.cgiDataNew = {{ title: JsDecode('转载：警惕刷单诈骗'), biz: '{biz}', mid: '2650250010' * 1,
  idx: '1' * 1, create_time: '1700000000', copyright_info: {{ copyright_stat: '2' * 1,
    platform: JsDecode('省反诈中心'), reprint_url: JsDecode('{original}'), }}, }};
</script></body></html>"""


def test_the_original_a_reprint_reprints_is_a_lead() -> None:
    """A reprint (``copyright_stat`` 2) names its original only in ``copyright_info``'s
    ``reprint_url`` (``__biz`` escaped, ``\\x26amp;`` between the parameters, as
    ``article_reprint_36kr_2025.html`` gives it): it led nowhere, and the original's account,
    in the accounts file, never learned of its article from the pages reprinting it."""
    original = fr"http://mp.weixin.qq.com/s?__biz={OTHER[:-2]}%3D%3D\x26amp;mid=2247471201\x26amp;idx=1\x26amp;sn=abc"
    page = parsed(REPRINT.format(biz=BIZ, original=original))
    assert [article_key(link) for link in page.links] == [f"{OTHER}:2247471201:1"]
    real = parsed(shared_fixture("article_reprint_36kr_2025.html"))
    assert "MjM5ODMzMDMyMw==:2654868330:1" in {article_key(link) for link in real.links}


def test_the_links_of_the_article_a_share_page_shares_are_leads() -> None:
    """A share page holds the shared article's body for its script to show under the share
    (``<script id="content_tpl" type="text/html">``, and in 2025 pages ``content_noencode``
    too: ``article_reprint_share-source_ruanyifeng_2019.html``, whose shared article quotes
    the sharing account's own 科技爱好者周刊：第 83 期 in a ``<blockquote data-url>``): its
    links led nowhere."""
    quoted = (f"http://mp.weixin.qq.com/s?__biz={BIZ}&amp;mid=2650222327&amp;idx=1&amp;"
              "sn=f4ed2f2be81f0d8c18fc40d47b6743e0&amp;chksm=f3e0db37#rd")
    template = (f'<script id="content_tpl" type="text/html"><blockquote class="js_blockquote_wrap" '
                f'data-type="1" data-url="{quoted}"><p>录音里第一个出现的</p></blockquote></script>')
    page = parsed(page_text("shared_post.html").replace("</body>", template + "</body>"))
    assert f"{BIZ}:2650222327:1" in {article_key(link) for link in page.links}
    real = parsed(shared_fixture("article_reprint_share-source_ruanyifeng_2019.html"))
    assert "MzI4NjAxNjY4Nw==:2650222327:1" in {article_key(link) for link in real.links}


def test_the_album_of_the_account_s_own_audio_is_one_of_the_page_s_albums() -> None:
    page = parsed(shared_fixture("article_audio_mpvoice_jinbang_2025.html"))
    assert page.albums == (Album("4262215789681311745", "26考研数学硕哥睡前碎碎念"),)

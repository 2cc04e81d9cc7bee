"""``parse_page``: our own WeChat-shaped pages in, ``Article`` or ``NotAnArticle`` out."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from lxml import etree

from crawler.convert.markdown import to_markdown
from crawler.tagging.tags import article_text
from crawler.wechat import dom
from crawler.wechat.article import CHINA_TIME, Album, Article, NotAnArticle, PostType
from crawler.wechat.errorpage import is_verification_page
from crawler.wechat.page import as_utf8, parse_page
from crawler.wechat.svgdrawn import SvgDrawing
from tests.conftest import page_text

FETCHED = "https://mp.weixin.qq.com/s/FetchedToken"


def article(name: str, url: str = FETCHED) -> Article:
    parsed = parse_page(page_text(name, "https://mmbiz.qpic.cn"), url)
    assert isinstance(parsed, Article), parsed
    return parsed


def test_2025_template_metadata_comes_from_the_inline_script() -> None:
    page = article("legacy_shape.html")
    assert page.title == "网购物品丢失的退款，清远大姐为什么不要？"
    assert (page.account, page.account_id) == ("清远市反诈骗中心", "gh_f8106a4e0d72")
    assert (page.biz, page.mid, page.idx, page.sn) == (
        "MzI0NzE2NjQ0Mg==", "2247500001", "1", "aaaabbbbccccdddd0000111122223333")
    assert page.url == ("https://mp.weixin.qq.com/s?__biz=MzI0NzE2NjQ0Mg==&mid=2247500001"
                        "&idx=1&sn=aaaabbbbccccdddd0000111122223333")
    assert page.published == datetime(2021, 7, 28, 16, 5, 12, tzinfo=CHINA_TIME)
    assert page.copyright_stat == 1
    assert page.item_show_type == PostType.ARTICLE
    assert page.albums == (Album("1999000111222333444", "反诈快报", 61),
                           Album("1999000111222333555", "冒充客服诈骗"))
    assert page.key == "MzI0NzE2NjQ0Mg==:2247500001:1"


def test_2025_template_body_is_js_content_and_images_are_normalised() -> None:
    page = article("legacy_shape.html")
    assert page.body_html.startswith("<div") and 'id="js_content"' in page.body_html
    assert "js_tags" not in page.body_html and "profile_meta" not in page.body_html
    assert page.image_urls[0] == "https://mmbiz.qpic.cn/mmbiz_gif/HeaderGifMediaId001/640?wx_fmt=gif"
    assert "https://mmbiz.qpic.cn/mmbiz_png/WebpAskedMediaId005/640?wx_fmt=png" in page.image_urls
    assert len(page.image_urls) == len(set(page.image_urls)) == 8


def test_2018_template() -> None:
    page = article("classic_2018.html")
    assert (page.title, page.account, page.account_id) == ("【视频】石榴花开", "共产党员", "gh_9381891f8dd8")
    assert page.url == "https://mp.weixin.qq.com/s?__biz=MzA4ODUzNjAxOA==&mid=2671068104&idx=7"
    assert page.published == datetime(2018, 3, 20, 11, 19, 59, tzinfo=CHINA_TIME)
    assert page.copyright_stat == 0
    assert page.image_urls == ("http://mmbiz.qpic.cn/mmbiz_jpg/ClassicMedia01/640?wx_fmt=jpeg",)


def test_scriptless_page_has_title_and_body_but_says_it_has_no_publish_time() -> None:
    page = article("scriptless.html")
    assert page.title == "心机炒蔬菜"
    assert page.account == "田螺姑娘hhhaze"
    assert page.published is None
    assert page.copyright_stat == 1  # what its 原创 mark says, as its scripts would have
    assert "精选蔬菜。" in page.body_html
    assert page.url == ("https://mp.weixin.qq.com/s?__biz=MzA3ODc4NTMyNw==&mid=2651799162&idx=1"
                        "&sn=02005c346ae591f880e05146bf04b6d9")


@pytest.mark.parametrize("qr_code", [
    '<img id="js_pc_qr_code_img" class="qr_code_pc_img" src="/mp/qrcode?scene=10000004&amp;size=102'
    "&amp;__biz=MzA3ODc4NTMyNw==&amp;mid=2651799162&amp;idx=1&amp;sn=02005c346ae591f880e05146bf04b6d9"
    '&amp;send_time=">',
    # the profile card's, before the empty one of the PC's QR code (a 2019 page's rendered DOM)
    '<img class="profile_avatar" id="js_profile_qrcode_img" src="https://mp.weixin.qq.com/s?__biz='
    'MzA3ODc4NTMyNw==&amp;mid=2651799162&amp;idx=1&amp;sn=02005c346ae591f880e05146bf04b6d9" alt="">'
    '<img id="js_pc_qr_code_img" class="qr_code_pc_img">',
])
def test_a_page_saved_without_its_scripts_from_a_short_link_is_named_by_its_qr_code(qr_code: str) -> None:
    """Opened by its short link, an article's page names it by that link alone (``og:url``);
    its scripts, which Chrome's MHTML leaves out, named its ids, and set its QR code's link
    (``/mp/qrcode?…&__biz=…&mid=…&idx=…&sn=…``, as the rendered 2024 page shows it): that
    names it, or the page were another article than the one the crawl fetches by its ids."""
    html = page_text("scriptless.html").replace(
        "http://mp.weixin.qq.com/s?__biz=MzA3ODc4NTMyNw==&amp;mid=2651799162&amp;idx=1&amp;"
        "sn=02005c346ae591f880e05146bf04b6d9&amp;chksm=8446#rd",
        "https://mp.weixin.qq.com/s/ScriptlessShortToken").replace("</body>", qr_code + "</body>")
    page = parse_page(html, "https://mp.weixin.qq.com/s/ScriptlessShortToken")
    assert isinstance(page, Article)
    assert page.key == "MzA3ODc4NTMyNw==:2651799162:1"
    assert page.url == ("https://mp.weixin.qq.com/s?__biz=MzA3ODc4NTMyNw==&mid=2651799162&idx=1"
                        "&sn=02005c346ae591f880e05146bf04b6d9")


def test_image_post_lists_its_pictures_not_their_variants() -> None:
    page = article("image_post.html")
    assert page.item_show_type == PostType.IMAGES
    assert page.title == "警惕“刷单返利”新套路"
    assert page.account == "反诈宣传号"
    assert page.pictures == ("https://mmbiz.qpic.cn/mmbiz_png/PictureOne/0?wx_fmt=png&from=appmsg",
                             "https://mmbiz.qpic.cn/mmbiz_png/PictureTwo/0?wx_fmt=png")
    assert page.image_urls == page.pictures
    assert page.text.startswith("第一段：刷单就是诈骗。\n\n第二段：\n不要相信“高额返利”。\n<a class")
    assert page.links == ("https://mp.weixin.qq.com/s?__biz=MzI2NDk5NzA0Mw==&mid=2248864700&idx=1"
                          "&sn=s&chksm=c",)  # the links of its text are followed as well
    assert page.published == datetime(2025, 11, 5, 18, 30, tzinfo=CHINA_TIME)
    assert page.albums == (Album("4128812927555911694", "反诈图说"),)
    assert page.body_html == ""


def test_a_text_post_whose_text_page_info_holds_no_text_has_cgi_data_news() -> None:
    html = re.sub(r"(text_page_info: \{\n)\s*content_noencode: JsDecode\('.*?'\),\n", r"\1",
                  page_text("text_post.html"))
    assert html.count("content_noencode") == 1
    assert article_of(html).text == article("text_post.html").text != ""


def test_an_image_post_without_a_text_has_its_summary_as_text() -> None:
    html = re.sub(r"content_noencode: JsDecode\('.*?'\),\n", "", page_text("image_post.html"))
    assert "content_noencode" not in html
    assert article_of(html).text == "摘要"


def test_text_post_without_a_title_gets_the_start_of_its_text() -> None:
    page = article("text_post.html")
    assert page.item_show_type == PostType.TEXT
    assert page.title == "接到自称“客服”的电话要求退款理赔的，一律是诈骗，请立即挂断！"
    assert page.text.startswith("接到自称“客服”的电话")
    assert page.body_html == "" and page.image_urls == ()


def text_post(content: str, title: str = "") -> Article:
    """``text_post.html`` with ``content`` as its text and ``title`` in its title field."""
    html = page_text("text_post.html").replace(
        "接到自称“客服”的电话要求退款理赔的，一律是诈骗，请立即挂断！\\x0a\\x0a# 不是标题\\x0a1. 不是列表",
        content.replace("\n", "\\x0a")).replace("title: JsDecode('')", f"title: JsDecode('{title}')")
    parsed = parse_page(html, FETCHED)
    assert isinstance(parsed, Article) and parsed.item_show_type == PostType.TEXT, parsed
    return parsed


def test_a_text_posts_title_shows_its_text_as_its_post_does() -> None:
    """The post shows a <q>'s quotation marks and no hidden text; the title made of the same
    sentence showed the hidden text and no marks (警方提醒藏不要相信客服！)."""
    article = text_post('警方提醒<span style="display:none">藏</span><q>不要相信<q>客服</q></q>！')
    assert article.title == "警方提醒“不要相信‘客服’”！"
    assert to_markdown(article, {}).startswith(article.title)


@pytest.mark.parametrize("content, title, expected", [
    # WeChat's title field holds the whole text: seven lines ending in a link
    ("明天是十一假期，周刊暂停一期。上周说提前发，后来想想还是暂停吧。\n祝大家假期开心。\n以前的周刊：\n"
     "https://www.ruanyifeng.com/blog/weekly/", "明天是十一假期，周刊暂停一期。上周说提前发，后来想想还是暂停吧。"
     "祝大家假期开心。以前的周刊：https://www.ruanyifeng.com/blog/weekly/", "明天是十一假期，周刊暂停一期"),
    ("https://example.com/a 快看这个！真的", "", "快看这个！"),
    ("警惕" * 40 + "。", "", ("警惕" * 40)[:63] + "…"),
    ("接到自称客服的电话要求退款理赔的一律是诈骗请立即挂断并拨打反诈专线咨询，或者到附近派出所报案，千万不要转账给陌生账户否则钱款难以追回", "",
     "接到自称客服的电话要求退款理赔的一律是诈骗请立即挂断并拨打反诈专线咨询，或者到附近派出所报案…"),
    ("这两年经常听到AI编程要取代程序员的论调。", "AI编程带给程序员的危与机", "AI编程带给程序员的危与机"),
    ("Scam alert. Do not pay v1.2 fees", "", "Scam alert"),
    ("明天是十一假期，周刊暂停一期。祝大家假期开心。", "明天是十一假期，周刊…", "明天是十一假期，周刊暂停一期"),
    ("警" * 64, "", "警" * 64),
    ("注意，" + "警惕" * 40, "", ("注意，" + "警惕" * 40)[:63] + "…"),
], ids=["whole-text-title", "link-first", "no-comma", "cut-at-comma", "author-title", "english",
        "text-cut-off-as-title", "64-characters", "comma-too-early"])
def test_a_text_posts_title_is_its_first_sentence_short_and_without_links(
        content: str, title: str, expected: str) -> None:
    made = text_post(content, title).title
    assert made == expected
    assert len(made) <= 64 and "http" not in made


def test_a_posts_text_is_handed_on_as_the_html_it_is_its_entities_read_once() -> None:
    """The text is HTML (its links and topic tags are markup): a ``&`` of the text is ``&amp;``
    in it, a ``<`` ``&lt;``. Read as text before it was read as HTML, a link's ``&region=``
    became ``®ion=``, a ``<b`` a tag."""
    page = text_post("举报网址：https://example.com/r?a=1\\x26amp;region=cn\\x26amp;para=2\n"
                     "金额 a\\x26lt;b 元，R\\x26amp;D 部门。")
    shown = dom.fragment(page.text).text_content()
    assert "https://example.com/r?a=1&region=cn&para=2" in shown
    assert "金额 a<b 元，R&D 部门。" in shown
    assert page.title == "举报网址："
    assert text_post("R\\x26amp;D 部门说：别转账。").title == "R&D 部门说：别转账"


@pytest.mark.parametrize("notice", [
    # as WeChat's script sets it, and as a browser shows it (a page saved after it ran)
    "{{SCRIPT}}",
    '<p class="share_notice" id="js_share_notice">见 https://example.com/r?a=1&amp;region=cn'
    "，金额 a&lt;b 元</p>",
])
def test_a_sharers_note_is_handed_on_as_html_its_entities_read_once(notice: str) -> None:
    script = "见 https://example.com/r?a=1\\x26amp;region=cn，金额 a\\x26lt;b 元"
    html = page_text("shared_post.html").replace(
        "转给家里老人看。\\x0a\\x0a接到“公检法”电话要求转账的，一律是诈骗。", script)
    if notice != "{{SCRIPT}}":
        html = re.sub(r'<p class="share_notice".*?</p>', notice, html, flags=re.S)
    page = parse_page(html, FETCHED)
    assert isinstance(page, Article) and page.share_source_url
    assert dom.fragment(page.text).text_content() == "见 https://example.com/r?a=1&region=cn，金额 a<b 元"


@pytest.mark.parametrize("shown, day", [
    ("4天前", 29), ("昨天", 2), ("前天", 1), ("3小时前", 2), ("刚刚", 3), ("2周前", 19), ("45分钟前", 3),
    ("4 天前", 29),
])
def test_a_relative_publish_time_is_dated_to_the_day_from_when_the_page_was_seen(
        shown: str, day: int) -> None:
    html = page_text("scriptless.html").replace(
        '<em id="publish_time" class="rich_media_meta rich_media_meta_text"></em>',
        f'<em id="publish_time" class="rich_media_meta rich_media_meta_text">{shown}</em>')
    seen = datetime(2026, 12, 3, 1, 30, tzinfo=CHINA_TIME)
    page = parse_page(html, FETCHED, seen)
    assert isinstance(page, Article) and page.published is not None
    assert page.published == datetime(2026, 12 if day < 10 else 11, day, tzinfo=CHINA_TIME)
    assert page.published_shown == shown
    unseen = parse_page(html, FETCHED)
    assert isinstance(unseen, Article) and unseen.published is None


def test_a_page_naming_no_ids_is_named_by_the_long_link_it_was_fetched_from() -> None:
    html = page_text("scriptless.html").replace('<meta property="og:url"', '<meta property="x"')
    page = parse_page(html, "https://mp.weixin.qq.com/s?__biz=MzA3ODc4NTMyNw==&mid=7&idx=2&sn=ab&scene=1")
    assert isinstance(page, Article)
    assert (page.key, page.sn) == ("MzA3ODc4NTMyNw==:7:2", "ab")
    assert page.url == "https://mp.weixin.qq.com/s?__biz=MzA3ODc4NTMyNw==&mid=7&idx=2&sn=ab"


def test_a_title_and_an_account_read_from_the_dom_are_one_line_and_an_empty_meta_is_none() -> None:
    """A saved page's <h1> wraps a long title over lines; its og:title may be empty where
    another tag of the name holds it."""
    html = page_text("scriptless.html").replace(
        "&#x5FC3;&#x673A;&#x7092;&#x852C;&#x83DC;\n</h1>", "&#x5FC3;&#x673A;\n      &#x7092;&#x852C;&#x83DC;\n</h1>"
    ).replace('<meta property="og:title"', '<meta property="og:title" content="">\n<meta name="og:title"')
    page = article_of(html)
    assert page.title == "心机 炒蔬菜"
    untitled = article_of(html.replace('id="activity-name"', 'id="x"'))
    assert untitled.title == "心机炒蔬菜"


def test_a_page_without_ids_keeps_the_fetched_url_without_tracking() -> None:
    html = page_text("scriptless.html").replace('<meta property="og:url"', '<meta property="x"')
    page = parse_page(html, "https://mp.weixin.qq.com/s/Tok?scene=1&from=timeline#rd")
    assert isinstance(page, Article)
    assert page.url == "https://mp.weixin.qq.com/s/Tok"
    assert page.key == page.url


@pytest.mark.parametrize("name, reason", [
    ("deleted.html", "deleted"),
    ("deleted_en.html", "deleted"),
    ("violation.html", "violation"),
    ("unavailable.html", "unavailable"),
    ("expired.html", "expired"),
    ("bad_params.html", "bad_params"),
    ("verification.html", "verification"),
    ("too_frequent.html", "verification"),
])
def test_error_pages_are_recognised(name: str, reason: str) -> None:
    parsed = parse_page(page_text(name), FETCHED)
    assert isinstance(parsed, NotAnArticle)
    assert parsed.reason == reason


@pytest.mark.parametrize("message, reason", [
    ("此帐号已自主注销，内容无法查看。", "deleted"),
    ("原帐号迁移时未将文章素材同步至新帐号，该链接已不可访问", "deleted"),
    ("此帐号已被屏蔽, 内容无法查看", "violation"),
    ("此帐号被投诉且经审核涉嫌侵权。此帐号已注销，内容无法查看。", "violation"),
    ("此帐号处于帐号迁移流程中", "unavailable"),
    ("此内容已被发布者删除", "deleted"),
    ("该内容因违规无法查看", "violation"),
    ("此内容涉嫌侵权，无法查看", "violation"),
    ("此内容因投诉涉嫌侵权，无法查看", "violation"),
    ("此账号已自主注销，内容无法查看", "deleted"),
    ("此账号已被屏蔽, 内容无法查看", "violation"),
])
def test_each_wording_of_an_error_page_is_known(message: str, reason: str) -> None:
    """WeChat words its error pages with 该 or 此, 帐号 or 账号, as the tools that read them
    list, and answers each article of a closed, blocked or migrating account with its error
    page saying so: each wording is the page it words (the watch sees the originals gone,
    or not there for now)."""
    page = page_text("deleted.html").replace("该内容已被发布者删除", message)
    parsed = parse_page(page, FETCHED)
    assert isinstance(parsed, NotAnArticle)
    assert parsed.reason == reason


def test_an_error_page_is_known_by_the_words_it_shows_not_those_of_its_scripts() -> None:
    """Scripts are cut from the markup before it is parsed, but for one in capitals."""
    html = page_text("deleted.html").replace("</body>", '<SCRIPT>var tip = "环境异常";</SCRIPT></body>')
    parsed = parse_page(html, FETCHED)
    assert isinstance(parsed, NotAnArticle) and parsed.reason == "deleted"


def test_the_page_of_a_moved_account_names_where_the_article_is_now() -> None:
    """WeChat answers an article of an account moved to another (该公众号已迁移) with a page whose
    button leads to the article at the new account (``var transfer_target_link``, as the
    tools that read these pages take it): the line that says it was not archived says where
    it is, and so which account (``__biz``) to archive now."""
    parsed = parse_page(page_text("moved.html"), FETCHED)
    assert isinstance(parsed, NotAnArticle) and parsed.reason == "unknown"
    assert "https://mp.weixin.qq.com/s?__biz=MzNewAccount==&mid=2247480001&idx=1&sn=abcdef" \
        in parsed.message


@pytest.mark.parametrize("target, where", [
    ("var transferTargetLink = 'https://mp.weixin.qq.com/s?__biz=MzNewAccount==&amp;mid=1&amp;idx=1';",
     "its account moved: the article is now at 'https://mp.weixin.qq.com/s?__biz=MzNewAccount==&mid=1&idx=1'"),
    # a link that leads to no article: the page's words say what it is
    ("var transfer_target_link = 'https://mp.weixin.qq.com/mp/profile_ext?action=home';",
     "'帐号已迁移 该公众号已迁移 该公众号已迁移至新的帐号，原帐号已回收。若需访问原文章链接，请点击下方按钮。 访问文章'"),
])
def test_a_moved_accounts_page_names_an_article_only(target: str, where: str) -> None:
    html = re.sub(r"var transfer_target_link = [^\n]*", target, page_text("moved.html"))
    parsed = parse_page(html, FETCHED)
    assert isinstance(parsed, NotAnArticle) and parsed.message == f"not an article page ({where})"


@pytest.mark.parametrize("html", ["", "   ", "<html><body><p>hello</p></body></html>",
                                  "\x00\x01binary"])
def test_anything_else_is_not_an_article(html: str) -> None:
    parsed = parse_page(html, FETCHED)
    assert isinstance(parsed, NotAnArticle) and parsed.reason == "unknown"


def test_a_page_of_no_words_says_so_in_its_line() -> None:
    parsed = parse_page("<html><body><div></div></body></html>", FETCHED)
    assert isinstance(parsed, NotAnArticle) and parsed.message == "not an article page ('no visible text')"


def test_bytes_that_are_not_utf8_become_replacement_characters_not_an_error() -> None:
    page = page_text("legacy_shape.html").encode("utf-8")
    broken = page.replace("清远大姐".encode(), b"\xff\xfe")
    assert broken != page
    parsed = parse_page(broken, FETCHED)
    assert isinstance(parsed, Article)
    assert parsed.title == "网购物品丢失的退款，\ufffd\ufffd为什么不要？"


def test_as_utf8_keeps_utf8_bodies_and_re_encodes_others() -> None:
    body = "<title>反诈</title>".encode()
    assert as_utf8(body, "utf-8") is body
    assert as_utf8("<title>反诈</title>".encode("gb18030"), "gb18030") == body


def test_the_verification_page_is_recognised_from_its_bytes() -> None:
    assert is_verification_page(page_text("verification.html").encode("utf-8"))
    # "你的访问过于频繁，需要从微信打开验证身份", written by a script: a block as much
    assert is_verification_page(page_text("too_frequent.html").encode("utf-8"))
    assert not is_verification_page(page_text("deleted.html").encode("utf-8"))
    assert not is_verification_page(page_text("legacy_shape.html").encode("utf-8"))


def test_an_article_quoting_the_verification_pages_words_is_no_verification_page() -> None:
    """An anti-fraud article may show what a scam's page says ("环境异常，完成验证后即可继续
    访问"): taken for WeChat's block, it would be asked again and again, never archived."""
    quoted = "<p>骗子的页面写着：“环境异常，完成验证后即可继续访问”，这是假的。</p>"
    html = page_text("scriptless.html").replace("<ul>", quoted + "<ul>")
    assert not is_verification_page(html.encode("utf-8"))
    assert isinstance(parse_page(html, FETCHED), Article)


def test_albums_come_from_every_place_pages_name_them() -> None:
    page = article("albums_2025.html")
    assert page.albums == (Album("4000000000000000001", "反诈快报", 21),
                           Album("4000000000000000002", "案例", 5),
                           Album("4000000000000000003", "旧模板的合集", 9))


_TAG_LINK = ("tag_link: JsDecode('https://mp.weixin.qq.com/mp/appmsgalbum?__biz=MzA5OTk5OTk5OQ==\\x26amp;"
             "action=getalbum\\x26amp;album_id=4000000000000000002#wechat_redirect'),")
# A page naming an album by its link alone, each place a 2025 page gives a link beside an id
_BY_LINK = {"album_info_list": ("legacy_shape.html", "albumId: '1999000111222333444',", "albumId: '',",
                                ["1999000111222333444", "1999000111222333555"]),
            "public_tag_info": ("albums_2025.html", "album_id: JsDecode('4000000000000000002'),", _TAG_LINK,
                                ["4000000000000000001", "4000000000000000002", "4000000000000000003"])}


@pytest.mark.parametrize("where", list(_BY_LINK))
def test_an_album_named_by_its_link_alone_is_one_of_the_pages_albums(where: str) -> None:
    """``album_info_list`` and ``public_tag_info``'s tags give each album's link beside its id
    (``link``, ``tag_link``), and WeChat's own template reads the id from that link (its
    ``id:`` takes the link's ``/[0-9]{8,}/``, as in
    ``../shared/fixtures/wechat/article_normal_xuanyuan-code_2025.html``): an item whose id
    is empty or missing names its album by the link. It was no album of the page, and an
    album only that page leads to was never read; ``publicTagInfo``'s items were read so."""
    name, named, by_link, albums = _BY_LINK[where]
    html = page_text(name).replace(named, by_link, 1)
    assert by_link in html
    page = parse_page(html, FETCHED)
    assert isinstance(page, Article)
    assert [album.id for album in page.albums] == albums


def test_links_and_albums_whose_ampersands_a_page_escaped_again_are_read_as_escaped_once() -> None:
    """A page's JSON in its HTML escapes a link's ``&`` again and again (``&amp;amp;amp;``,
    ``\\x26amp;amp;amp;``): read with ``amp;mid=`` for its ``mid``, such a link named no
    article and no album, and what only it leads to was lost, silently."""
    name, named, by_link, _ = _BY_LINK["public_tag_info"]
    once = page_text(name).replace(named, by_link, 1)
    thrice = once.replace("&amp;", "&amp;amp;amp;").replace("\\x26amp;", "\\x26amp;amp;amp;")
    assert thrice.count("amp;amp;amp;") == once.count("amp;") > 10
    read, read_once = article_of(thrice), article_of(once)
    assert (read.links, read.albums, read.album_links) == (read_once.links, read_once.albums,
                                                           read_once.album_links)


_TAG_ID = "tag_content_num: '5' * 1,\n                        album_id: JsDecode('4000000000000000002'),"
# Where a page names an album by its id and count alone: (page, as our page has it, as quoted
# here, the album). Every capture quotes both (``'…'``, ``JsDecode('…')``, ``'7' * 1``).
_BY_ID = {
    "album_info_list": ("legacy_shape.html", "size: '61' * 1,\n            link: 'https://mp.weixin.qq.com/mp/"
                        "appmsgalbum?__biz=MzI0NzE2NjQ0Mg==&amp;action=getalbum&amp;album_id=1999000111222333444"
                        "#wechat_redirect',\n            albumId: '1999000111222333444',",
                        "size: '7' * 1,\n            albumId: '1999000111222333444',",
                        Album("1999000111222333444", "反诈快报", 7)),
    "appmsgalbuminfo": ("albums_2025.html", "album_id: JsDecode('4000000000000000001'),\n"
                        "                title: JsDecode('反诈快报'),\n                content_size: '21' * 1,",
                        "album_id: JsDecode('4000000000000000009'),\n"
                        "                title: JsDecode('新合集'),\n                content_size: '3' * 1,",
                        Album("4000000000000000009", "新合集", 3)),
    "public_tag_info": ("albums_2025.html", _TAG_ID, _TAG_ID, Album("4000000000000000002", "案例", 5)),
    "publicTagInfo": ("leads_2023.html", "    size: '12' * 1,\n    link: 'https://mp.weixin.qq.com/mp/appmsgalbum?"
                      "__biz=MzA5OTk5OTk5OQ==&amp;action=getalbum&amp;album_id=2698309978880770050"
                      "#wechat_redirect',\n    albumId: '2698309978880770050'",
                      "    size: '12' * 1,\n    albumId: '2698309978880770050'", Album("2698309978880770050", "反诈快报", 12)),
}


@pytest.mark.parametrize("written", ["quoted", "bare"])
@pytest.mark.parametrize("where", list(_BY_ID))
def test_an_album_id_and_count_written_as_bare_numbers_name_the_album(where: str, written: str) -> None:
    """No capture shows an album's id or count unquoted in a page's script
    (``albumId: 4180740440766726147``, beyond JavaScript's exact integers, so WeChat's own
    script would misread it: likely never written so), yet nobody knows it is not: written
    either way, with no link beside it, the page names the album, with its count. A bare id
    was no album of the page: an album only that page leads to was never read."""
    name, ours, quoted, album = _BY_ID[where]
    if written == "bare":
        quoted = re.sub(r"JsDecode\('(\d+)'\)|'(\d+)'(?: \* 1)?",
                        lambda number: number.group(1) or number.group(2), quoted)
        assert album.id in quoted and f"'{album.id}'" not in quoted and f"'{album.count}'" not in quoted
    html = page_text(name)
    assert ours in html
    assert album in article_of(html.replace(ours, quoted, 1)).albums


def test_an_album_named_twice_keeps_what_was_named_first_and_an_id_is_ascii_digits() -> None:
    """2025 pages name an album in ``appmsgalbuminfo`` and again in ``public_tag_info``; a tag
    whose id is no number of ASCII digits (``４０``: ``str.isdigit`` takes it) is no album."""
    html = page_text("albums_2025.html").replace(
        "tag_name: JsDecode('反诈快报'),\n                        tag_content_num: '21' * 1,",
        "tag_name: JsDecode('反诈快报（旧名）'),\n                        tag_content_num: '20' * 1,"
    ).replace("album_id: JsDecode('4000000000000000002'),", "album_id: JsDecode('４０００'),")
    assert "反诈快报（旧名）" in html and "４０００" in html
    assert article_of(html).albums == (Album("4000000000000000001", "反诈快报", 21),
                                       Album("4000000000000000003", "旧模板的合集", 9))


def test_links_to_articles_are_kept_as_given_body_first_then_the_albums_neighbour() -> None:
    assert article("albums_2025.html").links == (
        "https://mp.weixin.qq.com/s?__biz=MzA5OTk5OTk5OQ==&mid=2247470001&idx=1&sn=aa&chksm=c1&scene=21",
        "https://mp.weixin.qq.com/s/ShortToken01",
        "https://mp.weixin.qq.com/s?__biz=MzkxMTExMTExMQ==&mid=7&idx=2&sn=bb&chksm=c2",
        "https://example.com/s?__biz=x&mid=1&idx=1",
        "http://mp.weixin.qq.com/s?__biz=MzA5OTk5OTk5OQ==&mid=2247470008&idx=1&sn=dd&chksm=c3",
    )


def test_an_article_the_body_quotes_is_a_link_to_it() -> None:
    """A quote of another article (WeChat's 引用: ``<blockquote class="js_blockquote_wrap"
    data-url="…">``, as a real 2019 page holds one) links the article it quotes, as an ``<a>``
    does: an older article of the account, found from it as from 往期推荐."""
    quote = ('<blockquote class="js_blockquote_wrap" data-type="1" data-url="http://mp.weixin.'
             'qq.com/s?__biz=MzA5OTk5OTk5OQ==&amp;mid=2247460001&amp;idx=1&amp;sn=ee&amp;'
             'chksm=c9#rd" data-author-name="某反诈中心" data-source-title="旧文">'
             '<section class="js_blockquote_digest"><p>引用的话。</p></section></blockquote>')
    html = page_text("albums_2025.html").replace("<p>正文。</p>", "<p>正文。</p>" + quote, 1)
    parsed = parse_page(html, FETCHED)
    assert isinstance(parsed, Article)
    assert parsed.links[0] == ("http://mp.weixin.qq.com/s?__biz=MzA5OTk5OTk5OQ==&mid=2247460001"
                               "&idx=1&sn=ee&chksm=c9")
    assert parsed.links[1:] == article("albums_2025.html").links


# An article card, as WeChat's reading page (2025) defines <mp-common-article>: its data-article-data
# is JSON (title, content_url with its "&" as "&amp;", cover_url, nickname), the card drawn from it.
CARD = ('<mp-common-article class="js_uneditable custom_select_card" data-article-data="{&quot;title'
        '&quot;:&quot;警惕刷单返利&quot;,&quot;content_url&quot;:&quot;http://mp.weixin.qq.com/s?'
        '__biz=MzA5OTk5OTk5OQ==&amp;amp;mid=2247460002&amp;amp;idx=1&amp;amp;sn=ff#rd&quot;,'
        '&quot;nickname&quot;:&quot;某反诈中心&quot;,&quot;item_show_type&quot;:0}"></mp-common-article>')


def test_an_article_card_is_a_link_to_its_article() -> None:
    html = page_text("albums_2025.html").replace("<p>正文。</p>", "<p>正文。</p>" + CARD, 1)
    parsed = parse_page(html, FETCHED)
    assert isinstance(parsed, Article)
    assert parsed.links[0] == "http://mp.weixin.qq.com/s?__biz=MzA5OTk5OTk5OQ==&mid=2247460002&idx=1&sn=ff"
    assert parsed.links[1:] == article("albums_2025.html").links


@pytest.mark.parametrize("shown, published", [
    ("2025年11月05日 18:01", datetime(2025, 11, 5, 18, 1, tzinfo=CHINA_TIME)),
    ("2018-03-20", datetime(2018, 3, 20, tzinfo=CHINA_TIME)),
    ("2025年13月05日", None), ("昨天", None),
])
def test_a_page_saved_without_its_scripts_is_dated_by_the_time_it_shows(
        shown: str, published: datetime | None) -> None:
    """Chrome's "Save as… single file" keeps the rendered date, not the inline scripts."""
    html = page_text("scriptless.html").replace(
        '<em id="publish_time" class="rich_media_meta rich_media_meta_text"></em>',
        f'<em id="publish_time" class="rich_media_meta rich_media_meta_text">{shown}</em>')
    assert shown in html
    assert article_of(html).published == published


@pytest.mark.parametrize("shown, script", [("2025年11月05日 18:01", ""),
                                           ("4天前", '<script>\n  var ct = "1762336860";\n</script>')])
def test_a_page_dated_to_the_minute_says_no_shown_time_to_be_dated_by(shown: str, script: str) -> None:
    """``published_shown`` is for a page dated only to the day from a relative time it showed
    (the import says so in a line); a page dated by its scripts or by the date it shows is not."""
    html = page_text("scriptless.html").replace(
        '<em id="publish_time" class="rich_media_meta rich_media_meta_text"></em>',
        f'<em id="publish_time" class="rich_media_meta rich_media_meta_text">{shown}</em>'
    ).replace("</body>", script + "</body>")
    page = parse_page(html, FETCHED, datetime(2025, 11, 8, 12, 0, tzinfo=CHINA_TIME))
    assert isinstance(page, Article)
    assert page.published == datetime(2025, 11, 5, 18, 1, tzinfo=CHINA_TIME)
    assert page.published_shown == ""


def test_a_republished_post_is_dated_when_first_published_and_an_old_page_by_its_create_time() -> None:
    """``ori_create_time`` is when the article was first published, ``create_time`` when
    this copy of it was; a page that states neither nor ``var ct`` is dated by ``var create_time``."""
    html = page_text("albums_2025.html").replace(
        "ori_create_time: '1762338600' * 1,", "create_time: '1762939800' * 1, ori_create_time: '1762338600' * 1,")
    assert article_of(html).published == datetime(2025, 11, 5, 18, 30, tzinfo=CHINA_TIME)
    html = page_text("scriptless.html").replace("</body>", '<script>\n  var create_time = "1762338600" * 1;\n</script></body>')
    assert article_of(html).published == datetime(2025, 11, 5, 18, 30, tzinfo=CHINA_TIME)


def article_of(html: str, url: str = FETCHED) -> Article:
    parsed = parse_page(html, url)
    assert isinstance(parsed, Article), parsed
    return parsed


def with_body(body: str, url: str) -> Article:
    """``albums_2025.html`` with ``body`` after its first paragraph, fetched from ``url``."""
    return article_of(page_text("albums_2025.html").replace("<p>正文。</p>", "<p>正文。</p>" + body, 1), url)


def test_an_id_is_the_first_element_that_carries_it_whatever_libxml2_indexed() -> None:
    """Ids are looked up in libxml2's index, which holds an ``<a name>`` of the same name
    too, and only the first element of an id: the page is walked when that is not the
    element asked for (here an anchor named ``js_content``, a share-source id without its
    ``data-url`` before the one with it)."""
    decoys = ('<a name="js_content">目录</a><span id="js_share_source">?</span>'
              '<a name="activity-name"></a>')
    page = page_text("shared_post.html").replace("<body>", "<body>" + decoys, 1)
    assert "<body>" + decoys in page
    shared = parse_page(page, FETCHED)
    assert isinstance(shared, Article)
    assert shared.body_html.startswith('<div class="original_panel_content')
    assert shared.share_source_url.startswith("https://mp.weixin.qq.com/s?__biz=MzIxNzE3MjEwNg")
    assert shared.share_source_title == "冒充公检法诈骗案例"


def test_values_in_wechats_own_inlined_modules_are_not_the_pages() -> None:
    """WeChat inlines its code as ``var __INLINE_SCRIPT__ = (function …`` modules (11-17 in
    each 2024-2026 page of ../shared/fixtures/wechat/); values are looked for outside them."""
    module = ('<script type="text/javascript" nonce="7" reportloaderror>\n'
              '    var __INLINE_SCRIPT__ = (function () { var _copyright_stat = "2"; '
              "window.short_link = 'https://mp.weixin.qq.com/s/NotThisPage'; var ct = \"86400\"; "
              "window.album_info_list = [{ albumId: '1999000111222333999', title: 'code', "
              "size: '1' * 1 }]; })();\n</script>")
    plain = page_text("legacy_shape.html", "https://mmbiz.qpic.cn")
    with_module = parse_page(plain.replace("<head>", "<head>" + module, 1), FETCHED)
    without = parse_page(plain, FETCHED)
    assert isinstance(with_module, Article) and isinstance(without, Article)
    read = ("copyright_stat", "short_link", "published", "albums", "title", "key", "body_html")
    assert [getattr(with_module, name) for name in read] == [getattr(without, name) for name in read]
    assert with_module.copyright_stat == 1


@pytest.mark.parametrize("between", [" if (a < b) {} ", "a<b;" * 2000])
def test_a_module_ends_at_its_own_script_end_however_many_less_than_signs_it_holds(between: str) -> None:
    """A script's end is found by its ``<`` while they are sparse, by ``</script>`` where
    they are dense: both end a module where it ends, not at what only starts like it."""
    module = ('<script type="text/javascript">var __INLINE_SCRIPT__ = (function () {'
              f'{between}var s = "</scripts <\\/script> </script"; {between}'
              "window.short_link = 'https://mp.weixin.qq.com/s/NotThisPage'; "
              f"{between}}})();</script>")
    plain = page_text("legacy_shape.html", "https://mmbiz.qpic.cn")
    with_module = parse_page(plain.replace("<head>", "<head>" + module, 1), FETCHED)
    without = parse_page(plain, FETCHED)
    assert isinstance(with_module, Article) and isinstance(without, Article)
    assert (with_module.short_link, with_module.body_html) == (without.short_link, without.body_html)
    assert with_module.short_link != "https://mp.weixin.qq.com/s/NotThisPage"


# WeChat's script (2024-) moves the picture of each element with a CSS background to
# data-lazy-bgimg, a blank GIF in its place, until it is scrolled to: a page saved before then
# (as ../shared/fixtures/wechat/article_rendered-dom_csdn_2024.html's script does it).
BLANK = "data:image/gif;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVQImWNgYGBgAAAABQABh6FO1AAAAABJRU5ErkJggg=="
POSTER = "https://mmbiz.qpic.cn/mmbiz_png/LazyPoster01/640?wx_fmt=png"


def test_a_saved_pages_backgrounds_not_yet_scrolled_to_are_their_pictures() -> None:
    saved = (f'<section class="wx_imgbc_placeholder" data-lazy-bgimg="{POSTER}" style="width: 100%;'
             f' height: 300px; background-image: url(&quot;{BLANK}&quot;); background-size: cover;">'
             '</section>')
    html = page_text("scriptless.html").replace("<ul>", saved + "<ul>")
    page = parse_page(html, FETCHED)
    assert isinstance(page, Article)
    assert POSTER in page.image_urls
    assert f"![]({POSTER})" in to_markdown(page, {})


def test_the_pictures_and_links_of_a_body_are_those_a_reader_sees_and_follows() -> None:
    """A picture's URL is its data-src (its src a placeholder, or a saved page's file); a
    background is a picture where it is all an element shows, not behind a picture or text;
    what CSS hides shows none; a lazy background's URL that is no URL alone is not written
    into the style; a short link is its token alone; an album link names its album."""
    body = (
        f'<p><img src="{BLANK}" data-src="https://mmbiz.qpic.cn/mmbiz_png/Lazy01/640"></p>'
        '<p><img src="a_files/local.png"></p>'
        '<section style="display: none"><svg style="background-image: url('
        'https://mmbiz.qpic.cn/mmbiz_png/HiddenSvg/640)"></svg></section>'
        '<section style="background-image: url(https://mmbiz.qpic.cn/mmbiz_png/Frame/640)">'
        '<img data-src="https://mmbiz.qpic.cn/mmbiz_png/Inner/640"></section>'
        '<section style="background-image: url(https://mmbiz.qpic.cn/mmbiz_png/Paper/640)"><p>有字</p></section>'
        '<section style="display: none"><img data-src="https://mmbiz.qpic.cn/mmbiz_png/HiddenImg/640"></section>'
        '<section data-lazy-bgimg="https://mmbiz.qpic.cn/mmbiz_png/NoBg/640" style="display: none">藏起来的字</section>'
        '<section data-lazy-bgimg="https://mmbiz.qpic.cn/mmbiz_png/Q/640&quot;);display:none;x:url(&quot;" '
        f'style="background-image: url(&quot;{BLANK}&quot;)">露出的字</section>'
        '<p><a href="https://mp.weixin.qq.com/s/BodyToken?scene=1#rd">短链接</a>'
        '<a href="https://mp.weixin.qq.com/mp/appmsgalbum?__biz=MzA3ODc4NTMyNw==&amp;action=getalbum">无合集</a></p>')
    page = article_of(page_text("scriptless.html").replace("<ul>", body + "<ul>"))
    assert page.image_urls == ("https://mmbiz.qpic.cn/mmbiz_jpg/ScriptlessMedia01/640?wx_fmt=jpeg",
                               "https://mmbiz.qpic.cn/mmbiz_png/Lazy01/640",
                               "https://mmbiz.qpic.cn/mmbiz_png/Inner/640")
    markdown = to_markdown(page, {})
    assert "藏起来的字" not in markdown and "露出的字" in markdown
    assert page.links == ("https://mp.weixin.qq.com/s/BodyToken",)
    assert page.album_links == ()


def with_svg(svg: str) -> Article:
    """The scriptless page, with ``svg`` in its body before its list."""
    page = parse_page(page_text("scriptless.html").replace("<ul>", svg + "<ul>"), FETCHED)
    assert isinstance(page, Article)
    return page


def test_pictures_an_svg_shows_as_backgrounds_are_the_pages_pictures() -> None:
    """WeChat's layouts (cards, posters, what a tap reveals) set pictures as the CSS backgrounds
    of <svg>s, in <foreignObject>s (as a real 2023 page does); what CSS hides is not shown."""
    svg = ('<svg viewBox="0 0 800 354"><foreignObject><svg style="background-image: url(&quot;'
           'https://mmbiz.qpic.cn/sz_mmbiz_jpg/SvgCard01/640?wx_fmt=jpeg&quot;)"></svg></foreignObject>'
           '<foreignObject><section style="opacity: 0"><section style="background-image: url('
           'https://mmbiz.qpic.cn/mmbiz_png/TapLayer02/640)"></section></section></foreignObject></svg>')
    page = with_svg(svg)
    assert page.image_urls == ("https://mmbiz.qpic.cn/mmbiz_jpg/ScriptlessMedia01/640?wx_fmt=jpeg",
                               "https://mmbiz.qpic.cn/sz_mmbiz_jpg/SvgCard01/640?wx_fmt=jpeg")


def test_pictures_an_svg_draws_as_images_are_the_pages_pictures() -> None:
    """An <img> in an SVG's <foreignObject> and an SVG <image>, which a browser draws, were
    neither stored nor shown: the SVG was no content but for its CSS backgrounds."""
    svg = ('<svg viewBox="0 0 800 354"><image href="https://mmbiz.qpic.cn/mmbiz_png/SvgImage01/640"'
           ' width="800" height="200"/><foreignObject width="800" height="154"><p>卡片'
           '<img data-src="https://mmbiz.qpic.cn/mmbiz_jpg/SvgImg02/640?wx_fmt=jpeg"></p>'
           '<img style="display: none" src="https://mmbiz.qpic.cn/mmbiz_png/Hidden03/640">'
           '</foreignObject></svg>')
    page = with_svg(svg)
    assert page.image_urls[1:] == ("https://mmbiz.qpic.cn/mmbiz_png/SvgImage01/640",
                                   "https://mmbiz.qpic.cn/mmbiz_jpg/SvgImg02/640?wx_fmt=jpeg")
    markdown = to_markdown(page, {})
    assert markdown.index("SvgImage01") < markdown.index("SvgImg02") < markdown.index("卡片")
    assert "Hidden03" not in markdown


def test_each_svg_is_drawn_once_for_the_parsed_tree_and_the_posts_copy(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """What an SVG draws was worked out four times an article (the page's pictures, the post's
    pictures, then its text, the tagger's text), each a walk of the layout's parts anew, then
    twice (the converter's copy of the tree drawn anew): now once, for the tree the parser
    made, which the tagger and the converter's copy read. Each SVG is drawn as itself: a tap
    shows the first one's hidden part, the second one's stays hidden, a nested SVG has a
    drawing of its own."""
    made: list[str | None] = []
    make = SvgDrawing.__init__

    def counted(drawing: SvgDrawing, svg: etree._Element) -> None:
        made.append(svg.get("id"))
        make(drawing, svg)

    monkeypatch.setattr(SvgDrawing, "__init__", counted)

    def layout(name: str, tap: str) -> str:
        return (f'<svg id="{name}" viewBox="0 0 200 100"><clipPath id="upper"><rect width="200" '
                f'height="50"/></clipPath><g opacity="0">{tap}<image href="https://mmbiz.qpic.cn/'
                f'mmbiz_png/{name}Tapped/640" width="100" height="50"/><text x="10" y="30">{name}点开'
                f'</text></g><text x="10" y="40" clip-path="url(#upper)">{name}上半</text><text x="10"'
                f' y="90" clip-path="url(#upper)">{name}剪掉</text><text id="{name}late" x="10" '
                f'y="20" opacity="0">{name}后显</text></svg>')

    tap = '<set attributeName="opacity" to="1" begin="click"/>'
    later = '<set href="#Alate" attributeName="opacity" to="1" begin="click"/>'
    nested = ('<svg id="Inner" viewBox="0 0 100 50"><foreignObject width="200" height="100"><svg '
              'id="Nested" viewBox="0 0 50 50"><text x="5" y="20">内嵌</text></svg></foreignObject></svg>')
    page = parse_page(page_text("scriptless.html").replace(
        "<ul>", layout("A", tap).replace("</svg>", later + "</svg>") + layout("B", "") + nested + "<ul>"),
        FETCHED)
    assert isinstance(page, Article)
    assert page.image_urls[1:] == ("https://mmbiz.qpic.cn/mmbiz_png/ATapped/640",)
    markdown, text = to_markdown(page, {}), article_text(page)
    for shown in (markdown, text):
        assert re.findall("([AB](?:点开|上半|剪掉|后显)|内嵌)", shown) == ["A点开", "A上半", "A后显", "B上半", "内嵌"]
    assert "BTapped" not in markdown
    assert sorted(made, key=str) == ["A", "B", "Inner", "Nested"]


@pytest.mark.parametrize("size", ['width="0" height="0"', 'style="width: 0; height: 0"',
                                  'width="0" height="40"', 'width="300" height="-0"'])
def test_an_svg_of_no_width_or_height_draws_nothing_and_its_page_is_an_article(size: str) -> None:
    """An SVG sized to nothing with a viewBox (WeChat's layouts set spacers so, an empty one
    ``width: 0``) made the page one the parser fails on: its viewBox was scaled by 0 and
    divided by it (ZeroDivisionError). Its page is an article, and the SVG draws nothing, as
    in Chromium."""
    svg = (f'<section><svg viewBox="0 0 100 100" {size}><image href="https://mmbiz.qpic.cn/'
           'mmbiz_png/NoRoom01/640" width="100" height="100"/><text x="10" y="50">无处可画</text>'
           '</svg></section>')
    page = parse_page(page_text("scriptless.html").replace("<ul>", svg + "<ul>"), FETCHED)
    assert isinstance(page, Article), page
    assert not any("NoRoom01" in url for url in page.image_urls)
    markdown = to_markdown(page, {})
    assert "NoRoom01" not in markdown and "无处可画" not in markdown
    assert "无处可画" not in article_text(page)


def test_an_svg_drawn_0_wide_keeps_its_pictures_not_its_text() -> None:
    """An SVG sized by its viewBox alone in an inline block that holds nothing else is drawn
    0 wide (test_browser: DRAWN): its text is not seen, but its pictures stay in the post,
    as what the layout of the page decides is not sure (a foreignObject's without a size)."""
    svg = ('<section style="display: inline-block"><svg viewBox="0 0 800 354"><image href="https:'
           '//mmbiz.qpic.cn/mmbiz_png/ZeroWide01/640" width="800" height="200"/><text y="20">藏</text>'
           '<foreignObject><img data-src="https://mmbiz.qpic.cn/mmbiz_png/Sizeless02/640"><p>藏</p>'
           '</foreignObject></svg></section>')
    page, pictures = with_svg(svg), ("ZeroWide01", "Sizeless02")
    assert page.image_urls[1:] == tuple(f"https://mmbiz.qpic.cn/mmbiz_png/{name}/640" for name in pictures)
    assert all(name in to_markdown(page, {}) for name in pictures) and "藏" not in to_markdown(page, {})


def test_a_link_written_out_in_a_posts_text_is_a_link_to_its_article() -> None:
    """A text post's text is shown as written, a link in it as text, no ``<a>`` (WeChat's
    2021 text post ``article_textpost_ruanyifeng_2021.html`` ends in a written-out link):
    an account's text post or body pointing to its own earlier article so (详情见 …, 原文：…)
    led nowhere, the article found by no other way lost. The marks a sentence puts after a
    link are not its own."""
    page = text_post("反诈提醒，详情见往期：https://mp.weixin.qq.com/s/Written01_-x。另见"
                     "https://mp.weixin.qq.com/s?__biz=MzA5OTk5OTk5OQ==\\x26amp;mid=2247460003"
                     "\\x26amp;idx=1\\x26amp;sn=gg#wechat_redirect，以及 https://example.com/a.")
    assert page.links == ("https://mp.weixin.qq.com/s/Written01_-x",
                          "https://mp.weixin.qq.com/s?__biz=MzA5OTk5OTk5OQ==&mid=2247460003&idx=1&sn=gg")
    html = page_text("albums_2025.html").replace(
        "<p>正文。</p>", "<p>正文。</p><p>原文：http://mp.weixin.qq.com/s/Written02.</p>", 1)
    links = article_of(html).links  # a short link is asked on https (``short_link_alone``)
    assert sorted(links) == sorted(("https://mp.weixin.qq.com/s/Written02", *article("albums_2025.html").links))


def test_an_album_or_homepage_an_image_posts_text_links_is_a_lead() -> None:
    """An image post's text is markup, its links ``<a href>`` (the real 2025 image post
    ``article_imagepost_qushidongwu_2025.html`` links three of its account's articles so):
    its links to articles were leads, its links to an album or to the account's homepage
    were not, an album named nowhere else never read."""
    album = "https://mp.weixin.qq.com/mp/appmsgalbum?__biz=MzI2NDk5NzA0Mw==\\x26amp;action=getalbum" \
        "\\x26amp;album_id=4000000000000000009#wechat_redirect"
    home = "https://mp.weixin.qq.com/mp/homepage?__biz=MzI2NDk5NzA0Mw==\\x26amp;hid=2\\x26amp;sn=hh"
    html = page_text("image_post.html").replace(
        "第一段：刷单就是诈骗。", f"第一段：刷单就是诈骗。\\x3ca href=\\x22{album}\\x22\\x3e合集\\x3c/a\\x3e"
        f"\\x3ca href=\\x22{home}\\x22\\x3e主页\\x3c/a\\x3e")
    page = article_of(html)
    assert page.item_show_type == PostType.IMAGES
    assert page.album_links == ("https://mp.weixin.qq.com/mp/appmsgalbum?__biz=MzI2NDk5NzA0Mw=="
                                "&action=getalbum&album_id=4000000000000000009",)
    assert page.homepage_links == ("https://mp.weixin.qq.com/mp/homepage?__biz=MzI2NDk5NzA0Mw==&hid=2&sn=hh",)


def test_an_album_or_homepage_written_out_in_a_posts_text_is_a_lead() -> None:
    """A link written out in the text is shown as text, no ``<a>``: an article's so written
    was a lead, an album's or the account's homepage's so written was not (合集：https://…),
    an album named nowhere else never read. Each is now, by the same walk; written links of
    another WeChat page (a profile) are not."""
    page = text_post("往期合集：https://mp.weixin.qq.com/mp/appmsgalbum?__biz=MzA5OTk5OTk5OQ==\\x26amp;"
                     "action=getalbum\\x26amp;album_id=4000000000000000011#wechat_redirect。主页："
                     "https://mp.weixin.qq.com/mp/homepage?__biz=MzA5OTk5OTk5OQ==\\x26amp;hid=3\\x26amp;"
                     "sn=hh，资料 https://mp.weixin.qq.com/mp/profile_ext?action=home\\x26amp;__biz=MzA5")
    assert page.album_links == ("https://mp.weixin.qq.com/mp/appmsgalbum?__biz=MzA5OTk5OTk5OQ=="
                                "&action=getalbum&album_id=4000000000000000011",)
    assert page.homepage_links == ("https://mp.weixin.qq.com/mp/homepage?__biz=MzA5OTk5OTk5OQ==&hid=3&sn=hh",)
    assert page.links == ()


@pytest.mark.parametrize("fetched, scheme", [(FETCHED, "https"), (FETCHED.replace("https:", "http:"), "http")])
def test_links_written_without_a_scheme_are_on_the_page_s(fetched: str, scheme: str) -> None:
    """``//mp.weixin.qq.com/…`` (no captured WeChat body links so; its pages load their own
    scripts so): a browser follows it on the page's scheme. It led nowhere, and the post
    showed its text alone: another account's article, an album, a homepage, a quote."""
    other = "//mp.weixin.qq.com/s?__biz=MzkxMTExMTExMQ==&amp;mid=2247000001&amp;idx=1&amp;sn=aa"
    body = (f'<p><a href="{other}">别家的文章</a>'
            '<a href=" //mp.weixin.qq.com/mp/appmsgalbum?__biz=MzA5OTk5OTk5OQ==&amp;action=getalbum&amp;'
            'album_id=3311#wechat_redirect">合集</a>'
            '<a href="//mp.weixin.qq.com/mp/homepage?__biz=MzA5OTk5OTk5OQ==&amp;hid=2">主页</a></p>'
            '<blockquote class="js_blockquote_wrap" data-url="//mp.weixin.qq.com/s/QuotedNoScheme">'
            '<p>引用的话。</p></blockquote>')
    parsed = with_body(body, fetched)
    assert parsed.links[:2] == (f"{scheme}:{other.replace('&amp;', '&')}",
                                "https://mp.weixin.qq.com/s/QuotedNoScheme")  # a short link: on https
    assert parsed.album_links[0] == (f"{scheme}://mp.weixin.qq.com/mp/appmsgalbum?__biz=MzA5OTk5OTk5OQ=="
                                     "&action=getalbum&album_id=3311")
    # a homepage, as a short link, is one page on WeChat's host whichever scheme leads to it: on https
    assert parsed.homepage_links == ("https://mp.weixin.qq.com/mp/homepage?__biz=MzA5OTk5OTk5OQ==&hid=2",)
    assert f"[别家的文章]({scheme}:{other.replace('&amp;', '&')})" in to_markdown(parsed, {})


@pytest.mark.parametrize("fetched", [FETCHED, "http://mp.weixin.qq.com/s?__biz=MzA5OTk5OTk5OQ==&mid=1&idx=1&sn=x",
                                     "/home/someone/saved/page.html"], ids=["short", "long-http", "saved"])
def test_links_written_as_paths_are_on_the_page_s_host(fetched: str) -> None:
    """``/s?__biz=…``, ``/s/<token>``, ``./s?…``, ``s?__biz=…`` (no captured WeChat page
    writes its links so, nor other projects' captures; only their made-up tests and a 2017
    history page's list, ``/s?timestamp=…``, do): a browser reads them on the page's host,
    as the article's long link, ``/s``, places them. They led nowhere and the post showed their
    text alone. A fragment, ``javascript:``, a site written without its scheme are no
    WeChat page: as they were (their text alone)."""
    scheme = "http" if fetched.startswith("http:") else "https"
    body = ('<p><a href="/s?__biz=MzkxMTExMTExMQ==&amp;mid=2247000001&amp;idx=1&amp;sn=aa">别家的文章</a>'
            '<a href="/s/PathToken">短链</a><a href="./s?__biz=MzA5OTk5OTk5OQ==&amp;mid=2247000002&amp;idx=1">点</a>'
            '<a href="s?__biz=MzA5OTk5OTk5OQ==&amp;mid=2247000003&amp;idx=1">无斜杠</a>'
            '<a href="/mp/appmsgalbum?__biz=MzA5OTk5OTk5OQ==&amp;action=getalbum&amp;album_id=3312">合集</a>'
            '<a href="#top">回到顶部</a><a href="www.example.cn/page">网站</a></p>'
            '<blockquote class="js_blockquote_wrap" data-url="/s/QuotedPath"><p>引用的话。</p></blockquote>')
    parsed = with_body(body, fetched)
    host = f"{scheme}://mp.weixin.qq.com"
    short = "https://mp.weixin.qq.com/s"  # a short link is asked on https (``short_link_alone``)
    assert parsed.links[:5] == (f"{host}/s?__biz=MzkxMTExMTExMQ==&mid=2247000001&idx=1&sn=aa",
                                f"{short}/PathToken", f"{host}/s?__biz=MzA5OTk5OTk5OQ==&mid=2247000002&idx=1",
                                f"{host}/s?__biz=MzA5OTk5OTk5OQ==&mid=2247000003&idx=1", f"{short}/QuotedPath")
    assert parsed.album_links[0] == f"{host}/mp/appmsgalbum?__biz=MzA5OTk5OTk5OQ==&action=getalbum&album_id=3312"
    post = to_markdown(parsed, {})
    assert f"[别家的文章]({host}/s?__biz=MzkxMTExMTExMQ==&mid=2247000001&idx=1&sn=aa)" in post
    assert f"[无斜杠]({host}/s?__biz=MzA5OTk5OTk5OQ==&mid=2247000003&idx=1)" in post
    assert "回到顶部" in post and "[回到顶部]" not in post and "[网站]" not in post, post


def test_the_album_s_neighbour_named_by_the_script_as_a_path_is_on_the_page_s_host() -> None:
    """``pre_article_link`` of ``appmsgalbuminfo`` written as a path (no capture shows one):
    the album's previous article, led to as when whole."""
    html = page_text("albums_2025.html").replace(
        "pre_article_link: JsDecode('http://mp.weixin.qq.com/s?", "pre_article_link: JsDecode('/s?")
    assert "JsDecode('/s?__biz" in html
    assert article_of(html).links[-1] == \
        "https://mp.weixin.qq.com/s?__biz=MzA5OTk5OTk5OQ==&mid=2247470008&idx=1&sn=dd&chksm=c3"


def test_a_shared_article_given_by_a_short_link_without_a_scheme_is_on_the_page_s() -> None:
    """A share page's ``js_share_source`` whose ``data-url`` is ``//mp.weixin.qq.com/s/<token>``
    (no capture shows one): the post's card of the original linked nothing."""
    original = 'data-url="http://mp.weixin.qq.com/s?__biz=MzIxNzE3MjEwNg%3D%3D&amp;mid=2247483687'
    page = page_text("shared_post.html")
    start = page.index(original)
    page = page[:start] + 'data-url="//mp.weixin.qq.com/s/SharedNoScheme' + page[page.index('"', start + 10):]
    shared = parse_page(page, FETCHED)
    assert isinstance(shared, Article)
    assert shared.share_source_url == "https://mp.weixin.qq.com/s/SharedNoScheme"
    assert "https://mp.weixin.qq.com/s/SharedNoScheme" in shared.links
    assert "(https://mp.weixin.qq.com/s/SharedNoScheme)" in to_markdown(shared, {})


@pytest.mark.parametrize("href", ["//mp.weixin.qq.com/s/TextNoScheme", "/s/TextNoScheme", "s/TextNoScheme"])
def test_a_text_post_s_link_without_a_scheme_is_a_link_in_its_post(href: str) -> None:
    """A text post's text is markup its post is written from: ``<a href="//mp.weixin.qq.com/…">``
    (no capture shows one) led to its article (76745f3) while its post showed the text alone;
    so did one written as a path (``/s/…``) once it led (ac32244): the post, written from the
    text, not from the page, knew no host to put it on. It is WeChat's."""
    article = text_post(f'往期：<a href="{href}">识破刷单</a>')
    assert article.links == ("https://mp.weixin.qq.com/s/TextNoScheme",)
    assert "[识破刷单](https://mp.weixin.qq.com/s/TextNoScheme)" in to_markdown(article, {})

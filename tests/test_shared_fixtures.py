"""Every real WeChat page in ``../shared/fixtures/wechat`` parses, or is recognised for what it is.

The pages are third-party and stay outside the project; each test skips, saying why, when
the folder is absent.
"""

from __future__ import annotations

import html
import re
from dataclasses import replace
from datetime import datetime

import lxml.html
import pytest

from crawler.convert.markdown import to_markdown
from crawler.tagging.tags import article_text
from crawler.wechat.article import Article, NotAnArticle, PostType
from crawler.wechat.errorpage import is_verification_page
from crawler.wechat.page import parse_page
from crawler.wechat.urls import album_id, article_key
from tests.conftest import shared_fixture

ARTICLES = {
    # file: (account, publish date in China time, post type)
    "article_audio_mpvoice_jinbang_2025.html": ("金榜时代官微", "2025-12-04", PostType.ARTICLE),
    "article_imagepost_36kr_2025.html": ("36氪", "2025-11-05", PostType.IMAGES),
    "article_imagepost_qushidongwu_2025.html": ("趋势动物小程序说明书", "2025-12-18", PostType.IMAGES),
    "article_normal_boyuanba-short_2025.html": ("波元霸", "2025-11-04", PostType.ARTICLE),
    "article_normal_ruanyifeng-weekly372_2025.html": ("阮一峰的网络日志", "2025-11-07", PostType.ARTICLE),
    "article_normal_xiaoshuoshiyi-longtext_2026.html": ("小说拾遗", "2026-04-01", PostType.ARTICLE),
    "article_normal_xuanyuan-code_2025.html": ("轩辕的编程宇宙", "2025-11-10", PostType.ARTICLE),
    "article_normal_yinjizhongwen_2025.html": ("印记中文", "2025-11-11", PostType.ARTICLE),
    "article_normal_zuoan-author_2026.html": ("左岸读书", "2026-01-02", PostType.ARTICLE),
    "article_rendered-dom_csdn_2024.html": ("CSDN", "2024-12-18", PostType.ARTICLE),
    "article_reprint_36kr_2025.html": ("36氪", "2025-11-11", PostType.ARTICLE),
    "article_reprint_qianduanouyang-code_2024.html": ("前端欧阳", "2024-10-28", PostType.ARTICLE),
    "article_reprint_share-source_ruanyifeng_2019.html": ("阮一峰的网络日志", "2019-11-25", PostType.ARTICLE),
    "article_textpost_ruanyifeng_2021.html": ("阮一峰的网络日志", "2021-09-30", PostType.TEXT),
    "article_textpost_xuanyuan_2025.html": ("轩辕的编程宇宙", "2025-10-07", PostType.TEXT),
    "article_wechatsogou_mpvoice_2018.html": ("长江日报", "2018-03-19", PostType.ARTICLE),
    "article_wechatsogou_qqmusic_2018.html": ("闲云野鹤古刹", "2018-04-07", PostType.ARTICLE),
    "article_wechatsogou_video-iframe_2018.html": ("共产党员", "2018-03-20", PostType.ARTICLE),
}
SCRIPTLESS = {
    "article_mercury_2024_scriptless.html": ("心机炒蔬菜", "田螺姑娘hhhaze"),
    "article_mercury_shijuezhi_2019_scriptless.html": ("犹太男人拍下万张民国美女照片", "视觉志"),
}
NOT_ARTICLES = {
    "captcha_1_rendered_en.html": "verification",
    "captcha_2_raw_zh.html": "verification",
    "deleted_1.html": "deleted",
    "error_param_1.html": "bad_params",
    "expired_link_1.html": "expired",
    "unavailable_temporarily_1.html": "unavailable",
    "violation_1.html": "violation",
    "aboutbiz_ruanyifeng.html": "unknown",
    "aboutbiz_shanghai-trade-union.html": "unknown",
    "album_page_1_html.html": "unknown",
    "profile_history_msgList_bitsea_2017.html": "unknown",
}
FETCHED = "https://mp.weixin.qq.com/s/FetchedToken"


@pytest.mark.parametrize("name", sorted(ARTICLES))
def test_article_parses_with_title_account_and_date(name: str) -> None:
    account, date, post_type = ARTICLES[name]
    page = parse_page(shared_fixture(name), FETCHED)
    assert isinstance(page, Article), page
    assert page.title.strip()
    assert page.account == account
    assert page.account_id.startswith("gh_")
    assert page.published is not None and f"{page.published:%Y-%m-%d}" == date
    assert page.item_show_type == post_type
    assert page.url.startswith("https://mp.weixin.qq.com/s?__biz=") and "&mid=" in page.url
    assert to_markdown(page, {}).strip()


@pytest.mark.parametrize("name", sorted(SCRIPTLESS))
def test_scriptless_page_has_title_and_body_and_no_invented_date(name: str) -> None:
    title, account = SCRIPTLESS[name]
    page = parse_page(shared_fixture(name), FETCHED)
    assert isinstance(page, Article), page
    assert page.title.startswith(title)
    assert page.account == account
    assert page.published is None
    assert len(to_markdown(page, {})) > 500


@pytest.mark.parametrize("name", sorted(NOT_ARTICLES))
def test_non_article_page_is_recognised(name: str) -> None:
    page = parse_page(shared_fixture(name), FETCHED)
    assert isinstance(page, NotAnArticle), page
    assert page.reason == NOT_ARTICLES[name]


@pytest.mark.parametrize("name", sorted(NOT_ARTICLES | SCRIPTLESS.keys() | ARTICLES.keys()))
def test_the_cheap_check_of_every_answer_knows_the_real_verification_pages(name: str) -> None:
    """The middleware's check of every answer, before it is parsed: WeChat's real verification
    pages (18-23 KB) are, no article page is (a page saved without its scripts is small)."""
    page = shared_fixture(name).encode("utf-8")
    assert is_verification_page(page) == (NOT_ARTICLES.get(name) == "verification")


def test_every_article_page_of_the_folder_is_covered() -> None:
    from tests.conftest import SHARED_FIXTURES

    if not SHARED_FIXTURES.is_dir():
        pytest.skip(f"{SHARED_FIXTURES} is absent: the third-party pages live beside the project")
    pages = {p.name for p in SHARED_FIXTURES.glob("*.html")}
    assert pages == set(ARTICLES) | set(SCRIPTLESS) | set(NOT_ARTICLES)


# An article's long link or an album's id as a page holds it anywhere, once unescaped (not
# WeChat's own script's template of one, ``__biz=${window.biz}``)
_REFERENCE = re.compile(r"mp\.weixin\.qq\.com/s\?[^\"'<>\s$]+|album_?id[\"']?\s*[:=]\s*[\"']?([0-9]{10,})", re.I)


def _unescaped(page: str) -> str:
    """``page`` with its links as a browser follows them: a script's ``\\x26``, ``\\/`` and
    ``%3D`` undone, and ``&amp;`` however many times over (``&amp;amp;`` in ``cgiDataNew``)."""
    before = None
    while before != page:
        before, page = page, html.unescape(page.replace("\\x26", "&").replace("\\/", "/"))
    return page.replace("%3D", "=")


@pytest.mark.parametrize("name", sorted(ARTICLES.keys() | SCRIPTLESS.keys()))
def test_every_article_and_album_a_real_page_names_is_a_lead(name: str) -> None:
    """What a reader of a real page can follow to another article (往期推荐, the body's links,
    the album's previous and next, a shared or reprinted original, in the markup or in a
    script's data, in any escaping) and every album it names: each is a lead the crawl
    follows, else an account's article is lost with no line saying so. The page's own link
    (``og:url``, its QR code, ``msg_link``) is no lead."""
    text = shared_fixture(name)
    page = parse_page(text.encode(), FETCHED)
    assert isinstance(page, Article)
    references = list(_REFERENCE.finditer(_unescaped(text)))
    articles = {article_key("https://" + found.group()) for found in references if not found.group(1)}
    albums = {found.group(1) for found in references if found.group(1)}
    led = {article_key(link) for link in page.links}
    assert articles - {None, page.key} <= led, articles - {None, page.key} - led
    named = {album.id for album in page.albums} | {album_id(link) for link in page.album_links}
    assert albums <= named, albums - named


def test_published_is_china_time() -> None:
    page = parse_page(shared_fixture("article_wechatsogou_mpvoice_2018.html"), FETCHED)
    assert isinstance(page, Article)
    assert page.published == datetime.fromisoformat("2018-03-19T05:30:00+08:00")
    assert page.published.utcoffset().total_seconds() == 8 * 3600


@pytest.mark.parametrize("name", sorted(ARTICLES.keys() | SCRIPTLESS.keys()))
def test_the_body_tree_the_parser_kept_converts_as_its_markup_does(name: str) -> None:
    """The converter and the tagger read ``Article.body`` (the tree the parser built) rather
    than parse ``body_html`` again: the same post and text either way, and the tree is left
    as it was (a post may be made twice of one article: never-worse, watch)."""
    page = parse_page(shared_fixture(name).encode(), FETCHED)
    assert isinstance(page, Article)
    assert (page.body is not None) == bool(page.body_html)
    unparsed = replace(page, body=None)
    assert to_markdown(page, {}) == to_markdown(unparsed, {})
    assert article_text(page) == article_text(unparsed)
    assert page.body is None or lxml.html.tostring(page.body, encoding="unicode") == page.body_html


def test_a_rendered_page_saved_without_its_scripts_is_the_article_it_shows() -> None:
    """The rendered 2024 page as Chrome's MHTML keeps it (no scripts), opened by its short
    link, which its og:url alone names: its QR code's link names the article's ids."""
    page = re.sub(r"<script\b.*?</script>", "", shared_fixture("article_rendered-dom_csdn_2024.html"),
                  flags=re.S)
    parsed = parse_page(page, "https://mp.weixin.qq.com/s/ZhDXTjv5ciEGOZirqQ6BJA")
    assert isinstance(parsed, Article)
    assert parsed.key == "MzkzMDY1NDgyOQ==:2247809883:1"
    assert parsed.sn == "bd6f2befac7da6b83e00c13c26d0305b"

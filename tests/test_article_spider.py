"""``scrapy crawl article`` (``crawler.spiders.article``): its arguments checked before
anything starts, and the requests it starts with: every article given, once, fetched again
even if archived."""

from __future__ import annotations

import asyncio
import tracemalloc
from pathlib import Path

import pytest
import scrapy

from crawler.run import Run
from crawler.spiders.arguments import ArgumentError, NothingGiven
from crawler.spiders.article import ArticleParams, ArticleSpider
from crawler.wechat.urls import article_key, link_as_given
from tests.conftest import project_config, spider_of, started

SHORT = "https://mp.weixin.qq.com/s/KDWh_qGpFN5Vu1TR9t30Mw"
LONG = "https://mp.weixin.qq.com/s?__biz=MzI0NzE2NjQ0Mg==&mid=2247500001&idx=1&sn=abc&chksm=d1"
NO_CHKSM = "https://mp.weixin.qq.com/s?__biz=MzI0NzE2NjQ0Mg==&mid=2247500002&idx=1&sn=def"


def params(**arguments: str) -> ArticleParams:
    return ArticleParams.from_arguments(arguments, project_config())


def refused(**arguments: str) -> str:
    with pytest.raises(ArgumentError) as error:
        params(**arguments)
    return str(error.value)


def test_one_url_is_taken_without_its_fragment() -> None:
    assert params(url=SHORT + "#wechat_redirect") == ArticleParams(urls=(SHORT,))


def test_a_file_of_urls_and_a_url_are_taken_in_order_each_once(tmp_path: Path) -> None:
    listed = tmp_path / "urls.txt"
    listed.write_text(f"# to archive\n{LONG}\n\n{SHORT}\n  {LONG}#frag  \n", encoding="utf-8")
    taken = params(url=SHORT, urls_file=str(listed), follow_albums="yes")
    assert taken == ArticleParams(urls=(SHORT, LONG), follow_albums=True)


def test_no_article_at_all_is_refused_saying_how_to_give_one() -> None:
    assert refused() == "give an article with -a url=URL or a list with -a urls_file=PATH"
    assert refused(url="", urls_file="").startswith("give an article")


def test_a_file_listing_nothing_is_nothing_to_do_unless_a_url_is_given(tmp_path: Path) -> None:
    listed = tmp_path / "urls.txt"
    listed.write_text("# nothing yet\n", encoding="utf-8")
    with pytest.raises(NothingGiven, match=f"^'{listed}' lists no URL$"):
        params(urls_file=str(listed))
    assert params(url=SHORT, urls_file=str(listed)).urls == (SHORT,)


@pytest.mark.parametrize("url", ["mp.weixin.qq.com/s/abc", "https://example.com/s/abc",
                                 "file:///etc/passwd", "https://mp.weixin.qq.com/s?__biz=x&mid=1"])
def test_a_url_that_is_no_article_link_is_refused(url: str) -> None:
    assert url in refused(url=url)


@pytest.mark.parametrize("copied, said", [
    (f"{LONG}，", "a link with '，' in it (copy the link alone)"),
    (f"{LONG} 快看这篇", "a link with a space in it (copy the link alone)"),
    (f"{LONG}\u3000反诈提醒", "a link with a space in it (copy the link alone)"),
    (f"{LONG} {NO_CHKSM}", "several links in one (give each on its own)"),
    (f"{SHORT}。", "a link with '。' in it (copy the link alone)")])
def test_a_link_copied_with_the_chat_text_around_it_is_refused_saying_so(copied: str,
                                                                         said: str) -> None:
    """A long link with text after it would be fetched with that text in its ``chksm`` (or,
    two links on a line, as the first article while counted as the second)."""
    message = refused(url=copied)
    assert message.startswith(f"{said}: "), message


def test_a_short_link_given_over_http_and_https_is_one_article(tmp_path: Path) -> None:
    """One token, one article: a repost's ``http://`` copy beside the share menu's was a
    second link, fetched a second time."""
    listed = tmp_path / "urls.txt"
    listed.write_text(f"{SHORT}\n{SHORT.replace('https:', 'http:')}\n"
                      f"{SHORT.replace('.com/', '.com:443/')}\n", encoding="utf-8")
    assert params(urls_file=str(listed)).urls == (SHORT,)


# WeChat's share menu, 2021: the parameters after chksm, ``&notreplace=true`` last
SHARED = (LONG + "&mpshare=1&scene=1&srcid=1214Re0mazzQgLSyCqtHxS2g&sharer_sharetime=1639497078676"
          "&sharer_shareid=b0041670f2acfa3d466c67be7c2e0e21&notreplace=true")


def test_a_parameter_named_like_an_html_entity_without_its_semicolon_is_kept() -> None:
    """``&not`` of ``&notreplace=`` (or ``&times`` of a search engine's ``&timestamp=``) is
    no ``¬``: an HTML page writes its ampersands ``&amp;``, with the semicolon."""
    assert params(url=SHARED + "#rd").urls == (LONG,)
    assert params(url=SHARED.replace("&", "&amp;")).urls == (LONG,)
    assert link_as_given(SHARED.replace("&", "&amp;")) == SHARED
    sogou = "https://mp.weixin.qq.com/s?src=11&timestamp=1604109394&ver=2677&signature=lA-7iYD"
    assert refused(url=sogou) == f"article link lacks __biz, mid, idx: {sogou!r}"


def test_a_bad_line_of_the_file_is_named_by_its_number(tmp_path: Path) -> None:
    listed = tmp_path / "urls.txt"
    listed.write_text(f"{SHORT}\n# comment\nhttps://example.com/s/abc\n", encoding="utf-8")
    message = refused(urls_file=str(listed))
    assert message.startswith(f"{listed}:3: not a WeChat article host")


def test_a_file_that_cannot_be_read_is_refused(tmp_path: Path) -> None:
    assert refused(urls_file=str(tmp_path / "absent.txt")).startswith("cannot read urls_file")


def test_the_article_hosts_setting_decides_what_is_an_article_link() -> None:
    config = project_config(ARTICLE_HOSTS="127.0.0.1")
    local = "http://127.0.0.1:8000/s/abc"
    assert ArticleParams.from_arguments({"url": local}, config).urls == (local,)
    with pytest.raises(ArgumentError):
        ArticleParams.from_arguments({"url": SHORT}, config)


def test_a_typo_or_a_bad_flag_is_refused() -> None:
    assert refused(url=SHORT, follow_album="true").startswith("unknown argument -a follow_album=")
    assert refused(url=SHORT, follow_albums="sure") == "-a follow_albums= takes true or false, not 'sure'"


def test_the_spider_starts_with_each_article_fetched_again(tmp_path: Path) -> None:
    spider = spider_of(ArticleSpider, tmp_path, url=SHORT)
    [request] = started(spider)
    assert request.url == SHORT
    assert request.meta["refetch"] is True and request.meta["article"] is True
    assert request.callback == spider.parse_article and request.errback == spider.fetch_failed
    assert request.cb_kwargs == {"source": "url", "account": None}
    assert spider.follow_albums is False


def test_a_link_without_chksm_is_fetched_by_the_link_a_listing_gave(tmp_path: Path) -> None:
    """WeChat may answer a long link without ``chksm`` with its verification page."""
    listed = tmp_path / "urls.txt"
    listed.write_text(f"{NO_CHKSM}\n{LONG.replace('2247500001', '2247500003')}\n", encoding="utf-8")
    spider = spider_of(ArticleSpider, tmp_path, urls_file=str(listed), follow_albums="true")
    with_chksm = NO_CHKSM + "&chksm=ff"
    spider.index.add_listed_links([(str(article_key(NO_CHKSM)), with_chksm)])
    requests = started(spider)
    assert [(r.url, r.meta["weak_link"]) for r in requests] == [
        (with_chksm, False), (LONG.replace("2247500001", "2247500003"), False)]
    assert spider.follow_albums is True


def test_a_link_without_chksm_no_listing_gave_is_fetched_as_a_weak_link(tmp_path: Path) -> None:
    spider = spider_of(ArticleSpider, tmp_path, url=NO_CHKSM)
    [request] = started(spider)
    assert request.url == NO_CHKSM and request.meta["weak_link"] is True


def test_an_article_given_by_two_links_is_taken_once_by_the_one_with_chksm(tmp_path: Path) -> None:
    listed = tmp_path / "urls.txt"
    with_chksm = NO_CHKSM + "&chksm=ff"
    listed.write_text(f"{NO_CHKSM}&scene=21\n{SHORT}\n{with_chksm}&scene=126#rd\n{NO_CHKSM}\n",
                      encoding="utf-8")
    assert params(urls_file=str(listed)).urls == (with_chksm, SHORT)


def test_links_waiting_for_a_short_link_are_no_requests_in_memory(tmp_path: Path) -> None:
    """A list of thousands of long links and one short link: the long ones wait until the
    short one is fetched, as links, not as thousands of requests made at once."""
    listed = tmp_path / "urls.txt"
    links = 4000
    listed.write_text(f"{SHORT}\n" + "".join(f"{LONG.replace('2247500001', str(2247600000 + n))}\n"
                                             for n in range(links)), encoding="utf-8")
    spider = spider_of(ArticleSpider, tmp_path, urls_file=str(listed))

    async def first() -> list[scrapy.Request]:
        return [request async for request in spider.start()]

    tracemalloc.start()
    try:
        assert [request.url for request in asyncio.run(first())] == [SHORT]
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    try:
        assert held < 100 * links, f"{held / links:.0f} bytes a link waiting"
        waiting = [request for _, request in spider.held]
        assert len(waiting) == links and waiting[0].url == LONG.replace("2247500001", "2247600000")
    finally:
        Run.of(spider.crawler).archive.close()


def test_tags_are_taken_as_import_takes_them() -> None:
    assert params(url=SHORT, tags="清远， 反诈,清远,") == ArticleParams(urls=(SHORT,), tags=("清远", "反诈"))

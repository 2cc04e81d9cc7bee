"""``scrapy crawl accounts`` (``crawler.spiders.accounts``): its accounts file read before
anything starts, and what each account's run starts with: its albums (given and
remembered, each once), its article links, its feeds, and the back-office list only with
a logged-in session and the account's ``__biz``. (What fetched pages lead to is
``tests/test_discovery.py``'s.)"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from crawler.accounts import Account
from crawler.spiders.accounts import AccountsParams, AccountsSpider
from crawler.spiders.arguments import ArgumentError
from crawler.spiders.base import WeChatSpider
from crawler.store.accountbook import AccountBook
from crawler.store.index import ArticleState
from tests.conftest import project_config, spider_of, started

BIZ = "MzI0NzE2NjQ0Mg=="
SHORT = "https://mp.weixin.qq.com/s/KDWh_qGpFN5Vu1TR9t30Mw"
FEED = "https://rss.example.org/feeds/MP_WXS_1.atom"
NO_WATCH = {"WATCH_PER_RUN": "0"}


def accounts_file(folder: Path, text: str) -> Path:
    path = folder / "accounts.toml"
    path.write_text(text, encoding="utf-8")
    return path


def requests_of(archive: Path, accounts: str, settings: dict[str, str] | None = None,
                remembered: tuple[str, ...] = ()) -> tuple[list[tuple[str, str]], WeChatSpider]:
    """(source, URL) of each request the spider starts with; ``remembered`` albums of the
    account ``BIZ`` are in the index from an earlier run."""
    spider = spider_of(AccountsSpider, archive, {**NO_WATCH, **(settings or {})},
                       file=str(accounts_file(archive, accounts)))
    for album in remembered:
        AccountBook(spider.index).remember_album(album, BIZ)
    requests = started(spider)
    return [(r.cb_kwargs["source"], r.url) for r in requests], spider


def album_ids(requests: list[tuple[str, str]]) -> list[str]:
    return [parse_qs(urlsplit(url).query)["album_id"][0] for source, url in requests
            if source.startswith("album:")]


def test_the_accounts_file_is_read_from_the_setting_or_the_argument(tmp_path: Path) -> None:
    default = accounts_file(tmp_path, f'[[account]]\nname = "甲"\nurls = ["{SHORT}"]\n')
    other = tmp_path / "other.toml"
    other.write_text(f'[[account]]\nname = "乙"\nbiz = "{BIZ}"\n', encoding="utf-8")
    config = project_config(ACCOUNTS_FILE=str(default))
    assert AccountsParams.from_arguments({}, config).accounts == (Account(name="甲", urls=(SHORT,)),)
    assert AccountsParams.from_arguments({"file": str(other)}, config).accounts == (
        Account(name="乙", biz=BIZ),)


def test_an_accounts_file_that_cannot_be_used_is_an_argument_error(tmp_path: Path) -> None:
    config = project_config(ACCOUNTS_FILE=str(tmp_path / "absent.toml"))
    with pytest.raises(ArgumentError, match="there is no accounts file"):
        AccountsParams.from_arguments({}, config)
    broken = accounts_file(tmp_path, '[[account]]\nname = "甲"\n')
    with pytest.raises(ArgumentError, match="nothing to archive"):
        AccountsParams.from_arguments({"file": str(broken)}, config)
    with pytest.raises(ArgumentError, match="^unknown argument -a url="):
        AccountsParams.from_arguments({"url": SHORT}, config)


def test_each_album_given_or_remembered_is_read_once(tmp_path: Path) -> None:
    requests, _ = requests_of(tmp_path, f'[[account]]\nname = "甲"\nbiz = "{BIZ}"\n'
                                        'albums = ["1000", "2000", "1000"]\n',
                              remembered=("2000", "3000"))
    assert album_ids(requests) == ["1000", "2000", "3000"]
    assert all("action=getalbum" in url and "f=json" in url for _, url in requests)


def test_remembered_albums_are_those_of_the_accounts_biz_only(tmp_path: Path) -> None:
    requests, _ = requests_of(tmp_path, f'[[account]]\nname = "甲"\nurls = ["{SHORT}"]\n',
                              remembered=("3000",))
    assert album_ids(requests) == []  # no __biz known for 甲 yet


def test_a_biz_found_in_an_earlier_run_brings_its_remembered_albums(tmp_path: Path) -> None:
    accounts = f'[[account]]\nname = "甲"\nurls = ["{SHORT}"]\n'
    spider = spider_of(AccountsSpider, tmp_path, NO_WATCH, file=str(accounts_file(tmp_path, accounts)))
    AccountBook(spider.index).set_account("甲", BIZ)
    AccountBook(spider.index).remember_album("3000", BIZ)
    sources = [r.cb_kwargs["source"] for r in started(spider)]
    assert sources == ["urls:甲", "album:3000"]  # the short link first: it names its article


def test_urls_and_feeds_are_fetched_as_their_sources_and_counted(tmp_path: Path) -> None:
    requests, spider = requests_of(tmp_path, f'[[account]]\nname = "甲"\nurls = ["{SHORT}"]\n'
                                             f'feeds = ["{FEED}"]\n')
    assert requests == [("urls:甲", SHORT), (f"feed:{FEED}", FEED)]
    tally = spider.tally
    assert tally.stats.get_value("articles/listed") == 1
    assert tally.by_source()["urls:甲"]["listed"] == 1
    assert tally.stats.get_value("sources/attempted") == 1  # the feed; an article is no source


@pytest.mark.parametrize(("token", "cookie", "listed"), [("", "", False),
                                                         ("123", "slave_sid=abc; uin=7", True)])
def test_the_back_office_list_needs_a_session_and_the_biz(tmp_path: Path, token: str, cookie: str,
                                                                 listed: bool) -> None:
    requests, _ = requests_of(tmp_path, f'[[account]]\nname = "甲"\nbiz = "{BIZ}"\n',
                              {"MP_TOKEN": token, "MP_COOKIE": cookie})
    assert [source for source, _ in requests] == (["mp:甲"] if listed else [])
    if listed:
        query = parse_qs(urlsplit(requests[0][1]).query)
        assert query["fakeid"] == [BIZ] and query["token"] == ["123"]


def test_the_back_office_request_carries_the_sessions_cookies(tmp_path: Path) -> None:
    spider = spider_of(AccountsSpider, tmp_path, {**NO_WATCH, "MP_TOKEN": "1", "MP_COOKIE": "a=1; b=two"},
                       file=str(accounts_file(tmp_path, f'[[account]]\nname = "甲"\nbiz = "{BIZ}"\n')))
    [request] = started(spider)
    assert request.cookies == {"a": "1", "b": "two"}
    assert request.callback == spider.parse_publish_list


def test_accounts_are_started_in_the_files_order(tmp_path: Path) -> None:
    requests, _ = requests_of(tmp_path, f'[[account]]\nname = "甲"\nurls = ["{SHORT}"]\n'
                                        f'[[account]]\nname = "乙"\nurls = ["{SHORT}x"]\n')
    assert [source for source, _ in requests] == ["urls:甲", "urls:乙"]


def test_archived_articles_due_for_a_check_are_fetched_again_after_the_accounts(tmp_path: Path) -> None:
    accounts = f'[[account]]\nname = "甲"\nurls = ["{SHORT}"]\n'
    spider = spider_of(AccountsSpider, tmp_path, {"WATCH_PER_RUN": "1"},
                       file=str(accounts_file(tmp_path, accounts)))
    canonical = f"https://mp.weixin.qq.com/s?__biz={BIZ}&mid=2247500001&idx=1&sn=abc"
    spider.index.add_article(f"{BIZ}:2247500001:1", canonical, "_posts/a.md", ArticleState.ARCHIVED,
                             published=1_600_000_000)
    spider.index.add_article(f"{BIZ}:2247500002:1", canonical.replace("01&", "02&"), "_posts/b.md",
                             ArticleState.ARCHIVED, published=1_700_000_000)
    requests = started(spider)
    assert [(r.cb_kwargs["source"], r.meta["refetch"]) for r in requests] == [
        ("urls:甲", False), ("watch", True)]
    assert requests[1].url == canonical  # the longest unchecked first; one a run (WATCH_PER_RUN)

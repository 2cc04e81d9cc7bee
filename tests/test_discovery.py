"""Discovery: from one short link, a scheduled run finds every article of the account.

A stand-in account of 40 articles: three albums (some articles in two, named in the 2025,
2023 and 2021 markups), ten articles in no album that only links without ``chksm`` lead to
(up to four links deep), links to another account's articles. The real ``scrapy crawl accounts`` runs three times against it, as three days
of cron: the first archives everything, the second only what was published since, the
third nothing, at one listing request per album.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import PAGES, crawl
from tests.inprocess import Crawled
from tests.mockserver import MockWeChat, Route
from tests.site import BIZ, OTHER_BIZ, Art, Site, numbered
from tests.test_captures import scrapy

NAME = "测试反诈中心"


class World:
    """The stand-in account, and what a crawl of it asked the stand-in for."""

    def __init__(self, server: MockWeChat):
        self.site = Site(server)
        self.server = server
        foreign = [Art("2247470001", biz=OTHER_BIZ), Art("2247470002", biz=OTHER_BIZ)]
        for art in foreign:
            self.site.article(art, nickname="别的号")
        # Linked only: three chains, the longest four links deep from an album article.
        self.linked: list[Art] = []
        chains = [numbered(2247461001, 4), numbered(2247462001, 3), numbered(2247463001, 3)]
        heads = []
        for chain in chains:
            following = None
            for art in reversed(chain):
                links = (self.site.body_link(following),) if following else ()
                art = Art(art.mid, links=links + (self.site.body_link(foreign[0]),), days_ago=40)
                self.site.article(art)
                self.linked.append(art)
                following = art
            heads.append(following)
        x_only = numbered(2247450001, 9)
        shared = numbered(2247451001, 5)
        y_only = numbered(2247452001, 7)
        z_only = numbered(2247453001, 8)
        self.entry = Art("2247450000", albums=("3101",), token="EntryToken", days_ago=1,
                         links=(self.site.body_link(heads[0]),))
        x = [self.entry] + [Art(a.mid, albums=("3101",), days_ago=30 - i,
                                links=(self.site.body_link(heads[1]),) if i == 3 else ())
                            for i, a in enumerate(x_only)]
        both = [Art(a.mid, albums=("3101", "3102"), days_ago=20 - i) for i, a in enumerate(shared)]
        y = [Art(a.mid, albums=("3102",), days_ago=25 - i, markup="2023",
                 links=(self.site.body_link(heads[2]), self.site.body_link(foreign[1])) if i == 0
                 else ())
             for i, a in enumerate(y_only)]
        # The first two of album 3103 are in 3102 too: how a run finds 3103, through the
        # 2021 tag card.
        z = [Art(a.mid, albums=("3102", "3103") if i < 2 else ("3103",), days_ago=35 - i,
                 markup="2021") for i, a in enumerate(z_only)]
        # Albums list oldest first; the entry is the newest of its album.
        self.site.album("3101", x[1:] + both + [self.entry])
        self.site.album("3102", z[:2] + y + both)
        self.site.album("3103", z)
        for art in x + both + y + z:
            self.site.article(art)
        self.own = x + both + y + z + self.linked
        self.foreign = foreign

    def later_day(self) -> list[Art]:
        """Three new articles in album 3101, one also in a new album 3104 of six more
        articles that nothing else links to."""
        new = [Art(a.mid, albums=("3101",), days_ago=0) for a in numbered(2247454001, 3)]
        new[1] = Art(new[1].mid, albums=("3101", "3104"), days_ago=0)
        hidden = [Art(a.mid, albums=("3104",), days_ago=2) for a in numbered(2247455001, 6)]
        self.site.albums["3101"] += new
        self.site.album("3104", hidden + [new[1]])
        for art in new + hidden:
            self.site.article(art)
        return new + hidden

    def article_requests(self, since: int = 0) -> list[str]:
        return [path for path, _ in self.server.hits("/s")[since:]]

    def album_requests(self, since: int = 0) -> list[str]:
        return [path for path, _ in self.server.hits("/mp/appmsgalbum")[since:]]


@pytest.fixture
def world(wechat: MockWeChat) -> World:
    return World(wechat)


def run(world: World, root: Path, **settings: str) -> str:
    accounts = root / "accounts.toml"
    accounts.write_text(f'[[account]]\nname = "{NAME}"\n'
                        f'urls = ["{world.site.short(world.entry)}"]\n', encoding="utf-8")
    result = crawl("accounts", root / "archive",
                   settings={"ACCOUNTS_FILE": str(accounts), "WECHAT_BASE_URL": world.server.base,
                             **settings})
    assert result.returncode == 0, result.stderr
    return result.stderr


def crawl_accounts(wechat: MockWeChat, root: Path, keys: str) -> None:
    """A run of ``scrapy crawl accounts`` over the one account ``NAME`` with ``keys``."""
    result = crawl("accounts", root / "archive", settings=accounts_file(wechat, root, keys))
    assert result.returncode == 0, result.stderr


def archived_mids(root: Path) -> set[str]:
    with sqlite3.connect(root / "archive" / ".state" / "index.sqlite") as db:
        return {key.split(":")[1] for (key,) in db.execute(
            "SELECT key FROM articles WHERE state = 'archived'")}


def identity(path: str) -> str:
    return re.sub(r"&(chksm|scene)=[^&]*", "", path)


def test_one_link_finds_the_whole_account_and_later_runs_cost_what_is_new(
        world: World, tmp_path: Path) -> None:
    log = run(world, tmp_path)
    assert archived_mids(tmp_path) == {art.mid for art in world.own}
    fetched = world.article_requests()
    assert len(fetched) == len({identity(path) for path in fetched}) == 40  # none twice
    assert not [path for path in fetched if OTHER_BIZ in path]
    assert "/s/EntryToken" in fetched
    summary = re.search(rf"account {NAME}: ([^\n]*)", log)
    assert summary, log
    assert re.match(r"40 archived, 3 albums known, newest \d{4}-\d\d-\d\d \(1 day ago\), "
                    r"2 links to other accounts seen; this run 40 new \(29 by albums, 10 by links, "
                    r"1 by URLs\), no source failed", summary.group(1)), summary.group(1)
    assert "WARNING: No new article" not in log

    articles, albums = len(world.article_requests()), len(world.album_requests())
    new = world.later_day()
    log = run(world, tmp_path)
    assert archived_mids(tmp_path) == {art.mid for art in world.own + new}
    assert sorted(identity(p) for p in world.article_requests(articles)) == \
        sorted(art.path for art in new)
    # 3101 and the new 3104 on one page each (3 and 7 articles new), 3102 and 3103 unchanged
    assert sorted(re.search(r"album_id=(\d+)", p).group(1) for p in world.album_requests(albums)) \
        == ["3101", "3102", "3103", "3104"]
    assert "this run 9 new (9 by albums)" in log

    articles, albums = len(world.article_requests()), len(world.album_requests())
    log = run(world, tmp_path)
    assert world.article_requests(articles) == []
    assert len(world.album_requests(albums)) == 4
    assert "Run summary (finished): " in log and " new" not in log.split("Run summary")[1].split("\n")[0]


def test_links_to_other_accounts_are_followed_only_when_asked(world: World, tmp_path: Path) -> None:
    run(world, tmp_path, FOLLOW_LINKS="all")
    assert {identity(p) for p in world.article_requests()} >= {art.path for art in world.foreign}
    assert archived_mids(tmp_path) >= {art.mid for art in world.foreign}


def test_no_link_is_followed_with_follow_links_none(world: World, tmp_path: Path) -> None:
    log = run(world, tmp_path, FOLLOW_LINKS="none")
    assert archived_mids(tmp_path) == {art.mid for art in world.own} - {a.mid for a in world.linked}
    assert "by links" not in log


def test_a_short_link_to_another_account_is_fetched_once_and_not_archived(
        wechat: MockWeChat, tmp_path: Path) -> None:
    site = Site(wechat)
    other = Art("2247470101", biz=OTHER_BIZ, token="OtherToken")
    mine = Art("2247470102", token="MineToken")
    site.article(other, nickname="别的号")
    site.article(mine)
    entry = Art("2247470103", token="Entry", links=(site.short(other), site.short(mine)))
    site.article(entry)
    accounts = tmp_path / "accounts.toml"
    accounts.write_text(f'[[account]]\nname = "{NAME}"\nurls = ["{site.short(entry)}"]\n')
    settings = {"ACCOUNTS_FILE": str(accounts), "WECHAT_BASE_URL": wechat.base}
    for _ in range(2):
        result = crawl("accounts", tmp_path / "archive", settings=settings)
        assert result.returncode == 0, result.stderr
    assert archived_mids(tmp_path) == {entry.mid, mine.mid}
    hits = [path for path, _ in wechat.hits("/s/")]
    assert sorted(hits) == ["/s/Entry", "/s/MineToken", "/s/OtherToken"]  # each once, in two runs
    assert re.search(r"Not archived: \S+/s/OtherToken is another account's article \(别的号\)",
                     result.stderr) is None  # the second run did not fetch it again


def test_an_accounts_short_link_to_an_article_of_its_album_is_fetched_once_in_the_first_run(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """The short link names no article until fetched: read before it, the album listed the
    same article by its long link, and the first run fetched it twice."""
    site = Site(wechat)
    arts = site.serve(numbered(2247470601, 3, albums=("3601",)))
    entry = Art("2247470610", token="Entry", albums=("3601",))
    site.article(entry)
    album = site.album("3601", [*arts, entry])
    crawl_accounts(wechat, tmp_path, f'albums = ["{album}"]\nurls = ["{site.short(entry)}"]\n')
    fetched = [identity(path) for path, _ in wechat.hits("/s")]
    assert sorted(fetched) == sorted([*(art.path for art in arts), "/s/Entry"])
    assert archived_mids(tmp_path) == {art.mid for art in [*arts, entry]}


def test_unknown_short_links_are_fetched_at_most_follow_links_per_run(wechat: MockWeChat,
                                                                     tmp_path: Path) -> None:
    site = Site(wechat)
    linked = [Art(str(2247470200 + i), token=f"T{i}") for i in range(5)]
    for art in linked:
        site.article(art)
    entry = Art("2247470300", token="Entry", links=tuple(site.short(a) for a in linked))
    site.article(entry)
    accounts = tmp_path / "accounts.toml"
    accounts.write_text(f'[[account]]\nname = "{NAME}"\nurls = ["{site.short(entry)}"]\n')
    result = crawl("accounts", tmp_path / "archive",
                   settings={"ACCOUNTS_FILE": str(accounts), "FOLLOW_LINKS_PER_RUN": "2"})
    assert result.returncode == 0, result.stderr
    assert len(archived_mids(tmp_path)) == 3


def test_a_short_link_pages_link_again_before_it_is_fetched_costs_the_budget_once(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """Pages that link one another (往期推荐) by short links: one waiting in the queue while
    another page links it again is one short link of ``FOLLOW_LINKS_PER_RUN``."""
    site = Site(wechat)
    third = Art("2247470503", token="Third")
    first = Art("2247470501", token="First", links=(site.short(third),))
    second = Art("2247470502", token="Second", links=(site.short(first),))
    entry = Art("2247470500", token="Entry", links=(site.short(first), site.short(second)))
    site.serve([third, first, second, entry])
    accounts = tmp_path / "accounts.toml"
    accounts.write_text(f'[[account]]\nname = "{NAME}"\nurls = ["{site.short(entry)}"]\n')
    result = crawl("accounts", tmp_path / "archive",
                   settings={"ACCOUNTS_FILE": str(accounts), "FOLLOW_LINKS_PER_RUN": "3"})
    assert result.returncode == 0, result.stderr
    assert archived_mids(tmp_path) == {art.mid for art in (entry, first, second, third)}


@pytest.mark.parametrize("tail", ["?scene=1", "/"])
def test_a_short_link_a_body_gives_as_a_chat_copies_it_is_the_article_fetched_already(
        wechat: MockWeChat, tmp_path: Path, tail: str) -> None:
    """A body's short link pasted from a chat (``/s/<token>?scene=1``, a trailing slash) was
    another link than the one the run had fetched: its article fetched a second time, at the
    cost of a short link of ``FOLLOW_LINKS_PER_RUN``. The post still links the article's post."""
    site = Site(wechat)
    first = Art("2247470511", token="First")
    entry = Art("2247470510", token="Entry", links=(site.short(first) + tail,))
    site.serve([first, entry])
    crawl_accounts(wechat, tmp_path, f'urls = ["{site.short(first)}", "{site.short(entry)}"]\n')
    assert sorted(path for path, _ in wechat.hits("/s")) == ["/s/Entry", "/s/First"]
    posts = {path.name: path.read_text(encoding="utf-8")
             for path in (tmp_path / "archive" / "_posts").glob("*.md")}
    [first_post] = [name for name, text in posts.items() if f"mid={first.mid}" in text]
    assert any(f"{{% post_url {first_post[:-3]} %}}" in text for text in posts.values())


def test_the_forms_of_one_short_link_pages_and_listings_give_are_one_request(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """One short link on ``https:`` and ``http:``, with a ``#fragment`` (a body's) and a
    trailing slash (a homepage's): each form was a request of its own, the article asked
    once a form (the ``https:`` one, on the page's host, where the page itself was on
    ``http:``)."""
    site = Site(wechat)
    first = Art("2247470521", token="First")
    site.article(first)
    short = site.short(first)
    # listed by the homepage as ``/s/First/``: an entry of the same article, its token so written
    homepage = site.homepage("1", [[Art(first.mid, token="First/")]])
    entry = Art("2247470520", token="Entry", days_ago=1,
                links=(short.replace("http:", "https:", 1), f"{short}#wechat_redirect", homepage))
    site.article(entry)
    crawl_accounts(wechat, tmp_path, f'urls = ["{site.short(entry)}"]\n')
    assert [path for path, _ in wechat.hits("/s/First")] == ["/s/First"]
    assert archived_mids(tmp_path) == {entry.mid, first.mid}


def test_a_page_stating_its_short_link_in_another_form_costs_no_fetch_of_it(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """A page's ``window.short_link`` on another scheme than the links to it: the index knew
    the page by that form only, and a page linking it by its short link had it fetched again."""
    site = Site(wechat)
    first = Art("2247470541", token="First", days_ago=3)
    site.article(first)
    stated = site.page(first).replace(f"'{site.short(first)}'", f"'{site.short(first).replace('http:', 'https:', 1)}'")
    assert "https:" in stated
    site.pages[first.path] = Route(200, "text/html; charset=utf-8", stated.encode())
    entry = Art("2247470540", token="Entry", days_ago=1, links=(site.short(first),))
    site.article(entry)
    crawl_accounts(wechat, tmp_path, f'urls = ["{site.link(first)}"]\n')
    crawl_accounts(wechat, tmp_path, f'urls = ["{site.link(first)}", "{site.short(entry)}"]\n')
    assert archived_mids(tmp_path) == {entry.mid, first.mid}
    assert wechat.hits("/s/First") == []


# A run that may follow links to WeChat's own host, where the stand-in is not: nothing it
# asks on https leaves the machine (the handler refuses the scheme, a request that fails).
ON_WECHAT = {"ARTICLE_HOSTS": "127.0.0.1,mp.weixin.qq.com", "DOWNLOAD_HANDLERS": '{"https": null}'}
OLD_SHORT = "http://mp.weixin.qq.com/s/First"


def index_of_before(root: Path) -> contextlib.closing[sqlite3.Connection]:
    """The archive's index, as a version before this one leaves it (``user_version`` 1)."""
    index = sqlite3.connect(root / "archive" / ".state" / "index.sqlite", isolation_level=None)
    index.execute("PRAGMA user_version = 1")
    return contextlib.closing(index)


@pytest.mark.parametrize("known", ["archived", "a dead link"])
def test_a_short_link_an_older_index_knows_on_http_is_not_asked_again(
        wechat: MockWeChat, tmp_path: Path, known: str) -> None:
    """An index written before short links were one link on https holds one as its page gave
    it, ``http://mp.weixin.qq.com/s/…``: the article it led to, or that it leads to no article.
    A run, which asks every form of it on https, took it for a link never fetched, and asked
    the article's page again (a page gone, again at every run)."""
    site = Site(wechat)
    first = Art("2247470551", days_ago=3)
    site.article(first)
    crawl_accounts(wechat, tmp_path, f'urls = ["{site.link(first)}"]\n')
    key = f"{BIZ}:{first.mid}:1"
    with index_of_before(tmp_path) as index:
        if known == "archived":
            index.execute("INSERT INTO links VALUES (?, ?)", (OLD_SHORT, key))
        else:
            index.execute("INSERT INTO articles (key, url, state) VALUES (?, ?, 'dead_link')",
                          (OLD_SHORT, OLD_SHORT))
    entry = Art("2247470550", token="Entry", days_ago=1, links=(OLD_SHORT.replace("http:", "https:"),))
    site.article(entry)
    asked_before = len(wechat.hits())
    result = crawl("accounts", tmp_path / "archive", settings={
        **accounts_file(wechat, tmp_path, f'urls = ["{site.short(entry)}"]\n'), **ON_WECHAT})
    assert result.returncode == 0 and "WARNING" not in result.stderr, result.stderr
    # every request of the run reached the stand-in: none was for WeChat's host
    assert result.stats["downloader/request_count"] == len(wechat.hits()) - asked_before


@pytest.mark.parametrize("escaped", [1, 2, 3], ids=["once", "twice", "three-times"])
def test_a_body_link_whose_ampersands_are_escaped_again_leads_to_its_article(
        wechat: MockWeChat, tmp_path: Path, escaped: int) -> None:
    """A link whose ``&`` reaches the page escaped again (``&amp;amp;amp;``, as JSON in a
    page's HTML holds it) was read with ``amp;mid=`` for its ``mid``: no article link, and
    the article only it leads to was lost, silently."""
    site = Site(wechat)
    linked = Art("2247470531", days_ago=3)
    site.article(linked)
    link = site.body_link(linked).replace("&amp;", "&" + "amp;" * escaped)
    entry = Art("2247470530", token="Entry", days_ago=1, links=(link,))
    site.article(entry)
    crawl_accounts(wechat, tmp_path, f'urls = ["{site.short(entry)}"]\n')
    assert archived_mids(tmp_path) == {entry.mid, linked.mid}
    assert [identity(path) for path, _ in wechat.hits("/s?")] == [linked.path]


def test_an_account_gone_quiet_is_a_warning_and_the_report_says_so(wechat: MockWeChat,
                                                                  tmp_path: Path) -> None:
    site = Site(wechat)
    quiet = [Art(str(2247470400 + i), days_ago=100 - 5 * i, albums=("3201",)) for i in range(12)]
    for art in quiet:
        site.article(art)
    accounts = tmp_path / "accounts.toml"
    accounts.write_text(f'[[account]]\nname = "{NAME}"\nalbums = ["{site.album("3201", quiet)}"]\n'
                        f'[[account]]\nname = "新号"\nurls = ["http://127.0.0.1:9/s/Nothing"]\n',
                        encoding="utf-8")
    settings = {"ACCOUNTS_FILE": str(accounts), "WECHAT_BASE_URL": wechat.base}
    result = crawl("accounts", tmp_path / "archive", settings=settings)
    assert result.returncode == 0, result.stderr
    assert re.search(rf"WARNING: No new article from {NAME} for 45 days \(it published every 5 "
                     r"days or so\); its sources may have dried up", result.stderr)
    assert "account 新号: biz unknown yet (no page of it fetched)" in result.stderr
    report = scrapy("accounts-report", tmp_path / "archive", f"ACCOUNTS_FILE={accounts}")
    assert report.returncode == 0, report.stderr
    assert re.search(rf"^{NAME}: 12 archived, 1 album known, newest \S+ \(45 days ago\), 0 links "
                     r"to other accounts seen; STALE$", report.stdout, re.M), report.stdout
    assert "accounts-report: 2 accounts, 1 stale (no new article for 30 days)" in report.stdout


def test_the_fetched_page_decides_whose_article_it_is_not_the_link(wechat: MockWeChat,
                                                                  tmp_path: Path) -> None:
    """#22.4: a link carrying this account's __biz that lands on another account's page (a
    same-host redirect), and an album item of another __biz, are not archived as this
    account's; a page of another account naming no account is not given this one's name."""
    site = Site(wechat)
    other = Art("2247470501", biz=OTHER_BIZ)
    site.article(other, nickname="")  # names no account
    disguised = f"{wechat.base}/s?__biz={BIZ}&mid=2247470599&idx=1&sn=x&chksm=y"
    wechat.redirect(f"/s?__biz={BIZ}&mid=2247470599&idx=1&sn=x&chksm=y",
                    site.link(other).replace("&amp;", "&"))
    entry = Art("2247470500", token="Entry", albums=("3501",), links=(disguised,))
    site.article(entry)
    site.album("3501", [other, entry])  # an album item naming another __biz
    crawl_accounts(wechat, tmp_path, f'biz = "{BIZ}"\nurls = ["{site.short(entry)}"]\n')
    assert archived_mids(tmp_path) == {entry.mid}
    posts = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "archive" / "_posts").glob("*.md"))
    assert posts.count(f"转载：{NAME}") == 1


def test_another_account_s_article_the_accounts_file_gives_is_archived(wechat: MockWeChat,
                                                                       tmp_path: Path) -> None:
    """A URL of the account's table is the user's word, whoever's the page turns out to be
    (a repost on a partner account, say); only pages found by links or listings are declined."""
    site = Site(wechat)
    own = Art("2247470561", token="Own")
    site.article(own)
    theirs = Art("2247470562", biz=OTHER_BIZ, token="Theirs")
    site.article(theirs, nickname="别的号")
    crawl_accounts(wechat, tmp_path, f'biz = "{BIZ}"\nurls = ["{site.short(own)}", "{site.short(theirs)}"]\n')
    assert archived_mids(tmp_path) == {own.mid, theirs.mid}


def test_an_account_s_page_naming_no_account_is_attributed_to_it_and_keeps_that_in_a_rebuild(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """The post's attribution came from the accounts file, not the page: ``scrapy rebuild``
    renders the page again, and must not take the name away."""
    site = Site(wechat)
    quiet = Art("2247470551", token="Quiet")
    site.article(quiet, nickname="")
    crawl_accounts(wechat, tmp_path, f'biz = "{BIZ}"\nurls = ["{site.short(quiet)}"]\n')
    [post] = (tmp_path / "archive" / "_posts").glob("*.md")
    before = post.read_bytes()
    assert f"转载：{NAME}".encode() in before
    rebuilt = scrapy("rebuild", tmp_path / "archive", f"WECHAT_BASE_URL={wechat.base}")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert post.read_bytes() == before


@pytest.mark.parametrize("first", ["article", "album", "import", "watch"])
def test_a_page_archived_by_another_spider_still_leads_the_accounts_run_to_the_rest(
        wechat: MockWeChat, tmp_path: Path, first: str) -> None:
    """The account's one link archived first by ``crawl article`` (as the README's "Archive
    one article" shows), by ``crawl album`` or from a saved page: the scheduled run does not
    fetch an archived page again, so it never saw the page's albums and links, and found
    nothing, for ever, saying "no source failed". A watched page (the watch fetches archived
    pages) mends an archive made so before."""
    site = Site(wechat)
    linked = site.serve([Art("2247470701", days_ago=3)])[0]
    members = site.serve(numbered(2247470711, 3, albums=("3701",), days_ago=2))
    entry = site.serve([Art("2247470700", albums=("3701",), days_ago=1,
                            links=(site.body_link(linked),))])[0]
    album = site.album("3701", [*members, entry])
    link = site.link(entry).replace("&amp;", "&")
    archive = tmp_path / "archive"
    if first == "album":
        result = crawl("album", archive, "-a", f"url={album}")
    elif first == "import":
        saved = tmp_path / "entry.html"
        saved.write_text(site.page(entry), encoding="utf-8")
        result = crawl("import", archive, "-a", f"path={saved}")
    else:
        result = crawl("article", archive, "-a", f"url={link}")
    assert result.returncode == 0, result.stderr
    if first == "watch":  # an archive whose page was archived without recording its leads
        with sqlite3.connect(archive / ".state" / "index.sqlite") as db:
            db.execute("DELETE FROM albums")
            db.execute("DELETE FROM album_articles")
            db.execute("DELETE FROM links_to_follow")
            db.execute("UPDATE watch SET checked = checked - 2 * 86400")  # due again
        result = crawl("watch", archive, settings={"WECHAT_BASE_URL": wechat.base})
        assert result.returncode == 0, result.stderr
    crawl_accounts(wechat, tmp_path, f'urls = ["{link}"]\n')
    assert archived_mids(tmp_path) == {art.mid for art in [entry, linked, *members]}


def test_an_account_whose_link_was_corrected_is_found_by_its_new_link(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """The accounts file first gave another account's article (a reprint of the account's
    article, say) as the account's one link, and the run remembered that account's __biz
    under the name; corrected to a short link of the account's own, the runs kept the old
    __biz: the new page led nowhere (another account's, as far as they knew) and nothing of
    the account was found, for ever, each run saying "no source failed"."""
    site = Site(wechat)
    wrong = Art("2247470801", biz=OTHER_BIZ, token="Wrong", days_ago=5)
    site.article(wrong, nickname="别的号")
    linked = site.serve([Art("2247470901", days_ago=3)])[0]
    members = site.serve(numbered(2247470911, 3, albums=("3801",), days_ago=2))
    entry = site.serve([Art("2247470900", token="Entry", albums=("3801",), days_ago=1,
                            links=(site.body_link(linked),))])[0]
    site.album("3801", [*members, entry])
    crawl_accounts(wechat, tmp_path, f'urls = ["{site.short(wrong)}"]\n')
    for _ in range(2):
        crawl_accounts(wechat, tmp_path, f'urls = ["{site.short(entry)}"]\n')
    assert archived_mids(tmp_path) >= {art.mid for art in [entry, linked, *members]}


@pytest.mark.parametrize("deleted", [False, True], ids=["archived", "deleted"])
def test_an_accounts_short_link_that_redirects_is_fetched_once_not_every_run(
        wechat: MockWeChat, tmp_path: Path, deleted: bool) -> None:
    """A short link WeChat answers with a redirect to the article's long link: the index
    learned the long link it landed on, not the short one the accounts file gives, so every
    run fetched the short link again (and an in-body one spent the budget of short links;
    a deleted page said so at WARNING in every run)."""
    site = Site(wechat)
    entry = site.serve([Art("2247471000", days_ago=1)])[0]
    if deleted:
        site.pages[entry.path] = Route(200, "text/html; charset=utf-8",
                                       (PAGES / "deleted.html").read_bytes())
    moved = wechat.redirect("/s/Moved", site.link(entry).replace("&amp;", "&").removesuffix("#rd"))
    for _ in range(2):
        crawl_accounts(wechat, tmp_path, f'urls = ["{moved}"]\n')
    assert archived_mids(tmp_path) == (set() if deleted else {entry.mid})
    assert [path for path, _ in wechat.hits("/s/")] == ["/s/Moved"]


def test_a_link_that_redirects_to_an_article_fetched_this_run_is_not_followed_there(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """A link in a body that names no article (an old short link) and redirects to one the
    run fetched already: the redirect is not followed, and the link is known from then on."""
    site = Site(wechat)
    first = Art("2247470701", albums=("3701",))
    moved = wechat.redirect("/s/MovedToFirst", site.link(first).replace("&amp;", "&")
                            .removesuffix("#rd").replace("abcdef0123", "0123abcdef"))
    arts = site.serve([first, Art("2247470702", albums=("3701",), links=(moved,))])
    album = site.album("3701", arts)
    for _ in range(2):
        crawl_accounts(wechat, tmp_path, f'albums = ["{album}"]\n')
    assert_fetched_once(wechat, first.mid, "/s/MovedToFirst")


def test_a_link_that_redirects_to_an_article_archived_before_is_not_followed_there(
        wechat: MockWeChat, tmp_path: Path) -> None:
    site = Site(wechat)
    first = site.serve([Art("2247470801", albums=("3801",))])[0]
    album = site.album("3801", [first])
    crawl_accounts(wechat, tmp_path, f'albums = ["{album}"]\n')
    moved = wechat.redirect("/s/MovedToArchived", site.link(first).replace("&amp;", "&")
                            .removesuffix("#rd"))
    site.albums["3801"].append(site.serve([Art("2247470802", albums=("3801",), links=(moved,))])[0])
    crawl_accounts(wechat, tmp_path, f'albums = ["{album}"]\n')
    assert_fetched_once(wechat, first.mid, "/s/MovedToArchived")


def assert_fetched_once(wechat: MockWeChat, mid: str, redirect: str) -> None:
    """The article ``mid`` was fetched once, and the ``redirect`` to it was not followed."""
    fetched = [path for path, _ in wechat.hits("/s")]
    assert len([path for path in fetched if mid in path]) == 1, fetched
    assert fetched.count(redirect) == 1


def test_links_of_pages_archived_with_follow_links_none_are_followed_once_it_is_lifted(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """``FOLLOW_LINKS=none`` for a while (fewer requests), then the default: the pages
    archived meanwhile are not fetched again, and their links were never recorded."""
    site = Site(wechat)
    linked = site.serve([Art("2247471101", days_ago=3)])[0]
    entry = site.serve([Art("2247471100", token="Entry", days_ago=1,
                            links=(site.body_link(linked),))])[0]
    accounts = tmp_path / "accounts.toml"
    accounts.write_text(f'[[account]]\nname = "{NAME}"\nurls = ["{site.short(entry)}"]\n',
                        encoding="utf-8")
    for follow in ("none", "account"):
        result = crawl("accounts", tmp_path / "archive",
                       settings={"ACCOUNTS_FILE": str(accounts), "WECHAT_BASE_URL": wechat.base,
                                 "FOLLOW_LINKS": follow})
        assert result.returncode == 0, result.stderr
        assert (linked.mid in archived_mids(tmp_path)) is (follow != "none")


@pytest.mark.parametrize("short", [False, True], ids=["long", "short"])
def test_an_article_of_another_account_of_the_file_that_only_a_link_leads_to_is_archived(
        wechat: MockWeChat, tmp_path: Path, short: bool) -> None:
    """Two accounts of the accounts file; the first one's page links to an article of the
    second that nothing of the second leads to (no album, no link): the link was recorded as
    another account's (a short one once its page said so) and the article never fetched for
    its account, though both accounts are archived."""
    site = Site(wechat)
    theirs = Art("2247471201", biz=OTHER_BIZ, token="Theirs", days_ago=3)
    other_entry = Art("2247471200", biz=OTHER_BIZ, token="OtherEntry", days_ago=2)
    for art in (theirs, other_entry):
        site.article(art, nickname="别的号")
    entry = site.serve([Art("2247471210", token="Entry", days_ago=1,
                            links=(site.short(theirs) if short else site.body_link(theirs),))])[0]
    two_accounts_crawled_twice(wechat, tmp_path, site.short(entry), ("别的号", site.short(other_entry)))
    assert archived_mids(tmp_path) == {entry.mid, other_entry.mid, theirs.mid}


def two_accounts_crawled_twice(wechat: MockWeChat, tmp_path: Path, ours: str,
                               other: tuple[str, str]) -> None:
    """Two days of ``crawl accounts`` over our account (``ours``, a link) and ``other`` (its
    name and a link), each of which must succeed."""
    accounts = tmp_path / "accounts.toml"
    accounts.write_text(f'[[account]]\nname = "{NAME}"\nurls = ["{ours}"]\n'
                        f'[[account]]\nname = "{other[0]}"\nurls = ["{other[1]}"]\n', encoding="utf-8")
    for _ in range(2):
        result = crawl("accounts", tmp_path / "archive",
                       settings={"ACCOUNTS_FILE": str(accounts), "WECHAT_BASE_URL": wechat.base})
        assert result.returncode == 0, result.stderr


def test_the_original_another_account_of_the_file_reprints_is_archived(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """A city centre reprints its province's article (``copyright_stat`` 2): the page names
    the original only in ``cgiDataNew``'s ``copyright_info.reprint_url``
    (``../shared/fixtures/wechat/article_reprint_36kr_2025.html``). Nothing else led to the
    original: the province, in the accounts file too, never had it archived."""
    site = Site(wechat)
    original = Art("2247471301", biz=OTHER_BIZ, days_ago=3)
    province = Art("2247471300", biz=OTHER_BIZ, token="Province", days_ago=2)
    for art in (original, province):
        site.article(art, nickname="省反诈中心")
    reprint = Art("2247471310", token="Reprint", days_ago=1)
    site.article(reprint)
    escaped = site.link(original).replace("&amp;", r"\x26amp;").replace("==", "%3D%3D")
    page = site.page(reprint).replace("</script>", "window.cgiDataNew = { copyright_info: { "
                                      f"copyright_stat: '2' * 1, reprint_url: JsDecode('{escaped}') }} }};"
                                      "\n</script>", 1)
    site.pages[reprint.path] = Route(200, "text/html; charset=utf-8", page.encode())
    wechat.route(f"/s/{reprint.token}", site.pages[reprint.path])
    two_accounts_crawled_twice(wechat, tmp_path, site.short(reprint), ("省反诈中心", site.short(province)))
    assert archived_mids(tmp_path) == {reprint.mid, province.mid, original.mid}


@pytest.mark.parametrize("own", [True, False], ids=["own-audio", "another-s-audio"])
def test_the_album_of_an_audio_in_a_page_is_read(wechat: MockWeChat, tmp_path: Path, own: bool) -> None:
    """An audio series (音频合集) names its album only on the audio card in the body
    (``<mp-common-mpaudio data-topic_id=… author=…>``,
    ``../shared/fixtures/wechat/article_audio_mpvoice_jinbang_2025.html``); WeChat's script
    opens it as the album ``appmsgalbuminfo`` links, an ``appmsgalbum``. The series' other
    articles, in no other album and linked from nowhere, were never found. An audio of
    another account (its ``author`` another name) leads to its album no more than its
    links do."""
    site = Site(wechat)
    series = site.serve(numbered(2247471401, 3, days_ago=5))
    site.album("3340", series)
    entry = serve_audio_page(site, "3340", NAME if own else "别的号")
    crawl_accounts(wechat, tmp_path, f'urls = ["{site.short(entry)}"]\n')
    assert archived_mids(tmp_path) == {entry.mid} | ({a.mid for a in series} if own else set())
    assert bool(wechat.hits("/mp/appmsgalbum")) is own


def serve_audio_page(site: Site, album: str, author: str) -> Art:
    """A page whose body holds an audio of ``author``'s series ``album``, its card as
    ``../shared/fixtures/wechat/article_audio_mpvoice_jinbang_2025.html`` writes one."""
    entry = Art("2247471410", token="Audio", days_ago=1)
    site.article(entry)
    card = (f'<mp-common-mpaudio class="js_editor_audio" name="第4期" author="{author}" '
            f'play_length="66000" data-topic_id="{album}" data-topic_name="反诈音频"></mp-common-mpaudio>')
    page = site.page(entry).replace('<div class="rich_media_content" id="js_content">',
                                    f'<div class="rich_media_content" id="js_content"><section>{card}</section>')
    site.pages[entry.path] = Route(200, "text/html; charset=utf-8", page.encode())
    site.server.route(f"/s/{entry.token}", site.pages[entry.path])
    return entry


def crawl_a_page_linking(site: Site, album: str, root: Path) -> tuple[Art, Crawled]:
    """A run of the account whose one page links ``album`` without ``__biz``, as pages give
    such a link (``…/mp/appmsgalbum?action=getalbum&album_id=…#wechat_redirect``: poloxue's
    blog links its album so, a link copied from WeChat); the page, and what the run did."""
    link = f"{site.server.base}/mp/appmsgalbum?action=getalbum&amp;album_id={album}#wechat_redirect"
    entry = Art("2247471510", token="Entry", days_ago=1, links=(link,))
    site.article(entry)
    result = crawl("accounts", root / "archive", settings=accounts_file(
        site.server, root, f'urls = ["{site.short(entry)}"]\n'))
    assert result.returncode == 0, result.stderr
    return entry, result


@pytest.mark.parametrize("needs_biz", [False, True], ids=["answered-without-biz", "needs-biz"])
def test_an_album_linked_without_biz_in_a_page_is_read(wechat: MockWeChat, tmp_path: Path,
                                                        needs_biz: bool) -> None:
    """A body's link to the account's album without ``__biz`` was not followed: the album's
    articles, linked from nowhere else, were never found. Whether WeChat answers its first
    screen without ``__biz`` is not captured (soda92/biao-short-novels asked its later pages so,
    and its first screen's HTML), so both: asked without, then with the page's own ``__biz``."""
    site = Site(wechat, album_needs_biz=needs_biz)
    series = site.serve(numbered(2247471501, 3, days_ago=5))
    site.album("3350", series)
    entry, result = crawl_a_page_linking(site, "3350", tmp_path)
    assert archived_mids(tmp_path) == {entry.mid} | {a.mid for a in series}
    assert " WARNING: " not in result.stderr
    asked = [path for path, _ in wechat.hits("/mp/appmsgalbum")]
    assert ("__biz=&" in asked[0]) and (len(asked) == 1 + needs_biz)
    with sqlite3.connect(tmp_path / "archive" / ".state" / "index.sqlite") as db:
        assert db.execute("SELECT album_id, biz FROM albums").fetchall() == [("3350", BIZ)]


def test_an_album_linked_without_biz_that_is_another_account_s_is_not_archived_under_this_one(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """Refused without ``__biz``, asked with the page's account's, WeChat answering with
    another account's articles (the album id names another account's album): not this
    account's, none of them fetched for it, one line saying so (at INFO: a link to another
    account's article is no more), the album recorded as theirs."""
    site = Site(wechat, album_needs_biz=True)
    theirs = [Art(a.mid, biz=OTHER_BIZ) for a in numbered(2247471601, 2)]
    for art in theirs:
        site.article(art, nickname="别的号")
    site.album("3351", theirs)
    entry, result = crawl_a_page_linking(site, "3351", tmp_path)
    assert archived_mids(tmp_path) == {entry.mid}
    assert not [path for path, _ in wechat.hits("/s") if OTHER_BIZ in path]
    assert " WARNING: " not in result.stderr
    lines = [line for line in result.stderr.splitlines() if "another account's album" in line]
    assert len(lines) == 1 and "album:3351" in lines[0] and OTHER_BIZ in lines[0], result.stderr
    with sqlite3.connect(tmp_path / "archive" / ".state" / "index.sqlite") as db:
        assert db.execute("SELECT biz FROM albums WHERE album_id = '3351'").fetchall() == [(OTHER_BIZ,)]


def accounts_file(wechat: MockWeChat, root: Path, keys: str) -> dict[str, str]:
    """The settings of a run of ``scrapy crawl accounts`` over the one account ``NAME``."""
    accounts = root / "accounts.toml"
    accounts.write_text(f'[[account]]\nname = "{NAME}"\n{keys}', encoding="utf-8")
    return {"ACCOUNTS_FILE": str(accounts), "WECHAT_BASE_URL": wechat.base}


def test_an_album_linked_without_biz_refused_both_ways_is_one_line(wechat: MockWeChat,
                                                                  tmp_path: Path) -> None:
    """Refused without ``__biz`` and with the page's account's: one line naming both asks,
    the album's answer judged as any album's known from a page (an error of WeChat's own:
    deleted, no failed source)."""
    site = Site(wechat, album_needs_biz=True)
    site.album("3352", site.serve(numbered(2247471701, 2)), error=-1)
    _, result = crawl_a_page_linking(site, "3352", tmp_path)
    lines = [line for line in result.stderr.splitlines() if "could not be read" in line]
    assert len(lines) == 1 and "asked without __biz and with its page's account's" in lines[0], lines
    assert len(wechat.hits("/mp/appmsgalbum")) == 2


def test_an_audio_album_listing_audios_without_article_links_is_one_line(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """An audio series' album whose answer lists its audios with no article link (no capture
    shows an audio album's answer; ``test_the_album_of_an_audio_in_a_page_is_read`` runs the
    other guess, articles): nothing of it can be archived, said in one WARNING line naming
    what it lists, not a read in part, nor WeChat said to have ignored ``is_reverse``; the
    next run, the album as it was, that line at INFO."""
    site = Site(wechat, audio_albums={"3341"})
    site.album("3341", site.serve(numbered(2247471801, 3, days_ago=5)))
    entry = serve_audio_page(site, "3341", NAME)
    settings = accounts_file(wechat, tmp_path, f'urls = ["{site.short(entry)}"]\n')
    for level in ("WARNING", "INFO"):
        result = crawl("accounts", tmp_path / "archive", settings=settings)
        assert result.returncode == 0, result.stderr
        lines = [line for line in result.stderr.splitlines() if "Source album:3341" in line]
        assert len(lines) == 1 and f" {level}: " in lines[0] and "3 items" in lines[0] \
            and "no article link" in lines[0], result.stderr
    assert archived_mids(tmp_path) == {entry.mid}
    assert len(wechat.hits("/mp/appmsgalbum")) == 2  # one a run


def test_the_articles_an_account_homepage_lists_are_archived(wechat: MockWeChat, tmp_path: Path) -> None:
    """An account homepage (主页, ``…/mp/homepage?__biz=…&hid=…&sn=…``) a page links lists
    the account's articles by category; it was not read, and articles nothing else leads to
    were never found. Now the articles its HTML lists (its first tab's, ``tests/site.py``
    names the capture) are archived; another account's it lists are not fetched; those its
    script loads (the other tabs) are not known. The page linking it is not fetched again:
    the homepage is remembered, and a later run reads it again and finds what it added."""
    site = Site(wechat)
    listed = site.serve(numbered(2247471901, 3, days_ago=30))
    theirs = Art("2247471909", biz=OTHER_BIZ)
    site.article(theirs, nickname="别的号")
    scripted = site.serve(numbered(2247471911, 2, days_ago=40))
    home = site.homepage("1", [[*listed, theirs], scripted])
    entry = Art("2247471920", token="Entry", days_ago=1, links=(home,))
    site.article(entry)
    result = crawl("accounts", tmp_path / "archive", settings=accounts_file(
        wechat, tmp_path, f'urls = ["{site.short(entry)}"]\n'))
    assert result.returncode == 0, result.stderr
    assert archived_mids(tmp_path) == {entry.mid} | {a.mid for a in listed}
    assert not [path for path, _ in wechat.hits("/s") if OTHER_BIZ in path]
    assert len(wechat.hits("/mp/homepage")) == 1
    assert "this run 4 new (1 by URLs, 3 by homepages), no source failed" in result.stderr, result.stderr
    added = site.serve(numbered(2247471930, 1, days_ago=0))
    site.homepage("1", [[*added, *listed, theirs], scripted])
    crawl_accounts(wechat, tmp_path, f'urls = ["{site.short(entry)}"]\n')
    assert archived_mids(tmp_path) == {entry.mid} | {a.mid for a in listed + added}
    assert len(wechat.hits("/mp/homepage")) == 2


def test_a_homepage_linked_on_http_and_on_https_is_one_request(wechat: MockWeChat, tmp_path: Path) -> None:
    """One homepage linked on ``HTTPS:`` by one page and ``http:`` by another: each form was a
    homepage of its own, read once a form in a run (the ``https:``
    one failing on the page's host, served on ``http:``) and remembered twice, so read twice by
    every later run."""
    site = Site(wechat)
    listed = site.serve(numbered(2247471941, 2, days_ago=30))
    home = site.homepage("1", [listed])
    second = Art("2247471951", days_ago=2, links=(home.replace("http:", "HTTPS:", 1),))
    site.article(second)
    entry = Art("2247471950", token="Entry", days_ago=1, links=(home, site.body_link(second)))
    site.article(entry)
    result = crawl("accounts", tmp_path / "archive", settings=accounts_file(
        wechat, tmp_path, f'urls = ["{site.short(entry)}"]\n'))
    assert result.returncode == 0, result.stderr
    assert archived_mids(tmp_path) == {entry.mid, second.mid} | {a.mid for a in listed}
    assert len(wechat.hits("/mp/homepage")) == 1
    assert "no source failed" in result.stderr, result.stderr
    crawl_accounts(wechat, tmp_path, f'urls = ["{site.short(entry)}"]\n')
    assert len(wechat.hits("/mp/homepage")) == 2


def test_the_articles_a_homepage_lists_by_short_links_are_archived(wechat: MockWeChat,
                                                                  tmp_path: Path) -> None:
    """A homepage that lists its articles by short ``/s/<token>`` links (the 2018 capture
    lists long ones; nobody knows what a later one lists): those links name no account, and
    the homepage's articles were dropped, lost. A homepage lists its own account's articles:
    each is fetched, its page says whose it is; another account's is not archived, and not
    fetched again by the next run, which reads the homepage again."""
    site = Site(wechat)
    listed = [Art(a.mid, token=f"Home{a.mid}", days_ago=30) for a in numbered(2247471961, 2)]
    site.serve(listed)
    theirs = Art("2247471969", biz=OTHER_BIZ, token="Theirs")
    site.article(theirs, nickname="别的号")
    entry = Art("2247471970", token="Entry", days_ago=1, links=(site.homepage("1", [[*listed, theirs]]),))
    site.article(entry)
    keys = f'urls = ["{site.short(entry)}"]\n'
    crawl_accounts(wechat, tmp_path, keys)
    assert archived_mids(tmp_path) == {entry.mid} | {a.mid for a in listed}
    crawl_accounts(wechat, tmp_path, keys)
    assert len(wechat.hits("/mp/homepage")) == 2
    assert len(wechat.hits("/s/Theirs")) == 1
    assert [len(wechat.hits(f"/s/{a.token}")) for a in listed] == [1, 1]


def test_a_short_link_a_homepage_lists_to_a_deleted_page_is_asked_once(wechat: MockWeChat,
                                                                        tmp_path: Path) -> None:
    """A short link a homepage lists whose page is deleted names no article: it is settled
    under its own URL, as a body's is, not asked again by the next run's read of the homepage."""
    site = Site(wechat)
    wechat.route("/s/Gone", Route(200, "text/html; charset=utf-8", (PAGES / "deleted.html").read_bytes()))
    gone = Art("2247471979", token="Gone")
    entry = Art("2247471980", token="Entry", days_ago=1, links=(site.homepage("1", [[gone]]),))
    site.article(entry)
    for _ in range(2):
        crawl_accounts(wechat, tmp_path, f'urls = ["{site.short(entry)}"]\n')
    assert len(wechat.hits("/mp/homepage")) == 2
    assert len(wechat.hits("/s/Gone")) == 1


def old_link(site: Site, art: Art) -> str:
    """``art``'s link in the 2013-15 form (``/mp/appmsg/show?__biz=…&appmsgid=…&itemidx=…&sign=…``),
    as a page of then writes it; public code of those years holds many."""
    return (f"{site.server.base}/mp/appmsg/show?__biz={art.biz}&amp;appmsgid={art.mid}"
            f"&amp;itemidx={art.idx}&amp;sign=3f9befba95ade73c#wechat_redirect")


@pytest.mark.parametrize("answer", ["redirect", "served"])
def test_an_article_linked_in_the_2013_form_is_archived_once(
        wechat: MockWeChat, tmp_path: Path, answer: str) -> None:
    """A link of the 2013-15 form (``/mp/appmsg/show?…&appmsgid=…&itemidx=…``) was no article
    link, never a lead: an article only such a link leads to was lost. What WeChat answers it
    with today is not known: a redirect to the article's ``/s?`` link, or the article at that
    URL; both are tested. The article is archived once, under its canonical URL, and the
    next run asks nothing of the link: its ids say the article is archived."""
    site = Site(wechat)
    old = Art("10000031", days_ago=3000)
    site.article(old)
    if answer == "redirect":
        wechat.redirect("/mp/appmsg/show", f"{wechat.base}{old.path}")
    else:
        wechat.route("/mp/appmsg/show", site.pages[old.path])
    entry = Art("2247471940", token="Entry", days_ago=1, links=(old_link(site, old),))
    site.article(entry)
    keys = f'urls = ["{site.short(entry)}"]\n'
    crawl_accounts(wechat, tmp_path, keys)
    assert archived_mids(tmp_path) == {entry.mid, old.mid}
    with sqlite3.connect(tmp_path / "archive" / ".state" / "index.sqlite") as db:
        assert db.execute("SELECT url FROM articles WHERE key LIKE '%:10000031:1'").fetchall() \
            == [(f"https://mp.weixin.qq.com{old.path}",)]
    asked = len(wechat.hits("/mp/appmsg/show"))
    assert asked == 1
    crawl_accounts(wechat, tmp_path, keys)
    assert len(wechat.hits("/mp/appmsg/show")) == asked


def test_a_2013_link_wechat_answers_with_its_parameter_error_page_is_said_once(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """The other answer WeChat may give a link of the 2013-15 form: its parameter-error page.
    Such a link can never be fetched: said once, at WARNING (an article is not had), and
    remembered; the next run neither asks it again nor says it again."""
    site = Site(wechat)
    wechat.route("/mp/appmsg/show", Route(200, "text/html; charset=utf-8",
                                          (PAGES / "bad_params.html").read_bytes()))
    entry = Art("2247471950", token="Entry", days_ago=1, links=(old_link(site, Art("10000032")),))
    site.article(entry)
    settings = accounts_file(wechat, tmp_path, f'urls = ["{site.short(entry)}"]\n')
    said = []
    for _ in range(2):
        result = crawl("accounts", tmp_path / "archive", settings=settings)
        assert result.returncode == 0, result.stderr
        said.append([line for line in result.stderr.splitlines() if "appmsg/show" in line])
    assert len(said[0]) == 1 and " WARNING: " in said[0][0] and "parameter-error" in said[0][0], said
    assert said[1] == [], said
    assert len(wechat.hits("/mp/appmsg/show")) == 1


def test_a_2013_link_the_user_gave_answered_with_the_parameter_error_page_is_asked_every_run(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """A link of the 2013-15 form the accounts file gives, answered with the parameter-error
    page, is the user's to mend: said at every run, and asked again, never said to be
    "not asked again"."""
    site = Site(wechat)
    wechat.route("/mp/appmsg/show", Route(200, "text/html; charset=utf-8",
                                          (PAGES / "bad_params.html").read_bytes()))
    settings = accounts_file(wechat, tmp_path, f'urls = ["{old_link(site, Art("10000033"))}"]\n'
                             .replace("&amp;", "&"))
    for run in (1, 2):
        result = crawl("accounts", tmp_path / "archive", settings=settings)
        said = [line for line in result.stderr.splitlines() if "appmsg/show" in line and "Not archived" in line]
        assert len(said) == 1 and " WARNING: " in said[0] and "not asked again" not in said[0], result.stderr
        assert len(wechat.hits("/mp/appmsg/show")) == run


def test_another_account_s_album_linked_without_biz_whose_first_read_failed_is_theirs_next_run(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """An album a page links without ``__biz`` is recorded as the page's account's until its
    first page is read. Its first read failed (WeChat refusing for now), the next run read
    it as that account's own, by the account's ``__biz``, which WeChat answers all the same
    (the album id names the album): the other account's articles were fetched, one page each,
    at every run, and the album counted among the account's for ever. Now its members'
    account is its own, as when it is read at once: recorded as theirs, none fetched."""
    site = Site(wechat, album_needs_biz=True)
    theirs = [Art(a.mid, biz=OTHER_BIZ) for a in numbered(2247471651, 2)]
    for art in theirs:
        site.article(art, nickname="别的号")
    site.album("3353", theirs)
    site.album_errors["3353"] = 200013  # freq control: refused for now, not gone
    link = f"{site.server.base}/mp/appmsgalbum?action=getalbum&amp;album_id=3353#wechat_redirect"
    entry = Art("2247471660", token="Entry", days_ago=1, links=(link,))
    site.article(entry)
    settings = accounts_file(site.server, tmp_path, f'urls = ["{site.short(entry)}"]\n')
    crawl("accounts", tmp_path / "archive", settings=settings)
    del site.album_errors["3353"]
    result = crawl("accounts", tmp_path / "archive", settings=settings)
    assert result.returncode == 0, result.stderr
    assert not [path for path, _ in wechat.hits("/s") if OTHER_BIZ in path], result.stderr
    assert archived_mids(tmp_path) == {entry.mid}
    assert " WARNING: " not in result.stderr
    lines = [line for line in result.stderr.splitlines() if "another account's album" in line]
    assert len(lines) == 1 and "album:3353" in lines[0] and OTHER_BIZ in lines[0], result.stderr
    with sqlite3.connect(tmp_path / "archive" / ".state" / "index.sqlite") as db:
        assert db.execute("SELECT biz FROM albums WHERE album_id = '3353'").fetchall() == [(OTHER_BIZ,)]
    line = next(line for line in result.stderr.splitlines() if f"account {NAME}:" in line)
    assert " 0 albums known" in line, line

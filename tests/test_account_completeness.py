"""An account's archive grows from one link to all it publishes, on the stand-in of
``tests/site.py`` (its formats follow the real captures it names): articles taken out of
their albums, albums that fail or grow while read, items with a ``chksm`` of any shape,
chains of 往期推荐 links, and links to other accounts. Nothing is lost without a line, and
no line says a loss (or an article leaving its album) that did not happen."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from tests.conftest import PAGES, crawl
from tests.inprocess import Crawled
from tests.mockserver import MockWeChat, Route
from tests.site import OTHER_BIZ, Art, Site, numbered
from tests.test_completeness import account_crawl, archived, article_requests


def long_link(site: Site, art: Art) -> str:
    """``art``'s link as an accounts file gives it (a listing's, ``&`` unescaped)."""
    return site.link(art).replace("&amp;", "&")


def said_left(result: Crawled) -> list[str]:
    """The lines of ``result`` that say an article left its album."""
    return [line for line in result.stderr.splitlines() if " left album " in line or "left their album" in line
            or "left its album" in line]


@pytest.mark.parametrize("page", ["still names it", "stops naming it"])
@pytest.mark.parametrize("left", ["before the first run", "between runs"])
def test_an_article_taken_out_of_its_album_is_had_and_said_to_leave_once_at_most(
        wechat: MockWeChat, tmp_path: Path, page: str, left: str) -> None:
    """An owner takes an article out of an album (合集): the album's JSON no longer lists it.
    Whether its page then still names the album (``album_info_list``, as
    ``../shared/fixtures/wechat/article_normal_xuanyuan-code_2025.html`` names its own) is
    not known: no capture shows a page of an article taken out of its album, so both. The
    article is had (another article's 往期推荐 link leads to it), its leaving is said once,
    by the read that saw it go (never, when it had left before any run read the album), and
    neither a later read of the album to its end nor the watch fetching its page again
    makes it leave again or fetches it again."""
    site = Site(wechat)
    names = ("3360",) if page == "still names it" or left == "between runs" else ()
    [taken] = site.serve([Art("2247487601", albums=names, days_ago=3)])
    rest = site.serve(numbered(2247487602, 3, albums=("3360",), links=(site.body_link(taken),), days_ago=2))
    site.album("3360", ([taken] if left == "between runs" else []) + rest)
    lines = f'urls = ["{long_link(site, rest[0])}"]'
    runs = [account_crawl(wechat, tmp_path, lines)]
    assert archived(tmp_path / "archive") == {a.mid for a in [taken, *rest]}, runs[0].stderr
    site.albums["3360"] = rest
    if page == "stops naming it":
        site.article(replace(taken, albums=()))
    fetched = len(article_requests(wechat))
    runs.append(account_crawl(wechat, tmp_path, lines, ALBUM_RECHECK_DAYS="0"))  # read to its end
    assert article_requests(wechat, fetched) == [], runs[1].stderr
    with sqlite3.connect(tmp_path / "archive" / ".state" / "index.sqlite") as db:
        db.execute("UPDATE watch SET checked = checked - 30 * 86400")  # every original due
    watch = crawl("watch", tmp_path / "archive", settings={"WECHAT_BASE_URL": wechat.base})
    assert watch.returncode == 0, watch.stderr
    watched = len(article_requests(wechat))
    runs.append(account_crawl(wechat, tmp_path, lines, ALBUM_RECHECK_DAYS="0"))
    runs.append(account_crawl(wechat, tmp_path, lines, ALBUM_RECHECK_DAYS="0"))
    assert all(run.returncode == 0 and "WARNING" not in run.stderr for run in runs), runs
    assert len(article_requests(wechat)) == watched, runs[2].stderr  # nor do the runs after the watch
    said = [line for run in runs for line in said_left(run)]
    if left == "between runs":  # said by the second run, once
        assert len(said) == 2 and said == said_left(runs[1]), said
    else:
        assert said == [], said


# An album item's ``url`` as WeChat gives it (../shared/fixtures/wechat_album:
# ``http://…&sn=…&chksm=<hex>#rd``), and shapes of it no capture shows
_CHKSMS = {"none": "", "empty": "&chksm=", "not hex": "&chksm=%ZZ%3Cb%3E", "twice": "&chksm=&chksm=abc",
           "escaped": "&amp;chksm=abcdef", "very long": "&chksm=" + "a" * 3000,
           "longer than a request line": "&chksm=" + "a" * 70000}


@pytest.mark.parametrize("refused", [False, True], ids=["answered", "refused"])
@pytest.mark.parametrize("shape", list(_CHKSMS))
def test_album_items_whose_chksm_is_missing_or_malformed_lose_no_article_silently(
        wechat: MockWeChat, tmp_path: Path, shape: str, refused: bool) -> None:
    """An album whose JSON gives its items' links with ``chksm`` missing or malformed (no
    capture shows one so). WeChat answering such a link, each article is archived: one of
    3,000 characters was dropped by Scrapy's URLLENGTH_LIMIT, the album's line "3 listed",
    the run "nothing to do", no line naming them. One that cannot be asked (longer than an
    HTTP server reads) or that WeChat refuses without ``chksm`` (the verification page,
    ``Site.refuse_without_chksm``) is named at WARNING, and that line no longer says that
    no album lists it: one does, without ``chksm``."""
    site = Site(wechat, refuse_without_chksm=refused)
    arts = site.serve(numbered(2247487701, 3, albums=("3361",), days_ago=1))
    album = site.album("3361", arts)
    listing = site._album_json

    def reshaped(query: str) -> Route:
        answer = listing(query)
        return Route(answer.status, answer.content_type, answer.body.replace(
            b"&chksm=abcdef0123", _CHKSMS[shape].encode()))

    wechat.route("/mp/appmsgalbum", reshaped)
    result = account_crawl(wechat, tmp_path, f'albums = ["{album}"]')
    had = archived(tmp_path / "archive")
    lost = [a for a in arts if a.mid not in had]
    assert not lost or refused or shape == "longer than a request line", result.stderr
    warnings = [line for line in result.stderr.splitlines() if " WARNING: " in line]
    for art in lost:
        assert any(art.mid in line for line in warnings), (art.mid, result.stderr)
    assert not any("no album lists it" in line for line in warnings), warnings  # one does, without chksm


def chain(site: Site, first: int, depth: int, **fields: object) -> list[Art]:
    """``depth`` articles served, each linking the next by a 往期推荐 link as 2024-2026 pages
    write it (no ``chksm``: ``…/article_normal_ruanyifeng-weekly372_2025.html``); the
    first links the second."""
    arts: list[Art] = []
    for number in reversed(range(depth)):
        links = (site.body_link(arts[0]),) if arts else ()
        arts.insert(0, Art(str(first + number), links=links, **fields))  # type: ignore[arg-type]
    return site.serve(arts)


@pytest.mark.parametrize("refused", [False, True], ids=["answered", "refused"])
def test_an_account_reachable_only_through_a_chain_of_links_is_had_to_its_end_or_said(
        wechat: MockWeChat, tmp_path: Path, refused: bool) -> None:
    """An account with no album, its articles reachable only through 往期推荐 links eight
    deep from the one the accounts file gives. All eight are archived in the first run, each
    fetched once, and a second run fetches none. Should WeChat refuse links without
    ``chksm``, the first is had, the second is named at WARNING, and no run after asks it
    again before ``LINK_RETRY_DAYS``."""
    site = Site(wechat, refuse_without_chksm=refused)
    arts = chain(site, 2247487801, 8, days_ago=1)
    lines = f'urls = ["{long_link(site, arts[0])}"]'
    first = account_crawl(wechat, tmp_path, lines)
    assert first.returncode == 0, first.stderr
    had = archived(tmp_path / "archive")
    requests = article_requests(wechat)
    if refused:
        assert had == {arts[0].mid}, first.stderr
        [said] = [line for line in first.stderr.splitlines() if " WARNING: Not archived" in line]
        assert arts[1].mid in said and "no album gives a link of it with chksm" in said, said
        assert len(requests) == 2, requests
    else:
        assert had == {a.mid for a in arts}, first.stderr
        assert "WARNING" not in first.stderr, first.stderr
        assert len(requests) == len(set(requests)) == 8, requests
    second = account_crawl(wechat, tmp_path, lines)
    assert second.returncode == 0 and "WARNING" not in second.stderr, second.stderr
    assert article_requests(wechat, len(requests)) == [], second.stderr


@pytest.mark.parametrize("gone", ["HTTP 404", "ret error"])
def test_an_article_in_three_albums_one_of_them_gone_loses_no_member_of_the_others(
        wechat: MockWeChat, tmp_path: Path, gone: str) -> None:
    """An article in three albums (its page names all three, ``album_info_list``); the third
    answers HTTP 404 (no capture shows WeChat answer so) or an error ``ret`` (an album
    deleted, the shape of ``../shared/fixtures/wechat_album``'s ``base_resp``). Every member
    of the other two is archived; the third is said: a WARNING that it could not be read (an
    answer that is not an album's) or, deleted, one INFO line, its line ``GONE (known from a
    page)``, no failure."""
    site = Site(wechat)
    [entry] = site.serve([Art("2247487901", albums=("3371", "3372", "3373"), days_ago=1)])
    first = site.serve(numbered(2247487902, 3, albums=("3371",), days_ago=2))
    second = site.serve(numbered(2247487905, 25, albums=("3372",), days_ago=3))
    third = site.serve(numbered(2247487930, 2, albums=("3373",), days_ago=4))
    site.album("3371", [*first, entry])
    site.album("3372", [*second, entry])
    site.album("3373", [*third, entry], error=-6 if gone == "ret error" else 0)
    if gone == "HTTP 404":
        del site.albums["3373"]
    result = account_crawl(wechat, tmp_path, f'urls = ["{long_link(site, entry)}"]')
    assert archived(tmp_path / "archive") == {a.mid for a in [entry, *first, *second]}, result.stderr
    summary = result.stderr.split("Run summary")[1]
    lines = [line for line in result.stderr.splitlines() if "album:3373" in line]
    if gone == "HTTP 404":
        assert any(" WARNING: Source album:3373 could not be read" in line for line in lines), lines
        assert "album:3373: COULD NOT BE READ" in summary, summary
    else:
        assert "album:3373: GONE (known from a page)" in summary, summary
        assert "WARNING" not in result.stderr, result.stderr
    assert "album:3371: 4 listed, 3 new" in summary and "album:3372: 26 listed, 25 new" in summary, summary


@pytest.mark.parametrize("where", ["newest", "oldest"])
def test_an_album_that_grows_between_two_of_its_pages_loses_none(
        wechat: MockWeChat, tmp_path: Path, where: str) -> None:
    """An owner adds old articles to an album while a run reads it: three join it between its
    first and second page, in its newest positions (listed on its first page, already read)
    or its oldest (its last page); the pages' ``pos_num`` shift as in
    ``../shared/fixtures/wechat_album``'s history. Those on its last page are archived in
    that run; those before the cursor (``begin_msgid`` exclusive) by the next, which sees its
    first page changed; no line says a loss, and a third run fetches nothing."""
    site = Site(wechat)
    arts = site.serve(numbered(2247488001, 45, albums=("3374",), days_ago=2))
    album = site.album("3374", arts)
    joining = site.serve(numbered(2247488101, 3, albums=("3374",), days_ago=400))
    listing = site._album_json

    def growing(query: str) -> Route:
        if "begin_msgid" in query and len(site.albums["3374"]) == 45:
            site.albums["3374"] = [*arts, *joining] if where == "newest" else [*joining, *arts]
        return listing(query)

    wechat.route("/mp/appmsgalbum", growing)
    lines = f'albums = ["{album}"]'
    runs = [account_crawl(wechat, tmp_path, lines)]
    joined = {a.mid for a in joining} & archived(tmp_path / "archive")
    assert joined == (set() if where == "newest" else {a.mid for a in joining}), runs[0].stderr
    runs.append(account_crawl(wechat, tmp_path, lines))
    assert archived(tmp_path / "archive") == {a.mid for a in arts + joining}, runs[1].stderr
    fetched = len(article_requests(wechat))
    runs.append(account_crawl(wechat, tmp_path, lines))
    assert article_requests(wechat, fetched) == []
    assert all(run.returncode == 0 and "WARNING" not in run.stderr for run in runs), runs


@pytest.mark.parametrize("written", ["long", "short"])
def test_a_link_to_another_account_s_article_is_that_account_s_to_archive(
        wechat: MockWeChat, tmp_path: Path, written: str) -> None:
    """A 往期推荐 link on one account's page to another account's article (its ``__biz``
    another's, as ``…/article_normal_ruanyifeng-weekly372_2025.html`` links articles; or a
    short ``/s/<token>`` link, as ``…/article_normal_boyuanba-short_2025.html`` does). README:
    recorded and counted, not fetched for the first account (a short one fetched once to
    learn whose it is, not archived for it); an account of the accounts file follows the
    links to its own articles found on other accounts' pages, from its next run. Only that
    link leads to the second account's article: it is archived, for the second account, by
    the second run; a third run fetches nothing."""
    site = Site(wechat)
    theirs = Art("2247488201", biz=OTHER_BIZ, days_ago=2, token="TheirsOnly" if written == "short" else "")
    site.article(theirs, nickname="另一反诈中心")
    [their_entry] = [Art("2247488202", biz=OTHER_BIZ, days_ago=1)]
    site.article(their_entry, nickname="另一反诈中心")
    link = site.short(theirs) if written == "short" else site.body_link(theirs)
    [ours] = site.serve([Art("2247488203", days_ago=1, links=(link,))])
    accounts = tmp_path / "accounts.toml"
    accounts.write_text(f'[[account]]\nname = "测试反诈中心"\nurls = ["{long_link(site, ours)}"]\n'
                        f'[[account]]\nname = "另一反诈中心"\nurls = ["{long_link(site, their_entry)}"]\n',
                        encoding="utf-8")
    runs = []
    for _ in range(3):
        fetched = len(article_requests(wechat))
        runs.append(crawl("accounts", tmp_path / "archive", settings={
            "ACCOUNTS_FILE": str(accounts), "WECHAT_BASE_URL": wechat.base}))
        assert runs[-1].returncode == 0 and "WARNING" not in runs[-1].stderr, runs[-1].stderr
    assert article_requests(wechat, fetched) == [], runs[-1].stderr
    assert archived(tmp_path / "archive") == {ours.mid, their_entry.mid, theirs.mid}, runs[1].stderr
    with sqlite3.connect(tmp_path / "archive" / ".state" / "index.sqlite") as db:
        [(key,)] = db.execute("SELECT key FROM articles WHERE key LIKE ?", (f"%:{theirs.mid}:%",))
    assert key.startswith(OTHER_BIZ), key
    summary = runs[0].stderr.split("Run summary")[1]
    assert "account 测试反诈中心: 1 archived" in summary and "1 link to other accounts seen" in summary, summary



def test_an_incomplete_article_only_its_page_names_in_an_album_leaves_the_album_at_one_request(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """An article whose page names an album that does not list it (taken out of it, its page
    not updated: no capture shows which WeChat does), archived with a picture that failed for
    a reason that may pass (503): incomplete, not settled. An unchanged album costs one
    request, but one with a member not settled that no listing gave a link for is read to its
    end, for that link: this one's never comes, and its 45 members cost 3 requests at every
    run while the article stayed incomplete. Now 1; the album's own new member is had."""
    site = Site(wechat)
    [named] = site.serve([Art("2247488301", albums=("3375",), days_ago=3)])
    rest = site.serve(numbered(2247488302, 45, albums=("3375",), links=(site.body_link(named),), days_ago=2))
    site.album("3375", rest)
    wechat.route(site.picture(named), Route(503, "text/plain", b"busy"))
    lines = f'urls = ["{long_link(site, rest[0])}"]'
    account_crawl(wechat, tmp_path, lines)
    for _ in range(2):
        albums = len(wechat.hits("/mp/appmsgalbum"))
        result = account_crawl(wechat, tmp_path, lines)
        assert len(wechat.hits("/mp/appmsgalbum")) - albums == 1, result.stderr
    new = site.serve([Art("2247488401", albums=("3375",), days_ago=0)])
    site.albums["3375"] = rest + new
    result = account_crawl(wechat, tmp_path, lines)
    assert archived(tmp_path / "archive") == {a.mid for a in rest + new}, result.stderr  # named: incomplete


@pytest.mark.parametrize("left", ["before the first run", "between runs"])
def test_an_index_from_before_named_only_rows_says_no_article_leaves_that_did_not(
        wechat: MockWeChat, tmp_path: Path, left: str) -> None:
    """An index made before an album's rows told the articles its pages alone name from its
    members (e8f1793): a page naming an album recorded its article as a member, ``left_at``
    cleared, at every fetch of the page (``add_album_articles``: the one statement that
    changed). An article taken out of an album whose page still names it (no capture shows
    whether WeChat's does; ``album_info_list`` as in
    ``../shared/fixtures/wechat/article_normal_xuanyuan-code_2025.html``), its page fetched
    again by the watch, stood in such an index as a member, and the next read of the album
    to its end said "1 article left album …" again (or, taken out before any run, at all):
    now no read says it, the article is not fetched again, and its album's own member that
    does leave is said to, once."""
    site = Site(wechat)
    [taken] = site.serve([Art("2247488501", albums=("3376",), days_ago=3)])
    rest = site.serve(numbered(2247488502, 3, albums=("3376",), links=(site.body_link(taken),), days_ago=2))
    site.album("3376", ([taken] if left == "between runs" else []) + rest)
    lines = f'urls = ["{long_link(site, rest[0])}"]'
    runs = [account_crawl(wechat, tmp_path, lines)]
    site.albums["3376"] = rest
    runs.append(account_crawl(wechat, tmp_path, lines, ALBUM_RECHECK_DAYS="0"))
    with sqlite3.connect(tmp_path / "archive" / ".state" / "index.sqlite") as db:
        db.execute("UPDATE watch SET checked = checked - 30 * 86400")  # every original due
    watch = crawl("watch", tmp_path / "archive", settings={"WECHAT_BASE_URL": wechat.base})
    assert watch.returncode == 0, watch.stderr
    index = sqlite3.connect(tmp_path / "archive" / ".state" / "index.sqlite", isolation_level=None)
    with contextlib.closing(index):  # what the old code recorded of the page the watch fetched
        index.execute("UPDATE album_articles SET left_at = NULL WHERE album_id = '3376' AND key LIKE ?",
                      (f"%:{taken.mid}:%",))
        index.execute("PRAGMA user_version = 0")
    fetched = len(article_requests(wechat))
    later = [account_crawl(wechat, tmp_path, lines, ALBUM_RECHECK_DAYS="0") for _ in range(2)]
    assert [line for run in later for line in said_left(run)] == [], later[0].stderr
    assert article_requests(wechat, fetched) == [], later[0].stderr
    site.albums["3376"] = rest[1:]  # a member of the album's own leaves it: said, once
    last = [account_crawl(wechat, tmp_path, lines, ALBUM_RECHECK_DAYS="0") for _ in range(2)]
    assert len(said_left(last[0])) == 2 and said_left(last[1]) == [], last[0].stderr
    assert all(run.returncode == 0 and "WARNING" not in run.stderr for run in [*runs, *later, *last])
    assert archived(tmp_path / "archive") == {a.mid for a in [taken, *rest]}


@pytest.mark.parametrize("change", ["emptied", "renamed", "another account's"])
def test_an_album_that_changes_between_runs_loses_nothing_and_says_no_false_line(
        wechat: MockWeChat, tmp_path: Path, change: str) -> None:
    """An album known from its articles' pages (``album_info_list``) changes between two runs:
    its owner takes every member out (its first screen then counts "0" and lists none: the
    shape of the empty page past an end in soda92/biao-short-novels' ``scrape_2.py``, no
    capture shows an empty album's), renames it (its first screen's ``title``), or its id
    lists another account's articles (no capture shows one). The members archived stay, no
    WARNING, no line says an article leaves that did not; emptied, its five are said to leave
    once; none of the other account's is fetched; a third run costs one request at most."""
    site = Site(wechat)
    arts = site.serve(numbered(2247488601, 5, albums=("3377",), days_ago=2))
    site.album("3377", arts)
    lines = f'urls = ["{long_link(site, arts[0])}"]'
    runs = [account_crawl(wechat, tmp_path, lines)]
    listing = site._album_json
    if change == "emptied":
        site.albums["3377"] = []
    elif change == "renamed":
        wechat.route("/mp/appmsgalbum", lambda query: Route(200, "application/json", listing(query).body.replace(
            "合集3377".encode(), "新的名字".encode())))
    else:
        theirs = [Art(str(2247488701 + n), biz=OTHER_BIZ, days_ago=1) for n in range(3)]
        for art in theirs:
            site.article(art, nickname="另一反诈中心")
        site.albums["3377"] = theirs
    fetched, albums = len(article_requests(wechat)), len(wechat.hits("/mp/appmsgalbum"))
    runs.append(account_crawl(wechat, tmp_path, lines, ALBUM_RECHECK_DAYS="0"))
    assert article_requests(wechat, fetched) == [], runs[1].stderr
    said = [line for run in runs for line in said_left(run)]
    assert len(said) == (2 if change == "emptied" else 0), said
    second = len(wechat.hits("/mp/appmsgalbum")) - albums
    runs.append(account_crawl(wechat, tmp_path, lines))
    assert len(wechat.hits("/mp/appmsgalbum")) - albums - second <= 1, runs[2].stderr
    assert article_requests(wechat, fetched) == [], runs[2].stderr
    assert all(run.returncode == 0 and "WARNING" not in run.stderr for run in runs), runs
    assert archived(tmp_path / "archive") == {a.mid for a in arts}
    with sqlite3.connect(tmp_path / "archive" / ".state" / "index.sqlite") as db:
        [(title,)] = db.execute("SELECT title FROM albums WHERE album_id = '3377'")
    assert title == ("新的名字" if change == "renamed" else "合集3377"), title


def test_an_album_whose_cursor_member_is_deleted_between_two_of_its_pages_loses_none(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """The member a page ended on, the next page's ``begin_msgid``, is deleted (it leaves the
    album, positions shift: ``../shared/fixtures/wechat_album``'s history) between that page
    and the next. What WeChat answers a cursor it no longer knows is not captured: here an
    empty last page (``continue_flag`` "0", the shape of soda92/biao-short-novels'
    ``scrape_2.py`` "empty" answer). The read comes short of its count, is read again from
    the other end, and every member is archived in that run; no WARNING, and the run after
    says the deleted one left, once, and fetches nothing."""
    site = Site(wechat)
    arts = site.serve(numbered(2247488801, 45, albums=("3378",), days_ago=2))
    album = site.album("3378", arts)
    listing = site._album_json
    cursor = arts[-20]  # the last item of the first page, newest first

    def shrinking(query: str) -> Route:
        if f"begin_msgid={cursor.mid}" in query and "is_reverse" not in query:
            site.albums["3378"] = [a for a in arts if a is not cursor]
            return Route(200, "application/json", json.dumps({
                "base_resp": {"exportkey_token": "", "ret": 0},
                "getalbum_resp": {"base_info": {"is_first_screen": "0"}, "continue_flag": "0",
                                  "reverse_continue_flag": "1"}}).encode())
        return listing(query)

    wechat.route("/mp/appmsgalbum", shrinking)
    lines = f'albums = ["{album}"]'
    runs = [account_crawl(wechat, tmp_path, lines)]
    assert archived(tmp_path / "archive") == {a.mid for a in arts}, runs[0].stderr
    fetched = len(article_requests(wechat))
    runs.append(account_crawl(wechat, tmp_path, lines))
    assert article_requests(wechat, fetched) == [], runs[1].stderr
    assert len(said_left(runs[1])) == 2 and said_left(runs[0]) == [], runs[1].stderr
    assert all(run.returncode == 0 and "WARNING" not in run.stderr for run in runs), runs


def test_an_album_that_lists_another_accounts_articles_leaves_its_own_member_not_yet_had_asked(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """An album known from its articles' pages whose id, at a later run, lists another
    account's articles (no capture shows one: the brief's "an album that turns into another
    account's"); one of its own members was not had yet (its page answered 503 at the run
    that read it). The album is recorded as the other account's and not read for this one,
    and that member, which only the album gave, was asked no more and counted nowhere: lost
    without a line. It is asked by the link the album gave, as a deleted album's are, and
    followed as a page's link is by every run until had (known not archived meanwhile). The
    line said the album was "linked without __biz": it was known from a page."""
    site = Site(wechat)
    arts = site.serve(numbered(2247488901, 3, albums=("3379",), days_ago=2))
    site.album("3379", arts)
    page = site.pages[arts[2].path]
    site.pages[arts[2].path] = Route(503, "text/plain", b"busy")
    lines = f'urls = ["{long_link(site, arts[0])}"]'
    first = account_crawl(wechat, tmp_path, lines)
    assert archived(tmp_path / "archive") == {a.mid for a in arts[:2]}, first.stderr
    theirs = [Art(str(2247488951 + n), biz=OTHER_BIZ, days_ago=1) for n in range(3)]
    for art in theirs:
        site.article(art, nickname="另一反诈中心")
    site.albums["3379"] = theirs
    second = account_crawl(wechat, tmp_path, lines)  # its page still failing: known, not lost
    assert "account 测试反诈中心: 2 archived, 1 known not archived" in second.stderr, second.stderr
    assert "known from a page: recorded as theirs" in second.stderr, second.stderr
    site.pages[arts[2].path] = page
    third = account_crawl(wechat, tmp_path, lines)
    assert archived(tmp_path / "archive") == {a.mid for a in arts}, third.stderr
    assert third.returncode == 0 and "WARNING" not in third.stderr, third.stderr
    assert not any(art.path in path for art in theirs for path in article_requests(wechat)), third.stderr


@pytest.mark.parametrize("turned", ["oldest first", "newest first"])
def test_an_album_whose_owner_turns_its_order_between_runs_loses_none(
        wechat: MockWeChat, tmp_path: Path, turned: str) -> None:
    """An owner turns an album's order (正序/倒序) between runs, and adds an article: its
    first screen's ``is_reverse`` "0" (listing its oldest first, as the real album page
    ``../shared/fixtures/wechat/album_page_1_html.html`` states) or not, its positions
    renumbered. The new article is archived by that run, no member is said to leave, no
    WARNING, and the run after fetches nothing."""
    site = Site(wechat)
    arts = site.serve(numbered(2247489001, 45, albums=("3380",), days_ago=3))
    album = site.album("3380", arts)
    if turned == "newest first":
        site.ascending_albums.add("3380")
    lines = f'albums = ["{album}"]'
    runs = [account_crawl(wechat, tmp_path, lines)]
    site.ascending_albums ^= {"3380"}
    new = site.serve(numbered(2247489101, 1, albums=("3380",), days_ago=1))
    site.albums["3380"] = arts + new
    runs.append(account_crawl(wechat, tmp_path, lines))
    assert archived(tmp_path / "archive") == {a.mid for a in arts + new}, runs[1].stderr
    fetched = len(article_requests(wechat))
    runs.append(account_crawl(wechat, tmp_path, lines))
    assert article_requests(wechat, fetched) == [], runs[2].stderr
    assert [line for run in runs for line in said_left(run)] == []
    assert all(run.returncode == 0 and "WARNING" not in run.stderr for run in runs), runs


def test_the_upgrade_of_an_older_index_asks_no_page_of_a_member_gone_before_archived(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """An album keeps listing a member whose page WeChat answers deleted (no capture shows
    whether its albums drop one at once: ``../shared/fixtures/wechat_album`` shows deleted
    ones dropping out between reads), so its article is gone before archived, settled. The
    upgrade of an index made before its rows told a page's word from a listing's (``user_version``
    0 to 1) took every row as named only, this member's too, which no page can have named (its
    page was never an article): the album's next read took it as listed anew, "likely
    restored", and asked its page again, a request more. Now a row of an article the archive
    holds no post of stays a member: the run after the upgrade asks no article page, and
    says no article left."""
    site = Site(wechat)
    arts = site.serve(numbered(2247488801, 3, albums=("3378",), days_ago=2))
    site.pages[arts[1].path] = Route(200, "text/html; charset=utf-8", (PAGES / "deleted.html").read_bytes())
    site.album("3378", arts)
    lines = f'urls = ["{long_link(site, arts[0])}"]'
    runs = [account_crawl(wechat, tmp_path, lines)]
    fetched = len(article_requests(wechat))
    runs.append(account_crawl(wechat, tmp_path, lines))
    assert article_requests(wechat, fetched) == [], runs[1].stderr
    index = sqlite3.connect(tmp_path / "archive" / ".state" / "index.sqlite", isolation_level=None)
    with contextlib.closing(index):
        index.execute("PRAGMA user_version = 0")
    runs += [account_crawl(wechat, tmp_path, lines, ALBUM_RECHECK_DAYS=days) for days in ("7", "0")]
    assert article_requests(wechat, fetched) == [], runs[2].stderr
    assert archived(tmp_path / "archive") == {arts[0].mid, arts[2].mid}
    assert [line for run in runs for line in said_left(run)] == []
    assert "is deleted by its publisher" in runs[0].stderr  # the one loss, said once
    assert all(run.returncode == 0 and "WARNING" not in run.stderr for run in runs[1:]), runs[2].stderr


def test_an_account_in_no_album_is_had_whole_from_links_in_every_form_each_page_asked_once(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """An account none of whose articles is in an album is found by its pages' links alone
    (往期推荐), written every way a page writes them: a page linking itself, a link without
    ``chksm`` (2024-2026 bodies, ``../shared/fixtures/wechat/article_normal_ruanyifeng-weekly372_2025.html``)
    and one with it (2016-2022), its ``&`` escaped twice (``&amp;amp;``, as the links of
    ``article_normal_xiaoshuoshiyi-longtext_2026.html``'s ``jumpInfo`` are), a short link
    ``/s/<token>`` to one whose page states it and back to the first. Every article is had,
    each page asked once (the short link given once, as the accounts file's), no WARNING,
    and the next run asks no article page and says none known not archived."""
    site = Site(wechat)
    first, second, third = (Art("2247488901", token="FirstTok01", days_ago=1), Art("2247488902", days_ago=1),
                            Art("2247488903", token="ThirdTok03", days_ago=1))
    twice = site.body_link(second).replace("&amp;", "&amp;amp;")
    site.serve([replace(first, links=(site.body_link(first), twice, site.link(second), site.short(third))),
                second, replace(third, links=(site.short(first), site.body_link(second)))])
    lines = f'urls = ["{site.short(first)}"]'
    runs = [account_crawl(wechat, tmp_path, lines)]
    assert archived(tmp_path / "archive") == {first.mid, second.mid, third.mid}, runs[0].stderr
    asked = article_requests(wechat)
    assert sorted(asked) == sorted(set(asked)) and len(asked) == 3, asked
    runs.append(account_crawl(wechat, tmp_path, lines))
    assert article_requests(wechat, len(asked)) == [], runs[1].stderr
    assert "3 archived, 0 albums known" in runs[1].stderr and "known not archived" not in runs[1].stderr
    assert all(run.returncode == 0 and "WARNING" not in run.stderr for run in runs), runs[0].stderr


def test_two_accounts_naming_one_album_read_it_once_a_run_and_say_it_once(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """Two accounts of the accounts file name one album: the first's pages as theirs
    (``album_info_list``), the second's page by a link in its body to it (a lead, as
    ``tests/pages/leads_2021.html``'s). The album is read once a run (one page), its members
    archived as the first account's, each page asked once; the second account's line counts
    no album of the first's; the next run asks the album's first screen once and no article
    page; no WARNING, no line says an article left."""
    site = Site(wechat)
    ours = site.serve(numbered(2247489001, 3, albums=("3379",), days_ago=1))
    site.album("3379", ours)
    link = f"{wechat.base}/mp/appmsgalbum?__biz={ours[0].biz}&amp;action=getalbum&amp;album_id=3379#wechat_redirect"
    theirs = Art("2247489101", biz=OTHER_BIZ, days_ago=1, links=(link, site.body_link(ours[1])))
    site.article(theirs, nickname="另一反诈中心")
    accounts = tmp_path / "accounts.toml"
    accounts.write_text(f'[[account]]\nname = "另一反诈中心"\nurls = ["{long_link(site, theirs)}"]\n\n'
                        f'[[account]]\nname = "测试反诈中心"\nurls = ["{long_link(site, ours[0])}"]\n',
                        encoding="utf-8")
    settings = {"ACCOUNTS_FILE": str(accounts), "WECHAT_BASE_URL": wechat.base}
    runs = [crawl("accounts", tmp_path / "archive", settings=settings)]
    assert archived(tmp_path / "archive") == {a.mid for a in [*ours, theirs]}, runs[0].stderr
    asked = article_requests(wechat)
    assert len(asked) == len(set(asked)) == 4, asked
    assert len(wechat.hits("/mp/appmsgalbum")) == 1, runs[0].stderr
    summary = runs[0].stderr.split("Run summary")[1]
    assert "account 测试反诈中心: 3 archived, 1 album known" in summary, summary
    assert "account 另一反诈中心: 1 archived, 0 albums known" in summary, summary
    runs.append(crawl("accounts", tmp_path / "archive", settings=settings))
    assert article_requests(wechat, len(asked)) == [], runs[1].stderr
    assert len(wechat.hits("/mp/appmsgalbum")) == 2, runs[1].stderr
    assert [line for run in runs for line in said_left(run)] == []
    assert all(run.returncode == 0 and "WARNING" not in run.stderr for run in runs), runs[0].stderr

"""The guide's promises about requests and memory, counted over real crawls against the
stand-in: no URL asked twice in a run but the bounded retries of a failure; a later run asks
only what it must to learn what is new; an article's images fetched together, at most
``IMAGE_CONCURRENCY`` at once; no whole-archive scan per article; nothing a crawl holds
growing with its articles.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import re
import sqlite3
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sized
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from scrapy.crawler import Crawler

from crawler.store import index as index_module
from tests import inprocess
from tests.conftest import crawl, crawl_cli, serve_legacy_shape
from tests.inprocess import Crawled
from tests.mockserver import Gate, MockWeChat, Route, png
from tests.site import BIZ, Art, Site, numbered

NAME = "测试反诈中心"
BIZ_QUOTED = quote(BIZ, safe="")


def identity(path: str) -> str:
    """An article page's path without what listings and chats add to its link."""
    return re.sub(r"&(chksm|scene)=[^&]*", "", path)


class Account:
    """An account whose articles reach each other every way a run may meet one twice: two
    albums sharing members, 往期推荐 links to album members and to an article in no album
    (from three pages), a short link that redirects to a long one, a reprint of one of its
    own articles, a picture shown by several articles and one shown twice by one, a picture
    that is gone and one that fails for a while."""

    def __init__(self, server: MockWeChat):
        self.server = server
        self.site = site = Site(server)
        self.linked = Art("2247490020", days_ago=9)
        self.moved = Art("2247490021", days_ago=9)
        server.redirect("/s/MovedToken", server.base + self.moved.path)
        to_linked = site.body_link(self.linked)
        arts = [Art(f"224749000{n}", albums=("4101",) if n < 3 else ("4101", "4102") if n < 5
                    else ("4102",), days_ago=20 - n, links=(to_linked,) if n in (1, 5) else ())
                for n in range(1, 7)]
        arts[1] = Art(arts[1].mid, albums=arts[1].albums, days_ago=18,
                      links=(site.body_link(arts[4]), to_linked))
        self.entry = Art("2247490010", albums=("4101",), token="RepeatEntry", days_ago=1,
                         links=(to_linked, site.body_link(arts[0]), f"{server.base}/s/MovedToken"))
        self.arts = arts
        site.album("4101", arts[:4] + [self.entry])
        site.album("4102", arts[2:])
        for art in [*arts, self.entry, self.linked, self.moved]:
            site.article(art)
        self.edit(arts[1], lambda page: page.replace(  # its own picture twice, and a1's
            "<ul>", f'<p><img data-src="{server.base}/mmbiz_png/Img{arts[1].mid}x1/640?wx_fmt=png">'
                    f'<img data-src="{server.base}/mmbiz_png/Img{arts[0].mid}x1/640?wx_fmt=png"></p><ul>'))
        escaped = site.link(arts[0]).replace("&amp;", r"\x26amp;").replace("==", "%3D%3D")
        self.edit(arts[5], lambda page: page.replace(
            "</script>", "window.cgiDataNew = { copyright_info: { copyright_stat: '2' * 1, "
                         f"reprint_url: JsDecode('{escaped}') }} }};\n</script>", 1))
        server.image(f"/mmbiz_png/Img{arts[3].mid}x1/640", b"busy", status=503)
        server.image(f"/mmbiz_png/Img{arts[4].mid}x1/640", b"gone", status=404)
        self.own = [*arts, self.entry, self.linked, self.moved]

    def edit(self, art: Art, edit: Callable[[str], str]) -> None:
        """What ``art``'s page answers from now: its page as served, edited."""
        page = edit(self.site.page(art))
        self.site.pages[art.path] = Route(200, "text/html; charset=utf-8", page.encode())

    def run(self, root: Path, **settings: str) -> Crawled:
        accounts = root / "accounts.toml"
        accounts.write_text(f'[[account]]\nname = "{NAME}"\n'
                            f'urls = ["{self.site.short(self.entry)}"]\n', encoding="utf-8")
        result = crawl("accounts", root / "archive",
                       settings={"ACCOUNTS_FILE": str(accounts), "WECHAT_BASE_URL": self.server.base,
                                 "RETRY_TIMES": "2", **settings})
        assert result.returncode == 0, result.stderr
        return result

    def asked(self, since: int = 0) -> list[str]:
        return [identity(path) for path, _ in self.server.requests[since:]]


def states(root: Path) -> dict[str, str]:
    """Each article's state in the index, by its mid."""
    with sqlite3.connect(root / "archive" / ".state" / "index.sqlite") as db:
        return {key.split(":")[1]: state for key, state in db.execute("SELECT key, state FROM articles")}


def test_no_url_is_asked_twice_in_a_run_and_later_runs_ask_only_what_is_new(
        wechat: MockWeChat, tmp_path: Path) -> None:
    account = Account(wechat)
    result = account.run(tmp_path)
    asked = account.asked()
    failing = f"/mmbiz_png/Img{account.arts[3].mid}x1/640?wx_fmt=png"
    assert {path: n for path, n in Counter(asked).items() if n > 1} == {failing: 3}  # RETRY_TIMES 2
    assert result.stats["retry/count"] == 2
    assert states(tmp_path).keys() == {art.mid for art in account.own}

    # Nothing new: the albums' first screens, and the article whose picture failed for a
    # reason that may pass (its page, then that picture, with its retries); nothing stored.
    first = len(asked)
    account.run(tmp_path)
    albums = [f"/mp/appmsgalbum?action=getalbum&__biz={BIZ_QUOTED}&album_id={album}&count=20&f=json"
              for album in ("4101", "4102")]
    assert sorted(account.asked(first)) == sorted([*albums, account.arts[3].path, *[failing] * 3])

    # The failing picture is back; one article added to the newest album, one edited (the
    # watch's to see, when it is due: nothing a listing shows).
    wechat.image(f"/mmbiz_png/Img{account.arts[3].mid}x1/640", png((4, 4, 4)))
    account.edit(account.arts[2], lambda page: page.replace("警方提示", "警方再次提示"))
    new = Art("2247490030", albums=("4102",), days_ago=0)
    account.site.albums["4102"].append(new)
    account.site.article(new)
    second = len(account.server.requests)
    account.run(tmp_path)
    assert sorted(account.asked(second)) == sorted([
        *albums, account.arts[3].path, failing, new.path, f"/mmbiz_png/Img{new.mid}x1/640?wx_fmt=png"])
    assert set(states(tmp_path).values()) == {"archived"}


def test_re_archiving_an_article_asks_its_page_once_and_only_the_pictures_that_failed(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """``crawl article`` of archived articles: one showing three stored pictures (one of them
    twice, one another article's), one whose picture failed for a reason that may pass."""
    account = Account(wechat)
    account.run(tmp_path)
    showing_stored, with_failure = account.arts[1], account.arts[3]
    failed = [f"/mmbiz_png/Img{with_failure.mid}x1/640?wx_fmt=png"]
    for art, pictures in ((showing_stored, []), (with_failure, failed)):
        before = len(wechat.requests)
        link = account.site.link(art).replace("&amp;", "&")
        result = crawl("article", tmp_path / "archive", "-a", f"url={link}")
        assert result.returncode == 0, result.stderr
        assert account.asked(before) == [art.path, *pictures]


class SlowPictures:
    """Image routes that answer after ``delay`` seconds, noting how many were being answered
    at once at most."""

    def __init__(self, delay: float):
        self.delay = delay
        self.now = self.most = 0
        self._lock = threading.Lock()

    def __call__(self, query: str) -> Route:
        with self._lock:
            self.now += 1
            self.most = max(self.most, self.now)
        time.sleep(self.delay)
        with self._lock:
            self.now -= 1
        return Route(200, "image/png", png((7, 7, 7)))


@pytest.mark.parametrize("concurrency, together", [(None, 8), ("2", 2)])
def test_an_articles_pictures_are_fetched_together_at_wechats_polite_pace(
        wechat: MockWeChat, tmp_path: Path, concurrency: str | None, together: int) -> None:
    """With the project's politeness (``DOWNLOAD_DELAY`` 3 s, AutoThrottle), which holds
    article pages one at a time, an article's 12 pictures are asked ``IMAGE_CONCURRENCY``
    (8) at a time: the stand-in answers each after 0.3 s and counts how many it is
    answering together. Scrapy hands a slot without delay its whole queue at once: the 12
    went out together (up to ``CONCURRENT_REQUESTS``) whatever ``IMAGE_CONCURRENCY`` said."""
    site = Site(wechat)
    art = Art("2247490040")
    slow = SlowPictures(0.3)
    pictures = "".join(f'<img data-src="{wechat.base}/mmbiz_png/Slow{n}/640?wx_fmt=png">' for n in range(10))
    site.article(art)
    site.pages[art.path] = Route(200, "text/html; charset=utf-8",
                                 site.page(art).replace("<ul>", f"<p>{pictures}</p><ul>").encode())
    for path in [f"/mmbiz_png/Slow{n}/640" for n in range(10)] + [f"/mmbiz_png/Img{art.mid}x1/640",
                                                                   "/mmbiz_png/SharedFooter/640"]:
        wechat.image(path, slow)
    settings = {"DOWNLOAD_DELAY": "3", "AUTOTHROTTLE_ENABLED": "True",
                **({"IMAGE_CONCURRENCY": concurrency} if concurrency else {})}
    result = crawl("article", tmp_path, "-a", f"url={site.link(art).replace('&amp;', '&')}", settings=settings)
    assert result.returncode == 0, result.stderr
    assert len(wechat.hits("/mmbiz")) == 12
    assert slow.most == together


def test_a_picture_that_fails_times_out_or_moves_gives_its_turn_back(wechat: MockWeChat,
                                                                     tmp_path: Path) -> None:
    """One picture at a time (``IMAGE_CONCURRENCY`` 1): a picture answered 503 and asked
    again, one that moves, one that times out, one gone each end their turn, and the
    pictures after them are asked; a turn kept would leave them waiting for ever."""
    site = Site(wechat)
    art = Art("2247490041")
    names = ["Busy", "Moved", "Late", "Gone", "After1", "After2", "After3"]
    pictures = "".join(f'<img data-src="{wechat.base}/mmbiz_png/{name}/640?wx_fmt=png">' for name in names)
    site.article(art)
    site.pages[art.path] = Route(200, "text/html; charset=utf-8",
                                 site.page(art).replace("<ul>", f"<p>{pictures}</p><ul>").encode())
    wechat.image("/mmbiz_png/Busy/640", b"busy", status=503)
    wechat.redirect("/mmbiz_png/Moved/640", f"{wechat.base}/mmbiz_png/Target/640?wx_fmt=png")
    wechat.image("/mmbiz_png/Late/640", lambda query: (time.sleep(3), Route(200, "image/png", png((1, 1, 1))))[1])
    wechat.image("/mmbiz_png/Gone/640", b"gone", status=404)
    for name in ("Target", "After1", "After2", "After3"):
        wechat.image(f"/mmbiz_png/{name}/640", png((2, 2, 2)))
    result = crawl_cli("article", tmp_path, "-a", f"url={site.link(art).replace('&amp;', '&')}", settings={
        # Long enough for the article page on a loaded machine: at 0.5 s it could time out too.
        "IMAGE_CONCURRENCY": "1", "RETRY_TIMES": "1", "DOWNLOAD_TIMEOUT": "2"})
    assert result.returncode == 0, result.stderr
    asked = [path for path, _ in wechat.hits("/mmbiz_png/")]
    for name in [*names, "Target"]:
        assert any(f"/{name}/" in path for path in asked), (name, asked)
    assert sum("/Busy/" in path for path in asked) == 2  # asked again once


class FileSystemCalls:
    """Counts the calls that list a folder (``os.scandir``, ``os.listdir``: under every
    ``glob``, ``rglob``, ``iterdir`` and ``os.walk``), the entries they give, and ``os.stat``."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch):
        self.listings: Counter[str] = Counter()
        self.entries = 0
        self.stats = 0
        scandir, listdir, stat = os.scandir, os.listdir, os.stat

        def counted_scandir(path: Any = ".") -> Any:
            self.listings[str(path)] += 1
            return Entries(scandir(path), self)

        def counted_listdir(path: Any = ".") -> list[str]:
            self.listings[str(path)] += 1
            names = listdir(path)
            self.entries += len(names)
            return names

        def counted_stat(path: Any, *args: Any, **kwargs: Any) -> os.stat_result:
            self.stats += 1
            return stat(path, *args, **kwargs)

        monkeypatch.setattr(os, "scandir", counted_scandir)
        monkeypatch.setattr(os, "listdir", counted_listdir)
        monkeypatch.setattr(os, "stat", counted_stat)


class Entries:
    """What ``os.scandir`` gives, each entry counted."""

    def __init__(self, entries: Any, calls: FileSystemCalls):
        self._entries = entries
        self._calls = calls

    def __iter__(self) -> Iterator[os.DirEntry[str]]:
        for entry in self._entries:
            self._calls.entries += 1
            yield entry

    def __enter__(self) -> Entries:
        return self

    def __exit__(self, *exception: object) -> None:
        self._entries.close()

    def close(self) -> None:
        self._entries.close()


def asker() -> str:
    """The module outside ``crawler/store/`` nearest the caller on its stack, as a path from
    ``crawler/`` ("" when none is)."""
    frame = sys._getframe(2)
    while frame is not None:
        path = frame.f_code.co_filename.replace(os.sep, "/")
        if "/crawler/" in path and "/crawler/store/" not in path:
            return path.rpartition("/crawler/")[2]
        frame = frame.f_back  # type: ignore[assignment]
    return ""


class IndexStatements:
    """Counts the statements the index runs (each text with the parameters it last had), and
    the writes among them run outside a transaction: each its own commit to the WAL."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch):
        self.runs: Counter[str] = Counter()
        self.parameters: dict[str, Any] = {}
        self.committed_alone: Counter[str] = Counter()
        # by the project's module nearest the statement on its stack (crawler/store/ left out)
        self.asked_by: Counter[tuple[str, str]] = Counter()
        execute = index_module._Connection.execute

        def counted(connection: sqlite3.Connection, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
            self.runs[sql] += 1
            self.asked_by[asker(), sql] += 1
            self.parameters[sql] = parameters
            if not connection.in_transaction and sql.split()[0].upper() in ("INSERT", "UPDATE", "DELETE"):
                self.committed_alone[sql] += 1
            return execute(connection, sql, parameters)  # type: ignore[arg-type]

        monkeypatch.setattr(index_module._Connection, "execute", counted)
        # rows written by one executemany outside a transaction: each row its own commit
        self.rows_committed_alone: Counter[str] = Counter()
        executemany = index_module._Connection.executemany

        def rows(connection: sqlite3.Connection, sql: str, parameters: Any, /) -> sqlite3.Cursor:
            parameters = list(parameters)
            if not connection.in_transaction and len(parameters) > 1:
                self.rows_committed_alone[sql] += len(parameters)
            return executemany(connection, sql, parameters)  # type: ignore[arg-type]

        monkeypatch.setattr(index_module._Connection, "executemany", rows)

    def scanning(self, index: Path) -> dict[str, int]:
        """The statements run more than once whose plan reads a whole table: how often."""
        with sqlite3.connect(index) as db:
            return {sql: runs for sql, runs in self.runs.items() if runs > 1 and any(
                "SCAN" in step for *_, step in db.execute(f"EXPLAIN QUERY PLAN {sql}",
                                                          self.parameters[sql]))}


def test_archiving_an_article_costs_the_same_listings_and_stats_beside_50_posts_as_beside_500(
        wechat: MockWeChat, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No whole-archive scan per item: archiving one article (``crawl article``), or three
    (``crawl album``), lists the same folders as often and looks up (``stat``) as many files
    in an archive of 50 posts as in one of 500, and no statement the index runs more than
    once a run reads a whole table. What the listings give grows with the archive (a run
    lists ``_posts/`` and ``postimg/`` for what a killed run left, and the folders of
    ``_posts/``), not what is done per article. Each new post's name was looked for among
    the posts in folders of ``_posts/`` by listing every post and looking each up: 534
    ``stat`` calls for one article beside 500 posts, 80 beside 50."""
    site = Site(wechat)

    def measured(spider: str, *args: str) -> tuple[list[int], int]:
        with monkeypatch.context() as patch:
            calls, statements = FileSystemCalls(patch), IndexStatements(patch)
            result = crawl(spider, tmp_path, *args)
        assert result.returncode == 0, result.stderr
        assert statements.scanning(tmp_path / ".state" / "index.sqlite") == {}
        return sorted(calls.listings.values()), calls.stats

    costs = []
    for first, size in ((2247500001, 50), (2247510001, 450)):
        arts = site.serve(numbered(first, size, albums=(f"{first}",)))
        result = crawl("album", tmp_path, "-a", f"url={site.album(f'{first}', arts)}",
                       settings={"ARTICLE_PAGES_IN_FLIGHT": "8"})
        assert result.returncode == 0, result.stderr
        one = Art(f"{first + 9000}")
        three = site.serve(numbered(first + 9001, 3, albums=(f"{first + 9001}",)))
        site.article(one)
        costs.append((measured("article", "-a", f"url={site.link(one).replace('&amp;', '&')}"),
                      measured("album", "-a", f"url={site.album(f'{first + 9001}', three)}")))
    (article50, album50), (article500, album500) = costs
    assert article50 == article500 and album50[0] == album500[0]
    # Each article's shared footer picture is looked up in postimg/ (one stat) unless it is
    # asked while an earlier article's request for it is still under way: in a crawl of
    # three articles, one to three look-ups by the timing of the downloads, not the archive
    assert abs(album50[1] - album500[1]) <= len(three) - 1, costs


def test_an_articles_pictures_are_recorded_in_the_index_in_one_commit(
        wechat: MockWeChat, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The records of an article's new pictures (their bytes' file, their URL, no failure)
    are one commit to the index, not three a picture: each commit writes to the WAL, and the
    reactor waited on it (1,600 pictures: 0.2 s of its thread, 80 ms of CPU)."""
    legacy = serve_legacy_shape(wechat)
    statements = IndexStatements(monkeypatch)
    result = crawl("article", tmp_path, "-a", f"url={legacy.url}")
    assert result.returncode == 0, result.stderr
    pictures = ("images", "blobs", "image_failures")
    written = [sql for sql in statements.runs if sql.split()[0].upper() in ("INSERT", "DELETE")
               and any(f" {table} " in f"{sql} " for table in pictures)]
    assert written and not {sql: n for sql, n in statements.committed_alone.items() if sql in written}
    with sqlite3.connect(tmp_path / ".state" / "index.sqlite") as db:  # all six recorded
        assert db.execute("SELECT count(*) FROM images").fetchone() == (6,)


def test_the_pictures_pipeline_asks_the_index_of_an_article_once(
        wechat: MockWeChat, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Before an article's pictures are asked for, the pictures' pipeline reads the index's
    row of the article once (its post's path and its state together): new, incomplete (a
    picture failing with 503 left on the CDN, asked again) and complete. It asked the path,
    then the state, then the state again (whether the page is the one last fetched): 2
    statements a new article, 3 an archived one. What the runs archive is what they did."""
    site = Site(wechat)
    [art] = site.serve(numbered(2247570001, 1))
    picture = f"/mmbiz_png/Img{art.mid}x1/640"
    wechat.image(picture, b"busy", status=503)
    url = site.link(art).replace("&amp;", "&")
    asked, states = [], []
    for _ in range(3):
        with monkeypatch.context() as patch:
            statements = IndexStatements(patch)
            result = crawl("article", tmp_path, "-a", f"url={url}")
        assert result.returncode == 0, result.stderr
        asked.append(sum(n for (by, sql), n in statements.asked_by.items()
                         if by == "pipelines/images.py" and " articles " in f"{sql} "))
        with sqlite3.connect(tmp_path / ".state" / "index.sqlite") as db:
            states.append(db.execute("SELECT state FROM articles").fetchall())
        site.picture(art)  # answered from the second run on
    assert states == [[("incomplete",)], [("archived",)], [("archived",)]]
    [post] = (tmp_path / "_posts").glob("*.md")
    assert f"/postimg/Img{art.mid}x1.png" in post.read_text(encoding="utf-8")
    assert asked == [1, 1, 1]


def test_an_articles_link_is_recorded_with_its_post(
        wechat: MockWeChat, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The link an article page was fetched by is recorded in the transaction that records
    its post: it was a commit of its own after it, one more write to the WAL an article
    that the reactor waited on. Each link is recorded all the same."""
    site = Site(wechat)
    arts = site.serve(numbered(2247580001, 3, albums=("5801",)))
    statements = IndexStatements(monkeypatch)
    result = crawl("album", tmp_path, "-a", f"url={site.album('5801', arts)}")
    assert result.returncode == 0, result.stderr
    assert not {sql: n for sql, n in statements.committed_alone.items() if " links " in f"{sql} "}
    with sqlite3.connect(tmp_path / ".state" / "index.sqlite") as db:
        assert db.execute("SELECT count(*) FROM links").fetchone() == (3,)


class ArchiveCalls:
    """Counts the file system calls into an archive that each file written may do without:
    ``mkdir`` of a folder (made, or there already), ``posix_fadvise`` of a post's file and of
    a picture's written alone, ``unlink`` of a name that is no more, and ``fchmod``."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, archive: Path):
        self.calls: Counter[str] = Counter()
        mkdir, fadvise, unlink, fchmod = os.mkdir, os.posix_fadvise, os.unlink, os.fchmod
        inside = f"{archive}{os.sep}"

        def counted_mkdir(path: Any, *args: Any, **kwargs: Any) -> None:
            self.calls["mkdir"] += str(path).startswith(inside)
            mkdir(path, *args, **kwargs)

        def counted_fadvise(fd: int, *args: Any) -> None:
            self.calls[f"fadvise {Path(os.readlink(f'/proc/self/fd/{fd}')).parent.name}"] += 1
            fadvise(fd, *args)

        def counted_unlink(path: Any, *args: Any, **kwargs: Any) -> None:
            try:
                unlink(path, *args, **kwargs)
            except FileNotFoundError:
                self.calls["unlink of nothing"] += str(path).startswith(inside)
                raise

        def counted_fchmod(fd: int, *args: Any) -> None:
            self.calls["fchmod"] += 1
            fchmod(fd, *args)

        monkeypatch.setattr(os, "mkdir", counted_mkdir)
        monkeypatch.setattr(os, "fchmod", counted_fchmod)
        monkeypatch.setattr(os, "posix_fadvise", counted_fadvise)
        monkeypatch.setattr(os, "unlink", counted_unlink)


def test_an_articles_files_make_no_folder_and_no_call_that_starts_or_removes_nothing(
        wechat: MockWeChat, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each article's files asked for their folders first (``_posts/``, ``postimg/``,
    ``.state/warc/``: a ``mkdir`` failing as each is there, a ``stat``, an exception); told
    the disk to start writing a file out just before waiting for it (``posix_fadvise`` of a
    post, or of the one picture of its batch: it starts the writeback of the files after it
    in the batch, which the first ``fsync`` then commits with its own); and deleted the post's
    staged file after renaming it into place. 6 calls an article, none now: a folder is made
    when a file cannot be made for its lack (a person may delete one during a run). And each
    file was made 0600, then given 0644 (``fchmod``): made 0644 now, given it only when the
    umask takes a bit of it away (the tests' takes none: ``test_files`` shows one that does). Counted
    over an album of one article and one of four, new archives each: what the three more
    articles cost. Every post and picture is written all the same."""
    site = Site(wechat)
    costs = []
    for first, count in ((2247590001, 1), (2247591001, 4)):
        arts = site.serve(numbered(first, count, albums=(f"{first}",)))
        archive = tmp_path / str(first)
        with monkeypatch.context() as patch:
            calls = ArchiveCalls(patch, archive)
            result = crawl("album", archive, "-a", f"url={site.album(f'{first}', arts)}")
        assert result.returncode == 0, result.stderr
        assert len(list((archive / "_posts").glob("*.md"))) == count
        assert len(list((archive / "postimg").glob("*.png"))) == count + 1  # and the shared footer
        costs.append(calls.calls)
    one, four = costs
    calls = ("mkdir", "fadvise _posts", "fadvise postimg", "unlink of nothing", "fchmod")
    assert {call: four[call] - one[call] for call in calls} == dict.fromkeys(calls, 0), costs


def test_a_new_posts_wait_on_the_disk_is_not_the_reactors(
        wechat: MockWeChat, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A new post's bytes are fsynced before their rename on a writer thread: on the
    reactor's, each post's fsync (3 ms on an idle disk, 10 ms a busy one's) was a wait in
    which no page was read (the benchmark's 200 posts: 1.4-2.0 s of a loaded machine's
    crawl). Each post is still whole and fsynced before it is in ``_posts/``."""
    site = Site(wechat)
    arts = site.serve(numbered(2247530001, 3, albums=("5301",)))
    fsync = os.fsync
    posts_synced: list[str] = []

    def watched(fd: int) -> None:
        if "/_posts/." in os.readlink(f"/proc/self/fd/{fd}"):
            posts_synced.append(threading.current_thread().name)
        fsync(fd)

    monkeypatch.setattr(os, "fsync", watched)
    result = crawl("album", tmp_path, "-a", f"url={site.album('5301', arts)}")
    assert result.returncode == 0, result.stderr
    assert len(list((tmp_path / "_posts").glob("*.md"))) == 3
    assert len(posts_synced) == 3 and all(name.startswith("posts") for name in posts_synced), posts_synced


def held(crawler: Crawler) -> Counter[str]:
    """How many entries the containers of the project's and Scrapy's objects reachable from
    ``crawler`` hold, by class and attribute (the reactor and its threads left out: one for
    the whole test session, they are no crawl's)."""
    held: Counter[str] = Counter()
    seen: set[int] = set()
    todo: list[Any] = [crawler]
    while todo:
        value = todo.pop()
        if id(value) in seen or isinstance(value, (type, str, bytes)):
            continue
        seen.add(id(value))
        if isinstance(value, dict):
            todo.extend(value.values())
        elif isinstance(value, (list, tuple, set, frozenset)):
            todo.extend(value)
        elif type(value).__module__.startswith(("crawler.", "scrapy.")) and hasattr(value, "__dict__"):
            for name, attribute in vars(value).items():
                if isinstance(attribute, Sized) and not isinstance(attribute, (str, bytes)):
                    held[f"{type(value).__qualname__}.{name}"] += len(attribute)
                todo.append(attribute)
    return held


def test_what_a_crawl_holds_does_not_grow_with_its_articles(
        wechat: MockWeChat, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Memory flat in the number of articles: after an album of 200 articles, the spider,
    its middlewares, pipelines and extensions hold as many entries as after one of 20 (one
    picture failing in each: what the image pipeline remembers of a run is its failures)."""
    crawlers: list[Crawler] = []
    prepare = inprocess.prepare_crawl

    def kept(*args: Any) -> tuple[Crawler, Any] | int:
        prepared = prepare(*args)
        assert not isinstance(prepared, int)
        crawlers.append(prepared[0])
        return prepared

    monkeypatch.setattr(inprocess, "prepare_crawl", kept)
    site = Site(wechat)
    sizes = []
    for first, size in ((2247520001, 20), (2247530001, 200)):
        arts = site.serve(numbered(first, size, albums=(f"{first}",)))
        wechat.image(f"/mmbiz_png/Img{arts[0].mid}x1/640", b"gone", status=404)
        result = crawl("album", tmp_path / f"{size}", "-a", f"url={site.album(f'{first}', arts)}",
                       settings={"ARTICLE_PAGES_IN_FLIGHT": "8"})
        assert result.returncode == 0, result.stderr
        assert result.stats["posts/new"] == size
        sizes.append(held(crawlers[-1]))
    # Scrapy's stats are named by kind of event, not by article; a loaded machine's run may
    # meet one kind more than another's (a log level, a slow answer's retry)
    for size in sizes:
        assert size.pop("MemoryStatsCollector._stats") < 80
    assert sizes[0] == sizes[1]


def test_the_next_article_pages_are_asked_while_the_pictures_before_them_are_not_answered(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """Politeness is the only thing that paces a run: the stand-in answers no picture until
    every article page of the album has been asked for (or 60 s have passed), and the
    pages are asked all the same, one after the other as politeness lets them, without
    waiting for the articles before them to be written."""
    site = Site(wechat)
    arts = site.serve(numbered(2247540001, 4, albums=("4401",)))
    pages_asked = Gate(len(arts), patience=60)
    answered_in_time: list[bool] = []

    def picture(query: str) -> Route:
        answered_in_time.append(pages_asked.reached.wait(pages_asked.patience))
        return Route(200, "image/png", png((3, 3, 3)))

    for art in arts:
        wechat.image(f"/mmbiz_png/Img{art.mid}x1/640", picture)
    wechat.image("/mmbiz_png/SharedFooter/640", picture)
    wechat.before_answer = pages_asked.before_answer
    pages_asked.opened.set()  # the last page is answered at once: only the pictures wait
    result = crawl("album", tmp_path, "-a", f"url={site.album('4401', arts)}",
                   settings={"DOWNLOAD_DELAY": "0.1"})
    assert result.returncode == 0, result.stderr
    assert answered_in_time == [True] * 5


def test_an_album_pages_records_are_one_commit(
        wechat: MockWeChat, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What the state pipeline records of an album page (its members, their links, the album
    and who left it) is one commit to the index: ``executemany`` outside a transaction
    commits each row, a write to the WAL the reactor waited on (20 an album page of 10)."""
    site = Site(wechat)
    arts = site.serve(numbered(2247540001, 3, albums=("5401",)))
    statements = IndexStatements(monkeypatch)
    result = crawl("album", tmp_path, "-a", f"url={site.album('5401', arts)}")
    assert result.returncode == 0, result.stderr
    assert statements.runs and not statements.rows_committed_alone
    with sqlite3.connect(tmp_path / ".state" / "index.sqlite") as db:
        assert db.execute("SELECT count(*) FROM album_articles WHERE album_id = '5401'").fetchone() == (3,)
        assert db.execute("SELECT count(*) FROM listed_links").fetchone() == (3,)


def test_a_pages_outputs_are_handed_on_by_a_few_tasks_not_a_hundred(
        wechat: MockWeChat, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Scrapy hands what a callback yields to the pipelines through ``CONCURRENT_ITEMS``
    workers, each an asyncio task started for every page the spider reads, however little it
    yields: at Scrapy's 100, an article page's item and records (or an album page's ten
    requests) started 100 tasks and queued 100 ends for them, on the reactor's thread
    (the benchmark's 200 articles: 1.1 million of the crawl's 12.1 million Python calls)."""
    site = Site(wechat)
    arts = site.serve(numbered(2247550001, 4, albums=("5501",)))
    tasks: Counter[str] = Counter()
    create_task = asyncio.BaseEventLoop.create_task

    def counted(loop: asyncio.BaseEventLoop, coro: Any, **kwargs: Any) -> asyncio.Task[Any]:
        if threading.current_thread().name == "reactor":
            tasks[coro.__qualname__] += 1
        return create_task(loop, coro, **kwargs)

    monkeypatch.setattr(asyncio.BaseEventLoop, "create_task", counted)
    result = crawl("album", tmp_path, "-a", f"url={site.album('5501', arts)}")
    assert result.returncode == 0, result.stderr
    assert len(list((tmp_path / "_posts").glob("*.md"))) == 4
    pages = len(arts) + 1  # and the album's one page
    assert tasks["_parallel_asyncio.<locals>.worker"] <= 16 * pages, tasks.most_common(5)
    assert sum(tasks.values()) <= 40 * pages, tasks.most_common(5)


def test_no_callbacks_source_is_read_as_pages_are(
        wechat: MockWeChat, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Scrapy looks through a callback's source, found among every module loaded and
    parsed, for a ``return`` of a value in a generator (``WARN_ON_GENERATOR_RETURN_VALUE``),
    a mistake of whoever writes the spider, each time no request alive holds that callback:
    at WeChat's pace, every article page (1-2.5 ms of CPU on the reactor's thread)."""
    site = Site(wechat)
    arts = site.serve(numbered(2247560001, 2, albums=("5601",)))
    read: list[str] = []
    getsource = inspect.getsource

    def counted(thing: Any) -> str:
        if threading.current_thread().name == "reactor":
            read.append(getattr(thing, "__qualname__", repr(thing)))
        return getsource(thing)

    monkeypatch.setattr(inspect, "getsource", counted)
    result = crawl("album", tmp_path, "-a", f"url={site.album('5601', arts)}")
    assert result.returncode == 0, result.stderr
    assert len(list((tmp_path / "_posts").glob("*.md"))) == 2
    assert read == []

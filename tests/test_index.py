"""The index: articles, their states, links and post names; an older index opened."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crawler.store.accountbook import AccountBook
from crawler.store.index import ArticleState, Index

NOW = datetime.now(UTC).isoformat(timespec="seconds")


def test_articles_states_and_links(index: Index) -> None:
    index.add_article("B:1:1", "u1", "a.md", ArticleState.ARCHIVED, 100)
    index.set_article_state("B:1:1", "u1", "deleted")
    assert (index.article_state("B:1:1"), index.article_path("B:1:1")) == ("deleted", "a.md")
    index.add_link("https://mp.weixin.qq.com/s/T", "B:1:1")
    assert index.link_key("https://mp.weixin.qq.com/s/T") == "B:1:1"
    assert index.archived_urls() == {"u1"}


def test_the_article_a_link_leads_to(index: Index) -> None:
    """Its ids if it carries them, else the article a fetch of it led to (a short link)."""
    index.add_link("https://mp.weixin.qq.com/s/T", "B:1:1")
    index.add_link("https://mp.weixin.qq.com/s?__biz=C&mid=1&idx=1", "B:1:1")  # never asked
    short = index.article_of("https://mp.weixin.qq.com/s/T")
    assert short == "B:1:1" and short.biz == "B"
    assert index.article_of("https://mp.weixin.qq.com/s?__biz=C&mid=1&idx=1") == "C:1:1"
    assert index.article_of("https://mp.weixin.qq.com/s/unknown") is None


@pytest.mark.parametrize("asked", ["http://mp.weixin.qq.com/s/T", "https://MP.weixin.qq.com/s/T/?scene=1"])
def test_a_short_link_in_a_form_an_older_version_fetched_leads_where_the_index_knows(
        index: Index, asked: str) -> None:
    """A raw capture an older version made holds its page under the short link as fetched
    then (``http:``, a listing's trailing slash): the index, knowing the link in the one form
    a run asks it by, no longer found which article the capture is of, and the watch could
    not make its post again from it."""
    index.add_link("https://mp.weixin.qq.com/s/T", "B:1:1")
    assert index.article_of(asked) == "B:1:1"


def test_an_image_url_is_its_own_file_before_another_order_of_its_query(index: Index) -> None:
    """Two URLs of one query in two orders, stored as two files (an index from before the
    canonical form was recorded): each is its own; one in a third order, either."""
    index.add_images({"https://cdn/p?a=1&b=2": "first.png"}, "B:1:1")
    index.add_images({"https://cdn/p?b=2&a=1": "second.png"}, "B:1:1")
    assert index.image_name("https://cdn/p?a=1&b=2") == "first.png"
    assert index.image_name("https://cdn/p?b=2&a=1") == "second.png"
    assert index.image_name("https://cdn/p?b=2&a=1&") in {"first.png", "second.png"}
    assert index.image_name("https://cdn/p?b=3&a=1") is None


def test_many_pictures_are_looked_up_and_recorded_as_one_at_a_time(index: Index) -> None:
    """An article's pictures are looked up and recorded in statements of up to ``_AT_ONCE``
    each: a page of 450 pictures (past what one statement takes) answers as each alone, by
    its URL, else by another order of its query; and a failure recorded of each is cleared."""
    recorded = {f"https://cdn/p{n}?a={n}&b=2": f"p{n}.png" for n in range(0, 450, 2)}
    for url in recorded:
        index.set_image_failure(url, 1, 1)
    index.add_images(recorded, "B:1:1")
    asked = [f"https://cdn/p{n}?b=2&a={n}" if n % 4 else f"https://cdn/p{n}?a={n}&b=2" for n in range(450)]
    names = index.image_names(asked)
    assert len(names) == len(recorded) and names == {url: index.image_name(url) for url in names}
    assert all(index.image_failure(url) is None for url in recorded)
    index.add_blobs({f"{n:064x}": f"p{n}.png" for n in range(0, 450, 2)})
    files, taken = index.blobs_and_names([(f"{n:064x}", f"p{n + 1}.png") for n in range(450)])
    assert files == {f"{n:064x}": f"p{n}.png" for n in range(0, 450, 2)}
    assert taken == {f"p{m}.png" for m in range(2, 450, 2)}


def test_needs_link_never_downgrades_an_archived_article(index: Index) -> None:
    index.add_article("B:1:1", "u", "a.md", ArticleState.ARCHIVED)
    index.needs_link("B:1:1", "weak", NOW)
    index.needs_link("B:2:1", "weak", NOW)
    assert (index.article_state("B:1:1"), index.article_state("B:2:1")) == ("archived", "needs_link")


def test_an_article_known_without_a_post_has_no_post_path(index: Index) -> None:
    """An article known only by a listing (or gone before it was archived) has no post: taken
    for a recorded one, a post a killed run wrote of it would never count as new, nor
    relink the posts linking to it."""
    index.needs_link("B:2:1", "weak", NOW)
    index.set_article_state("B:3:1", "u", ArticleState("deleted"))
    assert index.article_path("B:2:1") is None and index.article_path("B:3:1") is None


def test_needs_link_leaves_an_incomplete_article_incomplete(index: Index) -> None:
    """An article whose post waits for an image has its post: it stays to be fetched again
    for the image, not taken for one never fetched."""
    index.add_article("B:1:1", "u", "a.md", ArticleState.INCOMPLETE)
    index.needs_link("B:1:1", "weak", NOW)
    assert index.article_state("B:1:1") == "incomplete"


def test_a_post_name_differing_only_in_case_is_held(index: Index) -> None:
    """macOS and Windows see one file in ``…-Scam.md`` and ``…-scam.md``: a second article
    given the other would write over the first's post there."""
    index.add_article("B:1:1", "u", "2024-01-01-Scam.md", ArticleState.ARCHIVED)
    assert index.path_holder("2024-01-01-scam.md") == "B:1:1"


def test_an_older_index_gets_the_new_column(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE articles (key TEXT PRIMARY KEY, url TEXT NOT NULL, "
                   "path TEXT NOT NULL DEFAULT '', state TEXT NOT NULL)")
        db.execute("INSERT INTO articles VALUES ('B:1:1', 'u', 'a.md', 'archived')")
    index = Index(path)
    index.add_article("B:2:1", "u", "b.md", ArticleState.ARCHIVED, 5)
    assert AccountBook(index).publish_times("B", 5) == [5]
    assert index.article_state("B:1:1") == "archived"
    index.close()


def test_an_index_from_before_images_named_their_article_records_them_and_tells_its_files_apart(
        tmp_path: Path) -> None:
    """Its images' article is not known: a file one of them names is no image awaiting a post
    (nothing tells whose it is), though an article not written yet was stored with it since."""
    path = tmp_path / "old.sqlite"
    with closing(sqlite3.connect(path)) as db:
        db.execute("CREATE TABLE images (url TEXT PRIMARY KEY, name TEXT NOT NULL)")
        db.execute("INSERT INTO images VALUES ('https://mmbiz.qpic.cn/a/0', 'Old.png')")
        db.commit()
    index = Index(path)
    index.add_images({"https://mmbiz.qpic.cn/a/640": "Old.png"}, "B:9:1")
    index.add_images({"https://mmbiz.qpic.cn/b/640": "New.png"}, "B:9:1")
    assert index.images_awaiting_posts() == {"New.png"}
    index.close()


def test_an_older_index_knows_short_links_and_homepages_by_the_form_a_run_asks(tmp_path: Path) -> None:
    """An index of before version 2 holds short links and homepages as pages gave them
    (``http:``, a trailing slash, ``?scene=``): a run, asking each in one form, found neither
    the article a link led to, nor a link left to follow (asked again besides the form a page
    gives), nor a post linking it (not relinked), and read a homepage once a form. Opened,
    each row is in that form, one already in it kept."""
    path = tmp_path / "index.sqlite"
    Index(path).close()
    home = "mp.weixin.qq.com/mp/homepage?__biz=MzA=&hid=1"
    with closing(sqlite3.connect(path)) as db:
        db.executemany("INSERT INTO links VALUES (?, ?)", [
            ("http://mp.weixin.qq.com/s/Tok", "B:1:1"), ("https://mp.weixin.qq.com/s/Two?scene=1", "B:2:1"),
            ("https://mp.weixin.qq.com/s/Two", "B:2:1")])
        db.execute("INSERT INTO links_to_follow VALUES ('http://mp.weixin.qq.com/s/Later/', 'B', '')")
        db.execute("INSERT INTO post_links VALUES ('B:3:1', 'http://mp.weixin.qq.com/s/Later')")
        db.executemany("INSERT INTO homepages VALUES (?, 'B')", [(f"http://{home}",), (f"https://{home}",)])
        db.execute("PRAGMA user_version = 1")
        db.commit()
    index = Index(path)
    book = AccountBook(index)
    assert index.link_key("https://mp.weixin.qq.com/s/Tok") == "B:1:1"
    assert index.connection.execute("SELECT url FROM links ORDER BY url").fetchall() == [
        ("https://mp.weixin.qq.com/s/Tok",), ("https://mp.weixin.qq.com/s/Two",)]
    assert book.links_to_follow("B") == ["https://mp.weixin.qq.com/s/Later"]
    assert index.connection.execute("SELECT to_id FROM post_links").fetchall() == [
        ("https://mp.weixin.qq.com/s/Later",)]
    assert book.homepages_of("B") == [f"https://{home}"]
    index.close()


def test_read_only_opens_without_writing(tmp_path: Path) -> None:
    assert Index(tmp_path / "missing.sqlite", read_only=True).has_articles() is False
    assert not (tmp_path / "missing.sqlite").exists()


def test_an_older_index_loses_its_index_of_post_names_by_case(tmp_path: Path) -> None:
    """Nothing reads it since names are compared without case; each post written updated it."""
    Index(tmp_path / "index.sqlite").close()
    with sqlite3.connect(tmp_path / "index.sqlite") as db:
        db.execute("CREATE INDEX articles_by_path ON articles (path)")
    db.close()
    Index(tmp_path / "index.sqlite").close()
    with sqlite3.connect(tmp_path / "index.sqlite") as db:
        names = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    db.close()
    assert "articles_by_path" not in names and "articles_by_path_nocase" in names

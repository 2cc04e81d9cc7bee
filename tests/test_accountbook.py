"""What the index knows of accounts: their ``__biz``, albums and members, coverage."""

from __future__ import annotations

import pytest

from crawler.store.accountbook import AccountBook
from crawler.store.index import ArticleState, Index


@pytest.fixture
def book(index: Index) -> AccountBook:
    return AccountBook(index)


def test_an_account_is_found_once_and_remembered(book: AccountBook) -> None:
    assert book.account_biz("甲") is None
    book.set_account("甲", "B")
    assert book.account_biz("甲") == "B"


def test_albums_keep_what_was_said_of_them(index: Index, book: AccountBook) -> None:
    book.remember_album("9", "B", "反诈快报", 21)
    book.remember_album("9", "B", "", None, "2026-11-29T06:17:00+00:00")
    book.remember_album("8", "B")
    book.remember_album("7", "OTHER")
    assert book.albums_of("B") == ["8", "9"]
    row = index.connection.execute("SELECT title, article_count, last_read FROM albums WHERE album_id = '9'")
    assert row.fetchone() == ("反诈快报", 21, "2026-11-29T06:17:00+00:00")


def test_an_album_read_whole_records_who_left_and_a_member_can_come_back(book: AccountBook) -> None:
    book.remember_album("9", "B")
    book.add_album_articles("9", ["B:1:1", "B:2:1", "B:3:1", "B:1:1"])
    assert book.album_read_whole("9", "2|B:2:1,B:1:1", {"B:1:1", "B:2:1"}, "2026-12-01") == 1
    assert book.album_members("9") == {"B:1:1", "B:2:1"}
    assert book.album_members("9", departed=True) == {"B:3:1"}
    assert book.album_signature("9") == ("2|B:2:1,B:1:1", "2026-12-01")
    book.add_album_articles("9", ["B:3:1"])
    assert book.album_members("9", departed=True) == set()


def test_an_albums_unsettled_members_come_with_the_link_a_listing_gave(index: Index, book: AccountBook) -> None:
    book.add_album_articles("9", ["B:1:1", "B:2:1", "B:3:1", "B:4:1"])
    index.add_article("B:1:1", "u", "a.md", ArticleState.ARCHIVED)
    index.add_article("B:2:1", "u", "b.md", ArticleState.INCOMPLETE)
    index.set_article_state("B:3:1", "u", "violation")
    index.add_listed_links([("B:2:1", "https://x/s?chksm=2")])
    assert book.unsettled_in_album("9") == [("B:2:1", "https://x/s?chksm=2"), ("B:4:1", "")]


def test_an_accounts_coverage_is_a_range_of_keys(index: Index, book: AccountBook) -> None:
    for mid, published in ((1, 1000), (2, 3000), (3, 2000)):
        index.add_article(f"B:{mid}:1", "u", f"{mid}.md", ArticleState.ARCHIVED, published)
    index.add_article("BB:1:1", "u", "x.md", ArticleState.ARCHIVED, 9000)  # another account
    index.set_article_state("B:4:1", "u", "deleted")
    book.remember_album("9", "B")
    book.add_foreign_link("C:1:1", "C", "B")
    book.add_foreign_link("C:1:1", "C", "B")
    assert book.account_coverage("B") == (3, 1, 1)
    assert book.publish_times("B", 2) == [3000, 2000]

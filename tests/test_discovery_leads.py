"""``Discovery`` in process: where an account's page leads, and what it records on the way,
decided from the page and the index alone (the spider makes the requests)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from crawler.accounts import Account
from crawler.items import AccountFound, AlbumFound, ForeignLinkFound, HomepageFound, LinkToFollow
from crawler.report.tally import Tally
from crawler.spiders.discovery import AlbumLead, Discovery, LinkLead
from crawler.store.accountbook import AccountBook
from crawler.store.index import ArticleState, Index
from crawler.wechat.article import Album, Article
from tests.conftest import memory_refused, project_config, unit_crawler
from tests.test_incremental import kept_each

HOST = "https://mp.weixin.qq.com"
OWN, OTHER = "MzOwn==", "MzOther=="


def link(biz: str, mid: int) -> str:
    return f"{HOST}/s?__biz={biz}&mid={mid}&idx=1&sn=s&scene=21"


def article(biz: str = OWN, **fields: Any) -> Article:
    return Article(url=link(biz, 1), title="t", account="测试", published=datetime.now(UTC),
                   biz=biz, mid="1", idx="1", **fields)


def discovery(index: Index, **settings: Any) -> Discovery:
    crawler = unit_crawler()
    crawler.stats.open_spider()
    return Discovery(index, project_config(**settings), Tally(crawler), memory_refused)


def test_an_account_s_biz_is_learned_from_its_first_page_and_recorded_once(index: Index) -> None:
    found = discovery(index)
    account = Account("测试")
    assert found.account_biz(account) == ""
    first = list(found.leads(article(), account))
    assert first[0] == AccountFound("测试", OWN)
    assert AccountFound("测试", OWN) not in list(found.leads(article(), account))
    assert found.account_biz(account) == OWN  # this run, before the index has it


def test_an_account_s_biz_the_index_remembers_is_not_recorded_again(index: Index) -> None:
    AccountBook(index).set_account("测试", OWN)
    found = discovery(index)
    assert found.account_biz(Account("测试")) == OWN
    assert not [lead for lead in found.leads(article(), Account("测试")) if isinstance(lead, AccountFound)]


def test_albums_are_recorded_and_read_and_links_of_the_account_followed(index: Index) -> None:
    found = discovery(index)
    page = article(albums=(Album("301", "防骗", 12),), links=(link(OWN, 2), "https://example.org/x"),
                   album_links=(f"{HOST}/mp/appmsgalbum?__biz={OWN}&album_id=302",
                                f"{HOST}/mp/appmsgalbum?__biz={OTHER}&album_id=303"))
    leads = list(found.leads(page, Account("测试", biz=OWN)))
    assert AlbumFound("301", OWN, "防骗", 12, member=f"{OWN}:1:1") in leads
    assert AlbumFound("302", OWN) in leads
    assert [lead.url.split("album_id=")[1].split("&")[0] for lead in leads
            if isinstance(lead, AlbumLead)] == ["301", "302"]  # not another account's album
    assert [lead for lead in leads if isinstance(lead, LinkLead)] == [LinkLead(link(OWN, 2))]


@pytest.mark.parametrize("follow, followed", [("account", False), ("all", True)])
def test_another_account_s_link_is_recorded_once_and_followed_only_with_all(
        index: Index, follow: str, followed: bool) -> None:
    found = discovery(index, FOLLOW_LINKS=follow)
    page = article(links=(link(OTHER, 7),))
    leads = list(found.leads(page, Account("测试", biz=OWN)))
    assert ForeignLinkFound(f"{OTHER}:7:1", OTHER, OWN) in leads
    assert (LinkLead(link(OTHER, 7)) in leads) is followed
    assert not any(isinstance(lead, ForeignLinkFound)
                   for lead in found.leads(page, Account("测试", biz=OWN)))
    assert found.tally.stats.get_value("links/foreign") == 1


def test_short_links_are_followed_within_the_budget_unless_the_index_knows_them(
        index: Index) -> None:
    index.add_link(f"{HOST}/s/Known", f"{OTHER}:9:1")
    found = discovery(index, FOLLOW_LINKS_PER_RUN="1")
    page = article(links=(f"{HOST}/s/Known", f"{HOST}/s/One", f"{HOST}/s/Two"))
    leads = list(found.leads(page, Account("测试", biz=OWN)))
    assert [lead for lead in leads if isinstance(lead, LinkLead)] == [
        LinkLead(f"{HOST}/s/One", unknown_account=True)]
    assert ForeignLinkFound(f"{OTHER}:9:1", OTHER, OWN) in leads


def test_no_link_is_followed_with_none_and_another_account_s_page_leads_nowhere(
        index: Index) -> None:
    page = article(links=(link(OWN, 2),), albums=(Album("301", "防骗"),))
    assert not any(isinstance(lead, LinkLead) for lead in
                   discovery(index, FOLLOW_LINKS="none").leads(page, Account("测试", biz=OWN)))
    # recorded only, each under its account, for when the accounts file is corrected
    leads = list(discovery(index).leads(replace(page, biz=OTHER), Account("测试", biz=OWN)))
    assert not any(isinstance(lead, (AlbumLead, LinkLead)) for lead in leads)
    assert [lead.biz for lead in leads if isinstance(lead, AlbumFound)] == [OTHER]
    assert [lead for lead in leads if isinstance(lead, LinkToFollow)] == [
        LinkToFollow(link(OWN, 2), OWN)]


def test_links_earlier_runs_left_to_follow_are_not_followed_with_none(index: Index) -> None:
    AccountBook(index).follow_later(link(OWN, 2), OWN)
    account = Account("测试", biz=OWN)
    assert list(discovery(index).left_to_follow(account)) == [LinkLead(link(OWN, 2))]
    assert not list(discovery(index, FOLLOW_LINKS="none").left_to_follow(account))


def test_a_page_archived_for_no_account_records_its_albums_and_unsettled_links_only(
        index: Index) -> None:
    index.add_article(f"{OWN}:3:1", link(OWN, 3), "3.md", ArticleState.ARCHIVED)
    page = article(albums=(Album("301", "防骗"),),
                   album_links=(f"{HOST}/mp/appmsgalbum?__biz={OTHER}&album_id=303",),
                   homepage_links=(f"{HOST}/mp/homepage?__biz={OWN}&hid=1",
                                   f"{HOST}/mp/homepage?__biz={OTHER}&hid=2"),
                   links=(link(OWN, 2), link(OWN, 3), link(OTHER, 7), f"{HOST}/s/Short",
                          "https://example.org/s/Elsewhere"))
    records = list(discovery(index).for_later(page))
    # another account's link is that account's to follow, should it be in the accounts file
    assert records == [AlbumFound("301", OWN, "防骗", member=f"{OWN}:1:1"),
                       HomepageFound(f"{HOST}/mp/homepage?__biz={OWN}&hid=1", OWN),
                       LinkToFollow(link(OWN, 2), OWN), LinkToFollow(link(OTHER, 7), OTHER),
                       LinkToFollow(f"{HOST}/s/Short", OWN)]
    assert list(discovery(index).for_later(replace(page, biz=""))) == []


def test_links_to_other_accounts_seen_take_no_memory_per_article(index: Index) -> None:
    """Each link to another account's article is counted once a run; what the run remembers
    of them, to count each once, is not kept in the process's memory."""
    found = discovery(index)
    account = Account("测试")

    def seen(mids: range) -> None:
        for mid in mids:
            assert len(list(found.foreign(f"{OTHER}:{mid}:1", OTHER, OWN, account))) == 1

    assert kept_each(seen, 1000, 4000) < 20
    assert not list(found.foreign(f"{OTHER}:10:1", OTHER, OWN, account))  # still once a run
    assert found.tally.stats.get_value("links/foreign") == 5000


def test_a_short_link_many_pages_hold_spends_the_budget_once(index: Index) -> None:
    """往期推荐 of one week's pages name the same articles: a short link met again before its
    page named its article is one link of ``FOLLOW_LINKS_PER_RUN``, not one per page."""
    found = discovery(index, FOLLOW_LINKS_PER_RUN="2")
    account = Account("测试", biz=OWN)
    shared, other = f"{HOST}/s/Shared", f"{HOST}/s/Other"
    leads = [lead for page in (article(links=(shared,)), article(links=(shared,)),
                               article(links=(shared, other)))
             for lead in found.leads(page, account) if isinstance(lead, LinkLead)]
    assert {lead.url for lead in leads} == {shared, other}


def test_an_album_linked_without_biz_known_as_another_account_s_stays_theirs(index: Index) -> None:
    """An album a page links without ``__biz`` is taken for the page's account's until its
    members say whose it is. Once they have said another account's, a later page of the
    account linking it again recorded it as the account's once more, and had it read again to
    learn what the index knew (and, in a run that had read it already, not read: the
    account's for the next run). Now it stays theirs, and is not read for this account."""
    AccountBook(index).remember_album("304", OTHER)
    found = discovery(index)
    page = article(album_links=(f"{HOST}/mp/appmsgalbum?action=getalbum&album_id=304",
                                f"{HOST}/mp/appmsgalbum?action=getalbum&album_id=305"))
    leads = list(found.leads(page, Account("测试", biz=OWN)))
    assert [lead for lead in leads if isinstance(lead, AlbumFound)] == [AlbumFound("305", OWN)]
    assert [lead.url.split("album_id=")[1] for lead in leads if isinstance(lead, AlbumLead)] == ["305"]

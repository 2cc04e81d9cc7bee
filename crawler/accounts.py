"""The accounts file (``ACCOUNTS_FILE``, TOML): which accounts a scheduled run looks at.

See ``accounts.example.toml`` for every key. Loading checks everything up front, so that a
mistake is one clear message naming the file, the account and the problem.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from crawler.reading import not_utf8, read_text
from crawler.report.logtext import escape_controls
from crawler.wechat.listing import ListingError, album_json_url, album_url
from crawler.wechat.urls import (
    BadArticleURL,
    article_ids_from_url,
    article_link,
    history_page,
    host_of,
    redacted,
    web_url,
    with_credentials,
)

# The accounts file a new user makes, copying accounts.example.toml to it (README, Quick
# start): ACCOUNTS_FILE's default. Its absence is "no accounts yet"; any other file named,
# with -s or by editing crawler/settings.py, must be there.
FIRST_ACCOUNTS_FILE = "accounts.toml"

_KEYS = {"name", "biz", "tags", "albums", "urls", "feeds"}
_BIZ = re.compile(r"[A-Za-z0-9+/]+={0,2}")  # base64, as pages and links spell it
_LONGEST = 2000  # characters of a value: WeChat's long links are some 300
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


class AccountsError(ValueError):
    """An accounts file that cannot be used; the message names the file and the problem."""


@dataclass(frozen=True)
class Account:
    name: str
    biz: str = ""
    tags: tuple[str, ...] = ()
    albums: tuple[str, ...] = ()  # album page URLs
    urls: tuple[str, ...] = ()
    feeds: tuple[str, ...] = ()


def load_accounts(path: Path, base_url: str, hosts: Iterable[str]) -> list[Account]:
    """Read and check the accounts file; album ids become album URLs on ``base_url``."""
    try:
        data = tomllib.loads(read_text(path))
    except FileNotFoundError:
        raise AccountsError(f"there is no accounts file {str(path)!r}: copy accounts.example.toml "
                            "to it and name your accounts there (one article link each is "
                            "enough), or give another with -s ACCOUNTS_FILE=PATH") from None
    except OSError as error:
        raise AccountsError(f"cannot read accounts file {str(path)!r}: {error.strerror or error}") from None
    except UnicodeDecodeError as error:
        raise AccountsError(f"accounts file {str(path)!r} {not_utf8(error)}") from None
    except tomllib.TOMLDecodeError as error:
        raise AccountsError(f"accounts file {str(path)!r} is not valid TOML: {error}") from None
    except RecursionError:  # tomllib reads nested arrays and tables recursively
        raise AccountsError(f"accounts file {str(path)!r} nests too deep to be an accounts "
                            "file") from None
    tables = data.get("account")
    if not isinstance(tables, list) or not tables or not all(isinstance(t, dict) for t in tables):
        raise AccountsError(f"accounts file {str(path)!r} has no [[account]] tables")
    accounts = [_account(table, number, path, base_url, list(hosts))
                for number, table in enumerate(tables, 1)]
    names = [account.name for account in accounts]
    twice = next((name for name in names if names.count(name) > 1), None)
    if twice is not None:
        raise AccountsError(f"accounts file {str(path)!r} names the account {twice!r} twice: one "
                            "table per account (its albums, urls and feeds together)")
    first_of: dict[str, Account] = {}
    for account in accounts:
        other = first_of.setdefault(account.biz, account) if account.biz else account
        if other is not account:  # its remembered albums and links would be read as the other's
            raise AccountsError(f"accounts file {str(path)!r}: {account.name!r} is the account "
                                f"{other.name!r} again (both biz {account.biz}): one table per "
                                "account, under the name its posts attribute")
    _refuse_shared_links(accounts, path)
    return accounts


def _refuse_shared_links(accounts: list[Account], path: Path) -> None:
    """One article or album link given by two accounts: its articles are one account's, and
    the other's posts would be attributed to whichever table was read first."""
    given_by: dict[str, Account] = {}
    for account in accounts:
        for kind, links in (("url", account.urls), ("album", account.albums)):
            for link in links:
                other = given_by.setdefault(link, account)
                if other is not account:
                    raise AccountsError(f"accounts file {str(path)!r}: {account.name!r} gives "
                                        f"{kind} {link!r} that {other.name!r} gives too: an "
                                        "article or album is one account's")


def _account(table: dict[str, Any], number: int, path: Path, base_url: str,
             hosts: list[str]) -> Account:
    where = f"accounts file {str(path)!r}, account {number}"
    if isinstance(table.get("name"), str) and 0 < len(table["name"].strip()) <= _LONGEST:
        where += f" ({escape_controls(table['name'].strip())})"
    unknown = sorted(set(table) - _KEYS)
    if unknown:
        raise AccountsError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(_KEYS))})")
    name, biz = _text(table, "name", where), _biz(_text(table, "biz", where), where)
    if not name:
        raise AccountsError(f"{where}: no name (the account's name, as its posts attribute it)")
    albums = []
    for album in _texts(table, "albums", where):
        if album.isascii() and album.isdigit():
            if not biz:
                raise AccountsError(f"{where}: album id {album} needs the account's biz")
            album = album_url(base_url, biz, album)
        try:
            album_json_url(album)
        except ListingError as error:
            raise AccountsError(f"{where}: {error}") from None
        if host_of(album) not in hosts:
            raise AccountsError(f"{where}: album {album!r} is not on a WeChat host "
                                f"({', '.join(hosts)})")
        if with_credentials(album):
            raise AccountsError(f"{where}: album {redacted(album)!r} has a user name or password in it "
                                "(WeChat's links hold none)")
        albums.append(album)
    try:
        urls = [article_link(url, hosts) for url in _texts(table, "urls", where)]
    except BadArticleURL as error:
        raise AccountsError(f"{where}: {error}") from None
    feeds = _texts(table, "feeds", where)
    for feed in feeds:
        if said := history_page(feed):
            raise AccountsError(f"{where}: {said}")
        if not web_url(feed):
            raise AccountsError(f"{where}: feed {feed!r} is not an http(s) URL with a host")
        if with_credentials(feed):
            raise AccountsError(f"{where}: feed {redacted(feed)!r} has a user name or password in it, which "
                                "the crawler cannot ask a server with: serve the feed without one")
    if not (albums or urls or feeds or biz):
        raise AccountsError(f"{where}: nothing to archive (no albums, urls, feeds or biz)")
    biz = biz or _biz(_biz_in(urls + albums), where)
    for album in albums:  # read all the same, each article it listed was declined as foreign
        album_biz = article_ids_from_url(album).get("__biz", "")
        if album_biz and _biz(album_biz, where) != biz:
            raise AccountsError(f"{where}: album {album!r} is another account's (biz "
                                f"{album_biz}, this account's is {biz})")
    return Account(name=name, biz=biz, tags=tuple(_texts(table, "tags", where)),
                   albums=tuple(dict.fromkeys(albums)), urls=tuple(dict.fromkeys(urls)),
                   feeds=tuple(dict.fromkeys(feeds)))


def _biz(text: str, where: str) -> str:
    """The ``__biz`` as the account's pages spell it (``MzI0NzE2NjQ0Mg==``), also from a
    link that escapes it (``%3D%3D``) or a copy without its padding: spelled otherwise, it
    made every page of the account another account's, and nothing was archived."""
    biz = unquote(text).strip()
    if biz and not _BIZ.fullmatch(biz):
        raise AccountsError(f"{where}: biz {text!r} is not an account's __biz (the base64 of "
                            "its links' __biz=…, as in biz = \"MzI0NzE2NjQ0Mg==\")")
    biz = biz.rstrip("=")
    return biz + "=" * (-len(biz) % 4)


def _biz_in(links: list[str]) -> str:
    """The ``__biz`` the first of an account's article or album links carries: the
    account's, known before any of its pages is fetched."""
    return next((ids["__biz"] for ids in map(article_ids_from_url, links) if "__biz" in ids), "")


def _text(table: dict[str, Any], key: str, where: str) -> str:
    value = table.get(key, "")
    if not isinstance(value, str):
        raise AccountsError(f"{where}: {key} must be a string")
    return _checked(value.strip(), key, where)


def _texts(table: dict[str, Any], key: str, where: str) -> list[str]:
    values = table.get(key, [])
    if not isinstance(values, list) or not all(isinstance(v, (str, int)) for v in values):
        raise AccountsError(f"{where}: {key} must be a list of strings")
    return [_checked(str(v).strip(), key, where) for v in values if str(v).strip()]


def _checked(value: str, key: str, where: str) -> str:
    """``value`` of ``key``, unless no account's can be so: longer than any name or link
    (quoted, a line pasted wrong would be a message of megabytes), or holding a control
    character (TOML's escapes let in a NUL, a line break, a terminal's escape, which names
    and tags carry into every post and log line)."""
    if len(value) > _LONGEST:
        raise AccountsError(f"{where}: a value of {key} is {len(value):,} characters long, more "
                            f"than any name or link ({_LONGEST:,} at most)")
    if bad := _CONTROL.search(value):
        raise AccountsError(f"{where}: {key} holds a control character (U+{ord(bad.group()):04X}): "
                            f"'{escape_controls(value)}'")
    return value

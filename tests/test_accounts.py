"""``crawler.accounts``: the accounts file, read and checked up front."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.accounts import Account, AccountsError, load_accounts
from tests.conftest import PROJECT, crawl_cli, refusal

BASE = "https://mp.weixin.qq.com"
HOSTS = ("mp.weixin.qq.com",)


def load(tmp_path: Path, text: str) -> list[Account]:
    path = tmp_path / "accounts.toml"
    path.write_text(text, encoding="utf-8")
    return load_accounts(path, BASE, HOSTS)


def test_the_example_reads() -> None:
    [account] = load_accounts(PROJECT / "accounts.example.toml", BASE, HOSTS)
    assert account.name == "某市反诈中心" and len(account.urls) == 1


def test_every_key(tmp_path: Path) -> None:
    [account] = load(tmp_path, '''
[[account]]
name = " 清远 "
biz = "MzA="
tags = ["反诈", 2021, " "]
albums = ["123", "https://mp.weixin.qq.com/mp/appmsgalbum?__biz=MzA=&action=getalbum&album_id=9"]
urls = ["https://mp.weixin.qq.com/s/Token?scene=1#rd"]
feeds = ["https://rss.example/feed.xml"]
''')
    assert account == Account(
        name="清远", biz="MzA=", tags=("反诈", "2021"),
        albums=(f"{BASE}/mp/appmsgalbum?__biz=MzA=&action=getalbum&album_id=123",
                f"{BASE}/mp/appmsgalbum?__biz=MzA=&action=getalbum&album_id=9"),
        urls=("https://mp.weixin.qq.com/s/Token",), feeds=("https://rss.example/feed.xml",))


@pytest.mark.parametrize("text, message", [
    ('[[account]]\nname = 5\nurls = ["https://mp.weixin.qq.com/s/x"]', "name must be a string"),
    ('[[account]]\nname = "甲"\ntags = "反诈"\nbiz = "x"', "tags must be a list of strings"),
    ('[[account]]\nname = "甲"\nfeeds = ["ftp://x"]', "is not an http(s) URL"),
    ('[[account]]\nname = "甲"\nalbums = ["https://mp.weixin.qq.com/s/x"]', "not an album URL"),
    ('[[account]]\nname = "甲"\nalbums = ["²"]', "not an album URL"),
    ("account = 1", "has no [[account]] tables"),
    ("account = []", "has no [[account]] tables"),
])
def test_mistakes_name_the_account_and_the_problem(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(AccountsError, match=message.replace("(", r"\(").replace(")", r"\)")
                       .replace("[", r"\[").replace("]", r"\]")):
        load(tmp_path, text)


def test_a_file_notepad_saved_with_a_byte_order_mark_reads(tmp_path: Path) -> None:
    path = tmp_path / "accounts.toml"
    path.write_bytes("\ufeff[[account]]\r\nname = '甲'\r\nurls = ['https://mp.weixin.qq.com/s/Token']\r\n"
                     .encode("utf-8"))
    [account] = load_accounts(path, BASE, HOSTS)
    assert account.name == "甲"


def test_an_account_whose_link_carries_a_biz_has_that_biz(tmp_path: Path) -> None:
    [linked, short] = load(tmp_path, '''
[[account]]
name = "甲"
urls = ["https://mp.weixin.qq.com/s/Token", "https://mp.weixin.qq.com/s?__biz=MzA5OQ==&amp;mid=1&amp;idx=1"]
[[account]]
name = "乙"
urls = ["https://mp.weixin.qq.com/s/Token2"]
''')
    assert (linked.biz, short.biz) == ("MzA5OQ==", "")


ONE = '[[account]]\nname = "甲"\nurls = ["https://mp.weixin.qq.com/s/Token"]\n'


@pytest.mark.parametrize("text, message", [
    # #22.10: refused when the file is read, not when a run fetches what it names
    ("x = " + "[" * 5000 + "]" * 5000 + "\n" + ONE, "nests too deep"),
    (ONE.replace("urls = [", 'feeds = ["http://[::1"]\nurls = ['), "URL with a host"),
    (ONE.replace("urls = [", 'feeds = ["http://"]\nurls = ['), "URL with a host"),
    (ONE.replace("urls = [", 'albums = ["https://evil.example/mp/appmsgalbum?__biz=MzA=&album_id=1"]\n'
                 "urls = ["), "is not on a WeChat host"),
    (ONE.replace("urls = [", 'albums = ["file:///mp/appmsgalbum?__biz=MzA=&album_id=1"]\nurls = ['),
     "is not on a WeChat host"),
    (ONE.replace("urls = [", 'albums = ["javascript:alert(1)//mp/appmsgalbum?__biz=MzA=&album_id=1"]\n'
                 "urls = ["), "not an album URL"),
    (ONE + ONE, "names the account '甲' twice"),
    (ONE.replace("https://mp.weixin.qq.com/", "https://reader:secret@mp.weixin.qq.com/"),
     "a link with a user name or password in it"),
    # asked so at every run, each failing ("invalid hostname"), the password in cron's mail
    (ONE.replace("urls = [", 'feeds = ["https://me:secret@rss.example/feed.xml"]\nurls = ['),
     "a user name or password"),
    (ONE.replace("urls = [", 'albums = ["https://me@mp.weixin.qq.com/mp/appmsgalbum?__biz=MzA=&album_id=1"]\n'
                 "urls = ["), "a user name or password"),
])
def test_values_no_run_could_use_are_refused_at_load(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(AccountsError, match=message) as refused:
        load(tmp_path, text)
    assert "secret" not in str(refused.value)  # a password the file holds is not printed back


@pytest.mark.parametrize("second", [
    'biz = "MzA5OQ=="',  # the same biz, given
    'urls = ["https://mp.weixin.qq.com/s?__biz=MzA5OQ%3D%3D&mid=2&idx=1&sn=b"]',  # carried by a link
])
def test_two_accounts_of_one_biz_are_refused(tmp_path: Path, second: str) -> None:
    # The second account's remembered albums and links were read as the first one's, and
    # its summary lines counted nothing: a table copied for a renamed account, say.
    with pytest.raises(AccountsError, match="'乙' is the account '甲' again"):
        load(tmp_path, f'[[account]]\nname = "甲"\nbiz = "MzA5OQ"\n[[account]]\nname = "乙"\n{second}\n')


@pytest.mark.parametrize("way_in", [
    'biz = "MzA5OQ=="',
    'urls = ["https://mp.weixin.qq.com/s?__biz=MzA5OQ==&mid=2&idx=1&sn=b"]',
    'urls = ["https://mp.weixin.qq.com/s?__biz=MzA5OQ&mid=2&idx=1&sn=b"]',
])
def test_an_album_of_another_biz_than_the_accounts_is_refused(tmp_path: Path, way_in: str) -> None:
    # Read all the same, every article it listed was another account's, not archived, an
    # INFO line each: a wrong biz line (or album) archived nothing of it, and said nothing.
    with pytest.raises(AccountsError, match="album .*album_id=7' is another account's"):
        load(tmp_path, f'[[account]]\nname = "甲"\n{way_in}\nalbums = '
                       '["https://mp.weixin.qq.com/mp/appmsgalbum?__biz=MzI0NA%3D%3D&album_id=7"]\n')
    [account] = load(tmp_path, f'[[account]]\nname = "甲"\n{way_in}\nalbums = '
                               '["https://mp.weixin.qq.com/mp/appmsgalbum?__biz=MzA5OQ&album_id=7"]\n')
    assert account.biz == "MzA5OQ=="


LINK = "https://mp.weixin.qq.com/s/Token"


@pytest.mark.parametrize("line", [
    f'urls = ["{LINK}{"x" * 10_000_000}"]',  # a paste gone wrong: a 10 MB line
    f'name = "{"名" * 3_000_000}"\nurls = ["{LINK}"]',
    f'albums = ["{"x" * 10_000_000}"]',
    f'feeds = ["https://rss.example/{"x" * 10_000_000}"]',
    f'biz = "{"!" * 10_000_000}"',
])
def test_a_value_too_long_for_any_account_is_one_short_message(tmp_path: Path, line: str) -> None:
    """The message quoted the value whole: a 10 MB line in the accounts file was a 10 MB
    line on the terminal and in cron's mail."""
    text = f"[[account]]\n{line}\n" if line.startswith("name") else f'[[account]]\nname = "甲"\n{line}\n'
    with pytest.raises(AccountsError) as refused:
        load(tmp_path, text)
    assert len(str(refused.value)) < 400 and "characters long" in str(refused.value), str(refused.value)[:400]


@pytest.mark.parametrize("value", ["甲\\u0000乙", "甲\\n乙", "甲\\u001b[31m", "甲\\u007f", "甲\\u009b31m",
                                   "甲\\u0085乙", "甲\\u2028乙"])
@pytest.mark.parametrize("key", ["name", "tags"])
def test_a_name_or_tag_holding_a_control_character_is_refused(tmp_path: Path, key: str, value: str) -> None:
    """TOML's escapes let a NUL, a line break or a terminal's escape into an account's name
    or tags, which every post of it then carried into its front matter and attribution."""
    table = f'name = "{value}"' if key == "name" else f'name = "甲"\ntags = ["{value}"]'
    with pytest.raises(AccountsError, match=f"{key} holds a control character"):
        load(tmp_path, f'[[account]]\n{table}\nurls = ["{LINK}"]\n')


@pytest.mark.parametrize("key, value", [
    ("urls", LINK),
    ("albums", "https://mp.weixin.qq.com/mp/appmsgalbum?action=getalbum&album_id=7"),
])
def test_one_link_given_by_two_accounts_is_refused(tmp_path: Path, key: str, value: str) -> None:
    """Whose the articles it leads to are was the table read first: the other account's
    posts were attributed to the wrong name, and nothing said so."""
    with pytest.raises(AccountsError, match=f"'乙' gives {key[:-1]} '.*' that '甲' gives too"):
        load(tmp_path, f'[[account]]\nname = "甲"\n{key} = ["{value}"]\n'
                       f'[[account]]\nname = "乙"\n{key} = ["{value}"]\n')


def test_a_link_an_account_gives_twice_is_one_link(tmp_path: Path) -> None:
    [account] = load(tmp_path, f'[[account]]\nname = "甲"\nurls = ["{LINK}", " {LINK} ", "{LINK}"]\n')
    assert account.urls == (LINK,)


def test_an_album_or_feed_an_account_gives_twice_is_one(tmp_path: Path) -> None:
    album = "https://mp.weixin.qq.com/mp/appmsgalbum?action=getalbum&album_id=7"
    feed = "https://example.com/feed.xml"
    [account] = load(tmp_path, f'[[account]]\nname = "甲"\nalbums = ["{album}", " {album}"]\n'
                               f'feeds = ["{feed}", "{feed} "]\n')
    assert account.albums == (album,) and account.feeds == (feed,)


def test_a_file_notepad_saved_as_unicode_reads(tmp_path: Path) -> None:
    """Notepad's "Unicode" is UTF-16 with a byte order mark: it was "not valid TOML: 'utf-8'
    codec can't decode byte 0xff in position 0", which tells a person nothing to do."""
    path = tmp_path / "accounts.toml"
    path.write_bytes(f"[[account]]\r\nname = '甲'\r\nurls = ['{LINK}']\r\n".encode("utf-16"))
    [account] = load_accounts(path, BASE, HOSTS)
    assert account.name == "甲" and account.urls == (LINK,)


def test_a_file_in_another_encoding_says_where_and_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "accounts.toml"
    path.write_bytes("[[account]]\nname = '甲'\n".encode("gbk"))
    with pytest.raises(AccountsError) as refused:
        load_accounts(path, BASE, HOSTS)
    assert str(refused.value) == (f"accounts file {str(path)!r} is not UTF-8 (byte 0xbc on line 2): "
                                  "save it as UTF-8")


def test_a_crawl_given_an_accounts_file_with_a_10_mb_line_says_one_short_line(tmp_path: Path) -> None:
    path = tmp_path / "accounts.toml"
    path.write_text(f'[[account]]\nname = "甲"\nurls = ["{LINK}{"x" * 10_000_000}"]\n', encoding="utf-8")
    result = crawl_cli("accounts", tmp_path / "archive", settings={"ACCOUNTS_FILE": str(path)})
    assert result.returncode == 2 and len(result.stderr) < 400, result.stderr[:400]
    assert refusal(result, "crawl accounts").endswith("(2,000 at most)")
    assert not (tmp_path / "archive").exists()


def test_an_account_s_home_page_given_as_its_link_says_the_biz_it_names(tmp_path: Path) -> None:
    """The link a person copies from an account's home page was "not an article path
    (/s/<token> or /s?__biz=…)": true, but the link names the account's biz, which is what
    the file takes for an account, and the line did not say so."""
    page = "/mp/homepage?__biz=MzI0NzE2NjQ0Mg%3D%3D&hid=1&sn=x"
    path = tmp_path / "accounts.toml"
    path.write_text(f'[[account]]\nname = "某市反诈中心"\nurls = ["http://127.0.0.1:9{page}"]\n',
                    encoding="utf-8")

    result = crawl_cli("accounts", tmp_path / "archive", settings={"ACCOUNTS_FILE": str(path)})

    assert result.returncode == 2, result.stderr
    assert refusal(result, "crawl accounts") == (
        f"scrapy crawl accounts: accounts file {str(path)!r}, account 1 (某市反诈中心): an account's page, "
        "not an article's: give its biz = \"MzI0NzE2NjQ0Mg==\" (with one of its articles' links to "
        f"start): 'http://127.0.0.1:9{page}'")
    assert not (tmp_path / "archive").exists()


HISTORY = "https://mp.weixin.qq.com/mp/profile_ext?action=home&__biz=MzI0NzE2NjQ0Mg==&scene=124"
HISTORY_SAID = ("an account's history page, which WeChat lists only to a reader signed in to its app: give "
                "one of the account's articles' links or one of its albums' links instead (its biz = "
                "\"MzI0NzE2NjQ0Mg==\" names the account in the accounts file): "
                "'https://mp.weixin.qq.com/mp/profile_ext?action=home&__biz=MzI0NzE2NjQ0Mg=='")


@pytest.mark.parametrize("key", ["urls", "albums", "feeds"])
def test_an_account_s_history_page_given_as_a_way_in_says_what_to_give_instead(tmp_path: Path, key: str) -> None:
    """The account's history page (``/mp/profile_ext?action=home``, what its profile opens)
    lists its posts only to a reader signed in to WeChat's app. Given as a link, the line
    said "give its biz" (the biz alone finds no article); as an album, "not an album URL";
    as a feed it was taken, and failed at every run. Now one line says why, and what to give
    instead, without the reader's session the app's copy holds (``key``, ``pass_ticket``)."""
    path = tmp_path / "accounts.toml"
    path.write_text(f'[[account]]\nname = "某市反诈中心"\n{key} = ["{HISTORY}&key=SeCrEt&pass_ticket=PaSs'
                    '#wechat_redirect"]\n', encoding="utf-8")

    result = crawl_cli("accounts", tmp_path / "archive", settings={"ACCOUNTS_FILE": str(path)})

    assert result.returncode == 2, result.stderr
    assert refusal(result, "crawl accounts") == (
        f"scrapy crawl accounts: accounts file {str(path)!r}, account 1 (某市反诈中心): {HISTORY_SAID}")
    assert not (tmp_path / "archive").exists()


@pytest.mark.parametrize("spider", ["article", "album"])
def test_an_account_s_history_page_given_to_crawl_says_what_to_give_instead(tmp_path: Path, spider: str) -> None:
    result = crawl_cli(spider, tmp_path / "archive", "-a", f"url={HISTORY}&uin=MTIz&key=SeCrEt")
    assert result.returncode == 2, result.stderr
    assert refusal(result, f"crawl {spider}") == f"scrapy crawl {spider}: {HISTORY_SAID}"

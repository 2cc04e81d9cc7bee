"""Spider ``-a`` arguments (``crawler.spiders.arguments``): a typo, a yes/no that is
neither, or a list file that cannot be read is one ``ArgumentError`` saying so."""

from __future__ import annotations

from pathlib import Path

import pytest
from scrapy.settings import Settings

from crawler import settings as project_settings
from crawler.config import Config
from crawler.spiders.accounts import AccountsParams
from crawler.spiders.arguments import ArgumentError, check_known, flag, list_file
from crawler.spiders.article import ArticleParams
from crawler.spiders.import_pages import ImportParams


def test_known_arguments_pass() -> None:
    check_known({"url": "x", "follow_albums": "true"}, ("url", "urls_file", "follow_albums"))
    check_known({}, ())


def test_an_unknown_argument_names_itself_and_what_the_spider_takes() -> None:
    with pytest.raises(ArgumentError) as refused:
        check_known({"url": "x", "folow_albums": "true"}, ("url", "follow_albums"))
    assert str(refused.value) == ("unknown argument -a folow_albums= "
                                  "(this spider takes -a follow_albums=, -a url=)")


def test_a_spider_that_takes_no_arguments_says_so() -> None:
    with pytest.raises(ArgumentError, match=r"this spider takes no -a arguments\)$"):
        check_known({"url": "x"}, ())


@pytest.mark.parametrize("value", ["true", "True", " YES ", "1", "on"])
def test_a_flag_is_true(value: str) -> None:
    assert flag({"f": value}, "f") is True


@pytest.mark.parametrize("value", ["false", "No", "0", "off", "", "  "])
def test_a_flag_is_false(value: str) -> None:
    assert flag({"f": value}, "f") is False


def test_an_absent_flag_is_false() -> None:
    assert flag({}, "f") is False


@pytest.mark.parametrize("value", ["maybe", "ture", "2", "true,false"])
def test_a_flag_that_is_neither_is_refused_quoting_it(value: str) -> None:
    with pytest.raises(ArgumentError) as refused:
        flag({"follow": value}, "follow")
    assert str(refused.value) == f"-a follow= takes true or false, not {value!r}"


def test_a_list_file_leaves_out_blanks_and_comments_and_numbers_lines(tmp_path: Path) -> None:
    path = tmp_path / "urls.txt"
    path.write_text("# articles\n\n  first  \n\t# indented comment\nsecond # not a comment\r\n\n third",
                    encoding="utf-8")
    assert list_file(path, "urls_file") == [(3, "first"), (5, "second # not a comment"), (7, "third")]


def test_a_list_file_notepad_saved_with_a_byte_order_mark_reads(tmp_path: Path) -> None:
    path = tmp_path / "urls.txt"
    path.write_bytes("\ufeffhttps://mp.weixin.qq.com/s/Token\r\n".encode("utf-8"))
    assert list_file(path, "urls_file") == [(1, "https://mp.weixin.qq.com/s/Token")]


def test_an_empty_list_file_is_an_empty_list(tmp_path: Path) -> None:
    path = tmp_path / "urls.txt"
    path.write_bytes(b"")
    assert list_file(path, "urls_file") == []


def test_a_list_file_that_does_not_exist_is_refused_naming_it(tmp_path: Path) -> None:
    with pytest.raises(ArgumentError) as refused:
        list_file(tmp_path / "missing.txt", "urls_file")
    assert str(refused.value) == (f"cannot read urls_file {str(tmp_path / 'missing.txt')!r}: "
                                  "No such file or directory")


def test_a_list_file_that_is_a_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ArgumentError, match="^cannot read urls_file .*: Is a directory$"):
        list_file(tmp_path, "urls_file")


def test_a_list_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "urls.txt"
    path.write_bytes("https://mp.weixin.qq.com/s/甲".encode("gb18030"))
    with pytest.raises(ArgumentError, match=r"^urls_file .* is not UTF-8 \(byte 0xbc on line 1\): "
                                            "save it as UTF-8$"):
        list_file(path, "urls_file")


def test_a_path_argument_from_home_is_the_home_s_as_cron_s_shell_leaves_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``sh`` leaves ``-a file=~/accounts.toml`` as it is, as it leaves ``-s ACCOUNTS_FILE=~/…``,
    which is the home's: the argument was 'there is no accounts file '~/accounts.toml''."""
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "accounts.toml").write_text(
        '[[account]]\nname = "甲"\nurls = ["https://mp.weixin.qq.com/s/Token"]\n', encoding="utf-8")
    (tmp_path / "urls.txt").write_text("https://mp.weixin.qq.com/s/Token\n", encoding="utf-8")
    (tmp_path / "saved").mkdir()
    (tmp_path / "saved" / "a.html").write_text("<html></html>", encoding="utf-8")
    (tmp_path / "pages.txt").write_text("~/saved/a.html\n", encoding="utf-8")
    settings = Settings()
    settings.setmodule(project_settings)
    config = Config.from_settings(settings)
    assert AccountsParams.from_arguments({"file": "~/accounts.toml"}, config).accounts[0].name == "甲"
    assert ArticleParams.from_arguments({"urls_file": "~/urls.txt"}, config).urls == (
        "https://mp.weixin.qq.com/s/Token",)
    page = tmp_path / "saved" / "a.html"
    assert ImportParams.from_arguments({"path": "~/saved"}, config).pages == (page,)
    assert ImportParams.from_arguments({"path": "~/saved/a.html"}, config).pages == (page,)
    assert ImportParams.from_arguments({"paths_file": "~/pages.txt"}, config).pages == (page,)

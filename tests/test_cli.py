"""What the project's commands share (``crawler.cli``), run in the test process: a bad
setting or a folder that holds no archive is one line and exit status 2, an archive that
cannot be opened one line and status 1; and ``scrapy accounts-report``."""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from scrapy.settings import Settings

from crawler import settings as project_settings
from crawler.cli import AccountsReport, ArchiveCommand, refuse
from crawler.config import given
from crawler.store.accountbook import AccountBook
from crawler.store.archive import Archive
from crawler.store.index import ArticleState
from tests.conftest import run_command

BIZ = "MzI0NzE2NjQ0Mg=="
OTHER_BIZ = "MzU0MTA3OTU5Ng=="


class Opens(ArchiveCommand):
    """A command that only opens the archive, and says it did."""

    def short_desc(self) -> str:
        return "open the archive"

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        with self.archive() as (archive, config):
            print(f"opened {archive.layout.root} read-only={self.read_only} tags={config.default_tags}")


class Looks(Opens):
    read_only = True


@pytest.fixture
def archive(tmp_path: Path) -> Iterator[Path]:
    """An archive a run has opened and closed (no posts yet)."""
    Archive(tmp_path).close()
    yield tmp_path


def test_an_archive_is_opened_with_the_settings_read(archive: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert run_command(Opens(), archive, DEFAULT_TAGS="甲,乙") == 0
    assert capsys.readouterr().out == f"opened {archive} read-only=False tags=('甲', '乙')\n"


def test_a_bad_setting_is_one_line_and_status_2(archive: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_command(Opens(), archive, PROGRESS="sometimes") == 2
    output = capsys.readouterr()
    assert output.out == ""
    assert output.err.startswith("scrapy test_cli: ") and output.err.count("\n") == 1
    assert "PROGRESS" in output.err


def test_a_folder_with_no_archive_is_refused_and_nothing_created(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    typo = tmp_path / "archvie"
    assert run_command(Opens(), typo) == 2
    assert not typo.exists()
    assert capsys.readouterr().err == (f"scrapy test_cli: {typo} holds no archive (no _posts/ or "
                                       ".state/ folder): check -s ARCHIVE_DIR=\n")


def test_an_archive_another_run_holds_is_status_1_but_can_be_looked_at(
        archive: Path, capsys: pytest.CaptureFixture[str]) -> None:
    held = Archive(archive)
    try:
        assert run_command(Opens(), archive) == 1
        assert capsys.readouterr().err.startswith("scrapy test_cli: ")
        assert run_command(Looks(), archive) == 0  # read-only: no lock wanted
        assert "read-only=True" in capsys.readouterr().out
    finally:
        held.close()
    assert run_command(Opens(), archive) == 0  # the lock went with the archive's closing


def test_the_archive_is_closed_when_the_command_fails(archive: Path) -> None:
    class Fails(Opens):
        def run(self, args: list[str], opts: argparse.Namespace) -> None:
            with self.archive():
                raise RuntimeError("the command's own failure")

    with pytest.raises(RuntimeError):
        run_command(Fails(), archive)
    Archive(archive).close()  # not locked any more


def test_refuse_says_one_line_and_gives_the_status(capsys: pytest.CaptureFixture[str]) -> None:
    assert refuse("verify", "it is wrong", 3) == 3
    assert capsys.readouterr().err == "scrapy verify: it is wrong\n"


def accounts_report(archive: Path, capsys: pytest.CaptureFixture[str],
                    **settings: Any) -> tuple[int, list[str]]:
    """Run in ``archive``, where the default accounts file is none unless a test writes it."""
    with contextlib.chdir(archive):
        status = run_command(AccountsReport(), archive, **settings)
    return status, capsys.readouterr().out.splitlines()


def test_the_report_of_an_archive_of_no_accounts(archive: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, lines = accounts_report(archive, capsys)
    assert status == 0
    assert lines == ["accounts-report: 0 accounts, 0 stale (no new article for 30 days)"]


def test_the_accounts_of_the_file_come_first_then_the_others_the_archive_holds(
        archive: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Another account is named as its newest post attributes it."""
    accounts = archive / "accounts.toml"
    accounts.write_text(f'[[account]]\nname = "乙"\nbiz = "{OTHER_BIZ}"\n'
                        f'[[account]]\nname = "丙"\nurls = ["https://mp.weixin.qq.com/s/abc"]\n',
                        encoding="utf-8")
    opened = Archive(archive)
    opened.index.add_article(f"{BIZ}:1:1", "https://mp.weixin.qq.com/s?__biz=x", "p.md",
                             ArticleState.ARCHIVED, published=1_600_000_000)
    opened.close()
    (archive / "_posts").mkdir(exist_ok=True)
    post = "---\ntitle: t\nwechat:\n  account: 甲\n---\n"
    (archive / "_posts" / "p.md").write_text(post, encoding="utf-8")
    status, lines = accounts_report(archive, capsys, ACCOUNTS_FILE=str(accounts))
    assert status == 0
    names = [line.split(":", 1)[0] for line in lines[:-1]]
    assert names == ["乙", "丙", "甲"]
    assert lines[-1].startswith(f"accounts-report: {len(names)} accounts, ")
    assert all(line.endswith("; not in the accounts file") for line in lines[2:-1])


@pytest.mark.parametrize(("content", "says"), [
    ("[[account]]\nname = 1\n", "name must be a string"),
    ('[[account]]\nname = "甲\\nERROR: forged"\n', "name holds a control character (U+000A): '甲\\nERROR: forged'"),  # one line
])
def test_an_accounts_file_that_cannot_be_used_is_status_2(archive: Path, content: str, says: str,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    accounts = archive / "accounts.toml"
    accounts.write_text(content, encoding="utf-8")
    assert run_command(AccountsReport(), archive, ACCOUNTS_FILE=str(accounts)) == 2
    output = capsys.readouterr()
    assert output.err.startswith("scrapy accounts-report: accounts file ")
    assert output.err.count("\n") == 1 and says in output.err
    assert output.out == ""


def test_posts_whose_pages_gave_no_ids_are_no_account_of_the_report(
        archive: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An article whose page gave no ``__biz``/``mid``/``idx`` is keyed by its URL: that is
    no account (its key's text before the first colon is "https")."""
    opened = Archive(archive)
    opened.index.add_article(f"{BIZ}:1:1", "https://mp.weixin.qq.com/s?__biz=x", "a.md",
                             ArticleState.ARCHIVED, published=1_600_000_000)
    for name in ("b.md", "c.md"):
        opened.index.add_article(f"https://mp.weixin.qq.com/s/{name}", f"https://mp.weixin.qq.com/s/{name}",
                                 name, ArticleState.ARCHIVED, published=1_600_000_000)
    opened.close()
    (archive / "_posts").mkdir(exist_ok=True)
    for name in ("a.md", "b.md", "c.md"):
        (archive / "_posts" / name).write_text("---\ntitle: t\nwechat:\n  account: 甲\n---\n",
                                               encoding="utf-8")
    status, lines = accounts_report(archive, capsys)
    assert status == 0
    assert [line.split(":", 1)[0] for line in lines[:-1]] == ["甲"]
    assert lines[0].startswith("甲: 1 archived")
    assert lines[-1].startswith("accounts-report: 1 account, ")


def test_download_slots_that_are_no_json_object_are_one_line_and_status_2(
        archive: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Scrapy parses the command line's ``-s DOWNLOAD_SLOTS=[1]`` as it takes it: a traceback."""
    assert run_command(Opens(), archive, "-s", "DOWNLOAD_SLOTS=[1]") == 2
    output = capsys.readouterr()
    assert output.err == "scrapy test_cli: -s DOWNLOAD_SLOTS= takes a JSON object (of names and values), not '[1]'\n"


def one_archived_post(archive: Path, front_matter: str, account: str = "") -> None:
    """One article of ``BIZ`` archived, its post of ``front_matter``; ``account`` the name a
    run found for ``BIZ``, when given."""
    opened = Archive(archive)
    if account:
        AccountBook(opened.index).set_account(account, BIZ)
    opened.index.add_article(f"{BIZ}:1:1", "https://mp.weixin.qq.com/s?__biz=x", "a.md",
                             ArticleState.ARCHIVED, published=1_600_000_000)
    opened.close()
    (archive / "_posts").mkdir(exist_ok=True)
    (archive / "_posts" / "a.md").write_text(front_matter, encoding="utf-8")


def test_without_an_accounts_file_no_account_is_said_to_be_missing_from_it(
        archive: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """There is no file for an account not to be in."""
    one_archived_post(archive, "---\ntitle: t\nwechat:\n  account: 甲\n---\n")
    status, lines = accounts_report(archive, capsys)
    assert status == 0
    assert lines[0].startswith("甲: 1 archived") and "accounts file" not in lines[0], lines


def test_an_account_listed_by_its_links_alone_is_known_by_the_biz_a_run_found(
        archive: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """As a scheduled run knows it (``Index.account_biz``): one line, its posts counted, not a
    second line for the same account as one the file does not list."""
    accounts = archive / "accounts.toml"
    accounts.write_text('[[account]]\nname = "甲"\nurls = ["https://mp.weixin.qq.com/s/abc"]\n',
                        encoding="utf-8")
    one_archived_post(archive, "---\ntitle: t\nwechat:\n  account: 甲\n---\n", account="甲")
    status, lines = accounts_report(archive, capsys, ACCOUNTS_FILE=str(accounts))
    assert status == 0
    assert len(lines) == 2 and lines[0].startswith("甲: 1 archived"), lines
    assert lines[-1].startswith("accounts-report: 1 account, ")


def test_an_account_whose_newest_post_names_none_is_named_by_its_biz(
        archive: Path, capsys: pytest.CaptureFixture[str]) -> None:
    one_archived_post(archive, "---\ntitle: t\n---\n")
    status, lines = accounts_report(archive, capsys)
    assert status == 0
    assert lines[0].startswith(f"{BIZ}: 1 archived"), lines


@pytest.mark.parametrize(("value", "priority", "chosen"), [
    (None, "project", False), ("accounts.toml", "cmdline", True), ("other.toml", "project", True)])
def test_an_accounts_file_is_chosen_on_the_command_line_or_by_another_value(
        value: str | None, priority: str, chosen: bool) -> None:
    """A settings module or ``SCRAPY_ACCOUNTS_FILE`` naming another file chose it too."""
    settings = Settings()
    settings.setmodule(project_settings, priority="project")
    if value is not None:
        settings.set("ACCOUNTS_FILE", value, priority=priority)
    assert given(settings, "ACCOUNTS_FILE", "accounts.toml") is chosen


def test_an_accounts_file_named_by_editing_the_settings_module_must_be_there(
        archive: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """README: the defaults live in ``crawler/settings.py``, and an accounts file chosen by
    "another value than ``accounts.toml`` in the settings" must be there. One written there
    was taken for the default, the value compared with being the module's own: missing, the
    report listed no account, status 0, and nobody learnt the file was never read."""
    missing = archive / "srv" / "accounts.toml"
    monkeypatch.setattr(project_settings, "ACCOUNTS_FILE", str(missing))  # as an edit of it
    assert run_command(AccountsReport(), archive) == 2
    output = capsys.readouterr()
    assert output.err == (f"scrapy accounts-report: ACCOUNTS_FILE names no file: {str(missing)!r} "
                          "(only accounts.toml, the default, may be missing: no accounts yet)\n")
    assert output.out == ""

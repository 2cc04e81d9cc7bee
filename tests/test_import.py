"""``scrapy crawl import`` as a user meets it: what it says of what it was given."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import crawl, crawl_cli, page_text, refusal

ARTICLE_URL = "http://mp.weixin.qq.com/s/AbCdEf012"
ADVICE = "give article URLs to scrapy crawl article -a url=URL (or -a urls_file=LIST)"


def test_a_url_in_a_list_of_saved_pages_is_said_as_given_and_where_it_belongs(tmp_path: Path) -> None:
    """A URL was taken for a path: ``Not imported: cannot read http:/mp.weixin.qq.com/…``,
    a file nobody named, and nothing said of where an article's URL goes."""
    good = tmp_path / "good.html"
    good.write_text(page_text("text_post.html"), encoding="utf-8")
    listing = tmp_path / "list.txt"
    listing.write_text(f"{ARTICLE_URL}\n{good}\n", encoding="utf-8")

    result = crawl_cli("import", tmp_path / "archive", "-a", f"paths_file={listing}")

    assert result.returncode == 0, result.stderr
    [refused] = [line for line in result.stderr.splitlines() if "Not imported" in line]
    assert refused.endswith(f"WARNING: Not imported: {ARTICLE_URL!r} is a URL, not a saved page: "
                            f"{ADVICE}"), refused
    assert "1 not imported" in result.stderr
    assert len(list((tmp_path / "archive" / "_posts").glob("*.md"))) == 1


@pytest.mark.parametrize("url", [ARTICLE_URL, "https://mp.weixin.qq.com/s?__biz=MzA=&mid=1&idx=1"])
def test_a_url_given_as_the_path_of_saved_pages_is_refused_as_a_url(tmp_path: Path, url: str) -> None:
    """It was ``no such file or folder``, as if the page had been mislaid."""
    result = crawl_cli("import", tmp_path / "archive", "-a", f"path={url}")

    assert result.returncode == 2
    assert refusal(result, "crawl import") == (f"scrapy crawl import: {url!r} is a URL, not a "
                                               f"saved page: {ADVICE}")


@pytest.mark.parametrize("link", ["a loop", "a target gone"])
def test_a_symbolic_link_that_leads_nowhere_is_said_to_be_one(tmp_path: Path, link: str) -> None:
    """``-a path=`` of a link in a loop (``a.html`` → ``b.html`` → ``a.html``) or to a file
    since deleted was ``no such file or folder``: the user, seeing the file there in ``ls``,
    was told it was not."""
    given = tmp_path / "a.html"
    given.symlink_to(tmp_path / "b.html")
    if link == "a loop":
        (tmp_path / "b.html").symlink_to(given)
    result = crawl_cli("import", tmp_path / "archive", "-a", f"path={given}")

    assert result.returncode == 2, result.stderr
    assert refusal(result, "crawl import") == ("scrapy crawl import: a symbolic link that leads to no "
                                               f"file or folder (its target is gone, or a loop): {str(given)!r}")
    assert not (tmp_path / "archive").exists()


def test_a_list_naming_a_page_whose_name_is_no_utf8_imports_it(tmp_path: Path) -> None:
    """A page saved on Windows and unzipped here keeps its name's GBK bytes (``反诈.html``); a
    cron job's ``find saved -name '*.html' > list.txt`` lists it as they are. The whole list
    was refused ("cannot read paths_file …: 'utf-8' codec can't decode byte 0xb7"), status 2,
    every night; the folder itself was read. Now the name is read as the file system has it."""
    name = os.fsdecode(str(tmp_path).encode() + b"/" + "反诈".encode("gbk") + b".html")
    Path(name).write_text(page_text("text_post.html"), encoding="utf-8")
    listing = tmp_path / "list.txt"
    listing.write_bytes(os.fsencode(name) + b"\n")

    result = crawl("import", tmp_path / "archive", "-a", f"paths_file={listing}")

    assert result.returncode == 0, result.stderr
    assert len(list((tmp_path / "archive" / "_posts").glob("*.md"))) == 1

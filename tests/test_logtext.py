"""``crawler.report.logtext``: log records show their arguments' control characters escaped."""

from __future__ import annotations

import logging
from pathlib import Path

from crawler.report.logtext import escape_arguments
from tests.conftest import crawl_cli
from tests.mockserver import MockWeChat, Route
from tests.site import BIZ, Art, Site, numbered
from tests.test_hostile import page


def message(template: str, *args: object) -> str:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, template, args, None)
    return escape_arguments(record).getMessage()


def test_an_argument_cannot_break_a_line_or_speak_to_the_terminal() -> None:
    assert message("Not imported: %s", "a\nb\r\x1b[2J\u2028c\td") == \
        "Not imported: a\\nb\\r\\x1b[2J\\u2028c\td"
    assert message("%r is %d pages, %.1f s", "x\ny", 3, 0.25) == "'x\\ny' is 3 pages, 0.2 s"


def test_an_argument_the_template_puts_on_lines_of_its_own_keeps_its_lines() -> None:
    assert message("Dumping stats:\n%s", "{'a': 1,\n 'b': 2}\x1b") == "Dumping stats:\n{'a': 1,\n 'b': 2}\\x1b"
    assert message("Dropped: %s\n%s", "a\nb", "c\nd") == "Dropped: a\\nb\nc\nd"
    assert message("%d%% of %s\n%s", 5, "a\nb", "c\nd") == "5% of a\\nb\nc\nd"


def test_named_arguments_are_escaped_too() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "Dropped: %(exception)s\n%(item)s",
                               ({"exception": ValueError("a\nb"), "item": "c\nd"},), None)
    assert escape_arguments(record).getMessage() == "Dropped: a\\nb\nc\nd"


class HugeLinks(Site):
    """An account whose album lists its articles by links of a 60 KB ``chksm`` (the stand-in,
    as Python's HTTP server, answers a request line of more than 64 KB with 414)."""

    def link(self, art: Art) -> str:
        return super().link(art).replace("chksm=abcdef0123", f"chksm={'c' * 60_000}")


def test_a_run_quotes_a_70_kb_link_or_title_shortened_keeping_what_names_the_article(
        wechat: MockWeChat, tmp_path: Path) -> None:
    """An album listing its articles by links of 60 KB (their ``chksm``), one WeChat answers 404,
    and one whose page has a title of 70,000 characters and no publish time: their "Not
    archived" lines quoted the link and the title whole, 60 KB and more a line of the cron mail. Each
    line is bounded now, and keeps the host, path, ``__biz``, ``mid``, ``idx`` and ``sn`` of
    the article, and the words after what it quotes."""
    site = HugeLinks(wechat)
    gone, untimed = numbered(2247481001, 2)
    site.pages[untimed.path] = Route(200, "text/html; charset=utf-8",
                                     page(title="甲" * 70_000, ct="", mid=untimed.mid).encode())
    album = site.album("3404", [gone, untimed])
    result = crawl_cli("album", tmp_path / "archive", "-a", f"url={album}",
                       settings={"LOG_LEVEL": "WARNING"})
    assert "Traceback" not in result.stderr, result.stderr[:3000]
    lines = result.stderr.splitlines()
    assert max(map(len, lines)) < 1500, [line[:300] for line in lines if len(line) >= 1500]
    [fetched] = [line for line in lines if "Not archived: could not fetch" in line]
    query = f"__biz={BIZ}&mid={gone.mid}&idx=1&sn=sn{gone.mid}1"
    assert f"{wechat.base}/s?{query}" in fetched and "shortened" in fetched, fetched
    assert fetched.endswith("HTTP 404"), fetched
    [untitled] = [line for line in lines if "states no publish time" in line]
    assert f"mid={untimed.mid}" in untitled and "甲" * 100 in untitled and "shortened" in untitled
    assert untitled.endswith("a post is never given an invented date"), untitled


def test_a_long_url_keeps_what_names_its_article_once_and_says_it_was_shortened() -> None:
    url = ("https://mp.weixin.qq.com/s?__biz=MzA5&chksm=" + "c" * 5000 + "&mid=22&mid=33&idx=1"
           + "&scene=126&sn=" + "f" * 500 + "#rd")
    line = message("Not archived: could not fetch %s: HTTP 404", url)
    assert line.startswith(f"Not archived: could not fetch https://mp.weixin.qq.com/s?__biz=MzA5&mid=22&idx=1"
                           f"&sn={'f' * 64}…(shortened: ")
    assert line.endswith(" characters left out): HTTP 404") and len(line) < 400


def test_long_text_keeps_its_start_and_end_and_each_url_in_it_is_shortened_apart() -> None:
    url = "http://127.0.0.1:9/s?__biz=B&mid=1&idx=1&sn=s&chksm=" + "c" * 1000
    line = message("Not archived: %s", f"{url}, redirected to {url}, ('{'甲' * 5000}') has no date.")
    assert line.count("http://127.0.0.1:9/s?__biz=B&mid=1&idx=1&sn=s…(shortened: ") == 2
    assert line.endswith("甲') has no date.") and "甲" * 500 in line and len(line) < 1500


def test_short_arguments_and_the_lines_of_a_dump_are_shown_as_they_are() -> None:
    url = "https://mp.weixin.qq.com/s?__biz=MzA5&mid=22&idx=1&sn=" + "f" * 32 + "&chksm=" + "c" * 100
    assert message("Post new: %s (%s)", "x.md", url) == f"Post new: x.md ({url})"
    dump = "\n".join(f"'stat/{number}': {number}," for number in range(200))
    assert message("Dumping stats:\n%s", dump) == f"Dumping stats:\n{dump}"
    assert len(message("Dumping stats:\n%s", f"{dump}\n{'x' * 5000}").splitlines()[-1]) < 1000


def test_a_refused_link_of_70_kb_is_one_short_line(tmp_path: Path) -> None:
    """``crawl article -a url=`` of a link of 70 KB with a space in it: its one line of
    refusal quoted the link whole."""
    given = f"https://mp.weixin.qq.com/s?__biz=MzA5&mid=1&idx=1&sn=2&chksm={'c' * 70_000} x"
    result = crawl_cli("article", tmp_path, "-a", f"url={given}")
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert line.startswith("scrapy crawl article: a link with a space in it (copy the link alone): "
                           "'https://mp.weixin.qq.com/s?__biz=MzA5&mid=1&idx=1&sn=2…(shortened: "), line
    assert line.endswith(" x'") and len(line) < 300, line


def test_a_long_url_the_project_takes_for_no_url_is_shown_as_text_cut_in_its_middle() -> None:
    """A URL is split as every part of the project splits it (``crawler.wechat.urls.split_url``):
    one of a port out of range, or an unclosed ``[``, is no URL to the crawl, and the line
    showed it as one (its host, path and ids), where it is text: its start and its end."""
    for url in ("http://mp.weixin.qq.com:99999/s?__biz=B&mid=1&idx=1&chksm=" + "c" * 1000 + "&sn=s",
                "http://[::1/s?__biz=B&mid=1&idx=1&chksm=" + "c" * 1000 + "&sn=s"):
        line = message("Not archived: %s", url)
        assert line.startswith(f"Not archived: {url[:200]}…(shortened: ") and line.endswith("c&sn=s"), line
        assert len(line) < 400

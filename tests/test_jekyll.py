"""Jekyll builds what the crawler wrote, with no warning, and shows it as the article showed it."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import jekyll_build


def test_jekyll_builds_the_crawled_archive_without_warnings(archived: tuple[Path, str],
                                                            tmp_path: Path) -> None:
    out, log = jekyll_build(archived[0], tmp_path)
    assert not re.search(r"warn|error|deprecat", log, re.IGNORECASE), log
    pages = list(out.glob("2021/07/28/*.html"))
    assert len(pages) == 1
    html = pages[0].read_text(encoding="utf-8")
    assert '<img src="/blog/postimg/HeaderGifMediaId001.gif" alt="" />' in html
    assert "<p>*在接到疑似售后电话时，一定要首先核实对方身份。</p>" in html
    assert "当你欣然同意<br />\n按照对方的要求实施操作时，<br />" in html
    for image in re.findall(r'src="/blog/(postimg/[^"]+)"', html):
        assert (out / image).is_file()

"""``python -m crawler.fidelity``: the measure, its report, and the thresholds it must show."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.fidelity import Fidelity, main, measure
from crawler.wechat.article import Article
from crawler.wechat.page import parse_page
from tests.conftest import PAGES, SHARED_FIXTURES


def test_report_over_our_pages(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(PAGES)]) == 0
    out = capsys.readouterr().out
    assert "deleted.html" in out and "not an article: deleted" in out
    assert "legacy_shape.html" in out
    assert out.splitlines()[-1].split()[:2] == ["total", "100.0%"]


def test_a_page_that_loses_text_is_flagged(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = (PAGES / "scriptless.html").read_text(encoding="utf-8")
    lossy = page.replace("<ul>", "<textarea>" + "看不见的正文" * 20 + "</textarea><ul>")
    (tmp_path / "lossy.html").write_text(lossy, encoding="utf-8")
    assert main([str(tmp_path)]) == 1
    assert "SUSPICIOUSLY SHORT" in capsys.readouterr().out


def test_the_shared_pages_meet_the_thresholds() -> None:
    if not SHARED_FIXTURES.is_dir():
        pytest.skip(f"{SHARED_FIXTURES} is absent: the third-party pages live beside the project")
    total = Fidelity()
    for path in sorted(SHARED_FIXTURES.glob("*.html")):
        article = parse_page(path.read_text(encoding="utf-8"), path.as_uri())
        if not isinstance(article, Article):
            continue
        result = measure(article)
        assert result.text_share >= 0.95, path.name
        assert result.images_kept == result.images_source, path.name
        assert result.code_lines_kept == result.code_lines_source, path.name
        total.add(result)
    assert total.text_share >= 0.98
    assert total.images_source > 200 and total.code_lines_source > 900

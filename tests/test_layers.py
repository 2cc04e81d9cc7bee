"""The seams of the design: parsing (``crawler/wechat``) and converting (``crawler/convert``)
know nothing of Scrapy, of fetching, or of the store; what both they and the store use is
a module of its own."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import PROJECT

# What each side may import of the project; Scrapy and Twisted it may not import at all.
ALLOWED = {
    "wechat": ("crawler.wechat", "crawler.reading"),
    "convert": ("crawler.convert", "crawler.wechat", "crawler.reading"),
}


def imported(module: Path) -> set[str]:
    """Every module ``module`` imports, at its top or inside a function."""
    names = set()
    for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def foreign(name: str, allowed: tuple[str, ...]) -> bool:
    top = name.split(".")[0]
    if top in ("scrapy", "twisted"):
        return True
    return top == "crawler" and not any(name == a or name.startswith(a + ".") for a in allowed)


@pytest.mark.parametrize("side", sorted(ALLOWED))
def test_a_side_imports_only_what_it_may(side: str) -> None:
    modules = sorted((PROJECT / "crawler" / side).glob("*.py"))
    assert modules
    found = {f"{m.relative_to(PROJECT)}: {name}" for m in modules for name in imported(m)
             if foreign(name, ALLOWED[side])}
    assert sorted(found) == []


def test_a_foreign_import_is_seen(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from crawler.store.files import atomic_write\n"
                      "import scrapy.http\nfrom crawler.wechat import dom\n", encoding="utf-8")
    assert sorted(n for n in imported(module) if foreign(n, ALLOWED["wechat"])) == [
        "crawler.store.files", "scrapy.http"]

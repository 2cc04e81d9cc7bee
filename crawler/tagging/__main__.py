"""``python -m crawler.tagging DIR [RULES]``: how well the scam-type rules tag a folder of
labelled articles, per type: precision (of the posts tagged, how many explain the type) and
recall (of the articles that explain it, how many are tagged).

Each ``*.txt`` file of ``DIR`` is one article: ``title:`` and ``types:`` lines (the types it
explains, by hand, comma-separated, none for an article of no type), a blank line, the body.
Every article tagged wrong is listed, so that a change of the rules is seen for what it does.
Exit status 1 when a file cannot be read or names a type the rules do not know.
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from crawler.tagging.rules import ScamTypes, ScamTypesError


class LabelError(ValueError):
    """A labelled file that cannot be read as one."""


@dataclass(frozen=True)
class Labelled:
    name: str
    title: str
    types: frozenset[str]
    text: str


def read_labelled(path: Path) -> Labelled:
    """One labelled article; ``LabelError`` when the file is not one."""
    try:
        head, _, text = path.read_text(encoding="utf-8-sig").partition("\n\n")  # Notepad's BOM too
    except (OSError, UnicodeDecodeError) as error:
        raise LabelError(f"{path}: {error}") from None
    fields = dict(line.partition(":")[::2] for line in head.splitlines())
    if "title" not in fields or "types" not in fields:
        raise LabelError(f"{path}: no title: or types: line before the first blank line")
    types = frozenset(t.strip() for t in fields["types"].replace("，", ",").split(",") if t.strip())
    return Labelled(path.name, fields["title"].strip(), types, text)


@dataclass
class Measure:
    """Counts per type over a labelled set."""

    labelled: Counter[str]
    tagged: Counter[str]
    right: Counter[str]
    wrong: list[str]

    @classmethod
    def of(cls, rules: ScamTypes, articles: list[Labelled]) -> Measure:
        measure = cls(Counter(), Counter(), Counter(), [])
        for article in articles:
            tagged = frozenset(rules.explained(article.title, article.text))
            measure.labelled.update(article.types)
            measure.tagged.update(tagged)
            measure.right.update(tagged & article.types)
            if tagged != article.types:
                measure.wrong.append(f"{article.name}: tagged {'、'.join(sorted(tagged)) or '-'}"
                                     f", labelled {'、'.join(sorted(article.types)) or '-'}")
        return measure

    def lines(self, rules: ScamTypes, articles: list[Labelled]) -> list[str]:
        none = [a for a in articles if not a.types]
        lines = [f"{len(articles)} articles, {len(none)} of no type", "",
                 "type                    labelled  tagged  right  precision  recall"]
        for t in rules.types:
            name = t.name
            precision = _ratio(self.right[name], self.tagged[name])
            recall = _ratio(self.right[name], self.labelled[name])
            lines.append(f"{name}{' ' * (24 - 2 * len(name))}{self.labelled[name]:8d}"
                         f"{self.tagged[name]:8d}{self.right[name]:7d}{precision:>11}{recall:>8}")
        typed_on_none = sum(1 for a in none if rules.explained(a.title, a.text))
        lines += ["", f"articles of no type given a type: {typed_on_none} of {len(none)}"]
        return lines + (["", "tagged differently from the labels:", *self.wrong] if self.wrong else [])


def _ratio(part: int, whole: int) -> str:
    return f"{part / whole:.2f}" if whole else "-"


def main(argv: list[str]) -> int:
    if len(argv) not in (1, 2):
        print("usage: python -m crawler.tagging DIR [RULES.toml]", file=sys.stderr)
        return 2
    try:
        rules = ScamTypes.load(Path(argv[1]) if len(argv) == 2 else None)
        articles = [read_labelled(path) for path in sorted(Path(argv[0]).glob("*.txt"))]
    except (ScamTypesError, LabelError) as error:
        print(error, file=sys.stderr)
        return 1
    unknown = {t for a in articles for t in a.types} - rules.names
    if unknown or not articles:
        print(f"unknown types {sorted(unknown)}" if unknown else f"no *.txt in {argv[0]}",
              file=sys.stderr)
        return 1
    print("\n".join(Measure.of(rules, articles).lines(rules, articles)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

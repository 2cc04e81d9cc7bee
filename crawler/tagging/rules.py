"""The scam types an article explains, from its title and text: phrases and weights read
from a TOML file (``crawler/scamtypes.toml`` unless ``SCAM_TYPES_FILE`` names another).

No model and no network: a reader of the archive browsing "冒充公检法" wants the posts that
explain that scam, and the accounts explain each scam in the same few words. Counting each
phrase once, however often it comes back, keeps a passing mention or a list of the ten
types below the threshold, while an explanation names several of the scam's steps.
"""

from __future__ import annotations

import functools
import re
import tomllib
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from crawler.reading import read_text

PACKAGED = "scamtypes.toml"
# Phrases up to this long are found in one pass (``Phrases``); a longer one is looked for
# alone: what the pass knows of a phrase grows with the square of its length.
_PASS_MOST = 32


class ScamTypesError(ValueError):
    """A rules file that cannot be used; the message says which and why."""


class Phrases:
    """Which of ``phrases`` a text holds, found in one pass of one regular expression over
    it: ``phrase in text`` for each of the 200 packaged phrases read the text of the 4.0 MB
    page 200 times (6 ms; the pass, 0.7 ms).

    The pass finds, where phrases begin, the longest, and goes on after it: those it holds
    are there too, and only those that may begin inside it and end past it are looked for
    one by one."""

    def __init__(self, phrases: Iterable[str]):
        given = {phrase for phrase in phrases if phrase}
        self._alone = [phrase for phrase in given if len(phrase) > _PASS_MOST]
        distinct = sorted(given.difference(self._alone), key=len, reverse=True)
        self._pass = re.compile("|".join(map(re.escape, distinct))) if distinct else None
        beginning: defaultdict[str, set[str]] = defaultdict(set)  # proper prefix → phrases
        for phrase in distinct:
            for end in range(1, len(phrase)):
                beginning[phrase[:end]].add(phrase)
        known = set(distinct)
        self._held = {phrase: frozenset(known.intersection(
            phrase[start:end] for start in range(len(phrase)) for end in range(start + 1, len(phrase) + 1)))
            for phrase in distinct}
        self._overlapping = {phrase: frozenset().union(
            *(beginning.get(phrase[start:], ()) for start in range(1, len(phrase)))) - self._held[phrase]
            for phrase in distinct}

    def found(self, text: str) -> frozenset[str]:
        matched = set(self._pass.findall(text)) if self._pass else set()
        held = frozenset().union(*(self._held[phrase] for phrase in matched))
        maybe = frozenset().union(*(self._overlapping[phrase] for phrase in matched)) - held
        return held | {phrase for phrase in (*maybe, *self._alone) if phrase in text}


@dataclass(frozen=True)
class ScamType:
    name: str
    phrases: tuple[tuple[str, float], ...]  # normalized phrase, weight

    def score(self, in_title: frozenset[str], in_text: frozenset[str], title_weight: float) -> float:
        """The weight of every phrase found once, a phrase of the title ``title_weight`` times."""
        return sum(weight * ((phrase in in_text) + title_weight * (phrase in in_title))
                   for phrase, weight in self.phrases)


@dataclass(frozen=True)
class ScamTypes:
    """The types, in the file's order, and what it takes to be tagged with one."""

    types: tuple[ScamType, ...]
    threshold: float
    title_weight: float
    _phrases: Phrases = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_phrases",  # frozen: set once, here
                           Phrases(phrase for t in self.types for phrase, _ in t.phrases))

    @classmethod
    def load(cls, path: Path | None = None) -> ScamTypes:
        """The rules of ``path``, or the packaged ones; ``ScamTypesError`` if unusable."""
        where = str(path) if path else PACKAGED
        try:
            text = (read_text(path) if path  # Notepad's BOM too; not /dev/zero read whole
                    else resources.files("crawler").joinpath(PACKAGED).read_text("utf-8"))
            return _rules_of(text)
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError) as error:
            # RecursionError: tomllib reads nested arrays and tables recursively
            raise ScamTypesError(f"cannot read scam types from {where}: {error}") from None
        except ValueError as error:
            raise ScamTypesError(f"scam types in {where}: {error}") from None

    @classmethod
    def _parse(cls, data: dict[str, Any]) -> ScamTypes:
        _known_keys(data, ("threshold", "title_weight", "type"), "")
        entries = data.get("type")
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise ValueError("types are [[type]] tables, each a name and its [type.phrases]")
        if "threshold" not in data:
            raise ValueError("no threshold (the score from which a type is tagged)")
        types = []
        for entry in entries:
            name = entry.get("name")
            if not isinstance(name, str) or not name.strip():
                raise ValueError(f"a type needs a name, not {name!r}")
            _known_keys(entry, ("name", "phrases"), f"type {name.strip()}: ")
            table = entry.get("phrases")
            if not isinstance(table, dict):
                raise ValueError(f"type {name.strip()}: phrases takes a table of phrase = weight "
                                 f"([type.phrases]), not {table!r}")
            phrases = tuple((normalized(phrase), _number(weight, f"{name} {phrase}"))
                            for phrase, weight in table.items() if normalized(phrase))
            types.append(ScamType(name.strip(), phrases))
        if len({t.name for t in types}) != len(types):
            raise ValueError("a type is named twice")
        return cls(tuple(types), _number(data["threshold"], "threshold"),
                   _number(data.get("title_weight", 1), "title_weight"))

    @property
    def names(self) -> frozenset[str]:
        return frozenset(t.name for t in self.types)

    def explained(self, title: str, text: str) -> tuple[str, ...]:
        """The types ``title`` and ``text`` explain, in the rules' order."""
        in_title, in_text = self._phrases.found(normalized(title)), self._phrases.found(normalized(text))
        return tuple(t.name for t in self.types
                     if t.score(in_title, in_text, self.title_weight) >= self.threshold)


def normalized(text: str) -> str:
    """``text`` as phrases are matched: full-width letters and digits as ASCII, no case."""
    return unicodedata.normalize("NFKC", text).casefold()


def _known_keys(table: dict[str, Any], known: tuple[str, ...], where: str) -> None:
    """A misspelt key (``title-weight``) would be ignored without a word."""
    unknown = sorted(set(table) - set(known))
    if unknown:
        raise ValueError(f"{where}unknown key {unknown[0]!r} (known: {', '.join(known)})")


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{what} takes a number, not {value!r}")
    return float(value)


@functools.lru_cache(maxsize=4)
def _rules_of(text: str) -> ScamTypes:
    """The rules of a rules file's ``text``, parsed and made into one pass (``Phrases``)
    once a process: a crawl's settings are read four times as its add-ons change them (2 ms
    each); the rules are frozen, so one object serves each reading."""
    return ScamTypes._parse(tomllib.loads(text))

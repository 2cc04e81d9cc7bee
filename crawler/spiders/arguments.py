"""Spider ``-a`` arguments, read once into a frozen parameters object per spider.

Each spider declares ``Params``, a frozen dataclass with ``from_arguments(arguments,
config)``. The crawl command builds it before anything starts, so that a mistake is one
line and exit status 2, and hands it to the spider; Scrapy's habit of setting every
``-a`` value on the spider as a raw string is not used (``-a follow_albums=false`` would
be the true string ``'false'``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, Self

from crawler.config import Config
from crawler.reading import not_utf8, read_text
from crawler.report.logtext import counted

_TRUE = {"true", "yes", "1", "on"}
_FALSE = {"false", "no", "0", "off", ""}


class ArgumentError(ValueError):
    """A spider argument that cannot be used; the message is the whole explanation."""


class NothingGiven(Exception):
    """Arguments that name nothing to do: a list file with no entry, a folder with no saved
    page. No mistake (a cron job's list of the day may be empty): the crawl says so in one
    line, the message, and ends with status 0."""


@dataclass(frozen=True)
class Given:
    """How many sources (URLs, accounts) a spider's ``Params`` were given, and of what kind:
    a run stopped before it asked for them all says how many it left (``short_links_first``)."""

    count: int
    kind: str  # one source: "URL"

    def of(self, left: int) -> str:
        """``left`` of them, as a stop line says it."""
        return f"{left} of the {counted(self.count, self.kind)} given"


class SpiderParams(Protocol):
    """What a spider's ``Params`` class offers."""

    @classmethod
    def from_arguments(cls, arguments: Mapping[str, Any], config: Config) -> Self: ...


def check_known(arguments: Mapping[str, Any], known: Iterable[str]) -> None:
    """Refuse arguments the spider does not take (a typo would otherwise do nothing)."""
    known = sorted(known)
    for name in arguments:
        if name not in known:
            takes = ", ".join(f"-a {k}=" for k in known) if known else "no -a arguments"
            raise ArgumentError(f"unknown argument -a {name}= (this spider takes {takes})")


def flag(arguments: Mapping[str, Any], name: str) -> bool:
    """A yes/no ``-a NAME=…`` argument (absent means no)."""
    value = str(arguments.get(name, "")).strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ArgumentError(f"-a {name}= takes true or false, not {arguments[name]!r}")


def tags_given(arguments: Mapping[str, Any]) -> tuple[str, ...]:
    """The tags of ``-a tags=a,b`` (``,`` or ``，``, as a Chinese input method types it),
    each once, in order."""
    tags = str(arguments.get("tags") or "").replace("，", ",").split(",")
    return tuple(dict.fromkeys(tag.strip() for tag in tags if tag.strip()))


def list_file(path: Path, what: str, errors: str = "strict") -> list[tuple[int, str]]:
    """(line number, line) of a list file: one entry per line, blank lines and lines
    starting with ``#`` (after any indentation) left out; read as ``read_text`` reads it."""
    try:
        lines = read_text(path, errors).splitlines()
    except OSError as error:
        raise ArgumentError(f"cannot read {what} {str(path)!r}: {error.strerror or error}") from None
    except UnicodeDecodeError as error:
        raise ArgumentError(f"{what} {str(path)!r} {not_utf8(error)}") from None
    return [(number, line.strip()) for number, line in enumerate(lines, 1)
            if line.strip() and not line.strip().startswith("#")]

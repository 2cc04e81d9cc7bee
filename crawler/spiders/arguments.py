"""Checking ``-a`` arguments of spiders up front."""

from __future__ import annotations

from typing import Any

_TRUE = {"true", "yes", "1", "on"}
_FALSE = {"false", "no", "0", "off", ""}


class ArgumentError(ValueError):
    """A spider argument that cannot be used; the message is the whole explanation."""


def flag(kwargs: dict[str, Any], name: str) -> bool:
    """A yes/no ``-a NAME=…`` argument (absent means no)."""
    value = str(kwargs.get(name, "")).strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ArgumentError(f"-a {name}= takes true or false, not {kwargs[name]!r}")

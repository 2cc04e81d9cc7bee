"""Pure functions of a short text, remembered by the text: what a page repeats (its styles,
its pictures' URLs, read by the parser and again by the converter) is worked out once."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

_T = TypeVar("_T")


def per_text(longest: int) -> Callable[[Callable[[str], _T]], Callable[[str], _T]]:
    """``function`` of a text, cached by the text. A text longer than ``longest`` is not
    kept, so that hostile pages cannot fill the cache."""

    def decorate(function: Callable[[str], _T]) -> Callable[[str], _T]:
        cached = functools.lru_cache(maxsize=1024)(function)

        @functools.wraps(function)
        def cached_or_not(text: str) -> _T:
            return cached(text) if len(text) <= longest else function(text)

        return cached_or_not

    return decorate

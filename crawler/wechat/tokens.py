"""A page's start tags as HTML's tokenizer reads them (libxml2's since 2.14): comments, raw
text (a script's, a textarea's) and attribute values hold none. The tree fixes that parse
a page again with a tag added or taken out (``heldlinks``, ``strayparts``) find the tags
of the tree's elements here, by counting them in order.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_ATTRIBUTES = r"""(?:\s*=\s*"[^"]*"|\s*=\s*'[^']*'|[^>])*+"""
_RAW_TEXT = "script|style|textarea|title|xmp|iframe|noembed|noframes"
# HTML's tokens that can hold "<x": comments, raw text, tags; a start tag's name is group 2,
# an end tag's group 3.
_TOKEN = re.compile(
    r"<!--(?:-?>|.*?(?:--!?>|\Z))|<[!?][^>]*>?|</(?![A-Za-z])[^>]*>?"
    rf"|<({_RAW_TEXT})(?=[\s/>]){_ATTRIBUTES}>.*?(?:</\1(?=[\s/>])[^>]*+(?:>|\Z)|\Z)"
    r"|<plaintext(?=[\s/>]).*"
    rf"|<([A-Za-z][^\s/>]*){_ATTRIBUTES}>?|</([A-Za-z][^\s/>]*){_ATTRIBUTES}>?",
    re.S | re.I)


def tags(markup: str) -> Iterator[tuple[str, bool, re.Match[str]]]:
    """The whole tags in ``markup``, in order: each its name (lowercase), whether it is an
    end tag, and where it stands; a raw text element's are none of them (its text is read
    with it)."""
    for token in _TOKEN.finditer(markup):
        name = token.group(2) or token.group(3)
        if name is not None and token.group(0).endswith(">"):
            yield name.lower(), token.group(3) is not None, token


def start_tags(markup: str, names: frozenset[str]) -> Iterator[re.Match[str]]:
    """The whole start tags in ``markup`` of elements named one of ``names`` (lowercase)."""
    return (token for name, end, token in tags(markup) if not end and name in names)

"""A post's links to other posts and its pictures, as its Markdown holds them: how they are
written (``post_url``, an image left on the CDN with ``NO_REFERRER``), and pointed anew in a
post already written when the article a link leads to is archived (``relink``), or a picture
it left on the CDN is stored (``relink_images``). Code, fenced or a span, where a link is
text, is left alone, and so are formulas, the front matter and the attribution.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Collection

from crawler.wechat.urls import article_key, is_article_link, link_as_given, short_link_alone, web_url

# The end of a link's (or an image's) text and its target, URL-quoted as ``url_in_markdown`` writes it
# (no parenthesis in it: a run of text's "](" is read once, not to its end from each);
# prose cannot make one: ``escape_text`` escapes its "]".
LINK_TARGET = re.compile(r"(\])\(([^()\s]+)\)")
# The one kramdown attribute list a post ever holds (source text cannot make one: its "{"
# is escaped): the browser then asks the CDN for the image without a Referer.
NO_REFERRER = '{: referrerpolicy="no-referrer"}'
# An image left on the CDN (its text, its target), or an escape (read as a pair, so that
# text's escaped "!" starts none).
_REMOTE_IMAGE = re.compile(r"\\.|(!\[(?:[^\[\]\\]|\\.)*\])\(([^()\s]+)\)" + re.escape(NO_REFERRER))
# A post's front matter, as Jekyll finds it, and the attribution after it: the title, the
# tags and the account's name are text there, whatever they hold.
_HEAD = re.compile(r"\A---[ \t]*\n(?:.*?\n)??(?:---|\.\.\.)[ \t]*(?:\n|\Z)"
                   r"(?:\s*<blockquote><p>.*?</p></blockquote>\n)?", re.S)
_BACKTICKS = re.compile("`+")
# A formula (kramdown math) as ``to_markdown`` writes it, if its first "$" is not escaped
# (``_escaped``): text's "$" are.
_MATH = re.compile(r"\$\$.*?\$\$")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t>]*\n")
# A fenced code block's opening line: its fence, after the marks of the quote or list item
# it sits in (no backtick after it: GFM reads "```` ``` ````" as a code span).
_FENCE_OPENING = re.compile(r"^([ >]*(?:(?:[-*+]|\d+[.)]) +)?)(`{3,})[^`\n]*$", re.M)


def post_url(stem: str) -> str:
    """Jekyll's link to the post ``stem`` (its file name without ``.md``; letters, digits and
    ``-`` only): the one Liquid tag a post holds. The site build fails if the post is missing."""
    return "{% post_url " + stem + " %}"


def link_identity(href: str) -> str:
    """What names the article a link leads to: its key, else (a short link) the link."""
    return article_key(href) or short_link_alone(link_as_given(href))


def relink(markdown: str, identities: Collection[str], stem: str) -> str:
    """``markdown`` (a post) with its links to the article of ``identities`` (``link_identity``
    values) pointing at its post ``stem``, as ``to_markdown`` would now write them. Code,
    where a link is text, is left alone."""
    def target(match: re.Match[str]) -> str:
        href = web_url(match.group(2))
        if not href or not is_article_link(href) or link_identity(href) not in identities:
            return match.group(0)
        return f"{match.group(1)}({post_url(stem)})"

    return _outside_code(markdown, LINK_TARGET, target)


def relink_images(markdown: str, stored: Callable[[str], str | None]) -> str:
    """``markdown`` (a post) showing from its file each image it left on the CDN that is
    stored now, as ``to_markdown`` would now write it: ``stored`` gives the link of the file
    holding the image of a post's image target, or None. Code is left alone."""
    def image(match: re.Match[str]) -> str:
        local = match.group(2) and stored(match.group(2))
        return f"{match.group(1)}({local})" if local else match.group(0)

    return _outside_code(markdown, _REMOTE_IMAGE, image)


def remote_images(markdown: str) -> list[str]:
    """The targets of the images ``markdown`` (a post) left on the CDN, but in code."""
    targets: list[str] = []
    relink_images(markdown, lambda target: targets.append(target))  # relinks none: None
    return targets


def _outside_code(markdown: str, pattern: re.Pattern[str],
                  replace: Callable[[re.Match[str]], str]) -> str:
    """``pattern`` replaced in ``markdown`` but in its front matter and attribution (of a
    whole post), its fenced code blocks, its code spans and its formulas."""
    head = _HEAD.match(markdown)
    start = head.end() if head else 0

    def prose(text: str) -> str:
        return between(text, _formulas(text), lambda plain: pattern.sub(replace, plain))

    return markdown[:start] + between(
        markdown[start:], _fenced_code(markdown[start:]),
        lambda text: between(text, _code_spans(text), prose))


def _fenced_code(markdown: str) -> list[tuple[int, int]]:
    """Where ``markdown``'s fenced code blocks start and end: from an opening line to the
    fence that closes it, as ``HeldCode`` writes it (in a list item, indented under the
    item's text: ``- ```…`` closes with ``  ```…``)."""
    blocks, at = [], 0
    while opening := _FENCE_OPENING.search(markdown, at):
        marks, fence = opening.groups()
        closing = re.compile("^" + re.escape(re.sub(r"[^>]", " ", marks) + fence) + "$", re.M)
        closed = closing.search(markdown, opening.end())
        if closed:
            blocks.append((opening.start(), closed.end()))
        at = closed.end() if closed else opening.end()
    return blocks


def found_in(pattern: re.Pattern[str], text: str) -> list[tuple[int, int]]:
    """Where ``pattern`` is found in ``text``: (start, end) of each match."""
    return [(match.start(), match.end()) for match in pattern.finditer(text)]


def between(text: str, regions: list[tuple[int, int]], change: Callable[[str], str]) -> str:
    """``text`` with ``change`` made to what lies between ``regions`` (in order, apart)."""
    out, end = [], 0
    for start, stop in regions:
        out += [change(text[end:start]), text[start:stop]]
        end = stop
    out.append(change(text[end:]))
    return "".join(out)


def _code_spans(markdown: str) -> list[tuple[int, int]]:
    """Where ``markdown``'s code spans start and end, as kramdown reads them: a run of
    backticks (not escaped) up to the next run of as many in the same paragraph; a run with
    none is text. In one pass: looked for from each run, a hostile text took hours."""
    breaks = [found.start() for found in _PARAGRAPH_BREAK.finditer(markdown)]
    runs = [(run.start(), run.end()) for run in _BACKTICKS.finditer(markdown)]
    following: dict[tuple[int, int], int] = {}  # (paragraph, length) → the next such run
    closing: list[int | None] = [None] * len(runs)
    for number in range(len(runs) - 1, -1, -1):
        start, stop = runs[number]
        key = (bisect.bisect(breaks, start), stop - start)
        closing[number], following[key] = following.get(key), number
    spans, number = [], 0
    while number < len(runs):
        start, close = runs[number][0], closing[number]
        if close is None or _escaped(markdown, start):
            number += 1
        else:
            spans.append((start, runs[close][1]))
            number = close + 1
    return spans


def _formulas(text: str) -> list[tuple[int, int]]:
    """Where ``text``'s formulas start and end: from a "$$" not escaped to the next "$$"."""
    formulas, at = [], 0
    while math := _MATH.search(text, at):
        if _escaped(text, math.start()):
            at = math.start() + 1
        else:
            formulas.append(math.span())
            at = math.end()
    return formulas


def _escaped(text: str, at: int) -> bool:
    """Whether a backslash escapes the character at ``at``: an odd run of them before it
    (``\\\\`` is a backslash of the text, escaped)."""
    before = at
    while before and text[before - 1] == "\\":
        before -= 1
    return (at - before) % 2 == 1

"""A link left open (no ``</a>`` of its own), opened again after it closes, as HTML's parser
opens it.

libxml2 closes such a link with the element it stands in (``<p><a href=x>甲</p>``) and
links nothing after it. HTML's parser (Chromium's) keeps it among the "active formatting
elements" and opens a copy of it again wherever text (white space too) or an inline
element follows, up to the next link's start tag: the paragraphs after it are linked, each
in a copy, a block's from its first text on, and all that follows it in the block. Not
inside a table's cells (a cell starts afresh, and a link left open in one ends with it),
nor in what holds no text of the page (a script, a textarea). A link whose ``</a>`` comes after the
element that closed it (``<p><a>甲</p><p>乙</a>``) is left as libxml2 leaves it; so are
bold and italics left open. Which start tag makes which link is known by counting them in
the markup, read as HTML's tokenizer reads it (``tokens``); the tree is libxml2's.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from lxml import etree

from crawler.wechat.tokens import tags

_CELLS = ("td", "th", "caption")
# What ends a link left open in it: a cell's end forgets it, and the body is the page's last
_LAST = frozenset({*_CELLS, "body"})
# Start tags before which HTML's parser opens no link again: blocks, which it walks into,
# and what it does not (a table's cells start afresh; the rest holds no text of the page).
_BLOCKS = frozenset("""address article aside blockquote center details dialog dir div dl
    fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 header hgroup li dd dt listing
    main menu nav ol p pre search section summary ul""".split())
_PASSED = frozenset("""hr textarea iframe noembed noframes noscript script style
    template title base link meta plaintext""".split())


def links_left_open(markup: str, tree: etree._Element) -> None:
    """Each link of ``tree`` (libxml2's of ``markup``) whose start tag in ``markup`` has no
    end tag before the next link's, opened again after libxml2 closed it, up to the next
    link. Nothing is done when no link is last in what holds it, or every link may have
    its end tag (as many ``</a>`` as links, counted: most pages; the count costs a few ms on
    a page of 4 MB, a walk of its tags a quarter of a second), or the links' start tags in
    ``markup`` are not ``tree``'s links."""
    links = list(tree.iter("a"))
    # libxml2 closes one with what holds it, or at the end: nothing follows it there
    if not any(link.getnext() is None and not link.tail for link in links) \
            or markup.count("</a") + markup.count("</A") >= len(links):
        return
    order = [(name, end) for name, end, _ in tags(markup) if name == "a"]
    starts = [index for index, (_, end) in enumerate(order) if not end]
    if len(starts) != len(links):
        return
    for number, index in enumerate(starts):
        if index + 1 == len(order) or not order[index + 1][1]:
            _reopen_after(links[number], (links[later] for later in range(number + 1, len(links))))


def _reopen_after(link: etree._Element, following: Iterable[etree._Element]) -> None:
    """A copy of ``link`` around what follows it, level by level up to the body, up to the
    first of ``following`` (the links after it) in the same cell as it or in none: its
    start tag closes ``link`` (a copy it falls in is closed there by ``adoption``); one in
    another cell does not."""
    cell = next(link.iterancestors(*_CELLS), None)
    stop = None
    for later in following:
        if next(later.iterancestors(*_CELLS), None) is cell:
            stop = later
            break
        if cell is not None and cell not in later.iterancestors():  # past the cell, which ends it
            break
    stop_in = set(stop.iterancestors()) if stop is not None else set()
    if link in stop_in:
        return
    level = link
    while (parent := level.getparent()) is not None and level.tag not in _LAST:
        if _reopen_in(parent, level, link, _Stop(stop, stop_in), linked=False):
            return
        level = parent


@dataclass(frozen=True)
class _Stop:
    """The link that closes the one left open, and the elements it stands in."""

    link: etree._Element | None
    within: set[etree._Element]


def _reopen_in(parent: etree._Element, after: etree._Element | None, link: etree._Element,
               stop: _Stop, *, linked: bool) -> bool:
    """What follows ``after`` in ``parent`` (all it holds when none) linked by copies of
    ``link``: once ``linked`` (text, white space too, or an inline element met: HTML's
    parser opens the link there, and what follows in ``parent`` is in it), each run of text,
    inline elements and tables; blocks walked into. Whether ``stop`` was met. What follows
    ``parent`` is not linked by it: its end closes the copy, which opens again at text."""
    run: etree._Element | None = None
    first = next(iter(parent), None) if after is None else after.getnext()
    text = parent.text if after is None else after.tail
    if text:
        run, linked = _copy_at(parent, after, link, text), True
    for child in _siblings_from(first):
        if child is stop.link:
            return True
        kind = _kind(child)
        if kind == "inline" and child in stop.within:  # linked up to the stop in it
            _reopen_in(child, None, link, stop, linked=True)
            return True
        if kind == "inline" or (linked and kind == "table"):
            linked = True
            if run is None:
                run = _copy_at(parent, child.getprevious(), link, None)
            run.append(child)  # with its tail
            if child in stop.within:  # a table's, outside its cells: foster puts it before
                return True
            continue
        run = None
        if kind == "block":
            if _reopen_in(child, None, link, stop, linked=linked):
                return True
        elif child in stop.within:
            return True
        if child.tail:
            text, child.tail = child.tail, None
            run, linked = _copy_at(parent, child, link, text), True
    return False


def _siblings_from(first: etree._Element | None) -> Iterator[etree._Element]:
    """``first`` and the siblings after it, each found before the last is moved: up to
    where the walk stops, not all that follow."""
    while first is not None:
        following = first.getnext()
        yield first
        first = following


def _kind(element: etree._Element) -> str:
    """How HTML's parser meets ``element``'s start tag with a link left open: ``inline``
    (it opens the link first), ``block`` (it does not, and walks in), ``table`` or
    ``passed`` (neither: a comment, a script)."""
    if not isinstance(element.tag, str) or element.tag in _PASSED:
        return "passed"
    if element.tag == "table":
        return "table"
    return "block" if element.tag in _BLOCKS else "inline"


def _copy_at(parent: etree._Element, after: etree._Element | None, link: etree._Element,
             text: str | None) -> etree._Element:
    """A copy of ``link`` holding ``text``, put in ``parent`` just after ``after`` (first
    when none), where that text stood."""
    copy = link.makeelement("a", {str(name): str(value) for name, value in link.attrib.items()})
    copy.text = text
    if after is None:
        parent.text = None
        parent.insert(0, copy)
    else:
        after.tail = None
        after.addnext(copy)
    return copy

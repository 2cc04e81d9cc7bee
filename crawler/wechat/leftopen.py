"""Formatting elements (a link, bold, italics) that libxml2 closes before their end tag,
opened again after, as HTML's parser opens them.

libxml2 closes such an element with the element it stands in (``<p><b>甲</p>``), or where a
paragraph starts, and ignores its end tag when it comes later (``<p><a href=x>甲</p><p>乙
</a>``): nothing after is bold or linked. HTML's parser (Chromium's) keeps it among the
"active formatting elements" and opens a copy of it again wherever text (white space too)
or an inline element follows, up to its end tag (a link: or the next link's start tag):
the paragraphs after it are in it, each in a copy, a block's from its first text on, and
all that follows it in the block. Not inside a table's cells (a cell starts afresh, and an
element left open in one ends with it), nor in what holds no text of the page (a script, a
textarea).

Which end tag closed which element is read from the marks ``endmarks`` puts before them:
the marks no element holds last are the end tags that HTML's parser meets with a copy open.
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from lxml import etree

from crawler.wechat.adoption import (
    ALIKE,
    FORMATTING,
    add_text_before,
    alike,
    formatting,
    put_after,
    taken_up_to,
)
from crawler.wechat.endmarks import closed_by, marked_end

_CELLS = ("td", "th", "caption")
# What ends an element left open in it: a cell's end forgets it, and the body is the page's last
_LAST = frozenset({*_CELLS, "body"})
# Start tags before which HTML's parser opens no formatting element again: blocks, which it
# walks into, and what it does not (a table's cells start afresh; the rest holds no text of
# the page).
_BLOCKS = frozenset("""address article aside blockquote center details dialog dir div dl
    fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 header hgroup li dd dt listing
    main menu nav ol p pre search section summary ul""".split())
_PASSED = frozenset("""hr textarea iframe noembed noframes noscript script style
    template title base link meta plaintext""".split())
# A table's parts, where its cells start afresh
_TABLE_PARTS = frozenset("caption colgroup col thead tbody tfoot tr td th".split())
# Of the elements left open, the newest this many are opened again: a bound on the copies
# (HTML's parser keeps all but the fourth oldest alike, a page of thousands costs it little)
_KEPT = 12


@dataclass(frozen=True)
class LeftOpen:
    """The formatting elements libxml2 closed before their end tag, each with what may end
    it after (its end tags that libxml2 ignored; a link's, the links after it too), in the
    document's order; and the marks of end tags, to be taken out."""

    elements: list[tuple[etree._Element, Iterator[etree._Element]]]
    marks: list[etree._Element]


def left_open(tree: etree._Element, mark: str | None) -> LeftOpen:
    """The formatting elements of ``tree`` (parsed by ``endmarks.ends_marked``, which gave
    ``mark``) that no end tag closed; not code, which the post writes as text (a picture
    in it as its Markdown), where a browser only sets it in another font."""
    if mark is None:
        return LeftOpen([], [])
    walk = list(tree.iter(etree.Comment, *FORMATTING))
    closed: set[etree._Element] = set()  # the elements closed by their end tags
    marks: list[etree._Element] = []
    ends: list[tuple[int, str]] = []  # where what may end one stands in the walk, of which name
    for index, node in enumerate(walk):
        name = marked_end(node, mark)
        if name is not None:
            marks.append(node)
            owner = closed_by(node, name)
            if owner is not None:
                closed.add(owner)
                continue
        elif node.tag == "a":
            name = "a"
        else:
            continue
        ends.append((index, name))
    opened = [index for index, node in enumerate(walk)
              if isinstance(node.tag, str) and node.tag != "code" and node not in closed]
    kinds = [alike(walk[index]) for index in opened]
    forgotten = [_forgotten(opened, kinds, number) for number in range(len(opened))]
    ending = _paired(walk, opened, forgotten, ends)
    return LeftOpen([(walk[index], _nodes(walk, ending.get(number), forgotten[number]))
                     for number, index in enumerate(opened)], marks)


def _paired(walk: list[etree._Element], opened: list[int], forgotten: list[int | None],
            ends: list[tuple[int, str]]) -> dict[int, int]:
    """Where in the walk each of the elements left open (its number in ``opened``) meets
    what ends it, of ``ends``: as HTML's parser's adoption agency pairs them, each the
    newest of its name still open in the same cell (``<b>甲<b>乙</p><p>丙</b>丁</b>``: the
    first end tag closes the second bold, the second the first), not one the parser has
    forgotten by then (``forgotten``)."""
    events = sorted([(index, True, number) for number, index in enumerate(opened)]
                    + [(index, False, name) for index, name in ends],
                    key=lambda event: event[:2])  # an end first: a link's start ends the last
    # of each name and cell, the numbers of those open, newest last
    still: dict[tuple[str, etree._Element | None], list[int]] = {}
    ending: dict[int, int] = {}
    for index, starts, what in events:
        if starts:
            still.setdefault((str(walk[index].tag), _cell(walk[index])), []).append(int(what))
            continue
        candidates = still.get((str(what), _cell(walk[index])), [])
        while candidates:
            number = candidates.pop()
            if (gone := forgotten[number]) is None or gone > index:  # else forgotten for good
                ending[number] = index
                break
    return ending


def _cell(node: etree._Element) -> etree._Element | None:
    """The table cell ``node`` stands in, if any: HTML's parser starts a cell afresh."""
    return next(node.iterancestors(*_CELLS), None)


def _forgotten(opened: list[int], kinds: Sequence[Hashable], number: int) -> int | None:
    """Where in the walk the ``number``-th of the elements left open (at ``opened``, each of
    its kind in ``kinds``) is no longer opened again: at the start of the third alike after
    it (HTML's parser keeps three alike, "Noah's Ark"), or of the ``_KEPT``-th after it; none
    when neither comes."""
    later = range(number + 1, min(number + 1 + _KEPT, len(opened)))
    alike_later = (opened[other] for other in later if kinds[other] == kinds[number])
    third = next(itertools.islice(alike_later, ALIKE - 1, None), None)
    return third if third is not None or len(later) < _KEPT else opened[later[-1]]


def _nodes(walk: list[etree._Element], end: int | None,
           last: int | None) -> Iterator[etree._Element]:
    """The nodes of ``walk`` at ``end``, unless it comes after ``last``, and at ``last``."""
    if end is not None and (last is None or end < last):
        yield walk[end]
    if last is not None:
        yield walk[last]


def reopen_left_open(found: LeftOpen) -> None:
    """Each element ``found`` opened again after libxml2 closed it, up to what ends it, and
    the marks of end tags taken out."""
    copies: set[etree._Element] = set()
    for element, ends in found.elements:
        _reopen_after(element, ends, copies)
    for end in found.marks:
        add_text_before(end, end.tail)
        parent = end.getparent()
        assert parent is not None
        parent.remove(end)


def _reopen_after(element: etree._Element, ends: Iterable[etree._Element],
                  copies: set[etree._Element]) -> None:
    """A copy of ``element`` around what follows it, level by level up to the body, up to
    the first of ``ends`` in the same cell as it or in none (one in another cell does not
    end it); each copy added to ``copies``."""
    cell = next(element.iterancestors(*_CELLS), None)
    stop = None
    for end in ends:
        if next(end.iterancestors(*_CELLS), None) is cell:
            stop = end
            break
        if cell is not None and cell not in end.iterancestors():  # past the cell, which ends it
            break
    stop_in = set(stop.iterancestors()) if stop is not None else set()
    if element in stop_in:
        return
    level = element
    while (parent := level.getparent()) is not None and level.tag not in _LAST:
        if _reopen_in(parent, level, element, _Walk(stop, stop_in, copies), opened=False):
            return
        level = parent


@dataclass(frozen=True)
class _Walk:
    """What ends the element left open, the elements it stands in, and the copies made of
    those left open (which the parser opened before: no start tag of the page)."""

    end: etree._Element | None
    within: set[etree._Element]
    copies: set[etree._Element]


def _reopen_in(parent: etree._Element, after: etree._Element | None, element: etree._Element,
               stop: _Walk, *, opened: bool) -> bool:
    """What follows ``after`` in ``parent`` (all it holds when none) put in copies of
    ``element``: once ``opened`` (text, white space too, or an inline element met: HTML's
    parser opens the element there, and what follows in ``parent`` is in it), each run of
    text, inline elements and tables; blocks walked into. Whether ``stop`` was met. What
    follows ``parent`` is not in it: its end closes the copy, which opens again at text."""
    run: etree._Element | None = None
    first = next(iter(parent), None) if after is None else after.getnext()
    text = parent.text if after is None else after.tail
    if _opens(parent, text):
        run, opened = _copy_at(parent, after, element, text, stop.copies), True
    for child in _siblings_from(first):
        if child is stop.end:
            return True
        kind = "block" if child in stop.copies else _kind(child)
        if kind == "inline" and child in stop.within and child.tag in FORMATTING:
            _reopen_in(child, None, element, stop, opened=True)  # in it up to the stop in it
            return True
        if kind == "inline" and child in stop.within:  # opened at its start tag, closed in it
            if run is None:
                run = _copy_at(parent, child.getprevious(), element, None, stop.copies)
            _close_in(child, run, stop)
            return True
        if kind == "inline" or (opened and kind == "table"):
            opened = True
            if run is None:
                run = _copy_at(parent, child.getprevious(), element, None, stop.copies)
            run.append(child)  # with its tail
            if child in stop.within:  # a table's, outside its cells: foster puts it before
                return True
            continue
        run = None
        if kind == "block" or kind == "table":  # a table's text and elements outside its cells:
            if _reopen_in(child, None, element, stop, opened=opened):  # foster puts them before it
                return True
        elif child in stop.within:
            return True
        if _opens(parent, child.tail):
            text, child.tail = child.tail, None
            run, opened = _copy_at(parent, child, element, text, stop.copies), True
    return False


def _close_in(child: etree._Element, run: etree._Element, stop: _Walk) -> None:
    """``child``, an inline element holding what ends the element left open, put in ``run``
    (the copy HTML's parser opened at its start tag). The next link's start tag closes the
    copy and ``child`` with it (``adoption`` moves it so); an end tag closes them there too,
    what follows it in ``child`` put after the copy, formatting elements opened again (a
    quote's text after a link's end tag is not quoted, a hidden span's not hidden). Not a
    formatting element, which may be a copy a step before opened (after a table), in which
    the element is opened again already: what stands in it is walked (``_reopen_in``)."""
    end = stop.end
    assert end is not None
    parent = child.getparent()
    assert parent is not None
    following = [] if end.tag == "a" else taken_up_to(end, parent, formatting)
    run.append(child)
    put_after(run, following)


def _opens(parent: etree._Element, text: str | None) -> bool:
    """Whether ``text`` in ``parent`` opens the element again: any, white space too, but
    white space in a table outside its cells (which stays there, where text goes before it)."""
    return bool(text) and (parent.tag != "table" or not str(text).isspace())


def _siblings_from(first: etree._Element | None) -> Iterator[etree._Element]:
    """``first`` and the siblings after it, each found before the last is moved: up to
    where the walk stops, not all that follow."""
    while first is not None:
        following = first.getnext()
        yield first
        first = following


def _kind(element: etree._Element) -> str:
    """How HTML's parser meets ``element``'s start tag with a formatting element left open:
    ``inline`` (it opens the element first), ``block`` (it does not, and walks in),
    ``table`` (walked in, or all of it in a copy once the element is open) or ``passed``
    (neither: a comment, a script, a table's rows)."""
    if not isinstance(element.tag, str) or element.tag in _PASSED or element.tag in _TABLE_PARTS:
        return "passed"
    if element.tag == "table":
        return "table"
    return "block" if element.tag in _BLOCKS else "inline"


def _copy_at(parent: etree._Element, after: etree._Element | None, element: etree._Element,
             text: str | None, copies: set[etree._Element]) -> etree._Element:
    """A copy of ``element`` holding ``text``, put in ``parent`` just after ``after`` (first
    when none), where that text stood; added to ``copies``."""
    copy = element.makeelement(element.tag, {str(name): str(value) for name, value in element.attrib.items()})
    copy.text = text
    copies.add(copy)
    if after is None:
        parent.text = None
        parent.insert(0, copy)
    else:
        after.tail = None
        after.addnext(copy)
    return copy

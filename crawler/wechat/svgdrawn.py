"""Which parts of an inline SVG a browser draws. WeChat's interactive layouts (2025-26) keep
what a tap reveals inside the SVG, transparent, clipped to nothing or placed off the
picture, and an ``<animate>`` or ``<set>`` shows it once tapped; a reader reads it then, so
a part is drawn when it is drawn before the taps or once they and the SVG's animations have
run to their ends. Where a part lies is worked out only from plain numbers, ``translate``
and ``scale``; a part whose place is not worked out is drawn (pure functions).
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from lxml import etree

from crawler.wechat import widgets

# The parts that draw their own text or pictures where they lie
_PLACED = frozenset({"text", "image", "foreignobject"})
# The CSS properties an animation may change that hide or show an element
_SHOWING = ("display", "visibility", "opacity")
_ANIMATIONS = ("set", "animate", "animatetransform", "animatemotion")
_NUMBER = re.compile(r"\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?)(px)?\s*", re.I)
_NUMBERS = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?", re.I)
# A viewBox as SVG reads it: four numbers, parted by white space, a comma, or nothing before a
# sign or a point (``0-0 4.5.5``); anything else, or a number parted otherwise, and it is none
_SPACES = " \t\n\r\f"  # SVG's white space
_SPACE = f"[{_SPACES}]"
_LISTED = r"(?>[-+]?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][-+]?\d+)?)"
_VIEW_BOX = re.compile(f"{_SPACE}*" + f"(?:{_SPACE}*,{_SPACE}*|{_SPACE}+|(?=[-+.]))".join(
    [f"({_LISTED})"] * 4) + f"{_SPACE}*")
_TRANSFORM = re.compile(r"\s*([a-z]+)\s*\(([^)]*)\)\s*,?", re.I)
# A clip path's reference, in an attribute or a style (read as written: an id has cases)
_CLIP = re.compile(r"url\(\s*[\"']?#([^\"')\s]+)")
_STYLE_CLIP = re.compile(r"(?:^|;)\s*clip-path\s*:\s*url\(\s*[\"']?#([^\"')\s]+)", re.I)
_SVG_FONT_PX = 16.0
# A transform-origin's keywords, as shares of its reference box
_ORIGIN_WORDS = {"left": 0.0, "top": 0.0, "center": 0.5, "right": 1.0, "bottom": 1.0}
# A glyph reaches at most this far above its baseline, and below it, in ems
_ASCENT, _DESCENT = 1.2, 0.5


@dataclass(frozen=True)
class Box:
    """A rectangle in an SVG's user space; unbounded where it is not worked out."""

    left: float
    top: float
    right: float
    bottom: float

    def meets(self, other: Box) -> bool:
        """Whether the two share some area (a box of no width or height shares none)."""
        return max(self.left, other.left) < min(self.right, other.right) \
            and max(self.top, other.top) < min(self.bottom, other.bottom)

    def within(self, other: Box) -> Box:
        return Box(max(self.left, other.left), max(self.top, other.top),
                   min(self.right, other.right), min(self.bottom, other.bottom))


EVERYWHERE = Box(-math.inf, -math.inf, math.inf, math.inf)
NOWHERE = Box(0, 0, 0, 0)


@dataclass(frozen=True)
class Transform:
    """A transform of scales and a shift (``x' = sx x + dx``), what WeChat's layouts use."""

    sx: float = 1.0
    sy: float = 1.0
    dx: float = 0.0
    dy: float = 0.0

    def then(self, inner: Transform) -> Transform:
        """This transform after ``inner``."""
        return Transform(self.sx * inner.sx, self.sy * inner.sy,
                         self.sx * inner.dx + self.dx, self.sy * inner.dy + self.dy)

    def box(self, box: Box) -> Box:
        """``box`` moved and scaled; a scale of 0 leaves nothing to draw."""
        if self.sx == 0 or self.sy == 0:
            return NOWHERE
        xs = sorted((self.sx * box.left + self.dx, self.sx * box.right + self.dx))
        ys = sorted((self.sy * box.top + self.dy, self.sy * box.bottom + self.dy))
        return Box(xs[0], ys[0], xs[1], ys[1])


def parse_transform(text: str) -> Transform | None:
    """``translate(…)``, ``scale(…)`` and a ``matrix(…)`` of no turn, one after another, as one
    transform; None for what turns or skews (``rotate``), or cannot be read."""
    transform, at = Transform(), 0
    for match in _TRANSFORM.finditer(text):
        if match.start() != at:
            return None
        at = match.end()
        step = _step(match.group(1).lower(), [float(n) for n in _NUMBERS.findall(match.group(2))])
        if step is None:
            return None
        transform = transform.then(step)
    return transform if not text[at:].strip() else None


def _step(name: str, numbers: list[float]) -> Transform | None:
    if name == "translate" and len(numbers) in (1, 2):
        return Transform(dx=numbers[0], dy=numbers[1] if len(numbers) == 2 else 0)
    if name == "scale" and len(numbers) in (1, 2):
        return Transform(numbers[0], numbers[-1])
    if name == "matrix" and len(numbers) == 6 and numbers[1] == numbers[2] == 0:
        return Transform(numbers[0], numbers[3], numbers[4], numbers[5])
    return None


def parse_origin(text: str | None, box: tuple[float, float] | None) -> tuple[float, float] | None:
    """The point a ``transform-origin`` names, about which a transform turns and scales:
    lengths in user units, keywords and percentages of ``box`` (the width and height of
    the SVG's viewBox, an SVG element's reference box), a depth aside; ``0 0``, an SVG
    element's own, when not set. None where not worked out (no ``box``, ``em``)."""
    if text is None:
        return 0.0, 0.0
    words = text.replace(",", " ").lower().split()[:2]
    if not words or len(text.replace(",", " ").split()) > 3:
        return None
    if len(words) == 1:
        words = ["center", *words] if words[0] in ("top", "bottom") else [*words, "center"]
    elif words[0] in ("top", "bottom") or words[1] in ("left", "right"):
        words.reverse()
    point = [_origin_value(word, None if box is None else box[axis]) for axis, word in enumerate(words)]
    return None if point[0] is None or point[1] is None else (point[0], point[1])


def _origin_value(word: str, length: float | None) -> float | None:
    share = _ORIGIN_WORDS.get(word)
    if share is None and word.endswith("%"):
        share = user_units(word[:-1])
        share = None if share is None else share / 100
    if share is None:
        return user_units(word)
    return None if length is None else share * length


def user_units(value: str | None) -> float | None:
    """An SVG length in user units (``10``, ``10px``), else None (``50%``, ``1em``, none)."""
    match = _NUMBER.fullmatch(value) if value else None
    return float(match.group(1)) if match else None


# Where an element's parts are drawn: the transform from its user space to its SVG's, and
# what its and its ancestors' clip paths leave of the picture; None when not worked out.
_Placed = tuple[Transform, Box] | None


class SvgDrawing:
    """What one outermost ``<svg>`` draws of its parts: before a reader's taps, and once the
    taps (``begin="click"``) and its other animations have run to their ends. Each answer is
    worked out once, an element's place from its parent's: the SVG's pictures and its texts
    are read of one drawing, which lives as long as whoever made it keeps it."""

    def __init__(self, svg: etree._Element) -> None:
        self._svg = svg
        self._ends = animation_ends(svg)
        self._area = viewport(svg)
        # a tap that sizes the picture anew shows what it will: not worked out
        self._tapped_area = EVERYWHERE if any(
            (svg, name) in self._ends for name in ("viewBox", "width", "height")) else self._area
        self._clips = {clip.get("id"): clip for clip in svg.iter("clippath")}
        self._shown: dict[tuple[etree._Element, bool], bool] = {}
        self._placed: dict[tuple[etree._Element, bool], _Placed] = {}
        self._clip_boxes: dict[tuple[etree._Element, bool], Box | None] = {}
        self._reference = _reference_box(svg)
        # of each element of a copy of the SVG that this drawing is asked of, its original
        self._originals: dict[etree._Element, etree._Element] | None = None

    def of_copy(self, svg: etree._Element) -> SvgDrawing:
        """This drawing, asked of the elements of ``svg``, a copy of its SVG as it was when
        drawn: the same answers, each still worked out once, for either."""
        twin = copy.copy(self)  # the answers worked out are shared
        twin._originals = dict(zip(svg.iter(), self._svg.iter(), strict=True))
        return twin

    def shows(self, element: etree._Element, text: bool = False) -> bool:
        """Whether ``element`` of the SVG is drawn in either state (``SvgDrawing``): its own
        ``display``, ``visibility``, ``opacity``, and where a text, picture or
        ``<foreignObject>`` lies: off the picture or its clip path, nothing is drawn. For its
        ``text``, a ``<foreignObject>`` without a width or a height draws nothing (its size is
        0); its pictures are kept (``_box``)."""
        if self._originals is not None:
            element = self._originals[element]
        shown = self._shown.get((element, text))
        if shown is None:
            shown = self._shown[element, text] = any(
                self._drawn(element, final) and not (text and self._sizeless(element, final))
                for final in ((False, True) if self._ends else (False,)))
        return shown

    def restyled(self, element: etree._Element) -> bool:
        """Whether an animation shows ``element`` whose style hides it (its end state's
        ``display``, ``visibility`` or ``opacity`` win over the style)."""
        if self._originals is not None:
            element = self._originals[element]
        return any((element, name) in self._ends for name in _SHOWING) \
            and widgets.hiding(self._style(element, final=True)) is not widgets.Hiding.ALL

    def _drawn(self, element: etree._Element, final: bool) -> bool:
        def value(name: str) -> str | None:
            return self._value(element, name, final)

        if any(_hides(name, value(name)) for name in _SHOWING):
            return False
        if final and widgets.hiding(self._style(element, final)) is widgets.Hiding.ALL:
            return False
        return element.tag not in _PLACED or self._in_view(element, final)

    def _value(self, element: etree._Element, name: str, final: bool) -> str | None:
        if final and (element, name) in self._ends:
            return self._ends[element, name]
        return element.get(name)

    def _style(self, element: etree._Element, final: bool) -> str:
        style = element.get("style") or ""
        if not final:
            return style
        return ";".join([style, *(f"{name}: {self._ends[element, name]}" for name in _SHOWING
                                  if (element, name) in self._ends)])

    def _sizeless(self, element: etree._Element, final: bool) -> bool:
        """Whether ``element`` is a ``<foreignObject>`` whose width or height is not set."""
        if element.tag != "foreignobject":
            return False
        style = element.get("style")
        return any(((widgets.declared(style, name) if style else None) or self._value(element, name, final))
                   in (None, "auto") for name in ("width", "height"))

    def _in_view(self, element: etree._Element, final: bool) -> bool:
        """Whether a text, picture or foreignObject lies in the picture and its clip paths."""
        placed = self._place(element, final)
        if placed is None:
            return True
        ctm, area = placed
        return ctm.box(self._box(element, final)).meets(area)

    def _place(self, element: etree._Element, final: bool) -> _Placed:
        """Where ``element``'s parts are drawn (``_Placed``), from the nearest ancestor's
        place worked out before: the SVG's (or the tree's root's) is its picture as it is."""
        below: list[etree._Element] = []
        while (element, final) not in self._placed:
            parent = element.getparent()
            if element is self._svg or parent is None:
                self._placed[element, final] = (Transform(), self._tapped_area if final else self._area)
                break
            below.append(element)
            element = parent
        placed = self._placed[element, final]
        for part in reversed(below):
            placed = self._placed[part, final] = self._placed_in(part, placed, final)
        return placed

    def _placed_in(self, element: etree._Element, parent: _Placed, final: bool) -> _Placed:
        """Where ``element``'s parts are drawn, its parent's parts drawn at ``parent``: not
        worked out in a nested SVG (its own viewport), nor under a transform that is not."""
        transform = self._transform(element, final)
        if parent is None or transform is None or element.tag == "svg":
            return None
        ctm, area = parent[0].then(transform), parent[1]
        clip = self._clip_region(element, final)
        return ctm, area if clip is None else area.within(ctm.box(clip))

    def _transform(self, element: etree._Element, final: bool) -> Transform | None:
        if final and (element, "transform") in self._ends:
            return None  # an <animateTransform>'s end is not worked out
        style = element.get("style")
        css = widgets.declared(style, "transform") if style else None
        text = css if css is not None else element.get("transform")
        if not text or text == "none":
            return Transform()
        transform = parse_transform(text.replace("px", ""))
        origin = parse_origin((widgets.declared(style, "transform-origin") if style else None)
                              or element.get("transform-origin"), self._reference)
        if transform is None or origin is None or element.get("transform-box") \
                or (style and widgets.declared(style, "transform-box")):
            return None
        return Transform(dx=origin[0], dy=origin[1]).then(transform).then(
            Transform(dx=-origin[0], dy=-origin[1]))

    def _clip_region(self, element: etree._Element, final: bool) -> Box | None:
        """The box of the clip path ``element`` refers to, in its user space; None when it
        refers to none, or the box is not worked out."""
        style, attribute = element.get("style"), element.get("clip-path")
        match = (_STYLE_CLIP.search(style) if style else None) \
            or (_CLIP.match(attribute) if attribute else None)
        clip = self._clips.get(match.group(1)) if match else None
        if clip is None:
            return None
        if (clip, final) not in self._clip_boxes:  # a layout clips many parts to one path
            self._clip_boxes[clip, final] = self._clip_box(clip, final)
        return self._clip_boxes[clip, final]

    def _clip_box(self, clip: etree._Element, final: bool) -> Box | None:
        """The box of the shapes of ``clip``, a ``<clipPath>``, in the user space of what
        refers to it; None when it is not worked out."""
        shapes = [shape for shape in clip.iterchildren(etree.Element)
                  if self._value(shape, "display", final) != "none"]
        boxes = [self._shape_box(shape, final) for shape in shapes]
        if all(box == NOWHERE for box in boxes):  # none, or none that draws
            return NOWHERE
        if clip.get("clippathunits") == "objectBoundingBox" or None in boxes:
            return None
        transform = parse_transform(clip.get("transform") or "")
        return None if transform is None else transform.box(_union(boxes))

    def _shape_box(self, shape: etree._Element, final: bool) -> Box | None:
        def number(name: str, default: float = 0) -> float | None:
            value = self._value(shape, name, final)
            return default if value is None else user_units(value)

        transform = self._transform(shape, final)
        if shape.tag == "rect":
            x, y, width, height = number("x"), number("y"), number("width"), number("height")
            if None in (x, y, width, height) or transform is None:
                return None
            assert x is not None and y is not None and width is not None and height is not None
            return NOWHERE if width <= 0 or height <= 0 else transform.box(Box(x, y, x + width, y + height))
        if shape.tag == "circle" and transform is not None:
            cx, cy, r = number("cx"), number("cy"), number("r")
            if cx is not None and cy is not None and r is not None:
                return NOWHERE if r <= 0 else transform.box(Box(cx - r, cy - r, cx + r, cy + r))
        return None

    def _box(self, element: etree._Element, final: bool) -> Box:
        """Where ``element`` draws, in its own user space; ``EVERYWHERE`` where that is not
        worked out."""
        def number(name: str, default: float | None) -> float | None:
            value = self._value(element, name, final)
            return default if value is None else user_units(value)

        x, y = number("x", 0), number("y", 0)
        if element.tag == "text":
            return _text_box(element, x, y)
        # not set, a picture's size is its own; a <foreignObject>'s is none, and Chromium
        # draws nothing of it, but WeChat's layouts set pictures so (a 2023 page): drawn (its
        # text is not: ``shows``)
        width, height = self._length(element, "width", final), self._length(element, "height", final)
        if (width is not None and width <= 0) or (height is not None and height <= 0):
            return NOWHERE
        if x is None or y is None or width is None or height is None:
            return EVERYWHERE
        return Box(x, y, x + width, y + height)

    def _length(self, element: etree._Element, name: str, final: bool) -> float | None:
        """A width or height in user units, its style's first; None when not set or not in them."""
        style = element.get("style")
        return user_units((widgets.declared(style, name) if style else None)
                          or self._value(element, name, final))


class SvgDrawings:
    """The drawings of one tree's SVGs, each made when first asked for: what a page's
    pictures, the text a reader sees of it and what its post draws ask of an SVG is worked
    out once. Kept with the tree it was made of, as long as it is kept, and no longer: the
    drawings know the tree as it was when they were made."""

    def __init__(self, make: Callable[[etree._Element], SvgDrawing] = SvgDrawing) -> None:
        self._made: dict[etree._Element, SvgDrawing] = {}
        self._make = make

    def of(self, svg: etree._Element) -> SvgDrawing:
        """The drawing of ``svg``, an ``<svg>`` of the tree (``SvgDrawing``)."""
        drawing = self._made.get(svg)
        if drawing is None:
            drawing = self._made[svg] = self._make(svg)
        return drawing

    def of_copy(self, original: etree._Element, copied: etree._Element) -> SvgDrawings:
        """The drawings of the SVGs in ``copied``, a deep copy of ``original`` whose SVGs are
        as they were, read of these: the converter's copy of the parser's tree draws each SVG
        as the parser's does, and what it draws is worked out once for both trees."""
        originals = dict(zip(copied.iter("svg"), original.iter("svg"), strict=True))
        return SvgDrawings(lambda svg: self.of(originals[svg]).of_copy(svg))


def _text_box(text: etree._Element, x: float | None, y: float | None) -> Box:
    """Where a ``<text>`` may draw: from its start at ``x``, ``y`` (its baseline), an em a
    character at most (a text anchored at its end or middle reaches as far to the left);
    ``EVERYWHERE`` when its parts are placed by their own ``x``, ``y``, ``dx``, ``dy``."""
    placed = ((e, ("dx", "dy", "rotate", "writing-mode", *(("x", "y", "transform") if e is not text else ())))
              for e in text.iter(etree.Element))
    if x is None or y is None or any(e.get(name) for e, names in placed for name in names):
        return EVERYWHERE
    size = _font_size(text)
    reach = size * sum(len(t) for t in text.itertext())
    anchor = _inherited(text, "text-anchor") or "start"
    return Box(x - (reach if anchor != "start" else 0), y - _ASCENT * size,
               x + (reach if anchor != "end" else 0), y + _DESCENT * size)


def _font_size(element: etree._Element) -> float:
    """The font size of ``element`` in pixels; a browser's own where it is not in them."""
    size = user_units(_inherited(element, "font-size"))
    return _SVG_FONT_PX if size is None else size


def _inherited(element: etree._Element, name: str) -> str | None:
    """The value of a property that ``element`` inherits, as its style or attribute, or the
    nearest ancestor's up to its SVG, sets it."""
    for e in (element, *element.iterancestors()):
        style = e.get("style")
        value = (widgets.declared(style, name) if style else None) or e.get(name)
        if value is not None or e.tag == "svg":
            return value
    return None


def _union(boxes: Iterable[Box | None]) -> Box:
    shown = [box for box in boxes if box is not None and box != NOWHERE]
    if not shown:
        return NOWHERE
    return Box(min(b.left for b in shown), min(b.top for b in shown),
               max(b.right for b in shown), max(b.bottom for b in shown))


def viewport(svg: etree._Element) -> Box:
    """The part of ``svg``'s user space its picture shows: its ``viewBox`` as its width and
    height fit it (a browser keeps the ratio unless both are set), else those in pixels
    (300 by 150 unless set); ``EVERYWHERE`` when the overflow shows or a size is not in
    pixels, ``NOWHERE`` when the viewBox is fit into no width or height."""
    if _inherited(svg, "overflow") in ("visible", "auto"):
        return EVERYWHERE
    width, height = _size(svg, "width"), _size(svg, "height")
    box = view_box(svg)
    if box is None:
        return Box(0, 0, 300.0 if width is None else width, 150.0 if height is None else height)
    left, top, view_width, view_height = box
    fitted = svg.get("preserveaspectratio") or "xMidYMid meet"
    if width is None or height is None or fitted.startswith("none"):
        return Box(left, top, left + view_width, top + view_height)
    if math.inf in (width, height):
        return EVERYWHERE
    scale = (max if fitted.endswith("slice") else min)(width / view_width, height / view_height)
    if scale == 0:  # fit into no width or height: nothing of it is seen
        return NOWHERE
    seen_width, seen_height = width / scale, height / scale
    x_room, y_room = seen_width - view_width, seen_height - view_height
    x_share = 0 if "xMin" in fitted else 1 if "xMax" in fitted else 0.5
    y_share = 0 if "YMin" in fitted else 1 if "YMax" in fitted else 0.5
    return Box(left - x_room * x_share, top - y_room * y_share,
               left - x_room * x_share + seen_width, top - y_room * y_share + seen_height)


def _reference_box(svg: etree._Element) -> tuple[float, float] | None:
    """The width and height of ``svg``'s viewBox, else of its picture in pixels (300 by
    150 unless set); None when a size is not in pixels."""
    box = view_box(svg)
    if box is not None:
        return box[2], box[3]
    width, height = _size(svg, "width"), _size(svg, "height")
    width, height = 300.0 if width is None else width, 150.0 if height is None else height
    return None if math.inf in (width, height) else (width, height)


def view_box(svg: etree._Element) -> tuple[float, float, float, float] | None:
    """``svg``'s viewBox (left, top, width, height); None when it has none that SVG reads
    (``_VIEW_BOX``) or it is of no size: Chromium then draws the SVG as if it had none."""
    match = _VIEW_BOX.fullmatch(svg.get("viewbox") or "")
    if match is None:
        return None
    left, top, width, height = (float(number) for number in match.groups())
    return (left, top, width, height) if width > 0 and height > 0 else None


def _size(svg: etree._Element, name: str) -> float | None:
    """``svg``'s width or height in pixels; None when not set, infinite when not in pixels."""
    value = _inherited(svg, name)
    if value in (None, "auto"):
        return None
    pixels = user_units(value)
    return math.inf if pixels is None else pixels


def animation_ends(svg: etree._Element) -> dict[tuple[etree._Element, str], str | None]:
    """What ``svg``'s animations leave of the attributes and properties they change, by the
    element and name: a ``<set>``'s value (it holds unless it lasts a time and is not
    frozen), a frozen ``<animate>``'s last (``_values``), of a ``display``, ``visibility`` or ``opacity``
    an ``<animate>`` changes again and again (``repeatCount="indefinite"``) a value that
    shows; what an ``<animateTransform>`` or ``<animateMotion>`` leaves is None (not worked
    out). One that never begins
    (``begin="indefinite"``) leaves nothing."""
    ends: dict[tuple[etree._Element, str], str | None] = {}
    named: dict[str, etree._Element] | None = None  # made at the first href, read by each
    for animation in svg.iter(*_ANIMATIONS):
        # what it changes: the element its href names in the SVG, else its parent
        href = animation.get("href") or animation.get("xlink:href")
        if href and href.startswith("#"):
            named = _named(svg) if named is None else named
            target = named.get(href[1:])
        else:
            target = animation.getparent()
        name = "transform" if animation.tag in ("animatetransform", "animatemotion") \
            else animation.get("attributename")
        if target is None or not name or animation.get("begin") == "indefinite":
            continue
        frozen = animation.get("fill") == "freeze"
        repeating = name in _SHOWING and _repeats(animation)
        if animation.tag == "set" and (frozen or animation.get("dur") in (None, "indefinite")):
            ends[target, name] = animation.get("to")
        elif animation.tag == "animate" and (frozen or repeating):
            values = _values(animation)
            if values is not None:  # else it changes nothing
                ends[target, name] = _showing_value(name, values) if repeating else values[-1]
        elif name == "transform":
            ends[target, name] = None
    return ends


def _named(svg: etree._Element) -> dict[str, etree._Element]:
    """``svg``'s elements by their ``id``, the first of each (a layout may animate hundreds of
    its parts by ``href``: each looked up, not looked for)."""
    named: dict[str, etree._Element] = {}
    for element in svg.iter():
        if (name := element.get("id")) is not None:
            named.setdefault(name, element)
    return named


def _repeats(animation: etree._Element) -> bool:
    """Whether ``animation`` runs again and again, never ending."""
    return "indefinite" in (animation.get("repeatcount"), animation.get("repeatdur"))


def _values(animation: etree._Element) -> list[str | None] | None:
    """The values an ``<animate>`` passes through, first to last, as Chromium reads them: its
    ``values`` when it has the attribute, else its ``from`` (if any) and ``to``, else its
    ``from`` (if any) and ``by``, whose value, added to another, is None (not worked out).
    None when it changes nothing: a ``from`` alone, an empty ``values``, ``to`` or ``by``, a
    ``values`` with an empty value but the last."""
    listed = animation.get("values")
    if listed is not None:
        values = [value.strip(_SPACES) for value in listed.split(";")]
        if len(values) > 1 and not values[-1]:
            values.pop()  # one ";" may end the list
        return None if "" in values else [*values]
    start, to, by = (animation.get(name) for name in ("from", "to", "by"))
    first = [start.strip(_SPACES)] if start else []
    if to:
        return [*first, to.strip(_SPACES)]
    return [*first, None] if by else None


def _showing_value(name: str, values: list[str | None]) -> str | None:
    """Of the values an animation that never ends passes through, again and again, one that
    shows what it changes (``display``, ``visibility``, ``opacity``): a reader sees it
    then; the last when none shows."""
    return next((value for value in values if not _hides(name, value)), values[-1])


def _hides(name: str, value: str | None) -> bool:
    """Whether ``value`` of ``name`` (``display``, ``visibility``, ``opacity``) hides the
    element it is set on."""
    if name == "display":
        return value == "none"
    if name == "visibility":
        return value in ("hidden", "collapse")
    return user_units(value) == 0


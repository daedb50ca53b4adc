"""What a diagram is made of: plain shapes with absolute coordinates, grouped per node and edge.

The layout produces a :class:`Scene`; the SVG writer only formats it. ``role`` names what a shape
is (``front``, ``top``, ``side``, ``window``, ``name``, ``shape``, ...): the writer turns it into a CSS
class and the theme colours it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal, TypeAlias

Point: TypeAlias = tuple[float, float]
Anchor: TypeAlias = Literal["start", "middle", "end"]

FONT_SIZE = 11.0
"""The size of ordinary label text, in pixels."""
_NARROW = frozenset("ijlrtf.,:;|!'()[] ")
_WIDE = frozenset("mwMW@%")
BOLD = 1.12
"""How much wider bold text runs."""


def text_width(text: str, size: float = FONT_SIZE, *, bold: bool = False) -> float:
    """A generous estimate of the width of ``text`` in a sans-serif font such as DejaVu Sans, in
    pixels (no font metrics are at hand when laying out; a little too wide leaves room, too narrow
    would overlap).

    >>> text_width("28 × 28 × 6") > text_width("iii")
    True
    """
    units = sum(0.36 if c in _NARROW else 0.95 if c in _WIDE else 0.65 for c in text)
    return units * size * (BOLD if bold else 1.0)


@dataclass(frozen=True)
class Bounds:
    """An axis-aligned rectangle: ``left ≤ x ≤ right``, ``top ≤ y ≤ bottom`` (y grows downwards)."""

    left: float
    top: float
    right: float
    bottom: float

    @staticmethod
    def around(points: list[Point] | tuple[Point, ...]) -> Bounds:
        """The smallest rectangle holding ``points``."""
        xs = [x for x, _ in points]
        ys = [y for _, y in points]
        return Bounds(min(xs), min(ys), max(xs), max(ys))

    def union(self, other: Bounds) -> Bounds:
        """The smallest rectangle holding both."""
        return Bounds(
            min(self.left, other.left),
            min(self.top, other.top),
            max(self.right, other.right),
            max(self.bottom, other.bottom),
        )

    def overlaps(self, other: Bounds) -> bool:
        """Whether the two rectangles share more than an edge.

        >>> Bounds(0, 0, 2, 2).overlaps(Bounds(2, 0, 4, 2)), Bounds(0, 0, 2, 2).overlaps(Bounds(1, 1, 3, 3))
        (False, True)
        """
        return (
            self.left < other.right
            and other.left < self.right
            and self.top < other.bottom
            and other.top < self.bottom
        )


@dataclass(frozen=True)
class Polygon:
    """A closed polygon (the faces of a block, a kernel window)."""

    points: tuple[Point, ...]
    role: str

    @property
    def bounds(self) -> Bounds:
        """Its bounding rectangle."""
        return Bounds.around(self.points)

    def moved(self, dx: float, dy: float) -> Polygon:
        """The same polygon shifted by ``(dx, dy)``."""
        return replace(self, points=tuple((x + dx, y + dy) for x, y in self.points))


@dataclass(frozen=True)
class Rect:
    """A rectangle, with rounded corners when ``radius`` is set (graph nodes, frames)."""

    x: float
    y: float
    width: float
    height: float
    role: str
    radius: float = 0.0

    @property
    def bounds(self) -> Bounds:
        """Its bounding rectangle."""
        return Bounds(self.x, self.y, self.x + self.width, self.y + self.height)

    def moved(self, dx: float, dy: float) -> Rect:
        """The same rectangle shifted by ``(dx, dy)``."""
        return replace(self, x=self.x + dx, y=self.y + dy)


@dataclass(frozen=True)
class Circle:
    """A circle (an element-wise merge such as ``add``)."""

    cx: float
    cy: float
    r: float
    role: str

    @property
    def bounds(self) -> Bounds:
        """Its bounding rectangle."""
        return Bounds(self.cx - self.r, self.cy - self.r, self.cx + self.r, self.cy + self.r)

    def moved(self, dx: float, dy: float) -> Circle:
        """The same circle shifted by ``(dx, dy)``."""
        return replace(self, cx=self.cx + dx, cy=self.cy + dy)


@dataclass(frozen=True)
class Line:
    """An open polyline; ``arrow`` puts an arrowhead at its last point."""

    points: tuple[Point, ...]
    role: str
    arrow: bool = False

    @property
    def bounds(self) -> Bounds:
        """Its bounding rectangle."""
        return Bounds.around(self.points)

    def moved(self, dx: float, dy: float) -> Line:
        """The same line shifted by ``(dx, dy)``."""
        return replace(self, points=tuple((x + dx, y + dy) for x, y in self.points))


@dataclass(frozen=True)
class Text:
    """One line of text; ``(x, y)`` is its baseline point on the ``anchor`` side."""

    x: float
    y: float
    text: str
    role: str
    anchor: Anchor = "middle"
    size: float = FONT_SIZE
    bold: bool = False

    @property
    def bounds(self) -> Bounds:
        """Its estimated bounding rectangle."""
        width = text_width(self.text, self.size, bold=self.bold)
        left = {"start": self.x, "middle": self.x - width / 2, "end": self.x - width}[self.anchor]
        return Bounds(left, self.y - self.size, left + width, self.y + self.size * 0.3)

    def moved(self, dx: float, dy: float) -> Text:
        """The same text shifted by ``(dx, dy)``."""
        return replace(self, x=self.x + dx, y=self.y + dy)


Part: TypeAlias = Polygon | Rect | Circle | Line | Text


def bounds_of(parts: tuple[Part, ...]) -> Bounds:
    """The rectangle holding all ``parts`` (at least one)."""
    result = parts[0].bounds
    for part in parts[1:]:
        result = result.union(part.bounds)
    return result


def moved(parts: tuple[Part, ...], dx: float, dy: float) -> tuple[Part, ...]:
    """All ``parts`` shifted by ``(dx, dy)``."""
    return tuple(part.moved(dx, dy) for part in parts)


@dataclass(frozen=True)
class Item:
    """A node, an edge or a frame: its shapes, what it shows and which layers it stands for.

    ``kind`` is ``node``, ``edge`` or ``frame``; ``classes`` refine it for the theme (``conv``,
    ``pool``, ``skip``, ...). ``body`` is what must not overlap another node's body; ``label`` is
    its text. ``layers`` names every spec layer a node stands for (an edge's source and target node,
    a row connector's source); ``title`` is its tooltip.
    """

    kind: str
    classes: tuple[str, ...]
    body: tuple[Part, ...]
    label: tuple[Part, ...] = ()
    layers: tuple[str, ...] = ()
    title: str = ""

    def moved(self, dx: float, dy: float) -> Item:
        """The same item shifted by ``(dx, dy)``."""
        return replace(self, body=moved(self.body, dx, dy), label=moved(self.label, dx, dy))


@dataclass(frozen=True)
class Scene:
    """A whole diagram: its size, a title and the items in drawing order (frames, edges, nodes)."""

    width: float
    height: float
    title: str
    items: tuple[Item, ...]

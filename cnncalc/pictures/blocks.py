"""The article's style: each feature map a block sized by its shape, vectors as bars, kernels as
windows on the map they read.

A map ``(H, W, C)`` is a box seen from the front and slightly above: across the flow it is ``H`` tall
(``W`` wide when the flow runs down), along the flow it is ``C`` thick, and the other spatial axis
recedes at 45°. Sizes are compressed so that 224×224×64 and 7×7×2048 fit one page: spatial sizes
by their square root, channels by their logarithm. Every size in a figure is compressed alike, so a
5×5 kernel on a 32×32 map is drawn as ``√5/√32`` of it.
"""

from __future__ import annotations

from math import log2, prod, sqrt

from cnncalc.pictures.labels import describe, local_name, shape_label, tooltip
from cnncalc.pictures.layout import Direction, Figure
from cnncalc.pictures.nodes import Node
from cnncalc.pictures.scene import (
    FONT_SIZE,
    Bounds,
    Circle,
    Item,
    Line,
    Part,
    Point,
    Polygon,
    Text,
    bounds_of,
)
from cnncalc.spec.models import Add, Average, DataFormat, LayerBase, Maximum, Minimum, Multiply, Subtract

SPATIAL_SCALE = 10.0
"""Pixels per square root of a spatial size."""
LARGEST = 150.0
SMALLEST = 8.0
DEPTH = 0.45
"""How much of its size the receding axis keeps."""
OBLIQUE = sqrt(0.5)
"""cos 45° = sin 45°."""
BAR = 8.0
"""The thickness of a vector's bar."""
LINE = 13.0
"""Distance between label lines."""
LABEL_GAP = 6.0
SMALL = 9.5
MERGE_RADIUS = 11.0

SYMBOLS: dict[type[LayerBase], str] = {
    Add: "+",
    Subtract: "−",
    Multiply: "×",
    Average: "avg",
    Maximum: "max",
    Minimum: "min",
}
"""Element-wise merges, drawn as a circle with their operation (⊕ as in the ResNet paper's figures)."""


def side(size: int) -> float:
    """The drawn length of a spatial size (or a vector's length): ``10·√size``, within 8 and 150 px.

    >>> round(side(1)), round(side(28)), round(side(224)), round(side(4096))
    (10, 53, 150, 150)
    """
    return min(max(SPATIAL_SCALE * sqrt(size), SMALLEST), LARGEST)


def thickness(channels: int) -> float:
    """The drawn thickness of a channel count: ``4 + 4·log₂ C`` px.

    >>> thickness(1), thickness(64), thickness(2048)
    (4.0, 28.0, 48.0)
    """
    return 4.0 + 4.0 * log2(channels)


def map_size(shape: tuple[int, ...], data_format: DataFormat) -> tuple[int, int, int] | None:
    """``(height, width, channels)`` of a feature map, ``None`` for any other tensor."""
    if len(shape) != 3:
        return None
    return (
        (shape[1], shape[2], shape[0]) if data_format == "channels_first" else (shape[0], shape[1], shape[2])
    )


def _operation(node: Node) -> bool:
    """Whether ``node`` is an element-wise merge drawn as a circle."""
    return node.record is not None and type(node.record.layer) in SYMBOLS and node.shape is not None


class Blocks:
    """The blocks style, for one network's data format."""

    def __init__(self, data_format: DataFormat) -> None:
        self.data_format = data_format

    def figure(self, node: Node, direction: Direction) -> Figure:
        """The block (or bar, or merge circle) of ``node`` and its label: name, shape, and what its
        layers do."""
        if _operation(node):
            assert node.record is not None
            return self._merge(node, direction, SYMBOLS[type(node.record.layer)])
        across, along, depth = self._dimensions(node)
        if direction == "LR":
            width, height = along, across
        else:
            width, height = across, along
        dx, dy = depth * OBLIQUE, -depth * OBLIQUE
        left, top, right, bottom = -width / 2, -height / 2, width / 2, height / 2
        front = Polygon(((left, top), (right, top), (right, bottom), (left, bottom)), "front")
        lid = Polygon(((left, top), (right, top), (right + dx, top + dy), (left + dx, top + dy)), "top")
        flank = Polygon(
            ((right, top), (right + dx, top + dy), (right + dx, bottom + dy), (right, bottom)), "side"
        )
        body: tuple[Part, ...] = (front, lid, flank)
        if direction == "LR":
            entry = (left, 0.0)
            exit_ = (right + dx * min(1.0, (height / 2) / -dy) if dy else right, 0.0)
        else:
            entry = (0.0, top + dy * min(1.0, (width / 2) / dx) if dx else top)
            exit_ = (0.0, bottom)
        label = self._label(node, direction, bounds_of(body))
        classes = (
            (node.kind, "map" if self._map(node) else "vector")
            + (("failed",) if node.shape is None else ())
            + (("error",) if node.error else ())
        )
        return Figure(body, label, entry, exit_, classes, tooltip(node))

    def _merge(self, node: Node, direction: Direction, symbol: str) -> Figure:
        r = MERGE_RADIUS
        size = 15.0 if len(symbol) == 1 else 8.0
        body = (
            Circle(0.0, 0.0, r, "front"),
            Text(0.0, size * 0.35, symbol, "symbol", "middle", size, bold=True),
        )
        entry, exit_ = ((-r, 0.0), (r, 0.0)) if direction == "LR" else ((0.0, -r), (0.0, r))
        label = self._label(node, direction, bounds_of(body))
        return Figure(body, label, entry, exit_, (node.kind, "operation"), tooltip(node))

    def joint(self, source: Node, target: Node, at: tuple[Point, Point], direction: Direction) -> Item | None:
        """The kernel window of a convolution or pool on the side of the map it reads, and lines from
        it to the cell it makes — drawn where the flow runs left to right and the window is larger
        than one cell."""
        record = target.record
        source_map = self._map(source)
        if (
            direction != "LR"
            or record is None
            or record.windows is None
            or source_map is None
            or _operation(source)
        ):
            return None
        kernel = tuple(window.kernel for window in record.windows)
        if kernel == (1, 1):
            return None
        height, width, channels = source_map
        rise = side(height)
        run = side(width) * DEPTH * OBLIQUE
        (sx, sy), (tx, ty) = at
        right = sx + thickness(channels) / 2
        fraction_h = min(side(kernel[0]) / side(height), 0.8)
        fraction_w = min(side(kernel[1]) / side(width), 0.8)
        a0, b0 = (1 - fraction_w) / 2, (1 - fraction_h) * 0.6

        def on_side(a: float, b: float) -> Point:
            return (right + a * run, sy - rise / 2 - a * run + b * rise)

        corners = (
            on_side(a0, b0),
            on_side(a0 + fraction_w, b0),
            on_side(a0 + fraction_w, b0 + fraction_h),
            on_side(a0, b0 + fraction_h),
        )
        target_figure = self.figure(target, direction)
        apex = (tx + target_figure.entry[0] + 2.0, ty)
        lines = tuple(Line((corner, apex), "cone") for corner in (corners[0], corners[3]))
        names = f"{record.name}: {kernel[0]}×{kernel[1]} window"
        return Item("kernel", (target.kind,), (Polygon(corners, "window"), *lines), layers=(), title=names)

    def _map(self, node: Node) -> tuple[int, int, int] | None:
        return map_size(node.shape, self.data_format) if node.shape is not None else None

    def _dimensions(self, node: Node) -> tuple[float, float, float]:
        """``(across, along, depth)``: the block's extent across the flow, along it, and receding."""
        if node.shape is None:
            return side(16), thickness(4), side(16) * DEPTH
        spatial = self._map(node)
        if spatial is None:
            return side(prod(node.shape)), BAR, BAR
        height, width, channels = spatial
        return side(height), thickness(channels), side(width) * DEPTH

    def _label(self, node: Node, direction: Direction, body: Bounds) -> tuple[Part, ...]:
        details = ", ".join(filter(None, map(describe, node.records)))
        if node.error:
            details = f"error {node.error}" + (f": {details}" if details else "")
        name = local_name(node)
        lines = [(name, "name", FONT_SIZE), (shape_label(node.shape), "shape", FONT_SIZE)]
        if details:
            lines.append((details, "detail", SMALL))
        if direction == "LR":
            x = (body.left + body.right) / 2
            y = body.bottom + LABEL_GAP + FONT_SIZE
            return tuple(
                Text(x, y + n * LINE, text, role, "middle", size, bold=role == "name")
                for n, (text, role, size) in enumerate(lines)
            )
        x = body.right + LABEL_GAP
        y = (body.top + body.bottom) / 2 - (len(lines) - 1) * LINE / 2 + FONT_SIZE * 0.35
        return tuple(
            Text(x, y + n * LINE, text, role, "start", size, bold=role == "name")
            for n, (text, role, size) in enumerate(lines)
        )

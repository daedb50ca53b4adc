"""Shape inference of the merge layers: element-wise merges broadcast as Keras does, and
concatenation along one axis. Errors name every branch and its shape."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from cnncalc.shapes.inference import SHAPES_MISMATCH, Inferred, ShapeError, channel_axis, keras_axes
from cnncalc.shapes.records import Shape
from cnncalc.shapes.text import format_int, format_shape
from cnncalc.spec.models import (
    Add,
    Average,
    Concatenate,
    DataFormat,
    LayerBase,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
)

_SYMBOLS: dict[type[LayerBase], str] = {Add: "+", Subtract: "−", Multiply: "·"}


def broadcast(first: Shape, second: Shape) -> Shape | None:
    """Keras' broadcasting of two shapes (batch axis excluded): lined up from the right, a size of
    1 stretches, the longer shape keeps its leading axes; ``None`` if they do not broadcast.

    >>> broadcast((28, 28, 64), (1, 1, 64)), broadcast((7, 7, 32), (32,)), broadcast((4, 4, 8), (4, 4, 3))
    ((28, 28, 64), (7, 7, 32), None)
    """
    if len(first) < len(second):
        first, second = second, first
    lead = first[: len(first) - len(second)]
    tail = []
    for a, b in zip(first[len(lead) :], second, strict=True):
        if a != b and 1 not in (a, b):
            return None
        tail.append(b if a == 1 else a)
    return (*lead, *tail)


def _elementwise(
    layer: LayerBase, shapes: Sequence[Shape], names: Sequence[str], data_format: DataFormat
) -> Inferred:
    output = shapes[0]
    for index in range(1, len(shapes)):
        merged = broadcast(output, shapes[index])
        if merged is None:
            raise ShapeError(
                SHAPES_MISMATCH,
                f"{layer.name} ({layer.type}) cannot merge its inputs: {_branches(names, shapes)}",
                _hint(shapes[0], shapes[index], data_format),
            )
        output = merged
    symbol = _SYMBOLS.get(type(layer), ",")
    joined = f" {symbol} ".join(map(format_shape, shapes))
    text = (
        f"{joined} → {format_shape(output)}"
        if symbol != ","
        else f"{layer.type}({joined}) → {format_shape(output)}"
    )
    return Inferred(output, explanation=(text,))


def _concatenate(
    layer: Concatenate, shapes: Sequence[Shape], names: Sequence[str], data_format: DataFormat
) -> Inferred:
    ranks = {len(shape) for shape in shapes}
    if len(ranks) > 1:
        raise ShapeError(
            SHAPES_MISMATCH,
            f"{layer.name} cannot concatenate inputs of different ranks: {_branches(names, shapes)}",
            "flatten or reshape the inputs to one rank first",
        )
    first = shapes[0]
    if layer.axis is None:
        axis = channel_axis(first, data_format)
    else:
        (axis,) = keras_axes(layer, (layer.axis,), first)
    for shape in shapes[1:]:
        if any(a != b for position, (a, b) in enumerate(zip(first, shape, strict=True)) if position != axis):
            raise ShapeError(
                SHAPES_MISMATCH,
                f"{layer.name} concatenates along axis {_keras_axis(axis)}, so every other axis must "
                f"match, but {_branches(names, shapes)}",
                _hint(first, shape, data_format, concatenating=True),
            )
    total = sum(shape[axis] for shape in shapes)
    output = (*first[:axis], total, *first[axis + 1 :])
    sizes = " + ".join(format_int(shape[axis]) for shape in shapes)
    return Inferred(output, explanation=(f"axis {_keras_axis(axis)}: {sizes} = {format_int(total)}",))


def _keras_axis(axis: int) -> int:
    """An index into a batchless shape, counted as Keras counts it (batch axis 0)."""
    return axis + 1


def _branches(names: Sequence[str], shapes: Sequence[Shape]) -> str:
    """``conv2d_5 gives (28, 28, 64) but batch_normalization_3 gives (56, 56, 64)``."""
    parts = [f"{name} gives {format_shape(shape)}" for name, shape in zip(names, shapes, strict=True)]
    return parts[0] + " but " + ", ".join(parts[1:]) if len(parts) > 1 else parts[0]


def _hint(first: Shape, second: Shape, data_format: DataFormat, concatenating: bool = False) -> str:
    """How to make two feature maps meet: downsample or project the shortcut, as ResNet does."""
    if len(first) == 3 and len(second) == 3:
        (h1, w1, c1), (h2, w2, c2) = (_hwc(shape, data_format) for shape in (first, second))
        if (h1, w1) != (h2, w2):
            if h1 % h2 == 0 and w1 % w2 == 0 and h1 // h2 == w1 // w2:
                factor = h1 // h2
                return (
                    f"the first branch's map is {factor}× larger: downsample it by {factor} too "
                    f"(e.g. a 1×1 convolution with strides {factor}, as ResNet's projection shortcut)"
                )
            if h2 % h1 == 0 and w2 % w1 == 0 and h2 // h1 == w2 // w1:
                factor = h2 // h1
                return f"the second branch's map is {factor}× larger: downsample it by {factor} too"
            return "the branches' maps must have the same height and width: pad, crop or resize one"
        if not concatenating and c1 != c2:
            return f"project one branch to the other's channels with a 1×1 convolution ({c1} vs {c2} filters)"
    if concatenating:
        return "all axes but the concatenation axis must be equal"
    return "the shapes must be equal, or have 1 where they differ (broadcasting, lined up from the right)"


def _hwc(shape: Shape, data_format: DataFormat) -> tuple[int, int, int]:
    return (
        (shape[1], shape[2], shape[0]) if data_format == "channels_first" else (shape[0], shape[1], shape[2])
    )


MERGES: dict[type[LayerBase], Callable[[Any, Sequence[Shape], Sequence[str], DataFormat], Inferred]] = {
    Add: _elementwise,
    Subtract: _elementwise,
    Multiply: _elementwise,
    Average: _elementwise,
    Maximum: _elementwise,
    Minimum: _elementwise,
    Concatenate: _concatenate,
}
"""Shape inference of the layers that read several inputs, by spec class."""

"""What every layer type's shape inference shares: its result, its errors, and reading feature maps.

Each inference function takes a layer and its input shape(s) (batch axis excluded) and returns an
:class:`Inferred`, or raises :class:`ShapeError` when Keras could not build or run the layer.
Error codes are stable: they are the linter's engine rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cnncalc.shapes.records import AxisWindow, Shape, Weight
from cnncalc.shapes.text import format_shape
from cnncalc.spec.models import DataFormat, LayerBase

OUTPUT_TOO_SMALL = "CNN101"
GROUPS_MISMATCH = "CNN102"
STRIDES_WITH_DILATION = "CNN103"
NEEDS_FEATURE_MAP = "CNN104"
REFLECT_PADDING_TOO_LARGE = "CNN105"
SHAPES_MISMATCH = "CNN106"
RESHAPE_SIZE_MISMATCH = "CNN107"
AXIS_OUT_OF_RANGE = "CNN108"
CONNECTIONS_OUT_OF_RANGE = "CNN109"
SIZE_OUT_OF_RANGE = "CNN117"

MAX_DIGITS = 1000
"""The most digits a dimension or a receptive field is analysed with. Arithmetic on Python ints is
exact at any size, but a few hundred layers that each multiply a size (upsampling, strides on a 1×1
map) make numbers that take minutes to multiply and that Python refuses to write (4,300 digits)."""


class ShapeError(Exception):
    """A layer that cannot be built for its input: a stable code, a message, a fix."""

    def __init__(self, code: str, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.hint = hint


@dataclass(frozen=True)
class Inferred:
    """What one layer does to its input."""

    output_shape: Shape
    weights: tuple[Weight, ...] = ()
    windows: tuple[AxisWindow, AxisWindow] | None = None
    explanation: tuple[str, ...] = ()


def feature_map(layer: LayerBase, shape: Shape, data_format: DataFormat) -> tuple[int, int, int]:
    """``(height, width, channels)`` of a rank-3 input; a flat input is an error for this layer."""
    if len(shape) != 3:
        raise ShapeError(
            NEEDS_FEATURE_MAP,
            f"layer {layer.name} ({layer.type}) needs a feature map (height, width, channels) "
            f"but its input is {'flat' if len(shape) == 1 else f'of rank {len(shape)}'}: "
            f"{format_shape(shape)}",
            "move it before the flatten (or dense) layer that flattened the feature map",
        )
    if data_format == "channels_first":
        return shape[1], shape[2], shape[0]
    return shape[0], shape[1], shape[2]


def feature_shape(height: int, width: int, channels: int, data_format: DataFormat) -> Shape:
    """The shape of a feature map in the data format's axis order."""
    if data_format == "channels_first":
        return (channels, height, width)
    return (height, width, channels)


def channel_axis(shape: Shape, data_format: DataFormat) -> int:
    """The axis batchnorm normalises: the channels of a feature map, else the last axis."""
    return 0 if data_format == "channels_first" and len(shape) == 3 else len(shape) - 1


def keras_axes(layer: LayerBase, axes: Sequence[int], shape: Shape, field: str = "axis") -> tuple[int, ...]:
    """Axes counted as Keras counts them (batch axis 0, ``-1`` the last) as indices into ``shape``
    (which has no batch axis); an axis the input does not have is an error."""
    rank = len(shape) + 1
    found = []
    for axis in axes:
        if not -rank < axis < rank or axis % rank == 0:
            raise ShapeError(
                AXIS_OUT_OF_RANGE,
                f"layer {layer.name} has {field} {axis}, but its input {format_shape(shape)} has axes "
                f"1 to {rank - 1} (and −1 to −{rank - 1}) after the batch axis",
                f"axes count as in Keras: 1 is the first axis after the batch axis, −1 the last; "
                f"the input has {len(shape)}",
            )
        found.append(axis % rank - 1)
    return tuple(found)


def named_weights(
    names: Sequence[str], shapes: Sequence[Shape], trainable: bool = True
) -> tuple[Weight, ...]:
    """Weights from parallel names and shapes (extra names ignored: a conv without bias)."""
    return tuple(Weight(name, shape, trainable) for name, shape in zip(names, shapes, strict=False))

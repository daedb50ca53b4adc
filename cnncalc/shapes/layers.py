"""Shape inference, one function per layer type: input shape → output shape, weights, windows.

Each function raises :class:`ShapeError` when the layer is impossible for its input; the engine
turns that into an error diagnostic and stops the shape chain there. Error codes are stable.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from math import prod
from typing import Any, Literal

from cnncalc.shapes.formulas import (
    conv_weight_shapes,
    dense_weight_shapes,
    resolve_padding,
    window_output_size,
)
from cnncalc.shapes.records import AxisWindow, Shape, Weight
from cnncalc.spec.models import (
    Activation,
    AvgPool2D,
    BatchNorm,
    Conv2D,
    DataFormat,
    Dense,
    Dropout,
    Flatten,
    GlobalAvgPool2D,
    GlobalMaxPool2D,
    LayerBase,
    MaxPool2D,
    PadPair,
    Pair,
    Pool2D,
    ZeroPad2D,
)

OUTPUT_TOO_SMALL = "CNN101"
GROUPS_MISMATCH = "CNN102"
STRIDES_WITH_DILATION = "CNN103"
NEEDS_FEATURE_MAP = "CNN104"
REFLECT_PADDING_TOO_LARGE = "CNN105"


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


# --- feature maps in either data format -------------------------------------------------------


def feature_map(layer: LayerBase, shape: Shape, data_format: DataFormat) -> tuple[int, int, int]:
    """``(height, width, channels)`` of a rank-3 input; a flat input is an error for this layer."""
    if len(shape) != 3:
        raise ShapeError(
            NEEDS_FEATURE_MAP,
            f"layer {layer.name} ({layer.type}) needs a feature map (height, width, channels) "
            f"but its input is flat: {format_shape(shape)}",
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


# --- text with the numbers in ------------------------------------------------------------------


def format_int(value: int) -> str:
    """Thousands separators and a real minus sign: ``−1,024``."""
    return f"{value:,}".replace("-", "−")


def format_shape(shape: Shape) -> str:
    """``(28, 28, 6)``, ``(2048,)``: as Keras prints shapes, without thousands separators."""
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def format_dims(pair: Pair) -> str:
    """``5`` for a square window, else ``3×5``."""
    return format_int(pair[0]) if pair[0] == pair[1] else f"{format_int(pair[0])}×{format_int(pair[1])}"


def window_formula(window: AxisWindow) -> str:
    """The output-size arithmetic of one axis, e.g. ``(28 − 5 + 2·0)/1 + 1 = 24``."""
    if window.same:
        pads = window.pad_before + window.pad_after
        split = f" (pad {window.pad_before} + {window.pad_after})" if pads else ""
        return f"⌈{format_int(window.size)}/{window.strides}⌉ = {format_int(window.output)}{split}"
    before, after = window.pad_before, window.pad_after
    pad = f"2·{before}" if before == after else f"{before} + {after}"
    numerator = f"{format_int(window.size)} − {format_int(window.span)} + {pad}"
    value = window.size + before + after - window.span
    division = f"({numerator})/{window.strides}"
    if value % window.strides:
        division = f"⌊{division}⌋"
    text = f"{division} + 1 = {format_int(window.output)}"
    if window.dilation > 1:
        text = f"K = {window.dilation}·({window.kernel} − 1) + 1 = {window.span}; {text}"
    return text


def axes_text(height: str, width: str) -> str:
    """One line when both axes read the same, else both."""
    return f"H, W: {height}" if height == width else f"H: {height}; W: {width}"


# --- the layer types ---------------------------------------------------------------------------


def _windows(
    layer: LayerBase,
    size: Pair,
    *,
    kernel: Pair,
    strides: Pair,
    dilation: Pair,
    padding: Literal["valid", "same"] | PadPair,
    padding_mode: str,
    what: Literal["kernel", "pool window"],
) -> tuple[AxisWindow, AxisWindow]:
    windows = []
    for axis in range(2):
        if isinstance(padding, str):
            before, after = resolve_padding(padding, size[axis], kernel[axis], strides[axis], dilation[axis])
        else:
            before, after = padding[axis]
        same = padding == "same"
        span = dilation[axis] * (kernel[axis] - 1) + 1
        output = (
            -(-size[axis] // strides[axis])
            if same
            else window_output_size(size[axis], span, strides[axis], before, after)
        )
        windows.append(
            AxisWindow(size[axis], kernel[axis], strides[axis], dilation[axis], before, after, output, same)
        )
    if padding_mode == "reflect":
        for axis, window in enumerate(windows):
            if max(window.pad_before, window.pad_after) >= window.size:
                raise ShapeError(
                    REFLECT_PADDING_TOO_LARGE,
                    f"reflect padding of {max(window.pad_before, window.pad_after)} needs more than "
                    f"that many cells, but layer {layer.name} gets {window.size} along its "
                    f"{('height', 'width')[axis]}",
                    "use padding_mode: replicate, or less padding",
                )
    for axis, window in enumerate(windows):
        if window.output < 1:
            padded = "padded " if window.pad_before or window.pad_after else ""
            formula = window_formula(window)
            if formula != window_formula(windows[1 - axis]):
                formula = f"{('height', 'width')[axis]} {formula}"
            raise ShapeError(
                OUTPUT_TOO_SMALL,
                f"{what} {format_dims(kernel)} does not fit a {padded}"
                f"{format_int(size[0])}×{format_int(size[1])} input at layer {layer.name}: {formula}",
                "use padding: same, a smaller "
                + ("kernel or dilation" if what == "kernel" else "pool_size")
                + ", or less downsampling before this layer",
            )
    return windows[0], windows[1]


def _conv2d(layer: Conv2D, shape: Shape, data_format: DataFormat) -> Inferred:
    height, width, channels = feature_map(layer, shape, data_format)
    if max(layer.strides) > 1 and max(layer.dilation_rate) > 1:
        raise ShapeError(
            STRIDES_WITH_DILATION,
            f"layer {layer.name} combines strides {format_dims(layer.strides)} with dilation_rate "
            f"{format_dims(layer.dilation_rate)}; Keras allows only one of them above 1",
            "set strides: 1 (and downsample with a pool), or dilation_rate: 1",
        )
    for what, count in (("input channels", channels), ("filters", layer.filters)):
        if count % layer.groups:
            raise ShapeError(
                GROUPS_MISMATCH,
                f"groups {layer.groups} does not divide the {count} {what} of layer {layer.name}",
                f"groups must divide both the {channels} input channels and the {layer.filters} filters",
            )
    rows, cols = _windows(
        layer,
        (height, width),
        kernel=layer.kernel_size,
        strides=layer.strides,
        dilation=layer.dilation_rate,
        padding=layer.padding,
        padding_mode=layer.padding_mode,
        what="kernel",
    )
    shapes = conv_weight_shapes(layer.kernel_size, channels, layer.filters, layer.groups, layer.use_bias)
    kh, kw = layer.kernel_size
    per_group = str(channels) if layer.groups == 1 else f"({channels}/{layer.groups})"
    bias = f" + {layer.filters}" if layer.use_bias else ""
    params = sum(prod(s) for s in shapes)
    return Inferred(
        feature_shape(rows.output, cols.output, layer.filters, data_format),
        _weights(("kernel", "bias"), shapes),
        (rows, cols),
        (
            axes_text(window_formula(rows), window_formula(cols)),
            f"params = {kh}·{kw}·{per_group}·{layer.filters}{bias} = {format_int(params)}",
        ),
    )


def _pool2d(layer: Pool2D, shape: Shape, data_format: DataFormat) -> Inferred:
    height, width, channels = feature_map(layer, shape, data_format)
    rows, cols = _windows(
        layer,
        (height, width),
        kernel=layer.pool_size,
        strides=layer.effective_strides,
        dilation=(1, 1),
        padding=layer.padding,
        padding_mode=layer.padding_mode,
        what="pool window",
    )
    return Inferred(
        feature_shape(rows.output, cols.output, channels, data_format),
        windows=(rows, cols),
        explanation=(axes_text(window_formula(rows), window_formula(cols)),),
    )


def _dense(layer: Dense, shape: Shape, data_format: DataFormat) -> Inferred:
    fan_in = shape[-1]
    shapes = dense_weight_shapes(fan_in, layer.units, layer.use_bias)
    params = sum(prod(s) for s in shapes)
    formula = f"({fan_in} + 1)·{layer.units}" if layer.use_bias else f"{fan_in}·{layer.units}"
    notes = [f"params = {formula} = {format_int(params)}"]
    if len(shape) > 1:
        notes.append(
            f"applied to the last axis ({fan_in}) at each of {format_int(prod(shape[:-1]))} positions"
        )
    return Inferred(
        (*shape[:-1], layer.units), _weights(("kernel", "bias"), shapes), explanation=tuple(notes)
    )


def _flatten(layer: Flatten, shape: Shape, data_format: DataFormat) -> Inferred:
    size = prod(shape)
    if len(shape) == 1:
        return Inferred(shape, explanation=("already flat",))
    return Inferred((size,), explanation=("·".join(map(str, shape)) + f" = {format_int(size)}",))


def _identity(layer: LayerBase, shape: Shape, data_format: DataFormat) -> Inferred:
    return Inferred(shape)


def _batchnorm(layer: BatchNorm, shape: Shape, data_format: DataFormat) -> Inferred:
    channels = shape[channel_axis(shape, data_format)]
    weights = (
        Weight("gamma", (channels,)),
        Weight("beta", (channels,)),
        Weight("moving_mean", (channels,), trainable=False),
        Weight("moving_variance", (channels,), trainable=False),
    )
    return Inferred(
        shape,
        weights,
        explanation=(
            f"params = 4·{channels} = {format_int(4 * channels)} "
            f"({format_int(2 * channels)} non-trainable: moving mean and variance)",
        ),
    )


def _global_pool(layer: LayerBase, shape: Shape, data_format: DataFormat) -> Inferred:
    height, width, channels = feature_map(layer, shape, data_format)
    return Inferred((channels,), explanation=(f"{height}×{width}×{channels} → {channels}",))


def _zeropad2d(layer: ZeroPad2D, shape: Shape, data_format: DataFormat) -> Inferred:
    height, width, channels = feature_map(layer, shape, data_format)
    windows = tuple(
        AxisWindow(size, 1, 1, 1, before, after, size + before + after)
        for size, (before, after) in zip((height, width), layer.padding, strict=True)
    )
    rows, cols = windows
    return Inferred(
        feature_shape(rows.output, cols.output, channels, data_format),
        windows=(rows, cols),
        explanation=(
            axes_text(*(f"{w.size} + {w.pad_before} + {w.pad_after} = {w.output}" for w in windows)),
        ),
    )


def _weights(names: tuple[str, ...], shapes: list[tuple[int, ...]]) -> tuple[Weight, ...]:
    return tuple(Weight(name, shape) for name, shape in zip(names, shapes, strict=False))


INFERENCE: dict[type[LayerBase], Callable[[Any, Shape, DataFormat], Inferred]] = {
    Conv2D: _conv2d,
    MaxPool2D: _pool2d,
    AvgPool2D: _pool2d,
    Dense: _dense,
    Flatten: _flatten,
    Dropout: _identity,
    Activation: _identity,
    BatchNorm: _batchnorm,
    GlobalAvgPool2D: _global_pool,
    GlobalMaxPool2D: _global_pool,
    ZeroPad2D: _zeropad2d,
}
"""Shape inference by spec class."""


def infer(layer: LayerBase, shape: Shape, data_format: DataFormat) -> Inferred:
    """What ``layer`` does to an input of ``shape`` (batch axis excluded)."""
    try:
        return INFERENCE[type(layer)](layer, shape, data_format)
    except ShapeError as error:
        channels_last_look = len(shape) == 3 and shape[2] < shape[0]
        if error.code == OUTPUT_TOO_SMALL and data_format == "channels_first" and channels_last_look:
            error.hint = (
                f"this spec is channels_first, so {format_shape(shape)} is {shape[0]} channels of "
                f"{shape[1]}×{shape[2]}; if the channels come last, set data_format: channels_last. "
                f"Otherwise: {error.hint}"
            )
        raise

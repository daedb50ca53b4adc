"""Shape inference of the layers that work on feature maps: convolutions, pooling, padding,
cropping and upsampling."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from math import prod
from typing import Any, Literal

from cnncalc.shapes.formulas import (
    ceil_window_output_size,
    conv_weight_shapes,
    resolve_padding,
    transposed_output_size,
    window_output_size,
)
from cnncalc.shapes.inference import (
    CONNECTIONS_OUT_OF_RANGE,
    GROUPS_MISMATCH,
    OUTPUT_TOO_SMALL,
    REFLECT_PADDING_TOO_LARGE,
    STRIDES_WITH_DILATION,
    Inferred,
    ShapeError,
    feature_map,
    feature_shape,
    named_weights,
)
from cnncalc.shapes.records import AxisWindow, Shape
from cnncalc.shapes.text import axes_text, format_dims, format_int, window_formula
from cnncalc.spec.models import (
    AdaptiveAvgPool2D,
    AdaptiveMaxPool2D,
    AdaptivePool2D,
    AvgPool2D,
    Conv2D,
    Conv2DTranspose,
    ConvLayer,
    Cropping2D,
    DataFormat,
    DepthwiseConv2D,
    GlobalAvgPool2D,
    GlobalMaxPool2D,
    GlobalPool2D,
    LayerBase,
    MaxPool2D,
    PadPair,
    Pair,
    Pool2D,
    SeparableConv2D,
    Subsample2D,
    UpSampling2D,
    ZeroPad2D,
)


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
    ceil_mode: bool = False,
) -> tuple[AxisWindow, AxisWindow]:
    windows = []
    count = ceil_window_output_size if ceil_mode else window_output_size
    for axis in range(2):
        if isinstance(padding, str):
            before, after = resolve_padding(padding, size[axis], kernel[axis], strides[axis], dilation[axis])
        else:
            before, after = padding[axis]
        same = padding == "same"
        span = dilation[axis] * (kernel[axis] - 1) + 1
        output = (
            -(-size[axis] // strides[axis]) if same else count(size[axis], span, strides[axis], before, after)
        )
        windows.append(
            AxisWindow(
                size[axis],
                kernel[axis],
                strides[axis],
                dilation[axis],
                before,
                after,
                output,
                same,
                ceil=ceil_mode,
            )
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


def _no_strided_dilation(layer: LayerBase, strides: Pair, dilation: Pair) -> None:
    if max(strides) > 1 and max(dilation) > 1:
        raise ShapeError(
            STRIDES_WITH_DILATION,
            f"layer {layer.name} combines strides {format_dims(strides)} with dilation_rate "
            f"{format_dims(dilation)}; Keras allows only one of them above 1",
            "set strides: 1 (and downsample with a pool), or dilation_rate: 1",
        )


def _kernel_windows(layer: ConvLayer, height: int, width: int) -> tuple[AxisWindow, AxisWindow]:
    return _windows(
        layer,
        (height, width),
        kernel=layer.kernel_size,
        strides=layer.strides,
        dilation=layer.dilation_rate,
        padding=layer.padding,
        padding_mode=layer.padding_mode,
        what="kernel",
    )


def _params_line(terms: list[str], shapes: list[Shape]) -> str:
    return f"params = {' + '.join(terms)} = {format_int(sum(prod(s) for s in shapes))}"


def _conv2d(layer: Conv2D, shape: Shape, data_format: DataFormat) -> Inferred:
    height, width, channels = feature_map(layer, shape, data_format)
    for what, count in (("input channels", channels), ("filters", layer.filters)):
        if count % layer.groups:
            raise ShapeError(
                GROUPS_MISMATCH,
                f"groups {layer.groups} does not divide the {count} {what} of layer {layer.name}",
                f"groups must divide both the {channels} input channels and the {layer.filters} filters",
            )
    _no_strided_dilation(layer, layer.strides, layer.dilation_rate)  # Conv2D's rule; depthwise ones run both
    rows, cols = _kernel_windows(layer, height, width)
    if layer.connections is not None:
        return _connected_conv2d(layer, channels, rows, cols, data_format)
    shapes = conv_weight_shapes(layer.kernel_size, channels, layer.filters, layer.groups, layer.use_bias)
    kh, kw = layer.kernel_size
    per_group = str(channels) if layer.groups == 1 else f"({channels}/{layer.groups})"
    terms = [f"{kh}·{kw}·{per_group}·{layer.filters}"] + ([str(layer.filters)] if layer.use_bias else [])
    return Inferred(
        feature_shape(rows.output, cols.output, layer.filters, data_format),
        named_weights(("kernel", "bias"), shapes),
        (rows, cols),
        (axes_text(window_formula(rows), window_formula(cols)), _params_line(terms, shapes)),
    )


def _connected_conv2d(
    layer: Conv2D, channels: int, rows: AxisWindow, cols: AxisWindow, data_format: DataFormat
) -> Inferred:
    """A convolution whose filters read only the input channels its ``connections`` table lists:
    one ``K_h·K_w`` kernel per connection, kept as ``(K_h, K_w, connections)``."""
    assert layer.connections is not None
    for number, row in enumerate(layer.connections):
        outside = [channel for channel in row if channel >= channels]
        if outside:
            raise ShapeError(
                CONNECTIONS_OUT_OF_RANGE,
                f"filter {number} of layer {layer.name} reads input channel {outside[0]}, but its input has "
                f"channels 0 to {channels - 1}",
                f"the connections table counts the {channels} input channels from 0",
            )
    count = sum(len(row) for row in layer.connections)
    kh, kw = layer.kernel_size
    shapes: list[Shape] = [(kh, kw, count)] + ([(layer.filters,)] if layer.use_bias else [])
    terms = [f"{kh}·{kw}·{count}"] + ([str(layer.filters)] if layer.use_bias else [])
    return Inferred(
        feature_shape(rows.output, cols.output, layer.filters, data_format),
        named_weights(("kernel", "bias"), shapes),
        (rows, cols),
        (
            axes_text(window_formula(rows), window_formula(cols)),
            f"{_params_line(terms, shapes)} ({count} connections of {layer.filters} filters to "
            f"{channels} input channels)",
        ),
    )


def _depthwise_conv2d(layer: DepthwiseConv2D, shape: Shape, data_format: DataFormat) -> Inferred:
    height, width, channels = feature_map(layer, shape, data_format)
    rows, cols = _kernel_windows(layer, height, width)
    kh, kw = layer.kernel_size
    out = channels * layer.depth_multiplier
    shapes: list[Shape] = [(kh, kw, channels, layer.depth_multiplier)] + ([(out,)] if layer.use_bias else [])
    terms = [f"{kh}·{kw}·{channels}·{layer.depth_multiplier}"] + ([str(out)] if layer.use_bias else [])
    return Inferred(
        feature_shape(rows.output, cols.output, out, data_format),
        named_weights(("kernel", "bias"), shapes),
        (rows, cols),
        (axes_text(window_formula(rows), window_formula(cols)), _params_line(terms, shapes)),
    )


def _separable_conv2d(layer: SeparableConv2D, shape: Shape, data_format: DataFormat) -> Inferred:
    height, width, channels = feature_map(layer, shape, data_format)
    rows, cols = _kernel_windows(layer, height, width)
    kh, kw = layer.kernel_size
    depth = channels * layer.depth_multiplier
    shapes: list[Shape] = [(kh, kw, channels, layer.depth_multiplier), (1, 1, depth, layer.filters)]
    terms = [f"{kh}·{kw}·{channels}·{layer.depth_multiplier}", f"{depth}·{layer.filters}"]
    if layer.use_bias:
        shapes.append((layer.filters,))
        terms.append(str(layer.filters))
    return Inferred(
        feature_shape(rows.output, cols.output, layer.filters, data_format),
        named_weights(("depthwise_kernel", "pointwise_kernel", "bias"), shapes),
        (rows, cols),
        (axes_text(window_formula(rows), window_formula(cols)), _params_line(terms, shapes)),
    )


def _conv2d_transpose(layer: Conv2DTranspose, shape: Shape, data_format: DataFormat) -> Inferred:
    height, width, channels = feature_map(layer, shape, data_format)
    _no_strided_dilation(layer, layer.strides, layer.dilation_rate)
    sizes, lines = [], []
    for axis, size in enumerate((height, width)):
        padding = None if layer.output_padding is None else layer.output_padding[axis]
        kernel, strides, dilation = layer.kernel_size[axis], layer.strides[axis], layer.dilation_rate[axis]
        output = transposed_output_size(
            size, kernel, strides, layer.padding, output_padding=padding, dilation_rate=dilation
        )
        span = dilation * (kernel - 1) + 1
        formula = _transposed_formula(
            size, span, strides, layer.padding, output_padding=padding, output=output
        )
        if output < 1:
            raise ShapeError(
                OUTPUT_TOO_SMALL,
                f"transposed convolution {layer.name} gives no output along its "
                f"{('height', 'width')[axis]}: {formula}",
                "use an odd kernel_size, output_padding of at least 1, or padding: valid",
            )
        sizes.append(output)
        lines.append(formula)
    kh, kw = layer.kernel_size
    shapes: list[Shape] = [(kh, kw, layer.filters, channels)] + ([(layer.filters,)] if layer.use_bias else [])
    terms = [f"{kh}·{kw}·{layer.filters}·{channels}"] + ([str(layer.filters)] if layer.use_bias else [])
    return Inferred(
        feature_shape(sizes[0], sizes[1], layer.filters, data_format),
        named_weights(("kernel", "bias"), shapes),
        explanation=(axes_text(*lines), _params_line(terms, shapes)),
    )


def _transposed_formula(
    size: int, span: int, strides: int, padding: str, *, output_padding: int | None, output: int
) -> str:
    """``(7 − 1)·2 + max(3, 2) = 15``: Keras 3's arithmetic with the numbers in."""
    before = f"({format_int(size)} − 1)·{strides}"
    if output_padding is None:
        text = f"{before} + max({span}, {strides})" if padding == "valid" else f"{format_int(size)}·{strides}"
    else:
        kernel = str(span) if padding == "valid" else f"{span} mod 2"
        text = f"{before} + {kernel} + {output_padding}"
    return f"{text} = {format_int(output)}"


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
        ceil_mode=layer.ceil_mode,
    )
    return Inferred(
        feature_shape(rows.output, cols.output, channels, data_format),
        windows=(rows, cols),
        explanation=(axes_text(window_formula(rows), window_formula(cols)),),
    )


def _subsample2d(layer: Subsample2D, shape: Shape, data_format: DataFormat) -> Inferred:
    """A pool, then a coefficient (and a bias) per feature map."""
    pooled = _pool2d(layer, shape, data_format)
    channels = feature_map(layer, shape, data_format)[2]
    shapes: list[Shape] = [(channels,)] * (2 if layer.use_bias else 1)
    terms = [str(channels)] * len(shapes)
    return replace(
        pooled,
        weights=named_weights(("coefficient", "bias"), shapes),
        explanation=(
            *pooled.explanation,
            _params_line(terms, shapes) + " (per map: a coefficient and a bias)",
        ),
    )


def _adaptive_pool(layer: AdaptivePool2D, shape: Shape, data_format: DataFormat) -> Inferred:
    """``output_size`` whatever the input; where it divides the input, the windows are a pool's with
    ``pool_size = strides = I/O``, else their sizes vary (:func:`adaptive_windows`)."""
    height, width, channels = feature_map(layer, shape, data_format)
    axes = list(zip((height, width), layer.output_size, strict=True))
    output = feature_shape(*layer.output_size, channels, data_format)
    if any(size % out for size, out in axes):
        lines = [f"{format_int(size)} → {out}" for size, out in axes]
        return Inferred(output, explanation=(axes_text(*lines),))
    rows, cols = (AxisWindow(size, size // out, size // out, 1, 0, 0, out) for size, out in axes)
    lines = [f"{format_int(size)}/{out}: windows of {size // out}" for size, out in axes]
    return Inferred(output, windows=(rows, cols), explanation=(axes_text(*lines),))


def _global_pool(layer: GlobalPool2D, shape: Shape, data_format: DataFormat) -> Inferred:
    height, width, channels = feature_map(layer, shape, data_format)
    output = feature_shape(1, 1, channels, data_format) if layer.keepdims else (channels,)
    kept = "1×1×" if layer.keepdims else ""
    return Inferred(output, explanation=(f"{height}×{width}×{channels} → {kept}{channels}",))


def _edges(layer: LayerBase, shape: Shape, data_format: DataFormat, edges: PadPair, sign: int) -> Inferred:
    """Padding (``sign`` 1) or cropping (``sign`` −1) of each edge; the cells in between are kept."""
    height, width, channels = feature_map(layer, shape, data_format)
    sizes, lines = [], []
    for axis, (size, (before, after)) in enumerate(zip((height, width), edges, strict=True)):
        output = size + sign * (before + after)
        operator = "+" if sign > 0 else "−"
        formula = f"{format_int(size)} {operator} {before} {operator} {after} = {format_int(output)}"
        if output < 1:
            raise ShapeError(
                OUTPUT_TOO_SMALL,
                f"cropping {layer.name} leaves nothing of the {('height', 'width')[axis]}: {formula}",
                "crop less, or crop before the map gets this small",
            )
        sizes.append(output)
        lines.append(formula)
    windows = None
    if sign > 0:
        windows = tuple(
            AxisWindow(size, 1, 1, 1, before, after, size + before + after)
            for size, (before, after) in zip((height, width), edges, strict=True)
        )
    return Inferred(
        feature_shape(sizes[0], sizes[1], channels, data_format),
        windows=windows,  # type: ignore[arg-type]
        explanation=(axes_text(*lines),),
    )


def _zeropad2d(layer: ZeroPad2D, shape: Shape, data_format: DataFormat) -> Inferred:
    return _edges(layer, shape, data_format, layer.padding, 1)


def _cropping2d(layer: Cropping2D, shape: Shape, data_format: DataFormat) -> Inferred:
    return _edges(layer, shape, data_format, layer.cropping, -1)


def _upsampling2d(layer: UpSampling2D, shape: Shape, data_format: DataFormat) -> Inferred:
    height, width, channels = feature_map(layer, shape, data_format)
    lines = [
        f"{format_int(n)}·{s} = {format_int(n * s)}" for n, s in zip((height, width), layer.size, strict=True)
    ]
    return Inferred(
        feature_shape(height * layer.size[0], width * layer.size[1], channels, data_format),
        explanation=(axes_text(*lines),),
    )


SPATIAL: dict[type[LayerBase], Callable[[Any, Shape, DataFormat], Inferred]] = {
    Conv2D: _conv2d,
    DepthwiseConv2D: _depthwise_conv2d,
    SeparableConv2D: _separable_conv2d,
    Conv2DTranspose: _conv2d_transpose,
    MaxPool2D: _pool2d,
    AvgPool2D: _pool2d,
    Subsample2D: _subsample2d,
    AdaptiveAvgPool2D: _adaptive_pool,
    AdaptiveMaxPool2D: _adaptive_pool,
    GlobalAvgPool2D: _global_pool,
    GlobalMaxPool2D: _global_pool,
    ZeroPad2D: _zeropad2d,
    Cropping2D: _cropping2d,
    UpSampling2D: _upsampling2d,
}
"""Shape inference of the feature-map layers, by spec class."""

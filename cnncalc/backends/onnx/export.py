"""A spec → an ONNX model (opset 20) with Keras-initialised weights, one loop over the records.

Every spec layer becomes a few nodes named after it:

- its main operation, named like the layer and carrying the layer's fields as metadata
  (:data:`~cnncalc.backends.onnx.HINT`), which the importer takes back only when it matches the graph;
- helpers named ``<layer>/<role>``: ``conv/pad``, ``conv/activation``, ``dense/bias``, ...;
- weights as initialisers ``<layer>/<weight>`` (``conv/kernel``) in ONNX's layout, drawn as Keras
  draws them (glorot-uniform kernels, zero biases, unit batch-norm scales and variances); fixed values
  as ``Constant`` nodes, so that the initialisers are exactly the parameters.

Layouts: ONNX's convolutions and pools read NCHW. A ``channels_first`` spec is NCHW throughout; a
``channels_last`` one keeps its input and outputs NHWC, as Keras, and a ``Transpose`` (``<layer>/to_nchw``)
gives another layout where an operation needs it. Tensor ``<layer>`` holds a layer's output in the
spec's layout, ``<layer>/nchw`` or ``<layer>/nhwc`` in the other one.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from cnncalc import __version__
from cnncalc.api import SpecSource, analyze, require_no_errors
from cnncalc.backends.onnx import HINT, IR_VERSION, OPSET, onnx_required
from cnncalc.errors import CnncalcError
from cnncalc.shapes.formulas import ceil_window_output_size
from cnncalc.shapes.records import Analysis, LayerRecord, Shape
from cnncalc.spec.models import (
    INPUT,
    Activation,
    AdaptiveAvgPool2D,
    AdaptiveMaxPool2D,
    AdaptivePool2D,
    Add,
    Average,
    AvgPool2D,
    BatchNorm,
    Concatenate,
    Conv2D,
    Conv2DTranspose,
    Cropping2D,
    DataFormat,
    Dense,
    DepthwiseConv2D,
    Dropout,
    Flatten,
    GaussianNoise,
    GlobalAvgPool2D,
    GlobalMaxPool2D,
    GlobalPool2D,
    Identity,
    LayerBase,
    LayerNorm,
    LeakyReLU,
    Maximum,
    MaxPool2D,
    Minimum,
    Multiply,
    Normalization,
    Pool2D,
    PReLU,
    ReLU,
    Rescaling,
    Reshape,
    SeparableConv2D,
    Softmax,
    SpatialDropout2D,
    Subtract,
    UpSampling2D,
    ZeroPad2D,
)

Layout = Literal["NCHW", "NHWC", "flat"]
"""How an ONNX tensor holds a spec tensor: a feature map in either order, or anything else as it is."""

TRANSPOSES: dict[tuple[Layout, Layout], tuple[int, ...]] = {
    ("NHWC", "NCHW"): (0, 3, 1, 2),
    ("NCHW", "NHWC"): (0, 2, 3, 1),
}
"""The ``Transpose`` permutation from one feature-map layout to the other."""

BATCH = "N"
"""The batch axis's symbolic name in the model's input and outputs."""


class ExportRefusal(CnncalcError):
    """Layers ONNX has no operation for, all of them listed."""

    def __init__(self, name: str, problems: Sequence[str]) -> None:
        super().__init__(f"cannot export {name} to ONNX: {'; '.join(problems)}")
        self.problems = tuple(problems)


class Refused(Exception):
    """One layer that cannot be written (collected into :class:`ExportRefusal`)."""


def spec_layout(shape: Shape, data_format: DataFormat) -> Layout:
    """The layout a spec tensor of this shape has in ONNX as the spec holds it."""
    if len(shape) != 3:
        return "flat"
    return "NCHW" if data_format == "channels_first" else "NHWC"


def tensor_name(layer: str, layout: Layout, natural: Layout) -> str:
    """``conv`` for a layer's output in the spec's layout, ``conv/nchw`` in the other."""
    return layer if layout == natural else f"{layer}/{layout.lower()}"


# --- the graph being written -----------------------------------------------------------------------


@dataclass
class GraphWriter:
    """The nodes and initialisers written so far, and every layer's output in each layout it exists in."""

    onnx: Any
    data_format: DataFormat
    rng: np.random.Generator
    nodes: list[Any] = field(default_factory=list)
    initializers: list[Any] = field(default_factory=list)
    values: dict[str, dict[Layout, str]] = field(default_factory=dict)
    """Layer (or ``input``) → layout → tensor name."""
    natural: dict[str, Layout] = field(default_factory=dict)
    """Layer → the spec's layout of its output."""

    def add_value(self, layer: str, shape: Shape, layout: Layout, tensor: str) -> None:
        """Record that ``tensor`` holds ``layer``'s output in ``layout``."""
        self.natural[layer] = spec_layout(shape, self.data_format)
        self.values.setdefault(layer, {})[layout] = tensor

    def tensor(self, layer: str, layout: Layout | None = None) -> tuple[str, Layout]:
        """``layer``'s output in ``layout`` (transposed once, on first need), or in the layout it was
        made in when ``layout`` is ``None``."""
        available = self.values[layer]
        if layout is None or layout == "flat":
            first = next(iter(available.items()))
            return first[1], first[0]
        if layout not in available:
            source, name = next(iter(available.items()))
            if (source, layout) not in TRANSPOSES:
                raise Refused(f"{layer} is no feature map, so it has no {layout} layout")
            output = tensor_name(layer, layout, self.natural[layer])
            self.nodes.append(
                self.onnx.helper.make_node(
                    "Transpose",
                    [name],
                    [output],
                    name=f"{layer}/to_{layout.lower()}",
                    perm=list(TRANSPOSES[(source, layout)]),
                )
            )
            available[layout] = output
        return available[layout], layout


Initialiser = Callable[[Shape, np.random.Generator], np.ndarray]


def _glorot(shape: Shape, rng: np.random.Generator) -> np.ndarray:
    from cnncalc.backends.numpy.kernels.initializers import glorot_uniform

    return glorot_uniform(shape, rng)


def _zeros(shape: Shape, rng: np.random.Generator) -> np.ndarray:
    return np.zeros(shape, np.float32)


def _ones(shape: Shape, rng: np.random.Generator) -> np.ndarray:
    return np.ones(shape, np.float32)


INITIALISERS: dict[str, Initialiser] = {
    "kernel": _glorot,
    "depthwise_kernel": _glorot,
    "pointwise_kernel": _glorot,
    "bias": _zeros,
    "gamma": _ones,
    "beta": _zeros,
    "moving_mean": _zeros,
    "moving_variance": _ones,
    "alpha": _zeros,
    "mean": _zeros,
    "variance": _ones,
    "count": _zeros,
}
"""Keras' default initialiser of each weight, by weight name (glorot uniform as the NumPy backend
draws it, from Keras' fans)."""


@dataclass
class LayerWriter:
    """Writes one spec layer's nodes: inputs in the layouts its operations need, names, weights."""

    graph: GraphWriter
    record: LayerRecord
    weights: dict[str, np.ndarray] = field(default_factory=dict)
    main_written: bool = False

    @property
    def layer(self) -> LayerBase:
        return self.record.layer

    @property
    def name(self) -> str:
        return self.record.name

    @property
    def data_format(self) -> DataFormat:
        return self.graph.data_format

    def input(self, index: int = 0, layout: Layout | None = None) -> tuple[str, Layout]:
        """Input ``index`` in ``layout`` (``None``: as it is)."""
        return self.graph.tensor(self.record.inputs[index], layout)

    def input_shape(self, index: int = 0) -> Shape:
        shape = self.record.input_shapes[index] if self.record.input_shapes else self.record.input_shape
        assert shape is not None
        return shape

    def node(self, op: str, inputs: Sequence[str], role: str | None = None, **attributes: Any) -> str:
        """Write one node; ``role`` ``None`` is the layer's main operation, named like the layer."""
        helper = self.graph.onnx.helper
        name = self.name if role is None else f"{self.name}/{role}"
        output = f"{name}:0"
        node = helper.make_node(op, list(inputs), [output], name=name, **attributes)
        if role is None:
            if self.main_written:
                raise AssertionError(f"{self.name} has two main operations")
            self.main_written = True
            entry = node.metadata_props.add()
            entry.key, entry.value = HINT, hint(self.layer)
        self.graph.nodes.append(node)
        return output

    def weight(self, name: str, onnx_value: np.ndarray) -> str:
        """An initialiser ``<layer>/<name>`` (a parameter)."""
        tensor_name_ = f"{self.name}/{name}"
        self.graph.initializers.append(
            self.graph.onnx.numpy_helper.from_array(
                np.ascontiguousarray(onnx_value, np.float32), tensor_name_
            )
        )
        return tensor_name_

    def keras_weight(self, name: str) -> np.ndarray:
        """The layer's weight ``name`` in Keras' layout, drawn as Keras initialises it."""
        if name not in self.weights:
            shapes = {w.name: w.shape for w in self.record.weights or ()}
            self.weights[name] = INITIALISERS[name](shapes[name], self.graph.rng)
        return self.weights[name]

    def has_weight(self, name: str) -> bool:
        return any(w.name == name for w in self.record.weights or ())

    def constant(self, role: str, value: np.ndarray) -> str:
        """A fixed value, as a ``Constant`` node ``<layer>/<role>`` (not a parameter)."""
        helper, numpy_helper = self.graph.onnx.helper, self.graph.onnx.numpy_helper
        output = f"{self.name}/{role}"
        self.graph.nodes.append(
            helper.make_node("Constant", [], [output], name=output, value=numpy_helper.from_array(value))
        )
        return output

    def finish(self, tensor: str, layout: Layout) -> None:
        """The layer's result is ``tensor`` in ``layout``: renamed to ``<layer>`` or ``<layer>/<layout>``."""
        natural = spec_layout(self.record.output_shape or (), self.data_format)
        final = tensor_name(self.name, layout, natural)
        if tensor != final:
            last = self.graph.nodes[-1]
            if list(last.output) != [tensor]:
                raise AssertionError(f"{self.name}: {tensor} is not the last node's output")
            last.output[0] = final
        self.graph.add_value(self.name, self.record.output_shape or (), layout, final)


def hint(layer: LayerBase) -> str:
    """The layer's fields as compact JSON, name and inputs left out (the graph has them)."""
    fields = layer.model_dump(mode="json", exclude={"name", "inputs"}, exclude_defaults=True)
    return json.dumps({"type": layer.type, **fields}, separators=(",", ":"))


# --- shared pieces ------------------------------------------------------------------------------


def _ints(values: Sequence[int]) -> np.ndarray:
    return np.asarray(values, np.int64)


def _floats(values: Sequence[float] | float) -> np.ndarray:
    return np.asarray(values, np.float32)


def _pads(record: LayerRecord) -> tuple[int, int, int, int]:
    """ONNX's ``pads`` (top, left, bottom, right) from the record's resolved windows."""
    assert record.windows is not None
    rows, cols = record.windows
    return rows.pad_before, cols.pad_before, rows.pad_after, cols.pad_after


def _pad_node(ctx: LayerWriter, tensor: str, pads: Sequence[int], mode: str) -> str:
    """A ``Pad`` node ``<layer>/pad`` of the two spatial axes of an NCHW tensor."""
    top, left, bottom, right = pads
    onnx_mode = {"zeros": "constant", "replicate": "edge", "reflect": "reflect"}[mode]
    amounts = ctx.constant("pads", _ints([0, 0, top, left, 0, 0, bottom, right]))
    return ctx.node("Pad", [tensor, amounts], role="pad", mode=onnx_mode)


def _window_attributes(
    ctx: LayerWriter, tensor: str, *, same_upper: bool, fill: str | None
) -> tuple[str, dict[str, Any]]:
    """Padding for a windowed operation: ``auto_pad`` for Keras' ``same`` where ONNX pads the way it
    is meant, ``pads`` for explicit padding, or a ``Pad`` node before it for cells that must be filled
    (``fill``: the padding mode) before a ``valid`` window."""
    layer = ctx.layer
    padding = getattr(layer, "padding", "valid")
    if padding == "valid":
        return tensor, {}
    pads = _pads(ctx.record)
    if fill is not None:
        return _pad_node(ctx, tensor, pads, fill), {}
    if padding == "same" and same_upper:
        return tensor, {"auto_pad": "SAME_UPPER"}
    return tensor, {"pads": list(pads)} if any(pads) else {}


def _activation(ctx: LayerWriter, tensor: str, layout: Layout, name: str, role: str | None) -> str:
    """The activation ``name`` on ``tensor``; its main node has ``role`` (``None`` for an
    ``activation`` layer, ``activation`` for a convolution's or dense layer's own)."""

    def sub(part: str) -> str:
        return part if role is None else f"{role}_{part}"

    def constant(part: str, value: float) -> str:
        return ctx.constant(sub(part), _floats(value))

    last_axis = -1 if layout != "NCHW" or ctx.data_format == "channels_first" else 1
    match name:
        case "linear":
            return tensor
        case "relu" | "tanh" | "sigmoid" | "softplus" | "softsign" | "selu" | "mish":
            op = {"relu": "Relu", "tanh": "Tanh", "sigmoid": "Sigmoid", "softplus": "Softplus",
                  "softsign": "Softsign", "selu": "Selu", "mish": "Mish"}[name]  # fmt: skip
            return ctx.node(op, [tensor], role=role)
        case "exponential":
            return ctx.node("Exp", [tensor], role=role)
        case "relu6" | "hard_tanh":
            low, high = (0.0, 6.0) if name == "relu6" else (-1.0, 1.0)
            return ctx.node("Clip", [tensor, constant("min", low), constant("max", high)], role=role)
        case "leaky_relu":
            return ctx.node("LeakyRelu", [tensor], role=role, alpha=0.2)
        case "elu" | "celu":
            return ctx.node(name.capitalize(), [tensor], role=role, alpha=1.0)
        case "gelu":
            return ctx.node("Gelu", [tensor], role=role)
        case "silu" | "swish":
            gate = ctx.node("Sigmoid", [tensor], role=sub("sigmoid"))
            return ctx.node("Mul", [tensor, gate], role=role)
        case "hard_sigmoid":
            return ctx.node("HardSigmoid", [tensor], role=role, alpha=1 / 6, beta=0.5)
        case "hard_silu" | "hard_swish":
            return ctx.node("HardSwish", [tensor], role=role)
        case "softmax":
            return ctx.node("Softmax", [tensor], role=role, axis=last_axis)
        case "log_softmax":
            return ctx.node("LogSoftmax", [tensor], role=role, axis=last_axis)
        case "soft_shrink":
            return ctx.node("Shrink", [tensor], role=role, lambd=0.5, bias=0.5)
        case "hard_shrink":
            return ctx.node("Shrink", [tensor], role=role, lambd=0.5, bias=0.0)
    raise Refused(f"activation {name}: ONNX has no operation for it")


def _own_activation(ctx: LayerWriter, tensor: str, layout: Layout) -> None:
    """A convolution's or dense layer's activation, then the layer is done."""
    activation = getattr(ctx.layer, "activation", "linear")
    ctx.finish(_activation(ctx, tensor, layout, activation, "activation"), layout)


# --- convolutions -------------------------------------------------------------------------------


def _conv_kernel(kernel: np.ndarray) -> np.ndarray:
    """Keras' ``(kh, kw, C_in/groups, filters)`` → ONNX's ``(filters, C_in/groups, kh, kw)``."""
    return kernel.transpose(3, 2, 0, 1)


def _depthwise_kernel(kernel: np.ndarray) -> np.ndarray:
    """Keras' ``(kh, kw, C, m)`` → ONNX's grouped ``(C·m, 1, kh, kw)``: output channel ``c·m + j``."""
    kh, kw, channels, multiplier = kernel.shape
    return kernel.reshape(kh, kw, channels * multiplier).transpose(2, 0, 1)[:, None]


def _conv2d(layer: Conv2D, ctx: LayerWriter) -> None:
    tensor, _ = ctx.input(layout="NCHW")
    fill = None if layer.padding_mode == "zeros" else layer.padding_mode
    tensor, attributes = _window_attributes(ctx, tensor, same_upper=True, fill=fill)
    inputs = [tensor, ctx.weight("kernel", _conv_kernel(ctx.keras_weight("kernel")))]
    if layer.use_bias:
        inputs.append(ctx.weight("bias", ctx.keras_weight("bias")))
    output = ctx.node(
        "Conv",
        inputs,
        kernel_shape=list(layer.kernel_size),
        strides=list(layer.strides),
        dilations=list(layer.dilation_rate),
        group=layer.groups,
        **attributes,
    )
    _own_activation(ctx, output, "NCHW")


def _depthwise_conv2d(layer: DepthwiseConv2D, ctx: LayerWriter) -> None:
    tensor, _ = ctx.input(layout="NCHW")
    channels = ctx.input_shape()[0 if ctx.data_format == "channels_first" else 2]
    fill = None if layer.padding_mode == "zeros" else layer.padding_mode
    tensor, attributes = _window_attributes(ctx, tensor, same_upper=True, fill=fill)
    inputs = [tensor, ctx.weight("kernel", _depthwise_kernel(ctx.keras_weight("kernel")))]
    if layer.use_bias:
        inputs.append(ctx.weight("bias", ctx.keras_weight("bias")))
    output = ctx.node(
        "Conv",
        inputs,
        kernel_shape=list(layer.kernel_size),
        strides=list(layer.strides),
        dilations=list(layer.dilation_rate),
        group=channels,
        **attributes,
    )
    _own_activation(ctx, output, "NCHW")


def _separable_conv2d(layer: SeparableConv2D, ctx: LayerWriter) -> None:
    tensor, _ = ctx.input(layout="NCHW")
    channels = ctx.input_shape()[0 if ctx.data_format == "channels_first" else 2]
    fill = None if layer.padding_mode == "zeros" else layer.padding_mode
    tensor, attributes = _window_attributes(ctx, tensor, same_upper=True, fill=fill)
    depthwise = _depthwise_kernel(ctx.keras_weight("depthwise_kernel"))
    spread = ctx.node(
        "Conv",
        [tensor, ctx.weight("depthwise_kernel", depthwise)],
        role="depthwise",
        kernel_shape=list(layer.kernel_size),
        strides=list(layer.strides),
        dilations=list(layer.dilation_rate),
        group=channels,
        **attributes,
    )
    inputs = [spread, ctx.weight("pointwise_kernel", _conv_kernel(ctx.keras_weight("pointwise_kernel")))]
    if layer.use_bias:
        inputs.append(ctx.weight("bias", ctx.keras_weight("bias")))
    output = ctx.node("Conv", inputs, kernel_shape=[1, 1])
    _own_activation(ctx, output, "NCHW")


def _conv2d_transpose(layer: Conv2DTranspose, ctx: LayerWriter) -> None:
    """``ConvTranspose`` with the padding and ``output_padding`` that give Keras 3's output size."""
    tensor, _ = ctx.input(layout="NCHW")
    input_shape, output_shape = ctx.input_shape(), ctx.record.output_shape
    assert output_shape is not None
    first = ctx.data_format == "channels_first"
    sizes_in = input_shape[1:3] if first else input_shape[0:2]
    sizes_out = output_shape[1:3] if first else output_shape[0:2]
    begins, ends, extras = [], [], []
    for axis in range(2):
        stride, span = layer.strides[axis], layer.dilation_rate[axis] * (layer.kernel_size[axis] - 1) + 1
        base = (sizes_in[axis] - 1) * stride + span
        given = None if layer.output_padding is None else layer.output_padding[axis]
        extra = given if given is not None else max(0, sizes_out[axis] - base)
        total = base + extra - sizes_out[axis]
        begins.append(total // 2)
        ends.append(total - total // 2)
        extras.append(extra)
    kernel = ctx.keras_weight("kernel").transpose(3, 2, 0, 1)  # (kh, kw, filters, C) → (C, filters, kh, kw)
    inputs = [tensor, ctx.weight("kernel", kernel)]
    if layer.use_bias:
        inputs.append(ctx.weight("bias", ctx.keras_weight("bias")))
    output = ctx.node(
        "ConvTranspose",
        inputs,
        kernel_shape=list(layer.kernel_size),
        strides=list(layer.strides),
        dilations=list(layer.dilation_rate),
        pads=[*begins, *ends],
        output_padding=extras,
    )
    _own_activation(ctx, output, "NCHW")


# --- pooling ------------------------------------------------------------------------------------


def _pool2d(layer: Pool2D, ctx: LayerWriter) -> None:
    """``same``: ONNX's ``SAME_UPPER``, which splits as Keras and ignores the padded cells as Keras'
    pools do. Explicit padding that takes part: an average pool counts it (``count_include_pad``),
    a max pool reads it after a ``Pad`` node; padding the pool ignores: ONNX's ``pads``."""
    tensor, _ = ctx.input(layout="NCHW")
    average = isinstance(layer, AvgPool2D)
    explicit = isinstance(layer.padding, tuple) and layer.count_include_pad
    fill = None
    if explicit and (layer.padding_mode != "zeros" or not average):
        fill = layer.padding_mode
    tensor, attributes = _window_attributes(ctx, tensor, same_upper=True, fill=fill)
    if average and "pads" in attributes and layer.count_include_pad:
        attributes["count_include_pad"] = 1
    if layer.ceil_mode:
        attributes["ceil_mode"] = 1
    output = ctx.node(
        "AveragePool" if average else "MaxPool",
        [tensor],
        kernel_shape=list(layer.pool_size),
        strides=list(layer.effective_strides),
        **attributes,
    )
    if layer.ceil_mode:
        output = _drop_windows_past_the_input(ctx, output)
    ctx.finish(output, "NCHW")


def _drop_windows_past_the_input(ctx: LayerWriter, tensor: str) -> str:
    """``ceil_mode`` leaves out a last window that would start past the input and its leading padding:
    a ``Slice`` drops it where ONNX Runtime keeps it (on a tensor padded by a ``Pad`` node ONNX cannot
    tell padding from input; and ONNX Runtime 1.32's ``MaxPool`` keeps such a window in its own ``pads``
    too: 7 wide, pads 1, window 2, stride 2 gives 5 cells where PyTorch gives 4)."""
    assert ctx.record.windows is not None
    counted = [
        ceil_window_output_size(w.size + w.pad_before + w.pad_after, w.span, w.strides, 0, 0)
        for w in ctx.record.windows
    ]
    wanted = [w.output for w in ctx.record.windows]
    if counted == wanted:
        return tensor
    starts, ends, axes = _ints([0, 0]), _ints(wanted), _ints([2, 3])
    inputs = [tensor, ctx.constant("crop_starts", starts), ctx.constant("crop_ends", ends)]
    return ctx.node("Slice", [*inputs, ctx.constant("crop_axes", axes)], role="crop")


def _adaptive_pool2d(layer: AdaptivePool2D, ctx: LayerWriter) -> None:
    """ONNX has no adaptive pooling: where the output size divides the input's, the windows are a
    pool's (``pool_size = strides = I/O``); otherwise they vary and no ONNX pool computes them."""
    tensor, _ = ctx.input(layout="NCHW")
    windows = ctx.record.windows
    if windows is None:
        raise Refused(
            f"output_size {list(layer.output_size)} does not divide the "
            "input's height and width, and ONNX has no adaptive pooling"
        )
    op = "AveragePool" if isinstance(layer, AdaptiveAvgPool2D) else "MaxPool"
    size = [windows[0].kernel, windows[1].kernel]
    ctx.finish(ctx.node(op, [tensor], kernel_shape=size, strides=size), "NCHW")


def _global_pool(layer: GlobalPool2D, ctx: LayerWriter) -> None:
    """``ReduceMean`` / ``ReduceMax`` over the spatial axes, in whichever layout the input is."""
    tensor, layout = ctx.input()
    axes = [2, 3] if layout == "NCHW" else [1, 2]
    op = "ReduceMean" if isinstance(layer, GlobalAvgPool2D) else "ReduceMax"
    output = ctx.node(op, [tensor, ctx.constant("axes", _ints(axes))], keepdims=int(layer.keepdims))
    ctx.finish(output, layout if layer.keepdims else "flat")


# --- dense, reshaping, padding ---------------------------------------------------------------------


def _dense(layer: Dense, ctx: LayerWriter) -> None:
    """``Gemm`` on a vector (as PyTorch's ``Linear``), ``MatMul`` (+ ``Add``) on the last axis of more."""
    tensor, layout = ctx.input(layout=_spec(ctx))
    kernel = ctx.weight("kernel", ctx.keras_weight("kernel"))
    if len(ctx.input_shape()) == 1:
        inputs = [tensor, kernel] + ([ctx.weight("bias", ctx.keras_weight("bias"))] if layer.use_bias else [])
        output = ctx.node("Gemm", inputs)
    else:
        output = ctx.node("MatMul", [tensor, kernel])
        if layer.use_bias:
            output = ctx.node("Add", [output, ctx.weight("bias", ctx.keras_weight("bias"))], role="bias")
    _own_activation(ctx, output, layout)


def _spec(ctx: LayerWriter, index: int = 0) -> Layout:
    """The spec's layout of input ``index``."""
    return spec_layout(ctx.input_shape(index), ctx.data_format)


def _flatten(layer: Flatten, ctx: LayerWriter) -> None:
    """Keras flattens in (height, width, channels) order in either data format."""
    layout: Layout | None = "NHWC" if len(ctx.input_shape()) == 3 else None
    tensor, _ = ctx.input(layout=layout)
    ctx.finish(ctx.node("Flatten", [tensor], axis=1), "flat")


def _reshape(layer: Reshape, ctx: LayerWriter) -> None:
    """The target shape as written (``0`` keeps the batch axis, ``-1`` is inferred)."""
    tensor, _ = ctx.input(layout=_spec(ctx))
    shape = ctx.constant("shape", _ints([0, *layer.target_shape]))
    output = ctx.node("Reshape", [tensor, shape])
    ctx.finish(output, spec_layout(ctx.record.output_shape or (), ctx.data_format))


def _zeropad2d(layer: ZeroPad2D, ctx: LayerWriter) -> None:
    tensor, _ = ctx.input(layout="NCHW")
    (top, bottom), (left, right) = layer.padding
    amounts = ctx.constant("pads", _ints([0, 0, top, left, 0, 0, bottom, right]))
    ctx.finish(ctx.node("Pad", [tensor, amounts], mode="constant"), "NCHW")


def _cropping2d(layer: Cropping2D, ctx: LayerWriter) -> None:
    tensor, _ = ctx.input(layout="NCHW")
    shape = ctx.input_shape()
    height, width = shape[1:3] if ctx.data_format == "channels_first" else shape[0:2]
    (top, bottom), (left, right) = layer.cropping
    starts = ctx.constant("starts", _ints([top, left]))
    ends = ctx.constant("ends", _ints([height - bottom, width - right]))
    axes = ctx.constant("axes", _ints([2, 3]))
    ctx.finish(ctx.node("Slice", [tensor, starts, ends, axes]), "NCHW")


RESIZE_MODES: dict[str, dict[str, Any]] = {
    "nearest": {"mode": "nearest", "coordinate_transformation_mode": "asymmetric", "nearest_mode": "floor"},
    "bilinear": {"mode": "linear", "coordinate_transformation_mode": "half_pixel"},
    "bicubic": {"mode": "cubic", "coordinate_transformation_mode": "half_pixel", "cubic_coeff_a": -0.5},
}
"""``Resize`` as Keras' ``UpSampling2D`` interpolates: nearest repeats each cell; bilinear and bicubic
sample at half-pixel centres (TensorFlow 2's ``resize``, Keys' cubic with ``a = −0.5``)."""


def _upsampling2d(layer: UpSampling2D, ctx: LayerWriter) -> None:
    if layer.interpolation not in RESIZE_MODES:
        raise Refused(f"ONNX's Resize has no {layer.interpolation} interpolation")
    tensor, _ = ctx.input(layout="NCHW")
    scales = ctx.constant("scales", _floats([1.0, 1.0, *map(float, layer.size)]))
    output = ctx.node("Resize", [tensor, "", scales], **RESIZE_MODES[layer.interpolation])
    ctx.finish(output, "NCHW")


def _identity(layer: LayerBase, ctx: LayerWriter) -> None:
    """``Identity``: also Gaussian noise, which adds nothing outside training."""
    tensor, layout = ctx.input()
    ctx.finish(ctx.node("Identity", [tensor]), layout)


def _dropout(layer: Dropout | SpatialDropout2D, ctx: LayerWriter) -> None:
    """``Dropout`` with its ratio (which drops nothing outside training)."""
    tensor, layout = ctx.input()
    output = ctx.node("Dropout", [tensor, ctx.constant("ratio", _floats(layer.rate))])
    ctx.finish(output, layout)


# --- normalisation and scaling ------------------------------------------------------------------


def _batchnorm(layer: BatchNorm, ctx: LayerWriter) -> None:
    """ONNX normalises axis 1: the channels of an NCHW map, or a vector's values."""
    rank = len(ctx.input_shape())
    if rank not in (1, 3):
        raise Refused(f"ONNX normalises axis 1, not a rank-{rank} tensor's last")
    tensor, layout = ctx.input(layout="NCHW" if rank == 3 else None)
    channels = ctx.input_shape()[0 if layout == "flat" or ctx.data_format == "channels_first" else 2]
    scale = (
        ctx.weight("gamma", ctx.keras_weight("gamma"))
        if layer.scale
        else ctx.constant("gamma", _ones((channels,), ctx.graph.rng))
    )
    offset = (
        ctx.weight("beta", ctx.keras_weight("beta"))
        if layer.center
        else ctx.constant("beta", _zeros((channels,), ctx.graph.rng))
    )
    mean = ctx.weight("moving_mean", ctx.keras_weight("moving_mean"))
    variance = ctx.weight("moving_variance", ctx.keras_weight("moving_variance"))
    output = ctx.node(
        "BatchNormalization",
        [tensor, scale, offset, mean, variance],
        epsilon=layer.epsilon,
        momentum=layer.momentum,
    )
    ctx.finish(output, layout)


def _layernorm(layer: LayerNorm, ctx: LayerWriter) -> None:
    """ONNX normalises from ``axis`` to the last axis: the spec's axes must be those."""
    shape = ctx.input_shape()
    rank = len(shape) + 1
    axes = sorted(axis % rank for axis in layer.axis)
    if layer.rms_scaling or axes != list(range(axes[0], rank)):
        reason = "rms_scaling" if layer.rms_scaling else f"axes {list(layer.axis)}, not the last ones"
        raise Refused(f"ONNX's LayerNormalization has no {reason}")
    tensor, layout = ctx.input(layout=_spec(ctx))
    sizes = tuple(shape[axis - 1] for axis in axes)
    scale = (
        ctx.weight("gamma", ctx.keras_weight("gamma"))
        if layer.scale
        else ctx.constant("gamma", _ones(sizes, ctx.graph.rng))
    )
    inputs = [tensor, scale] + ([ctx.weight("beta", ctx.keras_weight("beta"))] if layer.center else [])
    output = ctx.node("LayerNormalization", inputs, axis=axes[0], epsilon=layer.epsilon)
    ctx.finish(output, layout)


def _normalization(layer: Normalization, ctx: LayerWriter) -> None:
    """Keras' ``(x − mean) / max(√variance, 1e-7)``, mean and variance shaped to broadcast."""
    if layer.invert:
        raise Refused("invert is not exported")
    tensor, layout = ctx.input(layout=_spec(ctx))
    shape = ctx.input_shape()
    rank = len(shape)
    kept = () if layer.axis is None else tuple(sorted(axis % (rank + 1) - 1 for axis in layer.axis))
    broadcast = (1, *(shape[axis] if axis in kept else 1 for axis in range(rank)))
    if layer.mean is not None and layer.variance is not None:
        mean = ctx.constant("mean", _floats(layer.mean).reshape(broadcast if len(layer.mean) > 1 else ()))
        variance = ctx.constant(
            "variance", _floats(layer.variance).reshape(broadcast if len(layer.variance) > 1 else ())
        )
    else:
        mean = ctx.weight("mean", ctx.keras_weight("mean").reshape(broadcast))
        variance = ctx.weight("variance", ctx.keras_weight("variance").reshape(broadcast))
        ctx.weight("count", ctx.keras_weight("count"))  # Keras' adapt bookkeeping: unused, but a weight
    root = ctx.node("Sqrt", [variance], role="sqrt")
    floor = ctx.node("Max", [root, ctx.constant("epsilon", _floats(1e-7))], role="max")
    centred = ctx.node("Sub", [tensor, mean])
    ctx.finish(ctx.node("Div", [centred, floor], role="div"), layout)


def _rescaling(layer: Rescaling, ctx: LayerWriter) -> None:
    """``x · scale + offset``, one value or one per value of the last axis."""
    tensor, layout = ctx.input(layout=_spec(ctx))
    scaled = ctx.node("Mul", [tensor, ctx.constant("scale", _floats(layer.scale))])
    ctx.finish(
        ctx.node("Add", [scaled, ctx.constant("offset", _floats(layer.offset))], role="offset"), layout
    )


# --- activations ---------------------------------------------------------------------------------


def _activation_layer(layer: Activation, ctx: LayerWriter) -> None:
    tensor, layout = ctx.input()
    if layer.activation == "linear":
        ctx.finish(ctx.node("Identity", [tensor]), layout)
    else:
        ctx.finish(_activation(ctx, tensor, layout, layer.activation, None), layout)


def _relu(layer: ReLU, ctx: LayerWriter) -> None:
    tensor, layout = ctx.input()
    if layer.threshold != 0 or (layer.negative_slope and layer.max_value is not None):
        raise Refused("a threshold, or a slope with a ceiling, has no ONNX operation")
    if layer.max_value is not None:
        low, high = ctx.constant("min", _floats(0.0)), ctx.constant("max", _floats(layer.max_value))
        output = ctx.node("Clip", [tensor, low, high])
    elif layer.negative_slope:
        output = ctx.node("LeakyRelu", [tensor], alpha=layer.negative_slope)
    else:
        output = ctx.node("Relu", [tensor])
    ctx.finish(output, layout)


def _leaky_relu(layer: LeakyReLU, ctx: LayerWriter) -> None:
    tensor, layout = ctx.input()
    ctx.finish(ctx.node("LeakyRelu", [tensor], alpha=layer.negative_slope), layout)


def _prelu(layer: PReLU, ctx: LayerWriter) -> None:
    tensor, layout = ctx.input(layout=_spec(ctx))
    output = ctx.node("PRelu", [tensor, ctx.weight("alpha", ctx.keras_weight("alpha"))])
    ctx.finish(output, layout)


def _softmax(layer: Softmax, ctx: LayerWriter) -> None:
    if len(layer.axis) != 1:
        raise Refused(f"ONNX's Softmax takes one axis, not {list(layer.axis)}")
    tensor, layout = ctx.input(layout=_spec(ctx))
    ctx.finish(ctx.node("Softmax", [tensor], axis=layer.axis[0]), layout)


# --- merges --------------------------------------------------------------------------------------


def _merge_inputs(ctx: LayerWriter) -> tuple[list[str], Layout]:
    """Every input in one layout: the first input's when all are feature maps, else the spec's, with
    lower-rank inputs expanded after the batch axis as Keras does before broadcasting."""
    shapes = [ctx.input_shape(index) for index in range(len(ctx.record.inputs))]
    if all(len(shape) == 3 for shape in shapes):
        first, layout = ctx.input(0)
        return [first] + [ctx.input(index, layout)[0] for index in range(1, len(shapes))], layout
    rank = max(len(shape) for shape in shapes)
    tensors = []
    for index, shape in enumerate(shapes):
        tensor, _ = ctx.input(index, spec_layout(shape, ctx.data_format))
        if len(shape) < rank:
            axes = ctx.constant(f"expand_{index}_axes", _ints(range(1, rank - len(shape) + 1)))
            tensor = ctx.node("Unsqueeze", [tensor, axes], role=f"expand_{index}")
        tensors.append(tensor)
    return tensors, spec_layout(ctx.record.output_shape or (), ctx.data_format)


MERGE_OPERATIONS: dict[type[LayerBase], str] = {
    Add: "Sum",
    Average: "Mean",
    Maximum: "Max",
    Minimum: "Min",
}
"""The variadic ONNX operation of each element-wise merge (two-input ones below)."""


def _merge(layer: LayerBase, ctx: LayerWriter) -> None:
    tensors, layout = _merge_inputs(ctx)
    if isinstance(layer, Subtract):
        output = ctx.node("Sub", tensors)
    elif isinstance(layer, Multiply):
        output = ctx.node("Mul", tensors[:2])
        for index, tensor in enumerate(tensors[2:], start=2):
            output = ctx.node("Mul", [output, tensor], role=f"mul_{index}")
    elif isinstance(layer, Add) and len(tensors) == 2:
        output = ctx.node("Add", tensors)
    else:
        output = ctx.node(MERGE_OPERATIONS[type(layer)], tensors)
    ctx.finish(output, layout)


def _concatenate(layer: Concatenate, ctx: LayerWriter) -> None:
    first, layout = ctx.input(0)
    tensors = [first] + [ctx.input(index, layout)[0] for index in range(1, len(ctx.record.inputs))]
    shape = ctx.input_shape()
    if layer.axis is None:
        axis = 0 if ctx.data_format == "channels_first" and len(shape) == 3 else len(shape) - 1
    else:
        axis = layer.axis % (len(shape) + 1) - 1
    ctx.finish(ctx.node("Concat", tensors, axis=onnx_axis(axis, layout, ctx.data_format)), layout)


def onnx_axis(axis: int, layout: Layout, data_format: DataFormat) -> int:
    """The ONNX axis (batch 0) of spec axis ``axis`` (batch excluded, from 0) of a tensor in ``layout``."""
    if layout == "flat" or layout == spec_layout((1, 1, 1), data_format):
        return axis + 1
    # the other feature-map layout: the spec's (H, W, C) or (C, H, W) axis moved
    if data_format == "channels_last":  # spec (H, W, C), tensor NCHW
        return {0: 2, 1: 3, 2: 1}[axis]
    return {0: 3, 1: 1, 2: 2}[axis]  # spec (C, H, W), tensor NHWC


WRITERS: dict[type[LayerBase], Callable[[Any, LayerWriter], None]] = {
    Conv2D: _conv2d,
    DepthwiseConv2D: _depthwise_conv2d,
    SeparableConv2D: _separable_conv2d,
    Conv2DTranspose: _conv2d_transpose,
    MaxPool2D: _pool2d,
    AvgPool2D: _pool2d,
    AdaptiveAvgPool2D: _adaptive_pool2d,
    AdaptiveMaxPool2D: _adaptive_pool2d,
    GlobalAvgPool2D: _global_pool,
    GlobalMaxPool2D: _global_pool,
    Dense: _dense,
    Flatten: _flatten,
    Reshape: _reshape,
    ZeroPad2D: _zeropad2d,
    Cropping2D: _cropping2d,
    UpSampling2D: _upsampling2d,
    Identity: _identity,
    GaussianNoise: _identity,
    Dropout: _dropout,
    SpatialDropout2D: _dropout,
    BatchNorm: _batchnorm,
    LayerNorm: _layernorm,
    Normalization: _normalization,
    Rescaling: _rescaling,
    Activation: _activation_layer,
    ReLU: _relu,
    LeakyReLU: _leaky_relu,
    PReLU: _prelu,
    Softmax: _softmax,
    Add: _merge,
    Subtract: _merge,
    Multiply: _merge,
    Average: _merge,
    Maximum: _merge,
    Minimum: _merge,
    Concatenate: _concatenate,
}
"""How each spec class is written."""


# --- the model -----------------------------------------------------------------------------------


def write_layer(graph: GraphWriter, record: LayerRecord) -> None:
    """Write one layer's nodes into ``graph`` (whose values hold its inputs)."""
    writer = WRITERS.get(type(record.layer))
    if writer is None:
        raise Refused(f"ONNX has no operation for {record.layer.type}")
    if getattr(record.layer, "connections", None) is not None:
        raise Refused("a connections table (which input maps each filter reads) is not exported")
    writer(record.layer, LayerWriter(graph, record))


@dataclass(frozen=True)
class WrittenGraph:
    """The nodes written for the layers ONNX can express, and why the others were refused."""

    graph: GraphWriter
    refused: dict[str, str]
    """Layer name → why it cannot be written (its dependents are left out too)."""


def write_graph(analysis: Analysis, *, seed: int = 0, past_refusals: bool = False) -> WrittenGraph:
    """Every layer the engine could analyse and ONNX can express, in order; the rest left out, and the
    layers that read them too unless ``past_refusals`` (to list every refusal, not to build a model)."""
    spec = analysis.spec
    graph = GraphWriter(onnx_required(), spec.data_format, np.random.default_rng(seed))
    graph.add_value(INPUT, spec.input, spec_layout(spec.input, spec.data_format), INPUT)
    refused: dict[str, str] = {}
    for record in analysis.layers:
        if record.output_shape is None or any(name not in graph.values for name in record.inputs):
            continue
        try:
            write_layer(graph, record)
        except Refused as exc:
            refused[record.name] = f"{record.name} ({record.layer.keras_class}): {exc}"
            if past_refusals:  # a stand-in, so that the layers after it are tried too
                layout = spec_layout(record.output_shape, spec.data_format)
                graph.add_value(record.name, record.output_shape, layout, record.name)
    return WrittenGraph(graph, refused)


def model_proto(analysis: Analysis, graph: GraphWriter, outputs: Sequence[tuple[str, Shape | None]]) -> Any:
    """The ``ModelProto`` of the written nodes, with these ``(tensor, shape)`` outputs."""
    onnx = graph.onnx
    helper = onnx.helper
    spec = analysis.spec
    model = helper.make_model(
        helper.make_graph(
            graph.nodes,
            spec.name,
            [_value_info(onnx, INPUT, spec.input)],
            [_value_info(onnx, tensor, shape) for tensor, shape in outputs],
            graph.initializers,
        ),
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name="cnncalc",
        producer_version=__version__,
    )
    model.ir_version = IR_VERSION
    return model


def to_onnx(source: SpecSource, *, seed: int = 0) -> Any:
    """The spec as an ``onnx.ModelProto``: opset 20, weights drawn as Keras draws them from ``seed``.

    Raises :class:`ExportRefusal` listing every layer ONNX cannot express, and refuses specs with errors.
    """
    analysis = analyze(source)
    require_no_errors(analysis, f"cannot export {analysis.file or analysis.name}, it has errors")
    written = write_graph(analysis, seed=seed, past_refusals=True)
    if written.refused:
        raise ExportRefusal(analysis.file or analysis.name, list(written.refused.values()))
    graph = written.graph
    outputs = []
    for name in analysis.spec.outputs:
        tensor, _ = graph.tensor(name, graph.natural[name])
        outputs.append((tensor, analysis.layer(name).output_shape))
    return model_proto(analysis, graph, outputs)


def _value_info(onnx: Any, name: str, shape: Shape | None) -> Any:
    dims = None if shape is None else [BATCH, *shape]
    return onnx.helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, dims)


TWO_GIGABYTES = 2**31
"""Protocol buffers cannot hold more in one file."""


def onnx_bytes(analysis: Analysis) -> bytes:
    """``cnncalc export --to onnx``: the model's bytes, checked by ``onnx.checker`` in full."""
    model = to_onnx(analysis)
    size = sum(tensor.ByteSize() for tensor in model.graph.initializer)
    if size >= TWO_GIGABYTES:
        raise CnncalcError(
            f"{analysis.name}'s weights take {size / 2**30:.1f} GiB; one ONNX file holds at most 2 GiB"
        )
    onnx = onnx_required()
    onnx.checker.check_model(model, full_check=True)
    data: bytes = model.SerializeToString()
    return data

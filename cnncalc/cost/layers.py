"""The work of one layer for one sample, by layer type: one function per spec class.

MACs are counted from the weight shapes shape inference found (as parameters are), times the
positions each weight is applied at: a convolution's kernel at every output position, a transposed
convolution's at every input position, a dense kernel at every position of the last axis. Bias
additions, activations and the element-wise work of the other layers are counted apart, so that
each tool's convention can be rebuilt from them (:mod:`cnncalc.cost.conventions`).

Element-wise operations are counted as one per arithmetic operation at inference: batch
normalisation folds into a scale and a shift (2 per value); a pooling window of ``K`` cells takes
``K − 1`` comparisons (max) or ``K − 1`` additions and a division (average); a merge of ``n``
inputs ``n − 1`` operations per value (average: ``n``); interpolation over ``T`` input cells
``2T − 1`` (``T`` multiplications, ``T − 1`` additions); layer normalisation 5 per value (4 without
``γ``, ``β``), fvcore's estimate.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from math import prod
from typing import Any

from cnncalc.shapes.formulas import adaptive_windows
from cnncalc.shapes.inference import Inferred, feature_map, keras_axes
from cnncalc.shapes.records import Cost, Shape, Weight
from cnncalc.shapes.text import format_int
from cnncalc.spec.models import (
    LAYER_TYPES,
    RBF,
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
    Identity,
    LayerBase,
    LayerNorm,
    LayerScale,
    LeakyReLU,
    Maximum,
    MaxPool2D,
    Minimum,
    Multiply,
    Normalization,
    PReLU,
    ReLU,
    Rescaling,
    Reshape,
    SeparableConv2D,
    Softmax,
    SpatialDropout2D,
    Subsample2D,
    Subtract,
    UpSampling2D,
    ZeroPad2D,
)

INTERPOLATION_TAPS = {"nearest": 1, "area": 1, "bilinear": 4, "bicubic": 16, "lanczos3": 36, "lanczos5": 100}
"""Input cells one upsampled value is computed from (``area`` upsamples by whole factors as ``nearest``)."""


def layer_cost(
    layer: LayerBase, shapes: Sequence[Shape], inferred: Inferred, data_format: DataFormat
) -> Cost:
    """The work of ``layer`` on inputs of ``shapes`` (batch excluded), given what inference found."""
    return COSTS[type(layer)](layer, shapes, inferred, data_format)


def _activation(layer: LayerBase, values: int) -> int:
    """Values the layer's own ``activation`` is applied to (none when it is linear)."""
    return values if getattr(layer, "activation", "linear") != "linear" else 0


def _split(weights: Sequence[Weight]) -> tuple[int, int]:
    """Sizes of the multiplying weights and of the bias."""
    bias = sum(w.size for w in weights if w.name == "bias")
    return sum(w.size for w in weights) - bias, bias


def _formula(weights: Sequence[Weight], positions: Sequence[int], macs: int, where: str = "") -> str:
    """``MACs = 5·5·1·6 · 28·28 = 117,600``: the kernels' shapes times the positions they are applied at."""
    shapes = [_product(w.shape) for w in weights if w.name != "bias"]
    kernels = shapes[0] if len(shapes) == 1 else "(" + " + ".join(shapes) + ")"
    at = "" if prod(positions) == 1 else f" · {_product(tuple(positions))}{where}"
    return f"MACs = {kernels}{at} = {format_int(macs)}"


def _product(shape: Shape) -> str:
    return "·".join(format_int(n) for n in shape)


def _convolution(
    layer: LayerBase, shapes: Sequence[Shape], inferred: Inferred, data_format: DataFormat
) -> Cost:
    """Every kernel (a separable convolution's depthwise and pointwise ones) at every output position."""
    height, width, _ = feature_map(layer, inferred.output_shape, data_format)
    kernels, bias = _split(inferred.weights)
    macs, adds = kernels * height * width, bias * height * width
    formula = _formula(inferred.weights, (height, width), macs)
    return Cost(
        macs, adds, _activation(layer, prod(inferred.output_shape)), connections=macs + adds, formula=formula
    )


def _transposed(
    layer: Conv2DTranspose, shapes: Sequence[Shape], inferred: Inferred, data_format: DataFormat
) -> Cost:
    """Each input value meets its channel's kernel slice: ``H_in·W_in·K_h·K_w·C_in·C_out``."""
    height, width, _ = feature_map(layer, shapes[0], data_format)
    out_height, out_width, _ = feature_map(layer, inferred.output_shape, data_format)
    kernels, bias = _split(inferred.weights)
    macs, adds = kernels * height * width, bias * out_height * out_width
    formula = _formula(inferred.weights, (height, width), macs, " input positions")
    return Cost(
        macs, adds, _activation(layer, prod(inferred.output_shape)), connections=macs + adds, formula=formula
    )


def _dense(layer: Dense, shapes: Sequence[Shape], inferred: Inferred, data_format: DataFormat) -> Cost:
    """The kernel at every position of the last axis (one for a flat input)."""
    positions = inferred.output_shape[:-1]
    kernels, bias = _split(inferred.weights)
    macs, adds = kernels * prod(positions), bias * prod(positions)
    formula = _formula(inferred.weights, positions, macs)
    return Cost(
        macs, adds, _activation(layer, prod(inferred.output_shape)), connections=macs + adds, formula=formula
    )


def _rbf(layer: RBF, shapes: Sequence[Shape], inferred: Inferred, data_format: DataFormat) -> Cost:
    """Per unit and input value a subtraction and a squared accumulation (a MAC); no bias."""
    positions = inferred.output_shape[:-1]
    macs = inferred.weights[0].size * prod(positions)
    return Cost(macs, other=macs, connections=macs, formula=_formula(inferred.weights, positions, macs))


def _pool(
    layer: MaxPool2D | AvgPool2D, shapes: Sequence[Shape], inferred: Inferred, data_format: DataFormat
) -> Cost:
    window = layer.pool_size[0] * layer.pool_size[1]
    values = prod(inferred.output_shape)
    operations = window - 1 if isinstance(layer, MaxPool2D) else window
    return Cost(other=operations * values, connections=window * values)


def _subsample(
    layer: Subsample2D, shapes: Sequence[Shape], inferred: Inferred, data_format: DataFormat
) -> Cost:
    """Each window's ``K`` values added (``K − 1`` additions), times the map's coefficient (a MAC),
    plus its bias: LeCun's connections are ``K + 1`` per output value."""
    height, width, _ = feature_map(layer, inferred.output_shape, data_format)
    window = layer.pool_size[0] * layer.pool_size[1]
    values = prod(inferred.output_shape)
    adds = values if layer.use_bias else 0
    return Cost(
        macs=values,
        bias=adds,
        activations=_activation(layer, values),
        other=(window - 1) * values,
        connections=window * values + adds,
        formula=_formula(inferred.weights, (height, width), values),
    )


def _adaptive_pool(
    layer: AdaptivePool2D, shapes: Sequence[Shape], inferred: Inferred, data_format: DataFormat
) -> Cost:
    """Each output value reads its adaptive window: an average adds and divides its ``K`` values (``K``
    operations, as a pool's), a maximum compares them (``K − 1``)."""
    height, width, channels = feature_map(layer, shapes[0], data_format)
    reads = [
        sum(last - first + 1 for first, last in adaptive_windows(size, out))
        for size, out in zip((height, width), layer.output_size, strict=True)
    ]
    connections = reads[0] * reads[1] * channels
    values = prod(inferred.output_shape)
    operations = connections if isinstance(layer, AdaptiveAvgPool2D) else connections - values
    return Cost(other=operations, connections=connections)


def _global_pool(
    layer: GlobalAvgPool2D | GlobalMaxPool2D,
    shapes: Sequence[Shape],
    inferred: Inferred,
    data_format: DataFormat,
) -> Cost:
    height, width, channels = feature_map(layer, shapes[0], data_format)
    window = height * width
    operations = window if isinstance(layer, GlobalAvgPool2D) else window - 1
    return Cost(other=operations * channels, connections=window * channels)


def _batchnorm(
    layer: BatchNorm, shapes: Sequence[Shape], inferred: Inferred, data_format: DataFormat
) -> Cost:
    """At inference, a scale and a shift per value (the statistics folded in)."""
    values = prod(shapes[0])
    return Cost(other=2 * values, connections=values * (2 if layer.center else 1))


def _layernorm(
    layer: LayerNorm, shapes: Sequence[Shape], inferred: Inferred, data_format: DataFormat
) -> Cost:
    """Mean and variance over the axes, then normalise (and scale and shift): every value reads its group."""
    values = prod(shapes[0])
    group = prod(shapes[0][axis] for axis in keras_axes(layer, layer.axis, shapes[0]))
    affine = layer.center or layer.scale or layer.rms_scaling
    return Cost(
        other=values * (5 if affine else 4), connections=values * group + (values if layer.center else 0)
    )


def _normalization(
    layer: Normalization, shapes: Sequence[Shape], inferred: Inferred, data_format: DataFormat
) -> Cost:
    values = prod(shapes[0])
    return Cost(other=2 * values, connections=values)


def _rescaling(
    layer: Rescaling, shapes: Sequence[Shape], inferred: Inferred, data_format: DataFormat
) -> Cost:
    values = prod(shapes[0])
    scales = values if any(s != 1 for s in layer.scale) else 0
    shifts = values if any(o != 0 for o in layer.offset) else 0
    return Cost(bias=shifts, other=scales, connections=values + shifts)


def _layer_scale(
    layer: LayerScale, shapes: Sequence[Shape], inferred: Inferred, data_format: DataFormat
) -> Cost:
    """A multiplication per value, by that channel's factor (as a rescaling's scale)."""
    values = prod(shapes[0])
    return Cost(other=values, connections=values)


def _function(layer: LayerBase, shapes: Sequence[Shape], inferred: Inferred, data_format: DataFormat) -> Cost:
    """An activation layer: its function on every value (a linear one does nothing)."""
    values = prod(shapes[0])
    applied = values if getattr(layer, "activation", None) != "linear" else 0
    return Cost(activations=applied, connections=applied)


def _softmax(layer: Softmax, shapes: Sequence[Shape], inferred: Inferred, data_format: DataFormat) -> Cost:
    """Every value reads every value along its axes (the normalising sum)."""
    values = prod(shapes[0])
    group = prod(shapes[0][axis] for axis in keras_axes(layer, layer.axis, shapes[0]))
    return Cost(activations=values, connections=values * group)


def _merge(layer: LayerBase, shapes: Sequence[Shape], inferred: Inferred, data_format: DataFormat) -> Cost:
    values = prod(inferred.output_shape)
    count = len(shapes)
    operations = count if isinstance(layer, Average) else count - 1
    return Cost(other=operations * values, connections=count * values)


def _upsampling(
    layer: UpSampling2D, shapes: Sequence[Shape], inferred: Inferred, data_format: DataFormat
) -> Cost:
    values = prod(inferred.output_shape)
    taps = INTERPOLATION_TAPS[layer.interpolation]
    return Cost(other=(2 * taps - 1) * values if taps > 1 else 0, connections=taps * values)


def _moves(layer: LayerBase, shapes: Sequence[Shape], inferred: Inferred, data_format: DataFormat) -> Cost:
    """Layers that only move values, or pass them on at inference: no work."""
    return Cost()


COSTS: dict[type[LayerBase], Callable[[Any, Sequence[Shape], Inferred, DataFormat], Cost]] = {
    Conv2D: _convolution,
    DepthwiseConv2D: _convolution,
    SeparableConv2D: _convolution,
    Conv2DTranspose: _transposed,
    MaxPool2D: _pool,
    AvgPool2D: _pool,
    Subsample2D: _subsample,
    AdaptiveAvgPool2D: _adaptive_pool,
    AdaptiveMaxPool2D: _adaptive_pool,
    GlobalAvgPool2D: _global_pool,
    GlobalMaxPool2D: _global_pool,
    Dense: _dense,
    RBF: _rbf,
    Flatten: _moves,
    Reshape: _moves,
    ZeroPad2D: _moves,
    Cropping2D: _moves,
    UpSampling2D: _upsampling,
    Identity: _moves,
    Dropout: _moves,
    SpatialDropout2D: _moves,
    GaussianNoise: _moves,
    BatchNorm: _batchnorm,
    LayerNorm: _layernorm,
    Normalization: _normalization,
    Rescaling: _rescaling,
    LayerScale: _layer_scale,
    Activation: _function,
    ReLU: _function,
    LeakyReLU: _function,
    PReLU: _function,
    Softmax: _softmax,
    Add: _merge,
    Subtract: _merge,
    Multiply: _merge,
    Average: _merge,
    Maximum: _merge,
    Minimum: _merge,
    Concatenate: _moves,
}
"""The cost function of each spec class."""

assert set(COSTS) == set(LAYER_TYPES), "every layer type needs a cost"

"""Shape inference of the layers that work value by value or reshape: dense, flatten, reshape,
normalisation, scaling, activations, dropout and noise."""

from __future__ import annotations

from collections.abc import Callable
from math import prod
from typing import Any

from cnncalc.shapes.formulas import dense_weight_shapes
from cnncalc.shapes.inference import (
    RESHAPE_SIZE_MISMATCH,
    SHAPES_MISMATCH,
    Inferred,
    ShapeError,
    channel_axis,
    feature_map,
    keras_axes,
    named_weights,
)
from cnncalc.shapes.records import Shape, Weight
from cnncalc.shapes.text import format_int, format_shape
from cnncalc.spec.models import (
    RBF,
    Activation,
    BatchNorm,
    DataFormat,
    Dense,
    Dropout,
    Flatten,
    GaussianNoise,
    Identity,
    LayerBase,
    LayerNorm,
    LayerScale,
    LeakyReLU,
    Normalization,
    PReLU,
    ReLU,
    Rescaling,
    Reshape,
    Softmax,
    SpatialDropout2D,
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
        (*shape[:-1], layer.units), named_weights(("kernel", "bias"), shapes), explanation=tuple(notes)
    )


def _rbf(layer: RBF, shape: Shape, data_format: DataFormat) -> Inferred:
    """One centre of ``fan_in`` values per unit, on the last axis."""
    fan_in = shape[-1]
    weights = (Weight("centers", (fan_in, layer.units), layer.trainable),)
    fixed = "" if layer.trainable else ", not trained"
    return Inferred(
        (*shape[:-1], layer.units),
        weights,
        explanation=(
            f"params = {fan_in}·{layer.units} = {format_int(fan_in * layer.units)} (centres{fixed})",
        ),
    )


def _flatten(layer: Flatten, shape: Shape, data_format: DataFormat) -> Inferred:
    size = prod(shape)
    if len(shape) == 1:
        return Inferred(shape, explanation=("already flat",))
    return Inferred((size,), explanation=("·".join(map(str, shape)) + f" = {format_int(size)}",))


def _reshape(layer: Reshape, shape: Shape, data_format: DataFormat) -> Inferred:
    size = prod(shape)
    known = prod(n for n in layer.target_shape if n != -1)
    target = layer.target_shape
    if -1 in target:
        if size % known:
            raise ShapeError(
                RESHAPE_SIZE_MISMATCH,
                f"reshape {layer.name} cannot infer its -1: {format_int(size)} values of "
                f"{format_shape(shape)} are not a multiple of {format_int(known)}",
                f"the sizes given must divide {format_int(size)}",
            )
        target = tuple(size // known if n == -1 else n for n in target)
    elif known != size:
        raise ShapeError(
            RESHAPE_SIZE_MISMATCH,
            f"reshape {layer.name} gives {format_shape(target)}, {format_int(known)} values, but its input "
            f"{format_shape(shape)} has {format_int(size)}",
            "the target shape must hold as many values as the input; one size may be -1",
        )
    return Inferred(
        target,
        explanation=(f"{format_shape(shape)} → {format_shape(target)}: {format_int(size)} values",),
    )


def _identity(layer: LayerBase, shape: Shape, data_format: DataFormat) -> Inferred:
    return Inferred(shape)


def _dropout(layer: Dropout, shape: Shape, data_format: DataFormat) -> Inferred:
    noise = layer.noise_shape
    if noise is not None and (
        len(noise) != len(shape)
        or any(n not in (None, 1, size) for n, size in zip(noise, shape, strict=False))
    ):
        written = "(" + ", ".join("None" if n is None else str(n) for n in noise) + ")"
        raise ShapeError(
            SHAPES_MISMATCH,
            f"dropout {layer.name} has noise_shape {written}, which does not fit its input "
            f"{format_shape(shape)}",
            f"give one size per axis of the input ({len(shape)}, batch axis left out): 1 to share a decision "
            "along the axis, null (or the size) for one per value",
        )
    return Inferred(shape)


def _spatial_dropout(layer: SpatialDropout2D, shape: Shape, data_format: DataFormat) -> Inferred:
    feature_map(layer, shape, data_format)
    return Inferred(shape)


def _softmax(layer: Softmax, shape: Shape, data_format: DataFormat) -> Inferred:
    keras_axes(layer, layer.axis, shape)
    return Inferred(shape)


def _batchnorm(layer: BatchNorm, shape: Shape, data_format: DataFormat) -> Inferred:
    channels = shape[channel_axis(shape, data_format)]
    names = [name for name, kept in (("gamma", layer.scale), ("beta", layer.center)) if kept]
    weights = (
        *(Weight(name, (channels,)) for name in names),
        Weight("moving_mean", (channels,), trainable=False),
        Weight("moving_variance", (channels,), trainable=False),
    )
    count = len(weights)
    return Inferred(
        shape,
        weights,
        explanation=(
            f"params = {count}·{channels} = {format_int(count * channels)} "
            f"({format_int(2 * channels)} non-trainable: moving mean and variance)",
        ),
    )


def _layernorm(layer: LayerNorm, shape: Shape, data_format: DataFormat) -> Inferred:
    axes = sorted(keras_axes(layer, layer.axis, shape))
    sizes = tuple(shape[axis] for axis in axes)
    kept = [
        name
        for name, present in (
            ("gamma", layer.scale or layer.rms_scaling),
            ("beta", layer.center and not layer.rms_scaling),
        )
        if present
    ]
    weights = tuple(Weight(name, sizes) for name in kept)
    over = "·".join(map(str, sizes))
    return Inferred(
        shape,
        weights,
        explanation=(f"params = {len(kept)}·{over} = {format_int(len(kept) * prod(sizes))}",),
    )


def _broadcast_values(layer: LayerBase, values: tuple[float, ...], size: int, what: str, over: str) -> None:
    """A list of numbers must have one per value of an axis (or be one number)."""
    if len(values) not in (1, size):
        raise ShapeError(
            SHAPES_MISMATCH,
            f"layer {layer.name} has {len(values)} values of {what} for {size} {over}",
            f"give one {what}, or one per value ({size})",
        )


def _normalization(layer: Normalization, shape: Shape, data_format: DataFormat) -> Inferred:
    axes = () if layer.axis is None else tuple(sorted(keras_axes(layer, layer.axis, shape)))
    kept = tuple(shape[axis] for axis in axes)
    if layer.mean is not None and layer.variance is not None:
        for what, values in (("mean", layer.mean), ("variance", layer.variance)):
            _broadcast_values(layer, values, prod(kept), what, "values along its axis")
        return Inferred(shape, explanation=("mean and variance given: no weights",))
    weights = (
        Weight("mean", kept, trainable=False),
        Weight("variance", kept, trainable=False),
        Weight("count", (), trainable=False, itemsize=8),  # Keras' dtype "int": int64
    )
    per = prod(kept)
    return Inferred(
        shape,
        weights,
        explanation=(
            f"params = 2·{per} + 1 = {format_int(2 * per + 1)} (mean, variance, count; not trained)",
        ),
    )


def _rescaling(layer: Rescaling, shape: Shape, data_format: DataFormat) -> Inferred:
    for what, values in (("scale", layer.scale), ("offset", layer.offset)):
        _broadcast_values(layer, values, shape[-1], what, f"values of the last axis of {format_shape(shape)}")
    return Inferred(shape)


def _layer_scale(layer: LayerScale, shape: Shape, data_format: DataFormat) -> Inferred:
    size = shape[-1]
    return Inferred(
        shape,
        (Weight("gamma", (size,)),),
        explanation=(f"params = {format_int(size)} (one factor per value of the last axis)",),
    )


def _prelu(layer: PReLU, shape: Shape, data_format: DataFormat) -> Inferred:
    shared = keras_axes(layer, layer.shared_axes or (), shape, "shared_axes")
    alpha = tuple(1 if axis in shared else size for axis, size in enumerate(shape))
    return Inferred(
        shape,
        (Weight("alpha", alpha),),
        explanation=(
            f"params = {'·'.join(map(str, alpha))} = {format_int(prod(alpha))} (one slope per value)",
        ),
    )


POINTWISE: dict[type[LayerBase], Callable[[Any, Shape, DataFormat], Inferred]] = {
    Dense: _dense,
    RBF: _rbf,
    Flatten: _flatten,
    Reshape: _reshape,
    Identity: _identity,
    Dropout: _dropout,
    SpatialDropout2D: _spatial_dropout,
    GaussianNoise: _identity,
    Activation: _identity,
    ReLU: _identity,
    LeakyReLU: _identity,
    PReLU: _prelu,
    Softmax: _softmax,
    BatchNorm: _batchnorm,
    LayerNorm: _layernorm,
    Normalization: _normalization,
    Rescaling: _rescaling,
    LayerScale: _layer_scale,
}
"""Shape inference of the value-by-value and reshaping layers, by spec class."""

"""Layers that work value by value or along one axis: ``Dense``, activations (``Activation``, the
activation of a convolution or dense layer, ``ReLU``, ``LeakyReLU``, ``PReLU``, ``Softmax``),
``Rescaling`` and ``Identity``."""

from __future__ import annotations

from typing import cast

import numpy as np

from cnncalc.backends.numpy.im2col import Array
from cnncalc.backends.numpy.kernels.activations import (
    READS_INPUT,
    ActivationName,
    activation_backward,
    activation_forward,
    leaky_relu_backward,
    leaky_relu_forward,
    prelu_backward,
    prelu_forward,
    relu_backward,
    relu_forward,
    softmax_backward,
    softmax_forward,
)
from cnncalc.backends.numpy.kernels.dense import dense_backward, dense_forward
from cnncalc.backends.numpy.kernels.layout import internal_axis
from cnncalc.backends.numpy.layers.base import (
    Layer,
    LayerContext,
    as_internal,
    input_shape,
    last_axis,
    output_shape,
)
from cnncalc.shapes.inference import keras_axes
from cnncalc.shapes.records import LayerRecord
from cnncalc.spec.models import LeakyReLU, PReLU, ReLU, Rescaling, Softmax

__all__ = [
    "ActivationLayer",
    "DenseLayer",
    "IdentityLayer",
    "LeakyReLULayer",
    "PReLULayer",
    "ReLULayer",
    "RescalingLayer",
    "SoftmaxLayer",
]

ALONG_AXIS: frozenset[str] = frozenset({"softmax", "log_softmax", "sparsemax"})
"""The activations computed along the last axis rather than value by value."""


class DenseLayer(Layer):
    """``Dense`` on the public last axis (see :func:`last_axis`)."""

    def __init__(self, record: LayerRecord, context: LayerContext) -> None:
        super().__init__(record, context)
        self.axis = last_axis(len(input_shape(record)), context.data_format)

    def forward(self, x: Array, training: bool) -> Array:
        # On a channels_first map, bring the width to the front and back: rare, so a copy is fine.
        y, self._cache = dense_forward(
            np.moveaxis(x, self.axis, 0),
            self.params["kernel"],
            self.params.get("bias"),
            workspace=self.workspace,
        )
        return y if self.axis == 0 else np.ascontiguousarray(np.moveaxis(y, 0, self.axis))

    def backward(self, dy: Array, need_dx: bool = True) -> Array | None:
        dx, dkernel, dbias = dense_backward(
            np.moveaxis(dy, self.axis, 0), self._cache, need_dx=need_dx, workspace=self.workspace
        )
        self.grads["kernel"][...] = dkernel
        if "bias" in self.grads:
            self.grads["bias"][...] = dbias
        if dx is None or self.axis == 0:
            return dx
        return np.ascontiguousarray(np.moveaxis(dx, 0, self.axis))


class ActivationLayer(Layer):
    """``Activation``, and the activation of a convolution or dense layer (``fused``).

    A fused activation overwrites its layer's output, which no cache refers to (unless its
    gradient needs its input: :data:`READS_INPUT`); a standalone one writes a buffer of its
    own, since its input may be read by other layers or kept for their backward passes. The
    backward pass always works in place on ``dy``. Softmax, log-softmax and sparsemax act on
    the public last axis.
    """

    def __init__(self, record: LayerRecord, context: LayerContext, *, fused: bool = False) -> None:
        super().__init__(record, context)
        self.activation = cast(ActivationName, getattr(record.layer, "activation", "linear"))
        self.fused = fused
        shape = output_shape(record) if fused else input_shape(record)
        self.axis = last_axis(len(shape), context.data_format) if self.activation in ALONG_AXIS else 0
        self.in_place = fused and self.activation not in READS_INPUT

    def forward(self, x: Array, training: bool) -> Array:
        if self.activation == "linear":
            return x
        self._x = x if self.activation in READS_INPUT else None
        if self.axis != 0:  # along a channels_first width
            moved = activation_forward(self.activation, np.moveaxis(x, self.axis, 0))
            self._y = np.ascontiguousarray(np.moveaxis(moved, 0, self.axis))
            return self._y
        out = x if self.in_place else self.workspace.empty("activation", x.shape, x.dtype)
        self._y = activation_forward(self.activation, x, out=out)
        return self._y

    def backward(self, dy: Array, need_dx: bool = True) -> Array | None:
        if not need_dx or self.activation == "linear":
            return dy if need_dx else None
        if self.axis != 0:
            x = None if self._x is None else np.moveaxis(self._x, self.axis, 0)
            dx = activation_backward(
                self.activation, np.moveaxis(dy, self.axis, 0), np.moveaxis(self._y, self.axis, 0), x=x
            )
            return np.ascontiguousarray(np.moveaxis(dx, 0, self.axis))
        return activation_backward(self.activation, dy, self._y, out=dy, x=self._x, workspace=self.scratch)


class ReLULayer(Layer):
    """``ReLU`` with Keras' ``max_value``, ``negative_slope`` and ``threshold``."""

    def __init__(self, record: LayerRecord, context: LayerContext) -> None:
        super().__init__(record, context)
        layer = record.layer
        assert isinstance(layer, ReLU)
        self.options = {
            "max_value": layer.max_value,
            "negative_slope": layer.negative_slope,
            "threshold": layer.threshold,
        }

    def forward(self, x: Array, training: bool) -> Array:
        self._x = x
        return relu_forward(x, **self.options)  # type: ignore[arg-type]

    def backward(self, dy: Array, need_dx: bool = True) -> Array | None:
        return relu_backward(dy, self._x, **self.options) if need_dx else None  # type: ignore[arg-type]


class LeakyReLULayer(Layer):
    """``LeakyReLU``: ``negative_slope · x`` below 0 (its default 0.3)."""

    def __init__(self, record: LayerRecord, context: LayerContext) -> None:
        super().__init__(record, context)
        assert isinstance(record.layer, LeakyReLU)
        self.negative_slope = record.layer.negative_slope

    def forward(self, x: Array, training: bool) -> Array:
        self._x = x
        return leaky_relu_forward(x, self.negative_slope)

    def backward(self, dy: Array, need_dx: bool = True) -> Array | None:
        return leaky_relu_backward(dy, self._x, self.negative_slope) if need_dx else None


class PReLULayer(Layer):
    """``PReLU``: a learned slope per value, shared along ``shared_axes`` (``alpha`` has the
    input's public shape with 1 along those)."""

    def __init__(self, record: LayerRecord, context: LayerContext) -> None:
        super().__init__(record, context)
        assert isinstance(record.layer, PReLU)
        shape = self.params["alpha"].shape
        self.alpha = as_internal(self.params["alpha"], shape, context.data_format)
        self.dalpha = as_internal(self.grads["alpha"], shape, context.data_format)

    def forward(self, x: Array, training: bool) -> Array:
        self._x = x
        return prelu_forward(x, self.alpha)

    def backward(self, dy: Array, need_dx: bool = True) -> Array | None:
        dx, self.dalpha[...] = prelu_backward(dy, self._x, self.alpha)
        return dx if need_dx else None


class SoftmaxLayer(Layer):
    """``Softmax`` over ``axis`` (one or several public axes, together)."""

    def __init__(self, record: LayerRecord, context: LayerContext) -> None:
        super().__init__(record, context)
        assert isinstance(record.layer, Softmax)
        shape = input_shape(record)
        self.axes = tuple(
            internal_axis(axis, len(shape), context.data_format)
            for axis in keras_axes(record.layer, record.layer.axis, shape)
        )

    def forward(self, x: Array, training: bool) -> Array:
        self._y = softmax_forward(x, self.axes, out=self.workspace.empty("softmax", x.shape, x.dtype))
        return self._y

    def backward(self, dy: Array, need_dx: bool = True) -> Array | None:
        return softmax_backward(dy, self._y, self.axes, out=dy) if need_dx else None


class RescalingLayer(Layer):
    """``Rescaling``: ``x · scale + offset``, each one number or one per value of the last axis."""

    def __init__(self, record: LayerRecord, context: LayerContext) -> None:
        super().__init__(record, context)
        layer = record.layer
        assert isinstance(layer, Rescaling)
        shape = input_shape(record)
        per_value = (1,) * (len(shape) - 1)
        self.scale, self.offset = (
            as_internal(np.asarray(values), (*per_value, len(values)), context.data_format)
            for values in (layer.scale, layer.offset)
        )

    def forward(self, x: Array, training: bool) -> Array:
        y = self.workspace.empty("rescaled", x.shape, x.dtype)
        np.multiply(x, self.scale, out=y)
        y += self.offset
        return y

    def backward(self, dy: Array, need_dx: bool = True) -> Array | None:
        return np.multiply(dy, self.scale, out=dy) if need_dx else None


class LayerScaleLayer(Layer):
    """``LayerScale``: each value of the last axis times its own learned factor ``gamma``."""

    def __init__(self, record: LayerRecord, context: LayerContext) -> None:
        super().__init__(record, context)
        per_value = (1,) * (len(input_shape(record)) - 1)
        shape = (*per_value, *self.params["gamma"].shape)
        self.gamma = as_internal(self.params["gamma"], shape, context.data_format)
        self.dgamma = as_internal(self.grads["gamma"], shape, context.data_format)

    def forward(self, x: Array, training: bool) -> Array:
        self._x = x
        return np.multiply(x, self.gamma, out=self.workspace.empty("scaled", x.shape, x.dtype))

    def backward(self, dy: Array, need_dx: bool = True) -> Array | None:
        axes = tuple(axis for axis, size in enumerate(self.gamma.shape) if size == 1)
        self.dgamma[...] = np.sum(dy * self._x, axis=axes, keepdims=True)
        return np.multiply(dy, self.gamma, out=dy) if need_dx else None


class IdentityLayer(Layer):
    """``Identity``: its input, and its gradient, passed on."""

    def forward(self, x: Array, training: bool) -> Array:
        return x

    def backward(self, dy: Array, need_dx: bool = True) -> Array | None:
        return dy if need_dx else None

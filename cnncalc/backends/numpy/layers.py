"""Layers of the NumPy backend: one thin class per spec type around the kernels.

A layer is built from its analysis record (:class:`~cnncalc.shapes.records.LayerRecord`),
never from its own reading of the spec: padding comes resolved from ``record.windows``
(Keras' ``same`` split included) and weights have exactly the record's Keras shapes.
The model owns the weights and their gradients (views into flat buffers, see
:mod:`cnncalc.backends.numpy.optim`) and hands each layer its views in a
:class:`LayerContext`.

Every array here is in the backend's internal layout (batch last: ``(C, H, W, N)`` or
``(F, N)``, see :mod:`cnncalc.backends.numpy.kernels`), whatever the spec's data format;
the model converts at its edges. A convolution or dense layer's activation is a separate
:class:`ActivationLayer` that works in place on the layer's own output, which is what lets
the model fuse a softmax head with the cross-entropy loss.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import cast

import numpy as np

from cnncalc.backends.numpy.im2col import Array, Padding2D, Workspace, pad2d, pad2d_backward
from cnncalc.backends.numpy.kernels.activations import (
    ACTIVATIONS,
    ActivationName,
    activation_backward,
    activation_forward,
)
from cnncalc.backends.numpy.kernels.conv import conv2d_backward, conv2d_forward
from cnncalc.backends.numpy.kernels.dense import dense_backward, dense_forward
from cnncalc.backends.numpy.kernels.dropout import dropout_backward, dropout_forward
from cnncalc.backends.numpy.kernels.normalization import (
    batch_norm_backward,
    batch_norm_inference,
    batch_norm_train_forward,
    update_moving_average,
)
from cnncalc.backends.numpy.kernels.pooling import (
    PoolPadMode,
    avg_pool2d_backward,
    avg_pool2d_forward,
    global_avg_pool2d_backward,
    global_avg_pool2d_forward,
    global_max_pool2d_backward,
    global_max_pool2d_forward,
    max_pool2d_backward,
    max_pool2d_forward,
)
from cnncalc.backends.numpy.kernels.reshape import flatten_backward, flatten_forward
from cnncalc.errors import CnncalcError
from cnncalc.shapes.records import AxisWindow, LayerRecord
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
    Pool2D,
    ZeroPad2D,
)

__all__ = [
    "LAYERS",
    "ActivationLayer",
    "AvgPool2DLayer",
    "BatchNormLayer",
    "Conv2DLayer",
    "DenseLayer",
    "DropoutLayer",
    "FlattenLayer",
    "GlobalAvgPool2DLayer",
    "GlobalMaxPool2DLayer",
    "Layer",
    "LayerContext",
    "MaxPool2DLayer",
    "ZeroPad2DLayer",
    "build_layers",
]


@dataclass(frozen=True)
class LayerContext:
    """What a layer needs besides its record: its weights, their gradients, the data format."""

    data_format: DataFormat
    params: Mapping[str, Array]
    """Every weight by its Keras name (``kernel``, ``bias``, ``gamma``, ``moving_mean``, ...)."""
    grads: Mapping[str, Array]
    """The gradient of every trainable weight, written by :meth:`Layer.backward`."""
    rng: np.random.Generator
    """Randomness in training (dropout masks)."""


class Layer(ABC):
    """A forward and a backward pass on internal-layout arrays.

    ``forward`` keeps what ``backward`` needs (references, not copies: a layer's input and
    output must stay unchanged until its backward pass); arrays it returns may live in its
    workspace, valid until its next call.
    """

    def __init__(self, record: LayerRecord, context: LayerContext) -> None:
        self.name = record.name
        self.params = context.params
        self.grads = context.grads
        self.workspace = Workspace()

    @property
    def trainable(self) -> bool:
        """Whether the layer has weights that gradients update."""
        return bool(self.grads)

    @abstractmethod
    def forward(self, x: Array, training: bool) -> Array:
        """The layer's output for ``x``; ``training`` selects batch statistics and dropout."""

    @abstractmethod
    def backward(self, dy: Array, need_dx: bool = True) -> Array | None:
        """Store the weight gradients and return the input gradient (None if not ``need_dx``)."""


def last_axis(rank: int, data_format: DataFormat) -> int:
    """The internal axis that holds the public last axis of a ``rank`` shape (batch excluded).

    Keras' Dense and softmax act on the last axis: the features ``(F,)``, the channels of a
    channels_last map ``(H, W, C)`` — axis 0 inside — but the *width* of a channels_first
    map ``(C, H, W)``, which is axis 2 of the internal ``(C, H, W, N)``.
    """
    return 2 if data_format == "channels_first" and rank == 3 else 0


def _window_padding(windows: tuple[AxisWindow, AxisWindow] | None) -> Padding2D:
    rows, cols = _windows(windows)
    return (rows.pad_before, rows.pad_after), (cols.pad_before, cols.pad_after)


def _windows(windows: tuple[AxisWindow, AxisWindow] | None) -> tuple[AxisWindow, AxisWindow]:
    if windows is None:
        raise ValueError("a windowed layer needs the windows of its analysis record")
    return windows


def _shape(record: LayerRecord) -> tuple[int, ...]:
    if record.input_shape is None:
        raise ValueError(f"layer {record.name} has no input shape: its analysis stopped at an error")
    return record.input_shape


class Conv2DLayer(Layer):
    """``Conv2D``: pad (resolved split, ``padding_mode``), then a valid convolution."""

    def __init__(self, record: LayerRecord, context: LayerContext) -> None:
        super().__init__(record, context)
        assert isinstance(record.layer, Conv2D)
        rows, cols = _windows(record.windows)
        self.padding = _window_padding(record.windows)
        self.pad_mode = record.layer.padding_mode
        self.strides = (rows.strides, cols.strides)
        self.dilation = (rows.dilation, cols.dilation)
        self.groups = record.layer.groups

    def forward(self, x: Array, training: bool) -> Array:
        y, self._cache = conv2d_forward(
            x,
            self.params["kernel"],
            self.params.get("bias"),
            strides=self.strides,
            dilation=self.dilation,
            padding=self.padding,
            pad_mode=self.pad_mode,
            groups=self.groups,
            workspace=self.workspace,
        )
        return y

    def backward(self, dy: Array, need_dx: bool = True) -> Array | None:
        dx, dkernel, dbias = conv2d_backward(dy, self._cache, need_dx=need_dx, workspace=self.workspace)
        self.grads["kernel"][...] = dkernel
        if "bias" in self.grads:
            self.grads["bias"][...] = dbias
        return dx


class _Pool2DLayer(Layer):
    """Pooling windows from the record: ``same`` ignores padded cells (Keras), explicit
    padding is filled with ``padding_mode`` and pooled like real cells."""

    def __init__(self, record: LayerRecord, context: LayerContext) -> None:
        super().__init__(record, context)
        assert isinstance(record.layer, Pool2D)
        rows, cols = _windows(record.windows)
        self.pool_size = (rows.kernel, cols.kernel)
        self.strides = (rows.strides, cols.strides)
        self.padding = _window_padding(record.windows)
        self.pad_mode: PoolPadMode = "ignore" if rows.same else record.layer.padding_mode


class MaxPool2DLayer(_Pool2DLayer):
    """``MaxPooling2D``."""

    def forward(self, x: Array, training: bool) -> Array:
        y, self._cache = max_pool2d_forward(
            x, self.pool_size, self.strides, self.padding, self.pad_mode, workspace=self.workspace
        )
        return y

    def backward(self, dy: Array, need_dx: bool = True) -> Array | None:
        return max_pool2d_backward(dy, self._cache, workspace=self.workspace) if need_dx else None


class AvgPool2DLayer(_Pool2DLayer):
    """``AveragePooling2D``."""

    def forward(self, x: Array, training: bool) -> Array:
        y, self._cache = avg_pool2d_forward(
            x, self.pool_size, self.strides, self.padding, self.pad_mode, workspace=self.workspace
        )
        return y

    def backward(self, dy: Array, need_dx: bool = True) -> Array | None:
        return avg_pool2d_backward(dy, self._cache, workspace=self.workspace) if need_dx else None


class DenseLayer(Layer):
    """``Dense`` on the public last axis (see :func:`last_axis`)."""

    def __init__(self, record: LayerRecord, context: LayerContext) -> None:
        super().__init__(record, context)
        self.axis = last_axis(len(_shape(record)), context.data_format)

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

    A fused activation overwrites its layer's output, which no cache refers to; a
    standalone one writes a buffer of its own, since the layer before it (a max pool, say)
    may keep its output for the backward pass. The backward pass always works in place.
    """

    def __init__(self, record: LayerRecord, context: LayerContext, *, fused: bool = False) -> None:
        super().__init__(record, context)
        assert isinstance(record.layer, Activation | Conv2D | Dense)
        self.activation = cast(ActivationName, record.layer.activation)  # build_layers checked it
        self.fused = fused
        shape = record.output_shape if fused else record.input_shape
        self.axis = last_axis(len(shape or ()), context.data_format)

    def forward(self, x: Array, training: bool) -> Array:
        if self.axis != 0 and self.activation == "softmax":  # softmax over a channels_first width
            moved = activation_forward("softmax", np.moveaxis(x, self.axis, 0))
            self._y = np.ascontiguousarray(np.moveaxis(moved, 0, self.axis))
            return self._y
        out = x if self.fused else self.workspace.empty("activation", x.shape, x.dtype)
        self._y = activation_forward(self.activation, x, out=out)
        return self._y

    def backward(self, dy: Array, need_dx: bool = True) -> Array | None:
        if not need_dx:
            return None
        if self.axis != 0 and self.activation == "softmax":
            dx = activation_backward(
                "softmax", np.moveaxis(dy, self.axis, 0), np.moveaxis(self._y, self.axis, 0)
            )
            return np.ascontiguousarray(np.moveaxis(dx, 0, self.axis))
        return activation_backward(self.activation, dy, self._y, out=dy, workspace=self.workspace)


class FlattenLayer(Layer):
    """``Flatten`` in Keras' order, ``(H, W, C)`` for both data formats (an identity on vectors)."""

    def forward(self, x: Array, training: bool) -> Array:
        self._input_shape = x.shape
        return flatten_forward(x, workspace=self.workspace) if x.ndim == 4 else x

    def backward(self, dy: Array, need_dx: bool = True) -> Array | None:
        if not need_dx:
            return None
        if len(self._input_shape) != 4:  # already flat
            return dy
        return flatten_backward(dy, self._input_shape, workspace=self.workspace)


class DropoutLayer(Layer):
    """``Dropout``: inverted dropout while training, the identity otherwise."""

    def __init__(self, record: LayerRecord, context: LayerContext) -> None:
        super().__init__(record, context)
        assert isinstance(record.layer, Dropout)
        self.rate = record.layer.rate
        self.rng = context.rng
        self._mask: Array | None = None

    def forward(self, x: Array, training: bool) -> Array:
        if not training or self.rate == 0:
            self._mask = None
            return x
        y, self._mask = dropout_forward(x, self.rate, self.rng)
        return y

    def backward(self, dy: Array, need_dx: bool = True) -> Array | None:
        if not need_dx:
            return None
        return dy if self._mask is None else dropout_backward(dy, self._mask)


class BatchNormLayer(Layer):
    """``BatchNormalization`` over the channel axis (axis 0 inside, in both data formats):
    batch statistics and a moving-average update in training, moving statistics otherwise."""

    def __init__(self, record: LayerRecord, context: LayerContext) -> None:
        super().__init__(record, context)
        assert isinstance(record.layer, BatchNorm)
        self.momentum = record.layer.momentum
        self.epsilon = record.layer.epsilon

    def forward(self, x: Array, training: bool) -> Array:
        p = self.params
        if not training:
            return batch_norm_inference(
                x, p["gamma"], p["beta"], p["moving_mean"], p["moving_variance"], epsilon=self.epsilon
            )
        y, self._cache = batch_norm_train_forward(x, p["gamma"], p["beta"], epsilon=self.epsilon)
        update_moving_average(p["moving_mean"], self._cache.mean, self.momentum)
        update_moving_average(p["moving_variance"], self._cache.variance, self.momentum)
        return y

    def backward(self, dy: Array, need_dx: bool = True) -> Array | None:
        dx, dgamma, dbeta = batch_norm_backward(dy, self._cache)
        self.grads["gamma"][...] = dgamma
        self.grads["beta"][...] = dbeta
        return dx if need_dx else None


class GlobalAvgPool2DLayer(Layer):
    """``GlobalAveragePooling2D``: ``(C, H, W, N)`` → ``(C, N)``."""

    def forward(self, x: Array, training: bool) -> Array:
        self._input_shape = x.shape
        return global_avg_pool2d_forward(x)

    def backward(self, dy: Array, need_dx: bool = True) -> Array | None:
        return global_avg_pool2d_backward(dy, self._input_shape) if need_dx else None


class GlobalMaxPool2DLayer(Layer):
    """``GlobalMaxPooling2D``: ``(C, H, W, N)`` → ``(C, N)``, ties sharing the gradient."""

    def forward(self, x: Array, training: bool) -> Array:
        self._x = x
        self._y = global_max_pool2d_forward(x)
        return self._y

    def backward(self, dy: Array, need_dx: bool = True) -> Array | None:
        return global_max_pool2d_backward(dy, self._x, self._y) if need_dx else None


class ZeroPad2DLayer(Layer):
    """``ZeroPadding2D``."""

    def __init__(self, record: LayerRecord, context: LayerContext) -> None:
        super().__init__(record, context)
        self.padding = _window_padding(record.windows)

    def forward(self, x: Array, training: bool) -> Array:
        return pad2d(x, self.padding, workspace=self.workspace)

    def backward(self, dy: Array, need_dx: bool = True) -> Array | None:
        return pad2d_backward(dy, self.padding) if need_dx else None


LAYERS: dict[type[LayerBase], type[Layer]] = {
    Conv2D: Conv2DLayer,
    MaxPool2D: MaxPool2DLayer,
    AvgPool2D: AvgPool2DLayer,
    Dense: DenseLayer,
    Flatten: FlattenLayer,
    Dropout: DropoutLayer,
    Activation: ActivationLayer,
    BatchNorm: BatchNormLayer,
    GlobalAvgPool2D: GlobalAvgPool2DLayer,
    GlobalMaxPool2D: GlobalMaxPool2DLayer,
    ZeroPad2D: ZeroPad2DLayer,
}
"""The layer class of each spec class."""


def unsupported(record: LayerRecord) -> str | None:
    """What of a spec layer this backend cannot run yet, by name (``None``: it runs it all)."""
    if getattr(record.layer, "connections", None) is not None:
        return "a connections table"
    if getattr(record.layer, "noise_shape", None) is not None:
        return "dropout with a noise_shape"
    if type(record.layer) not in LAYERS:
        return record.layer.keras_class
    if isinstance(record.layer, Pool2D) and record.layer.ceil_mode:
        return f"{record.layer.keras_class} with ceil_mode"
    if isinstance(record.layer, Pool2D) and not record.layer.count_include_pad:
        return f"{record.layer.keras_class} with count_include_pad: false"
    activation = getattr(record.layer, "activation", "linear")
    return None if activation in ACTIVATIONS else f"activation {activation}"


def refuse_unsupported(record: LayerRecord) -> None:
    """Raise :class:`CnncalcError` naming what of the layer the backend cannot run."""
    missing = unsupported(record)
    if missing is not None:
        raise CnncalcError(f"the NumPy backend cannot run {missing} ({record.name}) yet")


def build_layers(record: LayerRecord, context: LayerContext) -> list[Layer]:
    """The layers that compute one spec layer: its own, then its activation if it is not linear."""
    refuse_unsupported(record)
    layers = [LAYERS[type(record.layer)](record, context)]
    if isinstance(record.layer, Conv2D | Dense) and record.layer.activation != "linear":
        layers.append(ActivationLayer(record, replace(context, params={}, grads={}), fused=True))
    return layers

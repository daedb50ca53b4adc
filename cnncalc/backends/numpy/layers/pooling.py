"""Pooling layers: ``MaxPooling2D``, ``AveragePooling2D`` and the global poolings."""

from __future__ import annotations

from cnncalc.backends.numpy.im2col import Array
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
from cnncalc.backends.numpy.layers.base import Layer, LayerContext, window_padding, windows
from cnncalc.shapes.records import LayerRecord
from cnncalc.spec.models import GlobalPool2D, Pool2D

__all__ = ["AvgPool2DLayer", "GlobalAvgPool2DLayer", "GlobalMaxPool2DLayer", "MaxPool2DLayer"]


class _Pool2DLayer(Layer):
    """Pooling windows from the record: ``same`` ignores padded cells (Keras), explicit
    padding is filled with ``padding_mode`` and pooled like real cells."""

    def __init__(self, record: LayerRecord, context: LayerContext) -> None:
        super().__init__(record, context)
        assert isinstance(record.layer, Pool2D)
        rows, cols = windows(record)
        self.pool_size = (rows.kernel, cols.kernel)
        self.strides = (rows.strides, cols.strides)
        self.padding = window_padding(record)
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


class _GlobalPool2DLayer(Layer):
    """``(C, H, W, N)`` → ``(C, N)``, or ``(C, 1, 1, N)`` with ``keepdims``."""

    def __init__(self, record: LayerRecord, context: LayerContext) -> None:
        super().__init__(record, context)
        assert isinstance(record.layer, GlobalPool2D)
        self.keepdims = record.layer.keepdims

    def _kept(self, y: Array) -> Array:
        return y[:, None, None, :] if self.keepdims else y

    def _flat(self, dy: Array) -> Array:
        return dy[:, 0, 0, :] if self.keepdims else dy


class GlobalAvgPool2DLayer(_GlobalPool2DLayer):
    """``GlobalAveragePooling2D``."""

    def forward(self, x: Array, training: bool) -> Array:
        self._input_shape = x.shape
        return self._kept(global_avg_pool2d_forward(x))

    def backward(self, dy: Array, need_dx: bool = True) -> Array | None:
        return global_avg_pool2d_backward(self._flat(dy), self._input_shape) if need_dx else None


class GlobalMaxPool2DLayer(_GlobalPool2DLayer):
    """``GlobalMaxPooling2D``, ties sharing the gradient."""

    def forward(self, x: Array, training: bool) -> Array:
        self._x = x
        self._y = global_max_pool2d_forward(x)
        return self._kept(self._y)

    def backward(self, dy: Array, need_dx: bool = True) -> Array | None:
        return global_max_pool2d_backward(self._flat(dy), self._x, self._y) if need_dx else None

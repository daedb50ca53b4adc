"""Layers that move values: ``Flatten``, ``Reshape``, ``ZeroPadding2D``, ``Cropping2D``,
``UpSampling2D``."""

from __future__ import annotations

from typing import Any

import numpy as np

from cnncalc.backends.numpy.im2col import Array, pad2d, pad2d_backward
from cnncalc.backends.numpy.kernels.reshape import (
    bilinear_matrix,
    crop2d_backward,
    crop2d_forward,
    flatten_backward,
    flatten_forward,
    flatten_order,
    reshape_forward,
    upsample2d_backward,
    upsample2d_forward,
)
from cnncalc.backends.numpy.layers.base import Layer, LayerContext, input_shape, output_shape, window_padding
from cnncalc.shapes.inference import feature_map
from cnncalc.shapes.records import LayerRecord
from cnncalc.spec.models import Cropping2D, UpSampling2D

__all__ = ["Cropping2DLayer", "FlattenLayer", "ReshapeLayer", "UpSampling2DLayer", "ZeroPad2DLayer"]


class FlattenLayer(Layer):
    """``Flatten`` in Keras' order (see :func:`flatten_order`); a vector is left as it is."""

    def __init__(self, record: LayerRecord, context: LayerContext) -> None:
        super().__init__(record, context)
        rank = len(input_shape(record))
        self.order = None if rank == 1 else flatten_order(rank, context.data_format)

    def forward(self, x: Array, training: bool) -> Array:
        self._input_shape = x.shape
        return x if self.order is None else flatten_forward(x, self.order, workspace=self.workspace)

    def backward(self, dy: Array, need_dx: bool = True) -> Array | None:
        if not need_dx or self.order is None:
            return dy if need_dx else None
        return flatten_backward(dy, self._input_shape, self.order, workspace=self.workspace)


class ReshapeLayer(Layer):
    """``Reshape``: each sample's values in public row-major order, in the target shape."""

    def __init__(self, record: LayerRecord, context: LayerContext) -> None:
        super().__init__(record, context)
        self.input_shape = input_shape(record)
        self.output_shape = output_shape(record)

    def forward(self, x: Array, training: bool) -> Array:
        return reshape_forward(x, self.output_shape, self.data_format, workspace=self.workspace)

    def backward(self, dy: Array, need_dx: bool = True) -> Array | None:
        if not need_dx:
            return None
        return reshape_forward(dy, self.input_shape, self.data_format, workspace=self.workspace, name="back")


class ZeroPad2DLayer(Layer):
    """``ZeroPadding2D``."""

    def __init__(self, record: LayerRecord, context: LayerContext) -> None:
        super().__init__(record, context)
        self.padding = window_padding(record)

    def forward(self, x: Array, training: bool) -> Array:
        return pad2d(x, self.padding, workspace=self.workspace)

    def backward(self, dy: Array, need_dx: bool = True) -> Array | None:
        return pad2d_backward(dy, self.padding) if need_dx else None


class Cropping2DLayer(Layer):
    """``Cropping2D``."""

    def __init__(self, record: LayerRecord, context: LayerContext) -> None:
        super().__init__(record, context)
        assert isinstance(record.layer, Cropping2D)
        self.cropping = record.layer.cropping

    def forward(self, x: Array, training: bool) -> Array:
        self._input_shape = x.shape
        return crop2d_forward(x, self.cropping, workspace=self.workspace)

    def backward(self, dy: Array, need_dx: bool = True) -> Array | None:
        if not need_dx:
            return None
        return crop2d_backward(dy, self.cropping, self._input_shape, workspace=self.workspace)


class UpSampling2DLayer(Layer):
    """``UpSampling2D``: ``nearest`` repeats cells, ``bilinear`` interpolates as TensorFlow's
    resize with half-pixel centres (one small matrix per axis)."""

    def __init__(self, record: LayerRecord, context: LayerContext) -> None:
        super().__init__(record, context)
        layer = record.layer
        assert isinstance(layer, UpSampling2D)
        self.size = layer.size
        height, width, _ = feature_map(layer, input_shape(record), context.data_format)
        self.sizes = (height, width)
        self.bilinear = layer.interpolation == "bilinear"
        self._matrices: tuple[Array, Array] | None = None

    def _interpolation(self, dtype: np.dtype[Any]) -> tuple[Array, Array] | None:
        if not self.bilinear:
            return None
        if self._matrices is None or self._matrices[0].dtype != dtype:
            self._matrices = (
                bilinear_matrix(self.sizes[0], self.size[0], dtype),
                bilinear_matrix(self.sizes[1], self.size[1], dtype),
            )
        return self._matrices

    def forward(self, x: Array, training: bool) -> Array:
        return upsample2d_forward(x, self.size, self._interpolation(x.dtype), workspace=self.workspace)

    def backward(self, dy: Array, need_dx: bool = True) -> Array | None:
        if not need_dx:
            return None
        return upsample2d_backward(dy, self.size, self._interpolation(dy.dtype), workspace=self.workspace)

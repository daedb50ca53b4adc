"""Convolution layers: ``Conv2D``, ``DepthwiseConv2D``, ``SeparableConv2D``, ``Conv2DTranspose``."""

from __future__ import annotations

from typing import Any

import numpy as np

from cnncalc.backends.numpy.im2col import Array
from cnncalc.backends.numpy.kernels.conv import (
    Conv2DCache,
    conv2d_backward,
    conv2d_forward,
    conv2d_transpose_backward,
    conv2d_transpose_forward,
    depthwise_conv2d_forward,
)
from cnncalc.backends.numpy.kernels.dense import dense_backward, dense_forward
from cnncalc.backends.numpy.layers.base import Layer, LayerContext, output_shape, window_padding, windows
from cnncalc.shapes.inference import feature_map
from cnncalc.shapes.records import LayerRecord
from cnncalc.spec.models import Conv2D, Conv2DTranspose, ConvLayer, SeparableConv2D

__all__ = ["Conv2DLayer", "Conv2DTransposeLayer", "DepthwiseConv2DLayer", "SeparableConv2DLayer"]


class _WindowedConv(Layer):
    """Padding (resolved split, ``padding_mode``), strides and dilation from the record."""

    def __init__(self, record: LayerRecord, context: LayerContext) -> None:
        super().__init__(record, context)
        assert isinstance(record.layer, ConvLayer)
        rows, cols = windows(record)
        self.padding = window_padding(record)
        self.pad_mode = record.layer.padding_mode
        self.strides = (rows.strides, cols.strides)
        self.dilation = (rows.dilation, cols.dilation)

    def _store(self, name: str, gradient: Array) -> None:
        if name in self.grads:
            self.grads[name][...] = gradient.reshape(self.grads[name].shape)

    def _windows(self) -> dict[str, Any]:
        """The window and buffer arguments of this layer's convolution kernels."""
        return {
            "strides": self.strides,
            "dilation": self.dilation,
            "padding": self.padding,
            "pad_mode": self.pad_mode,
            "workspace": self.workspace,
            "scratch": self.scratch,
            "split": self.split,
        }

    def _conv_backward(
        self, dy: Array, cache: Conv2DCache, need_dx: bool
    ) -> tuple[Array | None, Array, Array]:
        """``dx``, ``dkernel`` and ``dbias`` of a convolution this layer ran forward."""
        return conv2d_backward(
            dy, cache, need_dx=need_dx, workspace=self.workspace, scratch=self.scratch, split=self.split
        )


class Conv2DLayer(_WindowedConv):
    """``Conv2D``: pad, then a valid convolution (grouped if ``groups``)."""

    def __init__(self, record: LayerRecord, context: LayerContext) -> None:
        super().__init__(record, context)
        assert isinstance(record.layer, Conv2D)
        self.groups = record.layer.groups

    def forward(self, x: Array, training: bool) -> Array:
        y, self._cache = conv2d_forward(
            x, self.params["kernel"], self.params.get("bias"), groups=self.groups, **self._windows()
        )
        return y

    def backward(self, dy: Array, need_dx: bool = True) -> Array | None:
        dx, dkernel, dbias = self._conv_backward(dy, self._cache, need_dx)
        self._store("kernel", dkernel)
        self._store("bias", dbias)
        return dx


class DepthwiseConv2DLayer(_WindowedConv):
    """``DepthwiseConv2D``: a grouped convolution with one group per input channel."""

    def forward(self, x: Array, training: bool) -> Array:
        y, self._cache = depthwise_conv2d_forward(
            x, self.params["kernel"], self.params.get("bias"), **self._windows()
        )
        return y

    def backward(self, dy: Array, need_dx: bool = True) -> Array | None:
        dx, dkernel, dbias = self._conv_backward(dy, self._cache, need_dx)
        self._store("kernel", dkernel)  # (kh, kw, 1, C·m) is (kh, kw, C, m) reshaped
        self._store("bias", dbias)
        return dx


class SeparableConv2DLayer(_WindowedConv):
    """``SeparableConv2D``: a depthwise convolution (no bias), then a 1×1 one on the channels with
    the bias: ``depthwise_kernel (kh, kw, C, m)``, ``pointwise_kernel (1, 1, C·m, F)``."""

    def __init__(self, record: LayerRecord, context: LayerContext) -> None:
        super().__init__(record, context)
        assert isinstance(record.layer, SeparableConv2D)
        self.filters = record.layer.filters

    def forward(self, x: Array, training: bool) -> Array:
        depthwise, self._depthwise = depthwise_conv2d_forward(
            x, self.params["depthwise_kernel"], None, **self._windows()
        )
        pointwise = self.params["pointwise_kernel"]
        y, self._pointwise = dense_forward(
            depthwise,
            pointwise.reshape(pointwise.shape[2:]),
            self.params.get("bias"),
            workspace=self.workspace,
        )
        return y

    def backward(self, dy: Array, need_dx: bool = True) -> Array | None:
        ddepthwise, dpointwise, dbias = dense_backward(dy, self._pointwise, workspace=self.workspace)
        self._store("pointwise_kernel", dpointwise)
        self._store("bias", dbias)
        assert ddepthwise is not None
        dx, dkernel, _ = self._conv_backward(ddepthwise, self._depthwise, need_dx)
        self._store("depthwise_kernel", dkernel)
        return dx


class Conv2DTransposeLayer(Layer):
    """``Conv2DTranspose``: Keras 3's output size from the record, TensorFlow's cropping."""

    def __init__(self, record: LayerRecord, context: LayerContext) -> None:
        super().__init__(record, context)
        layer = record.layer
        assert isinstance(layer, Conv2DTranspose)
        height, width, _ = feature_map(layer, output_shape(record), context.data_format)
        self.output_size = (height, width)
        self.strides = layer.strides
        self.dilation = layer.dilation_rate
        self.same = layer.padding == "same"

    def forward(self, x: Array, training: bool) -> Array:
        y, self._cache = conv2d_transpose_forward(
            x,
            self.params["kernel"],
            self.params.get("bias"),
            self.output_size,
            strides=self.strides,
            dilation=self.dilation,
            same=self.same,
            workspace=self.workspace,
        )
        return y

    def backward(self, dy: Array, need_dx: bool = True) -> Array | None:
        dx, dkernel, dbias = conv2d_transpose_backward(
            dy, self._cache, need_dx=need_dx, workspace=self.workspace
        )
        self.grads["kernel"][...] = dkernel
        if "bias" in self.grads:
            self.grads["bias"][...] = np.asarray(dbias)
        return dx

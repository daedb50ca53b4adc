"""Normalisation layers: ``BatchNormalization``, ``LayerNormalization``, ``Normalization``."""

from __future__ import annotations

import math

import numpy as np

from cnncalc.backends.numpy.im2col import Array
from cnncalc.backends.numpy.kernels.layout import internal_axis
from cnncalc.backends.numpy.kernels.normalization import (
    batch_norm_backward,
    batch_norm_inference,
    batch_norm_train_forward,
    layer_norm_backward,
    layer_norm_forward,
    normalization_backward,
    normalization_forward,
    update_moving_average,
)
from cnncalc.backends.numpy.layers.base import Layer, LayerContext, as_internal, input_shape
from cnncalc.shapes.inference import keras_axes
from cnncalc.shapes.records import LayerRecord, Shape
from cnncalc.spec.models import BatchNorm, LayerNorm, Normalization

__all__ = ["BatchNormLayer", "LayerNormLayer", "NormalizationLayer"]


class BatchNormLayer(Layer):
    """``BatchNormalization`` over the channel axis (axis 0 inside, in both data formats):
    batch statistics and a moving-average update in training, moving statistics otherwise.
    Without ``scale`` γ is 1, without ``center`` β is 0 (neither is a weight then)."""

    def __init__(self, record: LayerRecord, context: LayerContext) -> None:
        super().__init__(record, context)
        assert isinstance(record.layer, BatchNorm)
        self.momentum = record.layer.momentum
        self.epsilon = record.layer.epsilon
        channels = self.params["moving_mean"].shape
        dtype = self.params["moving_mean"].dtype
        self.gamma = self.params.get("gamma", np.ones(channels, dtype))
        self.beta = self.params.get("beta", np.zeros(channels, dtype))

    def forward(self, x: Array, training: bool) -> Array:
        p = self.params
        if not training:
            return batch_norm_inference(
                x,
                self.gamma,
                self.beta,
                p["moving_mean"],
                p["moving_variance"],
                epsilon=self.epsilon,
                workspace=self.workspace,
                split=self.split,
            )
        y, self._cache = batch_norm_train_forward(
            x, self.gamma, self.beta, epsilon=self.epsilon, workspace=self.workspace, split=self.split
        )
        update_moving_average(p["moving_mean"], self._cache.mean, self.momentum)
        update_moving_average(p["moving_variance"], self._cache.variance, self.momentum)
        return y

    def backward(self, dy: Array, need_dx: bool = True) -> Array | None:
        dx, dgamma, dbeta = batch_norm_backward(dy, self._cache, workspace=self.workspace, split=self.split)
        for name, gradient in (("gamma", dgamma), ("beta", dbeta)):
            if name in self.grads:
                self.grads[name][...] = gradient
        return dx if need_dx else None


def _weight_shape(shape: Shape, axes: tuple[int, ...]) -> Shape:
    """A public ``shape`` with 1 along every axis but ``axes``."""
    return tuple(size if axis in axes else 1 for axis, size in enumerate(shape))


class LayerNormLayer(Layer):
    """``LayerNormalization`` of each sample over ``axis`` (public axes, Keras' count); γ and β run
    along those axes (Keras reshapes them onto the input's axes, in the axes' order)."""

    def __init__(self, record: LayerRecord, context: LayerContext) -> None:
        super().__init__(record, context)
        layer = record.layer
        assert isinstance(layer, LayerNorm)
        shape = input_shape(record)
        axes = tuple(sorted(keras_axes(layer, layer.axis, shape)))
        self.axes = tuple(internal_axis(axis, len(shape), context.data_format) for axis in axes)
        self.epsilon = layer.epsilon
        self.rms_scaling = layer.rms_scaling
        public = _weight_shape(shape, axes)
        self.weights = {
            name: as_internal(value, public, context.data_format) for name, value in self.params.items()
        }
        self.weight_grads = {
            name: as_internal(value, public, context.data_format) for name, value in self.grads.items()
        }

    def forward(self, x: Array, training: bool) -> Array:
        y, self._cache = layer_norm_forward(
            x,
            self.weights.get("gamma"),
            self.weights.get("beta"),
            self.axes,
            epsilon=self.epsilon,
            rms_scaling=self.rms_scaling,
        )
        return y

    def backward(self, dy: Array, need_dx: bool = True) -> Array | None:
        dx, dgamma, dbeta = layer_norm_backward(dy, self._cache)
        for name, gradient in (("gamma", dgamma), ("beta", dbeta)):
            if gradient is not None:
                self.weight_grads[name][...] = gradient
        return dx if need_dx else None


class NormalizationLayer(Layer):
    """``Normalization`` with a fixed mean and variance: given in the spec, or the layer's
    non-trainable ``mean`` and ``variance`` weights (which Keras' ``adapt`` sets), per value of
    the kept axes."""

    def __init__(self, record: LayerRecord, context: LayerContext) -> None:
        super().__init__(record, context)
        layer = record.layer
        assert isinstance(layer, Normalization)
        shape = input_shape(record)
        axes = () if layer.axis is None else tuple(sorted(keras_axes(layer, layer.axis, shape)))
        public = _weight_shape(shape, axes)
        self.invert = layer.invert
        if layer.mean is not None and layer.variance is not None:
            given = [np.asarray(values) for values in (layer.mean, layer.variance)]
            kept = math.prod(public)
            mean, variance = (
                values if values.size == kept else np.broadcast_to(values, kept) for values in given
            )
        else:
            mean, variance = self.params["mean"], self.params["variance"]
        self.mean = as_internal(mean, public, context.data_format)
        self.variance = as_internal(variance, public, context.data_format)

    def forward(self, x: Array, training: bool) -> Array:
        return normalization_forward(x, self.mean, self.variance, invert=self.invert)

    def backward(self, dy: Array, need_dx: bool = True) -> Array | None:
        return normalization_backward(dy, self.variance, invert=self.invert) if need_dx else None

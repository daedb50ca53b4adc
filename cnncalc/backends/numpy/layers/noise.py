"""Layers that are random in training and the identity otherwise: ``Dropout``, ``SpatialDropout2D``,
``GaussianNoise``."""

from __future__ import annotations

from cnncalc.backends.numpy.im2col import Array
from cnncalc.backends.numpy.kernels.dropout import dropout_backward, dropout_forward, gaussian_noise_forward
from cnncalc.backends.numpy.layers.base import LayerContext, RandomLayer
from cnncalc.shapes.records import LayerRecord
from cnncalc.spec.models import Dropout, GaussianNoise, SpatialDropout2D

__all__ = ["DropoutLayer", "GaussianNoiseLayer", "SpatialDropout2DLayer"]


class DropoutLayer(RandomLayer):
    """``Dropout``: inverted dropout while training, the identity otherwise."""

    def __init__(self, record: LayerRecord, context: LayerContext) -> None:
        super().__init__(record, context)
        assert isinstance(record.layer, Dropout | SpatialDropout2D)
        self.rate = record.layer.rate
        self._mask: Array | None = None

    def mask_shape(self, x: Array) -> tuple[int, ...]:
        """One draw per value."""
        return x.shape

    def forward(self, x: Array, training: bool) -> Array:
        if not training or self.rate == 0:
            self._mask = None
            return x
        y, self._mask = dropout_forward(x, self.rate, self.rng, self.mask_shape(x))
        return y

    def backward(self, dy: Array, need_dx: bool = True) -> Array | None:
        if not need_dx:
            return None
        return dy if self._mask is None else dropout_backward(dy, self._mask)


class SpatialDropout2DLayer(DropoutLayer):
    """``SpatialDropout2D``: whole channels of each sample dropped, ``(C, 1, 1, N)`` draws."""

    def mask_shape(self, x: Array) -> tuple[int, ...]:
        channels, _, _, batch = x.shape
        return (channels, 1, 1, batch)


class GaussianNoiseLayer(RandomLayer):
    """``GaussianNoise``: normal noise of ``stddev`` added while training."""

    def __init__(self, record: LayerRecord, context: LayerContext) -> None:
        super().__init__(record, context)
        assert isinstance(record.layer, GaussianNoise)
        self.stddev = record.layer.stddev

    def forward(self, x: Array, training: bool) -> Array:
        if not training or self.stddev == 0:
            return x
        return gaussian_noise_forward(x, self.stddev, self.rng)

    def backward(self, dy: Array, need_dx: bool = True) -> Array | None:
        return dy if need_dx else None

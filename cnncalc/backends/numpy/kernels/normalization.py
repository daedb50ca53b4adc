"""Normalisation: batch norm with batch statistics in training, moving ones in inference."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnncalc.backends.numpy.im2col import Array


@dataclass(frozen=True, slots=True)
class BatchNormCache:
    x_hat: Array
    """Normalised input, same shape as x."""
    inv_std: Array
    """``1 / sqrt(batch_variance + epsilon)``, ``(C,)``."""
    gamma: Array
    mean: Array
    """Batch mean, ``(C,)``."""
    variance: Array
    """Biased batch variance, ``(C,)`` — what Keras 3 feeds its moving variance."""


def _channel_column(v: Array, ndim: int) -> Array:
    return v.reshape(-1, *([1] * (ndim - 1)))


def batch_norm_train_forward(
    x: Array, gamma: Array, beta: Array, *, epsilon: float = 1e-3
) -> tuple[Array, BatchNormCache]:
    """Batch normalisation with batch statistics over every axis but the channel axis 0.

    x: ``(C, N)`` or ``(C, H, W, N)``; gamma, beta ``(C,)``. Returns y (shape of x) and the
    cache, which holds the batch mean and biased variance for :func:`update_moving_average`.
    """
    flat = x.reshape(x.shape[0], -1)
    mean = flat.mean(axis=1)
    centred = flat - mean[:, np.newaxis]
    variance = np.mean(np.square(centred), axis=1)
    inv_std = 1.0 / np.sqrt(variance + epsilon)
    x_hat = (centred * inv_std[:, np.newaxis]).reshape(x.shape)
    y = x_hat * _channel_column(gamma, x.ndim) + _channel_column(beta, x.ndim)
    cache = BatchNormCache(x_hat=x_hat, inv_std=inv_std, gamma=gamma, mean=mean, variance=variance)
    return y, cache


def update_moving_average(moving: Array, batch_value: Array, momentum: float) -> None:
    """In place, as Keras: ``moving = moving * momentum + batch_value * (1 - momentum)``."""
    moving *= momentum
    moving += batch_value * (1.0 - momentum)


def batch_norm_inference(
    x: Array,
    gamma: Array,
    beta: Array,
    moving_mean: Array,
    moving_variance: Array,
    *,
    epsilon: float = 1e-3,
) -> Array:
    """Batch normalisation with the moving statistics. x: ``(C, ...)``, vectors ``(C,)``."""
    scale = gamma / np.sqrt(moving_variance + epsilon)
    shift = beta - moving_mean * scale
    y: Array = x * _channel_column(scale, x.ndim) + _channel_column(shift, x.ndim)
    return y


def batch_norm_backward(dy: Array, cache: BatchNormCache) -> tuple[Array, Array, Array]:
    """Gradient of :func:`batch_norm_train_forward`: ``(dx, dgamma, dbeta)``."""
    channels = dy.shape[0]
    dy_flat = dy.reshape(channels, -1)
    x_hat = cache.x_hat.reshape(channels, -1)
    count = dy_flat.shape[1]
    dbeta = dy_flat.sum(axis=1)
    dgamma = np.einsum("cm,cm->c", dy_flat, x_hat)
    scale = (cache.gamma * cache.inv_std / count)[:, np.newaxis]
    dx = scale * (count * dy_flat - dbeta[:, np.newaxis] - x_hat * dgamma[:, np.newaxis])
    return dx.reshape(dy.shape), dgamma, dbeta

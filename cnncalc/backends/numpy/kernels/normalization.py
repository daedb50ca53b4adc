"""Normalisation: batch norm (batch statistics in training, moving ones in inference), layer norm
(each sample over some axes) and fixed normalisation (a given mean and variance)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnncalc.backends.numpy.im2col import Array, Split, Workspace, empty_from, parts, serial


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


def batch_norm_train_forward(
    x: Array,
    gamma: Array,
    beta: Array,
    *,
    epsilon: float = 1e-3,
    workspace: Workspace | None = None,
    split: Split = serial,
) -> tuple[Array, BatchNormCache]:
    """Batch normalisation with batch statistics over every axis but the channel axis 0.

    x: ``(C, N)`` or ``(C, H, W, N)``; gamma, beta ``(C,)``. Returns y (shape of x) and the
    cache, which holds the batch mean and biased variance for :func:`update_moving_average`.
    A piece of the channels per task of ``split``.
    """
    channels = x.shape[0]
    flat = x.reshape(channels, -1)
    mean, variance, inv_std = (np.empty(channels, x.dtype) for _ in range(3))
    x_hat = empty_from(workspace, "x_hat", x.shape, x.dtype)
    y = empty_from(workspace, "bn_y", x.shape, x.dtype)
    normalised, scaled = x_hat.reshape(channels, -1), y.reshape(channels, -1)
    pieces = parts(channels)

    def normalise(part: int) -> None:
        rows = slice(pieces[part].start, pieces[part].stop)
        mean[rows] = flat[rows].mean(axis=1)
        np.subtract(flat[rows], mean[rows, np.newaxis], out=normalised[rows])
        variance[rows] = np.mean(np.square(normalised[rows]), axis=1)
        inv_std[rows] = 1.0 / np.sqrt(variance[rows] + epsilon)
        normalised[rows] *= inv_std[rows, np.newaxis]
        np.multiply(normalised[rows], gamma[rows, np.newaxis], out=scaled[rows])
        scaled[rows] += beta[rows, np.newaxis]

    split(normalise, len(pieces))
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
    workspace: Workspace | None = None,
    split: Split = serial,
) -> Array:
    """Batch normalisation with the moving statistics. x: ``(C, ...)``, vectors ``(C,)``."""
    scale = gamma / np.sqrt(moving_variance + epsilon)
    shift = beta - moving_mean * scale
    channels = x.shape[0]
    flat = x.reshape(channels, -1)
    y = empty_from(workspace, "bn_y", x.shape, x.dtype)
    scaled = y.reshape(channels, -1)
    pieces = parts(channels)

    def normalise(part: int) -> None:
        rows = slice(pieces[part].start, pieces[part].stop)
        np.multiply(flat[rows], scale[rows, np.newaxis], out=scaled[rows])
        scaled[rows] += shift[rows, np.newaxis]

    split(normalise, len(pieces))
    return y


def batch_norm_backward(
    dy: Array, cache: BatchNormCache, *, workspace: Workspace | None = None, split: Split = serial
) -> tuple[Array, Array, Array]:
    """Gradient of :func:`batch_norm_train_forward`: ``(dx, dgamma, dbeta)``."""
    channels = dy.shape[0]
    dy_flat = dy.reshape(channels, -1)
    x_hat = cache.x_hat.reshape(channels, -1)
    count = dy_flat.shape[1]
    dbeta, dgamma = np.empty(channels, dy.dtype), np.empty(channels, dy.dtype)
    dx = empty_from(workspace, "bn_dx", dy.shape, dy.dtype)
    gradient = dx.reshape(channels, -1)
    pieces = parts(channels)

    def differentiate(part: int) -> None:
        rows = slice(pieces[part].start, pieces[part].stop)
        dbeta[rows] = dy_flat[rows].sum(axis=1)
        dgamma[rows] = np.einsum("cm,cm->c", dy_flat[rows], x_hat[rows])
        np.multiply(dy_flat[rows], count, out=gradient[rows])
        gradient[rows] -= dbeta[rows, np.newaxis]
        gradient[rows] -= x_hat[rows] * dgamma[rows, np.newaxis]
        gradient[rows] *= (cache.gamma[rows] * cache.inv_std[rows] / count)[:, np.newaxis]

    split(differentiate, len(pieces))
    return dx, dgamma, dbeta


# --------------------------------------------------------------------------- layer norm


@dataclass(frozen=True, slots=True)
class LayerNormCache:
    x: Array
    centred: Array
    """``x − mean`` over the normalised axes."""
    inv_std: Array
    """``1 / sqrt(variance + epsilon)``, size 1 along the normalised axes."""
    gamma: Array | None
    beta_shape: tuple[int, ...] | None
    axes: tuple[int, ...]
    rms_scaling: bool


def layer_norm_forward(
    x: Array,
    gamma: Array | None,
    beta: Array | None,
    axes: tuple[int, ...],
    *,
    epsilon: float = 1e-3,
    rms_scaling: bool = False,
) -> tuple[Array, LayerNormCache]:
    """Normalise every sample over ``axes`` (never the batch axis), as Keras 3's
    ``layer_normalization``: ``(x − mean) / sqrt(variance + ε) · γ + β``, or with ``rms_scaling``
    ``x / sqrt(variance + ε) · γ`` (Keras divides by the standard deviation there too, without
    centring ``x``). ``gamma`` and ``beta`` broadcast against ``x`` (or are None)."""
    mean = x.mean(axis=axes, keepdims=True)
    centred = x - mean
    inv_std = 1.0 / np.sqrt(np.mean(np.square(centred), axis=axes, keepdims=True) + epsilon)
    y: Array = (x if rms_scaling else centred) * inv_std
    if gamma is not None:
        y *= gamma
    if beta is not None and not rms_scaling:
        y += beta
    beta_shape = None if beta is None or rms_scaling else beta.shape
    return y, LayerNormCache(x, centred, inv_std, gamma, beta_shape, axes, rms_scaling)


def layer_norm_backward(dy: Array, cache: LayerNormCache) -> tuple[Array, Array | None, Array | None]:
    """Gradients of :func:`layer_norm_forward`: ``(dx, dgamma, dbeta)``, dgamma and dbeta summed
    down to the shapes of gamma and beta (None for those the layer has not)."""
    axes, inv_std = cache.axes, cache.inv_std
    normalised = (cache.x if cache.rms_scaling else cache.centred) * inv_std
    scaled = dy if cache.gamma is None else dy * cache.gamma
    if cache.rms_scaling:
        # y = x·s·γ with s = (var + ε)^(-1/2): ds/dx = −s³ (x − mean) / n.
        count = np.prod([dy.shape[axis] for axis in axes])
        dot = np.sum(scaled * cache.x, axis=axes, keepdims=True)
        dx: Array = scaled * inv_std - inv_std**3 * cache.centred * dot / count
    else:
        dx = inv_std * (
            scaled
            - scaled.mean(axis=axes, keepdims=True)
            - normalised * np.mean(scaled * normalised, axis=axes, keepdims=True)
        )
    dgamma = None if cache.gamma is None else _sum_to(dy * normalised, cache.gamma.shape)
    dbeta = None if cache.beta_shape is None else _sum_to(dy, cache.beta_shape)
    return dx, dgamma, dbeta


def _sum_to(values: Array, shape: tuple[int, ...]) -> Array:
    """``values`` summed over the axes where ``shape`` has size 1 (keeping them)."""
    axes = tuple(axis for axis, size in enumerate(shape) if size == 1 and values.shape[axis] != 1)
    summed: Array = values.sum(axis=axes, keepdims=True)
    return summed


# --------------------------------------------------------------------------- fixed normalisation

KERAS_EPSILON = 1e-7
"""``keras.backend.epsilon()``: the smallest standard deviation Keras' ``Normalization`` divides by."""


def normalization_scale(variance: Array) -> Array:
    """``max(sqrt(variance), ε)``: what Keras' ``Normalization`` divides by (or multiplies by
    with ``invert``)."""
    scale: Array = np.maximum(np.sqrt(variance), KERAS_EPSILON)
    return scale


def normalization_forward(x: Array, mean: Array, variance: Array, *, invert: bool = False) -> Array:
    """``(x − mean) / max(sqrt(variance), ε)``, or with ``invert`` ``mean + x · max(sqrt(variance),
    ε)``, as Keras' ``Normalization``; ``mean`` and ``variance`` broadcast against ``x``."""
    scale = normalization_scale(variance)
    y: Array = (mean + x * scale) if invert else (x - mean) / scale
    return y.astype(x.dtype, copy=False)


def normalization_backward(dy: Array, variance: Array, *, invert: bool = False) -> Array:
    """Gradient of :func:`normalization_forward` (its mean and variance are not trained)."""
    scale = normalization_scale(variance)
    dx: Array = dy * scale if invert else dy / scale
    return dx.astype(dy.dtype, copy=False)

"""Noise in training: inverted dropout (of single values or whole channels) and Gaussian noise;
the identity otherwise."""

from __future__ import annotations

import numpy as np

from cnncalc.backends.numpy.im2col import Array, Shape


def dropout_forward(
    x: Array, rate: float, rng: np.random.Generator, mask_shape: Shape | None = None
) -> tuple[Array, Array]:
    """Inverted dropout for training: keep each cell with probability ``1 - rate``, scaled.

    Returns ``(y, mask)`` where ``mask`` holds ``0`` or ``1 / (1 - rate)`` and ``y = x * mask``.
    ``mask_shape`` (size 1 along the axes a draw is shared by, as Keras' ``noise_shape``) drops
    whole channels: ``(C, 1, 1, N)`` for ``SpatialDropout2D``. (At inference dropout is the
    identity: do not call this.)
    """
    if not 0.0 <= rate < 1.0:
        raise ValueError(f"dropout rate must be in [0, 1), got {rate}")
    dtype = np.float64 if x.dtype == np.float64 else np.float32
    mask = rng.random(x.shape if mask_shape is None else mask_shape, dtype=dtype)
    np.multiply(mask >= rate, 1.0 / (1.0 - rate), out=mask)
    return x * mask, mask


def dropout_backward(dy: Array, mask: Array) -> Array:
    """dy → ``dy * mask`` (shape of dy)."""
    dx: Array = dy * mask
    return dx


def gaussian_noise_forward(x: Array, stddev: float, rng: np.random.Generator) -> Array:
    """``x`` plus zero-mean normal noise of standard deviation ``stddev`` (``GaussianNoise`` in
    training); its gradient is ``dy`` itself."""
    noise = rng.standard_normal(x.shape, dtype=np.float64 if x.dtype == np.float64 else np.float32)
    noise *= stddev
    noise += x
    return noise

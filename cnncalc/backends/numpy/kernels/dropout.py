"""Dropout: inverted dropout in training, the identity otherwise."""

from __future__ import annotations

import numpy as np

from cnncalc.backends.numpy.im2col import Array


def dropout_forward(x: Array, rate: float, rng: np.random.Generator) -> tuple[Array, Array]:
    """Inverted dropout for training: keep each cell with probability ``1 - rate``, scaled.

    Returns ``(y, mask)`` where ``mask`` holds ``0`` or ``1 / (1 - rate)`` and ``y = x * mask``.
    (At inference dropout is the identity: do not call this.)
    """
    if not 0.0 <= rate < 1.0:
        raise ValueError(f"dropout rate must be in [0, 1), got {rate}")
    dtype = np.float64 if x.dtype == np.float64 else np.float32
    mask = rng.random(x.shape, dtype=dtype)
    np.multiply(mask >= rate, 1.0 / (1.0 - rate), out=mask)
    return x * mask, mask


def dropout_backward(dy: Array, mask: Array) -> Array:
    """dy → ``dy * mask`` (shape of dy)."""
    dx: Array = dy * mask
    return dx

"""Initialisers: Keras' defaults for kernels, biases and batch norm vectors."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from cnncalc.backends.numpy.im2col import Array, Shape


def compute_fans(shape: Shape) -> tuple[int, int]:
    """``(fan_in, fan_out)`` as Keras computes them.

    Dense ``(fan_in, units)``; conv ``(kh, kw, C_in / groups, F)`` → receptive field times
    channels: ``kh * kw * C_in / groups`` and ``kh * kw * F``.

    >>> compute_fans((5, 5, 6, 16))
    (150, 400)
    """
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive_field = math.prod(shape[:-2])
    return shape[-2] * receptive_field, shape[-1] * receptive_field


def glorot_uniform(shape: Shape, rng: np.random.Generator, dtype: npt.DTypeLike = np.float32) -> Array:
    """Uniform on ``[-limit, limit]``, ``limit = sqrt(6 / (fan_in + fan_out))`` (Keras)."""
    fan_in, fan_out = compute_fans(shape)
    limit = math.sqrt(3.0 / max(1.0, (fan_in + fan_out) / 2.0))
    values: Array = rng.uniform(-limit, limit, size=shape).astype(dtype)
    return values


def zeros(shape: Shape, dtype: npt.DTypeLike = np.float32) -> Array:
    values: Array = np.zeros(shape, dtype=dtype)
    return values


def ones(shape: Shape, dtype: npt.DTypeLike = np.float32) -> Array:
    values: Array = np.ones(shape, dtype=dtype)
    return values

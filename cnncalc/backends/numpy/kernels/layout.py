"""The backend's layout at the model's edges: public ``(N, ..., C)`` ↔ internal ``(C, ..., N)``."""

from __future__ import annotations

import numpy as np

from cnncalc.backends.numpy.im2col import Array


def to_internal(x: Array) -> Array:
    """Public ``(N, ..., C)`` → internal ``(C, ..., N)``, contiguous (one copy).

    >>> to_internal(np.zeros((128, 28, 28, 1), np.float32)).shape
    (1, 28, 28, 128)
    """
    if x.ndim < 2:
        raise ValueError(f"expected a batch of rank >= 2, got shape {x.shape}")
    return np.ascontiguousarray(np.swapaxes(x, 0, -1))


def to_public(x: Array) -> Array:
    """Internal ``(C, ..., N)`` → public ``(N, ..., C)``, contiguous (one copy)."""
    return to_internal(x)

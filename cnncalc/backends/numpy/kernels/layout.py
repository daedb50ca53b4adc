"""The backend's layout: where each public axis lives inside, and conversions at the model's edges.

A public batch ``(N, *shape)`` (Keras' layout, batch first) is stored inside with the batch axis
last and the channels first: ``(C, H, W, N)`` for a feature map in either data format, and for
any other rank the batch and the last axis swapped: ``(F, N)``, ``(B, A, N)``, ... The layout
depends only on the rank and the data format, so every layer knows where a public axis is.
"""

from __future__ import annotations

import numpy as np

from cnncalc.backends.numpy.im2col import Array
from cnncalc.spec.fields import DataFormat

__all__ = [
    "broadcast_view",
    "internal_axis",
    "internal_order",
    "public_order",
    "to_internal",
    "to_public",
    "unbroadcast",
]


def internal_order(rank: int, data_format: DataFormat) -> tuple[int, ...]:
    """The public axes (0 the batch, 1.. those of a rank-``rank`` shape) in the order the internal
    layout stores them: ``internal = public.transpose(internal_order(...))``.

    >>> internal_order(3, "channels_last"), internal_order(3, "channels_first")
    ((3, 1, 2, 0), (1, 2, 3, 0))
    >>> internal_order(1, "channels_first")
    (1, 0)
    """
    if rank == 3 and data_format == "channels_first":
        return (1, 2, 3, 0)
    return (rank, *range(1, rank), 0)


def public_order(rank: int, data_format: DataFormat) -> tuple[int, ...]:
    """The inverse permutation: ``public = internal.transpose(public_order(...))``.

    >>> public_order(3, "channels_last"), public_order(3, "channels_first")
    ((3, 1, 2, 0), (3, 0, 1, 2))
    """
    return tuple(int(axis) for axis in np.argsort(internal_order(rank, data_format)))


def internal_axis(axis: int, rank: int, data_format: DataFormat) -> int:
    """Where public axis ``axis`` (an index into the batchless shape) of a rank-``rank`` value is
    stored inside.

    >>> internal_axis(2, 3, "channels_last"), internal_axis(2, 3, "channels_first")
    (0, 2)
    """
    return internal_order(rank, data_format).index(axis + 1)


def to_internal(x: Array, data_format: DataFormat = "channels_last") -> Array:
    """Public ``(N, ...)`` → internal, contiguous (one copy).

    >>> to_internal(np.zeros((128, 28, 28, 1), np.float32)).shape
    (1, 28, 28, 128)
    """
    if x.ndim < 2:
        raise ValueError(f"expected a batch of rank >= 2, got shape {x.shape}")
    return np.ascontiguousarray(x.transpose(internal_order(x.ndim - 1, data_format)))


def to_public(x: Array, data_format: DataFormat = "channels_last") -> Array:
    """Internal → public ``(N, ...)``, contiguous (one copy)."""
    return np.ascontiguousarray(x.transpose(public_order(x.ndim - 1, data_format)))


def broadcast_view(x: Array, rank: int, to_rank: int, data_format: DataFormat) -> Array:
    """A value of rank ``rank`` (batch excluded) as a view in the layout of rank ``to_rank``, with
    size-1 axes where it has no axis: Keras' merges line shapes up from the right, expanding the
    shorter ones right after the batch axis. (A value of the same rank is returned as it is.)

    >>> vector = np.zeros((8, 5))  # (C, N): 8 channels, 5 samples
    >>> broadcast_view(vector, 1, 3, "channels_last").shape
    (8, 1, 1, 5)
    >>> broadcast_view(vector, 1, 3, "channels_first").shape  # the width, from the right
    (1, 1, 8, 5)
    """
    if rank == to_rank:
        return x
    public = x.transpose(public_order(rank, data_format))
    expanded = public.reshape(public.shape[0], *([1] * (to_rank - rank)), *public.shape[1:])
    return expanded.transpose(internal_order(to_rank, data_format))


def unbroadcast(
    gradient: Array, view: tuple[int, ...], rank: int, to_rank: int, data_format: DataFormat
) -> Array:
    """The gradient of a :func:`broadcast_view` of shape ``view``, from the gradient of what it was
    broadcast to: summed over the axes it was stretched along, then back in the layout of rank
    ``rank`` (contiguous, a new array)."""
    stretched = tuple(axis for axis, size in enumerate(view) if size == 1 and gradient.shape[axis] != 1)
    summed = gradient.sum(axis=stretched, keepdims=True) if stretched else gradient
    if rank != to_rank:
        public = summed.transpose(public_order(to_rank, data_format))
        public = public.reshape(public.shape[0], *public.shape[1 + to_rank - rank :])
        summed = public.transpose(internal_order(rank, data_format))
    result: Array = np.array(summed, copy=True, order="C")
    return result

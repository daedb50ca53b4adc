"""Dense: one matrix product on the feature axis."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnncalc.backends.numpy.im2col import Array, Workspace, empty_from


@dataclass(frozen=True, slots=True)
class DenseCache:
    x: Array
    """The input, ``(F, ...)``."""
    kernel: Array


def dense_forward(
    x: Array, kernel: Array, bias: Array | None, *, workspace: Workspace | None = None
) -> tuple[Array, DenseCache]:
    """Dense on the feature axis. x: ``(F, N)`` or ``(F, H, W, N)``; kernel ``(F, U)``;
    bias ``(U,)`` or None. Returns y: ``(U, N)`` or ``(U, H, W, N)`` — Keras applies Dense to
    the last public axis, which is axis 0 here.
    """
    fan_in, units = kernel.shape
    if x.shape[0] != fan_in:
        raise ValueError(f"dense kernel {kernel.shape} does not fit input shape {x.shape}")
    y = empty_from(workspace, "dense_y", (units, *x.shape[1:]), x.dtype)
    np.matmul(kernel.T, x.reshape(fan_in, -1), out=y.reshape(units, -1))
    if bias is not None:
        y += bias.reshape(units, *([1] * (x.ndim - 1)))
    return y, DenseCache(x=x, kernel=kernel)


def dense_backward(
    dy: Array, cache: DenseCache, *, need_dx: bool = True, workspace: Workspace | None = None
) -> tuple[Array | None, Array, Array]:
    """dy: ``(U, ...)``. Returns ``(dx (F, ...) or None, dkernel (F, U), dbias (U,))``."""
    fan_in, units = cache.kernel.shape
    dy_matrix = dy.reshape(units, -1)
    dkernel = cache.x.reshape(fan_in, -1) @ dy_matrix.T
    dbias = dy_matrix.sum(axis=1)
    if not need_dx:
        return None, dkernel, dbias
    dx = empty_from(workspace, "dense_dx", cache.x.shape, dy.dtype)
    np.matmul(cache.kernel, dy_matrix, out=dx.reshape(fan_in, -1))
    return dx, dkernel, dbias

"""Pooling: max and average windows (``same`` padding ignored as Keras does), global pooling."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeAlias

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from cnncalc.backends.numpy.im2col import (
    NO_PADDING,
    Array,
    Padding2D,
    Pair,
    Shape,
    Workspace,
    empty_from,
    pad2d,
    pad2d_backward,
    tap_slices,
    window_output_size,
    zeros_from,
)

PoolPadMode: TypeAlias = Literal["ignore", "zeros", "replicate", "reflect"]
"""How a pooling window treats padded cells.

``"ignore"``: padded cells take no part — max over the valid cells only, average divided
by the number of valid cells (Keras/TensorFlow ``padding="same"`` pooling).
``"zeros" | "replicate" | "reflect"``: the input is first padded like :func:`pad2d`, then
pooled as if unpadded, so padded cells count (an average divides by ``ph * pw``).
"""


def _check_ignored_padding(padding: Padding2D, pool_size: Pair) -> None:
    """With ignored padding each window must hold a real cell: every pad < window side."""
    (top, bottom), (left, right) = padding
    if max(top, bottom) >= pool_size[0] or max(left, right) >= pool_size[1]:
        raise ValueError(f"ignored padding {padding} must be smaller than the pool window {pool_size}")


def _pool_taps(pool_size: Pair) -> list[Pair]:
    """Window taps in row-major order (the order that breaks max-pool ties)."""
    return [(i, j) for i in range(pool_size[0]) for j in range(pool_size[1])]


def _pad_for_pool(
    x: Array, padding: Padding2D, pad_mode: PoolPadMode, fill: float, workspace: Workspace | None
) -> Array:
    """Pad like :func:`pad2d`, or with ``fill`` for ignored cells (which then never win)."""
    if pad_mode != "ignore":
        return pad2d(x, padding, pad_mode, workspace=workspace)
    if padding == NO_PADDING:
        return x
    (top, bottom), (left, right) = padding
    channels, height, width, batch = x.shape
    shape = (channels, top + height + bottom, left + width + right, batch)
    padded = empty_from(workspace, "pool_padded", shape, x.dtype)
    padded.fill(fill)
    padded[:, top : top + height, left : left + width] = x
    return padded


def _unpad_pool_grad(dx_padded: Array, padding: Padding2D, pad_mode: PoolPadMode) -> Array:
    return pad2d_backward(dx_padded, padding, "zeros" if pad_mode == "ignore" else pad_mode)


def _pool_output_size(padded: Array, pool_size: Pair, strides: Pair) -> Pair:
    return (
        window_output_size(padded.shape[1], pool_size[0], strides[0]),
        window_output_size(padded.shape[2], pool_size[1], strides[1]),
    )


@dataclass(frozen=True, slots=True)
class MaxPool2DCache:
    padded: Array
    """The (padded) input, ``(C, Hp, Wp, N)`` — a reference, not a copy, when unpadded."""
    y: Array
    """The output, ``(C, Ho, Wo, N)``."""
    input_shape: Shape
    padding: Padding2D
    pad_mode: PoolPadMode
    pool_size: Pair
    strides: Pair


def max_pool2d_forward(
    x: Array,
    pool_size: Pair,
    strides: Pair,
    padding: Padding2D = NO_PADDING,
    pad_mode: PoolPadMode = "ignore",
    *,
    workspace: Workspace | None = None,
) -> tuple[Array, MaxPool2DCache]:
    """Max pooling. x: ``(C, H, W, N)`` → y: ``(C, Ho, Wo, N)``; see :data:`PoolPadMode`.

    The cache keeps references to x and y: leave them unchanged until the backward pass.
    """
    if pad_mode == "ignore":
        _check_ignored_padding(padding, pool_size)
    padded = _pad_for_pool(x, padding, pad_mode, -np.inf, workspace)
    out_size = _pool_output_size(padded, pool_size, strides)
    taps = _pool_taps(pool_size)
    y = empty_from(workspace, "pool_y", (x.shape[0], *out_size, x.shape[3]), x.dtype)
    np.copyto(y, padded[tap_slices(taps[0], out_size, strides)])
    for tap in taps[1:]:
        np.maximum(y, padded[tap_slices(tap, out_size, strides)], out=y)
    cache = MaxPool2DCache(
        padded=padded,
        y=y,
        input_shape=x.shape,
        padding=padding,
        pad_mode=pad_mode,
        pool_size=pool_size,
        strides=strides,
    )
    return y, cache


def max_pool2d_backward(dy: Array, cache: MaxPool2DCache, *, workspace: Workspace | None = None) -> Array:
    """Gradient of :func:`max_pool2d_forward`. dy: ``(C, Ho, Wo, N)`` → dx ``(C, H, W, N)``.

    Each window sends its whole gradient to exactly one cell: on ties, the first maximum
    in row-major window order, as TensorFlow does (an equality mask alone would hand the
    gradient to every tied cell). The winners are found here rather than tracked in the
    forward pass, which keeps inference to one ``maximum`` per tap.
    """
    out_size = (dy.shape[1], dy.shape[2])
    dx_padded = _pool_gradient_buffer(
        cache.padded.shape,
        out_size,
        pool_size=cache.pool_size,
        strides=cache.strides,
        dy=dy,
        workspace=workspace,
    )
    disjoint = _disjoint(cache.pool_size, cache.strides)
    claimed = zeros_from(workspace, "claimed", dy.shape, bool)  # windows already routed
    wins = empty_from(workspace, "wins", dy.shape, bool)
    routed = empty_from(workspace, "routed", dy.shape, dy.dtype)
    for tap in _pool_taps(cache.pool_size):
        cells = tap_slices(tap, out_size, cache.strides)
        np.equal(cache.padded[cells], cache.y, out=wins)
        np.greater(wins, claimed, out=wins)  # wins and not claimed
        np.logical_or(claimed, wins, out=claimed)
        if disjoint:  # each cell is in one window only: write, no need to add
            np.multiply(dy, wins, out=dx_padded[cells])
        else:
            dx_padded[cells] += np.multiply(dy, wins, out=routed)
    return _unpad_pool_grad(dx_padded, cache.padding, cache.pad_mode)


def _disjoint(pool_size: Pair, strides: Pair) -> bool:
    """Whether no two pooling windows share a cell."""
    return strides[0] >= pool_size[0] and strides[1] >= pool_size[1]


def _pool_gradient_buffer(
    padded_shape: Shape,
    out_size: Pair,
    *,
    pool_size: Pair,
    strides: Pair,
    dy: Array,
    workspace: Workspace | None,
) -> Array:
    """The pooling input's gradient buffer: zeroed, unless the windows tile it exactly (then
    every cell is written once, and zeroing would be a wasted pass)."""
    tiled = strides == pool_size and padded_shape[1:3] == (
        out_size[0] * pool_size[0],
        out_size[1] * pool_size[1],
    )
    maker = empty_from if tiled else zeros_from
    return maker(workspace, "pool_dx", padded_shape, dy.dtype)


@dataclass(frozen=True, slots=True)
class AvgPool2DCache:
    divisor: Array
    """Cells averaged per window, ``(Ho, Wo, 1)`` (broadcasts over ``(C, Ho, Wo, N)``)."""
    input_shape: Shape
    padded_size: Pair
    padding: Padding2D
    pad_mode: PoolPadMode
    pool_size: Pair
    strides: Pair


def _valid_cells_per_window(size: int, pad: Pair, window: int, stride: int, out: int) -> Array:
    """How many real (unpadded) cells each window position covers along one axis."""
    real = np.zeros(pad[0] + size + pad[1])
    real[pad[0] : pad[0] + size] = 1.0
    counts: Array = sliding_window_view(real, window)[::stride][:out].sum(axis=1)
    return counts


def avg_pool2d_forward(
    x: Array,
    pool_size: Pair,
    strides: Pair,
    padding: Padding2D = NO_PADDING,
    pad_mode: PoolPadMode = "ignore",
    *,
    workspace: Workspace | None = None,
) -> tuple[Array, AvgPool2DCache]:
    """Average pooling. x: ``(C, H, W, N)`` → y: ``(C, Ho, Wo, N)``; see :data:`PoolPadMode`.

    With ``"ignore"`` each window is divided by its own count of real cells (Keras
    ``same``), otherwise by ``ph * pw``.
    """
    if pad_mode == "ignore":
        _check_ignored_padding(padding, pool_size)
    padded = _pad_for_pool(x, padding, pad_mode, 0.0, workspace)
    out_size = _pool_output_size(padded, pool_size, strides)
    taps = _pool_taps(pool_size)
    y = empty_from(workspace, "pool_y", (x.shape[0], *out_size, x.shape[3]), x.dtype)
    np.copyto(y, padded[tap_slices(taps[0], out_size, strides)])
    for tap in taps[1:]:
        y += padded[tap_slices(tap, out_size, strides)]
    if pad_mode == "ignore":
        rows = _valid_cells_per_window(x.shape[1], padding[0], pool_size[0], strides[0], y.shape[1])
        cols = _valid_cells_per_window(x.shape[2], padding[1], pool_size[1], strides[1], y.shape[2])
        divisor = np.multiply.outer(rows, cols)[:, :, np.newaxis].astype(x.dtype)
    else:
        divisor = np.full((1, 1, 1), pool_size[0] * pool_size[1], dtype=x.dtype)
    y /= divisor
    cache = AvgPool2DCache(
        divisor=divisor,
        input_shape=x.shape,
        padded_size=(padded.shape[1], padded.shape[2]),
        padding=padding,
        pad_mode=pad_mode,
        pool_size=pool_size,
        strides=strides,
    )
    return y, cache


def avg_pool2d_backward(dy: Array, cache: AvgPool2DCache, *, workspace: Workspace | None = None) -> Array:
    """Gradient of :func:`avg_pool2d_forward`. dy: ``(C, Ho, Wo, N)`` → dx ``(C, H, W, N)``."""
    channels, _, _, batch = cache.input_shape
    out_size = (dy.shape[1], dy.shape[2])
    padded_shape = (channels, *cache.padded_size, batch)
    dx_padded = _pool_gradient_buffer(
        padded_shape, out_size, pool_size=cache.pool_size, strides=cache.strides, dy=dy, workspace=workspace
    )
    share = np.divide(dy, cache.divisor, out=empty_from(workspace, "share", dy.shape, dy.dtype))
    disjoint = _disjoint(cache.pool_size, cache.strides)
    for tap in _pool_taps(cache.pool_size):
        cells = tap_slices(tap, out_size, cache.strides)
        if disjoint:
            dx_padded[cells] = share
        else:
            dx_padded[cells] += share
    return _unpad_pool_grad(dx_padded, cache.padding, cache.pad_mode)


def global_avg_pool2d_forward(x: Array) -> Array:
    """Mean over the spatial axes. x: ``(C, H, W, N)`` → ``(C, N)``."""
    y: Array = x.mean(axis=(1, 2))
    return y


def global_avg_pool2d_backward(dy: Array, input_shape: Shape) -> Array:
    """dy: ``(C, N)`` → dx ``(C, H, W, N)``, each cell getting ``1 / (H * W)`` of its channel."""
    dx = np.empty(input_shape, dtype=dy.dtype)
    dx[...] = (dy / (input_shape[1] * input_shape[2]))[:, np.newaxis, np.newaxis, :]
    return dx


def global_max_pool2d_forward(x: Array) -> Array:
    """Max over the spatial axes. x: ``(C, H, W, N)`` → ``(C, N)``."""
    y: Array = x.max(axis=(1, 2))
    return y


def global_max_pool2d_backward(dy: Array, x: Array, y: Array) -> Array:
    """Gradient of :func:`global_max_pool2d_forward`: dy ``(C, N)`` → dx ``(C, H, W, N)``.

    Tied maxima share the gradient equally, as TensorFlow's ``reduce_max`` gradient does
    (Keras' GlobalMaxPooling2D is a ``reduce_max``, unlike MaxPooling2D).
    """
    winners = x == y[:, np.newaxis, np.newaxis, :]
    count = winners.sum(axis=(1, 2), dtype=dy.dtype)
    dx: Array = winners * (dy / count)[:, np.newaxis, np.newaxis, :]
    return dx

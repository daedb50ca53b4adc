"""Numerical kernels of the NumPy backend: each forward next to its backward.

Layout
------
Keras' public layout is batch first, channels last: ``(N, H, W, C)`` and ``(N, F)``.
Inside the backend every array keeps the same axes with batch and channels *swapped*:
``(C, H, W, N)`` and ``(F, N)``. With the batch innermost, every per-tap slice of a
convolution or pooling window is a run of ``W * N`` (or ``N``) contiguous floats, the
im2col matrix comes out as ``(C * kh * kw, Ho * Wo * N)`` with no transpose, a
convolution's matmul writes its output directly in the next layer's layout, and the
feature axis is always axis 0 (dense, batch norm, softmax). Convert once at the model's
edges with :func:`to_internal` / :func:`to_public` (the same axis swap).

Weights keep Keras' layouts so they can be copied to and from Keras unchanged: conv kernel
``(kh, kw, C_in / groups, filters)``, dense kernel ``(fan_in, units)``, biases and batch
norm vectors ``(C,)``.

Dtype: float32 in production; every kernel also runs in float64 (gradient checks), and
returns arrays of its input's dtype.

Caches are small frozen dataclasses holding exactly what the backward pass reads; they
keep references, not copies, so a layer's input and output must stay unchanged until its
backward pass.

Buffers: kernels that make large arrays take an optional ``workspace``
(:class:`~cnncalc.backends.numpy.im2col.Workspace`). A layer keeps one and passes it to
its forward and backward calls so those arrays are allocated once, not at every step; what
such a call returns is then valid only until that layer's next call. Activations take
``out=`` instead, to work in place.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias, get_args

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

from cnncalc.backends.numpy.im2col import (
    NO_PADDING,
    Array,
    Padding2D,
    PadMode,
    Workspace,
    col2im,
    empty_from,
    im2col,
    pad2d,
    pad2d_backward,
    tap_slices,
    window_output_size,
    zeros_from,
)

__all__ = [
    "ACTIVATIONS",
    "LEAKY_RELU_NEGATIVE_SLOPE",
    "Activation",
    "AvgPool2DCache",
    "BatchNormCache",
    "Conv2DCache",
    "DenseCache",
    "MaxPool2DCache",
    "PoolPadMode",
    "activation_backward",
    "activation_forward",
    "avg_pool2d_backward",
    "avg_pool2d_forward",
    "batch_norm_backward",
    "batch_norm_inference",
    "batch_norm_train_forward",
    "compute_fans",
    "conv2d_backward",
    "conv2d_forward",
    "dense_backward",
    "dense_forward",
    "dropout_backward",
    "dropout_forward",
    "flatten_backward",
    "flatten_forward",
    "global_avg_pool2d_backward",
    "global_avg_pool2d_forward",
    "global_max_pool2d_backward",
    "global_max_pool2d_forward",
    "glorot_uniform",
    "max_pool2d_backward",
    "max_pool2d_forward",
    "ones",
    "probability_cross_entropy",
    "softmax_cross_entropy",
    "softmax_cross_entropy_backward",
    "to_internal",
    "to_public",
    "update_moving_average",
    "zeros",
]

Shape: TypeAlias = tuple[int, ...]
Pair: TypeAlias = tuple[int, int]


# --------------------------------------------------------------------------- layout


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


# --------------------------------------------------------------------------- conv2d


@dataclass(frozen=True, slots=True)
class Conv2DCache:
    """What :func:`conv2d_backward` needs from the forward pass."""

    cols: Array
    """im2col of the padded input, ``(C, kh, kw, Ho, Wo, N)``."""
    kernel_matrix: Array
    """``(groups, filters / groups, C / groups * kh * kw)``."""
    kernel_shape: Shape
    padded_size: Pair
    padding: Padding2D
    pad_mode: PadMode
    strides: Pair
    dilation: Pair


def _kernel_matrix(kernel: Array, groups: int) -> Array:
    """Keras ``(kh, kw, Cg, F)`` → ``(groups, F / groups, Cg * kh * kw)`` (rows match im2col)."""
    kh, kw, cg, filters = kernel.shape
    per_group = kernel.reshape(kh, kw, cg, groups, filters // groups)
    return np.ascontiguousarray(per_group.transpose(3, 4, 2, 0, 1)).reshape(
        groups, filters // groups, cg * kh * kw
    )


MATMUL_SLAB_BYTES = 512 * 1024
"""Bytes of one column slab of a shallow convolution's matmuls (its input and output rows).

A shallow layer's im2col matrix is very wide and only a few rows deep (LeNet-5 C1 at batch
64: 25 x 50,176), so its matmuls stream memory: multiplying it in slabs that stay in the
(1 MiB) L2 cache halved the C1 matmuls on one thread. The best width varies (one thread:
4,096 columns for LeNet-5's 6 filters, 2,048 for the article CNN's 10); with two worker
threads, 512 KiB slabs trained LeNet-5 3-6% faster than 256 or 768 KiB, the article CNN as fast.
"""
MATMUL_MIN_SLAB = 1024
"""Narrower slabs do not pay: deeper layers (over 128 rows at 512 KiB) are compute-bound,
multiplied whole."""


def _column_blocks(columns: int, rows: int, itemsize: int) -> list[slice]:
    """Column slabs of a matmul whose input and output have ``rows`` rows in all."""
    width = MATMUL_SLAB_BYTES // (rows * itemsize)
    if width < MATMUL_MIN_SLAB:
        return [slice(0, columns)]
    return [slice(start, start + width) for start in range(0, columns, width)]


def _matmul_by_column_blocks(a: Array, b: Array, out: Array) -> None:
    """``out = a @ b`` for stacks ``a (g, m, k)``, ``b (g, k, n)``, computed over slabs of n."""
    for block in _column_blocks(b.shape[-1], a.shape[-1] + a.shape[-2], b.itemsize):
        np.matmul(a, b[..., block], out=out[..., block])


def conv2d_forward(
    x: Array,
    kernel: Array,
    bias: Array | None,
    *,
    strides: Pair = (1, 1),
    dilation: Pair = (1, 1),
    padding: Padding2D = NO_PADDING,
    pad_mode: PadMode = "zeros",
    groups: int = 1,
    workspace: Workspace | None = None,
) -> tuple[Array, Conv2DCache]:
    """2-D convolution (cross-correlation, as Keras) by im2col and one matmul per group.

    x: ``(C, H, W, N)``; kernel: ``(kh, kw, C / groups, F)``; bias: ``(F,)`` or None.
    Returns y: ``(F, Ho, Wo, N)`` with ``Ho = (H + top + bottom - dh*(kh-1) - 1) // sh + 1``
    (likewise ``Wo``), and the cache for :func:`conv2d_backward`.
    Input channel ``c`` belongs to group ``c // (C / groups)``, filter ``f`` to group
    ``f // (F / groups)``. With a :class:`Workspace`, y and the im2col matrix are reused
    buffers (see there).
    """
    channels, _, _, batch = x.shape
    kh, kw, cg, filters = kernel.shape
    if groups < 1 or cg * groups != channels or filters % groups:
        raise ValueError(f"kernel {kernel.shape} with groups={groups} does not fit {channels} input channels")
    x_padded = pad2d(x, padding, pad_mode, workspace=workspace)
    out_h = window_output_size(x_padded.shape[1], kh, strides[0], dilation[0])
    out_w = window_output_size(x_padded.shape[2], kw, strides[1], dilation[1])
    cols_shape = (channels, kh, kw, out_h, out_w, batch)
    cols = im2col(
        x_padded,
        (kh, kw),
        strides,
        dilation,
        out=empty_from(workspace, "cols", cols_shape, x.dtype),
    )
    weights = _kernel_matrix(kernel.astype(x.dtype, copy=False), groups)
    y = empty_from(workspace, "conv_y", (filters, out_h, out_w, batch), x.dtype)
    _matmul_by_column_blocks(
        weights, cols.reshape(groups, cg * kh * kw, -1), y.reshape(groups, filters // groups, -1)
    )
    if bias is not None:
        y += bias.reshape(filters, 1, 1, 1)
    cache = Conv2DCache(
        cols=cols,
        kernel_matrix=weights,
        kernel_shape=kernel.shape,
        padded_size=(x_padded.shape[1], x_padded.shape[2]),
        padding=padding,
        pad_mode=pad_mode,
        strides=strides,
        dilation=dilation,
    )
    return y, cache


def conv2d_backward(
    dy: Array, cache: Conv2DCache, *, need_dx: bool = True, workspace: Workspace | None = None
) -> tuple[Array | None, Array, Array]:
    """Gradients of :func:`conv2d_forward`.

    dy: ``(F, Ho, Wo, N)``. Returns ``(dx, dkernel, dbias)``: dx ``(C, H, W, N)`` (None when
    ``need_dx`` is False, e.g. for the first layer), dkernel ``(kh, kw, C / groups, F)``,
    dbias ``(F,)``.
    """
    kh, kw, cg, filters = cache.kernel_shape
    groups = cache.kernel_matrix.shape[0]
    dy_matrix = dy.reshape(groups, filters // groups, -1)
    cols_matrix = cache.cols.reshape(groups, cg * kh * kw, -1)
    dbias = dy_matrix.sum(axis=2).reshape(filters)
    # dW^T = cols @ dy^T, (groups, Cg * kh * kw, F / groups), summed block by block.
    dweights_t = np.zeros((groups, cg * kh * kw, filters // groups), dtype=dy.dtype)
    product = np.empty_like(dweights_t)
    for block in _column_blocks(dy_matrix.shape[-1], cg * kh * kw + filters // groups, dy.itemsize):
        np.matmul(cols_matrix[..., block], dy_matrix[..., block].transpose(0, 2, 1), out=product)
        dweights_t += product
    dkernel = (
        dweights_t.reshape(groups, cg, kh, kw, filters // groups)
        .transpose(2, 3, 1, 0, 4)
        .reshape(kh, kw, cg, filters)
    )
    if not need_dx:
        return None, dkernel, dbias
    dcols = empty_from(workspace, "dcols", cache.cols.shape, dy.dtype)
    _matmul_by_column_blocks(
        cache.kernel_matrix.transpose(0, 2, 1), dy_matrix, dcols.reshape(cols_matrix.shape)
    )
    dx_padded = col2im(dcols, cache.padded_size, cache.strides, cache.dilation, workspace=workspace)
    return pad2d_backward(dx_padded, cache.padding, cache.pad_mode), dkernel, dbias


# --------------------------------------------------------------------------- pooling

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


# --------------------------------------------------------------------------- dense, flatten


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


def flatten_forward(x: Array, *, workspace: Workspace | None = None) -> Array:
    """x: ``(C, H, W, N)`` → ``(H * W * C, N)`` in Keras' channels_last row-major order.

    (For a channels_first model Keras' Flatten also transposes to channels_last first,
    so this order holds for both data formats.)
    """
    channels, height, width, batch = x.shape
    y = empty_from(workspace, "flat", (height * width * channels, batch), x.dtype)
    np.copyto(y.reshape(height, width, channels, batch), x.transpose(1, 2, 0, 3))
    return y


def flatten_backward(dy: Array, input_shape: Shape, *, workspace: Workspace | None = None) -> Array:
    """dy: ``(H * W * C, N)`` → ``(C, H, W, N)``."""
    channels, height, width, batch = input_shape
    dx = empty_from(workspace, "unflat", input_shape, dy.dtype)
    np.copyto(dx, dy.reshape(height, width, channels, batch).transpose(2, 0, 1, 3))
    return dx


# --------------------------------------------------------------------------- batch norm


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


# --------------------------------------------------------------------------- activations

Activation: TypeAlias = Literal[
    "linear", "relu", "relu6", "elu", "leaky_relu", "tanh", "lecun_tanh", "sigmoid", "softmax"
]
ACTIVATIONS: tuple[Activation, ...] = get_args(Activation)

LECUN_TANH_SCALE = 1.7159
"""``lecun_tanh`` is ``1.7159·tanh(2x/3)`` (LeCun et al. 1998, appendix A): 1 at ±1."""

LEAKY_RELU_NEGATIVE_SLOPE = 0.2
"""Slope of ``activation="leaky_relu"`` in Keras 3 (``keras.activations.leaky_relu``).

The ``keras.layers.LeakyReLU`` *layer* defaults to 0.3 instead.
"""


def activation_forward(name: Activation, x: Array, out: Array | None = None) -> Array:
    """Apply an activation elementwise (softmax: over the feature axis 0).

    Pass ``out=x`` to work in place; the backward pass only needs the output.
    """
    y = np.empty_like(x) if out is None else out
    if name == "linear":
        np.copyto(y, x)
    elif name == "relu":
        np.maximum(x, 0, out=y)
    elif name == "relu6":
        np.clip(x, 0, 6, out=y)
    elif name == "elu":
        # x for x > 0, exp(x) - 1 otherwise; clamp first so exp cannot overflow.
        np.copyto(y, np.where(x > 0, x, np.expm1(np.minimum(x, 0))))
    elif name == "leaky_relu":
        # For a slope in (0, 1), max(x, slope * x) is x above 0 and slope * x below.
        np.maximum(x, x * LEAKY_RELU_NEGATIVE_SLOPE, out=y)
    elif name == "tanh":
        np.tanh(x, out=y)
    elif name == "lecun_tanh":
        np.multiply(x, 2 / 3, out=y)
        np.tanh(y, out=y)
        y *= LECUN_TANH_SCALE
    elif name == "sigmoid":
        # 1 / (1 + e) for x >= 0 and e / (1 + e) below, with e = exp(-|x|) <= 1: no
        # overflow, and full relative precision for tiny outputs.
        e = np.exp(-np.abs(x))
        np.divide(np.where(x >= 0, 1, e), 1 + e, out=y)
    elif name == "softmax":
        np.subtract(x, x.max(axis=0, keepdims=True), out=y)
        np.exp(y, out=y)
        y /= y.sum(axis=0, keepdims=True)
    else:
        raise ValueError(f"unknown activation {name!r}; expected one of {ACTIVATIONS}")
    return y


def activation_backward(
    name: Activation, dy: Array, y: Array, out: Array | None = None, *, workspace: Workspace | None = None
) -> Array:
    """Gradient of :func:`activation_forward` given its output ``y``: ``dx``, shape of dy.

    At kinks this matches TensorFlow: relu and relu6 pass no gradient at 0 (nor relu6 at 6),
    leaky_relu passes ``slope * dy`` at 0, elu passes ``dy`` at 0. Pass ``out=dy`` to work in
    place; with a workspace, relu, tanh and sigmoid make no temporary arrays.
    """
    dx = np.empty_like(dy) if out is None else out
    if name == "linear":
        np.copyto(dx, dy)
    elif name == "relu":
        np.multiply(dy, np.greater(y, 0, out=empty_from(workspace, "mask", y.shape, bool)), out=dx)
    elif name == "relu6":
        np.multiply(dy, (y > 0) & (y < 6), out=dx)
    elif name == "elu":
        # d/dx (exp(x) - 1) = exp(x) = y + 1 for x <= 0 (alpha = 1).
        np.multiply(dy, np.where(y < 0, y + 1, 1), out=dx)
    elif name == "leaky_relu":
        np.multiply(dy, np.where(y > 0, 1.0, LEAKY_RELU_NEGATIVE_SLOPE).astype(dy.dtype), out=dx)
    elif name in ("tanh", "sigmoid"):
        # tanh' = 1 - y², sigmoid' = y (1 - y), both in one scratch array.
        slope = empty_from(workspace, "slope", y.shape, y.dtype)
        if name == "tanh":
            np.square(y, out=slope)
            np.subtract(1, slope, out=slope)
        else:
            np.subtract(1, y, out=slope)
            slope *= y
        np.multiply(dy, slope, out=dx)
    elif name == "lecun_tanh":
        # d/dx a·tanh(2x/3) = (2a/3)(1 − tanh²) = (2/3)(a − y²/a).
        np.multiply(dy, (2 / 3) * (LECUN_TANH_SCALE - np.square(y) / LECUN_TANH_SCALE), out=dx)
    elif name == "softmax":
        dot = np.einsum("k...,k...->...", dy, y)
        np.subtract(dy, dot, out=dx)
        dx *= y
    else:
        raise ValueError(f"unknown activation {name!r}; expected one of {ACTIVATIONS}")
    return dx


# --------------------------------------------------------------------------- loss


def _one_hot_like(labels: npt.NDArray[Any], logits: Array) -> Array:
    """Integer labels ``(N,)`` → one-hot ``(K, N)``; one-hot ``(K, N)`` passes through."""
    if labels.ndim == logits.ndim:
        return labels.astype(logits.dtype, copy=False)
    one_hot = np.zeros_like(logits)
    one_hot[labels, np.arange(labels.size)] = 1
    return one_hot


def softmax_cross_entropy(logits: Array, labels: npt.NDArray[Any]) -> tuple[float, Array]:
    """Mean categorical cross-entropy of ``softmax(logits)``, computed stably (log-sum-exp).

    logits: ``(K, N)``; labels: integer classes ``(N,)`` or one-hot ``(K, N)``.
    Returns ``(loss, probabilities (K, N))``; pass both to the backward.
    """
    shifted = logits - logits.max(axis=0, keepdims=True)
    log_norm = np.log(np.exp(shifted).sum(axis=0, keepdims=True))
    log_probs = shifted - log_norm
    target = _one_hot_like(labels, logits)
    loss = -float(np.einsum("kn,kn->", target, log_probs)) / logits.shape[1]
    return loss, np.exp(log_probs)


def softmax_cross_entropy_backward(probabilities: Array, labels: npt.NDArray[Any]) -> Array:
    """Gradient of the mean loss with respect to the logits: ``(p - y) / N``, ``(K, N)``."""
    grad = probabilities - _one_hot_like(labels, probabilities)
    grad /= probabilities.shape[1]
    return grad


KERAS_EPSILON = 1e-7
"""``keras.backend.epsilon()``: how far from 0 and 1 Keras clips probabilities before a log."""


def probability_cross_entropy(probabilities: Array, labels: npt.NDArray[Any]) -> tuple[float, Array]:
    """Mean cross-entropy of class scores that are probabilities but may not sum to 1 (a softmax
    followed by dropout, say), as Keras computes it: clipped to ``[ε, 1 − ε]``, then
    ``−log(p_y / Σ_k p_k)``.

    probabilities: ``(K, N)``; labels: integer classes ``(N,)``. Returns ``(loss, gradient)``, the
    gradient ``(1 / Σ_k p_k − [k = y] / p_y) / N`` with respect to the scores (0 where clipped).
    """
    clipped = np.clip(probabilities, KERAS_EPSILON, 1 - KERAS_EPSILON)
    columns = np.arange(labels.size)
    total = clipped.sum(axis=0)
    loss = float(np.mean(np.log(total) - np.log(clipped[labels, columns])))
    grad = np.broadcast_to(1 / total, clipped.shape).copy()
    grad[labels, columns] -= 1 / clipped[labels, columns]
    grad[clipped != probabilities] = 0
    grad /= labels.size
    return loss, grad


# --------------------------------------------------------------------------- dropout


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


# --------------------------------------------------------------------------- initialisers


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

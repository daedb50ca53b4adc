"""Convolutions: forward and backward by im2col and one matrix product per group."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnncalc.backends.numpy.im2col import (
    NO_PADDING,
    Array,
    Padding2D,
    PadMode,
    Pair,
    Shape,
    Workspace,
    col2im,
    empty_from,
    im2col,
    pad2d,
    pad2d_backward,
    window_output_size,
)


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

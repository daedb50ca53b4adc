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
    Split,
    Workspace,
    col2im,
    empty_from,
    im2col,
    pad2d,
    pad2d_backward,
    serial,
    window_output_size,
    zeros_from,
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
MATMUL_MIN_SLAB = 4096
"""Columns of a slab at least. Deeper layers (over 32 rows at 512 KiB) are compute-bound: blocks
of 4,096 columns multiply as fast as the whole matrix on one thread (faster for the small ResNet's
32 × 288 by 288 × 25,088: 61 GFLOP/s against 41, busy machine), and give threads pieces to share."""


def _column_blocks(columns: int, rows: int, itemsize: int) -> list[slice]:
    """Column slabs of a matmul whose input and output have ``rows`` rows in all: a function of
    the shapes alone, so that how many threads share them changes no result."""
    width = max(MATMUL_SLAB_BYTES // (rows * itemsize), MATMUL_MIN_SLAB)
    return [slice(start, start + width) for start in range(0, columns, width)]


def _matmul_by_column_blocks(
    a: Array, b: Array, out: Array, split: Split = serial, bias: Array | None = None
) -> None:
    """``out = a @ b (+ bias)`` for stacks ``a (g, m, k)``, ``b (g, k, n)`` and a bias ``(g, m, 1)``,
    a slab of n per task of ``split``."""
    blocks = _column_blocks(b.shape[-1], a.shape[-1] + a.shape[-2], b.itemsize)

    def multiply(index: int) -> None:
        block = blocks[index]
        np.matmul(a, b[..., block], out=out[..., block])
        if bias is not None:
            out[..., block] += bias

    split(multiply, len(blocks))


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
    scratch: Workspace | None = None,
    split: Split = serial,
) -> tuple[Array, Conv2DCache]:
    """2-D convolution (cross-correlation, as Keras) by im2col and one matmul per group.

    x: ``(C, H, W, N)``; kernel: ``(kh, kw, C / groups, F)``; bias: ``(F,)`` or None.
    Returns y: ``(F, Ho, Wo, N)`` with ``Ho = (H + top + bottom - dh*(kh-1) - 1) // sh + 1``
    (likewise ``Wo``), and the cache for :func:`conv2d_backward`.
    Input channel ``c`` belongs to group ``c // (C / groups)``, filter ``f`` to group
    ``f // (F / groups)``. With a :class:`Workspace`, y and the im2col matrix are reused
    buffers (see there), the padded input comes from ``scratch`` when given (it outlives no call);
    ``split`` shares the copy and the products among threads.
    """
    channels, _, _, batch = x.shape
    kh, kw, cg, filters = kernel.shape
    if groups < 1 or cg * groups != channels or filters % groups:
        raise ValueError(f"kernel {kernel.shape} with groups={groups} does not fit {channels} input channels")
    x_padded = pad2d(x, padding, pad_mode, workspace=scratch or workspace)
    out_h = window_output_size(x_padded.shape[1], kh, strides[0], dilation[0])
    out_w = window_output_size(x_padded.shape[2], kw, strides[1], dilation[1])
    cols_shape = (channels, kh, kw, out_h, out_w, batch)
    cols = im2col(
        x_padded,
        (kh, kw),
        strides,
        dilation,
        out=empty_from(workspace, "cols", cols_shape, x.dtype),
        split=split,
    )
    weights = _kernel_matrix(kernel.astype(x.dtype, copy=False), groups)
    y = empty_from(workspace, "conv_y", (filters, out_h, out_w, batch), x.dtype)
    _matmul_by_column_blocks(
        weights,
        cols.reshape(groups, cg * kh * kw, -1),
        y.reshape(groups, filters // groups, -1),
        split,
        None if bias is None else bias.astype(x.dtype, copy=False).reshape(groups, filters // groups, 1),
    )
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
    dy: Array,
    cache: Conv2DCache,
    *,
    need_dx: bool = True,
    workspace: Workspace | None = None,
    scratch: Workspace | None = None,
    split: Split = serial,
) -> tuple[Array | None, Array, Array]:
    """Gradients of :func:`conv2d_forward` (the window and weight products' buffers come from
    ``scratch`` when given: they outlive no call).

    dy: ``(F, Ho, Wo, N)``. Returns ``(dx, dkernel, dbias)``: dx ``(C, H, W, N)`` (None when
    ``need_dx`` is False, e.g. for the first layer), dkernel ``(kh, kw, C / groups, F)``,
    dbias ``(F,)``.
    """
    kh, kw, cg, filters = cache.kernel_shape
    groups = cache.kernel_matrix.shape[0]
    dy_matrix = dy.reshape(groups, filters // groups, -1)
    cols_matrix = cache.cols.reshape(groups, cg * kh * kw, -1)
    dbias = dy_matrix.sum(axis=2).reshape(filters)
    # dW^T = cols @ dy^T, (groups, Cg * kh * kw, F / groups): one product per block (a task of
    # split each), summed in block order.
    blocks = _column_blocks(dy_matrix.shape[-1], cg * kh * kw + filters // groups, dy.itemsize)
    products = empty_from(
        scratch or workspace, "dweights", (len(blocks), groups, cg * kh * kw, filters // groups), dy.dtype
    )

    def weight_block(index: int) -> None:
        block = blocks[index]
        np.matmul(cols_matrix[..., block], dy_matrix[..., block].transpose(0, 2, 1), out=products[index])

    split(weight_block, len(blocks))
    dweights_t = products.sum(axis=0)
    dkernel = (
        dweights_t.reshape(groups, cg, kh, kw, filters // groups)
        .transpose(2, 3, 1, 0, 4)
        .reshape(kh, kw, cg, filters)
    )
    if not need_dx:
        return None, dkernel, dbias
    dcols = empty_from(scratch or workspace, "dcols", cache.cols.shape, dy.dtype)
    _matmul_by_column_blocks(
        cache.kernel_matrix.transpose(0, 2, 1), dy_matrix, dcols.reshape(cols_matrix.shape), split
    )
    dx_padded = col2im(
        dcols, cache.padded_size, cache.strides, cache.dilation, workspace=workspace, split=split
    )
    return pad2d_backward(dx_padded, cache.padding, cache.pad_mode), dkernel, dbias


# --------------------------------------------------------------------------- depthwise and separable


def depthwise_to_grouped(kernel: Array) -> Array:
    """A depthwise kernel ``(kh, kw, C, m)`` as the grouped kernel ``(kh, kw, 1, C·m)`` with
    ``C`` groups: output channel ``c·m + j`` is input channel ``c`` under filter ``j``, the
    order Keras' ``DepthwiseConv2D`` (TensorFlow's ``depthwise_conv2d``) gives them."""
    kh, kw, channels, multiplier = kernel.shape
    return kernel.reshape(kh, kw, 1, channels * multiplier)


def depthwise_conv2d_forward(
    x: Array,
    kernel: Array,
    bias: Array | None,
    *,
    strides: Pair = (1, 1),
    dilation: Pair = (1, 1),
    padding: Padding2D = NO_PADDING,
    pad_mode: PadMode = "zeros",
    workspace: Workspace | None = None,
    scratch: Workspace | None = None,
    split: Split = serial,
) -> tuple[Array, Conv2DCache]:
    """Depthwise convolution: a grouped convolution with one group per input channel.

    x: ``(C, H, W, N)``; kernel: ``(kh, kw, C, m)``; bias ``(C·m,)`` or None. Returns y
    ``(C·m, Ho, Wo, N)`` and the cache for :func:`conv2d_backward`, whose kernel gradient
    ``(kh, kw, 1, C·m)`` reshapes back to ``(kh, kw, C, m)``.
    """
    return conv2d_forward(
        x,
        depthwise_to_grouped(kernel),
        bias,
        strides=strides,
        dilation=dilation,
        padding=padding,
        pad_mode=pad_mode,
        groups=x.shape[0],
        workspace=workspace,
        scratch=scratch,
        split=split,
    )


# --------------------------------------------------------------------------- transposed


@dataclass(frozen=True, slots=True)
class Conv2DTransposeCache:
    """What :func:`conv2d_transpose_backward` needs from the forward pass."""

    x: Array
    """The input, ``(C, H, W, N)``."""
    kernel_matrix: Array
    """``(C, F·kh·kw)``: the kernel of the convolution this one transposes."""
    kernel_shape: Shape
    strides: Pair
    dilation: Pair
    crop: Pair
    """Cells of the full result cut at the top and at the left (TensorFlow's ``same`` padding)."""
    full_size: Pair
    """``(H − 1)·s + span`` per axis: the cells the windows reach."""


def transposed_crop(size: int, output: int, kernel: int, strides: int, dilation: int, *, same: bool) -> int:
    """The cells TensorFlow's ``conv2d_transpose`` cuts before the output along one axis: none
    for ``valid``; for ``same``, half (rounded down) of the padding the convolution it transposes
    would add to an input of ``output`` cells to give ``size``.

    >>> transposed_crop(7, 14, 3, 2, 1, same=True), transposed_crop(7, 15, 3, 2, 1, same=False)
    (0, 0)
    >>> transposed_crop(7, 13, 3, 2, 1, same=True)  # 7 · 2 − 1: output_padding 0, odd kernel
    1
    """
    if not same:
        return 0
    span = dilation * (kernel - 1) + 1
    return max((size - 1) * strides + span - output, 0) // 2


def conv2d_transpose_forward(
    x: Array,
    kernel: Array,
    bias: Array | None,
    output_size: Pair,
    *,
    strides: Pair = (1, 1),
    dilation: Pair = (1, 1),
    same: bool = False,
    workspace: Workspace | None = None,
) -> tuple[Array, Conv2DTransposeCache]:
    """Transposed convolution: the input gradient of a convolution, as ``Conv2DTranspose``.

    x: ``(C, H, W, N)``; kernel: Keras' ``(kh, kw, F, C)``; bias ``(F,)`` or None; ``output_size``
    Keras 3's ``(Ho, Wo)`` (see :func:`cnncalc.shapes.formulas.transposed_output_size`). Every
    input cell spreads ``kernel · x`` over a window of the full result (``(H − 1)·s + span``
    cells per axis), windows overlapping and adding up (``col2im``); the output is that result
    from :func:`transposed_crop` on, with zeros where no window reaches.
    """
    channels, height, width, batch = x.shape
    kh, kw, filters, _ = kernel.shape
    crop = (
        transposed_crop(height, output_size[0], kh, strides[0], dilation[0], same=same),
        transposed_crop(width, output_size[1], kw, strides[1], dilation[1], same=same),
    )
    full = (
        (height - 1) * strides[0] + dilation[0] * (kh - 1) + 1,
        (width - 1) * strides[1] + dilation[1] * (kw - 1) + 1,
    )
    weights = _kernel_matrix(kernel.astype(x.dtype, copy=False), 1)[0]  # (C, F·kh·kw)
    cols = empty_from(workspace, "tcols", (filters, kh, kw, height, width, batch), x.dtype)
    _matmul_by_column_blocks(
        weights.T[np.newaxis], x.reshape(1, channels, -1), cols.reshape(1, filters * kh * kw, -1)
    )
    spread = col2im(cols, full, strides, dilation, workspace=workspace)
    y = zeros_from(workspace, "tconv_y", (filters, *output_size, batch), x.dtype)
    rows = min(output_size[0], full[0] - crop[0])
    columns = min(output_size[1], full[1] - crop[1])
    y[:, :rows, :columns] = spread[:, crop[0] : crop[0] + rows, crop[1] : crop[1] + columns]
    if bias is not None:
        y += bias.reshape(filters, 1, 1, 1)
    cache = Conv2DTransposeCache(
        x=x,
        kernel_matrix=weights,
        kernel_shape=kernel.shape,
        strides=strides,
        dilation=dilation,
        crop=crop,
        full_size=full,
    )
    return y, cache


def conv2d_transpose_backward(
    dy: Array, cache: Conv2DTransposeCache, *, need_dx: bool = True, workspace: Workspace | None = None
) -> tuple[Array | None, Array, Array]:
    """Gradients of :func:`conv2d_transpose_forward`: ``(dx, dkernel, dbias)``.

    dy: ``(F, Ho, Wo, N)``, put back at its place in the full result (zeros where cut), then
    read through the windows (``im2col``): ``dx = kernel_matrix @ cols`` is a convolution of dy,
    and ``dkernel`` pairs every window with the input cell that spread it.
    """
    kh, kw, filters, channels = cache.kernel_shape
    _, out_h, out_w, batch = dy.shape
    full = zeros_from(workspace, "tconv_full", (filters, *cache.full_size, batch), dy.dtype)
    rows = min(out_h, cache.full_size[0] - cache.crop[0])
    columns = min(out_w, cache.full_size[1] - cache.crop[1])
    full[:, cache.crop[0] : cache.crop[0] + rows, cache.crop[1] : cache.crop[1] + columns] = dy[
        :, :rows, :columns
    ]
    height, width = cache.x.shape[1:3]
    cols = im2col(
        full,
        (kh, kw),
        cache.strides,
        cache.dilation,
        out=empty_from(workspace, "tconv_cols", (filters, kh, kw, height, width, batch), dy.dtype),
    )
    cols_matrix = cols.reshape(filters * kh * kw, -1)
    x_matrix = cache.x.reshape(channels, -1)
    dbias = dy.sum(axis=(1, 2, 3))
    dweights = x_matrix @ cols_matrix.T  # (C, F·kh·kw), rows ordered as im2col's (F, kh, kw)
    dkernel = dweights.reshape(channels, filters, kh, kw).transpose(2, 3, 1, 0)
    if not need_dx:
        return None, np.ascontiguousarray(dkernel), dbias
    dx = empty_from(workspace, "tconv_dx", cache.x.shape, dy.dtype)
    _matmul_by_column_blocks(
        cache.kernel_matrix[np.newaxis], cols_matrix[np.newaxis], dx.reshape(1, channels, -1)
    )
    return dx, np.ascontiguousarray(dkernel), dbias

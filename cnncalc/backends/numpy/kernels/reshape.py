"""Reshapes: kernels that move values without computing new ones (flatten, reshape, cropping,
nearest upsampling), and bilinear upsampling, which mixes neighbours as TensorFlow does."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from cnncalc.backends.numpy.im2col import Array, Padding2D, Shape, Workspace, empty_from, zeros_from
from cnncalc.backends.numpy.kernels.layout import internal_order, public_order
from cnncalc.spec.fields import DataFormat

__all__ = [
    "bilinear_matrix",
    "crop2d_backward",
    "crop2d_forward",
    "flatten_backward",
    "flatten_forward",
    "flatten_order",
    "reshape_forward",
    "upsample2d_backward",
    "upsample2d_forward",
]


def flatten_order(rank: int, data_format: DataFormat) -> tuple[int, ...]:
    """The internal axes of a rank-``rank`` value in the order Keras' ``Flatten`` reads them, the
    batch axis last: a channels_first value is moved channels last first, so a feature map is
    read ``(H, W, C)`` in both data formats.

    >>> flatten_order(3, "channels_last"), flatten_order(3, "channels_first")
    ((1, 2, 0, 3), (1, 2, 0, 3))
    >>> flatten_order(2, "channels_first")
    (0, 1, 2)
    """
    order = internal_order(rank, data_format)
    public = range(1, rank + 1)
    if data_format == "channels_first" and rank > 1:
        public = (*range(2, rank + 1), 1)  # type: ignore[assignment]
    return (*(order.index(axis) for axis in public), order.index(0))


FEATURE_MAP_ORDER = (1, 2, 0, 3)
""":func:`flatten_order` of a feature map ``(C, H, W, N)``: ``(H, W, C, N)``."""


def flatten_forward(
    x: Array, order: tuple[int, ...] = FEATURE_MAP_ORDER, *, workspace: Workspace | None = None
) -> Array:
    """x: ``(C, H, W, N)`` → ``(H * W * C, N)`` in Keras' order (any rank, given its
    :func:`flatten_order`)."""
    moved = x.transpose(order)
    y = empty_from(workspace, "flat", (x.size // x.shape[-1], x.shape[-1]), x.dtype)
    np.copyto(y.reshape(moved.shape), moved)
    return y


def flatten_backward(
    dy: Array,
    input_shape: Shape,
    order: tuple[int, ...] = FEATURE_MAP_ORDER,
    *,
    workspace: Workspace | None = None,
) -> Array:
    """dy: ``(H * W * C, N)`` → ``(C, H, W, N)`` (any rank, given the input's shape and order)."""
    dx = empty_from(workspace, "unflat", input_shape, dy.dtype)
    np.copyto(dx.transpose(order), dy.reshape(tuple(input_shape[axis] for axis in order)))
    return dx


def reshape_forward(
    x: Array,
    shape: Shape,
    data_format: DataFormat,
    *,
    workspace: Workspace | None = None,
    name: str = "reshape",
) -> Array:
    """Keras' ``Reshape``: the values of each sample in public row-major order, given the public
    shape ``shape`` (batch excluded); from the internal layout of ``x``'s rank to that of
    ``shape``'s. Its own backward pass, with the input's shape."""
    public = x.transpose(public_order(x.ndim - 1, data_format))
    reshaped = public.reshape(public.shape[0], *shape)
    moved = reshaped.transpose(internal_order(len(shape), data_format))
    y = empty_from(workspace, name, moved.shape, x.dtype)
    np.copyto(y, moved)
    return y


def crop2d_forward(x: Array, cropping: Padding2D, *, workspace: Workspace | None = None) -> Array:
    """x: ``(C, H, W, N)`` without ``cropping`` rows and columns: ``((top, bottom), (left, right))``."""
    (top, bottom), (left, right) = cropping
    _, height, width, _ = x.shape
    part = x[:, top : height - bottom, left : width - right]
    y = empty_from(workspace, "crop", part.shape, x.dtype)
    np.copyto(y, part)
    return y


def crop2d_backward(
    dy: Array, cropping: Padding2D, input_shape: Shape, *, workspace: Workspace | None = None
) -> Array:
    """dy put back in place in zeros of the input's shape (cut cells get no gradient)."""
    (top, _), (left, _) = cropping
    dx = zeros_from(workspace, "uncrop", input_shape, dy.dtype)
    dx[:, top : top + dy.shape[1], left : left + dy.shape[2]] = dy
    return dx


def bilinear_matrix(size: int, factor: int, dtype: npt.DTypeLike) -> Array:
    """The ``(size · factor, size)`` matrix of TensorFlow's bilinear resize along one axis with
    half-pixel centres (``tf.image.resize``, as Keras' ``UpSampling2D`` calls it): output cell
    ``o`` reads input position ``(o + ½) / factor − ½``, between cells ``⌊p⌋`` and ``⌈p⌉`` clamped
    to the axis, weighted by ``p − ⌊p⌋``.

    >>> bilinear_matrix(2, 2, np.float64).tolist()
    [[1.0, 0.0], [0.75, 0.25], [0.25, 0.75], [0.0, 1.0]]
    """
    position = (np.arange(size * factor) + 0.5) / factor - 0.5
    floor = np.floor(position)
    lower = np.maximum(floor, 0).astype(np.intp)
    upper = np.minimum(np.ceil(position), size - 1).astype(np.intp)
    weight = position - floor
    matrix = np.zeros((size * factor, size))
    rows = np.arange(size * factor)
    np.add.at(matrix, (rows, lower), 1 - weight)
    np.add.at(matrix, (rows, upper), weight)
    result: Array = matrix.astype(dtype)
    return result


def upsample2d_forward(
    x: Array,
    size: tuple[int, int],
    matrices: tuple[Array, Array] | None = None,
    *,
    workspace: Workspace | None = None,
) -> Array:
    """x: ``(C, H, W, N)`` → ``(C, H·sh, W·sw, N)``: each cell repeated (nearest), or, given the
    two :func:`bilinear_matrix` ``(rows, columns)``, interpolated."""
    channels, height, width, batch = x.shape
    (sh, sw) = size
    y = empty_from(workspace, "upsampled", (channels, height * sh, width * sw, batch), x.dtype)
    if matrices is None:
        y.reshape(channels, height, sh, width, sw, batch)[...] = x[:, :, np.newaxis, :, np.newaxis]
        return y
    rows, cols = matrices
    tall = np.matmul(rows, x.reshape(channels, height, width * batch))  # (C, H·sh, W·N)
    np.matmul(cols, tall.reshape(channels * height * sh, width, batch), out=y.reshape(-1, width * sw, batch))
    return y


def upsample2d_backward(
    dy: Array,
    size: tuple[int, int],
    matrices: tuple[Array, Array] | None = None,
    *,
    workspace: Workspace | None = None,
) -> Array:
    """Gradient of :func:`upsample2d_forward`: dy ``(C, H·sh, W·sw, N)`` → ``(C, H, W, N)``."""
    channels, tall, wide, batch = dy.shape
    (sh, sw) = size
    height, width = tall // sh, wide // sw
    dx = empty_from(workspace, "downsampled", (channels, height, width, batch), dy.dtype)
    if matrices is None:
        np.sum(dy.reshape(channels, height, sh, width, sw, batch), axis=(2, 4), out=dx)
        return dx
    rows, cols = matrices
    narrow = np.matmul(cols.T, dy.reshape(channels * tall, wide, batch))  # (C·H·sh, W, N)
    np.matmul(rows.T, narrow.reshape(channels, tall, width * batch), out=dx.reshape(channels, height, -1))
    return dx

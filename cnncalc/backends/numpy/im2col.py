"""Padding, im2col and col2im for the NumPy backend, on strided views.

Every array here is in the backend's internal layout, channels first and batch last:
``(C, H, W, N)``. The batch axis is innermost so that every strided slice below still
has contiguous runs of ``N`` (or ``W * N``) elements, which keeps the copies memcpy-like.

Padding is always explicit and possibly asymmetric: ``((top, bottom), (left, right))``.
Modes (:data:`PadMode`):

* ``"zeros"`` fills with 0;
* ``"replicate"`` repeats the edge cell (``numpy.pad(mode="edge")``);
* ``"reflect"`` mirrors without repeating the edge (``numpy.pad(mode="reflect")``,
  TensorFlow's ``tf.pad(mode="REFLECT")``), so each pad must be smaller than the side.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from typing import Any, Literal, TypeAlias, get_args

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import as_strided

__all__ = [
    "Array",
    "PadMode",
    "Padding2D",
    "Pair",
    "Scratch",
    "Shape",
    "Split",
    "Workspace",
    "col2im",
    "empty_from",
    "im2col",
    "pad2d",
    "pad2d_backward",
    "pad_source_index",
    "parts",
    "serial",
    "tap_slices",
    "window_output_size",
    "zeros_from",
]

Array: TypeAlias = npt.NDArray[np.floating[Any]]
"""A float32 (production) or float64 (gradient checks) array."""

PadMode: TypeAlias = Literal["zeros", "replicate", "reflect"]
Padding2D: TypeAlias = tuple[tuple[int, int], tuple[int, int]]
"""``((top, bottom), (left, right))`` in cells."""
Shape: TypeAlias = tuple[int, ...]
Pair: TypeAlias = tuple[int, int]
"""Two sizes, rows first: a pool or kernel size, strides, dilation."""

PAD_MODES: tuple[PadMode, ...] = get_args(PadMode)
NO_PADDING: Padding2D = ((0, 0), (0, 0))

Split: TypeAlias = Callable[[Callable[[int], object], int], None]
"""How a kernel runs its independent pieces of work: ``split(task, count)`` calls ``task(0)``, ...,
``task(count - 1)``, possibly on several threads, and returns when all are done. Kernels cut their
work the same way whatever runs it, so results never depend on the number of threads."""


def serial(task: Callable[[int], object], count: int) -> None:
    """The :data:`Split` that runs every piece in the calling thread, in order."""
    for index in range(count):
        task(index)


PIECES = 8
"""Pieces a copy or a scatter is cut into (for up to eight threads; each piece is one NumPy call
per row of the work, so more pieces only add calls)."""


def parts(count: int, pieces: int = PIECES) -> list[range]:
    """``range(count)`` in at most ``pieces`` consecutive, balanced parts.

    >>> parts(10, 4)
    [range(0, 2), range(2, 5), range(5, 8), range(8, 10)]
    """
    pieces = max(1, min(pieces, count))
    bounds = [round(i * count / pieces) for i in range(pieces + 1)]
    return [range(start, stop) for start, stop in itertools.pairwise(bounds)]


class Workspace:
    """Arrays reused from call to call, one per (name, shape, dtype).

    A layer owns one and passes it to its kernels, which then allocate their large arrays
    (im2col matrix, outputs, gradients) once rather than at every step: fresh
    multi-megabyte arrays are page-faulted in anew each time, which doubled LeNet-5's
    training step at batch 32. An array a kernel returns may live here, so it is valid
    only until the next call that uses the same workspace.
    """

    def __init__(self) -> None:
        self._arrays: dict[tuple[str, tuple[int, ...], str], Array] = {}

    def empty(self, name: str, shape: tuple[int, ...], dtype: npt.DTypeLike) -> Array:
        key = (name, shape, np.dtype(dtype).str)
        array = self._arrays.get(key)
        if array is None:
            array = self._arrays[key] = np.empty(shape, dtype=dtype)
        return array


class Scratch(Workspace):
    """Arrays that never outlive the kernel call that asks for them (a padded copy on its way to
    im2col, a gradient on its way to col2im), one flat buffer per name whatever the shape: the
    largest any layer needs. One copy of a model's layers shares one, since its layers run one
    at a time; with buffers per layer, the small ResNet at batch 128 held 175 MiB of col2im
    inputs, one per convolution."""

    def __init__(self) -> None:
        super().__init__()
        self._flat: dict[str, npt.NDArray[np.uint8]] = {}

    def empty(self, name: str, shape: tuple[int, ...], dtype: npt.DTypeLike) -> Array:
        dtype = np.dtype(dtype)
        size = math.prod(shape) * dtype.itemsize
        flat = self._flat.get(name)
        if flat is None or flat.size < size:
            flat = self._flat[name] = np.empty(size, np.uint8)
        array: Array = flat[:size].view(dtype).reshape(shape)
        return array


def empty_from(workspace: Workspace | None, name: str, shape: tuple[int, ...], dtype: npt.DTypeLike) -> Array:
    """An uninitialised array: from ``workspace`` when given, else freshly allocated."""
    if workspace is None:
        fresh: Array = np.empty(shape, dtype=dtype)
        return fresh
    return workspace.empty(name, shape, dtype)


def zeros_from(workspace: Workspace | None, name: str, shape: tuple[int, ...], dtype: npt.DTypeLike) -> Array:
    """A zeroed array: from ``workspace`` when given, else freshly allocated."""
    if workspace is None:
        fresh: Array = np.zeros(shape, dtype=dtype)
        return fresh
    array = workspace.empty(name, shape, dtype)
    array.fill(0)
    return array


def window_output_size(size: int, window: int, stride: int, dilation: int = 1) -> int:
    """Number of window positions along one already padded axis of ``size`` cells.

    >>> window_output_size(32, 5, 1)
    28
    >>> window_output_size(8, 3, 2, dilation=2)
    2
    """
    span = dilation * (window - 1) + 1
    if size < span:
        raise ValueError(f"window spanning {span} cells does not fit in {size} cells")
    return (size - span) // stride + 1


def pad_source_index(size: int, before: int, after: int, mode: PadMode) -> npt.NDArray[np.intp]:
    """For each cell of a padded axis, the input cell whose value it holds (-1 for zeros).

    >>> pad_source_index(3, 2, 2, "replicate").tolist()
    [0, 0, 0, 1, 2, 2, 2]
    >>> pad_source_index(3, 2, 2, "reflect").tolist()
    [2, 1, 0, 1, 2, 1, 0]
    >>> pad_source_index(3, 1, 0, "zeros").tolist()
    [-1, 0, 1, 2]
    """
    if before < 0 or after < 0:
        raise ValueError(f"padding must be non-negative, got ({before}, {after})")
    position = np.arange(-before, size + after)
    if mode == "zeros":
        return np.where((position >= 0) & (position < size), position, -1)
    if mode == "replicate":
        return np.clip(position, 0, size - 1)
    if mode == "reflect":
        if max(before, after) >= size:
            raise ValueError(f"reflect padding ({before}, {after}) must be smaller than the side ({size})")
        # Fold negative positions onto the right (|p|), then those past the end back left.
        reflected: npt.NDArray[np.intp] = (size - 1) - np.abs((size - 1) - np.abs(position))
        return reflected
    raise ValueError(f"unknown padding mode {mode!r}; expected one of {PAD_MODES}")


def pad2d(
    x: Array, padding: Padding2D, mode: PadMode = "zeros", *, workspace: Workspace | None = None
) -> Array:
    """Pad the two spatial axes of ``x``.

    x: ``(C, H, W, N)``; returns ``(C, H + top + bottom, W + left + right, N)``: a new array
    (a workspace buffer for ``"zeros"`` when one is given), or ``x`` itself when there is
    no padding.
    """
    (top, bottom), (left, right) = padding
    if padding == NO_PADDING:
        return x
    channels, height, width, batch = x.shape
    rows = pad_source_index(height, top, bottom, mode)
    cols = pad_source_index(width, left, right, mode)
    if mode == "zeros":
        padded = zeros_from(workspace, "pad2d", (channels, rows.size, cols.size, batch), x.dtype)
        padded[:, top : top + height, left : left + width] = x
        return padded
    # Gather rows, then columns: each take is one contiguous copy.
    return np.take(np.take(x, rows, axis=1), cols, axis=2)


def pad2d_backward(d_padded: Array, padding: Padding2D, mode: PadMode = "zeros") -> Array:
    """Gradient of :func:`pad2d`: every padded cell sends its gradient to its source cell.

    d_padded: ``(C, Hp, Wp, N)``; returns ``(C, Hp - top - bottom, Wp - left - right, N)``.
    For ``"zeros"`` the pad cells are constants, so this is a crop (a view).
    """
    if padding == NO_PADDING:
        return d_padded
    (top, bottom), (left, right) = padding
    height = d_padded.shape[1] - top - bottom
    width = d_padded.shape[2] - left - right
    if mode == "zeros":
        return d_padded[:, top : top + height, left : left + width]
    rows = pad_source_index(height, top, bottom, mode)
    cols = pad_source_index(width, left, right, mode)
    # Fold the pad rows onto their source rows over the full padded width, then the pad
    # columns onto their source columns, so corner cells reach their (row, column) source.
    folded_rows = d_padded[:, top : top + height].copy()
    for padded_row in (*range(top), *range(top + height, rows.size)):
        folded_rows[:, rows[padded_row]] += d_padded[:, padded_row]
    grad = folded_rows[:, :, left : left + width].copy()
    for padded_col in (*range(left), *range(left + width, cols.size)):
        grad[:, :, cols[padded_col]] += folded_rows[:, :, padded_col]
    return grad


def tap_slices(
    tap: tuple[int, int],
    out_size: tuple[int, int],
    strides: tuple[int, int],
    dilation: tuple[int, int] = (1, 1),
) -> tuple[slice, slice, slice]:
    """Index of the cells that kernel tap ``(i, j)`` reads for every output position.

    ``x[tap_slices(...)]`` on a padded ``(C, Hp, Wp, N)`` array is the ``(C, Ho, Wo, N)``
    view ``x[:, i*dh + y*sh, j*dw + x*sw]`` over all outputs ``(y, x)``.
    """
    (i, j), (out_h, out_w), (sh, sw), (dh, dw) = tap, out_size, strides, dilation
    return (
        slice(None),
        slice(i * dh, i * dh + sh * (out_h - 1) + 1, sh),
        slice(j * dw, j * dw + sw * (out_w - 1) + 1, sw),
    )


def im2col(
    x_padded: Array,
    kernel_size: tuple[int, int],
    strides: tuple[int, int] = (1, 1),
    dilation: tuple[int, int] = (1, 1),
    out: Array | None = None,
    *,
    split: Split = serial,
) -> Array:
    """Unfold the windows of an already padded input into columns, ready for one matmul.

    x_padded: ``(C, Hp, Wp, N)``; returns ``(C, kh, kw, Ho, Wo, N)`` with
    ``cols[c, i, j, y, x, n] = x_padded[c, i*dh + y*sh, j*dw + x*sw, n]``; reshaped to
    ``(C * kh * kw, Ho * Wo * N)`` it is the im2col matrix (rows ordered channel, tap row,
    tap column). The result is written into ``out`` when given (same shape and dtype),
    so callers can reuse one buffer; this single copy is the only one made, a piece of the
    channels (or of the kernel rows, for few channels) per task of ``split``.
    """
    channels, height, width, batch = x_padded.shape
    (kh, kw), (sh, sw), (dh, dw) = kernel_size, strides, dilation
    out_h = window_output_size(height, kh, sh, dh)
    out_w = window_output_size(width, kw, sw, dw)
    s_c, s_h, s_w, s_n = x_padded.strides
    windows = as_strided(
        x_padded,
        shape=(channels, kh, kw, out_h, out_w, batch),
        strides=(s_c, dh * s_h, dw * s_w, sh * s_h, sw * s_w, s_n),
        writeable=False,
    )
    cols = np.empty(windows.shape, x_padded.dtype) if out is None else out
    if channels >= PIECES:  # a piece of the channels per task, one copy each

        def copy(part: int) -> None:
            block = slice(pieces[part].start, pieces[part].stop)
            np.copyto(cols[block], windows[block])

        pieces = parts(channels)
    else:  # few channels (a first layer): a piece of the kernel rows, one copy per row

        def copy(part: int) -> None:
            for row in pieces[part]:
                np.copyto(cols[divmod(row, kh)], windows[divmod(row, kh)])

        pieces = parts(channels * kh)
    split(copy, len(pieces))
    return cols


def col2im(
    cols: Array,
    padded_size: tuple[int, int],
    strides: tuple[int, int] = (1, 1),
    dilation: tuple[int, int] = (1, 1),
    *,
    workspace: Workspace | None = None,
    split: Split = serial,
) -> Array:
    """Adjoint of :func:`im2col`: add every column entry back onto the cell it came from.

    cols: ``(C, kh, kw, Ho, Wo, N)``; returns ``(C, Hp, Wp, N)`` where overlapping windows
    have their contributions summed. One strided add per kernel tap, on a piece of the
    channels per task of ``split`` (each cell's contributions are added in tap order whatever
    the pieces).
    """
    channels, kh, kw, out_h, out_w, batch = cols.shape
    grad = empty_from(workspace, "col2im", (channels, *padded_size, batch), cols.dtype)

    def scatter(part: int) -> None:
        block = slice(pieces[part].start, pieces[part].stop)
        grad[block].fill(0)
        for i in range(kh):
            for j in range(kw):
                grad[block][tap_slices((i, j), (out_h, out_w), strides, dilation)] += cols[block, i, j]

    pieces = parts(channels)
    split(scatter, len(pieces))
    return grad

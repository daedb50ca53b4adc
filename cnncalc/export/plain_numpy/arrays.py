"""Padding and windows of a batch of feature maps (N, H, W, C), and their gradients."""

from __future__ import annotations

from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import as_strided

Array: TypeAlias = npt.NDArray[Any]  # float32 when training, float64 in gradient checks
Pair: TypeAlias = tuple[int, int]
Padding: TypeAlias = tuple[Pair, Pair]  # ((top, bottom), (left, right))


def pad(x: Array, padding: Padding, mode: str = "zeros", value: float = 0.0) -> Array:
    """Pad the height and width of x (N, H, W, C); padding = ((top, bottom), (left, right))."""
    widths = ((0, 0), *padding, (0, 0))
    if mode == "zeros":
        return np.pad(x, widths, constant_values=value)
    return np.pad(x, widths, mode="edge" if mode == "replicate" else "reflect")


def source_index(size: int, before: int, after: int, mode: str) -> Array:
    """For each cell of a padded axis, the input cell whose value it holds."""
    position = np.arange(-before, size + after)
    if mode == "replicate":
        return np.clip(position, 0, size - 1)
    mirrored: Array = (size - 1) - np.abs((size - 1) - np.abs(position))  # reflect: at both ends
    return mirrored


def unpad(grad: Array, padding: Padding, mode: str = "zeros") -> Array:
    """Gradient of pad: every padded cell hands its gradient to the cell it copied."""
    (top, bottom), (left, right) = padding
    batch, height, width, channels = grad.shape
    height, width = height - top - bottom, width - left - right
    if mode == "zeros":  # zeros are constants: their gradient goes nowhere
        return grad[:, top : top + height, left : left + width]
    rows = source_index(height, top, bottom, mode)
    cols = source_index(width, left, right, mode)
    by_row = np.zeros((batch, height, grad.shape[2], channels), grad.dtype)
    for padded, row in enumerate(rows):  # every padded row onto the row it copied
        by_row[:, row] += grad[:, padded]
    dx = np.zeros((batch, height, width, channels), grad.dtype)
    for padded, col in enumerate(cols):  # then every padded column
        dx[:, :, col] += by_row[:, :, padded]
    return dx


def windows(x: Array, size: Pair, strides: Pair = (1, 1), dilation: Pair = (1, 1)) -> Array:
    """Every window of x (N, H, W, C) as a strided view (N, Ho, Wo, kh, kw, C), without a copy:
    windows[n, i, j, a, b, c] = x[n, i * sh + a * dh, j * sw + b * dw, c]."""
    batch, height, width, channels = x.shape
    (kh, kw), (sh, sw), (dh, dw) = size, strides, dilation
    out_h = (height - dh * (kh - 1) - 1) // sh + 1
    out_w = (width - dw * (kw - 1) - 1) // sw + 1
    s_n, s_h, s_w, s_c = x.strides
    view: Array = as_strided(
        x,
        shape=(batch, out_h, out_w, kh, kw, channels),
        strides=(s_n, sh * s_h, sw * s_w, dh * s_h, dw * s_w, s_c),
        writeable=False,
    )
    return view


def fold(cells: Array, shape: tuple[int, ...], strides: Pair = (1, 1), dilation: Pair = (1, 1)) -> Array:
    """The adjoint of windows: add every window cell (N, Ho, Wo, kh, kw, C) back onto the
    input cell (of an input of this shape) it came from; overlapping windows add up."""
    _, out_h, out_w, kh, kw, _ = cells.shape
    (sh, sw), (dh, dw) = strides, dilation
    dx = np.zeros(shape, cells.dtype)
    for a in range(kh):
        for b in range(kw):
            rows = slice(a * dh, a * dh + sh * (out_h - 1) + 1, sh)
            cols = slice(b * dw, b * dw + sw * (out_w - 1) + 1, sw)
            dx[:, rows, cols] += cells[:, :, :, a, b]
    return dx

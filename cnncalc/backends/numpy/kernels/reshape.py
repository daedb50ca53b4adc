"""Merges and reshapes: kernels that move values without computing new ones (flatten)."""

from __future__ import annotations

import numpy as np

from cnncalc.backends.numpy.im2col import Array, Shape, Workspace, empty_from


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

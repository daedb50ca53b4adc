"""Pooling kernels against loop oracles, hand arithmetic, finite differences and Keras."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from cnncalc.backends.numpy.im2col import Padding2D
from cnncalc.backends.numpy.kernels.pooling import (
    PoolPadMode,
    avg_pool2d_backward,
    avg_pool2d_forward,
    global_avg_pool2d_backward,
    global_avg_pool2d_forward,
    global_max_pool2d_backward,
    global_max_pool2d_forward,
    max_pool2d_backward,
    max_pool2d_forward,
)
from tests.backends.numpy.numpy_backend_testing import NP_PAD_MODE, check_gradients, internal, nhwc

PAD_MODES: list[PoolPadMode] = ["ignore", "zeros", "replicate", "reflect"]


@dataclass(frozen=True)
class Pool:
    size: tuple[int, int]
    strides: tuple[int, int]
    padding: Padding2D = ((0, 0), (0, 0))


# Non-overlapping, overlapping, asymmetric, gapped (stride > window).
GEOMETRIES = [
    Pool((2, 2), (2, 2)),
    Pool((3, 3), (2, 2), ((1, 1), (0, 1))),
    Pool((2, 3), (1, 2), ((1, 0), (2, 1))),
    Pool((2, 2), (3, 3), ((0, 1), (1, 0))),
]


# forward(x, pool_size, strides, padding, pad_mode) -> (y, cache); backward(dy, cache) -> dx
KERNELS: dict[str, tuple[Callable[..., Any], Callable[..., Any]]] = {
    "max": (max_pool2d_forward, max_pool2d_backward),
    "avg": (avg_pool2d_forward, avg_pool2d_backward),
}


def naive_windows(
    plane: np.ndarray, pool: Pool, mode: PoolPadMode
) -> list[tuple[tuple[int, int], list[tuple[int, int, float]]]]:
    """For one (H, W) plane: per output cell, the (row, col, value) of the cells it pools.

    Rows and columns are padded coordinates; ignored padded cells are left out.
    """
    (top, bottom), (left, right) = pool.padding
    if mode == "ignore":
        padded = np.pad(plane, pool.padding, constant_values=np.nan)
    else:
        padded = np.pad(plane, pool.padding, mode=NP_PAD_MODE[mode])  # type: ignore[call-overload]
    (ph, pw), (sh, sw) = pool.size, pool.strides
    out_h = (plane.shape[0] + top + bottom - ph) // sh + 1
    out_w = (plane.shape[1] + left + right - pw) // sw + 1
    windows = []
    for r in range(out_h):
        for c in range(out_w):
            cells = [
                (r * sh + i, c * sw + j, padded[r * sh + i, c * sw + j]) for i in range(ph) for j in range(pw)
            ]
            windows.append(((r, c), [cell for cell in cells if not np.isnan(cell[2])]))
    return windows


def naive_pool(x: np.ndarray, pool: Pool, mode: PoolPadMode, kind: str) -> np.ndarray:
    """Oracle in public layout: x ``(N, H, W, C)`` → ``(N, Ho, Wo, C)``."""
    outputs: dict[tuple[int, int, int, int], float] = {}
    for n in range(x.shape[0]):
        for ch in range(x.shape[3]):
            for (r, c), cells in naive_windows(x[n, :, :, ch], pool, mode):
                values = [value for _, _, value in cells]
                outputs[n, r, c, ch] = max(values) if kind == "max" else sum(values) / len(values)
    y = np.zeros(tuple(i + 1 for i in max(outputs)))
    for index, value in outputs.items():
        y[index] = value
    return y


def naive_max_pool_backward(x: np.ndarray, dy: np.ndarray, pool: Pool) -> np.ndarray:
    """Ignored padding; each window's gradient goes to its first maximum in row-major order."""
    (top, _), (left, _) = pool.padding
    dx = np.zeros_like(x)
    for n in range(x.shape[0]):
        for ch in range(x.shape[3]):
            for (r, c), cells in naive_windows(x[n, :, :, ch], pool, "ignore"):
                best = cells[0]
                for cell in cells[1:]:
                    if cell[2] > best[2]:
                        best = cell
                dx[n, best[0] - top, best[1] - left, ch] += dy[n, r, c, ch]
    return dx


@pytest.mark.parametrize("mode", PAD_MODES)
@pytest.mark.parametrize("pool", GEOMETRIES, ids=repr)
@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pool_forward_matches_loops(
    kind: str, pool: Pool, mode: PoolPadMode, rng: np.random.Generator
) -> None:
    x = rng.standard_normal((2, 6, 7, 3)).astype(np.float32)
    forward, _ = KERNELS[kind]
    y, _ = forward(internal(x), pool.size, pool.strides, pool.padding, mode)
    assert y.dtype == np.float32
    np.testing.assert_allclose(nhwc(y), naive_pool(x, pool, mode, kind), rtol=1e-6, atol=1e-6)


def test_pooling_by_hand() -> None:
    # 3x3 plane 1..9, 2x2 window, stride 2, Keras `same`: one pad row/col at the bottom/right.
    plane = np.arange(1.0, 10.0).reshape(1, 3, 3, 1)
    same: Padding2D = ((0, 1), (0, 1))
    y, _ = avg_pool2d_forward(plane, (2, 2), (2, 2), same, "ignore")
    assert y.reshape(2, 2).tolist() == [[(1 + 2 + 4 + 5) / 4, (3 + 6) / 2], [(7 + 8) / 2, 9.0]]
    y, _ = avg_pool2d_forward(plane, (2, 2), (2, 2), same, "zeros")
    assert y.reshape(2, 2).tolist() == [[12 / 4, 9 / 4], [15 / 4, 9 / 4]]
    y, _ = avg_pool2d_forward(plane, (2, 2), (2, 2), same, "replicate")
    assert y.reshape(2, 2).tolist() == [[12 / 4, (3 + 3 + 6 + 6) / 4], [(7 + 8 + 7 + 8) / 4, 9.0]]
    negative = -plane
    y, _ = max_pool2d_forward(negative, (2, 2), (2, 2), same, "ignore")
    assert y.reshape(2, 2).tolist() == [[-1.0, -3.0], [-7.0, -9.0]]
    y, _ = max_pool2d_forward(negative, (2, 2), (2, 2), same, "zeros")
    assert y.reshape(2, 2).tolist() == [[-1.0, 0.0], [0.0, 0.0]]


def test_ignored_padding_must_leave_a_real_cell_in_every_window() -> None:
    with pytest.raises(ValueError, match="smaller than the pool window"):
        max_pool2d_forward(np.zeros((1, 4, 4, 1)), (2, 2), (2, 2), ((2, 0), (0, 0)))


def distinct_values(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """Values at least 0.1 apart, so finite differences never cross a max-pool tie."""
    return rng.permutation(np.arange(math.prod(shape)) * 0.1).reshape(shape)


@pytest.mark.parametrize("mode", PAD_MODES)
@pytest.mark.parametrize("pool", GEOMETRIES, ids=repr)
@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pool_backward_by_finite_differences(
    kind: str, pool: Pool, mode: PoolPadMode, rng: np.random.Generator
) -> None:
    x = distinct_values((2, 5, 6, 2), rng)
    forward, backward = KERNELS[kind]
    geometry = (pool.size, pool.strides, pool.padding, mode)
    check_gradients(
        lambda: forward(x, *geometry)[0],
        lambda dy: {"x": backward(dy, forward(x, *geometry)[1])},
        {"x": x},
        rng,
    )


@pytest.mark.parametrize("pool", GEOMETRIES, ids=repr)
def test_max_pool_ties_send_the_gradient_to_the_first_maximum_only(
    pool: Pool, rng: np.random.Generator
) -> None:
    x = rng.integers(0, 2, size=(2, 6, 7, 3)).astype(np.float64)  # ties everywhere
    y, cache = max_pool2d_forward(internal(x), pool.size, pool.strides, pool.padding)
    dy = rng.standard_normal(nhwc(y).shape)
    dx = nhwc(max_pool2d_backward(internal(dy), cache))
    np.testing.assert_allclose(dx, naive_max_pool_backward(x, dy, pool), atol=1e-12)
    # Each window hands out exactly its own gradient: nothing is double counted.
    assert dx.sum() == pytest.approx(dy.sum())


def test_max_pool_tie_by_hand() -> None:
    # A 2x2 window of equal values: only the top-left cell (first in row-major order) gets dy.
    y, cache = max_pool2d_forward(np.full((1, 2, 2, 1), 5.0), (2, 2), (2, 2))
    dx = max_pool2d_backward(np.full((1, 1, 1, 1), 3.0), cache)
    assert y.ravel().tolist() == [5.0]
    assert dx.reshape(2, 2).tolist() == [[3.0, 0.0], [0.0, 0.0]]


def test_global_pools_by_hand_and_ties_share_the_gradient() -> None:
    x = np.array([[1.0, 4.0], [4.0, 2.0]]).reshape(1, 2, 2, 1)
    assert global_avg_pool2d_forward(x).tolist() == [[11 / 4]]
    y = global_max_pool2d_forward(x)
    assert y.tolist() == [[4.0]]
    dx = global_max_pool2d_backward(np.array([[6.0]]), x, y)
    assert dx.reshape(2, 2).tolist() == [[0.0, 3.0], [3.0, 0.0]]
    dx = global_avg_pool2d_backward(np.array([[8.0]]), x.shape)
    assert dx.reshape(2, 2).tolist() == [[2.0, 2.0], [2.0, 2.0]]


def test_global_pools_by_finite_differences(rng: np.random.Generator) -> None:
    x = distinct_values((3, 4, 5, 2), rng)
    check_gradients(
        lambda: global_avg_pool2d_forward(x),
        lambda dy: {"x": global_avg_pool2d_backward(dy, x.shape)},
        {"x": x},
        rng,
    )
    check_gradients(
        lambda: global_max_pool2d_forward(x),
        lambda dy: {"x": global_max_pool2d_backward(dy, x, global_max_pool2d_forward(x))},
        {"x": x},
        rng,
    )


def keras_same_padding(size: int, pool: int, stride: int) -> tuple[int, int]:
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + pool - size, 0)
    return total // 2, total - total // 2


@pytest.mark.keras
@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize(
    ("size", "pool", "padding"),
    [
        ((7, 9), Pool((3, 3), (2, 2)), "same"),
        ((6, 7), Pool((2, 2), (2, 2)), "same"),
        ((5, 8), Pool((2, 3), (1, 2)), "same"),
        ((7, 7), Pool((3, 2), (2, 3)), "valid"),
    ],
    ids=repr,
)
def test_pool_forward_matches_keras(
    keras: ModuleType, kind: str, size: tuple[int, int], pool: Pool, padding: str
) -> None:
    layer_type = keras.layers.MaxPooling2D if kind == "max" else keras.layers.AveragePooling2D
    layer = layer_type(pool.size, strides=pool.strides, padding=padding)
    # All negative, so a max over zero padding would show.
    rng = np.random.default_rng(7)
    x = -np.abs(rng.standard_normal((2, *size, 3))).astype(np.float32) - 1
    expected = np.asarray(layer(x))
    if padding == "same":
        pool = replace(
            pool,
            padding=(
                keras_same_padding(size[0], pool.size[0], pool.strides[0]),
                keras_same_padding(size[1], pool.size[1], pool.strides[1]),
            ),
        )
    forward, _ = KERNELS[kind]
    y, _ = forward(internal(x), pool.size, pool.strides, pool.padding, "ignore")
    np.testing.assert_allclose(nhwc(y), expected, rtol=1e-6, atol=1e-6)


@pytest.mark.keras
def test_max_pool_tie_gradients_match_tensorflow(keras: ModuleType, rng: np.random.Generator) -> None:
    import tensorflow as tf  # type: ignore[import-untyped]

    x = rng.integers(0, 2, size=(2, 7, 8, 3)).astype(np.float32)
    dy_shape = (2, 4, 4, 3)
    dy = rng.standard_normal(dy_shape).astype(np.float32)
    layer = keras.layers.MaxPooling2D((3, 2), strides=(2, 2), padding="same")
    tensor = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(tensor)
        out = layer(tensor)
    expected = tape.gradient(out, tensor, output_gradients=tf.constant(dy)).numpy()
    padding = (keras_same_padding(7, 3, 2), keras_same_padding(8, 2, 2))
    _, cache = max_pool2d_forward(internal(x), (3, 2), (2, 2), padding)
    dx = max_pool2d_backward(internal(dy), cache)
    np.testing.assert_allclose(nhwc(dx), expected, rtol=1e-6, atol=1e-6)

    global_layer = keras.layers.GlobalMaxPooling2D()
    dy_global = rng.standard_normal((2, 3)).astype(np.float32)
    with tf.GradientTape() as tape:
        tape.watch(tensor)
        out = global_layer(tensor)
    expected = tape.gradient(out, tensor, output_gradients=tf.constant(dy_global)).numpy()
    x_internal = internal(x)
    dx = global_max_pool2d_backward(dy_global.T, x_internal, global_max_pool2d_forward(x_internal))
    np.testing.assert_allclose(nhwc(dx), expected, rtol=1e-6, atol=1e-6)

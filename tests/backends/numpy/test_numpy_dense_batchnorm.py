"""Dense, flatten and batch normalisation kernels."""

from __future__ import annotations

from types import ModuleType

import numpy as np
import pytest

from cnncalc.backends.numpy.kernels.dense import dense_backward, dense_forward
from cnncalc.backends.numpy.kernels.layout import to_internal, to_public
from cnncalc.backends.numpy.kernels.normalization import (
    batch_norm_backward,
    batch_norm_inference,
    batch_norm_train_forward,
    update_moving_average,
)
from cnncalc.backends.numpy.kernels.reshape import flatten_backward, flatten_forward
from tests.backends.numpy.numpy_backend_testing import check_gradients, internal, nhwc


def test_layout_conversion_swaps_batch_and_channels(rng: np.random.Generator) -> None:
    x = rng.standard_normal((5, 4, 3, 2))
    inner = to_internal(x)
    assert inner.shape == (2, 4, 3, 5)
    assert inner.flags.c_contiguous
    assert inner[1, 3, 2, 4] == x[4, 3, 2, 1]
    np.testing.assert_array_equal(to_public(inner), x)
    assert to_internal(np.zeros((7, 10))).shape == (10, 7)


def test_dense_by_hand() -> None:
    x = np.array([[1.0, 2.0]]).T  # one sample, two features: internal (F, N)
    kernel = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    y, _ = dense_forward(x, kernel, np.array([0.5, 0.0, 0.0]))
    assert y.T.tolist() == [[1 + 8 + 0.5, 2 + 10, 3 + 12]]


def test_dense_on_rank4_applies_to_the_last_public_axis(rng: np.random.Generator) -> None:
    x = rng.standard_normal((2, 3, 4, 5))  # public (N, H, W, F)
    kernel, bias = rng.standard_normal((5, 6)), rng.standard_normal(6)
    y, _ = dense_forward(internal(x), kernel, bias)
    np.testing.assert_allclose(nhwc(y), np.einsum("nhwf,fu->nhwu", x, kernel) + bias)


@pytest.mark.parametrize("shape", [(4, 3), (4, 2, 3, 2)])
def test_dense_backward_by_finite_differences(shape: tuple[int, ...], rng: np.random.Generator) -> None:
    x = rng.standard_normal(shape)
    kernel, bias = rng.standard_normal((4, 5)), rng.standard_normal(5)

    def backward(dy: np.ndarray) -> dict[str, np.ndarray]:
        dx, dkernel, dbias = dense_backward(dy, dense_forward(x, kernel, bias)[1])
        assert dx is not None
        return {"x": dx, "kernel": dkernel, "bias": dbias}

    check_gradients(
        lambda: dense_forward(x, kernel, bias)[0],
        backward,
        {"x": x, "kernel": kernel, "bias": bias},
        rng,
    )


def test_flatten_uses_keras_channels_last_order(rng: np.random.Generator) -> None:
    x = rng.standard_normal((3, 4, 5, 2))  # public (N, H, W, C)
    flat = flatten_forward(internal(x))
    np.testing.assert_array_equal(flat.T, x.reshape(3, -1))  # Keras: row-major over (H, W, C)
    np.testing.assert_array_equal(flatten_backward(flat, (2, 4, 5, 3)), internal(x))


def batch_norm_oracle(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float) -> np.ndarray:
    """Public layout; statistics over every axis but the last, biased variance."""
    axes = tuple(range(x.ndim - 1))
    y: np.ndarray = gamma * (x - x.mean(axis=axes)) / np.sqrt(x.var(axis=axes) + eps) + beta
    return y


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 2, 3)])
def test_batch_norm_training_forward_and_moving_averages(
    shape: tuple[int, ...], rng: np.random.Generator
) -> None:
    x = 3 + 2 * rng.standard_normal(shape)
    gamma, beta = rng.standard_normal(3), rng.standard_normal(3)
    y, cache = batch_norm_train_forward(internal(x), gamma, beta, epsilon=1e-3)
    np.testing.assert_allclose(nhwc(y), batch_norm_oracle(x, gamma, beta, 1e-3), rtol=1e-12)
    axes = tuple(range(x.ndim - 1))
    np.testing.assert_allclose(cache.variance, x.var(axis=axes), rtol=1e-12)  # biased (ddof=0)
    moving = np.array([1.0, 2.0, 3.0])
    update_moving_average(moving, np.array([11.0, 12.0, 13.0]), momentum=0.9)
    np.testing.assert_allclose(moving, [1 * 0.9 + 11 * 0.1, 2 * 0.9 + 12 * 0.1, 3 * 0.9 + 13 * 0.1])


@pytest.mark.parametrize("shape", [(3, 5), (2, 3, 2, 4)])
def test_batch_norm_backward_by_finite_differences(shape: tuple[int, ...], rng: np.random.Generator) -> None:
    x = rng.standard_normal(shape)
    gamma, beta = rng.standard_normal(shape[0]), rng.standard_normal(shape[0])

    def backward(dy: np.ndarray) -> dict[str, np.ndarray]:
        dx, dgamma, dbeta = batch_norm_backward(dy, batch_norm_train_forward(x, gamma, beta)[1])
        return {"x": dx, "gamma": dgamma, "beta": dbeta}

    check_gradients(
        lambda: batch_norm_train_forward(x, gamma, beta)[0],
        backward,
        {"x": x, "gamma": gamma, "beta": beta},
        rng,
        rtol=1e-5,
    )


def test_batch_norm_inference_by_hand() -> None:
    x = np.array([[5.0, 7.0]])  # one channel, two samples
    y = batch_norm_inference(x, np.array([2.0]), np.array([1.0]), np.array([3.0]), np.array([4.0 - 1e-3]))
    np.testing.assert_allclose(y, [[2 * (5 - 3) / 2 + 1, 2 * (7 - 3) / 2 + 1]])


@pytest.mark.keras
@pytest.mark.parametrize("shape", [(8, 5), (4, 5, 6, 5)])
def test_batch_norm_matches_keras(
    keras: ModuleType, shape: tuple[int, ...], rng: np.random.Generator
) -> None:
    layer = keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-3)
    x = (2 + 3 * rng.standard_normal(shape)).astype(np.float32)
    layer.build(x.shape)
    gamma, beta = (
        rng.standard_normal(5).astype(np.float32),
        rng.standard_normal(5).astype(np.float32),
    )
    moving_mean = rng.standard_normal(5).astype(np.float32)
    moving_variance = rng.uniform(0.5, 2, 5).astype(np.float32)
    layer.set_weights([gamma, beta, moving_mean, moving_variance])

    expected = np.asarray(layer(x, training=False))
    y = batch_norm_inference(internal(x), gamma, beta, moving_mean, moving_variance, epsilon=1e-3)
    np.testing.assert_allclose(nhwc(y), expected, rtol=1e-5, atol=1e-5)

    expected = np.asarray(layer(x, training=True))
    y, cache = batch_norm_train_forward(internal(x), gamma, beta, epsilon=1e-3)
    np.testing.assert_allclose(nhwc(y), expected, rtol=1e-4, atol=1e-4)
    update_moving_average(moving_mean, cache.mean, 0.9)
    update_moving_average(moving_variance, cache.variance, 0.9)
    keras_mean, keras_variance = (np.asarray(v) for v in layer.get_weights()[2:])
    np.testing.assert_allclose(moving_mean, keras_mean, rtol=1e-5, atol=1e-6)
    # Keras 3 feeds the *biased* batch variance into the moving variance.
    np.testing.assert_allclose(moving_variance, keras_variance, rtol=1e-5, atol=1e-6)

"""Optimisers against hand-written update rules and against Keras."""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from cnncalc.backends.numpy.optim import SGD, Adam, flat_buffer


def test_flat_buffer_views_share_memory() -> None:
    flat, (kernel, bias) = flat_buffer([(2, 2), (2,)])
    kernel += 1
    bias[1] = 7
    assert flat.dtype == np.float32
    assert flat.tolist() == [1.0, 1.0, 1.0, 1.0, 0.0, 7.0]


def test_adam_by_hand() -> None:
    # One parameter, Keras defaults, written out step by step from the Adam paper's
    # "efficient" form that Keras uses.
    lr, b1, b2, eps = 1e-3, 0.9, 0.999, 1e-7
    param, m, v = 1.0, 0.0, 0.0
    grads = [0.5, -2.0, 0.25]
    expected = []
    for t, g in enumerate(grads, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        param -= lr * math.sqrt(1 - b2**t) / (1 - b1**t) * m / (math.sqrt(v) + eps)
        expected.append(param)
    params = np.array([1.0])
    adam = Adam(1, dtype=np.float64)
    for g, want in zip(grads, expected, strict=True):
        adam.step(params, np.array([g]))
        assert params[0] == pytest.approx(want, rel=1e-12)
    assert adam.iterations == 3


def test_sgd_momentum_by_hand() -> None:
    params = np.array([1.0])
    sgd = SGD(1, learning_rate=0.1, momentum=0.5, dtype=np.float64)
    sgd.step(params, np.array([1.0]))  # m = -0.1, p = 0.9
    sgd.step(params, np.array([1.0]))  # m = -0.05 - 0.1 = -0.15, p = 0.75
    assert params[0] == pytest.approx(0.75)
    plain = np.array([1.0])
    SGD(1, learning_rate=0.1).step(plain, np.array([2.0]))
    assert plain[0] == pytest.approx(0.8)


def run_keras(keras: ModuleType, optimizer: Any, start: np.ndarray, grads: list[np.ndarray]) -> np.ndarray:
    variable = keras.Variable(start)
    for g in grads:
        optimizer.apply_gradients([(keras.ops.convert_to_tensor(g), variable)])
    return np.asarray(variable)


@pytest.mark.keras
def test_adam_matches_keras(keras: ModuleType, rng: np.random.Generator) -> None:
    start = rng.standard_normal(50).astype(np.float32)
    grads = [rng.standard_normal(50).astype(np.float32) * scale for scale in (1, 0.01, 5, 1e-4, 1)]
    expected = run_keras(keras, keras.optimizers.Adam(), start, grads)
    params = start.copy()
    adam = Adam(50)
    for g in grads:
        adam.step(params, g)
    np.testing.assert_allclose(params, expected, rtol=1e-6, atol=1e-7)


@pytest.mark.keras
@pytest.mark.parametrize(("momentum", "nesterov"), [(0.0, False), (0.9, False), (0.9, True)])
def test_sgd_matches_keras(
    keras: ModuleType, momentum: float, nesterov: bool, rng: np.random.Generator
) -> None:
    start = rng.standard_normal(20).astype(np.float32)
    grads = [rng.standard_normal(20).astype(np.float32) for _ in range(4)]
    expected = run_keras(
        keras,
        keras.optimizers.SGD(learning_rate=0.05, momentum=momentum, nesterov=nesterov),
        start,
        grads,
    )
    params = start.copy()
    sgd = SGD(20, learning_rate=0.05, momentum=momentum, nesterov=nesterov)
    for g in grads:
        sgd.step(params, g)
    np.testing.assert_allclose(params, expected, rtol=1e-6, atol=1e-7)

"""Activations, the fused softmax cross-entropy, dropout and initialisers."""

from __future__ import annotations

import math
from collections.abc import Callable
from types import ModuleType

import numpy as np
import pytest

from cnncalc.backends.numpy.kernels.activations import (
    ACTIVATIONS,
    READS_INPUT,
    ActivationName,
    activation_backward,
    activation_forward,
)
from cnncalc.backends.numpy.kernels.dropout import dropout_backward, dropout_forward
from cnncalc.backends.numpy.kernels.initializers import compute_fans, glorot_uniform
from cnncalc.backends.numpy.kernels.loss import (
    probability_cross_entropy,
    softmax_cross_entropy,
    softmax_cross_entropy_backward,
)
from tests.backends.numpy.numpy_backend_testing import check_gradients, internal, nhwc


def _sigmoid(v: float) -> float:
    return 1 / (1 + math.exp(-v)) if v >= 0 else math.exp(v) / (1 + math.exp(v))


def _softplus(v: float) -> float:
    return max(v, 0.0) + math.log1p(math.exp(-abs(v)))


SELU_ALPHA, SELU_SCALE = 1.6732632423543772, 1.0507009873554805  # Klambauer et al. (2017), eq. 14

# Each function as its definition reads (Keras' docstrings, the papers), scalar by scalar with math.
SCALAR_DEFINITIONS: dict[str, Callable[[float], float]] = {
    "linear": lambda v: v,
    "relu": lambda v: max(v, 0.0),
    "relu6": lambda v: min(max(v, 0.0), 6.0),
    "elu": lambda v: v if v > 0 else math.exp(v) - 1,
    "selu": lambda v: SELU_SCALE * (v if v > 0 else SELU_ALPHA * (math.exp(v) - 1)),
    "celu": lambda v: v if v >= 0 else math.exp(v) - 1,
    "leaky_relu": lambda v: v if v > 0 else 0.2 * v,
    "gelu": lambda v: 0.5 * v * (1 + math.erf(v / math.sqrt(2))),
    "silu": lambda v: v * _sigmoid(v),
    "swish": lambda v: v * _sigmoid(v),
    "mish": lambda v: v * math.tanh(_softplus(v)),
    "tanh": math.tanh,
    "lecun_tanh": lambda v: 1.7159 * math.tanh(2 * v / 3),  # LeCun et al. 1998, appendix A
    "sigmoid": _sigmoid,
    "hard_sigmoid": lambda v: 0.0 if v <= -3 else 1.0 if v >= 3 else v / 6 + 0.5,
    "hard_silu": lambda v: 0.0 if v < -3 else v if v > 3 else v * (v + 3) / 6,
    "hard_swish": lambda v: 0.0 if v < -3 else v if v > 3 else v * (v + 3) / 6,
    "hard_tanh": lambda v: min(max(v, -1.0), 1.0),
    "log_sigmoid": lambda v: -_softplus(-v),
    "sparse_sigmoid": lambda v: 0.0 if v <= -1 else 1.0 if v >= 1 else 0.5 * (v + 1),
    "softplus": _softplus,
    "softsign": lambda v: v / (1 + abs(v)),
    "squareplus": lambda v: (v + math.sqrt(v * v + 4)) / 2,
    "sparse_plus": lambda v: 0.0 if v <= -1 else v if v >= 1 else (v + 1) ** 2 / 4,
    "exponential": math.exp,
    "soft_shrink": lambda v: v - 0.5 if v > 0.5 else v + 0.5 if v < -0.5 else 0.0,
    "hard_shrink": lambda v: v if abs(v) > 0.5 else 0.0,
    "tanh_shrink": lambda v: v - math.tanh(v),
}
ALONG_FEATURES = {"softmax", "log_softmax", "sparsemax"}
WIDE = np.array([-80.0, -20.0, -3.0, -0.5, 0.0, 0.25, 3.0, 6.0, 7.5, 20.0, 80.0])


def test_every_activation_is_checked_against_its_definition() -> None:
    assert set(ACTIVATIONS) == set(SCALAR_DEFINITIONS) | ALONG_FEATURES


@pytest.mark.parametrize("name", sorted(SCALAR_DEFINITIONS))
def test_elementwise_activations_match_their_definitions(name: ActivationName) -> None:
    x = np.tile(WIDE if name != "exponential" else WIDE[WIDE < 700], (2, 1))
    with np.errstate(all="raise"):  # no overflow on the way
        y = activation_forward(name, x)
    expected = [SCALAR_DEFINITIONS[name](float(v)) for v in WIDE]
    np.testing.assert_allclose(y[0], expected, rtol=1e-12, atol=1e-300)


def test_softmax_by_hand_over_the_feature_axis() -> None:
    logits = np.array([[0.0, 1000.0], [np.log(3.0), 1000.0]])  # two samples as columns
    y = activation_forward("softmax", logits)
    np.testing.assert_allclose(y, [[0.25, 0.5], [0.75, 0.5]])


def test_log_softmax_and_sparsemax_by_hand() -> None:
    # log softmax of (0, ln 3) is (ln 1/4, ln 3/4); Keras' sparsemax of (1, 0.8, 0.1, -1): the
    # support is {1, 0.8} (0.1 − (1.9 − 1)/3 < 0), and τ = ((1) + (1 + 0.8) − 1)/2 = 0.9 — the
    # sum of the running sums, as Keras 3 computes it (the paper's τ would be (1.8 − 1)/2).
    logits = np.array([[0.0], [np.log(3.0)]])
    np.testing.assert_allclose(activation_forward("log_softmax", logits), np.log([[0.25], [0.75]]))
    scores = np.array([[1.0], [0.8], [0.1], [-1.0]])
    np.testing.assert_allclose(
        activation_forward("sparsemax", scores), [[0.1], [0.0], [0.0], [0.0]], atol=1e-15
    )


KINKS = (0.0, 6.0, 3.0, -3.0, 1.0, -1.0, 0.5, -0.5)
"""Where some activation's slope jumps: finite differences are meaningless there."""


def away_from_kinks(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    x = rng.uniform(-8, 8, shape)
    for kink in KINKS:
        x[np.abs(x - kink) < 0.05] += 0.1
    return x


@pytest.mark.parametrize("name", ACTIVATIONS)
@pytest.mark.parametrize("shape", [(5, 4), (3, 2, 3, 2)])
def test_activation_backward_by_finite_differences(
    name: ActivationName, shape: tuple[int, ...], rng: np.random.Generator
) -> None:
    x = away_from_kinks(shape, rng)
    if name == "exponential":  # e^8 ≈ 3,000: central differences of such sums lose 1e-7 absolute
        x /= 4
    check_gradients(
        lambda: activation_forward(name, x),
        lambda dy: {"x": activation_backward(name, dy, activation_forward(name, x), x=x)},
        {"x": x},
        rng,
        rtol=1e-5,
    )


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activations_work_in_place(name: ActivationName, rng: np.random.Generator) -> None:
    x = away_from_kinks((4, 6), rng)
    y = activation_forward(name, x)
    dy = rng.standard_normal(x.shape)
    dx = activation_backward(name, dy, y, x=x)
    buffer = x.copy()
    assert activation_forward(name, buffer, out=buffer) is buffer
    np.testing.assert_array_equal(buffer, y)
    # The backward pass reads the input only where it must: those keep theirs.
    kept = x if name in READS_INPUT else None
    assert activation_backward(name, dy, buffer, out=dy, x=kept) is dy
    np.testing.assert_array_equal(dy, dx)


def test_gradients_at_kinks_follow_tensorflow() -> None:
    kinks = np.array([0.0, 6.0, 1.0, -1.0])
    ones = np.ones(4)
    grad = {
        name: activation_backward(name, ones, activation_forward(name, kinks), x=kinks).tolist()
        for name in ("relu", "relu6", "leaky_relu", "elu", "celu", "hard_tanh", "sparse_sigmoid")
    }
    assert grad == {
        "relu": [0.0, 1.0, 1.0, 0.0],
        "relu6": [0.0, 0.0, 1.0, 0.0],
        "leaky_relu": [0.2, 1.0, 1.0, 0.2],
        "elu": [1.0, 1.0, 1.0, np.exp(-1.0)],
        "celu": [2.0, 1.0, 1.0, np.exp(-1.0)],  # maximum(x, 0) + expm1(minimum(x, 0)): both take 0
        "hard_tanh": [1.0, 0.0, 1.0, 1.0],  # clip_by_value passes at its bounds
        "sparse_sigmoid": [0.5, 0.0, 0.0, 0.0],
    }


@pytest.mark.keras
@pytest.mark.parametrize("name", [name for name in ACTIVATIONS if name != "lecun_tanh"])  # not Keras'
def test_activations_and_their_gradients_match_keras(keras: ModuleType, name: ActivationName) -> None:
    import tensorflow as tf  # type: ignore[import-untyped]

    # Kinks included, on purpose: the gradient convention there must agree too.
    x = np.concatenate([WIDE, np.linspace(-7, 7, 29)]).astype(np.float32).reshape(5, 8)
    dy = np.random.default_rng(3).standard_normal(x.shape).astype(np.float32)
    tensor = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(tensor)
        out = keras.activations.get(name)(tensor)  # axis -1: features last (public)
    expected_dx = tape.gradient(out, tensor, output_gradients=tf.constant(dy)).numpy()
    y = activation_forward(name, internal(x))
    np.testing.assert_allclose(nhwc(y), out.numpy(), rtol=1e-6, atol=1e-6)
    dx = activation_backward(name, internal(dy), y, x=internal(x))
    np.testing.assert_allclose(nhwc(dx), expected_dx, rtol=1e-5, atol=1e-6)


def test_softmax_cross_entropy_by_hand_and_stable() -> None:
    logits = np.array([[0.0, 1000.0], [np.log(3.0), 0.0]])  # two samples as columns
    loss, probabilities = softmax_cross_entropy(logits, np.array([1, 1]))
    # Sample 0: p(class 1) = 3/4; sample 1: p(class 1) = e^-1000, loss 1000.
    assert loss == pytest.approx((-math.log(0.75) + 1000.0) / 2)
    np.testing.assert_allclose(probabilities[:, 0], [0.25, 0.75])
    one_hot = np.array([[0.0, 0.0], [1.0, 1.0]])
    assert softmax_cross_entropy(logits, one_hot)[0] == loss
    grad = softmax_cross_entropy_backward(probabilities, np.array([1, 1]))
    np.testing.assert_allclose(grad, (probabilities - one_hot) / 2)


def test_softmax_cross_entropy_gradient_by_finite_differences(rng: np.random.Generator) -> None:
    logits = rng.standard_normal((10, 6))
    labels = rng.integers(0, 10, 6)
    check_gradients(
        lambda: np.array(softmax_cross_entropy(logits, labels)[0]),
        lambda dy: {
            "logits": dy * softmax_cross_entropy_backward(softmax_cross_entropy(logits, labels)[1], labels)
        },
        {"logits": logits},
        rng,
    )


@pytest.mark.keras
def test_softmax_cross_entropy_matches_keras(keras: ModuleType, rng: np.random.Generator) -> None:
    logits = (5 * rng.standard_normal((16, 10))).astype(np.float32)
    labels = rng.integers(0, 10, 16)
    expected = keras.losses.SparseCategoricalCrossentropy(from_logits=True)(labels, logits)
    loss, _ = softmax_cross_entropy(internal(logits), labels)
    assert loss == pytest.approx(float(expected), rel=1e-5)


def test_probability_cross_entropy_by_hand() -> None:
    # Sample 0 (a column): scores 0.2, 0.6 (sum 0.8), label 1: -log(0.6 / 0.8) = log(4/3).
    # Sample 1: 0 is clipped to 1e-7; label 0 with score 0.5, sum 0.5 + 1e-7.
    scores = np.array([[0.2, 0.5], [0.6, 0.0]])
    loss, grad = probability_cross_entropy(scores, np.array([1, 0]))
    expected = (math.log(4 / 3) + math.log((0.5 + 1e-7) / 0.5)) / 2
    assert loss == pytest.approx(expected, rel=1e-12)
    # d/dp_k (log Σp - log p_y) = 1/Σp - [k = y]/p_y, halved for the mean; 0 where clipped.
    np.testing.assert_allclose(
        grad, [[1 / 0.8 / 2, (1 / (0.5 + 1e-7) - 1 / 0.5) / 2], [(1 / 0.8 - 1 / 0.6) / 2, 0.0]]
    )


def test_probability_cross_entropy_gradient_by_finite_differences(rng: np.random.Generator) -> None:
    scores = rng.uniform(0.05, 0.3, (10, 6))
    labels = rng.integers(0, 10, 6)
    check_gradients(
        lambda: np.array(probability_cross_entropy(scores, labels)[0]),
        lambda dy: {"scores": dy * probability_cross_entropy(scores, labels)[1]},
        {"scores": scores},
        rng,
    )


@pytest.mark.keras
def test_probability_cross_entropy_matches_keras(keras: ModuleType, rng: np.random.Generator) -> None:
    scores = rng.uniform(0, 0.3, (16, 10)).astype(np.float32)  # not summing to 1, as after dropout
    scores[0, 3] = 0.0
    labels = rng.integers(0, 10, 16)
    expected = keras.losses.SparseCategoricalCrossentropy()(labels, scores)
    loss, _ = probability_cross_entropy(internal(scores), labels)
    assert loss == pytest.approx(float(expected), rel=1e-5)


def test_dropout_scales_kept_cells_and_is_seedable() -> None:
    x = np.ones((50, 400), dtype=np.float32)
    y, mask = dropout_forward(x, 0.25, np.random.default_rng(1))
    assert y.dtype == np.float32
    assert np.unique(mask).tolist() == pytest.approx([0.0, 1 / 0.75])
    assert (mask == 0).mean() == pytest.approx(0.25, abs=0.01)
    assert y.mean() == pytest.approx(1.0, abs=0.02)  # inverted scaling keeps the expectation
    again, _ = dropout_forward(x, 0.25, np.random.default_rng(1))
    np.testing.assert_array_equal(again, y)
    dy = np.full_like(x, 3.0)
    np.testing.assert_array_equal(dropout_backward(dy, mask), 3.0 * mask)
    identity, _ = dropout_forward(x, 0.0, np.random.default_rng(1))
    np.testing.assert_array_equal(identity, x)
    with pytest.raises(ValueError, match="rate"):
        dropout_forward(x, 1.0, np.random.default_rng(1))


def test_fans_and_glorot_limits_as_keras_computes_them() -> None:
    assert compute_fans((5, 5, 6, 16)) == (
        5 * 5 * 6,
        5 * 5 * 16,
    )  # conv: receptive field x channels
    assert compute_fans((400, 120)) == (400, 120)  # dense
    assert compute_fans((3, 3, 2, 8)) == (18, 72)  # grouped conv: C_in / groups = 2
    w = glorot_uniform((5, 5, 6, 16), np.random.default_rng(0))
    limit = math.sqrt(6 / (150 + 400))
    assert w.dtype == np.float32
    assert np.abs(w).max() <= limit
    assert np.abs(w).max() > 0.99 * limit
    assert w.std() == pytest.approx(limit / math.sqrt(3), rel=0.05)
    np.testing.assert_array_equal(w, glorot_uniform((5, 5, 6, 16), np.random.default_rng(0)))

"""NumpyModel: end-to-end gradients, the loss, initial weights, weights in and out, repeatability."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from cnncalc.backends.numpy.model import NumpyModel
from cnncalc.backends.numpy.trainer import make_trainer
from cnncalc.errors import CnncalcError
from tests.backends.numpy.numpy_backend_testing import numerical_gradient
from tests.conftest import EXAMPLES

# A small net with every kind of step between the input and a softmax head: same and explicit
# replicate padding, batch norm, both pools, dense on a rank-3 map, flatten.
SMALL_NET: dict[str, Any] = {
    "input": [7, 6, 2],
    "layers": [
        {"type": "conv2d", "filters": 3, "kernel_size": 3, "padding": "same", "activation": "tanh"},
        {"type": "batchnorm", "momentum": 0.8},
        {"type": "maxpool2d", "pool_size": 2, "padding": "same"},
        {
            "type": "conv2d",
            "filters": 4,
            "kernel_size": 2,
            "padding": 1,
            "padding_mode": "replicate",
            "activation": "elu",
        },
        {"type": "avgpool2d", "pool_size": 2},
        {"type": "dense", "units": 3, "activation": "sigmoid"},
        {"type": "flatten"},
        {"type": "dense", "units": 5, "activation": "softmax"},
    ],
}


def with_data_format(spec: dict[str, Any], data_format: str) -> dict[str, Any]:
    if data_format == "channels_last":
        return spec
    height, width, channels = spec["input"]
    return spec | {"input": [channels, height, width], "data_format": data_format}


def with_head(spec: dict[str, Any], activation: str) -> dict[str, Any]:
    """The last dense layer with this activation; ``softmax+dropout``: a softmax, then a dropout
    (of rate 0, to be deterministic), so that the loss reads probabilities."""
    head = spec["layers"][-1] | {"activation": activation.split("+", maxsplit=1)[0]}
    tail = [{"type": "dropout", "rate": 0.0}] if activation.endswith("+dropout") else []
    return spec | {"layers": [*spec["layers"][:-1], head, *tail]}


@pytest.mark.parametrize("head", ["softmax", "linear", "tanh", "softmax+dropout"])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_loss_gradients_by_finite_differences(head: str, data_format: str, rng: np.random.Generator) -> None:
    spec = with_head(with_data_format(SMALL_NET, data_format), head)
    model = NumpyModel(spec, seed=3, dtype=np.float64)
    model.parameters[...] = rng.standard_normal(model.parameters.size) * 0.5
    x = rng.standard_normal((4, *model.analysis.input_shape))
    labels = np.array([0, 4, 2, 4])
    assert model.fused_softmax == (head == "softmax")
    assert model.from_logits == (head in ("linear", "tanh"))
    model.loss_and_gradients(x, labels)
    analytic = model.gradients.copy()
    expected = numerical_gradient(lambda: model.loss_and_gradients(x, labels)[0], model.parameters)
    np.testing.assert_allclose(analytic, expected, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("head", ["softmax", "linear"])
def test_loss_is_the_mean_cross_entropy_of_the_outputs(head: str, rng: np.random.Generator) -> None:
    model = NumpyModel(with_head(SMALL_NET, head), seed=2, dtype=np.float64)
    x = rng.standard_normal((6, 7, 6, 2))
    labels = np.array([0, 1, 2, 3, 4, 0])
    loss, outputs = model.loss_and_gradients(x, labels)
    np.testing.assert_allclose(outputs, model.forward(x, training=True))
    # Softmax head: the outputs are probabilities; linear head: they are logits.
    probabilities = (
        outputs if head == "softmax" else np.exp(outputs) / np.exp(outputs).sum(axis=1, keepdims=True)
    )
    expected = -np.mean(np.log(probabilities[np.arange(6), labels]))
    assert loss == pytest.approx(expected, rel=1e-12)
    # Inference mode: batch norm uses its moving statistics, as evaluate does.
    eval_outputs = model.predict(x, batch_size=4)
    eval_probabilities = (
        eval_outputs
        if head == "softmax"
        else np.exp(eval_outputs) / np.exp(eval_outputs).sum(axis=1, keepdims=True)
    )
    eval_loss, accuracy = model.evaluate(x, labels, batch_size=4)
    assert eval_loss == pytest.approx(-np.mean(np.log(eval_probabilities[np.arange(6), labels])), rel=1e-12)
    assert accuracy == np.mean(eval_outputs.argmax(axis=1) == labels)


def test_backward_from_an_output_gradient_matches_the_fused_loss(rng: np.random.Generator) -> None:
    # d(mean CE)/d(probabilities) = -1/(N p_y) at the label; backward through the softmax
    # must give the gradients of the fused path.
    model = NumpyModel(SMALL_NET, seed=2, dtype=np.float64)
    x = rng.standard_normal((3, 7, 6, 2))
    labels = np.array([1, 0, 3])
    model.loss_and_gradients(x, labels)
    fused = model.gradients.copy()
    outputs = model.forward(x, training=True)
    dy = np.zeros_like(outputs)
    dy[np.arange(3), labels] = -1 / (3 * outputs[np.arange(3), labels])
    model.backward(dy)
    np.testing.assert_allclose(model.gradients, fused, rtol=1e-9, atol=1e-12)


def test_backward_keeps_the_input_a_dense_layer_needs(rng: np.random.Generator) -> None:
    # Input and output of the same shape: the output gradient must not overwrite the input.
    model = NumpyModel({"input": [5], "layers": [{"type": "dense", "units": 5}]}, dtype=np.float64)
    x, dy = rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
    model.forward(x, training=True)
    model.backward(dy)
    np.testing.assert_allclose(model.variable_gradients["dense/kernel"], x.T @ dy)  # dL/dW = xᵀ dy
    np.testing.assert_allclose(model.variable_gradients["dense/bias"], dy.sum(axis=0))


def test_batchnorm_updates_its_moving_statistics_only_in_training(rng: np.random.Generator) -> None:
    model = NumpyModel({"input": [3], "layers": [{"type": "batchnorm", "momentum": 0.75}]}, dtype=np.float64)
    x = rng.standard_normal((8, 3))
    model.forward(x)  # inference: no update
    assert model.variables["batch_normalization/moving_mean"].tolist() == [0.0] * 3
    model.forward(x, training=True)
    # moving = 0.75 * moving + 0.25 * batch value (Keras), from mean 0 and variance 1.
    np.testing.assert_allclose(model.variables["batch_normalization/moving_mean"], 0.25 * x.mean(axis=0))
    np.testing.assert_allclose(
        model.variables["batch_normalization/moving_variance"], 0.75 + 0.25 * x.var(axis=0)
    )


def test_initial_weights_are_keras_defaults() -> None:
    model = NumpyModel(EXAMPLES / "channels_first.yaml", seed=0)
    kernel = model.variables["conv2d/kernel"]  # (3, 3, 1, 8): fan_in 9, fan_out 72
    limit = math.sqrt(6 / (9 + 72))
    assert kernel.dtype == np.float32
    assert np.abs(kernel).max() <= limit
    assert np.abs(kernel).max() > 0.8 * limit  # uniform over the whole range, not a narrow one
    assert not model.variables["conv2d/bias"].any()
    assert model.variables["batch_normalization/gamma"].tolist() == [1.0] * 8
    assert not model.variables["batch_normalization/beta"].any()
    assert not model.variables["batch_normalization/moving_mean"].any()
    assert model.variables["batch_normalization/moving_variance"].tolist() == [1.0] * 8


def test_the_seed_decides_the_initial_weights() -> None:
    first, again, other = (NumpyModel(EXAMPLES / "lenet5.yaml", seed=s).parameters for s in (4, 4, 5))
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def test_refuses_specs_with_errors() -> None:
    with pytest.raises(
        CnncalcError, match=r"cannot build model lenet5_on_28x28: CNN101 kernel 5 does not fit"
    ):
        NumpyModel(EXAMPLES / "error_kernel_too_large.yaml")


def test_refuses_inputs_and_labels_that_do_not_fit() -> None:
    model = NumpyModel(EXAMPLES / "lenet5.yaml")
    with pytest.raises(CnncalcError, match=r"batches of shape \(N, 32, 32, 1\), got \(2, 28, 28, 1\)"):
        model.forward(np.zeros((2, 28, 28, 1)))
    with pytest.raises(CnncalcError, match=r"labels must be in 0\.\.9"):
        model.loss_and_gradients(np.zeros((2, 32, 32, 1)), np.array([3, 10]))
    with pytest.raises(CnncalcError, match="labels must be a vector of integer classes"):
        model.loss_and_gradients(np.zeros((2, 32, 32, 1)), np.array([0.0, 1.0]))
    conv_only = NumpyModel(
        {"input": [4, 4, 1], "layers": [{"type": "conv2d", "filters": 2, "kernel_size": 3}]}
    )
    with pytest.raises(CnncalcError, match="needs a vector of class scores"):
        conv_only.loss_and_gradients(np.zeros((1, 4, 4, 1)), np.array([0]))


def test_set_weights_takes_keras_order_and_checks_every_shape_first(rng: np.random.Generator) -> None:
    model = NumpyModel(EXAMPLES / "channels_first.yaml")
    weights = [rng.standard_normal(w.shape).astype(np.float32) for w in model.get_weights()]
    model.set_weights(weights)
    for got, expected in zip(model.get_weights(), weights, strict=True):
        np.testing.assert_array_equal(got, expected)
    # Keras' order: per layer, kernel then bias; gamma, beta, moving mean, moving variance.
    assert list(model.variables)[:6] == [
        "conv2d/kernel",
        "conv2d/bias",
        "batch_normalization/gamma",
        "batch_normalization/beta",
        "batch_normalization/moving_mean",
        "batch_normalization/moving_variance",
    ]
    broken: list[np.ndarray] = [*(w + 1 for w in weights[:-1]), np.zeros(3)]
    with pytest.raises(CnncalcError, match=r"weight dense/bias .* has shape \(10,\), got \(3,\)"):
        model.set_weights(broken)
    for got, expected in zip(model.get_weights(), weights, strict=True):  # nothing changed
        np.testing.assert_array_equal(got, expected)
    with pytest.raises(CnncalcError, match="has 10 weights, got 9"):
        model.set_weights(weights[:-1])


def test_save_and_load_round_trip(tmp_path: Path, rng: np.random.Generator) -> None:
    model = NumpyModel(EXAMPLES / "channels_first.yaml", seed=1)
    model.forward(rng.random((8, 1, 28, 28)), training=True)  # move the batch norm statistics
    path = tmp_path / "weights.npz"
    model.save(path)
    with np.load(path) as archive:
        assert archive.files == list(model.variables)
        assert archive["conv2d/kernel"].shape == (3, 3, 1, 8)
    other = NumpyModel(EXAMPLES / "channels_first.yaml", seed=2)
    other.load(path)
    for key, value in model.variables.items():
        np.testing.assert_array_equal(other.variables[key], value)
    x = rng.random((4, 1, 28, 28))
    np.testing.assert_array_equal(other.predict(x), model.predict(x))


def test_save_never_overwrites_without_force(tmp_path: Path) -> None:
    model = NumpyModel(EXAMPLES / "lenet5.yaml")
    path = tmp_path / "weights.npz"
    path.write_text("precious")
    with pytest.raises(CnncalcError, match="already exists; pass --force"):
        model.save(path)
    assert path.read_text() == "precious"
    model.save(path, force=True)
    NumpyModel(EXAMPLES / "lenet5.yaml").load(path)


def test_load_refuses_other_models_and_other_files(tmp_path: Path) -> None:
    path = tmp_path / "lenet.npz"
    NumpyModel(EXAMPLES / "lenet5.yaml").save(path)
    with pytest.raises(
        CnncalcError,
        match=r"does not hold the weights of model channels_first: missing batch_normalization/beta",
    ):
        NumpyModel(EXAMPLES / "channels_first.yaml").load(path)
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a zip file")
    with pytest.raises(CnncalcError, match=r"not a readable \.npz file"):
        NumpyModel(EXAMPLES / "lenet5.yaml").load(junk)
    with pytest.raises(CnncalcError, match=r"not a readable \.npz file"):
        NumpyModel(EXAMPLES / "lenet5.yaml").load(tmp_path / "missing.npz")


def train_once(seed: int, x: np.ndarray, y: np.ndarray) -> tuple[list[np.ndarray], tuple[float, float]]:
    spec = {
        "input": [8, 8, 1],
        "layers": [
            {"type": "conv2d", "filters": 4, "kernel_size": 3, "activation": "relu"},
            {"type": "batchnorm"},
            {"type": "maxpool2d"},
            {"type": "flatten"},
            {"type": "dropout", "rate": 0.3},
            {"type": "dense", "units": 10, "activation": "softmax"},
        ],
    }
    trainer = make_trainer(spec, seed=seed)
    result = trainer.train_epoch(x, y, batch_size=16, on_batch=lambda *_: None)
    return trainer.model.get_weights(), result


def test_training_repeats_exactly_with_the_same_seed(rng: np.random.Generator) -> None:
    x = rng.random((100, 8, 8, 1), dtype=np.float32)
    y = rng.integers(0, 10, 100)
    first, first_result = train_once(0, x, y)
    again, again_result = train_once(0, x, y)
    other, _ = train_once(1, x, y)
    assert first_result == again_result
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], other[0])


def test_train_epoch_reports_running_means(rng: np.random.Generator) -> None:
    x = rng.random((50, 32, 32, 1), dtype=np.float32)
    y = rng.integers(0, 10, 50)
    trainer = make_trainer(EXAMPLES / "lenet5.yaml", seed=0)
    calls: list[tuple[int, float, float]] = []
    loss, accuracy = trainer.train_epoch(x, y, batch_size=16, on_batch=lambda *args: calls.append(args))
    assert [done for done, _, _ in calls] == [16, 32, 48, 50]  # the last batch holds the 2 left over
    assert calls[-1][1:] == (loss, accuracy)
    assert 0.0 <= accuracy <= 1.0
    assert trainer.optimizer.iterations == 4

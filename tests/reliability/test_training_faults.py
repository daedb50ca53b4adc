"""Training refuses bad data, bad settings and models too big for memory up front, with one
message and exit 2, and stops with a clear error when the loss diverges."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from cnncalc.cli import app
from cnncalc.data.mnist import load_mnist, read_idx
from cnncalc.errors import CnncalcError, DataError
from cnncalc.train import train

runner = CliRunner()
MLP = "input: [784]\nlayers:\n  - {type: dense, units: 16, activation: relu}\n  - {type: dense, units: 10, activation: softmax}\n"
HUGE = "input: [28, 28, 1]\nlayers:\n  - {type: flatten}\n  - {type: dense, units: 1000000000000}\n  - {type: dense, units: 10}\n"


def flat(output: str) -> str:
    """The output on one line, without rich's boxes."""
    return " ".join(output.replace("│", " ").split())


def digits(count: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (count, 28, 28), dtype=np.uint8), rng.integers(0, 10, count)


def npz(path: Path, **overrides: Any) -> Path:
    x, y = digits(64)
    arrays = {"x_train": x, "y_train": y, "x_test": x[:16], "y_test": y[:16], **overrides}
    np.savez(path, **arrays)
    return path


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"x_train": np.zeros((0, 28, 28), np.uint8), "y_train": np.zeros(0, np.int64)},
            "x_train holds no images",
        ),
        ({"y_test": np.array(list("0123456789012345"))}, "y_test holds labels of dtype <U1"),
        ({"y_train": np.full(64, np.nan)}, "y_train holds labels of dtype float64"),
        ({"y_train": np.full(64, 2.5)}, "y_train holds labels of dtype float64"),
        ({"y_train": np.ones(64, bool)}, "y_train holds labels of dtype bool"),
        ({"y_train": np.full(64, 10)}, "y_train holds labels outside 0..9"),
    ],
)
def test_unusable_training_data_is_refused(tmp_path: Path, overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(DataError, match=message):
        load_mnist(npz(tmp_path / "data.npz", **overrides))


def test_whole_float_labels_are_accepted(tmp_path: Path) -> None:
    data = load_mnist(npz(tmp_path / "data.npz", y_train=np.arange(64) % 10 * 1.0))
    assert data.y_train.dtype == np.int64
    assert list(data.y_train[:12]) == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]


def test_an_npy_file_named_npz_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "mnist.npz"
    with path.open("wb") as handle:
        np.save(handle, np.zeros((4, 28, 28), np.uint8))
    with pytest.raises(DataError, match=r"a single array \(an \.npy file\)"):
        load_mnist(path)


def test_a_truncated_npz_is_refused(tmp_path: Path) -> None:
    path = npz(tmp_path / "data.npz")
    path.write_bytes(path.read_bytes()[:2000])
    with pytest.raises(DataError, match=r"not a readable \.npz file"):
        load_mnist(path)


def test_idx_sizes_whose_product_overflows_int64_are_refused(tmp_path: Path) -> None:
    # four dimensions of 65,536: 2⁶⁴ bytes, which NumPy's int64 product wraps to 0, matching an empty body
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(b"\x00\x00\x08\x04" + struct.pack(">4I", 65536, 65536, 65536, 65536))
    with pytest.raises(DataError, match=r"holds 0 bytes, but shape .* needs 18446744073709551616"):
        read_idx(path)


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--seed", "-1"], "Invalid value for '--seed'"),
        (["--seed", str(2**32)], "Invalid value for '--seed'"),
        (["--learning-rate", "inf"], "the learning rate must be a finite number, at least 0; got inf"),
        (["--learning-rate", "-0.1"], "Invalid value for '--learning-rate'"),
    ],
)
def test_bad_settings_are_refused_before_training(tmp_path: Path, option: list[str], message: str) -> None:
    spec = tmp_path / "mlp.yaml"
    spec.write_text(MLP)
    result = runner.invoke(app, ["train", str(spec), "--data", str(npz(tmp_path / "d.npz")), *option])
    assert result.exit_code == 2
    assert message in flat(result.output)


def test_the_library_refuses_the_same_settings() -> None:
    for settings, message in (
        ({"seed": -1}, "seed must be"),
        ({"learning_rate": float("nan")}, "learning rate"),
    ):
        with pytest.raises(CnncalcError, match=message):
            train(cnncalc_load(MLP), **settings)  # type: ignore[arg-type]


def cnncalc_load(text: str) -> Any:
    import cnncalc

    return cnncalc.load(text)


def test_a_diverging_loss_stops_training_with_exit_2_and_writes_nothing(tmp_path: Path) -> None:
    spec = tmp_path / "mlp.yaml"
    spec.write_text(MLP)
    weights = tmp_path / "w.npz"
    result = runner.invoke(
        app,
        [
            "train",
            str(spec),
            "--data",
            str(npz(tmp_path / "d.npz")),
            "--learning-rate",
            "1e30",
            "--batch-size",
            "16",
            "--save-weights",
            str(weights),
        ],
    )
    assert result.exit_code == 2
    assert "training diverged: the loss is nan" in result.output
    assert "Lower the learning rate" in flat(result.output)
    assert not weights.exists()


def test_a_model_too_big_for_memory_is_refused_with_the_figure_before_anything_is_built(
    tmp_path: Path,
) -> None:
    spec = tmp_path / "huge.yaml"
    spec.write_text(HUGE)
    # 784·10¹² + 10¹² weights and 10·10¹² + 10 more: 7.95·10¹⁴ floats of 4 bytes, 4 copies to train with Adam
    result = runner.invoke(app, ["train", str(spec), "--data", str(npz(tmp_path / "d.npz"))])
    assert result.exit_code == 2
    text = flat(result.output)
    assert "cannot train model: it needs about" in text
    assert "PB for the weights" in text
    assert "of memory available" in text
    result = runner.invoke(app, ["export", str(spec), "--to", "keras-model", "-o", str(tmp_path / "m.keras")])
    assert result.exit_code == 2
    assert "cannot export model as keras-model: it needs about" in flat(result.output)
    assert not (tmp_path / "m.keras").exists()


def test_crosscheck_refuses_a_model_too_big_for_memory_before_importing_keras(tmp_path: Path) -> None:
    from cnncalc.backends.keras.crosscheck import crosscheck

    with pytest.raises(CnncalcError, match="cannot build model in Keras: it needs about"):
        crosscheck(HUGE)


def test_flat_input_exports_to_numpy(tmp_path: Path) -> None:
    """It used to reshape an empty batch to check the input (`cannot reshape array of size 0`)."""
    spec = tmp_path / "mlp.yaml"
    spec.write_text(MLP)
    result = runner.invoke(app, ["export", str(spec), "--to", "numpy", "-o", str(tmp_path / "mlp.py")])
    assert result.exit_code == 0, result.output
    assert "def main" in (tmp_path / "mlp.py").read_text()

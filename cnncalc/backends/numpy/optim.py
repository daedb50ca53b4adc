"""Optimisers of the NumPy backend, on flat parameter and gradient buffers.

All parameters of a model live in one flat float32 buffer and all gradients in another
(:func:`flat_buffer`); layers hold reshaped views into them. An optimiser then updates
every parameter with a handful of in-place whole-buffer operations, its own state
(momenta) being flat buffers of the same size.

The update rules follow Keras 3 exactly (keras/src/optimizers/adam.py, sgd.py).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt

from cnncalc.backends.numpy.im2col import Array

__all__ = ["SGD", "Adam", "Optimizer", "flat_buffer", "flat_views"]


def flat_buffer(
    shapes: Sequence[tuple[int, ...]], dtype: npt.DTypeLike = np.float32
) -> tuple[Array, list[Array]]:
    """One zeroed flat buffer and a view of it per shape, in order.

    Writing to a view writes to the buffer:

    >>> flat, (w, b) = flat_buffer([(2, 3), (3,)])
    >>> w[...] = 1.0
    >>> flat.tolist()
    [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0]
    """
    flat: Array = np.zeros(sum(math.prod(shape) for shape in shapes), dtype=dtype)
    return flat, flat_views(flat, shapes)


def flat_views(flat: Array, shapes: Sequence[tuple[int, ...]]) -> list[Array]:
    """Views of consecutive parts of ``flat``, one per shape, in order."""
    offsets = np.cumsum([0, *(math.prod(shape) for shape in shapes)])
    if offsets[-1] != flat.size:
        raise ValueError(f"shapes of {offsets[-1]} values do not fill a buffer of {flat.size}")
    return [
        flat[start:stop].reshape(shape)
        for start, stop, shape in zip(offsets[:-1], offsets[1:], shapes, strict=True)
    ]


class Optimizer(Protocol):
    iterations: int

    def step(self, params: Array, grads: Array) -> None:
        """Update ``params`` in place from ``grads`` (flat buffers of the same size)."""


class Adam:
    """Adam as Keras 3 computes it (defaults too), on flat buffers.

    With ``t = iterations + 1``::

        alpha = learning_rate * sqrt(1 - beta_2**t) / (1 - beta_1**t)
        m += (g - m) * (1 - beta_1)
        v += (g**2 - v) * (1 - beta_2)
        params -= alpha * m / (sqrt(v) + epsilon)

    Note the bias correction is folded into ``alpha`` and epsilon is added to ``sqrt(v)``
    *before* correction (the paper's "epsilon hat"), not to a corrected ``sqrt(v_hat)``.
    """

    def __init__(
        self,
        size: int,
        *,
        learning_rate: float = 1e-3,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        dtype: npt.DTypeLike = np.float32,
    ) -> None:
        self.learning_rate = learning_rate
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.iterations = 0
        self.m: Array = np.zeros(size, dtype=dtype)
        self.v: Array = np.zeros(size, dtype=dtype)
        self._scratch: Array = np.empty(size, dtype=dtype)

    def step(self, params: Array, grads: Array) -> None:
        t = self.iterations + 1
        alpha = self.learning_rate * math.sqrt(1 - self.beta_2**t) / (1 - self.beta_1**t)
        m, v, scratch = self.m, self.v, self._scratch
        np.subtract(grads, m, out=scratch)
        scratch *= 1 - self.beta_1
        m += scratch
        np.square(grads, out=scratch)
        scratch -= v
        scratch *= 1 - self.beta_2
        v += scratch
        np.sqrt(v, out=scratch)
        scratch += self.epsilon
        np.divide(m, scratch, out=scratch)
        scratch *= alpha
        params -= scratch
        self.iterations = t


class SGD:
    """Stochastic gradient descent with optional (Nesterov) momentum, as Keras 3.

    Without momentum ``params -= lr * g``; with it ``m = momentum * m - lr * g`` then
    ``params += m`` (or, Nesterov, ``params += momentum * m - lr * g``).
    """

    def __init__(
        self,
        size: int,
        *,
        learning_rate: float = 0.01,
        momentum: float = 0.0,
        nesterov: bool = False,
        dtype: npt.DTypeLike = np.float32,
    ) -> None:
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(f"momentum must be in [0, 1], got {momentum}")
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.nesterov = nesterov
        self.iterations = 0
        self.m: Array = np.zeros(size if momentum else 0, dtype=dtype)
        self._scratch: Array = np.empty(size, dtype=dtype)

    def step(self, params: Array, grads: Array) -> None:
        step = self._scratch
        np.multiply(grads, self.learning_rate, out=step)
        if not self.momentum:
            params -= step
        else:
            self.m *= self.momentum
            self.m -= step
            if self.nesterov:
                np.subtract(self.m * self.momentum, step, out=step)
                params += step
            else:
                params += self.m
        self.iterations += 1

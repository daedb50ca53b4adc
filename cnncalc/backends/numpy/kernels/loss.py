"""Loss: mean categorical cross-entropy, from logits (fused with softmax) or from probabilities."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from cnncalc.backends.numpy.im2col import Array


def _one_hot_like(labels: npt.NDArray[Any], logits: Array) -> Array:
    """Integer labels ``(N,)`` → one-hot ``(K, N)``; one-hot ``(K, N)`` passes through."""
    if labels.ndim == logits.ndim:
        return labels.astype(logits.dtype, copy=False)
    one_hot = np.zeros_like(logits)
    one_hot[labels, np.arange(labels.size)] = 1
    return one_hot


def softmax_cross_entropy(logits: Array, labels: npt.NDArray[Any]) -> tuple[float, Array]:
    """Mean categorical cross-entropy of ``softmax(logits)``, computed stably (log-sum-exp).

    logits: ``(K, N)``; labels: integer classes ``(N,)`` or one-hot ``(K, N)``.
    Returns ``(loss, probabilities (K, N))``; pass both to the backward.
    """
    shifted = logits - logits.max(axis=0, keepdims=True)
    log_norm = np.log(np.exp(shifted).sum(axis=0, keepdims=True))
    log_probs = shifted - log_norm
    target = _one_hot_like(labels, logits)
    loss = -float(np.einsum("kn,kn->", target, log_probs)) / logits.shape[1]
    return loss, np.exp(log_probs)


def softmax_cross_entropy_backward(probabilities: Array, labels: npt.NDArray[Any]) -> Array:
    """Gradient of the mean loss with respect to the logits: ``(p - y) / N``, ``(K, N)``."""
    grad = probabilities - _one_hot_like(labels, probabilities)
    grad /= probabilities.shape[1]
    return grad


KERAS_EPSILON = 1e-7
"""``keras.backend.epsilon()``: how far from 0 and 1 Keras clips probabilities before a log."""


def probability_cross_entropy(probabilities: Array, labels: npt.NDArray[Any]) -> tuple[float, Array]:
    """Mean cross-entropy of class scores that are probabilities but may not sum to 1 (a softmax
    followed by dropout, say), as Keras computes it: clipped to ``[ε, 1 − ε]``, then
    ``−log(p_y / Σ_k p_k)``.

    probabilities: ``(K, N)``; labels: integer classes ``(N,)``. Returns ``(loss, gradient)``, the
    gradient ``(1 / Σ_k p_k − [k = y] / p_y) / N`` with respect to the scores (0 where clipped).
    """
    clipped = np.clip(probabilities, KERAS_EPSILON, 1 - KERAS_EPSILON)
    columns = np.arange(labels.size)
    total = clipped.sum(axis=0)
    loss = float(np.mean(np.log(total) - np.log(clipped[labels, columns])))
    grad = np.broadcast_to(1 / total, clipped.shape).copy()
    grad[labels, columns] -= 1 / clipped[labels, columns]
    grad[clipped != probabilities] = 0
    grad /= labels.size
    return loss, grad

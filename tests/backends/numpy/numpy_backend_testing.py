"""Test helpers for the NumPy backend: finite differences and layout conversion.

Imported by the test modules of this folder (pytest puts the folder on ``sys.path``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.floating[Any]]
"""Float arrays; the gradient checks use float64."""
NP_PAD_MODE = {"zeros": "constant", "replicate": "edge", "reflect": "reflect"}


def nhwc(x: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """Internal ``(C, ..., N)`` → public ``(N, ..., C)``, written independently of the code."""
    return np.moveaxis(np.moveaxis(x, -1, 0), 1, -1) if x.ndim > 2 else x.T


def internal(x: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """Public ``(N, ..., C)`` → internal ``(C, ..., N)``."""
    return np.ascontiguousarray(np.moveaxis(np.moveaxis(x, -1, 0), 1, -1) if x.ndim > 2 else x.T)


def numerical_gradient(f: Callable[[], float], x: F64, eps: float = 1e-6) -> F64:
    """Central differences of the scalar ``f()`` with respect to every cell of ``x`` (in place)."""
    grad = np.zeros_like(x)
    flat, flat_grad = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        original = flat[i]
        flat[i] = original + eps
        plus = f()
        flat[i] = original - eps
        minus = f()
        flat[i] = original
        flat_grad[i] = (plus - minus) / (2 * eps)
    return grad


def check_gradients(
    forward: Callable[[], F64],
    backward: Callable[[F64], dict[str, F64]],
    inputs: dict[str, F64],
    rng: np.random.Generator,
    *,
    rtol: float = 1e-6,
    atol: float = 1e-8,
) -> None:
    """Compare analytic gradients with finite differences for ``L = sum(forward() * r)``.

    ``forward`` reads the arrays of ``inputs`` (which are perturbed in place); ``backward``
    gets ``dL/dy = r`` and returns the analytic gradients keyed like ``inputs``.
    """
    projection = rng.standard_normal(forward().shape)

    def loss() -> float:
        return float(np.sum(forward() * projection))

    analytic = backward(projection.copy())
    for name, array in inputs.items():
        expected = numerical_gradient(loss, array)
        np.testing.assert_allclose(analytic[name], expected, rtol=rtol, atol=atol, err_msg=name)

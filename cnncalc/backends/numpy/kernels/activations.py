"""Activations, each with its gradient: every one the spec names (Keras 3's built-ins, with softmax,
log-softmax and sparsemax over the feature axis 0, and LeNet-5's scaled tanh), the ReLU, LeakyReLU
and PReLU layers, and softmax over any axes.

Each function is computed as Keras 3 computes it on TensorFlow (``keras/src/backend/tensorflow/
nn.py``), and its gradient as TensorFlow differentiates that computation, kinks included: relu and
relu6 pass no gradient at 0 (nor relu6 at 6), leaky_relu passes ``slope · dy`` at 0, elu ``dy``,
celu ``2 · dy`` (both of its halves count 0 as theirs), hard_tanh ``dy`` at ±1.

Most gradients follow from the output alone, so an activation can overwrite its input: pass
``out=x``. The few in :data:`READS_INPUT` need the input as well (``x=``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import get_args

import numpy as np
import numpy.typing as npt

from cnncalc.backends.numpy.im2col import Array, Workspace, empty_from
from cnncalc.backends.numpy.kernels.special import erf
from cnncalc.spec.fields import ActivationName

__all__ = [
    "ACTIVATIONS",
    "READS_INPUT",
    "ActivationName",
    "activation_backward",
    "activation_forward",
    "leaky_relu_backward",
    "leaky_relu_forward",
    "prelu_backward",
    "prelu_forward",
    "relu_backward",
    "relu_forward",
    "softmax_backward",
    "softmax_forward",
]

ACTIVATIONS: tuple[ActivationName, ...] = get_args(ActivationName)

LEAKY_RELU_NEGATIVE_SLOPE = 0.2
"""Slope of ``activation="leaky_relu"`` in Keras 3 (``keras.activations.leaky_relu``).

The ``keras.layers.LeakyReLU`` *layer* defaults to 0.3 instead.
"""
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
"""SELU's constants (Klambauer et al. 2017, as TensorFlow's ``selu`` kernel)."""
SHRINK_THRESHOLD = 0.5
"""``soft_shrink`` and ``hard_shrink``'s default threshold in Keras 3."""
SQUAREPLUS_B = 4.0
"""``squareplus``'s default ``b`` in Keras 3."""
LECUN_TANH_SCALE = 1.7159
"""``lecun_tanh`` is ``1.7159·tanh(2x/3)`` (LeCun et al. 1998, appendix A): 1 at ±1. Not Keras'."""

READS_INPUT: frozenset[ActivationName] = frozenset(
    {
        "gelu",
        "silu",
        "swish",
        "mish",
        "hard_silu",
        "hard_swish",
        "hard_tanh",
        "squareplus",
        "tanh_shrink",
        "sparsemax",
    }
)
"""The activations whose gradient needs the input, not only the output."""

_ALIASES: dict[str, ActivationName] = {"swish": "silu", "hard_swish": "hard_silu"}


def _sigmoid(x: Array, out: Array) -> Array:
    # 1 / (1 + e) for x >= 0 and e / (1 + e) below, with e = exp(-|x|) <= 1: no overflow, and
    # full relative precision for tiny outputs.
    e = np.exp(-np.abs(x))
    result: Array = np.divide(np.where(x >= 0, 1, e), 1 + e, out=out)
    return result


def _softplus(x: Array) -> Array:
    """``log(1 + exp(x))`` without overflow."""
    result: Array = np.logaddexp(0, x)
    return result


def _gelu_pdf(x: Array) -> Array:
    result: Array = np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
    return result


_FORWARD: dict[str, Callable[[Array, Array], object]] = {
    "relu": lambda x, y: np.maximum(x, 0, out=y),
    "relu6": lambda x, y: np.clip(x, 0, 6, out=y),
    # For a slope in (0, 1), max(x, slope * x) is x above 0 and slope * x below.
    "leaky_relu": lambda x, y: np.maximum(x, x * LEAKY_RELU_NEGATIVE_SLOPE, out=y),
    # exp(x) - 1 on the clamped negative part, so that exp cannot overflow.
    "elu": lambda x, y: np.copyto(y, np.where(x > 0, x, np.expm1(np.minimum(x, 0)))),
    "selu": lambda x, y: np.copyto(
        y, SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0)))
    ),
    "celu": lambda x, y: np.copyto(y, np.maximum(x, 0) + np.expm1(np.minimum(x, 0))),
    "gelu": lambda x, y: np.copyto(y, 0.5 * x * (1 + erf(x / math.sqrt(2)))),
    "silu": lambda x, y: np.multiply(x, _sigmoid(x, np.empty_like(x)), out=y),
    "mish": lambda x, y: np.multiply(x, np.tanh(_softplus(x)), out=y),
    "tanh": lambda x, y: np.tanh(x, out=y),
    "lecun_tanh": lambda x, y: np.multiply(np.tanh(x * (2 / 3)), LECUN_TANH_SCALE, out=y),
    "sigmoid": _sigmoid,
    "hard_sigmoid": lambda x, y: np.divide(np.clip(x + 3, 0, 6), 6, out=y),
    "hard_silu": lambda x, y: np.multiply(x, np.clip(x + 3, 0, 6) / 6, out=y),
    "hard_tanh": lambda x, y: np.clip(x, -1, 1, out=y),
    "log_sigmoid": lambda x, y: np.negative(_softplus(-x), out=y),
    "sparse_sigmoid": lambda x, y: np.copyto(y, np.clip(0.5 * (x + 1), 0, 1)),
    "softplus": lambda x, y: np.copyto(y, _softplus(x)),
    "softsign": lambda x, y: np.divide(x, 1 + np.abs(x), out=y),
    "squareplus": lambda x, y: np.copyto(y, (x + np.sqrt(x * x + SQUAREPLUS_B)) / 2),
    "sparse_plus": lambda x, y: np.copyto(y, np.where(x <= -1, 0, np.where(x < 1, np.square(x + 1) / 4, x))),
    "exponential": lambda x, y: np.exp(x, out=y),
    "soft_shrink": lambda x, y: np.copyto(
        y,
        np.where(
            x > SHRINK_THRESHOLD,
            x - SHRINK_THRESHOLD,
            np.where(x < -SHRINK_THRESHOLD, x + SHRINK_THRESHOLD, 0),
        ),
    ),
    "hard_shrink": lambda x, y: np.copyto(y, np.where(np.abs(x) > SHRINK_THRESHOLD, x, 0)),
    "tanh_shrink": lambda x, y: np.subtract(x, np.tanh(x), out=y),
}
"""Elementwise activations: write ``f(x)`` into ``y`` (which may be ``x``)."""

_SLOPE: dict[str, Callable[[Array, Array], Array]] = {
    "relu6": lambda x, y: ((y > 0) & (y < 6)).astype(y.dtype),
    "leaky_relu": lambda x, y: np.where(y > 0, 1.0, LEAKY_RELU_NEGATIVE_SLOPE).astype(y.dtype),
    # TensorFlow's EluGrad and SeluGrad, from the output: exp(x) = y + 1 below 0.
    "elu": lambda x, y: np.where(y < 0, y + 1, 1).astype(y.dtype),
    "selu": lambda x, y: np.where(y < 0, y + SELU_SCALE * SELU_ALPHA, SELU_SCALE).astype(y.dtype),
    # max(x, 0) + expm1(min(x, 0)): TensorFlow gives 0 to both halves, so the slope there is 2.
    "celu": lambda x, y: (np.where(y > 0, 1, y + 1) + (y == 0)).astype(y.dtype),
    "gelu": lambda x, y: 0.5 * (1 + erf(x / math.sqrt(2))) + x * _gelu_pdf(x),
    "silu": lambda x, y: (s := _sigmoid(x, np.empty_like(x))) * (1 + x * (1 - s)),
    # mish = x tanh(softplus(x)): tanh(sp) + x (1 - tanh²(sp)) sigmoid(x).
    "mish": lambda x, y: (t := np.tanh(_softplus(x))) + x * (1 - t * t) * _sigmoid(x, np.empty_like(x)),
    # d/dx a·tanh(2x/3) = (2a/3)(1 − tanh²) = (2/3)(a − y²/a).
    "lecun_tanh": lambda x, y: (2 / 3) * (LECUN_TANH_SCALE - np.square(y) / LECUN_TANH_SCALE),
    "hard_sigmoid": lambda x, y: (((y > 0) & (y < 1)) / 6).astype(y.dtype),
    "hard_silu": lambda x, y: (np.clip(x + 3, 0, 6) / 6 + x * (((x > -3) & (x < 3)) / 6)).astype(y.dtype),
    # clip_by_value's gradient passes at the bounds.
    "hard_tanh": lambda x, y: ((x >= -1) & (x <= 1)).astype(y.dtype),
    "log_sigmoid": lambda x, y: -np.expm1(y),  # sigmoid(-x) = 1 - exp(y)
    "sparse_sigmoid": lambda x, y: (((y > 0) & (y < 1)) / 2).astype(y.dtype),
    "softplus": lambda x, y: -np.expm1(-y),  # sigmoid(x) = 1 - exp(-y)
    "softsign": lambda x, y: np.square(1 - np.abs(y)),  # 1 / (1 + |x|)²
    "squareplus": lambda x, y: (1 + x / np.sqrt(x * x + SQUAREPLUS_B)) / 2,
    "sparse_plus": lambda x, y: np.where(y >= 1, 1, np.sqrt(y)).astype(y.dtype),  # (x + 1) / 2 below 1
    "exponential": lambda x, y: y,
    "soft_shrink": lambda x, y: (y != 0).astype(y.dtype),
    "hard_shrink": lambda x, y: (y != 0).astype(y.dtype),
    "tanh_shrink": lambda x, y: np.square(np.tanh(x)),
}
"""Elementwise derivatives ``f'(x)``, from the input and the output (ignored by most); the
faster relu, tanh and sigmoid are in :func:`activation_backward` itself."""


def activation_forward(name: ActivationName, x: Array, out: Array | None = None) -> Array:
    """Apply an activation: elementwise, or over the feature axis 0 (softmax, log_softmax,
    sparsemax). Pass ``out=x`` to work in place."""
    name = _ALIASES.get(name, name)
    y = np.empty_like(x) if out is None else out
    if name == "linear":
        if y is not x:
            np.copyto(y, x)
    elif name == "softmax":
        softmax_forward(x, (0,), out=y)
    elif name == "log_softmax":
        np.subtract(x, x.max(axis=0, keepdims=True), out=y)
        y -= np.log(np.exp(y).sum(axis=0, keepdims=True))
    elif name == "sparsemax":
        np.copyto(y, np.maximum(x - _sparsemax_threshold(x), 0))
    elif name in _FORWARD:
        _FORWARD[name](x, y)
    else:
        raise ValueError(f"unknown activation {name!r}; expected one of {ACTIVATIONS}")
    return y


def activation_backward(
    name: ActivationName,
    dy: Array,
    y: Array,
    out: Array | None = None,
    *,
    x: Array | None = None,
    workspace: Workspace | None = None,
) -> Array:
    """Gradient of :func:`activation_forward` given its output ``y`` (and its input ``x`` for
    the activations in :data:`READS_INPUT`): ``dx``, shape of dy. Pass ``out=dy`` to work in place;
    with a workspace, relu, tanh and sigmoid make no temporary arrays."""
    name = _ALIASES.get(name, name)
    if name in READS_INPUT and x is None:
        raise ValueError(f"the gradient of {name} needs its input")
    dx = np.empty_like(dy) if out is None else out
    if name == "linear":
        if dx is not dy:
            np.copyto(dx, dy)
    elif name == "relu":
        np.multiply(dy, np.greater(y, 0, out=empty_from(workspace, "mask", y.shape, bool)), out=dx)
    elif name in ("tanh", "sigmoid"):
        # tanh' = 1 - y², sigmoid' = y (1 - y), both in one scratch array.
        slope = empty_from(workspace, "slope", y.shape, y.dtype)
        if name == "tanh":
            np.square(y, out=slope)
            np.subtract(1, slope, out=slope)
        else:
            np.subtract(1, y, out=slope)
            slope *= y
        np.multiply(dy, slope, out=dx)
    elif name == "softmax":
        softmax_backward(dy, y, (0,), out=dx)
    elif name == "log_softmax":
        total = dy.sum(axis=0, keepdims=True)
        np.subtract(dy, np.exp(y) * total, out=dx)
    elif name == "sparsemax":
        assert x is not None
        np.copyto(dx, _sparsemax_backward(dy, x))
    elif name in _SLOPE:
        np.multiply(dy, _SLOPE[name](y if x is None else x, y), out=dx)
    else:
        raise ValueError(f"unknown activation {name!r}; expected one of {ACTIVATIONS}")
    return dx


# --------------------------------------------------------------------------- sparsemax


def _sorted_support(x: Array) -> tuple[Array, Array, npt.NDArray[np.bool_]]:
    """Over axis 0: the values sorted in descending order, their running sums, and whether each
    sorted position is in the support (Keras' test ``z_k − (Σ_{j≤k} z_j − 1)/k > 0``)."""
    ordered = -np.sort(-x, axis=0)
    sums = np.cumsum(ordered, axis=0)
    rank = np.arange(1, len(x) + 1, dtype=x.dtype).reshape(-1, *([1] * (x.ndim - 1)))
    return ordered, sums, ordered - (sums - 1) / rank > 0


def _sparsemax_threshold(x: Array) -> Array:
    """τ as Keras 3.15 computes it on every backend: the *sum* of the running sums over the
    support, less 1, over its size. (Martins & Astudillo's sparsemax takes the running sum at the
    end of the support instead; the two agree when the support has one value, and only then.)"""
    _, sums, support = _sorted_support(x)
    count = support.sum(axis=0, keepdims=True)
    threshold: Array = (np.where(support, sums, 0).sum(axis=0, keepdims=True) - 1) / count
    return threshold


def _sparsemax_backward(dy: Array, x: Array) -> Array:
    """TensorFlow's gradient of Keras' sparsemax: ``dy`` where ``x ≥ τ``, less the sum of that
    passed gradient times ``∂τ/∂x``, which for the value at sorted position ``i < k`` (0-based)
    of a support of ``k`` is ``(k − i) / k``."""
    _, _, support = _sorted_support(x)
    count = support.sum(axis=0, keepdims=True)
    passed = dy * (x - _sparsemax_threshold(x) >= 0)
    # Sorted position of every value: the inverse of the descending sort's permutation.
    position = np.argsort(np.argsort(-x, axis=0, kind="stable"), axis=0, kind="stable")
    weight = np.where(position < count, (count - position) / count, 0)
    dx: Array = passed - weight * passed.sum(axis=0, keepdims=True)
    return dx


# --------------------------------------------------------------------------- softmax over axes


def softmax_forward(x: Array, axes: Sequence[int], out: Array | None = None) -> Array:
    """Softmax over ``axes`` (together), stable for any scores; ``out`` may be ``x``."""
    y = np.empty_like(x) if out is None else out
    axes = tuple(axes)
    np.subtract(x, x.max(axis=axes, keepdims=True), out=y)
    np.exp(y, out=y)
    y /= y.sum(axis=axes, keepdims=True)
    return y


def softmax_backward(dy: Array, y: Array, axes: Sequence[int], out: Array | None = None) -> Array:
    """``y · (dy − Σ dy·y)`` over ``axes``; ``out`` may be ``dy``."""
    dx = np.empty_like(dy) if out is None else out
    axes = tuple(axes)
    if axes == (0,):
        dot = np.einsum("k...,k...->...", dy, y)[np.newaxis]
    else:
        dot = np.sum(dy * y, axis=axes, keepdims=True)
    np.subtract(dy, dot, out=dx)
    dx *= y
    return dx


# --------------------------------------------------------------------------- rectifier layers


def relu_forward(
    x: Array, *, max_value: float | None = None, negative_slope: float = 0.0, threshold: float = 0.0
) -> Array:
    """``keras.layers.ReLU``, as Keras 3 computes it: ``x`` above ``threshold`` (else 0), clipped
    to ``[0, max_value]``, less ``negative_slope · relu(threshold − x)``. (A negative threshold
    lets values between it and 0 through unchanged unless ``max_value`` clips them to 0.)"""
    if negative_slope and max_value is None and threshold == 0:
        return leaky_relu_forward(x, negative_slope)
    clip = max_value is not None
    if threshold != 0:
        y = np.where(x > threshold, x, 0).astype(x.dtype)
    elif max_value == 6:  # Keras' relu6 shortcut: no clip after it
        y, clip = np.clip(x, 0, 6), False
    else:
        y = np.maximum(x, 0)
    if clip:
        np.clip(y, 0, max_value, out=y)
    if negative_slope:
        y -= negative_slope * np.maximum(threshold - x, 0)
    return y


def relu_backward(
    dy: Array,
    x: Array,
    *,
    max_value: float | None = None,
    negative_slope: float = 0.0,
    threshold: float = 0.0,
) -> Array:
    """Gradient of :func:`relu_forward` as TensorFlow differentiates Keras' composition: the
    threshold's ``where`` passes where ``x > threshold``, relu where ``x > 0``, relu6 where
    ``0 < x < 6``, the clip where its input is within its bounds, the negative part where
    ``threshold − x > 0``."""
    if negative_slope and max_value is None and threshold == 0:
        return leaky_relu_backward(dy, x, negative_slope)
    clip = max_value is not None
    if threshold != 0:
        passed = x > threshold
    elif max_value == 6:
        passed, clip = (x > 0) & (x < 6), False
    else:
        passed = x > 0
    if clip:
        assert max_value is not None
        positive = np.where(passed, x, 0)
        passed &= (positive >= 0) & (positive <= max_value)
    slope = passed.astype(dy.dtype)
    if negative_slope:
        slope += negative_slope * (threshold - x > 0)
    dx: Array = dy * slope
    return dx


def leaky_relu_forward(x: Array, negative_slope: float) -> Array:
    """TensorFlow's ``leaky_relu``: ``x`` above 0, ``negative_slope · x`` otherwise (any slope)."""
    y: Array = np.where(x > 0, x, negative_slope * x).astype(x.dtype)
    return y


def leaky_relu_backward(dy: Array, x: Array, negative_slope: float) -> Array:
    """``dy`` where ``x > 0``, ``negative_slope · dy`` otherwise (at 0 too, as TensorFlow)."""
    dx: Array = dy * np.where(x > 0, 1, negative_slope).astype(dy.dtype)
    return dx


def prelu_forward(x: Array, alpha: Array) -> Array:
    """``keras.layers.PReLU``: ``relu(x) − alpha · relu(−x)``, ``alpha`` broadcast over ``x``."""
    y: Array = np.maximum(x, 0) - alpha * np.maximum(-x, 0)
    return y


def prelu_backward(dy: Array, x: Array, alpha: Array) -> tuple[Array, Array]:
    """``(dx, dalpha)``: ``dx = dy·[x > 0] + alpha·dy·[x < 0]`` (0 at 0, where both relus pass
    nothing), ``dalpha = −Σ dy·relu(−x)`` summed down to ``alpha``'s shape."""
    dx: Array = dy * (x > 0) + alpha * dy * (x < 0)
    per_value = -dy * np.maximum(-x, 0)
    reduced = tuple(axis for axis in range(x.ndim) if alpha.shape[axis] == 1)
    dalpha: Array = per_value.sum(axis=reduced, keepdims=True)
    return dx, dalpha

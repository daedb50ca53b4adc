"""Activations, elementwise (softmax over the feature axis 0), each with its gradient."""

from __future__ import annotations

from typing import Literal, TypeAlias, get_args

import numpy as np

from cnncalc.backends.numpy.im2col import Array, Workspace, empty_from

ActivationName: TypeAlias = Literal[
    "linear", "relu", "relu6", "elu", "leaky_relu", "tanh", "lecun_tanh", "sigmoid", "softmax"
]
ACTIVATIONS: tuple[ActivationName, ...] = get_args(ActivationName)

LECUN_TANH_SCALE = 1.7159
"""``lecun_tanh`` is ``1.7159·tanh(2x/3)`` (LeCun et al. 1998, appendix A): 1 at ±1."""

LEAKY_RELU_NEGATIVE_SLOPE = 0.2
"""Slope of ``activation="leaky_relu"`` in Keras 3 (``keras.activations.leaky_relu``).

The ``keras.layers.LeakyReLU`` *layer* defaults to 0.3 instead.
"""


def activation_forward(name: ActivationName, x: Array, out: Array | None = None) -> Array:
    """Apply an activation elementwise (softmax: over the feature axis 0).

    Pass ``out=x`` to work in place; the backward pass only needs the output.
    """
    y = np.empty_like(x) if out is None else out
    if name == "linear":
        np.copyto(y, x)
    elif name == "relu":
        np.maximum(x, 0, out=y)
    elif name == "relu6":
        np.clip(x, 0, 6, out=y)
    elif name == "elu":
        # x for x > 0, exp(x) - 1 otherwise; clamp first so exp cannot overflow.
        np.copyto(y, np.where(x > 0, x, np.expm1(np.minimum(x, 0))))
    elif name == "leaky_relu":
        # For a slope in (0, 1), max(x, slope * x) is x above 0 and slope * x below.
        np.maximum(x, x * LEAKY_RELU_NEGATIVE_SLOPE, out=y)
    elif name == "tanh":
        np.tanh(x, out=y)
    elif name == "lecun_tanh":
        np.multiply(x, 2 / 3, out=y)
        np.tanh(y, out=y)
        y *= LECUN_TANH_SCALE
    elif name == "sigmoid":
        # 1 / (1 + e) for x >= 0 and e / (1 + e) below, with e = exp(-|x|) <= 1: no
        # overflow, and full relative precision for tiny outputs.
        e = np.exp(-np.abs(x))
        np.divide(np.where(x >= 0, 1, e), 1 + e, out=y)
    elif name == "softmax":
        np.subtract(x, x.max(axis=0, keepdims=True), out=y)
        np.exp(y, out=y)
        y /= y.sum(axis=0, keepdims=True)
    else:
        raise ValueError(f"unknown activation {name!r}; expected one of {ACTIVATIONS}")
    return y


def activation_backward(
    name: ActivationName, dy: Array, y: Array, out: Array | None = None, *, workspace: Workspace | None = None
) -> Array:
    """Gradient of :func:`activation_forward` given its output ``y``: ``dx``, shape of dy.

    At kinks this matches TensorFlow: relu and relu6 pass no gradient at 0 (nor relu6 at 6),
    leaky_relu passes ``slope * dy`` at 0, elu passes ``dy`` at 0. Pass ``out=dy`` to work in
    place; with a workspace, relu, tanh and sigmoid make no temporary arrays.
    """
    dx = np.empty_like(dy) if out is None else out
    if name == "linear":
        np.copyto(dx, dy)
    elif name == "relu":
        np.multiply(dy, np.greater(y, 0, out=empty_from(workspace, "mask", y.shape, bool)), out=dx)
    elif name == "relu6":
        np.multiply(dy, (y > 0) & (y < 6), out=dx)
    elif name == "elu":
        # d/dx (exp(x) - 1) = exp(x) = y + 1 for x <= 0 (alpha = 1).
        np.multiply(dy, np.where(y < 0, y + 1, 1), out=dx)
    elif name == "leaky_relu":
        np.multiply(dy, np.where(y > 0, 1.0, LEAKY_RELU_NEGATIVE_SLOPE).astype(dy.dtype), out=dx)
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
    elif name == "lecun_tanh":
        # d/dx a·tanh(2x/3) = (2a/3)(1 − tanh²) = (2/3)(a − y²/a).
        np.multiply(dy, (2 / 3) * (LECUN_TANH_SCALE - np.square(y) / LECUN_TANH_SCALE), out=dx)
    elif name == "softmax":
        dot = np.einsum("k...,k...->...", dy, y)
        np.subtract(dy, dot, out=dx)
        dx *= y
    else:
        raise ValueError(f"unknown activation {name!r}; expected one of {ACTIVATIONS}")
    return dx

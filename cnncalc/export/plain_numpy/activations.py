"""Elementwise activations, each with its derivative written in terms of its output y."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from cnncalc.export.plain_numpy.arrays import Array

LEAKY_RELU_SLOPE = 0.2  # Keras' activation="leaky_relu"


def linear(x: Array) -> Array:
    return x


def linear_derivative(y: Array) -> Array:
    return np.ones_like(y)


def relu(x: Array) -> Array:
    return np.maximum(x, 0)


def relu_derivative(y: Array) -> Array:
    return (y > 0).astype(y.dtype)


def relu6(x: Array) -> Array:
    return np.clip(x, 0, 6)


def relu6_derivative(y: Array) -> Array:
    return ((y > 0) & (y < 6)).astype(y.dtype)


def elu(x: Array) -> Array:
    return np.where(x > 0, x, np.expm1(np.minimum(x, 0)))


def elu_derivative(y: Array) -> Array:
    return np.where(y > 0, 1, y + 1)  # exp(x) = y + 1 below 0


def leaky_relu(x: Array) -> Array:
    return np.maximum(x, LEAKY_RELU_SLOPE * x)


def leaky_relu_derivative(y: Array) -> Array:
    return np.where(y > 0, 1, LEAKY_RELU_SLOPE).astype(y.dtype)


def tanh(x: Array) -> Array:
    return np.tanh(x)


def tanh_derivative(y: Array) -> Array:
    return 1 - y**2


def lecun_tanh(x: Array) -> Array:
    return 1.7159 * np.tanh(2 * x / 3)  # LeCun et al. (1998): 1 at ±1


def lecun_tanh_derivative(y: Array) -> Array:
    slope: Array = (2 / 3) * (1.7159 - y**2 / 1.7159)
    return slope


def sigmoid(x: Array) -> Array:
    return np.exp(-np.logaddexp(0, -x))  # 1 / (1 + exp(-x)), without overflow


def sigmoid_derivative(y: Array) -> Array:
    slope: Array = y * (1 - y)
    return slope


ACTIVATIONS: dict[str, tuple[Callable[[Array], Array], Callable[[Array], Array]]] = {
    "linear": (linear, linear_derivative),
    "relu": (relu, relu_derivative),
    "relu6": (relu6, relu6_derivative),
    "elu": (elu, elu_derivative),
    "leaky_relu": (leaky_relu, leaky_relu_derivative),
    "tanh": (tanh, tanh_derivative),
    "lecun_tanh": (lecun_tanh, lecun_tanh_derivative),
    "sigmoid": (sigmoid, sigmoid_derivative),
}
"""name: (function, its derivative in terms of the function's output)."""

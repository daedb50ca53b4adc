"""Every kernel keeps float32 as float32, forward and backward (no silent float64 copies)."""

from __future__ import annotations

import numpy as np

from cnncalc.backends.numpy.im2col import pad2d, pad2d_backward
from cnncalc.backends.numpy.kernels.activations import ACTIVATIONS, activation_backward, activation_forward
from cnncalc.backends.numpy.kernels.conv import conv2d_backward, conv2d_forward
from cnncalc.backends.numpy.kernels.dense import dense_backward, dense_forward
from cnncalc.backends.numpy.kernels.dropout import dropout_backward, dropout_forward
from cnncalc.backends.numpy.kernels.loss import softmax_cross_entropy, softmax_cross_entropy_backward
from cnncalc.backends.numpy.kernels.normalization import (
    batch_norm_backward,
    batch_norm_inference,
    batch_norm_train_forward,
)
from cnncalc.backends.numpy.kernels.pooling import (
    PoolPadMode,
    avg_pool2d_backward,
    avg_pool2d_forward,
    global_avg_pool2d_backward,
    global_avg_pool2d_forward,
    global_max_pool2d_backward,
    global_max_pool2d_forward,
    max_pool2d_backward,
    max_pool2d_forward,
)
from cnncalc.backends.numpy.kernels.reshape import flatten_backward, flatten_forward

POOL_MODES: tuple[PoolPadMode, ...] = ("ignore", "reflect")


def test_float32_stays_float32() -> None:
    rng = np.random.default_rng(0)

    def f32(*shape: int) -> np.ndarray:
        return rng.standard_normal(shape).astype(np.float32)

    x, vec = f32(3, 6, 6, 4), f32(3)
    results: dict[str, np.ndarray | None] = {}
    for mode in ("zeros", "replicate", "reflect"):
        padded = pad2d(x, ((1, 2), (2, 1)), mode)
        results[f"pad {mode}"] = padded
        results[f"pad back {mode}"] = pad2d_backward(padded, ((1, 2), (2, 1)), mode)
    y, conv = conv2d_forward(x, f32(3, 3, 1, 6), f32(6), padding=((1, 1), (1, 1)), groups=3)
    results["conv"], *grads = y, *conv2d_backward(y, conv)
    results.update({f"conv grad {i}": g for i, g in enumerate(grads)})
    for mode in POOL_MODES:
        p, max_cache = max_pool2d_forward(x, (2, 2), (2, 2), ((1, 0), (0, 1)), mode)
        results[f"max {mode}"], results[f"max {mode} back"] = p, max_pool2d_backward(p, max_cache)
        q, avg_cache = avg_pool2d_forward(x, (2, 2), (2, 2), ((1, 0), (0, 1)), mode)
        results[f"avg {mode}"], results[f"avg {mode} back"] = q, avg_pool2d_backward(q, avg_cache)
    g = global_max_pool2d_forward(x)
    results["gmax back"] = global_max_pool2d_backward(g, x, g)
    results["gavg back"] = global_avg_pool2d_backward(global_avg_pool2d_forward(x), x.shape)
    d, dense = dense_forward(x, f32(3, 5), f32(5))
    results["dense"], *grads = d, *dense_backward(d, dense)
    results.update({f"dense grad {i}": g for i, g in enumerate(grads)})
    b, bn = batch_norm_train_forward(x, vec, vec)
    results["bn"], *grads = b, *batch_norm_backward(b, bn)
    results.update({f"bn grad {i}": g for i, g in enumerate(grads)})
    results["bn inference"] = batch_norm_inference(x, vec, vec, vec, np.abs(vec))
    for name in ACTIVATIONS:
        a = activation_forward(name, x)
        results[name], results[f"{name} back"] = a, activation_backward(name, x, a, x=x)
    logits = f32(10, 4)
    _, probabilities = softmax_cross_entropy(logits, np.array([1, 2, 3, 4]))
    results["softmax ce back"] = softmax_cross_entropy_backward(probabilities, np.array([1, 2, 3, 4]))
    results["dropout"], mask = dropout_forward(x, 0.5, rng)
    results["dropout back"] = dropout_backward(x, mask)
    results["flatten back"] = flatten_backward(flatten_forward(x), x.shape)
    wrong = {
        name: array.dtype
        for name, array in results.items()
        if array is not None and array.dtype != np.float32
    }
    assert wrong == {}

"""Every kernel keeps float32 as float32, forward and backward (no silent float64 copies)."""

from __future__ import annotations

import numpy as np

from cnncalc.backends.numpy import kernels as K
from cnncalc.backends.numpy.im2col import pad2d, pad2d_backward

POOL_MODES: tuple[K.PoolPadMode, ...] = ("ignore", "reflect")


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
    y, conv = K.conv2d_forward(x, f32(3, 3, 1, 6), f32(6), padding=((1, 1), (1, 1)), groups=3)
    results["conv"], *grads = y, *K.conv2d_backward(y, conv)
    results.update({f"conv grad {i}": g for i, g in enumerate(grads)})
    for mode in POOL_MODES:
        p, max_cache = K.max_pool2d_forward(x, (2, 2), (2, 2), ((1, 0), (0, 1)), mode)
        results[f"max {mode}"], results[f"max {mode} back"] = p, K.max_pool2d_backward(p, max_cache)
        q, avg_cache = K.avg_pool2d_forward(x, (2, 2), (2, 2), ((1, 0), (0, 1)), mode)
        results[f"avg {mode}"], results[f"avg {mode} back"] = q, K.avg_pool2d_backward(q, avg_cache)
    g = K.global_max_pool2d_forward(x)
    results["gmax back"] = K.global_max_pool2d_backward(g, x, g)
    results["gavg back"] = K.global_avg_pool2d_backward(K.global_avg_pool2d_forward(x), x.shape)
    d, dense = K.dense_forward(x, f32(3, 5), f32(5))
    results["dense"], *grads = d, *K.dense_backward(d, dense)
    results.update({f"dense grad {i}": g for i, g in enumerate(grads)})
    b, bn = K.batch_norm_train_forward(x, vec, vec)
    results["bn"], *grads = b, *K.batch_norm_backward(b, bn)
    results.update({f"bn grad {i}": g for i, g in enumerate(grads)})
    results["bn inference"] = K.batch_norm_inference(x, vec, vec, vec, np.abs(vec))
    for name in K.ACTIVATIONS:
        a = K.activation_forward(name, x)
        results[name], results[f"{name} back"] = a, K.activation_backward(name, x, a)
    logits = f32(10, 4)
    _, probabilities = K.softmax_cross_entropy(logits, np.array([1, 2, 3, 4]))
    results["softmax ce back"] = K.softmax_cross_entropy_backward(probabilities, np.array([1, 2, 3, 4]))
    results["dropout"], mask = K.dropout_forward(x, 0.5, rng)
    results["dropout back"] = K.dropout_backward(x, mask)
    results["flatten back"] = K.flatten_backward(K.flatten_forward(x), x.shape)
    wrong = {
        name: array.dtype
        for name, array in results.items()
        if array is not None and array.dtype != np.float32
    }
    assert wrong == {}

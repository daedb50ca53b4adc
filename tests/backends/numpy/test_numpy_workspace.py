"""Kernels given a Workspace reuse its arrays and compute exactly what they compute without."""

from __future__ import annotations

import numpy as np

from cnncalc.backends.numpy.im2col import Scratch, Workspace, pad2d
from cnncalc.backends.numpy.kernels.conv import Conv2DCache, conv2d_backward, conv2d_forward
from cnncalc.backends.numpy.kernels.dense import dense_backward, dense_forward
from cnncalc.backends.numpy.kernels.pooling import (
    avg_pool2d_backward,
    avg_pool2d_forward,
    max_pool2d_backward,
    max_pool2d_forward,
)
from cnncalc.backends.numpy.kernels.reshape import flatten_backward, flatten_forward


def lenet_like_pass(
    x: np.ndarray, weights: list[np.ndarray], workspaces: list[Workspace] | list[None]
) -> list[np.ndarray]:
    """Forward and backward through conv, both pools, flatten and dense; every result.

    One workspace per layer, as the layer classes will hold them.
    """
    k1, k2, dense = weights
    a, conv1 = conv2d_forward(x, k1, None, padding=((1, 2), (2, 1)), workspace=workspaces[0])
    p, pool1 = max_pool2d_forward(a, (2, 2), (2, 2), ((0, 1), (0, 1)), workspace=workspaces[1])
    b, conv2 = conv2d_forward(p, k2, None, padding=((1, 1), (1, 1)), workspace=workspaces[2])
    q, pool2 = avg_pool2d_forward(b, (3, 3), (2, 2), ((1, 1), (1, 1)), workspace=workspaces[3])
    f = flatten_forward(q, workspace=workspaces[4])
    z, head = dense_forward(f, dense, None, workspace=workspaces[5])
    dz = np.ones_like(z)
    df, ddense, _ = dense_backward(dz, head, workspace=workspaces[5])
    assert df is not None
    dq = flatten_backward(df, q.shape, workspace=workspaces[4])
    db = avg_pool2d_backward(dq, pool2, workspace=workspaces[3])
    dp, dk2, _ = conv2d_backward(db, conv2, workspace=workspaces[2])
    assert dp is not None
    da = max_pool2d_backward(dp, pool1, workspace=workspaces[1])
    dx, dk1, _ = conv2d_backward(da, conv1, workspace=workspaces[0])
    assert dx is not None
    return [a.copy(), p.copy(), b.copy(), q.copy(), z.copy(), dx.copy(), dk1, dk2, ddense]


def test_workspace_results_equal_fresh_allocations() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 9, 8, 3))
    weights = [
        rng.standard_normal((3, 3, 2, 4)),
        rng.standard_normal((2, 2, 4, 5)),
        rng.standard_normal((5 * 3 * 3, 7)),
    ]
    fresh = lenet_like_pass(x, weights, [None] * 6)
    workspaces = [Workspace() for _ in range(6)]
    for _ in range(2):  # the second pass runs on buffers the first one filled
        reused = lenet_like_pass(x, weights, workspaces)
        for expected, actual in zip(fresh, reused, strict=True):
            np.testing.assert_array_equal(actual, expected)


def test_workspace_hands_back_the_same_buffers() -> None:
    rng = np.random.default_rng(1)
    workspace = Workspace()
    x = rng.standard_normal((1, 6, 6, 4)).astype(np.float32)
    kernel = rng.standard_normal((3, 3, 1, 2)).astype(np.float32)

    def run() -> tuple[np.ndarray, Conv2DCache]:
        return conv2d_forward(x, kernel, None, workspace=workspace)

    y1, cache1 = run()
    y2, cache2 = run()
    assert y1 is y2
    assert cache1.cols is cache2.cols
    # A different batch size gets its own arrays (the last, smaller batch of an epoch).
    y3, _ = conv2d_forward(x[..., :3], kernel, None, workspace=workspace)
    assert y3.shape == (2, 4, 4, 3)
    assert y3 is not y1
    padded = pad2d(x, ((1, 1), (1, 1)), workspace=workspace)
    assert padded is pad2d(x, ((1, 1), (1, 1)), workspace=workspace)


def test_a_scratch_holds_one_buffer_per_name_whatever_the_shape() -> None:
    scratch = Scratch()
    small = scratch.empty("dcols", (2, 3), np.float32)
    large = scratch.empty("dcols", (4, 5), np.float64)  # 160 bytes: the buffer grows
    again = scratch.empty("dcols", (3, 2), np.float32)  # 24 bytes: a view of the grown one
    assert (small.shape, large.shape, again.shape) == ((2, 3), (4, 5), (3, 2))
    assert np.shares_memory(large, again)
    assert not np.shares_memory(small, large)
    assert not np.shares_memory(scratch.empty("pad2d", (3, 2), np.float32), again)


def test_convolutions_sharing_a_scratch_compute_what_they_compute_alone(rng: np.random.Generator) -> None:
    # Two layers' backward passes, one after the other, through one scratch: the second may
    # overwrite the first's col2im input, never its results.
    x = rng.standard_normal((3, 9, 8, 4))
    kernels = [rng.standard_normal((3, 3, 3, 5)), rng.standard_normal((2, 2, 5, 2))]
    scratch = Scratch()
    shared, alone = [], []
    for out, extra in ((shared, {"scratch": scratch}), (alone, {})):
        a, first = conv2d_forward(
            x, kernels[0], None, padding=((1, 1), (1, 1)), workspace=Workspace(), **extra
        )
        b, second = conv2d_forward(
            a, kernels[1], None, padding=((0, 1), (1, 0)), workspace=Workspace(), **extra
        )
        db, dk2, _ = conv2d_backward(np.ones_like(b), second, workspace=Workspace(), **extra)
        assert db is not None
        da, dk1, _ = conv2d_backward(db, first, workspace=Workspace(), **extra)
        out.extend(array.copy() for array in (a, b, db, dk2, da, dk1))
    for ours, reference in zip(shared, alone, strict=True):
        np.testing.assert_array_equal(ours, reference)

"""Batch shards on worker threads: the same numbers as one pass over the whole batch, and the
same bits whatever the number of workers."""

from __future__ import annotations

import itertools
import threading
from typing import Any

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits  # type: ignore[import-untyped]

from cnncalc.backends.numpy.model import NumpyModel
from cnncalc.backends.numpy.parallel import Splitter, Workers, shard_slices

NET: dict[str, Any] = {
    "input": [8, 8, 1],
    "layers": [
        {"type": "conv2d", "filters": 3, "kernel_size": 3, "activation": "tanh"},
        {"type": "maxpool2d"},
        {"type": "flatten"},
        {"type": "dropout", "rate": 0.25},
        {"type": "dense", "units": 10, "activation": "softmax"},
    ],
}


def test_shards_cover_the_batch_in_order() -> None:
    for batch in (1, 31, 32, 33, 64, 100, 512, 1000):
        shards = shard_slices(batch)
        assert shards[0].start == 0
        assert shards[-1].stop == batch
        assert all(a.stop == b.start for a, b in itertools.pairwise(shards))
        sizes = [s.stop - s.start for s in shards]
        assert max(sizes) <= 64
        assert max(sizes) - min(sizes) <= 1


def test_sharded_gradients_are_the_whole_batch_gradients(rng: np.random.Generator) -> None:
    spec = NET | {"layers": [layer for layer in NET["layers"] if layer["type"] != "dropout"]}
    model = NumpyModel(spec, dtype=np.float64, workers=2)
    x = rng.standard_normal((150, 8, 8, 1))
    labels = rng.integers(0, 10, 150)
    assert len(shard_slices(150)) == 3
    loss, outputs = model.loss_and_gradients(x, labels)
    sharded = model.gradients.copy()
    # The same batch in one piece, through worker 0's layers: d(mean CE)/d(probabilities).
    probabilities = model.forward(x, training=True)
    dy = np.zeros_like(probabilities)
    dy[np.arange(150), labels] = -1 / (150 * probabilities[np.arange(150), labels])
    model.backward(dy)
    np.testing.assert_allclose(sharded, model.gradients, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(outputs, probabilities, rtol=1e-12)
    assert loss == pytest.approx(-np.mean(np.log(probabilities[np.arange(150), labels])), rel=1e-12)


RESIDUAL: dict[str, Any] = {
    "input": [8, 8, 1],
    "layers": [
        {"type": "conv2d", "name": "stem", "filters": 12, "kernel_size": 3, "padding": "same"},
        {"type": "batchnorm", "name": "bn", "momentum": 0.9},
        {"type": "activation", "name": "relu", "activation": "relu"},
        {"type": "conv2d", "filters": 12, "kernel_size": 3, "padding": "same", "use_bias": False},
        {"type": "batchnorm"},
        {"type": "add", "inputs": ["relu", "batch_normalization"]},
        {"type": "maxpool2d"},
        {"type": "flatten"},
        {"type": "dropout", "rate": 0.25},
        {"type": "dense", "units": 10, "activation": "softmax"},
    ],
}
"""A residual block with batch norm: trained on the whole batch, the workers sharing the kernels'
work (convolutions and batch norm cut into pieces by their shapes)."""


@pytest.mark.parametrize("spec", [NET, RESIDUAL], ids=["shards", "whole-batch"])
@pytest.mark.parametrize("batch", [20, 100, 300])
def test_the_number_of_workers_changes_nothing(
    spec: dict[str, Any], batch: int, rng: np.random.Generator
) -> None:
    x = rng.random((batch, 8, 8, 1), dtype=np.float32)
    labels = rng.integers(0, 10, batch)
    runs = []
    for workers in (1, 2, 3):
        model = NumpyModel(spec, seed=5, workers=workers)
        results = [model.loss_and_gradients(x, labels) for _ in range(3)]  # dropout masks differ per step
        runs.append((results, model.gradients.copy(), model.predict(x, batch_size=50)))
    for results, gradients, predictions in runs[1:]:
        for (loss, outputs), (first_loss, first_outputs) in zip(results, runs[0][0], strict=True):
            assert loss == first_loss
            np.testing.assert_array_equal(outputs, first_outputs)
        np.testing.assert_array_equal(gradients, runs[0][1])
        np.testing.assert_array_equal(predictions, runs[0][2])


def test_batch_norm_trains_on_the_whole_batch(rng: np.random.Generator) -> None:
    # Batch statistics couple the samples: sharding would change them, so there is one shard.
    spec = {"input": [6], "layers": [{"type": "batchnorm"}, {"type": "dense", "units": 10}]}
    model = NumpyModel(spec, dtype=np.float64, workers=2)
    x = rng.standard_normal((150, 6))
    model.loss_and_gradients(x, rng.integers(0, 10, 150))
    # moving mean = 0.99 * 0 + 0.01 * (mean of all 150 samples): one update, from the whole batch.
    np.testing.assert_allclose(model.variables["batch_normalization/moving_mean"], 0.01 * x.mean(axis=0))


def test_workers_return_results_in_shard_order_and_use_several_threads() -> None:
    threads: set[int] = set()
    barrier = threading.Barrier(2, timeout=10)

    def task(worker: int, shard: int) -> tuple[int, int]:
        threads.add(threading.get_ident())
        if shard < 2:
            barrier.wait()  # both workers must be running at once
        return worker, shard * shard

    results = Workers(2).map(task, 9)
    assert [square for _, square in results] == [shard * shard for shard in range(9)]
    assert {worker for worker, _ in results} == {0, 1}
    assert len(threads) == 2


def test_a_failing_shard_raises_after_every_worker_stopped() -> None:
    def task(worker: int, shard: int) -> int:
        if shard == 5:
            raise RuntimeError("shard 5 failed")
        return shard

    with pytest.raises(RuntimeError, match="shard 5 failed"):
        Workers(2).map(task, 8)


def blas_threads() -> list[int]:
    return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]


def test_blas_runs_on_one_thread_during_every_pass_only(rng: np.random.Generator) -> None:
    model = NumpyModel(NET, workers=2)
    seen: list[list[int]] = []
    for layer in model._replicas[1].graph.layers[:1] + model.layers[:1]:  # a helper's layer and worker 0's
        original = layer.forward

        def spy(x: np.ndarray, training: bool, _original: Any = original) -> np.ndarray:
            seen.append(blas_threads())
            return _original(x, training)

        layer.forward = spy  # type: ignore[method-assign]
    x = rng.random((150, 8, 8, 1), dtype=np.float32)
    labels = rng.integers(0, 10, 150)
    with threadpool_limits(limits=2, user_api="blas"):  # as OPENBLAS_NUM_THREADS=2 would set it
        model.loss_and_gradients(x, labels)  # three shards, two workers
        model.forward(x[:10], training=True)
        model.predict(x)
        model.evaluate(x, labels)
        after = blas_threads()
    assert len(seen) >= 4
    assert all(threads == [1] * len(threads) for threads in seen)
    assert after == [2] * len(after)  # the machine's setting is back after each pass


def test_a_splitter_shares_pieces_only_while_sharing() -> None:
    splitter = Splitter(Workers(2))
    threads: list[int] = []
    barrier = threading.Barrier(2, timeout=10)

    def piece(index: int) -> None:
        threads.append(threading.get_ident())

    def waiting_piece(index: int) -> None:
        threads.append(threading.get_ident())
        if index < 2:
            barrier.wait()  # pieces 0 and 1 must run at once

    splitter(piece, 4)
    assert set(threads) == {threading.get_ident()}  # not sharing: the calling thread
    threads.clear()
    with splitter.sharing():
        splitter(waiting_piece, 6)
    assert len(set(threads)) == 2
    threads.clear()
    with splitter.sharing(False):
        splitter(piece, 3)
    assert set(threads) == {threading.get_ident()}

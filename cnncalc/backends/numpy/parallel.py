"""Data parallelism: a batch split into shards that worker threads run side by side, BLAS
held to one thread.

Why: most of a step is NumPy copies and elementwise passes that run on one core, and
OpenBLAS's own threads help only the large matrix products (and hurt the skinny ones).
Splitting the batch instead keeps every core busy all the time: NumPy releases the GIL in
its loops and in BLAS. Each worker owns a copy of the layers (same weights, its own buffers
and caches), and shards of at most 64 samples also keep the im2col matrices closer to the
caches at large batch sizes.

BLAS runs on one thread during every pass of the model (:func:`one_blas_thread`), whatever
``OPENBLAS_NUM_THREADS`` says. OpenBLAS's threads wait for work and for each other by
spinning: beside another process busy with BLAS (2 cores, LeNet-5 at batch 32, perf), 61%
of the backend's CPU time went to those waits (``blas_thread_server``, ``exec_blas``,
``inner_thread``) and under 5% to ``sgemm`` itself, each call stalled until the descheduled
thread came back: 235-680 samples/s against 3,650 with one BLAS thread. Our own workers
wait on a lock instead, once per batch, and take shards as they come free.

The split depends on the batch size only, never on the number of workers, and BLAS always
has one thread, so results are the same bit for bit whatever the machine's core count or
BLAS settings.
"""

from __future__ import annotations

import functools
import itertools
import math
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import contextmanager
from itertools import pairwise
from typing import ParamSpec, TypeVar

from threadpoolctl import ThreadpoolController  # type: ignore[import-untyped]

__all__ = [
    "MAX_SHARD",
    "Workers",
    "available_cores",
    "one_blas_thread",
    "shard_slices",
    "with_one_blas_thread",
]

T = TypeVar("T")
P = ParamSpec("P")

MAX_SHARD = 64
"""Samples per shard at most. LeNet-5 and the article CNN train fastest per sample at 32-64
on one core (at 256 the im2col matrices outgrow the caches). Smaller shards do not pay: in
shards of 32 on two threads LeNet-5 trained slower than one thread on the whole batch of 64
with two-threaded BLAS, the threads waiting for Python's lock between their many short NumPy
calls; a batch of up to 64 is therefore one shard, and BLAS uses the cores."""


def shard_slices(batch: int) -> list[slice]:
    """Balanced consecutive slices of a batch, as few as hold at most :data:`MAX_SHARD` each.

    >>> shard_slices(64)
    [slice(0, 64, None)]
    >>> shard_slices(100)
    [slice(0, 50, None), slice(50, 100, None)]
    >>> [s.stop - s.start for s in shard_slices(512)]
    [64, 64, 64, 64, 64, 64, 64, 64]
    """
    count = max(1, math.ceil(batch / MAX_SHARD))
    bounds = [round(i * batch / count) for i in range(count + 1)]
    return [slice(start, stop) for start, stop in pairwise(bounds)]


def available_cores() -> int:
    """The cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


@functools.cache
def _executor() -> ThreadPoolExecutor:
    """The process's helper threads, shared by every model."""
    return ThreadPoolExecutor(available_cores(), thread_name_prefix="cnncalc-numpy")


@functools.cache
def _blas() -> ThreadpoolController:
    """The handle on BLAS's threads (found once: it inspects the loaded libraries)."""
    return ThreadpoolController()


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Hold BLAS to one thread inside the block, then give it back its previous count.

    Process-wide while it lasts (BLAS has one setting per process), but only that long:
    NumPy code outside the model keeps the machine's settings. About 5 µs.
    """
    with _blas().limit(limits=1, user_api="blas"):
        yield


def with_one_blas_thread(method: Callable[P, T]) -> Callable[P, T]:
    """Decorate a model method so that it runs under :func:`one_blas_thread`."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        with one_blas_thread():
            return method(*args, **kwargs)

    return wrapper


class Workers:
    """Runs per-shard tasks on ``count`` workers: worker 0 is the calling thread, the others
    helper threads. Each worker takes the next shard not yet taken, so a worker that the
    operating system pauses (on a busy machine) holds up no other.

    Call it under :func:`one_blas_thread`: two workers each calling a two-threaded OpenBLAS
    at once made LeNet-5's step 2.5 times slower than with one BLAS thread each.
    """

    def __init__(self, count: int) -> None:
        self.count = max(1, count)

    def map(self, task: Callable[[int, int], T], shards: int) -> list[T]:
        """``[task(worker, shard) for shard in range(shards)]``, computed by the workers."""
        workers = min(self.count, shards)
        if workers == 1:
            return [task(0, shard) for shard in range(shards)]
        executor = _executor()
        results: list[T] = [None] * shards  # type: ignore[list-item]
        next_shard = itertools.count()  # next() on it is atomic under the GIL

        def run(worker: int) -> None:
            for shard in iter(next_shard.__next__, None):
                if shard >= shards:
                    return
                results[shard] = task(worker, shard)

        futures = [executor.submit(run, worker) for worker in range(1, workers)]
        try:
            run(0)
        finally:  # never leave helpers running on a worker's layers
            wait(futures)
        for future in futures:
            future.result()  # re-raise a helper's exception
        return results

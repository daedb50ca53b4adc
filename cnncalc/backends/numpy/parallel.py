"""Data parallelism: a batch split into shards that worker threads run side by side, BLAS
held to one thread.

Why: most of a step is NumPy copies and elementwise passes that run on one core, and
OpenBLAS's own threads help only the large matrix products (and hurt the skinny ones).
Splitting the batch instead keeps every core busy all the time: NumPy releases the GIL in
its loops and in BLAS. Each worker owns a copy of the layers (same weights, its own buffers
and caches), and shards of at most 64 samples also keep the im2col matrices closer to the
caches at large batch sizes.

BLAS runs on one thread during every pass of the model (:func:`with_one_blas_thread`), whatever
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

import contextlib
import functools
import itertools
import math
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, wait
from itertools import pairwise
from typing import Any, ParamSpec, TypeVar

from threadpoolctl import ThreadpoolController  # type: ignore[import-untyped]

__all__ = [
    "MAX_SHARD",
    "Splitter",
    "Workers",
    "available_cores",
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
calls; and at batch 32, two shards of 16 trained 10-25% slower than one on a single thread (busy
machine). A batch of up to 64 is therefore one shard, on one core."""


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
def _blas_libraries() -> list[Any]:
    """threadpoolctl's controllers of the BLAS libraries, found once among the loaded libraries
    (NumPy loads BLAS)."""
    import numpy  # noqa: F401

    libraries: list[Any] = ThreadpoolController().select(user_api="blas").lib_controllers
    return libraries


class _BlasHold:
    """Holds BLAS to one thread while any pass of any model runs, then restores its count.

    Counted, so that passes that overlap (two models used from two threads, or nested calls)
    restore the machine's setting only when the last one ends. It calls each BLAS library's
    ``get_num_threads`` / ``set_num_threads`` (threadpoolctl's library controllers) directly:
    ``ThreadpoolController.limit`` gathers every library's full description each time, which
    cost 70-100 µs a call on the busy machine, a few percent of a LeNet-5 step; this costs 10-15.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holders = 0
        self._saved: list[tuple[Any, int]] = []

    def acquire(self) -> None:
        with self._lock:
            if self._holders == 0:
                self._saved = [(library, library.get_num_threads()) for library in _blas_libraries()]
                for library, _ in self._saved:
                    library.set_num_threads(1)
            self._holders += 1

    def release(self) -> None:
        with self._lock:
            self._holders -= 1
            if self._holders == 0:
                for library, threads in self._saved:
                    library.set_num_threads(threads)
                self._saved = []


_BLAS_HOLD = _BlasHold()


def with_one_blas_thread(method: Callable[P, T]) -> Callable[P, T]:
    """Decorate a model method so that BLAS runs on one thread while it runs, then gets back
    its previous count: process-wide while it lasts (BLAS has one setting per process), but
    only that long, so NumPy code outside the model keeps the machine's settings."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        _BLAS_HOLD.acquire()
        try:
            return method(*args, **kwargs)
        finally:
            _BLAS_HOLD.release()

    return wrapper


class Workers:
    """Runs per-shard tasks on ``count`` workers: worker 0 is the calling thread, the others
    helper threads. Each worker takes the next shard not yet taken, so a worker that the
    operating system pauses (on a busy machine) holds up no other.

    Call it under :func:`with_one_blas_thread`: two workers each calling a two-threaded OpenBLAS
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


class Splitter:
    """The :data:`~cnncalc.backends.numpy.im2col.Split` of one copy of a model's layers: their
    heavy kernels (convolutions, batch norm) share their pieces among the workers while
    :meth:`sharing`, and run them in the calling thread otherwise.

    Shards keep every core busy when a batch has several; a batch of one shard, or a model whose
    batch norm couples the samples of a batch (trained on the whole batch at once), would leave
    the other cores idle: there the kernels share their work instead. Kernels cut their work by
    the shapes alone, so results do not depend on how many workers share it.
    """

    def __init__(self, workers: Workers) -> None:
        self.workers = workers
        self._sharing = False

    def __call__(self, task: Callable[[int], object], count: int) -> None:
        if self._sharing and count > 1:
            self.workers.map(lambda worker, index: task(index), count)
        else:
            for index in range(count):
                task(index)

    @contextlib.contextmanager
    def sharing(self, share: bool = True) -> Iterator[None]:
        """Within this block, share the kernels' pieces among the workers (if ``share``)."""
        before, self._sharing = self._sharing, share and self.workers.count > 1
        try:
            yield
        finally:
            self._sharing = before

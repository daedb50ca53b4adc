"""How much memory building or training a network takes, estimated from its analysis before
anything is allocated, and the refusal when the machine does not have it.

The estimate is a floor, in float32 (4 bytes a value): the weights; when training, also their
gradients and Adam's two moments, and every layer's output for a batch kept for the backward pass
with its gradient. Frameworks need more than this (workspaces, copies when saving), so a network
refused here cannot be built there either.
"""

from __future__ import annotations

import resource
from dataclasses import dataclass
from math import prod
from pathlib import Path

from cnncalc.errors import CnncalcError
from cnncalc.render.text import readable_size
from cnncalc.shapes.records import Analysis

BYTES_PER_VALUE = 4
"""float32."""
TRAINING_COPIES = 4
"""The weights, their gradients and Adam's first and second moments."""
SAVING_COPIES = 3
"""The weights, the saved file's bytes, and their copy when read back to be written."""


@dataclass(frozen=True)
class MemoryEstimate:
    """The bytes a network needs at least, and what they are for."""

    weights: int
    activations: int = 0
    data: int = 0

    @property
    def total(self) -> int:
        """All of it, in bytes."""
        return self.weights + self.activations + self.data

    def __str__(self) -> str:
        """``about 2.34 GB (2.00 GB for the weights, 0.34 GB for a batch's activations)``."""
        parts = [
            f"{readable_size(size)} for {what}"
            for size, what in (
                (self.weights, "the weights"),
                (self.activations, "a batch's activations"),
                (self.data, "the data set"),
            )
            if size
        ]
        return f"about {readable_size(self.total)} ({', '.join(parts)})"


def estimate(analysis: Analysis, *, copies: int = 1, batch_size: int = 0, samples: int = 0) -> MemoryEstimate:
    """The memory of ``copies`` of the weights; for a training batch of ``batch_size``, every
    layer's output and its gradient; and ``samples`` inputs of the network's shape."""
    params = sum(record.params or 0 for record in analysis.layers)
    values = prod(analysis.input_shape) + sum(
        prod(record.output_shape) for record in analysis.layers if record.output_shape is not None
    )
    return MemoryEstimate(
        params * copies * BYTES_PER_VALUE,
        2 * values * batch_size * BYTES_PER_VALUE,
        samples * prod(analysis.input_shape) * BYTES_PER_VALUE,
    )


def available() -> int | None:
    """The bytes this process may still use: the least of the memory available on the machine,
    the control group's limit and the address-space limit (``ulimit -v``); ``None`` if unknown."""
    limits = [_meminfo_available(), _cgroup_room()]
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft != resource.RLIM_INFINITY:
        limits.append(soft)
    known = [limit for limit in limits if limit is not None]
    return min(known) if known else None


def require_memory(needed: MemoryEstimate, action: str) -> None:
    """Raise :class:`CnncalcError` if ``needed`` is more than :func:`available`; ``action`` words
    the refusal (``train lenet5``)."""
    room = available()
    if room is not None and needed.total > room:
        raise CnncalcError(
            f"cannot {action}: it needs {needed}, more than the {readable_size(room)} of memory available"
        )


def _meminfo_available() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _cgroup_room() -> int | None:
    """What the cgroup (v2) still allows: ``memory.max`` minus ``memory.current``."""
    folder = Path("/sys/fs/cgroup")
    try:
        limit = (folder / "memory.max").read_text().strip()
        if limit == "max":
            return None
        used = int((folder / "memory.current").read_text().strip())
        return max(int(limit) - used, 0)
    except (OSError, ValueError):
        return None


def estimate_for_saving(analysis: Analysis) -> MemoryEstimate:
    """Building a model and saving it as a file (``export --to keras-model``)."""
    return estimate(analysis, copies=SAVING_COPIES)


def estimate_for_training(analysis: Analysis, batch_size: int, samples: int = 0) -> MemoryEstimate:
    """Training with Adam on batches of ``batch_size`` drawn from ``samples`` inputs in memory."""
    return estimate(analysis, copies=TRAINING_COPIES, batch_size=batch_size, samples=samples)

"""How a report measures cost: whose FLOPs, which number type, how many samples."""

from __future__ import annotations

from dataclasses import dataclass

from cnncalc.cost.conventions import Convention
from cnncalc.cost.memory import Dtype, Optimizer


@dataclass(frozen=True)
class Measures:
    """The settings behind a report's FLOPs and bytes."""

    convention: Convention | None = None
    """Whose FLOPs ``flops`` are; ``None``: ``2·MACs``."""
    dtype: Dtype = Dtype.FLOAT32
    """The number type of weights and activations."""
    batch_size: int = 1
    """Samples per batch, for torchinfo's estimate and the training estimate."""
    optimizer: Optimizer = Optimizer.ADAM
    """Whose state the training estimate holds."""

    @property
    def flops_label(self) -> str:
        """``FLOPs`` (2·MACs) or ``FLOPs (ptflops)``."""
        return "FLOPs" if self.convention is None else f"FLOPs ({self.convention.value})"


STANDARD = Measures()
"""FLOPs as ``2·MACs``, float32, one sample, Adam."""

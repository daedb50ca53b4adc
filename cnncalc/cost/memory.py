"""Memory: bytes of parameters and activations, torchinfo's estimate, and a training estimate.

torchinfo's estimate (``model_statistics.py`` 31-48 and 72-88 of torchinfo 1.8.0) adds the input
batch, twice the outputs of every module with parameters at that batch ("forward/backward pass":
the output and its gradient) and the parameters' bytes, in MB of 10⁶ bytes; its parameters are
PyTorch's ``nn.Parameter`` s, which leave out batch normalisation's running statistics (buffers).

The training estimate is cnncalc's own, an order of magnitude rather than a measurement: every
weight, a gradient per trainable weight, the optimiser's state (Adam keeps two more copies: the
first and second moments; SGD with momentum one; plain SGD none), every layer's output kept for the
backward pass, and the input batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from math import prod

from cnncalc.cost.torch_twin import torch_modules
from cnncalc.shapes.records import Analysis, LayerRecord


class Dtype(StrEnum):
    """The number type weights and activations are stored in."""

    FLOAT32 = "float32"
    FLOAT16 = "float16"
    BFLOAT16 = "bfloat16"
    FLOAT64 = "float64"
    INT8 = "int8"

    @property
    def bytes(self) -> int:
        """Bytes per value."""
        return {"float32": 4, "float16": 2, "bfloat16": 2, "float64": 8, "int8": 1}[self.value]


class Optimizer(StrEnum):
    """Optimisers by the copies of the trainable weights they keep."""

    ADAM = "adam"
    MOMENTUM = "momentum"
    SGD = "sgd"

    @property
    def copies(self) -> int:
        """Extra values per trainable weight: Adam's two moments, momentum's velocity."""
        return {"adam": 2, "momentum": 1, "sgd": 0}[self.value]


def activation_bytes(record: LayerRecord, dtype: Dtype = Dtype.FLOAT32) -> int | None:
    """Bytes of one sample's output of the layer; ``None`` when unknown."""
    return None if record.output_shape is None else prod(record.output_shape) * dtype.bytes


@dataclass(frozen=True)
class TorchinfoEstimate:
    """The four sizes torchinfo's summary prints, in bytes."""

    input_bytes: int
    forward_backward_bytes: int
    params_bytes: int

    @property
    def total_bytes(self) -> int:
        """``Estimated Total Size``."""
        return self.input_bytes + self.forward_backward_bytes + self.params_bytes


@dataclass(frozen=True)
class TrainingEstimate:
    """What training at a batch size holds, in bytes, part by part."""

    optimizer: Optimizer
    weights_bytes: int
    gradients_bytes: int
    optimizer_bytes: int
    activations_bytes: int
    input_bytes: int

    @property
    def total_bytes(self) -> int:
        """All parts together."""
        return (
            self.weights_bytes
            + self.gradients_bytes
            + self.optimizer_bytes
            + self.activations_bytes
            + self.input_bytes
        )


@dataclass(frozen=True)
class Memory:
    """Memory of a network at a batch size and dtype."""

    batch_size: int
    dtype: Dtype
    params_bytes: int
    """Every parameter, trainable or not."""
    activation_bytes: int
    """Every layer's output for one sample."""
    torchinfo: TorchinfoEstimate
    training: TrainingEstimate


def memory(
    analysis: Analysis,
    batch_size: int = 1,
    dtype: Dtype = Dtype.FLOAT32,
    optimizer: Optimizer = Optimizer.ADAM,
) -> Memory:
    """Memory of the layers analysed, at ``batch_size`` samples of ``dtype`` values."""
    size = dtype.bytes
    outputs = sum(activation_bytes(record, dtype) or 0 for record in analysis.layers)
    input_bytes = batch_size * prod(analysis.input_shape) * size
    modules = [module for record in analysis.layers for module in torch_modules(record)]
    torchinfo = TorchinfoEstimate(
        input_bytes,
        2 * batch_size * size * sum(m.outputs for m in modules if m.params),
        size * sum(m.params for m in modules),
    )
    training = TrainingEstimate(
        optimizer,
        analysis.total_params * size,
        analysis.trainable_params * size,
        optimizer.copies * analysis.trainable_params * size,
        batch_size * outputs,
        input_bytes,
    )
    return Memory(batch_size, dtype, analysis.total_params * size, outputs, torchinfo, training)

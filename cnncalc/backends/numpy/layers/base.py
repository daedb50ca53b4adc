"""What every layer class shares: its context, the one-input and the several-input interfaces, and
helpers that read analysis records.

A layer is built from its analysis record (:class:`~cnncalc.shapes.records.LayerRecord`), never
from its own reading of the spec: padding comes resolved from ``record.windows`` (Keras' ``same``
split included) and weights have exactly the record's Keras shapes. The model owns the weights and
their gradients (views into flat buffers, see :mod:`cnncalc.backends.numpy.optim`) and hands each
layer its views in a :class:`LayerContext`.

Every array here is in the backend's internal layout (batch last, see
:mod:`cnncalc.backends.numpy.kernels.layout`), whatever the spec's data format.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from cnncalc.backends.numpy.im2col import Array, Padding2D, Scratch, Split, Workspace, serial
from cnncalc.backends.numpy.kernels.layout import internal_axis, internal_order
from cnncalc.shapes.records import AxisWindow, LayerRecord, Shape
from cnncalc.spec.models import DataFormat

__all__ = [
    "BaseLayer",
    "Layer",
    "LayerContext",
    "MergeLayer",
    "RandomLayer",
    "as_internal",
    "input_shape",
    "last_axis",
    "output_shape",
    "window_padding",
    "windows",
]


@dataclass(frozen=True)
class LayerContext:
    """What a layer needs besides its record: its weights, their gradients, the data format."""

    data_format: DataFormat
    params: Mapping[str, Array]
    """Every weight by its Keras name (``kernel``, ``bias``, ``gamma``, ``moving_mean``, ...)."""
    grads: Mapping[str, Array]
    """The gradient of every trainable weight, written by the backward pass."""
    rng: np.random.Generator
    """Randomness in training (dropout masks, noise)."""
    scratch: Workspace = field(default_factory=Scratch)
    """Buffers that outlive no kernel call, shared by a copy of the layers (see
    :class:`~cnncalc.backends.numpy.im2col.Scratch`)."""
    split: Split = serial
    """How the heavy kernels (convolutions, batch norm) run their pieces: on the model's workers
    while this copy of the layers runs a whole batch alone (see :mod:`~cnncalc.backends.numpy.parallel`)."""


class BaseLayer:
    """A layer's name, weights, gradients and reusable buffers.

    The forward pass keeps what the backward pass needs (references, not copies: a layer's
    inputs and output must stay unchanged until its backward pass); arrays it returns may live
    in its workspace, valid until its next call. The backward pass may write into the ``dy`` it
    is given, and hands each input a gradient of its own (see
    :mod:`cnncalc.backends.numpy.graph`).
    """

    def __init__(self, record: LayerRecord, context: LayerContext) -> None:
        self.name = record.name
        self.params = context.params
        self.grads = context.grads
        self.data_format = context.data_format
        self.split = context.split
        self.scratch = context.scratch
        self.workspace = Workspace()

    @property
    def trainable(self) -> bool:
        """Whether the layer has weights that gradients update."""
        return bool(self.grads)


class Layer(BaseLayer, ABC):
    """A layer that reads one input."""

    @abstractmethod
    def forward(self, x: Array, training: bool) -> Array:
        """The layer's output for ``x``; ``training`` selects batch statistics, dropout, noise."""

    @abstractmethod
    def backward(self, dy: Array, need_dx: bool = True) -> Array | None:
        """Store the weight gradients and return the input gradient (None if not ``need_dx``)."""


class MergeLayer(BaseLayer, ABC):
    """A layer that reads several inputs (a merge)."""

    @abstractmethod
    def forward(self, inputs: Sequence[Array], training: bool) -> Array:
        """The layer's output for its inputs, in order."""

    @abstractmethod
    def backward(self, dy: Array, need: Sequence[bool]) -> list[Array | None]:
        """The gradient of each input (None where ``need`` says it is not needed)."""


class RandomLayer(Layer, ABC):
    """A layer that draws random numbers in training; the model sets :attr:`rng` per shard."""

    def __init__(self, record: LayerRecord, context: LayerContext) -> None:
        super().__init__(record, context)
        self.rng = context.rng


def input_shape(record: LayerRecord) -> Shape:
    """The public shape of the layer's (first) input, batch excluded."""
    if record.input_shape is None:
        raise ValueError(f"layer {record.name} has no input shape: its analysis stopped at an error")
    return record.input_shape


def output_shape(record: LayerRecord) -> Shape:
    """The public shape of the layer's output, batch excluded."""
    if record.output_shape is None:
        raise ValueError(f"layer {record.name} has no output shape: its analysis stopped at an error")
    return record.output_shape


def last_axis(rank: int, data_format: DataFormat) -> int:
    """The internal axis that holds the public last axis of a rank-``rank`` value.

    Keras' Dense, softmax and Rescaling act on the last axis: the features ``(F,)``, the channels
    of a channels_last map ``(H, W, C)`` — axis 0 inside — but the *width* of a channels_first
    map ``(C, H, W)``, which is axis 2 of the internal ``(C, H, W, N)``.
    """
    return internal_axis(rank - 1, rank, data_format)


def as_internal(values: Array, public: Shape, data_format: DataFormat) -> Array:
    """Values that vary along some public axes of a value of shape ``public`` (its shape with 1
    along the other axes), as a view that broadcasts over that value's internal layout (batch
    axis included, size 1). Views of weights or of their gradients stay views: a write through
    one lands in the model's flat buffer.

    >>> as_internal(np.arange(3.0), (1, 1, 3), "channels_last").shape
    (3, 1, 1, 1)
    """
    return values.reshape(1, *public).transpose(internal_order(len(public), data_format))


def windows(record: LayerRecord) -> tuple[AxisWindow, AxisWindow]:
    """The record's windows (padding resolved), for a windowed layer."""
    if record.windows is None:
        raise ValueError(f"layer {record.name} needs the windows of its analysis record")
    return record.windows


def window_padding(record: LayerRecord) -> Padding2D:
    """``((top, bottom), (left, right))`` from the record's windows."""
    rows, cols = windows(record)
    return (rows.pad_before, rows.pad_after), (cols.pad_before, cols.pad_after)

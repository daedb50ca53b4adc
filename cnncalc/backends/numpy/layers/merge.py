"""Merge layers: ``Add``, ``Subtract``, ``Multiply``, ``Average``, ``Maximum``, ``Minimum`` (Keras'
broadcasting) and ``Concatenate``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from cnncalc.backends.numpy.im2col import Array
from cnncalc.backends.numpy.kernels.layout import broadcast_view, internal_axis, unbroadcast
from cnncalc.backends.numpy.kernels.merge import (
    MergeOperation,
    concatenate_backward,
    concatenate_forward,
    merge_backward,
    merge_forward,
)
from cnncalc.backends.numpy.layers.base import LayerContext, MergeLayer, output_shape
from cnncalc.shapes.inference import channel_axis, keras_axes
from cnncalc.shapes.records import LayerRecord, Shape
from cnncalc.spec.models import Concatenate

__all__ = ["ConcatenateLayer", "ElementwiseMergeLayer"]


def _input_shapes(record: LayerRecord) -> list[Shape]:
    shapes = [shape for shape in record.input_shapes if shape is not None]
    if len(shapes) != len(record.inputs):
        raise ValueError(f"layer {record.name} reads a layer whose analysis stopped at an error")
    return shapes


class ElementwiseMergeLayer(MergeLayer):
    """An elementwise merge. Inputs of a lower rank are lined up from the right (Keras expands
    them right after the batch axis), and size-1 axes stretch; each input's gradient is summed
    back down to its own shape."""

    def __init__(self, record: LayerRecord, context: LayerContext) -> None:
        super().__init__(record, context)
        self.operation = cast(MergeOperation, record.layer.type)
        self.ranks = [len(shape) for shape in _input_shapes(record)]
        self.rank = len(output_shape(record))

    def forward(self, inputs: Sequence[Array], training: bool) -> Array:
        self._views = [
            broadcast_view(x, rank, self.rank, self.data_format)
            for x, rank in zip(inputs, self.ranks, strict=True)
        ]
        self._y = merge_forward(self.operation, self._views, workspace=self.workspace)
        return self._y

    def backward(self, dy: Array, need: Sequence[bool]) -> list[Array | None]:
        grads = merge_backward(self.operation, dy, self._views, self._y, need)
        return [
            grad
            if grad is None or view.shape == grad.shape
            else unbroadcast(grad, view.shape, rank, self.rank, self.data_format)
            for grad, view, rank in zip(grads, self._views, self.ranks, strict=True)
        ]


class ConcatenateLayer(MergeLayer):
    """``Concatenate`` along ``axis`` (the channel axis by default)."""

    def __init__(self, record: LayerRecord, context: LayerContext) -> None:
        super().__init__(record, context)
        layer = record.layer
        assert isinstance(layer, Concatenate)
        shapes = _input_shapes(record)
        first = shapes[0]
        if layer.axis is None:
            axis = channel_axis(first, context.data_format)
        else:
            (axis,) = keras_axes(layer, (layer.axis,), first)
        self.axis = internal_axis(axis, len(first), context.data_format)
        self.sizes = [shape[axis] for shape in shapes]

    def forward(self, inputs: Sequence[Array], training: bool) -> Array:
        return concatenate_forward(inputs, self.axis, workspace=self.workspace)

    def backward(self, dy: Array, need: Sequence[bool]) -> list[Array | None]:
        return concatenate_backward(dy, self.sizes, self.axis, need)

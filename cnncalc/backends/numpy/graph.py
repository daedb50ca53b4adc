"""The graph executor: a network's layers run in dependency order, their gradients in reverse.

Analysis records come in dependency order (every layer after the layers it reads), so the
forward pass is one loop over them and the backward pass the same loop reversed; a chain is
the special case where every layer reads the one before it. Values live in numbered slots: slot
0 is the model input, slot ``i + 1`` the output of layer ``i``.

Where a value fans out (read by two layers, or twice by one merge), the gradients its readers
send back are summed before it is handed on. Ownership makes that cheap and safe: a backward
pass may write into the ``dy`` it is given, and returns for each input a gradient that nothing
else refers to (an array of its own, a disjoint part of ``dy``, or ``dy`` itself, which it owned).
So the first gradient to reach a slot is kept as it is and the next ones are added into it.

Only the layers the output depends on run, and the backward pass visits only those whose
output depends on a trainable weight: nothing computes the input's gradient, nor gradients
below the first layer with weights.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cnncalc.backends.numpy.im2col import Array
from cnncalc.backends.numpy.layers import (
    ActivationLayer,
    BaseLayer,
    Layer,
    LayerContext,
    MergeLayer,
    build_layers,
)
from cnncalc.errors import CnncalcError
from cnncalc.shapes.records import Analysis, LayerRecord
from cnncalc.spec.models import INPUT

__all__ = ["Graph", "Node"]


@dataclass(frozen=True)
class Node:
    """One spec layer: the backend layers that compute it (its own, then its activation) and the
    slots it reads."""

    name: str
    layers: tuple[BaseLayer, ...]
    sources: tuple[int, ...]
    """The slots of its inputs, in order: 0 is the model input, ``i + 1`` the output of node ``i``."""

    @property
    def trainable(self) -> bool:
        return any(layer.trainable for layer in self.layers)


class Graph:
    """The layers of one analysis wired by name, with a forward and a backward pass.

    ``context`` gives each record the weights, gradient views and generator its layers use.
    With ``head=False`` both passes leave out a final softmax over the output's features
    (:attr:`fused_softmax`), which the loss computes with the cross-entropy. The model never
    needs the input's gradient; ``input_gradient`` asks for it (gradient checks).
    """

    def __init__(
        self,
        analysis: Analysis,
        context: Callable[[LayerRecord], LayerContext],
        *,
        input_gradient: bool = False,
    ) -> None:
        if len(analysis.outputs) != 1:
            raise CnncalcError(
                f"the NumPy backend runs models with one output; {analysis.name} has "
                f"{len(analysis.outputs)}: {', '.join(analysis.outputs)}"
            )
        slots = {INPUT: 0}
        nodes = []
        for index, record in enumerate(analysis.layers):
            sources = tuple(slots[name] for name in record.inputs)
            nodes.append(Node(record.name, tuple(build_layers(record, context(record))), sources))
            slots[record.name] = index + 1
        self.nodes: tuple[Node, ...] = tuple(nodes)
        self.output = slots[analysis.outputs[0]]
        """The slot the model returns."""
        live = {self.output}
        for index in range(len(nodes) - 1, -1, -1):
            if index + 1 in live:
                live.update(nodes[index].sources)
        self.order: tuple[int, ...] = tuple(index for index in range(len(nodes)) if index + 1 in live)
        """The nodes the output depends on, in dependency order."""
        self.needs_gradient = [input_gradient] + [False] * len(nodes)
        """For each slot, whether its value depends on a trainable weight (its gradient is needed)."""
        for index in self.order:
            node = nodes[index]
            self.needs_gradient[index + 1] = node.trainable or any(
                self.needs_gradient[s] for s in node.sources
            )
        head = nodes[self.output - 1].layers[-1] if self.output else None
        self.fused_softmax = (
            isinstance(head, ActivationLayer) and head.activation == "softmax" and head.axis == 0
        )
        """Whether the output ends in a softmax over its features, which the loss can take over."""

    @property
    def layers(self) -> list[BaseLayer]:
        """Every backend layer, in order."""
        return [layer for node in self.nodes for layer in node.layers]

    def _layers(self, index: int, head: bool) -> tuple[BaseLayer, ...]:
        layers = self.nodes[index].layers
        return layers[:-1] if not head and self.fused_softmax and index + 1 == self.output else layers

    def forward(self, x: Array, training: bool, *, head: bool = True) -> Array:
        """The output for the internal-layout batch ``x``."""
        return _value(self.values(x, training, head=head), self.output)

    def values(self, x: Array, training: bool, *, head: bool = True) -> list[Array | None]:
        """The value of every slot for the batch ``x`` (None for layers the output does not need)."""
        values: list[Array | None] = [x] + [None] * len(self.nodes)
        for index in self.order:
            inputs = [_value(values, slot) for slot in self.nodes[index].sources]
            values[index + 1] = _forward(self._layers(index, head), inputs, training)
        return values

    def backward(self, dy: Array, *, head: bool = True) -> Array | None:
        """Gradients of the last :meth:`forward` (in training mode) given ``dy``, the gradient with
        respect to the output, which the pass may overwrite; the weight gradients land in the
        layers' gradient views. Returns the input's gradient if the graph was asked for it."""
        gradients: dict[int, Array] = {self.output: dy}
        for index in reversed(self.order):
            gradient = gradients.pop(index + 1, None)
            if gradient is None or not self.needs_gradient[index + 1]:
                continue
            node = self.nodes[index]
            need = [self.needs_gradient[slot] for slot in node.sources]
            for slot, input_gradient in zip(
                node.sources, _backward(self._layers(index, head), gradient, need), strict=True
            ):
                if input_gradient is None:
                    continue
                if slot not in gradients:
                    gradients[slot] = input_gradient
                elif gradients[slot].flags.writeable:
                    gradients[slot] += input_gradient
                else:
                    gradients[slot] = gradients[slot] + input_gradient
        return gradients.get(0)


def _value(values: list[Array | None], slot: int) -> Array:
    value = values[slot]
    assert value is not None, f"slot {slot} read before it was computed"
    return value


def _forward(layers: Sequence[BaseLayer], inputs: list[Array], training: bool) -> Array:
    """A node's output: its first layer on its inputs, then the rest in turn."""
    if not layers:  # a final softmax left to the loss was the whole node
        return inputs[0]
    first, *rest = layers
    if isinstance(first, MergeLayer):
        y = first.forward(inputs, training)
    else:
        assert isinstance(first, Layer)
        y = first.forward(inputs[0], training)
    for layer in rest:
        assert isinstance(layer, Layer)
        y = layer.forward(y, training)
    return y


def _backward(layers: Sequence[BaseLayer], dy: Array, need: list[bool]) -> list[Array | None]:
    """The gradients of a node's inputs (None where not needed), its weight gradients stored."""
    if not layers:
        return [dy]
    first, *rest = layers
    gradient: Array | None = dy
    for layer in reversed(rest):
        assert isinstance(layer, Layer)
        assert gradient is not None
        gradient = layer.backward(gradient, need_dx=True)
    assert gradient is not None
    if isinstance(first, MergeLayer):
        return first.backward(gradient, need)
    assert isinstance(first, Layer)
    return [first.backward(gradient, need_dx=need[0])]

"""What a diagram shows: the analysis records turned into nodes, each naming the nodes it reads.

The blocks style folds layers that keep their input's shape and only decorate it (batch
normalisation, a separate activation, dropout) into the block of the layer they read, as the
article's figures do: a convolution followed by its batch norm and ReLU is one feature map. A layer
is folded only when it is the sole reader of its input, so folding never hides a branch.
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass

from cnncalc.shapes.records import Analysis, LayerRecord, Shape
from cnncalc.spec.models import (
    Activation,
    AvgPool2D,
    BatchNorm,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    GlobalAvgPool2D,
    GlobalMaxPool2D,
    LayerBase,
    MaxPool2D,
    ZeroPad2D,
)

INPUT = "input"
"""The key of the model input's node."""

KINDS: dict[type[LayerBase], str] = {
    Conv2D: "conv",
    MaxPool2D: "pool",
    AvgPool2D: "pool",
    GlobalAvgPool2D: "pool",
    GlobalMaxPool2D: "pool",
    Dense: "dense",
    Flatten: "reshape",
    ZeroPad2D: "pad",
    BatchNorm: "norm",
    Activation: "activation",
    Dropout: "dropout",
}
"""The theme's colour family of each layer type; any other type is ``other``."""

FOLDED: frozenset[type[LayerBase]] = frozenset({Activation, BatchNorm, Dropout})
"""Layer types drawn inside the block of the layer they read."""


@dataclass(frozen=True)
class Node:
    """One thing drawn: the model input, or a layer with the layers folded into it.

    ``inputs`` are the keys of the nodes it reads; ``shape`` is the shape it hands on.
    """

    key: str
    kind: str
    record: LayerRecord | None
    """The layer the node is named after (``None`` for the model input)."""
    folded: tuple[LayerRecord, ...]
    """The layers drawn inside this node, in order."""
    inputs: tuple[str, ...]
    shape: Shape | None
    error: str | None = None
    """The code of the error analysis stopped at in this node, if any."""

    @property
    def records(self) -> tuple[LayerRecord, ...]:
        """The records of every spec layer this node stands for."""
        return self.folded if self.record is None else (self.record, *self.folded)

    @property
    def layers(self) -> tuple[str, ...]:
        """The names of the spec layers this node stands for."""
        return tuple(record.name for record in self.records)


def layer_inputs(analysis: Analysis) -> dict[str, tuple[str, ...]]:
    """The names each layer reads: in a chain, the layer before it (the first reads ``input``)."""
    names = [INPUT, *(record.name for record in analysis.layers)]
    return {name: (before,) for before, name in itertools.pairwise(names)}


def build_nodes(analysis: Analysis, *, fold: bool) -> tuple[Node, ...]:
    """The nodes of ``analysis`` in spec order (a dependency order), the input first."""
    reads = layer_inputs(analysis)
    readers = Counter(name for names in reads.values() for name in names)
    errors = {d.layer: d.code for d in analysis.errors if d.layer is not None}
    owner = {INPUT: INPUT}
    members: dict[str, list[LayerRecord]] = {INPUT: []}
    inputs: dict[str, tuple[str, ...]] = {INPUT: ()}
    for record in analysis.layers:
        sources = reads[record.name]
        if fold and type(record.layer) in FOLDED and len(sources) == 1 and readers[sources[0]] == 1:
            key = owner[sources[0]]
            members[key].append(record)
        else:
            key = record.name
            members[key] = [record]
            inputs[key] = tuple(dict.fromkeys(owner[source] for source in sources))
        owner[record.name] = key
    return tuple(
        Node(
            key,
            INPUT if key == INPUT else KINDS.get(type(records[0].layer), "other"),
            None if key == INPUT else records[0],
            tuple(records if key == INPUT else records[1:]),
            inputs[key],
            records[-1].output_shape if records else analysis.input_shape,
            next((errors[r.index] for r in records if r.index in errors), None),
        )
        for key, records in members.items()
    )

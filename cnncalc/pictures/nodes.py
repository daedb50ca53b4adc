"""What a diagram shows: the analysis records turned into nodes, each naming the nodes it reads.

The blocks style folds layers that keep their input's shape and only decorate it (batch
normalisation, a separate activation, dropout) into the block of the layer they read, as the
article's figures do: a convolution followed by its batch norm and ReLU is one feature map. A layer
is folded only when it is the sole reader of its input, so folding never hides a branch.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from cnncalc.shapes.records import Analysis, LayerRecord, Shape
from cnncalc.spec.models import (
    INPUT,
    Activation,
    Add,
    Average,
    AvgPool2D,
    BatchNorm,
    Concatenate,
    Conv2D,
    Conv2DTranspose,
    Cropping2D,
    Dense,
    DepthwiseConv2D,
    Dropout,
    Flatten,
    GaussianNoise,
    GlobalAvgPool2D,
    GlobalMaxPool2D,
    Identity,
    LayerBase,
    LayerNorm,
    LeakyReLU,
    Maximum,
    MaxPool2D,
    Minimum,
    Multiply,
    Normalization,
    PReLU,
    ReLU,
    Rescaling,
    Reshape,
    SeparableConv2D,
    Softmax,
    SpatialDropout2D,
    Subtract,
    UpSampling2D,
    ZeroPad2D,
)

KINDS: dict[type[LayerBase], str] = {
    Conv2D: "conv",
    DepthwiseConv2D: "conv",
    SeparableConv2D: "conv",
    Conv2DTranspose: "conv",
    MaxPool2D: "pool",
    AvgPool2D: "pool",
    GlobalAvgPool2D: "pool",
    GlobalMaxPool2D: "pool",
    UpSampling2D: "pool",
    Dense: "dense",
    Flatten: "reshape",
    Reshape: "reshape",
    ZeroPad2D: "pad",
    Cropping2D: "pad",
    BatchNorm: "norm",
    LayerNorm: "norm",
    Normalization: "norm",
    Rescaling: "norm",
    Activation: "activation",
    ReLU: "activation",
    LeakyReLU: "activation",
    PReLU: "activation",
    Softmax: "activation",
    Dropout: "dropout",
    SpatialDropout2D: "dropout",
    GaussianNoise: "dropout",
    Add: "merge",
    Subtract: "merge",
    Multiply: "merge",
    Average: "merge",
    Maximum: "merge",
    Minimum: "merge",
    Concatenate: "merge",
}
"""The theme's colour family of each layer type; any other type is ``other``."""

FOLDED: frozenset[type[LayerBase]] = frozenset(
    {
        Activation,
        ReLU,
        LeakyReLU,
        PReLU,
        Softmax,
        BatchNorm,
        LayerNorm,
        Normalization,
        Rescaling,
        Dropout,
        SpatialDropout2D,
        GaussianNoise,
        Identity,
    }
)
"""Layer types that keep their input's shape and only act on its values: drawn inside the block of
the layer they read."""


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
    group: str | None = None
    """The block use (written in ``layers:``) it is framed in with the other nodes that use made."""

    @property
    def records(self) -> tuple[LayerRecord, ...]:
        """The records of every spec layer this node stands for."""
        return self.folded if self.record is None else (self.record, *self.folded)

    @property
    def layers(self) -> tuple[str, ...]:
        """The names of the spec layers this node stands for."""
        return tuple(record.name for record in self.records)


def build_nodes(analysis: Analysis, *, fold: bool) -> tuple[Node, ...]:
    """The nodes of ``analysis`` in spec order (a dependency order), the input first.

    Nodes made by one use of a block written in ``layers:`` (the outermost use: a ResNet bottleneck,
    an Inception module) share a ``group`` when there are at least two of them.
    """
    readers = Counter(name for record in analysis.layers for name in record.inputs)
    errors = {d.layer: d.code for d in analysis.errors if d.layer is not None}
    owner = {INPUT: INPUT}
    members: dict[str, list[LayerRecord]] = {INPUT: []}
    inputs: dict[str, tuple[str, ...]] = {INPUT: ()}
    for record in analysis.layers:
        sources = record.inputs
        if fold and type(record.layer) in FOLDED and len(sources) == 1 and readers[sources[0]] == 1:
            key = owner[sources[0]]
            members[key].append(record)
        else:
            key = record.name
            members[key] = [record]
            inputs[key] = tuple(dict.fromkeys(owner[source] for source in sources))
        owner[record.name] = key
    uses = Counter(
        records[0].block[0] for key, records in members.items() if key != INPUT and records[0].block
    )
    return tuple(
        Node(
            key,
            INPUT if key == INPUT else KINDS.get(type(records[0].layer), "other"),
            None if key == INPUT else records[0],
            tuple(records if key == INPUT else records[1:]),
            inputs[key],
            records[-1].output_shape if records else analysis.input_shape,
            next((errors[r.index] for r in records if r.index in errors), None),
            _group(records, uses) if key != INPUT else None,
        )
        for key, records in members.items()
    )


def _group(records: list[LayerRecord], uses: Counter[str]) -> str | None:
    use = records[0].block[0] if records[0].block else None
    return use if use is not None and uses[use] > 1 else None

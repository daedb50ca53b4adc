"""An ONNX model → a spec: any framework's network in the spec language, parameters from its initialisers.

One loop over the nodes, in the graph's (topological) order. Each operation becomes the spec layer
that computes the same thing; what cannot be expressed is collected and listed at once, by operation
and node name. Layouts are followed as :mod:`~cnncalc.backends.onnx.export` writes them: an NCHW model
is ``channels_first``; a model whose NHWC input is transposed to NCHW before use is ``channels_last``, and
its ``Transpose`` nodes are views, not layers.

PyTorch's idioms map to the spec as they are: a convolution without bias followed by batch
normalisation stays two layers; ``ceil_mode`` and padding a pool ignores are the pools' own options;
``Gemm`` or ``MatMul`` (+ ``Add`` of a bias) is a dense layer; ``Clip(0, 6)`` is ``relu6``;
``Mul(x, Sigmoid(x))`` is ``silu``; a reflect or edge ``Pad`` is the padding of the convolution or pool
that reads it. Layers are named after PyTorch's modules where the exporter recorded them
(``layer1.0.conv1``), else as Keras would name them.

A node carrying cnncalc's metadata (:data:`~cnncalc.backends.onnx.HINT`) stands with its helper nodes
(``<layer>/...``) for one spec layer; the importer takes the layer's fields from it only when exporting
them gives back exactly those nodes, else it translates the nodes one by one like any other.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cnncalc.backends.onnx.export import Layout, spec_layout
from cnncalc.backends.onnx.hints import hinted_groups, take_hint
from cnncalc.backends.onnx.importer import Importer, Unsupported, Value, attributes_of
from cnncalc.backends.onnx.operations import HANDLERS
from cnncalc.backends.onnx.read import read_model
from cnncalc.errors import Problem, SpecError
from cnncalc.shapes.records import Shape
from cnncalc.spec.loader import validate
from cnncalc.spec.models import INPUT, Spec

SPATIAL_OPS = frozenset(
    {"Conv", "ConvTranspose", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "Resize", "Pad"}
)
"""Operations that read NCHW: a model with none of them (and no transposes) has no data format."""

GENERIC_NAMES = frozenset({"", "main_graph", "torch_jit", "torch-jit-export"})
"""Graph names exporters give every model (PyTorch's): the file's name says more."""


@dataclass(frozen=True)
class Imported:
    """A model's spec, and which of the model's tensors holds each layer's output."""

    spec: Spec
    tensors: dict[str, tuple[str, Layout]]
    """ONNX tensor → (spec layer, the layout it holds the layer's output in)."""


def from_model(model: Any, *, file: str | os.PathLike[str] | None = None) -> Spec:
    """The spec of an ``onnx.ModelProto`` (``file`` names it in messages and locates external weights).

    Raises :class:`SpecError` listing every node the spec cannot express, by operation and node name.
    """
    return import_graph(model, file=file).spec


def import_graph(model: Any, *, file: str | os.PathLike[str] | None = None) -> Imported:
    """:func:`from_model`, with the tensor that holds each layer's output."""
    path = os.fspath(file) if file is not None else None
    importer = Importer(model, path, Path(path).parent if path else Path.cwd())
    graph = model.graph
    input_value = _model_input(importer)
    groups = hinted_groups(model)
    last_of_group = {id(nodes[-1]): owner for owner, nodes in groups.items()}
    grouped = {id(node) for nodes in groups.values() for node in nodes}
    pending_groups: list[Any] = []
    for node in graph.node:
        if id(node) in grouped:
            if id(node) not in last_of_group:
                continue
            owner = last_of_group[id(node)]
            if take_hint(importer, owner, groups[owner]):
                continue
            pending_groups = groups[owner]
        else:
            pending_groups = [node]
        for each in pending_groups:
            _translate(importer, each)
    if input_value is None:
        raise SpecError(importer.problems)
    outputs = _outputs(importer)
    if importer.problems:
        raise SpecError(importer.problems)
    spec = validate(
        {
            "name": graph.name if graph.name not in GENERIC_NAMES else Path(path or "model").stem,
            "input": list(_input_shape(importer)),
            "data_format": importer.data_format,
            "layers": importer.layers,
            "outputs": outputs,
        }
    )
    _check_parameters(importer, spec)
    tensors = {
        tensor: (value.layer, value.layout)
        for tensor, value in importer.values.items()
        if isinstance(value, Value) and value.layer != INPUT
    }
    return Imported(spec, tensors)


def _translate(importer: Importer, node: Any) -> None:
    if node.domain not in ("", "ai.onnx"):
        importer.problem(node, f"an operation of the {node.domain} domain; cnncalc reads standard ONNX")
        return
    handler = HANDLERS.get(node.op_type)
    if handler is None:
        importer.problem(node, "no spec layer does what this operation does")
        return
    if not importer.known(node):
        return  # an input comes from a node already reported
    try:
        handler(importer, node)
    except Unsupported as exc:
        importer.problem(node, str(exc))


def _model_input(importer: Importer) -> Value | None:
    """The one input's value, and the data format: NHWC if the input is transposed to NCHW before use."""
    graph = importer.model.graph
    inputs = [value for value in graph.input if value.name not in importer.initializers]
    if len(inputs) != 1:
        importer.problems.append(
            Problem(f"the model has {len(inputs)} inputs; a spec has one", file=importer.file)
        )
        return None
    tensor_type = inputs[0].type.tensor_type
    dims = tensor_type.shape.dim
    if not tensor_type.HasField("shape") or len(dims) not in (2, 3, 4):
        importer.problems.append(Problem("the input is not a batch of vectors or images", file=importer.file))
        return None
    sizes = [d.dim_value if d.HasField("dim_value") else None for d in dims[1:]]
    if any(size is None or size < 1 for size in sizes):
        importer.problems.append(
            Problem(
                f"the input's sizes {['?' if s is None else s for s in sizes]} are not all fixed; cnncalc "
                "needs them (export with a fixed-size example input, and only the batch axis dynamic)",
                file=importer.file,
            )
        )
        return None
    name = inputs[0].name
    turns = [_perm(importer, n) for n in graph.node if n.op_type == "Transpose"]
    turns = [perm for perm in turns if perm in ((0, 3, 1, 2), (0, 2, 3, 1))]
    spatial = any(n.op_type in SPATIAL_OPS or _reads_nchw(importer, n) for n in graph.node)
    # The first turn between the orders says which the data is in: NHWC turned to NCHW for ONNX's
    # convolutions, or NCHW turned to NHWC for a while (as ConvNeXt's layer norms are).
    channels_last = turns[0] == (0, 3, 1, 2) if turns else not spatial
    importer.data_format = "channels_last" if channels_last else "channels_first"
    shape = tuple(size for size in sizes if size is not None)
    layout = spec_layout(shape, importer.data_format)
    value = Value(INPUT, layout)
    importer.values[name] = value
    importer.shapes[INPUT] = shape
    importer.available[INPUT] = {layout: name}
    return value


def _reads_nchw(importer: Importer, node: Any) -> bool:
    """A batch norm (channels on axis 1), or a mean, maximum or slice over axes 2 and 3: NCHW's height
    and width."""
    if node.op_type == "BatchNormalization":
        return True
    if node.op_type not in ("ReduceMean", "ReduceMax", "Slice"):
        return False
    index = 3 if node.op_type == "Slice" else 1
    axes = attributes_of(importer, node).get("axes")
    if axes is None and len(node.input) > index and node.input[index]:
        found = importer.constant(node.input[index])
        axes = None if found is None else found.tolist()
    return axes is not None and {a % 4 for a in axes} == {2, 3}


def _perm(importer: Importer, node: Any) -> tuple[int, ...]:
    return tuple(attributes_of(importer, node).get("perm", ()))


def _input_shape(importer: Importer) -> Shape:
    shape = importer.shapes[INPUT]
    assert shape is not None
    return shape


def _outputs(importer: Importer) -> list[str]:
    names = []
    for output in importer.model.graph.output:
        found = importer.values.get(output.name)
        if isinstance(found, Value) and found.layer != INPUT:
            names.append(found.layer)
        elif found is None and any(output.name in node.output for node in importer.model.graph.node):
            continue  # made by a node already reported
        else:
            importer.problems.append(
                Problem(f"output {output.name!r} is not made by a layer", file=importer.file)
            )
    return names


def _check_parameters(importer: Importer, spec: Spec) -> None:
    """The spec's parameters, layer by layer, must be the initialisers' values (an inconsistent
    model, or a translation mistake, shows here rather than in a wrong total)."""
    from cnncalc.shapes.engine import analyze

    problems = []
    for record in analyze(spec).layers:
        node, held = importer.claimed.get(record.name, (record.name, 0))
        if record.params is not None and record.params != held:
            problems.append(
                Problem(
                    f"its initialisers hold {held:,} values, but the spec's {record.type} {record.name} has "
                    f"{record.params:,} parameters: the model is inconsistent",
                    file=importer.file,
                    field=f"node {node!r}",
                )
            )
    if problems:
        raise SpecError(problems)


def import_onnx(path: str | os.PathLike[str]) -> Spec:
    """The spec of the ONNX file at ``path`` (see :func:`from_model`)."""
    return from_model(read_model(path), file=path)

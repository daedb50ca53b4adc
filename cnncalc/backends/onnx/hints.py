"""cnncalc's own exports, layer by layer: a node carrying the layer's fields as metadata
(:data:`~cnncalc.backends.onnx.HINT`) stands with its ``<layer>/...`` helpers for one spec layer. The
fields are taken only when exporting them writes exactly those nodes and initialisers, so they choose
among spec forms that compute the same and never change what the graph computes."""

from __future__ import annotations

import json
from math import prod
from typing import Any

import numpy as np
from pydantic import ValidationError

from cnncalc.backends.onnx import HINT, onnx_required
from cnncalc.backends.onnx.export import GraphWriter, Refused, spec_layout, write_layer
from cnncalc.backends.onnx.importer import Importer, Value
from cnncalc.shapes.inference import ShapeError
from cnncalc.shapes.layers import infer
from cnncalc.shapes.records import LayerRecord
from cnncalc.spec.models import canonical_type, layer_class


def hinted_groups(model: Any) -> dict[str, list[Any]]:
    """The nodes of each layer cnncalc wrote: its main node (with the metadata) and ``<layer>/...``
    helpers, but the ``<layer>/to_...`` transposes, which are views of its output."""
    hinted = {
        node.name for node in model.graph.node if any(entry.key == HINT for entry in node.metadata_props)
    }
    groups: dict[str, list[Any]] = {}
    for node in model.graph.node:
        owner = node.name.split("/", 1)[0]
        if owner in hinted and not (node.op_type == "Transpose" and node.name.startswith(f"{owner}/to_")):
            groups.setdefault(owner, []).append(node)
    return groups


def take_hint(importer: Importer, name: str, nodes: list[Any]) -> bool:
    """Take the layer from its metadata if exporting it writes exactly ``nodes`` and the initialisers
    named after it; ``False`` (translate the nodes one by one) otherwise."""
    main = next(node for node in nodes if node.name == name)
    fields = json.loads(next(entry.value for entry in main.metadata_props if entry.key == HINT))
    produced = {output for node in nodes for output in node.output}
    sources: list[str] = []
    for node in nodes:
        for tensor in node.input:
            if not tensor or tensor in produced or tensor.startswith(f"{name}/"):
                continue
            found = importer.values.get(tensor)
            if not isinstance(found, Value):
                return False
            if found.layer not in sources:
                sources.append(found.layer)
    tag = canonical_type(fields.get("type"))
    shapes = [importer.shapes.get(source) for source in sources]
    if tag is None or not sources or any(shape is None for shape in shapes):
        return False
    known = [shape for shape in shapes if shape is not None]
    try:
        layer = layer_class(tag).model_validate({**fields, "name": name, "inputs": sources})
        inferred = infer(layer, known, sources, importer.data_format)
    except (ValidationError, ShapeError):
        return False
    record = LayerRecord(
        len(importer.layers), name, layer, known[0], inferred.output_shape, inferred.weights,
        inferred.windows, inputs=tuple(sources), input_shapes=tuple(known),
    )  # fmt: skip
    graph = GraphWriter(importer.onnx, importer.data_format, np.random.default_rng(0))
    for source, shape in zip(sources, known, strict=True):
        graph.natural[source] = spec_layout(shape, importer.data_format)
        graph.values[source] = dict(importer.available[source])
    try:
        write_layer(graph, record)
    except Refused:
        return False
    written = [node for node in graph.nodes if node.name.split("/", 1)[0] == name]
    theirs = {
        t.name: (list(t.dims), t.data_type)
        for t in importer.initializers.values()
        if t.name.startswith(f"{name}/")
    }
    ours = {t.name: (list(t.dims), t.data_type) for t in graph.initializers}
    if ours != theirs or len(written) != len(nodes) or not all(map(_same_node, written, nodes)):
        return False
    layout, tensor = next(iter(graph.values[name].items()))
    importer.layers.append(layer)
    importer.taken.add(name)
    importer.shapes[name] = inferred.output_shape
    importer.values[tensor] = Value(name, layout)
    importer.available[name] = {layout: tensor}
    importer.claimed[name] = (name, sum(prod(dims) for dims, _ in ours.values()))
    return True


def _same_node(ours: Any, theirs: Any) -> bool:
    """Same operation, name, wiring and attributes (constants compared by value)."""
    if (ours.op_type, ours.name, list(ours.input), list(ours.output), ours.domain) != (
        theirs.op_type, theirs.name, list(theirs.input), list(theirs.output), theirs.domain,
    ):  # fmt: skip
        return False
    return _attribute_map(ours) == _attribute_map(theirs)


def _attribute_map(node: Any) -> dict[str, Any]:
    onnx = onnx_required()
    result = {}
    for attribute in node.attribute:
        value = onnx.helper.get_attribute_value(attribute)
        if isinstance(value, onnx.TensorProto):
            array = onnx.numpy_helper.to_array(value)
            value = (str(array.dtype), array.shape, array.tobytes())
        elif isinstance(value, list):
            value = tuple(value)
        result[attribute.name] = value
    return result

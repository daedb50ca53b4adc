"""The state of one ONNX graph's translation into a spec: which layer each tensor holds (and in which
layout), constants, weights and their aliases, the layers made so far with the engine's shapes, and the
problems found. :mod:`~cnncalc.backends.onnx.operations` translates the nodes into it."""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass, field
from math import prod
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError

from cnncalc.backends.onnx import onnx_required
from cnncalc.backends.onnx.export import Layout, spec_layout
from cnncalc.backends.onnx.read import tensor_values
from cnncalc.errors import Problem
from cnncalc.shapes.inference import ShapeError
from cnncalc.shapes.layers import infer
from cnncalc.shapes.records import Shape
from cnncalc.spec.models import INPUT, DataFormat, LayerBase, layer_class

CONSTANT_LIMIT = 1 << 16
"""The most values read from a tensor used as a number (pads, shapes, scales): weights are never read."""


class Unsupported(Exception):
    """One node the spec cannot express: why."""


@dataclass(frozen=True)
class Value:
    """An ONNX tensor that holds a spec layer's output (or the model input) in ``layout``."""

    layer: str
    layout: Layout


@dataclass(frozen=True)
class Pending:
    """A node held back for the one node that reads it: a reflect or edge ``Pad`` (``kind`` ``pad``),
    a ``MatMul`` awaiting its bias (``matmul``), a ``Sigmoid`` gating its own input (``gate``)."""

    kind: str
    value: Value
    node: Any
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class Importer:
    """The translation of one graph; see :func:`from_model`."""

    model: Any
    file: str | None
    folder: Path
    onnx: Any = field(init=False)
    data_format: DataFormat = "channels_first"
    initializers: dict[str, Any] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)
    constants: dict[str, np.ndarray] = field(default_factory=dict)
    values: dict[str, Value | Pending] = field(default_factory=dict)
    layers: list[LayerBase] = field(default_factory=list)
    shapes: dict[str, Shape | None] = field(default_factory=dict)
    available: dict[str, dict[Layout, str]] = field(default_factory=dict)
    claimed: dict[str, tuple[str, int]] = field(default_factory=dict)
    """Layer → (node, values held in the initialisers it reads as weights)."""
    problems: list[Problem] = field(default_factory=list)
    consumers: dict[str, list[Any]] = field(default_factory=dict)
    taken: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.onnx = onnx_required()
        graph = self.model.graph
        self.initializers = {tensor.name: tensor for tensor in graph.initializer}
        for node in graph.node:
            for name in node.input:
                self.consumers.setdefault(name, []).append(node)
            if node.op_type == "Constant" and not node.domain:  # no inputs: known from the start
                value = constant_value(self, node)
                if value is not None:
                    self.constants[node.output[0]] = value

    # --- tensors -----------------------------------------------------------------------------

    def weight(self, name: str) -> Any | None:
        """The initialiser a tensor name stands for (through ``Identity`` aliases), if it is one."""
        return self.initializers.get(self.aliases.get(name, name))

    def size(self, name: str) -> int:
        """How many values a weight holds (an initialiser, or a constant used as one)."""
        tensor = self.weight(name)
        if tensor is not None:
            return prod(tensor.dims)
        constant = self.constant(name)
        return 0 if constant is None else int(constant.size)

    def constant(self, name: str) -> np.ndarray | None:
        """A tensor's values, if it is a constant or a small initialiser."""
        if name in self.constants:
            return self.constants[name]
        tensor = self.weight(name)
        if tensor is None or prod(tensor.dims) > CONSTANT_LIMIT:
            return None
        values = tensor_values(tensor, self.folder)
        self.constants[name] = values
        return values

    def value(self, name: str) -> Value:
        """The layer output a tensor holds; :class:`Unsupported` for a constant or a held-back node."""
        found = self.values.get(name)
        if isinstance(found, Value):
            return found
        if isinstance(found, Pending):
            raise Unsupported(pending_reason(found))
        raise Unsupported(f"input {name!r} is a constant, not a layer's output")

    def known(self, node: Any) -> bool:
        """Whether every input of ``node`` is known (a failed node's outputs are not: skip quietly)."""
        return all(
            not name or name in self.values or name in self.constants or self.weight(name) is not None
            for name in node.input
        )

    def spatial(self, value: Value) -> tuple[int, int, int]:
        """``(height, width, channels)`` of a feature map."""
        shape = self.shapes.get(value.layer)
        if shape is None or len(shape) != 3:
            raise Unsupported(f"its input {value.layer} is not a feature map of known shape")
        if self.data_format == "channels_first":
            return shape[1], shape[2], shape[0]
        return shape[0], shape[1], shape[2]

    def rank(self, value: Value) -> int:
        """The ONNX rank (batch included) of a value."""
        shape = self.shapes.get(value.layer)
        if shape is None:
            raise Unsupported(f"the shape of its input {value.layer} is unknown")
        return len(shape) + 1

    def natural(self, value: Value) -> Layout:
        """The spec's layout of a value's layer."""
        return spec_layout(self.shapes.get(value.layer) or (), self.data_format)

    def needs(self, value: Value, layout: Layout, what: str) -> None:
        if value.layout != layout:
            raise Unsupported(f"{what} reads {value.layer} in {value.layout} order, not {layout}")

    # --- layers ------------------------------------------------------------------------------

    def emit(
        self,
        node: Any,
        fields: dict[str, Any],
        sources: Sequence[Value],
        *,
        layout: Layout | None = None,
        weights: Sequence[str] = (),
        output: str | None = None,
    ) -> str:
        """Add the spec layer ``fields`` (with ``type``), reading ``sources``, made by ``node``; its result
        is tensor ``output`` (default: the node's first output) in ``layout`` (default: the spec's)."""
        cls = layer_class(fields["type"])
        name = self.layer_name(node, weights, cls.keras_name)
        try:
            layer = cls.model_validate(
                {**fields, "name": name, "inputs": [source.layer for source in sources]}
            )
        except ValidationError as exc:
            raise Unsupported(f"its {fields['type']} would be invalid: {exc.errors()[0]['msg']}") from None
        shape = self.infer(layer, [source.layer for source in sources])
        self.layers.append(layer)
        self.taken.add(name)
        self.shapes[name] = shape
        result: Layout = layout or spec_layout(shape or (), self.data_format)
        tensor = output or node.output[0]
        self.values[tensor] = Value(name, result)
        self.available[name] = {result: tensor}
        self.claimed[name] = (node.name or node.op_type, sum(self.size(w) for w in weights))
        return name

    def infer(self, layer: LayerBase, sources: Sequence[str]) -> Shape | None:
        """The layer's output shape by the engine, ``None`` after an error (the spec then shows it)."""
        shapes = [self.shapes.get(source) for source in sources]
        if any(shape is None for shape in shapes):
            return None
        try:
            return infer(layer, [s for s in shapes if s is not None], sources, self.data_format).output_shape
        except ShapeError:
            return None

    def layer_name(self, node: Any, weights: Sequence[str], base: str) -> str:
        """PyTorch's module path where the exporter recorded it, else the node's name, else Keras'
        default name; made unique with ``_1``, ``_2``, ..."""
        candidates = []
        for weight in weights:  # the name the model reads it by, not the weight it shares
            if weight.endswith(".weight"):
                candidates.append(weight.removesuffix(".weight"))
        metadata = {entry.key: entry.value for entry in node.metadata_props}
        if "pkg.torch.onnx.name_scopes" in metadata:
            try:
                scopes = [
                    s for s in ast.literal_eval(metadata["pkg.torch.onnx.name_scopes"]) if isinstance(s, str)
                ]
                candidates.append(module_path(scopes[1:-1]) or (scopes[-1] if scopes else ""))
            except (ValueError, SyntaxError):
                pass
        if node.name.startswith("/"):
            candidates.append(module_path(node.name.strip("/").split("/")[:-1]))
        candidates.append(node.name)
        chosen = next((c for c in candidates if valid_name(c)), base)
        name, count = chosen, 0
        while name in self.taken or name == INPUT:
            count += 1
            name = f"{chosen}_{count}"
        return name

    def problem(self, node: Any, message: str) -> None:
        where = f"node {node.name!r} ({node.op_type})" if node.name else f"a {node.op_type} node"
        self.problems.append(Problem(message, file=self.file, field=where))


def module_path(scopes: Sequence[str]) -> str:
    """PyTorch's qualified module name from an exporter's scopes. Scopes extend each other
    (``layer1``, ``layer1.0``) until a module of the user's own class, whose children are named
    afresh (``conv``, ``conv.0``): ``['features', 'features.1', 'conv', 'conv.0']`` → ``features.1.conv.0``.
    """
    base, current = "", ""
    for scope in scopes:
        if not scope:
            continue
        if current and not scope.startswith(current + "."):
            base = f"{base}.{current}" if base else current
        current = scope
    return f"{base}.{current}" if base and current else base or current


def valid_name(name: str) -> bool:
    return bool(name) and "/" not in name and name != INPUT and len(name) <= 200


def pending_reason(pending: Pending) -> str:
    node = pending.node
    if pending.kind == "pad":
        return (
            f"the {pending.details['mode']} padding of {node.name or 'a Pad node'} exists in the spec "
            "only as the padding of the convolution or pool that reads it"
        )
    return f"{node.name or node.op_type} is read by more than the node it was held back for"


def attributes_of(importer: Importer, node: Any) -> dict[str, Any]:
    """A node's attributes as Python values."""
    helper = importer.onnx.helper
    return {attribute.name: helper.get_attribute_value(attribute) for attribute in node.attribute}


def text(value: Any) -> str:
    """A string attribute (ONNX gives bytes)."""
    return value.decode() if isinstance(value, bytes) else str(value)


def shortest(value: float) -> float:
    """A float32 as the shortest decimal that is that float32: ``0.001``, not ``0.0010000000474974513``."""
    return float(repr(np.float32(value)).removeprefix("np.float32(").removesuffix(")"))


def constant_value(importer: Importer, node: Any) -> np.ndarray | None:
    """A ``Constant`` node's value (a tensor, or floats or ints)."""
    for key, value in attributes_of(importer, node).items():
        if key == "value":
            array: np.ndarray = importer.onnx.numpy_helper.to_array(value)
            return array
        if key in ("value_float", "value_floats"):
            return np.asarray(value, np.float32)
        if key in ("value_int", "value_ints"):
            return np.asarray(value, np.int64)
    return None

"""A spec as YAML in the examples' style: what ``cnncalc import-keras`` writes.

One flow mapping per layer, defaults left out, ``n`` for ``[n, n]``, ``inputs`` only where a layer does
not read the one before it, ``outputs`` only where the network does not end at its last layer, and names
only where Keras' default naming would not give them back; ``cnncalc.load`` reads it back as the same
spec.
"""

from __future__ import annotations

from typing import Any

import yaml

from cnncalc.spec.blocks import expand
from cnncalc.spec.models import INPUT, KERAS_NAMES, Pool2D, Spec

FIRST_FIELDS = ("filters", "units", "kernel_size", "pool_size")
"""Written first, as in Keras' signatures (``Conv2D(filters, kernel_size, ...)``)."""
ONE_OR_MORE = frozenset({"axis", "shared_axes", "scale", "offset", "mean", "variance"})
"""Fields that take one value or several, written as the value when there is one."""


def spec_yaml(spec: Spec, *, comment: str | None = None) -> str:
    """The spec as YAML in the examples' style: one flow mapping per layer, defaults left out,
    ``n`` for ``[n, n]``, ``inputs`` only where a layer does not read the one before it, and names
    only where Keras' default naming would not give them back."""
    names = _needed_names(spec)
    lines = [f"# {line}" for line in (comment.splitlines() if comment else [])]
    lines += [_flow({"name": spec.name})[1:-1], f"input: {_flow(list(spec.input))}"]
    if spec.data_format != "channels_last":
        lines.append(f"data_format: {spec.data_format}")
    lines.append("layers:")
    previous = INPUT
    for layer, keep_name in zip(spec.layers, names, strict=True):
        fields = layer.model_dump(exclude_defaults=True, exclude={"type", "name", "inputs"})
        if isinstance(layer, Pool2D):  # written even when it is the default, as everyone does
            fields = {"pool_size": layer.pool_size} | fields
        fields = {key: fields[key] for key in FIRST_FIELDS if key in fields} | fields
        entry = {"type": layer.type} | {key: _compact(value, key) for key, value in fields.items()}
        if keep_name:
            entry["name"] = layer.name
        if layer.inputs != (previous,):
            entry["inputs"] = layer.inputs[0] if len(layer.inputs) == 1 else list(layer.inputs)
        lines.append(f"  - {_flow(entry)}")
        previous = layer.name or ""
    if spec.outputs != (previous,):
        outputs = spec.outputs[0] if len(spec.outputs) == 1 else list(spec.outputs)
        lines.append(f"outputs: {_flow(outputs)}")
    return "\n".join(lines) + "\n"


def _needed_names(spec: Spec) -> list[bool]:
    """Which layer names must be written: those default naming would not give back."""

    def names(keep: list[bool]) -> list[str]:
        items = [
            {"type": layer.type, **({"name": layer.name} if k else {})}
            for layer, k in zip(spec.layers, keep, strict=True)
        ]
        expansion = expand({"layers": items}, KERAS_NAMES)
        assert expansion is not None
        return [item["name"] for item in expansion.layers]

    keep = [
        name != default
        for name, default in zip(spec.layer_names, names([False] * len(spec.layers)), strict=True)
    ]
    return keep if names(keep) == spec.layer_names else [True] * len(keep)


def _compact(value: Any, key: str = "") -> Any:
    """``(n, n)`` → ``n``, recursively (so ``((1, 1), (2, 2))`` padding → ``[1, 2]``), tuples → lists,
    and ``(a,)`` → ``a`` for the fields that take one value or several."""
    if isinstance(value, tuple | list):
        items = [_compact(item) for item in value]
        if len(items) == 2 and items[0] == items[1] and isinstance(items[0], int):
            return items[0]
        if len(items) == 1 and key in ONE_OR_MORE:
            return items[0]
        return items
    return value


def _flow(value: Any) -> str:
    text: str = yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=1 << 16)
    return text.strip().removesuffix("...").strip()

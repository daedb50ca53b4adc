"""A spec → YAML in the examples' style, for the importers: one flow mapping per layer, defaults left
out, ``n`` for ``[n, n]``, names only where Keras' default naming would not give them back, and
``inputs`` only where a layer does not read the one before it."""

from __future__ import annotations

from typing import Any

import yaml

from cnncalc.spec.blocks import default_names
from cnncalc.spec.models import INPUT, Pool2D, Spec


def spec_yaml(spec: Spec, *, comment: str | None = None) -> str:
    """The spec as YAML text that loads back to an equal spec (``num_classes`` and ``lint`` included)."""
    lines = [f"# {line}" for line in (comment.splitlines() if comment else [])]
    lines += [_flow({"name": spec.name})[1:-1], f"input: {_flow(list(spec.input))}"]
    if spec.data_format != "channels_last":
        lines.append(f"data_format: {spec.data_format}")
    if spec.num_classes is not None:
        lines.append(f"num_classes: {spec.num_classes}")
    if spec.lint.ignore:
        lines.append(f"lint: {_flow({'ignore': list(spec.lint.ignore)})}")
    lines.append("layers:")
    previous = INPUT
    for layer, keep_name in zip(spec.layers, _needed_names(spec), strict=True):
        fields = layer.model_dump(exclude_defaults=True, exclude={"type", "name", "inputs"})
        if isinstance(layer, Pool2D):  # written even when it is the default, as everyone does
            fields = {"pool_size": layer.pool_size} | fields
        ordered = sorted(
            fields.items(), key=lambda item: FIRST.index(item[0]) if item[0] in FIRST else len(FIRST)
        )
        entry = {"type": layer.type} | {
            key: _compact(value) if key in PAIRS else _plain(value) for key, value in ordered
        }
        if keep_name:
            entry["name"] = layer.name
        if layer.inputs != (previous,):
            entry["inputs"] = layer.inputs[0] if len(layer.inputs) == 1 else list(layer.inputs)
        lines.append(f"  - {_flow(entry)}")
        previous = layer.name or ""
    if spec.outputs != (previous,):
        lines.append(f"outputs: {_flow(list(spec.outputs))}")
    return "\n".join(lines) + "\n"


def _needed_names(spec: Spec) -> list[bool]:
    """Which layer names must be written: those Keras' default naming would not give back."""
    bases = [type(layer).keras_name for layer in spec.layers]
    names = spec.layer_names

    def given_back(keep: list[bool]) -> bool:
        return default_names(bases, [n if k else None for n, k in zip(names, keep, strict=True)]) == names

    defaults = default_names(bases, [None] * len(names))
    keep = [name != default for name, default in zip(names, defaults, strict=True)]
    return keep if given_back(keep) else [True] * len(keep)


FIRST = ("filters", "units", "kernel_size", "pool_size", "output_size", "strides", "padding")
"""Fields written first, in this order, as the examples write them; the others follow as declared."""

PAIRS = frozenset(
    {"kernel_size", "strides", "pool_size", "dilation_rate", "padding", "cropping", "output_padding", "size",
     "output_size"}
)  # fmt: skip
"""Fields written ``n`` for ``[n, n]``: sizes and padding, which accept that form."""


def _plain(value: Any) -> Any:
    """Tuples → lists, recursively."""
    return [_plain(item) for item in value] if isinstance(value, tuple | list) else value


def _compact(value: Any) -> Any:
    """``(n, n)`` → ``n``, recursively (so ``((1, 1), (2, 2))`` padding → ``[1, 2]``), tuples → lists."""
    if isinstance(value, tuple | list):
        items = [_compact(item) for item in value]
        if len(items) == 2 and items[0] == items[1] and isinstance(items[0], int):
            return items[0]
        return items
    return value


def _flow(value: Any) -> str:
    text: str = yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=1 << 16)
    return text.strip().removesuffix("...").strip()

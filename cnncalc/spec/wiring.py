"""Wiring: every layer reads the model input or earlier layers, by name, as many as its type takes.

A spec whose layers cannot be wired is not a network at all (an unknown or misspelt input, a layer
reading itself, a cycle, a duplicate name): these are located spec errors, found before any shape is.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import TYPE_CHECKING

from cnncalc.spec.blocks import FieldPath, located_error
from cnncalc.spec.fields import INPUT

if TYPE_CHECKING:
    from pydantic_core import PydanticCustomError

    from cnncalc.spec.models import LayerBase


def check_wiring(layers: Sequence[LayerBase], outputs: tuple[str, ...]) -> tuple[str, ...]:
    """Raise a located error for the first layer that cannot be wired; return the outputs, resolved
    (the last layer when none are given)."""
    first: dict[str, int] = {}
    for index, layer in enumerate(layers):
        first.setdefault(layer.name or "", index)
    for index, layer in enumerate(layers):
        name = layer.name or ""
        if first[name] != index:
            raise _error(
                f"duplicate layer name '{name}', already used by layers[{first[name]}]",
                ("layers", index, "name"),
                "names must be unique; leave `name` out to get a Keras-style default",
            )
        _check_arity(layer, index)
        for position, source in enumerate(layer.inputs):
            where: FieldPath = (
                ("layers", index, "inputs", position)
                if len(layer.inputs) > 1
                else ("layers", index, "inputs")
            )
            if source == INPUT:
                continue
            if source == name:
                raise _error(f"layer '{name}' reads itself", where, "name an earlier layer, or `input`")
            if source not in first:
                raise _error(
                    f"layer '{name}' reads '{source}', but no layer has that name",
                    where,
                    _did_you_mean(source, [INPUT, *list(first)[:index]]),
                )
            if first[source] > index:
                cycle = _cycle(layers, first, index)
                message = (
                    f"layers read each other in a cycle: {' → '.join(cycle)}"
                    if cycle
                    else f"layer '{name}' reads '{source}', which comes after it (layers[{first[source]}])"
                )
                raise _error(message, where, "a layer's inputs must come before it in `layers`")
    return _outputs(outputs, first, layers)


def _check_arity(layer: LayerBase, index: int) -> None:
    least, most = layer.arity
    count = len(layer.inputs)
    if least <= count and (most is None or count <= most):
        return
    kind = layer.type
    if most == 1:
        raise _error(
            f"{kind} layer '{layer.name}' reads one input, but is given {count}: {', '.join(layer.inputs)}",
            ("layers", index, "inputs"),
            "merge them first (add, concatenate, ...), then read the merge",
        )
    wanted = f"exactly {least}" if most == least else f"{least} or more"
    raise _error(
        f"{kind} layer '{layer.name}' merges {wanted} inputs, but reads {count}: {', '.join(layer.inputs)}",
        ("layers", index, "inputs"),
        "name them, e.g. `inputs: [conv2d_1, batch_normalization]`",
    )


def _cycle(layers: Sequence[LayerBase], first: dict[str, int], start: int) -> list[str]:
    """The names on a cycle through ``layers[start]`` (``a → b → a``: a reads b, b reads a), if any."""
    target = layers[start].name or ""
    stack: list[tuple[str, list[str]]] = [(target, [target])]
    seen: set[str] = set()
    while stack:
        name, path = stack.pop()
        for source in layers[first[name]].inputs:
            if source == target:
                return [*path, target]
            if source in first and source not in seen:
                seen.add(source)
                stack.append((source, [*path, source]))
    return []


def _outputs(outputs: tuple[str, ...], first: dict[str, int], layers: Sequence[LayerBase]) -> tuple[str, ...]:
    if not outputs:
        return (layers[-1].name or "",)
    for position, name in enumerate(outputs):
        where: FieldPath = ("outputs", position) if len(outputs) > 1 else ("outputs",)
        if name not in first:
            raise _error(f"output '{name}' is not a layer", where, _did_you_mean(name, list(first)))
        if outputs.index(name) != position:
            raise _error(f"output '{name}' is listed twice", where)
    return outputs


def _error(message: str, where: FieldPath, hint: str | None = None) -> PydanticCustomError:
    return located_error(message, where, hint, expanded=True)


def _did_you_mean(word: str, candidates: list[str]) -> str | None:
    match = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    return f"did you mean '{match[0]}'?" if match else None

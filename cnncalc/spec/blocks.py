"""Blocks: parameterised groups of layers, defined once and used many times, expanded to plain layers.

A spec's ``blocks:`` section defines blocks; an entry ``{block: bottleneck, name: conv2_block1, ...}``
in ``layers:`` (or in another block) uses one. Expansion turns every use into the block's layers,
named ``<use name>_<layer name>``, wires them, gives unnamed layers Keras' default names and resolves
every layer's ``inputs`` to names, so that nothing downstream ever sees a block:

- inside a block, ``input`` is what the use reads, and a layer without ``inputs`` reads the one before;
- ``$name`` and ``$(expression)`` take the block's parameters (:mod:`cnncalc.spec.expressions`);
- ``when: false`` leaves a layer (or a use) out: whatever reads it reads its first input instead;
- ``repeat: n`` uses a block ``n`` times in a row; ``{i}`` in the use's name and ``$i`` in its
  parameters count the copies from 1 (or from ``start``).

Each expanded layer keeps its :class:`Origin`: where it is written and which uses made it, so that
errors point at the layer inside the block *and* at the use.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic_core import PydanticCustomError

from cnncalc.spec.expressions import ExpressionError, evaluate, has_expression
from cnncalc.spec.fields import INPUT, is_int

FieldPath = tuple[str | int, ...]

REQUIRED = "required"
"""A parameter's default that makes it required."""
MAX_LAYERS = 200_000
"""The most layers a spec may expand to."""
MAX_NESTING = 16
"""How deep block uses may nest."""
_BLOCK_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_USE_KEYS = frozenset({"block", "name", "inputs", "repeat", "start", "when"})


@dataclass(frozen=True)
class Use:
    """One use of a block: the block, the name of this copy, and its parameters' values."""

    block: str
    name: str
    """The copy's name (``conv2_block1``); automatic (``bottleneck_2``) for a use written without one."""
    params: Mapping[str, Any]
    path: FieldPath
    """Where the use is written in the document."""
    prefixed: bool = True
    """Whether its layers are named ``<name>_<layer name>``; a use without a name keeps Keras' names."""


@dataclass(frozen=True)
class Origin:
    """Where an expanded layer comes from."""

    path: FieldPath
    """Where the layer is written: ``("layers", 3)``, or ``("blocks", "bottleneck", "layers", 2)``."""
    uses: tuple[Use, ...] = ()
    """The block uses that made it, outermost first; empty for a layer written in ``layers:``."""


@dataclass(frozen=True)
class Expansion:
    """Plain layers (raw items with ``name`` and ``inputs`` filled in) and where each comes from."""

    layers: list[Any]
    origins: tuple[Origin, ...]


def located_error(
    message: str,
    path: FieldPath,
    hint: str | None = None,
    uses: Sequence[Use] = (),
    *,
    expanded: bool = False,
) -> PydanticCustomError:
    """A problem with a spec's structure (blocks, wiring) at ``path``, for the loader to place: a
    path in the document as written, or (``expanded``) in the expanded layers."""
    return PydanticCustomError(
        "spec_structure",
        "{message}",
        {
            "message": message,
            "loc": path,
            "hint": hint,
            "uses": tuple(use.path for use in uses),
            "expanded": expanded,
        },
    )


def expand(data: Mapping[str, Any], keras_names: Mapping[str, str]) -> Expansion | None:
    """Expand ``data["layers"]`` (raw items: mappings or layer models) into plain layers.

    ``keras_names`` maps a layer item's ``type`` spelling to the base of Keras' default names. Returns
    ``None`` when ``layers`` or ``blocks`` is not even a list or mapping (validation says so).
    """
    layers, blocks = data.get("layers"), data.get("blocks") or {}
    if not isinstance(layers, list) or not isinstance(blocks, Mapping):
        return None
    expander = _Expander(blocks, keras_names)
    for name in blocks:
        expander.definition(name, ("blocks", name), ())
    expander.scope(layers, ("layers",), reads=(INPUT,), params={}, uses=())
    return expander.finish()


@dataclass(eq=False)
class _Layer:
    """A layer on its way out: its raw item, name (if known yet), inputs and origin."""

    item: Any
    name: str | None
    reads: tuple[_Token, ...]
    origin: Origin


_Token = _Layer | str
"""What a layer reads: a layer of the expansion, or a name resolved later (top level, ``input``)."""


@dataclass
class _Expander:
    blocks: Mapping[str, Any]
    keras_names: Mapping[str, str]
    out: list[_Layer] = field(default_factory=list)
    use_counts: dict[str, int] = field(default_factory=dict)

    def scope(
        self,
        entries: list[Any],
        path: FieldPath,
        reads: tuple[_Token, ...],
        params: Mapping[str, Any],
        uses: tuple[Use, ...],
    ) -> tuple[tuple[_Token, ...], dict[str, tuple[_Token, ...]]]:
        """Expand a list of entries (the top level, or one use of a block). Returns what reading the
        last entry gives, and what reading each named entry gives. Inside a block, names are local and
        ``input`` is what the use reads."""
        local: dict[str, tuple[_Token, ...]] = {}
        previous = reads
        for position, entry in enumerate(entries):
            where = (*path, position)
            if isinstance(entry, Mapping) and "block" in entry:
                for copy in self._copies(entry, where, params, uses):
                    sources = self._sources(
                        copy.get("inputs"), previous, reads, local, where=where, uses=uses
                    )
                    previous = self._use(copy, sources, where, uses) if copy["when"] else sources[:1]
                    if copy["name"] is not None:
                        local[copy["name"]] = previous
                continue
            item, name, when = self._layer_fields(entry, where, params, uses)
            sources = self._sources(_field(item, "inputs"), previous, reads, local, where=where, uses=uses)
            if when:
                prefix = uses[-1] if uses and uses[-1].prefixed else None
                full = f"{prefix.name}_{name}" if prefix is not None and isinstance(name, str) else name
                layer = _Layer(item, full if isinstance(full, str) else None, sources, Origin(where, uses))
                self.out.append(layer)
                if len(self.out) > MAX_LAYERS:
                    raise located_error(
                        f"the spec expands to more than {MAX_LAYERS:,} layers", where, uses=uses
                    )
                previous = (layer,)
            else:
                previous = sources[:1]
            if isinstance(name, str):
                local[name] = previous
        return previous, local

    def _layer_fields(
        self, entry: Any, where: FieldPath, params: Mapping[str, Any], uses: tuple[Use, ...]
    ) -> tuple[Any, Any, bool]:
        """A layer entry with its expressions evaluated, its name, and whether it is kept."""
        if not isinstance(entry, Mapping):
            return entry, _field(entry, "name"), True
        item = dict(entry)
        for key, value in entry.items():
            if isinstance(value, str | list) and has_expression(value):
                try:
                    item[key] = evaluate(value, params)
                except ExpressionError as exc:
                    raise located_error(exc.message, (*where, key), exc.hint, uses) from None
        when = item.pop("when", True)
        if not isinstance(when, bool):
            raise located_error("`when` must be true or false", (*where, "when"), uses=uses)
        return item, item.get("name"), when

    def _copies(
        self, entry: Mapping[str, Any], where: FieldPath, params: Mapping[str, Any], uses: tuple[Use, ...]
    ) -> Iterator[dict[str, Any]]:
        """Each copy of a block use (``repeat``), its parameters evaluated with ``i``, which counts
        the copies from ``start``."""
        counts = []
        for key, default in (("repeat", 1), ("start", 1)):
            try:
                value = evaluate(entry.get(key, default), params)
            except ExpressionError as exc:
                raise located_error(exc.message, (*where, key), exc.hint, uses) from None
            if not is_int(value) or not (1 if key == "repeat" else 0) <= value <= MAX_LAYERS:
                lowest = 1 if key == "repeat" else 0
                raise located_error(
                    f"`{key}` must be a whole number from {lowest} to {MAX_LAYERS:,}",
                    (*where, key),
                    uses=uses,
                )
            counts.append(value)
        repeat, start = counts
        name = entry.get("name")
        if name is not None and (not isinstance(name, str) or not name or "/" in name):
            raise located_error("a block use's name is text without `/`", (*where, "name"), uses=uses)
        if repeat > 1 and name is not None and "{i}" not in name:
            raise located_error(
                f"`{name}` is used {repeat} times: its name needs `{{i}}` to tell the copies apart",
                (*where, "name"),
                f"e.g. name: {name}{{i}}",
                uses,
            )
        for i in range(start, start + repeat):
            scope = {**params, "i": i}
            copy: dict[str, Any] = {}
            for key, value in entry.items():
                if key in ("repeat", "start", "name"):
                    continue
                try:
                    copy[key] = evaluate(value, scope)
                except ExpressionError as exc:
                    raise located_error(exc.message, (*where, key), exc.hint, uses) from None
            copy["name"] = None if name is None else name.replace("{i}", str(i))
            copy.setdefault("when", True)
            if not isinstance(copy["when"], bool):
                raise located_error("`when` must be true or false", (*where, "when"), uses=uses)
            yield copy

    def _use(
        self, copy: dict[str, Any], sources: tuple[_Token, ...], where: FieldPath, uses: tuple[Use, ...]
    ) -> tuple[_Token, ...]:
        """Expand one copy of a block use; returns its output."""
        block_name = copy["block"]
        definition = self.definition(block_name, (*where, "block"), uses)
        if len(uses) >= MAX_NESTING or any(use.block == block_name for use in uses):
            chain = " → ".join([*(use.block for use in uses), block_name])
            raise located_error(f"blocks use each other in a loop or too deeply: {chain}", where, uses=uses)
        declared = definition.get("params") or {}
        arguments = {key: value for key, value in copy.items() if key not in _USE_KEYS}
        for key in arguments:
            if key not in declared:
                raise located_error(
                    f"block `{block_name}` has no parameter `{key}`",
                    (*where, key),
                    _did_you_mean(key, [*declared, *_USE_KEYS]),
                    uses,
                )
        values = {**declared, **arguments}
        missing = [key for key, value in values.items() if value == REQUIRED]
        if missing:
            raise located_error(
                f"block `{block_name}` needs parameter `{missing[0]}`", where, "give it in the use", uses
            )
        outer = uses[-1] if uses and uses[-1].prefixed else None
        if copy["name"] is None:
            use = Use(block_name, self._automatic_use_name(block_name), values, where, prefixed=False)
        else:
            name = copy["name"] if outer is None else f"{outer.name}_{copy['name']}"
            use = Use(block_name, name, values, where)
        inner = (*uses, use)
        body: FieldPath = ("blocks", block_name)
        last, local = self.scope(definition["layers"], (*body, "layers"), sources, values, inner)
        output = definition.get("output")
        if output is None:
            return last
        return self._sources(output, last, sources, local, where=(*body, "output"), uses=inner)

    def definition(self, name: Any, where: FieldPath, uses: tuple[Use, ...]) -> Mapping[str, Any]:
        """The definition of block ``name``, checked; a located error if there is none or it is wrong."""
        definition = self.blocks.get(name) if isinstance(name, str) else None
        if definition is None:
            raise located_error(
                f"no block named {name!r}",
                where,
                _did_you_mean(str(name), list(self.blocks)) or "define it under `blocks:`",
                uses,
            )
        path: FieldPath = ("blocks", name)
        if not _BLOCK_NAME.fullmatch(name):
            raise located_error("a block's name is a letter or `_`, then letters, digits or `_`", path)
        if not isinstance(definition, Mapping):
            raise located_error("a block is a mapping with `layers` (and `params`, `output`)", path)
        for key in definition:
            if key not in ("params", "layers", "output"):
                raise located_error(
                    f"unknown field `{key}` in block `{name}`",
                    (*path, key),
                    _did_you_mean(str(key), ["params", "layers", "output"]),
                )
        layers, params = definition.get("layers"), definition.get("params")
        if not isinstance(layers, list) or not layers:
            raise located_error(f"block `{name}` needs a list of `layers`", (*path, "layers"))
        if params is not None and not (
            isinstance(params, Mapping) and all(isinstance(key, str) for key in params)
        ):
            raise located_error(
                "`params` maps each parameter's name to its default (`required` if it has none)",
                (*path, "params"),
            )
        if params and "i" in params:
            raise located_error("`i` counts a use's copies; name the parameter otherwise", (*path, "params"))
        return definition

    def _sources(
        self,
        names: Any,
        previous: tuple[_Token, ...],
        reads: tuple[_Token, ...],
        local: Mapping[str, tuple[_Token, ...]],
        *,
        where: FieldPath,
        uses: tuple[Use, ...],
    ) -> tuple[_Token, ...]:
        """What a layer or use reads: ``previous`` by default. Inside a block every name is local; at
        the top level, names not seen yet are left for wiring to resolve (and to report)."""
        if names is None:
            return previous
        listed = _listed(names)
        if not all(isinstance(name, str) for name in listed):
            return tuple(listed)  # validation reports the wrong type
        sources: list[_Token] = []
        for position, name in enumerate(listed):
            if name == INPUT:
                sources.extend(reads)
            elif name in local:
                sources.extend(local[name])
            elif not uses:
                sources.append(name)
            else:
                at = where if where[-1] == "output" else (*where, "inputs")
                if isinstance(names, list) and where[-1] != "output":
                    at = (*at, position)
                raise located_error(
                    f"no layer `{name}` before this one in block `{uses[-1].block}`",
                    at,
                    _did_you_mean(name, [INPUT, *local])
                    or f"inputs name earlier layers of the block, or `{INPUT}`",
                    uses,
                )
        return tuple(sources)

    def _automatic_use_name(self, block: str) -> str:
        count = self.use_counts.get(block, 0)
        self.use_counts[block] = count + 1
        return block if count == 0 else f"{block}_{count}"

    def finish(self) -> Expansion:
        """Name the unnamed layers as Keras would, and resolve every input to a name."""
        bases = [self.keras_names.get(_type_key(_field(layer.item, "type")), "layer") for layer in self.out]
        given = [layer.name if isinstance(layer.name, str) else None for layer in self.out]
        for layer, name in zip(self.out, default_names(bases, given), strict=True):
            layer.name = name
        items = [_with(layer.item, name=layer.name, inputs=_names(layer.reads)) for layer in self.out]
        return Expansion(items, tuple(layer.origin for layer in self.out))


def default_names(bases: Sequence[str], given: Sequence[str | None]) -> list[str]:
    """Keras' default names: each unnamed layer gets its type's base (``conv2d``, ``conv2d_1``, ...),
    skipping the names given explicitly.

    >>> default_names(["conv2d", "conv2d", "dense"], [None, "conv2d_1", None])
    ['conv2d', 'conv2d_1', 'dense']
    >>> default_names(["conv2d", "conv2d"], ["conv2d", None])
    ['conv2d', 'conv2d_1']
    """
    taken = {name for name in given if name is not None}
    counts: dict[str, int] = {}
    names = []
    for base, name in zip(bases, given, strict=True):
        chosen = name
        if chosen is None:
            chosen = base
            while chosen in taken:
                counts[base] = counts.get(base, 0) + 1
                chosen = f"{base}_{counts[base]}"
            taken.add(chosen)
        names.append(chosen)
    return names


def _names(tokens: tuple[_Token, ...]) -> list[Any]:
    return [token.name if isinstance(token, _Layer) else token for token in tokens]


def _field(item: Any, key: str) -> Any:
    """A field of a raw layer item: a mapping's value, or a layer model's attribute."""
    return item.get(key) if isinstance(item, Mapping) else getattr(item, key, None)


def _with(item: Any, **fields: Any) -> Any:
    if isinstance(item, Mapping):
        return {**item, **fields}
    if hasattr(item, "model_copy"):
        return item.model_copy(update={**fields, "inputs": tuple(fields["inputs"])})
    return item


def _listed(names: Any) -> list[Any]:
    return list(names) if isinstance(names, list | tuple) else [names]


def _type_key(value: Any) -> str:
    return value.lower().replace("_", "") if isinstance(value, str) else ""


def _did_you_mean(word: str, candidates: Sequence[str]) -> str | None:
    match = difflib.get_close_matches(word, list(candidates), n=1)
    return f"did you mean `{match[0]}`?" if match else None

"""A spec as the Python functions of an exported Keras script: ``build_model`` and one function per block.

``build_model`` calls each layer on what it reads, in spec order: ``x`` holds a value only the next
step reads; a value read later gets a variable named after its layer. A block becomes a function when
every use of it can be written as a call: the block's parameters are the function's keyword arguments,
each Keras argument of its layers is the block's own expression where that gives Keras' value in every
use (``filters: $(4 * filters)`` → ``filters=4 * filters``) or else the value all uses share, ``when`` is
an ``if``, a nested ``repeat`` a ``for`` loop, and a named layer's name ``f"{name}_1_conv"``. Otherwise
the block's uses are written out layer by layer.

A layer is given ``name=`` only where Keras' automatic name (``conv2d``, ``conv2d_1``, ... counted per
class over the layers made without a name, in a fresh session) is not the spec's.
"""

from __future__ import annotations

import ast
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cnncalc.backends.keras.plan import CUSTOM_LAYERS, PAD_SUFFIX, KerasLayer, keras_layers
from cnncalc.export.python_code import call, identifier, literal
from cnncalc.render.escape import python_text
from cnncalc.shapes.records import Analysis
from cnncalc.spec.blocks import REQUIRED, Use, expand
from cnncalc.spec.expressions import ExpressionError, evaluate, is_expression
from cnncalc.spec.models import INPUT, KERAS_NAMES, LAYER_TYPES, LayerBase

POSITIONAL = {
    "Conv2D": ("filters", "kernel_size"),
    "SeparableConv2D": ("filters", "kernel_size"),
    "Conv2DTranspose": ("filters", "kernel_size"),
    "DepthwiseConv2D": ("kernel_size",),
    "Dense": ("units",),
    "Dropout": ("rate",),
    "SpatialDropout2D": ("rate",),
    "GaussianNoise": ("stddev",),
    "Activation": ("activation",),
    "MaxPooling2D": ("pool_size",),
    "AveragePooling2D": ("pool_size",),
    "Reshape": ("target_shape",),
    "ZeroPadding2D": ("padding",),
    "Cropping2D": ("cropping",),
    "UpSampling2D": ("size",),
    "Rescaling": ("scale",),
    "LayerScale": ("init_values", "projection_dim"),
}
"""The leading arguments written without their keyword, as in Keras' own examples (``Conv2D(64, 3)``)."""

FIELDS = {
    "kernel_size": ("kernel_size", "kernel"),
    "strides": ("strides", "stride"),
    "pool_size": ("pool_size", "pool"),
}
"""The spec fields (and aliases) a layer's Keras argument comes from, where the names differ."""
PAD_FIELDS = {"padding": ("padding",), "mode": ("padding_mode",)}
"""The spec fields a padding layer's Keras arguments come from."""
FROM_INPUT = {"projection_dim": "{}.shape[-1]"}
"""Keras arguments a block's code reads off the input tensor (a layer scale's size is its input's last
axis), which differ from use to use."""
CLASS_NAMES = frozenset({cls.keras_class for cls in LAYER_TYPES} | {"ZeroPadding2D", *CUSTOM_LAYERS})
SCRIPT_NAMES = frozenset(
    {"x", "inputs", "name", "i", "keras", "np", "npt", "argparse", "Any", "INPUT_SHAPE", "DATA_FORMAT"}
    | {"FROM_LOGITS", "build_model", "main", "prepare", "load_mnist", "show_summary", "Digits"}
)
"""Names the script uses for itself (:mod:`cnncalc.export.keras_script` among them)."""
TAKEN = CLASS_NAMES | SCRIPT_NAMES


@dataclass
class Program:
    """The script's functions (the block functions, then ``build_model``) and the Keras classes they use."""

    functions: list[str] = field(default_factory=list)
    classes: set[str] = field(default_factory=set)


def program(analysis: Analysis) -> Program:
    """``build_model`` and the block functions it calls, for an analysed spec without errors."""
    unwritable: set[str] = set()
    while True:  # each pass writes out the blocks whose automatic names the last pass found wrong
        writer = _Writer(analysis, unwritable)
        written = writer.write()
        if not writer.misnamed:
            return written
        unwritable |= writer.misnamed


class _Unwritable(Exception):
    """A block whose uses cannot all be written as calls of one function."""


# --- scopes: build_model's body, or a block function's ------------------------------------------


@dataclass
class _Step:
    """One step of a scope, a layer or a block call: ``emit(sources, target, indent)`` gives its lines for
    the code of the values it reads and the variable it assigns, at ``indent`` spaces."""

    name: str
    """What readers call its value: a spec layer's name, or a block layer's local name."""
    reads: list[str]
    emit: Callable[[list[str], str, int], list[str]]
    condition: str | None = None
    """An ``if`` around it (a block's ``when``); when false its value is its first input's."""
    loops: bool = False
    """It reads its own target after the first pass (a ``for`` loop over a block's uses)."""


def _scope(
    steps: list[_Step], returned: Sequence[str], input_code: str, taken: set[str], indent: int
) -> tuple[list[str], dict[str, str]]:
    """A scope's lines (at ``indent`` spaces) and the code of every value in it: ``x`` for a value only
    the next step reads, a variable named after the step for one read later or returned."""
    pad = " " * indent
    values = {INPUT: input_code}
    lines: list[str] = []
    for position, step in enumerate(steps):
        later = any(step.name in other.reads for other in steps[position + 2 :])
        if later or (step.name in returned and position != len(steps) - 1):
            target = identifier(step.name, taken)
            taken.add(target)
        else:
            target = "x"
        sources = [values[source] for source in step.reads]
        if step.loops and sources[0] != target:
            lines.append(f"{pad}{target} = {sources[0]}")
        if step.condition is None:
            lines += step.emit(sources, target, indent)
        else:
            lines += [f"{pad}if {step.condition}:", *step.emit(sources, target, indent + 4)]
            if sources[0] != target:
                lines += [f"{pad}else:", f"{pad}    {target} = {sources[0]}"]
        values[step.name] = target
    return lines, values


def _layer_lines(
    planned: Sequence[KerasLayer],
    codes: Sequence[dict[str, str]],
    sources: list[str],
    target: str,
    indent: int,
) -> list[str]:
    """``target = Conv2D(...)(source)``, after its padding layer's line if it has one."""
    value = sources[0] if len(sources) == 1 else "[" + ", ".join(sources) + "]"
    lines: list[str] = []
    for layer, arguments in zip(planned, codes, strict=True):
        written = _written(layer, {key: code.replace("{input}", value) for key, code in arguments.items()})
        lines += call(layer.class_name, written, indent=indent, prefix=f"{target} = ", then=value)
        value = target
    return lines


def _written(layer: KerasLayer, codes: dict[str, str]) -> list[str]:
    """The arguments in Keras' order, the leading ones by position, the others by keyword."""
    positional = POSITIONAL.get(layer.class_name, ())
    written: list[str] = []
    for key in [key for key in layer.order if key in codes]:
        if len(written) < len(positional) and key == positional[len(written)]:
            written.append(codes[key])
        else:
            positional = ()
            written.append(f"{key}={codes[key]}")
    return written


def _automatic(layer: LayerBase, counts: Counter[str]) -> str:
    """The name Keras gives the next layer of this type made without one: ``conv2d``, ``conv2d_1``, ..."""
    base = KERAS_NAMES[layer.type]
    return base if not counts[base] else f"{base}_{counts[base]}"


# --- build_model ---------------------------------------------------------------------------------


@dataclass
class _Writer:
    analysis: Analysis
    unwritable: set[str]
    functions: dict[str, _Function | None] = field(default_factory=dict)
    classes: set[str] = field(default_factory=set)
    misnamed: set[str] = field(default_factory=set)
    """Blocks whose unnamed layers Keras would name otherwise than the spec, in a function."""
    called: list[_Function] = field(default_factory=list)
    """The functions build_model calls."""

    def write(self) -> Program:
        spec = self.analysis.spec
        for block in spec.blocks:
            self.function(block, ())
        steps = self._steps()
        taken = set(TAKEN) | {function.name for function in self.functions.values() if function}
        body, values = _scope(steps, spec.outputs, "inputs", taken, 4)
        outputs = [values[name] for name in spec.outputs]
        result = outputs[0] if len(outputs) == 1 else "[" + ", ".join(outputs) + "]"
        lines = [
            "def build_model() -> keras.Model:",
            '    """The network, layer by layer."""',
            "    inputs = keras.Input(shape=INPUT_SHAPE)",
            *body,
            *call(
                "keras.Model",
                ["inputs", result, f"name={literal(spec.name.replace('/', '_'))}"],
                indent=4,
                prefix="return ",
            ),
        ]
        reached: set[int] = set()
        stack = list(self.called)
        while stack:
            function = stack.pop()
            if id(function) not in reached:
                reached.add(id(function))
                stack += function.calls
        functions = [f.source for f in self.functions.values() if f is not None and id(f) in reached]
        return Program([*functions, "\n".join(lines)], self.classes)

    def function(self, block: str, outer: tuple[str, ...]) -> _Function | None:
        """The function of a block, or ``None`` if its uses are written out layer by layer."""
        if block not in self.functions:
            function = None
            if block not in self.unwritable and block not in outer:
                try:
                    function = _Function.write(self, block, (*outer, block))
                except _Unwritable:
                    function = None
            self.functions[block] = function
        return self.functions[block]

    def _steps(self) -> list[_Step]:
        """build_model's steps: a layer written out, or a top-level block use as a call."""
        spec = self.analysis.spec
        steps: list[_Step] = []
        counts: Counter[str] = Counter()
        start = 0
        while start < len(spec.layers):
            uses = spec.origins[start].uses
            end = start + 1
            while (
                uses
                and end < len(spec.layers)
                and spec.origins[end].uses[:1]
                and spec.origins[end].uses[0] is uses[0]
            ):
                end += 1
            function = self.functions.get(uses[0].block) if uses else None
            step = self._call(function, uses[0], range(start, end), counts) if function else None
            if step is None:
                steps += [self._layer(position, counts) for position in range(start, end)]
            else:
                steps.append(step)
            start = end
        return steps

    def _layer(self, position: int, counts: Counter[str]) -> _Step:
        """A layer written out, named unless Keras' automatic name is the spec's."""
        data_format, record = self.analysis.spec.data_format, self.analysis.layers[position]
        layer = record.layer
        planned = keras_layers(layer, data_format, record.input_shape or ())
        codes = [
            {
                key: literal(value)
                for key, value in step.arguments.items()
                if (key, value) != ("data_format", "channels_last")
            }
            for step in planned
        ]
        if _automatic(layer, counts) == layer.name:
            counts[KERAS_NAMES[layer.type]] += 1
            del codes[-1]["name"]
        self.classes.update(step.class_name for step in planned)
        return _Step(
            layer.name or "",
            list(layer.inputs),
            lambda sources, target, indent: _layer_lines(planned, codes, sources, target, indent),
        )

    def _call(self, function: _Function, use: Use, positions: range, counts: Counter[str]) -> _Step | None:
        """A top-level use as a call of its block's function, if it reads one value and the layers after
        it read only its output."""
        spec = self.analysis.spec
        layers = [spec.layers[position] for position in positions]
        names = {layer.name for layer in layers}
        outside = list(dict.fromkeys(name for layer in layers for name in layer.inputs if name not in names))
        try:
            output = self._output(use, positions)
        except _Unwritable:
            return None
        later = spec.layers[positions.stop :]
        read_later = {name for layer in later for name in layer.inputs} | set(spec.outputs)
        if not outside or (len(outside) > 1 and not function.whole_input) or (read_later & names) - {output}:
            return None
        for position, layer in zip(positions, layers, strict=True):  # Keras names the unnamed ones
            if not _has_name(spec.blocks, spec.origins[position].path):
                if _automatic(layer, counts) != layer.name:
                    self.misnamed.add(use.block)
                counts[KERAS_NAMES[layer.type]] += 1
        declared = spec.blocks[use.block].get("params") or {}
        arguments = [
            f"{key}={literal(value)}" for key, value in use.params.items() if declared.get(key) != value
        ]
        name = [literal(use.name)] if function.named else []
        self.called.append(function)

        def emit(sources: list[str], target: str, indent: int) -> list[str]:
            value = sources[0] if len(sources) == 1 else "[" + ", ".join(sources) + "]"
            return call(function.name, [value, *name, *arguments], indent=indent, prefix=f"{target} = ")

        return _Step(output or outside[0], outside, emit)

    def _output(self, use: Use, positions: range) -> str | None:
        """The spec layer whose value a top-level use returns (``None``: its input), found by expanding the
        use alone with a layer after it."""
        spec = self.analysis.spec
        probe = "cnncalc probe"
        entry = {"block": use.block, **use.params} | ({"name": use.name} if use.prefixed else {})
        try:
            expansion = expand(
                {"blocks": spec.blocks, "layers": [entry, {"type": "identity", "name": probe}]}, KERAS_NAMES
            )
        except Exception:  # a parameter value the expansion reads otherwise when written again
            raise _Unwritable from None
        if expansion is None or len(expansion.layers) != len(positions) + 1:
            raise _Unwritable
        read = expansion.layers[-1]["inputs"]
        if read == [INPUT]:
            return None
        index = [item["name"] for item in expansion.layers[:-1]].index(read[0])
        return spec.layers[positions.start + index].name


def _has_name(blocks: Mapping[str, Any], path: Sequence[Any]) -> bool:
    """Whether the block layer written at ``path`` (``("blocks", block, "layers", k)``) has a name."""
    entry = blocks[path[1]]["layers"][path[3]]
    return isinstance(entry, Mapping) and entry.get("name") is not None


# --- block functions -------------------------------------------------------------------------------


@dataclass
class _Function:
    """A block's function: its Python name, whether it takes the use's ``name``, its source."""

    name: str
    named: bool
    source: str = ""
    calls: list[_Function] = field(default_factory=list)
    """The functions it calls."""
    whole_input: bool = True
    """Every layer that reads the input reads it alone, unconditionally: a use may pass several values
    as one list (a block that merges what its use reads)."""

    @staticmethod
    def write(writer: _Writer, block: str, outer: tuple[str, ...]) -> _Function:
        spec = writer.analysis.spec
        definition = spec.blocks[block]
        entries = definition.get("layers")
        params = dict(definition.get("params") or {})
        if not isinstance(entries, list) or not all(isinstance(entry, Mapping) for entry in entries):
            raise _Unwritable
        if any(not key.isidentifier() or identifier(key) != key or key in TAKEN for key in params):
            raise _Unwritable
        uses = _uses(spec.origins, block)
        named = _names_layers(spec.blocks, block, ())
        prefixed = {use.prefixed for use in uses}
        if named and len(prefixed) != 1:
            raise _Unwritable
        name = identifier(block, TAKEN | {identifier(other) for other in spec.blocks if other != block})
        function = _Function(name, named and prefixed == {True})
        body = _Body(writer, block, outer, function, params)
        steps, local, last = body.steps(entries)
        output = definition.get("output")
        if output is not None and (not isinstance(output, str) or output not in local):
            raise _Unwritable
        returned = local[output] if output is not None else last
        taken = set(TAKEN) | set(params) | {identifier(other) for other in spec.blocks}
        lines, values = _scope(steps, [returned], "inputs", taken, 4)
        signature = ["inputs", *(["name"] if function.named else [])]
        keywords = [key if value == REQUIRED else f"{key}={literal(value)}" for key, value in params.items()]
        signature += ["*", *keywords] if keywords else []
        function.source = "\n".join(
            [
                *call(f"def {name}", signature, indent=0, suffix=":"),
                f'    """Block `{block}` of the spec."""',
                *lines,
                f"    return {values[returned]}",
            ]
        )
        return function


def _names_layers(blocks: Mapping[str, Any], block: str, outer: tuple[str, ...]) -> bool:
    """Whether a block names any of its layers, itself or through the blocks it uses (then the names
    depend on the use's name)."""
    entries = blocks[block].get("layers") if isinstance(blocks.get(block), Mapping) else None
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, Mapping):
            continue
        inner = entry.get("block")
        if inner is None and entry.get("name") is not None:
            return True
        if (
            isinstance(inner, str)
            and inner in blocks
            and inner not in outer
            and _names_layers(blocks, inner, (*outer, block))
        ):
            return True
    return False


def _uses(origins: Sequence[Any], block: str) -> list[Use]:
    """Every use of a block, once."""
    found: dict[int, Use] = {}
    for origin in origins:
        for use in origin.uses:
            if use.block == block:
                found[id(use)] = use
    if not found:
        raise _Unwritable  # never used: not written
    return list(found.values())


@dataclass
class _Body:
    """The steps of a block's function, from its entries and the layers its uses made."""

    writer: _Writer
    block: str
    outer: tuple[str, ...]
    function: _Function
    params: dict[str, Any]

    @property
    def named(self) -> bool:
        return self.function.named

    def steps(self, entries: list[Mapping[str, Any]]) -> tuple[list[_Step], dict[str, str], str]:
        """The steps, the value each local name stands for, and the last value."""
        steps: list[_Step] = []
        local: dict[str, str] = {}
        previous = INPUT
        for position, entry in enumerate(entries):
            reads = self._reads(entry.get("inputs"), previous, local)
            when = entry.get("when", True)
            if when is False:
                value = reads[0]  # left out: its readers read its first input
            elif "block" in entry:
                step = self._use(entry, position, reads, when)
                steps.append(step)
                value = step.name
            else:
                if when is not True and not is_expression(when):
                    raise _Unwritable
                step = self._layer(entry, position, reads)
                step.condition = None if when is True else _code(when)
                steps.append(step)
                value = step.name
            name = entry.get("name")
            if isinstance(name, str):  # an expression's text too: other layers may read `$split`
                local[name] = value
            previous = value
        self.function.whole_input = not any(
            INPUT in step.reads and (len(step.reads) > 1 or step.condition is not None or step.loops)
            for step in steps
        )
        return steps, local, previous

    def _reads(self, inputs: Any, previous: str, local: Mapping[str, str]) -> list[str]:
        if inputs is None:
            return [previous]
        reads = []
        for name in inputs if isinstance(inputs, list) else [inputs]:
            if name == INPUT:
                reads.append(INPUT)
            elif isinstance(name, str) and name in local:  # a name, or the same expression as a name
                reads.append(local[name])
            else:
                raise _Unwritable
        return reads

    def _instances(self, position: int) -> list[tuple[Use, int]]:
        """Each layer the entry at ``position`` made: its use, and its index in the spec."""
        spec = self.writer.analysis.spec
        path = ("blocks", self.block, "layers", position)
        return [(origin.uses[-1], index) for index, origin in enumerate(spec.origins) if origin.path == path]

    def _layer(self, entry: Mapping[str, Any], position: int, reads: list[str]) -> _Step:
        analysis = self.writer.analysis
        instances = self._instances(position)
        if not instances:
            raise _Unwritable
        plans = [
            keras_layers(
                analysis.spec.layers[index],
                analysis.spec.data_format,
                analysis.layers[index].input_shape or (),
            )
            for _, index in instances
        ]
        if len({tuple(step.class_name for step in plan) for plan in plans}) != 1:
            raise _Unwritable
        uses = [use for use, _ in instances]
        last = len(plans[0]) - 1
        codes = [
            self._arguments(entry, [plan[step] for plan in plans], uses, main=step == last)
            for step in range(last + 1)
        ]
        name = self._layer_name(entry.get("name"))
        if name is not None:
            codes[-1]["name"] = name
            if last:
                codes[0]["name"] = (
                    name[:-1] + f'{PAD_SUFFIX}"' if name.endswith('"') else f"{name} + {literal(PAD_SUFFIX)}"
                )
        elif last:
            raise _Unwritable  # an unnamed layer's padding layer is named after it: not known in the code
        planned = plans[0]
        self.writer.classes.update(step.class_name for step in planned)
        label = (
            entry.get("name")
            if isinstance(entry.get("name"), str) and not is_expression(entry.get("name"))
            else None
        )
        return _Step(
            label or f"#{position}",
            reads,
            lambda sources, target, indent: _layer_lines(planned, codes, sources, target, indent),
        )

    def _layer_name(self, name: Any) -> str | None:
        """The code of a block layer's Keras name: ``f"{name}_conv"`` in a function of named uses."""
        if name is None:
            return None
        if is_expression(name):
            return f'f"{{name}}_{{{_code(name)}}}"' if self.named else _code(name)
        text = python_text(str(name)).replace("{", "{{").replace("}", "}}")
        return f'f"{{name}}_{text}"' if self.named else literal(str(name))

    def _arguments(
        self, entry: Mapping[str, Any], layers: list[KerasLayer], uses: list[Use], *, main: bool
    ) -> dict[str, str]:
        """One Keras layer's arguments over every use of the block: the block's expression where it gives
        Keras' value in every use, else the value if every use has the same."""
        codes: dict[str, str] = {}
        for key in layers[0].order:
            if key == "name":
                continue
            values = [layer.arguments.get(key, layer.defaults.get(key)) for layer in layers]
            fields = FIELDS.get(key, (key,)) if main else PAD_FIELDS.get(key, ())
            raw = next((entry[field] for field in fields if field in entry), None)
            if key in FROM_INPUT:
                codes[key] = FROM_INPUT[key].format("{input}")
            elif _has_expression(raw) and all(
                _same(value, _evaluate(raw, use.params)) for value, use in zip(values, uses, strict=True)
            ):
                codes[key] = _code(raw)
            elif not all(_same(value, values[0]) for value in values):
                raise _Unwritable
            elif key in layers[0].arguments and (key, values[0]) != ("data_format", "channels_last"):
                codes[key] = literal(values[0])
        return codes

    def _use(self, entry: Mapping[str, Any], position: int, reads: list[str], when: Any) -> _Step:
        """A nested use: a call of its block's function, in a ``for`` loop if it repeats or counts."""
        inner = entry.get("block")
        function = self.writer.function(inner, self.outer) if isinstance(inner, str) else None
        several = len(reads) > 1
        if (
            function is None
            or (several and not function.whole_input)
            or (when is not True and not is_expression(when))
        ):
            raise _Unwritable
        self.function.calls.append(function)
        template = entry.get("name")
        name: list[str] = []
        if template is not None and function.named:
            if not isinstance(template, str) or is_expression(template):
                raise _Unwritable
            text = python_text(template).replace("{", "{{").replace("}", "}}").replace("{{i}}", "{i}")
            if self.named:
                name = [f'f"{{name}}_{text}"']
            else:
                name = [f'f"{text}"' if "{i}" in text else literal(template)]
        arguments = [
            f"{key}={_code(value)}"
            for key, value in entry.items()
            if key not in ("block", "name", "inputs", "repeat", "start", "when")
        ]
        repeat, start = entry.get("repeat", 1), entry.get("start", 1)
        loops = (
            repeat != 1 or any(_reads_i(value) for value in entry.values()) or "{i}" in str(template or "")
        )
        condition = None if when is True else _code(when)
        if several and (loops or condition is not None):
            raise _Unwritable

        def emit(sources: list[str], target: str, indent: int) -> list[str]:
            value = "[" + ", ".join(sources) + "]" if several else sources[0]
            if not loops:
                return call(function.name, [value, *name, *arguments], indent=indent, prefix=f"{target} = ")
            pad, inner = " " * indent, indent + 4 + (4 if condition is not None else 0)
            first = _code(start)
            stop = (
                str(start + repeat)
                if isinstance(start, int) and isinstance(repeat, int)
                else f"{first} + {_code(repeat)}"
            )
            lines = [f"{pad}for i in range({first}, {stop}):"]
            if condition is not None:
                lines.append(f"{pad}    if {condition}:")
            return lines + call(
                function.name, [target, *name, *arguments], indent=inner, prefix=f"{target} = "
            )

        label = template if isinstance(template, str) else f"#{position}"
        return _Step(label, reads, emit, condition=None if loops else condition, loops=loops)


# --- fields as code --------------------------------------------------------------------------------


def _has_expression(value: Any) -> bool:
    if isinstance(value, list):
        return any(_has_expression(item) for item in value)
    return is_expression(value)


def _code(value: Any) -> str:
    """Python source for a field as written: ``$name`` → ``name``, ``$(expression)`` → the expression
    (the spec's expressions are Python's), lists item by item, anything else a literal."""
    if isinstance(value, list):
        return "[" + ", ".join(_code(item) for item in value) + "]"
    if is_expression(value):
        text = str(value)
        if not text.startswith("$("):
            return text[1:]
        code = text[2:-1].strip()
        # A comment or a line break (inside brackets) is valid in an expression but not on one line.
        return code if not set(code) & {"#", "\n", "\r"} else ast.unparse(ast.parse(code, mode="eval"))
    return literal(value)


def _evaluate(value: Any, params: Mapping[str, Any]) -> Any:
    try:
        return evaluate(value, params)
    except ExpressionError:
        raise _Unwritable from None


def _canonical(value: Any) -> Any:
    """A value as Keras reads it either way: lists as tuples, ``(n, n)`` as ``n``, ``(a,)`` as ``a``."""
    if isinstance(value, list | tuple):
        items = tuple(_canonical(item) for item in value)
        if len(items) == 2 and items[0] == items[1] and isinstance(items[0], int):
            return items[0]
        return items[0] if len(items) == 1 else items
    return value


def _same(first: Any, second: Any) -> bool:
    """Whether Keras reads two values the same (``True`` is not ``1`` here)."""
    if isinstance(first, bool) or isinstance(second, bool):
        return first is second
    return bool(_canonical(first) == _canonical(second))


def _reads_i(value: Any) -> bool:
    """Whether a field's expression reads ``i``, the count of a use's copies."""
    if isinstance(value, list):
        return any(_reads_i(item) for item in value)
    if not is_expression(value):
        return False
    try:
        tree = ast.parse(_code(value), mode="eval")
    except SyntaxError:
        return False
    return any(isinstance(node, ast.Name) and node.id == "i" for node in ast.walk(tree))

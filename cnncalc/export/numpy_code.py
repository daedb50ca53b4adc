"""``cnncalc export --to numpy``: a standalone NumPy script that builds a spec's model and trains it.

The script is written to be read: batch-first ``(N, H, W, C)`` arrays, im2col on a strided view
and one matrix product per convolution, each forward pass next to its backward pass, rather than
an import of :mod:`cnncalc.backends.numpy`, whose speed work (batch-last layout, reused buffers,
blocked products, threads) would hide the ideas. It needs NumPy only; for data it uses cnncalc's
MNIST loader when cnncalc is installed, else an ``mnist.npz`` (Keras' cache).

Its code is copied from real modules, :mod:`cnncalc.export.plain_numpy`, which ruff, mypy and
the tests see like any other: the definitions the model needs (its layer classes, their
activations, the training loop) and, transitively, every definition and import they use. Only
the model is generated here, from the shape engine's records (padding split, weight shapes):
``build_model``, the input shape and the table of activations.
"""

from __future__ import annotations

import ast
import functools
import inspect
import itertools
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import ModuleType

import numpy as np

from cnncalc.api import SpecSource, analyze
from cnncalc.data.mnist import prepare
from cnncalc.errors import CnncalcError
from cnncalc.export.plain_numpy import activations, arrays, layers, training
from cnncalc.shapes.records import Analysis, AxisWindow, LayerRecord
from cnncalc.shapes.text import format_shape
from cnncalc.spec.models import (
    Activation,
    AvgPool2D,
    BatchNorm,
    Conv2D,
    DataFormat,
    Dense,
    Dropout,
    Flatten,
    GlobalAvgPool2D,
    GlobalMaxPool2D,
    LayerBase,
    MaxPool2D,
    Pool2D,
    ZeroPad2D,
)
from cnncalc.train import require_mnist_classifier

__all__ = ["numpy_script"]

PARTS: tuple[ModuleType, ...] = (arrays, activations, layers, training)
"""The modules the script's code comes from, in the order it lists their definitions."""


# --------------------------------------------------------------------------- the script's parts


@dataclass(frozen=True)
class _Definition:
    """One top-level statement of a part module: a definition, or an import of one name."""

    source: str
    """Its source lines (for an import, the imported name or ``name as alias``)."""
    uses: frozenset[str]
    """The top-level names it reads."""
    module: str = ""
    """For an import, the module it imports from (``""``: a definition)."""
    plain_import: bool = False
    """For an import, whether it is ``import module as name`` rather than ``from ... import``."""
    block: bool = False
    """Whether it is a function or class (two blank lines around it; none between constants)."""


@functools.cache
def _definitions() -> dict[str, _Definition]:
    """Every top-level name of the part modules, in the script's order: its definition and the
    names it uses. Imports from cnncalc are dropped (the script defines those names itself)."""
    found: dict[str, _Definition] = {}
    for module in PARTS:
        source = inspect.getsource(module)
        lines = source.splitlines()
        body = ast.parse(source).body
        for index, node in enumerate(body):
            if isinstance(node, ast.Import | ast.ImportFrom):
                found.update(_imports(node))
            elif isinstance(node, ast.FunctionDef | ast.ClassDef | ast.Assign | ast.AnnAssign):
                block = isinstance(node, ast.FunctionDef | ast.ClassDef)
                end = node.end_lineno or node.lineno
                following = body[index + 1] if index + 1 < len(body) else None
                if following is not None and _is_docstring(following) and not block:
                    end = following.end_lineno or end  # an attribute docstring stays with its value
                text = "\n".join(lines[node.lineno - 1 : end])
                found[_bound_name(node)] = _Definition(text, frozenset(_names(node)), block=block)
    return found


def _imports(node: ast.Import | ast.ImportFrom) -> dict[str, _Definition]:
    """Each name an import binds, with its import; none for cnncalc's own modules."""
    plain = isinstance(node, ast.Import)
    module = "" if isinstance(node, ast.Import) else node.module or ""
    if module.startswith("cnncalc"):
        return {}
    return {
        alias.asname or alias.name: _Definition(
            ast.unparse(alias), frozenset(), alias.name if plain else module, plain_import=plain
        )
        for alias in node.names
    }


def _is_docstring(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    )


def _bound_name(node: ast.FunctionDef | ast.ClassDef | ast.Assign | ast.AnnAssign) -> str:
    if isinstance(node, ast.FunctionDef | ast.ClassDef):
        return node.name
    target = node.targets[0] if isinstance(node, ast.Assign) else node.target
    if not isinstance(target, ast.Name):
        raise TypeError(f"a part module assigns to {ast.unparse(target)}: only plain names are copied")
    return target.id


def _names(node: ast.AST) -> set[str]:
    return {child.id for child in ast.walk(node) if isinstance(child, ast.Name)}


def _needed(roots: Iterable[str], generated: Iterable[str]) -> list[str]:
    """``roots`` and every part-module name they use, transitively, in the parts' order; names
    in ``generated`` are the script's own (not copied, nor what they use)."""
    definitions = {name: value for name, value in _definitions().items() if name not in set(generated)}
    needed: set[str] = set()
    pending = [name for name in roots if name in definitions]
    while pending:
        name = pending.pop()
        if name not in needed:
            needed.add(name)
            pending.extend(used for used in definitions[name].uses if used in definitions)
    return [name for name in definitions if name in needed]


def _import_block(names: list[str]) -> str:
    """The import statements of ``names`` (import definitions), grouped and sorted as isort does."""
    definitions = _definitions()
    imports = [definitions[name] for name in names if definitions[name].module]
    sections: list[list[str]] = [["from __future__ import annotations"], [], []]
    for plain in (True, False):
        by_module: dict[str, list[str]] = {}
        for definition in imports:
            if definition.plain_import == plain:
                by_module.setdefault(definition.module, []).append(definition.source)
        for module in sorted(by_module):
            section = sections[1 if module.split(".")[0] in sys.stdlib_module_names else 2]
            if plain:
                section.extend(f"import {source}" for source in sorted(by_module[module]))
            else:
                section.append(f"from {module} import {', '.join(sorted(by_module[module]))}")
    return "\n\n".join("\n".join(section) for section in sections if section)


def numpy_script(spec: SpecSource) -> str:
    """The source of a standalone script that builds ``spec``'s model and trains it on MNIST
    (``python model.py --epochs 1``). Refuses specs with errors, models that cannot take MNIST
    digits or do not output 10 class scores, and what the script cannot build yet (branches,
    layer types and activations it has no code for)."""
    analysis = analyze(spec)
    require_mnist_classifier(analysis, "export")
    prepare(np.zeros((1, 28, 28), np.uint8), analysis.input_shape, analysis.data_format)  # raises if unfit
    _require_exportable(analysis)
    functions = sorted(set(_activations(analysis)) - {"softmax"})
    table = _activation_table(functions)
    model = _build_model(analysis)
    names = _needed(_names(ast.parse(f"{table}\n{model}\n{_MAIN}")), generated={"ACTIVATIONS"})
    definitions = _definitions()
    code = [definitions[name] for name in names if not definitions[name].module]
    if table:  # after the last function it names
        defined = [name for name in names if not definitions[name].module]
        last = max(defined.index(f"{function}_derivative") for function in functions)
        code.insert(last + 1, _Definition(table, frozenset()))
    body = code[0].source
    for before, definition in itertools.pairwise(code):
        body += ("\n\n\n" if before.block or definition.block else "\n") + definition.source
    gap = "\n\n\n" if code[0].block else "\n\n"  # isort: one blank line before a constant, two before a def
    return f"{_docstring(analysis)}\n\n{_import_block(names)}{gap}{body}\n\n\n{model}\n\n\n{_MAIN}\n"


_MAIN = """\
if __name__ == "__main__":
    main(build_model, INPUT_SHAPE)"""


def _activation_table(functions: list[str]) -> str:
    """The script's ACTIVATIONS: only the functions the model uses (see :data:`activations.ACTIVATIONS`)."""
    if not functions:
        return ""
    entries = "".join(f'\n    "{name}": ({name}, {name}_derivative),' for name in functions)
    return (
        "ACTIVATIONS: dict[str, tuple[Callable[[Array], Array], Callable[[Array], Array]]] = {"
        f'{entries}\n}}\n"""name: (function, its derivative in terms of the function\'s output)."""'
    )


def _require_exportable(analysis: Analysis) -> None:
    """Refuse, by name, what the script cannot build yet."""
    if analysis.branches:
        raise CnncalcError(
            f"cannot export {analysis.name} to numpy: the script builds chains of layers only (yet)"
        )
    for record in analysis.layers:
        if type(record.layer) not in _CONSTRUCTORS:
            raise CnncalcError(
                f"cannot export {analysis.name} to numpy: no script code for {record.layer.keras_class} "
                f"({record.name}) yet"
            )
    for function in set(_activations(analysis)) - {"softmax", *activations.ACTIVATIONS}:
        raise CnncalcError(
            f"cannot export {analysis.name} to numpy: no script code for activation {function} yet"
        )


def _softmax_head(analysis: Analysis) -> bool:
    """Whether the last layer ends in a softmax, which the script's loss applies itself."""
    head = analysis.layers[-1].layer
    return isinstance(head, Conv2D | Dense | Activation) and head.activation == "softmax"


def _activations(analysis: Analysis) -> list[str]:
    """The function of every activation layer the script builds (not the head's softmax)."""
    built: list[str] = [
        record.layer.activation
        for record in analysis.layers
        if isinstance(record.layer, Activation)
        or (isinstance(record.layer, Conv2D | Dense) and record.layer.activation != "linear")
    ]
    return built[:-1] if _softmax_head(analysis) else built


def _docstring(analysis: Analysis) -> str:
    rows = "\n".join(
        f"    {r.name:<24} {format_shape(r.output_shape or ()):<16} {r.params or 0:>9,} parameters"
        for r in analysis.layers
    )
    channels_first = (
        " This spec is channels_first: the table\nshows its shapes as (C, H, W); weights have the "
        "same layout in both formats."
        if analysis.data_format == "channels_first"
        else ""
    )
    return f'''"""{analysis.name}: a convolutional network in plain NumPy, trained on MNIST.

Generated by `cnncalc export --to numpy`; run `python model.py --epochs 1`.

Layers (output shapes without the batch axis; {analysis.trainable_params:,} trainable parameters):
{rows}

Every array is batch first and channels last: (N, H, W, C) or (N, F).{channels_first}
Each layer keeps in its forward pass what its backward pass needs; the backward pass stores
the layer's weight gradients and returns its input's gradient. The loss is softmax
cross-entropy (the last layer's softmax is part of it); Adam updates the weights.
"""'''


def _build_model(analysis: Analysis) -> str:
    shape = analysis.input_shape
    if len(shape) == 3 and analysis.data_format == "channels_first":
        shape = (shape[1], shape[2], shape[0])
    last = len(analysis.layers) - 1
    calls = "".join(
        f"\n        {line}"
        for index, record in enumerate(analysis.layers)
        for line in _constructors(record, analysis.data_format, index == last and _softmax_head(analysis))
    )
    return f'''INPUT_SHAPE = {shape}  # one sample as the layers take it


def build_model(rng: np.random.Generator) -> list[Layer]:
    """The layers in order, as the spec lists them."""
    return [{calls}
    ]'''


def _constructors(record: LayerRecord, data_format: DataFormat, softmax_head: bool) -> list[str]:
    """The lines that build one spec layer: a comment naming it, its constructor, its activation
    (the head's softmax is left to the loss)."""
    layer = record.layer
    # Keras' Dense and softmax act on the last axis, which for a channels_first map is the width.
    on_width = data_format == "channels_first" and len(record.input_shape or ()) == 3
    lines = [f"# {record.name}: {format_shape(record.output_shape or ())}"]
    if not (softmax_head and isinstance(layer, Activation)):
        lines.append(f"{_CONSTRUCTORS[type(layer)](record, on_width)},")
    if isinstance(layer, Conv2D | Dense | Activation) and layer.activation == "softmax" and softmax_head:
        lines.append("# and its softmax, which the loss (cross_entropy) applies")
    elif isinstance(layer, Conv2D | Dense) and layer.activation != "linear":
        lines.append(f"{_activation_call(layer.activation, on_width)},")
    return lines


def _arguments(**values: tuple[object, object]) -> str:
    """``, name=value`` for each value that differs from its default; given as (value, default)."""
    return "".join(
        f", {key}={_literal(value)}" for key, (value, default) in values.items() if value != default
    )


def _literal(value: object) -> str:
    """Python source for a value, strings in double quotes."""
    return f'"{value}"' if isinstance(value, str) else repr(value)


def _windows(record: LayerRecord) -> tuple[AxisWindow, AxisWindow]:
    if record.windows is None:
        raise ValueError(f"layer {record.name} has no windows in its record")
    return record.windows


def _padding(record: LayerRecord) -> tuple[tuple[int, int], tuple[int, int]]:
    rows, cols = _windows(record)
    return (rows.pad_before, rows.pad_after), (cols.pad_before, cols.pad_after)


def _kernel_shape(record: LayerRecord) -> tuple[int, ...]:
    if not record.weights:
        raise ValueError(f"layer {record.name} has no weights in its record")
    return record.weights[0].shape


def _conv(record: LayerRecord, on_width: bool) -> str:
    layer = record.layer
    assert isinstance(layer, Conv2D)
    rows, cols = _windows(record)
    options = _arguments(
        strides=((rows.strides, cols.strides), (1, 1)),
        dilation=((rows.dilation, cols.dilation), (1, 1)),
        padding=(_padding(record), ((0, 0), (0, 0))),
        pad_mode=(layer.padding_mode, "zeros"),
        groups=(layer.groups, 1),
        use_bias=(layer.use_bias, True),
    )
    return f"Conv2D({_kernel_shape(record)}{options})"


def _pool(record: LayerRecord, on_width: bool) -> str:
    layer = record.layer
    assert isinstance(layer, Pool2D)
    rows, cols = _windows(record)
    padding = _padding(record)
    mode = "ignore" if rows.same else layer.padding_mode
    options = "" if padding == ((0, 0), (0, 0)) else f", {padding}, {_literal(mode)}"
    return f"{type(layer).__name__}({(rows.kernel, cols.kernel)}, {(rows.strides, cols.strides)}{options})"


def _dense(record: LayerRecord, on_width: bool) -> str:
    layer = record.layer
    assert isinstance(layer, Dense)
    fan_in, units = _kernel_shape(record)
    options = _arguments(use_bias=(layer.use_bias, True), axis=(2 if on_width else -1, -1))
    return f"Dense({fan_in}, {units}{options})"


def _activation_call(function: str, on_width: bool) -> str:
    axis = ", axis=2" if on_width and function == "softmax" else ""
    return f'Activation("{function}"{axis})'


def _activation(record: LayerRecord, on_width: bool) -> str:
    assert isinstance(record.layer, Activation)
    return _activation_call(record.layer.activation, on_width)


def _batchnorm(record: LayerRecord, on_width: bool) -> str:
    layer = record.layer
    assert isinstance(layer, BatchNorm)
    options = _arguments(momentum=(layer.momentum, 0.99), epsilon=(layer.epsilon, 1e-3))
    return f"BatchNorm({_kernel_shape(record)[0]}{options})"


def _dropout(record: LayerRecord, on_width: bool) -> str:
    assert isinstance(record.layer, Dropout)
    return f"Dropout({record.layer.rate!r}, rng)"


_CONSTRUCTORS: dict[type[LayerBase], Callable[[LayerRecord, bool], str]] = {
    Conv2D: _conv,
    MaxPool2D: _pool,
    AvgPool2D: _pool,
    Dense: _dense,
    Flatten: lambda record, on_width: "Flatten()",
    Dropout: _dropout,
    Activation: _activation,
    BatchNorm: _batchnorm,
    GlobalAvgPool2D: lambda record, on_width: "GlobalAvgPool2D()",
    GlobalMaxPool2D: lambda record, on_width: "GlobalMaxPool2D()",
    ZeroPad2D: lambda record, on_width: f"ZeroPad2D({_padding(record)})",
}
"""The script's constructor call for each spec class (``on_width``: Dense and softmax act on
a channels_first map's width)."""

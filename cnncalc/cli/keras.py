"""``cnncalc crosscheck`` and ``cnncalc import-keras``: the commands that need Keras (or, for
``crosscheck --engine onnxruntime``, ONNX Runtime)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cnncalc.cli.common import ForceOption, SpecFiles, stdout
from cnncalc.cli.export import OutputFile
from cnncalc.cli.reports import Engine, check_file, crosscheck_report
from cnncalc.files import Output, check_outputs, write_atomic


def crosscheck(
    files: SpecFiles,
    engine: Annotated[
        Engine,
        typer.Option(
            "--engine",
            help="keras builds each spec in Keras; onnxruntime exports it to ONNX and runs it.",
            case_sensitive=False,
        ),
    ] = Engine.KERAS,
) -> None:
    """Build (or run) each spec in another engine and compare every layer's output shape and
    parameters with cnncalc's."""
    if engine is Engine.KERAS:
        from cnncalc.backends.keras import keras_required

        keras_required()
    else:
        from cnncalc.backends.onnx import onnx_required, onnxruntime_required

        onnx_required()
        onnxruntime_required()
    console = stdout()
    codes = []
    for number, report in enumerate(check_file(path) for path in files):
        if number:
            console.print()
        codes.append(crosscheck_report(report, console, engine))
    raise typer.Exit(max(codes))


def import_keras(
    model_file: Annotated[
        Path, typer.Argument(help="A saved Keras model (.keras, or legacy .h5).", show_default=False)
    ],
    output: OutputFile = None,
    force: ForceOption = False,
    input_shape: Annotated[
        str | None,
        typer.Option(
            "--input-shape",
            help="The input sizes, batch excluded (224,224,3), for a model that leaves them open.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Turn a saved Keras model (Sequential or functional) into a spec. The model is loaded with Keras'
    safe_mode: no Python code stored in the file (Lambda layers) runs."""
    from cnncalc.backends.keras.files import check_model_file

    if output is not None:
        check_outputs([Output(output, "-o")], force=force)
    check_model_file(model_file)  # milliseconds, before TensorFlow's seconds
    shape = _shape(input_shape)
    from cnncalc.backends.keras.convert import from_model, load_model
    from cnncalc.spec.writer import spec_yaml

    spec = from_model(load_model(model_file), input_shape=shape)
    comment = (
        f"Imported from {model_file.name} by cnncalc import-keras.\n"
        "Loaded with Keras' safe_mode: no Python code stored in the file ran."
    )
    text = spec_yaml(spec, comment=comment)
    if output is None:
        typer.echo(text, nl=False)
    else:
        write_atomic(output, text, force=force)


def _shape(text: str | None) -> tuple[int, ...] | None:
    """``224,224,3`` → ``(224, 224, 3)``."""
    if text is None:
        return None
    try:
        sizes = tuple(int(part) for part in text.replace(" ", "").split(","))
    except ValueError:
        sizes = ()
    if not sizes or any(size < 1 for size in sizes):
        raise typer.BadParameter(
            f"{text!r} is not sizes separated by commas, e.g. 224,224,3", param_hint="'--input-shape'"
        )
    return sizes

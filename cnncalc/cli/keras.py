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
    model_file: Annotated[Path, typer.Argument(help="A saved Keras model (.keras).", show_default=False)],
    output: OutputFile = None,
    force: ForceOption = False,
) -> None:
    """Turn a saved Keras model (Sequential, or functional and shaped like one) into a spec."""
    from cnncalc.backends.keras.convert import from_model, load_model, spec_yaml

    if output is not None:
        check_outputs([Output(output, "-o")], force=force)
    spec = from_model(load_model(model_file))
    text = spec_yaml(spec, comment=f"Imported from {model_file.name} by cnncalc import-keras.")
    if output is None:
        typer.echo(text, nl=False)
    else:
        write_atomic(output, text, force=force)

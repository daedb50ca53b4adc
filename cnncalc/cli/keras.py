"""``cnncalc crosscheck`` and ``cnncalc import-keras``: the commands that need Keras (or, for
``crosscheck --engine onnxruntime``, ONNX Runtime)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from cnncalc.cli.check import check_file
from cnncalc.cli.common import ExitCode, ForceOption, SpecFiles, stdout
from cnncalc.cli.export import OutputFile, refuse_to_overwrite
from cnncalc.files import write_atomic
from cnncalc.render import Failure, Report
from cnncalc.shapes.records import Analysis


class Engine(StrEnum):
    """The oracle a cross-check asks."""

    KERAS = "keras"
    ONNXRUNTIME = "onnxruntime"


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
    """Build (or run) each spec in another engine and compare every layer's output shape and parameters
    with cnncalc's."""
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
        codes.append(_crosscheck(report, console, engine))
    raise typer.Exit(max(codes))


def crosscheck_reports(reports: list[Report]) -> ExitCode:
    """``check --keras``: cross-check every spec that loaded (``check`` has reported the others)."""
    console = stdout()
    codes = [ExitCode.OK]
    for report in reports:
        if isinstance(report, Analysis):
            console.print()
            codes.append(_crosscheck(report, console))
    return max(codes)


def _crosscheck(report: Report, console: Console, engine: Engine = Engine.KERAS) -> ExitCode:
    """Print one file's cross-check: 2 if it cannot be read, 1 if the engines disagree or the spec has
    errors, else 0."""
    from cnncalc.render.crosscheck import keras_comparison, render_comparison
    from cnncalc.render.table import render_table

    if isinstance(report, Failure):
        render_table([report], console)
        return ExitCode.ERROR
    if engine is Engine.KERAS:
        from cnncalc.backends.keras.crosscheck import crosscheck as keras_crosscheck

        result = keras_comparison(keras_crosscheck(report))
    else:
        from cnncalc.backends.onnx.crosscheck import crosscheck as onnx_crosscheck

        result = onnx_crosscheck(report)
    render_comparison(result, console)
    return ExitCode.OK if result.ok and report.ok else ExitCode.FINDINGS


def import_keras(
    model_file: Annotated[Path, typer.Argument(help="A saved Keras model (.keras).", show_default=False)],
    output: OutputFile = None,
    force: ForceOption = False,
) -> None:
    """Turn a saved Keras model (Sequential, or functional and shaped like one) into a spec."""
    from cnncalc.backends.keras.convert import from_model, load_model, spec_yaml

    refuse_to_overwrite(output, force)
    spec = from_model(load_model(model_file))
    text = spec_yaml(spec, comment=f"Imported from {model_file.name} by cnncalc import-keras.")
    if output is None:
        typer.echo(text, nl=False)
    else:
        write_atomic(output, text, force=force)

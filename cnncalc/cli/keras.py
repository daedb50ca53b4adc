"""``cnncalc crosscheck`` and ``cnncalc import-keras``: the commands that need Keras."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cnncalc.cli.common import ForceOption, SpecFiles, stdout
from cnncalc.cli.export import OutputFile
from cnncalc.cli.reports import check_file, crosscheck_report
from cnncalc.files import Output, check_outputs, write_atomic


def crosscheck(files: SpecFiles) -> None:
    """Build each spec in Keras and compare every layer's output shape and parameters with cnncalc's."""
    from cnncalc.backends.keras import keras_required

    keras_required()
    console = stdout()
    codes = []
    for number, report in enumerate(check_file(path) for path in files):
        if number:
            console.print()
        codes.append(crosscheck_report(report, console))
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

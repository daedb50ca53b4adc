"""The ``cnncalc`` command: thin typer commands over the library."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from cnncalc import __version__
from cnncalc.cli import check, export, keras, lint, onnx, pictures, train
from cnncalc.cli.common import paragraphs, reporting_errors

app = typer.Typer(
    name="cnncalc",
    help="Shapes, parameter counts and problems of a CNN spec, before you train it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
for command in (
    check.check,
    check.schema,
    lint.rules,
    lint.rule,
    lint.solve,
    keras.crosscheck,
    keras.import_keras,
    onnx.import_onnx,
    export.export,
    train.train,
    pictures.diagram,
    pictures.report,
):
    app.command(help=paragraphs(command.__doc__ or ""))(reporting_errors(command))


def _version(value: bool) -> None:
    if value:
        typer.echo(f"cnncalc {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Shapes, parameter counts and problems of a CNN spec, before you train it."""


def main() -> None:
    """Entry point of the ``cnncalc`` console script."""
    # The first time pydantic builds a validator it looks for plugins in every installed package's
    # metadata: tens of milliseconds with TensorFlow installed. The command line uses no plugin.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    app()

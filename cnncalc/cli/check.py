"""``cnncalc check`` and ``cnncalc schema``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, assert_never

import typer

from cnncalc.api import analyze
from cnncalc.cli.common import (
    ExitCode,
    ForceOption,
    FormatOption,
    OutputFormat,
    SpecFiles,
    stdout,
)
from cnncalc.errors import SpecError
from cnncalc.files import write_atomic
from cnncalc.render import Failure, Report


def check(
    files: SpecFiles,
    output_format: FormatOption = OutputFormat.TABLE,
    explain: Annotated[
        bool, typer.Option("--explain", help="Show each layer's formula with the numbers in.")
    ] = False,
    keras: Annotated[
        bool, typer.Option("--keras", help="Then build each spec in Keras and compare (as crosscheck).")
    ] = False,
) -> None:
    """Print every layer's output shape and parameter count, and stop at impossible layers."""
    if keras and output_format is not OutputFormat.TABLE:
        raise typer.BadParameter("--keras prints tables; leave out --format", param_hint="'--keras'")
    reports = [check_file(path) for path in files]
    match output_format:
        case OutputFormat.TABLE:
            from cnncalc.render.table import render_table

            render_table(reports, stdout(), explain=explain)
        case OutputFormat.JSON:
            from cnncalc.render.json import render_json

            typer.echo(render_json(reports))
        case OutputFormat.MARKDOWN:
            from cnncalc.render.markdown import render_markdown

            typer.echo(render_markdown(reports, explain=explain), nl=False)
        case _ as unreachable:
            assert_never(unreachable)
    code = max(exit_code(report) for report in reports)
    if keras:
        from cnncalc.cli.keras import crosscheck_reports

        code = max(code, crosscheck_reports(reports))
    raise typer.Exit(code)


def check_file(path: Path) -> Report:
    """Load and analyse one file; a file that cannot be read or validated becomes a failure."""
    try:
        return analyze(path)
    except SpecError as exc:
        return Failure(str(path), exc)


def exit_code(report: Report) -> ExitCode:
    """2 for a bad file, 1 for error findings, else 0."""
    if isinstance(report, Failure):
        return ExitCode.ERROR
    return ExitCode.OK if report.ok else ExitCode.FINDINGS


def schema(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")
    ] = None,
    force: ForceOption = False,
) -> None:
    """Print the JSON Schema of the spec language (for yaml-language-server and editors)."""
    from cnncalc.spec.schema import spec_json_schema

    text = json.dumps(spec_json_schema(), indent=2) + "\n"
    if output is None:
        typer.echo(text, nl=False)
    else:
        write_atomic(output, text, force=force)

"""``cnncalc check`` and ``cnncalc schema``."""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Annotated, assert_never

import typer

from cnncalc.api import paused_collection
from cnncalc.cli.common import (
    ExitCode,
    ForceOption,
    FormatOption,
    OutputFormat,
    SpecFiles,
    stdout,
)
from cnncalc.cost.conventions import Convention
from cnncalc.cost.measures import Measures
from cnncalc.cost.memory import Dtype
from cnncalc.diagnostics import Severity
from cnncalc.errors import SpecError
from cnncalc.files import write_atomic
from cnncalc.linter.config import LintConfig, find_config, selectors
from cnncalc.linter.runner import lint
from cnncalc.render import Failure, Report
from cnncalc.render.columns import Column
from cnncalc.shapes.engine import analyze
from cnncalc.spec.loader import load_file

SelectOption = Annotated[
    list[str] | None,
    typer.Option(
        "--select",
        help="Run only these rules: codes (CNN110), prefixes (CNN2) or names; comma-separated or repeated.",
        show_default=False,
    ),
]
IgnoreOption = Annotated[
    list[str] | None,
    typer.Option(
        "--ignore", help="Do not run these rules (added to the configured ones).", show_default=False
    ),
]
ColumnsOption = Annotated[
    list[str] | None,
    typer.Option(
        "--columns",
        help="Table columns, comma-separated or repeated: "
        + ",".join(column.value for column in Column)
        + " (default: output,params, and connected when the network branches).",
        show_default=False,
        metavar="COLUMN,...",
    ),
]
ConventionOption = Annotated[
    Convention | None,
    typer.Option(
        "--flops-convention",
        help="Whose FLOPs to report: the figure that tool prints (default: 2·MACs).",
        case_sensitive=False,
        show_default=False,
    ),
]
DtypeOption = Annotated[
    Dtype,
    typer.Option("--dtype", help="Number type of weights and activations, for bytes.", case_sensitive=False),
]
BatchSizeOption = Annotated[
    int,
    typer.Option("--batch-size", min=1, help="Samples per batch, for torchinfo's and the training estimate."),
]
StrictOption = Annotated[
    bool | None,
    typer.Option(
        "--strict/--no-strict",
        help="Warnings make the exit code 1 (default: pyproject.toml's \\[tool.cnncalc] strict, else off).",
        show_default=False,
    ),
]


def check(
    files: SpecFiles,
    *,
    output_format: FormatOption = OutputFormat.TABLE,
    explain: Annotated[
        bool, typer.Option("--explain", help="Show each layer's formula with the numbers in.")
    ] = False,
    select: SelectOption = None,
    ignore: IgnoreOption = None,
    strict: StrictOption = None,
    keras: Annotated[
        bool, typer.Option("--keras", help="Then build each spec in Keras and compare (as crosscheck).")
    ] = False,
    columns: ColumnsOption = None,
    flops_convention: ConventionOption = None,
    dtype: DtypeOption = Dtype.FLOAT32,
    batch_size: BatchSizeOption = 1,
) -> None:
    """Print every layer's output shape and parameter count, and what is wrong with the network.

    Settings come from the nearest pyproject.toml with a \\[tool.cnncalc] table; --select and --strict
    replace them, --ignore adds to them, and a spec's own `lint: ignore` adds to both.
    """
    if keras and output_format is not OutputFormat.TABLE:
        raise typer.BadParameter("--keras prints tables; leave out --format", param_hint="'--keras'")
    shown = None if columns is None else parse_columns(columns)
    measures = Measures(flops_convention, dtype, batch_size)
    chosen = None if select is None else selectors(select, "--select", ignoring=False)
    ignored = selectors(ignore or [], "--ignore", ignoring=True)
    configs = [find_config(path.parent).override(chosen, ignored, strict) for path in files]
    reports = [check_file(path, config) for path, config in zip(files, configs, strict=True)]
    match output_format:
        case OutputFormat.TABLE:
            from cnncalc.render.table import render_table

            render_table(reports, stdout(), explain=explain, columns=shown, measures=measures)
        case OutputFormat.JSON:
            from cnncalc.render.json import render_json

            typer.echo(render_json(reports, measures))
        case OutputFormat.MARKDOWN:
            from cnncalc.render.markdown import render_markdown

            typer.echo(render_markdown(reports, explain=explain, columns=shown, measures=measures), nl=False)
        case OutputFormat.GITHUB:
            from cnncalc.render.github import render_github

            typer.echo(render_github(reports), nl=False)
        case OutputFormat.TREE:
            from cnncalc.render.tree import render_tree

            render_tree(reports, stdout())
        case _ as unreachable:
            assert_never(unreachable)
    code = max(exit_code(report, config.strict) for report, config in zip(reports, configs, strict=True))
    if keras:
        from cnncalc.cli.keras import crosscheck_reports

        code = max(code, crosscheck_reports(reports))
    raise typer.Exit(code)


def parse_columns(values: list[str]) -> tuple[Column, ...]:
    """``--columns`` values (comma-separated or repeated) as columns; an unknown one is an error with a
    "did you mean"."""
    names = [name.strip().lower() for value in values for name in value.split(",") if name.strip()]
    known = [column.value for column in Column]
    for name in names:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f" (did you mean `{close[0]}`?)" if close else f"; columns: {', '.join(known)}"
            raise typer.BadParameter(f"no column `{name}`{hint}", param_hint="'--columns'")
    return tuple(Column(name) for name in names)


def check_file(path: Path, config: LintConfig | None = None) -> Report:
    """Load, analyse and lint one file; a file that cannot be read or validated becomes a failure."""
    try:
        with paused_collection():
            loaded = load_file(path)
            return lint(analyze(loaded.spec, loaded.source), config, loaded.source)
    except SpecError as exc:
        return Failure(str(path), exc)


def exit_code(report: Report, strict: bool = False) -> ExitCode:
    """2 for a bad file, 1 for error findings (and, if ``strict``, warnings), else 0."""
    if isinstance(report, Failure):
        return ExitCode.ERROR
    failing = (Severity.ERROR, Severity.WARNING) if strict else (Severity.ERROR,)
    return ExitCode.FINDINGS if any(d.severity in failing for d in report.diagnostics) else ExitCode.OK


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

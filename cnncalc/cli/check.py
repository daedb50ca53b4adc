"""``cnncalc check`` and ``cnncalc schema``."""

from __future__ import annotations

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
from cnncalc.diagnostics import Severity
from cnncalc.errors import SpecError
from cnncalc.files import write_atomic
from cnncalc.linter.config import LintConfig, find_config, selectors
from cnncalc.linter.runner import lint
from cnncalc.render import Failure, Report
from cnncalc.shapes.engine import analyze
from cnncalc.spec.loader import LoadedSpec, SourceMap, load_file

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
) -> None:
    """Print every layer's output shape and parameter count, and what is wrong with the network.

    Settings come from the nearest pyproject.toml with a \\[tool.cnncalc] table; --select and --strict
    replace them, --ignore adds to them, and a spec's own `lint: ignore` adds to both.
    """
    if keras and output_format is not OutputFormat.TABLE:
        raise typer.BadParameter("--keras prints tables; leave out --format", param_hint="'--keras'")
    chosen = None if select is None else selectors(select, "--select", ignoring=False)
    ignored = selectors(ignore or [], "--ignore", ignoring=True)
    configs = [find_config(path.parent).override(chosen, ignored, strict) for path in files]
    reports = [check_file(path, config) for path, config in zip(files, configs, strict=True)]
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


def check_file(path: Path, config: LintConfig | None = None) -> Report:
    """Load, analyse and lint one file (a spec, or an ONNX model: ``.onnx``); a file that cannot be
    read or validated becomes a failure."""
    try:
        with paused_collection():
            loaded = load_onnx(path) if path.suffix.lower() == ".onnx" else load_file(path)
            return lint(analyze(loaded.spec, loaded.source), config, loaded.source)
    except SpecError as exc:
        return Failure(str(path), exc)


def load_onnx(path: Path) -> LoadedSpec:
    """An ONNX model as a spec (ONNX is imported only here, for ``.onnx`` files)."""
    from cnncalc.backends.onnx.convert import import_onnx

    return LoadedSpec(import_onnx(path), SourceMap(str(path)))


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

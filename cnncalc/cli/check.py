"""``cnncalc check`` and ``cnncalc schema``."""

from __future__ import annotations

import difflib
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from cnncalc.cli.common import (
    ExitCode,
    ForceOption,
    FormatOption,
    SpecFiles,
    stderr,
    stdout,
)
from cnncalc.cli.reports import STDIN, check_file, crosscheck_report, exit_code
from cnncalc.cost.conventions import Convention
from cnncalc.cost.measures import Measures
from cnncalc.cost.memory import Dtype
from cnncalc.files import Output, check_outputs, write_atomic
from cnncalc.linter.config import LintConfig, find_config, selectors
from cnncalc.linter.registry import RULES
from cnncalc.linter.rule import LintRule
from cnncalc.render import Report, View
from cnncalc.render.columns import Column
from cnncalc.render.formats import OutputFormat, format_report
from cnncalc.shapes.records import Analysis
from cnncalc.spec.discover import find_specs

SelectOption = Annotated[
    list[str] | None,
    typer.Option(
        "--select",
        help="Run only these rules: codes (CNN110), prefixes (CNN2), names or ALL; comma-separated "
        "or repeated.",
        show_default=False,
    ),
]
ExtendSelectOption = Annotated[
    list[str] | None,
    typer.Option(
        "--extend-select", help="Run these rules too, besides the selected ones.", show_default=False
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
        + ", ".join(column.value for column in Column)
        + " (default: output and params, and connected when the network branches).",
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
StrictOption = Annotated[
    bool | None,
    typer.Option(
        "--strict/--no-strict",
        help="Info findings fail too (default: pyproject.toml's \\[tool.cnncalc] strict, else off).",
        show_default=False,
    ),
]


def check(
    files: SpecFiles,
    *,
    output_format: FormatOption = OutputFormat.TABLE,
    output_file: Annotated[
        Path | None,
        typer.Option("--output-file", "-o", help="Write the report to this file instead of stdout."),
    ] = None,
    force: ForceOption = False,
    explain: Annotated[
        bool, typer.Option("--explain", help="Show each layer's formula with the numbers in.")
    ] = False,
    batch_size: Annotated[
        int | None,
        typer.Option(
            "--batch-size",
            min=1,
            help="Show shapes with this batch size first, (32, 28, 28, 6), and estimate memory for it "
            "(default 1).",
        ),
    ] = None,
    batch_axis: Annotated[
        bool, typer.Option("--batch-axis", help="Show shapes with a batch axis, as Keras: (None, 28, 28, 6).")
    ] = False,
    depth: Annotated[
        int | None,
        typer.Option(
            "--depth", min=0, help="Fold the layers of block uses nested deeper than N into one row each."
        ),
    ] = None,
    select: SelectOption = None,
    extend_select: ExtendSelectOption = None,
    ignore: IgnoreOption = None,
    strict: StrictOption = None,
    exit_zero: Annotated[
        bool, typer.Option("--exit-zero", help="Exit 0 even with findings (2 stays 2: files not loaded).")
    ] = False,
    max_warnings: Annotated[
        int | None,
        typer.Option("--max-warnings", min=0, help="Fail on warnings only when there are more than N."),
    ] = None,
    statistics: Annotated[
        bool, typer.Option("--statistics", help="Count the findings per rule instead of listing them.")
    ] = False,
    show_settings: Annotated[
        bool, typer.Option("--show-settings", help="Show the settings each FILE is checked with, and exit.")
    ] = False,
    keras: Annotated[
        bool, typer.Option("--keras", help="Then build each spec in Keras and compare (as crosscheck).")
    ] = False,
    columns: ColumnsOption = None,
    flops_convention: ConventionOption = None,
    dtype: DtypeOption = Dtype.FLOAT32,
) -> None:
    """Print every layer's output shape and parameter count, and what is wrong with the network.

    Exits 1 when an error or a warning is reported (and, with --strict, an info finding), 2 when a
    file cannot be read or validated. Settings come from the nearest pyproject.toml with a
    \\[tool.cnncalc] table; --select and --strict replace them, --extend-select and --ignore add to
    them, and a spec's own `lint: ignore` (and a layer's) adds to all.
    """
    if keras and (output_format is not OutputFormat.TABLE or output_file is not None or statistics):
        raise typer.BadParameter("--keras prints tables; leave out --format, -o and --statistics")
    if batch_size is not None and batch_axis:
        raise typer.BadParameter("give --batch-size or --batch-axis, not both", param_hint="'--batch-axis'")
    if statistics and output_format not in {OutputFormat.TABLE, OutputFormat.CONCISE, OutputFormat.JSON}:
        raise typer.BadParameter("--statistics prints text, or JSON with --format json")
    if output_file is not None:
        check_outputs([Output(output_file, "--output-file")], force=force)
    shown_columns = None if columns is None else parse_columns(columns)
    measures = Measures(flops_convention, dtype, batch_size or 1)
    chosen = None if select is None else selectors(select, "--select", ignoring=False)
    extended = selectors(extend_select or [], "--extend-select", ignoring=False)
    ignored = selectors(ignore or [], "--ignore", ignoring=True)

    def configure(config: LintConfig) -> LintConfig:
        return config.override(chosen, ignored, strict, extended)

    if show_settings:
        shown = _settings(files, configure, max_warnings=max_warnings, exit_zero=exit_zero)
        text = (
            json.dumps(shown, indent=2) + "\n"
            if output_format is OutputFormat.JSON
            else _settings_text(shown)
        )
        typer.echo(text, nl=False)
        return
    paths, skipped = find_specs(files)
    for file in skipped:
        stderr().print(f"note: skipped {file.path}: not a spec ({file.reason})", markup=False, soft_wrap=True)
    if not paths:
        stderr().print("warning: no spec found", soft_wrap=True)
    configs = _configs(paths, configure)
    reports = [check_file(path, config) for path, config in zip(paths, configs, strict=True)]
    console = stdout() if output_file is None else _file_console()
    if statistics:
        from cnncalc.render.statistics import render_statistics

        text = render_statistics(reports, as_json=output_format is OutputFormat.JSON)
    else:
        batch = str(batch_size) if batch_size else ("None" if batch_axis else None)
        view = View(explain, batch, depth, shown_columns, measures)
        several = len(files) > 1 or any(path.is_dir() for path in files)
        text = format_report(reports, output_format, view, console, as_list=several, batch_size=batch_size)
    if output_file is None:
        typer.echo(text, nl=False)
    else:
        write_atomic(output_file, text, force=force)
    code = exit_code(reports, configs, max_warnings=max_warnings, exit_zero=exit_zero)
    if keras:
        code = max(code, _crosscheck(reports, console))
    raise typer.Exit(code)


def parse_columns(values: list[str]) -> tuple[str, ...]:
    """``--columns`` values (comma-separated or repeated) as column names; an unknown one is an error
    with a "did you mean"."""
    names = [name.strip().lower() for value in values for name in value.split(",") if name.strip()]
    known = [column.value for column in Column]
    for name in names:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f" (did you mean `{close[0]}`?)" if close else f"; columns: {', '.join(known)}"
            raise typer.BadParameter(f"no column `{name}`{hint}", param_hint="'--columns'")
    return tuple(names)


def _configs(paths: list[Path], configure: Callable[[LintConfig], LintConfig]) -> list[LintConfig]:
    """Each file's settings: its folder's pyproject.toml (the working folder's for stdin, the
    folder's own for a folder) with the command line's over them."""
    found: dict[Path, LintConfig] = {}
    configs = []
    for path in paths:
        folder = Path.cwd() if path == STDIN else (path if path.is_dir() else path.parent)
        if folder not in found:
            found[folder] = find_config(folder)
        configs.append(configure(found[folder]))
    return configs


def _file_console() -> Console:
    """The console for ``--output-file``: no colours, and wide (tables are never cut anyway)."""
    return Console(file=io.StringIO(), width=120, color_system=None, highlight=False)


def _crosscheck(reports: list[Report], console: Console) -> ExitCode:
    """``check --keras``: cross-check every spec that loaded (``check`` has reported the others)."""
    from cnncalc.backends.keras import keras_required

    keras_required()
    codes = [ExitCode.OK]
    for report in reports:
        if isinstance(report, Analysis):
            console.print()
            codes.append(crosscheck_report(report, console))
    return max(codes)


def _settings(
    files: list[Path],
    configure: Callable[[LintConfig], LintConfig],
    *,
    max_warnings: int | None,
    exit_zero: bool,
) -> list[dict[str, Any]]:
    """``--show-settings``: for each FILE, where its settings come from and which rules run."""
    shown = []
    for file, config in zip(files, _configs(files, configure), strict=True):
        running = [
            rule.code
            for rule in RULES
            if rule.always_reported or (isinstance(rule, LintRule) and config.enabled(rule))
        ]
        shown.append(
            {
                "file": str(file),
                "settings_file": str(config.origin) if config.origin else None,
                "select": list(config.select) if config.select is not None else ["ALL"],
                "extend_select": list(config.extend_select),
                "ignore": list(config.ignore),
                "strict": config.strict,
                "max_warnings": max_warnings,
                "exit_zero": exit_zero,
                "rules": running,
            }
        )
    return shown


def _settings_text(shown: list[dict[str, Any]]) -> str:
    lines = []
    for entry in shown:
        strict, max_warnings = entry["strict"], entry["max_warnings"]
        lines += [
            f"Settings for {entry['file']}",
            f"  settings file: {entry['settings_file'] or 'none (the defaults)'}",
            *(
                f"  {key.replace('_', '-')}: {', '.join(entry[key]) or '-'}"
                for key in ("select", "extend_select", "ignore")
            ),
            f"  strict: {str(strict).lower()} (info findings {'fail' if strict else 'pass'})",
            f"  max-warnings: {'none (any warning fails)' if max_warnings is None else max_warnings}",
            f"  exit-zero: {str(entry['exit_zero']).lower()}",
            f"  rules ({len(entry['rules'])}): {', '.join(entry['rules'])}",
        ]
    return "\n".join(lines) + "\n"


def schema(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")
    ] = None,
    force: ForceOption = False,
) -> None:
    """Print the JSON Schema of the spec language (for yaml-language-server and editors)."""
    from cnncalc.spec.schema import spec_json_schema

    if output is not None:
        check_outputs([Output(output, "-o")], force=force)
    text = json.dumps(spec_json_schema(), indent=2) + "\n"
    if output is None:
        typer.echo(text, nl=False)
    else:
        write_atomic(output, text, force=force)

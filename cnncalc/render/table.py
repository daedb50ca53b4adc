"""The terminal report: a rich table per file, like Keras' ``summary()``, then the findings.

Nothing is ever cut to fit the terminal: names, shapes and counts never wrap or end in "…". A table
wider than the terminal is printed whole (the terminal wraps its lines, a pipe keeps them); with
``--explain``, formulas that do not fit beside the table go under it, one whole formula per line.
"""

from __future__ import annotations

import io

from rich.console import Console, RenderableType
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from cnncalc.diagnostics import Diagnostic, Severity
from cnncalc.render import PLAIN, Failure, Report, View
from cnncalc.render.columns import (
    SPECS,
    Column,
    Row,
    chosen_columns,
    cost_totals,
    input_cells,
    row_cells,
    rows,
)
from cnncalc.render.escape import visible
from cnncalc.render.text import findings_summary, totals, where
from cnncalc.shapes.records import Analysis

SEVERITY_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def render_table(reports: list[Report], console: Console, view: View = PLAIN) -> None:
    """Print every report; problems with unreadable files go to the same console."""
    for number, report in enumerate(reports):
        if number:
            console.print()
        if isinstance(report, Failure):
            print_failure(report, console)
        else:
            _print_analysis(report, console, view)


def table_text(analysis: Analysis, *, width: int = 100, explain: bool = False) -> str:
    """One analysis as ``cnncalc check`` prints it, as plain text (``Analysis.summary()``)."""
    console = Console(file=io.StringIO(), width=width, color_system=None, highlight=False)
    with console.capture() as captured:
        render_table([analysis], console, View(explain=explain))
    return "\n".join(line.rstrip() for line in captured.get().splitlines()) + "\n"


def print_whole(console: Console, renderable: RenderableType) -> None:
    """Print ``renderable`` at its natural width, even where that is wider than the console."""
    natural = _natural_width(console, renderable)
    if natural <= console.width:
        console.print(renderable)
        return
    width = console.width
    console.width = natural
    try:
        console.print(renderable)
    finally:
        console.width = width


def _print_analysis(analysis: Analysis, console: Console, view: View) -> None:
    title = Text(visible(analysis.name), style="bold")
    if analysis.file:
        title.append(f"  {visible(analysis.file)}", style="dim")
    console.print(title, soft_wrap=True)
    table_rows = rows(analysis, view)
    columns = chosen_columns(analysis, view)
    table = _table(analysis, table_rows, columns, view, formulas=view.explain)
    if view.explain and _natural_width(console, table) > console.width:
        table = _table(analysis, table_rows, columns, view, formulas=False)
        print_whole(console, table)
        console.print("[bold]Formulas:[/bold]", highlight=False)
        for row in table_rows:
            for formula in row.formulas:
                console.print(Text(visible(f"  {row.records[0].name}: {formula}")), soft_wrap=True)
    else:
        print_whole(console, table)
    for label, value in [*totals(analysis), *cost_totals(analysis, columns, view)]:
        console.print(f"[bold]{label}:[/bold] {value}", highlight=False, soft_wrap=True)
    if analysis.diagnostics:
        console.print(f"[bold]Findings:[/bold] {findings_summary(analysis.diagnostics)}", highlight=False)
    for diagnostic in analysis.diagnostics:
        _print_diagnostic(console, diagnostic, where(analysis, diagnostic))


def _table(
    analysis: Analysis, table_rows: list[Row], columns: tuple[Column, ...], view: View, *, formulas: bool
) -> Table:
    table = Table(header_style="bold")
    table.add_column("#", justify="right", style="dim", no_wrap=True)
    table.add_column("Layer (type)", no_wrap=True)
    for column in columns:
        spec = SPECS[column]
        table.add_column(
            spec.header(view.measures), justify="right" if spec.numeric else "left", no_wrap=True
        )
    if formulas:
        table.add_column("Formula", no_wrap=True)
    table.add_row(*input_cells(analysis, columns, view), *([""] if formulas else []), style="dim")
    failed = {d.layer for d in analysis.errors}
    warned = {d.layer for d in analysis.diagnostics if d.severity is Severity.WARNING}
    for row in table_rows:
        indexes = {record.index for record in row.records}
        unreached = all(record.output_shape is None for record in row.records)
        style = "red" if indexes & failed else ("dim" if unreached else "")
        style = style or ("yellow" if indexes & warned else "")
        cells = [Text(visible(cell)) for cell in row_cells(row, columns, view)]  # never markup
        if formulas:
            cells.append(Text("\n".join(visible(line) for line in row.formulas)))
        table.add_row(*cells, style=style)
    return table


def _natural_width(console: Console, renderable: RenderableType) -> int:
    return Measurement.get(console, console.options.update(width=1_000_000), renderable).maximum


def _print_diagnostic(console: Console, diagnostic: Diagnostic, location: str) -> None:
    line = Text()
    line.append(f"{diagnostic.severity.value} {diagnostic.code}", style=SEVERITY_STYLE[diagnostic.severity])
    if location:
        line.append(f" {visible(location)}", style="bold")
    line.append(f": {visible(diagnostic.message)}")
    console.print(line, soft_wrap=True)
    if diagnostic.hint:
        console.print(Text(f"  hint: {visible(diagnostic.hint)}", style="dim"), soft_wrap=True)


def print_failure(failure: Failure, console: Console) -> None:
    """The problems that keep a file from loading, one per line, each with its hint."""
    for problem in failure.error.problems:
        line = Text("error", style=SEVERITY_STYLE[Severity.ERROR])
        line.append(f" {visible(str(problem))}")
        console.print(line, soft_wrap=True)
        if problem.hint:
            console.print(Text(f"  hint: {visible(problem.hint)}", style="dim"), soft_wrap=True)

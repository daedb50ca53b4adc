"""The terminal report: a rich table per file, like Keras' ``summary()``, then the findings."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from cnncalc.diagnostics import Diagnostic, Severity
from cnncalc.render import Failure, Report
from cnncalc.render.escape import visible
from cnncalc.render.text import connected_text, findings_summary, layer_cells, totals, where
from cnncalc.shapes.records import Analysis
from cnncalc.shapes.text import format_shape

SEVERITY_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def render_table(reports: list[Report], console: Console, *, explain: bool = False) -> None:
    """Print every report; problems with unreadable files go to the same console."""
    for number, report in enumerate(reports):
        if number:
            console.print()
        if isinstance(report, Failure):
            print_failure(report, console)
        else:
            _print_analysis(report, console, explain)


def _print_analysis(analysis: Analysis, console: Console, explain: bool) -> None:
    title = Text(visible(analysis.name), style="bold")
    if analysis.file:
        title.append(f"  {visible(analysis.file)}", style="dim")
    table = Table(title=title, title_justify="left", header_style="bold")
    table.add_column("#", justify="right", style="dim")
    table.add_column("Layer (type)")
    table.add_column("Output shape")
    table.add_column("Param #", justify="right")
    connected = analysis.branches
    if connected:
        table.add_column("Connected to")
    if explain:
        table.add_column("Formula", overflow="fold")
    table.add_row(
        "",
        f"input ({analysis.data_format})",
        format_shape(analysis.input_shape),
        "",
        *(["-"] if connected else []),
        *([""] if explain else []),
        style="dim",
    )
    failed = {d.layer for d in analysis.errors}
    warned = {d.layer for d in analysis.diagnostics if d.severity is Severity.WARNING}
    for record in analysis.layers:
        style = "red" if record.index in failed else ("dim" if record.output_shape is None else "")
        style = style or ("yellow" if record.index in warned else "")
        row = layer_cells(record)
        if connected:
            row.append(connected_text(record))
        cells = [Text(visible(cell)) for cell in row]  # Text: a name such as "[red]x" is no markup
        if explain:
            cells.append(Text("\n".join(visible(line) for line in record.explanation)))
        table.add_row(*cells, style=style)
    console.print(table)
    for label, value in totals(analysis):
        console.print(f"[bold]{label}:[/bold] {value}", highlight=False)
    if analysis.diagnostics:
        console.print(f"[bold]Findings:[/bold] {findings_summary(analysis.diagnostics)}", highlight=False)
    for diagnostic in analysis.diagnostics:
        _print_diagnostic(console, diagnostic, where(analysis, diagnostic))


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
    """Every problem of a file that could not be read or validated, with its hint."""
    for problem in failure.error.problems:
        line = Text("error", style=SEVERITY_STYLE[Severity.ERROR])
        line.append(f" {visible(str(problem))}")
        console.print(line, soft_wrap=True)
        if problem.hint:
            console.print(Text(f"  hint: {visible(problem.hint)}", style="dim"), soft_wrap=True)

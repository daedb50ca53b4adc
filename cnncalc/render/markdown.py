"""The Markdown report, for pull-request comments and docs."""

from __future__ import annotations

from collections.abc import Sequence

from cnncalc.cost.measures import STANDARD, Measures
from cnncalc.render import Failure, Report
from cnncalc.render.columns import SPECS, Column, chosen_columns, cost_totals, formulas, row_cells
from cnncalc.render.text import findings_summary, totals, where
from cnncalc.shapes.records import Analysis
from cnncalc.shapes.text import format_shape


def render_markdown(
    reports: list[Report],
    *,
    explain: bool = False,
    columns: Sequence[Column] | None = None,
    measures: Measures = STANDARD,
) -> str:
    """All reports as one Markdown document."""
    return (
        "\n\n".join(
            _failure(report)
            if isinstance(report, Failure)
            else _analysis(report, explain, chosen_columns(report, columns), measures)
            for report in reports
        )
        + "\n"
    )


def _analysis(analysis: Analysis, explain: bool, columns: Sequence[Column], measures: Measures) -> str:
    heading = f"### {analysis.name}" + (f" (`{analysis.file}`)" if analysis.file else "")
    specs = [SPECS[column] for column in columns]
    lines = [
        heading,
        "",
        f"Input {format_shape(analysis.input_shape)}, {analysis.data_format}.",
        "",
        "| # | Layer (type) |"
        + "".join(f" {spec.header(measures)} |" for spec in specs)
        + (" Formula |" if explain else ""),
        "|--:|---|"
        + "".join("--:|" if spec.numeric else "---|" for spec in specs)
        + ("---|" if explain else ""),
    ]
    for record in analysis.layers:
        cells = row_cells(record, columns, measures)
        if explain:
            cells.append("<br>".join(formulas(analysis, record)))
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    lines.append("")
    lines.extend(
        f"**{label}:** {value}  "
        for label, value in [*totals(analysis), *cost_totals(analysis, columns, measures)]
    )
    if analysis.diagnostics:
        lines.append(f"**Findings:** {findings_summary(analysis.diagnostics)}  ")
        lines.append("")
        for d in analysis.diagnostics:
            location = where(analysis, d)
            hint = f" *Hint: {d.hint}*" if d.hint else ""
            lines.append(
                f"- **{d.severity.value} {d.code}**{' ' + location if location else ''}: {d.message}.{hint}"
            )
    return "\n".join(lines)


def _failure(failure: Failure) -> str:
    lines = [f"### `{failure.file}`", ""]
    lines.extend(f"- **error**: {_cell(str(problem))}" for problem in failure.error.problems)
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")

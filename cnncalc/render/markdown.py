"""The Markdown report, for pull-request comments and docs."""

from __future__ import annotations

from cnncalc.render import PLAIN, Failure, Report, View
from cnncalc.render.columns import SPECS, chosen_columns, cost_totals, row_cells, rows
from cnncalc.render.escape import markdown, visible
from cnncalc.render.text import findings_summary, shape_text, totals, where
from cnncalc.shapes.records import Analysis


def render_markdown(reports: list[Report], view: View = PLAIN) -> str:
    """All reports as one Markdown document."""
    return (
        "\n\n".join(
            _failure(report) if isinstance(report, Failure) else _analysis(report, view) for report in reports
        )
        + "\n"
    )


def _analysis(analysis: Analysis, view: View) -> str:
    heading = f"### {markdown(analysis.name)}" + (f" (`{visible(analysis.file)}`)" if analysis.file else "")
    explain = view.explain
    columns = chosen_columns(analysis, view)
    lines = [
        heading,
        "",
        f"Input {shape_text(analysis.input_shape, view.batch)}, {analysis.data_format}.",
        "",
        "| # | Layer (type) |"
        + "".join(f" {SPECS[column].header(view.measures)} |" for column in columns)
        + (" Formula |" if explain else ""),
        "|--:|---|"
        + "".join("--:|" if SPECS[column].numeric else "---|" for column in columns)
        + ("---|" if explain else ""),
    ]
    for row in rows(analysis, view):
        cells = [markdown(cell) for cell in row_cells(row, columns, view)]
        if explain:
            cells.append("<br>".join(markdown(line) for line in row.formulas))
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    lines.extend(
        f"**{label}:** {value}  "
        for label, value in [*totals(analysis), *cost_totals(analysis, columns, view)]
    )
    if analysis.diagnostics:
        lines.append(f"**Findings:** {findings_summary(analysis.diagnostics)}  ")
        lines.append("")
        for d in analysis.diagnostics:
            location = markdown(where(analysis, d))
            hint = f" *Hint: {markdown(d.hint)}*" if d.hint else ""
            lines.append(
                f"- **{d.severity.value} {d.code}**{' ' + location if location else ''}: "
                f"{markdown(d.message)}.{hint}"
            )
    return "\n".join(lines)


def _failure(failure: Failure) -> str:
    lines = [f"### `{visible(failure.file)}`", ""]
    lines.extend(f"- **error**: {markdown(str(problem))}" for problem in failure.error.problems)
    return "\n".join(lines)

"""The Markdown report, for pull-request comments and docs."""

from __future__ import annotations

from cnncalc.render import Failure, Report
from cnncalc.render.escape import markdown, visible
from cnncalc.render.text import connected_text, findings_summary, layer_cells, totals, where
from cnncalc.shapes.records import Analysis
from cnncalc.shapes.text import format_shape


def render_markdown(reports: list[Report], *, explain: bool = False) -> str:
    """All reports as one Markdown document."""
    return (
        "\n\n".join(
            _failure(report) if isinstance(report, Failure) else _analysis(report, explain)
            for report in reports
        )
        + "\n"
    )


def _analysis(analysis: Analysis, explain: bool) -> str:
    heading = f"### {markdown(analysis.name)}" + (f" (`{visible(analysis.file)}`)" if analysis.file else "")
    lines = [
        heading,
        "",
        f"Input {format_shape(analysis.input_shape)}, {analysis.data_format}.",
        "",
        "| # | Layer (type) | Output shape | Param # |"
        + (" Connected to |" if analysis.branches else "")
        + (" Formula |" if explain else ""),
        "|--:|---|---|--:|" + ("---|" if analysis.branches else "") + ("---|" if explain else ""),
    ]
    for record in analysis.layers:
        cells = layer_cells(record)
        if analysis.branches:
            cells.append(connected_text(record))
        escaped = [markdown(cell) for cell in cells]
        if explain:
            escaped.append("<br>".join(markdown(line) for line in record.explanation))
        lines.append("| " + " | ".join(escaped) + " |")
    lines.append("")
    lines.extend(f"**{label}:** {value}  " for label, value in totals(analysis))
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

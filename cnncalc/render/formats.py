"""The output formats of ``cnncalc check``, one formatter module each, chosen by :class:`OutputFormat`
(closed with ``assert_never``: a format without a formatter does not type-check). Each formatter
module is imported only when its format is chosen."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, assert_never

from cnncalc.render import Report, View

if TYPE_CHECKING:
    from rich.console import Console


class OutputFormat(StrEnum):
    """How ``check`` prints its report."""

    TABLE = "table"
    """Keras-style layer tables, then the findings with their hints (for people)."""
    CONCISE = "concise"
    """One line per finding: ``file:line: CODE severity: message`` (ruff's)."""
    JSON = "json"
    """The JSON report of docs/json.md: every layer and every finding."""
    JSON_LINES = "json-lines"
    """One JSON object per finding per line."""
    MARKDOWN = "markdown"
    """Tables and findings for pull-request comments."""
    GITHUB = "github"
    """GitHub Actions annotations."""
    GITLAB = "gitlab"
    """GitLab Code Quality report."""
    JUNIT = "junit"
    """JUnit XML test results."""
    SARIF = "sarif"
    """SARIF 2.1.0 (GitHub code scanning)."""
    TREE = "tree"
    """The network as a tree of layers and block uses."""


def format_report(
    reports: list[Report],
    output_format: OutputFormat,
    view: View,
    console: Console,
    *,
    as_list: bool = False,
    batch_size: int | None = None,
) -> str:
    """The reports in ``output_format``. ``console`` sets the width and colours of the table;
    ``as_list`` makes the JSON a list even for one file (a folder was checked)."""
    match output_format:
        case OutputFormat.TABLE:
            from cnncalc.render.table import render_table

            with console.capture() as captured:
                render_table(reports, console, view)
            return captured.get()
        case OutputFormat.CONCISE:
            from cnncalc.render.concise import render_concise

            return render_concise(reports)
        case OutputFormat.JSON:
            from cnncalc.render.json import render_json

            return render_json(reports, as_list=as_list, measures=view.measures, batch_size=batch_size)
        case OutputFormat.JSON_LINES:
            from cnncalc.render.json_lines import render_json_lines

            return render_json_lines(reports)
        case OutputFormat.MARKDOWN:
            from cnncalc.render.markdown import render_markdown

            return render_markdown(reports, view)
        case OutputFormat.GITHUB:
            from cnncalc.render.github import render_github

            return render_github(reports)
        case OutputFormat.GITLAB:
            from cnncalc.render.gitlab import render_gitlab

            return render_gitlab(reports)
        case OutputFormat.JUNIT:
            from cnncalc.render.junit import render_junit

            return render_junit(reports)
        case OutputFormat.SARIF:
            from cnncalc.render.sarif import render_sarif

            return render_sarif(reports)
        case OutputFormat.TREE:
            from cnncalc.render.tree import render_tree

            with console.capture() as captured:
                render_tree(reports, console)
            return captured.get()
        case _ as unreachable:
            assert_never(unreachable)

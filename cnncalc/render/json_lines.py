"""One JSON object per line per finding (ruff's ``json-lines``): the ``diagnostics`` objects of
docs/json.md, each with its ``file``, for tools that stream or ``grep`` findings."""

from __future__ import annotations

import json

from cnncalc.render import Report
from cnncalc.render.json import diagnostic_dicts


def render_json_lines(reports: list[Report]) -> str:
    """Every finding of every report as one line of JSON (nothing if all is clean)."""
    return "".join(
        json.dumps(diagnostic, ensure_ascii=False) + "\n"
        for report in reports
        for diagnostic in diagnostic_dicts(report)
    )

"""One line per finding, as ruff's ``concise`` output: ``file:line:col: CODE severity: message``.

Hints are left out; a last line counts the findings (``Found 1 warning.``, ``All checks passed!``).
"""

from __future__ import annotations

from cnncalc.render import Report, entries
from cnncalc.render.text import findings_summary


def render_concise(reports: list[Report]) -> str:
    """Every finding on its own line, then the count."""
    found = list(entries(reports))
    lines = [
        ":".join(str(part) for part in (entry.file, entry.line, entry.column) if part is not None)
        + f": {entry.code} {entry.severity.value}: {entry.text}"
        for entry in found
    ]
    lines.append(f"Found {findings_summary([e.severity for e in found])}." if found else "All checks passed!")
    return "\n".join(lines) + "\n"

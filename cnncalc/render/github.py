"""GitHub Actions annotations: one workflow command per finding, shown on the pull request's diff.

``::warning file=net.yaml,line=12,title=cnncalc CNN110::message`` (the format ruff's ``github``
output uses). Errors stay errors, warnings warnings, information becomes a ``notice``.
"""

from __future__ import annotations

from cnncalc.diagnostics import Severity
from cnncalc.render import Report, entries
from cnncalc.render.escape import visible

LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def render_github(reports: list[Report]) -> str:
    """Every finding of every report as a workflow command, one per line (nothing if all is clean)."""
    return "".join(
        command(
            LEVELS[entry.severity],
            entry.text,
            entry.hint,
            file=entry.file,
            line=entry.line,
            endLine=entry.end_line if entry.end_line != entry.line else None,
            col=entry.column,
            title=f"cnncalc {entry.code}",
        )
        + "\n"
        for entry in entries(reports)
    )


def command(level: str, message: str, hint: str | None, **properties: str | int | None) -> str:
    """One workflow command; the hint goes on a second line of the message.

    >>> command("warning", "50% done", "a, b: c", file="a,b.yaml", line=3, col=None)
    '::warning file=a%2Cb.yaml,line=3::50%25 done%0Ahint: a, b: c'
    """
    fields = ",".join(
        f"{key}={_escape(visible(str(value)), True)}"
        for key, value in properties.items()
        if value is not None
    )
    text = visible(message) + (f"\nhint: {visible(hint)}" if hint else "")
    return f"::{level} {fields}::{_escape(text, False)}"


def _escape(text: str, property_value: bool) -> str:
    """GitHub's escaping: ``%``, CR and LF always; ``:`` and ``,`` in property values too."""
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if property_value else text

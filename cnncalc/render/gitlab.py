"""GitLab Code Quality report: a JSON list of issues that the merge request widget shows
(``artifacts: reports: codequality``), in the subset of the Code Climate format GitLab reads."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from typing import Any

from cnncalc.diagnostics import Severity
from cnncalc.render import Entry, Report, entries

SEVERITIES = {Severity.ERROR: "critical", Severity.WARNING: "major", Severity.INFO: "info"}
"""GitLab's scale is info, minor, major, critical, blocker: a network that cannot be built is
critical, a warning major."""


def render_gitlab(reports: list[Report]) -> str:
    """Every finding as a Code Quality issue (``[]`` if all is clean)."""
    seen: Counter[str] = Counter()
    issues = []
    for entry in entries(reports):
        key = "\0".join((entry.file, entry.code, entry.layer or entry.field or "", entry.text))
        seen[key] += 1
        issues.append(_issue(entry, _fingerprint(f"{key}\0{seen[key]}")))
    return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"


def _issue(entry: Entry, fingerprint: str) -> dict[str, Any]:
    begin = entry.line or 1
    return {
        "description": f"{entry.code}: {entry.text}",
        "check_name": entry.code,
        "fingerprint": fingerprint,
        "severity": SEVERITIES[entry.severity],
        "location": {
            "path": entry.file,
            "lines": {"begin": begin, "end": max(entry.end_line or begin, begin)},
        },
    }


def _fingerprint(key: str) -> str:
    """Stable across runs and line moves (it hashes the file, the rule, the layer and the message,
    not the line), distinct for each finding."""
    return hashlib.sha256(key.encode()).hexdigest()[:32]

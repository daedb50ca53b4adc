"""``--statistics``: how many findings of each rule, most frequent first (ruff's statistics)."""

from __future__ import annotations

import json
from collections import Counter

from cnncalc.linter.registry import find_rule
from cnncalc.render import Report, entries


def statistics(reports: list[Report]) -> list[tuple[int, str, str, str]]:
    """``(count, code, name, severity)`` per rule that found something, most frequent first, then
    by code."""
    counts = Counter((entry.code, entry.severity.value) for entry in entries(reports))
    rows = []
    for (code, severity), count in counts.items():
        rule = find_rule(code)
        rows.append((count, code, rule.name if rule else "", severity))
    return sorted(rows, key=lambda row: (-row[0], row[1]))


def render_statistics(reports: list[Report], *, as_json: bool = False) -> str:
    """The counts as aligned text (``  3  CNN110  unseen-input-pixels  warning``), or as JSON."""
    rows = statistics(reports)
    if as_json:
        listing = [{"code": c, "name": n, "severity": s, "count": count} for count, c, n, s in rows]
        return json.dumps(listing, indent=2) + "\n"
    if not rows:
        return "No findings.\n"
    width = [max(len(str(row[column])) for row in rows) for column in range(4)]
    return "".join(
        f"{count:>{width[0]}}  {code:<{width[1]}}  {name:<{width[2]}}  {severity}\n"
        for count, code, name, severity in rows
    )

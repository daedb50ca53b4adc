"""SARIF 2.1.0, the format GitHub code scanning and other tools read: one run of the ``cnncalc``
tool, every rule with its documentation, and one result per finding, located in its file.

Valid against the OASIS SARIF 2.1.0 schema (tests/schemas/sarif-schema-2.1.0.json).
"""

from __future__ import annotations

import json
from pathlib import PurePath
from typing import Any
from urllib.parse import quote

from cnncalc.diagnostics import Severity
from cnncalc.linter.docs import rule_page, rule_url
from cnncalc.linter.registry import RULES
from cnncalc.render import Entry, Report, entries

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def render_sarif(reports: list[Report]) -> str:
    """The SARIF log of one run over every file."""
    from cnncalc import __version__

    index = {rule.code: number for number, rule in enumerate(RULES)}
    log = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "cnncalc",
                        "version": __version__,
                        "rules": [_rule(rule.code) for rule in RULES],
                    }
                },
                "results": [_result(entry, index[entry.code]) for entry in entries(reports)],
            }
        ],
    }
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def _rule(code: str) -> dict[str, Any]:
    rule = next(rule for rule in RULES if rule.code == code)
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "help": {"text": rule.summary, "markdown": rule_page(rule, links=False)},
        "properties": {"family": rule.family, "documentation": rule_url(rule.code)},
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
    }


def _result(entry: Entry, rule_index: int) -> dict[str, Any]:
    region: dict[str, int] = {}
    if entry.line is not None:
        region["startLine"] = entry.line
        if entry.end_line is not None and entry.end_line > entry.line:
            region["endLine"] = entry.end_line
        if entry.column is not None:
            region["startColumn"] = entry.column
    location: dict[str, Any] = {"artifactLocation": {"uri": artifact_uri(entry.file)}}
    if region:
        location["region"] = region
    text = entry.text + (f"\nhint: {entry.hint}" if entry.hint else "")
    return {
        "ruleId": entry.code,
        "ruleIndex": rule_index,
        "level": LEVELS[entry.severity],
        "message": {"text": text},
        "locations": [{"physicalLocation": location}],
    }


def artifact_uri(file: str) -> str:
    """A file as a URI reference: a relative path stays relative (SARIF resolves it against the
    repository), an absolute one becomes ``file:///...``; spaces and such are percent-encoded.

    >>> artifact_uri("models/my net.yaml"), artifact_uri("/srv/net.yaml")
    ('models/my%20net.yaml', 'file:///srv/net.yaml')
    """
    path = PurePath(file)
    return path.as_uri() if path.is_absolute() else quote(path.as_posix())

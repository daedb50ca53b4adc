"""The rules' documentation pages (``docs/rules/``), generated from their docstrings."""

from __future__ import annotations

import re

from cnncalc.linter.registry import RULES
from cnncalc.linter.rule import Rule

INDEX = "README.md"


def rule_page(rule: Rule, *, links: bool = True) -> str:
    """One rule's Markdown page: code and name, default severity and family, then its docstring.

    Without ``links`` (in a terminal), links into the repository become plain text.
    """
    summary, _, body = rule.docs.partition("\n")
    source = type(rule).__module__.replace(".", "/") + ".py"
    always = f" (always reported: {rule.always_reported})" if rule.always_reported else ""
    if not links:
        body = re.sub(r"\[([^\]]+)\]\((?:\.\./)+[^)]*\)", r"\1", body)
    return (
        f"# {rule.code} `{rule.name}`\n\n"
        f"{summary}\n\n"
        f"Default severity: **{rule.severity.value}**{always}. Family: {rule.family} ({rule.code[3]}xx). "
        f"Source: " + (f"[`{source}`](../../{source})" if links else f"`{source}`") + ".\n"
        f"{body}\n"
    )


def rule_url(code: str) -> str:
    """Where the page of the rule with this code is: its path in cnncalc's repository (the project
    has no public address yet; when it has one, this is the one place to make the address absolute).

    >>> rule_url("CNN110")
    'docs/rules/CNN110.md'
    """
    return f"docs/rules/{code}.md"


def index_page() -> str:
    """``docs/rules/README.md``: every rule, with its default severity and summary."""
    rows = [
        f"| [{rule.code}]({rule.code}.md) | `{rule.name}` | {rule.severity.value} | {rule.summary} |"
        for rule in RULES
    ]
    return (
        "# Lint rules\n\n"
        "Generated from the rules' docstrings by `cnncalc rules --docs docs/rules --force`; do not edit.\n"
        "[Linting](../linting.md) explains how to select, ignore and configure them.\n\n"
        "| code | name | default severity | summary |\n|---|---|---|---|\n" + "\n".join(rows) + "\n"
    )


def pages() -> dict[str, str]:
    """File name → Markdown, for every page of ``docs/rules/``."""
    return {INDEX: index_page(), **{f"{rule.code}.md": rule_page(rule) for rule in RULES}}

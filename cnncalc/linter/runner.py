"""Running the rules: an analysis in, the same analysis with every enabled rule's findings out."""

from __future__ import annotations

from dataclasses import replace

from cnncalc.diagnostics import Diagnostic, Severity
from cnncalc.errors import Problem, SpecError
from cnncalc.linter.config import LintConfig, normalise, selector_problem
from cnncalc.linter.registry import LINT_RULES
from cnncalc.linter.rule import Finding, LintRule
from cnncalc.shapes.records import Analysis
from cnncalc.spec.loader import SourceMap

_SEVERITY_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
_LINT_CODES = frozenset(rule.code for rule in LINT_RULES)


def lint(analysis: Analysis, config: LintConfig | None = None, source: SourceMap | None = None) -> Analysis:
    """``analysis`` with the findings of the rules ``config`` enables added, in layer order.

    The spec's own ``lint: ignore`` applies too. ``source`` gives findings their line in the file;
    an unknown rule in the spec's ``lint: ignore`` raises :class:`SpecError` located there.
    """
    config = config or LintConfig()
    ignored = spec_ignores(analysis, source)
    findings = [
        _diagnostic(rule, finding, source)
        for rule in LINT_RULES
        if config.enabled(rule, ignored)
        for finding in rule.check(analysis)
    ]
    engine = [d for d in analysis.diagnostics if d.code not in _LINT_CODES]
    return replace(analysis, diagnostics=tuple(sorted([*engine, *findings], key=_order)))


def spec_ignores(analysis: Analysis, source: SourceMap | None = None) -> tuple[str, ...]:
    """The rules the spec's ``lint: ignore`` names, checked."""
    ignored = tuple(normalise(selector) for selector in analysis.spec.lint.ignore)
    problems = []
    for index, selector in enumerate(ignored):
        problem = selector_problem(selector, ignoring=True)
        if problem is not None:
            where = source.locate(("lint", "ignore", index)) if source else None
            line, column = where if where else (None, None)
            message, hint = problem
            file = source.file if source else None
            problems.append(Problem(message, file, line, column, f"lint.ignore[{index}]", hint))
    if problems:
        raise SpecError(problems)
    return ignored


def _diagnostic(rule: LintRule, finding: Finding, source: SourceMap | None) -> Diagnostic:
    where = source.locate(("layers", finding.layer)) if source else None
    return Diagnostic(
        rule.code, rule.severity, finding.message, finding.layer, finding.hint, where[0] if where else None
    )


def _order(diagnostic: Diagnostic) -> tuple[int, int, str]:
    layer = -1 if diagnostic.layer is None else diagnostic.layer
    return layer, _SEVERITY_ORDER[diagnostic.severity], diagnostic.code

"""Running the rules: an analysis in, the same analysis with every enabled rule's findings out."""

from __future__ import annotations

from dataclasses import replace

from cnncalc.diagnostics import Diagnostic, Severity
from cnncalc.errors import Problem, SpecError
from cnncalc.linter.config import LintConfig, matches, normalise, selector_problem
from cnncalc.linter.registry import LINT_RULES
from cnncalc.linter.rule import Finding, LintRule
from cnncalc.shapes.records import Analysis
from cnncalc.spec.blocks import FieldPath, Origin
from cnncalc.spec.loader import SourceMap
from cnncalc.spec.models import LintSection

_SEVERITY_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
_LINT_CODES = frozenset(rule.code for rule in LINT_RULES)


def lint(analysis: Analysis, config: LintConfig | None = None, source: SourceMap | None = None) -> Analysis:
    """``analysis`` with the findings of the rules ``config`` enables added, in layer order.

    The spec's own ``lint: ignore`` applies too, and a layer's ``lint: ignore`` to that layer's
    findings. ``source`` gives findings their lines in the file; an unknown rule in an ``ignore``
    raises :class:`SpecError` located there.
    """
    config = config or LintConfig()
    ignored, by_layer = ignores(analysis, source)
    origins = analysis.spec.origins
    findings = [
        _diagnostic(rule, finding, origins, source)
        for rule in LINT_RULES
        if config.enabled(rule, ignored)
        for finding in rule.check(analysis)
        if not any(matches(rule, selector) for selector in by_layer.get(finding.layer, ()))
    ]
    engine = [_located(d, origins, source) for d in analysis.diagnostics if d.code not in _LINT_CODES]
    return replace(analysis, diagnostics=tuple(sorted([*engine, *findings], key=_order)))


def ignores(
    analysis: Analysis, source: SourceMap | None = None
) -> tuple[tuple[str, ...], dict[int, tuple[str, ...]]]:
    """The rules the spec's ``lint: ignore`` names, and those each layer's names, checked: every
    unknown rule (or one that cannot be ignored) is a located problem."""
    origins = analysis.spec.origins
    sections: list[tuple[int | None, FieldPath, LintSection]] = [(None, (), analysis.spec.lint)]
    sections += [
        (r.index, origins[r.index].path, r.layer.lint) for r in analysis.layers if r.layer.lint is not None
    ]
    problems = {}  # a block's layer is checked once, however often the block is used
    found: dict[int | None, tuple[str, ...]] = {}
    for layer, where, section in sections:
        found[layer] = tuple(normalise(selector) for selector in section.ignore)
        for index, selector in enumerate(found[layer]):
            problem = selector_problem(selector, ignoring=True)
            if problem is not None:
                path = (*where, "lint", "ignore", index)
                line, column = (source.locate(path) if source else None) or (None, None)
                field = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
                message, hint = problem
                problems[path] = Problem(message, source.file if source else None, line, column, field, hint)
    if problems:
        raise SpecError(list(problems.values()))
    spec_wide = found.pop(None)
    return spec_wide, {layer: selectors for layer, selectors in found.items() if layer is not None}


def _diagnostic(
    rule: LintRule, finding: Finding, origins: tuple[Origin, ...], source: SourceMap | None
) -> Diagnostic:
    diagnostic = Diagnostic(rule.code, rule.severity, finding.message, finding.layer, finding.hint)
    return _located(diagnostic, origins, source)


def _located(diagnostic: Diagnostic, origins: tuple[Origin, ...], source: SourceMap | None) -> Diagnostic:
    """The diagnostic with the first and last lines of its layer in the file (for a layer a block
    made: in the block, and the line of the block's use), when known."""
    if source is None or diagnostic.layer is None:
        return diagnostic
    origin = origins[diagnostic.layer]
    line, use_line = source.lines(origin)
    return replace(diagnostic, line=line, use_line=use_line, end_line=source.end_line(origin.path))


def _order(diagnostic: Diagnostic) -> tuple[int, int, str]:
    layer = -1 if diagnostic.layer is None else diagnostic.layer
    return layer, _SEVERITY_ORDER[diagnostic.severity], diagnostic.code

"""Checking spec files (and ONNX models) into reports, deciding the exit code, and cross-checking
reports with Keras or ONNX Runtime: what ``check`` and ``crosscheck`` share, below both."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path

from rich.console import Console

from cnncalc.api import paused_collection
from cnncalc.cli.common import ExitCode
from cnncalc.diagnostics import Severity
from cnncalc.errors import SpecError
from cnncalc.linter.config import LintConfig
from cnncalc.linter.runner import lint
from cnncalc.render import Failure, Report
from cnncalc.shapes.engine import analyze
from cnncalc.shapes.records import Analysis
from cnncalc.spec.loader import STDIN as STDIN_ARGUMENT
from cnncalc.spec.loader import STDIN_NAME, LoadedSpec, SourceMap, load_file

STDIN = Path(STDIN_ARGUMENT)
"""The ``FILE`` that stands for standard input."""


def check_file(path: Path, config: LintConfig | None = None) -> Report:
    """Load, analyse and lint one file (``-``: standard input; a ``.onnx`` file: an ONNX model); a file
    that cannot be read or validated becomes a failure."""
    try:
        with paused_collection():
            # "-" reads standard input, with a limit and a timeout
            loaded = load_onnx(path) if path.suffix.lower() == ".onnx" else load_file(path)
            return lint(analyze(loaded.spec, loaded.source), config, loaded.source)
    except SpecError as exc:
        return Failure(STDIN_NAME if path == STDIN else str(path), exc)


def load_onnx(path: Path) -> LoadedSpec:
    """An ONNX model as a spec (ONNX is imported only here, for ``.onnx`` files)."""
    from cnncalc.backends.onnx.convert import import_onnx

    return LoadedSpec(import_onnx(path), SourceMap(str(path)))


def exit_code(
    reports: Sequence[Report],
    configs: Sequence[LintConfig],
    *,
    max_warnings: int | None = None,
    exit_zero: bool = False,
) -> ExitCode:
    """2 when a file cannot be loaded; else 1 when an error or a warning is reported (ruff: what is
    reported fails), or an info finding in strict mode; else 0.

    ``max_warnings`` (ESLint's) lets warnings pass up to that many over all files; ``exit_zero``
    (ruff's) turns 1 into 0. Neither changes 2.
    """
    if any(isinstance(report, Failure) for report in reports):
        return ExitCode.ERROR
    analyses = [(r, c) for r, c in zip(reports, configs, strict=True) if isinstance(r, Analysis)]
    severities = [(d.severity, c.strict) for r, c in analyses for d in r.diagnostics]
    warnings = sum(severity is Severity.WARNING for severity, _ in severities)
    failing = any(
        s is Severity.ERROR or (s is Severity.INFO and strict) for s, strict in severities
    ) or warnings > (max_warnings or 0)
    return ExitCode.FINDINGS if failing and not exit_zero else ExitCode.OK


class Engine(StrEnum):
    """The oracle a cross-check asks."""

    KERAS = "keras"
    ONNXRUNTIME = "onnxruntime"


def crosscheck_report(report: Report, console: Console, engine: Engine = Engine.KERAS) -> ExitCode:
    """Build one checked spec in Keras (or run it in ONNX Runtime) and print the comparison: 2 if the
    file could not be read, 1 if the engines disagree or the spec has errors, else 0."""
    from cnncalc.render.crosscheck import render_comparison
    from cnncalc.render.table import print_failure

    if isinstance(report, Failure):
        print_failure(report, console)
        return ExitCode.ERROR
    if engine is Engine.KERAS:
        from cnncalc.backends.keras.crosscheck import crosscheck as keras_crosscheck

        result = keras_crosscheck(report).comparison()
    else:
        from cnncalc.backends.onnx.crosscheck import crosscheck as onnx_crosscheck

        result = onnx_crosscheck(report)
    render_comparison(result, console)
    return ExitCode.OK if result.ok and report.ok else ExitCode.FINDINGS

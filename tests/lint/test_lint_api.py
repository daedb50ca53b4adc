"""`cnncalc.lint` in Python, and what linting must not cost: TensorFlow."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import cnncalc
from cnncalc.errors import CnncalcError

ROOT = Path(__file__).resolve().parent.parent.parent

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def test_lint_a_file_with_lines_select_and_ignore(examples: Path) -> None:
    path = examples / "lint_head_mistakes.yaml"
    assert [(d.code, d.line) for d in cnncalc.lint(path)] == [
        ("CNN401", 14),
        ("CNN301", 16),
        ("CNN302", 16),
        ("CNN304", 17),
    ]
    assert [d.code for d in cnncalc.lint(path, select=["CNN3"], ignore=["softmax-not-last"])] == [
        "CNN301",
        "CNN304",
    ]
    with pytest.raises(CnncalcError, match="no rule matches `CNN5`"):
        cnncalc.lint(path, select=["CNN5"])


def test_lint_a_spec_object_has_no_lines(examples: Path) -> None:
    spec = cnncalc.load(FIXTURES / "narrow_view.yaml")
    (finding,) = cnncalc.lint(spec)
    assert (finding.code, finding.layer, finding.line) == ("CNN401", 3, None)


def test_linting_twice_does_not_repeat_findings(examples: Path) -> None:
    from cnncalc.linter.runner import lint

    analysis = lint(cnncalc.analyze(FIXTURES / "narrow_view.yaml"))
    assert lint(analysis).diagnostics == analysis.diagnostics


def test_check_with_every_rule_imports_no_deep_learning_framework(examples: Path) -> None:
    code = (
        "import sys; from typer.testing import CliRunner; from cnncalc.cli import app; "
        f"CliRunner().invoke(app, ['check', {str(examples / 'lint_head_mistakes.yaml')!r}]); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'tensorflow', 'keras', 'torch'}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert result.stdout.strip() == "[]"

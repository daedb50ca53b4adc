"""Every rule against its fixture file (tests/fixtures/rules/CODE.yaml): specs that must trigger it on
the expected layers, with the hand-computed numbers in the message and hint, and near misses that must not.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

import cnncalc
from cnncalc.errors import SpecError
from cnncalc.linter.registry import RULES
from cnncalc.linter.rules.invalid_spec import InvalidSpec

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "rules"


def cases() -> list[Any]:
    params = []
    for path in sorted(FIXTURES.glob("*.yaml")):
        fixture = yaml.safe_load(path.read_text())
        assert fixture["rule"] == path.stem, path
        params += [
            pytest.param(fixture["rule"], case, id=f"{path.stem}: {case['name'][:60]}")
            for case in fixture["cases"]
        ]
    return params


@pytest.mark.parametrize(("code", "case"), cases())
def test_rule_case(code: str, case: dict[str, Any]) -> None:
    if code == InvalidSpec.code:
        check_invalid_spec(case)
        return
    analysis = cnncalc.analyze(case["spec"])
    found = [d for d in cnncalc.lint(case["spec"]) if d.code == code]
    expected = case["findings"]
    names = [analysis.layers[d.layer].name if d.layer is not None else None for d in found]
    assert names == [f["layer"] for f in expected], [d.message for d in found]
    for diagnostic, wanted in zip(found, expected, strict=True):
        for text in wanted.get("message", []):
            assert text in diagnostic.message
        for text in wanted.get("hint", []):
            assert diagnostic.hint is not None
            assert text in diagnostic.hint


def check_invalid_spec(case: dict[str, Any]) -> None:
    """CNN001's cases: the spec does not load, with these problems (by field), or it loads."""
    expected = case["findings"]
    if not expected:
        cnncalc.load(case["spec"])
        return
    with pytest.raises(SpecError) as caught:
        cnncalc.load(case["spec"])
    problems = caught.value.problems
    assert [p.field for p in problems] == [f["field"] for f in expected]
    for problem, wanted in zip(problems, expected, strict=True):
        for text in wanted.get("message", []):
            assert text in problem.message
        for text in wanted.get("hint", []):
            assert problem.hint is not None
            assert text in problem.hint


def test_every_rule_has_a_fixture_with_a_trigger_and_a_near_miss() -> None:
    for rule in RULES:
        path = FIXTURES / f"{rule.code}.yaml"
        assert path.is_file(), f"no fixture for {rule.code}"
        outcomes = {bool(case["findings"]) for case in yaml.safe_load(path.read_text())["cases"]}
        assert outcomes == {True, False}, f"{rule.code} needs a case that triggers and a near miss"

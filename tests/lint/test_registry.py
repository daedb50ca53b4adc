"""The registry: stable, unique codes and names, documentation in one template whose examples are true,
generated pages that are current, and the engine's error codes all documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import cnncalc
from cnncalc.diagnostics import Severity
from cnncalc.errors import SpecError
from cnncalc.linter.docs import pages
from cnncalc.linter.registry import LINT_RULES, RULES, find_rule
from cnncalc.linter.rule import SECTIONS, EngineError, Rule
from cnncalc.linter.rules.invalid_spec import InvalidSpec
from cnncalc.shapes import inference

DOCS = Path(__file__).resolve().parent.parent.parent / "docs" / "rules"


def test_codes_and_names_are_unique_well_formed_and_in_order() -> None:
    codes = [rule.code for rule in RULES]
    names = [rule.name for rule in RULES]
    assert len(set(codes)) == len(codes)
    assert len(set(names)) == len(names)
    assert codes == sorted(codes)
    for rule in RULES:
        assert re.fullmatch(r"CNN[0-4][0-9]{2}", rule.code), rule.code
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+", rule.name), rule.name


def test_the_codes_shipped_stay_as_they_are() -> None:
    # Codes are never changed or reused: this list only ever grows.
    assert {rule.code: rule.name for rule in RULES} == {
        "CNN001": "invalid-spec",
        "CNN101": "output-too-small",
        "CNN102": "groups-mismatch",
        "CNN103": "strides-with-dilation",
        "CNN104": "needs-feature-map",
        "CNN105": "reflect-padding-too-large",
        "CNN106": "shapes-mismatch",
        "CNN107": "reshape-size-mismatch",
        "CNN108": "axis-out-of-range",
        "CNN109": "connections-out-of-range",
        "CNN110": "unseen-input-pixels",
        "CNN111": "dropped-map-cells",
        "CNN112": "even-kernel-same-padding",
        "CNN113": "dense-on-feature-map",
        "CNN114": "pool-larger-than-map",
        "CNN115": "unused-layer",
        "CNN116": "skipped-input-pixels",
        "CNN117": "size-out-of-range",
        "CNN201": "parameter-explosion",
        "CNN202": "dead-kernel-taps",
        "CNN301": "consecutive-linear-layers",
        "CNN302": "softmax-not-last",
        "CNN303": "hidden-sigmoid",
        "CNN304": "num-classes-mismatch",
        "CNN401": "receptive-field-too-small",
        "CNN402": "misaligned-branches",
    }


def test_every_error_code_of_the_engine_is_a_documented_error_rule() -> None:
    engine_codes = {
        value for name, value in vars(inference).items() if name.isupper() and str(value).startswith("CNN")
    }
    documented = {rule.code for rule in RULES if isinstance(rule, EngineError)}
    assert engine_codes == documented == {f"CNN10{n}" for n in range(1, 10)} | {"CNN117"}
    assert all(rule.severity is Severity.ERROR for rule in RULES if isinstance(rule, EngineError))
    assert not {rule.code for rule in LINT_RULES} & documented


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.code)
def test_docs_follow_the_template(rule: Rule) -> None:
    docs = rule.docs
    assert docs, f"{rule.code} has no docstring"
    assert "\n" not in rule.summary and rule.summary.endswith("."), rule.summary
    positions = [docs.find(section) for section in SECTIONS]
    assert -1 not in positions, f"{rule.code} misses {SECTIONS[positions.index(-1)]!r}"
    assert positions == sorted(positions), f"{rule.code}: sections out of order"


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.code)
def test_the_docs_examples_are_true(rule: Rule) -> None:
    # The bad example triggers the rule, the good one ("Use instead") does not.
    bad, good = re.findall(r"```yaml\n(.*?)```", rule.docs, flags=re.DOTALL)
    if isinstance(rule, InvalidSpec):  # the bad example does not load; the good one does
        with pytest.raises(SpecError):
            cnncalc.load(bad)
        assert cnncalc.lint(good) == ()
        return
    assert rule.code in [d.code for d in cnncalc.lint(bad)]
    assert rule.code not in [d.code for d in cnncalc.lint(good)]


def test_find_rule_by_code_or_name() -> None:
    assert find_rule("CNN201") is find_rule("cnn201") is find_rule("parameter-explosion")
    assert find_rule("CNN999") is None
    assert find_rule("parameter") is None


def test_committed_rule_pages_are_current() -> None:
    expected = pages()
    committed = {path.name: path.read_text() for path in DOCS.glob("*.md")}
    assert set(committed) == set(expected), (
        "run: cnncalc rules --docs docs/rules --force (and remove stale pages)"
    )
    for name, text in expected.items():
        assert committed[name] == text, (
            f"docs/rules/{name} is stale; run: cnncalc rules --docs docs/rules --force"
        )
    assert len(expected) == len(RULES) + 1

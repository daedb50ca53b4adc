"""Rule selection: selectors, the pyproject.toml table, and a spec's own `lint: ignore`."""

from __future__ import annotations

from pathlib import Path

import pytest

import cnncalc
from cnncalc.errors import CnncalcError, SpecError
from cnncalc.linter.config import ConfigError, LintConfig, find_config, read_pyproject, selectors
from cnncalc.linter.registry import find_rule
from cnncalc.linter.rule import Rule

SPEC = """\
input: [28, 28, 1]
lint:
  ignore: [{ignored}]
layers:
  - {{type: conv2d, filters: 8, kernel_size: 3, strides: 2, activation: relu}}
  - {{type: dense, units: 10, activation: softmax}}
"""


def rule(code: str) -> Rule:
    found = find_rule(code)
    assert found is not None
    return found


def test_select_and_ignore_by_code_prefix_and_name() -> None:
    config = LintConfig(select=("CNN1", "parameter-explosion"), ignore=("CNN113",))
    enabled = {code: config.enabled(rule(code)) for code in ("CNN110", "CNN113", "CNN201", "CNN301")}
    assert enabled == {"CNN110": True, "CNN113": False, "CNN201": True, "CNN301": False}
    assert not LintConfig().enabled(rule("CNN110"), also_ignore=("unseen-input-pixels",))


def test_selectors_are_normalised_split_and_checked() -> None:
    assert selectors(["cnn1,CNN201", " dead-kernel-taps "], "--select", ignoring=False) == (
        "CNN1",
        "CNN201",
        "dead-kernel-taps",
    )
    with pytest.raises(ConfigError, match=r"--select: no rule matches `CNN999`"):
        selectors(["CNN999"], "--select", ignoring=False)
    with pytest.raises(ConfigError, match=r"did you mean `dead-kernel-taps`\?"):
        selectors(["dead-kernel-tap"], "--ignore", ignoring=True)
    with pytest.raises(ConfigError, match="cannot be ignored"):
        selectors(["CNN10"], "--ignore", ignoring=True)
    assert selectors(["CNN10"], "--select", ignoring=False) == ("CNN10",)
    assert issubclass(ConfigError, CnncalcError)


def test_command_line_settings_replace_select_and_strict_and_add_ignores() -> None:
    base = LintConfig(select=("CNN1",), ignore=("CNN111",), strict=True)
    assert base.override(None, ("CNN112",), None) == LintConfig(("CNN1",), ("CNN111", "CNN112"), True)
    assert base.override(("CNN2",), (), False) == LintConfig(("CNN2",), ("CNN111",), False)


def test_the_nearest_pyproject_with_the_table_wins(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.cnncalc]\nselect = ["CNN1", "CNN4"]\nignore = ["CNN111"]\nstrict = true\n'
    )
    inner = tmp_path / "models" / "small"
    inner.mkdir(parents=True)
    (tmp_path / "models" / "pyproject.toml").write_text('[project]\nname = "not-about-cnncalc"\n')
    assert find_config(inner) == LintConfig(("CNN1", "CNN4"), ("CNN111",), True)
    (inner / "pyproject.toml").write_text("[tool.cnncalc]\nstrict = false\n")
    assert find_config(inner) == LintConfig()


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('selct = ["CNN1"]', r"unknown key `selct` \(did you mean `select`\?\)"),
        ('strict = "yes"', "strict: expected true or false"),
        ('ignore = "CNN111"', "ignore: expected a list of rule codes or names"),
        ('ignore = ["CNN101"]', "cannot be ignored"),
        ('select = ["CNN9"]', r"\[tool.cnncalc\] select: no rule matches `CNN9`"),
    ],
)
def test_a_bad_table_is_one_clear_error(tmp_path: Path, table: str, message: str) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text(f"[tool.cnncalc]\n{table}\n")
    with pytest.raises(ConfigError, match=message):
        read_pyproject(path)


def test_invalid_toml(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text("[tool.cnncalc\n")
    with pytest.raises(ConfigError, match="cannot read"):
        read_pyproject(path)


def test_the_spec_ignores_rules_for_its_own_file() -> None:
    # 3×3 stride 2 on 28 leaves out row 28 (CNN110); dense on the 13×13×8 map (CNN113).
    assert [d.code for d in cnncalc.lint(SPEC.format(ignored=""))] == ["CNN110", "CNN113"]
    assert [d.code for d in cnncalc.lint(SPEC.format(ignored="unseen-input-pixels"))] == ["CNN113"]
    assert [d.code for d in cnncalc.lint(SPEC.format(ignored="cnn1"))] == []


def test_an_unknown_rule_in_the_spec_is_located() -> None:
    with pytest.raises(SpecError) as caught:
        cnncalc.lint(SPEC.format(ignored="CNN110, CNN999"))
    (problem,) = caught.value.problems
    assert (problem.line, problem.column, problem.field) == (3, 20, "lint.ignore[1]")
    assert problem.message == "no rule matches `CNN999`"


def test_all_selects_every_rule_and_extend_select_adds_to_a_selection() -> None:
    assert selectors(["all"], "--select", ignoring=False) == ("ALL",)
    assert all(LintConfig(select=("ALL",)).enabled(rule(code)) for code in ("CNN110", "CNN201", "CNN401"))
    config = LintConfig(select=("CNN1",), extend_select=("CNN401",))
    enabled = {code: config.enabled(rule(code)) for code in ("CNN110", "CNN201", "CNN401")}
    assert enabled == {"CNN110": True, "CNN201": False, "CNN401": True}


def test_a_command_line_select_drops_the_configured_extend_select_as_ruff_does() -> None:
    configured = LintConfig(select=("CNN1",), extend_select=("CNN4",))
    assert configured.override(None, (), None, ("CNN2",)).extend_select == ("CNN4", "CNN2")
    assert configured.override(("CNN3",), (), None, ("CNN2",)) == LintConfig(
        ("CNN3",), extend_select=("CNN2",)
    )


def test_pyproject_extend_select_and_where_settings_come_from(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text('[tool.cnncalc]\nselect = ["CNN1"]\nextend-select = ["CNN401"]\n')
    config = find_config(tmp_path)
    assert (config.select, config.extend_select, config.origin) == (("CNN1",), ("CNN401",), path)
    (tmp_path / "models").mkdir()
    assert find_config(tmp_path / "models").origin == path


def test_file_errors_cannot_be_ignored() -> None:
    with pytest.raises(ConfigError, match="reports files that cannot be loaded, which cannot be ignored"):
        selectors(["CNN001"], "--ignore", ignoring=True)
    with pytest.raises(ConfigError, match="cannot be ignored"):
        selectors(["CNN0"], "--ignore", ignoring=True)


LAYER_SPEC = """\
input: [28, 28, 1]
layers:
  - {{type: conv2d, filters: 8, kernel_size: 3, strides: 2, activation: relu{lint}}}
  - {{type: flatten}}
  - {{type: dense, units: 32, activation: sigmoid}}
  - {{type: dense, units: 10, activation: softmax}}
"""


def test_a_layer_ignores_rules_for_itself_only() -> None:
    # 3×3 stride 2: 28 → 13 leaves out row and column 28 (CNN110 on conv2d); a hidden sigmoid (CNN303).
    plain = [(d.code, d.layer) for d in cnncalc.lint(LAYER_SPEC.format(lint=""))]
    assert plain == [("CNN110", 0), ("CNN303", 2)]
    for ignored in ("CNN110", "[CNN110]", "[unseen-input-pixels]", "CNN1", "[CNN110, CNN303]"):
        spec = LAYER_SPEC.format(lint=f", lint: {{ignore: {ignored}}}")
        assert [(d.code, d.layer) for d in cnncalc.lint(spec)] == [("CNN303", 2)], ignored


def test_an_unknown_rule_in_a_layer_is_located() -> None:
    with pytest.raises(SpecError) as caught:
        cnncalc.lint(LAYER_SPEC.format(lint=", lint: {ignore: [CNN110, CNN101]}"))
    (problem,) = caught.value.problems
    assert (problem.line, problem.field) == (3, "layers[0].lint.ignore[1]")
    assert "cannot be ignored" in problem.message


def test_findings_carry_the_first_and_last_lines_of_their_layer() -> None:
    spec = """\
input: [28, 28, 1]
layers:
  - type: conv2d
    filters: 8
    kernel_size: 3
    strides: 2
    activation: relu

  - {type: flatten}
  - {type: dense, units: 32,
     activation: sigmoid}
  - {type: dense, units: 10, activation: softmax}
"""
    # The block mapping spans lines 3-7 (not the blank line 8); the flow mapping lines 10-11.
    assert [(d.code, d.line, d.end_line) for d in cnncalc.lint(spec)] == [
        ("CNN110", 3, 7),
        ("CNN303", 10, 11),
    ]


BLOCK_SPEC = """\
input: [30, 30, 1]
blocks:
  down:
    layers:
      - {{name: conv, type: conv2d, filters: 8, kernel_size: 3, strides: 2, activation: relu{lint}}}
layers:
  - {{block: down, name: "b{{i}}", repeat: 2}}
  - {{type: flatten}}
  - {{type: dense, units: 10, activation: softmax}}
"""


def test_a_block_layer_ignores_rules_in_every_expansion() -> None:
    # 3×3 stride 2: 30 → 14 covers 29 of 30; 14 → 6 covers 13 of 14: both uses leave out cells (CNN110).
    plain = cnncalc.lint(BLOCK_SPEC.format(lint=""))
    assert [(d.code, d.layer, d.line, d.use_line) for d in plain] == [
        ("CNN110", 0, 5, 7),
        ("CNN110", 1, 5, 7),
    ]
    assert cnncalc.lint(BLOCK_SPEC.format(lint=", lint: {ignore: [CNN11]}")) == ()


def test_a_wrong_rule_in_a_block_layer_is_one_problem_located_in_the_block() -> None:
    with pytest.raises(SpecError) as caught:
        cnncalc.lint(BLOCK_SPEC.format(lint=", lint: {ignore: [CNN101]}"))
    (problem,) = caught.value.problems  # once, though the block is used twice
    assert (problem.line, problem.field) == (5, "blocks.down.layers[0].lint.ignore[0]")

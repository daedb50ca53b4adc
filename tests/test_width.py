"""At 80 columns and in a pipe, nothing is cut (issue 14): every layer name appears whole on a line, no
formula is broken inside, no cell ends in "…", and help text keeps its option names and choices whole.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cnncalc
from cnncalc.cli import app
from cnncalc.linter.registry import RULES
from cnncalc.shapes.text import window_formula

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()

LONG = """\
name: long_names
input: [32, 32, 3]
layers:
  - {type: conv2d, filters: 64, kernel_size: 7, strides: 2, padding: same, name: conv1_conv_with_a_rather_long_name}
  - {type: batchnorm, name: conv1_bn_batch_normalization_of_the_stem}
  - {type: conv2d, filters: 64, kernel_size: 3, padding: same, dilation_rate: 2, name: conv2_block1_2_conv}
  - {type: conv2d, filters: 64, kernel_size: 3, padding: [[1, 2], [0, 1]], name: conv2_block1_3_conv}
  - {type: maxpool2d, pool_size: 3, strides: 2, name: average_pooling_that_is_really_max_pooling_2d}
  - {type: globalavgpool2d, name: global_average_pooling2d_at_the_very_end_of_the_network}
  - {type: dense, units: 1000, activation: softmax, name: predictions}
"""


def run(*args: str) -> str:
    result = runner.invoke(app, list(args), env={"COLUMNS": "80", "NO_COLOR": "1"})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.stdout


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    path = tmp_path / "long_names.yaml"
    path.write_text(LONG)
    return path


def assert_whole(output: str, pieces: list[str]) -> None:
    lines = output.splitlines()
    assert "…" not in output
    for piece in pieces:
        assert any(piece in line for line in lines), f"{piece!r} is not whole on any line:\n{output}"


def names_and_formulas(path: Path) -> tuple[list[str], list[str]]:
    analysis = cnncalc.analyze(path)
    return [r.name for r in analysis.layers], [f for r in analysis.layers for f in r.explanation]


@pytest.mark.parametrize(
    "options",
    [
        [],
        ["--explain"],
        ["--batch-axis"],
        ["--batch-size", "128", "--explain"],
        ["-f", "tree"],
        ["--depth", "0"],
    ],
)
def test_check_at_80_columns(spec: Path, options: list[str]) -> None:
    names, formulas = names_and_formulas(spec)
    output = run("check", *options, str(spec))
    assert_whole(output, names + (formulas if "--explain" in options else []))
    if "tree" not in options:  # the tree starts with the network's name, not the file's
        assert_whole(output, [str(spec)])


def test_check_in_a_pipe_without_columns(spec: Path) -> None:
    names, formulas = names_and_formulas(spec)
    env = {key: value for key, value in os.environ.items() if key not in {"COLUMNS", "LINES"}}
    result = subprocess.run(
        [sys.executable, "-m", "cnncalc", "check", "--explain", str(spec)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 1, result.stderr  # CNN110 and more: warnings
    assert_whole(result.stdout, names + formulas)


def test_the_findings_are_never_broken(spec: Path) -> None:
    findings = cnncalc.lint(spec)
    assert findings
    output = run("check", str(spec))
    assert_whole(output, [d.message for d in findings] + [d.hint for d in findings if d.hint])


def test_rules_keep_codes_and_names_whole() -> None:
    output = run("rules")
    for rule in RULES:
        assert re.search(rf"│ {rule.code} │ {re.escape(rule.name)} +│", output), rule.code
    assert "…" not in output


def test_rule_pages_print_as_written() -> None:
    output = run("rule", "CNN110")
    assert "`⌊(28 − 3)/2⌋ + 1 = 13`" in output
    assert "…" not in output


def test_solve_keeps_every_formula_whole() -> None:
    for args in (
        ["--input", "28", "--output", "14", "--kernel", "3"],
        ["--input", "7", "--output", "3", "--kernel", "2"],
    ):
        output = run("solve", *args)
        solutions = cnncalc.solve(int(args[1]), int(args[3]), int(args[5]))
        assert solutions
        pieces = [part for s in solutions for part in window_formula(s.window).split("; ")]
        assert_whole(output, pieces)


@pytest.mark.parametrize(
    "command",
    ["check", "schema", "rules", "rule", "solve", "crosscheck", "import-keras", "export", "train", None],
)
def test_help_keeps_options_and_choices_whole(command: str | None) -> None:
    output = run(*([command] if command else []), "--help")
    assert "…" not in output
    if command == "check":
        assert_whole(
            output, ["--format", "--output-file", "--max-warnings", "--extend-select", "FORMAT", "{FILE}..."]
        )
        # The formats are listed in the help text, which wraps between words only.
        words = " ".join(re.sub(r"[│╭╮╰╯─]", " ", output).split())
        assert "table, concise, json, json-lines, markdown, github, gitlab, junit, sarif, tree." in words


@pytest.mark.keras
@pytest.mark.slow
def test_crosscheck_keeps_names_whole(examples: Path) -> None:
    names, _ = names_and_formulas(examples / "lenet5.yaml")
    output = run("crosscheck", str(examples / "lenet5.yaml"))
    ours = output.split("Model:")[0]  # Keras' own summary follows, printed as Keras prints it
    assert_whole(ours, names)

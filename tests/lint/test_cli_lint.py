"""The linter through the command line: `check` with --select, --ignore, --strict, pyproject.toml and a
spec's `lint:` section, the github format, and `rules`, `rule` and `solve` (exit codes, output, JSON)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cnncalc.cli import app

runner = CliRunner()

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200", "NO_COLOR": "1"})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


@pytest.fixture
def project(tmp_path: Path, examples: Path) -> Path:
    """A folder with copies of three examples: one clean, one with an info, one with a warning."""
    for name in ("lenet5.yaml", "article_cnn.yaml"):
        shutil.copy(examples / name, tmp_path / name)
    shutil.copy(FIXTURES / "narrow_view.yaml", tmp_path)
    return tmp_path


def findings(output: str) -> list[tuple[str, str]]:
    report = json.loads(output)
    reports = report if isinstance(report, list) else [report]
    return [(r["name"], d["code"]) for r in reports for d in r["diagnostics"]]


def test_warnings_fail_and_info_fails_only_with_strict(project: Path) -> None:
    # Issue 14 changed this on purpose: what is reported fails, as in ruff (warnings used to pass
    # unless --strict); --strict now makes info findings fail too.
    strides, article = str(project / "narrow_view.yaml"), str(project / "article_cnn.yaml")
    code, output = run("check", strides)
    assert code == 1
    assert "warning CNN401 global_average_pooling2d (line 9): " in output
    assert "Findings: 1 warning" in output
    code, output = run("check", article)
    assert code == 0
    assert "info CNN111 max_pooling2d_2 (line 12): " in output
    assert run("check", "--strict", article)[0] == 1
    assert run("check", "--strict", str(project / "lenet5.yaml"))[0] == 0


def test_select_and_ignore(project: Path) -> None:
    files = [str(project / name) for name in ("article_cnn.yaml", "narrow_view.yaml")]
    code, output = run("check", "-f", "json", *files)
    assert (code, findings(output)) == (1, [("article_cnn", "CNN111"), ("strided_convs", "CNN401")])
    code, output = run("check", "-f", "json", "--select", "CNN1", *files)
    assert findings(output) == [("article_cnn", "CNN111")]
    code, output = run("check", "-f", "json", "--select", "CNN3,receptive-field-too-small", *files)
    assert findings(output) == [("strided_convs", "CNN401")]
    code, output = run("check", "-f", "json", "--ignore", "CNN111", "--ignore", "CNN4", "--strict", *files)
    assert (code, findings(output)) == (0, [])


def test_bad_selectors_exit_2(project: Path) -> None:
    code, output = run("check", "--select", "CNN9", str(project / "lenet5.yaml"))
    assert code == 2
    assert "--select: no rule matches `CNN9` (did you mean `CNN109`?)" in output
    code, output = run("check", "--ignore", "output-too-small", str(project / "lenet5.yaml"))
    assert code == 2
    assert "cannot be ignored" in output


def test_errors_are_reported_whatever_is_selected(examples: Path) -> None:
    code, output = run(
        "check", "-f", "json", "--select", "CNN4", str(examples / "error_kernel_too_large.yaml")
    )
    assert (code, findings(output)) == (1, [("lenet5_on_28x28", "CNN101")])


def test_the_spec_ignores_rules_for_itself(project: Path) -> None:
    path = project / "narrow_view.yaml"
    path.write_text(
        path.read_text().replace("name: strided_convs", "name: strided_convs\nlint: {ignore: [CNN401]}")
    )
    code, output = run("check", "-f", "json", "--strict", str(path))
    assert (code, findings(output)) == (0, [])
    path.write_text(path.read_text().replace("[CNN401]", "[CNN401, CNN41]"))
    code, output = run("check", "-f", "json", str(path))
    assert code == 2
    (problem,) = json.loads(output)["diagnostics"]
    assert (problem["code"], problem["field"], problem["line"]) == ("CNN001", "lint.ignore[1]", 4)
    assert problem["message"] == "no rule matches `CNN41`"


def test_pyproject_configures_and_the_command_line_overrides(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.cnncalc]\nstrict = true\nignore = ["CNN401"]\n')
    files = [str(project / name) for name in ("article_cnn.yaml", "narrow_view.yaml")]
    code, output = run("check", "-f", "json", *files)
    assert (code, findings(output)) == (1, [("article_cnn", "CNN111")])  # strict: the info fails
    assert run("check", "--no-strict", *files)[0] == 0
    assert run("check", "--ignore", "CNN111", *files)[0] == 0
    (project / "pyproject.toml").write_text('[tool.cnncalc]\nstrict = true\nignore = ["CNN111"]\n')
    code, output = run("check", "-f", "json", "--select", "CNN111", *files)
    assert (code, findings(output)) == (0, [])  # the configured ignore still applies
    (project / "pyproject.toml").write_text('[tool.cnncalc]\nselct = ["CNN1"]\n')
    code, output = run("check", *files)
    assert code == 2
    assert "[tool.cnncalc]: unknown key `selct` (did you mean `select`?)" in output


def test_github_annotations(project: Path) -> None:
    bad = project / "bad.yaml"
    bad.write_text("input: [28, 28, 1]\nlayers:\n  - {type: conv2d, filters: 3, kernel: 3, strides: 0}\n")
    code, output = run(
        "check", "-f", "github", *(str(project / n) for n in ("lenet5.yaml", "narrow_view.yaml", "bad.yaml"))
    )
    assert code == 2
    strides = str(project / "narrow_view.yaml").replace(":", "%3A").replace(",", "%2C")
    warning, error = output.splitlines()
    assert warning.startswith(
        f"::warning file={strides},line=9,title=cnncalc CNN401::global_average_pooling2d pools features of conv2d_2 "
        "that each see only 15×15 of the 28×28 input%0Ahint: 1 more 3×3 convolution"
    )
    assert error.endswith(",line=3,col=43,title=cnncalc CNN001::layers[0].strides: must be at least 1, got 0")
    assert error.startswith("::error file=")
    assert run("check", "-f", "github", str(project / "lenet5.yaml")) == (0, "")


def test_json_findings_carry_hint_and_line(project: Path) -> None:
    code, output = run("check", "-f", "json", str(project / "narrow_view.yaml"))
    assert code == 1
    (diagnostic,) = json.loads(output)["diagnostics"]
    assert {k: diagnostic[k] for k in ("code", "severity", "layer", "line")} == {
        "code": "CNN401",
        "severity": "warning",
        "layer": 3,
        "line": 9,
    }
    assert diagnostic["hint"].startswith(
        "1 more 3×3 convolution before global_average_pooling2d would see 31×31"
    )


def test_markdown_counts_the_findings(project: Path) -> None:
    code, output = run("check", "-f", "markdown", str(project / "article_cnn.yaml"))
    assert code == 0
    assert "**Findings:** 1 info" in output
    assert (
        "- **info CNN111** max_pooling2d_2 (line 12): max_pooling2d_2 leaves out the last row and column"
        in output
    )


def test_rules_json_lists_every_rule() -> None:
    code, output = run("rules", "--format", "json")
    assert code == 0
    listing = json.loads(output)
    assert len(listing) == 26
    assert all(set(entry) == {"code", "name", "severity", "summary"} for entry in listing)
    assert listing[0]["code"] == "CNN001"
    assert listing[1] == {
        "code": "CNN101",
        "name": "output-too-small",
        "severity": "error",
        "summary": "A kernel or pool window does not fit its input: the layer would have no output.",
    }
    assert {e["code"]: e["severity"] for e in listing if e["severity"] == "info"} == {
        "CNN111": "info",
        "CNN303": "info",
    }


def test_rules_table() -> None:
    code, output = run("rules")
    assert code == 0
    assert "CNN401" in output
    assert "receptive-field-too-small" in output


def test_rule_explains_one_by_code_or_name() -> None:
    code, output = run("rule", "CNN111")
    assert code == 0
    assert output.startswith("# CNN111 `dropped-map-cells`\n")
    assert "## Why is this bad?" in output
    assert run("rule", "dropped-map-cells") == (0, output)
    code, output = run("rule", "CNN999")
    assert code == 2
    assert "no rule `CNN999`" in output


def test_rules_docs_writes_the_pages_and_never_overwrites_without_force(tmp_path: Path) -> None:
    target = tmp_path / "rules"
    assert run("rules", "--docs", str(target))[0] == 0
    assert len(list(target.glob("*.md"))) == 27
    assert (target / "CNN201.md").read_text().startswith("# CNN201 `parameter-explosion`")
    code, output = run("rules", "--docs", str(target))
    assert code == 2
    assert "already exists; pass --force" in output
    assert run("rules", "--docs", str(target), "--force")[0] == 0


def test_solve() -> None:
    code, output = run("solve", "--input", "28", "--output", "14", "--kernel", "3")
    assert code == 0
    assert "⌈28/2⌉ = 14 (pad 0 + 1)" in output
    assert "⌊(28 − 3 + 2·1)/2⌋ + 1 = 14" in output
    code, output = run(
        "solve", "--input", "28", "--output", "14", "--kernel", "3", "--stride", "2", "-f", "json"
    )
    assert code == 0
    assert json.loads(output) == [
        {"strides": 2, "dilation": 1, "padding": "same", "pad": [0, 1], "output": 14, "dropped": 0},
        {"strides": 2, "dilation": 1, "padding": [1, 1], "pad": [1, 1], "output": 14, "dropped": 0},
        {"strides": 2, "dilation": 1, "padding": [0, 1], "pad": [0, 1], "output": 14, "dropped": 0},
    ]
    code, output = run(
        "solve", "--input", "7", "--output", "3", "--kernel", "2", "--padding", "valid", "--stride", "2"
    )
    assert code == 0
    assert "last 1" in output  # ⌊(7 − 2)/2⌋ + 1 = 3 windows cover 6 of 7


def test_solve_without_a_solution_exits_1() -> None:
    # 5 → 10 needs 5 + P − K + 1 = 10: more padding than a 3×3 kernel (or its dilations that fit) allows
    code, output = run("solve", "--input", "5", "--output", "10", "--kernel", "3")
    assert code == 1
    assert "no strides, padding and dilation take 5 to 10" in output

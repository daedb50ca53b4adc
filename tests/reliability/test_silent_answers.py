"""Answers that used to be silently wrong: an empty rule selector turned every rule off (exit 0 on a
spec with an error), and strides larger than the kernel left pixels unseen without a finding."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import cnncalc
from cnncalc.cli import app
from cnncalc.linter.config import ConfigError

ROOT = Path(__file__).resolve().parents[2]
BROKEN = str(ROOT / "examples" / "error_kernel_too_large.yaml")
runner = CliRunner()


@pytest.mark.parametrize(
    "option", [["--select", ""], ["--select", "CNN110,"], ["--ignore", ""], ["--select", " , "]]
)
def test_an_empty_selector_is_an_error_not_every_rule_off(option: list[str]) -> None:
    result = runner.invoke(app, ["check", BROKEN, *option])
    assert result.exit_code == 2
    assert f"error: {option[0]}: an empty rule selector selects nothing" in result.output


def test_an_empty_selector_in_pyproject_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.cnncalc]\nselect = [""]\n')
    spec = tmp_path / "net.yaml"
    spec.write_text((ROOT / "examples" / "error_kernel_too_large.yaml").read_text())
    result = runner.invoke(app, ["check", str(spec)])
    assert result.exit_code == 2
    assert "[tool.cnncalc] select: an empty rule selector selects nothing" in " ".join(result.output.split())


def test_an_empty_selector_in_the_library_is_an_error() -> None:
    with pytest.raises(ConfigError, match="empty rule selector"):
        cnncalc.lint(BROKEN, select=[""])


def test_strides_larger_than_the_kernel_are_reported() -> None:
    # 28 → ⌊(28 − 1)/2⌋ + 1 = 14 outputs of 1 pixel, 2 apart: rows and columns 1, 3, …, 27 unseen
    spec = "input: [28, 28, 1]\nlayers:\n  - {type: conv2d, filters: 8, kernel_size: 1, strides: 2}\n"
    assert [(d.code, d.severity.value) for d in cnncalc.lint(spec)] == [("CNN116", "warning")]

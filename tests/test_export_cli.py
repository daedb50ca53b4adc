"""`cnncalc export --to numpy`: a standalone script, never written over an existing file unasked."""

from __future__ import annotations

import ast
from pathlib import Path

from typer.testing import CliRunner

from cnncalc.cli import app

runner = CliRunner()


def test_export_numpy_writes_a_python_script_and_refuses_to_overwrite(examples: Path, tmp_path: Path) -> None:
    target = tmp_path / "lenet5.py"
    result = runner.invoke(app, ["export", str(examples / "lenet5.yaml"), "--to", "numpy", "-o", str(target)])
    assert result.exit_code == 0, result.output
    tree = ast.parse(target.read_text())
    assert "main" in {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
    assert "import tensorflow" not in target.read_text()
    written = target.read_text()
    again = runner.invoke(app, ["export", str(examples / "lenet5.yaml"), "--to", "numpy", "-o", str(target)])
    assert again.exit_code == 2
    assert "already exists; pass --force" in again.output
    assert target.read_text() == written


def test_export_refuses_a_spec_with_errors(examples: Path, tmp_path: Path) -> None:
    target = tmp_path / "broken.py"
    result = runner.invoke(
        app, ["export", str(examples / "error_kernel_too_large.yaml"), "--to", "numpy", "-o", str(target)]
    )
    assert result.exit_code == 2
    assert "it has errors: CNN101" in result.output
    assert not target.exists()

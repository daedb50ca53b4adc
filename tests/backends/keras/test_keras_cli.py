"""The Keras commands end to end: crosscheck, check --keras, import-keras, export."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from typer.testing import CliRunner

import cnncalc
from cnncalc.cli import app

ROOT = Path(__file__).resolve().parents[3]
LENET = str(ROOT / "examples" / "lenet5.yaml")
BROKEN = str(ROOT / "examples" / "error_kernel_too_large.yaml")
runner = CliRunner()

# TensorFlow's tensors under NumPy 2 (inside Keras' convert_to_numpy): not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword")


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "120", "NO_COLOR": "1"})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def rows(output: str) -> list[list[str]]:
    """The cells of every table row in the output."""
    return [
        [cell.strip() for cell in line.split("│")[1:-1]]
        for line in output.splitlines()
        if line.startswith("│")
    ]


@pytest.mark.keras
def test_crosscheck_shows_both_sides_then_keras_summary(bridge: SimpleNamespace) -> None:
    code, output = run("crosscheck", LENET)
    assert code == 0
    assert ["5", "dense", "(120,)", "(120,)", "48,120", "48,120", "✓"] in rows(output)
    assert "✓ cnncalc and Keras agree on all 8 layers" in output
    assert 'Model: "lenet5"' in output
    assert "Total params: 61,706 (241.04 KB)" in output


@pytest.mark.keras
def test_crosscheck_of_a_broken_spec_shows_keras_refusing_the_same_layer(bridge: SimpleNamespace) -> None:
    code, output = run("crosscheck", BROKEN)
    assert code == 1
    assert ["4", "conv3", "error CNN101", "rejected", "—", "—", "✓"] in rows(output)
    assert "cnncalc: error CNN101 conv3: kernel 5 does not fit a 4×4 input" in output
    assert "Keras: rejects conv3: Computed output size would be zero or negative." in output
    assert "Model:" not in output


@pytest.mark.keras
def test_crosscheck_exits_1_on_a_mismatch(bridge: SimpleNamespace, monkeypatch: pytest.MonkeyPatch) -> None:
    from cnncalc.backends.keras import plan
    from cnncalc.spec.models import Dense

    def one_unit_too_many(layer: Dense, data_format: str, shape: tuple[int, ...]) -> dict[str, Any]:
        return {"units": (layer.units + 1, None), "activation": (layer.activation, "linear")}

    monkeypatch.setitem(plan._ARGUMENTS, Dense, one_unit_too_many)
    code, output = run("crosscheck", LENET)
    assert code == 1
    assert ["5", "dense", "(120,)", "(121,)", "48,120", "48,521", "✗"] in rows(output)
    assert "✗ cnncalc and Keras disagree on 3 of 8 layers: dense, dense_1, dense_2" in output


@pytest.mark.keras
@pytest.mark.parametrize(("files", "expected"), [([LENET, BROKEN], 1), ([LENET, "missing.yaml"], 2)])
def test_crosscheck_exit_codes_with_several_files(
    bridge: SimpleNamespace, files: list[str], expected: int
) -> None:
    code, output = run("crosscheck", *files)
    assert code == expected
    assert output.count("cnncalc vs Keras") == (2 if expected == 1 else 1)


@pytest.mark.keras
def test_check_keras_adds_the_crosscheck_to_the_report(bridge: SimpleNamespace) -> None:
    code, output = run("check", "--keras", LENET)
    assert code == 0
    assert ["0", "conv2d (Conv2D)", "(28, 28, 6)", "156"] in rows(output)  # check's own table
    assert "✓ cnncalc and Keras agree on all 8 layers" in output


def test_check_keras_needs_the_table_format() -> None:
    code, output = run("check", "--keras", "--format", "json", LENET)
    assert code == 2
    assert "--keras prints tables" in output


@pytest.mark.keras
def test_export_a_model_then_import_it_back(bridge: SimpleNamespace, tmp_path: Path) -> None:
    model, spec = tmp_path / "model.keras", tmp_path / "spec.yaml"
    assert (
        run(
            "export",
            str(ROOT / "examples" / "replicate_padding.yaml"),
            "--to",
            "keras-model",
            "-o",
            str(model),
        )[0]
        == 0
    )
    code, _ = run("import-keras", str(model), "-o", str(spec))
    assert code == 0
    assert spec.read_text().startswith(
        "# Imported from model.keras by cnncalc import-keras.\n"
        "# Loaded with Keras' safe_mode: no Python code stored in the file ran.\n"
        "name: replicate_padding\n"
    )
    assert cnncalc.load(spec) == cnncalc.load(ROOT / "examples" / "replicate_padding.yaml")
    code, output = run("import-keras", str(model), "-o", str(spec))
    assert code == 2
    assert "already exists; pass --force to overwrite it" in output
    spec.write_text("mine")
    assert run("import-keras", str(model), "-o", str(spec), "--force")[0] == 0
    assert spec.read_text() != "mine"


@pytest.mark.keras
def test_import_keras_refuses_what_is_not_a_model(bridge: SimpleNamespace, tmp_path: Path) -> None:
    junk = tmp_path / "junk.keras"
    junk.write_bytes(b"PK\x03\x04 and then not a zip archive")  # passes the quick check, not Keras'
    code, output = run("import-keras", str(junk))
    assert code == 2
    assert f"{junk}: Keras cannot load it" in output


@pytest.mark.keras
def test_exporting_a_model_needs_a_keras_file_name(bridge: SimpleNamespace, tmp_path: Path) -> None:
    assert "give it a name with -o model.keras" in run("export", LENET, "--to", "keras-model")[1]
    code, output = run("export", LENET, "--to", "keras-model", "-o", str(tmp_path / "model.h5"))
    assert code == 2
    assert "--to keras-model writes a .keras file" in output


def test_export_code_to_stdout_or_a_file_never_over_one(tmp_path: Path) -> None:
    code, output = run("export", LENET, "--to", "keras")
    assert code == 0
    assert output.startswith('"""lenet5: 8 layers, 61,706 parameters.')
    target = tmp_path / "model.py"
    target.write_text("# my code\n")
    code, output = run("export", LENET, "--to", "keras", "-o", str(target))
    assert code == 2
    assert target.read_text() == "# my code\n"
    assert run("export", LENET, "--to", "keras", "-o", str(target), "--force")[0] == 0
    assert "def build_model() -> keras.Model:" in target.read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--to", "pytorch"], "'pytorch' is not one of keras, keras-model"),
        (["--to", "keras", "-o", "model.txt"], "--to keras writes a .py file"),
    ],
)
def test_export_usage_errors_exit_2(args: list[str], message: str) -> None:
    code, output = run("export", LENET, *args)
    assert code == 2
    assert message in output


def test_exporting_a_broken_spec_exits_2() -> None:
    code, output = run("export", BROKEN, "--to", "keras")
    assert code == 2
    assert "it has errors: CNN101" in output

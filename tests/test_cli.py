"""`cnncalc check` and `cnncalc schema` end to end: exit codes, JSON parsed back, golden tables."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from typer.testing import CliRunner

from cnncalc.cli import app

GOLDEN = Path(__file__).parent / "golden"
runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "100", "NO_COLOR": "1"})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def test_check_prints_the_table_like_keras_summary(examples: Path) -> None:
    code, output = run("check", str(examples / "lenet5.yaml"))
    assert code == 0
    golden = (GOLDEN / "lenet5_table.txt").read_text().replace("{file}", str(examples / "lenet5.yaml"))
    assert [line.rstrip() for line in output.splitlines()] == [line.rstrip() for line in golden.splitlines()]


def test_totals_count_bytes_as_keras(tmp_path: Path) -> None:
    # Keras 3.15's summary() of Input((8, 8, 3)) → Normalization(axis=-1) → Conv2D(2, 3): the
    # Normalization's count is an int64 (8 bytes), its mean and variance 3 float32 each (24 bytes).
    spec = tmp_path / "normalized.yaml"
    spec.write_text(
        "input: [8, 8, 3]\nlayers:\n  - {type: normalization}\n  - {type: conv2d, filters: 2, kernel_size: 3}\n"
    )
    code, output = run("check", str(spec))
    assert code == 0
    assert "Total params: 63 (256.00 B)" in output
    assert "Trainable params: 56 (224.00 B)" in output
    assert "Non-trainable params: 7 (32.00 B)" in output


def test_explain_adds_formulas(examples: Path) -> None:
    code, output = run("check", "--explain", str(examples / "lenet5.yaml"))
    assert code == 0
    assert "(32 − 5 + 2·0)/1 + 1 = 28" in output
    assert "params = 5·5·1·6 + 6 = 156" in output


def test_error_findings_exit_1_with_the_message(examples: Path) -> None:
    code, output = run("check", str(examples / "error_kernel_too_large.yaml"))
    assert code == 1
    assert "error CNN101 conv3 (line 12): kernel 5 does not fit a 4×4 input at layer conv3" in output


def test_bad_file_exits_2_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("input: [28, 28, 1]\nlayers:\n  - {type: conv, filters: 3}\n")
    code, output = run("check", str(bad))
    assert code == 2
    assert f"error {bad}:3:5: layers[0]: unknown layer type 'conv'" in output
    assert "did you mean `conv2d`?" in output
    assert "Traceback" not in output


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (["lenet5.yaml", "article_cnn.yaml"], 0),
        (["lenet5.yaml", "error_kernel_too_large.yaml"], 1),
        (["error_kernel_too_large.yaml", "missing.yaml", "lenet5.yaml"], 2),
    ],
)
def test_with_several_files_the_worst_exit_code_wins(examples: Path, files: list[str], expected: int) -> None:
    code, _ = run("check", *(str(examples / name) for name in files))
    assert code == expected


def test_json_contract(examples: Path) -> None:
    code, output = run("check", "--format", "json", str(examples / "lenet5.yaml"))
    assert code == 0
    report = json.loads(output)
    assert {
        k: report[k]
        for k in (
            "name",
            "input_shape",
            "data_format",
            "total_params",
            "trainable_params",
            "non_trainable_params",
            "diagnostics",
        )
    } == {
        "name": "lenet5",
        "input_shape": [32, 32, 1],
        "data_format": "channels_last",
        "total_params": 61_706,
        "trainable_params": 61_706,
        "non_trainable_params": 0,
        "diagnostics": [],
    }
    assert report["file"] == str(examples / "lenet5.yaml")
    first = report["layers"][0]
    assert {
        k: first[k]
        for k in ("index", "name", "type", "input_shape", "output_shape", "params", "trainable_params")
    } == {
        "index": 0,
        "name": "conv2d",
        "type": "conv2d",
        "input_shape": [32, 32, 1],
        "output_shape": [28, 28, 6],
        "params": 156,
        "trainable_params": 156,
    }
    assert len(report["layers"]) == 8


def test_json_after_an_error_keeps_one_entry_per_layer(examples: Path) -> None:
    code, output = run("check", "-f", "json", str(examples / "error_kernel_too_large.yaml"))
    assert code == 1
    report = json.loads(output)
    assert [layer["output_shape"] for layer in report["layers"]] == [
        [24, 24, 6],
        [12, 12, 6],
        [8, 8, 16],
        [4, 4, 16],
        None,
        None,
        None,
        None,
    ]
    (diagnostic,) = report["diagnostics"]
    assert {k: diagnostic[k] for k in ("code", "severity", "layer", "line")} == {
        "code": "CNN101",
        "severity": "error",
        "layer": 4,
        "line": 12,
    }


def test_json_with_several_files_is_a_list_and_bad_files_get_an_object(
    examples: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("input: [28, 28, 1]\nlayers:\n  - {type: conv2d, filters: 3, kernel: 3, strides: 0}\n")
    code, output = run("check", "-f", "json", str(examples / "lenet5.yaml"), str(bad))
    assert code == 2
    good, failed = json.loads(output)
    assert good["name"] == "lenet5"
    assert failed["file"] == str(bad)
    assert failed["layers"] == []
    (problem,) = failed["diagnostics"]
    assert problem == {
        "code": "CNN001",
        "severity": "error",
        "message": "must be at least 1, got 0",
        "layer": None,
        "hint": None,
        "line": 3,
        "use_line": None,
        "end_line": 3,
        "file": str(bad),
        "url": "docs/rules/CNN001.md",
        "column": 43,
        "field": "layers[0].strides",
    }


def test_markdown(examples: Path) -> None:
    code, output = run("check", "-f", "markdown", str(examples / "lenet5.yaml"))
    assert code == 0
    assert "| 5 | dense (Dense) | (120,) | 48,120 |" in output
    assert "**Total params:** 61,706 (241.04 KB)" in output


@pytest.mark.parametrize(
    "args", [["check"], ["check", "--format", "xml", "x.yaml"], ["check", "--nope", "x.yaml"], ["frobnicate"]]
)
def test_bad_usage_exits_2(args: list[str]) -> None:
    code, _ = run(*args)
    assert code == 2


def test_version() -> None:
    code, output = run("--version")
    assert (code, output.split()[0]) == (0, "cnncalc")


def test_schema_accepts_every_example_and_the_aliases(examples: Path) -> None:
    code, output = run("schema")
    assert code == 0
    schema = json.loads(output)
    for path in sorted(examples.glob("*.yaml")):
        jsonschema.validate(yaml.safe_load(path.read_text()), schema)
    aliased = {
        "input": [28, 28, 1],
        "layers": [
            {"type": "Conv2D", "filters": 3, "kernel": 3, "stride": 2},
            {"type": "MaxPooling2D", "pool": 2},
        ],
    }
    jsonschema.validate(aliased, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"input": [28, 28, 1], "layers": [{"type": "conv2d", "filters": 3}]}, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(
            {"input": [28, 28, 1], "layers": [{"type": "conv2d", "filters": 3, "kernel": 3, "stirdes": 1}]},
            schema,
        )


def test_schema_output_never_overwrites_without_force(tmp_path: Path) -> None:
    target = tmp_path / "schema.json"
    target.write_text("mine")
    code, output = run("schema", "-o", str(target))
    assert code == 2
    assert "already exists; pass --force" in output
    assert target.read_text() == "mine"
    code, _ = run("schema", "-o", str(target), "--force")
    assert code == 0
    assert json.loads(target.read_text())["title"] == "Spec"
    assert [p.name for p in tmp_path.iterdir()] == ["schema.json"]  # no temporary file left behind


def test_markdown_lists_findings_under_the_table(examples: Path) -> None:
    code, output = run("check", "-f", "markdown", str(examples / "error_kernel_too_large.yaml"))
    assert code == 1
    assert "| 4 | conv3 (Conv2D) | — | — |" in output
    assert "- **error CNN101** conv3 (line 12): kernel 5 does not fit a 4×4 input at layer conv3" in output

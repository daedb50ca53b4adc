"""Every option of `cnncalc check` through the command line (issue 14): exit codes (ruff's and ESLint's),
rule selection, statistics, settings, folders, standard input, output files and the batch axis.

The findings of the specs used here are known from their rule fixtures: lenet5 is clean, article_cnn
has one info (CNN111), narrow_view one warning (CNN401), error_kernel_too_large one error (CNN101).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cnncalc.cli import app
from cnncalc.linter.registry import RULES

ALWAYS = [rule.code for rule in RULES if rule.always_reported]

FIXTURES = Path(__file__).resolve().parent / "fixtures"
runner = CliRunner()


def run(*args: str, stdin: str | None = None, columns: int = 100) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), input=stdin, env={"COLUMNS": str(columns), "NO_COLOR": "1"})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def project(tmp_path: Path, examples: Path) -> Path:
    """clean.yaml, info.yaml, warning.yaml and error.yaml in a folder."""
    shutil.copy(examples / "lenet5.yaml", tmp_path / "clean.yaml")
    shutil.copy(examples / "article_cnn.yaml", tmp_path / "info.yaml")
    shutil.copy(FIXTURES / "narrow_view.yaml", tmp_path / "warning.yaml")
    shutil.copy(examples / "error_kernel_too_large.yaml", tmp_path / "error.yaml")
    return tmp_path


def spec(project: Path, *names: str) -> list[str]:
    return [str(project / f"{name}.yaml") for name in names]


# --- exit codes --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("names", "options", "expected"),
    [
        (["clean"], [], 0),
        (["info"], [], 0),  # info findings never fail by default
        (["warning"], [], 1),  # what is reported fails, as in ruff
        (["error"], [], 1),
        (["info"], ["--strict"], 1),  # strict: info findings fail too
        (["clean"], ["--strict"], 0),
        (["warning"], ["--exit-zero"], 0),
        (["error"], ["--exit-zero"], 0),
        (["warning"], ["--max-warnings", "1"], 0),  # ESLint: fail only above N warnings
        (["warning"], ["--max-warnings", "0"], 1),
        (["warning", "warning"], ["--max-warnings", "1"], 1),  # counted over all files
        (["warning", "warning"], ["--max-warnings", "2"], 0),
        (["error"], ["--max-warnings", "5"], 1),  # errors always fail
        (["info", "warning"], ["--max-warnings", "1", "--strict"], 1),
    ],
)
def test_exit_codes(project: Path, names: list[str], options: list[str], expected: int) -> None:
    assert run("check", *options, *spec(project, *names))[0] == expected


def test_a_file_that_cannot_be_loaded_exits_2_even_with_exit_zero(project: Path) -> None:
    (project / "broken.yaml").write_text("input: [28, 28, 1]\nlayers: []\n")
    files = spec(project, "clean", "broken")
    assert run("check", "--exit-zero", *files)[0] == 2
    assert run("check", "--max-warnings", "9", *files)[0] == 2


def test_strict_in_pyproject_fails_info_findings(project: Path) -> None:
    (project / "pyproject.toml").write_text("[tool.cnncalc]\nstrict = true\n")
    assert run("check", *spec(project, "info"))[0] == 1
    assert run("check", "--no-strict", *spec(project, "info"))[0] == 0


# --- rule selection ----------------------------------------------------------------------------


def codes(stdout: str) -> list[str]:
    reports = json.loads(stdout)
    return [
        d["code"]
        for report in (reports if isinstance(reports, list) else [reports])
        for d in report["diagnostics"]
    ]


def test_select_all_and_extend_select(project: Path) -> None:
    files = spec(project, "info", "warning")
    assert codes(run("check", "-f", "json", "--select", "ALL", *files)[1]) == ["CNN111", "CNN401"]
    assert codes(run("check", "-f", "json", "--select", "CNN4", *files)[1]) == ["CNN401"]
    code, stdout, _ = run("check", "-f", "json", "--select", "CNN4", "--extend-select", "CNN111", *files)
    assert (code, codes(stdout)) == (1, ["CNN111", "CNN401"])
    code, _, stderr = run("check", "--extend-select", "CNN9", *files)
    assert code == 2
    assert "--extend-select: no rule matches `CNN9`" in stderr


def test_pyproject_extend_select_is_dropped_by_a_command_line_select(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.cnncalc]\nselect = ["CNN4"]\nextend-select = ["CNN111"]\n')
    files = spec(project, "info", "warning")
    assert codes(run("check", "-f", "json", *files)[1]) == ["CNN111", "CNN401"]
    assert codes(run("check", "-f", "json", "--select", "CNN4", *files)[1]) == ["CNN401"]


def test_a_layer_ignores_a_rule_through_the_command_line(project: Path) -> None:
    path = project / "warning.yaml"
    path.write_text(
        path.read_text().replace(
            "- {type: globalavgpool2d}", "- {type: globalavgpool2d, lint: {ignore: CNN401}}"
        )
    )
    code, stdout, _ = run("check", str(path))
    assert code == 0
    assert "Findings" not in stdout


# --- statistics and settings -------------------------------------------------------------------


def test_statistics(project: Path) -> None:
    files = spec(project, "info", "warning", "warning", "error")
    code, stdout, _ = run("check", "--statistics", *files)
    assert code == 1
    assert stdout.splitlines() == [
        "2  CNN401  receptive-field-too-small  warning",
        "1  CNN101  output-too-small           error",
        "1  CNN111  dropped-map-cells          info",
    ]
    code, stdout, _ = run("check", "--statistics", "-f", "json", *files)
    assert json.loads(stdout)[0] == {
        "code": "CNN401",
        "name": "receptive-field-too-small",
        "severity": "warning",
        "count": 2,
    }
    assert run("check", "--statistics", *spec(project, "clean"))[:2] == (0, "No findings.\n")
    assert run("check", "--statistics", "-f", "sarif", *files)[0] == 2


def test_show_settings(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.cnncalc]\nselect = ["CNN4"]\nstrict = true\n')
    code, stdout, _ = run(
        "check", "--show-settings", "--ignore", "CNN401", "--max-warnings", "3", *spec(project, "warning")
    )
    assert code == 0
    assert stdout.splitlines() == [
        f"Settings for {project / 'warning.yaml'}",
        f"  settings file: {project / 'pyproject.toml'}",
        "  select: CNN4",
        "  extend-select: -",
        "  ignore: CNN401",
        "  strict: true (info findings fail)",
        "  max-warnings: 3",
        "  exit-zero: false",
        # CNN4 is CNN401 and CNN402; CNN401 ignored: what runs is what is always reported (files, and
        # the engine's errors), and CNN402.
        f"  rules ({len(ALWAYS) + 1}): {', '.join([*ALWAYS, 'CNN402'])}",
    ]
    assert ALWAYS[:2] == ["CNN001", "CNN101"]
    code, stdout, _ = run("check", "--show-settings", "-f", "json", "--select", "ALL", str(project))
    (settings,) = json.loads(stdout)
    assert settings["select"] == ["ALL"]
    assert settings["settings_file"] == str(project / "pyproject.toml")
    assert settings["rules"] == [rule.code for rule in RULES]


# --- folders and standard input ----------------------------------------------------------------


def test_a_folder_is_searched_and_what_is_not_a_spec_is_skipped_with_a_note(project: Path) -> None:
    (project / "models").mkdir()
    shutil.move(project / "clean.yaml", project / "models" / "clean.yml")
    (project / "ci.yaml").write_text("jobs:\n  test: {runs-on: ubuntu}\n")
    (project / "hooks.yaml").write_text("- id: a\n")
    (project / "schema.json").write_text('{"title": "not a spec"}')
    (project / "notes.txt").write_text("layers: not yaml I look at")
    (project / ".hidden").mkdir()
    shutil.copy(project / "error.yaml", project / ".hidden" / "error.yaml")
    code, stdout, stderr = run("check", "-f", "json", str(project))
    assert code == 1
    assert [Path(report["file"]).name for report in json.loads(stdout)] == [
        "error.yaml",
        "info.yaml",
        "warning.yaml",
        "clean.yml",
    ]
    assert stderr.splitlines() == [
        f"note: skipped {project / 'ci.yaml'}: not a spec (a mapping without `layers`)",
        f"note: skipped {project / 'hooks.yaml'}: not a spec (a list, not a mapping with `layers`)",
        f"note: skipped {project / 'schema.json'}: not a spec (a mapping without `layers`)",
    ]


def test_json_is_a_list_for_a_folder_even_with_one_spec(project: Path) -> None:
    (project / "only").mkdir()
    shutil.copy(project / "clean.yaml", project / "only")
    code, stdout, _ = run("check", "-f", "json", str(project / "only"))
    assert (code, [report["name"] for report in json.loads(stdout)]) == (0, ["lenet5"])
    assert json.loads(run("check", "-f", "json", *spec(project, "clean"))[1])["name"] == "lenet5"


def test_a_folder_without_specs_says_so(tmp_path: Path) -> None:
    code, stdout, stderr = run("check", "-f", "json", str(tmp_path))
    assert (code, json.loads(stdout), stderr) == (0, [], "warning: no spec found\n")


def test_standard_input(project: Path) -> None:
    text = (project / "warning.yaml").read_text()
    code, stdout, _ = run("check", "-f", "json", "-", stdin=text)
    report = json.loads(stdout)
    assert (code, report["name"], report["file"]) == (1, "strided_convs", "<stdin>")
    assert report["diagnostics"][0]["file"] == "<stdin>"
    code, stdout, _ = run(
        "check", "-f", "concise", "-", stdin="input: [28, 28, 1]\nlayers:\n  - {type: conv}\n"
    )
    assert code == 2
    assert stdout.startswith("<stdin>:3:5: CNN001 error: layers[0]: unknown layer type 'conv'\n")


def test_standard_input_and_files_together(project: Path) -> None:
    code, stdout, _ = run(
        "check", "-f", "json", *spec(project, "clean"), "-", stdin=(project / "info.yaml").read_text()
    )
    assert (code, [r["file"] for r in json.loads(stdout)]) == (0, [str(project / "clean.yaml"), "<stdin>"])


# --- output file -------------------------------------------------------------------------------


def test_output_file_is_written_and_never_overwritten_without_force(project: Path) -> None:
    target = project / "report.json"
    code, stdout, _ = run("check", "-f", "json", "-o", str(target), *spec(project, "warning"))
    assert (code, stdout) == (1, "")
    assert json.loads(target.read_text())["name"] == "strided_convs"
    target.write_text("mine")
    code, _, stderr = run("check", "-f", "json", "-o", str(target), *spec(project, "clean"))
    assert code == 2
    assert "already exists; pass --force" in stderr
    assert target.read_text() == "mine"
    assert run("check", "-f", "json", "-o", str(target), "--force", *spec(project, "clean"))[0] == 0
    assert json.loads(target.read_text())["name"] == "lenet5"
    assert not [p for p in project.iterdir() if p.name.startswith(".report")]  # no temporary file left


def test_output_file_in_a_missing_folder_fails_before_checking(project: Path) -> None:
    code, _, stderr = run("check", "-o", str(project / "no" / "report.txt"), *spec(project, "clean"))
    assert code == 2
    assert f"folder {project / 'no'} does not exist" in stderr


def test_table_to_a_file_has_no_colour_codes(project: Path) -> None:
    target = project / "report.txt"
    assert run("check", "-o", str(target), *spec(project, "warning"))[0] == 1
    text = target.read_text()
    assert "\x1b[" not in text
    assert "warning CNN401 global_average_pooling2d (line 9)" in text


# --- the batch axis and blocks -----------------------------------------------------------------


def test_batch_size_and_batch_axis(project: Path) -> None:
    code, stdout, _ = run("check", "--batch-size", "32", *spec(project, "clean"))
    assert code == 0
    assert "│ 4 │ flatten (Flatten)                      │ (32, 400)        │       0 │" in stdout
    assert "(32, 32, 32, 1)" in stdout  # the input row
    code, stdout, _ = run("check", "--batch-axis", *spec(project, "clean"))
    assert "│ 0 │ conv2d (Conv2D)                        │ (None, 28, 28, 6)  │     156 │" in stdout
    code, stdout, _ = run("check", "--batch-axis", "-f", "markdown", *spec(project, "clean"))
    assert "| 5 | dense (Dense) | (None, 120) | 48,120 |" in stdout
    code, stdout, _ = run("check", "--batch-size", "8", "-f", "json", *spec(project, "clean"))
    report = json.loads(stdout)
    assert (report["batch_size"], report["layers"][4]["output_shape"]) == (8, [400])  # shapes stay per sample
    code, _, stderr = run("check", "--batch-size", "8", "--batch-axis", *spec(project, "clean"))
    assert code == 2
    assert "give --batch-size or --batch-axis, not both" in stderr
    assert run("check", "--batch-size", "0", *spec(project, "clean"))[0] == 2


def test_depth_is_accepted_and_a_spec_without_blocks_keeps_every_row(project: Path) -> None:
    plain = run("check", *spec(project, "clean"))[1]
    assert run("check", "--depth", "0", *spec(project, "clean"))[1] == plain
    assert run("check", "--depth", "-1", *spec(project, "clean"))[0] == 2


def test_shapes_have_no_thousands_separators(tmp_path: Path) -> None:
    path = tmp_path / "wide.yaml"
    path.write_text("input: [4096]\nlayers:\n  - {type: dense, units: 2048}\n")
    code, stdout, _ = run("check", str(path))
    assert code == 0
    # (4096 + 1)·2048 = 8,390,656 parameters; the shapes read (2048,) and (4096,), as Keras prints them.
    assert re.search(r"│ 0 │ dense \(Dense\) +│ \(2048,\) +│ 8,390,656 │", stdout)
    assert re.search(r"│ +│ input \(channels_last\) │ \(4096,\) +│", stdout)


def test_depth_folds_the_layers_of_each_block_use(tmp_path: Path) -> None:
    path = tmp_path / "blocks.yaml"
    path.write_text(
        "input: [28, 28, 1]\nblocks:\n  down:\n    params: {filters: required}\n    layers:\n"
        "      - {name: conv, type: conv2d, filters: $filters, kernel_size: 3, padding: same, activation: relu}\n"
        "      - {name: pool, type: maxpool2d}\n"
        "layers:\n  - {block: down, name: 'b{i}', repeat: 2, filters: 8}\n  - {type: flatten}\n"
        "  - {type: dense, units: 10, activation: softmax}\n"
    )
    code, stdout, _ = run("check", "--depth", "0", "-f", "markdown", str(path))
    assert code == 0
    # conv 3×3 1→8: 3·3·1·8 + 8 = 80; conv 3×3 8→8: 3·3·8·8 + 8 = 584; 28 → 14 → 7; dense (7·7·8 + 1)·10.
    assert "| 0–1 | b1 (block of 2 layers) | (14, 14, 8) | 80 |" in stdout
    assert "| 2–3 | b2 (block of 2 layers) | (7, 7, 8) | 584 |" in stdout
    assert "| 5 | dense (Dense) | (10,) | 3,930 |" in stdout
    code, stdout, _ = run("check", "--depth", "0", str(path))
    assert re.search(r"│ 0–1 │ b1 \(block of 2 layers\) +│ \(14, 14, 8\) +│ +80 │", stdout)
    assert "b1_conv" not in run("check", "--depth", "0", str(path))[1]
    assert "b1_conv" in run("check", "--depth", "1", str(path))[1]

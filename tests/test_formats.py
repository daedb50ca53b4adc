"""The output formats through `cnncalc check --format`: concise, json-lines, gitlab, junit and sarif (the
last validated against the official OASIS SARIF 2.1.0 schema shipped in tests/schemas), the findings'
`file`, `url` and `end_line`, `rule --format json`, and the table's rows from Python (summary, to_dict,
block uses folded by depth)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

import cnncalc
from cnncalc.cli import app
from cnncalc.linter.registry import RULES
from cnncalc.render import View
from cnncalc.render.columns import Column, row_cells, rows
from cnncalc.render.junit import xml_text
from cnncalc.render.markdown import render_markdown

TESTS = Path(__file__).resolve().parent
SARIF_SCHEMA = json.loads((TESTS / "schemas" / "sarif-schema-2.1.0.json").read_text())
runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "100", "NO_COLOR": "1"})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout


@pytest.fixture
def files(tmp_path: Path, examples: Path) -> list[str]:
    """A warning (narrow_view, CNN401 on line 9), an info (article_cnn, CNN111 on line 12), a clean spec
    and one that does not load (a stride of 0, line 3 column 43)."""
    shutil.copy(TESTS / "fixtures" / "narrow_view.yaml", tmp_path / "warning.yaml")
    shutil.copy(examples / "article_cnn.yaml", tmp_path / "info.yaml")
    shutil.copy(examples / "lenet5.yaml", tmp_path / "clean.yaml")
    (tmp_path / "bad.yaml").write_text(
        "input: [28, 28, 1]\nlayers:\n  - {type: conv2d, filters: 3, kernel: 3, strides: 0}\n"
    )
    return [str(tmp_path / f"{name}.yaml") for name in ("warning", "info", "clean", "bad")]


def test_concise(files: list[str]) -> None:
    code, output = run("check", "-f", "concise", *files)
    warning, info, clean, bad = files
    assert code == 2
    assert output.splitlines() == [
        f"{warning}:9: CNN401 warning: global_average_pooling2d pools features of conv2d_2 that each see only "
        "15×15 of the 28×28 input",
        f"{info}:12: CNN111 info: max_pooling2d_2 leaves out the last row and column of its 7×7 input "
        "(3 windows of 2, stride 2, cover 6 of 7); the kept cells still see the input pixels under them",
        f"{bad}:3:43: CNN001 error: layers[0].strides: must be at least 1, got 0",
        "Found 1 error, 1 warning, 1 info.",
    ]
    assert run("check", "-f", "concise", clean) == (0, "All checks passed!\n")


def test_json_lines(files: list[str]) -> None:
    code, output = run("check", "-f", "json-lines", *files)
    assert code == 2
    lines = [json.loads(line) for line in output.splitlines()]
    assert [(d["file"], d["code"], d["line"]) for d in lines] == [
        (files[0], "CNN401", 9),
        (files[1], "CNN111", 12),
        (files[3], "CNN001", 3),
    ]
    assert lines[0]["url"] == "docs/rules/CNN401.md"
    assert (lines[2]["field"], lines[2]["column"]) == ("layers[0].strides", 43)
    assert run("check", "-f", "json-lines", files[2]) == (0, "")


def test_json_findings_carry_file_url_and_end_line(tmp_path: Path) -> None:
    path = tmp_path / "net.yaml"
    path.write_text(
        "input: [28, 28, 1]\nlayers:\n  - type: conv2d\n    filters: 8\n    kernel_size: 3\n    strides: 2\n"
        "    activation: relu\n  - {type: flatten}\n  - {type: dense, units: 10, activation: softmax}\n"
    )
    (diagnostic,) = json.loads(run("check", "-f", "json", str(path))[1])["diagnostics"]
    # CNN110: 3×3 stride 2 on 28 leaves out the last row; the layer spans lines 3 to 7.
    assert {k: diagnostic[k] for k in ("code", "line", "end_line", "file", "url")} == {
        "code": "CNN110",
        "line": 3,
        "end_line": 7,
        "file": str(path),
        "url": "docs/rules/CNN110.md",
    }
    assert Path(__file__).resolve().parent.parent.joinpath(diagnostic["url"]).is_file()


def test_gitlab_code_quality(files: list[str]) -> None:
    code, output = run("check", "-f", "gitlab", *files)
    assert code == 2
    issues = json.loads(output)
    assert [
        (i["check_name"], i["severity"], i["location"]["path"], i["location"]["lines"]) for i in issues
    ] == [
        ("CNN401", "major", files[0], {"begin": 9, "end": 9}),
        ("CNN111", "info", files[1], {"begin": 12, "end": 12}),
        ("CNN001", "critical", files[3], {"begin": 3, "end": 3}),
    ]
    assert issues[0]["description"].startswith("CNN401: global_average_pooling2d pools features of conv2d_2")
    fingerprints = [issue["fingerprint"] for issue in issues]
    assert len(set(fingerprints)) == 3
    assert all(len(f) == 32 for f in fingerprints)
    assert json.loads(run("check", "-f", "gitlab", *files)[1]) == issues  # stable across runs
    assert run("check", "-f", "gitlab", files[2]) == (0, "[]\n")


def test_gitlab_fingerprints_differ_for_the_same_finding_twice(tmp_path: Path) -> None:
    # Two identical layers in one file cannot happen (names are unique), but one file checked twice can.
    path = str(TESTS / "fixtures" / "narrow_view.yaml")
    issues = json.loads(run("check", "-f", "gitlab", path, path)[1])
    assert len({issue["fingerprint"] for issue in issues}) == 2


def test_junit(files: list[str]) -> None:
    code, output = run("check", "-f", "junit", *files)
    assert code == 2
    suites = ET.fromstring(output)
    assert (suites.tag, suites.get("tests"), suites.get("failures"), suites.get("errors")) == (
        "testsuites",
        "4",  # one case per finding (3) and one passing case for the clean file
        "1",
        "1",
    )
    warning, info, clean, bad = suites
    assert [suite.get("name") for suite in suites] == files
    (case,) = warning
    assert (case.get("name"), case.get("line")) == ("CNN401 global_average_pooling2d", "9")
    (failure,) = case
    assert (failure.tag, failure.get("type")) == ("failure", "warning CNN401")
    assert failure.text is not None and "hint: 1 more 3×3 convolution" in failure.text
    ((output_tag,),) = info
    assert output_tag.tag == "system-out"  # info findings do not fail
    ((passing_case),) = clean
    assert (passing_case.get("name"), list(passing_case)) == ("no findings", [])
    ((error,),) = bad
    assert (error.tag, error.get("message")) == ("error", "layers[0].strides: must be at least 1, got 0")


def test_xml_text_leaves_out_what_xml_forbids() -> None:
    forbidden = "".join(chr(c) for c in range(32) if chr(c) not in "\t\n\r") + "\ufffe\uffff"
    assert xml_text(f"a{forbidden}b\tc\nd é 😀") == "ab\tc\nd é 😀"
    element = ET.Element("failure", {"message": xml_text('bell\x07 <tag> & "quote"')})
    assert ET.fromstring(ET.tostring(element)).get("message") == 'bell <tag> & "quote"'


def sarif_errors(log: object) -> list[str]:
    validator = jsonschema.Draft4Validator(SARIF_SCHEMA)
    return [error.message for error in validator.iter_errors(log)]


def test_sarif_is_valid_sarif_2_1_0(files: list[str]) -> None:
    jsonschema.Draft4Validator.check_schema(SARIF_SCHEMA)
    code, output = run("check", "-f", "sarif", *files)
    assert code == 2
    log = json.loads(output)
    assert sarif_errors(log) == []
    (run_,) = log["runs"]
    rules = run_["tool"]["driver"]["rules"]
    assert [rule["id"] for rule in rules] == [rule.code for rule in RULES]
    results = run_["results"]
    assert [(r["ruleId"], r["level"], rules[r["ruleIndex"]]["id"]) for r in results] == [
        ("CNN401", "warning", "CNN401"),
        ("CNN111", "note", "CNN111"),
        ("CNN001", "error", "CNN001"),
    ]
    location = results[2]["locations"][0]["physicalLocation"]
    assert location["region"] == {"startLine": 3, "startColumn": 43}
    assert location["artifactLocation"]["uri"] == Path(files[3]).as_uri()
    assert results[0]["message"]["text"].startswith("global_average_pooling2d pools features")
    assert rules[0]["help"]["markdown"].startswith("# CNN001 `invalid-spec`")


def test_sarif_validation_would_catch_a_broken_log(files: list[str]) -> None:
    log = json.loads(run("check", "-f", "sarif", *files)[1])
    log["runs"][0]["results"][0]["level"] = "fatal"
    del log["version"]
    assert len(sarif_errors(log)) == 2


def test_sarif_relative_paths_stay_relative(examples: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(examples.parent)
    log = json.loads(run("check", "-f", "sarif", "examples/article_cnn.yaml")[1])
    assert sarif_errors(log) == []
    (result,) = log["runs"][0]["results"]
    assert (
        result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "examples/article_cnn.yaml"
    )


def test_github_marks_the_last_line_of_a_layer(tmp_path: Path) -> None:
    path = tmp_path / "net.yaml"
    path.write_text(
        "input: [28, 28, 1]\nlayers:\n  - {type: conv2d, filters: 8, kernel_size: 3, strides: 2,\n"
        "     activation: relu}\n  - {type: flatten}\n  - {type: dense, units: 10, activation: softmax}\n"
    )
    code, output = run("check", "-f", "github", str(path))
    assert code == 1
    assert ",line=3,endLine=4,title=cnncalc CNN110::" in output


# --- rule ---------------------------------------------------------------------------------------


def test_rule_explains_file_errors() -> None:
    code, output = run("rule", "CNN001")
    assert code == 0
    assert output.startswith("# CNN001 `invalid-spec`\n")
    assert "Default severity: **error** (always reported: nothing in the file can be analysed)" in output


@pytest.mark.parametrize("code", ["CNN001", "CNN101", "CNN110", "CNN401"])
def test_rule_shows_no_repository_links_in_a_terminal(code: str) -> None:
    status, output = run("rule", code)
    assert status == 0
    assert "../" not in output
    assert "Source: `cnncalc/linter/rules/" in output


def test_rule_as_json() -> None:
    code, output = run("rule", "dropped-map-cells", "--format", "json")
    assert code == 0
    rule = json.loads(output)
    assert {k: rule[k] for k in ("code", "name", "severity", "family", "always_reported", "url")} == {
        "code": "CNN111",
        "name": "dropped-map-cells",
        "severity": "info",
        "family": "shapes",
        "always_reported": False,
        "url": "docs/rules/CNN111.md",
    }
    assert "## Why is this bad?" in rule["explanation"]
    assert json.loads(run("rule", "CNN001", "-f", "json")[1])["always_reported"] is True


# --- from Python --------------------------------------------------------------------------------


def test_summary_is_the_table_as_text(examples: Path) -> None:
    analysis = cnncalc.analyze(examples / "lenet5.yaml")
    text = analysis.summary()
    assert text.splitlines()[0] == f"lenet5  {examples / 'lenet5.yaml'}"
    assert "│ 7 │ dense_2 (Dense)                        │ (10,)        │     850 │" in text
    assert text.splitlines()[-3] == "Total params: 61,706 (241.04 KB)"
    assert "\x1b[" not in text
    assert "params = 5·5·1·6 + 6 = 156" in analysis.summary(explain=True)


def test_to_dict_is_the_json_object(examples: Path) -> None:
    analysis = cnncalc.analyze(examples / "lenet5.yaml")
    report = analysis.to_dict()
    assert json.loads(run("check", "-f", "json", str(examples / "lenet5.yaml"))[1]) == report
    assert report["total_params"] == 61_706


def test_records_import_no_renderer_until_asked() -> None:
    code = (
        "import sys, cnncalc; a = cnncalc.analyze('input: [4]\\nlayers: [{type: dense, units: 2}]'); "
        "print('rich' in sys.modules, end=' '); a.summary(); print('rich' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout == "False True\n"


BLOCKS = """\
input: [8, 8, 3]
layers:
  - {type: conv2d, filters: 4, kernel_size: 3, padding: same, name: stem}
  - {type: conv2d, filters: 4, kernel_size: 1, name: stage1_block1_1_conv}
  - {type: conv2d, filters: 4, kernel_size: 3, padding: same, name: stage1_block1_2_conv}
  - {type: conv2d, filters: 4, kernel_size: 1, name: stage1_block2_1_conv}
  - {type: conv2d, filters: 4, kernel_size: 3, padding: same, name: stage1_block2_2_conv}
  - {type: flatten}
  - {type: dense, units: 10, activation: softmax}
"""


def with_blocks() -> cnncalc.Analysis:
    """Records as block expansion makes them (graph contract: ``block`` names the uses, outermost first):
    layers 1-2 from use stage1/block1, 3-4 from stage1/block2."""
    analysis = cnncalc.analyze(BLOCKS)
    uses = {
        1: ("stage1", "block1"),
        2: ("stage1", "block1"),
        3: ("stage1", "block2"),
        4: ("stage1", "block2"),
    }
    layers = tuple(replace(record, block=uses.get(record.index, ())) for record in analysis.layers)
    return replace(analysis, layers=layers)


def test_depth_folds_block_uses_into_one_row_each() -> None:
    analysis = with_blocks()
    # conv 3×3 3→4: 3·3·3·4 + 4 = 112; conv 1×1 4→4: 4·4 + 4 = 20; conv 3×3 4→4: 3·3·4·4 + 4 = 148.
    folded = View(depth=0)
    shown = (Column.OUTPUT, Column.PARAMS)
    assert [tuple(row_cells(row, shown, folded)) for row in rows(analysis, folded)] == [
        ("0", "stem (Conv2D)", "(8, 8, 4)", "112"),
        ("1–4", "stage1 (block of 4 layers)", "(8, 8, 4)", "336"),  # 2·(20 + 148)
        ("5", "flatten (Flatten)", "(256,)", "0"),
        ("6", "dense (Dense)", "(10,)", "2,570"),  # (256 + 1)·10
    ]
    once = View(depth=1)
    assert [tuple(row_cells(row, (Column.PARAMS,), once)) for row in rows(analysis, once)][1:3] == [
        ("1–2", "block1 (block of 2 layers)", "168"),
        ("3–4", "block2 (block of 2 layers)", "168"),
    ]
    assert len(rows(analysis, View(depth=2))) == len(rows(analysis)) == 7
    markdown = render_markdown([analysis], View(depth=0, batch="None"))
    assert "| 1–4 | stage1 (block of 4 layers) | (None, 8, 8, 4) | 336 |" in markdown

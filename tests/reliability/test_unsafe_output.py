"""Text from a file is shown, never obeyed: terminal control sequences, rich markup, HTML and bytes
that are not UTF-8 in names, fields and file names come out as visible escapes in every format."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cnncalc.cli import app

runner = CliRunner()
HOSTILE = "a\x1b[2J\x07\x9b\u202e[red]x[bold]|<img src=x onerror=alert(1)>&\r\nz"
"""ESC (clear screen), BEL, C1 CSI, a right-to-left override, rich markup, a pipe, HTML and a line
break: what a layer name may hold (anything but ``/``)."""
SHOWN = r"a\x1b[2J\x07\x9b\u202e[red]x[bold]|<img src=x onerror=alert(1)>&\r\nz"
RAW = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e]")
"""Characters that must never reach the output (a newline may, between lines)."""


def spec_file(tmp_path: Path, name: str = "net.yaml") -> Path:
    path = tmp_path / name
    text = (
        f"name: {json.dumps(HOSTILE + '[/]')}\ninput: [28, 28, 1]\nlayers:\n"  # [/]: a closing tag
        f"  - {{type: conv2d, filters: 2, kernel_size: 3, name: {json.dumps(HOSTILE)}}}\n"
        "  - {type: conv2d, filters: 2, kernel_size: 3}\n"  # CNN301 quotes the hostile name in its message
    )
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("output_format", ["table", "tree", "markdown", "github"])
def test_names_are_shown_with_visible_escapes(tmp_path: Path, output_format: str) -> None:
    result = runner.invoke(app, ["check", "-f", output_format, str(spec_file(tmp_path))])
    # no MarkupError on the title's "[/]" (that would be 2, with a traceback); CNN301's warning fails: 1
    assert result.exit_code == 1, result.output
    assert not RAW.search(result.output), RAW.findall(result.output)
    if output_format == "markdown":
        assert (
            r"a\x1b[2J\x07\x9b\u202e[red]x[bold]\|&lt;img src=x onerror=alert(1)&gt;&amp;\r\nz"
            in result.output
        )
        assert "<img" not in result.output
    elif output_format == "github":
        assert SHOWN.replace(",", "%2C") in result.output or SHOWN in result.output
    else:  # the table may wrap a long name: its start
        assert r"a\x1b[2J\x07\x9b\u202e[red]x[bold]|<img" in result.output


def test_the_table_keeps_markup_in_names_as_text(tmp_path: Path) -> None:
    result = runner.invoke(app, ["check", "--explain", str(spec_file(tmp_path))])
    assert "[red]x[bold]" in result.output  # rich would have read it as markup
    assert SHOWN + "[/]" in result.output  # the title: rich would have refused "[/]" (MarkupError)


def test_json_carries_the_exact_names(tmp_path: Path) -> None:
    result = runner.invoke(app, ["check", "-f", "json", str(spec_file(tmp_path))])
    report = json.loads(result.output)
    assert report["name"] == HOSTILE + "[/]"
    assert report["layers"][0]["name"] == HOSTILE
    assert not RAW.search(result.output)  # as escapes: \u001b, \u009b, \u202e


def test_a_file_name_that_is_not_utf8_gives_valid_json(tmp_path: Path) -> None:
    name = b"r\xe9seau\xff.yaml".decode("utf-8", "surrogateescape")  # as Python reads a Latin-1 name
    spec_file(tmp_path, name)
    missing = str(tmp_path / b"gone\xfe.yaml".decode("utf-8", "surrogateescape"))
    result = runner.invoke(app, ["check", "-f", "json", str(tmp_path / name), missing])
    reports = json.loads(result.stdout_bytes.decode("utf-8"))  # strict: valid UTF-8
    assert reports[0]["file"].endswith(r"r\xe9seau\xff.yaml")
    assert reports[1]["file"].endswith(r"gone\xfe.yaml")
    for output_format in ("table", "markdown", "github"):
        shown = runner.invoke(app, ["check", "-f", output_format, str(tmp_path / name), missing])
        assert r"gone\xfe.yaml" in shown.output
        shown.stdout_bytes.decode("utf-8")


def test_error_messages_on_stderr_show_escapes(tmp_path: Path) -> None:
    result = runner.invoke(app, ["rule", "\x1b[2J"])
    assert result.exit_code == 2
    assert result.output == "error: no rule `\\x1b[2J`; `cnncalc rules` lists them\n"
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        'input: [28, 28, 1]\nlayers:\n  - {type: conv2d, filters: 2, kernel_size: 3, "\\e[2J": 1}\n'
    )
    result = runner.invoke(app, ["check", str(bad)])
    assert result.exit_code == 2
    assert "unknown field `\\x1b[2J`" in result.output
    assert not RAW.search(result.output)


@pytest.mark.parametrize("target", ["keras", "numpy"])
def test_exported_code_keeps_names_inside_its_strings(tmp_path: Path, target: str) -> None:
    spec = tmp_path / "net.yaml"
    name = 'quote" backslash\\ line\nbreak \x1b'
    spec.write_text(
        f"name: {json.dumps(name)}\ninput: [28, 28, 1]\nlayers:\n"
        f"  - {{type: conv2d, filters: 2, kernel_size: 3, activation: relu, name: {json.dumps(name)}}}\n"
        "  - {type: flatten}\n  - {type: dense, units: 10, activation: softmax}\n"
    )
    out = tmp_path / "model.py"
    result = runner.invoke(app, ["export", str(spec), "--to", target, "-o", str(out)])
    assert result.exit_code == 0, result.output
    tree = ast.parse(out.read_text())  # a newline in a name used to end the string: a syntax error
    strings = {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }
    if target == "keras":
        assert name in strings  # name="..." passed to Keras, exactly
    assert not RAW.search(out.read_text())

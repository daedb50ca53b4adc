"""Every console block of the README and docs/ is run and its output compared (issue 14), so that what
the documentation shows cannot go stale.

A block holds ``$ command`` lines, each followed by its expected output. In the expected output, a line
``...`` (or starting with ``... ``) stands for any number of lines, and ``...`` inside a line for any
text. Commands run from the repository's root at 80 columns, as in a terminal of that size; those that
need Keras are marked ``keras`` and ``slow``.
"""

from __future__ import annotations

import glob
import json
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cnncalc.cli import app

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
ENV = {"COLUMNS": "80", "NO_COLOR": "1", "TERM": "dumb"}
NEEDS_KERAS = ("crosscheck", "--keras", "import-keras", "--backend keras", "--to keras-model")


@dataclass(frozen=True)
class Example:
    page: Path
    line: int
    command: str
    expected: tuple[str, ...]


def examples() -> list[Example]:
    found = []
    for page in PAGES:
        lines = page.read_text().splitlines()
        inside = False
        for number, line in enumerate(lines, 1):
            if line.startswith("```"):
                inside = line == "```console"
                continue
            if inside and line.startswith("$ "):
                expected = []
                for following in lines[number:]:
                    if following.startswith(("$ ", "```")):
                        break
                    expected.append(following)
                found.append(Example(page, number, line[2:], tuple(expected)))
    return found


def params() -> list[object]:
    return [
        pytest.param(
            example,
            id=f"{example.page.name}:{example.line}",
            marks=[pytest.mark.keras, pytest.mark.slow]
            if any(k in example.command for k in NEEDS_KERAS)
            else [],
        )
        for example in examples()
    ]


def pattern(expected: tuple[str, ...]) -> re.Pattern[str]:
    """The expected output as a regular expression over the real output's lines."""
    parts = []
    for line in expected:
        if line == "..." or line.startswith("... "):
            parts.append(r"(?:[^\n]*\n)*?")
        else:
            parts.append(".*".join(re.escape(piece) for piece in line.rstrip().split("...")) + r"\n")
    return re.compile("".join(parts))


def output(command: str) -> str:
    """What the command prints, run in-process when it is a plain ``cnncalc`` command, else by bash."""
    if re.search(r"[|<>;&$]", command):
        path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
        result = subprocess.run(
            ["bash", "-c", command],
            cwd=ROOT,
            env={**os.environ, **ENV, "PATH": path},
            capture_output=True,
            text=True,
            check=False,
        )
        assert "Traceback" not in result.stderr, result.stderr
        return result.stdout
    program, *args = shlex.split(command)
    assert program == "cnncalc", command
    expanded = [match for arg in args for match in (sorted(glob.glob(arg, root_dir=ROOT)) or [arg])]
    cwd = Path.cwd()
    os.chdir(ROOT)
    try:
        result = CliRunner().invoke(app, expanded, env=ENV)
    finally:
        os.chdir(cwd)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.stdout


@pytest.mark.parametrize("example", params())
def test_console_block(example: Example) -> None:
    assert example.expected, f"{example.command}: a console block shows the command's output"
    actual = "".join(line.rstrip() + "\n" for line in output(example.command).splitlines())
    assert pattern(example.expected).fullmatch(actual), (
        f"{example.page.name}:{example.line}: `{example.command}` printed:\n{actual}"
    )


def test_the_blocks_are_found() -> None:
    commands = [example.command for example in examples()]
    assert "cnncalc check examples/lenet5.yaml" in commands  # the README's first
    assert len(commands) >= 10


def test_the_pattern() -> None:
    assert pattern(("a", "...", "b ... d")).fullmatch("a\nx\ny\nb c d\n")
    assert pattern(("a", "...", "b")).fullmatch("a\nb\n")
    assert not pattern(("a", "b")).fullmatch("a\nc\n")


def test_the_json_page_example_and_tables_match_the_real_report(tmp_path: Path) -> None:
    page = (ROOT / "docs" / "json.md").read_text()
    example = json.loads(re.findall(r"```json\n(.*?)```", page, flags=re.DOTALL)[0])
    actual = json.loads(output("cnncalc check --format json examples/lenet5.yaml"))
    assert list(example) == list(actual)
    assert example["layers"][0] == actual["layers"][0]
    documented = {
        key
        for row in re.findall(r"^\| (`.*?) \|", page, flags=re.MULTILINE)
        for key in re.findall(r"`(\w+)`", row)
    }
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "input: [28, 28, 1]\nlayers:\n  - {type: conv2d, filters: 3, kernel_size: 3, strides: 0}\n"
    )
    (problem,) = json.loads(output(f"cnncalc check --format json {bad}"))["diagnostics"]
    finding = json.loads(output("cnncalc check --format json examples/lint_keras_mnist_cnn.yaml"))[
        "diagnostics"
    ][0]
    for keys in (actual, actual["layers"][0], problem, finding):
        assert set(keys) <= documented, set(keys) - documented

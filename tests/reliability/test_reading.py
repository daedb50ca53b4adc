"""Reading a spec is bounded: devices, pipes without a writer and huge files are refused at once,
standard input is read up to the limit and with a timeout; YAML scalars mean one thing."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from cnncalc.api import load
from cnncalc.errors import SpecError
from cnncalc.spec import loader
from cnncalc.spec.loader import MAX_FILE_BYTES, load_file, parse_text

ROOT = Path(__file__).resolve().parents[2]
LENET = (ROOT / "examples" / "lenet5.yaml").read_text()
LENET_BYTES = (ROOT / "examples" / "lenet5.yaml").read_bytes()


def problem(call: Any, *args: Any) -> str:
    with pytest.raises(SpecError) as caught:
        call(*args)
    assert len(caught.value.problems) == 1
    return str(caught.value.problems[0])


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_a_device_is_refused_without_reading_it(device: str) -> None:
    if not Path(device).exists():
        pytest.skip(f"no {device}")
    start = time.monotonic()
    assert (
        problem(load_file, device) == f"{device}: a device, not a regular file; give a stream as `-` (stdin)"
    )
    assert time.monotonic() - start < 5  # it used to read /dev/zero until the memory ran out


def test_a_named_pipe_without_a_writer_is_refused_not_waited_for(tmp_path: Path) -> None:
    fifo = tmp_path / "spec.yaml"
    os.mkfifo(fifo)
    assert "a named pipe, not a regular file" in problem(load_file, fifo)


def test_a_file_over_the_limit_is_refused_without_reading_it(tmp_path: Path) -> None:
    huge = tmp_path / "huge.yaml"
    with huge.open("wb") as handle:  # 3 GB, sparse: nothing is written to disk
        handle.truncate(3 * 2**30)
    assert problem(load_file, huge).endswith("larger than 16 MiB; not a spec")


def test_the_limit_is_exact(tmp_path: Path) -> None:
    at_limit = LENET_BYTES + b"#" * (MAX_FILE_BYTES - len(LENET_BYTES))  # one long comment line
    path = tmp_path / "at_limit.yaml"
    path.write_bytes(at_limit)
    assert path.stat().st_size == MAX_FILE_BYTES
    assert load_file(path).spec.name == "lenet5"
    path.write_bytes(at_limit + b"#")
    assert "larger than 16 MiB" in problem(load_file, path)


def test_an_unreadable_file_is_a_spec_error(tmp_path: Path) -> None:
    loop = tmp_path / "loop.yaml"
    loop.symlink_to(loop)
    assert "cannot read: Too many levels of symbolic links" in problem(load_file, loop)


class _SilentStdin:
    """A standard input whose writer never writes (and never closes)."""

    def __init__(self) -> None:
        self.read_end, self.write_end = os.pipe()

    def fileno(self) -> int:
        return self.read_end

    def close(self) -> None:
        os.close(self.read_end)
        os.close(self.write_end)


def test_standard_input_without_data_times_out(monkeypatch: pytest.MonkeyPatch) -> None:
    stdin = _SilentStdin()
    monkeypatch.setattr(sys, "stdin", stdin)
    monkeypatch.setattr(loader, "STDIN_TIMEOUT", 0.2)
    try:
        assert problem(load_file, "-") == (
            "<stdin>: no data for 0.2 s; pipe a spec into it: `cnncalc check - < net.yaml`"
        )
    finally:
        stdin.close()


def test_endless_standard_input_stops_at_the_limit() -> None:
    """`yes | cnncalc check -` and `yes | cnncalc check /dev/stdin`, in real processes."""
    for argument in ("-", "/dev/stdin"):
        result = subprocess.run(
            f"yes | {sys.executable} -m cnncalc check {argument}",
            shell=True,
            check=False,
            capture_output=True,
            text=True,
            timeout=60,
            cwd=ROOT,
        )
        assert result.returncode == 2
        name = "<stdin>" if argument == "-" else argument
        assert f"{name}: larger than 16 MiB; not a spec" in result.stdout
        assert "Traceback" not in result.stderr


def test_a_spec_on_standard_input_is_checked() -> None:
    for argument in ("-", "/dev/stdin"):
        result = subprocess.run(
            [sys.executable, "-m", "cnncalc", "check", "-f", "json", argument],
            input=LENET,
            check=False,
            capture_output=True,
            text=True,
            timeout=60,
            cwd=ROOT,
        )
        assert result.returncode == 0, result.stderr
        assert '"total_params": 61706' in result.stdout


# --- YAML 1.2 scalars ----------------------------------------------------------------------------


def conv(value: str) -> str:
    """The value on line 3 at column 29; its key at column 20 (after ``  - {type: conv2d, ``)."""
    return f"input: [28, 28, 1]\nlayers:\n  - {{type: conv2d, filters: {value}, kernel_size: 3}}\n"


def test_a_leading_zero_that_changes_the_number_is_refused_with_what_to_write() -> None:
    assert problem(parse_text, conv("010"), "net.yaml") == (
        "net.yaml:3:29: `010` is 8 (octal) to YAML 1.1 and 10 to YAML 1.2; write 10 (or 0o10 for 8, '010' for text)"
    )
    assert "`-017` is -15 (octal)" in problem(parse_text, "input: [-017]\nlayers: [{type: flatten}]")


@pytest.mark.parametrize(
    ("written", "filters"),
    [("07", 7), ("019", 19), ("0o10", 8), ("0x1F", 31), ("+12", 12)],
)
def test_integers_the_two_yaml_versions_agree_on_or_only_yaml_1_2_reads(written: str, filters: int) -> None:
    assert load(conv(written)).layers[0].filters == filters  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("written", "shown"),
    [("1:30", "'1:30'"), ("1_000", "'1_000'"), ("0b101", "'0b101'"), ("yes", "'yes'"), ("1e3", "1000.0")],
)
def test_yaml_1_1_numbers_are_text_and_refused_where_a_number_belongs(written: str, shown: str) -> None:
    """YAML 1.1 reads 1:30 as 90, 1_000 as 1000, 0b101 as 5 and yes as true; YAML 1.2 as text."""
    assert problem(parse_text, conv(written), "net.yaml") == (
        f"net.yaml:3:20: layers[0].filters: expected an integer, got {shown}"
    )


def test_yes_and_no_are_text_not_booleans() -> None:
    spec = load("name: no\ninput: [8]\nlayers: [{type: dense, units: 2, name: on}]")
    assert (spec.name, spec.layers[0].name) == ("no", "on")
    assert "expected true or false, got 'yes'" in problem(
        parse_text, "input: [8]\nlayers: [{type: dense, units: 2, use_bias: yes}]"
    )
    spec = load("input: [8]\nlayers: [{type: dense, units: 2, use_bias: FALSE}]")
    assert spec.layers[0].use_bias is False  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("written", "epsilon"),
    [("1e-3", 0.001), (".5", 0.5), ("2.", 2.0), ("+1.5E+2", 150.0), (".inf", float("inf"))],
)
def test_yaml_1_2_floats(written: str, epsilon: float) -> None:
    spec = load(f"input: [8]\nlayers: [{{type: batchnorm, epsilon: {written}}}]")
    assert spec.layers[0].epsilon == epsilon  # type: ignore[union-attr]


def test_null_forms_and_merge_keys_still_work() -> None:
    text = "base: &b {type: dense, activation: ~}\ninput: [8]\nlayers:\n  - {<<: *b, units: 2, name: NULL}\n"
    with pytest.raises(SpecError, match="unknown field `base`"):
        load(text)
    spec = load("input: [8]\nlayers: [{type: dense, units: 2, activation: null, name: Null}]")
    assert spec.layers[0].activation == "linear"  # type: ignore[union-attr]

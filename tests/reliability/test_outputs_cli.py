"""Commands check every output path before any work, never lose a result, and turn every system
error on reading or writing into one message and exit code 2."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from typer.testing import CliRunner

from cnncalc.cli import app
from cnncalc.cli import export as export_cli
from cnncalc.cli import train as train_cli

ROOT = Path(__file__).resolve().parents[2]
LENET = str(ROOT / "examples" / "lenet5.yaml")
runner = CliRunner()


def never(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("the work started before the output paths were checked")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--save-weights", "w.keras"], "--backend numpy writes a .npz file; got --save-weights w.keras"),
        (["--backend", "keras", "--save-weights", "w.npz"], "--backend keras writes a .keras file"),
        (
            ["--metrics-json", "same.out", "--save-weights", "same.npz", "--save-weights", "same.out"],
            "writes a .npz",
        ),
        (
            ["--metrics-json", "same.npz", "--save-weights", "same.npz"],
            "--metrics-json and --save-weights both write",
        ),
        (["--save-weights", "missing/w.npz"], "folder missing does not exist"),
        (["--metrics-json", "existing.json"], "existing.json already exists; pass --force"),
    ],
)
def test_train_checks_its_outputs_before_training(
    options: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(train_cli, "train_model", never)
    (tmp_path / "existing.json").write_text("{}")
    result = runner.invoke(app, ["train", LENET, *options])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert (tmp_path / "existing.json").read_text() == "{}"


def test_train_saves_weights_elsewhere_when_their_file_appeared_meanwhile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file did not exist when training started; it does when training ends: it is kept, and the
    weights go to a numbered file beside it (the metrics are written all the same)."""
    weights, metrics = tmp_path / "w.npz", tmp_path / "m.json"

    def train_while_another_process_writes(*args: Any, **kwargs: Any) -> Any:
        weights.write_bytes(b"another run's weights")
        return SimpleNamespace(to_json=lambda: "{}\n"), SimpleNamespace(weights_file=lambda: b"trained")

    monkeypatch.setattr(train_cli, "train_model", train_while_another_process_writes)
    result = runner.invoke(
        app, ["train", LENET, "--save-weights", str(weights), "--metrics-json", str(metrics)]
    )
    assert result.exit_code == 2
    assert f"{weights} already exists" in result.output
    assert f"saved it to {tmp_path / 'w.1.npz'} instead" in result.output.replace("\n", "")
    assert weights.read_bytes() == b"another run's weights"
    assert (tmp_path / "w.1.npz").read_bytes() == b"trained"
    assert metrics.read_text() == "{}\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--to", "keras", "-o", "missing/model.py"], "folder missing does not exist"),
        (["--to", "keras", "-o", "model.txt"], "--to keras writes a .py file"),
        (["--to", "keras", "-o", "existing.py"], "existing.py already exists"),
        (["--to", "keras-model"], "writes a binary file: give it a name with -o"),
    ],
)
def test_export_checks_its_output_before_exporting(
    args: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(export_cli, "export_spec", never)
    (tmp_path / "existing.py").write_text("mine")
    result = runner.invoke(app, ["export", LENET, *args])
    assert result.exit_code == 2
    assert message in result.output
    assert (tmp_path / "existing.py").read_text() == "mine"


def test_schema_and_rule_docs_keep_existing_files(tmp_path: Path) -> None:
    schema = tmp_path / "schema.json"
    schema.write_text("mine")
    assert runner.invoke(app, ["schema", "-o", str(schema)]).exit_code == 2
    assert schema.read_text() == "mine"
    docs = tmp_path / "rules"
    docs.mkdir()
    (docs / "CNN110.md").write_text("mine")
    result = runner.invoke(app, ["rules", "--docs", str(docs)])
    assert result.exit_code == 2
    assert "CNN110.md already exists" in result.output
    assert [path.name for path in docs.iterdir()] == ["CNN110.md"]  # no page written before refusing


@pytest.mark.slow  # eight interpreters start at once: 5-20 s on two cores
def test_eight_processes_export_to_one_new_path_and_exactly_one_wins(tmp_path: Path) -> None:
    target = tmp_path / "out.py"
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "cnncalc", "export", LENET, "--to", "keras", "-o", str(target)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(8)
    ]
    results = [
        (process.wait(timeout=120), process.stderr.read() if process.stderr else "") for process in processes
    ]
    assert sorted(code for code, _ in results) == [0] + [2] * 7, results
    assert all("out.py already exists; pass --force" in error for code, error in results if code == 2)
    assert "Traceback" not in "".join(error for _, error in results)
    expected = runner.invoke(app, ["export", LENET, "--to", "keras"]).output
    assert target.read_text() == expected
    assert sorted(path.name for path in tmp_path.iterdir()) == ["out.py"]  # no temporaries, no fallbacks


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("args", [["check", LENET], ["check", "-f", "json", LENET], ["rules"], ["schema"]])
def test_standard_output_on_a_full_disk_is_one_message_and_exit_2(args: list[str]) -> None:
    with open("/dev/full", "w") as full:
        result = subprocess.run(
            [sys.executable, "-m", "cnncalc", *args],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 2
    assert result.stderr == "error: No space left on device\n"


def test_a_file_size_limit_is_one_message_exit_2_and_no_temporary(tmp_path: Path) -> None:
    def limit_files_to_1_kib() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (1024, 1024))

    result = subprocess.run(
        [sys.executable, "-m", "cnncalc", "export", LENET, "--to", "keras", "-o", str(tmp_path / "out.py")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        preexec_fn=limit_files_to_1_kib,
    )
    assert result.returncode == 2
    assert f"cannot write {tmp_path / 'out.py'}: File too large" in result.stderr.replace("\n", "")
    assert list(tmp_path.iterdir()) == []


def test_a_deleted_working_folder_is_one_message_and_exit_2(tmp_path: Path) -> None:
    script = f"mkdir gone && cd gone && rmdir ../gone && exec {sys.executable} -m cnncalc check net.yaml"
    result = subprocess.run(
        ["sh", "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 2
    assert result.stderr == "error: the working folder no longer exists; cd to an existing one\n"


def test_an_unreadable_pyproject_is_one_message_and_exit_2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Root reads every file, so the permission error is raised where `find_config` would meet it."""
    from cnncalc.cli import check as check_cli

    def unreadable(directory: Path) -> Any:
        raise PermissionError(13, "Permission denied", "/project/pyproject.toml")

    monkeypatch.setattr(check_cli, "find_config", unreadable)
    result = runner.invoke(app, ["check", LENET])
    assert result.exit_code == 2
    assert result.output == "error: /project/pyproject.toml: Permission denied\n"


def test_out_of_memory_is_one_message_and_exit_2(monkeypatch: pytest.MonkeyPatch) -> None:
    from cnncalc.cli import check as check_cli

    def exhausted(*args: Any) -> Any:
        raise MemoryError

    monkeypatch.setattr(check_cli, "check_file", exhausted)
    result = runner.invoke(app, ["check", LENET])
    assert result.exit_code == 2
    assert result.output.startswith("error: out of memory")


def test_programming_errors_still_show_their_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    from cnncalc.cli import check as check_cli

    def bug(*args: Any) -> Any:
        raise KeyError("a bug")

    monkeypatch.setattr(check_cli, "check_file", bug)
    result = runner.invoke(app, ["check", LENET])
    assert isinstance(result.exception, KeyError)

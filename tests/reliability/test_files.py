"""cnncalc.files: a written file is whole or absent, never replaces one unasked, keeps its mode, and
never turns a link, a pipe or a device into a regular file."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from cnncalc import files
from cnncalc.errors import CnncalcError
from cnncalc.files import Output, SavedElsewhere, check_outputs, write_atomic, write_or_fallback

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def umask(mask: int) -> Iterator[None]:
    previous = os.umask(mask)
    try:
        yield
    finally:
        os.umask(previous)


def leftovers(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir() if path.name.endswith(".tmp"))


def test_a_new_file_follows_the_umask(tmp_path: Path) -> None:
    with umask(0o022):
        write_atomic(tmp_path / "a.py", "x = 1\n")
    with umask(0o077):
        write_atomic(tmp_path / "b.py", "x = 1\n")
    assert stat.S_IMODE((tmp_path / "a.py").stat().st_mode) == 0o644  # 0o666 & ~0o022
    assert stat.S_IMODE((tmp_path / "b.py").stat().st_mode) == 0o600  # 0o666 & ~0o077
    assert (tmp_path / "a.py").read_text() == "x = 1\n"
    assert leftovers(tmp_path) == []


def test_an_existing_file_is_kept_without_force_and_replaced_keeping_its_mode_with_it(tmp_path: Path) -> None:
    target = tmp_path / "model.py"
    target.write_text("mine\n")
    target.chmod(0o750)
    with pytest.raises(CnncalcError, match="already exists; pass --force"):
        write_atomic(target, "theirs\n")
    assert target.read_text() == "mine\n"
    write_atomic(target, "theirs\n", force=True)
    assert target.read_text() == "theirs\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o750
    assert leftovers(tmp_path) == []


def test_a_file_created_while_writing_is_not_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check before writing passes; another process takes the name before the rename: it keeps it."""
    target = tmp_path / "out.py"
    real_fsync = os.fsync

    def competitor_wins(descriptor: int) -> None:
        real_fsync(descriptor)
        if not target.exists():
            target.write_text("the other process\n")

    monkeypatch.setattr(os, "fsync", competitor_wins)
    with pytest.raises(CnncalcError, match="already exists"):
        write_atomic(target, "ours\n")
    assert target.read_text() == "the other process\n"
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("errno_name", ["EPERM", "EOPNOTSUPP"])
def test_without_hard_links_the_name_is_still_reserved_exclusively(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, errno_name: str
) -> None:
    import errno

    def no_links(source: object, target: object) -> None:
        raise OSError(getattr(errno, errno_name), "no hard links here")

    monkeypatch.setattr(os, "link", no_links)
    write_atomic(tmp_path / "new.py", "ours\n")
    assert (tmp_path / "new.py").read_text() == "ours\n"
    with pytest.raises(CnncalcError, match="already exists"):
        write_atomic(tmp_path / "new.py", "again\n")
    assert (tmp_path / "new.py").read_text() == "ours\n"
    assert leftovers(tmp_path) == []


def test_a_symbolic_link_is_written_through(tmp_path: Path) -> None:
    real = tmp_path / "runs" / "weights.npz"
    real.parent.mkdir()
    real.write_bytes(b"old")
    real.chmod(0o640)
    link = tmp_path / "weights.npz"
    link.symlink_to(real)
    with pytest.raises(CnncalcError, match="already exists"):
        write_atomic(link, b"new")
    write_atomic(link, b"new", force=True)
    assert link.is_symlink()
    assert real.read_bytes() == b"new"
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert leftovers(tmp_path) == leftovers(real.parent) == []


def test_a_link_to_nothing_is_refused_and_kept(tmp_path: Path) -> None:
    link = tmp_path / "weights.npz"
    link.symlink_to(tmp_path / "missing" / "weights.npz")
    for force in (False, True):
        with pytest.raises(CnncalcError):
            write_atomic(link, b"new", force=force)
    assert link.is_symlink()
    assert not (tmp_path / "missing").exists()


def test_a_character_device_is_written_through_and_stays_a_device(tmp_path: Path) -> None:
    for force in (False, True):
        write_atomic(Path(os.devnull), "nothing\n", force=force)
    assert stat.S_ISCHR(Path(os.devnull).stat().st_mode)


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_full_device_gives_an_os_error_and_stays_a_device() -> None:
    with pytest.raises(CnncalcError, match="cannot write /dev/full: No space left on device"):
        write_atomic(Path("/dev/full"), "x" * 10, force=True)
    assert stat.S_ISCHR(Path("/dev/full").stat().st_mode)


def test_a_named_pipe_is_written_through_to_its_reader(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    ready = threading.Event()

    def read() -> None:
        descriptor = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # a reader at once, before the writer
        ready.set()
        chunks: list[bytes] = []
        while True:
            try:
                chunk = os.read(descriptor, 65536)
            except BlockingIOError:  # the writer is there, the data not yet
                chunk = None
            if chunk == b"" and chunks:  # the writer closed
                break
            if chunk:
                chunks.append(chunk)
            else:
                threading.Event().wait(0.001)
        os.close(descriptor)
        received.append(b"".join(chunks))

    reader = threading.Thread(target=read)
    reader.start()
    ready.wait(5)
    write_atomic(fifo, b"spec" * 100_000, force=True)  # larger than a pipe's buffer
    reader.join(5)
    assert received == [b"spec" * 100_000]
    assert stat.S_ISFIFO(fifo.stat().st_mode)


def test_a_named_pipe_nobody_reads_is_an_error_not_a_hang(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(CnncalcError, match="no process reads"):
        write_atomic(fifo, b"data", force=True)
    assert stat.S_ISFIFO(fifo.stat().st_mode)


def test_a_folder_is_not_a_file(tmp_path: Path) -> None:
    with pytest.raises(CnncalcError, match="is a folder"):
        write_atomic(tmp_path, "x", force=True)


# --- checking outputs before the work -------------------------------------------------------------


def test_check_outputs_refuses_before_any_work(tmp_path: Path) -> None:
    existing = tmp_path / "metrics.json"
    existing.write_text("{}")
    cases = [
        ([Output(tmp_path / "no" / "such" / "w.npz", "--save-weights")], "folder .* does not exist"),
        (
            [Output(tmp_path / "w.keras", "--save-weights", ".npz", "--backend numpy")],
            "--backend numpy writes a .npz file; got --save-weights",
        ),
        ([Output(existing, "--metrics-json")], "already exists"),
        (
            [
                Output(tmp_path / "same.out", "--metrics-json"),
                Output(tmp_path / "same.out", "--save-weights"),
            ],
            "--metrics-json and --save-weights both write",
        ),
        (
            [
                Output(tmp_path / "x.out", "--metrics-json"),
                Output(tmp_path / "." / "x.out", "--save-weights"),
            ],
            "both write",
        ),
        ([Output(existing / "w.npz", "--save-weights")], "cannot write"),
    ]
    for outputs, message in cases:
        with pytest.raises(CnncalcError, match=message):
            check_outputs(outputs, force=False)
    check_outputs([Output(existing, "--metrics-json"), Output(tmp_path / "w.npz", "-o", ".npz")], force=True)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_check_outputs_refuses_a_read_only_folder(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    with pytest.raises(CnncalcError, match="not writable"):
        check_outputs([Output(folder / "w.npz", "--save-weights")], force=False)


def test_write_or_fallback_saves_elsewhere_and_says_where(tmp_path: Path) -> None:
    target = tmp_path / "weights.npz"
    target.write_bytes(b"someone else's")
    with pytest.raises(SavedElsewhere) as caught:
        write_or_fallback(target, b"trained")
    assert caught.value.fallback == tmp_path / "weights.1.npz"
    assert (tmp_path / "weights.1.npz").read_bytes() == b"trained"
    assert target.read_bytes() == b"someone else's"
    assert "saved it to" in str(caught.value)
    assert str(tmp_path / "weights.1.npz") in str(caught.value)


def test_write_or_fallback_uses_the_temporary_folder_when_the_folder_is_gone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(files.tempfile, "gettempdir", lambda: str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    gone = tmp_path / "gone"
    with pytest.raises(SavedElsewhere) as caught:
        write_or_fallback(gone / "weights.npz", b"trained")
    assert caught.value.fallback == tmp_path / "tmp" / "weights.1.npz"
    assert caught.value.fallback.read_bytes() == b"trained"


# --- signals, with a real process ----------------------------------------------------------------

_WRITER = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path
    from cnncalc.files import write_atomic

    real_fsync = os.fsync
    def slow_fsync(descriptor):
        real_fsync(descriptor)
        print("syncing", flush=True)
        time.sleep(60)

    os.fsync = slow_fsync
    write_atomic(Path(sys.argv[1]), b"w" * 8_000_000, force=sys.argv[2] == "force")
    print("finished", flush=True)
    """
)


@pytest.mark.parametrize(
    ("signum", "force"), [(signal.SIGTERM, False), (signal.SIGTERM, True), (signal.SIGINT, False)]
)
def test_a_signal_while_writing_leaves_no_temporary_and_the_old_file_intact(
    tmp_path: Path, signum: int, force: bool
) -> None:
    target = tmp_path / "weights.npz"
    if force:
        target.write_bytes(b"previous")
    process = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(target), "force" if force else "create"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "syncing"
    assert len(leftovers(tmp_path)) == 1  # the 8 MB temporary, while it is written
    process.send_signal(signum)
    process.wait(timeout=30)
    assert process.returncode == -signum  # ended by the signal, as without cnncalc
    assert leftovers(tmp_path) == []
    assert target.read_bytes() == b"previous" if force else not target.exists()

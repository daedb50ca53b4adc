"""Writing files safely: never over a file unless asked, never half-written, no temporary left behind.

* A new file appears whole or not at all, and never replaces one: the data goes to a temporary
  file in the same folder, is flushed to disk, then hard-linked to its name. ``os.link`` fails
  if the name exists, even if another process took it a moment ago, so of several writers racing
  for one name exactly one wins. (Where a file system has no hard links, the name is reserved
  with ``O_EXCL`` and the temporary renamed over it.)
* With ``force``, an existing file is replaced atomically (``os.replace``) and keeps its mode.
* New files get the mode the umask allows (``0o666 & ~umask``), as any program's.
* A symbolic link is written through: its target is replaced and the link stays. A link to
  nothing is refused.
* Special files are written through, never replaced, with or without ``force`` (they hold nothing
  to overwrite): a character device (``/dev/null``) or a named pipe that a process reads; a pipe
  nobody reads is an error, not a hang. Sockets and block devices are refused.
* SIGTERM or SIGHUP while writing removes the temporary file, then ends the process as the signal
  would have; Ctrl-C (``KeyboardInterrupt``) removes it too.

Commands check every output path with :func:`check_outputs` before any work, and write results
that took long to compute with :func:`write_or_fallback`, which saves them elsewhere and says
where when the final write still fails.
"""

from __future__ import annotations

import errno
import os
import signal
import stat
import tempfile
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Literal

from cnncalc.errors import CnncalcError

_NO_HARD_LINKS = {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK, errno.EXDEV, errno.ENOSYS}
"""What ``os.link`` fails with on file systems without hard links (FAT, some FUSE and network mounts)."""

FALLBACK_TRIES = 9
"""Numbered names tried per folder by :func:`write_or_fallback`: ``weights.1.npz`` … ``weights.9.npz``."""


@dataclass(frozen=True)
class Output:
    """An output file a command will write, as the user named it."""

    path: Path
    option: str
    """How the user gave it (``--save-weights``, ``-o``), for messages."""
    suffix: str | None = None
    """The suffix the file must have, if the format demands one (``.npz``)."""
    writer: str = "this command"
    """What decides the format, for messages (``--to keras``)."""


@dataclass(frozen=True)
class _Destination:
    """Where the bytes for a path go, and how."""

    target: Path
    """The path itself, or the file a symbolic link points to."""
    kind: Literal["new", "file", "special"]
    """A new file, an existing regular file (replaced), or a device or pipe (written through)."""
    mode: int | None = None
    """The permission bits an existing file keeps."""


class SavedElsewhere(CnncalcError):
    """The output could not be written where asked, but was saved to :attr:`fallback`."""

    def __init__(self, path: Path, fallback: Path, failure: str) -> None:
        self.path, self.fallback = path, fallback
        super().__init__(f"{failure}; saved it to {fallback} instead")


def check_outputs(outputs: Iterable[Output], *, force: bool) -> None:
    """Raise :class:`CnncalcError` unless every output can be written: the right suffix, no path
    given twice, the folder exists and is writable, and no existing file unless ``force``.

    Commands call this before any slow work, so that a typo never throws a training run away.
    """
    seen: dict[Path, Output] = {}
    for output in outputs:
        path = output.path
        if output.suffix is not None and path.suffix != output.suffix:
            raise CnncalcError(f"{output.writer} writes a {output.suffix} file; got {output.option} {path}")
        destination = _destination(path, force)
        key = Path(os.path.realpath(destination.target))
        if key in seen and destination.kind != "special":
            raise CnncalcError(
                f"{seen[key].option} and {output.option} both write {path}: give them different names"
            )
        seen[key] = output


def write_atomic(path: Path, data: str | bytes, *, force: bool = False) -> None:
    """Write ``data`` (text is UTF-8) to ``path``: a new file atomically and never over an existing
    one, an existing file (only with ``force``) replaced atomically, keeping its mode; a special
    file written through. See the module's docstring."""
    payload = data.encode() if isinstance(data, str) else data
    destination = _destination(path, force)
    try:
        with unwinding_on_termination():
            if destination.kind == "special":
                _write_through(destination.target, payload)
            else:
                _write_via_temporary(path, destination, payload, force)
    except OSError as error:  # a full disk, a file size limit, a folder removed meanwhile
        raise CnncalcError(f"cannot write {path}: {_reason(error)}") from None


def write_or_fallback(path: Path, data: str | bytes, *, force: bool = False) -> None:
    """:func:`write_atomic`, and when that fails, save ``data`` under a numbered name beside
    ``path`` or in the temporary folder, then raise :class:`SavedElsewhere` naming it: for results
    that took long to compute (trained weights), which must not be lost to a full disk or a
    folder removed meanwhile."""
    try:
        write_atomic(path, data, force=force)
    except CnncalcError as failure:
        for candidate in _fallbacks(path):
            try:
                write_atomic(candidate, data)
            except CnncalcError:
                continue
            raise SavedElsewhere(path, candidate, str(failure)) from None
        raise CnncalcError(f"{failure}; nowhere else to save it either") from None


def _destination(path: Path, force: bool) -> _Destination:
    """Where writing ``path`` would put the bytes; :class:`CnncalcError` if it must not or cannot."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        _require_folder(path)
        return _Destination(path, "new")
    except OSError as error:  # a part of the folder path is a file, or cannot be searched
        raise CnncalcError(f"cannot write {path}: {error.strerror or error}") from None
    target = path
    if stat.S_ISLNK(info.st_mode):
        target = Path(os.path.realpath(path))
        try:
            info = target.stat()
        except OSError:
            if not force:
                raise CnncalcError(f"{path} already exists; pass --force to overwrite it") from None
            raise CnncalcError(f"{path} is a symbolic link to {target}, which does not exist") from None
    if stat.S_ISDIR(info.st_mode):
        raise CnncalcError(f"{path} is a folder; give a file name")
    if stat.S_ISCHR(info.st_mode) or stat.S_ISFIFO(info.st_mode):  # nothing in them to overwrite
        if not os.access(target, os.W_OK):
            raise CnncalcError(f"cannot write {path}: permission denied")
        return _Destination(target, "special")
    if not stat.S_ISREG(info.st_mode):
        raise CnncalcError(f"{path} is a socket or a block device; cnncalc writes only files")
    if not force:
        raise CnncalcError(f"{path} already exists; pass --force to overwrite it")
    _require_folder(target)
    return _Destination(target, "file", stat.S_IMODE(info.st_mode))


def _require_folder(path: Path) -> None:
    folder = path.parent
    if not folder.is_dir():
        raise CnncalcError(f"cannot write {path}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise CnncalcError(f"cannot write {path}: folder {folder} is not writable")


def _write_via_temporary(path: Path, destination: _Destination, payload: bytes, force: bool) -> None:
    target = destination.target
    temporary: Path | None = None
    try:
        temporary, descriptor = _create_temporary(target)
        with open(descriptor, "wb") as handle:
            if destination.mode is not None:
                os.fchmod(handle.fileno(), destination.mode)
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        if force:
            os.replace(temporary, target)
        else:
            _link_new(temporary, target, path)
        _sync_folder(target.parent)
    finally:
        if temporary is not None:
            with suppress(OSError):
                temporary.unlink()


def _create_temporary(target: Path) -> tuple[Path, int]:
    """A new file ``.<name>.<random>.tmp`` beside ``target``, open for writing, mode 0o666 & ~umask."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    while True:
        temporary = target.with_name(f".{target.name}.{os.urandom(4).hex()}.tmp")
        try:
            return temporary, os.open(temporary, flags, 0o666)
        except FileExistsError:
            continue


def _link_new(temporary: Path, target: Path, path: Path) -> None:
    """Give the temporary file the name ``target``, failing if the name exists."""
    try:
        os.link(temporary, target)
    except FileExistsError:
        raise CnncalcError(f"{path} already exists; pass --force to overwrite it") from None
    except OSError as error:
        if error.errno not in _NO_HARD_LINKS:
            raise
        try:  # reserve the name, then rename over the reservation
            os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:
            raise CnncalcError(f"{path} already exists; pass --force to overwrite it") from None
        os.replace(temporary, target)


def _write_through(target: Path, payload: bytes) -> None:
    """Write into a character device or a named pipe; a pipe nobody reads is an error, not a hang."""
    try:
        descriptor = os.open(target, os.O_WRONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as error:
        if error.errno == errno.ENXIO:
            raise CnncalcError(f"cannot write {target}: no process reads this named pipe") from None
        raise
    try:
        os.set_blocking(descriptor, True)
        view = memoryview(payload)
        while view:
            view = view[os.write(descriptor, view) :]
    finally:
        os.close(descriptor)


def _sync_folder(folder: Path) -> None:
    """Make the new name durable; some file systems cannot sync a folder, which is fine."""
    with suppress(OSError):
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def _fallbacks(path: Path) -> Iterator[Path]:
    """``weights.1.npz`` … beside ``path``, then in the temporary folder."""
    for folder in (path.parent, Path(tempfile.gettempdir())):
        for number in range(1, FALLBACK_TRIES + 1):
            yield folder / f"{path.stem}.{number}{path.suffix}"


def _reason(error: OSError) -> str:
    return error.strerror or str(error)


class _Terminated(BaseException):
    """Raised by the temporary SIGTERM/SIGHUP handler, to unwind and clean up."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


_TERMINATIONS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


@contextmanager
def unwinding_on_termination() -> Iterator[None]:
    """Within the block, make SIGTERM and SIGHUP unwind the stack (so that ``finally`` clauses remove
    temporary files), then deliver the signal again with its usual effect. Signals with handlers of
    their own, or ignored, are left alone, as is every signal outside the main thread (where Python
    cannot set handlers)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def unwind(signum: int, frame: FrameType | None) -> None:
        raise _Terminated(signum)

    installed = {}
    for signum in _TERMINATIONS:
        if signal.getsignal(signum) is signal.SIG_DFL:
            installed[signum] = signal.signal(signum, unwind)
    try:
        yield
    except _Terminated as terminated:
        for signum, previous in installed.items():
            signal.signal(signum, previous)
        installed.clear()
        signal.raise_signal(terminated.signum)
        raise
    finally:
        for signum, previous in installed.items():
            signal.signal(signum, previous)

"""Writing files safely: never over a user's file unless asked, and never half-written."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from cnncalc.errors import CnncalcError


def write_atomic(path: Path, data: str | bytes, *, force: bool = False) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder, then rename.

    Refuses to replace an existing file unless ``force``; a crash leaves the old file intact.
    """
    if path.exists() and not force:
        raise CnncalcError(f"{path} already exists; pass --force to overwrite it")
    if path.is_dir():
        raise CnncalcError(f"{path} is a directory")
    if not path.parent.is_dir():
        raise CnncalcError(f"folder {path.parent} does not exist")
    payload = data.encode() if isinstance(data, str) else data
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise

"""Saved Keras model files, read without Keras: the checks made before TensorFlow is imported, and the
layer classes a file names (to say which ones Keras cannot load).

A ``.keras`` file is a zip archive holding ``config.json`` (the architecture) and the weights; a
legacy ``.h5`` file is an HDF5 archive with the architecture in its ``model_config`` attribute.
"""

from __future__ import annotations

import json
import os
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from cnncalc.errors import CnncalcError

ZIP_MAGIC = b"PK\x03\x04"
HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
"""The signature of an HDF5 file, at offset 0 or (after a user block) 512, 1024, 2048, ..."""
SUFFIXES = {".keras": "a .keras model (a zip archive)", ".h5": "an HDF5 file", ".hdf5": "an HDF5 file"}
MAX_CONFIG_BYTES = 64 * 1024 * 1024
SHOWN_NAMES = 3


def check_model_file(path: str | os.PathLike[str]) -> None:
    """Refuse, in milliseconds, what Keras cannot load: no such file, not readable, a name Keras does
    not load (``.keras``, ``.h5``, ``.hdf5``), or content that is not the archive its name says."""
    shown = os.fspath(path)
    path = Path(path)
    if path.is_dir():
        raise CnncalcError(f"{shown}: is a folder; give a saved model file (.keras, or legacy .h5)")
    if not path.is_file():
        raise CnncalcError(f"{shown}: no such file")
    expected = SUFFIXES.get(path.suffix.lower())
    if expected is None:
        raise CnncalcError(f"{shown}: Keras 3 loads models saved as .keras (or legacy .h5) files")
    try:
        with path.open("rb") as file:
            head = file.read(len(ZIP_MAGIC))
            found = head == ZIP_MAGIC if path.suffix.lower() == ".keras" else _is_hdf5(file)
    except OSError as exc:
        raise CnncalcError(f"{shown}: cannot be read: {exc.strerror or exc}") from None
    if not found:
        raise CnncalcError(f"{shown}: is not {expected}, so not a saved Keras model")


def _is_hdf5(file: Any) -> bool:
    """Whether the HDF5 signature is at offset 0, 512, 1024, 2048, ... (HDF5 spec, "Format Signature")."""
    offset = 0
    while True:
        file.seek(offset)
        head = file.read(len(HDF5_MAGIC))
        if head == HDF5_MAGIC:
            return True
        if len(head) < len(HDF5_MAGIC):
            return False
        offset = 512 if offset == 0 else offset * 2


KnownClass = Callable[[str, str | None, str | None], bool]
"""Whether Keras can create a class: ``(class_name, module, registered_name)``."""


def unloadable_layers(path: str | os.PathLike[str], known: KnownClass) -> list[str]:
    """Every layer class the saved architecture names that ``known`` says Keras cannot create, once,
    with how many layers have it and which; ``Lambda`` layers, whose Python code ``safe_mode`` does
    not run, included. Empty when the architecture cannot be read (the caller reports Keras' error)."""
    try:
        config = _architecture(Path(path))
    except (OSError, ValueError, KeyError, zipfile.BadZipFile):
        return []
    found: dict[str, list[str]] = {}
    for layer in _layers(config):
        class_name = str(layer.get("class_name"))
        if class_name == "Lambda" or not known(class_name, layer.get("module"), layer.get("registered_name")):
            name = str((layer.get("config") or {}).get("name", "?"))
            found.setdefault(class_name, []).append(name)
    problems = []
    for class_name, names in found.items():
        shown = ", ".join(names[:SHOWN_NAMES]) + (
            f" and {len(names) - SHOWN_NAMES} more" if len(names) > SHOWN_NAMES else ""
        )
        where = names[0] if len(names) == 1 else f"×{len(names)}: {shown}"
        if class_name == "Lambda":
            reason = "runs Python code stored in the file, which cnncalc never runs (Keras' safe_mode)"
        else:
            reason = "a custom layer: Keras cannot create it without its code, and cnncalc has no such layer"
        problems.append(f"{class_name} ({where}): {reason}")
    return problems


def _architecture(path: Path) -> Any:
    """The model's config: ``config.json`` of a ``.keras`` zip, ``model_config`` of an ``.h5`` file."""
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            info = archive.getinfo("config.json")
            if info.file_size > MAX_CONFIG_BYTES:
                raise ValueError("config.json too large")
            return json.loads(archive.read(info))
    import h5py  # type: ignore[import-untyped]  # installed with Keras; for a legacy file Keras refused

    with h5py.File(path, "r") as archive:
        text = archive.attrs["model_config"]
        return json.loads(text.decode() if isinstance(text, bytes) else text)


def _layers(config: Any) -> Iterator[dict[str, Any]]:
    """Every layer entry of a model config, nested models' layers included (without recursion)."""
    stack = [config]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if "class_name" in item and isinstance(item.get("config"), dict):
                inner = item["config"]
                if isinstance(inner.get("layers"), list):  # a model: its layers, not itself
                    stack.extend(reversed(inner["layers"]))
                    continue
                yield item
        elif isinstance(item, list):
            stack.extend(reversed(item))

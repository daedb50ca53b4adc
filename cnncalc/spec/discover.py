"""Finding specs in folders, as ruff finds Python files: ``*.yaml``, ``*.yml`` and ``*.json`` files,
recursively, leaving out hidden folders and the usual environment and build folders.

A folder holds other YAML and JSON files too (CI workflows, schemas, configuration). A file found in
a folder is a spec when its top level is a mapping with a ``layers`` key; any other file is skipped,
with the reason. A file named on the command line is always checked as a spec.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from cnncalc.spec.loader import MAX_FILE_BYTES

SUFFIXES = (".yaml", ".yml", ".json")
"""The files a folder is searched for."""

EXCLUDED = frozenset(
    {"__pycache__", "__pypackages__", "_build", "build", "dist", "node_modules", "site-packages", "venv"}
)
"""Folders never searched (hidden folders, such as ``.git`` and ``.venv``, neither), as in ruff."""


@dataclass(frozen=True)
class Skipped:
    """A file found in a folder that is not a spec, and why."""

    path: Path
    reason: str


def find_specs(paths: Iterable[Path]) -> tuple[list[Path], list[Skipped]]:
    """The spec files among ``paths``: files as given, folders searched (sorted, recursively); and
    the files found in folders that were skipped as not specs."""
    specs: list[Path] = []
    skipped: list[Skipped] = []
    for path in paths:
        if not path.is_dir():
            specs.append(path)
            continue
        for found in _files(path):
            reason = not_a_spec(found)
            if reason is None:
                specs.append(found)
            else:
                skipped.append(Skipped(found, reason))
    return specs, skipped


def _files(folder: Path) -> list[Path]:
    found = []
    for directory, subfolders, files in os.walk(folder):
        subfolders[:] = sorted(d for d in subfolders if not d.startswith(".") and d not in EXCLUDED)
        found += [Path(directory) / name for name in sorted(files) if name.endswith(SUFFIXES)]
    return found


def not_a_spec(path: Path) -> str | None:
    """Why the file at ``path`` is not a spec, or ``None`` if it looks like one: a YAML (or JSON)
    mapping with a ``layers`` key. Only the top level is read, from an event stream; a file that is
    not valid YAML counts as a spec (checking it reports where it breaks)."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return f"larger than {MAX_FILE_BYTES // 2**20} MiB"
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return None  # checking it says what is wrong
    try:
        return _top_level(text)
    except yaml.YAMLError:
        return None


def _top_level(text: str) -> str | None:
    depth = 0
    key_next = True
    for event in yaml.parse(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
        if isinstance(event, yaml.StreamStartEvent | yaml.DocumentStartEvent):
            continue
        if depth == 0 and not isinstance(event, yaml.MappingStartEvent):
            if isinstance(event, yaml.SequenceStartEvent):
                return "a list, not a mapping with `layers`"
            ended = isinstance(event, yaml.DocumentEndEvent | yaml.StreamEndEvent)
            return "empty" if ended else "not a mapping"
        if depth == 1 and isinstance(event, yaml.NodeEvent):
            if key_next and isinstance(event, yaml.ScalarEvent) and event.value == "layers":
                return None
            key_next = not key_next
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
            if depth == 0:
                break
    return "a mapping without `layers`"

"""Findings about a network: errors the engine stops at, and (later) the linter's warnings."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    """How bad a finding is; only errors make ``cnncalc check`` exit 1 by default."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Diagnostic:
    """One finding: a stable code, a message naming the layer, and how to fix it."""

    code: str
    severity: Severity
    message: str
    layer: int | None = None
    """Index of the layer in the spec, when the finding is about one layer."""
    hint: str | None = None
    line: int | None = None
    """Line in the spec file, when known (for a layer a block made: its line in the block)."""
    use_line: int | None = None
    """For a layer a block made, the line of the block's use."""
    end_line: int | None = None
    """Last line of the layer in the spec file, when known (for a layer a block made: in the block)."""

"""Renderers: each reads analysis records and diagnostics and formats them; none recomputes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

from cnncalc.errors import SpecError
from cnncalc.shapes.records import Analysis


@dataclass(frozen=True)
class Failure:
    """A file that could not be read or validated."""

    file: str
    error: SpecError


Report: TypeAlias = Analysis | Failure
"""What checking one file produces."""

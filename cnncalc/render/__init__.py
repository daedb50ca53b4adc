"""Renderers: each reads analysis records and diagnostics and formats them; none recomputes.

One module per output format (:mod:`cnncalc.render.formats` chooses among them); what several
share lives here: the report of one file, how a network is shown, and its findings as flat entries.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TypeAlias

from cnncalc.cost.measures import STANDARD, Measures
from cnncalc.diagnostics import Severity
from cnncalc.errors import SpecError
from cnncalc.linter.rules.invalid_spec import InvalidSpec
from cnncalc.shapes.records import Analysis


@dataclass(frozen=True)
class Failure:
    """A file that could not be read or validated."""

    file: str
    error: SpecError


Report: TypeAlias = Analysis | Failure
"""What checking one file produces."""


@dataclass(frozen=True)
class View:
    """How the human-readable formats show a network (the machine formats ignore it)."""

    explain: bool = False
    """Show each layer's formulas with the numbers in."""
    batch: str | None = None
    """A leading batch axis in every shape: ``"32"`` for ``(32, 28, 28, 6)`` (``--batch-size``),
    ``"None"`` for ``(None, 28, 28, 6)`` as Keras' summary prints it, or ``None`` for no batch axis."""
    depth: int | None = None
    """Fold the layers of block uses nested deeper than this into one row per block use."""
    columns: tuple[str, ...] | None = None
    """The layer table's columns (``--columns``: ``output``, ``params``, ``macs``...); ``None``:
    Keras' summary's."""
    measures: Measures = STANDARD
    """Whose FLOPs, which number type, how many samples for the memory estimates."""


PLAIN = View()
"""Every layer in its row, shapes without a batch axis, no formulas."""


@dataclass(frozen=True)
class Entry:
    """One finding in one file, as the line-oriented formats show it: a layer's finding, or a problem
    with a file that cannot be loaded (code ``CNN001``, with a column and a field)."""

    file: str
    code: str
    severity: Severity
    message: str
    hint: str | None = None
    line: int | None = None
    end_line: int | None = None
    column: int | None = None
    layer: str | None = None
    """The name of the layer concerned."""
    field: str | None = None
    """For ``CNN001``: the field's path, such as ``layers[3].kernel_size``."""

    @property
    def text(self) -> str:
        """The message, after the field it is about if any: ``layers[0].strides: must be at least 1``."""
        return f"{self.field}: {self.message}" if self.field else self.message


def entries(reports: list[Report]) -> Iterator[Entry]:
    """Every finding of every report, in file order then layer order."""
    for report in reports:
        if isinstance(report, Failure):
            for problem in report.error.problems:
                yield Entry(
                    report.file,
                    InvalidSpec.code,
                    Severity.ERROR,
                    problem.message,
                    problem.hint,
                    problem.line,
                    problem.line,
                    problem.column,
                    None,
                    problem.field,
                )
            continue
        for d in report.diagnostics:
            layer = report.layers[d.layer].name if d.layer is not None else None
            yield Entry(
                report.file or "", d.code, d.severity, d.message, d.hint, d.line, d.end_line, None, layer
            )

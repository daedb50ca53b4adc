"""What a rule is: a stable code, a kebab-case name, a default severity and, as its docstring, its
documentation page. Also the small helpers rules share to read records and to word their findings.
"""

from __future__ import annotations

import inspect
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

from cnncalc.diagnostics import Severity
from cnncalc.shapes.records import Analysis, LayerRecord, Shape
from cnncalc.shapes.text import format_shape
from cnncalc.spec.fields import INPUT
from cnncalc.spec.models import (
    Activation,
    ActivationName,
    Conv2DTranspose,
    ConvLayer,
    DataFormat,
    Dense,
    LayerBase,
    LeakyReLU,
    PReLU,
    ReLU,
    Softmax,
)

FAMILIES = {
    "0": "files",
    "1": "shapes",
    "2": "capacity",
    "3": "activations and head",
    "4": "receptive field",
}
"""Rule families by the code's first digit."""

SECTIONS = ("## What it does", "## Why is this bad?", "## Example", "Use instead:", "## How to fix")
"""What every rule's docstring has, in this order (ruff's template)."""


@dataclass(frozen=True)
class Finding:
    """What a rule reports about one layer: what is wrong, and how to fix it, with the numbers."""

    layer: int
    message: str
    hint: str | None = None


class Rule(ABC):
    """A documented rule. The class docstring is its page: a one-line summary, then ``SECTIONS``."""

    code: ClassVar[str]
    """``CNN`` and three digits, never changed or reused; the first digit is the family."""
    name: ClassVar[str]
    """A stable kebab-case name, accepted wherever a code is."""
    severity: ClassVar[Severity]
    """How bad a finding is by default."""
    always_reported: ClassVar[str | None] = None
    """Why no setting hides this rule's findings, for the rules that cannot be ignored."""

    @property
    def docs(self) -> str:
        """The docstring, dedented."""
        return inspect.cleandoc(type(self).__doc__ or "")

    @property
    def summary(self) -> str:
        """The docstring's first line."""
        return self.docs.split("\n", 1)[0]

    @property
    def family(self) -> str:
        """``shapes``, ``capacity``, ``activations and head`` or ``receptive field``."""
        return FAMILIES[self.code[3]]


class EngineError(Rule):
    """An error the shape engine raises: the layer cannot be built, and analysis stops there.

    These are always reported: no setting hides them, because nothing after them can be trusted.
    """

    severity = Severity.ERROR
    always_reported = "analysis stops there"


class LintRule(Rule):
    """A rule that reads the analysis and reports findings; ``select`` and ``ignore`` apply."""

    @abstractmethod
    def check(self, analysis: Analysis) -> Iterator[Finding]:
        """The findings about ``analysis``, in layer order."""


# --- reading records ---------------------------------------------------------------------------


def analysed(analysis: Analysis) -> Iterator[LayerRecord]:
    """The records analysis reached (all of them, unless it stopped at an error)."""
    return (record for record in analysis.layers if record.output_shape is not None)


def spatial(shape: Shape | None, data_format: DataFormat) -> tuple[int, int, int] | None:
    """``(height, width, channels)`` of a feature map, ``None`` for a flat tensor."""
    if shape is None or len(shape) != 3:
        return None
    if data_format == "channels_first":
        return shape[1], shape[2], shape[0]
    return shape[0], shape[1], shape[2]


def activation(layer: LayerBase) -> ActivationName | None:
    """The activation a layer applies (an activation layer's function, ``relu`` for a ``ReLU`` layer,
    ...), ``None`` for layers that have none."""
    if isinstance(layer, ConvLayer | Conv2DTranspose | Dense | Activation):
        return layer.activation
    if isinstance(layer, ReLU):
        return "relu6" if layer.max_value == 6 else "relu"
    if isinstance(layer, LeakyReLU | PReLU):
        return "leaky_relu"
    return "softmax" if isinstance(layer, Softmax) else None


def upstream(analysis: Analysis, record: LayerRecord) -> Iterator[LayerRecord]:
    """The layers feeding ``record`` through their first inputs, nearest first, up to the model
    input or a merge (which is yielded: where branches meet, a chain ends)."""
    current = record
    while len(current.inputs) == 1 and current.inputs[0] != INPUT:
        current = analysis.layer(current.inputs[0])
        yield current


def downstream(analysis: Analysis, record: LayerRecord) -> list[LayerRecord]:
    """Every layer that depends on ``record``, in spec order (in a chain, every later layer: a slice,
    not a walk)."""
    if not analysis.branches:
        return list(analysis.layers[record.index + 1 :])
    reached = {record.name}
    for later in analysis.layers[record.index + 1 :]:
        if reached.intersection(later.inputs):
            reached.add(later.name)
    return [r for r in analysis.layers[record.index + 1 :] if r.name in reached]


def output_record(analysis: Analysis) -> LayerRecord:
    """The network's (first) output."""
    return analysis.layer(analysis.outputs[0])


# --- wording -----------------------------------------------------------------------------------


def plural(count: int, noun: str) -> str:
    """``1 row``, ``2 rows``.

    >>> plural(1, "row"), plural(3, "column")
    ('1 row', '3 columns')
    """
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"


def edges(rows: int, columns: int) -> str:
    """The last rows and columns, in words.

    >>> edges(1, 1), edges(2, 2), edges(1, 0), edges(0, 2)
    ('the last row and column', 'the last 2 rows and columns', 'the last row', 'the last 2 columns')
    >>> edges(1, 2)
    'the last row and the last 2 columns'
    """

    def last(count: int, noun: str) -> str:
        return f"the last {noun}" if count == 1 else f"the last {count} {noun}s"

    if rows == columns:
        return last(rows, "row") + (" and column" if rows == 1 else " and columns")
    return " and ".join(last(count, noun) for count, noun in ((rows, "row"), (columns, "column")) if count)


def shape_text(shape: Shape | None) -> str:
    """``(13, 13, 8)``; a dash when unknown."""
    return format_shape(shape) if shape is not None else "—"


def size_text(height: int, width: int) -> str:
    """``28×28``."""
    return f"{height:,}×{width:,}"

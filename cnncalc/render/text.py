"""Small text helpers shared by the human-readable renderers: the table's rows, totals and findings."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby

from cnncalc.diagnostics import Diagnostic, Severity
from cnncalc.render import PLAIN, View
from cnncalc.shapes.records import Analysis, LayerRecord, Shape
from cnncalc.shapes.text import format_shape

_UNITS = ("B", "KB", "MB", "GB", "TB", "PB")


def readable_size(size: int) -> str:
    """``size`` bytes as Keras prints them (1024 base, two decimals).

    >>> readable_size(61_706 * 4), readable_size(0), readable_size(2**22)
    ('241.04 KB', '0.00 B', '4.00 MB')
    """
    unit, scale = 0, 1
    while unit < len(_UNITS) - 1 and size >= scale * 1024:
        scale *= 1024
        unit += 1
    hundredths = (size * 100 + scale // 2) // scale
    return f"{hundredths // 100}.{hundredths % 100:02d} {_UNITS[unit]}"


def totals(analysis: Analysis) -> list[tuple[str, str]]:
    """``(label, value)`` lines like Keras' summary footer: counts, and the bytes the weights take."""
    weights = [weight for record in analysis.layers for weight in record.weights or ()]
    trainable = sum(weight.nbytes for weight in weights if weight.trainable)
    non_trainable = sum(weight.nbytes for weight in weights if not weight.trainable)
    return [
        (label, f"{count:,} ({readable_size(size)})")
        for label, count, size in (
            ("Total params", analysis.total_params, trainable + non_trainable),
            ("Trainable params", analysis.trainable_params, trainable),
            ("Non-trainable params", analysis.non_trainable_params, non_trainable),
        )
    ]


@dataclass(frozen=True)
class Row:
    """One row of the layer table: a layer, or a block use folded into one row (``--depth``)."""

    number: str
    """``4``, or ``4–9`` for the layers a folded block use generated."""
    layer: str
    """``conv2d (Conv2D)``, or ``conv2_block1 (block of 3 layers)``."""
    shape: str
    params: str
    connected: str
    """The layers it reads, as the "Connected to" column of Keras' summary lists them."""
    formulas: tuple[str, ...]
    records: tuple[LayerRecord, ...]

    def cells(self, *, connected: bool = False) -> list[str]:
        """Number, layer, output shape and parameters, and what it reads if ``connected``, as Keras'
        summary shows them."""
        return [self.number, self.layer, self.shape, self.params] + ([self.connected] if connected else [])


def rows(analysis: Analysis, view: View = PLAIN) -> list[Row]:
    """The table's rows: one per layer, except that the layers of a block use nested deeper than
    ``view.depth`` share one row (its output is the last layer's, its parameters their sum)."""

    def use(record: LayerRecord) -> tuple[str, ...] | int:
        """The block use a record folds into, or its own index when it has a row of its own."""
        depth = view.depth
        if depth is not None and len(record.block) > depth:
            return record.block[: depth + 1]
        return record.index

    result = []
    for key, grouped in groupby(analysis.layers, key=use):
        records = tuple(grouped)
        if isinstance(key, int):
            (record,) = records
            result.append(
                Row(
                    str(record.index),
                    f"{record.name} ({record.layer.keras_class})",
                    shape_text(record.output_shape, view.batch),
                    count_text(record.params),
                    ", ".join(record.inputs),
                    record.explanation,
                    records,
                )
            )
            continue
        params = [record.params for record in records]
        inside = {record.name for record in records}
        outside = [name for record in records for name in record.inputs if name not in inside]
        result.append(
            Row(
                f"{records[0].index}–{records[-1].index}" if len(records) > 1 else str(records[0].index),
                f"{key[-1]} (block of {len(records)} layer{'s' if len(records) > 1 else ''})",
                shape_text(records[-1].output_shape, view.batch),
                count_text(None if None in params else sum(p or 0 for p in params)),
                ", ".join(dict.fromkeys(outside)),
                (),
                records,
            )
        )
    return result


def shape_text(shape: Shape | None, batch: str | None = None) -> str:
    """``(28, 28, 6)``; with a batch axis ``(None, 28, 28, 6)``; a dash when analysis never got there.

    >>> shape_text((2048,)), shape_text((28, 28, 6), "None"), shape_text((10,), "32"), shape_text(None)
    ('(2048,)', '(None, 28, 28, 6)', '(32, 10)', '—')
    """
    if shape is None:
        return "—"
    if batch is None:
        return format_shape(shape)
    return "(" + ", ".join([batch, *map(str, shape)]) + ")"


def count_text(params: int | None) -> str:
    """The parameter count with thousands separators, or a dash when unknown."""
    return f"{params:,}" if params is not None else "—"


def where(analysis: Analysis, diagnostic: Diagnostic) -> str:
    """``conv2d_2 (line 7)``: the layer a finding is about, and its line when known."""
    parts = []
    if diagnostic.layer is not None:
        parts.append(analysis.layers[diagnostic.layer].name)
    if diagnostic.line is not None and diagnostic.use_line is not None:
        parts.append(f"(line {diagnostic.line}, in the block used at line {diagnostic.use_line})")
    elif diagnostic.line is not None:
        parts.append(f"(line {diagnostic.line})")
    return " ".join(parts)


def findings_summary(diagnostics: tuple[Diagnostic, ...] | list[Severity]) -> str:
    """``1 error, 2 warnings, 1 info``: the count of each severity present.

    >>> warning, info = Diagnostic("CNN110", Severity.WARNING, "m"), Diagnostic("CNN111", Severity.INFO, "m")
    >>> findings_summary((warning, warning, info))
    '2 warnings, 1 info'
    """
    severities = [d if isinstance(d, Severity) else d.severity for d in diagnostics]
    counts = [(sum(s is severity for s in severities), severity.value) for severity in Severity]
    return ", ".join(f"{n} {word}" + ("s" if n > 1 and word != "info" else "") for n, word in counts if n)

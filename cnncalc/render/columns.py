"""The layer table's model: its rows (a layer, or a folded block use: ``--depth``) and the columns it can
show (``check --columns``, as torchinfo's ``col_names``), shared by the table and Markdown renderers."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from itertools import groupby

from cnncalc.cost.conventions import layer_flops, total_flops
from cnncalc.cost.measures import Measures
from cnncalc.cost.memory import activation_bytes, memory
from cnncalc.render import PLAIN, View
from cnncalc.render.text import count_text, readable_bytes, shape_text
from cnncalc.shapes.receptive import describe_field, field_formula, input_field
from cnncalc.shapes.records import Analysis, LayerRecord
from cnncalc.shapes.text import format_dims, format_int


class Column(StrEnum):
    """A column of the layer table."""

    KERNEL = "kernel"
    INPUT = "input"
    OUTPUT = "output"
    PARAMS = "params"
    MACS = "macs"
    FLOPS = "flops"
    MEMORY = "memory"
    RF = "rf"
    CONNECTED = "connected"
    CONNECTIONS = "connections"


DEFAULT = (Column.OUTPUT, Column.PARAMS)
"""Keras' summary: output shape and parameters (and "Connected to" when the network branches)."""


@dataclass(frozen=True)
class Row:
    """One row of the layer table: a layer, or a block use folded into one row (``--depth``)."""

    number: str
    """``4``, or ``4–9`` for the layers a folded block use generated."""
    layer: str
    """``conv2d (Conv2D)``, or ``conv2_block1 (block of 3 layers)``."""
    records: tuple[LayerRecord, ...]
    formulas: tuple[str, ...] = ()
    """What ``--explain`` shows for a layer's row (a folded row shows none)."""


def rows(analysis: Analysis, view: View = PLAIN) -> list[Row]:
    """The table's rows: one per layer, except that the layers of a block use nested deeper than
    ``view.depth`` share one row (its output is the last layer's, its counts their sums)."""

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
            label = f"{record.name} ({record.layer.keras_class})"
            result.append(Row(str(record.index), label, records, tuple(formulas(analysis, record))))
            continue
        number = f"{records[0].index}–{records[-1].index}" if len(records) > 1 else str(records[0].index)
        label = f"{key[-1]} (block of {len(records)} layer{'s' if len(records) > 1 else ''})"
        result.append(Row(number, label, records))
    return result


@dataclass(frozen=True)
class ColumnSpec:
    """How a column is headed, aligned and filled."""

    header: Callable[[Measures], str]
    cell: Callable[[Row, View], str]
    numeric: bool = False


def _sum(values: Iterable[int | None]) -> int | None:
    """The sum, ``None`` if any value is unknown."""
    total = 0
    for value in values:
        if value is None:
            return None
        total += value
    return total


def _total(count: Callable[[LayerRecord], int | None]) -> Callable[[Row, View], str]:
    """A count column: the layer's count, or the sum over a folded row."""
    return lambda row, view: count_text(_sum(count(record) for record in row.records))


def _kernel(row: Row, view: View) -> str:
    """``5×5``, ``3×3 /2`` with strides, ``3×3 d2`` with dilation; empty for layers without a window."""
    record = row.records[0]
    if len(row.records) > 1 or record.windows is None:
        return ""
    rows_, columns = record.windows
    text = f"{rows_.kernel}×{columns.kernel}"
    strides, dilation = (
        format_dims((rows_.strides, columns.strides)),
        format_dims((rows_.dilation, columns.dilation)),
    )
    if strides != "1":
        text += f" /{strides}"
    return text if dilation == "1" else f"{text} d{dilation}"


def _inputs(row: Row, view: View) -> str:
    return ", ".join(shape_text(shape, view.batch) for shape in row.records[0].input_shapes)


def _connected(row: Row, view: View) -> str:
    """The layers the row reads from outside itself, as Keras' summary's "Connected to" lists them."""
    inside = {record.name for record in row.records}
    outside = [name for record in row.records for name in record.inputs if name not in inside]
    return ", ".join(dict.fromkeys(outside))


def _field(row: Row, view: View) -> str:
    field = row.records[-1].receptive_field
    return "" if field is None else describe_field(field)


SPECS: dict[Column, ColumnSpec] = {
    Column.KERNEL: ColumnSpec(lambda m: "Kernel", _kernel),
    Column.INPUT: ColumnSpec(lambda m: "Input shape", _inputs),
    Column.OUTPUT: ColumnSpec(
        lambda m: "Output shape", lambda row, view: shape_text(row.records[-1].output_shape, view.batch)
    ),
    Column.PARAMS: ColumnSpec(lambda m: "Param #", _total(lambda r: r.params), numeric=True),
    Column.MACS: ColumnSpec(
        lambda m: "MACs", _total(lambda r: r.cost.macs if r.cost else None), numeric=True
    ),
    Column.FLOPS: ColumnSpec(
        lambda m: m.flops_label,
        lambda row, view: count_text(_sum(layer_flops(r, view.measures.convention) for r in row.records)),
        numeric=True,
    ),
    Column.MEMORY: ColumnSpec(
        lambda m: f"Activations ({m.dtype.value})",
        lambda row, view: readable_bytes(_sum(activation_bytes(r, view.measures.dtype) for r in row.records)),
        numeric=True,
    ),
    Column.RF: ColumnSpec(lambda m: "Receptive field", _field),
    Column.CONNECTED: ColumnSpec(lambda m: "Connected to", _connected),
    Column.CONNECTIONS: ColumnSpec(
        lambda m: "Connections",
        _total(lambda r: None if r.cost is None else r.cost.connections),
        numeric=True,
    ),
}
"""Every column's header, cell and alignment."""


def chosen_columns(analysis: Analysis, view: View) -> tuple[Column, ...]:
    """The columns asked for; by default Keras' (with "Connected to" when the network branches)."""
    if view.columns is not None:
        return tuple(Column(column) for column in view.columns)
    return (*DEFAULT, Column.CONNECTED) if analysis.branches else DEFAULT


def row_cells(row: Row, columns: Sequence[Column], view: View) -> list[str]:
    """A row: number, ``name (KerasClass)``, then the columns."""
    return [row.number, row.layer, *(SPECS[column].cell(row, view) for column in columns)]


def input_cells(analysis: Analysis, columns: Sequence[Column], view: View) -> list[str]:
    """The input's row: its shape under the output column, and a dash for its connections."""
    cells = {Column.OUTPUT: shape_text(analysis.input_shape, view.batch), Column.CONNECTED: "-"}
    return ["", f"input ({analysis.data_format})", *(cells.get(column, "") for column in columns)]


def cost_totals(analysis: Analysis, columns: Sequence[Column], view: View) -> list[tuple[str, str]]:
    """``(label, value)`` footer lines for the cost columns shown (and a chosen convention)."""
    measures = view.measures
    lines = []
    if Column.MACS in columns or Column.FLOPS in columns or measures.convention is not None:
        lines.append(("Total MACs", _big(analysis.total_macs)))
        lines.append((f"Total {measures.flops_label}", _big(total_flops(analysis, measures.convention))))
    if Column.MEMORY in columns:
        estimate = memory(analysis, measures.batch_size, measures.dtype, measures.optimizer)
        torchinfo, training = estimate.torchinfo, estimate.training
        copies = plural_copies(training.optimizer.copies)
        lines += [
            (f"Activations per sample ({measures.dtype.value})", _bytes(estimate.activation_bytes)),
            (
                f"torchinfo's estimate at batch {measures.batch_size}",
                f"input {_mb(torchinfo.input_bytes)} + forward/backward pass "
                f"{_mb(torchinfo.forward_backward_bytes)} + params {_mb(torchinfo.params_bytes)} = "
                f"{_mb(torchinfo.total_bytes)}",
            ),
            (
                f"Training estimate at batch {measures.batch_size} with {training.optimizer.value}",
                f"weights {_mb(training.weights_bytes)} + gradients {_mb(training.gradients_bytes)} + "
                f"optimizer state ({copies}) {_mb(training.optimizer_bytes)} + "
                f"activations {_mb(training.activations_bytes)} + input {_mb(training.input_bytes)} = "
                f"{_mb(training.total_bytes)}",
            ),
        ]
    return lines


def plural_copies(copies: int) -> str:
    return f"{copies} {'copy' if copies == 1 else 'copies'} of the trainable weights"


def _big(value: int) -> str:
    """``4,089,184,256 (4.09 G)``."""
    for scale, unit in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "K")):
        if value >= scale:
            return f"{format_int(value)} ({value / scale:.2f} {unit})"
    return format_int(value)


def _bytes(value: int) -> str:
    return f"{format_int(value)} bytes ({readable_bytes(value)})"


def _mb(value: int) -> str:
    """Megabytes of 10⁶ bytes, as torchinfo prints them."""
    return f"{value / 1e6:.2f} MB"


def formulas(analysis: Analysis, record: LayerRecord) -> list[str]:
    """What ``--explain`` shows: the output size and parameters, the MACs and the receptive field,
    each with the numbers in."""
    lines = list(record.explanation)
    if record.cost is not None and record.cost.formula:
        lines.append(record.cost.formula)
    start = input_field(analysis.input_shape)
    fields = [start if source is None else source.receptive_field for source in analysis.inputs_of(record)]
    field = field_formula(record.receptive_field, fields, record.windows)
    return [*lines, field] if field else lines

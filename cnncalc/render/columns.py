"""The columns a layer table can show (``check --columns``), as torchinfo's ``col_names``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from cnncalc.cost.conventions import layer_flops, total_flops
from cnncalc.cost.measures import Measures
from cnncalc.cost.memory import activation_bytes, memory
from cnncalc.render.text import connected_text, layer_label, params_text, readable_bytes, shape_text
from cnncalc.shapes.receptive import describe_field, field_formula, input_field
from cnncalc.shapes.records import Analysis, LayerRecord
from cnncalc.shapes.text import format_dims, format_int, format_shape


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
class ColumnSpec:
    """How a column is headed, aligned and filled."""

    header: Callable[[Measures], str]
    cell: Callable[[LayerRecord, Measures], str]
    numeric: bool = False


def _count(value: int | None) -> str:
    return "—" if value is None else format_int(value)


def _kernel(record: LayerRecord, measures: Measures) -> str:
    """``5×5``, ``3×3 /2`` with strides, ``3×3 d2`` with dilation; empty for layers without a window."""
    if record.windows is None:
        return ""
    rows, columns = record.windows
    text = f"{rows.kernel}×{columns.kernel}"
    strides, dilation = (
        format_dims((rows.strides, columns.strides)),
        format_dims((rows.dilation, columns.dilation)),
    )
    if strides != "1":
        text += f" /{strides}"
    return text if dilation == "1" else f"{text} d{dilation}"


def _inputs(record: LayerRecord, measures: Measures) -> str:
    return ", ".join(format_shape(shape) if shape is not None else "—" for shape in record.input_shapes)


SPECS: dict[Column, ColumnSpec] = {
    Column.KERNEL: ColumnSpec(lambda m: "Kernel", _kernel),
    Column.INPUT: ColumnSpec(lambda m: "Input shape", _inputs),
    Column.OUTPUT: ColumnSpec(lambda m: "Output shape", lambda r, m: shape_text(r)),
    Column.PARAMS: ColumnSpec(lambda m: "Param #", lambda r, m: params_text(r), numeric=True),
    Column.MACS: ColumnSpec(
        lambda m: "MACs", lambda r, m: _count(r.cost.macs if r.cost else None), numeric=True
    ),
    Column.FLOPS: ColumnSpec(
        lambda m: m.flops_label, lambda r, m: _count(layer_flops(r, m.convention)), numeric=True
    ),
    Column.MEMORY: ColumnSpec(
        lambda m: f"Activations ({m.dtype.value})",
        lambda r, m: readable_bytes(activation_bytes(r, m.dtype)),
        numeric=True,
    ),
    Column.RF: ColumnSpec(
        lambda m: "Receptive field",
        lambda r, m: "" if r.receptive_field is None else describe_field(r.receptive_field),
    ),
    Column.CONNECTED: ColumnSpec(lambda m: "Connected to", lambda r, m: connected_text(r)),
    Column.CONNECTIONS: ColumnSpec(
        lambda m: "Connections",
        lambda r, m: _count(None if r.cost is None else r.cost.connections),
        numeric=True,
    ),
}
"""Every column's header, cell and alignment."""


def chosen_columns(analysis: Analysis, columns: Sequence[Column] | None) -> tuple[Column, ...]:
    """The columns asked for; by default Keras' (with "Connected to" when the network branches)."""
    if columns is not None:
        return tuple(columns)
    return (*DEFAULT, Column.CONNECTED) if analysis.branches else DEFAULT


def row_cells(record: LayerRecord, columns: Sequence[Column], measures: Measures) -> list[str]:
    """A layer's row: index, ``name (KerasClass)``, then the columns."""
    return [*layer_label(record), *(SPECS[column].cell(record, measures) for column in columns)]


def cost_totals(analysis: Analysis, columns: Sequence[Column], measures: Measures) -> list[tuple[str, str]]:
    """``(label, value)`` footer lines for the cost columns shown (and a chosen convention)."""
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

"""The cross-check report: cnncalc and an oracle (Keras, ONNX Runtime) side by side with ✓/✗, then
the oracle's own summary."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table
from rich.text import Text

from cnncalc.backends.comparison import Comparison, LayerComparison, Params, Refusal
from cnncalc.shapes.text import format_shape

if TYPE_CHECKING:
    from cnncalc.backends.keras.crosscheck import Crosscheck

AGREE = Text("✓", style="green")
DISAGREE = Text("✗", style="bold red")


def render_crosscheck(result: Crosscheck, console: Console) -> None:
    """Print Keras' cross-check (see :func:`render_comparison`)."""
    render_comparison(keras_comparison(result), console)


def keras_comparison(result: Crosscheck) -> Comparison:
    """Keras' cross-check as a :class:`Comparison`."""
    layers = tuple(
        LayerComparison(layer.record, layer.keras_shape, layer.keras_params, layer.engine_params)
        for layer in result.layers
    )
    rejection = result.rejection
    refusals = () if rejection is None else (Refusal(rejection.index, rejection.name, rejection.reason),)
    return Comparison(result.analysis, layers, "Keras", result.keras_version, refusals, result.keras_summary)


def render_comparison(result: Comparison, console: Console) -> None:
    """Print the comparison table, the verdict, both sides' errors, then the oracle's summary."""
    analysis = result.analysis
    oracle = result.oracle
    title = Text(analysis.name, style="bold")
    if analysis.file:
        title.append(f"  {analysis.file}", style="dim")
    title.append(f"  cnncalc vs {oracle} {result.version}", style="dim")
    table = Table(title=title, title_justify="left", header_style="bold", caption_justify="left")
    table.caption = result.params_caption
    table.add_column("#", justify="right", style="dim")
    table.add_column("Layer")
    table.add_column("cnncalc shape")
    table.add_column(f"{oracle} shape")
    table.add_column("cnncalc params", justify="right")
    table.add_column(f"{oracle} params", justify="right")
    table.add_column("")
    input_shape = format_shape(analysis.input_shape)
    table.add_row("", "input", input_shape, input_shape, style="dim")
    for layer in result.layers:
        record = layer.record
        shape_style = "" if layer.shape_matches else "bold red"
        params_style = "" if layer.params_match else "bold red"
        table.add_row(
            str(record.index),
            record.name,
            Text(_engine_shape(result, layer), style=shape_style),
            Text(_oracle_shape(result, layer), style=shape_style),
            Text(_params(layer.engine_params), style=params_style),
            Text(_params(layer.params), style=params_style),
            AGREE if layer.ok else DISAGREE,
        )
    console.print(table)
    layers = len(result.layers)
    if result.ok:
        console.print(Text(f"✓ cnncalc and {oracle} agree on all {layers} layers", style="green"))
    else:
        names = ", ".join(layer.record.name for layer in result.mismatches)
        console.print(
            Text(f"✗ cnncalc and {oracle} disagree on {len(result.mismatches)} of {layers} layers: {names}"),
            style="bold red",
            soft_wrap=True,
        )
    for diagnostic in analysis.errors:
        line = Text(f"cnncalc: error {diagnostic.code} ", style="red")
        line.append(f"{analysis.layers[diagnostic.layer or 0].name}: {diagnostic.message}", style="")
        console.print(line, soft_wrap=True)
    for refusal in result.refusals:
        line = Text(f"{oracle}: rejects ", style="red")
        line.append(f"{refusal.name}: {refusal.reason}", style="")
        console.print(line, soft_wrap=True)
    if result.summary is not None:
        console.print()
        console.print(result.summary, markup=False, highlight=False, soft_wrap=True)


def _engine_shape(result: Comparison, layer: LayerComparison) -> str:
    record = layer.record
    if record.output_shape is not None:
        return format_shape(record.output_shape)
    error = next((d for d in result.analysis.errors if d.layer == record.index), None)
    return f"error {error.code}" if error else "—"


def _oracle_shape(result: Comparison, layer: LayerComparison) -> str:
    if layer.shape is not None:
        return format_shape(layer.shape)
    return "rejected" if result.refused(layer.record.index) else "—"


def _params(params: Params | None) -> str:
    if params is None:
        return "—"
    trainable, non_trainable = params
    return f"{trainable:,} + {non_trainable:,}" if non_trainable else f"{trainable:,}"

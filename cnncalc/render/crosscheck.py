"""The cross-check report: cnncalc and Keras side by side with ✓/✗, then Keras' own summary."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from cnncalc.backends.keras.crosscheck import Crosscheck, LayerComparison, Params
from cnncalc.render.escape import visible
from cnncalc.render.table import print_whole
from cnncalc.shapes.text import format_shape

AGREE = Text("✓", style="green")
DISAGREE = Text("✗", style="bold red")


def render_crosscheck(result: Crosscheck, console: Console) -> None:
    """Print the comparison table, the verdict, both sides' errors, then ``model.summary()``."""
    analysis = result.analysis
    title = Text(visible(analysis.name), style="bold")
    if analysis.file:
        title.append(f"  {visible(analysis.file)}", style="dim")
    title.append(f"  cnncalc vs Keras {result.keras_version}", style="dim")
    console.print(title, soft_wrap=True)
    table = Table(header_style="bold", caption_justify="left")
    table.caption = "params: trainable (+ non-trainable)"
    table.add_column("#", justify="right", style="dim", no_wrap=True)
    table.add_column("Layer", no_wrap=True)
    table.add_column("cnncalc shape", no_wrap=True)
    table.add_column("Keras shape", no_wrap=True)
    table.add_column("cnncalc params", justify="right", no_wrap=True)
    table.add_column("Keras params", justify="right", no_wrap=True)
    table.add_column("", no_wrap=True)
    input_shape = format_shape(analysis.input_shape)
    table.add_row("", "input", input_shape, input_shape, style="dim")
    for layer in result.layers:
        record = layer.record
        shape_style = "" if layer.shape_matches else "bold red"
        params_style = "" if layer.params_match else "bold red"
        table.add_row(
            str(record.index),
            Text(visible(record.name)),
            Text(_engine_shape(result, layer), style=shape_style),
            Text(_keras_shape(result, layer), style=shape_style),
            Text(_params(layer.engine_params), style=params_style),
            Text(_params(layer.keras_params), style=params_style),
            AGREE if layer.ok else DISAGREE,
        )
    print_whole(console, table)
    layers = len(result.layers)
    if result.ok:
        console.print(Text(f"✓ cnncalc and Keras agree on all {layers} layers", style="green"))
    else:
        names = visible(", ".join(layer.record.name for layer in result.mismatches))
        console.print(
            Text(f"✗ cnncalc and Keras disagree on {len(result.mismatches)} of {layers} layers: {names}"),
            style="bold red",
            soft_wrap=True,
        )
    for diagnostic in analysis.errors:
        line = Text(f"cnncalc: error {diagnostic.code} ", style="red")
        line.append(visible(f"{analysis.layers[diagnostic.layer or 0].name}: {diagnostic.message}"), style="")
        console.print(line, soft_wrap=True)
    for rejection in result.rejections:
        line = Text("Keras: rejects ", style="red")
        line.append(visible(f"{rejection.name}: {rejection.reason}"), style="")
        console.print(line, soft_wrap=True)
    if result.keras_summary is not None:
        console.print()
        summary = "\n".join(visible(line) for line in result.keras_summary.split("\n"))
        console.print(summary, markup=False, highlight=False, soft_wrap=True)


def _engine_shape(result: Crosscheck, layer: LayerComparison) -> str:
    record = layer.record
    if record.output_shape is not None:
        return format_shape(record.output_shape)
    error = next((d for d in result.analysis.errors if d.layer == record.index), None)
    return f"error {error.code}" if error else "—"


def _keras_shape(result: Crosscheck, layer: LayerComparison) -> str:
    if layer.keras_shape is not None:
        return format_shape(layer.keras_shape)
    refused = any(rejection.index == layer.record.index for rejection in result.rejections)
    return "rejected" if refused else "—"


def _params(params: Params | None) -> str:
    if params is None:
        return "—"
    trainable, non_trainable = params
    return f"{trainable:,} + {non_trainable:,}" if non_trainable else f"{trainable:,}"

"""The cross-check report: cnncalc and an oracle (Keras, ONNX Runtime) side by side with ✓/✗, then
the oracle's own summary."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from cnncalc.backends.comparison import Comparison, LayerComparison, Params
from cnncalc.render.escape import visible
from cnncalc.render.table import print_whole
from cnncalc.shapes.text import format_shape

AGREE = Text("✓", style="green")
DISAGREE = Text("✗", style="bold red")


def render_comparison(result: Comparison, console: Console) -> None:
    """Print the comparison table, the verdict, both sides' errors, then the oracle's summary."""
    analysis, oracle = result.analysis, result.oracle
    title = Text(visible(analysis.name), style="bold")
    if analysis.file:
        title.append(f"  {visible(analysis.file)}", style="dim")
    title.append(f"  cnncalc vs {oracle} {result.version}", style="dim")
    console.print(title, soft_wrap=True)
    table = Table(header_style="bold", caption_justify="left")
    table.caption = result.params_caption
    table.add_column("#", justify="right", style="dim", no_wrap=True)
    table.add_column("Layer", no_wrap=True)
    table.add_column("cnncalc shape", no_wrap=True)
    table.add_column(f"{oracle} shape", no_wrap=True)
    table.add_column("cnncalc params", justify="right", no_wrap=True)
    table.add_column(f"{oracle} params", justify="right", no_wrap=True)
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
            Text(_oracle_shape(result, layer), style=shape_style),
            Text(_params(layer.engine_params), style=params_style),
            Text(_params(layer.params), style=params_style),
            AGREE if layer.ok else DISAGREE,
        )
    print_whole(console, table)
    layers = len(result.layers)
    if result.ok:
        console.print(Text(f"✓ cnncalc and {oracle} agree on all {layers} layers", style="green"))
    else:
        names = visible(", ".join(layer.record.name for layer in result.mismatches))
        console.print(
            Text(f"✗ cnncalc and {oracle} disagree on {len(result.mismatches)} of {layers} layers: {names}"),
            style="bold red",
            soft_wrap=True,
        )
    for diagnostic in analysis.errors:
        line = Text(f"cnncalc: error {diagnostic.code} ", style="red")
        line.append(visible(f"{analysis.layers[diagnostic.layer or 0].name}: {diagnostic.message}"), style="")
        console.print(line, soft_wrap=True)
    for refusal in result.refusals:
        line = Text(f"{oracle}: rejects ", style="red")
        line.append(visible(f"{refusal.name}: {refusal.reason}"), style="")
        console.print(line, soft_wrap=True)
    if result.summary is not None:
        console.print()
        summary = "\n".join(visible(line) for line in result.summary.split("\n"))
        console.print(summary, markup=False, highlight=False, soft_wrap=True)


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

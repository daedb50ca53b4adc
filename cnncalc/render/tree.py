"""The tree report: the network as an indented tree of layers and block uses (rich's ``Tree``).

A layer reading the one before it sits below it at the same depth; a layer reading others says
which (``← input``, ``← 0_bn, 3_bn``), so branches and merges read at a glance; each block use is a
node holding its layers, with the use's output shape and parameters.
"""

from __future__ import annotations

from rich.console import Console
from rich.text import Text
from rich.tree import Tree

from cnncalc.render import Failure, Report
from cnncalc.render.escape import visible
from cnncalc.render.table import print_failure, print_whole
from cnncalc.render.text import count_text, shape_text, totals
from cnncalc.shapes.records import Analysis, LayerRecord
from cnncalc.shapes.text import format_int, format_shape
from cnncalc.spec.models import INPUT


def render_tree(reports: list[Report], console: Console) -> None:
    """Print every report as a tree; problems with unreadable files as the table report does."""
    for number, report in enumerate(reports):
        if number:
            console.print()
        if isinstance(report, Failure):
            print_failure(report, console)
        else:
            print_whole(console, analysis_tree(report))  # a label never wraps, a name is never cut
            for label, value in totals(report):
                console.print(f"[bold]{label}:[/bold] {value}", highlight=False)


def analysis_tree(analysis: Analysis) -> Tree:
    """The tree of one network."""
    root = Tree(
        Text.assemble(
            (visible(analysis.name), "bold"),
            f"  input {format_shape(analysis.input_shape)} ({analysis.data_format})",
        )
    )
    members: dict[tuple[str, ...], list[LayerRecord]] = {}  # each block use's layers, in one pass
    for record in analysis.layers:
        for depth in range(1, len(record.block) + 1):
            members.setdefault(record.block[:depth], []).append(record)
    nodes: dict[tuple[str, ...], Tree] = {(): root}
    previous = INPUT
    for record in analysis.layers:
        for depth in range(1, len(record.block) + 1):
            path = record.block[:depth]
            if path not in nodes:
                nodes[path] = nodes[path[:-1]].add(_use_label(path, members[path]))
        nodes[record.block].add(_layer_label(record, previous))
        previous = record.name
    return root


def _layer_label(record: LayerRecord, previous: str) -> Text:
    label = Text(visible(record.name), style="red" if record.output_shape is None else "")
    label.append(f" ({record.layer.keras_class})", style="dim")
    label.append(f"  {shape_text(record.output_shape)}")
    if record.params:
        label.append(f"  {count_text(record.params)} params", style="dim")
    if record.inputs != (previous,):
        label.append(f"  ← {visible(', '.join(record.inputs))}", style="cyan")
    return label


def _use_label(path: tuple[str, ...], layers: list[LayerRecord]) -> Text:
    """``conv2_block1``, its output shape (its last layer's) and parameters."""
    params = sum(record.params or 0 for record in layers)
    label = Text(visible(path[-1]), style="bold")
    label.append(f"  {shape_text(layers[-1].output_shape)}")
    label.append(f"  {format_int(params)} params", style="dim")
    return label

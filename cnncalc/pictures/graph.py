"""The graph style: one box per layer, like Keras' ``plot_model(show_shapes=True)``: the layer's
name and class, then its input and output shapes."""

from __future__ import annotations

from cnncalc.pictures.labels import local_name, shape_label, tooltip
from cnncalc.pictures.layout import Direction, Figure
from cnncalc.pictures.nodes import Node
from cnncalc.pictures.scene import FONT_SIZE, Item, Line, Point, Rect, Text, text_width

PADDING = 8.0
LINE = 14.0


class Nodes:
    """The graph style."""

    def figure(self, node: Node, direction: Direction) -> Figure:
        """A rounded box: ``name (Class)`` above a rule, then ``in`` and ``out`` shapes."""
        record = node.record
        name = local_name(node)
        heading = f"{name} ({'InputLayer' if record is None else record.layer.keras_class})"
        if record is None:
            lines = [f"shape: {shape_label(node.shape)}"]
        else:
            shapes = ", ".join(shape_label(shape) for shape in record.input_shapes)
            lines = [f"in: {shapes}", f"out: {shape_label(node.shape)}"]
        if node.error:
            lines.append(f"error {node.error}")
        width = max(text_width(heading, bold=True), *(text_width(text) for text in lines)) + 2 * PADDING
        height = (1 + len(lines)) * LINE + 2 * PADDING
        left, top = -width / 2, -height / 2
        box = Rect(left, top, width, height, "box", radius=6.0)
        rule_y = top + PADDING + LINE + 1
        divider = Line(((left, rule_y), (left + width, rule_y)), "divider")
        label = (
            Text(0.0, top + PADDING + FONT_SIZE, heading, "name", bold=True),
            *(
                Text(0.0, rule_y + PADDING / 2 + FONT_SIZE + n * LINE, text, "shape")
                for n, text in enumerate(lines)
            ),
        )
        entry, exit_ = ((left, 0.0), (-left, 0.0)) if direction == "LR" else ((0.0, top), (0.0, -top))
        classes = (
            node.kind,
            *(("failed",) if node.shape is None else ()),
            *(("error",) if node.error else ()),
        )
        return Figure((box, divider), label, entry, exit_, classes, tooltip(node))

    def joint(self, source: Node, target: Node, at: tuple[Point, Point], direction: Direction) -> Item | None:
        """Nothing: a graph shows arrows only."""
        return None

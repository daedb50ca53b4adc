"""Pictures of a network: article-style block diagrams, node graphs, and the HTML report.

Data flows one way: analysis records → :mod:`nodes` (what is drawn) → :mod:`grid` (columns and
lanes) → :mod:`layout` with a style (:mod:`blocks` or :mod:`graph`) → a :class:`~scene.Scene` with
coordinates → :mod:`svg` (text). Nothing here is imported by ``cnncalc check``.
"""

from __future__ import annotations

from typing import Literal, TypeAlias

from cnncalc.pictures.blocks import Blocks
from cnncalc.pictures.layout import Direction, Style, lay_out
from cnncalc.pictures.nodes import build_nodes
from cnncalc.pictures.scene import Scene
from cnncalc.pictures.svg import write_svg
from cnncalc.pictures.themes import THEMES, ThemeName
from cnncalc.shapes.records import Analysis

DiagramStyle: TypeAlias = Literal["blocks", "graph"]

ROW_LENGTH = 1500.0
"""How long a row grows before the diagram wraps, in pixels."""

__all__ = ["DiagramStyle", "Direction", "ThemeName", "draw", "scene"]


def scene(
    analysis: Analysis,
    *,
    style: DiagramStyle = "blocks",
    direction: Direction | None = None,
    row_length: float = ROW_LENGTH,
) -> Scene:
    """The laid-out diagram of ``analysis``: blocks flow left to right by default, graphs downwards."""
    drawing: Style
    if style == "blocks":
        drawing = Blocks(analysis.data_format)
    else:
        from cnncalc.pictures.graph import Nodes

        drawing = Nodes()
    nodes = build_nodes(analysis, fold=style == "blocks")
    chosen = direction or ("LR" if style == "blocks" else "TB")
    total = f"{analysis.name} · {analysis.total_params:,} parameters"
    return lay_out(nodes, drawing, direction=chosen, row_length=row_length, title=total)


def draw(
    analysis: Analysis,
    *,
    style: DiagramStyle = "blocks",
    direction: Direction | None = None,
    theme: ThemeName = "light",
    row_length: float = ROW_LENGTH,
) -> str:
    """The diagram of ``analysis`` as SVG text."""
    laid_out = scene(analysis, style=style, direction=direction, row_length=row_length)
    return write_svg(laid_out, THEMES[theme])

"""Any network the engine accepts gets a diagram with every layer placed once and no two blocks or
labels overlapping: random graphs of convolutions, pools and merges, in every style and direction."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

import cnncalc
from cnncalc.pictures import scene
from cnncalc.pictures.scene import bounds_of
from tests.pictures.svgread import overlapping, read_nodes


@st.composite
def graphs(draw: st.DrawFn) -> dict[str, Any]:
    """Layers that each read one or two earlier layers (or the input), all keeping 16×16 maps with 8
    channels so that any two can be added or concatenated; some chains, some branches, some merges."""
    layers: list[dict[str, Any]] = []
    names = ["input"]
    for index in range(draw(st.integers(1, 24))):
        name = f"l{index}"
        kind = draw(st.sampled_from(["conv", "conv", "relu", "pool", "add", "concat"]))
        first = draw(st.sampled_from(names[-4:])) if draw(st.booleans()) else names[-1]
        if kind in {"add", "concat"} and len(names) > 1:
            second = draw(st.sampled_from([n for n in names if n != first]))
            layer = {"type": "add", "inputs": [first, second]}
            if kind == "concat":
                layer = {"type": "concatenate", "inputs": [first, second]}
                layers.append({"name": name, **layer})  # 16 channels: only its squeeze is read
                layer = {"type": "conv2d", "filters": 8, "kernel_size": 1, "inputs": name}
                name = f"{name}_squeeze"
        elif kind == "relu":
            layer = {"type": "activation", "activation": "relu", "inputs": first}
        elif kind == "pool":
            layer = {"type": "maxpool2d", "pool_size": 3, "strides": 1, "padding": "same", "inputs": first}
        else:
            layer = {"type": "conv2d", "filters": 8, "kernel_size": 3, "padding": "same", "inputs": first}
        layers.append({"name": name, **layer})
        names.append(name)
    return {"input": [16, 16, 8], "layers": layers}


@settings(max_examples=60, deadline=None)
@given(graphs(), st.sampled_from([("blocks", "LR"), ("blocks", "TB"), ("graph", "TB"), ("graph", "LR")]))
def test_random_graphs_are_drawn_without_overlaps(spec: dict[str, Any], variant: tuple[str, str]) -> None:
    style, direction = variant
    analysis = cnncalc.analyze(spec)
    assert analysis.ok
    nodes = read_nodes(cnncalc.diagram(analysis, style=style, direction=direction))  # type: ignore[arg-type]
    assert sorted(layer for node in nodes for layer in node.layers) == sorted(r.name for r in analysis.layers)
    assert overlapping([node.box for node in nodes]) == []
    laid_out = scene(analysis, style=style, direction=direction, row_length=600)  # type: ignore[arg-type]
    boxes = []
    for item in laid_out.items:
        if item.kind == "node":
            boxes.append(bounds_of(item.body))
            if style == "blocks":
                boxes.append(bounds_of(item.label))
    assert overlapping([(b.left, b.top, b.right, b.bottom) for b in boxes]) == []

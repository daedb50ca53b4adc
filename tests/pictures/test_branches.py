"""Networks that branch: skip connections over the main path, projection shortcuts in a lane of their
own, parallel towers, long skips that forbid wrapping, block uses framed and named."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

import cnncalc
from cnncalc.pictures.grid import place
from cnncalc.pictures.nodes import build_nodes
from tests.pictures.svgread import SVG, overlapping, read_nodes

BOTTLENECK = {
    "params": {"filters": "required", "strides": 1, "project": False},
    "layers": [
        {
            "name": "0_conv",
            "type": "conv2d",
            "filters": "$(4 * filters)",
            "kernel_size": 1,
            "strides": "$strides",
            "when": "$project",
        },
        {"name": "0_bn", "type": "batchnorm", "when": "$project"},
        {
            "name": "1_conv",
            "type": "conv2d",
            "filters": "$filters",
            "kernel_size": 1,
            "strides": "$strides",
            "inputs": "input",
        },
        {"name": "1_bn", "type": "batchnorm"},
        {"name": "1_relu", "type": "activation", "activation": "relu"},
        {"name": "2_conv", "type": "conv2d", "filters": "$filters", "kernel_size": 3, "padding": "same"},
        {"name": "2_bn", "type": "batchnorm"},
        {"name": "2_relu", "type": "activation", "activation": "relu"},
        {"name": "3_conv", "type": "conv2d", "filters": "$(4 * filters)", "kernel_size": 1},
        {"name": "3_bn", "type": "batchnorm"},
        {"name": "add", "type": "add", "inputs": ["0_bn", "3_bn"]},
        {"name": "out", "type": "activation", "activation": "relu"},
    ],
}
"""Keras' ResNet ``block1``, as in docs/spec.md."""


def residual(stages: int = 2) -> dict[str, Any]:
    return {
        "name": "residual",
        "input": [56, 56, 64],
        "blocks": {"bottleneck": BOTTLENECK},
        "layers": [
            {
                "block": "bottleneck",
                "name": "conv2_block{i}",
                "repeat": stages,
                "filters": 16,
                "project": "$(i == 1)",
            },
        ],
    }


def edges(svg: str) -> dict[tuple[str, str], tuple[str, list[float]]]:
    """(source, target) → (class, the polyline's numbers) of every arrow."""
    found = {}
    for group in ET.fromstring(svg).iter(f"{SVG}g"):
        classes = group.attrib.get("class", "").split()
        if classes[:1] == ["edge"] and "wrap" not in classes:
            source, target = json.loads(group.attrib["data-layers"])
            line = group.find(f"{SVG}g/{SVG}polyline")
            assert line is not None
            numbers = [float(n) for pair in line.attrib["points"].split() for n in pair.split(",")]
            found[(source, target)] = (" ".join(classes), numbers)
    return found


def test_a_residual_block_draws_its_shortcuts_as_arrows_into_an_add_circle() -> None:
    svg = cnncalc.diagram(residual())
    nodes = {node.layers[0] if node.layers else "input": node for node in read_nodes(svg)}
    assert overlapping([node.box for node in nodes.values()]) == []
    # the add is a circle, with its ReLU folded in
    add = nodes["conv2_block2_add"]
    assert "operation" in add.classes
    assert add.layers == ("conv2_block2_add", "conv2_block2_out")
    assert add.texts[:2] == ("add", "56 × 56 × 64")
    arrows = edges(svg)
    # block 1 projects: conv 0 runs in a lane below the main path, from the input to the add
    main_bottom = max(
        nodes[name].box[3] for name in ("conv2_block1_1_conv", "conv2_block1_2_conv", "conv2_block1_3_conv")
    )
    assert nodes["conv2_block1_0_conv"].box[1] > main_bottom
    assert ("input", "conv2_block1_0_conv") in arrows
    assert ("conv2_block1_0_conv", "conv2_block1_add") in arrows
    # block 2's identity shortcut jumps from block 1's add over block 2's convolutions, above them
    kind, numbers = arrows[("conv2_block1_add", "conv2_block2_add")]
    assert "skip" in kind
    over = [nodes[f"conv2_block2_{n}_conv"] for n in (1, 2, 3)]
    assert min(numbers[1::2]) < min(node.box[1] for node in over)
    # every input of every layer is an arrow
    wanted = {
        (source, target)
        for source, target in [
            ("conv2_block1_add", "conv2_block2_1_conv"),
            ("conv2_block2_3_conv", "conv2_block2_add"),
            ("conv2_block1_3_conv", "conv2_block1_add"),
        ]
    }
    assert wanted <= set(arrows)


def test_block_uses_are_framed_and_named_with_their_layers_inside() -> None:
    svg = cnncalc.diagram(residual())
    root = ET.fromstring(svg)
    frames = {}
    for group in root.iter(f"{SVG}g"):
        if group.attrib.get("class", "").split()[:1] == ["frame"]:
            rect = group.find(f"{SVG}g/{SVG}rect")
            caption = group.find(f"{SVG}g/{SVG}text")
            assert rect is not None and caption is not None
            x, y = float(rect.attrib["x"]), float(rect.attrib["y"])
            frames[caption.text] = (x, y, x + float(rect.attrib["width"]), y + float(rect.attrib["height"]))
    assert sorted(frames) == ["conv2_block1", "conv2_block2"]
    for node in read_nodes(svg):
        if node.layers and node.layers[0].startswith("conv2_block"):
            use = node.layers[0][: len("conv2_blockN")]
            left, top, right, bottom = frames[use]
            assert left < node.box[0] and node.box[2] < right and top < node.box[1] and node.box[3] < bottom
            assert node.layers[0] == f"{use}_{node.texts[0]}", (
                "inside a frame, layers go by their local names"
            )
    assert overlapping(list(frames.values())) == []


def test_parallel_towers_get_lanes_of_their_own_and_meet_at_a_concatenation() -> None:
    spec = {
        "input": [28, 28, 32],
        "layers": [
            {"name": "a", "type": "conv2d", "filters": 8, "kernel_size": 1, "inputs": "input"},
            {"name": "b1", "type": "conv2d", "filters": 8, "kernel_size": 1, "inputs": "input"},
            {"name": "b2", "type": "conv2d", "filters": 16, "kernel_size": 3, "padding": "same"},
            {"name": "c1", "type": "conv2d", "filters": 4, "kernel_size": 1, "inputs": "input"},
            {"name": "c2", "type": "conv2d", "filters": 8, "kernel_size": 5, "padding": "same"},
            {
                "name": "d1",
                "type": "maxpool2d",
                "pool_size": 3,
                "strides": 1,
                "padding": "same",
                "inputs": "input",
            },
            {"name": "d2", "type": "conv2d", "filters": 8, "kernel_size": 1},
            {"name": "mixed", "type": "concatenate", "inputs": ["a", "b2", "c2", "d2"]},
        ],
    }
    nodes = build_nodes(cnncalc.analyze(spec), fold=True)
    grid = place(nodes)
    lanes = {key: cell.lane for key, cell in grid.cells.items()}
    assert lanes["input"] == lanes["mixed"] == 0
    assert len({lanes["a"], lanes["b1"], lanes["c1"], lanes["d1"]}) == 4, "four towers, four lanes"
    assert lanes["b1"] == lanes["b2"] and lanes["c1"] == lanes["c2"] and lanes["d1"] == lanes["d2"]
    for style in ("blocks", "graph"):
        svg = cnncalc.diagram(spec, style=style)  # type: ignore[arg-type]
        assert overlapping([node.box for node in read_nodes(svg)]) == []
        assert {("a", "mixed"), ("b2", "mixed"), ("c2", "mixed"), ("d2", "mixed")} <= set(edges(svg))
        concat = next(node for node in read_nodes(svg) if node.layers == ("mixed",))
        assert any("28 × 28 × 40" in text for text in concat.texts)  # 8 + 16 + 8 + 8 channels


def test_rows_are_cut_only_where_a_single_value_crosses() -> None:
    """A long skip (a U-Net's) forbids every cut it spans: the row runs long rather than break it."""
    layers: list[dict[str, Any]] = [
        {"name": "first", "type": "conv2d", "filters": 8, "kernel_size": 3, "padding": "same"}
    ]
    layers += [{"type": "conv2d", "filters": 8, "kernel_size": 3, "padding": "same"} for _ in range(30)]
    layers.append(
        {"name": "join", "type": "concatenate", "inputs": ["first", layers[-1].get("name", "conv2d_29")]}
    )
    layers += [{"type": "conv2d", "filters": 8, "kernel_size": 3, "padding": "same"} for _ in range(30)]
    spec = {"input": [32, 32, 3], "layers": layers}
    grid = place(build_nodes(cnncalc.analyze(spec), fold=True))
    first, join = grid.cells["first"].column, grid.cells["join"].column
    assert not any(first < column < join - 1 for column in grid.cuts)
    assert all(column in grid.cuts for column in range(join, grid.columns - 1))
    svg = cnncalc.diagram(spec)
    nodes = read_nodes(svg)
    assert overlapping([node.box for node in nodes]) == []
    by_name = {node.layers[0]: node for node in nodes if node.layers}
    assert by_name["conv2d"].box[1] == by_name["conv2d_29"].box[1], "the skip's span stays on one row"
    assert len(edges(svg)) == sum(len(r.inputs) for r in cnncalc.analyze(spec).layers)


def test_no_kernel_window_is_drawn_beside_a_merge_circle() -> None:
    """A 3×3 convolution after an add: the add is a circle, with no side for a window to sit on."""
    spec = {
        "input": [16, 16, 8],
        "layers": [
            {"name": "a", "type": "conv2d", "filters": 8, "kernel_size": 3, "padding": "same"},
            {"name": "sum", "type": "add", "inputs": ["input", "a"]},
            {"name": "b", "type": "conv2d", "filters": 4, "kernel_size": 3},
        ],
    }
    root = ET.fromstring(cnncalc.diagram(spec))
    titles = [
        g.findtext(f"{SVG}title")
        for g in root.iter(f"{SVG}g")
        if g.attrib.get("class", "").startswith("kernel")
    ]
    assert titles == ["a: 3×3 window"]

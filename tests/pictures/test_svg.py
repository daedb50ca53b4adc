"""Every example and zoo network drawn in each style, direction and theme, read back from the SVG
with an XML parser: every layer accounted for once, every shape shown, no two blocks overlapping."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import cnncalc
from cnncalc.pictures import draw, scene
from cnncalc.pictures.scene import bounds_of
from tests.conftest import EXAMPLES
from tests.pictures.svgread import SVG, overlapping, read_nodes

SPECS = sorted(EXAMPLES.glob("**/*.yaml"))
VARIANTS = [("blocks", "LR"), ("blocks", "TB"), ("graph", "TB"), ("graph", "LR")]


def shape_text(shape: tuple[int, ...]) -> str:
    """A shape as the article writes it, ``28 × 28 × 6`` (written out here, not taken from the code)."""
    return " × ".join(str(n) for n in shape)


@pytest.mark.parametrize("path", SPECS, ids=lambda p: str(p.relative_to(EXAMPLES)))
@pytest.mark.parametrize(("style", "direction"), VARIANTS)
def test_every_layer_is_drawn_once_with_its_shape_and_no_blocks_overlap(
    path: Path, style: str, direction: str
) -> None:
    analysis = cnncalc.analyze(path)
    nodes = read_nodes(cnncalc.diagram(path, style=style, direction=direction))  # type: ignore[arg-type]

    drawn = [layer for node in nodes for layer in node.layers]
    assert sorted(drawn) == sorted(r.name for r in analysis.layers), "each layer in exactly one node"
    by_layer = {layer: node for node in nodes for layer in node.layers}
    for record in analysis.layers:
        node = by_layer[record.name]
        assert record.name in node.title
        expected = shape_text(record.output_shape) if record.output_shape is not None else "no shape"
        assert any(expected in text for text in node.texts), (record.name, expected, node.texts)
    inputs = [node for node in nodes if "input" in node.classes]
    assert len(inputs) == 1
    assert any(shape_text(analysis.input_shape) in text for text in inputs[0].texts)
    if style == "graph":
        assert len(nodes) == len(analysis.layers) + 1, "the graph style folds nothing"
        for record in analysis.layers:
            heading = by_layer[record.name].texts[0]
            assert heading.endswith(f" ({record.layer.keras_class})")
            assert named(record, heading.removesuffix(f" ({record.layer.keras_class})"))
    else:
        for record in analysis.layers:
            node = by_layer[record.name]
            if "input" in node.classes:
                assert node.texts[0] == "input", "layers folded into the input are named in its tooltip"
            elif node.layers[0] == record.name:
                assert named(record, node.texts[0]), "a block is labelled with its layer's name"
    assert overlapping([node.box for node in nodes]) == []


def named(record: cnncalc.LayerRecord, label: str) -> bool:
    """Whether ``label`` names the layer: its name, or inside a block use its name within the use
    (``1_conv`` for ``conv2_block1_1_conv``), the use's name being the frame's caption."""
    return label == record.name or (bool(record.block) and record.name == f"{record.block[0]}_{label}")


@pytest.mark.parametrize("path", SPECS, ids=lambda p: str(p.relative_to(EXAMPLES)))
def test_labels_overlap_no_block_and_no_other_label(path: Path) -> None:
    """From the layout's own (generous) estimate of text widths."""
    for style, direction in VARIANTS:
        laid_out = scene(cnncalc.analyze(path), style=style, direction=direction)  # type: ignore[arg-type]
        nodes = [item for item in laid_out.items if item.kind == "node"]
        boxes = [bounds_of(node.body) for node in nodes]
        if style == "blocks":
            boxes += [bounds_of(node.label) for node in nodes if node.label]
        assert overlapping([(b.left, b.top, b.right, b.bottom) for b in boxes]) == [], (style, direction)


def test_a_convolution_followed_by_batch_norm_and_activation_is_one_block() -> None:
    spec = {
        "input": [28, 28, 1],
        "layers": [
            {"type": "activation", "activation": "relu", "name": "first_relu"},
            {"type": "conv2d", "filters": 8, "kernel_size": 3, "name": "c"},
            {"type": "batchnorm", "name": "bn"},
            {"type": "activation", "activation": "relu", "name": "act"},
            {"type": "dropout", "rate": 0.25, "name": "drop"},
            {"type": "maxpool2d", "name": "pool"},
        ],
    }
    nodes = read_nodes(cnncalc.diagram(spec))
    assert [node.layers for node in nodes] == [("first_relu",), ("c", "bn", "act", "drop"), ("pool",)]
    conv = nodes[1]
    assert conv.texts == ("c", "26 × 26 × 8", "3×3 conv, BN, relu, dropout 0.25")
    assert nodes[0].texts[:2] == ("input", "28 × 28 × 1")


def test_long_networks_wrap_into_rows_joined_by_a_connector() -> None:
    layers = [{"type": "conv2d", "filters": 16, "kernel_size": 3, "padding": "same"} for _ in range(40)]
    svg = cnncalc.diagram({"input": [64, 64, 3], "layers": layers})
    nodes = read_nodes(svg)
    assert len(nodes) == 41
    assert overlapping([node.box for node in nodes]) == []
    lefts = sorted({round(node.box[0]) for node in nodes})
    tops = sorted({round(node.box[1]) for node in nodes})
    assert len(tops) > 1, "several rows"
    root = ET.fromstring(svg)
    wraps = [g for g in root.iter(f"{SVG}g") if g.attrib.get("class") == "edge wrap"]
    assert len(wraps) == len(tops) - 1
    width = float(root.attrib["width"])
    assert width < 1700, "rows stop near 1,500 px"
    assert lefts[0] < 100


def test_sizes_are_compressed_so_large_and_small_maps_fit_one_page() -> None:
    """224×224×64 and 7×7×2048 side by side: the larger map is drawn taller, but not 32 times taller."""
    spec = {
        "input": [224, 224, 64],
        "layers": [{"type": "conv2d", "filters": 2048, "kernel_size": 32, "strides": 32}],
    }
    big, small = read_nodes(cnncalc.diagram(spec))
    height = lambda node: node.box[3] - node.box[1]  # noqa: E731
    assert 2 < height(big) / height(small) < 10
    assert small.texts[1] == "7 × 7 × 2048"


def test_a_failed_layer_and_the_layers_after_it_are_drawn_dashed_with_the_error_code(examples: Path) -> None:
    nodes = read_nodes(cnncalc.diagram(examples / "error_kernel_too_large.yaml"))
    failed = {node.layers[0]: node for node in nodes if "failed" in node.classes}
    assert list(failed) == ["conv3", "flatten", "dense", "dense_1"]
    assert "error" in failed["conv3"].classes
    assert "error CNN101" in " ".join(failed["conv3"].texts)


def test_kernels_are_drawn_as_windows_on_the_map_they_read(examples: Path) -> None:
    root = ET.fromstring(cnncalc.diagram(examples / "lenet5.yaml"))
    windows = [g for g in root.iter(f"{SVG}g") if g.attrib.get("class", "").startswith("kernel")]
    titles = [g.find(f"{SVG}title").text for g in windows]  # type: ignore[union-attr]
    # LeNet-5: two 5×5 convolutions and two 2×2 pools; the dense layers have no window
    assert titles == [
        "conv2d: 5×5 window",
        "average_pooling2d: 2×2 window",
        "conv2d_1: 5×5 window",
        "average_pooling2d_1: 2×2 window",
    ]


def test_names_and_text_are_escaped() -> None:
    name = "<script>alert(\"x\")</script> & \x07 'quoted'"
    spec = {"name": name, "input": [8, 8, 1], "layers": [{"type": "conv2d", "filters": 2, "kernel_size": 3}]}
    for style in ("blocks", "graph"):
        svg = cnncalc.diagram(spec, style=style)  # type: ignore[arg-type]
        root = ET.fromstring(svg)  # well-formed XML despite the name
        assert "<script>" not in svg
        title = root.find(f"{SVG}title")
        assert title is not None and title.text is not None
        assert title.text.startswith("<script>alert(\"x\")</script> & ␇ 'quoted'")
    html = cnncalc.report(spec)
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; ␇" in html


def test_themes_colour_the_background(examples: Path) -> None:
    light = draw(cnncalc.analyze(examples / "lenet5.yaml"), theme="light")
    dark = draw(cnncalc.analyze(examples / "lenet5.yaml"), theme="dark")
    assert ".cnncalc-diagram .background { fill: #ffffff; }" in light
    assert ".cnncalc-diagram .background { fill: #0d1117; }" in dark
    strip = lambda svg: re.sub(r"<style>.*</style>", "", svg, flags=re.DOTALL)  # noqa: E731
    assert strip(light) == strip(dark), "the theme changes colours only"

"""Reading a diagram back from its SVG text alone, with an XML parser: what each node shows, which
layers it stands for, and the rectangle its body covers (from the SVG's own coordinates)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass

SVG = "{http://www.w3.org/2000/svg}"


@dataclass(frozen=True)
class DrawnNode:
    classes: tuple[str, ...]
    layers: tuple[str, ...]
    """The layers the node stands for (its ``data-layers``)."""
    title: str
    """Its tooltip."""
    texts: tuple[str, ...]
    """Its visible label lines."""
    box: tuple[float, float, float, float]
    """``(left, top, right, bottom)`` of its body."""


def _numbers(text: str) -> list[float]:
    return [float(n) for pair in text.split() for n in pair.split(",")]


def _box(element: ET.Element) -> tuple[float, float, float, float]:
    xs: list[float] = []
    ys: list[float] = []
    for shape in element.iter():
        tag = shape.tag.removeprefix(SVG)
        if tag in {"polygon", "polyline"}:
            values = _numbers(shape.attrib["points"])
            xs += values[0::2]
            ys += values[1::2]
        elif tag == "rect":
            x, y = float(shape.attrib["x"]), float(shape.attrib["y"])
            xs += [x, x + float(shape.attrib["width"])]
            ys += [y, y + float(shape.attrib["height"])]
        elif tag == "circle":
            cx, cy, r = (float(shape.attrib[k]) for k in ("cx", "cy", "r"))
            xs += [cx - r, cx + r]
            ys += [cy - r, cy + r]
    return min(xs), min(ys), max(xs), max(ys)


def read_nodes(svg: str) -> list[DrawnNode]:
    """Every node group of a diagram, in drawing order."""
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    nodes = []
    for group in root.iter(f"{SVG}g"):
        classes = tuple(group.attrib.get("class", "").split())
        if not classes or classes[0] != "node":
            continue
        title = group.find(f"{SVG}title")
        assert title is not None and title.text
        layers = tuple(json.loads(group.attrib.get("data-layers", "[]")))
        label = group.find(f"{SVG}g[@class='label']")
        texts = tuple("".join(t.itertext()) for t in label.iter(f"{SVG}text")) if label is not None else ()
        body = group.find(f"{SVG}g[@class='body']")
        assert body is not None
        nodes.append(DrawnNode(classes, layers, title.text, texts, _box(body)))
    return nodes


def overlapping(boxes: list[tuple[float, float, float, float]]) -> list[tuple[int, int]]:
    """The pairs of boxes that share more than an edge."""
    return [
        (i, j)
        for i, a in enumerate(boxes)
        for j, b in enumerate(boxes[:i])
        if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
    ]

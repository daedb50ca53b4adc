"""The SVG writer: a scene as SVG text. It formats coordinates and escapes text; all geometry comes
from the layout."""

from __future__ import annotations

import json
from html import escape
from typing import assert_never

from cnncalc.pictures.scene import Circle, Item, Line, Part, Polygon, Rect, Scene, Text
from cnncalc.pictures.themes import Theme, stylesheet

SCOPE = "cnncalc-diagram"
"""The class of the root ``<svg>``: the stylesheet applies inside it only, also when inlined in HTML."""
ARROW = "cnncalc-arrowhead"

_CONTROL_PICTURES = {code: 0x2400 + code for code in range(0x20)} | {0x7F: 0x2421}


def plain(text: str) -> str:
    """``text`` escaped for XML and HTML, control characters shown as their Unicode pictures
    (XML cannot hold them at all).

    >>> plain('a<b & "c"\\x07')
    'a&lt;b &amp; &quot;c&quot;␇'
    """
    return escape(text.translate(_CONTROL_PICTURES), quote=True)


def _number(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def _points(points: tuple[tuple[float, float], ...]) -> str:
    return " ".join(f"{_number(x)},{_number(y)}" for x, y in points)


def _part(part: Part) -> str:
    match part:
        case Polygon(points, role):
            return f'<polygon class="{role}" points="{_points(points)}"/>'
        case Rect(x, y, width, height, role, radius):
            corner = f' rx="{_number(radius)}"' if radius else ""
            return (
                f'<rect class="{role}" x="{_number(x)}" y="{_number(y)}" '
                f'width="{_number(width)}" height="{_number(height)}"{corner}/>'
            )
        case Circle(cx, cy, r, role):
            return f'<circle class="{role}" cx="{_number(cx)}" cy="{_number(cy)}" r="{_number(r)}"/>'
        case Line(points, role, arrow):
            marker = f' marker-end="url(#{ARROW})"' if arrow else ""
            return f'<polyline class="{role}" points="{_points(points)}"{marker}/>'
        case Text(x, y, text, role, anchor, size, bold):
            weight = ' font-weight="bold"' if bold else ""
            return (
                f'<text class="{role}" x="{_number(x)}" y="{_number(y)}" text-anchor="{anchor}" '
                f'font-size="{_number(size)}"{weight}>{plain(text)}</text>'
            )
        case _ as unreachable:
            assert_never(unreachable)


def _item(item: Item) -> list[str]:
    classes = " ".join((item.kind, *item.classes))
    layers = f' data-layers="{plain(json.dumps(item.layers, ensure_ascii=False))}"' if item.layers else ""
    lines = [f'<g class="{classes}"{layers}>']
    if item.title:
        lines.append(f"<title>{plain(item.title)}</title>")
    if item.body:
        lines.append('<g class="body">' + "".join(_part(part) for part in item.body) + "</g>")
    if item.label:
        lines.append('<g class="label">' + "".join(_part(part) for part in item.label) + "</g>")
    lines.append("</g>")
    return lines


def write_svg(scene: Scene, theme: Theme) -> str:
    """The scene as a standalone SVG document, coloured by ``theme``."""
    width, height = _number(scene.width), _number(scene.height)
    lines = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{SCOPE}" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img">',
        f"<title>{plain(scene.title)}</title>",
        f"<style>\n{stylesheet(theme, SCOPE)}\n</style>",
        "<defs>"
        f'<marker id="{ARROW}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path class="arrowhead" d="M 0 0 L 10 5 L 0 10 z"/></marker>'
        "</defs>",
        f'<rect class="background" x="0" y="0" width="{width}" height="{height}"/>',
    ]
    for item in scene.items:
        lines.extend(_item(item))
    lines.append("</svg>")
    return "\n".join(lines) + "\n"

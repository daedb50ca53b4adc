"""Numbers and shapes as people read them, and the arithmetic of windows with the numbers in."""

from __future__ import annotations

from cnncalc.shapes.records import AxisWindow, Shape
from cnncalc.spec.fields import Pair


def format_int(value: int) -> str:
    """Thousands separators and a real minus sign: ``−1,024``."""
    return f"{value:,}".replace("-", "−")


def format_shape(shape: Shape) -> str:
    """``(28, 28, 6)``, ``(2048,)``: as Keras prints shapes, without thousands separators."""
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def format_dims(pair: Pair) -> str:
    """``5`` for a square window, else ``3×5``."""
    return format_int(pair[0]) if pair[0] == pair[1] else f"{format_int(pair[0])}×{format_int(pair[1])}"


def window_formula(window: AxisWindow) -> str:
    """The output-size arithmetic of one axis, e.g. ``(28 − 5 + 2·0)/1 + 1 = 24``."""
    if window.same:
        pads = window.pad_before + window.pad_after
        split = f" (pad {window.pad_before} + {window.pad_after})" if pads else ""
        return f"⌈{format_int(window.size)}/{window.strides}⌉ = {format_int(window.output)}{split}"
    before, after = window.pad_before, window.pad_after
    pad = f"2·{before}" if before == after else f"{before} + {after}"
    numerator = f"{format_int(window.size)} − {format_int(window.span)} + {pad}"
    value = window.size + before + after - window.span
    division = f"({numerator})/{window.strides}"
    if value % window.strides:
        division = f"⌈{division}⌉" if window.ceil else f"⌊{division}⌋"
    text = f"{division} + 1 = {format_int(window.output)}"
    if window.ceil and window.output != -(-value // window.strides) + 1:
        dropped = "(the last window would start in the padding)"
        text = f"{division} + 1 − 1 = {format_int(window.output)} {dropped}"
    if window.dilation > 1:
        text = f"K = {window.dilation}·({window.kernel} − 1) + 1 = {window.span}; {text}"
    return text


def axes_text(height: str, width: str) -> str:
    """One line when both axes read the same, else both."""
    return f"H, W: {height}" if height == width else f"H: {height}; W: {width}"

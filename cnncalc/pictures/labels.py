"""The words of a diagram: shapes as the article writes them, what each layer does in a few words,
and the tooltip naming every layer a drawn node stands for."""

from __future__ import annotations

from collections.abc import Callable

from cnncalc.pictures.nodes import Node
from cnncalc.shapes.records import LayerRecord
from cnncalc.spec.models import (
    Activation,
    AvgPool2D,
    BatchNorm,
    Conv2D,
    Dense,
    Dropout,
    GlobalAvgPool2D,
    GlobalMaxPool2D,
    LayerBase,
    MaxPool2D,
)


def shape_label(shape: tuple[int, ...] | None) -> str:
    """A shape as the article writes it.

    >>> shape_label((28, 28, 6)), shape_label((120,)), shape_label(None)
    ('28 × 28 × 6', '120', 'no shape')
    """
    return " × ".join(str(n) for n in shape) if shape is not None else "no shape"


def _kernel(layer: Conv2D) -> str:
    (kh, kw), strides = layer.kernel_size, layer.strides
    text = f"{kh}×{kw} conv" + (f"/{strides[0]}" if strides == (strides[0],) * 2 and strides[0] > 1 else "")
    text += f" ×{strides[0]}·{strides[1]}" if strides[0] != strides[1] else ""
    return text + ("" if layer.activation == "linear" else f", {layer.activation}")


def _pool(kind: str) -> Callable[[LayerBase], str]:
    def describe(layer: LayerBase) -> str:
        assert isinstance(layer, MaxPool2D | AvgPool2D)
        (ph, pw), strides = layer.pool_size, layer.effective_strides
        return f"{ph}×{pw} {kind} pool" + ("" if strides == layer.pool_size else f"/{strides[0]}")

    return describe


def _with_activation(what: str) -> Callable[[LayerBase], str]:
    def describe(layer: LayerBase) -> str:
        assert isinstance(layer, Dense | Activation)
        return what if layer.activation == "linear" else f"{what}, {layer.activation}".lstrip(", ")

    return describe


DESCRIPTIONS: dict[type[LayerBase], Callable[[LayerBase], str]] = {
    Conv2D: lambda layer: _kernel(layer) if isinstance(layer, Conv2D) else "",
    MaxPool2D: _pool("max"),
    AvgPool2D: _pool("avg"),
    GlobalAvgPool2D: lambda _: "global avg pool",
    GlobalMaxPool2D: lambda _: "global max pool",
    Dense: _with_activation("dense"),
    Activation: _with_activation(""),
    BatchNorm: lambda _: "BN",
    Dropout: lambda layer: f"dropout {layer.rate:g}" if isinstance(layer, Dropout) else "",
}
"""What a layer does, in a few words, for the small line under a block."""


def describe(record: LayerRecord) -> str:
    """What one layer does, in a few words: ``5×5 conv, tanh``, ``2×2 max pool``, ``BN``."""
    layer = record.layer
    explain = DESCRIPTIONS.get(type(layer))
    return explain(layer) if explain else layer.type


def tooltip(node: Node) -> str:
    """The tooltip: every layer the node stands for, with its output shape."""
    lines = [f"input → {shape_label(node.shape)}"] if node.record is None else []
    lines += [f"{r.name} ({r.layer.keras_class}) → {shape_label(r.output_shape)}" for r in node.records]
    return "\n".join(lines)

"""The words of a diagram: shapes as the article writes them, what each layer does in a few words,
and the tooltip naming every layer a drawn node stands for."""

from __future__ import annotations

from collections.abc import Callable

from cnncalc.pictures.nodes import Node
from cnncalc.shapes.records import LayerRecord
from cnncalc.spec import models as m


def shape_label(shape: tuple[int, ...] | None) -> str:
    """A shape as the article writes it.

    >>> shape_label((28, 28, 6)), shape_label((120,)), shape_label(None)
    ('28 × 28 × 6', '120', 'no shape')
    """
    return " × ".join(str(n) for n in shape) if shape is not None else "no shape"


def _activation(name: str) -> str:
    return "" if name == "linear" else f", {name}"


def _conv(word: str) -> Callable[[m.LayerBase], str]:
    def describe(layer: m.LayerBase) -> str:
        assert isinstance(layer, m.ConvLayer | m.Conv2DTranspose)
        (kh, kw), (sh, sw) = layer.kernel_size, layer.strides
        stride = "" if (sh, sw) == (1, 1) else f", stride {sh}" if sh == sw else f", stride {sh}×{sw}"
        return f"{kh}×{kw} {word}{stride}{_activation(layer.activation)}"

    return describe


def _pool(word: str) -> Callable[[m.LayerBase], str]:
    def describe(layer: m.LayerBase) -> str:
        assert isinstance(layer, m.Pool2D)
        (ph, pw), (sh, sw) = layer.pool_size, layer.effective_strides
        stride = "" if (sh, sw) == (ph, pw) else f", stride {sh}" if sh == sw else f", stride {sh}×{sw}"
        return f"{ph}×{pw} {word} pool{stride}"

    return describe


def _dense(layer: m.LayerBase) -> str:
    assert isinstance(layer, m.Dense)
    return f"dense{_activation(layer.activation)}"


def _activation_layer(layer: m.LayerBase) -> str:
    assert isinstance(layer, m.Activation)
    return layer.activation


def _upsample(layer: m.LayerBase) -> str:
    assert isinstance(layer, m.UpSampling2D)
    return f"{layer.size[0]}×{layer.size[1]} upsample"


def _rate(word: str) -> Callable[[m.LayerBase], str]:
    def describe(layer: m.LayerBase) -> str:
        assert isinstance(layer, m.Dropout | m.SpatialDropout2D)
        return f"{word} {layer.rate:g}"

    return describe


def _noise(layer: m.LayerBase) -> str:
    assert isinstance(layer, m.GaussianNoise)
    return f"noise σ {layer.stddev:g}"


def _words(text: str) -> Callable[[m.LayerBase], str]:
    return lambda _: text


DESCRIPTIONS: dict[type[m.LayerBase], Callable[[m.LayerBase], str]] = {
    m.Conv2D: _conv("conv"),
    m.DepthwiseConv2D: _conv("depthwise conv"),
    m.SeparableConv2D: _conv("separable conv"),
    m.Conv2DTranspose: _conv("transposed conv"),
    m.MaxPool2D: _pool("max"),
    m.AvgPool2D: _pool("avg"),
    m.GlobalAvgPool2D: _words("global avg pool"),
    m.GlobalMaxPool2D: _words("global max pool"),
    m.UpSampling2D: _upsample,
    m.Dense: _dense,
    m.Flatten: _words("flatten"),
    m.Reshape: _words("reshape"),
    m.ZeroPad2D: _words("zero pad"),
    m.Cropping2D: _words("crop"),
    m.Identity: _words("identity"),
    m.Dropout: _rate("dropout"),
    m.SpatialDropout2D: _rate("spatial dropout"),
    m.GaussianNoise: _noise,
    m.BatchNorm: _words("BN"),
    m.LayerNorm: _words("LN"),
    m.Normalization: _words("normalize"),
    m.Rescaling: _words("rescale"),
    m.Activation: _activation_layer,
    m.ReLU: _words("relu"),
    m.LeakyReLU: _words("leaky relu"),
    m.PReLU: _words("prelu"),
    m.Softmax: _words("softmax"),
    m.Add: _words("add"),
    m.Subtract: _words("subtract"),
    m.Multiply: _words("multiply"),
    m.Average: _words("average"),
    m.Maximum: _words("maximum"),
    m.Minimum: _words("minimum"),
    m.Concatenate: _words("concatenate"),
}
"""What a layer does, in a few words, for the small line under a block."""


def describe(record: LayerRecord) -> str:
    """What one layer does, in a few words: ``5×5 conv, tanh``, ``2×2 max pool``, ``BN``.

    >>> from cnncalc import analyze
    >>> spec = {"input": [8, 8, 1], "layers": [{"type": "conv2d", "filters": 2, "kernel": 3, "strides": 2}]}
    >>> describe(analyze(spec).layers[0])
    '3×3 conv, stride 2'
    """
    layer = record.layer
    explain = DESCRIPTIONS.get(type(layer))
    return explain(layer) if explain else layer.type


def local_name(node: Node) -> str:
    """What a node is called on the picture: inside the frame of a block use, its layer's name
    without the use's (``1_conv`` in ``conv2_block1``); else the layer's name (``input`` for the input).
    """
    if node.record is None:
        return node.key
    prefix = f"{node.group}_"
    name = node.record.name
    return name.removeprefix(prefix) if node.group and name.startswith(prefix) and name != prefix else name


def tooltip(node: Node) -> str:
    """The tooltip: every layer the node stands for, with its output shape."""
    lines = [f"input → {shape_label(node.shape)}"] if node.record is None else []
    lines += [f"{r.name} ({r.layer.keras_class}) → {shape_label(r.output_shape)}" for r in node.records]
    return "\n".join(lines)

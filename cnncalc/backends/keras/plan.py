"""Which Keras layers a spec layer becomes, as class names and constructor arguments (no Keras needed).

``build`` instantiates these; ``cnncalc export --to keras`` prints them as code. Arguments are
Keras' own, given only where they differ from Keras' defaults (``data_format`` is always given,
so that a model never depends on the user's ``keras.json``). Explicit padding, and ``same``
padding with a ``padding_mode`` other than zeros, become a padding layer named ``<name>_pad``
before the layer, which then pads ``valid``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cnncalc.errors import CnncalcError
from cnncalc.shapes.formulas import same_padding
from cnncalc.shapes.records import Analysis, Shape
from cnncalc.spec.models import (
    RBF,
    Activation,
    AvgPool2D,
    BatchNorm,
    Conv2D,
    DataFormat,
    Dense,
    Dropout,
    Flatten,
    GlobalAvgPool2D,
    GlobalMaxPool2D,
    LayerBase,
    MaxPool2D,
    PadPair,
    Pair,
    Pool2D,
    Subsample2D,
    ZeroPad2D,
)

PAD_SUFFIX = "_pad"
"""The padding layer of layer ``conv2d`` is called ``conv2d_pad``."""

CUSTOM_PADDING = "Padding2D"
"""The custom layer (``cnncalc.backends.keras.padding``) for replicate and reflect padding."""


@dataclass(frozen=True)
class KerasLayer:
    """One Keras layer to create: ``keras.layers.<class_name>(**arguments)``, name included."""

    class_name: str
    arguments: dict[str, Any]


NOT_IN_KERAS_ACTIVATIONS = frozenset({"lecun_tanh"})
"""Activations of the spec language that Keras has no function for."""


NOT_IN_KERAS_LAYERS: dict[type[LayerBase], str] = {
    Subsample2D: "LeNet-5's trainable subsampling",
    RBF: "LeNet-5's radial basis function output",
}
"""Layer types of the spec language that Keras has no layer for."""


def refusal(layer: LayerBase) -> str | None:
    """Why Keras cannot build ``layer``, by name, for what the spec language has and Keras has not."""
    missing = NOT_IN_KERAS_LAYERS.get(type(layer))
    if missing is not None:
        return f"Keras has no layer for {layer.type} ({missing}): layer {layer.name}"
    if isinstance(layer, Conv2D) and layer.connections is not None:
        return f"Keras has no convolution with a connections table (layer {layer.name})"
    activation = getattr(layer, "activation", "linear")
    if activation in NOT_IN_KERAS_ACTIVATIONS:
        return f"Keras has no activation {activation} (layer {layer.name}); the NumPy backend runs it"
    if isinstance(layer, Pool2D) and layer.ceil_mode:
        return (
            f"Keras has no ceil_mode for {layer.keras_class} (layer {layer.name}): a PyTorch and ONNX option"
        )
    if isinstance(layer, Pool2D) and not layer.count_include_pad:
        return (
            f"Keras has no {layer.keras_class} that ignores explicit padding (count_include_pad: false, "
            f"layer {layer.name}): a PyTorch and ONNX option"
        )
    return None


def keras_layers(layer: LayerBase, data_format: DataFormat, input_shape: Shape) -> list[KerasLayer]:
    """The Keras layers for one spec layer; ``input_shape`` (batch excluded) is only read to split
    ``same`` padding for a padding layer. Raises :class:`CnncalcError` for what Keras has not."""
    reason = refusal(layer)
    if reason is not None:
        raise CnncalcError(reason)
    main = KerasLayer(layer.keras_class, _ARGUMENTS[type(layer)](layer, data_format) | {"name": layer.name})
    if isinstance(layer, Conv2D | Pool2D) and layer.padding != "valid" and _keras_padding(layer) == "valid":
        return [_padding_layer(layer, data_format, input_shape), main]
    return [main]


def _keras_padding(layer: Conv2D | Pool2D) -> str:
    """The layer's own Keras ``padding``: ``same`` where Keras pads itself, else ``valid``.

    A ``same`` pool ignores its padded cells, so their ``padding_mode`` makes no difference; a ``same``
    convolution reads them, so only zeros can be left to Keras.
    """
    if layer.padding != "same":
        return "valid"
    return "same" if isinstance(layer, Pool2D) or layer.padding_mode == "zeros" else "valid"


def _padding_layer(layer: Conv2D | Pool2D, data_format: DataFormat, input_shape: Shape) -> KerasLayer:
    """The layer that pads before ``layer``: ZeroPadding2D, or the custom one for other modes."""
    name = f"{layer.name}{PAD_SUFFIX}"
    padding, mode = layer.padding, layer.padding_mode
    if isinstance(padding, str):  # "same" with replicate or reflect: Keras' split, padded in that mode
        split = _same_split(layer, data_format, input_shape)
        arguments: dict[str, Any] = {"padding": split, "mode": mode, "data_format": data_format, "same": True}
        return KerasLayer(CUSTOM_PADDING, arguments | {"name": name})
    if mode == "zeros":
        arguments = {"padding": _padding_argument(padding), "data_format": data_format}
        return KerasLayer("ZeroPadding2D", arguments | {"name": name})
    arguments = {"padding": padding, "mode": mode, "data_format": data_format}
    return KerasLayer(CUSTOM_PADDING, arguments | {"name": name})


def _same_split(layer: Conv2D | Pool2D, data_format: DataFormat, input_shape: Shape) -> PadPair:
    """Keras' ``same`` split of the padding for this input (the extra cell bottom/right)."""
    if isinstance(layer, Conv2D):
        kernel, strides, dilation = layer.kernel_size, layer.strides, layer.dilation_rate
    else:
        kernel, strides, dilation = layer.pool_size, layer.effective_strides, (1, 1)
    if len(input_shape) != 3:  # not a feature map: Keras rejects the padding layer
        return ((0, 0), (0, 0))
    sizes = input_shape[1:3] if data_format == "channels_first" else input_shape[0:2]
    rows, cols = (same_padding(sizes[a], kernel[a], strides[a], dilation[a]) for a in range(2))
    return rows, cols


def _size(pair: Pair) -> int | Pair:
    """``5`` for ``(5, 5)``, as one would write it."""
    return pair[0] if pair[0] == pair[1] else pair


def _padding_argument(padding: PadPair) -> int | Pair | PadPair:
    """ZeroPadding2D's shortest form: ``p``, ``(ph, pw)`` or ``((top, bottom), (left, right))``."""
    (top, bottom), (left, right) = padding
    if top == bottom and left == right:
        return _size((top, left))
    return padding


def _with(arguments: dict[str, Any], **optional: tuple[Any, Any]) -> dict[str, Any]:
    """``arguments`` plus each optional ``name=(value, keras_default)`` whose value is not the default."""
    return arguments | {key: value for key, (value, default) in optional.items() if value != default}


def _conv2d(layer: Conv2D, data_format: DataFormat) -> dict[str, Any]:
    return _with(
        {"filters": layer.filters, "kernel_size": _size(layer.kernel_size)},
        strides=(_size(layer.strides), 1),
        padding=(_keras_padding(layer), "valid"),
        dilation_rate=(_size(layer.dilation_rate), 1),
        groups=(layer.groups, 1),
        activation=(layer.activation, "linear"),
        use_bias=(layer.use_bias, True),
    ) | {"data_format": data_format}


def _pool2d(layer: Pool2D, data_format: DataFormat) -> dict[str, Any]:
    strides = None if layer.strides is None else _size(layer.strides)
    return _with(
        {"pool_size": _size(layer.pool_size)},
        strides=(strides, None),
        padding=(_keras_padding(layer), "valid"),
    ) | {"data_format": data_format}


def _dense(layer: Dense, data_format: DataFormat) -> dict[str, Any]:
    return _with(
        {"units": layer.units}, activation=(layer.activation, "linear"), use_bias=(layer.use_bias, True)
    )


def _dropout(layer: Dropout, data_format: DataFormat) -> dict[str, Any]:
    return {"rate": layer.rate}


def _activation(layer: Activation, data_format: DataFormat) -> dict[str, Any]:
    return {"activation": layer.activation}


def _batchnorm(layer: BatchNorm, data_format: DataFormat) -> dict[str, Any]:
    # The channel axis: 1 for channels_first feature maps, which is also the last axis of a flat input.
    return _with(
        {"axis": 1 if data_format == "channels_first" else -1},
        momentum=(layer.momentum, 0.99),
        epsilon=(layer.epsilon, 1e-3),
    )


def _data_format_only(layer: LayerBase, data_format: DataFormat) -> dict[str, Any]:
    return {"data_format": data_format}


def _zeropad2d(layer: ZeroPad2D, data_format: DataFormat) -> dict[str, Any]:
    return {"padding": _padding_argument(layer.padding), "data_format": data_format}


_ARGUMENTS: dict[type[LayerBase], Callable[[Any, DataFormat], dict[str, Any]]] = {
    Conv2D: _conv2d,
    MaxPool2D: _pool2d,
    AvgPool2D: _pool2d,
    Dense: _dense,
    Flatten: _data_format_only,
    Dropout: _dropout,
    Activation: _activation,
    BatchNorm: _batchnorm,
    GlobalAvgPool2D: _data_format_only,
    GlobalMaxPool2D: _data_format_only,
    ZeroPad2D: _zeropad2d,
}
"""Keras constructor arguments by spec class (:func:`keras_layers` adds the name)."""


# --- training ------------------------------------------------------------------------------


def logits_output(analysis: Analysis) -> bool:
    """Whether the loss must read the network's outputs as logits: unless the last activation in the
    network is a softmax, as Keras' trainer and the NumPy backend both decide.

    Raises :class:`CnncalcError` when the network cannot be trained as a classifier.
    """
    name = analysis.name
    if not analysis.ok:
        raise CnncalcError(f"cannot train {name}: {analysis.errors[0].message}")
    if analysis.output_shape is None or len(analysis.output_shape) != 1:
        raise CnncalcError(
            f"cannot train {name} as a classifier: its output {analysis.output_shape} is not a vector of "
            "class scores (end with flatten or a global pool, then dense)"
        )
    last = next((layer for layer in reversed(analysis.spec.layers) if hasattr(layer, "activation")), None)
    return getattr(last, "activation", "linear") != "softmax"

"""Which Keras layers a spec layer becomes, as class names and constructor arguments (no Keras needed).

``build`` instantiates these; ``cnncalc export --to keras`` prints them as code. Arguments are
Keras' own, given only where they differ from Keras' defaults (``data_format`` is always given,
so that a model never depends on the user's ``keras.json``). Explicit padding, and ``same``
padding with a ``padding_mode`` other than zeros, become a padding layer named ``<name>.pad``
before the layer, which then pads ``valid``. (The dot keeps these apart from the padding layers people
and Keras Applications write, ``<name>_pad``: importing folds back only the bridge's own.)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cnncalc.errors import CnncalcError
from cnncalc.shapes.formulas import same_padding
from cnncalc.shapes.records import Analysis, LayerRecord, Shape
from cnncalc.spec.models import (
    RBF,
    Activation,
    BatchNorm,
    Concatenate,
    Conv2D,
    Conv2DTranspose,
    ConvLayer,
    Cropping2D,
    DataFormat,
    Dense,
    DepthwiseConv2D,
    Dropout,
    Flatten,
    GaussianNoise,
    GlobalPool2D,
    Identity,
    LayerBase,
    LayerNorm,
    LayerScale,
    LeakyReLU,
    Merge,
    Normalization,
    PadPair,
    Pair,
    Pool2D,
    PReLU,
    ReLU,
    Rescaling,
    Reshape,
    SeparableConv2D,
    Softmax,
    SpatialDropout2D,
    Subsample2D,
    UpSampling2D,
    WindowedLayer,
    ZeroPad2D,
)

PAD_SUFFIX = ".pad"
"""The padding layer of layer ``conv2d`` is called ``conv2d.pad``."""

CUSTOM_PADDING = "Padding2D"
"""The custom layer (``cnncalc.backends.keras.layers``) for replicate and reflect padding."""

CUSTOM_LAYERS = (CUSTOM_PADDING, "LayerScale")
"""The bridge's own Keras layers (:mod:`cnncalc.backends.keras.layers`); the rest are ``keras.layers``."""


@dataclass(frozen=True)
class KerasLayer:
    """One Keras layer to create: ``keras.layers.<class_name>(**arguments)``, name included.

    ``arguments`` leaves out the optional ones whose value is Keras' default; ``defaults`` has those
    defaults, so that code written for several layers at once knows the value of one left out.
    """

    class_name: str
    arguments: dict[str, Any]
    defaults: dict[str, Any] = field(default_factory=dict)
    order: tuple[str, ...] = ()
    """Every argument's name (given or not), in the order Keras' signature has them."""


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
    """The Keras layers for one spec layer reading an input of ``input_shape`` (batch excluded;
    the first input's for a merge), which decides the axis of ``batchnorm`` and ``concatenate`` and
    the split of ``same`` padding in a padding layer. Raises :class:`CnncalcError` for what Keras has
    not."""
    reason = refusal(layer)
    if reason is not None:
        raise CnncalcError(reason)
    arguments = _ARGUMENTS[type(layer)](layer, data_format, input_shape)
    main = KerasLayer(
        layer.keras_class,
        {
            key: value
            for key, (value, default) in arguments.items()
            if value != default or default is _REQUIRED
        }
        | {"name": layer.name},
        {key: default for key, (value, default) in arguments.items() if default is not _REQUIRED},
        (*arguments, "name"),
    )
    if isinstance(layer, WindowedLayer) and layer.padding != "valid" and _keras_padding(layer) == "valid":
        return [_padding_layer(layer, data_format, input_shape), main]
    return [main]


_REQUIRED: Any = object()
"""The "default" of an argument Keras needs: always given."""

Arguments = dict[str, tuple[Any, Any]]
"""Keras constructor arguments: ``name → (value, Keras' default)``."""


def _keras_padding(layer: WindowedLayer) -> str:
    """The layer's own Keras ``padding``: ``same`` where Keras pads itself, else ``valid``.

    A ``same`` pool ignores its padded cells, so their ``padding_mode`` makes no difference; a ``same``
    convolution reads them, so only zeros can be left to Keras.
    """
    if layer.padding != "same":
        return "valid"
    return "same" if isinstance(layer, Pool2D) or layer.padding_mode == "zeros" else "valid"


def _padding_layer(layer: WindowedLayer, data_format: DataFormat, input_shape: Shape) -> KerasLayer:
    """The layer that pads before ``layer``: ZeroPadding2D, or the custom one for other modes."""
    padding_layer = _padding_layer_arguments(layer, data_format, input_shape)
    return KerasLayer(padding_layer.class_name, padding_layer.arguments, order=tuple(padding_layer.arguments))


def _padding_layer_arguments(layer: WindowedLayer, data_format: DataFormat, input_shape: Shape) -> KerasLayer:
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


def _same_split(layer: WindowedLayer, data_format: DataFormat, input_shape: Shape) -> PadPair:
    """Keras' ``same`` split of the padding for this input (the extra cell bottom/right)."""
    if isinstance(layer, ConvLayer):
        kernel, strides, dilation = layer.kernel_size, layer.strides, layer.dilation_rate
    else:
        assert isinstance(layer, Pool2D)
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
    """ZeroPadding2D's and Cropping2D's shortest form: ``p``, ``(ph, pw)`` or
    ``((top, bottom), (left, right))``."""
    (top, bottom), (left, right) = padding
    if top == bottom and left == right:
        return _size((top, left))
    return padding


def _channel_axis(shape: Shape, data_format: DataFormat) -> int:
    """The channel axis in Keras' count (batch axis 0): 1 for a channels_first feature map, else -1."""
    return 1 if data_format == "channels_first" and len(shape) == 3 else -1


def _one(values: tuple[Any, ...]) -> Any:
    """One value as itself, several as a list (an axis or axes; a scale or one per channel)."""
    return values[0] if len(values) == 1 else list(values)


def _data_format(data_format: DataFormat) -> Arguments:
    return {"data_format": (data_format, _REQUIRED)}


def _window(layer: ConvLayer) -> Arguments:
    """What every convolution shares: kernel, strides, padding, dilation, activation, bias."""
    return {
        "kernel_size": (_size(layer.kernel_size), _REQUIRED),
        "strides": (_size(layer.strides), 1),
        "padding": (_keras_padding(layer), "valid"),
        "dilation_rate": (_size(layer.dilation_rate), 1),
        "activation": (layer.activation, "linear"),
        "use_bias": (layer.use_bias, True),
    }


def _conv2d(layer: Conv2D, data_format: DataFormat, shape: Shape) -> Arguments:
    return (
        {"filters": (layer.filters, _REQUIRED)}
        | _window(layer)
        | {"groups": (layer.groups, 1)}
        | _data_format(data_format)
    )


def _depthwise_conv2d(layer: DepthwiseConv2D, data_format: DataFormat, shape: Shape) -> Arguments:
    return _window(layer) | {"depth_multiplier": (layer.depth_multiplier, 1)} | _data_format(data_format)


def _separable_conv2d(layer: SeparableConv2D, data_format: DataFormat, shape: Shape) -> Arguments:
    return (
        {"filters": (layer.filters, _REQUIRED)}
        | _window(layer)
        | {"depth_multiplier": (layer.depth_multiplier, 1)}
        | _data_format(data_format)
    )


def _conv2d_transpose(layer: Conv2DTranspose, data_format: DataFormat, shape: Shape) -> Arguments:
    return {
        "filters": (layer.filters, _REQUIRED),
        "kernel_size": (_size(layer.kernel_size), _REQUIRED),
        "strides": (_size(layer.strides), 1),
        "padding": (layer.padding, "valid"),
        "output_padding": (None if layer.output_padding is None else _size(layer.output_padding), None),
        "dilation_rate": (_size(layer.dilation_rate), 1),
        "activation": (layer.activation, "linear"),
        "use_bias": (layer.use_bias, True),
    } | _data_format(data_format)


def _pool2d(layer: Pool2D, data_format: DataFormat, shape: Shape) -> Arguments:
    strides = None if layer.strides is None else _size(layer.strides)
    return {
        "pool_size": (_size(layer.pool_size), _REQUIRED),
        "strides": (strides, None),
        "padding": (_keras_padding(layer), "valid"),
    } | _data_format(data_format)


def _global_pool(layer: GlobalPool2D, data_format: DataFormat, shape: Shape) -> Arguments:
    return _data_format(data_format) | {"keepdims": (layer.keepdims, False)}


def _dense(layer: Dense, data_format: DataFormat, shape: Shape) -> Arguments:
    return {
        "units": (layer.units, _REQUIRED),
        "activation": (layer.activation, "linear"),
        "use_bias": (layer.use_bias, True),
    }


def _reshape(layer: Reshape, data_format: DataFormat, shape: Shape) -> Arguments:
    return {"target_shape": (layer.target_shape, _REQUIRED)}


def _zeropad2d(layer: ZeroPad2D, data_format: DataFormat, shape: Shape) -> Arguments:
    return {"padding": (_padding_argument(layer.padding), _REQUIRED)} | _data_format(data_format)


def _cropping2d(layer: Cropping2D, data_format: DataFormat, shape: Shape) -> Arguments:
    return {"cropping": (_padding_argument(layer.cropping), 0)} | _data_format(data_format)


def _upsampling2d(layer: UpSampling2D, data_format: DataFormat, shape: Shape) -> Arguments:
    return (
        {"size": (_size(layer.size), 2)}
        | _data_format(data_format)
        | {"interpolation": (layer.interpolation, "nearest")}
    )


def _nothing(layer: LayerBase, data_format: DataFormat, shape: Shape) -> Arguments:
    return {}


def _data_format_only(layer: LayerBase, data_format: DataFormat, shape: Shape) -> Arguments:
    return _data_format(data_format)


def _dropout(layer: Dropout, data_format: DataFormat, shape: Shape) -> Arguments:
    noise_shape = None if layer.noise_shape is None else (None, *layer.noise_shape)  # Keras': batch axis too
    return {"rate": (layer.rate, _REQUIRED), "noise_shape": (noise_shape, None)}


def _spatial_dropout(layer: SpatialDropout2D, data_format: DataFormat, shape: Shape) -> Arguments:
    return {"rate": (layer.rate, _REQUIRED)} | _data_format(data_format)


def _gaussian_noise(layer: GaussianNoise, data_format: DataFormat, shape: Shape) -> Arguments:
    return {"stddev": (layer.stddev, _REQUIRED)}


def _batchnorm(layer: BatchNorm, data_format: DataFormat, shape: Shape) -> Arguments:
    return {
        "axis": (_channel_axis(shape, data_format), -1),
        "momentum": (layer.momentum, 0.99),
        "epsilon": (layer.epsilon, 1e-3),
        "center": (layer.center, True),
        "scale": (layer.scale, True),
    }


def _layernorm(layer: LayerNorm, data_format: DataFormat, shape: Shape) -> Arguments:
    return {
        "axis": (_one(layer.axis), -1),
        "epsilon": (layer.epsilon, 1e-3),
        "center": (layer.center, True),
        "scale": (layer.scale, True),
        "rms_scaling": (layer.rms_scaling, False),
    }


def _normalization(layer: Normalization, data_format: DataFormat, shape: Shape) -> Arguments:
    axis = None if layer.axis is None else _one(layer.axis)
    mean, variance = layer.mean, layer.variance
    if mean is not None and variance is not None and len(mean) != len(variance):  # Keras wants one shape
        count = max(len(mean), len(variance))
        mean, variance = (values * count if len(values) == 1 else values for values in (mean, variance))
    mean = None if mean is None else _one(mean)
    variance = None if variance is None else _one(variance)
    return {
        "axis": (axis, -1),
        "mean": (mean, None),
        "variance": (variance, None),
        "invert": (layer.invert, False),
    }


def _rescaling(layer: Rescaling, data_format: DataFormat, shape: Shape) -> Arguments:
    return {"scale": (_one(layer.scale), _REQUIRED), "offset": (_one(layer.offset), 0.0)}


def _layer_scale(layer: LayerScale, data_format: DataFormat, shape: Shape) -> Arguments:
    return {"init_values": (layer.init_values, _REQUIRED), "projection_dim": (shape[-1], _REQUIRED)}


def _activation(layer: Activation, data_format: DataFormat, shape: Shape) -> Arguments:
    return {"activation": (layer.activation, _REQUIRED)}


def _relu(layer: ReLU, data_format: DataFormat, shape: Shape) -> Arguments:
    return {
        "max_value": (layer.max_value, None),
        "negative_slope": (layer.negative_slope, 0.0),
        "threshold": (layer.threshold, 0.0),
    }


def _leaky_relu(layer: LeakyReLU, data_format: DataFormat, shape: Shape) -> Arguments:
    return {"negative_slope": (layer.negative_slope, 0.3)}


def _prelu(layer: PReLU, data_format: DataFormat, shape: Shape) -> Arguments:
    return {"shared_axes": (None if layer.shared_axes is None else list(layer.shared_axes), None)}


def _softmax(layer: Softmax, data_format: DataFormat, shape: Shape) -> Arguments:
    return {"axis": (_one(layer.axis), -1)}


def _concatenate(layer: Concatenate, data_format: DataFormat, shape: Shape) -> Arguments:
    axis = _channel_axis(shape, data_format) if layer.axis is None else layer.axis
    return {"axis": (axis, -1)}


_ARGUMENTS: dict[type[LayerBase], Callable[[Any, DataFormat, Shape], Arguments]] = {
    Conv2D: _conv2d,
    DepthwiseConv2D: _depthwise_conv2d,
    SeparableConv2D: _separable_conv2d,
    Conv2DTranspose: _conv2d_transpose,
    **dict.fromkeys(Pool2D.__subclasses__(), _pool2d),
    **dict.fromkeys(GlobalPool2D.__subclasses__(), _global_pool),
    Dense: _dense,
    Flatten: _data_format_only,
    Reshape: _reshape,
    ZeroPad2D: _zeropad2d,
    Cropping2D: _cropping2d,
    UpSampling2D: _upsampling2d,
    Dropout: _dropout,
    SpatialDropout2D: _spatial_dropout,
    GaussianNoise: _gaussian_noise,
    BatchNorm: _batchnorm,
    LayerNorm: _layernorm,
    Normalization: _normalization,
    Rescaling: _rescaling,
    LayerScale: _layer_scale,
    Activation: _activation,
    ReLU: _relu,
    LeakyReLU: _leaky_relu,
    PReLU: _prelu,
    Softmax: _softmax,
    Identity: _nothing,
    **dict.fromkeys(Merge.__subclasses__(), _nothing),
    Concatenate: _concatenate,
}
"""Keras constructor arguments by spec class (:func:`keras_layers` adds the name)."""


# --- training ------------------------------------------------------------------------------


def logits_output(analysis: Analysis) -> bool:
    """Whether the loss must read the network's output as logits: unless the output comes out of a
    softmax (an activation, or a softmax layer, with only layers that change no value after it), as
    Keras' trainer and the NumPy backend both decide.

    Raises :class:`CnncalcError` when the network cannot be trained as a classifier.
    """
    name = analysis.name
    if not analysis.ok:
        raise CnncalcError(f"cannot train {name}: {analysis.errors[0].message}")
    if len(analysis.outputs) > 1:
        raise CnncalcError(f"cannot train {name} as a classifier: it has {len(analysis.outputs)} outputs")
    if analysis.output_shape is None or len(analysis.output_shape) != 1:
        raise CnncalcError(
            f"cannot train {name} as a classifier: its output {analysis.output_shape} is not a vector of "
            "class scores (end with flatten or a global pool, then dense)"
        )
    record: LayerRecord | None = analysis.layer(analysis.outputs[0])
    while record is not None:  # back from the output to the layer that last changed the values
        layer = record.layer
        if isinstance(layer, Softmax):
            return False
        activation = getattr(layer, "activation", None)
        if activation not in (None, "linear"):
            return bool(activation != "softmax")
        if not isinstance(layer, PASSES_VALUES) and not (
            isinstance(layer, Activation) and activation == "linear"
        ):
            return True
        record = analysis.inputs_of(record)[0]
    return True


PASSES_VALUES = (Dropout, SpatialDropout2D, GaussianNoise, Flatten, Reshape, Identity)
"""Layers that leave a softmax's output a probability distribution (dropout and noise are off at test
time, reshaping moves values only)."""

"""The PyTorch modules a spec layer becomes, as the FLOP-counting tools see them.

fvcore, ptflops, thop, torchinfo and calflops all count PyTorch models, module by module (or
operator by operator), so each tool's convention is a rule per PyTorch module
(:mod:`cnncalc.cost.conventions`). This module says, once, which modules each spec layer is in
PyTorch, written as torchvision writes its models: a convolution's or dense layer's ``activation``
is a separate module after it (``nn.ReLU``), a separable convolution is a depthwise and a pointwise
``nn.Conv2d``, global pooling is ``nn.AdaptiveAvgPool2d(1)``, and merges are Python operators
(``out += identity``), which none of the tools counts. Layers PyTorch has no module for
(``rescaling``, ``normalization``, activations such as ``mish`` without a counted module) become no
module, as the tools count what they have no rule for: nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from math import prod
from typing import Any

from cnncalc.shapes.inference import keras_axes
from cnncalc.shapes.records import Cost, LayerRecord, Shape
from cnncalc.spec.models import (
    Activation,
    AdaptiveAvgPool2D,
    AdaptiveMaxPool2D,
    AvgPool2D,
    BatchNorm,
    Conv2D,
    Conv2DTranspose,
    Dense,
    DepthwiseConv2D,
    Dropout,
    GlobalAvgPool2D,
    GlobalMaxPool2D,
    LayerBase,
    LayerNorm,
    LeakyReLU,
    MaxPool2D,
    PReLU,
    ReLU,
    SeparableConv2D,
    Softmax,
    SpatialDropout2D,
    UpSampling2D,
    ZeroPad2D,
)

ACTIVATION_MODULES: dict[str, str] = {
    "relu": "ReLU",
    "relu6": "ReLU6",
    "leaky_relu": "LeakyReLU",
    "elu": "ELU",
    "selu": "SELU",
    "celu": "CELU",
    "gelu": "GELU",
    "silu": "SiLU",
    "swish": "SiLU",
    "mish": "Mish",
    "tanh": "Tanh",
    "sigmoid": "Sigmoid",
    "hard_sigmoid": "Hardsigmoid",
    "hard_silu": "Hardswish",
    "hard_swish": "Hardswish",
    "hard_tanh": "Hardtanh",
    "log_sigmoid": "LogSigmoid",
    "softmax": "Softmax",
    "log_softmax": "LogSoftmax",
    "softplus": "Softplus",
    "softsign": "Softsign",
    "tanh_shrink": "Tanhshrink",
    "soft_shrink": "Softshrink",
    "hard_shrink": "Hardshrink",
}
"""The ``torch.nn`` module of each activation that has one."""


@dataclass(frozen=True)
class TorchModule:
    """One PyTorch module as a FLOP counter sees it (one sample: batch 1)."""

    name: str
    """The ``torch.nn`` class: ``Conv2d``, ``ReLU``, ``AdaptiveAvgPool2d``, ..."""
    inputs: int
    """Values of its input."""
    outputs: int
    """Values of its output."""
    macs: int = 0
    """Multiply-accumulates of its weights (convolutions, ``Linear``)."""
    bias: int = 0
    """Bias additions."""
    params: int = 0
    """Its ``nn.Parameter`` values (batch norm's running statistics are buffers, not parameters)."""
    positions: int = 1
    """Output positions (height × width) of a convolution."""
    taps: int = 0
    """A convolution's ``C_in/groups · K_h · K_w``."""
    window: int = 0
    """Cells a pooling window (or an adaptive pool's whole map) reads."""
    features: int = 0
    """``Softmax``: the size of the axis it normalises."""
    affine: bool = False
    """Norms: whether it has ``γ`` and ``β``."""
    mode: str = ""
    """``Upsample``: the interpolation."""


def torch_modules(record: LayerRecord) -> tuple[TorchModule, ...]:
    """The modules ``record``'s layer is in PyTorch, in order (none before analysis reached it)."""
    if record.cost is None or record.input_shape is None or record.output_shape is None:
        return ()
    seen = _Seen(
        record,
        prod(record.input_shape),
        prod(record.output_shape),
        record.output_shape,
        {w.name: w.size for w in record.weights or ()},
        record.cost,
    )
    twin = TWINS.get(type(record.layer))
    modules = twin(record.layer, seen) if twin is not None else []
    activation = getattr(record.layer, "activation", "linear")
    if not isinstance(record.layer, Activation) and activation != "linear":
        modules += _activation(activation, record.output_shape)
    return tuple(modules)


@dataclass(frozen=True)
class _Seen:
    """What the twins read of a record that analysis reached."""

    record: LayerRecord
    inputs: int
    outputs: int
    output_shape: Shape
    weights: dict[str, int]
    cost: Cost

    @property
    def positions(self) -> int:
        """Output positions of a windowed layer: height × width."""
        windows = self.record.windows
        assert windows is not None
        return windows[0].output * windows[1].output

    @property
    def trainable(self) -> int:
        return self.record.trainable_params or 0


def _activation(name: str, shape: Shape) -> list[TorchModule]:
    module = ACTIVATION_MODULES.get(name)
    if module is None:
        return []
    values = prod(shape)
    return [TorchModule(module, values, values, features=shape[-1] if module == "Softmax" else 0)]


def _conv(layer: Conv2D | DepthwiseConv2D, seen: _Seen) -> list[TorchModule]:
    """One ``nn.Conv2d``; ``taps`` are ``C_in/groups · K_h · K_w``: the kernel over the output channels.
    A convolution with a ``connections`` table has no PyTorch module."""
    if isinstance(layer, Conv2D) and layer.connections is not None:
        return []
    kernel = seen.weights["kernel"]
    channels = seen.outputs // seen.positions
    return [
        TorchModule(
            "Conv2d",
            seen.inputs,
            seen.outputs,
            seen.cost.macs,
            seen.cost.bias,
            kernel + seen.weights.get("bias", 0),
            seen.positions,
            kernel // channels,
        )
    ]


def _separable(layer: SeparableConv2D, seen: _Seen) -> list[TorchModule]:
    """A depthwise ``nn.Conv2d`` without bias, then a pointwise one."""
    positions, cells = seen.positions, layer.kernel_size[0] * layer.kernel_size[1]
    depthwise, pointwise = seen.weights["depthwise_kernel"], seen.weights["pointwise_kernel"]
    bias = seen.weights.get("bias", 0)
    middle_channels = depthwise // cells
    middle = middle_channels * positions
    return [
        TorchModule("Conv2d", seen.inputs, middle, depthwise * positions, 0, depthwise, positions, cells),
        TorchModule(
            "Conv2d",
            middle,
            seen.outputs,
            pointwise * positions,
            bias * positions,
            pointwise + bias,
            positions,
            middle_channels,
        ),
    ]


def _transposed(layer: Conv2DTranspose, seen: _Seen) -> list[TorchModule]:
    """``taps``: ``C_in · K_h · K_w``; ``positions``: the output's (what torchinfo multiplies by)."""
    kernel = seen.weights["kernel"]
    return [
        TorchModule(
            "ConvTranspose2d",
            seen.inputs,
            seen.outputs,
            seen.cost.macs,
            seen.cost.bias,
            kernel + seen.weights.get("bias", 0),
            seen.outputs // layer.filters,
            kernel // layer.filters,
        )
    ]


def _dense(layer: Dense, seen: _Seen) -> list[TorchModule]:
    params = seen.weights["kernel"] + seen.weights.get("bias", 0)
    return [TorchModule("Linear", seen.inputs, seen.outputs, seen.cost.macs, seen.cost.bias, params)]


def _batchnorm(layer: BatchNorm, seen: _Seen) -> list[TorchModule]:
    affine = layer.center or layer.scale
    return [TorchModule("BatchNorm2d", seen.inputs, seen.outputs, params=seen.trainable, affine=affine)]


def _layernorm(layer: LayerNorm, seen: _Seen) -> list[TorchModule]:
    affine = layer.center or layer.scale or layer.rms_scaling
    return [TorchModule("LayerNorm", seen.inputs, seen.outputs, params=seen.trainable, affine=affine)]


def _function(layer: Activation, seen: _Seen) -> list[TorchModule]:
    return _activation(layer.activation, seen.output_shape)


def _relu(layer: ReLU, seen: _Seen) -> list[TorchModule]:
    """``max_value: 6`` is ``nn.ReLU6``, a slope below zero ``nn.LeakyReLU``; other ceilings and a
    threshold have no counted module."""
    if layer.threshold != 0 or layer.max_value not in (None, 6.0):
        return []
    if layer.negative_slope:
        return _activation("leaky_relu", seen.output_shape) if layer.max_value is None else []
    return _activation("relu6" if layer.max_value == 6.0 else "relu", seen.output_shape)


def _leaky_relu(layer: LeakyReLU, seen: _Seen) -> list[TorchModule]:
    return _activation("leaky_relu", seen.output_shape)


def _prelu(layer: PReLU, seen: _Seen) -> list[TorchModule]:
    return [TorchModule("PReLU", seen.inputs, seen.outputs, params=seen.trainable)]


def _softmax(layer: Softmax, seen: _Seen) -> list[TorchModule]:
    shape = seen.output_shape
    features = prod(shape[axis] for axis in keras_axes(layer, layer.axis, shape))
    return [TorchModule("Softmax", seen.inputs, seen.outputs, features=features)]


def _pool(name: str) -> Callable[[MaxPool2D | AvgPool2D, _Seen], list[TorchModule]]:
    def twin(layer: MaxPool2D | AvgPool2D, seen: _Seen) -> list[TorchModule]:
        window = layer.pool_size[0] * layer.pool_size[1]
        return [TorchModule(name, seen.inputs, seen.outputs, window=window)]

    return twin


def _global_pool(name: str) -> Callable[[LayerBase, _Seen], list[TorchModule]]:
    """``nn.AdaptiveAvgPool2d`` (or max): to one cell, the window is the whole map; to more, the
    tools count the ratio of the sizes."""

    def twin(layer: LayerBase, seen: _Seen) -> list[TorchModule]:
        return [TorchModule(name, seen.inputs, seen.outputs, window=seen.inputs // seen.outputs)]

    return twin


def _upsampling(layer: UpSampling2D, seen: _Seen) -> list[TorchModule]:
    return [TorchModule("Upsample", seen.inputs, seen.outputs, mode=layer.interpolation)]


def _named(name: str) -> Callable[[LayerBase, _Seen], list[TorchModule]]:
    """A module no tool counts anything for (padding, dropout), kept so that the list is complete."""

    def twin(layer: LayerBase, seen: _Seen) -> list[TorchModule]:
        return [TorchModule(name, seen.inputs, seen.outputs)]

    return twin


TWINS: dict[type[LayerBase], Callable[[Any, _Seen], list[TorchModule]]] = {
    Conv2D: _conv,
    DepthwiseConv2D: _conv,
    SeparableConv2D: _separable,
    Conv2DTranspose: _transposed,
    Dense: _dense,
    BatchNorm: _batchnorm,
    LayerNorm: _layernorm,
    Activation: _function,
    ReLU: _relu,
    LeakyReLU: _leaky_relu,
    PReLU: _prelu,
    Softmax: _softmax,
    MaxPool2D: _pool("MaxPool2d"),
    AvgPool2D: _pool("AvgPool2d"),
    GlobalAvgPool2D: _global_pool("AdaptiveAvgPool2d"),
    GlobalMaxPool2D: _global_pool("AdaptiveMaxPool2d"),
    AdaptiveAvgPool2D: _global_pool("AdaptiveAvgPool2d"),
    AdaptiveMaxPool2D: _global_pool("AdaptiveMaxPool2d"),
    UpSampling2D: _upsampling,
    ZeroPad2D: _named("ZeroPad2d"),
    Dropout: _named("Dropout"),
    SpatialDropout2D: _named("Dropout2d"),
}
"""The modules of each spec class that has any; the others (flatten, reshape, cropping, merges,
rescaling, Keras' ``normalization``, ...) are tensor operations or have no PyTorch module."""

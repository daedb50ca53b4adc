"""Layers of the NumPy backend: one thin class per spec type around the kernels, one module per
family (as :mod:`cnncalc.backends.numpy.kernels`), and :func:`build_layers`, which builds the
layers of one spec layer or refuses, by name, what the backend cannot run.

A convolution or dense layer's activation is a separate :class:`ActivationLayer` that works in
place on the layer's own output, which is what lets the model fuse a softmax head with the
cross-entropy loss.
"""

from __future__ import annotations

from dataclasses import replace

from cnncalc.backends.numpy.kernels.activations import ACTIVATIONS
from cnncalc.backends.numpy.layers.base import BaseLayer, Layer, LayerContext, MergeLayer, RandomLayer
from cnncalc.backends.numpy.layers.conv import (
    Conv2DLayer,
    Conv2DTransposeLayer,
    DepthwiseConv2DLayer,
    SeparableConv2DLayer,
)
from cnncalc.backends.numpy.layers.merge import ConcatenateLayer, ElementwiseMergeLayer
from cnncalc.backends.numpy.layers.noise import DropoutLayer, GaussianNoiseLayer, SpatialDropout2DLayer
from cnncalc.backends.numpy.layers.normalization import BatchNormLayer, LayerNormLayer, NormalizationLayer
from cnncalc.backends.numpy.layers.pointwise import (
    ActivationLayer,
    DenseLayer,
    IdentityLayer,
    LayerScaleLayer,
    LeakyReLULayer,
    PReLULayer,
    ReLULayer,
    RescalingLayer,
    SoftmaxLayer,
)
from cnncalc.backends.numpy.layers.pooling import (
    AvgPool2DLayer,
    GlobalAvgPool2DLayer,
    GlobalMaxPool2DLayer,
    MaxPool2DLayer,
)
from cnncalc.backends.numpy.layers.reshape import (
    Cropping2DLayer,
    FlattenLayer,
    ReshapeLayer,
    UpSampling2DLayer,
    ZeroPad2DLayer,
)
from cnncalc.errors import CnncalcError
from cnncalc.shapes.records import LayerRecord
from cnncalc.spec.models import (
    Activation,
    Add,
    Average,
    AvgPool2D,
    BatchNorm,
    Concatenate,
    Conv2D,
    Conv2DTranspose,
    Cropping2D,
    Dense,
    DepthwiseConv2D,
    Dropout,
    Flatten,
    GaussianNoise,
    GlobalAvgPool2D,
    GlobalMaxPool2D,
    Identity,
    LayerBase,
    LayerNorm,
    LayerScale,
    LeakyReLU,
    Maximum,
    MaxPool2D,
    Minimum,
    Multiply,
    Normalization,
    Pool2D,
    PReLU,
    ReLU,
    Rescaling,
    Reshape,
    SeparableConv2D,
    Softmax,
    SpatialDropout2D,
    Subtract,
    UpSampling2D,
    ZeroPad2D,
)

__all__ = [
    "LAYERS",
    "ActivationLayer",
    "BaseLayer",
    "BatchNormLayer",
    "DenseLayer",
    "DropoutLayer",
    "Layer",
    "LayerContext",
    "MergeLayer",
    "RandomLayer",
    "build_layers",
    "refuse_unsupported",
    "unsupported",
]

LAYERS: dict[type[LayerBase], type[BaseLayer]] = {
    Conv2D: Conv2DLayer,
    DepthwiseConv2D: DepthwiseConv2DLayer,
    SeparableConv2D: SeparableConv2DLayer,
    Conv2DTranspose: Conv2DTransposeLayer,
    MaxPool2D: MaxPool2DLayer,
    AvgPool2D: AvgPool2DLayer,
    GlobalAvgPool2D: GlobalAvgPool2DLayer,
    GlobalMaxPool2D: GlobalMaxPool2DLayer,
    Dense: DenseLayer,
    Flatten: FlattenLayer,
    Reshape: ReshapeLayer,
    ZeroPad2D: ZeroPad2DLayer,
    Cropping2D: Cropping2DLayer,
    UpSampling2D: UpSampling2DLayer,
    Identity: IdentityLayer,
    Dropout: DropoutLayer,
    SpatialDropout2D: SpatialDropout2DLayer,
    GaussianNoise: GaussianNoiseLayer,
    BatchNorm: BatchNormLayer,
    LayerNorm: LayerNormLayer,
    Normalization: NormalizationLayer,
    Rescaling: RescalingLayer,
    LayerScale: LayerScaleLayer,
    Activation: ActivationLayer,
    ReLU: ReLULayer,
    LeakyReLU: LeakyReLULayer,
    PReLU: PReLULayer,
    Softmax: SoftmaxLayer,
    Add: ElementwiseMergeLayer,
    Subtract: ElementwiseMergeLayer,
    Multiply: ElementwiseMergeLayer,
    Average: ElementwiseMergeLayer,
    Maximum: ElementwiseMergeLayer,
    Minimum: ElementwiseMergeLayer,
    Concatenate: ConcatenateLayer,
}
"""The layer class of each spec class."""

INTERPOLATIONS = ("nearest", "bilinear")
"""The ``UpSampling2D`` interpolations the backend computes (as TensorFlow does)."""


def unsupported(record: LayerRecord) -> str | None:
    """What of a spec layer the backend cannot run, by name (None: it runs it all)."""
    layer = record.layer
    if getattr(layer, "connections", None) is not None:
        return "a connections table"
    if getattr(layer, "noise_shape", None) is not None:
        return "dropout with a noise_shape"
    if type(layer) not in LAYERS:
        return layer.keras_class
    if isinstance(layer, Pool2D) and layer.ceil_mode:
        return f"{layer.keras_class} with ceil_mode"
    if isinstance(layer, Pool2D) and not layer.count_include_pad:
        return f"{layer.keras_class} with count_include_pad: false"
    if isinstance(layer, UpSampling2D) and layer.interpolation not in INTERPOLATIONS:
        return f"UpSampling2D with interpolation {layer.interpolation}"
    activation = getattr(layer, "activation", "linear")
    if activation not in ACTIVATIONS:
        return f"activation {activation}"
    return None


def refuse_unsupported(record: LayerRecord) -> None:
    """Raise :class:`CnncalcError` naming what of the layer the backend cannot run."""
    missing = unsupported(record)
    if missing is not None:
        raise CnncalcError(f"the NumPy backend cannot run {missing} ({record.name}) yet")


def build_layers(record: LayerRecord, context: LayerContext) -> list[BaseLayer]:
    """The layers that compute one spec layer: its own, then its activation if it is not linear
    (a convolution's or a dense layer's)."""
    refuse_unsupported(record)
    layers = [LAYERS[type(record.layer)](record, context)]
    activation = getattr(record.layer, "activation", "linear")
    if not isinstance(record.layer, Activation) and activation != "linear":
        layers.append(ActivationLayer(record, replace(context, params={}, grads={}), fused=True))
    return layers

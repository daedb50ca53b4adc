"""The spec language: one pydantic model per layer type, and the spec that wires them into a network.

Field names and defaults follow Keras. Validators check one layer's own fields only; whatever spans
layers belongs to the wiring (:mod:`cnncalc.spec.wiring`), the shape engine and the lint rules.
Every layer model builds its validator the first time a spec uses its type (``defer_build``), so
that loading LeNet-5 does not pay for thirty layer types it does not use.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal, TypeAlias, TypeVar

from annotated_types import Ge, Lt
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    PlainValidator,
    PrivateAttr,
    SerializeAsAny,
    Strict,
    StrictBool,
    field_validator,
    model_validator,
)
from pydantic import AliasChoices as Aliases
from pydantic_core import PydanticCustomError

from cnncalc.spec.blocks import Origin, expand
from cnncalc.spec.fields import (
    INPUT,
    ActivationField,
    ActivationName,
    Axes,
    Axis,
    DataFormat,
    ExplicitPadding,
    Inputs,
    KerasPadding,
    LayerName,
    Number,
    Numbers,
    Padding,
    PaddingMode,
    PadPair,
    Pair,
    PositiveInt,
    PositiveNumber,
    Size,
    ZeroOrMorePair,
)
from cnncalc.spec.wiring import check_wiring

__all__ = ["INPUT", "ActivationName", "DataFormat", "PadPair", "Pair"]

Rate = Annotated[float, Strict(), Ge(0), Lt(1)]


class LayerBase(BaseModel):
    """Fields and behaviour every layer shares."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True)

    keras_class: ClassVar[str]
    """The Keras layer class this spec type builds, also accepted as ``type``."""
    keras_name: ClassVar[str]
    """The base of Keras' default layer names (``conv2d``, ``conv2d_1``, ...)."""
    arity: ClassVar[tuple[int, int | None]] = (1, 1)
    """How many inputs the layer reads: at least, at most (``None``: no limit)."""

    type: str
    name: LayerName | None = None
    """Unique layer name; defaults to Keras' naming scheme."""
    inputs: Inputs = ()
    """The layers it reads, by name (``input`` is the model input); by default the layer before.
    After validation, always the resolved names."""
    lint: LintSection | None = None
    """Lint settings for this layer alone: ``ignore`` the rules it breaks on purpose."""

    @field_validator("type", mode="before")
    @classmethod
    def _canonical_type(cls, value: Any) -> Any:
        return canonical_type(value) or value


Windowed = TypeVar("Windowed", bound="WindowedLayer")
Pooled = TypeVar("Pooled", bound="Pool2D")


class WindowedLayer(LayerBase):
    """A layer that slides a window over a feature map, with Keras' or explicit padding."""

    strides: Size = Field(default=(1, 1), validation_alias=Aliases("strides", "stride"))
    padding: Padding = "valid"
    padding_mode: PaddingMode = "zeros"
    """What explicit or ``same`` padding fills with: ``zeros`` (Keras), ``replicate`` or ``reflect``."""

    reads_same_padding: ClassVar[bool] = True
    """Whether ``same`` padding cells are read (convolutions) or ignored (Keras' pools)."""

    @property
    def reads_explicit_padding(self) -> bool:
        """Whether explicit padding cells are read (a pool may ignore them)."""
        return True

    @model_validator(mode="after")
    def _padding_mode_in_use(self: Windowed) -> Windowed:
        """Reset ``padding_mode`` to ``zeros`` where no padded cell is read: without padding, or with
        ``same`` on a pool. Layers that compute the same then compare equal."""
        if isinstance(self.padding, tuple):
            padded = any(any(pads) for pads in self.padding) and self.reads_explicit_padding
        else:
            padded = self.padding == "same" and self.reads_same_padding
        if padded or self.padding_mode == "zeros":
            return self
        return self.model_copy(update={"padding_mode": "zeros"})


class ConvLayer(WindowedLayer):
    """What convolutions share: a kernel, dilation, a bias and an activation."""

    kernel_size: Size = Field(validation_alias=Aliases("kernel_size", "kernel"))
    dilation_rate: Size = (1, 1)
    use_bias: StrictBool = True
    activation: ActivationField = "linear"


# --- convolutions -------------------------------------------------------------------------------


def _connection_table(table: tuple[tuple[int, ...], ...]) -> tuple[tuple[int, ...], ...]:
    for row in table:
        if not row:
            raise PydanticCustomError("connections", "every filter reads at least one input channel")
        if len(set(row)) != len(row):
            raise PydanticCustomError(
                "connections", "a filter lists an input channel twice: {row}", {"row": list(row)}
            )
    return table


ConnectionTable = Annotated[
    tuple[tuple[Annotated[int, Strict(), Ge(0)], ...], ...], AfterValidator(_connection_table)
]
"""Per filter, the input channels it reads (from 0)."""


class Conv2D(ConvLayer):
    """2D convolution (``keras.layers.Conv2D``); explicit padding is zero padding before it.

    ``connections`` lists, per filter, the input channels it reads: LeNet-5's layer C3 (LeCun et al.
    1998, table I) reads 3, 4 or all 6 of S2's maps per filter. Keras has no such convolution."""

    keras_class = "Conv2D"
    keras_name = "conv2d"
    type: Literal["conv2d"] = "conv2d"
    filters: PositiveInt
    groups: PositiveInt = 1
    connections: ConnectionTable | None = None

    @model_validator(mode="after")
    def _one_row_per_filter(self) -> Conv2D:
        if self.connections is None:
            return self
        if len(self.connections) != self.filters:
            raise PydanticCustomError(
                "connections",
                "connections lists {rows} filters' inputs but the layer has {filters} filters",
                {"rows": len(self.connections), "filters": self.filters},
            )
        if self.groups != 1:
            raise PydanticCustomError("connections", "give either groups or connections, not both")
        return self


class DepthwiseConv2D(ConvLayer):
    """One filter per input channel, ``depth_multiplier`` times (``keras.layers.DepthwiseConv2D``)."""

    keras_class = "DepthwiseConv2D"
    keras_name = "depthwise_conv2d"
    type: Literal["depthwiseconv2d"] = "depthwiseconv2d"
    depth_multiplier: PositiveInt = 1


class SeparableConv2D(ConvLayer):
    """A depthwise convolution, then a 1×1 one to ``filters`` (``keras.layers.SeparableConv2D``)."""

    keras_class = "SeparableConv2D"
    keras_name = "separable_conv2d"
    type: Literal["separableconv2d"] = "separableconv2d"
    filters: PositiveInt
    depth_multiplier: PositiveInt = 1


class Conv2DTranspose(LayerBase):
    """Transposed convolution (``keras.layers.Conv2DTranspose``): upsamples by ``strides``.

    Output size per axis, as Keras 3 computes it (``K`` the dilated kernel span): ``valid`` gives
    ``(I − 1)·S + max(K, S)``, ``same`` gives ``I·S``; with ``output_padding`` ``P``, ``(I − 1)·S + K + P``
    (``valid``) or ``(I − 1)·S + K mod 2 + P`` (``same``).
    """

    keras_class = "Conv2DTranspose"
    keras_name = "conv2d_transpose"
    type: Literal["conv2dtranspose"] = "conv2dtranspose"
    filters: PositiveInt
    kernel_size: Size = Field(validation_alias=Aliases("kernel_size", "kernel"))
    strides: Size = Field(default=(1, 1), validation_alias=Aliases("strides", "stride"))
    padding: KerasPadding = "valid"
    output_padding: ZeroOrMorePair | None = None
    dilation_rate: Size = (1, 1)
    use_bias: StrictBool = True
    activation: ActivationField = "linear"

    @model_validator(mode="after")
    def _output_padding_below_strides(self) -> Conv2DTranspose:
        if self.output_padding is not None and any(
            p >= s for p, s in zip(self.output_padding, self.strides, strict=True)
        ):
            raise PydanticCustomError(
                "output_padding",
                "output_padding {padding} must be smaller than strides {strides} on each axis (Keras' rule)",
                {"padding": list(self.output_padding), "strides": list(self.strides)},
            )
        return self


# --- pooling ------------------------------------------------------------------------------------


class Pool2D(WindowedLayer):
    """Fields shared by max and average pooling. ``strides`` default to ``pool_size``, as in Keras."""

    reads_same_padding = False
    pool_size: Size = Field(default=(2, 2), validation_alias=Aliases("pool_size", "pool"))
    strides: Size | None = Field(default=None, validation_alias=Aliases("strides", "stride"))  # type: ignore[assignment]
    ceil_mode: StrictBool = False
    """Round the number of windows up, as PyTorch's and ONNX's ``ceil_mode``: a last window that starts
    inside the (padded) input may run past its end. Keras' pools have no such option. No effect with
    ``same`` padding, where it reads back ``false``."""
    count_include_pad: StrictBool = True
    """Whether explicit padding cells take part, filled according to ``padding_mode`` (as a padding layer
    before the pool: Keras' ``ZeroPadding2D``), or are ignored: PyTorch's max pooling and its average
    pooling with ``count_include_pad=False``. ``same`` padding is always ignored, as in Keras' pools;
    without explicit padding this reads back ``true``."""

    @property
    def reads_explicit_padding(self) -> bool:
        """Whether explicit padding cells take part in the pool."""
        return self.count_include_pad

    @model_validator(mode="after")
    def _pool_options_in_use(self) -> Pool2D:
        """``same`` padding already gives ``⌈I / S⌉`` windows, so ``ceil_mode`` reads back ``false``;
        without explicit padding cells ``count_include_pad`` reads back ``true``."""
        update: dict[str, bool] = {}
        if self.ceil_mode and self.padding == "same":
            update["ceil_mode"] = False
        explicit = isinstance(self.padding, tuple) and any(any(pads) for pads in self.padding)
        if not self.count_include_pad and not explicit:
            update["count_include_pad"] = True
        return self.model_copy(update=update) if update else self

    @model_validator(mode="after")
    def _default_strides(self: Pooled) -> Pooled:
        """``strides`` equal to ``pool_size`` are the default, as in Keras (which saves them either way):
        pools that compute the same then compare equal."""
        if self.strides is None or self.strides != self.pool_size:
            return self
        return self.model_copy(update={"strides": None})

    @property
    def effective_strides(self) -> Pair:
        """The strides in use: the given ones, else the pool size."""
        return self.strides or self.pool_size


class MaxPool2D(Pool2D):
    """Max pooling (``keras.layers.MaxPooling2D``)."""

    keras_class = "MaxPooling2D"
    keras_name = "max_pooling2d"
    type: Literal["maxpool2d"] = "maxpool2d"


class AvgPool2D(Pool2D):
    """Average pooling (``keras.layers.AveragePooling2D``)."""

    keras_class = "AveragePooling2D"
    keras_name = "average_pooling2d"
    type: Literal["avgpool2d"] = "avgpool2d"


class Subsample2D(Pool2D):
    """LeNet-5's trainable subsampling (LeCun et al. 1998, section II.B): each window's average,
    times a trainable coefficient, plus a trainable bias, per feature map, then the activation.
    (The paper adds the window's inputs; its coefficient absorbs the division.) Keras has no such
    layer: ``keras_class`` only names it."""

    keras_class = "Subsample2D"
    keras_name = "subsample2d"
    type: Literal["subsample2d"] = "subsample2d"
    use_bias: StrictBool = True
    activation: ActivationField = "linear"


class AdaptivePool2D(LayerBase):
    """Pooling to a fixed ``output_size`` whatever the input's size: along an axis of ``I`` cells, window
    ``i`` of ``O`` covers cells ``⌊i·I/O⌋`` to ``⌈(i + 1)·I/O⌉ − 1``, as PyTorch's adaptive pools and Keras
    3's compute them (torchvision's AlexNet and VGG pool to 6×6 and 7×7 so)."""

    output_size: Size


class AdaptiveAvgPool2D(AdaptivePool2D):
    """Average over each adaptive window (``keras.layers.AdaptiveAveragePooling2D``)."""

    keras_class = "AdaptiveAveragePooling2D"
    keras_name = "adaptive_average_pooling2d"
    type: Literal["adaptiveavgpool2d"] = "adaptiveavgpool2d"


class AdaptiveMaxPool2D(AdaptivePool2D):
    """Maximum over each adaptive window (``keras.layers.AdaptiveMaxPooling2D``)."""

    keras_class = "AdaptiveMaxPooling2D"
    keras_name = "adaptive_max_pooling2d"
    type: Literal["adaptivemaxpool2d"] = "adaptivemaxpool2d"


class GlobalPool2D(LayerBase):
    """Pooling over all positions of a feature map; ``keepdims`` keeps them as 1×1."""

    keepdims: StrictBool = False


class GlobalAvgPool2D(GlobalPool2D):
    """Average over all positions of a feature map (``keras.layers.GlobalAveragePooling2D``)."""

    keras_class = "GlobalAveragePooling2D"
    keras_name = "global_average_pooling2d"
    type: Literal["globalavgpool2d"] = "globalavgpool2d"


class GlobalMaxPool2D(GlobalPool2D):
    """Maximum over all positions of a feature map (``keras.layers.GlobalMaxPooling2D``)."""

    keras_class = "GlobalMaxPooling2D"
    keras_name = "global_max_pooling2d"
    type: Literal["globalmaxpool2d"] = "globalmaxpool2d"


# --- dense and reshaping -----------------------------------------------------------------------


class Dense(LayerBase):
    """Fully connected layer on the last axis (``keras.layers.Dense``)."""

    keras_class = "Dense"
    keras_name = "dense"
    type: Literal["dense"] = "dense"
    units: PositiveInt
    use_bias: StrictBool = True
    activation: ActivationField = "linear"


class RBF(LayerBase):
    """LeNet-5's output layer (LeCun et al. 1998, section II.B, equation 7): one Euclidean radial
    basis function unit per output, ``y_i = Σ_j (x_j − w_ij)²`` over the last axis: the squared
    distance of the input to each unit's centre. The paper chose the centres by hand and kept them
    fixed, so they are not trained unless ``trainable``. Keras has no such layer."""

    keras_class = "RBF"
    keras_name = "rbf"
    type: Literal["rbf"] = "rbf"
    units: PositiveInt
    trainable: StrictBool = False


class Flatten(LayerBase):
    """Flattens a feature map to a vector (``keras.layers.Flatten``)."""

    keras_class = "Flatten"
    keras_name = "flatten"
    type: Literal["flatten"] = "flatten"


def _one_unknown(shape: tuple[int, ...]) -> tuple[int, ...]:
    if shape.count(-1) > 1:
        raise PydanticCustomError("target_shape", "at most one axis may be -1 (the one Keras infers)")
    if any(size == 0 or size < -1 for size in shape):
        raise PydanticCustomError("target_shape", "each size is at least 1, or -1 for the one inferred")
    return shape


class Reshape(LayerBase):
    """Gives the values a new shape, batch axis excluded (``keras.layers.Reshape``); one size may
    be ``-1``: Keras infers it."""

    keras_class = "Reshape"
    keras_name = "reshape"
    type: Literal["reshape"] = "reshape"
    target_shape: Annotated[
        tuple[Annotated[int, Strict()], ...], Field(min_length=1), AfterValidator(_one_unknown)
    ]


class ZeroPad2D(LayerBase):
    """Zero padding around a feature map (``keras.layers.ZeroPadding2D``)."""

    keras_class = "ZeroPadding2D"
    keras_name = "zero_padding2d"
    type: Literal["zeropad2d"] = "zeropad2d"
    padding: ExplicitPadding = ((1, 1), (1, 1))


class Cropping2D(LayerBase):
    """Cuts rows and columns off a feature map's edges (``keras.layers.Cropping2D``)."""

    keras_class = "Cropping2D"
    keras_name = "cropping2d"
    type: Literal["cropping2d"] = "cropping2d"
    cropping: ExplicitPadding = ((0, 0), (0, 0))


class UpSampling2D(LayerBase):
    """Repeats rows and columns ``size`` times (``nearest``), or interpolates
    (``keras.layers.UpSampling2D``)."""

    keras_class = "UpSampling2D"
    keras_name = "up_sampling2d"
    type: Literal["upsampling2d"] = "upsampling2d"
    size: Size = (2, 2)
    interpolation: Literal["nearest", "bilinear", "bicubic", "lanczos3", "lanczos5", "area"] = "nearest"


class Identity(LayerBase):
    """Passes its input on unchanged (``keras.layers.Identity``)."""

    keras_class = "Identity"
    keras_name = "identity"
    type: Literal["identity"] = "identity"


# --- regularisation ----------------------------------------------------------------------------


class Dropout(LayerBase):
    """Drops a fraction ``rate`` of values while training (``keras.layers.Dropout``).

    ``noise_shape`` (batch axis excluded) shares one decision along the axes where it is 1: ``[1, 1, 1]``
    drops a sample's whole map at once (EfficientNet's stochastic depth); ``null`` sizes are the input's.
    """

    keras_class = "Dropout"
    keras_name = "dropout"
    type: Literal["dropout"] = "dropout"
    rate: Rate
    noise_shape: Annotated[tuple[PositiveInt | None, ...], Field(min_length=1)] | None = None


class SpatialDropout2D(LayerBase):
    """Drops whole feature maps (channels) while training (``keras.layers.SpatialDropout2D``)."""

    keras_class = "SpatialDropout2D"
    keras_name = "spatial_dropout2d"
    type: Literal["spatialdropout2d"] = "spatialdropout2d"
    rate: Rate


class GaussianNoise(LayerBase):
    """Adds zero-mean Gaussian noise while training (``keras.layers.GaussianNoise``)."""

    keras_class = "GaussianNoise"
    keras_name = "gaussian_noise"
    type: Literal["gaussiannoise"] = "gaussiannoise"
    stddev: Annotated[float, Strict(), Ge(0)]


# --- normalisation and scaling -----------------------------------------------------------------


class BatchNorm(LayerBase):
    """Batch normalisation over the channel axis (``keras.layers.BatchNormalization``): ``γ`` (if
    ``scale``), ``β`` (if ``center``) and the non-trainable moving mean and variance per channel."""

    keras_class = "BatchNormalization"
    keras_name = "batch_normalization"
    type: Literal["batchnorm"] = "batchnorm"
    momentum: Rate = 0.99
    epsilon: PositiveNumber = 1e-3
    center: StrictBool = True
    scale: StrictBool = True


class LayerNorm(LayerBase):
    """Normalises each sample over ``axis`` (``keras.layers.LayerNormalization``).

    ``axis`` counts as Keras counts it: ``-1`` (the default) is the last axis, which is the width of
    a ``channels_first`` feature map, not its channels.
    """

    keras_class = "LayerNormalization"
    keras_name = "layer_normalization"
    type: Literal["layernorm"] = "layernorm"
    axis: Axes = (-1,)
    epsilon: PositiveNumber = 1e-3
    center: StrictBool = True
    scale: StrictBool = True
    rms_scaling: StrictBool = False


class Normalization(LayerBase):
    """Subtracts a mean and divides by a standard deviation per value of ``axis``
    (``keras.layers.Normalization``). Without ``mean`` and ``variance`` they are non-trainable
    weights (set by ``adapt``), with a count: ``2·C + 1`` parameters."""

    keras_class = "Normalization"
    keras_name = "normalization"
    type: Literal["normalization"] = "normalization"
    axis: Axes | None = (-1,)
    mean: Numbers | None = None
    variance: Numbers | None = None
    invert: StrictBool = False

    @model_validator(mode="after")
    def _both_or_neither(self) -> Normalization:
        if (self.mean is None) != (self.variance is None):
            raise PydanticCustomError("mean_variance", "give both `mean` and `variance`, or neither")
        return self


class Rescaling(LayerBase):
    """Multiplies by ``scale`` and adds ``offset`` (``keras.layers.Rescaling``): a number, or one per
    value of the last axis."""

    keras_class = "Rescaling"
    keras_name = "rescaling"
    type: Literal["rescaling"] = "rescaling"
    scale: Numbers = (1.0,)
    offset: Numbers = (0.0,)


class LayerScale(LayerBase):
    """Multiplies each value of the last axis by its own learned factor ``γ``, started at
    ``init_values`` (ConvNeXt's ``LayerScale``, from CaiT: Touvron et al. 2021, "Going deeper with image
    transformers"). Keras Applications define it for ConvNeXt; ``keras.layers`` has no such class, so the
    Keras bridge builds its own."""

    keras_class = "LayerScale"
    keras_name = "layer_scale"
    type: Literal["layerscale"] = "layerscale"
    init_values: Number


# --- activations -------------------------------------------------------------------------------


class Activation(LayerBase):
    """A standalone activation (``keras.layers.Activation``)."""

    keras_class = "Activation"
    keras_name = "activation"
    type: Literal["activation"] = "activation"
    activation: ActivationField


class ReLU(LayerBase):
    """``max(x, 0)``, with an optional ceiling, slope below ``threshold`` and threshold
    (``keras.layers.ReLU``)."""

    keras_class = "ReLU"
    keras_name = "re_lu"
    type: Literal["relu"] = "relu"
    max_value: Annotated[float, Strict(), Ge(0)] | None = None
    negative_slope: Annotated[float, Strict(), Ge(0)] = 0.0
    threshold: Number = 0.0


class LeakyReLU(LayerBase):
    """``x`` above zero, ``negative_slope·x`` below (``keras.layers.LeakyReLU``; note its default
    slope 0.3 differs from the ``leaky_relu`` activation's 0.2)."""

    keras_class = "LeakyReLU"
    keras_name = "leaky_re_lu"
    type: Literal["leakyrelu"] = "leakyrelu"
    negative_slope: Annotated[float, Strict(), Ge(0)] = 0.3


class PReLU(LayerBase):
    """A leaky ReLU whose slopes are learned, one per value, shared along ``shared_axes``
    (``keras.layers.PReLU``; axes counted as Keras counts them, batch axis 0)."""

    keras_class = "PReLU"
    keras_name = "p_re_lu"
    type: Literal["prelu"] = "prelu"
    shared_axes: Axes | None = None


class Softmax(LayerBase):
    """Softmax along ``axis`` (``keras.layers.Softmax``)."""

    keras_class = "Softmax"
    keras_name = "softmax"
    type: Literal["softmax"] = "softmax"
    axis: Axes = (-1,)


# --- merges ------------------------------------------------------------------------------------


class Merge(LayerBase):
    """An element-wise merge of several inputs, broadcast as Keras does (shapes lined up from the
    right; a size of 1 stretches)."""

    arity: ClassVar[tuple[int, int | None]] = (2, None)


class Add(Merge):
    """Sum of the inputs (``keras.layers.Add``)."""

    keras_class = "Add"
    keras_name = "add"
    type: Literal["add"] = "add"


class Subtract(Merge):
    """First input minus the second (``keras.layers.Subtract``)."""

    keras_class = "Subtract"
    keras_name = "subtract"
    type: Literal["subtract"] = "subtract"
    arity: ClassVar[tuple[int, int | None]] = (2, 2)


class Multiply(Merge):
    """Product of the inputs (``keras.layers.Multiply``), e.g. a squeeze-and-excitation gate."""

    keras_class = "Multiply"
    keras_name = "multiply"
    type: Literal["multiply"] = "multiply"


class Average(Merge):
    """Mean of the inputs (``keras.layers.Average``)."""

    keras_class = "Average"
    keras_name = "average"
    type: Literal["average"] = "average"


class Maximum(Merge):
    """Element-wise maximum of the inputs (``keras.layers.Maximum``)."""

    keras_class = "Maximum"
    keras_name = "maximum"
    type: Literal["maximum"] = "maximum"


class Minimum(Merge):
    """Element-wise minimum of the inputs (``keras.layers.Minimum``)."""

    keras_class = "Minimum"
    keras_name = "minimum"
    type: Literal["minimum"] = "minimum"


class Concatenate(LayerBase):
    """Joins the inputs along ``axis`` (``keras.layers.Concatenate``). By default the channel axis of
    the spec's data format; an explicit ``axis`` counts as Keras counts it (batch axis 0), so ``-1``
    and ``3`` are the channels of a ``channels_last`` map and ``1`` those of a ``channels_first`` one."""

    keras_class = "Concatenate"
    keras_name = "concatenate"
    type: Literal["concatenate"] = "concatenate"
    arity: ClassVar[tuple[int, int | None]] = (2, None)
    axis: Axis | None = None


LAYER_TYPES: tuple[type[LayerBase], ...] = (
    Conv2D,
    DepthwiseConv2D,
    SeparableConv2D,
    Conv2DTranspose,
    MaxPool2D,
    AvgPool2D,
    Subsample2D,
    AdaptiveAvgPool2D,
    AdaptiveMaxPool2D,
    GlobalAvgPool2D,
    GlobalMaxPool2D,
    Dense,
    RBF,
    Flatten,
    Reshape,
    ZeroPad2D,
    Cropping2D,
    UpSampling2D,
    Identity,
    Dropout,
    SpatialDropout2D,
    GaussianNoise,
    BatchNorm,
    LayerNorm,
    Normalization,
    Rescaling,
    LayerScale,
    Activation,
    ReLU,
    LeakyReLU,
    PReLU,
    Softmax,
    Add,
    Subtract,
    Multiply,
    Average,
    Maximum,
    Minimum,
    Concatenate,
)
"""Every layer type, in the order documentation lists them."""

TYPE_NAMES: tuple[str, ...] = tuple(cls.model_fields["type"].default for cls in LAYER_TYPES)
"""The canonical ``type`` tags."""


def _alias_key(name: str) -> str:
    return name.lower().replace("_", "")


_BY_TAG: dict[str, type[LayerBase]] = {cls.model_fields["type"].default: cls for cls in LAYER_TYPES}
_TYPE_ALIASES: dict[str, str] = {
    _alias_key(alias): cls.model_fields["type"].default
    for cls in LAYER_TYPES
    for alias in (cls.model_fields["type"].default, cls.keras_class, cls.keras_name)
}
KERAS_NAMES: dict[str, str] = {key: _BY_TAG[tag].keras_name for key, tag in _TYPE_ALIASES.items()}
"""The base of Keras' default names by type spelling (lower case, no underscores)."""


def canonical_type(value: object) -> str | None:
    """The canonical tag for a ``type`` spelling (case and underscores ignored), else ``None``.

    >>> canonical_type("MaxPooling2D"), canonical_type("max_pool2d"), canonical_type("conv")
    ('maxpool2d', 'maxpool2d', None)
    >>> canonical_type("re_lu"), canonical_type("LayerNormalization")
    ('relu', 'layernorm')
    """
    return _TYPE_ALIASES.get(_alias_key(value)) if isinstance(value, str) else None


def layer_class(tag: str) -> type[LayerBase]:
    """The model class of a canonical ``type`` tag."""
    return _BY_TAG[tag]


def type_spellings() -> list[str]:
    """Every accepted spelling of a layer type in its usual forms, for hints and the JSON Schema."""
    return sorted({n for cls in LAYER_TYPES for n in (cls.model_fields["type"].default, cls.keras_class)})


def _validate_layer(value: Any) -> LayerBase:
    """Dispatch on ``type`` to the layer's own model, built on first use."""
    if isinstance(value, LayerBase):
        return value
    raw = value.get("type") if isinstance(value, Mapping) else None
    tag = canonical_type(raw)
    if tag is None:
        raise PydanticCustomError(
            "unknown_layer_type", "unknown layer type", {"type": raw if isinstance(raw, str) else None}
        )
    return _BY_TAG[tag].model_validate(value)


Layer = Annotated[
    SerializeAsAny[LayerBase], PlainValidator(_validate_layer, json_schema_input_type=dict[str, Any])
]
"""Any layer, chosen by its ``type`` (a canonical tag, a Keras class name or Keras' snake-case name,
any case). The JSON Schema lists every type (:mod:`cnncalc.spec.schema`)."""


def _rule_selector(value: str) -> str:
    """A rule code or code prefix (any case, normalised to ``CNN110``), or a kebab-case rule name."""
    if re.fullmatch(r"CNN[0-9]{1,3}", value, flags=re.IGNORECASE):
        return value.upper()
    if re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", value):
        return value
    raise PydanticCustomError(
        "rule_selector",
        "expected a rule code (CNN110), a code prefix (CNN1) or a rule name (unseen-input-pixels)",
    )


RuleSelector: TypeAlias = Annotated[str, AfterValidator(_rule_selector)]
"""A lint rule's code (``CNN110``), a code prefix (``CNN1``) or a rule's name (``unseen-input-pixels``)."""


class LintSection(BaseModel):
    """The ``lint:`` section of a spec: settings for this file only."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    ignore: Annotated[
        tuple[RuleSelector, ...],
        BeforeValidator(lambda v: [v] if isinstance(v, str) else v, json_schema_input_type=list[str] | str),
    ] = ()
    """Rules not to report for this file: codes, code prefixes or names (one, or a list)."""


class Spec(BaseModel):
    """A network: its input shape, data format, blocks, and layers in dependency order."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    name: Annotated[str, Field(min_length=1, max_length=200)] = "model"
    input: Annotated[tuple[PositiveInt, ...], Field(min_length=1, max_length=3)]
    """Input shape without the batch axis: ``[H, W, C]`` (``[C, H, W]`` channels_first) or ``[N]``."""
    data_format: DataFormat = "channels_last"
    num_classes: Annotated[int, Strict(), Ge(2)] | None = None
    """How many classes the network tells apart; the linter checks the last layer against it."""
    lint: Annotated[
        LintSection,
        BeforeValidator(lambda v: {} if v is None else v, json_schema_input_type=LintSection | None),
    ] = Field(default_factory=LintSection)
    """Lint settings for this file (an empty ``lint:`` is no setting)."""
    blocks: dict[str, dict[str, Any]] = {}
    """Reusable blocks by name (:mod:`cnncalc.spec.blocks`), kept as written; ``layers`` holds their
    expansion."""
    layers: Annotated[list[Layer], Field(min_length=1)]
    """Every layer, blocks expanded, each after its inputs; names and inputs resolved."""
    outputs: Inputs = ()
    """The layers whose results the network returns; by default the last layer."""

    _origins: tuple[Origin, ...] = PrivateAttr(default=())

    @model_validator(mode="wrap")
    @classmethod
    def _expand_blocks(cls, data: Any, handler: ModelWrapValidatorHandler[Spec]) -> Spec:
        """Expand block uses into layers and name and wire every layer, before validating them."""
        expansion = expand(data, KERAS_NAMES) if isinstance(data, Mapping) else None
        spec = handler(data if expansion is None else {**data, "layers": expansion.layers})
        if expansion is not None:
            spec._origins = expansion.origins
        return spec

    @field_validator("input")
    @classmethod
    def _rank(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if len(value) == 2:
            raise PydanticCustomError(
                "input_rank",
                "input needs a channel axis: [height, width, channels], e.g. [{h}, {w}, 1]",
                {"h": value[0], "w": value[1]},
            )
        return value

    @model_validator(mode="after")
    def _wire(self) -> Spec:
        """Check that every input names an earlier layer and resolve the outputs."""
        outputs = check_wiring(self.layers, self.outputs)
        return self if outputs == self.outputs else self.model_copy(update={"outputs": outputs})

    @property
    def origins(self) -> tuple[Origin, ...]:
        """Where each layer is written, and the block uses that made it (parallel to ``layers``)."""
        return self._origins or tuple(Origin(("layers", index)) for index in range(len(self.layers)))

    @property
    def layer_names(self) -> list[str]:
        """The (resolved) name of every layer, in order."""
        return [layer.name or "" for layer in self.layers]

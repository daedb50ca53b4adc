"""The spec language: one pydantic model per layer type, joined in a discriminated union.

Field names follow Keras. Sizes are normalised on validation: an int ``n`` becomes ``(n, n)`` and
explicit padding becomes ``((top, bottom), (left, right))``, so consumers never re-parse user forms.
Validators check one layer's own fields only; whatever spans layers belongs to the shape engine.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar, Literal, TypeAlias, TypeVar

from annotated_types import Ge, Gt, Lt
from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Strict,
    StrictBool,
    Tag,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from cnncalc.errors import show_value

PositiveInt: TypeAlias = Annotated[int, Strict(), Ge(1)]
NonNegativeInt: TypeAlias = Annotated[int, Strict(), Ge(0)]
Pair: TypeAlias = tuple[int, int]
PadPair: TypeAlias = tuple[tuple[int, int], tuple[int, int]]
DataFormat: TypeAlias = Literal["channels_last", "channels_first"]
PaddingMode: TypeAlias = Literal["zeros", "replicate", "reflect"]
ActivationName: TypeAlias = Literal[
    "linear", "relu", "tanh", "sigmoid", "softmax", "elu", "leaky_relu", "relu6"
]


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _int_or_pair(value: Any) -> Any:
    """Accept ``n`` as ``(n, n)``; anything else but a list is rejected with one clear message."""
    if _is_int(value) and value >= 1:
        return (value, value)
    if _is_int(value):
        raise PydanticCustomError(
            "greater_than_equal", "must be at least 1, got {value}", {"value": value, "ge": 1}
        )
    if isinstance(value, list | tuple):
        return tuple(value)
    raise PydanticCustomError(
        "size_type",
        "expected an integer or a pair [height, width], got {value}",
        {"value": show_value(value)},
    )


def _padding(value: Any) -> Any:
    """``valid``/``same`` (any case), ``p``, ``[ph, pw]`` or ``[[top, bottom], [left, right]]``,
    checked here in full so that a mistake gives one message, normalised to the nested form."""
    if isinstance(value, str) and value.lower() in {"valid", "same"}:
        return value.lower()
    return _explicit_padding(value)


def _explicit_padding(value: Any) -> Any:
    """``p``, ``[ph, pw]`` or ``[[top, bottom], [left, right]]`` → ``((top, bottom), (left, right))``."""
    if _is_int(value) and value >= 0:
        return ((value, value), (value, value))
    if isinstance(value, list | tuple) and len(value) == 2:
        if all(_is_int(v) and v >= 0 for v in value):
            return ((value[0], value[0]), (value[1], value[1]))
        if all(
            isinstance(v, list | tuple) and len(v) == 2 and all(_is_int(p) and p >= 0 for p in v)
            for v in value
        ):
            return ((value[0][0], value[0][1]), (value[1][0], value[1][1]))
    raise PydanticCustomError(
        "padding_type",
        "expected 'valid', 'same', a non-negative integer p, [ph, pw] or [[top, bottom], [left, right]], "
        "got {value}",
        {"value": show_value(value)},
    )


_PAIR_INPUT = PositiveInt | tuple[PositiveInt, PositiveInt]
_PAD_INPUT = (
    NonNegativeInt
    | tuple[NonNegativeInt, NonNegativeInt]
    | tuple[tuple[NonNegativeInt, NonNegativeInt], tuple[NonNegativeInt, NonNegativeInt]]
)

Size = Annotated[
    tuple[PositiveInt, PositiveInt],
    BeforeValidator(_int_or_pair, json_schema_input_type=_PAIR_INPUT),
]
"""A window size, stride or dilation: ``n`` or ``[height, width]``; normalised to a pair."""

ExplicitPadding = Annotated[
    tuple[tuple[NonNegativeInt, NonNegativeInt], tuple[NonNegativeInt, NonNegativeInt]],
    BeforeValidator(_explicit_padding, json_schema_input_type=_PAD_INPUT),
]
"""Explicit padding, normalised to ``((top, bottom), (left, right))``."""

Padding = Annotated[
    Literal["valid", "same"] | PadPair,
    BeforeValidator(_padding, json_schema_input_type=Literal["valid", "same"] | _PAD_INPUT),
]
"""``valid``, ``same`` (Keras: output ``ceil(I / S)``) or explicit padding."""


def _activation(value: Any) -> Any:
    if value is None:
        return "linear"
    return value.lower() if isinstance(value, str) else value


ActivationField = Annotated[
    ActivationName,
    BeforeValidator(_activation, json_schema_input_type=ActivationName | None),
]
"""An activation function name; ``null`` means ``linear``."""


class LayerBase(BaseModel):
    """Fields and behaviour every layer shares."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    keras_class: ClassVar[str]
    """The Keras layer class this spec type builds, also accepted as ``type``."""
    keras_name: ClassVar[str]
    """The base of Keras' default layer names (``conv2d``, ``conv2d_1``, ...)."""

    type: str
    name: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_.\-]*$", max_length=200)] | None = None
    """Unique layer name; defaults to Keras' naming scheme."""
    lint: LintSection | None = None
    """Lint settings for this layer alone: ``ignore`` the rules it breaks on purpose."""

    @field_validator("type", mode="before")
    @classmethod
    def _canonical_type(cls, value: Any) -> Any:
        return canonical_type(value) or value


PaddedLayer = TypeVar("PaddedLayer", "Conv2D", "Pool2D")


def _without_unread_mode(layer: PaddedLayer, *, reads_same_padding: bool) -> PaddedLayer:
    """The layer with ``padding_mode`` reset to ``zeros`` where no padded cell is read: without
    padding, or with ``same`` on a pool (Keras' ``same`` pools ignore padded cells). Layers that
    compute the same then compare equal."""
    if isinstance(layer.padding, tuple):
        padded = any(any(pads) for pads in layer.padding)
    else:
        padded = layer.padding == "same" and reads_same_padding
    if padded or layer.padding_mode == "zeros":
        return layer
    return layer.model_copy(update={"padding_mode": "zeros"})


class Conv2D(LayerBase):
    """2D convolution (``keras.layers.Conv2D``); explicit padding is zero padding before it."""

    keras_class = "Conv2D"
    keras_name = "conv2d"
    type: Literal["conv2d"] = "conv2d"
    filters: PositiveInt
    kernel_size: Size = Field(validation_alias=AliasChoices("kernel_size", "kernel"))
    strides: Size = Field(default=(1, 1), validation_alias=AliasChoices("strides", "stride"))
    padding: Padding = "valid"
    padding_mode: PaddingMode = "zeros"
    dilation_rate: Size = (1, 1)
    groups: PositiveInt = 1
    use_bias: StrictBool = True
    activation: ActivationField = "linear"

    @model_validator(mode="after")
    def _padding_mode_in_use(self) -> Conv2D:
        return _without_unread_mode(self, reads_same_padding=True)


class Pool2D(LayerBase):
    """Fields shared by max and average pooling. ``strides`` default to ``pool_size``, as in Keras."""

    pool_size: Size = Field(default=(2, 2), validation_alias=AliasChoices("pool_size", "pool"))
    strides: Size | None = Field(default=None, validation_alias=AliasChoices("strides", "stride"))
    padding: Padding = "valid"
    padding_mode: PaddingMode = "zeros"

    @property
    def effective_strides(self) -> Pair:
        """The strides in use: the given ones, else the pool size."""
        return self.strides or self.pool_size

    @model_validator(mode="after")
    def _padding_mode_in_use(self) -> Pool2D:
        return _without_unread_mode(self, reads_same_padding=False)


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


class Dense(LayerBase):
    """Fully connected layer on the last axis (``keras.layers.Dense``)."""

    keras_class = "Dense"
    keras_name = "dense"
    type: Literal["dense"] = "dense"
    units: PositiveInt
    use_bias: StrictBool = True
    activation: ActivationField = "linear"


class Flatten(LayerBase):
    """Flattens a feature map to a vector (``keras.layers.Flatten``)."""

    keras_class = "Flatten"
    keras_name = "flatten"
    type: Literal["flatten"] = "flatten"


class Dropout(LayerBase):
    """Drops a fraction ``rate`` of values while training (``keras.layers.Dropout``)."""

    keras_class = "Dropout"
    keras_name = "dropout"
    type: Literal["dropout"] = "dropout"
    rate: Annotated[float, Strict(), Ge(0), Lt(1)]


class Activation(LayerBase):
    """A standalone activation (``keras.layers.Activation``)."""

    keras_class = "Activation"
    keras_name = "activation"
    type: Literal["activation"] = "activation"
    activation: ActivationField


class BatchNorm(LayerBase):
    """Batch normalisation over the channel axis (``keras.layers.BatchNormalization``)."""

    keras_class = "BatchNormalization"
    keras_name = "batch_normalization"
    type: Literal["batchnorm"] = "batchnorm"
    momentum: Annotated[float, Strict(), Ge(0), Lt(1)] = 0.99
    epsilon: Annotated[float, Strict(), Gt(0)] = 1e-3


class GlobalAvgPool2D(LayerBase):
    """Average over all positions of a feature map (``keras.layers.GlobalAveragePooling2D``)."""

    keras_class = "GlobalAveragePooling2D"
    keras_name = "global_average_pooling2d"
    type: Literal["globalavgpool2d"] = "globalavgpool2d"


class GlobalMaxPool2D(LayerBase):
    """Maximum over all positions of a feature map (``keras.layers.GlobalMaxPooling2D``)."""

    keras_class = "GlobalMaxPooling2D"
    keras_name = "global_max_pooling2d"
    type: Literal["globalmaxpool2d"] = "globalmaxpool2d"


class ZeroPad2D(LayerBase):
    """Zero padding around a feature map (``keras.layers.ZeroPadding2D``)."""

    keras_class = "ZeroPadding2D"
    keras_name = "zero_padding2d"
    type: Literal["zeropad2d"] = "zeropad2d"
    padding: ExplicitPadding = ((1, 1), (1, 1))


LAYER_TYPES: tuple[type[LayerBase], ...] = (
    Conv2D,
    MaxPool2D,
    AvgPool2D,
    Dense,
    Flatten,
    Dropout,
    Activation,
    BatchNorm,
    GlobalAvgPool2D,
    GlobalMaxPool2D,
    ZeroPad2D,
)
"""Every layer type, in the order documentation lists them."""

TYPE_NAMES: tuple[str, ...] = tuple(cls.model_fields["type"].default for cls in LAYER_TYPES)
"""The canonical ``type`` tags."""


def _alias_key(name: str) -> str:
    return name.lower().replace("_", "")


_TYPE_ALIASES: dict[str, str] = {
    _alias_key(alias): cls.model_fields["type"].default
    for cls in LAYER_TYPES
    for alias in (cls.model_fields["type"].default, cls.keras_class, cls.keras_name)
}


def canonical_type(value: object) -> str | None:
    """The canonical tag for a ``type`` spelling (case and underscores ignored), else ``None``.

    >>> canonical_type("MaxPooling2D"), canonical_type("max_pool2d"), canonical_type("conv")
    ('maxpool2d', 'maxpool2d', None)
    """
    return _TYPE_ALIASES.get(_alias_key(value)) if isinstance(value, str) else None


def type_spellings() -> list[str]:
    """Every accepted spelling of a layer type in its usual forms, for hints and the JSON Schema."""
    return sorted({n for cls in LAYER_TYPES for n in (cls.model_fields["type"].default, cls.keras_class)})


def _layer_tag(value: Any) -> str | None:
    raw = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    return canonical_type(raw) or (raw if isinstance(raw, str) else None)


Layer = Annotated[
    Annotated[Conv2D, Tag("conv2d")]
    | Annotated[MaxPool2D, Tag("maxpool2d")]
    | Annotated[AvgPool2D, Tag("avgpool2d")]
    | Annotated[Dense, Tag("dense")]
    | Annotated[Flatten, Tag("flatten")]
    | Annotated[Dropout, Tag("dropout")]
    | Annotated[Activation, Tag("activation")]
    | Annotated[BatchNorm, Tag("batchnorm")]
    | Annotated[GlobalAvgPool2D, Tag("globalavgpool2d")]
    | Annotated[GlobalMaxPool2D, Tag("globalmaxpool2d")]
    | Annotated[ZeroPad2D, Tag("zeropad2d")],
    Discriminator(
        _layer_tag,
        custom_error_type="unknown_layer_type",
        custom_error_message="unknown layer type",
    ),
]
"""Any layer, chosen by its ``type`` (a canonical tag or a Keras class name, case-insensitive)."""


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

    model_config = ConfigDict(extra="forbid", frozen=True)

    ignore: Annotated[
        tuple[RuleSelector, ...],
        BeforeValidator(lambda v: [v] if isinstance(v, str) else v, json_schema_input_type=list[str] | str),
    ] = ()
    """Rules not to report for this file: codes, code prefixes or names (one, or a list)."""


class Spec(BaseModel):
    """A network: its input shape, data format and layers, in order."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, Field(min_length=1, max_length=200)] = "model"
    input: Annotated[tuple[PositiveInt, ...], Field(min_length=1, max_length=3)]
    """Input shape without the batch axis: ``[H, W, C]`` (``[C, H, W]`` channels_first) or ``[N]``."""
    data_format: DataFormat = "channels_last"
    num_classes: Annotated[int, Strict(), Ge(2)] | None = None
    """How many classes the network tells apart; the linter checks the last layer against it."""
    lint: Annotated[
        LintSection,
        BeforeValidator(lambda v: {} if v is None else v, json_schema_input_type=LintSection | None),
    ] = LintSection()
    """Lint settings for this file (an empty ``lint:`` is no setting)."""
    layers: Annotated[list[Layer], Field(min_length=1)]

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
    def _name_layers(self) -> Spec:
        """Give unnamed layers Keras-like names and reject duplicates."""
        taken: dict[str, int] = {}
        for index, layer in enumerate(self.layers):
            if layer.name is None:
                continue
            if layer.name in taken:
                raise PydanticCustomError(
                    "duplicate_name",
                    "duplicate layer name '{name}', already used by layers[{first}]",
                    {"name": layer.name, "first": taken[layer.name], "index": index},
                )
            taken[layer.name] = index
        counts: dict[str, int] = {}
        for index, layer in enumerate(self.layers):
            if layer.name is not None:
                continue
            name = layer.keras_name
            while name in taken:
                counts[layer.keras_name] = counts.get(layer.keras_name, 0) + 1
                name = f"{layer.keras_name}_{counts[layer.keras_name]}"
            taken[name] = index
            self.layers[index] = layer.model_copy(update={"name": name})
        return self

    @property
    def layer_names(self) -> list[str]:
        """The (resolved) name of every layer, in order."""
        return [layer.name or "" for layer in self.layers]

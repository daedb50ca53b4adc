"""The field types layers share: sizes, padding, activations, axes and names, each normalised once.

An int ``n`` becomes ``(n, n)``, explicit padding becomes ``((top, bottom), (left, right))``, one
name becomes a one-name tuple: consumers never re-parse what users may write in several forms.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeAlias

from annotated_types import Ge, Gt
from pydantic import AfterValidator, BeforeValidator, Field, Strict
from pydantic_core import PydanticCustomError

from cnncalc.errors import show_value

PositiveInt: TypeAlias = Annotated[int, Strict(), Ge(1)]
NonNegativeInt: TypeAlias = Annotated[int, Strict(), Ge(0)]
Number: TypeAlias = Annotated[float, Strict()]
"""Any real number; an integer is accepted (``scale: 1``), a string or ``true`` is not."""
PositiveNumber: TypeAlias = Annotated[float, Strict(), Gt(0)]
Pair: TypeAlias = tuple[int, int]
PadPair: TypeAlias = tuple[tuple[int, int], tuple[int, int]]
DataFormat: TypeAlias = Literal["channels_last", "channels_first"]
PaddingMode: TypeAlias = Literal["zeros", "replicate", "reflect"]
ActivationName: TypeAlias = Literal[
    "linear",
    "relu",
    "relu6",
    "leaky_relu",
    "elu",
    "selu",
    "celu",
    "gelu",
    "silu",
    "swish",
    "mish",
    "tanh",
    "sigmoid",
    "hard_sigmoid",
    "hard_silu",
    "hard_swish",
    "hard_tanh",
    "log_sigmoid",
    "sparse_sigmoid",
    "softmax",
    "log_softmax",
    "sparsemax",
    "softplus",
    "softsign",
    "squareplus",
    "sparse_plus",
    "exponential",
    "soft_shrink",
    "hard_shrink",
    "tanh_shrink",
    "lecun_tanh",
]
"""Keras 3's built-in activations (``keras.activations``), but ``glu``, which halves the last axis
while Keras' layers report the input shape, and ``threshold``, which cannot be called without
arguments. ``swish`` and ``hard_swish`` are Keras' aliases of ``silu`` and ``hard_silu``.
``lecun_tanh`` is not Keras': LeCun et al.'s (1998) scaled tanh ``1.7159·tanh(2x/3)``."""


def is_int(value: Any) -> bool:
    """Whether ``value`` is an int and not a bool (YAML's ``true`` is not a size)."""
    return isinstance(value, int) and not isinstance(value, bool)


def _int_or_pair(value: Any) -> Any:
    """Accept ``n`` as ``(n, n)``; anything else but a list is rejected with one clear message."""
    if is_int(value) and value >= 1:
        return (value, value)
    if is_int(value):
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
    if is_int(value) and value >= 0:
        return ((value, value), (value, value))
    if isinstance(value, list | tuple) and len(value) == 2:
        if all(is_int(v) and v >= 0 for v in value):
            return ((value[0], value[0]), (value[1], value[1]))
        if all(
            isinstance(v, list | tuple) and len(v) == 2 and all(is_int(p) and p >= 0 for p in v)
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


def _non_negative_pair(value: Any) -> Any:
    if is_int(value):
        return (value, value)
    return tuple(value) if isinstance(value, list | tuple) else value


ZeroOrMorePair = Annotated[
    tuple[NonNegativeInt, NonNegativeInt],
    BeforeValidator(
        _non_negative_pair, json_schema_input_type=NonNegativeInt | tuple[NonNegativeInt, NonNegativeInt]
    ),
]
"""``n`` or ``[height, width]``, zero allowed (a transposed convolution's ``output_padding``)."""

ExplicitPadding = Annotated[
    tuple[tuple[NonNegativeInt, NonNegativeInt], tuple[NonNegativeInt, NonNegativeInt]],
    BeforeValidator(_explicit_padding, json_schema_input_type=_PAD_INPUT),
]
"""Explicit padding (or cropping), normalised to ``((top, bottom), (left, right))``."""

Padding = Annotated[
    Literal["valid", "same"] | PadPair,
    BeforeValidator(_padding, json_schema_input_type=Literal["valid", "same"] | _PAD_INPUT),
]
"""``valid``, ``same`` (Keras: output ``ceil(I / S)``) or explicit padding."""


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


KerasPadding = Annotated[
    Literal["valid", "same"], BeforeValidator(_lower, json_schema_input_type=Literal["valid", "same"])
]
"""``valid`` or ``same`` only (any case): layers that take no explicit padding."""


ACTIVATION_ALIASES = {"swish": "silu", "hard_swish": "hard_silu"}
"""Keras' other names of an activation: Keras saves (and imports give back) the first name."""


def _activation(value: Any) -> Any:
    if value is None:
        return "linear"
    if isinstance(value, str):
        value = value.lower()
        return ACTIVATION_ALIASES.get(value, value)
    return value


ActivationField = Annotated[
    ActivationName,
    BeforeValidator(_activation, json_schema_input_type=ActivationName | None),
]
"""An activation function name; ``null`` means ``linear``, ``swish`` and ``hard_swish`` are read as
``silu`` and ``hard_silu`` (Keras' own names for them)."""


def _tuple(value: Any) -> Any:
    """One item as a one-item tuple, a list as a tuple."""
    if isinstance(value, list | tuple):
        return tuple(value)
    return (value,)


def _no_batch_axis(axes: tuple[int, ...]) -> tuple[int, ...]:
    if 0 in axes:
        raise PydanticCustomError(
            "batch_axis",
            "axis 0 is the batch axis; axes count as Keras counts them: 1 is the first axis after the "
            "batch axis, -1 the last",
        )
    if len(set(axes)) != len(axes):
        raise PydanticCustomError("repeated_axis", "an axis is listed twice")
    return axes


Axes = Annotated[
    tuple[Annotated[int, Strict()], ...],
    BeforeValidator(_tuple, json_schema_input_type=int | list[int]),
    AfterValidator(_no_batch_axis),
]
"""One or more axes, counted as Keras counts them: the batch axis is 0 (and refused), ``-1`` the last."""

Axis = Annotated[Annotated[int, Strict()], AfterValidator(lambda a: _no_batch_axis((a,))[0])]
"""One axis, counted as Keras counts them (batch axis 0, refused; ``-1`` the last)."""

Numbers = Annotated[
    tuple[Number, ...],
    BeforeValidator(_tuple, json_schema_input_type=float | list[float]),
    Field(min_length=1),
]
"""A number, or one number per value of the last axis (broadcast as NumPy does)."""

INPUT = "input"
"""The name of the model input, which any layer may read."""


def _layer_name(value: str) -> str:
    if "/" in value:
        raise PydanticCustomError("name_slash", "a layer name cannot contain `/` (Keras' rule)")
    if value == INPUT:
        raise PydanticCustomError(
            "reserved_name", "`input` names the model input; give the layer another name"
        )
    return value


LayerName = Annotated[str, Strict(), Field(min_length=1, max_length=200), AfterValidator(_layer_name)]
"""A layer's name: any text but ``/`` (as Keras), and not ``input``."""

InputName = Annotated[str, Strict(), Field(min_length=1, max_length=200)]
"""The name of a layer, or ``input``."""

Inputs = Annotated[
    tuple[InputName, ...],
    BeforeValidator(_tuple, json_schema_input_type=InputName | list[InputName]),
]
"""One name or a list of names."""

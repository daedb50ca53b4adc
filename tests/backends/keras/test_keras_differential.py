"""The engine against Keras on generated architectures: every layer's output shape and trainable /
non-trainable counts, and the layer each refuses.

Each generated layer carries its spec (in a random user-facing form) and a second, direct Keras
construction written here by hand from the same drawn numbers, independent of the bridge's
translation: Keras' own ``padding`` for ``valid`` and ``same``, ``ZeroPadding2D`` then a valid layer for
explicit padding (replicate and reflect padding change values, not shapes), and TensorFlow's own
mirror padding to decide whether reflect padding fits. Every architecture is checked three ways:

- the engine against the direct Keras model (shapes, counts, the first layer refused);
- the engine against the bridge (``crosscheck``), which must agree on every layer;
- the bridge's model imported back (``from_model``) gives the spec back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from math import prod
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import cnncalc
from cnncalc.spec.models import (
    BatchNorm,
    Conv2DTranspose,
    Cropping2D,
    GlobalPool2D,
    Pool2D,
    SpatialDropout2D,
    UpSampling2D,
    WindowedLayer,
    ZeroPad2D,
)

pytestmark = [pytest.mark.keras, pytest.mark.slow]

ARCHITECTURES_PER_RUN = 500
ACTIVATIONS = ["linear", "relu", "tanh", "sigmoid", "softmax", "elu", "leaky_relu", "relu6"]
Pair = tuple[int, int]
Pads = tuple[Pair, Pair]


@dataclass(frozen=True)
class Generated:
    """One layer: its spec (as a user would write it) and how to build it directly in Keras.

    ``direct(keras, shape, data_format)`` returns the Keras layers for an input of ``shape``
    (batch axis included), raising ``ValueError`` where Keras refuses.
    """

    spec: dict[str, Any]
    direct: Callable[[ModuleType, tuple[Any, ...], str], list[Any]]


# --- drawing numbers in every form a user may write them --------------------------------------


def pairs(low: int, high: int) -> st.SearchStrategy[Pair]:
    """Square most of the time, sometimes not."""
    square = st.integers(low, high).map(lambda n: (n, n))
    return st.one_of(square, square, st.tuples(st.integers(low, high), st.integers(low, high)))


@st.composite
def written_pair(draw: st.DrawFn, pair: Pair) -> Any:
    """``n`` or ``[n, n]`` for a square pair, ``[a, b]`` otherwise."""
    if pair[0] == pair[1] and draw(st.booleans()):
        return pair[0]
    return list(pair)


@st.composite
def explicit_padding(draw: st.DrawFn) -> tuple[Any, Pads]:
    """``(as written, ((top, bottom), (left, right)))`` in one of the three explicit forms."""
    form = draw(st.sampled_from(["int", "pair", "nested"]))
    if form == "int":
        p = draw(st.integers(0, 3))
        return p, ((p, p), (p, p))
    if form == "pair":
        ph, pw = draw(st.integers(0, 3)), draw(st.integers(0, 3))
        return [ph, pw], ((ph, ph), (pw, pw))
    t, b, left, r = (draw(st.integers(0, 3)) for _ in range(4))
    return [[t, b], [left, r]], ((t, b), (left, r))


@st.composite
def padding(draw: st.DrawFn) -> tuple[Any, str | Pads, str]:
    """``(as written, "valid" | "same" | pads, padding_mode)``."""
    kind = draw(st.sampled_from(["valid", "same", "explicit"]))
    mode = draw(st.sampled_from(["zeros", "zeros", "replicate", "reflect"]))
    if kind == "explicit":
        written, pads = draw(explicit_padding())
        return written, pads, mode
    return draw(st.sampled_from([kind, kind.upper()])), kind, mode


# --- the direct Keras construction, by hand ---------------------------------------------------


def spatial(shape: tuple[Any, ...], data_format: str) -> Pair:
    return (shape[2], shape[3]) if data_format == "channels_first" else (shape[1], shape[2])


def same_split(size: int, kernel: int, stride: int, dilation: int) -> Pair:
    """Keras' ``same`` padding, written out: output ⌈size/stride⌉, extra cell at the end."""
    span = dilation * (kernel - 1) + 1
    total = max((-(-size // stride) - 1) * stride + span - size, 0)
    return total // 2, total - total // 2


def check_reflect(keras: ModuleType, shape: tuple[Any, ...], pads: Pads, data_format: str) -> None:
    """Ask TensorFlow's mirror padding whether ``pads`` fits an input of ``shape``."""
    import tensorflow as tf

    if len(shape) != 4:
        return  # not a feature map: the layer itself is refused
    batchless = [(0, 0), *pads, (0, 0)] if data_format == "channels_last" else [(0, 0), (0, 0), *pads]
    zeros = keras.ops.zeros((1, *shape[1:]))
    try:
        keras.ops.pad(zeros, batchless, mode="reflect")
    except (ValueError, tf.errors.InvalidArgumentError) as exc:
        raise ValueError(f"reflect padding too large: {exc}") from None


def windowed(
    make: Callable[[ModuleType, str, str], Any],
    kernel: Pair,
    strides: Pair,
    dilation: Pair,
    pad: str | Pads,
    mode: str,
    *,
    reads_same_padding: bool,
) -> Callable[[ModuleType, tuple[Any, ...], str], list[Any]]:
    """A conv or pool whose padding is Keras' own, or ZeroPadding2D then ``valid``. Reflect padding
    must fit where the layer reads padded cells: explicit padding, and ``same`` on a convolution
    (a ``same`` pool ignores its padded cells, as Keras' pools do)."""

    def direct(keras: ModuleType, shape: tuple[Any, ...], data_format: str) -> list[Any]:
        layer = make(keras, pad if isinstance(pad, str) else "valid", data_format)
        reads_padding = not isinstance(pad, str) or (pad == "same" and reads_same_padding)
        if mode == "reflect" and reads_padding and len(shape) == 4:
            size = spatial(shape, data_format)
            pads = (
                tuple(same_split(size[a], kernel[a], strides[a], dilation[a]) for a in range(2))
                if pad == "same"
                else pad
            )
            check_reflect(keras, shape, pads, data_format)  # type: ignore[arg-type]
        if isinstance(pad, str):
            return [layer]
        return [keras.layers.ZeroPadding2D(pad, data_format=data_format), layer]

    return direct


# --- the layer types --------------------------------------------------------------------------


@st.composite
def conv2d(draw: st.DrawFn) -> Generated:
    filters = draw(st.integers(1, 12))
    kernel = draw(pairs(1, 6))
    strides = draw(st.one_of(st.just((1, 1)), pairs(1, 3)))
    dilation = draw(st.one_of(st.just((1, 1)), st.just((1, 1)), st.just((1, 1)), pairs(1, 3)))
    groups = draw(st.sampled_from([1, 1, 1, 1, 1, 1, 2, 3, 4]))
    use_bias, activation = draw(st.booleans()), draw(st.sampled_from(ACTIVATIONS))
    written, pad, mode = draw(padding())
    spec = {
        "type": draw(st.sampled_from(["conv2d", "Conv2D"])),
        "filters": filters,
        "kernel_size": draw(written_pair(kernel)),
        "strides": draw(written_pair(strides)),
        "padding": written,
        "padding_mode": mode,
        "dilation_rate": draw(written_pair(dilation)),
        "groups": groups,
        "use_bias": use_bias,
        "activation": activation,
    }

    def make(keras: ModuleType, keras_padding: str, data_format: str) -> Any:
        return keras.layers.Conv2D(
            filters,
            kernel,
            strides=strides,
            padding=keras_padding,
            data_format=data_format,
            dilation_rate=dilation,
            groups=groups,
            activation=activation,
            use_bias=use_bias,
        )

    return Generated(spec, windowed(make, kernel, strides, dilation, pad, mode, reads_same_padding=True))


@st.composite
def pool2d(draw: st.DrawFn) -> Generated:
    kind = draw(st.sampled_from(["maxpool2d", "avgpool2d"]))
    pool = draw(pairs(1, 4))
    strides = draw(st.one_of(st.none(), pairs(1, 3)))
    written, pad, mode = draw(padding())
    spec = {"type": kind, "pool_size": draw(written_pair(pool)), "padding": written, "padding_mode": mode}
    if strides is not None:
        spec["strides"] = draw(written_pair(strides))

    def make(keras: ModuleType, keras_padding: str, data_format: str) -> Any:
        cls = keras.layers.MaxPooling2D if kind == "maxpool2d" else keras.layers.AveragePooling2D
        return cls(pool, strides=strides, padding=keras_padding, data_format=data_format)

    return Generated(spec, windowed(make, pool, strides or pool, (1, 1), pad, mode, reads_same_padding=False))


@st.composite
def dense(draw: st.DrawFn) -> Generated:
    units, use_bias, activation = (
        draw(st.integers(1, 10)),
        draw(st.booleans()),
        draw(st.sampled_from(ACTIVATIONS)),
    )
    spec = {"type": "dense", "units": units, "use_bias": use_bias, "activation": activation}
    return Generated(spec, lambda keras, shape, fmt: [keras.layers.Dense(units, activation, use_bias)])


@st.composite
def zeropad2d(draw: st.DrawFn) -> Generated:
    written, pads = draw(explicit_padding())
    return Generated(
        {"type": "zeropad2d", "padding": written},
        lambda keras, shape, fmt: [keras.layers.ZeroPadding2D(pads, data_format=fmt)],
    )


def batchnorm_axis(shape: tuple[Any, ...], data_format: str) -> int:
    """The channels of a channels_first feature map, else the last axis."""
    return 1 if data_format == "channels_first" and len(shape) == 4 else -1


SIMPLE: dict[str, Callable[[ModuleType, tuple[Any, ...], str], list[Any]]] = {
    "flatten": lambda keras, shape, fmt: [keras.layers.Flatten()],
    "globalavgpool2d": lambda keras, shape, fmt: [keras.layers.GlobalAveragePooling2D(data_format=fmt)],
    "globalmaxpool2d": lambda keras, shape, fmt: [keras.layers.GlobalMaxPooling2D(data_format=fmt)],
    "batchnorm": lambda keras, shape, fmt: [keras.layers.BatchNormalization(axis=batchnorm_axis(shape, fmt))],
}


def simple(*kinds: str) -> st.SearchStrategy[Generated]:
    return st.sampled_from(kinds).map(lambda kind: Generated({"type": kind}, SIMPLE[kind]))


@st.composite
def dropout_or_activation(draw: st.DrawFn) -> Generated:
    if draw(st.booleans()):
        rate = draw(st.sampled_from([0.0, 0.25, 0.5]))
        return Generated(
            {"type": "dropout", "rate": rate}, lambda keras, shape, fmt: [keras.layers.Dropout(rate)]
        )
    name = draw(st.sampled_from(ACTIVATIONS))
    return Generated(
        {"type": "activation", "activation": name}, lambda keras, shape, fmt: [keras.layers.Activation(name)]
    )


BODY = st.one_of(
    conv2d(),
    conv2d(),
    conv2d(),
    pool2d(),
    pool2d(),
    zeropad2d(),
    simple("batchnorm"),
    dropout_or_activation(),
    dense(),
)
"""Layers that work on feature maps (dense too: on the last axis)."""
FLATTENING = simple("flatten", "globalavgpool2d", "globalmaxpool2d")
HEAD = st.one_of(dense(), dense(), dropout_or_activation(), simple("batchnorm", "flatten"))
"""Layers that work on vectors."""


@st.composite
def architectures(draw: st.DrawFn) -> tuple[dict[str, Any], list[Generated]]:
    """Mostly a feature-map body, a flattening layer and a head, as CNNs are; sometimes any order."""
    data_format = draw(st.sampled_from(["channels_last", "channels_first"]))
    if draw(st.integers(0, 11)) == 0:
        input_shape = [draw(st.integers(1, 64))]
    else:
        sizes = st.one_of(st.integers(1, 6), st.integers(1, 40), st.integers(1, 40))  # small ones often
        height, width, channels = draw(sizes), draw(sizes), draw(st.integers(1, 6))
        input_shape = (
            [channels, height, width] if data_format == "channels_first" else [height, width, channels]
        )
    if draw(st.integers(0, 3)) == 0:
        layers = draw(st.lists(st.one_of(BODY, FLATTENING, HEAD), min_size=1, max_size=6))
    else:
        body = draw(st.lists(BODY, max_size=5))
        layers = [*body, draw(FLATTENING), *draw(st.lists(HEAD, max_size=3))]
    spec = {"input": input_shape, "data_format": data_format, "layers": [layer.spec for layer in layers]}
    return spec, layers


# --- building the direct model and comparing -------------------------------------------------

Observed = tuple[tuple[int, ...], int, int]
"""Output shape (batch excluded), trainable and non-trainable parameters of one spec layer."""


def build_directly(
    keras: ModuleType, spec: dict[str, Any], layers: list[Generated]
) -> tuple[list[Observed], int | None]:
    """Per spec layer what Keras builds, up to the first layer it refuses (and that layer's index)."""
    outputs = keras.Input(shape=tuple(spec["input"]))
    observed: list[Observed] = []
    for index, layer in enumerate(layers):
        try:
            keras_layers = layer.direct(keras, tuple(outputs.shape), spec["data_format"])
            for keras_layer in keras_layers:
                outputs = keras_layer(outputs)
        except ValueError:
            return observed, index
        trainable = sum(prod(w.shape) for k in keras_layers for w in k.trainable_weights)
        frozen = sum(prod(w.shape) for k in keras_layers for w in k.non_trainable_weights)
        observed.append((tuple(outputs.shape[1:]), trainable, frozen))
    return observed, None


REVEALS_DATA_FORMAT = (
    WindowedLayer,
    Conv2DTranspose,
    GlobalPool2D,
    ZeroPad2D,
    Cropping2D,
    UpSampling2D,
    SpatialDropout2D,
    BatchNorm,
)
"""The layers whose Keras form says the data format (``data_format``, or batch norm's axis on a map)."""


def normalised_for_import(analysis: cnncalc.Analysis) -> cnncalc.Spec:
    """What importing gives back: a Keras model keeps no pool ``strides`` equal to the pool size,
    and no data format where no layer depends on one."""
    layers = []
    for layer in analysis.spec.layers:
        update: dict[str, Any] = {}
        if isinstance(layer, Pool2D) and layer.strides == layer.pool_size:
            update["strides"] = None
        layers.append(layer.model_copy(update=update))
    depends = any(
        isinstance(r.layer, REVEALS_DATA_FORMAT) and len(r.input_shape or ()) == 3 for r in analysis.layers
    )
    data_format = analysis.data_format if depends else "channels_last"
    return analysis.spec.model_copy(update={"layers": layers, "data_format": data_format})


@settings(
    max_examples=ARCHITECTURES_PER_RUN,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(architectures())
def test_engine_keras_and_the_bridge_agree(
    keras: ModuleType, bridge: SimpleNamespace, architecture: tuple[dict[str, Any], list[Generated]]
) -> None:
    spec, layers = architecture
    analysis = cnncalc.analyze(spec)
    engine_error = analysis.errors[0].layer if analysis.errors else None
    event(f"engine: {analysis.errors[0].code if analysis.errors else 'ok'}")

    observed, refused = build_directly(keras, spec, layers)
    assert refused == engine_error, f"Keras refuses layer {refused}, the engine stops at {engine_error}"
    engine = [(r.output_shape, r.trainable_params, r.non_trainable_params) for r in analysis.layers]
    assert engine[: len(observed)] == observed

    result = bridge.crosscheck.crosscheck(analysis)
    assert result.ok, [(c.record.name, c.record.output_shape, c.shape) for c in result.mismatches]
    if result.model is not None:
        assert bridge.convert.from_model(result.model) == normalised_for_import(analysis)

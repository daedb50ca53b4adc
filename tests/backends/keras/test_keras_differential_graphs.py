"""The engine against Keras on generated graphs: residual adds and other merges, concatenations,
squeeze-and-excitation gates, depthwise-separable stacks, transposed convolutions, upsampling, cropping
and every other layer type of the spec language, in both data formats.

The chain generator's layers (:mod:`test_keras_differential`) come with the graph issue's and this
issue's types, each with a Keras construction written here by hand from the same drawn numbers,
independently of the bridge; merges are drawn as the motifs modern CNNs use (so that most graphs line
up), and sometimes with a branch that does not (so that Keras and the engine both refuse). Every graph is
checked three ways, as the chains are:

- the engine against the hand-built Keras model: every layer's shape and trainable / non-trainable
  counts, and the same set of layers refused (a refused layer stops only the layers that read it);
- the engine against the bridge (``build_model`` through ``crosscheck``), layer by layer;
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
from cnncalc.spec.models import Concatenate
from tests.backends.keras.test_keras_differential import (
    ACTIVATIONS,
    Generated,
    conv2d,
    dense,
    dropout_or_activation,
    explicit_padding,
    normalised_for_import,
    padding,
    pairs,
    pool2d,
    simple,
    windowed,
    written_pair,
    zeropad2d,
)

pytestmark = [pytest.mark.keras, pytest.mark.slow]

GRAPHS_PER_RUN = 300
MORE_ACTIVATIONS = [*ACTIVATIONS, "gelu", "silu", "hard_sigmoid", "hard_silu", "mish", "softplus", "selu"]
Shape = tuple[Any, ...]
Direct = Callable[[ModuleType, list[Shape], str], list[Any]]


@dataclass(frozen=True)
class Node:
    """One layer of a graph: its spec (name and inputs included) and its Keras layers, built by hand for
    inputs of the given shapes (batch axis included); ``ValueError`` where Keras refuses."""

    spec: dict[str, Any]
    direct: Direct


def one_input(generated: Generated) -> Direct:
    return lambda keras, shapes, data_format: generated.direct(keras, shapes[0], data_format)


# --- the layer types the chains do not draw -------------------------------------------------------


@st.composite
def depthwise(draw: st.DrawFn) -> Generated:
    kernel, strides = draw(pairs(1, 4)), draw(st.one_of(st.just((1, 1)), pairs(1, 2)))
    dilation = draw(st.one_of(st.just((1, 1)), st.just((1, 1)), pairs(1, 2)))
    multiplier, use_bias = draw(st.integers(1, 2)), draw(st.booleans())
    activation = draw(st.sampled_from(MORE_ACTIVATIONS))
    written, pad, mode = draw(padding())
    spec = {
        "type": "depthwiseconv2d",
        "kernel_size": draw(written_pair(kernel)),
        "strides": draw(written_pair(strides)),
        "padding": written,
        "padding_mode": mode,
        "dilation_rate": draw(written_pair(dilation)),
        "depth_multiplier": multiplier,
        "use_bias": use_bias,
        "activation": activation,
    }

    def make(keras: ModuleType, keras_padding: str, data_format: str) -> Any:
        return keras.layers.DepthwiseConv2D(
            kernel,
            strides=strides,
            padding=keras_padding,
            depth_multiplier=multiplier,
            data_format=data_format,
            dilation_rate=dilation,
            activation=activation,
            use_bias=use_bias,
        )

    return Generated(spec, windowed(make, kernel, strides, dilation, pad, mode, reads_same_padding=True))


@st.composite
def separable(draw: st.DrawFn) -> Generated:
    filters, kernel = draw(st.integers(1, 8)), draw(pairs(1, 4))
    strides = draw(st.one_of(st.just((1, 1)), pairs(1, 2)))
    multiplier, use_bias = draw(st.integers(1, 2)), draw(st.booleans())
    kind = draw(st.sampled_from(["valid", "same"]))
    spec = {
        "type": "separableconv2d",
        "filters": filters,
        "kernel_size": draw(written_pair(kernel)),
        "strides": draw(written_pair(strides)),
        "padding": kind,
        "depth_multiplier": multiplier,
        "use_bias": use_bias,
    }

    def direct(keras: ModuleType, shape: Shape, data_format: str) -> list[Any]:
        layer = keras.layers.SeparableConv2D(
            filters,
            kernel,
            strides=strides,
            padding=kind,
            depth_multiplier=multiplier,
            data_format=data_format,
            use_bias=use_bias,
        )
        return [layer]

    return Generated(spec, direct)


@st.composite
def transposed(draw: st.DrawFn) -> Generated:
    filters, kernel, strides = draw(st.integers(1, 8)), draw(pairs(1, 4)), draw(pairs(1, 3))
    kind = draw(st.sampled_from(["valid", "same"]))
    output_padding = draw(st.one_of(st.none(), st.tuples(*(st.integers(0, s - 1) for s in strides))))
    spec: dict[str, Any] = {
        "type": "conv2dtranspose",
        "filters": filters,
        "kernel_size": draw(written_pair(kernel)),
        "strides": draw(written_pair(strides)),
        "padding": kind,
    }
    if output_padding is not None:
        spec["output_padding"] = list(output_padding)

    def direct(keras: ModuleType, shape: Shape, data_format: str) -> list[Any]:
        return [
            keras.layers.Conv2DTranspose(
                filters,
                kernel,
                strides=strides,
                padding=kind,
                output_padding=output_padding,
                data_format=data_format,
            )
        ]

    return Generated(spec, direct)


@st.composite
def resampling(draw: st.DrawFn) -> Generated:
    """Upsampling or cropping."""
    if draw(st.booleans()):
        size = draw(pairs(1, 3))
        interpolation = draw(st.sampled_from(["nearest", "bilinear"]))
        return Generated(
            {"type": "upsampling2d", "size": draw(written_pair(size)), "interpolation": interpolation},
            lambda keras, shape, fmt: [
                keras.layers.UpSampling2D(size, data_format=fmt, interpolation=interpolation)
            ],
        )
    written, cropping = draw(explicit_padding())
    return Generated(
        {"type": "cropping2d", "cropping": written},
        lambda keras, shape, fmt: [keras.layers.Cropping2D(cropping, data_format=fmt)],
    )


@st.composite
def normalising(draw: st.DrawFn) -> Generated:
    """Layer normalisation, Keras' Normalization, rescaling, or ConvNeXt's layer scale."""
    kind = draw(st.sampled_from(["layernorm", "normalization", "rescaling", "layerscale"]))
    if kind == "layernorm":
        axis = draw(st.sampled_from([-1, -1, 1, 2, [1, 2], [-3, -2, -1], 4]))
        center, scale, rms = draw(st.booleans()), draw(st.booleans()), draw(st.booleans())
        spec = {"type": "layernorm", "axis": axis, "center": center, "scale": scale, "rms_scaling": rms}
        return Generated(
            spec,
            lambda keras, shape, fmt: [
                keras.layers.LayerNormalization(axis=axis, center=center, scale=scale, rms_scaling=rms)
            ],
        )
    if kind == "normalization":
        axis = draw(st.sampled_from([-1, None, 1]))
        mean = draw(st.sampled_from([None, 0.5, [0.5, 0.25], [0.5, 0.25, 0.0]]))  # a list: one per value
        variance = None if mean is None else [2.0] * len(mean) if isinstance(mean, list) else 2.0
        given = {} if mean is None else {"mean": mean, "variance": variance}

        def normalization(keras: ModuleType, shape: Shape, fmt: str) -> list[Any]:
            layer = keras.layers.Normalization(axis=axis, mean=mean, variance=variance)
            layer(keras.Input(shape[1:]))
            run_once(keras, layer, shape)
            return [layer]

        return Generated({"type": "normalization", "axis": axis} | given, normalization)
    if kind == "rescaling":
        scale = draw(st.one_of(st.floats(0.01, 2), st.lists(st.floats(0.5, 2), min_size=1, max_size=3)))
        offset = draw(st.sampled_from([0.0, -1.0]))

        def rescaling(keras: ModuleType, shape: Shape, fmt: str) -> list[Any]:
            layer = keras.layers.Rescaling(scale, offset)
            layer(keras.Input(shape[1:]))
            run_once(keras, layer, shape)
            return [layer]

        return Generated({"type": "rescaling", "scale": scale, "offset": offset}, rescaling)
    init = draw(st.sampled_from([1e-6, 0.1, 1.0]))

    def layer_scale(keras: ModuleType, shape: Shape, fmt: str) -> list[Any]:
        from keras.src.applications.convnext import LayerScale  # the class Keras Applications define

        return [LayerScale(init, shape[-1])]

    return Generated({"type": "layerscale", "init_values": init}, layer_scale)


@st.composite
def activating(draw: st.DrawFn) -> Generated:
    """The activation layers with options, and Activation with any built-in activation."""
    kind = draw(st.sampled_from(["relu", "leakyrelu", "prelu", "softmax", "activation"]))
    if kind == "relu":
        max_value = draw(st.sampled_from([None, 6.0]))
        slope = draw(st.sampled_from([0.0, 0.1]))
        return Generated(
            {"type": "relu", "max_value": max_value, "negative_slope": slope},
            lambda keras, shape, fmt: [keras.layers.ReLU(max_value=max_value, negative_slope=slope)],
        )
    if kind == "leakyrelu":
        return Generated({"type": "leakyrelu"}, lambda keras, shape, fmt: [keras.layers.LeakyReLU()])
    if kind == "prelu":
        shared = draw(st.sampled_from([None, [1, 2], [1], [3]]))
        return Generated(
            {"type": "prelu", "shared_axes": shared},
            lambda keras, shape, fmt: [keras.layers.PReLU(shared_axes=shared)],
        )
    if kind == "softmax":
        axis = draw(st.sampled_from([-1, 1, [1, 2]]))
        return Generated(
            {"type": "softmax", "axis": axis}, lambda keras, shape, fmt: [keras.layers.Softmax(axis=axis)]
        )
    name = draw(st.sampled_from(MORE_ACTIVATIONS))
    return Generated(
        {"type": "activation", "activation": name}, lambda keras, shape, fmt: [keras.layers.Activation(name)]
    )


def run_once(keras: ModuleType, layer: Any, shape: Shape) -> None:
    """Keras checks a dropout's noise_shape, and a rescaling's or normalisation's values per channel,
    only when the layer runs: run it once on zeros, and take a failure or a changed shape as Keras refusing
    it. The batch is larger than any axis, so that a noise_shape of the wrong rank (which Keras lines up
    with the input from the right, batch size included) cannot line up by chance."""
    zeros = keras.ops.zeros((max(shape[1:]) + 1, *shape[1:]))
    try:
        dropped = layer(zeros, training=True)
    except Exception as exc:
        raise ValueError(str(exc)) from None
    if tuple(dropped.shape) != tuple(zeros.shape):
        raise ValueError(f"noise_shape turns {zeros.shape} into {dropped.shape}")


@st.composite
def regularising(draw: st.DrawFn) -> Generated:
    """Dropout with a noise_shape (stochastic depth), spatial dropout, Gaussian noise, identity."""
    kind = draw(st.sampled_from(["dropout", "spatialdropout2d", "gaussiannoise", "identity"]))
    if kind == "dropout":
        rate = draw(st.sampled_from([0.1, 0.5]))
        noise = draw(st.sampled_from([[1, 1, 1], [None, 1, None], [1], [None], [2, 1, 1]]))

        def dropout(keras: ModuleType, shape: Shape, fmt: str) -> list[Any]:
            layer = keras.layers.Dropout(rate, noise_shape=(None, *noise))
            layer(keras.Input(shape[1:]))
            run_once(keras, layer, shape)
            return [layer]

        return Generated({"type": "dropout", "rate": rate, "noise_shape": noise}, dropout)
    if kind == "spatialdropout2d":
        return Generated(
            {"type": "spatialdropout2d", "rate": 0.2},
            lambda keras, shape, fmt: [keras.layers.SpatialDropout2D(0.2, data_format=fmt)],
        )
    if kind == "gaussiannoise":
        return Generated(
            {"type": "gaussiannoise", "stddev": 0.1},
            lambda keras, shape, fmt: [keras.layers.GaussianNoise(0.1)],
        )
    return Generated({"type": "identity"}, lambda keras, shape, fmt: [keras.layers.Identity()])


@st.composite
def reshaping(draw: st.DrawFn) -> Generated:
    target = draw(st.sampled_from([[-1], [2, -1], [-1, 4], [3, 5]]))
    return Generated(
        {"type": "reshape", "target_shape": target}, lambda keras, shape, fmt: [keras.layers.Reshape(target)]
    )


FEATURE_MAP = st.one_of(
    conv2d(),
    pool2d(),
    zeropad2d(),
    simple("batchnorm"),
    dropout_or_activation(),
    depthwise(),
    separable(),
    transposed(),
    resampling(),
    normalising(),
    activating(),
    regularising(),
)
"""Layers that work on feature maps, one input each."""
HEAD = st.one_of(dense(), simple("flatten", "globalavgpool2d", "globalmaxpool2d"), reshaping())


# --- merges, as modern CNNs write them ---------------------------------------------------------


def merge(kind: str, axis: int | None = None) -> Direct:
    def direct(keras: ModuleType, shapes: list[Shape], fmt: str) -> list[Any]:
        if kind == "concatenate":  # by default the channel axis: 1 for a channels_first map, else the last
            default = 1 if fmt == "channels_first" and len(shapes[0]) == 4 else -1
            return [keras.layers.Concatenate(axis=default if axis is None else axis)]
        return [getattr(keras.layers, kind.capitalize())()]

    return direct


def conv1x1(filters: int, activation: str = "linear") -> tuple[dict[str, Any], Direct]:
    spec = {"type": "conv2d", "filters": filters, "kernel_size": 1, "activation": activation}
    return spec, lambda keras, shapes, fmt: [
        keras.layers.Conv2D(filters, 1, data_format=fmt, activation=activation)
    ]


def same_conv(filters: int, kernel: int, strides: int = 1) -> tuple[dict[str, Any], Direct]:
    spec = {
        "type": "conv2d",
        "filters": filters,
        "kernel_size": kernel,
        "strides": strides,
        "padding": "same",
    }
    return spec, lambda keras, shapes, fmt: [
        keras.layers.Conv2D(filters, kernel, strides=strides, padding="same", data_format=fmt)
    ]


def batchnorm() -> tuple[dict[str, Any], Direct]:
    def direct(keras: ModuleType, shapes: list[Shape], fmt: str) -> list[Any]:
        axis = 1 if fmt == "channels_first" and len(shapes[0]) == 4 else -1  # the channels
        return [keras.layers.BatchNormalization(axis=axis)]

    return {"type": "batchnorm"}, direct


@dataclass
class GraphDraft:
    """A graph being drawn: its nodes in order, and the one the next layer reads by default."""

    nodes: list[Node]
    current: str = "input"

    def add(self, spec: dict[str, Any], direct: Direct, reads: list[str] | None = None) -> str:
        name = f"{spec['type']}_{len(self.nodes)}"
        self.nodes.append(Node({**spec, "name": name, "inputs": reads or [self.current]}, direct))
        self.current = name
        return name


@st.composite
def motif(draw: st.DrawFn, graph: GraphDraft) -> None:
    """Add one motif to the graph: a layer, or a merge of branches as ResNet, Inception, SENet,
    MobileNet and U-Net write them (now and then with a branch that does not line up)."""
    kind = draw(st.sampled_from(["layer", "layer", "layer", "residual", "concat", "se", "separable", "skip"]))
    start = graph.current
    if kind == "layer":
        layer = draw(FEATURE_MAP)
        graph.add(layer.spec, one_input(layer))
        return
    filters = draw(st.integers(1, 6))
    misfit = draw(st.integers(0, 7)) == 0  # a branch whose shape does not line up
    if kind == "residual":  # project to known channels, a branch, then add (or another merge)
        base = graph.add(*conv1x1(filters))
        graph.add(*same_conv(filters + misfit, draw(st.sampled_from([1, 3]))))
        if draw(st.booleans()):
            graph.add(*batchnorm())
        kind_of_merge = draw(
            st.sampled_from(["add", "add", "subtract", "multiply", "average", "maximum", "minimum"])
        )
        graph.add({"type": kind_of_merge}, merge(kind_of_merge), [base, graph.current])
    elif kind == "concat":  # Inception: branches from one node, concatenated
        branches = []
        for _ in range(draw(st.integers(2, 3))):
            graph.current = start
            branch = draw(st.sampled_from(["conv", "pool", "depthwise"]))
            if branch == "conv":
                graph.add(*same_conv(draw(st.integers(1, 6)), draw(st.sampled_from([1, 3])), 1 + misfit))
            elif branch == "pool":
                graph.add(
                    {"type": "maxpool2d", "pool_size": 3, "strides": 1, "padding": "same"},
                    lambda keras, shapes, fmt: [
                        keras.layers.MaxPooling2D(3, strides=1, padding="same", data_format=fmt)
                    ],
                )
            else:
                graph.add(
                    {"type": "depthwiseconv2d", "kernel_size": 3, "padding": "same"},
                    lambda keras, shapes, fmt: [
                        keras.layers.DepthwiseConv2D(3, padding="same", data_format=fmt)
                    ],
                )
            branches.append(graph.current)
        axis = draw(st.sampled_from([None, None, None, -1, 1, 3]))
        spec: dict[str, Any] = {"type": "concatenate"} | ({"axis": axis} if axis is not None else {})
        graph.add(spec, merge("concatenate", axis), branches)
    elif kind == "se":  # squeeze and excitation: a gate (1, 1, C) multiplies the map
        base = graph.add(*conv1x1(filters))
        graph.add(
            {"type": "globalavgpool2d", "keepdims": True},
            lambda keras, shapes, fmt: [keras.layers.GlobalAveragePooling2D(data_format=fmt, keepdims=True)],
        )
        graph.add(*conv1x1(max(1, filters // 2), "relu"))
        graph.add(*conv1x1(filters + misfit, "sigmoid"))
        graph.add({"type": "multiply"}, merge("multiply"), [base, graph.current])
    elif kind == "separable":  # MobileNet: depthwise then pointwise, with batch norm
        for _ in range(draw(st.integers(1, 2))):
            strides = draw(st.sampled_from([1, 1, 2]))
            graph.add(
                {
                    "type": "depthwiseconv2d",
                    "kernel_size": 3,
                    "strides": strides,
                    "padding": "same",
                    "use_bias": False,
                },
                lambda keras, shapes, fmt, strides=strides: [
                    keras.layers.DepthwiseConv2D(
                        3, strides=strides, padding="same", use_bias=False, data_format=fmt
                    )
                ],
            )
            graph.add(*conv1x1(draw(st.integers(1, 6)), "relu"))
    else:  # U-Net: down, up again, and concatenate with the skip
        graph.add(
            {"type": "maxpool2d", "pool_size": 2},
            lambda keras, shapes, fmt: [keras.layers.MaxPooling2D(2, data_format=fmt)],
        )
        if draw(st.booleans()):
            graph.add(
                {"type": "conv2dtranspose", "filters": filters, "kernel_size": 2, "strides": 2},
                lambda keras, shapes, fmt: [
                    keras.layers.Conv2DTranspose(filters, 2, strides=2, data_format=fmt)
                ],
            )
        else:
            graph.add(
                {"type": "upsampling2d"},
                lambda keras, shapes, fmt: [keras.layers.UpSampling2D(data_format=fmt)],
            )
        graph.add({"type": "concatenate"}, merge("concatenate"), [start, graph.current])


@st.composite
def graphs(draw: st.DrawFn) -> tuple[dict[str, Any], list[Node]]:
    data_format = draw(st.sampled_from(["channels_last", "channels_first"]))
    height, width = draw(st.integers(2, 16)), draw(st.integers(2, 16))
    channels = draw(st.integers(1, 4))
    shape = [channels, height, width] if data_format == "channels_first" else [height, width, channels]
    graph = GraphDraft([])
    for _ in range(draw(st.integers(1, 5))):
        if graph.nodes and draw(st.integers(0, 5)) == 0:  # now and then, branch off an earlier layer
            graph.current = draw(st.sampled_from([node.spec["name"] for node in graph.nodes]))
        draw(motif(graph))
    graph.current = graph.nodes[-1].spec["name"]
    for layer in draw(st.lists(HEAD, max_size=2)):
        graph.add(layer.spec, one_input(layer))
    read = {name for node in graph.nodes for name in node.spec["inputs"]}
    outputs = [node.spec["name"] for node in graph.nodes if node.spec["name"] not in read]
    spec = {
        "input": shape,
        "data_format": data_format,
        "layers": [node.spec for node in graph.nodes],
        "outputs": outputs,
    }
    return spec, graph.nodes


# --- building by hand and comparing ----------------------------------------------------------------

Observed = tuple[tuple[int, ...], int, int]


def build_directly(
    keras: ModuleType, spec: dict[str, Any], nodes: list[Node]
) -> tuple[dict[str, Observed], set[str]]:
    """What Keras builds for every layer it can (by name), and the layers it refuses; a layer that
    reads a refused one is neither."""
    import tensorflow as tf  # loaded with Keras: its errors are Keras' refusals when a layer builds

    tensors = {"input": keras.Input(shape=tuple(spec["input"]))}
    observed: dict[str, Observed] = {}
    refused: set[str] = set()
    for node in nodes:
        name, reads = node.spec["name"], node.spec["inputs"]
        if any(source not in tensors for source in reads):
            continue
        sources = [tensors[source] for source in reads]
        try:
            layers = node.direct(keras, [tuple(source.shape) for source in sources], spec["data_format"])
            outputs = sources[0] if len(sources) == 1 else sources
            for layer in layers:
                outputs = layer(outputs)
            if 0 in outputs.shape[1:]:  # Keras builds a transposed convolution that is too small, empty
                raise ValueError(f"empty output {outputs.shape}")
        except (ValueError, IndexError, tf.errors.OpError):  # IndexError: an axis Keras' input has not
            refused.add(name)
            continue
        tensors[name] = outputs
        trainable = sum(prod(w.shape) for layer in layers for w in layer.trainable_weights)
        frozen = sum(prod(w.shape) for layer in layers for w in layer.non_trainable_weights)
        observed[name] = (tuple(outputs.shape[1:]), trainable, frozen)
    return observed, refused


def imported_form(analysis: cnncalc.Analysis) -> cnncalc.Spec:
    """What importing the bridge's model gives back (docs/keras.md): the chains' forms, and a
    concatenation along its input's channel axis as the default axis."""
    spec = normalised_for_import(analysis)
    layers = []
    for layer, record in zip(spec.layers, analysis.layers, strict=True):
        if not isinstance(layer, Concatenate) or record.input_shape is None:
            layers.append(layer)
            continue
        rank = len(record.input_shape) + 1
        channels = 1 if spec.data_format == "channels_first" and rank == 4 else rank - 1
        axis = layer.axis
        if axis is None and analysis.data_format != spec.data_format and rank == 4:
            axis = 1  # the data format is not imported, the channels_first axis is
        if axis is not None and axis % rank == channels:
            axis = None
        layers.append(layer.model_copy(update={"axis": axis}))
    return spec.model_copy(update={"layers": layers})


@settings(
    max_examples=GRAPHS_PER_RUN,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(graphs())
def test_engine_keras_and_the_bridge_agree_on_graphs(
    keras: ModuleType, bridge: SimpleNamespace, graph: tuple[dict[str, Any], list[Node]]
) -> None:
    spec, nodes = graph
    analysis = cnncalc.analyze(spec)
    errors = {analysis.layers[d.layer or 0].name for d in analysis.errors}
    event(f"engine: {sorted({d.code for d in analysis.errors}) or 'ok'}")
    event(f"merges: {sum(len(node.spec['inputs']) > 1 for node in nodes) > 0}")

    observed, refused = build_directly(keras, spec, nodes)
    assert refused == errors, f"Keras refuses {sorted(refused)}, the engine {sorted(errors)}"
    engine = {
        r.name: (r.output_shape, r.trainable_params, r.non_trainable_params)
        for r in analysis.layers
        if r.output_shape is not None
    }
    assert engine == observed

    result = bridge.crosscheck.crosscheck(analysis)
    assert result.ok, [(c.record.name, c.record.output_shape, c.shape) for c in result.mismatches]
    assert {rejection.name for rejection in result.rejections} == errors
    if result.model is not None:
        assert bridge.convert.from_model(result.model) == imported_form(analysis)

"""The NumPy backend against Keras: the same weights give the same outputs (inference), and the
same loss and gradients for one training step, on every example and on generated architectures.

The Keras side is the bridge's ``build_model`` (layer names kept, padding layers where Keras has
no padding of its own); the weights are random (not Keras' initial zeros and ones, which would hide
a swapped bias or gamma) and go into both models through ``get_weights`` order.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from cnncalc.api import analyze
from cnncalc.backends.keras.plan import refusal
from cnncalc.backends.numpy.layers import DropoutLayer
from cnncalc.backends.numpy.model import NumpyModel
from tests.conftest import EXAMPLES

pytestmark = pytest.mark.keras

OUTPUT_TOLERANCE = 1e-4
"""Largest absolute difference of outputs allowed (issue 5)."""

Build = Callable[[Any], Any]


@pytest.fixture(scope="module")
def build(keras: ModuleType) -> Build:
    from cnncalc.backends.keras.build import build_model

    return build_model


def random_weights(model: NumpyModel, rng: np.random.Generator) -> list[np.ndarray]:
    """Kernels scaled to keep activations near 1 (LeCun), everything else random too."""
    weights = []
    for key, value in model.variables.items():
        name = key.rsplit("/", 1)[1]
        if name == "kernel":
            fan_in = int(np.prod(value.shape[:-1]))
            weight = rng.uniform(-1, 1, value.shape) * np.sqrt(3 / fan_in)
        elif name in ("gamma", "moving_variance"):
            weight = rng.uniform(0.5, 1.5, value.shape)
        else:
            weight = rng.normal(0, 0.2, value.shape)
        weights.append(weight.astype(np.float32))
    return weights


def compare(spec: Any, keras: ModuleType, build: Build, rng: np.random.Generator) -> None:
    """Outputs in inference mode, then one training step's loss and gradients."""
    keras_model = build(spec)
    model = NumpyModel(spec, workers=2)
    weights = random_weights(model, rng)
    keras_model.set_weights(weights)
    model.set_weights(weights)
    x = rng.random((100, *model.analysis.input_shape), dtype=np.float32)  # 100 samples: two shards
    # Graph mode, as predict and fit run: TensorFlow 2.21's eager channels_first convolution on CPU
    # gets 1x1 kernels with strides wrong (a TensorFlow bug; graph mode rewrites the layout). On a
    # CPU without oneDNN (no AVX-512, such as this AMD EPYC) TensorFlow has no channels_first
    # convolution at all ("only supports the NHWC tensor format on the CPU"): XLA compiles one.
    xla = model.analysis.data_format == "channels_first"
    if xla:
        keras_model.compile(jit_compile=True)
    expected = keras_model.predict(x, verbose=0, batch_size=len(x))
    ours = model.predict(x)
    assert ours.shape == expected.shape
    assert np.max(np.abs(ours - expected)) <= OUTPUT_TOLERANCE
    if len(model.output_shape) != 1:
        return  # no classification loss on a feature map
    # Dropout draws different masks in the two frameworks: switch it off for the training step.
    for layer in [*keras_model.layers, *model.layers]:
        if isinstance(layer, keras.layers.Dropout | DropoutLayer):
            layer.rate = 0.0
    batch, labels = x[:24], rng.integers(0, model.output_shape[0], 24)
    tf: Any = importlib.import_module("tensorflow")  # imported by the keras fixture already

    loss_function = keras.losses.SparseCategoricalCrossentropy(from_logits=model.from_logits)

    @tf.function(jit_compile=xla)  # type: ignore[untyped-decorator]
    def keras_step(inputs: Any, targets: Any) -> Any:
        with tf.GradientTape() as tape:
            keras_loss = loss_function(targets, keras_model(inputs, training=True))
        return keras_loss, tape.gradient(keras_loss, keras_model.trainable_weights)

    keras_loss, keras_gradients = keras_step(batch, labels)
    loss, _ = model.loss_and_gradients(batch, labels)
    assert loss == pytest.approx(float(keras_loss), rel=1e-4, abs=1e-5)
    assert len(keras_gradients) == len(model.variable_gradients)
    for (key, gradient), keras_gradient in zip(
        model.variable_gradients.items(), keras_gradients, strict=True
    ):
        expected_gradient = np.asarray(keras_gradient)
        # float32 sums in another order: the output tolerance, relative to the largest gradient
        # (batch norm's gradients are small differences of large sums, e.g. two in a row).
        scale = max(1.0, float(np.max(np.abs(expected_gradient))))
        np.testing.assert_allclose(
            gradient, expected_gradient, rtol=1e-3, atol=OUTPUT_TOLERANCE * scale, err_msg=key
        )


EXAMPLE_FILES = [
    pytest.param(path, id=path.stem)
    for path in sorted(EXAMPLES.glob("*.yaml"))
    if analyze(path).ok and not any(refusal(layer) for layer in analyze(path).spec.layers)
]
"""The examples both Keras and NumPy build (not the 1998 LeNet-5, which Keras refuses)."""


@pytest.mark.parametrize("path", EXAMPLE_FILES)
def test_every_example_matches_keras(path: Path, keras: ModuleType, build: Build) -> None:
    compare(path, keras, build, np.random.default_rng(11))


# --------------------------------------------------------------------------- generated architectures

ACTIVATIONS = ["linear", "relu", "tanh", "sigmoid", "softmax", "elu", "leaky_relu", "relu6"]
MODES = ["zeros", "replicate", "reflect"]


def pairs(low: int, high: int) -> st.SearchStrategy[list[int]]:
    return st.lists(st.integers(low, high), min_size=2, max_size=2)


@st.composite
def explicit_padding(draw: st.DrawFn) -> list[list[int]]:
    return [draw(pairs(0, 2)), draw(pairs(0, 2))]


@st.composite
def conv(draw: st.DrawFn, channels: int) -> dict[str, Any]:
    layer: dict[str, Any] = {
        "type": "conv2d",
        "filters": draw(st.integers(1, 4)) * 2,
        "kernel_size": draw(pairs(1, 3)),
    }
    if draw(st.booleans()):
        layer["strides"] = draw(pairs(1, 2))
    elif draw(st.booleans()):
        layer["dilation_rate"] = draw(pairs(1, 2))
    layer["padding"] = draw(st.one_of(st.sampled_from(["valid", "same"]), explicit_padding()))
    layer["padding_mode"] = draw(st.sampled_from(MODES))
    if channels % 2 == 0 and draw(st.booleans()):
        layer["groups"] = 2
    layer["use_bias"] = draw(st.booleans())
    layer["activation"] = draw(st.sampled_from(ACTIVATIONS))
    return layer


@st.composite
def pool(draw: st.DrawFn) -> dict[str, Any]:
    layer: dict[str, Any] = {
        "type": draw(st.sampled_from(["maxpool2d", "avgpool2d"])),
        "pool_size": draw(pairs(1, 3)),
    }
    if draw(st.booleans()):
        layer["strides"] = draw(pairs(1, 3))
    kind = draw(st.sampled_from(["valid", "same", "explicit"]))
    if kind == "explicit":
        layer["padding"] = draw(explicit_padding())
        layer["padding_mode"] = draw(st.sampled_from(MODES))
    else:  # `same` pools ignore padded cells whatever the mode (docs/spec.md): zeros only here
        layer["padding"] = kind
    return layer


@st.composite
def architecture(draw: st.DrawFn) -> dict[str, Any]:
    """A small network of every layer type, in either data format, ending in a dense head."""
    data_format = draw(st.sampled_from(["channels_last", "channels_first"]))
    height, width, channels = draw(st.integers(5, 11)), draw(st.integers(5, 11)), draw(st.integers(1, 4))
    layers: list[dict[str, Any]] = []
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(
            st.sampled_from(
                ["conv", "conv", "pool", "batchnorm", "dropout", "activation", "zeropad", "dense"]
            )
        )
        if kind == "conv":
            layers.append(draw(conv(channels)))
            channels = layers[-1]["filters"]
        elif kind == "pool":
            layers.append(draw(pool()))
        elif kind == "batchnorm":
            layers.append(
                {"type": "batchnorm", "momentum": 0.9, "epsilon": draw(st.sampled_from([1e-3, 0.1]))}
            )
        elif kind == "dropout":
            layers.append({"type": "dropout", "rate": 0.3})
        elif kind == "activation":
            layers.append({"type": "activation", "activation": draw(st.sampled_from(ACTIVATIONS))})
        elif kind == "zeropad":
            layers.append({"type": "zeropad2d", "padding": draw(explicit_padding())})
        else:  # dense on the feature map: the last axis (channels, or the width if channels_first)
            layers.append(
                {
                    "type": "dense",
                    "units": 2 * draw(st.integers(1, 3)),
                    "activation": draw(st.sampled_from(ACTIVATIONS)),
                }
            )
            channels = layers[-1]["units"] if data_format == "channels_last" else channels
    head = draw(st.sampled_from(["globalavgpool2d", "globalmaxpool2d", "map", "flatten"]))
    if head != "map":
        layers.append({"type": head})
    layers.append(
        {
            "type": "dense",
            "units": draw(st.integers(2, 5)),
            "activation": draw(st.sampled_from(["softmax", "linear", "tanh"])),
        }
    )
    shape = [height, width, channels] if data_format == "channels_last" else [channels, height, width]
    return {"input": shape, "data_format": data_format, "layers": layers}


def square_channels_first_map(spec: Any) -> bool:
    """Whether a channels_first layer outputs a map as wide as it has channels: TensorFlow 2.21 on
    CPU then mistakes its layout (see the test below)."""
    analysis = analyze(spec)
    return analysis.data_format == "channels_first" and any(
        shape is not None and len(shape) == 3 and shape[0] == shape[2]
        for shape in (record.output_shape for record in analysis.layers)
    )


@pytest.mark.xfail(
    strict=True,
    reason="TensorFlow 2.21 on CPU: the conv bias gradient of a channels_first map as wide as it has channels is wrong",
)
def test_tensorflow_mistakes_a_channels_first_map_as_wide_as_deep(keras: ModuleType, build: Build) -> None:
    # 6 filters over an output 6 wide. The same model channels_last (or 7 wide) agrees with NumPy.
    spec = {
        "input": [3, 9, 8],
        "data_format": "channels_first",
        "layers": [
            {"type": "conv2d", "filters": 6, "kernel_size": 3},
            {"type": "globalavgpool2d"},
            {"type": "dense", "units": 2},
        ],
    }
    assert square_channels_first_map(spec)
    compare(spec, keras, build, np.random.default_rng(1))


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]
)
@given(spec=architecture())
def test_generated_architectures_match_keras(spec: dict[str, Any], keras: ModuleType, build: Build) -> None:
    assume(analyze(spec).ok and not square_channels_first_map(spec))
    from cnncalc.backends.keras.build import KerasRejection

    try:
        build(spec)
    except KerasRejection:
        assume(False)
    compare(spec, keras, build, np.random.default_rng(3))

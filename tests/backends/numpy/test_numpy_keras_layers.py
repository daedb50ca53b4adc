"""Every layer case of test_numpy_layers against Keras itself: outputs, and the gradients of the
input and of every weight for a random output gradient, float32, within the output tolerance.

The Keras side is built here, from Keras' own classes with the spec's fields as arguments (the
spec language names them as Keras does), not through cnncalc's Keras bridge: an oracle that shares
no code with either backend.
"""

from __future__ import annotations

import inspect
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from cnncalc.api import load
from cnncalc.backends.numpy.model import NumpyModel
from cnncalc.spec.models import (
    BatchNorm,
    Concatenate,
    ConvLayer,
    Dropout,
    GaussianNoise,
    LayerBase,
    Normalization,
    Pool2D,
    Rescaling,
    Softmax,
    SpatialDropout2D,
)
from tests.backends.numpy.test_numpy_layers import CASES, gradient_graph, to_internal, to_public

pytestmark = pytest.mark.keras

OUTPUT_TOLERANCE = 1e-4
RANDOM = (Dropout, SpatialDropout2D, GaussianNoise)
"""Layers whose draws the two frameworks cannot share: compared in inference mode."""
SKIPPED_FIELDS = {"type", "name", "inputs", "padding_mode"}


def keras_arguments(layer: LayerBase, data_format: str, rank: int) -> dict[str, Any]:
    """The Keras constructor arguments of a spec layer: its fields, as Keras spells their values."""
    arguments: dict[str, Any] = {
        key: list(value) if isinstance(value, tuple) and key in ("axis", "shared_axes") else value
        for key, value in layer.model_dump().items()
        if key not in SKIPPED_FIELDS
    }
    if isinstance(layer, BatchNorm):
        arguments["axis"] = 1 if data_format == "channels_first" and rank == 3 else -1
    if isinstance(layer, Concatenate) and layer.axis is None:
        arguments["axis"] = 1 if data_format == "channels_first" and rank == 3 else -1
    if isinstance(layer, Softmax):
        arguments["axis"] = layer.axis[0] if len(layer.axis) == 1 else layer.axis
    if isinstance(layer, Rescaling | Normalization):
        for key in ("scale", "offset", "mean", "variance"):
            if arguments.get(key) is not None:
                values = list(arguments[key])
                arguments[key] = values[0] if len(values) == 1 else values
    return arguments


def explicit_padding(layer: LayerBase) -> bool:
    return isinstance(layer, ConvLayer | Pool2D) and (
        not isinstance(layer.padding, str) or layer.padding_mode != "zeros"
    )


KERAS_CASES = [
    case for case, spec in CASES.items() if not any(explicit_padding(layer) for layer in load(spec).layers)
]
"""The cases Keras builds from its own layers alone (explicit padding takes cnncalc's padding layer)."""


def keras_model(keras: ModuleType, spec: dict[str, Any]) -> Any:
    loaded = load(spec)
    tensors = {"input": keras.Input(loaded.input)}
    for layer in loaded.layers:
        cls = getattr(keras.layers, layer.keras_class)
        sources = [tensors[name] for name in layer.inputs]
        rank = len(sources[0].shape) - 1
        arguments = keras_arguments(layer, loaded.data_format, rank)
        if "data_format" in inspect.signature(cls).parameters:
            arguments["data_format"] = loaded.data_format
        tensors[layer.name or ""] = cls(name=layer.name, **arguments)(
            sources if len(sources) > 1 else sources[0]
        )
    return keras.Model(tensors["input"], tensors[loaded.outputs[0]])


@pytest.mark.parametrize("case", KERAS_CASES)
def test_layer_matches_keras(case: str, keras: ModuleType) -> None:
    import tensorflow as tf  # type: ignore[import-untyped]

    rng = np.random.default_rng(5)
    spec = CASES[case]
    model = NumpyModel(spec, workers=1)
    for name, value in model.variables.items():
        if name.endswith("variance"):
            value[...] = rng.uniform(0.5, 2.0, value.shape)
        else:
            value[...] = rng.standard_normal(value.shape) * (0.5 if name.endswith("kernel") else 1.0)
    reference = keras_model(keras, spec)
    reference.set_weights(model.get_weights())
    for layer in reference.layers:  # Normalization computes its mean and variance from the weights here
        if isinstance(layer, keras.layers.Normalization):
            layer.finalize_state()
    data_format = model.analysis.data_format
    x = rng.standard_normal((4, *model.analysis.input_shape)).astype(np.float32)
    training = not any(isinstance(layer, RANDOM) for layer in load(spec).layers)
    dy = rng.standard_normal((4, *model.output_shape)).astype(np.float32)

    # On this CPU TensorFlow has no channels_first convolution: XLA compiles one.
    @tf.function(jit_compile=data_format == "channels_first")  # type: ignore[untyped-decorator]
    def keras_pass(inputs: Any, output_gradient: Any) -> Any:
        with tf.GradientTape() as tape:
            tape.watch(inputs)
            outputs = reference(inputs, training=training)
        weights = reference.trainable_weights
        return outputs, tape.gradient(outputs, [inputs, *weights], output_gradients=output_gradient)

    expected, (expected_dx, *expected_grads) = keras_pass(tf.constant(x), tf.constant(dy))
    graph, grads = gradient_graph(model)
    y = graph.forward(to_internal(x, data_format), training)
    np.testing.assert_allclose(to_public(y, data_format), expected.numpy(), atol=OUTPUT_TOLERANCE, rtol=1e-4)
    dx = graph.backward(to_internal(dy, data_format).copy())
    assert dx is not None
    scale = max(1.0, float(np.abs(expected_dx).max()))
    np.testing.assert_allclose(
        to_public(dx, data_format), expected_dx.numpy(), atol=OUTPUT_TOLERANCE * scale, rtol=1e-3
    )
    for weight, expected_grad in zip(reference.trainable_weights, expected_grads, strict=True):
        scale = max(1.0, float(np.abs(expected_grad).max()))
        np.testing.assert_allclose(
            grads[weight.path],
            expected_grad.numpy(),
            atol=OUTPUT_TOLERANCE * scale,
            rtol=1e-3,
            err_msg=weight.path,
        )
    assert len(reference.trainable_weights) == len(grads)

"""Every layer case of test_numpy_layers against Keras itself: outputs, and the gradients of the
input and of every weight for a random output gradient, float32, within the output tolerance. The
Keras side is built from Keras' own classes (:mod:`keras_reference`), not through the bridge."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np
import pytest

from cnncalc.api import load
from cnncalc.backends.numpy.model import NumpyModel
from cnncalc.spec.models import Dropout, GaussianNoise, SpatialDropout2D
from tests.backends.numpy.keras_reference import keras_buildable, keras_model, load_into, weight_key
from tests.backends.numpy.test_numpy_layers import CASES, gradient_graph, to_internal, to_public

pytestmark = pytest.mark.keras

OUTPUT_TOLERANCE = 1e-4
RANDOM = (Dropout, SpatialDropout2D, GaussianNoise)
"""Layers whose draws the two frameworks cannot share: compared in inference mode."""
KERAS_CASES = [case for case, spec in CASES.items() if keras_buildable(spec)]
"""The cases Keras builds from its own layers alone (other padding modes take cnncalc's layer)."""


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
    load_into(reference, keras, model)
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
            grads[weight_key(weight)],
            expected_grad.numpy(),
            atol=OUTPUT_TOLERANCE * scale,
            rtol=1e-3,
            err_msg=weight.path,
        )
    assert len(reference.trainable_weights) == len(grads)

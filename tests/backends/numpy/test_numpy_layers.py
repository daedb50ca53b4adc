"""The layer classes: built from analysis records, checked by finite differences for every
layer type and padding mode, and their wiring (padding split, data formats) by hand."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from cnncalc.api import analyze, load
from cnncalc.backends.numpy.graph import Graph
from cnncalc.backends.numpy.kernels import conv
from cnncalc.backends.numpy.layers import (
    LAYERS,
    ActivationLayer,
    DenseLayer,
    LayerContext,
    RandomLayer,
    unsupported,
)
from cnncalc.backends.numpy.model import NumpyModel
from cnncalc.errors import CnncalcError
from cnncalc.shapes.records import LayerRecord
from cnncalc.spec.models import LAYER_TYPES, RBF, AdaptiveAvgPool2D, AdaptiveMaxPool2D, LayerBase, Subsample2D
from tests.backends.numpy.numpy_backend_testing import check_gradients, internal, nhwc
from tests.conftest import EXAMPLES

# Each case: one or two spec layers on a small input; every layer class appears, and every
# padding form (valid, same with an odd split, explicit asymmetric) with every padding mode.
CASES: dict[str, dict[str, Any]] = {
    "conv-valid-strided-relu": {
        "input": [7, 6, 2],
        "layers": [
            {"type": "conv2d", "filters": 3, "kernel_size": [3, 2], "strides": [2, 1], "activation": "relu"}
        ],
    },
    "conv-same-odd-split-tanh": {
        "input": [7, 6, 2],
        "layers": [
            {
                "type": "conv2d",
                "filters": 3,
                "kernel_size": 4,
                "strides": 2,
                "padding": "same",
                "activation": "tanh",
            }
        ],
    },
    "conv-same-replicate": {
        "input": [6, 5, 2],
        "layers": [
            {"type": "conv2d", "filters": 2, "kernel_size": 4, "padding": "same", "padding_mode": "replicate"}
        ],
    },
    "conv-same-reflect-dilated": {
        "input": [7, 7, 1],
        "layers": [
            {
                "type": "conv2d",
                "filters": 2,
                "kernel_size": 3,
                "dilation_rate": 2,
                "padding": "same",
                "padding_mode": "reflect",
            }
        ],
    },
    "conv-explicit-zeros-groups-no-bias": {
        "input": [5, 6, 4],
        "layers": [
            {
                "type": "conv2d",
                "filters": 4,
                "kernel_size": 3,
                "groups": 2,
                "padding": [[1, 0], [2, 1]],
                "use_bias": False,
            }
        ],
    },
    "conv-explicit-replicate-elu": {
        "input": [5, 6, 2],
        "layers": [
            {
                "type": "conv2d",
                "filters": 3,
                "kernel_size": 3,
                "padding": [[2, 0], [0, 1]],
                "padding_mode": "replicate",
                "activation": "elu",
            }
        ],
    },
    "conv-explicit-reflect": {
        "input": [5, 6, 2],
        "layers": [
            {
                "type": "conv2d",
                "filters": 3,
                "kernel_size": 2,
                "padding": [[1, 2], [2, 1]],
                "padding_mode": "reflect",
            }
        ],
    },
    "conv-channels-first-sigmoid": {
        "input": [2, 6, 5],
        "data_format": "channels_first",
        "layers": [
            {"type": "conv2d", "filters": 3, "kernel_size": 3, "padding": "same", "activation": "sigmoid"}
        ],
    },
    "maxpool-valid-overlapping": {
        "input": [7, 6, 2],
        "layers": [{"type": "maxpool2d", "pool_size": 3, "strides": [2, 1]}],
    },
    "maxpool-same": {
        "input": [7, 5, 2],
        "layers": [{"type": "maxpool2d", "pool_size": 2, "padding": "same"}],
    },
    "maxpool-explicit-zeros": {
        "input": [5, 6, 2],
        "layers": [{"type": "maxpool2d", "pool_size": 2, "padding": [[1, 0], [0, 1]]}],
    },
    "maxpool-explicit-replicate": {
        "input": [5, 6, 2],
        "layers": [
            {"type": "maxpool2d", "pool_size": 3, "strides": 2, "padding": 1, "padding_mode": "replicate"}
        ],
    },
    "maxpool-explicit-reflect": {
        "input": [5, 6, 2],
        "layers": [
            {"type": "maxpool2d", "pool_size": 2, "padding": [[1, 1], [0, 1]], "padding_mode": "reflect"}
        ],
    },
    "avgpool-valid": {"input": [6, 7, 2], "layers": [{"type": "avgpool2d", "pool_size": [2, 3]}]},
    "avgpool-same": {
        "input": [7, 5, 2],
        "layers": [{"type": "avgpool2d", "pool_size": 3, "strides": 2, "padding": "same"}],
    },
    "avgpool-explicit-zeros": {
        "input": [5, 6, 2],
        "layers": [{"type": "avgpool2d", "pool_size": 2, "padding": [[1, 0], [0, 1]]}],
    },
    "avgpool-explicit-replicate": {
        "input": [5, 6, 2],
        "layers": [{"type": "avgpool2d", "pool_size": 2, "padding": 1, "padding_mode": "replicate"}],
    },
    "avgpool-explicit-reflect-channels-first": {
        "input": [2, 5, 6],
        "data_format": "channels_first",
        "layers": [
            {"type": "avgpool2d", "pool_size": 3, "strides": 2, "padding": 1, "padding_mode": "reflect"}
        ],
    },
    "dense-flat-relu6": {"input": [7], "layers": [{"type": "dense", "units": 4, "activation": "relu6"}]},
    "dense-rank3-channels-last-leaky": {
        "input": [3, 4, 5],
        "layers": [{"type": "dense", "units": 2, "activation": "leaky_relu"}],
    },
    "dense-rank3-channels-first-softmax": {
        "input": [3, 4, 5],
        "data_format": "channels_first",
        "layers": [{"type": "dense", "units": 2, "activation": "softmax"}],
    },
    "flatten-channels-last": {"input": [3, 4, 2], "layers": [{"type": "flatten"}]},
    "flatten-channels-first": {
        "input": [2, 3, 4],
        "data_format": "channels_first",
        "layers": [{"type": "flatten"}],
    },
    "flatten-flat": {"input": [6], "layers": [{"type": "flatten"}]},
    "dropout": {"input": [4, 3, 2], "layers": [{"type": "dropout", "rate": 0.4}]},
    "activation-softmax-channels-first": {
        "input": [2, 3, 4],
        "data_format": "channels_first",
        "layers": [{"type": "activation", "activation": "softmax"}],
    },
    "activation-tanh-after-maxpool": {
        "input": [4, 4, 2],
        "layers": [{"type": "maxpool2d"}, {"type": "activation", "activation": "tanh"}],
    },
    "batchnorm-channels-last": {
        "input": [3, 4, 2],
        "layers": [{"type": "batchnorm", "momentum": 0.9, "epsilon": 0.01}],
    },
    "batchnorm-channels-first": {
        "input": [2, 3, 4],
        "data_format": "channels_first",
        "layers": [{"type": "batchnorm"}],
    },
    "batchnorm-flat": {"input": [5], "layers": [{"type": "batchnorm"}]},
    "globalavgpool": {"input": [3, 4, 2], "layers": [{"type": "globalavgpool2d"}]},
    "globalmaxpool-channels-first": {
        "input": [2, 3, 4],
        "data_format": "channels_first",
        "layers": [{"type": "globalmaxpool2d"}],
    },
    "zeropad": {"input": [3, 4, 2], "layers": [{"type": "zeropad2d", "padding": [[1, 2], [0, 3]]}]},
    # --- the graph issue's layer types
    "depthwise-strided-multiplier-relu": {
        "input": [7, 6, 2],
        "layers": [
            {
                "type": "depthwiseconv2d",
                "kernel_size": 3,
                "strides": 2,
                "depth_multiplier": 2,
                "activation": "relu",
            }
        ],
    },
    "depthwise-same-dilated-reflect-no-bias-channels-first": {
        "input": [3, 7, 6],
        "data_format": "channels_first",
        "layers": [
            {
                "type": "depthwiseconv2d",
                "kernel_size": [3, 2],
                "dilation_rate": 2,
                "padding": "same",
                "padding_mode": "reflect",
                "use_bias": False,
            }
        ],
    },
    "separable-same-multiplier-gelu": {
        "input": [6, 5, 2],
        "layers": [
            {
                "type": "separableconv2d",
                "filters": 3,
                "kernel_size": 3,
                "depth_multiplier": 2,
                "padding": "same",
                "activation": "gelu",
            }
        ],
    },
    "separable-explicit-replicate-channels-first": {
        "input": [2, 6, 5],
        "data_format": "channels_first",
        "layers": [
            {
                "type": "separableconv2d",
                "filters": 4,
                "kernel_size": 2,
                "strides": 2,
                "padding": [[1, 0], [0, 1]],
                "padding_mode": "replicate",
                "use_bias": False,
            }
        ],
    },
    "transpose-valid-strided": {
        "input": [3, 4, 2],
        "layers": [{"type": "conv2dtranspose", "filters": 3, "kernel_size": 3, "strides": 2}],
    },
    "transpose-valid-stride-above-kernel": {  # (I − 1)·3 + max(2, 3): a zero row between windows
        "input": [3, 4, 2],
        "layers": [{"type": "conv2dtranspose", "filters": 2, "kernel_size": 2, "strides": 3}],
    },
    "transpose-same-output-padding-tanh": {
        "input": [3, 4, 2],
        "layers": [
            {
                "type": "conv2dtranspose",
                "filters": 2,
                "kernel_size": [3, 4],
                "strides": 2,
                "padding": "same",
                "output_padding": [0, 1],
                "activation": "tanh",
            }
        ],
    },
    "transpose-same-dilated-channels-first": {
        "input": [2, 4, 3],
        "data_format": "channels_first",
        "layers": [
            {
                "type": "conv2dtranspose",
                "filters": 3,
                "kernel_size": 3,
                "dilation_rate": 2,
                "padding": "same",
                "use_bias": False,
            }
        ],
    },
    "upsampling-nearest": {"input": [3, 2, 2], "layers": [{"type": "upsampling2d", "size": [2, 3]}]},
    "upsampling-bilinear": {
        "input": [3, 4, 2],
        "layers": [{"type": "upsampling2d", "size": 2, "interpolation": "bilinear"}],
    },
    "upsampling-bilinear-channels-first": {
        "input": [2, 3, 2],
        "data_format": "channels_first",
        "layers": [{"type": "upsampling2d", "size": [3, 2], "interpolation": "bilinear"}],
    },
    "cropping": {"input": [5, 6, 2], "layers": [{"type": "cropping2d", "cropping": [[1, 0], [2, 1]]}]},
    "cropping-channels-first": {
        "input": [2, 5, 4],
        "data_format": "channels_first",
        "layers": [{"type": "cropping2d", "cropping": 1}],
    },
    "reshape-map-to-matrix": {"input": [3, 4, 2], "layers": [{"type": "reshape", "target_shape": [8, 3]}]},
    "reshape-channels-first-then-flatten": {
        "input": [2, 3, 4],
        "data_format": "channels_first",
        "layers": [
            {"type": "reshape", "target_shape": [4, -1]},
            {"type": "flatten"},
            {"type": "reshape", "target_shape": [3, 2, 4]},
        ],
    },
    "rescaling-per-channel": {
        "input": [3, 2, 3],
        "layers": [{"type": "rescaling", "scale": [0.5, -2.0, 3.0], "offset": 0.25}],
    },
    "rescaling-channels-first-on-the-width": {
        "input": [2, 3, 2],
        "data_format": "channels_first",
        "layers": [{"type": "rescaling", "scale": [2.0, -1.0], "offset": [1.0, 0.5]}],
    },
    "layerscale-channels-last": {"input": [2, 3, 4], "layers": [{"type": "layerscale", "init_values": 1e-6}]},
    "layerscale-channels-first-on-the-width": {
        "input": [2, 3, 2],
        "data_format": "channels_first",
        "layers": [{"type": "layerscale", "init_values": 0.5}],
    },
    "normalization-adapted-weights": {"input": [3, 2, 3], "layers": [{"type": "normalization"}]},
    "normalization-given-per-channel-invert": {
        "input": [2, 3, 3],
        "layers": [
            {"type": "normalization", "mean": [0.5, -1.0, 2.0], "variance": [4.0, 0.25, 9.0], "invert": True}
        ],
    },
    "normalization-given-two-axes": {
        "input": [2, 3, 2],
        "layers": [{"type": "normalization", "axis": [1, 3], "mean": 0.5, "variance": 4.0}],
    },
    "normalization-one-mean-channels-first": {
        "input": [2, 3, 2],
        "data_format": "channels_first",
        "layers": [{"type": "normalization", "axis": None, "mean": 1.5, "variance": 0.5}],
    },
    "layernorm-last-axis": {"input": [3, 2, 4], "layers": [{"type": "layernorm"}]},
    "layernorm-all-axes-no-center": {
        "input": [3, 2, 4],
        "layers": [{"type": "layernorm", "axis": [1, 2, 3], "center": False, "epsilon": 0.01}],
    },
    "layernorm-two-axes-no-scale-channels-first": {
        "input": [2, 3, 4],
        "data_format": "channels_first",
        "layers": [{"type": "layernorm", "axis": [1, 3], "scale": False}],
    },
    "layernorm-rms-scaling": {"input": [5], "layers": [{"type": "layernorm", "rms_scaling": True}]},
    "relu-layer-ceiling": {"input": [3, 3, 2], "layers": [{"type": "relu", "max_value": 0.5}]},
    "relu-layer-threshold-slope-ceiling": {
        "input": [3, 3, 2],
        "layers": [{"type": "relu", "threshold": 0.3, "negative_slope": 0.2, "max_value": 1.2}],
    },
    "relu-layer-relu6-slope": {
        "input": [6],
        "layers": [{"type": "relu", "max_value": 6, "negative_slope": 0.1}],
    },
    "leakyrelu-default": {"input": [3, 3, 2], "layers": [{"type": "leakyrelu"}]},
    "leakyrelu-steep": {"input": [5], "layers": [{"type": "leakyrelu", "negative_slope": 1.5}]},
    "prelu-per-value": {"input": [3, 2, 2], "layers": [{"type": "prelu"}]},
    "prelu-shared-spatial-channels-first": {
        "input": [2, 3, 2],
        "data_format": "channels_first",
        "layers": [{"type": "prelu", "shared_axes": [2, 3]}],
    },
    "softmax-layer-two-axes": {"input": [3, 2, 4], "layers": [{"type": "softmax", "axis": [1, 2]}]},
    "softmax-layer-channels-first-last-axis": {
        "input": [2, 3, 4],
        "data_format": "channels_first",
        "layers": [{"type": "softmax"}],
    },
    "spatial-dropout": {"input": [3, 3, 4], "layers": [{"type": "spatialdropout2d", "rate": 0.5}]},
    "spatial-dropout-channels-first": {
        "input": [4, 3, 2],
        "data_format": "channels_first",
        "layers": [{"type": "spatialdropout2d", "rate": 0.3}],
    },
    "gaussian-noise": {"input": [3, 2, 2], "layers": [{"type": "gaussiannoise", "stddev": 0.5}]},
    "identity": {"input": [3, 2, 2], "layers": [{"type": "identity"}]},
    "globalavgpool-keepdims": {"input": [3, 4, 2], "layers": [{"type": "globalavgpool2d", "keepdims": True}]},
    "globalmaxpool-keepdims-channels-first": {
        "input": [2, 3, 4],
        "data_format": "channels_first",
        "layers": [{"type": "globalmaxpool2d", "keepdims": True}],
    },
    "batchnorm-no-center": {"input": [3, 2, 2], "layers": [{"type": "batchnorm", "center": False}]},
    "batchnorm-no-scale-no-center": {
        "input": [2, 3, 2],
        "data_format": "channels_first",
        "layers": [{"type": "batchnorm", "scale": False, "center": False}],
    },
    "dense-sparsemax-on-a-channels-first-width": {
        "input": [2, 3, 4],
        "data_format": "channels_first",
        "layers": [{"type": "dense", "units": 3, "activation": "sparsemax"}],
    },
    "activation-mish-after-maxpool": {
        "input": [4, 4, 2],
        "layers": [{"type": "maxpool2d"}, {"type": "activation", "activation": "mish"}],
    },
    # --- merges, and values read by several layers (fan-out)
    "add-residual": {
        "input": [4, 4, 2],
        "layers": [
            {"type": "conv2d", "filters": 2, "kernel_size": 3, "padding": "same", "activation": "relu"},
            {"type": "add", "inputs": ["input", "conv2d"]},
            {"type": "activation", "activation": "tanh"},
        ],
    },
    "add-a-value-twice-then-in-place-relu": {
        "input": [3, 3, 2],
        "layers": [
            {"type": "conv2d", "name": "c", "filters": 2, "kernel_size": 1},
            {"type": "add", "inputs": ["c", "c", "input"]},
            {"type": "relu"},
        ],
    },
    "fan-out-to-two-convolutions": {
        "input": [4, 3, 2],
        "layers": [
            {"type": "conv2d", "name": "a", "filters": 3, "kernel_size": 1, "activation": "elu"},
            {"type": "conv2d", "name": "b", "filters": 3, "kernel_size": 2, "padding": "same", "inputs": "a"},
            {
                "type": "conv2d",
                "name": "c",
                "filters": 3,
                "kernel_size": 1,
                "inputs": "a",
                "activation": "relu",
            },
            {"type": "subtract", "inputs": ["b", "c"]},
        ],
    },
    "squeeze-and-excitation": {
        "input": [4, 4, 3],
        "layers": [
            {"type": "conv2d", "name": "features", "filters": 4, "kernel_size": 3, "padding": "same"},
            {"type": "globalavgpool2d", "keepdims": True},
            {"type": "conv2d", "filters": 2, "kernel_size": 1, "activation": "silu"},
            {"type": "conv2d", "name": "gate", "filters": 4, "kernel_size": 1, "activation": "sigmoid"},
            {"type": "multiply", "inputs": ["features", "gate"]},
        ],
    },
    "multiply-three-broadcast-vector-channels-first": {
        "input": [2, 3, 4],
        "data_format": "channels_first",
        "layers": [
            {"type": "globalavgpool2d"},
            {"type": "dense", "name": "gate", "units": 4, "activation": "tanh"},
            {"type": "multiply", "inputs": ["input", "gate", "input"]},
        ],
    },
    "average-maximum-minimum-with-ties": {
        "input": [3, 3, 2],
        "layers": [
            {"type": "relu", "name": "r"},
            {"type": "maximum", "inputs": ["input", "r", "input"]},
            {"type": "minimum", "name": "low", "inputs": ["r", "input"]},
            {"type": "average", "inputs": ["maximum", "low", "r"]},
        ],
    },
    "concatenate-channels-and-itself": {
        "input": [3, 3, 2],
        "layers": [
            {"type": "conv2d", "filters": 3, "kernel_size": 1, "activation": "relu"},
            {"type": "concatenate", "inputs": ["conv2d", "input", "conv2d"]},
            {"type": "conv2d", "filters": 2, "kernel_size": 1, "activation": "tanh"},
        ],
    },
    "concatenate-heights-channels-first": {
        "input": [2, 3, 4],
        "data_format": "channels_first",
        "layers": [
            {"type": "cropping2d", "cropping": [[1, 0], [0, 0]]},
            {"type": "concatenate", "axis": 2, "inputs": ["input", "cropping2d"]},
            {"type": "layernorm", "axis": 1},
        ],
    },
    "concatenate-last-axis-of-vectors": {
        "input": [4],
        "layers": [
            {"type": "dense", "units": 3, "activation": "softsign"},
            {"type": "concatenate", "inputs": ["dense", "input"]},
        ],
    },
}


def to_internal(x: np.ndarray, data_format: str) -> np.ndarray:
    """Public batch → internal, written independently: channels_first ``(N, C, H, W)`` is
    channels_last ``(N, H, W, C)`` with the channel axis moved."""
    if x.ndim == 4 and data_format == "channels_first":
        x = np.moveaxis(x, 1, -1)
    return internal(x)


def to_public(y: np.ndarray, data_format: str) -> np.ndarray:
    public = nhwc(y)
    return np.moveaxis(public, -1, 1) if y.ndim == 4 and data_format == "channels_first" else public


def build(spec: dict[str, Any], rng: np.random.Generator) -> tuple[NumpyModel, np.ndarray]:
    """A float64 model of ``spec`` with random weights (not Keras' initial ones, which hide
    mistakes: zero biases, unit gammas), and a random internal input batch of 3."""
    model = NumpyModel(spec, seed=1, dtype=np.float64, workers=1)
    for name, value in model.variables.items():
        if name.endswith("variance"):  # moving_variance, Normalization's variance
            value[...] = rng.uniform(0.5, 2.0, value.shape)
        else:
            value[...] = rng.standard_normal(value.shape)
    x = rng.standard_normal((3, *model.analysis.input_shape))
    return model, to_internal(x, model.analysis.data_format)


def gradient_graph(model: NumpyModel) -> tuple[Graph, dict[str, np.ndarray]]:
    """A second graph on the model's weights that also computes the input's gradient, and its
    weight gradients by ``"<layer>/<weight>"``."""
    grads = {key: np.zeros_like(value) for key, value in model.variable_gradients.items()}

    def context(record: LayerRecord) -> LayerContext:
        weights = record.weights or ()
        params = {w.name: model.variables[f"{record.name}/{w.name}"] for w in weights}
        own = {w.name: grads[f"{record.name}/{w.name}"] for w in weights if w.trainable}
        return LayerContext(model.analysis.data_format, params, own, np.random.default_rng(7))

    return Graph(model.analysis, context, input_gradient=True), grads


@pytest.mark.parametrize("case", CASES)
def test_layers_by_finite_differences(case: str, rng: np.random.Generator) -> None:
    model, x = build(CASES[case], rng)
    graph, grads = gradient_graph(model)
    weights = {key: model.variables[key] for key in grads}

    def forward() -> np.ndarray:
        for layer in graph.layers:
            if isinstance(layer, RandomLayer):  # the same mask and noise at every evaluation
                layer.rng = np.random.default_rng(7)
        return graph.forward(x, True).copy()

    def backward(dy: np.ndarray) -> dict[str, np.ndarray]:
        forward()
        dx = graph.backward(dy)
        assert dx is not None
        return {"x": dx.copy()} | {key: grad.copy() for key, grad in grads.items()}

    check_gradients(forward, backward, {"x": x} | weights, rng)


REFUSED: dict[type[LayerBase], tuple[str, dict[str, Any]]] = {
    AdaptiveAvgPool2D: (
        "PyTorch's adaptive pooling (torchvision's AlexNet and VGG): no kernel yet",
        {"input": [6, 6, 1], "layers": [{"type": "adaptiveavgpool2d", "output_size": 4}]},
    ),
    AdaptiveMaxPool2D: (
        "PyTorch's adaptive pooling: no kernel yet",
        {"input": [6, 6, 1], "layers": [{"type": "adaptivemaxpool2d", "output_size": 4}]},
    ),
    Subsample2D: (
        "LeNet-5's (1998) trainable subsampling: Keras has no such layer to check it against",
        {"input": [4, 4, 1], "layers": [{"type": "subsample2d"}]},
    ),
    RBF: (
        "LeNet-5's (1998) radial basis output, which its paper trains with a loss of its own, not "
        "the cross-entropy both backends train with",
        {"input": [4], "layers": [{"type": "rbf", "units": 2}]},
    ),
}
"""The spec types the NumPy backend refuses by name, deliberately, and why (as the convolution with
a connections table: tests/test_lenet5_1998.py)."""


def test_every_spec_type_has_a_layer_class_or_is_refused_and_is_covered_here() -> None:
    assert set(LAYERS) | set(REFUSED) == set(LAYER_TYPES)
    assert not set(LAYERS) & set(REFUSED)
    covered = {load(spec).layers[i].type for spec in CASES.values() for i in range(len(spec["layers"]))}
    assert covered == {cls.model_fields["type"].default for cls in LAYER_TYPES if cls not in REFUSED}


@pytest.mark.parametrize("refused", REFUSED, ids=lambda cls: cls.keras_class)
def test_refused_types_are_refused_by_name_before_any_weight(refused: type[LayerBase]) -> None:
    _, spec = REFUSED[refused]
    with pytest.raises(CnncalcError, match=rf"the NumPy backend cannot run {refused.keras_class} \("):
        NumpyModel(spec)


def test_conv_same_takes_the_split_from_the_analysis(rng: np.random.Generator) -> None:
    # Keras' same on 7 x 6, kernel 4, stride 2: output ceil(7/2) = 4 x ceil(6/2) = 3; total
    # padding (4 - 1)*2 + 4 - 7 = 3 rows → 1 top, 2 bottom; (3 - 1)*2 + 4 - 6 = 2 cols → 1, 1.
    model, x = build(CASES["conv-same-odd-split-tanh"], rng)
    y = model.layers[0].forward(x, False)
    expected, _ = conv.conv2d_forward(
        x,
        model.variables["conv2d/kernel"],
        model.variables["conv2d/bias"],
        strides=(2, 2),
        padding=((1, 2), (1, 1)),
    )
    assert y.shape == (3, 4, 3, 3)
    np.testing.assert_allclose(y, expected)


def test_dense_on_a_channels_first_map_acts_on_the_width(rng: np.random.Generator) -> None:
    # Keras' Dense contracts the last public axis: (N, C, H, W) @ (W, U) → (N, C, H, U).
    model, x = build(CASES["dense-rank3-channels-first-softmax"], rng)
    public = to_public(x, "channels_first")
    logits = public @ model.variables["dense/kernel"] + model.variables["dense/bias"]
    expected = np.exp(logits) / np.exp(logits).sum(axis=-1, keepdims=True)
    np.testing.assert_allclose(model.forward(public), expected, rtol=1e-12)
    assert isinstance(model.layers[0], DenseLayer)
    assert isinstance(model.layers[1], ActivationLayer)


def test_flatten_on_channels_first_uses_keras_order(rng: np.random.Generator) -> None:
    # Keras' Flatten moves channels last before flattening: (N, C, H, W) → (N, H, W, C) → (N, H*W*C).
    model, x = build(CASES["flatten-channels-first"], rng)
    public = to_public(x, "channels_first")
    np.testing.assert_array_equal(model.forward(public), public.transpose(0, 2, 3, 1).reshape(3, -1))


def test_pool_padding_semantics(rng: np.random.Generator) -> None:
    # same: padded cells are ignored; explicit zero padding: they count (max with 0, average / 4).
    x = -np.ones((1, 3, 3, 1))  # all cells -1, public layout
    same = NumpyModel(
        {"input": [3, 3, 1], "layers": [{"type": "maxpool2d", "padding": "same"}]}, dtype=np.float64
    )
    assert same.forward(x).ravel().tolist() == [-1.0] * 4
    explicit = NumpyModel(
        {"input": [3, 3, 1], "layers": [{"type": "avgpool2d", "padding": [[0, 1], [0, 1]]}]}, dtype=np.float64
    )
    # Windows of the padded 4 x 4: real cells 4, 2, 2, 1 → averages -4/4, -2/4, -2/4, -1/4.
    assert explicit.forward(x).ravel().tolist() == [-1.0, -0.5, -0.5, -0.25]


def test_a_standalone_activation_leaves_the_max_pool_output_alone(rng: np.random.Generator) -> None:
    # The max pool keeps its output to route gradients; an in-place tanh would corrupt it.
    model, x = build(CASES["activation-tanh-after-maxpool"], rng)
    pooled = model.layers[0].forward(x, True)
    before = pooled.copy()
    model.layers[1].forward(pooled, True)
    np.testing.assert_array_equal(pooled, before)


def internal_shape(shape: tuple[int, ...], data_format: str) -> tuple[int, ...]:
    """Engine shape (batch excluded) → the internal shape without its batch axis."""
    if len(shape) == 3 and data_format == "channels_last":
        return (shape[2], shape[0], shape[1])
    return shape


@pytest.mark.parametrize(
    "path", [*sorted(EXAMPLES.glob("*.yaml")), EXAMPLES / "zoo" / "mnist_resnet.yaml"], ids=lambda p: p.stem
)
def test_numpy_shapes_are_the_engines_for_every_example(path: Path, rng: np.random.Generator) -> None:
    analysis = analyze(path)
    if not analysis.ok:
        pytest.skip("the example has error diagnostics")
    if any(unsupported(record) for record in analysis.layers):
        pytest.skip("the example has layers the NumPy backend refuses (tests/test_lenet5_1998.py)")
    model = NumpyModel(analysis)
    # Weights: exactly the engine's names and Keras shapes, in order.
    engine = [(f"{r.name}/{w.name}", w.shape) for r in analysis.layers for w in r.weights or ()]
    assert [(key, value.shape) for key, value in model.variables.items()] == engine
    assert model.parameters.size == analysis.trainable_params
    assert model.state.size == analysis.non_trainable_params
    # Outputs: each layer's, as the engine computed them.
    x = to_internal(rng.random((2, *analysis.input_shape), dtype=np.float32), analysis.data_format)
    values = model._replicas[0].graph.values(x, True)
    for record, value in zip(analysis.layers, values[1:], strict=True):
        assert record.output_shape is not None
        assert value is not None
        assert value.shape == (*internal_shape(record.output_shape, analysis.data_format), 2)

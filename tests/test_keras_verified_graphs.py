"""Graphs and the layer types of modern CNNs, verified once by building the same layers in Keras 3.15 by hand.

Each case lists, per layer, the output shape (batch excluded) and the (trainable, non-trainable) counts
of the layer in a functional ``keras.Model`` built layer by layer (``keras.layers.<Class>(...)`` called on
its inputs), independently of cnncalc; the numbers are kept here.
"""

from __future__ import annotations

from typing import Any

import pytest

import cnncalc

CASES: dict[str, tuple[dict[str, Any], list[tuple[tuple[int, ...], int, int]]]] = {
    "residual add (last)": (
        {
            "input": [16, 12, 8],
            "data_format": "channels_last",
            "layers": [
                {"type": "conv2d", "filters": 8, "kernel_size": 3, "padding": "same", "name": "a"},
                {"type": "batchnorm", "name": "b"},
                {"type": "add", "inputs": ["input", "b"]},
                {"type": "conv2d", "filters": 16, "kernel_size": 1, "strides": 2, "name": "proj"},
                {
                    "type": "conv2d",
                    "filters": 16,
                    "kernel_size": 3,
                    "strides": 2,
                    "padding": "same",
                    "inputs": "add",
                    "name": "main",
                },
                {"type": "add", "inputs": ["proj", "main"], "name": "add2"},
            ],
        },
        [
            ((16, 12, 8), 584, 0),
            ((16, 12, 8), 16, 16),
            ((16, 12, 8), 0, 0),
            ((8, 6, 16), 144, 0),
            ((8, 6, 16), 1168, 0),
            ((8, 6, 16), 0, 0),
        ],
    ),
    "squeeze and excitation (last)": (
        {
            "input": [16, 12, 8],
            "data_format": "channels_last",
            "layers": [
                {"type": "globalavgpool2d", "keepdims": True},
                {"type": "conv2d", "filters": 2, "kernel_size": 1, "activation": "silu"},
                {"type": "conv2d", "filters": 8, "kernel_size": 1, "activation": "sigmoid"},
                {"type": "multiply", "inputs": ["input", "conv2d_1"]},
                {"type": "globalmaxpool2d", "keepdims": True, "name": "gmp"},
                {"type": "globalmaxpool2d", "inputs": "multiply"},
            ],
        },
        [
            ((1, 1, 8), 0, 0),
            ((1, 1, 2), 18, 0),
            ((1, 1, 8), 24, 0),
            ((16, 12, 8), 0, 0),
            ((1, 1, 8), 0, 0),
            ((8,), 0, 0),
        ],
    ),
    "concatenate (last)": (
        {
            "input": [16, 12, 8],
            "data_format": "channels_last",
            "layers": [
                {"type": "conv2d", "filters": 4, "kernel_size": 1, "name": "b1"},
                {
                    "type": "conv2d",
                    "filters": 6,
                    "kernel_size": 3,
                    "padding": "same",
                    "inputs": "input",
                    "name": "b2",
                },
                {
                    "type": "maxpool2d",
                    "pool_size": 3,
                    "strides": 1,
                    "padding": "same",
                    "inputs": "input",
                    "name": "b3",
                },
                {"type": "concatenate", "inputs": ["b1", "b2", "b3"], "name": "cat"},
                {"type": "concatenate", "inputs": ["b1", "b1"], "axis": 2, "name": "rows"},
            ],
        },
        [
            ((16, 12, 4), 36, 0),
            ((16, 12, 6), 438, 0),
            ((16, 12, 8), 0, 0),
            ((16, 12, 18), 0, 0),
            ((16, 24, 4), 0, 0),
        ],
    ),
    "depthwise and separable (last)": (
        {
            "input": [16, 12, 8],
            "data_format": "channels_last",
            "layers": [
                {
                    "type": "depthwiseconv2d",
                    "kernel_size": 3,
                    "strides": 2,
                    "padding": "same",
                    "depth_multiplier": 2,
                },
                {"type": "depthwiseconv2d", "kernel_size": [3, 2], "use_bias": False, "dilation_rate": 2},
                {"type": "separableconv2d", "filters": 10, "kernel_size": 3, "padding": "same"},
                {
                    "type": "separableconv2d",
                    "filters": 7,
                    "kernel_size": 2,
                    "depth_multiplier": 3,
                    "use_bias": False,
                    "strides": 2,
                },
            ],
        },
        [((8, 6, 16), 160, 0), ((4, 4, 16), 96, 0), ((4, 4, 10), 314, 0), ((2, 2, 7), 330, 0)],
    ),
    "transposed convolutions (last)": (
        {
            "input": [16, 12, 8],
            "data_format": "channels_last",
            "layers": [
                {"type": "conv2dtranspose", "filters": 4, "kernel_size": 3, "strides": 2},
                {
                    "type": "conv2dtranspose",
                    "filters": 4,
                    "kernel_size": 3,
                    "strides": 2,
                    "padding": "same",
                    "inputs": "input",
                },
                {
                    "type": "conv2dtranspose",
                    "filters": 3,
                    "kernel_size": 4,
                    "strides": 2,
                    "padding": "same",
                    "output_padding": 1,
                    "inputs": "input",
                },
                {"type": "conv2dtranspose", "filters": 3, "kernel_size": 2, "strides": 3, "inputs": "input"},
                {
                    "type": "conv2dtranspose",
                    "filters": 5,
                    "kernel_size": [3, 2],
                    "strides": [2, 3],
                    "output_padding": [1, 0],
                    "inputs": "input",
                },
                {
                    "type": "conv2dtranspose",
                    "filters": 2,
                    "kernel_size": 3,
                    "dilation_rate": 2,
                    "use_bias": False,
                    "inputs": "input",
                },
            ],
        },
        [
            ((33, 25, 4), 292, 0),
            ((32, 24, 4), 292, 0),
            ((31, 23, 3), 387, 0),
            ((48, 36, 3), 99, 0),
            ((34, 35, 5), 245, 0),
            ((20, 16, 2), 144, 0),
        ],
    ),
    "resizing (last)": (
        {
            "input": [16, 12, 8],
            "data_format": "channels_last",
            "layers": [
                {"type": "upsampling2d", "size": 2},
                {"type": "upsampling2d", "size": [3, 2], "interpolation": "bilinear"},
                {"type": "cropping2d", "cropping": [[1, 2], [3, 0]]},
                {"type": "zeropad2d", "padding": [[0, 1], [2, 2]]},
                {"type": "cropping2d", "cropping": 4},
            ],
        },
        [
            ((32, 24, 8), 0, 0),
            ((96, 48, 8), 0, 0),
            ((93, 45, 8), 0, 0),
            ((94, 49, 8), 0, 0),
            ((86, 41, 8), 0, 0),
        ],
    ),
    "normalisations (last)": (
        {
            "input": [16, 12, 8],
            "data_format": "channels_last",
            "layers": [
                {"type": "normalization"},
                {"type": "normalization", "axis": None},
                {"type": "normalization", "axis": 1},
                {"type": "normalization", "mean": 0.5, "variance": 0.25},
                {"type": "layernorm"},
                {"type": "layernorm", "axis": [1, 2, 3]},
                {"type": "layernorm", "axis": 1, "center": False},
                {"type": "layernorm", "rms_scaling": True},
                {"type": "batchnorm", "scale": False},
                {"type": "batchnorm", "center": False, "scale": False},
                {"type": "rescaling", "scale": 0.5, "offset": -1.0},
            ],
        },
        [
            ((16, 12, 8), 0, 17),
            ((16, 12, 8), 0, 3),
            ((16, 12, 8), 0, 33),
            ((16, 12, 8), 0, 0),
            ((16, 12, 8), 16, 0),
            ((16, 12, 8), 3072, 0),
            ((16, 12, 8), 16, 0),
            ((16, 12, 8), 8, 0),
            ((16, 12, 8), 8, 16),
            ((16, 12, 8), 0, 16),
            ((16, 12, 8), 0, 0),
        ],
    ),
    "activations (last)": (
        {
            "input": [16, 12, 8],
            "data_format": "channels_last",
            "layers": [
                {"type": "relu", "max_value": 6.0},
                {"type": "leakyrelu", "negative_slope": 0.1},
                {"type": "prelu"},
                {"type": "prelu", "shared_axes": [1, 2]},
                {"type": "softmax", "axis": 1},
                {"type": "spatialdropout2d", "rate": 0.2},
                {"type": "gaussiannoise", "stddev": 0.1},
                {"type": "identity"},
                {"type": "activation", "activation": "gelu"},
                {"type": "activation", "activation": "hard_swish"},
            ],
        },
        [
            ((16, 12, 8), 0, 0),
            ((16, 12, 8), 0, 0),
            ((16, 12, 8), 1536, 0),
            ((16, 12, 8), 8, 0),
            ((16, 12, 8), 0, 0),
            ((16, 12, 8), 0, 0),
            ((16, 12, 8), 0, 0),
            ((16, 12, 8), 0, 0),
            ((16, 12, 8), 0, 0),
            ((16, 12, 8), 0, 0),
        ],
    ),
    "merges with broadcasting (last)": (
        {
            "input": [16, 12, 8],
            "data_format": "channels_last",
            "layers": [
                {"type": "globalavgpool2d", "name": "vector"},
                {"type": "dense", "units": 8, "name": "last", "inputs": "vector"},
                {"type": "subtract", "inputs": ["input", "last"]},
                {"type": "average", "inputs": ["input", "subtract", "input"]},
                {"type": "maximum", "inputs": ["average", "last"]},
                {"type": "minimum", "inputs": ["maximum", "input"]},
            ],
        },
        [
            ((8,), 0, 0),
            ((8,), 72, 0),
            ((16, 12, 8), 0, 0),
            ((16, 12, 8), 0, 0),
            ((16, 12, 8), 0, 0),
            ((16, 12, 8), 0, 0),
        ],
    ),
    "reshape (last)": (
        {
            "input": [16, 12, 8],
            "data_format": "channels_last",
            "layers": [
                {"type": "reshape", "target_shape": [-1, 4]},
                {"type": "dense", "units": 3},
                {"type": "reshape", "target_shape": [4, 3, -1]},
                {"type": "flatten"},
                {"type": "reshape", "target_shape": [6, 2, 3, -1]},
            ],
        },
        [((384, 4), 0, 0), ((384, 3), 15, 0), ((4, 3, 96), 0, 0), ((1152,), 0, 0), ((6, 2, 3, 32), 0, 0)],
    ),
    "residual add (first)": (
        {
            "input": [8, 16, 12],
            "data_format": "channels_first",
            "layers": [
                {"type": "conv2d", "filters": 8, "kernel_size": 3, "padding": "same", "name": "a"},
                {"type": "batchnorm", "name": "b"},
                {"type": "add", "inputs": ["input", "b"]},
                {"type": "conv2d", "filters": 16, "kernel_size": 1, "strides": 2, "name": "proj"},
                {
                    "type": "conv2d",
                    "filters": 16,
                    "kernel_size": 3,
                    "strides": 2,
                    "padding": "same",
                    "inputs": "add",
                    "name": "main",
                },
                {"type": "add", "inputs": ["proj", "main"], "name": "add2"},
            ],
        },
        [
            ((8, 16, 12), 584, 0),
            ((8, 16, 12), 16, 16),
            ((8, 16, 12), 0, 0),
            ((16, 8, 6), 144, 0),
            ((16, 8, 6), 1168, 0),
            ((16, 8, 6), 0, 0),
        ],
    ),
    "squeeze and excitation (first)": (
        {
            "input": [8, 16, 12],
            "data_format": "channels_first",
            "layers": [
                {"type": "globalavgpool2d", "keepdims": True},
                {"type": "conv2d", "filters": 2, "kernel_size": 1, "activation": "silu"},
                {"type": "conv2d", "filters": 8, "kernel_size": 1, "activation": "sigmoid"},
                {"type": "multiply", "inputs": ["input", "conv2d_1"]},
                {"type": "globalmaxpool2d", "keepdims": True, "name": "gmp"},
                {"type": "globalmaxpool2d", "inputs": "multiply"},
            ],
        },
        [
            ((8, 1, 1), 0, 0),
            ((2, 1, 1), 18, 0),
            ((8, 1, 1), 24, 0),
            ((8, 16, 12), 0, 0),
            ((8, 1, 1), 0, 0),
            ((8,), 0, 0),
        ],
    ),
    "concatenate (first)": (
        {
            "input": [8, 16, 12],
            "data_format": "channels_first",
            "layers": [
                {"type": "conv2d", "filters": 4, "kernel_size": 1, "name": "b1"},
                {
                    "type": "conv2d",
                    "filters": 6,
                    "kernel_size": 3,
                    "padding": "same",
                    "inputs": "input",
                    "name": "b2",
                },
                {
                    "type": "maxpool2d",
                    "pool_size": 3,
                    "strides": 1,
                    "padding": "same",
                    "inputs": "input",
                    "name": "b3",
                },
                {"type": "concatenate", "inputs": ["b1", "b2", "b3"], "name": "cat"},
                {"type": "concatenate", "inputs": ["b1", "b1"], "axis": 2, "name": "rows"},
            ],
        },
        [
            ((4, 16, 12), 36, 0),
            ((6, 16, 12), 438, 0),
            ((8, 16, 12), 0, 0),
            ((18, 16, 12), 0, 0),
            ((4, 32, 12), 0, 0),
        ],
    ),
    "depthwise and separable (first)": (
        {
            "input": [8, 16, 12],
            "data_format": "channels_first",
            "layers": [
                {
                    "type": "depthwiseconv2d",
                    "kernel_size": 3,
                    "strides": 2,
                    "padding": "same",
                    "depth_multiplier": 2,
                },
                {"type": "depthwiseconv2d", "kernel_size": [3, 2], "use_bias": False, "dilation_rate": 2},
                {"type": "separableconv2d", "filters": 10, "kernel_size": 3, "padding": "same"},
                {
                    "type": "separableconv2d",
                    "filters": 7,
                    "kernel_size": 2,
                    "depth_multiplier": 3,
                    "use_bias": False,
                    "strides": 2,
                },
            ],
        },
        [((16, 8, 6), 160, 0), ((16, 4, 4), 96, 0), ((10, 4, 4), 314, 0), ((7, 2, 2), 330, 0)],
    ),
    "transposed convolutions (first)": (
        {
            "input": [8, 16, 12],
            "data_format": "channels_first",
            "layers": [
                {"type": "conv2dtranspose", "filters": 4, "kernel_size": 3, "strides": 2},
                {
                    "type": "conv2dtranspose",
                    "filters": 4,
                    "kernel_size": 3,
                    "strides": 2,
                    "padding": "same",
                    "inputs": "input",
                },
                {
                    "type": "conv2dtranspose",
                    "filters": 3,
                    "kernel_size": 4,
                    "strides": 2,
                    "padding": "same",
                    "output_padding": 1,
                    "inputs": "input",
                },
                {"type": "conv2dtranspose", "filters": 3, "kernel_size": 2, "strides": 3, "inputs": "input"},
                {
                    "type": "conv2dtranspose",
                    "filters": 5,
                    "kernel_size": [3, 2],
                    "strides": [2, 3],
                    "output_padding": [1, 0],
                    "inputs": "input",
                },
                {
                    "type": "conv2dtranspose",
                    "filters": 2,
                    "kernel_size": 3,
                    "dilation_rate": 2,
                    "use_bias": False,
                    "inputs": "input",
                },
            ],
        },
        [
            ((4, 33, 25), 292, 0),
            ((4, 32, 24), 292, 0),
            ((3, 31, 23), 387, 0),
            ((3, 48, 36), 99, 0),
            ((5, 34, 35), 245, 0),
            ((2, 20, 16), 144, 0),
        ],
    ),
    "resizing (first)": (
        {
            "input": [8, 16, 12],
            "data_format": "channels_first",
            "layers": [
                {"type": "upsampling2d", "size": 2},
                {"type": "upsampling2d", "size": [3, 2], "interpolation": "bilinear"},
                {"type": "cropping2d", "cropping": [[1, 2], [3, 0]]},
                {"type": "zeropad2d", "padding": [[0, 1], [2, 2]]},
                {"type": "cropping2d", "cropping": 4},
            ],
        },
        [
            ((8, 32, 24), 0, 0),
            ((8, 96, 48), 0, 0),
            ((8, 93, 45), 0, 0),
            ((8, 94, 49), 0, 0),
            ((8, 86, 41), 0, 0),
        ],
    ),
    "normalisations (first)": (
        {
            "input": [8, 16, 12],
            "data_format": "channels_first",
            "layers": [
                {"type": "normalization"},
                {"type": "normalization", "axis": None},
                {"type": "normalization", "axis": 1},
                {"type": "normalization", "mean": 0.5, "variance": 0.25},
                {"type": "layernorm"},
                {"type": "layernorm", "axis": [1, 2, 3]},
                {"type": "layernorm", "axis": 1, "center": False},
                {"type": "layernorm", "rms_scaling": True},
                {"type": "batchnorm", "scale": False},
                {"type": "batchnorm", "center": False, "scale": False},
                {"type": "rescaling", "scale": 0.5, "offset": -1.0},
            ],
        },
        [
            ((8, 16, 12), 0, 25),
            ((8, 16, 12), 0, 3),
            ((8, 16, 12), 0, 17),
            ((8, 16, 12), 0, 0),
            ((8, 16, 12), 24, 0),
            ((8, 16, 12), 3072, 0),
            ((8, 16, 12), 8, 0),
            ((8, 16, 12), 12, 0),
            ((8, 16, 12), 8, 16),
            ((8, 16, 12), 0, 16),
            ((8, 16, 12), 0, 0),
        ],
    ),
    "activations (first)": (
        {
            "input": [8, 16, 12],
            "data_format": "channels_first",
            "layers": [
                {"type": "relu", "max_value": 6.0},
                {"type": "leakyrelu", "negative_slope": 0.1},
                {"type": "prelu"},
                {"type": "prelu", "shared_axes": [1, 2]},
                {"type": "softmax", "axis": 1},
                {"type": "spatialdropout2d", "rate": 0.2},
                {"type": "gaussiannoise", "stddev": 0.1},
                {"type": "identity"},
                {"type": "activation", "activation": "gelu"},
                {"type": "activation", "activation": "hard_swish"},
            ],
        },
        [
            ((8, 16, 12), 0, 0),
            ((8, 16, 12), 0, 0),
            ((8, 16, 12), 1536, 0),
            ((8, 16, 12), 12, 0),
            ((8, 16, 12), 0, 0),
            ((8, 16, 12), 0, 0),
            ((8, 16, 12), 0, 0),
            ((8, 16, 12), 0, 0),
            ((8, 16, 12), 0, 0),
            ((8, 16, 12), 0, 0),
        ],
    ),
    "merges with broadcasting (first)": (
        {
            "input": [8, 16, 12],
            "data_format": "channels_first",
            "layers": [
                {"type": "globalavgpool2d", "name": "vector"},
                {"type": "dense", "units": 12, "name": "last", "inputs": "vector"},
                {"type": "subtract", "inputs": ["input", "last"]},
                {"type": "average", "inputs": ["input", "subtract", "input"]},
                {"type": "maximum", "inputs": ["average", "last"]},
                {"type": "minimum", "inputs": ["maximum", "input"]},
            ],
        },
        [
            ((8,), 0, 0),
            ((12,), 108, 0),
            ((8, 16, 12), 0, 0),
            ((8, 16, 12), 0, 0),
            ((8, 16, 12), 0, 0),
            ((8, 16, 12), 0, 0),
        ],
    ),
    "reshape (first)": (
        {
            "input": [8, 16, 12],
            "data_format": "channels_first",
            "layers": [
                {"type": "reshape", "target_shape": [-1, 4]},
                {"type": "dense", "units": 3},
                {"type": "reshape", "target_shape": [4, 3, -1]},
                {"type": "flatten"},
                {"type": "reshape", "target_shape": [6, 2, 3, -1]},
            ],
        },
        [((384, 4), 0, 0), ((384, 3), 15, 0), ((4, 3, 96), 0, 0), ((1152,), 0, 0), ((6, 2, 3, 32), 0, 0)],
    ),
    "rescaling per channel": (
        {
            "input": [8, 8, 3],
            "layers": [
                {"type": "rescaling", "scale": [0.1, 0.2, 0.3], "offset": [1.0, 2.0, 3.0]},
                {"type": "normalization", "mean": [0.1, 0.2, 0.3], "variance": [1.0, 2.0, 3.0]},
            ],
        },
        [((8, 8, 3), 0, 0), ((8, 8, 3), 0, 0)],
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_matches_keras(name: str) -> None:
    spec, expected = CASES[name]
    analysis = cnncalc.analyze(spec)
    assert analysis.ok, analysis.errors
    actual = [(r.output_shape, r.trainable_params, r.non_trainable_params) for r in analysis.layers]
    assert actual == expected

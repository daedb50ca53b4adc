"""Expectations verified once by building the same layers in Keras 3.15 by hand (numbers kept here).

Each case lists, per layer, the output shape (batch excluded) and (trainable, non-trainable) counts
that ``keras.Sequential(...)`` reported.
"""

from __future__ import annotations

from typing import Any

import pytest

import cnncalc

CASES: dict[str, tuple[dict[str, Any], list[tuple[tuple[int, ...], int, int]]]] = {
    "strides with same padding on odd sizes": (
        {
            "input": [7, 9, 3],
            "layers": [
                {"type": "conv2d", "filters": 4, "kernel_size": 3, "strides": 2, "padding": "same"},
                {"type": "conv2d", "filters": 5, "kernel_size": [4, 2], "strides": [3, 2], "padding": "same"},
                {"type": "maxpool2d", "pool_size": 2, "padding": "same"},
            ],
        },
        [((4, 5, 4), 112, 0), ((2, 3, 5), 165, 0), ((1, 2, 5), 0, 0)],
    ),
    "dilation": (
        {
            "input": [28, 28, 1],
            "layers": [
                {"type": "conv2d", "filters": 8, "kernel_size": 3, "dilation_rate": 2},
                {"type": "conv2d", "filters": 8, "kernel_size": [3, 5], "dilation_rate": [3, 1]},
                {"type": "conv2d", "filters": 4, "kernel_size": 3, "dilation_rate": 2, "padding": "same"},
            ],
        },
        [((24, 24, 8), 80, 0), ((18, 20, 8), 968, 0), ((18, 20, 4), 292, 0)],
    ),
    "groups": (
        {
            "input": [16, 16, 12],
            "layers": [
                {"type": "conv2d", "filters": 24, "kernel_size": 3, "groups": 3},
                {"type": "conv2d", "filters": 24, "kernel_size": 1, "groups": 24, "use_bias": False},
            ],
        },
        [((14, 14, 24), 888, 0), ((14, 14, 24), 24, 0)],
    ),
    "dense on a rank-3 input": (
        {
            "input": [5, 7, 8],
            "layers": [
                {"type": "dense", "units": 4},
                {"type": "dense", "units": 3, "use_bias": False},
                {"type": "flatten"},
                {"type": "dense", "units": 2},
            ],
        },
        [((5, 7, 4), 36, 0), ((5, 7, 3), 12, 0), ((105,), 0, 0), ((2,), 212, 0)],
    ),
    "batchnorm": (
        {
            "input": [10, 10, 3],
            "layers": [
                {"type": "conv2d", "filters": 6, "kernel_size": 3},
                {"type": "batchnorm"},
                {"type": "flatten"},
                {"type": "dense", "units": 5},
                {"type": "BatchNormalization"},
            ],
        },
        [((8, 8, 6), 168, 0), ((8, 8, 6), 12, 12), ((384,), 0, 0), ((5,), 1925, 0), ((5,), 10, 10)],
    ),
    "global average pooling": (
        {
            "input": [9, 9, 3],
            "layers": [{"type": "conv2d", "filters": 6, "kernel_size": 3}, {"type": "globalavgpool2d"}],
        },
        [((7, 7, 6), 168, 0), ((6,), 0, 0)],
    ),
    "global max pooling": (
        {
            "input": [9, 9, 3],
            "layers": [{"type": "conv2d", "filters": 6, "kernel_size": 3}, {"type": "GlobalMaxPooling2D"}],
        },
        [((7, 7, 6), 168, 0), ((6,), 0, 0)],
    ),
    # Keras: ZeroPadding2D(2) + Conv2D(4, 5); ZeroPadding2D(((1, 2), (0, 3))) + Conv2D(4, (3, 2), 2);
    # ZeroPadding2D(((0, 1), (0, 1))) + MaxPooling2D(3, strides=2)
    "explicit and asymmetric padding": (
        {
            "input": [28, 28, 1],
            "layers": [
                {"type": "conv2d", "filters": 4, "kernel_size": 5, "padding": 2},
                {
                    "type": "conv2d",
                    "filters": 4,
                    "kernel_size": [3, 2],
                    "strides": 2,
                    "padding": [[1, 2], [0, 3]],
                },
                {"type": "maxpool2d", "pool_size": 3, "strides": 2, "padding": [[0, 1], [0, 1]]},
            ],
        },
        [((28, 28, 4), 104, 0), ((15, 15, 4), 100, 0), ((7, 7, 4), 0, 0)],
    ),
    "zero padding layers": (
        {
            "input": [28, 28, 1],
            "layers": [
                {"type": "zeropad2d", "padding": 2},
                {"type": "ZeroPadding2D", "padding": [[1, 2], [0, 3]]},
            ],
        },
        [((32, 32, 1), 0, 0), ((35, 35, 1), 0, 0)],
    ),
    "channels_first": (
        {
            "input": [3, 20, 16],
            "data_format": "channels_first",
            "layers": [
                {"type": "conv2d", "filters": 8, "kernel_size": 3, "strides": 2, "padding": "same"},
                {"type": "batchnorm"},
                {"type": "maxpool2d", "pool_size": 2},
                {"type": "dense", "units": 6},
                {"type": "globalavgpool2d"},
                {"type": "dense", "units": 4},
            ],
        },
        [
            ((8, 10, 8), 224, 0),
            ((8, 10, 8), 16, 16),
            ((8, 5, 4), 0, 0),
            ((8, 5, 6), 30, 0),
            ((8,), 0, 0),
            ((4,), 36, 0),
        ],
    ),
    "pools with their own strides": (
        {
            "input": [11, 11, 2],
            "layers": [
                {"type": "avgpool2d", "pool_size": [3, 2], "strides": [2, 3]},
                {"type": "maxpool2d", "pool_size": 2, "strides": 1},
            ],
        },
        [((5, 4, 2), 0, 0), ((4, 3, 2), 0, 0)],
    ),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_engine_matches_keras(case: str) -> None:
    spec, expected = CASES[case]
    analysis = cnncalc.analyze(spec)
    assert analysis.ok, analysis.diagnostics
    actual = [(r.output_shape, r.trainable_params, r.non_trainable_params) for r in analysis.layers]
    assert actual == expected


def test_zero_padding_layer_matches_keras_zero_padding2d_output() -> None:
    # ZeroPadding2D(((1, 2), (0, 3))) on 28×28: 28 + 1 + 2 = 31, 28 + 0 + 3 = 31 (Keras: (31, 31, 4))
    spec = {"input": [28, 28, 4], "layers": [{"type": "zeropad2d", "padding": [[1, 2], [0, 3]]}]}
    cnncalc.assert_output_shape(spec, "zero_padding2d", (31, 31, 4))


# Specs Keras refuses to build, each with the reason it gave.
KERAS_REJECTS = {
    # "`strides > 1` not supported in conjunction with `dilation_rate > 1`"
    "CNN103": {
        "input": [9, 9, 3],
        "layers": [{"type": "conv2d", "filters": 4, "kernel": 3, "strides": [2, 1], "dilation_rate": [1, 2]}],
    },
    # "The number of input channels must be evenly divisible by the number of groups"
    "CNN102": {"input": [6, 6, 3], "layers": [{"type": "conv2d", "filters": 6, "kernel": 3, "groups": 2}]},
    # "Computed output size would be zero or negative" (conv 5×5 on 3×3)
    "CNN101": {"input": [3, 3, 3], "layers": [{"type": "conv2d", "filters": 2, "kernel": 5}]},
    # "expected min_ndim=4, found ndim=2" (a convolution after flatten)
    "CNN104": {
        "input": [6, 6, 3],
        "layers": [{"type": "flatten"}, {"type": "conv2d", "filters": 3, "kernel": 3}],
    },
}


@pytest.mark.parametrize("code", KERAS_REJECTS)
def test_what_keras_rejects_is_an_error_diagnostic(code: str) -> None:
    analysis = cnncalc.analyze(KERAS_REJECTS[code])
    assert [d.code for d in analysis.errors] == [code]


def test_filters_not_divisible_by_groups_is_an_error() -> None:
    # Keras: "The number of filters must be evenly divisible by the number of groups. groups=2, filters=5"
    spec = {"input": [6, 6, 4], "layers": [{"type": "conv2d", "filters": 5, "kernel": 3, "groups": 2}]}
    (error,) = cnncalc.analyze(spec).errors
    assert error.code == "CNN102"
    assert "5 filters" in error.message


def test_pool_window_larger_than_input_is_an_error_but_fine_with_same() -> None:
    # Keras: MaxPooling2D(5) on 3×3 fails ("zero or negative"); with padding="same" it gives 1×1.
    too_big = {"input": [3, 3, 3], "layers": [{"type": "maxpool2d", "pool_size": 5}]}
    (error,) = cnncalc.analyze(too_big).errors
    assert error.code == "CNN101"
    assert "pool window 5 does not fit a 3×3 input" in error.message
    same = {"input": [3, 3, 3], "layers": [{"type": "maxpool2d", "pool_size": 5, "padding": "same"}]}
    cnncalc.assert_output_shape(same, "max_pooling2d", (1, 1, 3))


def test_flatten_of_a_flat_tensor_is_fine() -> None:
    # Keras: Dense(10) then Flatten on (784,) gives (10,)
    spec = {"input": [784], "layers": [{"type": "dense", "units": 10}, {"type": "flatten"}]}
    cnncalc.assert_output_shape(spec, "flatten", (10,))
    cnncalc.assert_params(spec, "dense", 7_850)  # (784 + 1)·10

"""The layer types and fields added to import Keras Applications (issue 9), verified once by building the
same layers in Keras 3.15 by hand: ``Dropout(noise_shape=...)`` (EfficientNet's stochastic depth) and
ConvNeXt's ``LayerScale`` (``keras.src.applications.convnext.LayerScale``, the class Keras Applications
define), each layer called on the output of the one before in a ``keras.Input((16, 12, 8))`` model
(``(8, 16, 12)`` channels_first). Per layer: the output shape (batch excluded) and the
(trainable, non-trainable) counts Keras reported; the numbers are kept here.
"""

from __future__ import annotations

import pytest

import cnncalc

LAYERS = [
    {"type": "dropout", "rate": 0.2, "noise_shape": [1, 1, 1]},  # Keras: noise_shape=(None, 1, 1, 1)
    {"type": "dropout", "rate": 0.1, "noise_shape": [None, 1, None]},  # Keras: (None, None, 1, None)
    {"type": "layerscale", "init_values": 1e-6},  # Keras: LayerScale(1e-6, projection_dim=last axis)
    {"type": "globalavgpool2d"},
    {"type": "layerscale", "init_values": 0.5},  # Keras: LayerScale(0.5, 8)
    {"type": "dropout", "rate": 0.3, "noise_shape": [1]},  # Keras: noise_shape=(None, 1)
]

CASES = {
    "channels_last": (
        [16, 12, 8],
        [
            ((16, 12, 8), 0, 0),
            ((16, 12, 8), 0, 0),
            ((16, 12, 8), 8, 0),
            ((8,), 0, 0),
            ((8,), 8, 0),
            ((8,), 0, 0),
        ],
    ),
    "channels_first": (
        [8, 16, 12],
        [
            ((8, 16, 12), 0, 0),
            ((8, 16, 12), 0, 0),
            ((8, 16, 12), 12, 0),
            ((8,), 0, 0),
            ((8,), 8, 0),
            ((8,), 0, 0),
        ],
    ),
}


@pytest.mark.parametrize("data_format", CASES)
def test_matches_keras(data_format: str) -> None:
    input_shape, expected = CASES[data_format]
    analysis = cnncalc.analyze({"input": input_shape, "data_format": data_format, "layers": LAYERS})
    assert analysis.ok, [d.message for d in analysis.errors]
    found = [(r.output_shape, r.trainable_params, r.non_trainable_params) for r in analysis.layers]
    assert found == expected


def test_a_noise_shape_keras_refuses_when_it_drops_is_an_error() -> None:
    # Keras 3.15 builds Dropout(0.5, noise_shape=(None, 2, 1, 1)) on a (4, 4, 3) input, then TensorFlow
    # refuses the first training call: "condition [1,2,1,1], then [1,4,4,3] ... must be broadcastable".
    analysis = cnncalc.analyze(
        {"input": [4, 4, 3], "layers": [{"type": "dropout", "rate": 0.5, "noise_shape": [2, 1, 1]}]}
    )
    assert [d.code for d in analysis.errors] == ["CNN106"]


def test_depthwise_and_separable_convolutions_stride_and_dilate_at_once() -> None:
    # Keras 3.15 builds and runs DepthwiseConv2D(3, strides=2, dilation_rate=2) on (9, 9, 2): (9, 9, 2) →
    # (3, 3, 2) with 20 parameters, then SeparableConv2D(4, 3, strides=2, dilation_rate=2, padding="same"):
    # (2, 2, 4) with 30 (found by the graphs' differential test; Conv2D refuses the combination).
    analysis = cnncalc.analyze(
        {
            "input": [9, 9, 2],
            "layers": [
                {"type": "depthwiseconv2d", "kernel_size": 3, "strides": 2, "dilation_rate": 2},
                {
                    "type": "separableconv2d",
                    "filters": 4,
                    "kernel_size": 3,
                    "strides": 2,
                    "dilation_rate": 2,
                    "padding": "same",
                },
            ],
        }
    )
    assert [(r.output_shape, r.params) for r in analysis.layers] == [((3, 3, 2), 20), ((2, 2, 4), 30)]

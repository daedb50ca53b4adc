"""Architectures the differential property test once failed on (shrunk), kept as plain tests."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

import cnncalc

pytestmark = pytest.mark.keras


def test_channels_first_survives_import_when_only_batchnorm_tells_it(bridge: SimpleNamespace) -> None:
    # Found by the property test: with no conv or pool, import guessed channels_last and then
    # refused batchnorm's axis 1. Batchnorm's axis on a feature map tells the data format.
    spec = cnncalc.load(
        {"input": [1, 1, 1], "data_format": "channels_first", "layers": [{"type": "batchnorm"}]}
    )
    assert bridge.convert.from_model(bridge.build.build_model(spec)) == spec


def test_without_a_layer_that_depends_on_it_the_data_format_imports_as_channels_last(
    bridge: SimpleNamespace,
) -> None:
    # Found by the property test: nothing in the Keras model records the data format here, and
    # nothing depends on it (dense works on the last axis either way): import says channels_last.
    spec = cnncalc.load(
        {
            "input": [1, 1, 1],
            "data_format": "channels_first",
            "layers": [{"type": "activation", "activation": "linear"}],
        }
    )
    back = bridge.convert.from_model(bridge.build.build_model(spec))
    assert back == spec.model_copy(update={"data_format": "channels_last"})


def test_same_reflect_padding_on_one_pixel_is_refused_by_both(bridge: SimpleNamespace) -> None:
    # same with a 1×2 kernel pads the width by (0, 1): reflecting 1 cell needs at least 2.
    spec = {
        "input": [1, 1, 1],
        "layers": [
            {
                "type": "conv2d",
                "filters": 1,
                "kernel_size": [1, 2],
                "padding": "same",
                "padding_mode": "reflect",
            }
        ],
    }
    analysis = cnncalc.analyze(spec)
    assert [d.code for d in analysis.errors] == ["CNN105"]
    result = bridge.crosscheck.crosscheck(analysis)
    assert result.ok
    assert result.rejection is not None
    assert "reflect padding of 1 needs an axis longer than that, got 1" in result.rejection.reason


def test_a_mean_per_channel_with_one_variance_builds(bridge: SimpleNamespace) -> None:
    # The spec takes one number for every channel; Keras' Normalization wants mean and variance of one
    # shape (it refuses (3,) with ()), so the bridge repeats the one variance.
    spec = cnncalc.load(
        {"input": [4, 4, 3], "layers": [{"type": "normalization", "mean": [0.5, 0.4, 0.3], "variance": 2.0}]}
    )
    result = bridge.crosscheck.crosscheck(spec)
    assert result.ok
    assert result.rejection is None


def test_values_per_channel_keras_checks_only_when_running_are_refused_by_both(
    bridge: SimpleNamespace,
) -> None:
    # Found by the graphs' differential test: Keras builds Rescaling([1.0, 1.0]) on one channel, declares
    # the input's shape, and makes two channels when it runs. The bridge runs it once: refused, as CNN106.
    spec = {"input": [2, 2, 1], "layers": [{"type": "rescaling", "scale": [1.0, 1.0]}]}
    analysis = cnncalc.analyze(spec)
    assert [d.code for d in analysis.errors] == ["CNN106"]
    result = bridge.crosscheck.crosscheck(analysis)
    assert result.ok
    assert result.rejection is not None
    assert "not the shape Keras declares" in result.rejection.reason


def test_a_transposed_convolution_keras_builds_empty_is_refused_by_both(bridge: SimpleNamespace) -> None:
    # Found by the graphs' differential test: Conv2DTranspose(1, 2, padding="same", output_padding=0) on a
    # 1×1 map gives (1 − 1)·1 + 2 − 2·1 + 0 = 0 rows; Keras builds it, empty.
    spec = {
        "input": [1, 1, 1],
        "layers": [
            {
                "type": "conv2dtranspose",
                "filters": 1,
                "kernel_size": 2,
                "padding": "same",
                "output_padding": 0,
            }
        ],
    }
    analysis = cnncalc.analyze(spec)
    assert [d.code for d in analysis.errors] == ["CNN101"]
    result = bridge.crosscheck.crosscheck(analysis)
    assert result.ok
    assert result.rejection is not None
    assert "empty output" in result.rejection.reason

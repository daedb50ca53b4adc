"""A spec written back as YAML (what import-keras writes): defaults and default names left out, inputs
and outputs only where they are not the layer before and the last layer; read back, the same spec."""

from __future__ import annotations

import cnncalc
from cnncalc.spec.writer import spec_yaml


def test_yaml_leaves_out_defaults_and_default_names() -> None:
    spec = cnncalc.load(
        {
            "name": "padded",
            "input": [3, 28, 28],
            "data_format": "channels_first",
            "layers": [
                {"type": "conv2d", "filters": 4, "kernel_size": [3, 3], "padding": [[1, 1], [2, 2]]},
                {
                    "type": "conv2d",
                    "filters": 4,
                    "kernel_size": 3,
                    "padding": [[0, 1], [0, 1]],
                    "name": "odd",
                },
                {"type": "maxpool2d", "pool_size": 2, "strides": 1, "padding": "same"},
                {"type": "flatten"},
                {"type": "dropout", "rate": 0.5},
                {"type": "dense", "units": 10, "use_bias": False},
            ],
        }
    )
    assert spec_yaml(spec, comment="from a test") == (
        "# from a test\n"
        "name: padded\n"
        "input: [3, 28, 28]\n"
        "data_format: channels_first\n"
        "layers:\n"
        "  - {type: conv2d, filters: 4, kernel_size: 3, padding: [1, 2]}\n"
        "  - {type: conv2d, filters: 4, kernel_size: 3, padding: [[0, 1], [0, 1]], name: odd}\n"
        "  - {type: maxpool2d, pool_size: 2, strides: 1, padding: same}\n"
        "  - {type: flatten}\n"
        "  - {type: dropout, rate: 0.5}\n"
        "  - {type: dense, units: 10, use_bias: false}\n"
    )


def test_names_are_all_written_when_leaving_some_out_would_rename_others() -> None:
    # Left out, the first dense would be called dense_1 (the name is taken) — so every name is kept.
    spec = cnncalc.load(
        {
            "input": [4],
            "layers": [{"type": "dense", "units": 2}, {"type": "dense", "units": 2, "name": "dense"}],
        }
    )
    assert spec.layer_names == ["dense_1", "dense"]
    text = spec_yaml(spec)
    assert "name: dense_1}" in text
    assert "name: dense}" in text
    assert cnncalc.load(text) == spec


def test_inputs_and_outputs_only_where_they_are_not_the_defaults() -> None:
    spec = cnncalc.load(
        {
            "name": "branches",
            "input": [8, 8, 4],
            "layers": [
                {"type": "conv2d", "filters": 4, "kernel_size": 3, "padding": "same", "name": "a"},
                {"type": "add", "inputs": ["input", "a"]},
                {"type": "globalmaxpool2d", "inputs": "a", "name": "side"},
                {"type": "globalavgpool2d", "inputs": "add"},
            ],
            "outputs": ["global_average_pooling2d", "side"],
        }
    )
    text = spec_yaml(spec)
    assert text == (
        "name: branches\n"
        "input: [8, 8, 4]\n"
        "layers:\n"
        "  - {type: conv2d, filters: 4, kernel_size: 3, padding: same, name: a}\n"
        "  - {type: add, inputs: [input, a]}\n"
        "  - {type: globalmaxpool2d, name: side, inputs: a}\n"
        "  - {type: globalavgpool2d, inputs: add}\n"
        "outputs: [global_average_pooling2d, side]\n"
    )
    assert cnncalc.load(text) == spec

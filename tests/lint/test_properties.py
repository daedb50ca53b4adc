"""Properties over random networks: the linter never fails, and what it reports is well formed; the
solver's answers all reach their target, and none is missing among the settings it searches."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

import cnncalc
from cnncalc.linter.registry import RULES
from cnncalc.linter.solver import solve

ACTIVATIONS = st.sampled_from(["linear", "relu", "sigmoid", "softmax", "tanh"])
PADDING = st.one_of(st.sampled_from(["valid", "same"]), st.integers(0, 3))
SIZE = st.integers(1, 5)

LAYER = st.one_of(
    st.fixed_dictionaries(
        {"type": st.just("conv2d"), "filters": st.integers(1, 8), "kernel_size": SIZE, "padding": PADDING},
        optional={
            "strides": st.integers(1, 3),
            "dilation_rate": st.integers(1, 2),
            "activation": ACTIVATIONS,
            "padding_mode": st.sampled_from(["zeros", "replicate", "reflect"]),
        },
    ),
    st.fixed_dictionaries(
        {"type": st.sampled_from(["maxpool2d", "avgpool2d"]), "pool_size": SIZE, "padding": PADDING},
        optional={"strides": st.integers(1, 3)},
    ),
    st.fixed_dictionaries(
        {"type": st.just("dense"), "units": st.integers(1, 12)}, optional={"activation": ACTIVATIONS}
    ),
    st.sampled_from(
        [
            {"type": "flatten"},
            {"type": "dropout", "rate": 0.5},
            {"type": "batchnorm"},
            {"type": "globalavgpool2d"},
            {"type": "globalmaxpool2d"},
            {"type": "zeropad2d", "padding": 1},
            {"type": "activation", "activation": "relu"},
        ]
    ),
)


@settings(max_examples=300, deadline=None)
@given(
    height=st.integers(1, 40),
    width=st.integers(1, 40),
    channels=st.integers(1, 4),
    channels_first=st.booleans(),
    num_classes=st.one_of(st.none(), st.integers(2, 12)),
    layers=st.lists(LAYER, min_size=1, max_size=8),
)
def test_random_networks_lint_without_failing(
    height: int,
    width: int,
    channels: int,
    channels_first: bool,
    num_classes: int | None,
    layers: list[dict[str, Any]],
) -> None:
    spec = {
        "input": [channels, height, width] if channels_first else [height, width, channels],
        "data_format": "channels_first" if channels_first else "channels_last",
        "num_classes": num_classes,
        "layers": layers,
    }
    analysis = cnncalc.analyze(spec)
    codes = {rule.code for rule in RULES}
    for diagnostic in cnncalc.lint(spec):
        assert diagnostic.code in codes
        assert diagnostic.layer is not None
        assert (
            analysis.layers[diagnostic.layer].output_shape is not None or diagnostic.severity.value == "error"
        )
        assert diagnostic.message
        assert diagnostic.hint


@settings(max_examples=300, deadline=None)
@given(
    size=st.integers(1, 40),
    output=st.integers(1, 40),
    kernel=st.integers(1, 7),
    strides=st.integers(1, 5),
    dilation=st.integers(1, 3),
    pad=st.integers(0, 12),
)
def test_the_solver_finds_every_symmetric_padding_that_reaches_the_target(
    size: int, output: int, kernel: int, strides: int, dilation: int, pad: int
) -> None:
    solutions = solve(size, output, kernel, strides=strides, dilation=dilation)
    for solution in solutions:
        assert cnncalc.conv_output_size(size, kernel, strides, solution.padding, dilation) == output
    span = dilation * (kernel - 1) + 1
    if (strides > 1 and dilation > 1) or pad >= span:
        return
    try:
        reached = cnncalc.conv_output_size(size, kernel, strides, pad, dilation)
    except ValueError:
        return
    if reached == output:
        found = [s.padding for s in solutions]
        assert (pad, pad) in found or (pad == 0 and "valid" in found)

"""The modules the exported script is copied from, tested directly: every layer's backward pass
against finite differences (float64), padding's gradient against its definition."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from cnncalc.export.numpy_code import PARTS
from cnncalc.export.plain_numpy import activations
from cnncalc.export.plain_numpy.arrays import pad, unpad
from cnncalc.export.plain_numpy.layers import (
    Activation,
    Add,
    Average,
    AvgPool2D,
    BatchNorm,
    Concatenate,
    Conv2D,
    Dense,
    Flatten,
    GlobalAvgPool2D,
    GlobalMaxPool2D,
    Identity,
    Layer,
    Maximum,
    MaxPool2D,
    Merge,
    Minimum,
    Multiply,
    Subtract,
    ZeroPad2D,
)
from cnncalc.export.source_parts import SourceParts
from tests.backends.numpy.numpy_backend_testing import check_gradients

LAYERS: dict[str, Callable[[], Layer]] = {
    "conv2d groups, strides, dilation, reflect": lambda: Conv2D(
        (3, 2, 2, 4), strides=(2, 1), dilation=(1, 2), padding=((1, 2), (0, 1)), pad_mode="reflect", groups=2
    ),
    "conv2d replicate, no bias": lambda: Conv2D(
        (2, 3, 4, 3), padding=((1, 0), (2, 1)), pad_mode="replicate", use_bias=False
    ),
    "maxpool2d same (ignored padding)": lambda: MaxPool2D((3, 3), (2, 2), ((1, 1), (1, 1)), "ignore"),
    "maxpool2d overlapping, reflect": lambda: MaxPool2D((2, 2), (1, 1), ((1, 0), (0, 1)), "reflect"),
    "avgpool2d same (ignored padding)": lambda: AvgPool2D((3, 3), (2, 2), ((0, 1), (0, 1)), "ignore"),
    "avgpool2d replicate": lambda: AvgPool2D((2, 2), (1, 1), ((1, 0), (0, 1)), "replicate"),
    "dense on the last axis": lambda: Dense(4, 3),
    "dense on the width (channels_first)": lambda: Dense(5, 3, axis=2),
    "batchnorm": lambda: BatchNorm(4, momentum=0.9),
    "batchnorm without scale and center": lambda: BatchNorm(4, scale=False, center=False),
    "softmax on the width": lambda: Activation("softmax", axis=2),
    **{f"activation {name}": (lambda name=name: Activation(name)) for name in activations.ACTIVATIONS},
    "flatten": Flatten,
    "global average pooling": GlobalAvgPool2D,
    "global average pooling, keepdims": lambda: GlobalAvgPool2D(keepdims=True),
    "global max pooling": GlobalMaxPool2D,
    "global max pooling, keepdims": lambda: GlobalMaxPool2D(keepdims=True),
    "identity": Identity,
    "zero padding": lambda: ZeroPad2D(((1, 0), (2, 1))),
}


@pytest.mark.parametrize("make", LAYERS.values(), ids=LAYERS.keys())
def test_layer_gradients_match_finite_differences(
    make: Callable[[], Layer], rng: np.random.Generator
) -> None:
    layer = make()
    for name, shape in layer.shapes.items():
        layer.params[name] = rng.uniform(0.5, 1.5, shape) * rng.choice([-1, 1], shape)
    if isinstance(layer, BatchNorm):
        layer.params["moving_variance"] = np.abs(layer.params["moving_variance"])
    # Values away from activation kinks (|x| > 0.05), distinct for max pooling.
    x = rng.uniform(0.05, 1.0, (2, 6, 5, 4)) * rng.choice([-1, 1], (2, 6, 5, 4))
    inputs = {"x": x, **{name: layer.params[name] for name in layer.trainable()}}

    def backward(dy: np.ndarray) -> dict[str, np.ndarray]:
        layer.forward(x, True)
        dx = layer.backward(dy)
        return {"x": np.asarray(dx), **{name: layer.grads[name] for name in layer.trainable()}}

    check_gradients(lambda: layer.forward(x, True), backward, inputs, rng, rtol=1e-6, atol=1e-8)


MAP = (2, 6, 5, 4)
MERGES: dict[str, tuple[Callable[[], Merge], list[tuple[int, ...]]]] = {
    "add": (Add, [MAP, MAP, MAP]),
    "add, a gate broadcast": (Add, [MAP, (2, 1, 1, 4)]),
    "subtract a vector (Keras lines it up from the right)": (Subtract, [MAP, (2, 4)]),
    "multiply three": (Multiply, [MAP, (2, 1, 5, 1), (2, 4)]),
    "average": (Average, [(2, 4), MAP]),
    "maximum": (Maximum, [MAP, MAP, (2, 1, 1, 4)]),
    "minimum": (Minimum, [(2, 4), MAP]),
    "concatenate channels": (Concatenate, [MAP, (2, 6, 5, 2)]),
    "concatenate heights": (lambda: Concatenate(axis=1), [MAP, (2, 3, 5, 4), MAP]),
}


@pytest.mark.parametrize(("make", "shapes"), MERGES.values(), ids=MERGES.keys())
def test_merge_gradients_match_finite_differences(
    make: Callable[[], Merge], shapes: list[tuple[int, ...]], rng: np.random.Generator
) -> None:
    merge = make()
    inputs = {f"x{index}": rng.standard_normal(shape) for index, shape in enumerate(shapes)}

    def backward(dy: np.ndarray) -> dict[str, np.ndarray]:
        merge.forward(list(inputs.values()), True)
        return dict(zip(inputs, merge.backward(dy), strict=True))

    check_gradients(lambda: merge.forward(list(inputs.values()), True), backward, inputs, rng)


@pytest.mark.parametrize("mode", ["replicate", "reflect"])
def test_unpad_sends_each_padded_cell_to_its_source(mode: str) -> None:
    # 1-D by hand: [a b c] padded (2, 1) is [c b | a b c | b] (reflect) or [a a | a b c | c]
    # (replicate); a gradient of ones hands each source cell one per copy of it.
    x = np.arange(3.0).reshape(1, 1, 3, 1)
    padding = ((0, 0), (2, 1))
    assert pad(x, padding, mode).shape == (1, 1, 6, 1)
    grad = unpad(np.ones((1, 1, 6, 1)), padding, mode)
    expected = [3, 1, 2] if mode == "replicate" else [1, 3, 2]
    np.testing.assert_array_equal(grad.ravel(), expected)


def test_a_definition_brings_what_it_reads_and_nothing_else() -> None:
    parts = SourceParts.of(*PARTS)
    # Flatten reads Layer (which reads Weights) and Array; Array reads npt, Any and TypeAlias.
    assert parts.needed({"Flatten"}) == ["Any", "TypeAlias", "npt", "Array", "Weights", "Layer", "Flatten"]
    # The script's own ACTIVATIONS table replaces the module's, which would bring every function.
    assert "relu" in parts.needed({"Activation"})
    assert "relu" not in parts.needed({"Activation"}, own={"ACTIVATIONS"})


def test_copied_code_runs_alone() -> None:
    parts = SourceParts.of(*PARTS)
    names = parts.needed({"Flatten"})
    source = parts.script(
        names, [parts.definitions[name] for name in names if not parts.definitions[name].module]
    )
    assert source.startswith("from __future__ import annotations\n\nfrom typing import Any, TypeAlias\n")
    namespace: dict[str, Any] = {}
    exec(compile(source, "flatten.py", "exec"), namespace)
    flatten = namespace["Flatten"]()
    assert flatten.forward(np.zeros((2, 3, 4, 5)), True).shape == (2, 60)
    assert "import cnncalc" not in source

"""Importing single operations as PyTorch's exporters write them: each becomes the spec layer that
computes the same, and ONNX Runtime, running the model, gives it the engine's shape."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np
import pytest

import cnncalc
from cnncalc.backends.onnx.convert import import_graph
from cnncalc.errors import SpecError
from tests.backends.onnx.ort_shapes import runtime_shapes

pytestmark = pytest.mark.onnx


def model(onnx: ModuleType, nodes: list[Any], weights: dict[str, np.ndarray], shape: list[int]) -> Any:
    helper, proto = onnx.helper, onnx.TensorProto
    initializers = [onnx.numpy_helper.from_array(value, name) for name, value in weights.items()]
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", proto.FLOAT, shape)],
        [helper.make_tensor_value_info(nodes[-1].output[0], proto.FLOAT, None)],
        initializers,
    )
    result = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    result.ir_version = 8
    return result


def imported(
    onnx: ModuleType,
    nodes: list[Any],
    weights: dict[str, np.ndarray] | None = None,
    shape: list[int] | None = None,
) -> list[Any]:
    """The imported layers, after checking ONNX Runtime's shapes against the engine's."""
    graph = model(onnx, nodes, weights or {}, shape or [1, 3, 12, 12])
    result = import_graph(graph)
    analysis = cnncalc.analyze(result.spec)
    assert analysis.ok, [d.message for d in analysis.errors]
    shapes = runtime_shapes(onnx, graph, result)
    assert {r.name: r.output_shape for r in analysis.layers} == shapes
    return list(result.spec.layers)


def f32(*shape: int) -> np.ndarray:
    return np.random.default_rng(0).standard_normal(shape, dtype=np.float32)


def i64(*values: int) -> np.ndarray:
    return np.asarray(values, np.int64)


def test_pad_modes_are_the_padding_of_the_convolution_reading_them(onnx: ModuleType) -> None:
    h = onnx.helper
    for mode, spec_mode in (("reflect", "reflect"), ("edge", "replicate")):
        nodes = [
            h.make_node("Pad", ["x", "pads"], ["p"], name="pad", mode=mode),
            h.make_node("Conv", ["p", "w"], ["y"], name="conv", kernel_shape=[3, 3]),
        ]
        (conv,) = imported(onnx, nodes, {"pads": i64(0, 0, 1, 2, 0, 0, 1, 2), "w": f32(4, 3, 3, 3)})
        assert (conv.type, conv.padding, conv.padding_mode, conv.use_bias) == (
            "conv2d",
            ((1, 1), (2, 2)),
            spec_mode,
            False,
        )
    nodes = [
        h.make_node("Pad", ["x", "pads"], ["p"], name="zeros"),
        h.make_node("MaxPool", ["p"], ["y"], name="pool", kernel_shape=[2, 2], strides=[2, 2]),
    ]
    pad, pool = imported(onnx, nodes, {"pads": i64(0, 0, 1, 1, 0, 0, 1, 1)})
    assert (pad.type, pad.padding, pool.type, pool.padding) == (
        "zeropad2d",
        ((1, 1), (1, 1)),
        "maxpool2d",
        "valid",
    )


def test_pool_options(onnx: ModuleType) -> None:
    h = onnx.helper
    nodes = [
        h.make_node(
            "AveragePool",
            ["x"],
            ["a"],
            name="counted",
            kernel_shape=[3, 3],
            strides=[1, 1],
            pads=[1, 1, 1, 1],
            count_include_pad=1,
        ),
        h.make_node(
            "AveragePool",
            ["a"],
            ["b"],
            name="ignored",
            kernel_shape=[3, 3],
            strides=[2, 2],
            pads=[1, 1, 1, 1],
        ),
        h.make_node("MaxPool", ["b"], ["c"], name="ceil", kernel_shape=[2, 2], strides=[2, 2], ceil_mode=1),
        h.make_node(
            "MaxPool", ["c"], ["d"], name="same", kernel_shape=[2, 2], strides=[1, 1], auto_pad="SAME_UPPER"
        ),
    ]
    counted, ignored, ceil, same = imported(onnx, nodes, shape=[1, 3, 13, 13])
    assert (counted.padding, counted.count_include_pad) == (((1, 1), (1, 1)), True)
    assert (ignored.padding, ignored.count_include_pad, ignored.strides) == (((1, 1), (1, 1)), False, (2, 2))
    assert (ceil.ceil_mode, ceil.strides) == (True, None)  # strides as pool_size: left unset, as Keras
    assert same.padding == "same"


def test_dense_forms(onnx: ModuleType) -> None:
    h = onnx.helper
    nodes = [
        h.make_node("Flatten", ["x"], ["f"], name="flatten"),
        h.make_node("MatMul", ["f", "w1"], ["m"], name="matmul"),
        h.make_node("Add", ["m", "b1"], ["a"], name="bias"),
        h.make_node("Gemm", ["a", "w2"], ["g"], name="gemm"),
    ]
    _, first, second = imported(
        onnx, nodes, {"w1": f32(48, 10), "b1": f32(10), "w2": f32(10, 5)}, [1, 3, 4, 4]
    )
    assert (first.type, first.units, first.use_bias) == ("dense", 10, True)  # MatMul + Add of a bias
    assert (second.units, second.use_bias) == (5, False)


def test_activations(onnx: ModuleType) -> None:
    h = onnx.helper
    nodes = [
        h.make_node("Clip", ["x", "zero", "six"], ["a"], name="relu6"),
        h.make_node("Clip", ["a", "zero", "three"], ["b"], name="capped"),
        h.make_node("HardSigmoid", ["b"], ["c"], name="hsig", alpha=1 / 6, beta=0.5),
        h.make_node("HardSwish", ["c"], ["d"], name="hswish"),
        h.make_node("Sigmoid", ["d"], ["e"], name="gate"),
        h.make_node("Mul", ["d", "e"], ["f"], name="silu"),
        h.make_node("LeakyRelu", ["f"], ["g"], name="leaky", alpha=0.01),
        h.make_node("Softmax", ["g"], ["y"], name="softmax", axis=1),
    ]
    constants = {
        "zero": np.asarray(0, np.float32),
        "six": np.asarray(6, np.float32),
        "three": np.asarray(3, np.float32),
    }
    layers = imported(onnx, nodes, constants)
    assert [getattr(layer, "activation", None) for layer in layers] == [
        "relu6",
        None,
        "hard_sigmoid",
        "hard_silu",
        "silu",
        None,
        None,
    ]
    assert (layers[1].type, layers[1].max_value) == ("relu", 3.0)
    assert (layers[5].type, layers[5].negative_slope) == ("leakyrelu", 0.01)
    assert (layers[6].type, layers[6].axis) == ("softmax", (1,))  # the channels of a channels_first map


def test_resize_is_upsampling(onnx: ModuleType) -> None:
    h = onnx.helper
    nodes = [
        h.make_node(
            "Resize",
            ["x", "", "scales"],
            ["a"],
            name="nearest",
            mode="nearest",
            coordinate_transformation_mode="asymmetric",
            nearest_mode="floor",
        ),
        h.make_node(
            "Resize",
            ["a", "", "scales"],
            ["y"],
            name="bilinear",
            mode="linear",
            coordinate_transformation_mode="pytorch_half_pixel",
        ),
    ]
    nearest, bilinear = imported(onnx, nodes, {"scales": np.asarray([1, 1, 2, 3], np.float32)}, [1, 2, 4, 4])
    assert (nearest.type, nearest.size, nearest.interpolation) == ("upsampling2d", (2, 3), "nearest")
    assert bilinear.interpolation == "bilinear"
    aligned = [
        h.make_node(
            "Resize",
            ["x", "", "scales"],
            ["y"],
            name="aligned",
            mode="linear",
            coordinate_transformation_mode="align_corners",
        )
    ]
    with pytest.raises(
        SpecError, match="linear resizing with align_corners coordinates is none of Keras' interpolations"
    ):
        import_graph(model(onnx, aligned, {"scales": np.asarray([1, 1, 2, 2], np.float32)}, [1, 2, 4, 4]))


def test_weights_pytorch_shares_count_for_each_layer(onnx: ModuleType) -> None:
    """The TorchScript exporter keeps one copy of equal initial weights (fresh batch norms) and reads it
    through Identity nodes: each layer still holds its own."""
    h = onnx.helper
    nodes = [
        h.make_node("Identity", ["ones"], [f"bn{i}.{w}"]) for i in (1, 2) for w in ("weight", "running_var")
    ]
    nodes += [
        h.make_node("Identity", ["zeros"], [f"bn{i}.{w}"]) for i in (1, 2) for w in ("bias", "running_mean")
    ]
    nodes += [
        h.make_node(
            "BatchNormalization",
            ["x", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var"],
            ["a"],
            name="/bn1/BatchNormalization",
        ),
        h.make_node(
            "BatchNormalization",
            ["a", "bn2.weight", "bn2.bias", "bn2.running_mean", "bn2.running_var"],
            ["y"],
            name="/bn2/BatchNormalization",
        ),
    ]
    layers = imported(onnx, nodes, {"ones": np.ones(3, np.float32), "zeros": np.zeros(3, np.float32)})
    assert [layer.name for layer in layers] == ["bn1", "bn2"]
    analysis = cnncalc.analyze({"input": [3, 12, 12], "data_format": "channels_first", "layers": layers})
    assert (analysis.trainable_params, analysis.non_trainable_params) == (2 * 2 * 3, 2 * 2 * 3)


def test_dynamic_sizes_are_refused(onnx: ModuleType) -> None:
    graph = model(onnx, [onnx.helper.make_node("Relu", ["x"], ["y"])], {}, [1, 3, 12, 12])
    graph.graph.input[0].type.tensor_type.shape.dim[2].dim_param = "height"
    with pytest.raises(SpecError, match=r"the input's sizes \[3, '\?', 12\] are not all fixed"):
        import_graph(graph)


def test_initialisers_must_hold_the_specs_parameters(onnx: ModuleType) -> None:
    """A Gemm whose weight is made for 50 inputs, after a Flatten of 3·4·4 = 48 values: the dense layer
    the spec reads has (48 + 1)·10 = 490 parameters, the initialisers hold 50·10 + 10 = 510."""
    h = onnx.helper
    nodes = [
        h.make_node("Flatten", ["x"], ["f"], name="flatten"),
        h.make_node("Gemm", ["f", "w", "b"], ["y"], name="fc", transB=1),
    ]
    graph = model(onnx, nodes, {"w": f32(10, 50), "b": f32(10)}, [1, 3, 4, 4])
    with pytest.raises(
        SpecError,
        match=r"node 'fc': its initialisers hold 510 values, but the spec's dense .* has 490 parameters",
    ):
        import_graph(graph)

"""Keras → spec: every example comes back identical, through the model and through YAML; graphs,
nested models and operation nodes import; everything a spec cannot express is listed in one error."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

import cnncalc
from cnncalc.spec.writer import spec_yaml
from tests.backends.keras.specs import network_only, spec_files

pytestmark = pytest.mark.keras

VALID = spec_files()


@pytest.mark.parametrize("path", VALID, ids=[path.stem for path in VALID])
def test_spec_to_keras_to_spec_is_the_identity(bridge: SimpleNamespace, path: Path) -> None:
    spec = network_only(cnncalc.load(path))
    back = bridge.convert.from_model(bridge.build.build_model(spec))
    assert back == spec
    assert cnncalc.load(spec_yaml(back)) == spec


def test_a_functional_chain_imports(bridge: SimpleNamespace, keras: ModuleType) -> None:
    inputs = keras.Input((12, 12, 3))
    x = keras.layers.Conv2D(8, 3, activation="relu", name="conv")(inputs)
    x = keras.layers.GlobalMaxPooling2D(name="pool")(x)
    model = keras.Model(inputs, keras.layers.Dense(5, name="out")(x), name="chain")
    spec = bridge.convert.from_model(model)
    assert spec.name == "chain"
    assert spec.input == (12, 12, 3)
    assert spec.layer_names == ["conv", "pool", "out"]
    cnncalc.assert_output_shape(spec, "conv", (10, 10, 8))
    cnncalc.assert_params(spec, "out", (8 + 1) * 5)


def test_a_residual_model_imports_as_a_graph(bridge: SimpleNamespace, keras: ModuleType) -> None:
    inputs = keras.Input((8, 8, 4))
    branch = keras.layers.Conv2D(4, 3, padding="same", name="branch")(inputs)
    model = keras.Model(inputs, keras.layers.Add(name="add")([inputs, branch]), name="residual")
    spec = bridge.convert.from_model(model)
    assert [(layer.name, layer.inputs) for layer in spec.layers] == [
        ("branch", ("input",)),
        ("add", ("input", "branch")),
    ]
    assert spec_yaml(spec) == (
        "name: residual\n"
        "input: [8, 8, 4]\n"
        "layers:\n"
        "  - {type: conv2d, filters: 4, kernel_size: 3, padding: same, name: branch}\n"
        "  - {type: add, inputs: [input, branch]}\n"
    )


def test_layers_come_in_the_order_keras_created_them(bridge: SimpleNamespace, keras: ModuleType) -> None:
    # Keras lists layers by depth from the output (a, b, c, d here); the import keeps the order the code
    # created them in (c, a, b, d), so a spec comes back from Keras in its own order.
    inputs = keras.Input((6, 6, 2))
    c = keras.layers.Conv2D(2, 1, name="c")(inputs)
    a = keras.layers.Conv2D(2, 1, name="a")(inputs)
    b = keras.layers.Conv2D(2, 1, name="b")(a)
    model = keras.Model(inputs, keras.layers.Concatenate(name="d")([b, c]))
    assert [layer.name for layer in model.layers[1:]] == ["a", "b", "c", "d"]
    spec = bridge.convert.from_model(model)
    assert spec.layer_names == ["c", "a", "b", "d"]
    cnncalc.assert_output_shape(spec, "d", (6, 6, 4))


def test_several_outputs(bridge: SimpleNamespace, keras: ModuleType) -> None:
    inputs = keras.Input((4,))
    hidden = keras.layers.Dense(3, name="hidden")(inputs)
    first = keras.layers.Dense(2, name="first")(hidden)
    second = keras.layers.Dense(5, name="second")(hidden)
    spec = bridge.convert.from_model(keras.Model(inputs, [second, first], name="two_heads"))
    assert spec.outputs == ("second", "first")
    text = spec_yaml(spec)
    assert text.endswith("outputs: [second, first]\n")
    assert cnncalc.load(text) == spec


def test_a_nested_model_is_flattened_names_prefixed_only_where_taken(
    bridge: SimpleNamespace, keras: ModuleType
) -> None:
    stem = keras.Sequential(
        [keras.layers.Conv2D(4, 2, strides=2, name="stem_conv"), keras.layers.Dense(4, name="dense")],
        name="stem",
    )
    inputs = keras.Input((8, 8, 3))
    x = stem(inputs)
    x = keras.layers.Dense(4, name="dense")(x)
    spec = bridge.convert.from_model(keras.Model(inputs, x, name="nested"))
    assert spec.layer_names == ["stem_conv", "stem_dense", "dense"]
    assert [layer.inputs for layer in spec.layers] == [("input",), ("stem_conv",), ("stem_dense",)]
    cnncalc.assert_output_shape(spec, "dense", (4, 4, 4))


def test_operation_nodes_become_merges_rescalings_and_activations(
    bridge: SimpleNamespace, keras: ModuleType
) -> None:
    inputs = keras.Input((4, 4, 3))
    hard_sigmoid = keras.layers.ReLU(6.0, name="relu6")(inputs + 3.0) * (1.0 / 6.0)  # MobileNetV3's
    x = keras.ops.relu(inputs - hard_sigmoid)
    x = 2.0 - x / 4.0
    x = keras.ops.gelu(x, approximate=False)
    x = keras.ops.concatenate([x, -x], axis=-1)
    spec = bridge.convert.from_model(keras.Model(inputs, x, name="ops"))
    written = [
        {"type": layer.type} | layer.model_dump(exclude_defaults=True, exclude={"type", "name", "inputs"})
        for layer in spec.layers
    ]
    assert written == [
        {"type": "rescaling", "offset": (3.0,)},
        {"type": "relu", "max_value": 6.0},
        {"type": "rescaling", "scale": (1 / 6,)},
        {"type": "subtract"},
        {"type": "activation", "activation": "relu"},
        {"type": "rescaling", "scale": (0.25,)},
        {"type": "rescaling", "scale": (-1.0,), "offset": (2.0,)},
        {"type": "activation", "activation": "gelu"},
        {"type": "rescaling", "scale": (-1.0,)},
        {"type": "concatenate"},
    ]
    assert spec.layers[3].inputs == ("input", spec.layers[2].name)
    cnncalc.assert_output_shape(spec, spec.layer_names[-1], (4, 4, 6))


def test_every_problem_is_listed_once_with_its_count_and_where(
    bridge: SimpleNamespace, keras: ModuleType
) -> None:
    class Custom(keras.layers.Layer):  # type: ignore[misc]
        def call(self, x: Any) -> Any:
            return x

    inputs = keras.Input((None, 16, 1))
    x = keras.layers.Conv2D(4, 3, name="conv")(inputs)
    x = Custom(name="custom_1")(x)
    x = keras.ops.sqrt(x)
    x = Custom(name="custom_2")(x)
    x = keras.ops.sqrt(x)
    x = Custom(name="custom_3")(x)
    x = Custom(name="custom_4")(x)
    x = keras.layers.Dense(2, activation=keras.activations.glu, name="glu")(x)
    frozen = keras.layers.Dense(2, name="frozen", trainable=False)
    x = frozen(frozen(x))
    model = keras.Model(inputs, x, name="exotic")
    with pytest.raises(bridge.convert.UnsupportedModel) as caught:
        bridge.convert.from_model(model)
    assert str(caught.value).splitlines() == [
        "cannot import Keras model 'exotic' as a cnncalc spec:",
        "  - input shape (None, 16, 1) is not fully defined: give the sizes with --input-shape "
        "(e.g. --input-shape 224,16,1)",
        "  - Custom ×4 (custom_1, custom_2, custom_3 and 1 more): no such layer type in cnncalc",
        "  - operation sqrt ×2 (sqrt, sqrt_1): no spec layer computes it",
        "  - glu (Dense): activation 'glu' is not one of Keras' built-in activations cnncalc knows",
        "  - Dense ×2 (frozen, frozen): called 2 times (shared weights); a spec layer runs once",
        "  - Dense ×2 (frozen, frozen): trainable=False: every spec layer trains",
    ]


def test_an_open_input_size_is_given_on_import(bridge: SimpleNamespace, keras: ModuleType) -> None:
    model = keras.Sequential(
        [
            keras.Input((None, None, 3)),
            keras.layers.Conv2D(8, 3, strides=2),
            keras.layers.GlobalMaxPooling2D(),
        ]
    )
    spec = bridge.convert.from_model(model, input_shape=(32, 32, 3))
    assert spec.input == (32, 32, 3)
    cnncalc.assert_output_shape(spec, spec.layer_names[0], (15, 15, 8))  # (32 − 3)/2 + 1
    with pytest.raises(bridge.convert.UnsupportedModel, match=r"--input-shape 32,32,1 does not fit"):
        bridge.convert.from_model(model, input_shape=(32, 32, 1))


def test_a_model_with_two_inputs_is_refused(bridge: SimpleNamespace, keras: ModuleType) -> None:
    a, b = keras.Input((3,)), keras.Input((3,))
    model = keras.Model([a, b], keras.layers.Add()([a, b]), name="pair")
    with pytest.raises(bridge.convert.UnsupportedModel, match="it has 2 inputs; a spec has one"):
        bridge.convert.from_model(model)


def test_a_model_without_an_input_shape_is_refused(bridge: SimpleNamespace, keras: ModuleType) -> None:
    with pytest.raises(
        bridge.convert.UnsupportedModel, match=r"no input shape yet: start it with keras\.Input"
    ):
        bridge.convert.from_model(keras.Sequential([keras.layers.Dense(3)], name="unbuilt"))


def test_a_padding_layer_not_before_its_layer_is_listed(bridge: SimpleNamespace, keras: ModuleType) -> None:
    from cnncalc.backends.keras.layers import Padding2D

    model = keras.Sequential(
        [keras.Input((8, 8, 1)), Padding2D(((1, 1), (1, 1)), name="edge"), keras.layers.Flatten()], name="m"
    )
    with pytest.raises(bridge.convert.UnsupportedModel, match=r"edge \(Padding2D\): replicate and reflect"):
        bridge.convert.from_model(model)


def test_a_zero_padding_layer_of_another_name_stays_a_layer(
    bridge: SimpleNamespace, keras: ModuleType
) -> None:
    model = keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            keras.layers.ZeroPadding2D(((0, 1), (2, 3)), name="pad"),
            keras.layers.Conv2D(2, 3, name="conv"),
        ],
        name="m",
    )
    spec = bridge.convert.from_model(model)
    assert [layer.type for layer in spec.layers] == ["zeropad2d", "conv2d"]
    assert spec.layers[0].padding == ((0, 1), (2, 3))  # type: ignore[union-attr]
    cnncalc.assert_output_shape(spec, "conv", (7, 11, 2))  # 8 + 1 − 2 = 7, 8 + 5 − 2 = 11


def test_only_the_bridges_own_padding_layers_fold_into_the_layer_after_them(
    bridge: SimpleNamespace, keras: ModuleType
) -> None:
    def padded(pad_name: str) -> Any:
        return keras.Sequential(
            [
                keras.Input((8, 8, 1)),
                keras.layers.ZeroPadding2D(((0, 1), (0, 1)), name=pad_name),
                keras.layers.Conv2D(2, 3, strides=2, name="conv"),
            ]
        )

    kept = bridge.convert.from_model(padded("conv_pad"))  # as Keras Applications name theirs
    assert [layer.type for layer in kept.layers] == ["zeropad2d", "conv2d"]
    folded = bridge.convert.from_model(padded("conv.pad"))  # as the bridge names its own
    assert [layer.type for layer in folded.layers] == ["conv2d"]
    assert folded.layers[0].padding == ((0, 1), (0, 1))  # type: ignore[attr-defined]


def test_a_channel_axis_written_out_comes_back_as_the_default(bridge: SimpleNamespace) -> None:
    # A Keras model cannot tell "the channel axis" from an axis that happens to be it: import gives the
    # default, which means the same.
    spec = cnncalc.load(
        {
            "input": [4, 4, 2],
            "layers": [
                {"type": "conv2d", "filters": 3, "kernel_size": 1},
                {"type": "concatenate", "inputs": ["input", "conv2d"], "axis": 3},
            ],
        }
    )
    back = bridge.convert.from_model(bridge.build.build_model(spec))
    assert back.layers[1].axis is None  # type: ignore[attr-defined]
    assert (
        cnncalc.analyze(back).layers[1].output_shape
        == cnncalc.analyze(spec).layers[1].output_shape
        == (4, 4, 5)
    )

"""Keras → spec: every example comes back identical, through the model and through YAML; chains
only; everything a spec cannot express is listed in one error."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType, SimpleNamespace

import pytest

import cnncalc
from cnncalc.backends.keras.plan import refusal
from tests.backends.keras.specs import network_only

pytestmark = pytest.mark.keras

ROOT = Path(__file__).resolve().parents[3]
VALID = [
    path
    for path in sorted((ROOT / "examples").glob("*.yaml"))
    if cnncalc.analyze(path).ok and not any(refusal(layer) for layer in cnncalc.load(path).layers)
]


@pytest.mark.parametrize("path", VALID, ids=[path.stem for path in VALID])
def test_spec_to_keras_to_spec_is_the_identity(bridge: SimpleNamespace, path: Path) -> None:
    spec = network_only(cnncalc.load(path))
    back = bridge.convert.from_model(bridge.build.build_model(spec))
    assert back == spec
    assert cnncalc.load(bridge.convert.spec_yaml(back)) == spec


def test_yaml_leaves_out_defaults_and_default_names(bridge: SimpleNamespace) -> None:
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
    assert bridge.convert.spec_yaml(spec, comment="from a test") == (
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


def test_names_are_all_written_when_leaving_some_out_would_rename_others(bridge: SimpleNamespace) -> None:
    # Left out, the first dense would be called dense_1 (the name is taken) — so every name is kept.
    spec = cnncalc.load(
        {
            "input": [4],
            "layers": [{"type": "dense", "units": 2}, {"type": "dense", "units": 2, "name": "dense"}],
        }
    )
    assert spec.layer_names == ["dense_1", "dense"]
    text = bridge.convert.spec_yaml(spec)
    assert "name: dense_1}" in text
    assert "name: dense}" in text
    assert cnncalc.load(text) == spec


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


def test_a_model_that_branches_is_refused(bridge: SimpleNamespace, keras: ModuleType) -> None:
    inputs = keras.Input((8, 8, 4))
    branch = keras.layers.Conv2D(4, 3, padding="same", name="branch")(inputs)
    model = keras.Model(inputs, keras.layers.Add(name="add")([inputs, branch]), name="residual")
    with pytest.raises(bridge.convert.UnsupportedModel, match="layer add is not fed by the layer before it"):
        bridge.convert.from_model(model)


def test_a_model_without_an_input_shape_is_refused(bridge: SimpleNamespace, keras: ModuleType) -> None:
    with pytest.raises(
        bridge.convert.UnsupportedModel, match=r"no input shape yet: start it with keras\.Input"
    ):
        bridge.convert.from_model(keras.Sequential([keras.layers.Dense(3)], name="unbuilt"))


def test_everything_a_spec_cannot_express_is_listed_in_one_error(
    bridge: SimpleNamespace, keras: ModuleType
) -> None:
    model = keras.Sequential(
        [
            keras.Input((None, 16, 1)),
            keras.layers.Conv2D(4, 3, activation="gelu", name="conv"),
            keras.layers.LayerNormalization(name="norm"),
            keras.layers.BatchNormalization(center=False, name="bn"),
            keras.layers.GlobalAveragePooling2D(keepdims=True, name="gap"),
            keras.layers.Flatten(name="flat"),
            keras.layers.Dense(10, name="out"),
        ],
        name="exotic",
    )
    with pytest.raises(bridge.convert.UnsupportedModel) as caught:
        bridge.convert.from_model(model)
    assert str(caught.value).splitlines() == [
        "cannot import Keras model 'exotic' as a cnncalc spec:",
        "  - input shape (None, 16, 1) is not fully defined; cnncalc needs fixed sizes",
        "  - conv (Conv2D): activation 'gelu' is not one of elu, leaky_relu, linear, relu, relu6, sigmoid, "
        "softmax, tanh",
        "  - norm (LayerNormalization): no such layer type in cnncalc",
        "  - bn (BatchNormalization): center=False",
        "  - gap (GlobalAveragePooling2D): keepdims=True",
    ]


def test_a_padding_layer_not_before_its_layer_is_listed(bridge: SimpleNamespace, keras: ModuleType) -> None:
    from cnncalc.backends.keras.padding import Padding2D

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

"""Spec → Keras: every example builds and cross-checks green, names are kept, Keras' refusals are
located, the padding layer pads as NumPy does, saved models reload."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType, SimpleNamespace

import numpy as np
import pytest

import cnncalc
from cnncalc.errors import CnncalcError
from tests.backends.keras.specs import spec_files

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
VALID = spec_files()
INVALID = [path for path in EXAMPLES if not cnncalc.analyze(path).ok]

# TensorFlow's tensors under NumPy 2 (inside Keras' convert_to_numpy): not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword")


@pytest.mark.keras
@pytest.mark.parametrize("path", VALID, ids=[path.stem for path in VALID])
def test_every_example_cross_checks_green(bridge: SimpleNamespace, path: Path) -> None:
    result = bridge.crosscheck.crosscheck(path)
    assert result.rejection is None
    assert result.ok, [(c.record.name, c.record.output_shape, c.shape) for c in result.mismatches]
    assert "Total params" in result.keras_summary


@pytest.mark.keras
def test_what_keras_has_not_is_a_rejection_by_name(bridge: SimpleNamespace) -> None:
    result = bridge.crosscheck.crosscheck(ROOT / "examples" / "lenet5_1998.yaml")
    assert result.rejection is not None
    assert str(result.rejection) == (
        "Keras rejects layer C1 (layers[0]): Keras has no activation lecun_tanh (layer C1); "
        "the NumPy backend runs it"
    )


@pytest.mark.keras
@pytest.mark.parametrize("path", INVALID, ids=[path.stem for path in INVALID])
def test_keras_rejects_the_layer_the_engine_stops_at(bridge: SimpleNamespace, path: Path) -> None:
    analysis = cnncalc.analyze(path)
    result = bridge.crosscheck.crosscheck(analysis)
    assert result.ok
    assert result.rejection is not None
    assert result.rejection.index == analysis.errors[0].layer
    with pytest.raises(bridge.build.KerasRejection, match=re.escape(result.rejection.reason)):
        bridge.build.build_model(analysis)


@pytest.mark.keras
def test_an_error_stops_only_the_layers_that_read_it_in_keras_too(bridge: SimpleNamespace) -> None:
    spec = {
        "input": [8, 8, 3],
        "layers": [
            {"type": "conv2d", "name": "wide", "filters": 4, "kernel_size": 9},  # 9 > 8: refused
            {"type": "flatten", "name": "after"},
            {"type": "conv2d", "name": "fine", "filters": 4, "kernel_size": 3, "inputs": "input"},
            {"type": "globalavgpool2d", "name": "pool"},
        ],
        "outputs": ["after", "pool"],
    }
    result = bridge.crosscheck.crosscheck(spec)
    assert result.ok
    assert [r.name for r in result.rejections] == ["wide"]
    shapes = {c.record.name: c.shape for c in result.layers}
    assert shapes == {"wide": None, "after": None, "fine": (6, 6, 4), "pool": (4,)}
    assert result.model is None


@pytest.mark.keras
def test_names_are_kept_and_padding_layers_named_after_their_layer(bridge: SimpleNamespace) -> None:
    model = bridge.build.build_model(ROOT / "examples" / "replicate_padding.yaml")
    assert model.name == "replicate_padding"
    assert [layer.name for layer in model.layers[1:]] == [  # after the InputLayer
        "conv2d.pad",
        "conv2d",
        "max_pooling2d",
        "conv2d_1.pad",
        "conv2d_1",
        "max_pooling2d_1",
        "flatten",
        "dense",
    ]
    assert [type(layer).__name__ for layer in model.layers[1:3]] == ["Padding2D", "Conv2D"]
    assert model.layers[2].get_config()["padding"] == "valid"


@pytest.mark.keras
def test_a_layer_named_like_a_padding_layer_is_refused_clearly(bridge: SimpleNamespace) -> None:
    spec = {
        "input": [8, 8, 1],
        "layers": [
            {"type": "conv2d", "filters": 2, "kernel_size": 3, "padding": 1},
            {"type": "dense", "units": 2, "name": "conv2d.pad"},
        ],
    }
    with pytest.raises(
        CnncalcError,
        match=r"layer name conv2d\.pad is taken: cnncalc gives it to the padding layer of conv2d",
    ):
        bridge.build.build_model(spec)


@pytest.mark.keras
def test_explicit_zero_padding_is_a_zero_padding_layer(bridge: SimpleNamespace) -> None:
    spec = {
        "input": [28, 28, 1],
        "layers": [
            {"type": "conv2d", "filters": 4, "kernel_size": [3, 2], "strides": 2, "padding": [[1, 2], [0, 3]]}
        ],
    }
    _, pad, conv = bridge.build.build_model(spec).layers
    assert type(pad).__name__ == "ZeroPadding2D"
    assert pad.get_config()["padding"] == ((1, 2), (0, 3))
    # (28 + 1 + 2 − 3)/2 + 1 = 15 rows, (28 + 0 + 3 − 2)/2 + 1 = 15 columns (⌊14.5⌋ + 1)
    assert tuple(conv.output.shape) == (None, 15, 15, 4)


@pytest.mark.keras
def test_same_padding_in_another_mode_pads_keras_split_first(bridge: SimpleNamespace) -> None:
    # same on 7 with kernel 4, stride 2: output ⌈7/2⌉ = 4, total padding (4 − 1)·2 + 4 − 7 = 3 → 1 before, 2 after
    spec = {
        "input": [7, 7, 2],
        "layers": [
            {
                "type": "conv2d",
                "filters": 3,
                "kernel_size": 4,
                "strides": 2,
                "padding": "same",
                "padding_mode": "reflect",
            }
        ],
    }
    _, pad, conv = bridge.build.build_model(spec).layers
    assert pad.get_config()["padding"] == ((1, 2), (1, 2))
    assert pad.get_config()["mode"] == "reflect"
    assert tuple(conv.output.shape) == (None, 4, 4, 3)


@pytest.mark.keras
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize(("mode", "numpy_mode"), [("replicate", "edge"), ("reflect", "reflect")])
def test_padding_layer_pads_as_numpy_does(
    bridge: SimpleNamespace, keras: ModuleType, data_format: str, mode: str, numpy_mode: str
) -> None:
    from cnncalc.backends.keras.layers import Padding2D

    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 5, 6, 3)).astype("float32")
    pads = ((1, 3), (2, 0))
    expected = np.pad(x, ((0, 0), *pads, (0, 0)), mode=numpy_mode)  # type: ignore[call-overload]
    if data_format == "channels_first":
        x, expected = x.transpose(0, 3, 1, 2), expected.transpose(0, 3, 1, 2)
    layer = Padding2D(pads, mode=mode, data_format=data_format)
    assert np.array_equal(keras.ops.convert_to_numpy(layer(x)), expected)
    assert layer.compute_output_shape(x.shape) == expected.shape


@pytest.mark.keras
def test_reflect_padding_must_be_shorter_than_the_axis(bridge: SimpleNamespace) -> None:
    from cnncalc.backends.keras.layers import Padding2D

    with pytest.raises(ValueError, match="reflect padding of 3 needs an axis longer than that, got 3"):
        Padding2D(((3, 0), (0, 0)), mode="reflect").compute_output_shape((None, 3, 8, 1))
    assert Padding2D(((2, 2), (0, 0)), mode="reflect").compute_output_shape((None, 3, 8, 1)) == (
        None,
        7,
        8,
        1,
    )


@pytest.mark.keras
def test_a_refusal_names_the_spec_layer_and_gives_keras_reason_in_one_line(bridge: SimpleNamespace) -> None:
    spec = {
        "input": [9, 9, 3],
        "layers": [
            {"type": "conv2d", "filters": 4, "kernel": 3},
            {"type": "conv2d", "filters": 4, "kernel": 3, "strides": 2, "dilation_rate": 2, "name": "bad"},
        ],
    }
    with pytest.raises(bridge.build.KerasRejection) as caught:
        bridge.build.build_model(spec)
    assert caught.value.index == 1
    assert str(caught.value).startswith("Keras rejects layer bad (layers[1]): `strides > 1` not supported")
    assert "\n" not in str(caught.value)
    assert "\x1b" not in str(caught.value)


@pytest.mark.keras
def test_a_saved_model_reloads_with_its_padding_layer(
    bridge: SimpleNamespace, keras: ModuleType, tmp_path: Path
) -> None:
    model = bridge.build.build_model(ROOT / "examples" / "replicate_padding.yaml")
    path = tmp_path / "model.keras"
    bridge.build.save_model(model, path)
    reloaded = keras.saving.load_model(path)
    x = np.random.default_rng(1).random((3, 28, 28, 1), dtype=np.float32)
    assert np.allclose(model.predict(x, verbose=0), reloaded.predict(x, verbose=0), atol=1e-6)
    with pytest.raises(CnncalcError, match="already exists; pass --force"):
        bridge.build.save_model(model, path)
    with pytest.raises(CnncalcError, match=r"ending in \.keras"):
        bridge.build.save_model(model, tmp_path / "model.h5")


def test_without_keras_the_error_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    from cnncalc.backends.keras import keras_required

    monkeypatch.setitem(sys.modules, "keras", None)  # what `import keras` sees when it is missing
    with pytest.raises(
        CnncalcError, match=r"keras is not installed: pip install '\.\[keras\]' in cnncalc's folder"
    ):
        keras_required()


def test_check_never_imports_tensorflow_or_keras() -> None:
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "cnncalc", "check", "examples/lenet5.yaml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    imported = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines() if "|" in line}
    assert "cnncalc.shapes.engine" in imported
    assert not {name for name in imported if name.split(".")[0] in {"tensorflow", "keras"}}

"""Every Keras Applications model the issue names imports as a spec that agrees with Keras (issue 9).

For each model (``weights=None``): the spec's total, trainable and non-trainable parameters equal the
Keras model's (summed from its weights), and every layer's output shape and parameter counts equal
those of the Keras layer or operation of the same name, read from the Keras model itself (nested models
included), and the spec has no other layers.
"""

from __future__ import annotations

from collections.abc import Iterator
from math import prod
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest
from typer.testing import CliRunner

import cnncalc
from cnncalc.cli import app

pytestmark = [pytest.mark.keras, pytest.mark.slow]

MODELS = [
    "VGG16",
    "VGG19",
    "ResNet50",
    "ResNet50V2",
    "MobileNet",
    "MobileNetV2",
    "MobileNetV3Small",
    "DenseNet121",
    "InceptionV3",
    "Xception",
    "EfficientNetB0",
    "ConvNeXtTiny",
    "NASNetMobile",
]
OPEN_INPUT = {"MobileNetV3Small": (224, 224, 3)}
"""Models whose default input leaves its sizes open, and the sizes given on import."""


def operations(model: Any, keras: ModuleType) -> Iterator[Any]:
    """Every layer and operation of a model, those of the models nested in it instead of the models."""
    nested = model.layers if isinstance(model, keras.Sequential) else model.operations
    for operation in nested:
        if isinstance(operation, keras.Model):
            yield from operations(operation, keras)
        elif not isinstance(operation, keras.layers.InputLayer):
            yield operation


def counts(weights: list[Any]) -> int:
    return sum(prod(weight.shape) for weight in weights)


@pytest.mark.parametrize("name", MODELS)
def test_keras_applications_import_and_agree(bridge: SimpleNamespace, keras: ModuleType, name: str) -> None:
    build = getattr(keras.applications, name)
    given = OPEN_INPUT.get(name)
    keras.utils.clear_session()  # Keras' automatic names count from zero, as in a fresh session
    model = build(weights=None)
    if given is not None:
        assert any(size is None for size in model.inputs[0].shape[1:])
        with pytest.raises(bridge.convert.UnsupportedModel, match="give the sizes with --input-shape"):
            bridge.convert.from_model(model)
    spec = bridge.convert.from_model(model, input_shape=given)
    analysis = cnncalc.analyze(spec)
    assert analysis.ok, [d.message for d in analysis.errors]
    if given is not None:  # the same model with the sizes fixed, for its shapes (and the same names)
        keras.utils.clear_session()
        model = build(weights=None, input_shape=given)

    assert analysis.trainable_params == counts(model.trainable_weights)
    assert analysis.non_trainable_params == counts(model.non_trainable_weights)
    assert analysis.total_params == model.count_params()

    records = {record.name: record for record in analysis.layers}
    found = []
    for operation in operations(model, keras):
        record = records[operation.name]
        found.append(record.name)
        assert record.output_shape == tuple(operation.output.shape[1:]), record.name
        if isinstance(operation, keras.layers.Layer):
            keras_counts = (counts(operation.trainable_weights), counts(operation.non_trainable_weights))
            assert (record.trainable_params, record.non_trainable_params) == keras_counts, record.name
    assert sorted(found) == sorted(records)


def test_an_application_saved_and_imported_on_the_command_line(tmp_path: Path, keras: ModuleType) -> None:
    model, spec = tmp_path / "mobilenet_v3.keras", tmp_path / "mobilenet_v3.yaml"
    keras.applications.MobileNetV3Small(weights=None).save(model)
    runner = CliRunner()
    result = runner.invoke(app, ["import-keras", str(model), "-o", str(spec)])
    assert result.exit_code == 2
    assert (
        "input shape (None, None, 3) is not fully defined: give the sizes with --input-shape" in result.output
    )
    result = runner.invoke(app, ["import-keras", str(model), "-o", str(spec), "--input-shape", "224,224,3"])
    assert result.exit_code == 0, result.output
    analysis = cnncalc.analyze(spec)
    assert analysis.ok
    assert (
        analysis.total_params == 2_554_968
    )  # Keras' count for MobileNetV3Small (weights=None, 1000 classes)
    assert analysis.output_shape == (1000,)

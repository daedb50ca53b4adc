"""The zoo (examples/zoo/): each network against its published parameter count, its lint findings, and
the Keras Applications models against their specs layer by layer, by Keras' own layer names."""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from typer.testing import CliRunner

import cnncalc
from cnncalc.cli import app

ZOO = Path(__file__).resolve().parent.parent / "examples" / "zoo"

KERAS_APPLICATIONS: dict[str, str] = {
    "vgg16.yaml": "VGG16",
    "resnet50.yaml": "ResNet50",
    "mobilenetv2.yaml": "MobileNetV2",
    "densenet121.yaml": "DenseNet121",
    "inceptionv3.yaml": "InceptionV3",
    "efficientnetb0.yaml": "EfficientNetB0",
}
"""Each zoo file written after a Keras Applications model, and the function that builds it."""

PUBLISHED: dict[str, int] = {
    # Keras Applications (weights=None, include_top=True, default input size): the totals of issue 8,
    # as Keras 3's summary() prints them; keras.io/api/applications lists them rounded (138.4M, 25.6M,
    # 3.5M, 8.1M, 23.9M, 5.3M).
    "vgg16.yaml": 138_357_544,
    "resnet50.yaml": 25_636_712,
    "mobilenetv2.yaml": 3_538_984,
    "densenet121.yaml": 8_062_504,
    "inceptionv3.yaml": 23_851_784,
    "efficientnetb0.yaml": 5_330_571,
    # torchvision.models.alexnet: AlexNet_Weights.IMAGENET1K_V1.meta["num_params"] in
    # torchvision/models/alexnet.py (61.1M in torchvision's model table); the arithmetic is below.
    "alexnet.yaml": 61_100_840,
    # By hand, below.
    "mnist_resnet.yaml": 79_066,
    # torchvision's models (resnet50_weights / mobilenet_v2 "num_params": 25,557,032 and 3,504,872, its
    # trainable parameters) and batch normalization's running mean and variance, 2 per channel
    # (buffers in PyTorch): ResNet-50's 26,560 batch-normalised channels, MobileNetV2's 17,056.
    "resnet50_torchvision.yaml": 25_557_032 + 2 * 26_560,
    "mobilenetv2_torchvision.yaml": 3_504_872 + 2 * 17_056,
}

AGREED: dict[str, list[tuple[str, str]]] = {
    # (code, layer) findings a reader agrees with. Classic networks are clean, and so are MobileNetV2's
    # and EfficientNet's linear bottlenecks (CNN301 leaves low-rank pairs alone):
    "vgg16.yaml": [],
    "inceptionv3.yaml": [],
    "alexnet.yaml": [],
    "mnist_resnet.yaml": [],
    "mobilenetv2.yaml": [],
    "efficientnetb0.yaml": [],
    # 230 padded by 3: 7×7 windows with stride 2 give ⌊(230 − 7)/2⌋ + 1 = 112 covering 7 + 111·2 = 229
    # of 230; the pool: ⌊(114 − 3)/2⌋ + 1 = 56 windows cover 3 + 55·2 = 113 of 114. True (information).
    "resnet50.yaml": [("CNN111", "conv1_conv"), ("CNN111", "pool1_pool")],
    # PyTorch pads symmetrically: 224 + 2·3 − 7 = 223 = 111·2 + 1 and 112 + 2 − 3 = 111 = 55·2 + 1 are
    # tiled exactly; MobileNetV2's stride-2 3×3 convolutions likewise.
    "resnet50_torchvision.yaml": [],
    "mobilenetv2_torchvision.yaml": [],
    "densenet121.yaml": [("CNN111", "conv1_conv"), ("CNN111", "pool1")],
}


def findings(path: Path) -> list[tuple[str, str]]:
    analysis = cnncalc.analyze(path)
    return [
        (d.code, analysis.layers[d.layer].name if d.layer is not None else "") for d in cnncalc.lint(path)
    ]


def test_every_zoo_file_is_listed() -> None:
    assert {path.name for path in ZOO.glob("*.yaml")} == set(PUBLISHED) == set(AGREED)


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_total_is_the_published_figure(name: str) -> None:
    assert cnncalc.analyze(ZOO / name).total_params == PUBLISHED[name]


@pytest.mark.parametrize("name", sorted(AGREED))
def test_check_has_exactly_the_expected_findings(name: str) -> None:
    assert Counter(findings(ZOO / name)) == Counter(AGREED[name])


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_check_exits_0(name: str) -> None:
    result = CliRunner().invoke(app, ["check", str(ZOO / name)], env={"COLUMNS": "120", "NO_COLOR": "1"})
    assert result.exit_code == 0, result.output


def test_alexnet_as_torchvision_computes_it() -> None:
    analysis = cnncalc.analyze(ZOO / "alexnet.yaml")
    shapes = {record.name: record.output_shape for record in analysis.layers}
    # ⌊(224 + 2·2 − 11)/4⌋ + 1 = 55; pools ⌊(55 − 3)/2⌋ + 1 = 27, ⌊(27 − 3)/2⌋ + 1 = 13, ⌊(13 − 3)/2⌋ + 1 = 6
    assert shapes["features.0"] == (64, 55, 55)
    assert shapes["features.2"] == (64, 27, 27)
    assert shapes["features.5"] == (192, 13, 13)
    assert shapes["features.12"] == (256, 6, 6)
    assert shapes["flatten"] == (256 * 6 * 6,)
    params = {record.name: record.params for record in analysis.layers if record.params}
    assert params == {
        "features.0": 11 * 11 * 3 * 64 + 64,
        "features.3": 5 * 5 * 64 * 192 + 192,
        "features.6": 3 * 3 * 192 * 384 + 384,
        "features.8": 3 * 3 * 384 * 256 + 256,
        "features.10": 3 * 3 * 256 * 256 + 256,
        "classifier.1": 9216 * 4096 + 4096,
        "classifier.4": 4096 * 4096 + 4096,
        "classifier.6": 4096 * 1000 + 1000,
    }


def test_mnist_resnet_counted_by_hand() -> None:
    analysis = cnncalc.analyze(ZOO / "mnist_resnet.yaml")
    bn = 4  # γ, β trainable; moving mean and variance not
    stem = 7 * 7 * 1 * 16 + bn * 16
    stage1 = 2 * (3 * 3 * 16 * 16 + bn * 16)
    stage2 = 3 * 3 * 16 * 32 + 3 * 3 * 32 * 32 + 1 * 1 * 16 * 32 + 3 * bn * 32
    stage3 = 3 * 3 * 32 * 64 + 3 * 3 * 64 * 64 + 1 * 1 * 32 * 64 + 3 * bn * 64
    head = 64 * 10 + 10
    assert analysis.total_params == stem + stage1 + stage2 + stage3 + head == 79_066
    assert analysis.non_trainable_params == 2 * (16 + 2 * 16 + 3 * 32 + 3 * 64) == 672
    shapes = {record.name: record.output_shape for record in analysis.layers}
    assert shapes["conv2_block1_out"] == (28, 28, 16)
    assert shapes["conv3_block1_out"] == (14, 14, 32)
    assert shapes["conv4_block1_out"] == (7, 7, 64)
    assert analysis.output_shape == (10,)


# --- against Keras Applications -------------------------------------------------------------------


@dataclass(frozen=True)
class KerasLayer:
    name: str
    type: str
    shape: tuple[int, ...]
    params: int


@dataclass(frozen=True)
class KerasModel:
    """What the tests read from a Keras Applications model, kept instead of the model (VGG16 alone
    holds 553 MB of weights)."""

    layers: tuple[KerasLayer, ...]
    """Every layer but the InputLayer, in Keras' order."""
    trainable: int
    non_trainable: int
    summary: str


def _values(weights: list[Any]) -> int:
    """How many values Keras variables hold."""
    return sum(math.prod(weight.shape) for weight in weights)


@pytest.fixture(scope="module")
def keras_application(keras: ModuleType) -> Callable[[str], KerasModel]:
    """Builds each Keras Applications model (weights=None) once, on a cleared Keras session so
    that unnamed layers get the names a fresh process gives them (conv2d, conv2d_1, ...)."""

    @functools.cache
    def build(function: str) -> KerasModel:
        keras.backend.clear_session()
        model = getattr(keras.applications, function)(weights=None)
        lines: list[str] = []
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("COLUMNS", "250")  # rich's console width, which would crop the table
            model.summary(line_length=250, print_fn=lines.append)
        layers = tuple(
            KerasLayer(layer.name, type(layer).__name__, tuple(layer.output.shape[1:]), layer.count_params())
            for layer in model.layers
            if type(layer).__name__ != "InputLayer"
        )
        facts = KerasModel(
            layers, _values(model.trainable_weights), _values(model.non_trainable_weights), "\n".join(lines)
        )
        del model
        keras.backend.clear_session()
        return facts

    return build


@pytest.mark.keras
@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(KERAS_APPLICATIONS))
def test_every_layer_matches_keras_applications_by_name(
    name: str, keras_application: Callable[[str], KerasModel]
) -> None:
    model = keras_application(KERAS_APPLICATIONS[name])
    analysis = cnncalc.analyze(ZOO / name)
    ours = {record.name: record for record in analysis.layers}
    assert set(ours) == {layer.name for layer in model.layers}
    for layer in model.layers:
        record = ours[layer.name]
        assert (layer.name, record.layer.keras_class, record.output_shape, record.params) == (
            layer.name,
            layer.type,
            layer.shape,
            layer.params,
        )
    assert (analysis.total_params, analysis.trainable_params, analysis.non_trainable_params) == (
        model.trainable + model.non_trainable,
        model.trainable,
        model.non_trainable,
    )
    assert analysis.total_params == PUBLISHED[name]


def _table_rows(text: str) -> list[list[str]]:
    """The cells of a rich table's rows, a row that wraps onto more lines joined into one."""
    rows: list[list[str]] = []
    for line in text.splitlines():
        if not line.startswith("│"):
            continue
        cells = [cell.strip() for cell in line.strip().strip("│").split("│")]
        if rows and not cells[0]:
            rows[-1] = [f"{a} {b}".strip() for a, b in zip(rows[-1], cells, strict=True)]
        else:
            rows.append(cells)
    return rows


def _dims(text: str) -> tuple[int, ...]:
    """``(None, 7, 7, 2048)`` (Keras) and ``(7, 7, 2,048)`` (cnncalc) alike as ``(7, 7, 2048)``."""
    return tuple(int(d.replace(",", "")) for d in text.strip("()").split(", ") if d.strip(",") != "None")


ELEMENT_WISE = {"Add", "Multiply", "Average", "Maximum", "Minimum"}


def _row(cells: list[str]) -> tuple[object, ...]:
    """A summary row in one form: name and type, shape, parameters, and the layers it reads. The
    operands of an element-wise merge are sorted: MobileNetV2's spec adds its operands the other way
    round (see the file)."""
    layer, shape, params, *connected = cells
    if not connected:
        return layer, _dims(shape), params
    sources = [re.sub(r"\[\d+\]\[\d+\]$", "", name) for name in connected[0].split(", ")]
    sources = ["input" if name == "input_layer" else name for name in sources]
    if layer.endswith(tuple(f"({kind})" for kind in ELEMENT_WISE)):
        sources.sort()
    return layer, _dims(shape), params, tuple(sources)


@pytest.mark.keras
@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(KERAS_APPLICATIONS))
def test_check_prints_what_keras_summary_prints(
    name: str, keras_application: Callable[[str], KerasModel]
) -> None:
    """`cnncalc check` prints Keras' summary() row for row: names, types, shapes, parameters,
    connections and totals. cnncalc adds a # column and an input row, and drops the batch axis."""
    summary = keras_application(KERAS_APPLICATIONS[name]).summary
    result = CliRunner().invoke(app, ["check", str(ZOO / name)], env={"COLUMNS": "250", "NO_COLOR": "1"})
    keras_input, *keras_rows = _table_rows(summary)
    our_input, *our_rows = _table_rows(result.output)
    assert _dims(our_input[2]) == _dims(keras_input[1])
    expected = [_row(cells) for cells in keras_rows]
    got = [_row(cells[1:]) for cells in our_rows]
    if name == "inceptionv3.yaml":
        # The unnamed layers are written in the order Keras creates them (which gives their names);
        # Keras' summary lists them by depth in the graph.
        expected, got = sorted(expected, key=str), sorted(got, key=str)
    assert got == expected
    totals = ("Total params:", "Trainable params:", "Non-trainable params:")
    assert [line.strip() for line in result.output.splitlines() if line.startswith(totals)] == [
        line.strip() for line in summary.splitlines() if line.strip().startswith(totals)
    ]

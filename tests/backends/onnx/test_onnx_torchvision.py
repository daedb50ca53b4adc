"""torchvision's networks as ``torch.onnx.export`` writes them (built here with ``onnx.helper``, see
``torch_forms.py``): imported, their parameters are torchvision's published counts, and ONNX Runtime,
running each model itself, gives every layer the engine's shape.

The counts are torchvision's documented ``num_params`` (docs.pytorch.org/vision/stable/models.html, each
model's weights table: AlexNet_Weights, VGG16_Weights, ResNet18_Weights, MobileNet_V2_Weights,
SqueezeNet1_1_Weights). PyTorch counts parameters, not buffers: batch norm's running mean and variance
are the spec's non-trainable weights, two per channel.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest

import cnncalc
from cnncalc.backends.onnx.convert import import_graph
from tests.backends.onnx import torch_forms
from tests.backends.onnx.ort_shapes import runtime_shapes

pytestmark = pytest.mark.onnx

# Batch-norm channels, written out from each architecture:
RESNET18_BN = (
    64 + 4 * 64 + (4 * 128 + 128) + (4 * 256 + 256) + (4 * 512 + 512)
)  # stem, layer1..4 (+ shortcuts)
MOBILENET_V2_BN = 17_056  # 34,112 / 2: Keras Applications' MobileNetV2 reports 34,112 non-trainable

CASES: list[tuple[Callable[[ModuleType], Any], int, int]] = [
    (torch_forms.squeezenet1_1, 1_235_496, 0),
    (torch_forms.resnet18, 11_689_512, 2 * RESNET18_BN),
    (torch_forms.mobilenet_v2, 3_504_872, 2 * MOBILENET_V2_BN),
    pytest.param(torch_forms.alexnet, 61_100_840, 0, marks=pytest.mark.slow),  # type: ignore[list-item]
    pytest.param(torch_forms.vgg16, 138_357_544, 0, marks=pytest.mark.slow),  # type: ignore[list-item]
]


@pytest.mark.parametrize(
    ("build", "parameters", "statistics"), CASES, ids=lambda case: getattr(case, "__name__", "")
)
def test_torchvision_models_import_with_their_published_counts(
    onnx: ModuleType, build: Callable[[ModuleType], Any], parameters: int, statistics: int
) -> None:
    model = build(onnx)
    onnx.checker.check_model(model)
    imported = import_graph(model)
    analysis = cnncalc.analyze(imported.spec)
    assert analysis.ok, [d.message for d in analysis.errors]
    assert analysis.spec.data_format == "channels_first"
    assert analysis.output_shape == (1000,)
    assert analysis.trainable_params == parameters
    assert analysis.non_trainable_params == statistics
    assert RESNET18_BN == 4_800


@pytest.mark.parametrize("build", [torch_forms.squeezenet1_1, torch_forms.resnet18, torch_forms.mobilenet_v2])
def test_onnx_runtime_running_the_model_gives_every_layer_the_engines_shape(
    onnx: ModuleType, build: Callable[[ModuleType], Any]
) -> None:
    model = build(onnx)
    imported = import_graph(model)
    analysis = cnncalc.analyze(imported.spec)
    shapes = runtime_shapes(onnx, model, imported)
    assert set(shapes) == {record.name for record in analysis.layers}
    for record in analysis.layers:
        assert shapes[record.name] == record.output_shape, record.name


def test_pytorch_idioms_come_through_as_the_specs_own_options(onnx: ModuleType) -> None:
    spec = import_graph(torch_forms.squeezenet1_1(onnx)).spec
    pool = spec.layers[2]
    assert (pool.name, pool.type, pool.ceil_mode) == ("features.2", "maxpool2d", True)  # type: ignore[attr-defined]
    resnet = {layer.name: layer for layer in import_graph(torch_forms.resnet18(onnx)).spec.layers}
    assert resnet["conv1"].use_bias is False  # type: ignore[attr-defined]  # the convolution before batch norm
    assert resnet["bn1"].type == "batchnorm"
    assert resnet["bn1"].epsilon == 1e-5  # type: ignore[attr-defined]  # PyTorch's, not Keras' 1e-3
    stem_pool = resnet["maxpool"]  # MaxPool2d(3, 2, padding=1): the padding is ignored (−∞), not zeros
    assert (stem_pool.padding, stem_pool.count_include_pad) == (((1, 1), (1, 1)), False)  # type: ignore[attr-defined]
    assert resnet["layer1.0"].type == "add"
    mobilenet = {layer.name: layer for layer in import_graph(torch_forms.mobilenet_v2(onnx)).spec.layers}
    assert mobilenet["features.0.2"].activation == "relu6"  # type: ignore[attr-defined]  # Clip(0, 6)
    depthwise = mobilenet["features.1.conv.0.0"]
    assert (depthwise.type, depthwise.depth_multiplier) == ("depthwiseconv2d", 1)  # type: ignore[attr-defined]
    assert mobilenet["classifier.1"].type == "dense"  # Flatten + Gemm

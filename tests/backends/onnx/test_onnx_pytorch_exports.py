"""Real PyTorch exports: torchvision's AlexNet, VGG16, ResNet-18 and MobileNetV2, written here in torch a few
lines each (torchvision does not import beside this torch; the modules are named as torchvision names
them), exported both ways users do, then imported.

- TorchScript exporter (``dynamo=False``) without constant folding: convolutions without bias, then batch
  normalisation; the parameters are torchvision's published counts, and the batch norms' running mean and
  variance the non-trainable weights (two per channel).
- TorchScript exporter with constant folding, and the default dynamo exporter (opset 18 asked, ``ReduceMean``
  for the global pool, ``Reshape`` with a shape initialiser instead of ``Flatten``, weights in
  ``model.onnx.data``): both fuse each batch norm into the convolution before it, which gains a bias of one
  value per channel while γ, β and the running statistics go. The fused counts are the published ones less
  one value per batch-norm channel; PyTorch itself counts those channels below.

Batch-norm statistics are drawn at random first, as a trained model has them: an untrained one's fused
biases are all zero, and the dynamo exporter drops a zero bias.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import cnncalc
from cnncalc.backends.onnx.convert import import_graph, import_onnx
from cnncalc.backends.onnx.read import read_model
from cnncalc.errors import SpecError
from tests.backends.onnx.ort_shapes import runtime_shapes

pytestmark = [pytest.mark.torch, pytest.mark.onnx, pytest.mark.slow]

PUBLISHED = {"alexnet": 61_100_840, "vgg16": 138_357_544, "resnet18": 11_689_512, "mobilenet_v2": 3_504_872}
"""torchvision's documented num_params (docs.pytorch.org/vision/stable/models.html)."""


def networks(torch: ModuleType) -> dict[str, Callable[[], Any]]:
    nn = torch.nn

    def alexnet() -> Any:
        features = nn.Sequential(
            nn.Conv2d(3, 64, 11, 4, 2), nn.ReLU(), nn.MaxPool2d(3, 2),
            nn.Conv2d(64, 192, 5, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
            nn.Conv2d(192, 384, 3, padding=1), nn.ReLU(), nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(),
            nn.Conv2d(256, 256, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2),
        )  # fmt: skip
        classifier = nn.Sequential(
            nn.Dropout(), nn.Linear(9216, 4096), nn.ReLU(), nn.Dropout(), nn.Linear(4096, 4096), nn.ReLU(),
            nn.Linear(4096, 1000),
        )  # fmt: skip
        return Classifier(features, nn.AdaptiveAvgPool2d((6, 6)), classifier)

    def vgg16() -> Any:
        layers: list[Any] = []
        channels = 3
        for width in [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]:
            if width == "M":
                layers.append(nn.MaxPool2d(2, 2))
            else:
                layers += [nn.Conv2d(channels, int(width), 3, padding=1), nn.ReLU()]
                channels = int(width)
        classifier = nn.Sequential(
            nn.Linear(25088, 4096), nn.ReLU(), nn.Dropout(), nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(),
            nn.Linear(4096, 1000),
        )  # fmt: skip
        return Classifier(nn.Sequential(*layers), nn.AdaptiveAvgPool2d((7, 7)), classifier)

    class Classifier(
        nn.Module
    ):  # torchvision's AlexNet and VGG forward: features, avgpool, flatten, classifier
        def __init__(self, features: Any, avgpool: Any, classifier: Any) -> None:
            super().__init__()
            self.features, self.avgpool, self.classifier = features, avgpool, classifier

        def forward(self, x: Any) -> Any:
            return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))

    class BasicBlock(nn.Module):
        def __init__(self, cin: int, cout: int, stride: int) -> None:
            super().__init__()
            self.conv1, self.bn1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout)
            self.relu = nn.ReLU()
            self.conv2, self.bn2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout)
            self.downsample = None
            if stride != 1 or cin != cout:
                self.downsample = nn.Sequential(
                    nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout)
                )

        def forward(self, x: Any) -> Any:
            identity = x if self.downsample is None else self.downsample(x)
            out = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
            return self.relu(out + identity)

    class ResNet18(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1, self.bn1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64)
            self.relu, self.maxpool = nn.ReLU(), nn.MaxPool2d(3, 2, 1)
            widths = [(64, 64, 1), (64, 128, 2), (128, 256, 2), (256, 512, 2)]
            for index, (cin, cout, stride) in enumerate(widths, start=1):
                setattr(
                    self,
                    f"layer{index}",
                    nn.Sequential(BasicBlock(cin, cout, stride), BasicBlock(cout, cout, 1)),
                )
            self.avgpool, self.fc = nn.AdaptiveAvgPool2d((1, 1)), nn.Linear(512, 1000)

        def forward(self, x: Any) -> Any:
            x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
            x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
            return self.fc(torch.flatten(self.avgpool(x), 1))

    def conv_bn(cin: int, cout: int, kernel: int = 3, stride: int = 1, groups: int = 1) -> Any:
        return nn.Sequential(
            nn.Conv2d(cin, cout, kernel, stride, (kernel - 1) // 2, groups=groups, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU6(),
        )

    class InvertedResidual(nn.Module):
        def __init__(self, cin: int, cout: int, stride: int, expansion: int) -> None:
            super().__init__()
            hidden = cin * expansion
            self.use_res_connect = stride == 1 and cin == cout
            layers = [] if expansion == 1 else [conv_bn(cin, hidden, 1)]
            layers += [
                conv_bn(hidden, hidden, 3, stride, hidden),
                nn.Conv2d(hidden, cout, 1, bias=False),
                nn.BatchNorm2d(cout),
            ]
            self.conv = nn.Sequential(*layers)

        def forward(self, x: Any) -> Any:
            return x + self.conv(x) if self.use_res_connect else self.conv(x)

    class MobileNetV2(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            features, channels = [conv_bn(3, 32, 3, 2)], 32
            for expansion, width, repeats, stride in [
                (1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)
            ]:  # fmt: skip
                for repeat in range(repeats):
                    features.append(
                        InvertedResidual(channels, width, stride if repeat == 0 else 1, expansion)
                    )
                    channels = width
            features.append(conv_bn(channels, 1280, 1))
            self.features = nn.Sequential(*features)
            self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(1280, 1000))

        def forward(self, x: Any) -> Any:
            x = nn.functional.adaptive_avg_pool2d(self.features(x), (1, 1))
            return self.classifier(torch.flatten(x, 1))

    return {"alexnet": alexnet, "vgg16": vgg16, "resnet18": ResNet18, "mobilenet_v2": MobileNetV2}


EXPORTERS = ["torchscript", "torchscript-folded", "dynamo"]


def export(torch: ModuleType, model: Any, exporter: str, path: Path) -> None:
    example = (torch.randn(1, 3, 224, 224),)
    if exporter == "dynamo":
        torch.onnx.export(model, example, path, opset_version=18, external_data=True)
    else:
        folded = exporter == "torchscript-folded"
        torch.onnx.export(model, example, path, dynamo=False, do_constant_folding=folded)


@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning", "ignore::UserWarning")
@pytest.mark.parametrize("exporter", EXPORTERS)
@pytest.mark.parametrize("name", list(PUBLISHED))
def test_pytorch_exports_import_with_torchvisions_counts(
    torch: ModuleType, onnx: ModuleType, name: str, exporter: str, tmp_path: Path
) -> None:
    torch.manual_seed(0)
    model = networks(torch)[name]().eval()
    assert sum(p.numel() for p in model.parameters()) == PUBLISHED[name]  # PyTorch agrees with the docs
    channels = 0
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):  # a trained model's statistics, not the initial ones
            module.running_mean.uniform_(-1, 1)
            module.running_var.uniform_(0.5, 2)
            channels += module.num_features
    path = tmp_path / "model.onnx"
    export(torch, model, exporter, path)
    analysis = cnncalc.analyze(import_onnx(path))
    assert analysis.ok, [d.message for d in analysis.errors]
    assert analysis.output_shape == (1000,)
    if exporter == "torchscript":
        assert (analysis.trainable_params, analysis.non_trainable_params) == (PUBLISHED[name], 2 * channels)
    else:  # each batch norm fused into its convolution: a bias of one value per channel instead of 4
        assert (analysis.trainable_params, analysis.non_trainable_params) == (PUBLISHED[name] - channels, 0)
    model_proto = read_model(path)
    imported = import_graph(model_proto, file=path)
    model_proto = onnx.load(str(path))  # weights loaded, for ONNX Runtime
    shapes = runtime_shapes(onnx, model_proto, imported)
    for record in analysis.layers:
        assert shapes[record.name] == record.output_shape, record.name
    if exporter == "dynamo":
        data = tmp_path / "model.onnx.data"
        assert data.is_file()
        moved = tmp_path / "elsewhere"
        moved.mkdir()
        path.rename(moved / "model.onnx")
        with pytest.raises(
            SpecError, match=r"keeps its weights in model\.onnx\.data, which is not next to it"
        ):
            import_onnx(moved / "model.onnx")


def test_fused_counts_are_the_published_ones_less_the_batch_norm_channels() -> None:
    """The arithmetic the fused expectations rest on, for ResNet-18: 20 batch norms (stem 64; layer1 4 × 64;
    layer2 4 × 128 + a 128 shortcut; layer3 4 × 256 + 256; layer4 4 × 512 + 512)."""
    channels = 64 + 4 * 64 + (4 * 128 + 128) + (4 * 256 + 256) + (4 * 512 + 512)
    assert channels == 4_800
    assert PUBLISHED["resnet18"] - channels == 11_684_712  # γ, β (2 per channel) become a bias (1)

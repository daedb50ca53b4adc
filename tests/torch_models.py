"""torchvision's AlexNet, VGG16, ResNet-50 and MobileNetV2, module for module, in plain PyTorch.

torchvision itself cannot be installed here (its wheels pull a CUDA build of torch), and the FLOP
counters count what a model's modules and functions do, so the tests that run them need the same
modules, called the same way: ReLU modules (reused within a ResNet block), ``out += identity``,
MobileNetV2's functional ``adaptive_avg_pool2d`` and ``x + self.conv(x)``. Written after
torchvision 0.20's ``models/alexnet.py``, ``vgg.py``, ``resnet.py`` and ``mobilenetv2.py``; the
parameter counts (61,100,840, 138,357,544, 25,557,032 and 3,504,872, as torchvision's model
documentation lists them) are checked by the tests.
"""

from __future__ import annotations

import torch
from torch import nn


def alexnet() -> nn.Module:
    """``torchvision.models.alexnet()``."""

    class AlexNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.features = nn.Sequential(
                nn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2),
                nn.ReLU(inplace=True),
                nn.MaxPool2d(kernel_size=3, stride=2),
                nn.Conv2d(64, 192, kernel_size=5, padding=2),
                nn.ReLU(inplace=True),
                nn.MaxPool2d(kernel_size=3, stride=2),
                nn.Conv2d(192, 384, kernel_size=3, padding=1),
                nn.ReLU(inplace=True),
                nn.Conv2d(384, 256, kernel_size=3, padding=1),
                nn.ReLU(inplace=True),
                nn.Conv2d(256, 256, kernel_size=3, padding=1),
                nn.ReLU(inplace=True),
                nn.MaxPool2d(kernel_size=3, stride=2),
            )
            self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
            self.classifier = nn.Sequential(
                nn.Dropout(p=0.5),
                nn.Linear(256 * 6 * 6, 4096),
                nn.ReLU(inplace=True),
                nn.Dropout(p=0.5),
                nn.Linear(4096, 4096),
                nn.ReLU(inplace=True),
                nn.Linear(4096, 1000),
            )

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x = self.features(x)
            x = self.avgpool(x)
            x = torch.flatten(x, 1)
            return self.classifier(x)

    return AlexNet()


VGG16_WIDTHS = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M")  # fmt: skip
"""Configuration D: the filters of each 3×3 convolution, ``M`` a 2×2 max pool."""


def vgg16() -> nn.Module:
    """``torchvision.models.vgg16()``: configuration D, no batch norm."""

    class VGG(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            layers: list[nn.Module] = []
            channels = 3
            for width in VGG16_WIDTHS:
                if width == "M":
                    layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
                else:
                    assert isinstance(width, int)
                    layers += [nn.Conv2d(channels, width, kernel_size=3, padding=1), nn.ReLU(inplace=True)]
                    channels = width
            self.features = nn.Sequential(*layers)
            self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
            self.classifier = nn.Sequential(
                nn.Linear(512 * 7 * 7, 4096),
                nn.ReLU(True),
                nn.Dropout(p=0.5),
                nn.Linear(4096, 4096),
                nn.ReLU(True),
                nn.Dropout(p=0.5),
                nn.Linear(4096, 1000),
            )

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x = self.features(x)
            x = self.avgpool(x)
            x = torch.flatten(x, 1)
            return self.classifier(x)

    return VGG()


class Bottleneck(nn.Module):
    """torchvision's ResNet V1.5 bottleneck: the stride on the 3×3 convolution."""

    def __init__(
        self, inplanes: int, planes: int, stride: int = 1, downsample: nn.Module | None = None
    ) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, kernel_size=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, kernel_size=1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return self.relu(out)


def resnet50() -> nn.Module:
    """``torchvision.models.resnet50()``."""

    class ResNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inplanes = 64
            self.conv1 = nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)
            self.bn1 = nn.BatchNorm2d(64)
            self.relu = nn.ReLU(inplace=True)
            self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
            self.layer1 = self._make_layer(64, 3)
            self.layer2 = self._make_layer(128, 4, stride=2)
            self.layer3 = self._make_layer(256, 6, stride=2)
            self.layer4 = self._make_layer(512, 3, stride=2)
            self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
            self.fc = nn.Linear(2048, 1000)

        def _make_layer(self, planes: int, blocks: int, stride: int = 1) -> nn.Sequential:
            downsample = nn.Sequential(
                nn.Conv2d(self.inplanes, planes * 4, kernel_size=1, stride=stride, bias=False),
                nn.BatchNorm2d(planes * 4),
            )
            layers = [Bottleneck(self.inplanes, planes, stride, downsample)]
            self.inplanes = planes * 4
            layers += [Bottleneck(self.inplanes, planes) for _ in range(1, blocks)]
            return nn.Sequential(*layers)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
            x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
            x = torch.flatten(self.avgpool(x), 1)
            return self.fc(x)

    return ResNet()


def _conv_bn(
    inp: int, out: int, kernel: int = 3, stride: int = 1, groups: int = 1, relu6: bool = True
) -> nn.Sequential:
    """torchvision's ``Conv2dNormActivation``: convolution without bias, batch norm, ReLU6."""
    layers: list[nn.Module] = [
        nn.Conv2d(inp, out, kernel, stride, (kernel - 1) // 2, groups=groups, bias=False),
        nn.BatchNorm2d(out),
    ]
    if relu6:
        layers.append(nn.ReLU6(inplace=True))
    return nn.Sequential(*layers)


class InvertedResidual(nn.Module):
    """MobileNetV2's block: expand 1×1 (unless t = 1), depthwise 3×3, project 1×1; a shortcut
    when the stride is 1 and the channels stay."""

    def __init__(self, inp: int, oup: int, stride: int, expand_ratio: int) -> None:
        super().__init__()
        hidden = inp * expand_ratio
        self.use_res_connect = stride == 1 and inp == oup
        layers: list[nn.Module] = []
        if expand_ratio != 1:
            layers.append(_conv_bn(inp, hidden, kernel=1))
        layers += [
            _conv_bn(hidden, hidden, stride=stride, groups=hidden),
            nn.Conv2d(hidden, oup, 1, 1, 0, bias=False),
            nn.BatchNorm2d(oup),
        ]
        self.conv = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.use_res_connect:
            return x + self.conv(x)
        return self.conv(x)


INVERTED_RESIDUALS = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1))  # fmt: skip
"""MobileNetV2's stages: expansion t, channels c, blocks n, first stride s."""


def mobilenet_v2() -> nn.Module:
    """``torchvision.models.mobilenet_v2()`` (width 1.0)."""

    class MobileNetV2(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            features: list[nn.Module] = [_conv_bn(3, 32, stride=2)]
            channels = 32
            for t, c, n, s in INVERTED_RESIDUALS:
                for i in range(n):
                    features.append(InvertedResidual(channels, c, s if i == 0 else 1, t))
                    channels = c
            features.append(_conv_bn(channels, 1280, kernel=1))
            self.features = nn.Sequential(*features)
            self.classifier = nn.Sequential(nn.Dropout(p=0.2), nn.Linear(1280, 1000))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x = self.features(x)
            x = nn.functional.adaptive_avg_pool2d(x, (1, 1))
            x = torch.flatten(x, 1)
            return self.classifier(x)

    return MobileNetV2()


MODELS = {"alexnet": alexnet, "vgg16": vgg16, "resnet50": resnet50, "mobilenet_v2": mobilenet_v2}
"""Each model's constructor by torchvision's name."""

"""ONNX graphs written with ``onnx.helper`` in the form ``torch.onnx.export`` (TorchScript exporter,
eval mode, constant folding off) writes for torchvision's models: node names ``/features/features.0/Conv``,
weights named after the modules (``features.0.weight``), convolutions without bias before
``BatchNormalization``, ``Clip`` with ``Constant`` bounds for ReLU6, ``Flatten`` + ``Gemm`` (``transB=1``)
classifiers, dropout left out (eval mode), and ``AdaptiveAvgPool2d`` at the size it already has written as
the ``AveragePool`` of 1 it becomes. Initialisers are random, of the right shapes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import numpy as np


@dataclass
class TorchForm:
    """A graph being written, one torch module at a time."""

    onnx: ModuleType
    name: str
    input_shape: tuple[int, ...] = (1, 3, 224, 224)
    nodes: list[Any] = field(default_factory=list)
    initializers: list[Any] = field(default_factory=list)
    rng: np.random.Generator = field(default_factory=lambda: np.random.default_rng(0))
    x: str = "input.1"

    def node(self, op: str, module: str, inputs: list[str], **attributes: Any) -> str:
        scopes = "/".join(_scopes(module))
        name = f"/{scopes}/{op}" if scopes else f"/{op}"
        count = sum(1 for n in self.nodes if n.name == name or n.name.startswith(name + "_"))
        if count:
            name = f"{name}_{count}"
        output = f"{name}_output_0"
        self.nodes.append(self.onnx.helper.make_node(op, inputs, [output], name=name, **attributes))
        return output

    def param(self, name: str, shape: tuple[int, ...]) -> str:
        values = self.rng.standard_normal(shape, dtype=np.float32)
        self.initializers.append(self.onnx.numpy_helper.from_array(values, name))
        return name

    def constant(self, module: str, value: float) -> str:
        tensor = self.onnx.numpy_helper.from_array(np.asarray(value, np.float32))
        return self.node("Constant", module, [], value=tensor)

    # --- modules ---------------------------------------------------------------------------------

    def conv(self, module: str, cin: int, cout: int, k: int, s: int = 1, p: int = 0, groups: int = 1,
             bias: bool = True) -> None:  # fmt: skip
        inputs = [self.x, self.param(f"{module}.weight", (cout, cin // groups, k, k))]
        if bias:
            inputs.append(self.param(f"{module}.bias", (cout,)))
        self.x = self.node("Conv", module, inputs, dilations=[1, 1], group=groups, kernel_shape=[k, k],
                           pads=[p, p, p, p], strides=[s, s])  # fmt: skip

    def bn(self, module: str, channels: int) -> None:
        names = [self.param(f"{module}.{w}", (channels,)) for w in ("weight", "bias", "running_mean")]
        names.append(self.param(f"{module}.running_var", (channels,)))
        self.x = self.node("BatchNormalization", module, [self.x, *names], epsilon=1e-5, momentum=0.9)

    def relu(self, module: str) -> None:
        self.x = self.node("Relu", module, [self.x])

    def relu6(self, module: str) -> None:
        low, high = self.constant(module, 0.0), self.constant(module, 6.0)
        self.x = self.node("Clip", module, [self.x, low, high])

    def maxpool(self, module: str, k: int, s: int, p: int = 0, ceil: bool = False) -> None:
        self.x = self.node("MaxPool", module, [self.x], ceil_mode=int(ceil), dilations=[1, 1], kernel_shape=[k, k],
                           pads=[p, p, p, p], strides=[s, s])  # fmt: skip

    def adaptive_avgpool_unchanged(self, module: str) -> None:
        self.x = self.node("AveragePool", module, [self.x], kernel_shape=[1, 1], strides=[1, 1])

    def global_avgpool(self, module: str) -> None:
        self.x = self.node("GlobalAveragePool", module, [self.x])

    def flatten(self, module: str) -> None:
        self.x = self.node("Flatten", module, [self.x], axis=1)

    def linear(self, module: str, fan_in: int, units: int) -> None:
        inputs = [
            self.x,
            self.param(f"{module}.weight", (units, fan_in)),
            self.param(f"{module}.bias", (units,)),
        ]
        self.x = self.node("Gemm", module, inputs, alpha=1.0, beta=1.0, transB=1)

    def add(self, module: str, other: str) -> None:
        self.x = self.node("Add", module, [self.x, other])

    def concat(self, module: str, tensors: list[str]) -> None:
        self.x = self.node("Concat", module, tensors, axis=1)

    def model(self) -> Any:
        helper, proto = self.onnx.helper, self.onnx.TensorProto
        graph = helper.make_graph(
            self.nodes,
            "main_graph",
            [helper.make_tensor_value_info("input.1", proto.FLOAT, list(self.input_shape))],
            [helper.make_tensor_value_info(self.x, proto.FLOAT, [1, 1000])],
            self.initializers,
        )
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="pytorch")
        model.ir_version = 8
        return model


def _scopes(module: str) -> list[str]:
    """``features.0`` → ``['features', 'features.0']``: the TorchScript exporter's scope names."""
    parts = module.split(".") if module else []
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


# --- torchvision's architectures ---------------------------------------------------------------------


def alexnet(onnx: ModuleType) -> Any:
    """torchvision.models.alexnet."""
    g = TorchForm(onnx, "alexnet")
    for index, (cin, cout, k, s, p, pool) in enumerate(
        [(3, 64, 11, 4, 2, True), (64, 192, 5, 1, 2, True), (192, 384, 3, 1, 1, False),
         (384, 256, 3, 1, 1, False), (256, 256, 3, 1, 1, True)]
    ):  # fmt: skip
        at = [0, 3, 6, 8, 10][index]
        g.conv(f"features.{at}", cin, cout, k, s, p)
        g.relu(f"features.{at + 1}")
        if pool:
            g.maxpool(f"features.{at + 2}", 3, 2)
    g.adaptive_avgpool_unchanged("avgpool")  # AdaptiveAvgPool2d((6, 6)) on a 6×6 map
    g.flatten("")
    g.linear("classifier.1", 256 * 6 * 6, 4096)
    g.relu("classifier.2")
    g.linear("classifier.4", 4096, 4096)
    g.relu("classifier.5")
    g.linear("classifier.6", 4096, 1000)
    return g.model()


def vgg16(onnx: ModuleType) -> Any:
    """torchvision.models.vgg16 (configuration D, no batch norm)."""
    g = TorchForm(onnx, "vgg16")
    channels, index = 3, 0
    for width in [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]:
        if width == "M":
            g.maxpool(f"features.{index}", 2, 2)
            index += 1
            continue
        g.conv(f"features.{index}", channels, int(width), 3, 1, 1)
        g.relu(f"features.{index + 1}")
        channels, index = int(width), index + 2
    g.adaptive_avgpool_unchanged("avgpool")  # AdaptiveAvgPool2d((7, 7)) on a 7×7 map
    g.flatten("")
    g.linear("classifier.0", 512 * 7 * 7, 4096)
    g.relu("classifier.1")
    g.linear("classifier.3", 4096, 4096)
    g.relu("classifier.4")
    g.linear("classifier.6", 4096, 1000)
    return g.model()


def resnet18(onnx: ModuleType) -> Any:
    """torchvision.models.resnet18: BasicBlocks, 1×1 projection shortcuts where the shape changes."""
    g = TorchForm(onnx, "resnet18")
    g.conv("conv1", 3, 64, 7, 2, 3, bias=False)
    g.bn("bn1", 64)
    g.relu("relu")
    g.maxpool("maxpool", 3, 2, 1)
    channels = 64
    for stage, width in enumerate([64, 128, 256, 512], start=1):
        for block in range(2):
            prefix = f"layer{stage}.{block}"
            strides = 2 if block == 0 and stage > 1 else 1
            shortcut = g.x
            if strides != 1 or channels != width:
                g.conv(f"{prefix}.downsample.0", channels, width, 1, strides, bias=False)
                g.bn(f"{prefix}.downsample.1", width)
                shortcut, g.x = g.x, shortcut
            g.conv(f"{prefix}.conv1", channels, width, 3, strides, 1, bias=False)
            g.bn(f"{prefix}.bn1", width)
            g.relu(f"{prefix}.relu")
            g.conv(f"{prefix}.conv2", width, width, 3, 1, 1, bias=False)
            g.bn(f"{prefix}.bn2", width)
            g.add(prefix, shortcut)
            g.relu(f"{prefix}.relu")
            channels = width
    g.global_avgpool("avgpool")
    g.flatten("")
    g.linear("fc", 512, 1000)
    return g.model()


def mobilenet_v2(onnx: ModuleType) -> Any:
    """torchvision.models.mobilenet_v2: inverted residuals of 1×1 expansion, 3×3 depthwise and 1×1
    linear projection, each convolution without bias before batch norm, ReLU6 as ``Clip(0, 6)``."""
    g = TorchForm(onnx, "mobilenet_v2")

    def conv_bn(
        module: str, cin: int, cout: int, k: int, s: int = 1, groups: int = 1, act: bool = True
    ) -> None:
        g.conv(f"{module}.0", cin, cout, k, s, (k - 1) // 2, groups, bias=False)
        g.bn(f"{module}.1", cout)
        if act:
            g.relu6(f"{module}.2")

    conv_bn("features.0", 3, 32, 3, 2)
    channels, index = 32, 1
    for expansion, width, repeats, first_strides in [
        (1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)
    ]:  # fmt: skip
        for repeat in range(repeats):
            strides = first_strides if repeat == 0 else 1
            hidden, prefix, shortcut = channels * expansion, f"features.{index}.conv", g.x
            layer = 0
            if expansion != 1:
                conv_bn(f"{prefix}.0", channels, hidden, 1)
                layer = 1
            conv_bn(f"{prefix}.{layer}", hidden, hidden, 3, strides, groups=hidden)
            g.conv(f"{prefix}.{layer + 1}", hidden, width, 1, bias=False)
            g.bn(f"{prefix}.{layer + 2}", width)
            if strides == 1 and channels == width:
                g.add(f"features.{index}", shortcut)
            channels, index = width, index + 1
    conv_bn(f"features.{index}", channels, 1280, 1)
    g.global_avgpool("")  # nn.functional.adaptive_avg_pool2d(x, (1, 1))
    g.flatten("")
    g.linear("classifier.1", 1280, 1000)
    return g.model()


def squeezenet1_1(onnx: ModuleType) -> Any:
    """torchvision.models.squeezenet1_1: Fire modules, and max pooling with ``ceil_mode=True``."""
    g = TorchForm(onnx, "squeezenet1_1")
    g.conv("features.0", 3, 64, 3, 2)
    g.relu("features.1")
    g.maxpool("features.2", 3, 2, ceil=True)
    channels = 64
    plan: list[tuple[int, int] | None] = [(16, 64), (16, 64), None, (32, 128), (32, 128), None, (48, 192),
                                          (48, 192), (64, 256), (64, 256)]  # fmt: skip
    for index, fire in enumerate(plan, start=3):
        if fire is None:
            g.maxpool(f"features.{index}", 3, 2, ceil=True)
            continue
        squeeze, expand = fire
        g.conv(f"features.{index}.squeeze", channels, squeeze, 1)
        g.relu(f"features.{index}.squeeze_activation")
        squeezed = g.x
        g.conv(f"features.{index}.expand1x1", squeeze, expand, 1)
        g.relu(f"features.{index}.expand1x1_activation")
        left, g.x = g.x, squeezed
        g.conv(f"features.{index}.expand3x3", squeeze, expand, 3, 1, 1)
        g.relu(f"features.{index}.expand3x3_activation")
        g.concat(f"features.{index}", [left, g.x])
        channels = 2 * expand
    g.conv("classifier.1", channels, 1000, 1)
    g.relu("classifier.2")
    g.global_avgpool("classifier.3")
    g.flatten("")
    return g.model()

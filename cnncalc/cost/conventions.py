"""What each FLOP-counting tool prints for a network, as pure functions over the records.

Every tool counts PyTorch modules (or operators), each with its own rule; a module it has no rule
for counts nothing. So a convention here is a table keyed on the ``torch.nn`` class, as the tool's
own hook table is, applied to the modules each spec layer becomes
(:func:`cnncalc.cost.torch_twin.torch_modules`). The rules are read from each tool's released
source (file and line below; the versions ``pip install`` gives today) and checked against the
figures the tools publish and print (tests/test_conventions.py, docs/cost.md).

- ``torchvision``: the figures in torchvision's model documentation (``_ops`` in each model's
  weights, e.g. ResNet-50's 4.089), computed with a dispatch-mode counter over ``aten.convolution``
  and ``aten.addmm``/``mm`` that counts one multiply-accumulate as one operation and no bias
  (pytorch/vision#6936): the MACs.
- ``fvcore`` 0.1.5.post20221221: MACs of convolutions and linear layers (``jit_handles.py``
  127-151, 99-110), batch norm at inference ``(2 if affine else 1)`` per value (251-258), layer norm
  ``5`` (``4``) per value (230-247), adaptive average pooling one per input value, nearest and
  bilinear upsampling 1 and 4 per output value (``flop_count.py`` 26-43). Nothing else.
- ``torchinfo`` 1.8.0 ``Total mult-adds``: each leaf module's parameters times its output positions
  for convolutions, times the batch for the others (``layer_info.py`` 225-245): so a bias counts
  once per position, batch norm ``2·C``, and layers without parameters nothing.
- ``ptflops`` 0.7.5 (its default ``pytorch`` backend, ``flops_counter.py`` 34): module hooks
  (``pytorch_ops.py`` 17-92, table 271-324) count convolutions and linear layers with their bias,
  batch norm ``2`` per value (``1`` without affine; ``LayerNorm`` has no ``affine``, so ``1``),
  activations one per output value and pools one per input value; and functional hooks
  (``pytorch_engine.py`` 348-390) count ``F.relu``, ``F.elu``, ``F.gelu``, ``F.prelu``,
  ``F.silu``, ``F.softmax``, every ``F.*pool*`` and ``F.interpolate`` again when the module calls
  them: ``nn.ReLU`` and the pools count twice; ``nn.ReLU6`` (``F.hardtanh``) and ``nn.LeakyReLU``
  once; ``nn.SiLU`` and ``nn.Softmax`` (no module hook) once.
- ``thop`` 0.1.1.post2209072238 (``profile.py`` 21-66): convolutions ``output values · C_in/g ·
  K_h·K_w`` without bias (``basic_hooks.py`` 22-34, ``calc_func.py`` 28-34; for a transposed
  convolution this counts the output, not the input), linear layers ``in_features`` per output
  value (140-147), batch and layer norm ``2`` per value, doubled when affine (60-69,
  ``calc_func.py`` 43-45), ``PReLU`` one per value (82-87), softmax ``3f − 1`` per row of ``f``
  (98-103, ``calc_func.py`` 57-62), average pooling one per output value, adaptive average
  pooling ``window + 1`` per output value (106-121), upsampling 1, 11 or 259 per output value for
  nearest, bilinear, bicubic (125-136, ``calc_func.py`` 75-87); ReLU, ReLU6, LeakyReLU, max pooling
  and dropout zero.
- ``calflops`` 0.3.2 ``FLOPs`` (``pytorch_ops.py`` 452-503 patches ``torch.nn.functional``): ``2·MACs``
  for convolutions plus their bias, ``2·MACs`` for linear layers without it (37-40, 83-125),
  batch norm ``2`` (``1``) per value at inference (174-189), layer norm ``5`` (``4``) (192-201),
  ``F.relu``, ``F.elu``, ``F.leaky_relu``, ``F.prelu``, ``F.silu``, ``F.gelu`` and ``F.softmax`` one
  per value (43-68, 254-255), every pool and ``F.interpolate`` one per *input* value (71-80,
  229-251); ``nn.ReLU6`` calls ``F.hardtanh``, which it does not patch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from enum import StrEnum

from cnncalc.cost.torch_twin import TorchModule, torch_modules
from cnncalc.shapes.records import Analysis, LayerRecord


class Convention(StrEnum):
    """Whose figure ``flops`` means. Without one, FLOPs are ``2·MACs``."""

    TORCHVISION = "torchvision"
    FVCORE = "fvcore"
    TORCHINFO = "torchinfo"
    PTFLOPS = "ptflops"
    THOP = "thop"
    CALFLOPS = "calflops"


Rule = Callable[[TorchModule], int]


def _macs(m: TorchModule) -> int:
    return m.macs


def _macs_and_bias(m: TorchModule) -> int:
    return m.macs + m.bias


def _per_input(scale: int) -> Rule:
    return lambda m: scale * m.inputs


def _per_output(scale: int) -> Rule:
    return lambda m: scale * m.outputs


def _norm(affine: int, plain: int) -> Rule:
    return lambda m: m.inputs * (affine if m.affine else plain)


def _upsampling(scales: dict[str, int]) -> Rule:
    return lambda m: scales.get(m.mode, 0) * m.outputs


def _torchinfo(m: TorchModule) -> int:
    """Parameters times output positions (convolutions) or times the batch of 1 (the rest)."""
    return m.params * m.positions if m.name in ("Conv2d", "ConvTranspose2d") else m.params


def _thop_softmax(m: TorchModule) -> int:
    return m.outputs // m.features * (3 * m.features - 1)


_POOLS = ("MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "AdaptiveMaxPool2d")

RULES: dict[Convention, dict[str, Rule]] = {
    Convention.TORCHVISION: {"Conv2d": _macs, "ConvTranspose2d": _macs, "Linear": _macs},
    Convention.FVCORE: {
        "Conv2d": _macs,
        "ConvTranspose2d": _macs,
        "Linear": _macs,
        "BatchNorm2d": _norm(2, 1),
        "LayerNorm": _norm(5, 4),
        "AdaptiveAvgPool2d": _per_input(1),
        "Upsample": _upsampling({"nearest": 1, "bilinear": 4}),
    },
    Convention.TORCHINFO: dict.fromkeys(
        ("Conv2d", "ConvTranspose2d", "Linear", "BatchNorm2d", "LayerNorm", "PReLU"), _torchinfo
    ),
    Convention.PTFLOPS: {
        "Conv2d": _macs_and_bias,
        "ConvTranspose2d": _macs_and_bias,
        "Linear": _macs_and_bias,
        "BatchNorm2d": _norm(2, 1),
        "LayerNorm": _per_input(1),
        **{name: _per_output(2) for name in ("ReLU", "ELU", "GELU", "PReLU")},
        **{name: _per_output(1) for name in ("ReLU6", "LeakyReLU", "SiLU", "Softmax")},
        **{name: _per_input(2) for name in _POOLS},
        "Upsample": _per_output(2),
    },
    Convention.THOP: {
        "Conv2d": lambda m: m.outputs * m.taps,
        "ConvTranspose2d": lambda m: m.outputs * m.taps,
        "Linear": _macs,
        "BatchNorm2d": _norm(4, 2),
        "LayerNorm": _norm(4, 2),
        "PReLU": _per_input(1),
        "Softmax": _thop_softmax,
        "AvgPool2d": _per_output(1),
        "AdaptiveAvgPool2d": lambda m: (m.window + 1) * m.outputs,
        "Upsample": _upsampling({"nearest": 1, "bilinear": 11, "bicubic": 259}),
    },
    Convention.CALFLOPS: {
        "Conv2d": lambda m: 2 * m.macs + m.bias,
        "ConvTranspose2d": lambda m: 2 * m.macs + m.bias,
        "Linear": lambda m: 2 * m.macs,
        "BatchNorm2d": _norm(2, 1),
        "LayerNorm": _norm(5, 4),
        **{name: _per_input(1) for name in ("ReLU", "ELU", "LeakyReLU", "PReLU", "SiLU", "GELU", "Softmax")},
        **{name: _per_input(1) for name in _POOLS},
        "Upsample": _per_input(1),
    },
}
"""Each tool's rule per PyTorch module; a module missing from a table counts nothing there."""


def layer_flops(record: LayerRecord, convention: Convention | None = None) -> int | None:
    """What ``convention`` counts for one layer (``2·MACs`` without one); ``None`` when unknown."""
    if record.cost is None:
        return None
    if convention is None:
        return record.cost.flops
    return _count(torch_modules(record), RULES[convention])


def total_flops(analysis: Analysis, convention: Convention | None = None) -> int:
    """What ``convention`` counts for the whole network, for one sample (``2·MACs`` without one)."""
    return sum(layer_flops(record, convention) or 0 for record in analysis.layers)


def _count(modules: Iterable[TorchModule], rules: dict[str, Rule]) -> int:
    return sum(rules[m.name](m) for m in modules if m.name in rules)

"""Each --flops-convention against the figure its tool publishes, and against the tool itself.

Published figures (cited per test) are what a tool's documentation prints, rounded as it prints
them. Exact figures come from running the released tools (torch 2.13.0 CPU; fvcore
0.1.5.post20221221, ptflops 0.7.5, thop 0.1.1.post2209072238, torchinfo 1.8.0, calflops 0.3.2) on
torchvision's models written in plain PyTorch (tests/torch_models.py): run by hand once and listed
in docs/cost.md, and by tests/test_conventions_torch.py where the `torch` extra is installed.

torchvision's VGG16 and AlexNet end their features with an AdaptiveAvgPool2d that is the identity at
224×224 (no spec layer), and its MobileNetV2 pools with the functional F.adaptive_avg_pool2d, not
the nn.AdaptiveAvgPool2d module a spec's globalavgpool2d becomes: where a tool counts those, the
exact figures below add or subtract them, with the arithmetic written out.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import cnncalc
from cnncalc.cost.conventions import Convention, layer_flops, total_flops
from cnncalc.cost.memory import memory
from cnncalc.shapes.records import Analysis

ZOO = Path(__file__).resolve().parent.parent / "examples" / "zoo"


def vgg16() -> dict[str, Any]:
    """torchvision's VGG16 (configuration D), as a spec: 138,357,544 parameters."""
    layers: list[dict[str, Any]] = []
    for width in (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"):  # fmt: skip
        if width == "M":
            layers.append({"type": "maxpool2d"})
        else:
            layers.append(
                {"type": "conv2d", "filters": width, "kernel_size": 3, "padding": 1, "activation": "relu"}
            )
    layers += [
        {"type": "flatten"},
        {"type": "dense", "units": 4096, "activation": "relu"},
        {"type": "dropout", "rate": 0.5},
        {"type": "dense", "units": 4096, "activation": "relu"},
        {"type": "dropout", "rate": 0.5},
        {"type": "dense", "units": 1000},
    ]
    return {"name": "vgg16", "input": [224, 224, 3], "layers": layers}


NETWORKS: dict[str, Any] = {
    "resnet50": ZOO / "resnet50_torchvision.yaml",
    "mobilenet_v2": ZOO / "mobilenetv2_torchvision.yaml",
    "vgg16": vgg16(),
    "alexnet": ZOO / "alexnet.yaml",  # torchvision's, with a softmax on its output (no MACs)
}


@pytest.fixture(scope="module")
def analyses() -> dict[str, Analysis]:
    return {name: cnncalc.analyze(source) for name, source in NETWORKS.items()}


def giga(value: int, digits: int = 2) -> float:
    return round(value / 1e9, digits)


def test_the_specs_have_torchvisions_parameters(analyses: dict[str, Analysis]) -> None:
    # torchvision's model documentation ("num_params" in each model's weights); batch normalization's
    # running statistics are PyTorch buffers, Keras' non-trainable weights: 2 per channel.
    assert analyses["resnet50"].trainable_params == 25_557_032
    assert analyses["mobilenet_v2"].trainable_params == 3_504_872
    assert analyses["vgg16"].total_params == 138_357_544
    assert analyses["alexnet"].total_params == 61_100_840


def test_torchvision_documented_gflops(analyses: dict[str, Analysis]) -> None:
    # "_ops" in torchvision's weights metadata (models/resnet.py ResNet50_Weights: 4.089,
    # mobilenetv2.py: 0.301, vgg.py VGG16_Weights: 15.47, alexnet.py: 0.714), shown as GFLOPS
    # 4.09, 0.30, 15.47, 0.71 in its model documentation; computed by pytorch/vision#6936.
    documented = {"resnet50": 4.089, "mobilenet_v2": 0.301, "vgg16": 15.47, "alexnet": 0.714}
    for name, ops in documented.items():
        assert giga(total_flops(analyses[name], Convention.TORCHVISION), 3) == ops, name


def test_the_issues_exact_macs(analyses: dict[str, Analysis]) -> None:
    # VGG16: 13 convolutions and 3 dense layers, by hand:
    # 224²·3·64·9 + 224²·64·64·9 + 112²·64·128·9 + 112²·128·128·9 + 56²·128·256·9 + 2·56²·256·256·9
    # + 28²·256·512·9 + 2·28²·512·512·9 + 3·14²·512·512·9 + 25088·4096 + 4096·4096 + 4096·1000
    convolutions = (
        224**2 * 3 * 64 * 9 + 224**2 * 64 * 64 * 9 + 112**2 * 64 * 128 * 9 + 112**2 * 128 * 128 * 9
        + 56**2 * 128 * 256 * 9 + 2 * 56**2 * 256 * 256 * 9 + 28**2 * 256 * 512 * 9
        + 2 * 28**2 * 512 * 512 * 9 + 3 * 14**2 * 512 * 512 * 9
    )  # fmt: skip
    assert convolutions + 25088 * 4096 + 4096 * 4096 + 4096 * 1000 == 15_470_264_320
    assert analyses["vgg16"].total_macs == 15_470_264_320
    assert analyses["alexnet"].total_macs == 714_188_480
    assert analyses["resnet50"].total_macs == 4_089_184_256
    assert analyses["mobilenet_v2"].total_macs == 300_774_272
    # FLOPs are twice the MACs
    assert analyses["vgg16"].total_flops == 30_940_528_640


def test_the_zoos_keras_models_by_hand() -> None:
    # Keras' ResNet50 is the original ResNet-50 (He et al. 2015): the first 1×1 convolution of a
    # stage strides, and the projection shortcut too. By hand, stage by stage, from the 56×56×64 pool:
    macs = 7 * 7 * 3 * 64 * 112 * 112
    size, channels = 56, 64
    for filters, blocks, stride in ((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)):
        for block in range(blocks):
            size //= stride if block == 0 else 1
            positions = size * size
            if block == 0:
                macs += channels * 4 * filters * positions  # the projection shortcut
            macs += (channels * filters + 9 * filters * filters + filters * 4 * filters) * positions
            channels = 4 * filters
    macs += 2048 * 1000
    assert macs == 3_857_973_248  # the paper's table 1: 3.8 × 10⁹
    assert cnncalc.analyze(ZOO / "resnet50.yaml").total_macs == macs
    # Keras' MobileNetV2 is torchvision's network (with Keras' padding layers): the same MACs
    assert cnncalc.analyze(ZOO / "mobilenetv2.yaml").total_macs == 300_774_272
    assert cnncalc.analyze(ZOO / "vgg16.yaml").total_macs == 15_470_264_320


def test_fvcore_documented_example() -> None:
    # fvcore/nn/flop_count.py, FlopCountAnalysis' docstring: a 1×1 convolution 3 → 10 on 10×10,
    # ReLU, flatten, Linear(1000, 10): total 13000 = conv 3000 + fc 10000.
    spec = {
        "input": [10, 10, 3],
        "layers": [
            {"type": "conv2d", "name": "conv", "filters": 10, "kernel_size": 1, "activation": "relu"},
            {"type": "flatten"},
            {"type": "dense", "name": "fc", "units": 10},
        ],
    }
    analysis = cnncalc.analyze(spec)
    assert total_flops(analysis, Convention.FVCORE) == 13000
    assert layer_flops(analysis.layer("conv"), Convention.FVCORE) == 3000
    assert layer_flops(analysis.layer("fc"), Convention.FVCORE) == 10000


def test_torchinfo_resnet50_summary(analyses: dict[str, Analysis]) -> None:
    # torchinfo's tests/test_output/resnet50.out (summary(resnet50(), (2, 3, 224, 224))):
    # Total mult-adds (G): 8.18; Input size (MB): 1.20; Forward/backward pass size (MB): 355.66;
    # Params size (MB): 102.23; Estimated Total Size (MB): 459.10.
    resnet = analyses["resnet50"]
    assert giga(2 * total_flops(resnet, Convention.TORCHINFO)) == 8.18
    estimate = memory(resnet, batch_size=2).torchinfo
    megabytes = [round(b / 1e6, 2) for b in (estimate.input_bytes, estimate.forward_backward_bytes)]
    assert megabytes == [1.20, 355.66]
    assert round(estimate.params_bytes / 1e6, 2) == 102.23
    assert round(estimate.total_bytes / 1e6, 2) == 459.10
    # By hand: input 2·3·224·224·4 bytes; params 25,557,032·4; the rest is 2 (output and gradient)
    # · 2 (batch) · 4 bytes · the outputs of the layers with parameters: the 53 convolutions and 53
    # batch norms (11,113,984 values each) and fc (1,000).
    assert estimate.input_bytes == 2 * 3 * 224 * 224 * 4
    assert estimate.forward_backward_bytes == 2 * 2 * 4 * (2 * 11_113_984 + 1000)


def test_ptflops_published_table(analyses: dict[str, Analysis]) -> None:
    # ptflops 0.7.5's README (its PyPI description), Benchmark, torchvision, MACs(G) (`pytorch`):
    # alexnet 0.72, mobilenet_v2 0.32, resnet50 4.13, vgg16 15.52.
    published = {"alexnet": 0.72, "mobilenet_v2": 0.32, "resnet50": 4.13, "vgg16": 15.52}
    for name, gmacs in published.items():
        assert giga(total_flops(analyses[name], Convention.PTFLOPS)) == gmacs, name


def test_thop_published_table(analyses: dict[str, Analysis]) -> None:
    # thop 0.1.1.post2209072238's README (its PyPI description), "Results of Recent Models":
    # mobilenet_v2 0.33 GMACs. Its resnet50 4.14 and vgg16 15.61 were printed by an older thop that
    # counted ReLU and max pooling (Lyken17/pytorch-OpCounter#17 shows 4,142,713,856 for ResNet-50);
    # the released rules give 4.13 and 15.47, which is what the released thop prints (docs/cost.md).
    assert giga(total_flops(analyses["mobilenet_v2"], Convention.THOP)) == 0.33
    assert giga(total_flops(analyses["resnet50"], Convention.THOP)) == 4.13
    assert giga(total_flops(analyses["vgg16"], Convention.THOP)) == 15.47


def test_calflops_published_table(analyses: dict[str, Analysis]) -> None:
    # calflops' README (PyPI description of 0.3.2), Benchmark, torchvision: FLOPs(G) and FLOPs(Total)
    # (6 significant digits): resnet50 8.21 / 8211110000, vgg16 30.97 / 30973800000; Macs(Total)
    # 4089180000 and 15470300000.
    for name, gflops, exact, macs in (
        ("resnet50", 8.21, 8_211_110_000, 4_089_180_000),
        ("vgg16", 30.97, 30_973_800_000, 15_470_300_000),
    ):
        flops = total_flops(analyses[name], Convention.CALFLOPS)
        assert giga(flops) == gflops
        assert float(f"{flops:.6g}") == exact
        assert float(f"{analyses[name].total_macs:.6g}") == macs


# Figures the released tools print for torchvision's models, run by hand (docs/cost.md), and what
# differs in the specs: VGG16 has the identity AdaptiveAvgPool2d((7, 7)) on 512·7·7 = 25,088 values;
# MobileNetV2 pools functionally 1280·7·7 = 62,720 values, which thop does not count, ptflops counts
# once (module and function: twice) and which thop would count as (49 + 1)·1280 = 64,000.
MEASURED = {
    "resnet50": {
        Convention.TORCHVISION: (4_089_184_256, 0),
        Convention.FVCORE: (4_111_512_576, 0),
        Convention.TORCHINFO: (4_089_238_376, 0),
        Convention.PTFLOPS: (4_132_436_968, 0),
        Convention.THOP: (4_133_742_592, 0),
        Convention.CALFLOPS: (8_211_108_352, 0),
    },
    "vgg16": {
        Convention.TORCHVISION: (15_470_264_320, 0),
        Convention.FVCORE: (15_470_289_408, 25_088),
        Convention.TORCHINFO: (15_483_821_032, 0),
        Convention.PTFLOPS: (15_523_225_576, 2 * 25_088),
        Convention.THOP: (15_470_314_496, (1 + 1) * 25_088),
        Convention.CALFLOPS: (30_973_778_432, 25_088),
    },
    "mobilenet_v2": {
        Convention.TORCHVISION: (300_774_272, 0),
        Convention.FVCORE: (314_193_216, 0),
        Convention.TORCHINFO: (300_809_384, 0),
        Convention.PTFLOPS: (320_300_008, -62_720),
        Convention.THOP: (327_486_720, -64_000),
        Convention.CALFLOPS: (614_967_488, 0),
    },
}


@pytest.mark.parametrize(
    ("network", "convention"), [(n, c) for n, conventions in MEASURED.items() for c in conventions]
)
def test_each_convention_gives_what_the_tool_prints(
    analyses: dict[str, Analysis], network: str, convention: Convention
) -> None:
    printed, not_in_spec = MEASURED[network][convention]
    assert total_flops(analyses[network], convention) + not_in_spec == printed


# One module at a time, on a (1, 8, 6, 6) input (a 6×6×8 map), as each released tool counts it
# (run by hand): fvcore, ptflops, thop, torchinfo, calflops.
LAYERS = [
    ({"type": "conv2d", "filters": 4, "kernel_size": 3}, (4608, 4672, 4608, 4672, 9280)),
    ({"type": "conv2d", "filters": 4, "kernel_size": 3, "use_bias": False}, (4608, 4608, 4608, 4608, 9216)),
    ({"type": "depthwiseconv2d", "kernel_size": 3, "depth_multiplier": 2}, (2304, 2560, 2304, 2560, 4864)),
    (
        {"type": "conv2dtranspose", "filters": 4, "kernel_size": 4, "strides": 2, "use_bias": False},
        (18432, 18432, 100352, 100352, 36864),
    ),
    ({"type": "dense", "units": 5}, (1440, 1680, 1440, 35, 2880)),
    ({"type": "activation", "activation": "relu"}, (0, 576, 0, 0, 288)),
    ({"type": "activation", "activation": "relu6"}, (0, 288, 0, 0, 0)),
    ({"type": "activation", "activation": "elu"}, (0, 576, 0, 0, 288)),
    ({"type": "activation", "activation": "silu"}, (0, 288, 0, 0, 288)),
    ({"type": "activation", "activation": "sigmoid"}, (0, 0, 0, 0, 0)),
    ({"type": "leakyrelu", "negative_slope": 0.2}, (0, 288, 0, 0, 288)),
    ({"type": "prelu", "shared_axes": [2, 3]}, (0, 576, 288, 8, 288)),
    ({"type": "softmax", "axis": 1}, (0, 288, 828, 0, 288)),
    ({"type": "batchnorm"}, (576, 576, 1152, 16, 576)),
    ({"type": "batchnorm", "center": False, "scale": False}, (288, 288, 576, 0, 288)),
    ({"type": "layernorm"}, (1440, 288, 1152, 12, 1440)),
    ({"type": "maxpool2d"}, (0, 576, 0, 0, 288)),
    ({"type": "avgpool2d"}, (0, 576, 72, 0, 288)),
    ({"type": "globalavgpool2d"}, (288, 576, 296, 0, 288)),
    ({"type": "globalmaxpool2d"}, (0, 576, 0, 0, 288)),
    ({"type": "upsampling2d"}, (1152, 2304, 1152, 0, 288)),
    ({"type": "upsampling2d", "interpolation": "bilinear"}, (4608, 2304, 12672, 0, 288)),
    ({"type": "zeropad2d"}, (0, 0, 0, 0, 0)),
    ({"type": "dropout", "rate": 0.5}, (0, 0, 0, 0, 0)),
]
# A channels_first spec has PyTorch's axes: dense and layernorm act on the width (Linear(6, 5),
# LayerNorm(6): 12 parameters), softmax on axis 1 the channels, prelu shares over height and width
# (PReLU(8)). torchinfo counts a Linear's parameters (35) once per sample, wherever it is applied.
TOOLS = (Convention.FVCORE, Convention.PTFLOPS, Convention.THOP, Convention.TORCHINFO, Convention.CALFLOPS)


@pytest.mark.parametrize(("layer", "counts"), LAYERS, ids=[str(row[0]) for row in LAYERS])
def test_one_layer_as_each_tool_counts_it(layer: dict[str, Any], counts: tuple[int, ...]) -> None:
    channels_first = {"input": [8, 6, 6], "data_format": "channels_first", "layers": [layer]}
    record = cnncalc.analyze(channels_first).layers[0]
    assert tuple(layer_flops(record, tool) for tool in TOOLS) == counts

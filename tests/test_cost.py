"""MACs, element-wise work, connections and memory per layer, by hand; and how check reports them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

import cnncalc
from cnncalc.cli import app
from cnncalc.cost.memory import Dtype, Optimizer, memory
from cnncalc.shapes.records import Cost

runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "250", "NO_COLOR": "1"})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def cost(input_shape: list[int], *layers: dict[str, Any]) -> Cost:
    record = cnncalc.analyze({"input": input_shape, "layers": list(layers)}).layers[-1]
    assert record.cost is not None
    return record.cost


def test_lenet5_macs_by_hand(examples: Path) -> None:
    # conv 5×5·1·6 at 28×28, conv 5×5·6·16 at 10×10, dense 400·120, 120·84, 84·10
    analysis = cnncalc.analyze(examples / "lenet5.yaml")
    macs = [r.cost.macs for r in analysis.layers if r.cost]
    assert macs == [117_600, 0, 240_000, 0, 0, 48_000, 10_080, 840]  # fmt: skip
    assert analysis.total_macs == 117_600 + 240_000 + 48_000 + 10_080 + 840 == 416_520
    assert analysis.total_flops == 2 * 416_520
    first = analysis.layers[0].cost
    assert first is not None
    # a bias and a tanh per output value (28·28·6 = 4,704); connections (25 + 1)·4,704 = 122,304
    assert (first.bias, first.activations, first.connections) == (4704, 4704, 122_304)
    assert first.formula == "MACs = 5·5·1·6 · 28·28 = 117,600"


def test_convolutions_count_their_kernels_where_they_apply() -> None:
    # separable 3×3 on 16×16×8, multiplier 2, 32 filters, same: depthwise 3·3·8·2 and pointwise 16·32
    # at 16·16 positions: (144 + 512)·256 = 167,936; bias 32·256 = 8,192
    separable = {
        "type": "separableconv2d",
        "filters": 32,
        "kernel_size": 3,
        "depth_multiplier": 2,
        "padding": "same",
    }
    assert cost([16, 16, 8], separable) == Cost(
        167_936, 8192, 0, 0, 167_936 + 8192, "MACs = (3·3·8·2 + 1·1·16·32) · 16·16 = 167,936"
    )
    # transposed 3×3, 8 → 4 channels, stride 2, on 6×6: each of the 36 input positions meets the
    # whole 3·3·4·8 kernel: 10,368 MACs; bias on the 13·13·4 outputs: 676
    transposed = {"type": "conv2dtranspose", "filters": 4, "kernel_size": 3, "strides": 2}
    assert (cost([6, 6, 8], transposed).macs, cost([6, 6, 8], transposed).bias) == (10_368, 676)
    # grouped 3×3, 8 → 16 channels in 4 groups, on 6×6: 3·3·2·16 at 4·4 positions = 4,608
    assert cost([6, 6, 8], {"type": "conv2d", "filters": 16, "kernel_size": 3, "groups": 4}).macs == 4608
    # dense on a 5×5×12 map: 12·7 at each of 25 positions
    assert cost([5, 5, 12], {"type": "dense", "units": 7}).macs == 2100


def test_element_wise_work_by_hand() -> None:
    # max pool 2×2 of 8×8×3: 3 comparisons per output (48 outputs); average: 3 additions and a division
    assert cost([8, 8, 3], {"type": "maxpool2d"}).other == 3 * 48
    assert cost([8, 8, 3], {"type": "avgpool2d"}).other == 4 * 48
    # global average of 7×7×10: 49 values per channel (48 additions, 1 division)
    assert cost([7, 7, 10], {"type": "globalavgpool2d"}).other == 490
    # batch norm folded into a scale and a shift: 2 per value
    assert cost([4, 4, 5], {"type": "batchnorm"}).other == 160
    # three branches added: 2 additions per value of 4·4·5
    spec = {
        "input": [4, 4, 5],
        "layers": [
            {"type": "activation", "activation": "relu", "name": "a"},
            {"type": "activation", "activation": "tanh", "name": "b", "inputs": "input"},
            {"type": "add", "inputs": ["input", "a", "b"]},
        ],
    }
    added = cnncalc.analyze(spec).layers[-1].cost
    assert added is not None
    assert (added.other, added.connections) == (160, 240)
    # bilinear ×2 of 3×3×2: each of the 6·6·2 = 72 outputs weighs 4 input cells: 4 multiplications, 3 additions
    assert cost([3, 3, 2], {"type": "upsampling2d", "interpolation": "bilinear"}).other == 7 * 72
    # flatten, dropout and concatenation only move values
    assert cost([3, 3, 2], {"type": "flatten"}) == Cost()


def test_memory_by_dtype_batch_and_optimizer(examples: Path) -> None:
    lenet = cnncalc.analyze(examples / "lenet5.yaml")
    # outputs 28·28·6 + 14·14·6 + 10·10·16 + 5·5·16 + 400 + 120 + 84 + 10 = 8,494 values of 4 bytes
    estimate = memory(lenet)
    assert (estimate.activation_bytes, estimate.params_bytes) == (8494 * 4, 61_706 * 4)
    half = memory(lenet, batch_size=32, dtype=Dtype.FLOAT16, optimizer=Optimizer.ADAM)
    training = half.training
    # weights, gradients and Adam's two moments of 61,706 trainable weights, 2 bytes each
    assert (training.weights_bytes, training.gradients_bytes, training.optimizer_bytes) == (
        123_412,
        123_412,
        246_824,
    )
    # every output kept for 32 samples; the input batch 32·32·32·1
    assert (training.activations_bytes, training.input_bytes) == (32 * 8494 * 2, 32 * 1024 * 2)
    assert memory(lenet, optimizer=Optimizer.SGD).training.optimizer_bytes == 0


def test_json_has_cost_and_memory(examples: Path) -> None:
    code, output = run("check", "-f", "json", "--flops-convention", "ptflops", str(examples / "lenet5.yaml"))
    assert code == 0
    report = json.loads(output)
    first = report["layers"][0]
    # ptflops: MACs and bias of the convolution (tanh has no counted module): 117,600 + 4,704
    assert (first["macs"], first["flops"], first["connections"]) == (117_600, 122_304, 122_304)
    assert (first["elementwise"], first["activation_bytes"]) == (4704 + 4704, 28 * 28 * 6 * 4)
    assert report["total_macs"] == 416_520
    assert report["flops_convention"] == "ptflops"
    assert (report["dtype"], report["params_bytes"], report["total_activation_bytes"]) == (
        "float32",
        246_824,
        33_976,
    )
    assert report["memory"]["torchinfo"]["input_bytes"] == 32 * 32 * 4
    assert report["memory"]["training"]["optimizer"] == "adam"


def test_json_without_a_convention_counts_two_flops_per_mac(examples: Path) -> None:
    report = json.loads(run("check", "-f", "json", str(examples / "lenet5.yaml"))[1])
    assert report["flops_convention"] is None
    assert report["total_flops"] == 2 * 416_520
    assert report["layers"][0]["flops"] == 2 * 117_600


def test_columns_choose_the_table(examples: Path) -> None:
    code, output = run("check", "--columns", "kernel,macs", "--columns", "rf", str(examples / "lenet5.yaml"))
    assert code == 0
    header = next(line for line in output.splitlines() if "Layer (type)" in line)
    assert [cell.strip() for cell in header.strip("┃").split("┃")] == [
        "#",
        "Layer (type)",
        "Kernel",
        "MACs",
        "Receptive field",
    ]
    assert "Output shape" not in output
    assert "5×5, jump 1, start 0" in output
    assert "Total MACs: 416,520 (416.52 K)" in output


def test_memory_column_adds_the_estimates(examples: Path) -> None:
    code, output = run(
        "check",
        "--columns",
        "memory",
        "--batch-size",
        "4",
        "--dtype",
        "float16",
        str(examples / "lenet5.yaml"),
    )
    assert code == 0
    assert "Activations (float16)" in output
    assert "Activations per sample (float16): 16,988 bytes" in output
    assert "torchinfo's estimate at batch 4: input 0.01 MB" in output
    assert "with adam" in output
    assert "optimizer state (2 copies of the trainable weights)" in output


def test_explain_shows_macs_and_receptive_field(examples: Path) -> None:
    code, output = run("check", "--explain", "-f", "markdown", str(examples / "lenet5.yaml"))
    assert code == 0
    assert "MACs = 5·5·1·6 · 28·28 = 117,600" in output
    assert "RF: 1 + (5 − 1)·1 = 5, jump 1·1 = 1, start 0 − 0·1 = 0" in output


def test_markdown_columns_and_convention(examples: Path) -> None:
    output = run(
        "check",
        "-f",
        "markdown",
        "--columns",
        "flops",
        "--flops-convention",
        "thop",
        str(examples / "lenet5.yaml"),
    )[1]
    assert "| # | Layer (type) | FLOPs (thop) |" in output
    # thop: the MACs, one per output of each average pool (14·14·6 + 5·5·16) and the softmax over 10
    # classes, 3·10 − 1 (exponentials, sum, divisions); tanh is not counted
    assert "**Total FLOPs (thop):** 418,125" in output
    assert 416_520 + 1176 + 400 + 29 == 418_125


def test_unknown_column_or_convention_exit_2(examples: Path) -> None:
    code, output = run("check", "--columns", "macz", str(examples / "lenet5.yaml"))
    assert code == 2
    assert "no column `macz` (did you mean `macs`?)" in output
    assert run("check", "--flops-convention", "deepspeed", str(examples / "lenet5.yaml"))[0] == 2


def test_default_table_is_unchanged(examples: Path) -> None:
    output = run("check", str(examples / "lenet5.yaml"))[1]
    assert "MACs" not in output
    assert "Output shape" in output

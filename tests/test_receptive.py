"""Receptive fields against hand computation: size, jump and start per axis.

The standard recurrence (Araujo et al., Distill 2019): for a window of span K (dilated), stride S and
padding p before it, r ← r + (K − 1)·j, j ← j·S, start ← start − p·j, from r = j = 1, start = 0.
Upsampling and transposed convolutions are worked out cell by cell in each test's comment.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import cnncalc
from cnncalc.shapes.records import ReceptiveField


def conv(filters: int = 4, kernel: int = 3, **fields: Any) -> dict[str, Any]:
    return {"type": "conv2d", "filters": filters, "kernel_size": kernel, **fields}


def fields(spec: dict[str, Any]) -> dict[str, ReceptiveField | None]:
    return {r.name: r.receptive_field for r in cnncalc.analyze(spec).layers}


def summary(field: ReceptiveField | None) -> tuple[Any, ...] | None:
    """(size, jump, start) of the rows, and whether every cell sees as much (columns equal here)."""
    if field is None:
        return None
    assert field.rows == field.columns
    return field.size[0], field.jump[0], field.start[0], field.min_size[0]


def test_vgg16_pool5_sees_212_pixels_32_apart() -> None:
    # Five stages of 3×3 `same` convolutions (2, 2, 3, 3, 3 of them) each ending in a 2×2 pool.
    # Convolutions at jumps 1, 2, 4, 8, 16 add 2·j each: 2·(2·1 + 2·2 + 3·4 + 3·8 + 3·16) = 2·90 = 180;
    # the pools add 1·j each: 1 + 2 + 4 + 8 + 16 = 31; r = 1 + 180 + 31 = 212, j = 32.
    # Each `same` 3×3 pads 1 before: start = −(2·1 + 2·2 + 3·4 + 3·8 + 3·16) = −90 (pools pad nothing).
    layers: list[dict[str, Any]] = []
    for stage, repeats in enumerate((2, 2, 3, 3, 3), start=1):
        layers += [conv(64, padding="same", name=f"block{stage}_conv{i}") for i in range(1, repeats + 1)]
        layers.append({"type": "maxpool2d", "name": f"block{stage}_pool"})
    layers += [{"type": "flatten"}, {"type": "dense", "units": 10}]
    found = fields({"input": [224, 224, 3], "layers": layers})
    assert summary(found["block1_conv2"]) == (5, 1, -2, 5)
    assert summary(found["block1_pool"]) == (6, 2, -2, 6)
    assert summary(found["block5_pool"]) == (212, 32, -90, 212)
    assert found["flatten"] is None
    assert found["dense"] is None


def test_residual_block_takes_the_union_of_its_branches() -> None:
    # Main path: 1×1 stride 2 (r 1, j 2, start 0), 3×3 same (r 1 + 2·2 = 5, start 0 − 1·2 = −2),
    # 1×1 (unchanged). Shortcut: 1×1 stride 2 (r 1, j 2, start 0). The sum's cell 0 sees pixels
    # −2 … 2 through the main path and 0 through the shortcut: r 5, start −2.
    spec = {
        "input": [56, 56, 64],
        "layers": [
            conv(64, 1, strides=2, name="a"),
            conv(64, 3, padding="same", name="b"),
            conv(256, 1, name="c"),
            conv(256, 1, strides=2, name="shortcut", inputs="input"),
            {"type": "add", "name": "add", "inputs": ["c", "shortcut"]},
            {"type": "activation", "activation": "relu", "name": "out"},
        ],
    }
    found = fields(spec)
    assert summary(found["b"]) == (5, 2, -2, 5)
    assert summary(found["shortcut"]) == (1, 2, 0, 1)
    assert summary(found["add"]) == (5, 2, -2, 5)
    assert summary(found["out"]) == (5, 2, -2, 5)


def test_inception_block_concatenates_the_widest_branch() -> None:
    # Stem: 3×3 stride 2 valid: r 3, j 2, start 0. Branches (same padding, stride 1):
    # 1×1: r 3, start 0; 3×3: r 3 + 2·2 = 7, start −1·2 = −2; 5×5: r 3 + 4·2 = 11, start −2·2 = −4;
    # 3×3 max pool then 1×1: r 7, start −2. The concatenation's cell 0 sees −4 … 6: r 11, start −4.
    spec = {
        "input": [35, 35, 3],
        "layers": [
            conv(8, 3, strides=2, name="stem"),
            conv(8, 1, name="b1", inputs="stem"),
            conv(8, 3, padding="same", name="b3", inputs="stem"),
            conv(8, 5, padding="same", name="b5", inputs="stem"),
            {
                "type": "maxpool2d",
                "pool_size": 3,
                "strides": 1,
                "padding": "same",
                "name": "pool",
                "inputs": "stem",
            },
            conv(8, 1, name="bp"),
            {"type": "concatenate", "name": "mixed", "inputs": ["b1", "b3", "b5", "bp"]},
        ],
    }
    found = fields(spec)
    assert summary(found["b1"]) == (3, 2, 0, 3)
    assert summary(found["b3"]) == (7, 2, -2, 7)
    assert summary(found["b5"]) == (11, 2, -4, 11)
    assert summary(found["bp"]) == (7, 2, -2, 7)
    assert summary(found["mixed"]) == (11, 2, -4, 11)


def test_transposed_convolution_with_kernel_a_multiple_of_strides() -> None:
    # conv 3×3: r 3, j 1, start 0. Transposed 4×4 stride 2 (valid): output o = 2i + t, t = 0…3, so
    # cell o reads the k/s = 2 input cells i = ⌊o/2⌋ − 1 and ⌊o/2⌋: r + (k/s − 1)·j = 3 + 1 = 4 for
    # every cell, j = 1/2, and cell 0 reads cells −1 and 0: start −1.
    spec = {
        "input": [16, 16, 1],
        "layers": [conv(), {"type": "conv2dtranspose", "filters": 4, "kernel_size": 4, "strides": 2}],
    }
    field = fields(spec)["conv2d_transpose"]
    assert summary(field) == (4, Fraction(1, 2), -1, 4)
    assert field is not None
    assert field.uniform


def test_transposed_convolution_whose_cells_differ() -> None:
    # Transposed 3×3 stride 2: even outputs o read taps 0 and 2 (cells o/2 and o/2 − 1: r 3 + 1 = 4),
    # odd outputs tap 1 only (one cell: r 3). Both sizes are reported: 4 at most, 3 at least.
    spec = {
        "input": [16, 16, 1],
        "layers": [conv(), {"type": "conv2dtranspose", "filters": 4, "kernel_size": 3, "strides": 2}],
    }
    field = fields(spec)["conv2d_transpose"]
    assert summary(field) == (4, Fraction(1, 2), -1, 3)
    assert field is not None
    assert not field.uniform


def test_transposed_same_padding_crops_half_the_overlap() -> None:
    # `same` with k 3, s 2 on 8 cells gives 16; TensorFlow crops ((8 − 1)·2 + 3 − 16)//2 = 0 before:
    # the same cells as `valid`. With k 4: ((8 − 1)·2 + 4 − 16)//2 = 1: output o is valid's o + 1,
    # which reads cells ⌊(o + 1)/2⌋ − 1 and ⌊(o + 1)/2⌋: cell 0 reads −1 and 0, r 4, start −1.
    def transposed(kernel: int) -> tuple[Any, ...] | None:
        layer = {
            "type": "conv2dtranspose",
            "filters": 2,
            "kernel_size": kernel,
            "strides": 2,
            "padding": "same",
        }
        return summary(fields({"input": [8, 8, 1], "layers": [layer]})["conv2d_transpose"])

    assert transposed(3) == (2, Fraction(1, 2), -1, 1)
    assert transposed(4) == (2, Fraction(1, 2), -1, 2)


def test_upsampling_nearest_keeps_the_field_and_bilinear_adds_a_jump() -> None:
    # conv 3×3 stride 2: r 3, j 2, start 0. Nearest ×2 copies cell ⌊o/2⌋: r 3, j 2/2 = 1, start 0.
    # Bilinear ×2 samples at (o + ½)/2 − ½, between cells ⌊·⌋ and ⌊·⌋ + 1: r 3 + 2 = 5, j 1; cell 0
    # samples at −¼: cells −1 and 0, start −2.
    def up(interpolation: str) -> tuple[Any, ...] | None:
        layers = [conv(strides=2), {"type": "upsampling2d", "interpolation": interpolation}]
        return summary(fields({"input": [17, 17, 1], "layers": layers})["up_sampling2d"])

    assert up("nearest") == (3, 1, 0, 3)
    assert up("bilinear") == (5, 1, -2, 5)
    # Bicubic reads 4 cells around the sampling point: 3 + 3·2 = 9, from cell −2 (start −4).
    assert up("bicubic") == (9, 1, -4, 9)


def test_a_window_across_upsampled_cells_sees_one_or_two_input_cells() -> None:
    # Nearest ×2 of a j-2 map, then a 2×2 convolution: cell o reads upsampled cells o and o + 1,
    # the same input cell for even o (r 3), neighbours for odd o (r 3 + 2 = 5).
    layers = [conv(strides=2), {"type": "upsampling2d"}, conv(kernel=2, name="after")]
    assert summary(fields({"input": [17, 17, 1], "layers": layers})["after"]) == (5, 1, 0, 3)


def test_upsampling_then_stride_brings_the_grid_back() -> None:
    # Nearest ×3 then a 3×3 stride-3 convolution: each output cell reads exactly one input cell's
    # three copies: r 1, j 1, start 0, a regular grid again.
    layers = [{"type": "upsampling2d", "size": 3}, conv(strides=3, name="back")]
    field = fields({"input": [8, 8, 1], "layers": layers})["back"]
    assert summary(field) == (1, 1, 0, 1)
    assert field is not None
    assert field.regular


def test_cropping_moves_the_start_and_zero_padding_moves_it_back() -> None:
    layers = [
        conv(strides=2),  # r 3, j 2, start 0
        {"type": "cropping2d", "cropping": [[1, 0], [1, 0]]},  # cell 0 is cell 1: start 0 + 1·2 = 2
        {"type": "zeropad2d", "padding": 2},  # cell 0 is cell −2: start 2 − 2·2 = −2
    ]
    found = fields({"input": [17, 17, 1], "layers": layers})
    assert summary(found["cropping2d"]) == (3, 2, 2, 3)
    assert summary(found["zero_padding2d"]) == (3, 2, -2, 3)


def test_global_pooling_flatten_reshape_and_broadcast_gates_end_the_field() -> None:
    spec = {
        "input": [8, 8, 4],
        "layers": [
            conv(name="c"),
            {"type": "globalavgpool2d", "keepdims": True, "name": "squeeze"},
            {"type": "multiply", "name": "gated", "inputs": ["c", "squeeze"]},
            {"type": "reshape", "target_shape": [6, 6, 4], "name": "r", "inputs": "c"},
            {"type": "concatenate", "axis": 1, "name": "tall", "inputs": ["c", "c"]},
        ],
        "outputs": ["gated", "r", "tall"],
    }
    found = fields(spec)
    assert summary(found["c"]) == (3, 1, 0, 3)
    assert found["squeeze"] is None
    assert found["gated"] is None
    assert found["r"] is None
    assert found["tall"] is None


def test_json_reports_start_min_size_and_fractional_jumps() -> None:
    from cnncalc.render.json import report_dict

    spec = {
        "input": [16, 16, 1],
        "layers": [conv(), {"type": "conv2dtranspose", "filters": 4, "kernel_size": 3, "strides": 2}],
    }
    layers = report_dict(cnncalc.analyze(spec))["layers"]
    assert layers[0]["receptive_field"] == {
        "size": [3, 3],
        "jump": [1, 1],
        "start": [0, 0],
        "min_size": [3, 3],
    }
    assert layers[1]["receptive_field"] == {
        "size": [4, 4],
        "jump": [0.5, 0.5],
        "start": [-1, -1],
        "min_size": [3, 3],
    }

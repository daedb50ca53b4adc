"""Blocks: defined once, used many times, expanded to layers named as Keras Applications name theirs,
with errors that point at the layer inside the block and at the use. Counts are worked out by hand."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import cnncalc
from cnncalc.errors import SpecError
from cnncalc.spec.loader import parse_text

DOCS = Path(__file__).resolve().parent.parent / "docs" / "spec.md"


def docs_example() -> str:
    """The two-stage ResNet of docs/spec.md's blocks section."""
    text = DOCS.read_text()
    section = text[text.index("## Blocks") :]
    return re.search(r"```yaml\n(.*?)```", section, flags=re.DOTALL).group(1)  # type: ignore[union-attr]


def problems(text: str) -> list[str]:
    with pytest.raises(SpecError) as info:
        parse_text(text, file="net.yaml")
    return [f"{p}" + (f" | hint: {p.hint}" if p.hint else "") for p in info.value.problems]


BASIC = """\
input: [8, 8, 4]
blocks:
  basic:
    params: {filters: required, strides: 1}
    layers:
      - {name: conv, type: conv2d, filters: $filters, kernel_size: 3, strides: $strides, padding: same}
      - {name: bn, type: batchnorm}
      - {name: relu, type: activation, activation: relu}
layers:
"""


def test_the_documented_resnet_stages_expand_to_keras_names_and_counts() -> None:
    analysis = cnncalc.analyze(docs_example())
    assert analysis.ok
    names = [r.name for r in analysis.layers]
    # 3 bottlenecks (the first with its projection: 12 layers, then 10) and 4 more (12, then 10 each)
    assert len(names) == 12 + 10 + 10 + 12 + 10 + 10 + 10
    assert names[:3] == ["conv2_block1_0_conv", "conv2_block1_0_bn", "conv2_block1_1_conv"]
    assert names[12:14] == ["conv2_block2_1_conv", "conv2_block2_1_bn"]
    assert names[-1] == "conv3_block4_out"

    def params(prefix: str) -> int:
        return sum(r.params or 0 for r in analysis.layers if r.name.startswith(prefix + "_"))

    # conv2_block1: 0_conv 64·256 + 256 = 16,640; 0_bn 4·256 = 1,024; 1_conv 64·64 + 64 = 4,160;
    # 1_bn 256; 2_conv 9·64·64 + 64 = 36,928; 2_bn 256; 3_conv 64·256 + 256 = 16,640; 3_bn 1,024
    assert params("conv2_block1") == 16_640 + 1_024 + 4_160 + 256 + 36_928 + 256 + 16_640 + 1_024
    # conv2_block2 reads 256 channels: 1_conv 256·64 + 64 = 16,448, no projection
    assert params("conv2_block2") == 16_448 + 256 + 36_928 + 256 + 16_640 + 1_024
    assert analysis.layer("conv3_block1_1_conv").output_shape == (28, 28, 128)  # strides 2 in the first copy
    assert analysis.layer("conv3_block2_2_conv").layer.strides == (1, 1)  # type: ignore[attr-defined]
    assert analysis.layer("conv3_block4_out").output_shape == (28, 28, 512)


def test_a_layer_left_out_passes_its_first_input_on() -> None:
    analysis = cnncalc.analyze(docs_example())
    # without a projection, the add reads the block's input (the previous block's output)
    assert analysis.layer("conv2_block2_add").inputs == ("conv2_block1_out", "conv2_block2_3_bn")
    assert analysis.layer("conv2_block1_add").inputs == ("conv2_block1_0_bn", "conv2_block1_3_bn")
    assert analysis.layer("conv2_block1_0_conv").inputs == ("input",)


def test_records_know_the_use_that_made_them() -> None:
    analysis = cnncalc.analyze(docs_example())
    assert analysis.layer("conv3_block2_add").block == ("conv3_block2",)
    origin = analysis.spec.origins[analysis.layer("conv3_block2_add").index]
    assert origin.path == ("blocks", "bottleneck", "layers", 10)
    (use,) = origin.uses
    assert (use.block, use.name, use.path, use.params["filters"], use.params["project"]) == (
        "bottleneck",
        "conv3_block2",
        ("layers", 1),
        128,
        False,
    )


def test_unnamed_uses_keep_keras_default_names_and_nested_uses_nest_prefixes() -> None:
    text = """\
input: [8, 8, 3]
blocks:
  conv_bn:
    params: {filters: required}
    layers:
      - {type: conv2d, filters: $filters, kernel_size: 1, use_bias: false}
      - {type: batchnorm, scale: false}
  branch:
    layers:
      - {block: conv_bn, name: a, filters: 2}
      - {block: conv_bn, filters: 3}
layers:
  - {block: conv_bn, filters: 4}
  - {block: conv_bn, filters: 4}
  - {block: branch, name: mixed0}
"""
    analysis = cnncalc.analyze(text)
    assert [r.name for r in analysis.layers[:4]] == [
        "conv2d",
        "batch_normalization",
        "conv2d_1",
        "batch_normalization_1",
    ]
    named = [r.name for r in analysis.layers[4:]]
    # a named use inside a named use: the layers are unnamed, so they keep Keras' names too
    assert named == ["conv2d_2", "batch_normalization_2", "conv2d_3", "batch_normalization_3"]
    assert analysis.layers[4].block == ("mixed0", "mixed0_a")
    assert analysis.layers[6].block[0] == "mixed0"
    # batchnorm without scale: 3 parameters per channel (β, moving mean, moving variance)
    assert analysis.layers[1].params == 3 * 4


def test_named_layers_inside_nested_named_uses() -> None:
    text = """\
input: [8, 8, 3]
blocks:
  unit:
    layers:
      - {name: conv, type: conv2d, filters: 2, kernel_size: 1}
  pair:
    layers:
      - {block: unit, name: left, inputs: input}
      - {block: unit, name: right, inputs: input}
      - {name: cat, type: concatenate, inputs: [left, right]}
layers:
  - {block: pair, name: mixed0}
"""
    analysis = cnncalc.analyze(text)
    assert [r.name for r in analysis.layers] == ["mixed0_left_conv", "mixed0_right_conv", "mixed0_cat"]
    assert analysis.layer("mixed0_cat").inputs == ("mixed0_left_conv", "mixed0_right_conv")
    assert analysis.layer("mixed0_cat").output_shape == (8, 8, 4)


def test_a_block_reading_several_inputs_and_naming_its_output() -> None:
    text = """\
input: [8, 8, 3]
blocks:
  merge:
    layers:
      - {name: sum, type: add, inputs: input}
      - {name: unused_here, type: activation, activation: relu}
    output: sum
layers:
  - {type: conv2d, name: a, filters: 3, kernel_size: 1}
  - {block: merge, name: m, inputs: [input, a]}
  - {type: flatten}
"""
    analysis = cnncalc.analyze(text)
    assert analysis.layer("m_sum").inputs == ("input", "a")
    assert analysis.layer("flatten").inputs == ("m_sum",)
    assert analysis.layer("flatten").output_shape == (8 * 8 * 3,)


def test_expressions_outside_blocks_and_a_use_read_by_name() -> None:
    text = BASIC + (
        "  - {type: rescaling, scale: $(1 / 255)}\n"
        "  - {block: basic, name: stage, filters: $(2 * 4)}\n"
        "  - {type: conv2d, filters: 2, kernel_size: 1, inputs: stage}\n"
    )
    analysis = cnncalc.analyze(text)
    assert analysis.layer("rescaling").layer.scale == (1 / 255,)  # type: ignore[attr-defined]
    assert analysis.layer("stage_conv").output_shape == (8, 8, 8)
    assert analysis.layer("conv2d").inputs == ("stage_relu",)


@pytest.mark.parametrize(
    ("uses", "expected"),
    [
        (
            "  - {block: basics, filters: 4}\n",
            "net.yaml:10:6: layers[0].block: no block named 'basics' | hint: did you mean `basic`?",
        ),
        (
            "  - {block: basic, filter: 4}\n",
            "net.yaml:10:20: layers[0].filter: block `basic` has no parameter `filter` | hint: did you mean `filters`?",
        ),
        (
            "  - {block: basic}\n",
            "net.yaml:10:5: layers[0]: block `basic` needs parameter `filters` | hint: give it in the use",
        ),
        (
            "  - {block: basic, name: stage, repeat: 3, filters: 4}\n",
            "net.yaml:10:20: layers[0].name: `stage` is used 3 times: its name needs `{i}` to tell the copies"
            " apart | hint: e.g. name: stage{i}",
        ),
        (
            "  - {block: basic, filters: 0}\n",
            "net.yaml:6:36: blocks.basic.layers[0].filters: must be at least 1, got 0 (in the block used at line 10)",
        ),
        (
            "  - {block: basic, filters: $(4 * filter)}\n",
            "net.yaml:10:20: layers[0].filters: unknown name `filter` in an expression | hint: known names: i",
        ),
        (
            "  - {block: basic, filters: \"$(__import__('os'))\"}\n",
            "net.yaml:10:20: layers[0].filters: `__import__('os')` is not allowed in an expression | hint: use"
            " numbers, names, + - * / // %, comparisons, and/or/not, `a if c else b`, min, max, int, round, abs",
        ),
        (
            "  - {block: basic, filters: $(4 // 0)}\n",
            "net.yaml:10:20: layers[0].filters: expression '$(4 // 0)' divides by zero",
        ),
        (
            "  - {block: basic, filters: 4, repeat: 100000}\n",
            "net.yaml:8:9: blocks.basic.layers[2]: the spec expands to more than 200,000 layers"
            " (in the block used at line 10)",
        ),
    ],
)
def test_block_problems_are_located(uses: str, expected: str) -> None:
    assert problems(BASIC + uses) == [expected]


def test_an_error_in_a_blocks_layer_names_the_use_too() -> None:
    text = BASIC.replace("{name: bn, type: batchnorm}", "{name: bn, type: batchnorm, inputs: conv_}") + (
        "  - {block: basic, filters: 4}\n"
    )
    assert problems(text) == [
        "net.yaml:7:37: blocks.basic.layers[1].inputs: no layer `conv_` before this one in block `basic`"
        " (in the block used at line 10) | hint: did you mean `conv`?"
    ]


def test_a_shape_error_inside_a_block_gives_both_lines() -> None:
    text = BASIC.replace("input: [8, 8, 4]", "input: [4, 4, 4]").replace("padding: same}", "padding: valid}")
    text += "  - {block: basic, name: first, filters: 4, strides: 2}\n  - {block: basic, name: second, filters: 4}\n"
    analysis = cnncalc.analyze(text)
    # first: ⌊(4 − 3)/2⌋ + 1 = 1, so second's 3×3 kernel does not fit its 1×1 input
    assert analysis.layer("first_conv").output_shape == (1, 1, 4)
    (error,) = analysis.errors
    assert (error.code, analysis.layers[error.layer or 0].name) == ("CNN101", "second_conv")
    assert (error.line, error.use_line) == (6, 11)  # the layer in the block, and the second use


def test_blocks_that_use_each_other_are_refused() -> None:
    text = """\
input: [8, 8, 3]
blocks:
  a:
    layers: [{block: b}]
  b:
    layers: [{block: a}]
layers:
  - {block: a}
"""
    assert problems(text) == [
        "net.yaml:6:14: blocks.b.layers[0]: blocks use each other in a loop or too deeply: a → b → a"
        " (in the block used at line 8 → 4)"
    ]


def test_expansion_is_bounded_in_time_whatever_the_nesting() -> None:
    # 20 levels of ×10 would be 10^20 layers: refused at the 200,001st, quickly
    blocks = "".join(f"  b{n}:\n    layers: [{{block: b{n + 1}, repeat: 10}}]\n" for n in range(15))
    text = f"input: [4]\nblocks:\n{blocks}  b15:\n    layers: [{{type: dense, units: 1}}]\nlayers: [{{block: b0}}]\n"
    with pytest.raises(SpecError, match=r"200,000 layers|too deeply"):
        parse_text(text)


def test_repeat_and_start_may_be_parameters_and_count_on_across_stages() -> None:
    text = """\
input: [8, 8, 2]
blocks:
  unit:
    layers:
      - {name: conv, type: conv2d, filters: 2, kernel_size: 1}
  stage:
    params: {units: required, first: 1}
    layers:
      - {block: unit, name: "block_{i}", repeat: $units, start: $first}
layers:
  - {block: stage, units: 2}
  - {block: stage, units: 3, first: 3}
"""
    names = [r.name for r in cnncalc.analyze(text).layers]
    assert names == [f"block_{n}_conv" for n in range(1, 6)]

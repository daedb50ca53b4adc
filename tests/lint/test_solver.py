"""The solver against sizes worked out by hand."""

from __future__ import annotations

from typing import Any

import pytest

import cnncalc
from cnncalc.linter.solver import solve


def described(input_size: int, output_size: int, kernel: int, **fixed: Any) -> list[str]:
    return [str(s) for s in solve(input_size, output_size, kernel, **fixed)]


def test_28_to_14_with_a_3x3_kernel() -> None:
    # strides 2: same gives ⌈28/2⌉ = 14 (padding 13·2 + 3 − 28 = 1, after); padding 1: ⌊(28 + 2 − 3)/2⌋ + 1 = 14;
    # (0, 1): ⌊(28 + 1 − 3)/2⌋ + 1 = 14; valid gives ⌊25/2⌋ + 1 = 13. Stride 1 needs 28 + 2p − 2d = 14:
    # d = 7 + p for p = 0..6 (d ≤ ⌊27/2⌋ = 13, so that the dilated kernel fits the input).
    solutions = solve(28, 14, 3)
    assert [str(s) for s in solutions] == [
        "strides 2 with padding same",
        "strides 2 with padding 1",
        "strides 2 with padding (0, 1)",
        *(f"dilation {7 + p} with padding {p if p else 'valid'}" for p in range(7)),
    ]
    same = solutions[0]
    assert (same.window.pad_before, same.window.pad_after, same.output, same.dropped) == (0, 1, 14, 0)


def test_padding_that_keeps_28_through_a_5x5_kernel() -> None:
    # (28 + 2·2 − 5)/1 + 1 = 28
    assert described(28, 28, 5, dilation=1) == ["padding same", "padding 2"]


def test_the_article_pool_7_to_3_leaves_out_a_cell() -> None:
    # ⌊(7 − 2)/2⌋ + 1 = 3 windows cover 3·2 = 6 of 7; any padding gives 4.
    (solution,) = solve(7, 3, 2, strides=2)
    assert (str(solution), solution.dropped) == ("strides 2 with padding valid", 1)
    # A 3-window with stride 2 covers all 7: (7 − 3)/2 + 1 = 3, 2·2 + 3 = 7.
    assert [s.dropped for s in solve(7, 3, 3, strides=2, padding="valid")] == [0]


def test_fixing_one_setting() -> None:
    assert described(28, 14, 3, padding="same") == ["strides 2 with padding same"]
    assert described(28, 14, 3, strides=2, padding="explicit") == [
        "strides 2 with padding 1",
        "strides 2 with padding (0, 1)",
    ]
    assert described(28, 14, 3, strides=1, dilation=1) == []


def test_never_strides_and_dilation_together() -> None:
    # Keras refuses them (CNN103): 28 → 7 with 3×3 comes from strides 4 (⌊25/4⌋ + 1 = 7) or dilations.
    assert all(s.strides == 1 or s.dilation == 1 for s in solve(28, 7, 3))
    assert described(28, 7, 3, strides=4)[:2] == [
        "strides 4 with padding valid",
        "strides 4 with padding same",
    ]


def test_sizes_below_1_are_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        solve(0, 1, 3)


def test_solve_is_public() -> None:
    assert cnncalc.solve is solve


def test_explicit_padding_up_to_one_cell_less_than_the_span() -> None:
    # (10 + 2·2 − 3)/1 + 1 = 12 (2 = span − 1, the most a side gets); (10 + 1 + 2 − 3)/1 + 1 = 11
    assert described(10, 12, 3, strides=1, dilation=1) == ["padding 2"]
    assert described(10, 11, 3, strides=1, dilation=1) == ["padding (1, 2)"]
    assert described(10, 13, 3, strides=1, dilation=1) == []

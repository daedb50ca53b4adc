"""Analysis is O(layers), whatever the sizes: the solver, the coverage hints and the kernel-tap count
use closed forms, each checked here against the exhaustive loops they replace (kept as oracles)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

import cnncalc
from cnncalc.linter.solver import Solution, solutions, solve
from cnncalc.shapes.formulas import conv_output_size, effective_kernel_size, resolve_padding

ROOT = Path(__file__).resolve().parents[2]


def exhaustive_solve(
    input_size: int,
    output_size: int,
    kernel_size: int,
    strides: int | None = None,
    dilation: int | None = None,
    padding: str | None = None,
) -> list[tuple[int, int, object]]:
    """The solver before it was bounded: every stride up to the input, every dilation whose kernel
    fits it, every explicit padding up to span − 1 a side, then sorted simplest first."""
    rank = {"valid": 0, "same": 1}
    found = []
    dilations = [dilation] if dilation else range(1, max((input_size - 1) // max(kernel_size - 1, 1), 1) + 1)
    if kernel_size == 1 and not dilation:
        dilations = [1]
    for d in dilations:
        for s in [strides] if strides else (range(1, input_size + 1) if d == 1 else [1]):
            if s > 1 and d > 1:
                continue
            span = effective_kernel_size(kernel_size, d)
            options: list[object] = []
            if padding in (None, "valid"):
                options.append("valid")
            if padding in (None, "same"):
                options.append("same")
            if padding in (None, "explicit"):
                options += [(t // 2, t - t // 2) for t in range(1, 2 * span - 1)]
            for option in options:
                try:
                    reached = conv_output_size(input_size, kernel_size, s, option, d)  # type: ignore[arg-type]
                except ValueError:
                    continue
                if reached == output_size:
                    key = rank[option] if isinstance(option, str) else (2 if option[0] == option[1] else 3)
                    total = 0 if isinstance(option, str) else sum(option)
                    found.append(((d, s, key, total), (s, d, option)))
    return [item for _, item in sorted(found, key=lambda pair: pair[0])]


def triples(found: list[Solution]) -> list[tuple[int, int, object]]:
    return [(s.strides, s.dilation, s.padding) for s in found]


@settings(max_examples=400, deadline=None)
@given(
    size=st.integers(1, 30),
    output=st.integers(1, 32),
    kernel=st.integers(1, 6),
    strides=st.none() | st.integers(1, 6),
    dilation=st.none() | st.integers(1, 4),
    padding=st.none() | st.sampled_from(["valid", "same", "explicit"]),
)
def test_the_closed_form_solver_finds_what_the_exhaustive_search_finds_in_the_same_order(
    size: int, output: int, kernel: int, strides: int | None, dilation: int | None, padding: str | None
) -> None:
    expected = exhaustive_solve(size, output, kernel, strides, dilation, padding)
    found = list(solutions(size, output, kernel, strides=strides, dilation=dilation, padding=padding))  # type: ignore[arg-type]
    assert triples(found) == expected
    for solution in found:
        assert (solution.window.pad_before, solution.window.pad_after) == resolve_padding(
            solution.padding, size, kernel, solution.strides, solution.dilation
        )


def test_a_billion_wide_input_is_solved_at_once() -> None:
    # 10⁹ → 1 with a 3-window: valid needs ⌊(10⁹ − 3)/S⌋ = 0, so S ≥ 10⁹ − 2; the exhaustive
    # search tried every stride from 1 first.
    first = solve(10**9, 1, 3, limit=3)
    assert [str(s) for s in first] == [
        "strides 999999998 with padding valid",
        "strides 999999999 with padding valid",
        "strides 999999999 with padding (0, 1)",  # ⌊(10⁹ + 1 − 3)/(10⁹ − 1)⌋ + 1 = 1
    ]
    # 10⁹ → 2 with a 1-window has half a billion strides (⌊(10⁹ − 1)/S⌋ = 1): the first 100 are returned.
    many = solve(10**9, 2, 1)
    assert len(many) == 100
    assert many[0].strides == 500_000_000  # ⌊(10⁹ − 1)/2⌋ + 1


def test_the_cli_solves_a_billion_wide_input_and_says_there_are_more() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cnncalc", "solve", "--input", "1000000000", "--output", "2", "--kernel", "1"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0
    assert "the 20 simplest are shown" in result.stdout.replace("\n", " ")
    assert "500000000" in result.stdout


def exhaustive_live_taps(
    size: int, kernel: int, strides: int, dilation: int, before: int, output: int
) -> int:
    """The kernel-tap count before it was bounded: a loop over every tap."""
    live = 0
    for tap in range(kernel):
        offset = tap * dilation - before
        first = max(0, -(offset // strides))
        last = min(output - 1, (size - 1 - offset) // strides)
        live += first <= last
    return live


@settings(max_examples=500, deadline=None)
@given(
    size=st.integers(1, 40),
    kernel=st.integers(1, 12),
    strides=st.integers(1, 9),
    dilation=st.integers(1, 4),
    before=st.integers(0, 20),
    after=st.integers(0, 20),
)
def test_live_taps_in_closed_form_match_the_loop_over_taps(
    size: int, kernel: int, strides: int, dilation: int, before: int, after: int
) -> None:
    from cnncalc.linter.coverage import live_taps
    from cnncalc.shapes.records import AxisWindow

    span = effective_kernel_size(kernel, dilation)
    output = (size + before + after - span) // strides + 1
    if output < 1:
        return
    window = AxisWindow(size, kernel, strides, dilation, before, after, output)
    assert live_taps(window) == exhaustive_live_taps(size, kernel, strides, dilation, before, output)


def test_huge_kernels_and_pools_are_linted_at_once() -> None:
    """A billion-tap kernel with padding same (CNN202 looped over the taps) and a billion-cell pool
    window that leaves a cell out (CNN110's hint searched every larger window)."""
    kernel = "input: [28, 28, 1]\nlayers:\n  - {type: conv2d, filters: 1, kernel_size: 1000000000, padding: same}\n"
    (finding,) = [d for d in cnncalc.lint(kernel) if d.code == "CNN202"]
    # same: 28 outputs, padding 27 + 10⁹ − 28 = 999999999 split (499999999, 500000000); output o, tap t
    # reads cell o + t − 499999999, in 0…27 for some o in 0…27 when t is in 499999972…500000026: 55 taps
    # a row reach the map, 10¹⁸ − 55² = 999999999999996975 never do
    assert "999999999999996975 of its 1000000000000000000 taps only ever multiply padding" in finding.message
    pool = "input: [2000000001, 2000000001, 1]\nlayers:\n  - {type: maxpool2d, pool_size: 1000000000}\n"
    (finding,) = [d for d in cnncalc.lint(pool) if d.code == "CNN110"]
    # 2 windows of 10⁹ cover 2·10⁹ of 2·10⁹ + 1; a window of 2·10⁹ + 1 − 10⁹ = 1000000001 keeps 2 and covers all
    assert "pool_size 1000000001 with strides 1000000000 keeps 2×2" in (finding.hint or "")


@settings(max_examples=500, deadline=None)
@given(
    size=st.integers(1, 40),
    start=st.integers(-20, 20),
    step=st.integers(1, 9),
    length=st.integers(1, 12),
    count=st.integers(1, 12),
)
def test_covered_pixels_in_closed_form_match_the_set_of_pixels(
    size: int, start: int, step: int, length: int, count: int
) -> None:
    """CNN116 counts the pixels its outputs' fields cover without a loop over the outputs."""
    from cnncalc.linter.coverage import _covered

    pixels = {
        p for o in range(count) for p in range(start + o * step, start + o * step + length) if 0 <= p < size
    }
    assert _covered(size, start, step, length, count) == len(pixels)


def test_a_billion_outputs_skipping_pixels_are_counted_at_once() -> None:
    # 1×1 windows with stride 2 on 2·10⁹ + 1: 10⁹ + 1 outputs see the even pixels, 10⁹ odd ones are unseen
    spec = "input: [2000000001, 1, 1]\nlayers:\n  - {type: conv2d, filters: 1, kernel_size: 1, strides: [2, 1]}\n"
    (finding,) = [d for d in cnncalc.lint(spec) if d.code == "CNN116"]
    assert "never sees 1,000,000,000 rows" in finding.message

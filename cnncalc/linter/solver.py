"""Which strides, padding and dilation take a window over an input size to an output size.

Every combination is listed, simplest first; rules use the solver for the numbers in their hints
("padding 2 keeps 28×28"). The arithmetic is :mod:`cnncalc.shapes.formulas`'.

>>> [str(s) for s in solve(28, 14, 3)[:3]]
['strides 2 with padding same', 'strides 2 with padding 1', 'strides 2 with padding (0, 1)']
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import chain, islice
from typing import Literal, TypeAlias

from cnncalc.shapes.formulas import conv_output_size, effective_kernel_size, resolve_padding
from cnncalc.shapes.records import AxisWindow

PaddingKind: TypeAlias = Literal["valid", "same", "explicit"]
"""``valid``, Keras' ``same``, or explicit cells: ``p`` on both sides or ``(p, p + 1)``."""
SolvedPadding: TypeAlias = Literal["valid", "same"] | tuple[int, int]
_RANK = {"valid": 0, "same": 1}


@dataclass(frozen=True)
class Solution:
    """One way to reach the target size, and how its window then covers the axis."""

    strides: int
    dilation: int
    padding: SolvedPadding
    """``valid``, ``same``, or explicit ``(before, after)``."""
    window: AxisWindow
    """The resolved padding split and the output size."""

    @property
    def output(self) -> int:
        """The output size along the axis."""
        return self.window.output

    @property
    def dropped(self) -> int:
        """Input cells (padding excluded) at the end that no window reaches."""
        return dropped_cells(self.window)

    @property
    def padding_text(self) -> str:
        """``padding same``, ``padding 1``, ``padding (0, 1)``."""
        if isinstance(self.padding, str):
            return f"padding {self.padding}"
        before, after = self.padding
        return f"padding {before}" if before == after else f"padding ({before}, {after})"

    def __str__(self) -> str:
        """``strides 2 with padding 1``: the settings that differ from the defaults, padding always."""
        parts = [
            f"{field} {value}" for field, value in (("strides", self.strides), ("dilation", self.dilation))
        ]
        parts = [part for part in parts if not part.endswith(" 1")]
        return " with ".join([*parts, self.padding_text])

    def _simplicity(self) -> tuple[int, ...]:
        if isinstance(self.padding, str):
            rank, total = _RANK[self.padding], 0
        else:
            rank, total = (2 if self.padding[0] == self.padding[1] else 3), sum(self.padding)
        return (self.dilation, self.strides, rank, total)


MAX_SOLUTIONS = 100
"""How many solutions :func:`solve` returns at most (a size of a billion has millions)."""


def solve(
    input_size: int,
    output_size: int,
    kernel_size: int,
    *,
    strides: int | None = None,
    dilation: int | None = None,
    padding: PaddingKind | None = None,
    limit: int = MAX_SOLUTIONS,
) -> list[Solution]:
    """The ``limit`` simplest (strides, padding, dilation) that take ``input_size`` to
    ``output_size``; see :func:`solutions`.

    >>> [str(s) for s in solve(28, 28, 5, dilation=1)]
    ['padding same', 'padding 2']
    >>> [str(s) for s in solve(7, 3, 3, strides=2)]
    ['strides 2 with padding valid', 'strides 2 with padding (0, 1)']
    >>> [str(s) for s in solve(10**9, 1, 3, limit=2)]
    ['strides 999999998 with padding valid', 'strides 999999999 with padding valid']
    """
    found = solutions(
        input_size, output_size, kernel_size, strides=strides, dilation=dilation, padding=padding
    )
    return list(islice(found, limit))


def solutions(
    input_size: int,
    output_size: int,
    kernel_size: int,
    *,
    strides: int | None = None,
    dilation: int | None = None,
    padding: PaddingKind | None = None,
) -> Iterator[Solution]:
    """Every (strides, padding, dilation) that takes ``input_size`` to ``output_size``, simplest
    first (smaller dilation, then strides, then valid, same, explicit padding, less of it first).

    ``strides``, ``dilation`` and ``padding`` fix one of them; otherwise strides run up to the input
    size, dilation as far as the dilated kernel fits the input, and explicit padding up to one cell
    less than the kernel's span (more would give windows of padding only). Strides and dilation
    above 1 together are left out, as Keras refuses them.

    Lazy and bounded: the strides and dilations that have solutions are worked out as intervals
    (closed forms below), so every step yields one, and the first ``n`` take O(n) whatever the sizes.
    """
    if min(input_size, output_size, kernel_size) < 1:
        raise ValueError("sizes must be at least 1")
    kinds = _KINDS if padding is None else (padding,)
    for d in _dilations(input_size, output_size, kernel_size, strides=strides, fixed=dilation, kinds=kinds):
        span = effective_kernel_size(kernel_size, d)
        if d > 1:
            stride_choices: Iterable[int] = [1]
        else:
            stride_choices = _strides(input_size, output_size, span, strides, kinds)
        for s in stride_choices:
            yield from _solutions_at(input_size, output_size, kernel_size, strides=s, dilation=d, kinds=kinds)


_KINDS: tuple[PaddingKind, ...] = ("valid", "same", "explicit")
_UNBOUNDED = -1
"""The upper end of an interval without one."""


def _strides(
    size: int, output: int, span: int, fixed: int | None, kinds: tuple[PaddingKind, ...]
) -> Iterator[int]:
    """The strides (up to ``size``, or only ``fixed``) with a solution for a window of ``span``.

    With ``N = I − span``: valid needs ``⌊N/S⌋ = O − 1``, ``S`` in ``[⌊N/O⌋ + 1, ⌊N/(O − 1)⌋]``;
    same ``⌈I/S⌉ = O``, ``S`` in ``[⌈I/O⌉, ⌈I/(O − 1)⌉ − 1]``; explicit padding ``P`` in
    ``[1, 2·span − 2]`` with ``(O − 1)·S ≤ I + P − span < O·S``, so ``O·S ≥ I − span + 2`` and
    ``(O − 1)·S ≤ I + span − 2``. For ``O = 1`` the upper ends are unbounded.
    """
    intervals = []
    if "valid" in kinds and span <= size:
        rest = size - span
        intervals.append((rest // output + 1, _UNBOUNDED if output == 1 else rest // (output - 1)))
    if "same" in kinds:
        intervals.append((-(-size // output), _UNBOUNDED if output == 1 else -(-size // (output - 1)) - 1))
    if "explicit" in kinds and span >= 2:
        lowest = max(-(-(size - span + 2) // output), 1)
        intervals.append((lowest, _UNBOUNDED if output == 1 else (size + span - 2) // (output - 1)))
    low, high = (fixed, fixed) if fixed is not None else (1, size)
    return _union(intervals, low, high)


def _dilations(
    size: int,
    output: int,
    kernel: int,
    *,
    strides: int | None,
    fixed: int | None,
    kinds: tuple[PaddingKind, ...],
) -> Iterator[int]:
    """The dilations to try: 1, then those above 1 (with strides 1) that have a solution.

    With strides 1, valid needs ``span = I − O + 1``, one dilation; same gives ``O = I`` at any;
    explicit padding ``P = O − 1 − I + span`` must be in ``[1, 2·span − 2]``, so the span at least
    ``max(I − O + 2, O − I + 1, 2)``. Dilations go as far as the dilated kernel fits the input.
    """
    if fixed is not None:
        if fixed == 1 or strides in (None, 1):
            yield fixed
        return
    yield 1
    if kernel == 1 or strides not in (None, 1):
        return
    step = kernel - 1
    intervals = []
    if "valid" in kinds and (size - output) % step == 0:
        exact = (size - output) // step
        intervals.append((exact, exact))
    if "same" in kinds and output == size:
        intervals.append((2, _UNBOUNDED))
    if "explicit" in kinds:
        least_span = max(size - output + 2, output - size + 1, 2)
        intervals.append((-(-(least_span - 1) // step), _UNBOUNDED))
    yield from _union(intervals, 2, max((size - 1) // step, 1))


def _union(intervals: list[tuple[int, int]], low: int, high: int) -> Iterator[int]:
    """The integers of the union of ``intervals`` within ``[low, high]``, in increasing order."""
    clipped = sorted((max(a, low), high if b == _UNBOUNDED else min(b, high)) for a, b in intervals)
    current = low
    for a, b in clipped:
        start = max(a, current)
        if start <= b:
            yield from range(start, b + 1)
            current = b + 1


def tiling_padding(size: int, output: int, kernel: int, *, strides: int, dilation: int) -> Solution | None:
    """The simplest padding that gives ``output`` and reaches every input cell (none dropped), if any.

    With ``c = (O − 1)·S + span − I`` (the cells the windows span beyond the input), an explicit
    total ``P`` leaves ``P − c`` cells unreached at the end, covered by the ``⌈P/2⌉`` after it only
    while ``P ≤ 2c + 1``: a few candidates, whatever the sizes.

    >>> str(tiling_padding(28, 14, 3, strides=2, dilation=1)), tiling_padding(7, 3, 2, strides=2, dilation=1)
    ('strides 2 with padding same', None)
    """
    beyond = (output - 1) * strides + effective_kernel_size(kernel, dilation) - size
    found = _solutions_at(
        size, output, kernel, strides=strides, dilation=dilation, kinds=_KINDS, most_padding=2 * beyond + 1
    )
    return next((solution for solution in found if not solution.dropped), None)


def _solutions_at(
    size: int,
    output: int,
    kernel: int,
    *,
    strides: int,
    dilation: int,
    kinds: tuple[PaddingKind, ...],
    most_padding: int | None = None,
) -> Iterator[Solution]:
    """The paddings that work with strides ``s`` and dilation ``d``, simplest first: valid, same,
    then explicit ``p`` on both sides (even totals), then ``(p, p + 1)`` (odd totals), the totals up
    to ``2·span − 2`` (and ``most_padding``)."""
    s, d = strides, dilation
    span = effective_kernel_size(kernel, d)
    options: list[Iterable[SolvedPadding]] = []
    if "valid" in kinds:
        options.append(["valid"])
    if "same" in kinds:
        options.append(["same"])
    if "explicit" in kinds:
        lowest = max((output - 1) * s + span - size, 1)
        highest = min(output * s - 1 + span - size, 2 * span - 2)
        if most_padding is not None:
            highest = min(highest, most_padding)
        for parity in (0, 1):
            first = lowest + (lowest - parity) % 2
            options.append((total // 2, total - total // 2) for total in range(first, highest + 1, 2))
    for option in chain.from_iterable(options):
        try:
            reached = conv_output_size(size, kernel, s, option, d)
        except ValueError:
            continue
        if reached == output:
            before, after = resolve_padding(option, size, kernel, s, d)
            yield Solution(
                s, d, option, AxisWindow(size, kernel, s, d, before, after, output, option == "same")
            )


def dropped_cells(window: AxisWindow) -> int:
    """Input cells (padding excluded) at the end of the axis that no window reaches.

    >>> dropped_cells(solve(7, 3, 2, strides=2)[0].window)
    1
    """
    return max(window.unused - window.pad_after, 0)

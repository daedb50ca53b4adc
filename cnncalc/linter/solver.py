"""Which strides, padding and dilation take a window over an input size to an output size.

Every combination is listed, simplest first; rules use the solver for the numbers in their hints
("padding 2 keeps 28×28"). The arithmetic is :mod:`cnncalc.shapes.formulas`'.

>>> [str(s) for s in solve(28, 14, 3)[:3]]
['strides 2 with padding same', 'strides 2 with padding 1', 'strides 2 with padding (0, 1)']
"""

from __future__ import annotations

from dataclasses import dataclass
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


def solve(
    input_size: int,
    output_size: int,
    kernel_size: int,
    *,
    strides: int | None = None,
    dilation: int | None = None,
    padding: PaddingKind | None = None,
) -> list[Solution]:
    """Every (strides, padding, dilation) that takes ``input_size`` to ``output_size``, simplest first.

    ``strides``, ``dilation`` and ``padding`` fix one of them; otherwise strides run up to the input
    size, dilation as far as the dilated kernel fits the input, and explicit padding up to one cell
    less than the kernel's span (more would give windows of padding only). Strides and dilation
    above 1 together are left out, as Keras refuses them.

    >>> [str(s) for s in solve(28, 28, 5, dilation=1)]
    ['padding same', 'padding 2']
    >>> [str(s) for s in solve(7, 3, 3, strides=2)]
    ['strides 2 with padding valid', 'strides 2 with padding (0, 1)']
    """
    if min(input_size, output_size, kernel_size) < 1:
        raise ValueError("sizes must be at least 1")
    solutions = []
    for d in [dilation] if dilation else _dilations(input_size, kernel_size):
        for s in [strides] if strides else range(1, input_size + 1) if d == 1 else [1]:
            if s > 1 and d > 1:
                continue
            for option in _paddings(
                input_size, output_size, effective_kernel_size(kernel_size, d), s, padding
            ):
                try:
                    output = conv_output_size(input_size, kernel_size, s, option, d)
                except ValueError:
                    continue
                if output == output_size:
                    before, after = resolve_padding(option, input_size, kernel_size, s, d)
                    window = AxisWindow(
                        input_size, kernel_size, s, d, before, after, output, option == "same"
                    )
                    solutions.append(Solution(s, d, option, window))
    return sorted(solutions, key=Solution._simplicity)


def dropped_cells(window: AxisWindow) -> int:
    """Input cells (padding excluded) at the end of the axis that no window reaches.

    >>> dropped_cells(solve(7, 3, 2, strides=2)[0].window)
    1
    """
    return max(window.unused - window.pad_after, 0)


def _dilations(input_size: int, kernel_size: int) -> range:
    """Dilations whose kernel span still fits the unpadded input."""
    if kernel_size == 1:
        return range(1, 2)
    return range(1, max((input_size - 1) // (kernel_size - 1), 1) + 1)


def _paddings(
    size: int, output: int, span: int, strides: int, kind: PaddingKind | None
) -> list[SolvedPadding]:
    """The paddings worth trying: ``valid``, ``same``, and the explicit ones whose total ``P`` can give
    ``output`` (``(output − 1)·S ≤ I + P − span < output·S``), each at most ``span − 1`` cells a side."""
    candidates: list[SolvedPadding] = []
    if kind in (None, "valid"):
        candidates.append("valid")
    if kind in (None, "same"):
        candidates.append("same")
    if kind in (None, "explicit"):
        lowest, highest = (output - 1) * strides + span - size, output * strides - 1 + span - size
        for total in range(max(lowest, 1), min(highest, 2 * span - 2) + 1):
            candidates.append((total // 2, total - total // 2))
    return candidates

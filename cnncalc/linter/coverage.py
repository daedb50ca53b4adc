"""How each layer's windows cover its input: which cells they leave out at the end, and which pixels
of the input image no output sees any more, at the end or between windows.

Cell ``c`` of a layer's input sees input pixels ``offset + c·jump`` to ``offset + c·jump + size − 1``
(``size`` and ``jump`` its receptive field, ``offset`` negative where padding is seen). A layer that
reaches its input cells only up to ``last`` sees input pixels up to ``offset + last·jump + size − 1``,
and never more than the layer before it saw. Its outputs see ``size + (span − 1)·jump`` pixels each,
``jump·strides`` apart: when that is the larger, the pixels between them are never seen again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

from cnncalc.linter.rule import analysed, edges, size_text, spatial
from cnncalc.linter.solver import dropped_cells, tiling_padding
from cnncalc.shapes.records import Analysis, AxisWindow, LayerRecord, ReceptiveField
from cnncalc.spec.models import INPUT, Pool2D


@dataclass(frozen=True)
class AxisCoverage:
    """How one layer's windows cover its input along one axis, in cells and in image pixels."""

    window: AxisWindow
    offset: int
    """The image pixel where the receptive field of the layer's input cell 0 starts."""
    field: int
    """The pixels one input cell sees."""
    jump: int
    """The pixels between neighbouring input cells' fields."""
    seen: int
    """The input cells see image pixels ``0`` to ``seen − 1``."""
    holed: bool = False
    """Whether an earlier layer already left pixels between its windows unseen on this axis."""

    @property
    def dropped(self) -> int:
        """Cells of the layer's input (padding excluded) that no window reaches."""
        return dropped_cells(self.window)

    @property
    def reach(self) -> int:
        """The image pixels up to which the layer's last window sees."""
        last = self.window.size - 1 - self.dropped
        return min(self.seen, self.offset + last * self.jump + self.field)

    @property
    def lost(self) -> int:
        """Pixels of the input image that were seen before this layer and no output of it sees."""
        return self.seen - self.reach

    @property
    def gaps(self) -> bool:
        """Whether windows skip cells between them (span below the stride): subsampling by design."""
        return self.window.span < self.window.strides

    @property
    def output_field(self) -> int:
        """The pixels one output of the layer sees."""
        return self.field + (self.window.span - 1) * self.jump

    @property
    def output_jump(self) -> int:
        """The pixels between neighbouring outputs' fields."""
        return self.jump * self.window.strides

    @property
    def holes(self) -> bool:
        """Whether the outputs' fields leave pixels between them."""
        return self.output_field < self.output_jump

    @property
    def unseen(self) -> int:
        """Image pixels ``0 … seen − 1`` that no output's field covers (the fields start at
        ``offset − p_before·jump``)."""
        start = self.offset - self.window.pad_before * self.jump
        return self.seen - _covered(self.seen, start, self.output_jump, self.output_field, self.window.output)

    @property
    def skips(self) -> bool:
        """Whether this layer is the first on the axis to leave pixels between windows unseen."""
        return self.holes and not self.holed and self.unseen > 0


@dataclass(frozen=True)
class LayerCoverage:
    """How a layer's windows cover its input, along both axes."""

    record: LayerRecord
    rows: AxisCoverage
    columns: AxisCoverage
    image: tuple[int, int]
    """The network's input height and width."""

    @property
    def axes(self) -> tuple[AxisCoverage, AxisCoverage]:
        """Rows (height), then columns (width)."""
        return self.rows, self.columns

    @property
    def lost(self) -> bool:
        """Whether input pixels are lost for good at the end of an axis at this layer."""
        return bool(self.rows.lost or self.columns.lost)

    def dropped_text(self) -> str:
        """``max_pooling2d_2 leaves out the last row and column of its 7×7 input (3 windows of 2,
        stride 2, cover 6 of 7)``."""
        rows, columns = self.rows.window, self.columns.window
        covers = [
            f"{w.output} windows of {w.span}, stride {w.strides}, cover {w.size - a.dropped} of {w.size}"
            for w, a in ((rows, self.rows), (columns, self.columns))
        ]
        how = covers[0] if covers[0] == covers[1] else f"rows: {covers[0]}; columns: {covers[1]}"
        return (
            f"{self.record.name} leaves out {edges(self.rows.dropped, self.columns.dropped)} of its "
            f"{size_text(rows.size, columns.size)} input ({how})"
        )

    def lost_text(self) -> str:
        """``the last 2 rows and columns of the 28×28 input``."""
        return f"{edges(self.rows.lost, self.columns.lost)} of the {size_text(*self.image)} input"

    def hint(self) -> str:
        """Settings that reach every cell, from the solver: padding, or (pooling) a larger window."""
        pool = isinstance(self.record.layer, Pool2D)
        rows, columns = self.rows.window, self.columns.window
        if replace(rows, pad_before=0, pad_after=0) == replace(columns, pad_before=0, pad_after=0):
            return _hint(rows, pool, lambda n: size_text(n, n))
        return "; ".join(
            f"{label}: {_hint(axis.window, pool, str)}"
            for label, axis in (("rows", self.rows), ("columns", self.columns))
            if axis.dropped
        )


@dataclass(frozen=True)
class _Reach:
    """What the cells of one layer's output see of the input image, per axis."""

    offsets: tuple[int, int]
    """Where cell 0's field starts, in input pixels (negative where it sees padding)."""
    seen: tuple[int, int]
    """How many pixels from the top (left) edge some cell sees."""
    field: ReceptiveField
    holed: tuple[bool, bool]
    """Whether pixels between windows were left unseen on the way."""


def coverage(analysis: Analysis) -> Iterator[LayerCoverage]:
    """Every layer with windows (convolutions, pooling), in order, with what its input cells see.

    Each layer's reach comes from its input's; where branches merge, the merge sees what the branch
    that sees furthest sees (the maximum over branches), and misses pixels between windows only
    if every branch does."""
    image = spatial(analysis.input_shape, analysis.data_format)
    if image is None:
        return
    reaches = {INPUT: _Reach((0, 0), (image[0], image[1]), ReceptiveField.identity(), (False, False))}
    for record in analysed(analysis):
        sources = [reaches.get(name) for name in record.inputs]
        if record.receptive_field is None or not record.receptive_field.regular or None in sources:
            continue  # the field ended, or upsampling broke the grid of windows
        known = [source for source in sources if source is not None]
        offsets = list(known[0].offsets)
        seen = [max(source.seen[axis] for source in known) for axis in range(2)]
        holed = [all(source.holed[axis] for source in known) for axis in range(2)]
        field = known[0].field
        if record.windows is not None:
            rows, columns = (
                AxisCoverage(window, offsets[a], field.size[a], int(field.jump[a]), seen[a], holed[a])
                for a, window in enumerate(record.windows)
            )
            yield LayerCoverage(record, rows, columns, (image[0], image[1]))
            for a, axis in enumerate((rows, columns)):
                offsets[a] = axis.offset - axis.window.pad_before * axis.jump
                seen[a] = axis.reach
                holed[a] = axis.holed or axis.holes
        reaches[record.name] = _Reach(
            (offsets[0], offsets[1]), (seen[0], seen[1]), record.receptive_field, (holed[0], holed[1])
        )


def untiled(analysis: Analysis) -> Iterator[LayerCoverage]:
    """Every layer whose windows leave out input cells at the end, except strided layers that skip
    cells by design."""
    for layer in coverage(analysis):
        if any(a.dropped for a in layer.axes) and not any(a.gaps for a in layer.axes):
            yield layer


def skipping(analysis: Analysis) -> Iterator[LayerCoverage]:
    """Every layer whose outputs leave pixels between them unseen, the first on each axis."""
    for layer in coverage(analysis):
        if any(a.skips for a in layer.axes):
            yield layer


def _covered(size: int, start: int, step: int, length: int, count: int) -> int:
    """Cells of ``0 … size − 1`` inside one of ``count`` intervals of ``length`` cells starting at
    ``start``, ``start + step``, … (disjoint when ``length ≤ step``, else one run). O(1).

    >>> _covered(28, 0, 2, 1, 14), _covered(10, -1, 4, 3, 3), _covered(10, -3, 2, 5, 6)
    (14, 8, 10)
    """
    if length >= step:  # overlapping or touching: one run
        return max(0, min(size, start + (count - 1) * step + length) - max(0, start))
    inside_first = max(0, -(start // step))  # the first interval starting at 0 or after
    inside_last = min(count - 1, (size - length - start) // step)  # the last ending by size
    total = length * max(0, inside_last - inside_first + 1)
    straddling = {inside_first - 1, (size - 1 - start) // step}  # across 0, across the end
    for index in straddling:
        if 0 <= index < count and not inside_first <= index <= inside_last:
            begin = start + index * step
            total += max(0, min(size, begin + length) - max(0, begin))
    return total


def _hint(window: AxisWindow, pool: bool, dims: Callable[[int], str]) -> str:
    """``padding same gives 4×4 or pool_size 3 with strides 2 keeps 3×3; both reach every cell``."""
    options = []
    padded = next(
        (
            solution
            for output in (window.output, window.output + 1)
            if (
                solution := tiling_padding(
                    window.size, output, window.kernel, strides=window.strides, dilation=window.dilation
                )
            )
        ),
        None,
    )
    if padded is not None:
        options.append(f"{padded.padding_text} gives {dims(padded.output)}")
    larger = (
        window.size - (window.output - 1) * window.strides
    )  # the one valid window that ends at the last cell
    if pool and larger > window.kernel:
        options.append(f"pool_size {larger} with strides {window.strides} keeps {dims(window.output)}")
    if not options:
        return "pad the input or change the strides so that the windows reach every cell"
    return " or ".join(options) + ("; both reach every cell" if len(options) > 1 else ", reaching every cell")


def live_taps(window: AxisWindow) -> int:
    """How many kernel positions (taps) along the axis overlap the input at some output position.

    Tap ``t`` of output ``o`` reads cell ``o·S + y`` with ``y = t·d − p_before``. Taps with
    ``y + (O − 1)·S < 0`` end before the input and taps with ``y > I − 1`` start after it; every
    other tap reads a cell unless all its positions fall between cells, which happens only for
    strides above the input size: then tap ``t`` is live when ``y mod S < I``. Counting those is a
    floor sum, so the count takes O(log S) steps, not O(kernel).
    """
    size, strides, dilation = window.size, window.strides, window.dilation
    first = max(0, -(-(window.pad_before - (window.output - 1) * strides) // dilation))
    last = min(window.kernel - 1, (size - 1 + window.pad_before) // dilation)
    count = last - first + 1
    if count <= 0:
        return 0
    if size >= strides:
        return count
    start = (first * dilation - window.pad_before) % strides
    return _residues_below(count, strides, dilation, start, size)


def _residues_below(count: int, modulus: int, step: int, start: int, bound: int) -> int:
    """``#{i < count : (start + i·step) mod modulus < bound}`` for ``0 ≤ start < modulus`` and
    ``0 < bound ≤ modulus``, as ``⌊x/m⌋ − ⌊(x − bound)/m⌋`` summed with :func:`_floor_sum`."""
    return (
        _floor_sum(count, modulus, step, start)
        - _floor_sum(count, modulus, step, start - bound + modulus)
        + count
    )


def _floor_sum(count: int, modulus: int, step: int, start: int) -> int:
    """``Σ_{i < count} ⌊(step·i + start) / modulus⌋`` for non-negative ``step`` and ``start``, by the
    Euclid-like reduction (AtCoder Library's ``floor_sum``): O(log modulus) steps."""
    total = 0
    while True:
        if step >= modulus:
            total += (count - 1) * count // 2 * (step // modulus)
            step %= modulus
        if start >= modulus:
            total += count * (start // modulus)
            start %= modulus
        highest = step * count + start
        if highest < modulus:
            return total
        count, start, modulus, step = highest // modulus, highest % modulus, step, modulus

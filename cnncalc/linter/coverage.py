"""Windows that do not tile their input: which cells each layer leaves out, and whether pixels of the
input image are lost for good or still seen through overlapping neighbours.

Cell ``c`` of a layer's input sees input pixels ``offset + c·jump`` to ``offset + c·jump + size − 1``
(``size`` and ``jump`` its receptive field, ``offset`` negative where padding is seen). A layer that
reaches its input cells only up to ``last`` sees input pixels up to ``offset + last·jump + size − 1``,
and never more than the layer before it saw.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

from cnncalc.linter.rule import analysed, edges, size_text, spatial
from cnncalc.linter.solver import dropped_cells, solve
from cnncalc.shapes.records import Analysis, AxisWindow, LayerRecord, ReceptiveField
from cnncalc.spec.models import INPUT, Pool2D


@dataclass(frozen=True)
class AxisCoverage:
    """How one layer's windows cover its input along one axis."""

    window: AxisWindow
    dropped: int
    """Cells of the layer's input (padding excluded) that no window reaches."""
    lost: int
    """Pixels of the input image that were seen before this layer and no output of it sees."""

    @property
    def gaps(self) -> bool:
        """Whether windows skip cells between them (span below the stride): subsampling by design."""
        return self.window.span < self.window.strides


@dataclass(frozen=True)
class Untiled:
    """A layer whose windows leave out the last rows or columns of its input."""

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
        """Whether input pixels are lost for good at this layer."""
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


def untiled(analysis: Analysis) -> Iterator[Untiled]:
    """Every layer whose windows leave out input cells, except strided layers that skip cells by design.

    Each layer's reach comes from its input's; where branches merge, the merge sees what the branch
    that sees furthest sees (the maximum over branches)."""
    image = spatial(analysis.input_shape, analysis.data_format)
    if image is None:
        return
    reaches = {INPUT: _Reach((0, 0), (image[0], image[1]), ReceptiveField.identity())}
    for record in analysed(analysis):
        sources = [reaches.get(name) for name in record.inputs]
        if record.receptive_field is None or not record.receptive_field.regular or None in sources:
            continue  # the field ended, or upsampling broke the grid of windows
        first = sources[0]
        assert first is not None
        offsets, seen = list(first.offsets), [max(s.seen[axis] for s in sources if s) for axis in range(2)]
        field = first.field
        if record.windows is not None:
            axes = []
            for axis, window in enumerate(record.windows):
                dropped = dropped_cells(window)
                last = window.size - 1 - dropped
                jump = int(field.jump[axis])  # whole: the field is regular
                reach = min(seen[axis], offsets[axis] + last * jump + field.size[axis])
                axes.append(AxisCoverage(window, dropped, seen[axis] - reach))
                offsets[axis] -= window.pad_before * jump
                seen[axis] = reach
            if any(a.dropped for a in axes) and not any(a.gaps for a in axes):
                yield Untiled(record, axes[0], axes[1], (image[0], image[1]))
        reaches[record.name] = _Reach((offsets[0], offsets[1]), (seen[0], seen[1]), record.receptive_field)


def _hint(window: AxisWindow, pool: bool, dims: Callable[[int], str]) -> str:
    """``padding same gives 4×4 or pool_size 3 with strides 2 keeps 3×3; both reach every cell``."""
    options = []
    padded = next(
        (
            solution
            for output in (window.output, window.output + 1)
            for solution in solve(
                window.size, output, window.kernel, strides=window.strides, dilation=window.dilation
            )
            if not solution.dropped
        ),
        None,
    )
    if padded is not None:
        options.append(f"{padded.padding_text} gives {dims(padded.output)}")
    if pool:
        larger = next(
            (
                size
                for size in range(window.kernel + 1, window.size + 1)
                if any(
                    not solution.dropped
                    for solution in solve(
                        window.size, window.output, size, strides=window.strides, dilation=1, padding="valid"
                    )
                )
            ),
            None,
        )
        if larger is not None:
            options.append(f"pool_size {larger} with strides {window.strides} keeps {dims(window.output)}")
    if not options:
        return "pad the input or change the strides so that the windows reach every cell"
    return " or ".join(options) + ("; both reach every cell" if len(options) > 1 else ", reaching every cell")

"""The result of analysis: plain records every consumer (renderers, linter, backends) reads."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property
from math import lcm, prod
from typing import Any, ClassVar

from cnncalc.diagnostics import Diagnostic, Severity
from cnncalc.spec.models import INPUT, DataFormat, LayerBase, Spec

Shape = tuple[int, ...]


@dataclass(frozen=True)
class Weight:
    """One weight tensor of a layer, in Keras' layout."""

    name: str
    shape: Shape
    trainable: bool = True
    itemsize: int = 4
    """Bytes per value: 4 (float32), but 8 for the int64 count of Keras' Normalization."""

    @property
    def size(self) -> int:
        """Number of values."""
        return prod(self.shape)

    @property
    def nbytes(self) -> int:
        """Bytes it takes, as Keras' summary counts them."""
        return self.size * self.itemsize


@dataclass(frozen=True)
class AxisWindow:
    """How a sliding window (kernel or pool) covers one spatial axis."""

    size: int
    kernel: int
    strides: int
    dilation: int
    pad_before: int
    pad_after: int
    output: int
    same: bool = False
    """Whether the padding came from ``same`` (Keras' split) rather than given explicitly."""
    ceil: bool = False
    """Whether the number of windows was rounded up (a pool's ``ceil_mode``)."""

    @property
    def span(self) -> int:
        """The dilated kernel's extent: ``d·(K − 1) + 1``."""
        return self.dilation * (self.kernel - 1) + 1

    @property
    def unused(self) -> int:
        """Input cells at the end (after padding) that no window reaches."""
        covered = (self.output - 1) * self.strides + self.span
        return max(self.size + self.pad_before + self.pad_after - covered, 0)


@dataclass(frozen=True)
class AxisField:
    """Along one axis, the input pixels each output cell can depend on, as a repeating pattern.

    Output cell ``i`` sees input pixels ``first … last`` of ``cells[i]`` for ``i`` below the
    period; cell ``i + P`` sees the pixels of cell ``i`` moved by ``shift``. A chain of convolutions
    and pools has period 1 (every cell sees as many pixels, ``shift`` apart); upsampling makes
    longer patterns. A cell whose ``last`` is below its ``first`` sees nothing (a transposed
    convolution's output that no kernel tap reaches).
    """

    cells: tuple[tuple[int, int], ...]
    shift: int

    NOTHING: ClassVar[tuple[int, int]] = (0, -1)
    """The cell that sees no input pixel."""

    @property
    def period(self) -> int:
        """How many cells the pattern has."""
        return len(self.cells)

    @property
    def size(self) -> int:
        """The most input pixels one cell sees."""
        return max(max(last - first + 1, 0) for first, last in self.cells)

    @property
    def min_size(self) -> int:
        """The fewest input pixels one cell sees: ``size`` unless cells differ."""
        return min(max(last - first + 1, 0) for first, last in self.cells)

    @property
    def jump(self) -> Fraction:
        """The input distance between neighbouring cells (a fraction after upsampling)."""
        return Fraction(self.shift, self.period)

    @property
    def start(self) -> int:
        """The first input pixel cell 0 sees (negative: in the padding)."""
        return self.cells[0][0]

    def cell(self, index: int) -> tuple[int, int]:
        """``(first, last)`` input pixel seen by output cell ``index`` (any integer)."""
        turns, phase = divmod(index, self.period)
        first, last = self.cells[phase]
        return first + turns * self.shift, last + turns * self.shift

    def reach(self, low: int, high: int, step: int) -> tuple[int, int]:
        """The pixels seen by cells ``low, low + step, …`` up to ``high``: from the first of the
        first cell that sees any to the last of the last one; :data:`NOTHING` if none does."""
        count = (high - low) // step + 1 if high >= low else 0
        tries = min(count, self.period)
        first = next((self.cell(low + n * step) for n in range(tries) if self._sees(low + n * step)), None)
        top = low + (count - 1) * step
        last = next((self.cell(top - n * step) for n in range(tries) if self._sees(top - n * step)), None)
        if first is None or last is None:
            return self.NOTHING
        return first[0], last[1]

    def _sees(self, index: int) -> bool:
        first, last = self.cells[index % self.period]
        return last >= first

    def union(self, other: AxisField, limit: int) -> AxisField | None:
        """What each cell sees through either field (two merged branches); ``None`` past ``limit``
        cells of pattern. If the branches' jumps differ, the cells drift apart: the union of the
        first period's cells, moving by the larger jump."""
        period = lcm(self.period, other.period)
        if period > limit:
            return None
        shift = max(self.shift * period // self.period, other.shift * period // other.period)
        return AxisField(tuple(_union(self.cell(i), other.cell(i)) for i in range(period)), shift)


def _union(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    if a[1] < a[0]:
        return b
    if b[1] < b[0]:
        return a
    return min(a[0], b[0]), max(a[1], b[1])


@dataclass(frozen=True)
class ReceptiveField:
    """The receptive field of a layer's output cells, per spatial axis ``(height, width)``, in
    input pixels: the true extent of the input that can change one output cell (what a gradient
    shows). ``size`` is the most pixels one cell sees, ``min_size`` the fewest (equal unless cells
    differ), ``jump`` the input distance between neighbouring cells, ``start`` the first pixel the
    first cell sees (negative: in the padding)."""

    rows: AxisField
    columns: AxisField

    @classmethod
    def identity(cls) -> ReceptiveField:
        """The input's own field: each pixel sees itself."""
        return cls(AxisField(((0, 0),), 1), AxisField(((0, 0),), 1))

    @property
    def size(self) -> tuple[int, int]:
        """The most input pixels one cell sees, per axis."""
        return self.rows.size, self.columns.size

    @property
    def min_size(self) -> tuple[int, int]:
        """The fewest input pixels one cell sees, per axis (``size`` when all cells see as many)."""
        return self.rows.min_size, self.columns.min_size

    @property
    def jump(self) -> tuple[Fraction, Fraction]:
        """The input distance between neighbouring cells, per axis."""
        return self.rows.jump, self.columns.jump

    @property
    def start(self) -> tuple[int, int]:
        """The first input pixel the first cell sees, per axis."""
        return self.rows.start, self.columns.start

    @property
    def uniform(self) -> bool:
        """Whether every cell sees as many pixels."""
        return self.size == self.min_size

    @property
    def regular(self) -> bool:
        """Whether every cell sees as many pixels, a whole number of pixels from its neighbours
        (no upsampling on the way): the standard recurrence holds."""
        return self.rows.period == 1 and self.columns.period == 1

    def union(self, other: ReceptiveField, limit: int) -> ReceptiveField | None:
        """What each cell sees through either field, as where two branches merge."""
        rows, columns = self.rows.union(other.rows, limit), self.columns.union(other.columns, limit)
        return None if rows is None or columns is None else ReceptiveField(rows, columns)


@dataclass(frozen=True)
class Cost:
    """The work of computing one layer's output for one sample, counted neutrally: what each tool
    calls FLOPs is a convention over these (:mod:`cnncalc.cost.conventions`)."""

    macs: int = 0
    """Multiply-accumulates of the weights (convolutions, dense layers), without bias: the
    convention of torchvision and fvcore."""
    bias: int = 0
    """Bias additions: one per output value that gets a bias."""
    activations: int = 0
    """Values passed through a non-linear function (the layer's own ``activation`` included)."""
    other: int = 0
    """Other element-wise operations: normalisation, pooling, merges, scaling, interpolation."""
    connections: int = 0
    """LeCun et al.'s (1998) count: every output value's inputs read, plus one for its bias."""
    formula: str = ""
    """The MACs' arithmetic with the numbers in (``MACs = 5·5·1·6 · 28·28 = 117,600``), if any."""

    @property
    def flops(self) -> int:
        """``2·MACs``: a multiply-accumulate is a multiplication and an addition."""
        return 2 * self.macs

    @property
    def elementwise(self) -> int:
        """All the work beside the MACs: bias additions, activations and other element-wise ops."""
        return self.bias + self.activations + self.other


@dataclass(frozen=True)
class LayerRecord:
    """Everything analysis knows about one layer. After an error (in it or in a layer it depends
    on), its output shape and weights are ``None``."""

    index: int
    name: str
    layer: LayerBase
    input_shape: Shape | None
    """The shape of its (first) input."""
    output_shape: Shape | None
    weights: tuple[Weight, ...] | None
    windows: tuple[AxisWindow, AxisWindow] | None = None
    receptive_field: ReceptiveField | None = None
    explanation: tuple[str, ...] = ()
    """The formulas behind the output size and parameter count, with the numbers in."""
    inputs: tuple[str, ...] = (INPUT,)
    """The names of the layers it reads (``input``: the model input), in order."""
    input_shapes: tuple[Shape | None, ...] = ()
    """Their output shapes, in the same order."""
    block: tuple[str, ...] = ()
    """The block uses that made it, outermost first; ``()`` for a layer written in ``layers:``."""
    cost: Cost | None = None
    """Its work per sample, ``None`` when unknown (at and after an error)."""

    @property
    def type(self) -> str:
        """The canonical layer type (``conv2d``, ``maxpool2d``, ...)."""
        return self.layer.type

    @property
    def params(self) -> int | None:
        """All parameters (trainable and not), ``None`` when unknown."""
        return None if self.weights is None else sum(w.size for w in self.weights)

    @property
    def trainable_params(self) -> int | None:
        """Parameters updated by training, ``None`` when unknown."""
        return None if self.weights is None else sum(w.size for w in self.weights if w.trainable)

    @property
    def non_trainable_params(self) -> int | None:
        """Parameters not updated by gradients (batchnorm's moving statistics)."""
        return None if self.weights is None else sum(w.size for w in self.weights if not w.trainable)


@dataclass(frozen=True)
class Analysis:
    """A spec analysed: one record per layer in spec order (every layer after its inputs), and the
    findings."""

    spec: Spec
    layers: tuple[LayerRecord, ...]
    diagnostics: tuple[Diagnostic, ...]
    file: str | None = None

    @property
    def name(self) -> str:
        """The network's name."""
        return self.spec.name

    @property
    def input_shape(self) -> Shape:
        """The input shape without the batch axis, in the spec's data format."""
        return self.spec.input

    @property
    def data_format(self) -> DataFormat:
        """``channels_last`` or ``channels_first``."""
        return self.spec.data_format

    @property
    def outputs(self) -> tuple[str, ...]:
        """The names of the layers whose results the network returns."""
        return self.spec.outputs

    @property
    def output_shape(self) -> Shape | None:
        """The (first) output's shape, ``None`` when an error stopped analysis before it."""
        return self.layer(self.outputs[0]).output_shape

    @cached_property  # rules ask for every layer: a walk each time would make them O(layers²)
    def branches(self) -> bool:
        """Whether the network is not a plain chain (a layer reads another than the one before it,
        or several inputs)."""
        previous = INPUT
        for record in self.layers:
            if record.inputs != (previous,):
                return True
            previous = record.name
        return self.outputs != (previous,)

    def consumers(self, name: str) -> tuple[str, ...]:
        """The names of the layers that read ``name`` (a layer, or ``input``)."""
        return self._consumers.get(name, ())

    @cached_property
    def _consumers(self) -> dict[str, tuple[str, ...]]:
        readers: dict[str, list[str]] = {}
        for record in self.layers:
            for source in dict.fromkeys(record.inputs):
                readers.setdefault(source, []).append(record.name)
        return {name: tuple(names) for name, names in readers.items()}

    def inputs_of(self, record: LayerRecord) -> tuple[LayerRecord | None, ...]:
        """The records ``record`` reads, in order (``None`` for the model input)."""
        return tuple(None if name == INPUT else self.layer(name) for name in record.inputs)

    @property
    def total_params(self) -> int:
        """All parameters of the layers analysed."""
        return sum(record.params or 0 for record in self.layers)

    @property
    def trainable_params(self) -> int:
        """Trainable parameters of the layers analysed."""
        return sum(record.trainable_params or 0 for record in self.layers)

    @property
    def non_trainable_params(self) -> int:
        """Non-trainable parameters of the layers analysed."""
        return sum(record.non_trainable_params or 0 for record in self.layers)

    @property
    def total_macs(self) -> int:
        """Multiply-accumulates of the layers analysed, per sample."""
        return sum(record.cost.macs for record in self.layers if record.cost is not None)

    @property
    def total_flops(self) -> int:
        """``2·MACs`` of the layers analysed, per sample."""
        return 2 * self.total_macs

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        """Findings of severity ``error``."""
        return tuple(d for d in self.diagnostics if d.severity is Severity.ERROR)

    @property
    def ok(self) -> bool:
        """Whether analysis found no error."""
        return not self.errors

    def summary(self, *, width: int = 100, explain: bool = False) -> str:
        """The layer table ``cnncalc check`` prints, with the findings under it, as plain text
        (as Keras' ``model.summary()``, torchinfo's ``summary``)."""
        from cnncalc.render.table import table_text  # renderers read records: only when asked

        return table_text(self, width=width, explain=explain)

    def to_dict(self) -> dict[str, Any]:
        """The object ``cnncalc check --format json`` prints for this spec (docs/json.md)."""
        from cnncalc.render.json import report_dict  # renderers read records: only when asked

        return report_dict(self)

    def layer(self, name: str) -> LayerRecord:
        """The record of the layer called ``name``; ``KeyError`` lists the names when missing."""
        record = self._by_name.get(name)
        if record is None:
            shown = ", ".join(r.name for r in self.layers[:50]) + (", ..." if len(self.layers) > 50 else "")
            raise KeyError(f"no layer named {name!r}; layers: {shown}")
        return record

    @cached_property
    def _by_name(self) -> dict[str, LayerRecord]:
        return {record.name: record for record in self.layers}

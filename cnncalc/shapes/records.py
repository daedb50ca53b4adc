"""The result of analysis: plain records every consumer (renderers, linter, backends) reads."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from math import prod

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
class ReceptiveField:
    """Receptive field of one output cell, per spatial axis ``(height, width)``, in input pixels.

    ``size`` is the extent one output cell sees, ``jump`` the input distance between neighbouring
    output cells. Where branches merge, the largest over the branches.
    """

    size: tuple[int, int]
    jump: tuple[int, int]

    def widest(self, other: ReceptiveField) -> ReceptiveField:
        """The larger of two fields on each axis, as where two branches merge."""
        return ReceptiveField(
            (max(self.size[0], other.size[0]), max(self.size[1], other.size[1])),
            (max(self.jump[0], other.jump[0]), max(self.jump[1], other.jump[1])),
        )


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

    @property
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
    def errors(self) -> tuple[Diagnostic, ...]:
        """Findings of severity ``error``."""
        return tuple(d for d in self.diagnostics if d.severity is Severity.ERROR)

    @property
    def ok(self) -> bool:
        """Whether analysis found no error."""
        return not self.errors

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

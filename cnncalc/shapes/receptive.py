"""Receptive fields: which input pixels each output cell of a layer can depend on, exactly.

The standard recurrence (Araujo et al., "Computing receptive fields of convolutional neural
networks", Distill 2019) gives, for windows of span ``K``, stride ``S`` and padding ``p`` before,
``r ← r + (K − 1)·j``, ``j ← j·S`` and ``start ← start − p·j``. It assumes that neighbouring output
cells are a fixed number of input pixels apart and see equally many, which upsampling and
transposed convolutions break: there the jump becomes a fraction and cells may differ.

So each axis is kept exactly, as a periodic pattern (:class:`~cnncalc.shapes.records.AxisField`):
the first and last input pixel seen by output cells ``0 … P − 1``, and how far the pattern moves
every ``P`` cells. A chain of convolutions and pools keeps ``P = 1`` and gives the recurrence above;
nearest upsampling by ``s`` keeps each cell's field and makes the jump ``j/s``; a transposed
convolution whose kernel ``k`` is a multiple of ``s`` reads ``k/s`` input cells per output cell,
``r + (k/s − 1)·j``; otherwise its cells read different numbers of cells, and the field says so
(its smallest size differs from its largest). Borders are ignored, as the recurrence ignores them:
a cell near the edge sees part of its field in the padding.

Global pooling, flatten and reshape end the field (``None``): their outputs are no longer cells
of a map of the input. So does a merge with a branch broadcast over the map (a squeeze-and-excitation
gate) and a concatenation along a spatial axis.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction
from math import gcd

from cnncalc.shapes.formulas import adaptive_windows
from cnncalc.shapes.inference import Inferred, channel_axis, feature_map, keras_axes
from cnncalc.shapes.records import AxisField, AxisWindow, ReceptiveField, Shape
from cnncalc.shapes.text import format_int
from cnncalc.spec.models import (
    AdaptiveAvgPool2D,
    AdaptiveMaxPool2D,
    AdaptivePool2D,
    Concatenate,
    Conv2DTranspose,
    Cropping2D,
    DataFormat,
    Flatten,
    GlobalAvgPool2D,
    GlobalMaxPool2D,
    LayerBase,
    Merge,
    Reshape,
    UpSampling2D,
)

MAX_PERIOD = 512
"""Upsampling by more than this overall (a pattern of more cells) ends the field: it would cost
time and memory for no network anyone builds."""

INTERPOLATION_RADIUS = {"bilinear": 1, "bicubic": 2, "lanczos3": 3, "lanczos5": 5}
"""Input cells read on each side of a sampling point that falls between cells: bilinear reads
2, bicubic 4, Lanczos-3 6, Lanczos-5 10; one where it falls on a cell. ``nearest`` and ``area``
(for whole upsampling factors) read one cell."""


def input_field(shape: Shape) -> ReceptiveField | None:
    """Each input pixel sees itself; a flat input has no field."""
    return ReceptiveField.identity() if len(shape) == 3 else None


def next_field(
    layer: LayerBase,
    fields: Sequence[ReceptiveField | None],
    shapes: Sequence[Shape],
    inferred: Inferred,
    data_format: DataFormat,
) -> ReceptiveField | None:
    """The field of ``layer``'s output cells from its inputs' ``fields`` and ``shapes``."""
    if any(field is None for field in fields) or len(inferred.output_shape) != 3:
        return None
    known = [field for field in fields if field is not None]
    special = _SPECIAL.get(type(layer))
    if special is not None:
        return special(layer, known, shapes, inferred, data_format)
    if isinstance(layer, Merge):
        return _merge(layer, known, shapes, inferred, data_format)
    windows = inferred.windows
    if windows is None:
        return known[0]
    return _both(known[0], lambda axis, field: _windowed(field, windows[axis]))


def _both(field: ReceptiveField, step: Callable[[int, AxisField], AxisField | None]) -> ReceptiveField | None:
    rows, columns = step(0, field.rows), step(1, field.columns)
    return None if rows is None or columns is None else ReceptiveField(rows, columns)


def _pattern(period: int, shift: int, cells: Callable[[int], tuple[int, int]]) -> AxisField | None:
    """The field of output cells ``0 … period − 1``; ``None`` past :data:`MAX_PERIOD`."""
    if period > MAX_PERIOD:
        return None
    return AxisField(tuple(cells(phase) for phase in range(period)), shift)


def _windowed(field: AxisField, window: AxisWindow) -> AxisField | None:
    """Output cell ``o`` reads input cells ``o·S − p``, then every ``d`` cells, ``K`` of them."""
    if field.period == 1 and field.size > 0:  # the standard recurrence: cells all alike
        (first, last), jump = field.cells[0], field.shift
        start = first - window.pad_before * jump
        return AxisField(
            ((start, last + (window.span - 1 - window.pad_before) * jump),), jump * window.strides
        )
    period = field.period // gcd(field.period, window.strides)
    shift = field.shift * (period * window.strides // field.period)

    def cells(o: int) -> tuple[int, int]:
        first = o * window.strides - window.pad_before
        return field.reach(first, first + window.span - 1, window.dilation)

    return _pattern(period, shift, cells)


def _transposed(
    layer: Conv2DTranspose,
    fields: list[ReceptiveField],
    shapes: Sequence[Shape],
    inferred: Inferred,
    data_format: DataFormat,
) -> ReceptiveField | None:
    """Input cell ``i`` adds its kernel, tap ``t`` at output ``i·S + t·d − p``: output cell ``o``
    reads the cells ``i = (o + p − t·d)/S`` that are whole numbers. ``p`` is the padding Keras (as
    TensorFlow) crops with ``same``: half of ``(I − 1)·S + K − O``, ``K`` the dilated span."""
    sizes = feature_map(layer, shapes[0], data_format)[:2]
    out = feature_map(layer, inferred.output_shape, data_format)[:2]

    def step(axis: int, field: AxisField) -> AxisField | None:
        kernel, strides = layer.kernel_size[axis], layer.strides[axis]
        dilation = layer.dilation_rate[axis]
        span = dilation * (kernel - 1) + 1
        pad = max((sizes[axis] - 1) * strides + span - out[axis], 0) // 2 if layer.padding == "same" else 0

        def cells(o: int) -> tuple[int, int]:
            taps = _taps(o + pad, kernel, strides, dilation)
            if not taps:
                return AxisField.NOTHING
            last, first = ((o + pad - t * dilation) // strides for t in (taps[0], taps[-1]))
            return field.reach(first, last, taps.step * dilation // strides)

        return _pattern(field.period * strides, field.shift, cells)

    return _both(fields[0], step)


def _taps(position: int, kernel: int, strides: int, dilation: int) -> range:
    """The taps ``t < kernel`` with ``position − t·d`` a multiple of ``strides``: every
    ``strides/gcd(d, strides)``-th tap from the first one."""
    step = strides // gcd(dilation, strides)
    first = next((t for t in range(min(step, kernel)) if (position - t * dilation) % strides == 0), kernel)
    return range(first, kernel, step)


def _upsampling(
    layer: UpSampling2D,
    fields: list[ReceptiveField],
    shapes: Sequence[Shape],
    inferred: Inferred,
    data_format: DataFormat,
) -> ReceptiveField | None:
    """Output cell ``o`` samples the input at ``(o + ½)/s − ½`` (half-pixel centres, as Keras'
    resize); ``nearest`` and ``area`` read the cell ``⌊o/s⌋``, the others the cells their kernel
    covers around the sampling point."""
    radius = INTERPOLATION_RADIUS.get(layer.interpolation, 0)

    def step(axis: int, field: AxisField) -> AxisField | None:
        factor = layer.size[axis]

        def cells(o: int) -> tuple[int, int]:
            if radius == 0:
                return field.reach(o // factor, o // factor, 1)
            point = Fraction(2 * o + 1 - factor, 2 * factor)
            if point.denominator == 1:
                return field.reach(int(point), int(point), 1)
            below = point.numerator // point.denominator
            return field.reach(below - radius + 1, below + radius, 1)

        return _pattern(field.period * factor, field.shift, cells)

    return _both(fields[0], step)


def _adaptive(
    layer: AdaptivePool2D,
    fields: list[ReceptiveField],
    shapes: Sequence[Shape],
    inferred: Inferred,
    data_format: DataFormat,
) -> ReceptiveField | None:
    """Output cell ``o`` reads its adaptive window (:func:`adaptive_windows`); the windows repeat
    every ``O/g`` cells, ``I/g`` input cells on (``g = gcd(I, O)``)."""
    sizes = feature_map(layer, shapes[0], data_format)[:2]

    def step(axis: int, field: AxisField) -> AxisField | None:
        size, out = sizes[axis], layer.output_size[axis]
        common = gcd(size, out)
        cells, moved = out // common, size // common  # every `cells` outputs, `moved` inputs on
        blocks = field.period // gcd(field.period, moved)
        windows = adaptive_windows(size, out)

        def reach(o: int) -> tuple[int, int]:
            block, phase = divmod(o, cells)
            first, last = windows[phase]
            return field.reach(first + block * moved, last + block * moved, 1)

        return _pattern(cells * blocks, field.shift * (blocks * moved // field.period), reach)

    return _both(fields[0], step)


def _cropping(
    layer: Cropping2D,
    fields: list[ReceptiveField],
    shapes: Sequence[Shape],
    inferred: Inferred,
    data_format: DataFormat,
) -> ReceptiveField | None:
    """Output cell ``o`` is input cell ``o + top`` (or ``o + left``)."""

    def step(axis: int, field: AxisField) -> AxisField | None:
        cut = layer.cropping[axis][0]
        return _pattern(field.period, field.shift, lambda o: field.reach(o + cut, o + cut, 1))

    return _both(fields[0], step)


def _merge(
    layer: LayerBase,
    fields: list[ReceptiveField],
    shapes: Sequence[Shape],
    inferred: Inferred,
    data_format: DataFormat,
) -> ReceptiveField | None:
    """Each output cell depends on the same cell of every branch: the union of their fields. A
    branch broadcast over the map (a 1×1 gate) reaches every cell: the field ends."""
    size = feature_map(layer, inferred.output_shape, data_format)[:2]
    for shape in shapes:
        if len(shape) != 3 or feature_map(layer, shape, data_format)[:2] != size:
            return None
    merged: ReceptiveField | None = fields[0]
    for field in fields[1:]:
        merged = merged.union(field, MAX_PERIOD) if merged is not None else None
    return merged


def _concatenate(
    layer: Concatenate,
    fields: list[ReceptiveField],
    shapes: Sequence[Shape],
    inferred: Inferred,
    data_format: DataFormat,
) -> ReceptiveField | None:
    """Along the channels, a merge; along the height or width, output cells come from different
    branches at different places: the field ends."""
    output = inferred.output_shape
    if layer.axis is not None and keras_axes(layer, (layer.axis,), output)[0] != channel_axis(
        output, data_format
    ):
        return None
    return _merge(layer, fields, shapes, inferred, data_format)


def _ends(
    layer: LayerBase,
    fields: list[ReceptiveField],
    shapes: Sequence[Shape],
    inferred: Inferred,
    data_format: DataFormat,
) -> ReceptiveField | None:
    """Global pooling (even with ``keepdims``), flatten and reshape: no map of the input's cells."""
    return None


_SPECIAL: dict[type[LayerBase], Callable[..., ReceptiveField | None]] = {
    Conv2DTranspose: _transposed,
    UpSampling2D: _upsampling,
    AdaptiveAvgPool2D: _adaptive,
    AdaptiveMaxPool2D: _adaptive,
    Cropping2D: _cropping,
    Concatenate: _concatenate,
    Flatten: _ends,
    Reshape: _ends,
    GlobalAvgPool2D: _ends,
    GlobalMaxPool2D: _ends,
}
"""The layers whose fields are not their windows' (or, without windows, their input's)."""


def field_formula(
    field: ReceptiveField | None,
    inputs: Sequence[ReceptiveField | None],
    windows: tuple[AxisWindow, AxisWindow] | None,
) -> str:
    """The receptive field's arithmetic with the numbers in: the recurrence where it holds
    (``RF: 3 + (3 − 1)·1 = 5, jump 1·1 = 1, start 0 − 1·1 = −1``), else the field itself."""
    if field is None:
        return ""
    source = inputs[0] if len(inputs) == 1 else None
    if windows is not None and source is not None and source.regular and field.regular:
        axes = [_recurrence(source, axis, window, field) for axis, window in enumerate(windows)]
        return "RF: " + axes[0] if axes[0] == axes[1] else f"RF H: {axes[0]}; W: {axes[1]}"
    return "RF: " + describe_field(field)


def _recurrence(source: ReceptiveField, axis: int, window: AxisWindow, field: ReceptiveField) -> str:
    size, jump, start = source.size[axis], int(source.jump[axis]), source.start[axis]
    return (
        f"{format_int(size)} + ({window.span} − 1)·{jump} = {format_int(field.size[axis])}, "
        f"jump {jump}·{window.strides} = {format_fraction(field.jump[axis])}, "
        f"start {format_int(start)} − {window.pad_before}·{jump} = {format_int(field.start[axis])}"
    )


def describe_field(field: ReceptiveField) -> str:
    """``212×212, jump 32, start −90``; sizes that differ between cells as ``3–4``."""

    def sizes(axis: int) -> str:
        low, high = field.min_size[axis], field.size[axis]
        return format_int(high) if low == high else f"{format_int(low)}–{format_int(high)}"

    def pair(values: Sequence[str]) -> str:
        return values[0] if values[0] == values[1] else f"{values[0]}×{values[1]}"

    text = f"{sizes(0)}×{sizes(1)}, jump {pair([format_fraction(j) for j in field.jump])}, "
    text += f"start {pair([format_int(s) for s in field.start])}"
    return text if field.uniform else text + " (cells differ)"


def format_fraction(value: Fraction) -> str:
    """``2``, or ``1/2`` for a jump upsampling made fractional."""
    return (
        format_int(value.numerator)
        if value.denominator == 1
        else f"{format_int(value.numerator)}/{value.denominator}"
    )

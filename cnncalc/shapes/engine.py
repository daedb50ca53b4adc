"""The analysis pass: walks the layers in dependency order and produces one record per layer.

Layers come in dependency order (the wiring checks it), so one loop over them is a walk of the
graph; a chain is the case where every layer reads the one before. An impossible layer becomes an
error diagnostic; the layers that depend on it keep ``None`` shapes, the others go on, so every
consumer still sees exactly one record per spec layer.
"""

from __future__ import annotations

from cnncalc.diagnostics import Diagnostic, Severity
from cnncalc.errors import digit_count
from cnncalc.shapes.inference import MAX_DIGITS, SIZE_OUT_OF_RANGE, Inferred, ShapeError
from cnncalc.shapes.layers import infer
from cnncalc.shapes.records import Analysis, AxisWindow, LayerRecord, ReceptiveField, Shape
from cnncalc.spec.loader import SourceMap
from cnncalc.spec.models import INPUT, Spec

_MAX_BITS = int(MAX_DIGITS / 0.30103)
"""The bit length of a number of :data:`MAX_DIGITS` digits."""


def analyze(spec: Spec, source: SourceMap | None = None) -> Analysis:
    """Analyse a validated spec: shapes, weights, windows and receptive fields, layer by layer."""
    shapes: dict[str, Shape | None] = {INPUT: spec.input}
    fields: dict[str, ReceptiveField | None] = {INPUT: _input_field(spec.input)}
    records: list[LayerRecord] = []
    diagnostics: list[Diagnostic] = []
    for index, (layer, origin) in enumerate(zip(spec.layers, spec.origins, strict=True)):
        name = layer.name or ""
        block = tuple(use.name for use in origin.uses)
        input_shapes = tuple(shapes[source] for source in layer.inputs)
        first = input_shapes[0]
        if any(shape is None for shape in input_shapes):
            records.append(
                LayerRecord(
                    index,
                    name,
                    layer,
                    first,
                    None,
                    None,
                    inputs=layer.inputs,
                    input_shapes=input_shapes,
                    block=block,
                )
            )
            shapes[name] = fields[name] = None
            continue
        known = tuple(shape for shape in input_shapes if shape is not None)
        try:
            inferred = _in_range(infer(layer, known, layer.inputs, spec.data_format), name)
        except ShapeError as exc:
            line, use_line = source.lines(origin) if source else (None, None)
            diagnostics.append(
                Diagnostic(exc.code, Severity.ERROR, exc.message, index, exc.hint, line, use_line)
            )
            records.append(
                LayerRecord(
                    index,
                    name,
                    layer,
                    first,
                    None,
                    None,
                    inputs=layer.inputs,
                    input_shapes=input_shapes,
                    block=block,
                )
            )
            shapes[name] = fields[name] = None
            continue
        field = _next_field([fields[source] for source in layer.inputs], inferred)
        records.append(
            LayerRecord(
                index,
                name,
                layer,
                first,
                inferred.output_shape,
                inferred.weights,
                inferred.windows,
                field,
                inferred.explanation,
                layer.inputs,
                input_shapes,
                block,
            )
        )
        shapes[name], fields[name] = inferred.output_shape, field
    return Analysis(spec, tuple(records), tuple(diagnostics), source.file if source else None)


def _in_range(inferred: Inferred, name: str) -> Inferred:
    """``inferred``, unless its output has a dimension of more than :data:`MAX_DIGITS` digits."""
    largest = max(inferred.output_shape, default=0)
    if largest.bit_length() > _MAX_BITS:
        raise ShapeError(
            SIZE_OUT_OF_RANGE,
            f"{name}'s output has a dimension of {digit_count(largest):,} digits; sizes of more than "
            f"{MAX_DIGITS:,} digits are not analysed",
            "no network is that large: look for a typo in a size, or a factor repeated too often",
        )
    return inferred


def _input_field(shape: Shape) -> ReceptiveField | None:
    """Each input pixel sees itself."""
    return ReceptiveField((1, 1), (1, 1)) if len(shape) == 3 else None


def _next_field(inputs: list[ReceptiveField | None], inferred: Inferred) -> ReceptiveField | None:
    """The standard recurrence ``r += (k − 1)·j; j *= s`` (``k`` the dilated kernel's span), from the
    widest of the inputs' fields; ``None`` once the output is no feature map of the input's cells, or
    the field has grown past :data:`MAX_DIGITS` digits (strides on a 1×1 map)."""
    if any(field is None for field in inputs) or len(inferred.output_shape) != 3 or inferred.regrids:
        return None
    field = inputs[0]
    assert field is not None
    for other in inputs[1:]:
        assert other is not None
        field = field.widest(other)
    if inferred.windows is None:
        return field
    axes = [_axis_field(field, axis, w) for axis, w in enumerate(inferred.windows)]
    if max(size.bit_length() for axis in axes for size in axis) > _MAX_BITS:
        return None  # strides on a 1×1 map grow it without end, and nothing reads it any more
    return ReceptiveField((axes[0][0], axes[1][0]), (axes[0][1], axes[1][1]))


def _axis_field(field: ReceptiveField, axis: int, window: AxisWindow) -> tuple[int, int]:
    size, jump = field.size[axis], field.jump[axis]
    return size + (window.span - 1) * jump, jump * window.strides

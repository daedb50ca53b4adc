"""The analysis pass: walks the layers in dependency order and produces one record per layer.

Layers come in dependency order (the wiring checks it), so one loop over them is a walk of the
graph; a chain is the case where every layer reads the one before. An impossible layer becomes an
error diagnostic; the layers that depend on it keep ``None`` shapes, the others go on, so every
consumer still sees exactly one record per spec layer.
"""

from __future__ import annotations

from cnncalc.cost.layers import layer_cost
from cnncalc.diagnostics import Diagnostic, Severity
from cnncalc.errors import digit_count
from cnncalc.shapes.inference import MAX_DIGITS, SIZE_OUT_OF_RANGE, Inferred, ShapeError
from cnncalc.shapes.layers import infer
from cnncalc.shapes.receptive import input_field, next_field
from cnncalc.shapes.records import Analysis, LayerRecord, ReceptiveField, Shape
from cnncalc.spec.loader import SourceMap
from cnncalc.spec.models import INPUT, Spec

_MAX_BITS = int(MAX_DIGITS / 0.30103)
"""The bit length of a number of :data:`MAX_DIGITS` digits."""


def analyze(spec: Spec, source: SourceMap | None = None) -> Analysis:
    """Analyse a validated spec: shapes, weights, windows and receptive fields, layer by layer."""
    shapes: dict[str, Shape | None] = {INPUT: spec.input}
    fields: dict[str, ReceptiveField | None] = {INPUT: input_field(spec.input)}
    records: list[LayerRecord] = []
    diagnostics: list[Diagnostic] = []
    for index, (layer, origin) in enumerate(zip(spec.layers, spec.origins, strict=True)):
        name = layer.name or ""
        block = tuple(use.name for use in origin.uses)
        input_shapes = tuple(shapes[source] for source in layer.inputs)
        first = input_shapes[0]
        known = tuple(shape for shape in input_shapes if shape is not None)
        inferred = None
        if len(known) == len(input_shapes):
            try:
                inferred = _in_range(infer(layer, known, layer.inputs, spec.data_format), name)
            except ShapeError as exc:
                line, use_line = source.lines(origin) if source else (None, None)
                diagnostics.append(
                    Diagnostic(exc.code, Severity.ERROR, exc.message, index, exc.hint, line, use_line)
                )
        if inferred is None:  # this layer failed, or one it depends on did
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
        field = _bounded(
            next_field(layer, [fields[source] for source in layer.inputs], known, inferred, spec.data_format)
        )
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
                layer_cost(layer, known, inferred, spec.data_format),
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


def _bounded(field: ReceptiveField | None) -> ReceptiveField | None:
    """``field``, unless it has grown past :data:`MAX_DIGITS` digits (strides on a 1×1 map grow it
    without end, and nothing reads it any more)."""
    if field is None:
        return None
    jumps = [part for jump in field.jump for part in (jump.numerator, jump.denominator)]
    numbers = [*field.size, *field.start, *jumps]
    return field if max(abs(number).bit_length() for number in numbers) <= _MAX_BITS else None

"""The analysis pass: walks the layers in order and produces one record per layer.

Impossible layers become error diagnostics; the shape chain stops there and later layers keep
``None`` shapes, so every consumer still sees exactly one record per spec layer.
"""

from __future__ import annotations

from cnncalc.diagnostics import Diagnostic, Severity
from cnncalc.shapes.layers import Inferred, ShapeError, infer
from cnncalc.shapes.records import Analysis, AxisWindow, LayerRecord, ReceptiveField, Shape
from cnncalc.spec.loader import SourceMap
from cnncalc.spec.models import Spec


def analyze(spec: Spec, source: SourceMap | None = None) -> Analysis:
    """Analyse a validated spec: shapes, weights, windows and receptive fields, layer by layer."""
    field = _input_field(spec.input)
    shape: Shape | None = spec.input
    records: list[LayerRecord] = []
    diagnostics: list[Diagnostic] = []
    for index, layer in enumerate(spec.layers):
        name = layer.name or ""
        if shape is None:
            records.append(LayerRecord(index, name, layer, None, None, None))
            continue
        try:
            inferred = infer(layer, shape, spec.data_format)
        except ShapeError as exc:
            line = source.locate(("layers", index)) if source else None
            diagnostics.append(
                Diagnostic(
                    exc.code,
                    Severity.ERROR,
                    exc.message,
                    index,
                    exc.hint,
                    line[0] if line else None,
                )
            )
            records.append(LayerRecord(index, name, layer, shape, None, None))
            shape = None
            continue
        field = _next_field(field, inferred)
        records.append(
            LayerRecord(
                index,
                name,
                layer,
                shape,
                inferred.output_shape,
                inferred.weights,
                inferred.windows,
                field,
                inferred.explanation,
            )
        )
        shape = inferred.output_shape
    return Analysis(spec, tuple(records), tuple(diagnostics), source.file if source else None)


def _input_field(shape: Shape) -> ReceptiveField | None:
    """Each input pixel sees itself."""
    return ReceptiveField((1, 1), (1, 1)) if len(shape) == 3 else None


def _next_field(field: ReceptiveField | None, inferred: Inferred) -> ReceptiveField | None:
    """The standard recurrence ``r += (k − 1)·j; j *= s`` (``k`` the dilated kernel's span)."""
    if field is None or len(inferred.output_shape) != 3:
        return None
    if inferred.windows is None:
        return field
    axes = [_axis_field(field, axis, w) for axis, w in enumerate(inferred.windows)]
    return ReceptiveField((axes[0][0], axes[1][0]), (axes[0][1], axes[1][1]))


def _axis_field(field: ReceptiveField, axis: int, window: AxisWindow) -> tuple[int, int]:
    size, jump = field.size[axis], field.jump[axis]
    return size + (window.span - 1) * jump, jump * window.strides

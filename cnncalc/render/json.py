"""The JSON report: a stable contract (docs/json.md). Keys are added over time, never removed."""

from __future__ import annotations

import json
from fractions import Fraction
from typing import Any

from cnncalc.cost.conventions import layer_flops, total_flops
from cnncalc.cost.measures import STANDARD, Measures
from cnncalc.cost.memory import Memory, activation_bytes, memory
from cnncalc.diagnostics import Diagnostic
from cnncalc.errors import Problem
from cnncalc.linter.docs import rule_url
from cnncalc.linter.rules.invalid_spec import InvalidSpec
from cnncalc.render import Failure, Report
from cnncalc.render.escape import json_document
from cnncalc.shapes.records import Analysis, LayerRecord, ReceptiveField


def render_json(
    reports: list[Report],
    *,
    as_list: bool = False,
    measures: Measures = STANDARD,
    batch_size: int | None = None,
) -> str:
    """One object for one file, a list of objects for several files (or whenever ``as_list``: a
    folder was checked)."""
    objects = [report_dict(report, measures=measures, batch_size=batch_size) for report in reports]
    single = len(objects) == 1 and not as_list
    text = json.dumps(objects[0] if single else objects, indent=2, ensure_ascii=False)
    return json_document(text) + "\n"  # valid UTF-8 whatever the file names, no terminal controls


def report_dict(
    report: Report, *, measures: Measures = STANDARD, batch_size: int | None = None
) -> dict[str, Any]:
    """The JSON object of one file."""
    if isinstance(report, Failure):
        return _failure_dict(report)
    return _analysis_dict(report, measures, batch_size)


def diagnostic_dicts(report: Report) -> list[dict[str, Any]]:
    """The report's findings as JSON objects (``diagnostics`` in docs/json.md)."""
    if isinstance(report, Failure):
        return [_problem_dict(problem, report.file) for problem in report.error.problems]
    return [_diagnostic_dict(d, report.file) for d in report.diagnostics]


def _analysis_dict(analysis: Analysis, measures: Measures, batch_size: int | None) -> dict[str, Any]:
    estimate = memory(analysis, measures.batch_size, measures.dtype, measures.optimizer)
    return {
        "name": analysis.name,
        "file": analysis.file,
        "input_shape": list(analysis.input_shape),
        "data_format": analysis.data_format,
        "batch_size": batch_size,
        "layers": [_layer_dict(record, measures) for record in analysis.layers],
        "outputs": list(analysis.outputs),
        "output_shape": _shape(analysis.output_shape),
        "total_params": analysis.total_params,
        "trainable_params": analysis.trainable_params,
        "non_trainable_params": analysis.non_trainable_params,
        "total_macs": analysis.total_macs,
        "flops_convention": None if measures.convention is None else measures.convention.value,
        "total_flops": total_flops(analysis, measures.convention),
        "total_elementwise": sum(r.cost.elementwise for r in analysis.layers if r.cost is not None),
        "dtype": measures.dtype.value,
        "total_activation_bytes": estimate.activation_bytes,
        "params_bytes": estimate.params_bytes,
        "memory": _memory_dict(estimate),
        "diagnostics": diagnostic_dicts(analysis),
    }


def _memory_dict(estimate: Memory) -> dict[str, Any]:
    torchinfo, training = estimate.torchinfo, estimate.training
    return {
        "batch_size": estimate.batch_size,
        "torchinfo": {
            "input_bytes": torchinfo.input_bytes,
            "forward_backward_bytes": torchinfo.forward_backward_bytes,
            "params_bytes": torchinfo.params_bytes,
            "total_bytes": torchinfo.total_bytes,
        },
        "training": {
            "optimizer": training.optimizer.value,
            "weights_bytes": training.weights_bytes,
            "gradients_bytes": training.gradients_bytes,
            "optimizer_bytes": training.optimizer_bytes,
            "activations_bytes": training.activations_bytes,
            "input_bytes": training.input_bytes,
            "total_bytes": training.total_bytes,
        },
    }


def _layer_dict(record: LayerRecord, measures: Measures) -> dict[str, Any]:
    windows = record.windows
    field = record.receptive_field
    cost = record.cost
    return {
        "index": record.index,
        "name": record.name,
        "type": record.type,
        "inputs": list(record.inputs),
        "block": list(record.block),
        "input_shape": _shape(record.input_shape),
        "output_shape": _shape(record.output_shape),
        "params": record.params,
        "trainable_params": record.trainable_params,
        "non_trainable_params": record.non_trainable_params,
        "padding": [[w.pad_before, w.pad_after] for w in windows] if windows else None,
        "receptive_field": _field_dict(field) if field is not None else None,
        "macs": None if cost is None else cost.macs,
        "flops": layer_flops(record, measures.convention),
        "elementwise": None if cost is None else cost.elementwise,
        "connections": None if cost is None else cost.connections,
        "activation_bytes": activation_bytes(record, measures.dtype),
        "explanation": list(record.explanation),
    }


def _field_dict(field: ReceptiveField) -> dict[str, Any]:
    return {
        "size": list(field.size),
        "jump": [_number(jump) for jump in field.jump],
        "start": list(field.start),
        "min_size": list(field.min_size),
    }


def _number(value: Fraction) -> int | float:
    """A whole number as an int, a fraction (a jump after upsampling) as a float."""
    return value.numerator if value.denominator == 1 else float(value)


def _diagnostic_dict(diagnostic: Diagnostic, file: str | None) -> dict[str, Any]:
    return {
        "code": diagnostic.code,
        "severity": diagnostic.severity.value,
        "message": diagnostic.message,
        "layer": diagnostic.layer,
        "hint": diagnostic.hint,
        "line": diagnostic.line,
        "use_line": diagnostic.use_line,
        "end_line": diagnostic.end_line,
        "file": file,
        "url": rule_url(diagnostic.code),
    }


def _failure_dict(failure: Failure) -> dict[str, Any]:
    return {
        "name": None,
        "file": failure.file,
        "input_shape": None,
        "data_format": None,
        "batch_size": None,
        "layers": [],
        "outputs": None,
        "output_shape": None,
        "total_params": None,
        "trainable_params": None,
        "non_trainable_params": None,
        "total_macs": None,
        "flops_convention": None,
        "total_flops": None,
        "total_elementwise": None,
        "dtype": None,
        "total_activation_bytes": None,
        "params_bytes": None,
        "memory": None,
        "diagnostics": diagnostic_dicts(failure),
    }


def _problem_dict(problem: Problem, file: str) -> dict[str, Any]:
    return {
        "code": InvalidSpec.code,
        "severity": "error",
        "message": problem.message,
        "layer": None,
        "hint": problem.hint,
        "line": problem.line,
        "use_line": None,
        "end_line": problem.line,
        "file": file,
        "url": rule_url(InvalidSpec.code),
        "column": problem.column,
        "field": problem.field,
    }


def _shape(shape: tuple[int, ...] | None) -> list[int] | None:
    return list(shape) if shape is not None else None

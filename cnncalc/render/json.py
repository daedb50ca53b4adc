"""The JSON report: a stable contract (docs/json.md). Keys are added over time, never removed."""

from __future__ import annotations

import json
from typing import Any

from cnncalc.diagnostics import Diagnostic
from cnncalc.errors import Problem
from cnncalc.render import Failure, Report
from cnncalc.render.escape import json_document
from cnncalc.shapes.records import Analysis, LayerRecord

SPEC_PROBLEM = "CNN001"
"""The code of every diagnostic about a file that cannot be read or validated."""


def render_json(reports: list[Report]) -> str:
    """One object for one file, a list of objects for several."""
    objects = [report_dict(report) for report in reports]
    text = json.dumps(objects[0] if len(objects) == 1 else objects, indent=2, ensure_ascii=False)
    return json_document(text)  # valid UTF-8 whatever the file names, no terminal controls


def report_dict(report: Report) -> dict[str, Any]:
    """The JSON object of one file."""
    if isinstance(report, Failure):
        return _failure_dict(report)
    return _analysis_dict(report)


def _analysis_dict(analysis: Analysis) -> dict[str, Any]:
    return {
        "name": analysis.name,
        "file": analysis.file,
        "input_shape": list(analysis.input_shape),
        "data_format": analysis.data_format,
        "layers": [_layer_dict(record) for record in analysis.layers],
        "outputs": list(analysis.outputs),
        "output_shape": _shape(analysis.output_shape),
        "total_params": analysis.total_params,
        "trainable_params": analysis.trainable_params,
        "non_trainable_params": analysis.non_trainable_params,
        "diagnostics": [_diagnostic_dict(d) for d in analysis.diagnostics],
    }


def _layer_dict(record: LayerRecord) -> dict[str, Any]:
    windows = record.windows
    field = record.receptive_field
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
        "receptive_field": (
            {"size": list(field.size), "jump": list(field.jump)} if field is not None else None
        ),
        "explanation": list(record.explanation),
    }


def _diagnostic_dict(diagnostic: Diagnostic) -> dict[str, Any]:
    return {
        "code": diagnostic.code,
        "severity": diagnostic.severity.value,
        "message": diagnostic.message,
        "layer": diagnostic.layer,
        "hint": diagnostic.hint,
        "line": diagnostic.line,
        "use_line": diagnostic.use_line,
    }


def _failure_dict(failure: Failure) -> dict[str, Any]:
    return {
        "name": None,
        "file": failure.file,
        "input_shape": None,
        "data_format": None,
        "layers": [],
        "outputs": None,
        "output_shape": None,
        "total_params": None,
        "trainable_params": None,
        "non_trainable_params": None,
        "diagnostics": [_problem_dict(problem) for problem in failure.error.problems],
    }


def _problem_dict(problem: Problem) -> dict[str, Any]:
    return {
        "code": SPEC_PROBLEM,
        "severity": "error",
        "message": problem.message,
        "layer": None,
        "hint": problem.hint,
        "line": problem.line,
        "column": problem.column,
        "field": problem.field,
    }


def _shape(shape: tuple[int, ...] | None) -> list[int] | None:
    return list(shape) if shape is not None else None

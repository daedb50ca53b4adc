"""Exporters: a spec → a file for another framework (code or a saved model), chosen by target name."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module

from cnncalc.api import SpecSource, analyze, require_no_errors
from cnncalc.memory import estimate_for_saving, require_memory


@dataclass(frozen=True)
class Target:
    """An export target: the function that writes it and the file suffix it belongs in."""

    exporter: str
    """``module:function``, imported only when the target is chosen; takes an ``Analysis``,
    returns the file's text (``str``) or bytes."""
    suffix: str
    saved_model: bool = False
    """Whether the target is a saved model: bytes (not text for stdout), from a model built in
    memory first (so it must fit)."""


TARGETS: dict[str, Target] = {
    "keras": Target("cnncalc.export.keras_code:keras_code", ".py"),
    "keras-model": Target("cnncalc.backends.keras.build:saved_model", ".keras", saved_model=True),
    "numpy": Target("cnncalc.export.numpy_code:numpy_script", ".py"),
    "onnx": Target("cnncalc.backends.onnx.export:onnx_bytes", ".onnx", saved_model=True),
}
"""Every export target by name (``cnncalc export --to NAME``)."""


def export(source: SpecSource, target: str) -> str | bytes:
    """The spec exported as ``target``; a spec with errors cannot be exported."""
    analysis = analyze(source)
    require_no_errors(analysis, f"cannot export {analysis.file or analysis.name}, it has errors")
    chosen = TARGETS[target]
    if chosen.saved_model:
        require_memory(estimate_for_saving(analysis), f"export {analysis.name} as {target}")
    module, function = chosen.exporter.split(":")
    result: str | bytes = getattr(import_module(module), function)(analysis)
    return result

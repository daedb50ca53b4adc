"""The library API: load and analyse specs, and assert on shapes in tests (no TensorFlow needed)."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from cnncalc.diagnostics import Diagnostic
from cnncalc.errors import CnncalcError, Problem, SpecError
from cnncalc.linter.config import LintConfig, selectors
from cnncalc.linter.runner import lint as lint_analysis
from cnncalc.shapes.engine import analyze as analyze_spec
from cnncalc.shapes.records import Analysis, LayerRecord
from cnncalc.shapes.text import format_shape
from cnncalc.spec.loader import LoadedSpec, SourceMap, load_file, parse_text, validate
from cnncalc.spec.models import Spec

if TYPE_CHECKING:  # the drawing code loads only when a picture is asked for
    from cnncalc.pictures import DiagramStyle, Direction, ThemeName

SpecSource: TypeAlias = Spec | Analysis | LoadedSpec | str | os.PathLike[str] | Mapping[str, Any]
"""Anything a spec can be given as: a spec, an analysis, a path (``Path`` or a string ending in
``.yaml``, ``.yml`` or ``.json``), YAML text, or a dict."""


def load(source: SpecSource) -> Spec:
    """Load a spec from a path, YAML text or a dict; raise :class:`SpecError` if it is invalid.

    >>> load("input: [28, 28, 1]\\nlayers: [{type: Conv2D, filters: 8, kernel: 3}]").layers[0].name
    'conv2d'
    """
    if isinstance(source, Spec):
        return source
    if isinstance(source, Analysis):
        return source.spec
    return _load(source).spec


def analyze(source: SpecSource) -> Analysis:
    """Analyse a spec: every layer's shapes and parameters, and the errors that stop the chain.

    >>> conv = {"type": "conv2d", "filters": 6, "kernel_size": 5}
    >>> analysis = analyze({"input": [28, 28, 1], "layers": [conv]})
    >>> analysis.layers[0].output_shape, analysis.total_params
    ((24, 24, 6), 156)
    """
    if isinstance(source, Analysis):
        return source
    with paused_collection():
        if isinstance(source, Spec):
            return analyze_spec(source)
        loaded = _load(source)
        return analyze_spec(loaded.spec, loaded.source)


@contextmanager
def paused_collection() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many small acyclic objects: on a
    10,000-layer spec its repeated full scans otherwise cost 40% of the time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def lint(
    source: SpecSource, *, select: Sequence[str] | None = None, ignore: Sequence[str] = ()
) -> tuple[Diagnostic, ...]:
    """Every finding about a spec, in layer order: the errors analysis stops at and the lint rules'.

    ``select`` and ``ignore`` take rule codes (``CNN110``), code prefixes (``CNN2``) or names
    (``parameter-explosion``); the spec's own ``lint: ignore`` applies too. Findings carry their
    line when the spec comes from a file or from text. No ``pyproject.toml`` is read.

    >>> spec = '''
    ... input: [28, 28, 1]
    ... layers:
    ...   - {type: conv2d, filters: 8, kernel_size: 3, strides: 2, activation: relu}
    ...   - {type: flatten}
    ...   - {type: dense, units: 10, activation: softmax}
    ... '''
    >>> [(d.code, d.severity.value, d.layer, d.line) for d in lint(spec)]
    [('CNN110', 'warning', 0, 4)]
    >>> lint(spec, ignore=["unseen-input-pixels"])
    ()
    """
    config = LintConfig(
        None if select is None else selectors(select, "select", ignoring=False),
        selectors(ignore, "ignore", ignoring=True),
    )
    if isinstance(source, Spec | Analysis):
        return lint_analysis(analyze(source), config).diagnostics
    loaded = _load(source)
    return lint_analysis(analyze_spec(loaded.spec, loaded.source), config, loaded.source).diagnostics


def diagram(
    source: SpecSource,
    *,
    style: DiagramStyle = "blocks",
    direction: Direction | None = None,
    theme: ThemeName = "light",
) -> str:
    """The network drawn as an SVG document: ``blocks`` draws each feature map as a block sized by its
    shape (left to right by default), ``graph`` a box per layer with its shapes (top to bottom).

    >>> svg = diagram("input: [28, 28, 1]\\nlayers: [{type: conv2d, filters: 6, kernel_size: 5}]")
    >>> svg.startswith("<svg"), "24 × 24 × 6" in svg
    (True, True)
    """
    from cnncalc.pictures import draw

    return draw(analyze(source), style=style, direction=direction, theme=theme)


def report(source: SpecSource, *, theme: ThemeName = "light") -> str:
    """One self-contained HTML page about the network: its diagram, the sortable layer table, totals,
    every lint finding with its hint and rule, and each layer's formulas with the numbers in.

    >>> html = report("input: [28, 28, 1]\\nlayers: [{type: conv2d, filters: 6, kernel_size: 5}]")
    >>> html.startswith("<!DOCTYPE html>"), "conv2d" in html
    (True, True)
    """
    from cnncalc.pictures.report import render_report

    if isinstance(source, Spec | Analysis):
        linted = lint_analysis(analyze(source))
    else:
        loaded = _load(source)
        linted = lint_analysis(analyze_spec(loaded.spec, loaded.source), None, loaded.source)
    return render_report(linted, theme=theme)


def _load(source: LoadedSpec | str | os.PathLike[str] | Mapping[str, Any]) -> LoadedSpec:
    if isinstance(source, LoadedSpec):
        return source
    if isinstance(source, os.PathLike) or (
        isinstance(source, str) and "\n" not in source and source.endswith((".yaml", ".yml", ".json"))
    ):
        return load_file(os.fspath(source))
    if isinstance(source, str) and _names_a_file(source):
        return load_file(_spec_path(source))
    if isinstance(source, str):
        return parse_text(source)
    return LoadedSpec(validate(source), SourceMap(None))


def _names_a_file(text: str) -> bool:
    """Whether one line of text can only be a path: YAML for a spec has a ``:``, a path has none (or
    names a file that exists)."""
    return "\n" not in text and (":" not in text or Path(text).is_file())


def _spec_path(text: str) -> str:
    """``text`` as a path to load; a missing path gets a located "did you mean" instead of being read
    as YAML (``examples/lenet5`` for ``examples/lenet5.yaml``)."""
    path = Path(text)
    if path.is_file():
        return text
    nearby = [str(path.with_name(path.name + suffix)) for suffix in (".yaml", ".yml", ".json")]
    found = [candidate for candidate in nearby if Path(candidate).is_file()]
    hint = f"did you mean {found[0]}?" if found else "give a path to a .yaml or .json spec, or YAML text"
    raise SpecError([Problem("no such file, and not a YAML spec either", file=text, hint=hint)])


def assert_output_shape(source: SpecSource, layer: str, expected: Sequence[int]) -> None:
    """Assert the output shape (batch axis excluded) of the layer called ``layer``.

    The failure message shows expected and actual, and the chain of shapes that led there.

    >>> assert_output_shape("input: [32, 32, 1]\\nlayers: [{type: conv2d, filters: 6, kernel_size: 5}]",
    ...                     "conv2d", (28, 28, 6))
    """
    analysis, record = _record(source, layer)
    actual = record.output_shape
    if actual != tuple(expected):
        got = format_shape(actual) if actual is not None else "no shape"
        raise AssertionError(
            f"output shape of layer {layer!r}: expected {format_shape(tuple(expected))}, got {got}\n"
            + _chain(analysis, record)
        )


def assert_params(source: SpecSource, layer: str, expected: int, *, trainable: int | None = None) -> None:
    """Assert the parameter count of one layer (and, if given, its trainable part).

    >>> assert_params({"input": [6, 6, 3], "layers": [{"type": "conv2d", "filters": 2, "kernel": 3}]},
    ...               "conv2d", 56)
    """
    analysis, record = _record(source, layer)
    mismatch = _params_mismatch((record.params, record.trainable_params), expected, trainable)
    if mismatch:
        raise AssertionError(f"parameters of layer {layer!r}: {mismatch}\n" + _chain(analysis, record))


def assert_total_params(source: SpecSource, expected: int, *, trainable: int | None = None) -> None:
    """Assert the network's total parameter count (and, if given, its trainable part)."""
    analysis = _valid(source)
    mismatch = _params_mismatch((analysis.total_params, analysis.trainable_params), expected, trainable)
    if mismatch:
        per_layer = "\n".join(f"  {r.name:<24} {r.params:>12,}" for r in analysis.layers)
        raise AssertionError(f"total parameters: {mismatch}\n{per_layer}")


def _params_mismatch(actual: tuple[int | None, int | None], expected: int, trainable: int | None) -> str:
    """``expected 60,000, got 61,706`` (with the trainable part only when it was asked about); empty
    when the counts match.

    >>> _params_mismatch((61_706, 61_706), 60_000, None)
    'expected 60,000, got 61,706'
    >>> _params_mismatch((100, 80), 100, 90)
    'expected 100 (90 trainable), got 100 (80 trainable)'
    >>> _params_mismatch((100, 80), 100, None)
    ''
    """
    total, trainable_actual = actual
    if total == expected and (trainable is None or trainable_actual == trainable):
        return ""
    if trainable is None:
        return f"expected {expected:,}, got {_count(total)}"
    return (
        f"expected {expected:,} ({trainable:,} trainable), "
        f"got {_count(total)} ({_count(trainable_actual)} trainable)"
    )


def _count(value: int | None) -> str:
    return "unknown" if value is None else f"{value:,}"


def assert_valid(source: SpecSource) -> None:
    """Assert that analysis finds no error, listing the errors if it does."""
    _valid(source)


def require_no_errors(analysis: Analysis, refusal: str) -> None:
    """Raise :class:`CnncalcError` ``"<refusal>: CNN101 <message>; ..."`` if analysis found errors:
    what every command that builds or runs a model says before refusing a broken spec."""
    if not analysis.ok:
        problems = "; ".join(f"{d.code} {d.message}" for d in analysis.errors)
        raise CnncalcError(f"{refusal}: {problems}")


def _valid(source: SpecSource) -> Analysis:
    analysis = analyze(source)
    if not analysis.ok:
        raise AssertionError("\n".join(f"{d.code}: {d.message}" for d in analysis.errors))
    return analysis


def _record(source: SpecSource, layer: str) -> tuple[Analysis, LayerRecord]:
    analysis = analyze(source)
    try:
        return analysis, analysis.layer(layer)
    except KeyError as exc:
        raise AssertionError(exc.args[0]) from None


def _chain(analysis: Analysis, last: LayerRecord) -> str:
    """The shapes from the input to ``last``, with the formula behind the last one."""
    rows = [("", "input", format_shape(analysis.input_shape), "")]
    for record in analysis.layers[: last.index + 1]:
        shape = format_shape(record.output_shape) if record.output_shape else "—"
        note = "; ".join(record.explanation[:1])
        rows.append(("> " if record is last else "", f"{record.name} ({record.type})", shape, note))
    error = next((d for d in analysis.errors if d.layer is not None and d.layer <= last.index), None)
    width = max(len(row[1]) for row in rows)
    lines = [f"  {mark:2}{name:<{width}}  {shape:<16} {note}".rstrip() for mark, name, shape, note in rows]
    if error is not None:
        lines.append(f"  analysis stopped: {error.message}")
    return "shape chain:\n" + "\n".join(lines)

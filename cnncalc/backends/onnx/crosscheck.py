"""The engine against ONNX Runtime: export the spec, run it on a random input with every layer's
output exposed, and compare each layer's shape, and its parameters with the initialisers written."""

from __future__ import annotations

import re
from math import prod
from typing import Any

import numpy as np

from cnncalc.api import SpecSource, analyze
from cnncalc.backends.comparison import Comparison, LayerComparison, Params, Refusal
from cnncalc.backends.onnx import onnxruntime_required
from cnncalc.backends.onnx.export import GraphWriter, model_proto, spec_layout, write_graph
from cnncalc.shapes.records import Analysis, LayerRecord, Shape
from cnncalc.spec.models import INPUT

PARAMS_CAPTION = "params: all weights (ONNX initialisers; ONNX has no trainable flag)"


def crosscheck(source: SpecSource, *, seed: int = 0) -> Comparison:
    """Analyse the spec, export what ONNX can express, and run it in ONNX Runtime on one random input."""
    ort = onnxruntime_required()
    analysis = analyze(source)
    written = write_graph(analysis, seed=seed)
    graph = written.graph
    exposed = {
        record.name: _final(graph, record.name) for record in analysis.layers if record.name in graph.values
    }
    model = model_proto(analysis, graph, [(tensor, None) for tensor, _ in exposed.values()])
    refusals = [Refusal(analysis.layer(name).index, name, reason) for name, reason in written.refused.items()]
    shapes: dict[str, Shape] = {}
    try:
        if exposed:
            shapes = _run(ort, model, analysis, [tensor for tensor, _ in exposed.values()], seed)
    except Exception as exc:  # ONNX Runtime raises its own types for a model it will not run
        refusals.append(_model_refusal(analysis, exc))
    sizes = _initialiser_sizes(graph)
    layers = []
    for record in analysis.layers:
        if record.name not in exposed or not shapes:
            layers.append(LayerComparison(record, None, None, _engine_params(record)))
            continue
        tensor, layout = exposed[record.name]
        shape = _spec_shape(
            shapes[tensor], layout, spec_layout(record.output_shape or (), analysis.data_format)
        )
        layers.append(LayerComparison(record, shape, (sizes.get(record.name, 0), 0), _engine_params(record)))
    return Comparison(
        analysis, tuple(layers), "ONNX Runtime", ort.__version__, tuple(refusals), None, PARAMS_CAPTION
    )


def _final(graph: GraphWriter, layer: str) -> tuple[str, str]:
    """The tensor that holds the layer's result as it was computed, and its layout."""
    layout, tensor = next(iter(graph.values[layer].items()))
    return tensor, layout


def _run(ort: Any, model: Any, analysis: Analysis, outputs: list[str], seed: int) -> dict[str, Shape]:
    options = ort.SessionOptions()
    options.log_severity_level = 3  # not the notice that Keras' unused Normalization count is dropped
    session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    sample = np.random.default_rng(seed).random((1, *analysis.spec.input), dtype=np.float32)
    results = session.run(outputs, {INPUT: sample})
    return {name: tuple(result.shape) for name, result in zip(outputs, results, strict=True)}


def _spec_shape(shape: Shape, layout: str, natural: str) -> Shape:
    """An ONNX Runtime result's shape, batch axis dropped, in the spec's layout."""
    batchless = shape[1:]
    if layout == natural or len(batchless) != 3:
        return batchless
    if layout == "NCHW":  # the spec holds it (H, W, C)
        return batchless[1], batchless[2], batchless[0]
    return batchless[2], batchless[0], batchless[1]


def _engine_params(record: LayerRecord) -> Params | None:
    return None if record.params is None else (record.params, 0)


def _initialiser_sizes(graph: GraphWriter) -> dict[str, int]:
    """Values per layer among the initialisers written (named ``<layer>/<weight>``)."""
    sizes: dict[str, int] = {}
    for tensor in graph.initializers:
        layer = tensor.name.rsplit("/", 1)[0]
        sizes[layer] = sizes.get(layer, 0) + prod(tensor.dims)
    return sizes


def _model_refusal(analysis: Analysis, error: Exception) -> Refusal:
    """ONNX Runtime's reason in one line, on the layer whose node it names if it names one."""
    reason = " ".join(str(error).split())
    for record in analysis.layers:  # ONNX Runtime quotes node names: (conv2d), 'conv2d/pad'
        if re.search(rf"[(\'\"]{re.escape(record.name)}[/)\'\"]", reason):
            return Refusal(record.index, record.name, reason)
    return Refusal(None, analysis.name, reason)

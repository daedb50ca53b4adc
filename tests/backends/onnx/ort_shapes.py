"""ONNX Runtime as the oracle of an imported model: run the model itself with every tensor that holds a
layer's output exposed, and give each layer's shape in the spec's layout."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

from cnncalc.backends.onnx.convert import Imported

Shape = tuple[int, ...]


def runtime_shapes(onnx: ModuleType, model: Any, imported: Imported) -> dict[str, Shape]:
    """Each layer's output shape as ONNX Runtime computes it on a random input (batch axis dropped,
    transposed views put back in the spec's order)."""
    import onnxruntime

    exposed = onnx.ModelProto()
    exposed.CopyFrom(model)
    known = {output.name for output in exposed.graph.output}
    for tensor in imported.tensors:
        if tensor not in known:
            exposed.graph.output.append(
                onnx.helper.make_tensor_value_info(tensor, onnx.TensorProto.FLOAT, None)
            )
    session = onnxruntime.InferenceSession(exposed.SerializeToString(), providers=["CPUExecutionProvider"])
    source = exposed.graph.input[0]
    dims = [d.dim_value or 1 for d in source.type.tensor_type.shape.dim]
    names = list(imported.tensors)
    results = session.run(names, {source.name: np.random.default_rng(0).random(dims, dtype=np.float32)})
    spec = imported.spec
    natural = "NCHW" if spec.data_format == "channels_first" else "NHWC"
    shapes: dict[str, Shape] = {}
    for name, result in zip(names, results, strict=True):
        layer, layout = imported.tensors[name]
        shape = tuple(result.shape[1:])
        if len(shape) == 3 and layout != natural:
            shape = (shape[1], shape[2], shape[0]) if layout == "NCHW" else (shape[2], shape[0], shape[1])
        shapes.setdefault(layer, shape)
    return shapes

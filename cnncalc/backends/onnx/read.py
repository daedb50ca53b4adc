"""Reading an ONNX file: the graph and its initialisers' shapes, never their values (bounded memory
whatever the model's size), with one clear error for a file that is not a usable ONNX model.

Weights kept in a separate file (PyTorch's dynamo exporter writes ``model.onnx.data``) must be next to
the model and hold what the model says; only the few small tensors the importer reads as numbers
(pads, shapes, scales) are loaded from it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from cnncalc.backends.onnx import onnx_required
from cnncalc.errors import Problem, SpecError

MIN_OPSET = 13
"""The oldest opset read: ``Softmax``'s axis, ``Clip``'s bounds and ``Pad``'s amounts as inputs, as
PyTorch has exported them since 1.8."""

EXPORT_HINT = "export it again with opset_version=17 or later (torch.onnx.export's default is 18)"


def problem(path: str | os.PathLike[str], message: str, hint: str | None = None) -> SpecError:
    """One problem with the file as a :class:`SpecError` (``check`` reports it as an unreadable file)."""
    return SpecError([Problem(message, file=os.fspath(path), hint=hint)])


def read_model(path: str | os.PathLike[str]) -> Any:
    """The ``onnx.ModelProto`` in ``path``, external weights located but not loaded.

    Raises :class:`SpecError` for a missing, truncated or foreign file, an opset cnncalc does not read,
    or weights missing from their data file.
    """
    onnx = onnx_required()
    file = Path(path)
    if not file.is_file():
        raise problem(path, "no such file")
    try:
        model = onnx.load(os.fspath(file), load_external_data=False)
    except Exception:  # protobuf raises DecodeError and others for bytes that are not a model
        raise problem(
            path, "not an ONNX model: it does not parse as one (a truncated file, or another format)"
        ) from None
    if not model.HasField("graph") or not model.graph.node:
        raise problem(path, "not an ONNX model: it has no graph (is the file empty, or truncated?)")
    _check_opset(path, model, onnx)
    external = _check_external_data(path, model, onnx)
    try:  # given the path, the checker finds external weights next to the model
        onnx.checker.check_model(os.fspath(file) if external else model)
    except Exception as exc:  # onnx.checker.ValidationError and C++ errors
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise problem(path, f"not a valid ONNX model: {first}") from None
    return model


def _check_opset(path: str | os.PathLike[str], model: Any, onnx: Any) -> None:
    versions = {entry.domain or "ai.onnx": entry.version for entry in model.opset_import}
    version = versions.get("ai.onnx")
    newest = onnx.defs.onnx_opset_version()
    if version is None:
        raise problem(path, "the model imports no standard ONNX opset (ai.onnx)")
    if version < MIN_OPSET:
        raise problem(
            path,
            f"the model uses ONNX opset {version}; cnncalc reads opsets {MIN_OPSET} to {newest}",
            EXPORT_HINT,
        )
    if version > newest:
        raise problem(
            path,
            f"the model uses ONNX opset {version}, newer than this onnx package knows ({newest})",
            "upgrade onnx: pip install --upgrade onnx",
        )


def _check_external_data(path: str | os.PathLike[str], model: Any, onnx: Any) -> bool:
    """Every weight kept outside the model must be in a file next to it, long enough to hold it.
    Whether the model keeps any there."""
    folder = Path(path).parent
    external = False
    for tensor in model.graph.initializer:
        if tensor.data_location != onnx.TensorProto.EXTERNAL:
            continue
        external = True
        info = {entry.key: entry.value for entry in tensor.external_data}
        data = folder / info.get("location", "")
        if not info.get("location") or not data.is_file():
            raise problem(
                path,
                f"the model keeps its weights in {info.get('location', '?')}, which is not next to it "
                f"({data})",
                "keep the .onnx file and its .data file in the same folder",
            )
        end = int(info.get("offset", 0)) + int(info.get("length", 0))
        if data.stat().st_size < end:
            raise problem(path, f"{data.name} is shorter than the weights it should hold (truncated?)")
    return external


def tensor_values(tensor: Any, folder: Path) -> np.ndarray:
    """A (small) initialiser's values, read from the model or its data file."""
    onnx = onnx_required()
    if tensor.data_location == onnx.TensorProto.EXTERNAL:
        copy = onnx.TensorProto()
        copy.CopyFrom(tensor)
        onnx.external_data_helper.load_external_data_for_tensor(copy, os.fspath(folder))
        tensor = copy
    values: np.ndarray = onnx.numpy_helper.to_array(tensor)
    return values

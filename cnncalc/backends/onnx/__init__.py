"""The ONNX bridge: export a spec as an ONNX model, import any framework's ONNX model as a spec, and
cross-check the engine's shapes with ONNX Runtime running the exported model.

Nothing here imports ONNX until a command needs it: :func:`onnx_required` and
:func:`onnxruntime_required` are the places that do, so a missing install is one clear error,
never a traceback. ``cnncalc check`` imports this package only for a ``.onnx`` file.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from cnncalc.errors import CnncalcError

ONNX_EXTRA_HINT = "pip install 'cnncalc[onnx]'"

OPSET = 20
"""The opset cnncalc writes (``Gelu`` needs 20); PyTorch 2.13's exporters write it too."""

IR_VERSION = 10
"""The IR version cnncalc writes: the one PyTorch's dynamo exporter writes, which ONNX Runtime reads."""

HINT = "cnncalc.layer"
"""The metadata key on the node that carries a spec layer's main operation: the layer's fields as
JSON. The importer takes them only when exporting them gives back exactly the nodes it finds: they
choose among spec forms that compute the same (``relu`` or ``activation: relu``), never change what
the graph computes."""


def onnx_required() -> ModuleType:
    """The ``onnx`` package; :class:`CnncalcError` with the install command when it is missing."""
    return _required("onnx")


def onnxruntime_required() -> ModuleType:
    """ONNX Runtime; :class:`CnncalcError` with the install command when it is missing."""
    return _required("onnxruntime")


def _required(name: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        missing = exc.name or name
        raise CnncalcError(
            f"this needs ONNX and ONNX Runtime, but {missing} is not installed: {ONNX_EXTRA_HINT}"
        ) from None

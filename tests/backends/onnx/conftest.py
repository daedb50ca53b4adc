"""ONNX and ONNX Runtime, imported once per session (only ``onnx``-marked tests use them)."""

from __future__ import annotations

from types import ModuleType

import pytest


@pytest.fixture(scope="session")
def onnx() -> ModuleType:
    """The ``onnx`` package (skips without the ``cnncalc[onnx]`` extra)."""
    pytest.importorskip("onnxruntime")
    module: ModuleType = pytest.importorskip("onnx")
    return module

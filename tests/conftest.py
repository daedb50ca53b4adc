"""Shared test helpers."""

from __future__ import annotations

import os
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


@pytest.fixture
def examples() -> Path:
    """The examples/ folder."""
    return EXAMPLES


@pytest.fixture(scope="session")
def keras() -> ModuleType:
    """Keras 3 on TensorFlow, imported once per test session (only ``keras``-marked tests use it)."""
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    keras: ModuleType = pytest.importorskip("keras")
    if keras.backend.backend() != "tensorflow":
        pytest.skip("these comparisons need the TensorFlow backend")
    return keras


@pytest.fixture(scope="session")
def torch() -> ModuleType:
    """PyTorch, imported once per test session (only ``torch``-marked tests use it)."""
    torch: ModuleType = pytest.importorskip("torch")
    return torch

"""Fixtures for the NumPy backend tests."""

from __future__ import annotations

import os
from types import ModuleType

import numpy as np
import pytest


@pytest.fixture(scope="session")
def keras() -> ModuleType:
    """Keras 3 on TensorFlow, imported once per session (only by ``keras``-marked tests)."""
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    keras: ModuleType = pytest.importorskip("keras")
    if keras.backend.backend() != "tensorflow":
        pytest.skip("these comparisons need the TensorFlow backend")
    return keras


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20240611)

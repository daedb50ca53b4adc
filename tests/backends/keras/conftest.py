"""The Keras bridge's modules, imported once per session after the shared ``keras`` fixture."""

from __future__ import annotations

from types import ModuleType, SimpleNamespace

import pytest


@pytest.fixture(scope="session")
def bridge(keras: ModuleType) -> SimpleNamespace:
    """``build``, ``convert``, ``crosscheck`` and ``trainer`` (they import Keras when imported)."""
    from cnncalc.backends.keras import build, convert, crosscheck, trainer

    return SimpleNamespace(build=build, convert=convert, crosscheck=crosscheck, trainer=trainer)

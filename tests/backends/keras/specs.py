"""Spec helpers for the Keras bridge tests."""

from __future__ import annotations

from pathlib import Path

import cnncalc
from cnncalc.spec.models import Spec

ROOT = Path(__file__).resolve().parents[3]
GRAPHS = ROOT / "tests" / "fixtures" / "graphs"
"""Graphs written for the bridge's tests: blocks, merges, and the layer types of modern CNNs."""


def spec_files() -> list[Path]:
    """Every example, zoo and test graph that analyses without errors."""
    paths = [
        *sorted((ROOT / "examples").glob("*.yaml")),
        *sorted((ROOT / "examples" / "zoo").glob("*.yaml")),
        *sorted(GRAPHS.glob("*.yaml")),
    ]
    return [path for path in paths if cnncalc.analyze(path).ok]


def network_only(spec: Spec) -> Spec:
    """What a Keras model holds of a spec: its network, without the linter's settings (``num_classes``,
    ``lint:``) and with its blocks expanded (no ``blocks:``, no block origins)."""
    return Spec(
        name=spec.name,
        input=spec.input,
        data_format=spec.data_format,
        layers=spec.layers,
        outputs=spec.outputs,
    )

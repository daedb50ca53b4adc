"""Spec helpers for the Keras bridge tests."""

from __future__ import annotations

from pathlib import Path

import cnncalc
from cnncalc.backends.keras.plan import refusal
from cnncalc.spec.models import Spec

ROOT = Path(__file__).resolve().parents[3]
GRAPHS = ROOT / "tests" / "fixtures" / "graphs"
"""Graphs written for the bridge's tests: blocks, merges, and the layer types of modern CNNs."""


def spec_files() -> list[Path]:
    """Every example, zoo and test graph that analyses without errors and that Keras can build (not the
    1998 LeNet-5's layers, which Keras has not)."""
    paths = [
        *sorted((ROOT / "examples").glob("*.yaml")),
        *sorted((ROOT / "examples" / "zoo").glob("*.yaml")),
        *sorted(GRAPHS.glob("*.yaml")),
    ]
    return [
        path
        for path in paths
        if cnncalc.analyze(path).ok and not any(refusal(layer) for layer in cnncalc.load(path).layers)
    ]


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

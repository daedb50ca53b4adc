"""The spec writer the importers use: YAML that loads back to the same spec, graphs included."""

from __future__ import annotations

from pathlib import Path

import pytest

import cnncalc
from cnncalc.spec.writer import spec_yaml
from tests.conftest import EXAMPLES


@pytest.mark.parametrize("path", sorted(EXAMPLES.rglob("*.yaml")), ids=lambda p: p.name)
def test_every_example_written_back_loads_to_the_same_spec(path: Path) -> None:
    spec = cnncalc.load(path)
    back = cnncalc.load(spec_yaml(spec))
    for field in ("name", "input", "data_format", "layers", "outputs", "num_classes", "lint"):
        assert getattr(back, field) == getattr(spec, field), field


def test_a_graph_is_written_with_inputs_only_where_they_are_not_the_layer_before() -> None:
    spec = cnncalc.load(
        {
            "name": "residual",
            "input": [8, 8, 4],
            "layers": [
                {"type": "conv2d", "filters": 4, "kernel_size": 3, "padding": "same"},
                {"type": "reshape", "target_shape": [1, 1, 256], "name": "flat map"},
                {"type": "add", "inputs": ["input", "conv2d"]},
            ],
            "outputs": ["add", "flat map"],
        }
    )
    assert spec_yaml(spec, comment="made by hand") == (
        "# made by hand\n"
        "name: residual\n"
        "input: [8, 8, 4]\n"
        "layers:\n"
        "  - {type: conv2d, filters: 4, kernel_size: 3, padding: same}\n"
        "  - {type: reshape, target_shape: [1, 1, 256], name: flat map}\n"
        "  - {type: add, inputs: [input, conv2d]}\n"
        "outputs: [add, flat map]\n"
    )

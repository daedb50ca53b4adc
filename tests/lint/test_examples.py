"""Every example in examples/ has exactly the findings it is meant to have, listed here by hand."""

from __future__ import annotations

from pathlib import Path

import pytest

import cnncalc

EXAMPLES = Path(__file__).resolve().parent.parent.parent / "examples"

EXPECTED: dict[str, list[tuple[str, str]]] = {
    # (code, layer) in report order. Classic networks are clean of warnings:
    "lenet5.yaml": [],
    "lenet5_1998.yaml": [],
    # 7×7 max-pooled 2×2: (7 − 2)/2 + 1 = 3.5 → 3 windows cover 6 of 7; the input pixels under the dropped
    # row and column are still seen by their neighbours, so this is information only.
    "article_cnn.yaml": [("CNN111", "max_pooling2d_2")],
    # 28 → 26 → 13 → 11 → pool: 5 windows cover 10 of 11, and input rows and columns 26–27 are lost.
    "channels_first.yaml": [],
    "dilation.yaml": [],
    "error_kernel_too_large.yaml": [("CNN101", "conv3")],
    "replicate_padding.yaml": [],
    "same_vs_valid.yaml": [],
    # receptive fields 3, 7, 15, 31 ≥ 28 before the global average pooling
    "strides.yaml": [],
    "lint_keras_mnist_cnn.yaml": [("CNN201", "dense")],
    "lint_shape_mistakes.yaml": [
        ("CNN110", "conv2d"),
        ("CNN112", "conv2d_1"),
        ("CNN114", "max_pooling2d_1"),
        ("CNN202", "conv2d_2"),
        ("CNN113", "dense"),
    ],
    "lint_head_mistakes.yaml": [
        ("CNN401", "global_average_pooling2d"),
        ("CNN301", "dense_1"),
        ("CNN302", "dense_1"),
        ("CNN304", "dropout"),
    ],
}


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda path: path.name)
def test_example_has_exactly_its_findings(path: Path) -> None:
    if path.name not in EXPECTED:
        pytest.fail(
            f"examples/{path.name} is new: add it to EXPECTED in {Path(__file__).name} with the findings "
            "(code, layer) it is meant to have — `cnncalc check` lists them; check each one by hand"
        )
    analysis = cnncalc.analyze(path)
    found = [
        (d.code, analysis.layers[d.layer].name if d.layer is not None else "") for d in cnncalc.lint(path)
    ]
    assert found == EXPECTED[path.name]


def test_every_expected_example_exists() -> None:
    assert {path.name for path in EXAMPLES.glob("*.yaml")} >= set(EXPECTED)


@pytest.mark.parametrize("name", ["lenet5.yaml", "article_cnn.yaml"])
def test_classic_networks_have_no_warning(name: str) -> None:
    severities = {d.severity.value for d in cnncalc.lint(EXAMPLES / name)}
    assert severities <= {"info"}

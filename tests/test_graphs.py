"""Graphs: wiring by name, merges, errors that stop only what depends on them, and how graphs are shown.

Expected shapes and counts are worked out by hand in each test.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import cnncalc
from cnncalc.cli import app
from cnncalc.errors import SpecError
from cnncalc.spec.loader import parse_text

runner = CliRunner()

RESIDUAL = """\
name: residual
input: [8, 8, 4]
layers:
  - {type: conv2d, name: conv1, filters: 4, kernel_size: 3, padding: same}
  - {type: conv2d, name: conv2, filters: 4, kernel_size: 3, padding: same}
  - {type: add, name: add, inputs: [input, conv2]}
  - {type: activation, activation: relu}
"""


def problems(text: str) -> list[str]:
    with pytest.raises(SpecError) as info:
        parse_text(text, file="net.yaml")
    return [f"{p}" + (f" | hint: {p.hint}" if p.hint else "") for p in info.value.problems]


def test_a_layer_without_inputs_reads_the_one_before_and_merges_name_theirs() -> None:
    analysis = cnncalc.analyze(RESIDUAL)
    assert [r.inputs for r in analysis.layers] == [("input",), ("conv1",), ("input", "conv2"), ("add",)]
    # 3·3·4·4 + 4 = 148 per convolution
    assert [r.params for r in analysis.layers] == [148, 148, 0, 0]
    assert analysis.layer("add").input_shapes == ((8, 8, 4), (8, 8, 4))
    assert analysis.outputs == ("activation",)
    assert analysis.consumers("input") == ("conv1", "add")
    assert analysis.branches
    assert not cnncalc.analyze(
        "input: [8, 8, 1]\nlayers: [{type: flatten}, {type: dense, units: 2}]"
    ).branches


def test_outputs_and_an_unused_layer() -> None:
    text = RESIDUAL + "outputs: [conv1, activation]\n"
    analysis = cnncalc.analyze(text)
    assert analysis.outputs == ("conv1", "activation")
    assert analysis.output_shape == (8, 8, 4)
    dangling = RESIDUAL + "  - {type: conv2d, filters: 4, kernel_size: 1, name: side, inputs: conv1}\n"
    analysis = cnncalc.analyze(dangling)
    assert analysis.outputs == ("side",)
    unused = [d for d in cnncalc.lint(dangling) if d.code == "CNN115"]
    assert [analysis.layers[d.layer].name for d in unused if d.layer is not None] == ["activation"]


@pytest.mark.parametrize(
    ("layers", "expected"),
    [
        (
            "  - {type: conv2d, filters: 4, kernel_size: 1, inputs: conv_2d}\n",
            "net.yaml:5:48: layers[1].inputs: layer 'conv2d_1' reads 'conv_2d', but no layer has that name"
            " | hint: did you mean 'conv2d'?",
        ),
        (
            "  - {type: conv2d, name: me, filters: 4, kernel_size: 1, inputs: me}\n",
            "net.yaml:5:58: layers[1].inputs: layer 'me' reads itself | hint: name an earlier layer, or `input`",
        ),
        (
            "  - {type: add, name: a, inputs: [conv2d, b]}\n  - {type: conv2d, name: b, filters: 4, kernel_size: 1, inputs: a}\n",
            "net.yaml:5:43: layers[1].inputs[1]: layers read each other in a cycle: a → b → a"
            " | hint: a layer's inputs must come before it in `layers`",
        ),
        (
            "  - {type: add, inputs: [conv2d, later]}\n  - {type: conv2d, name: later, filters: 4, kernel_size: 1, inputs: input}\n",
            "net.yaml:5:34: layers[1].inputs[1]: layer 'add' reads 'later', which comes after it (layers[2])"
            " | hint: a layer's inputs must come before it in `layers`",
        ),
        (
            "  - {type: conv2d, name: conv2d, filters: 4, kernel_size: 1}\n",
            "net.yaml:5:20: layers[1].name: duplicate layer name 'conv2d', already used by layers[0]"
            " | hint: names must be unique; leave `name` out to get a Keras-style default",
        ),
        (
            "  - {type: add}\n",
            "net.yaml:5:5: layers[1].inputs: add layer 'add' merges 2 or more inputs, but reads 1: conv2d"
            " | hint: name them, e.g. `inputs: [conv2d_1, batch_normalization]`",
        ),
        (
            "  - {type: flatten, inputs: [input, conv2d]}\n",
            "net.yaml:5:21: layers[1].inputs: flatten layer 'flatten' reads one input, but is given 2: input, conv2d"
            " | hint: merge them first (add, concatenate, ...), then read the merge",
        ),
        (
            "  - {type: flatten, name: input}\n",
            "net.yaml:5:21: layers[1].name: `input` names the model input; give the layer another name",
        ),
    ],
)
def test_what_is_not_a_network_is_one_located_spec_error(layers: str, expected: str) -> None:
    first = (
        "{type: conv2d, name: conv2d, filters: 4, kernel_size: 1}"
        if "name: conv2d" in layers
        else "{type: conv2d, filters: 4, kernel_size: 1}"
    )
    text = f"input: [8, 8, 4]\nlayers:\n  # a comment line\n  - {first}\n" + layers
    assert problems(text) == [expected]


def test_unknown_output_suggests_a_name() -> None:
    text = RESIDUAL + "outputs: [activaton]\n"
    assert problems(text) == [
        "net.yaml:8:1: outputs: output 'activaton' is not a layer | hint: did you mean 'activation'?"
    ]


def test_a_merge_of_shapes_that_do_not_line_up_stops_only_what_depends_on_it() -> None:
    spec = {
        "input": [8, 8, 4],
        "outputs": ["ok", "after"],
        "layers": [
            {"type": "maxpool2d", "name": "pool"},
            {"type": "add", "name": "bad", "inputs": ["input", "pool"]},
            {"type": "flatten", "name": "after"},
            {"type": "conv2d", "name": "ok", "filters": 2, "kernel_size": 3, "inputs": "input"},
        ],
    }
    analysis = cnncalc.analyze(spec)
    (error,) = analysis.errors
    assert error.code == "CNN106"
    assert (
        error.message == "bad (add) cannot merge its inputs: input gives (8, 8, 4) but pool gives (4, 4, 4)"
    )
    assert "2× larger" in (error.hint or "")
    assert [r.output_shape for r in analysis.layers] == [(4, 4, 4), None, None, (6, 6, 2)]
    assert analysis.total_params == 3 * 3 * 4 * 2 + 2


def test_broadcasting_lines_shapes_up_from_the_right() -> None:
    spec = {
        "input": [6, 6, 8],
        "layers": [
            {"type": "globalavgpool2d", "keepdims": True, "name": "gate"},
            {"type": "globalavgpool2d", "name": "vector", "inputs": "input"},
            {"type": "multiply", "name": "scaled", "inputs": ["input", "gate"]},
            {"type": "subtract", "name": "centred", "inputs": ["scaled", "vector"]},
        ],
    }
    shapes = [r.output_shape for r in cnncalc.analyze(spec).layers]
    assert shapes == [(1, 1, 8), (8,), (6, 6, 8), (6, 6, 8)]


def test_concatenate_joins_the_channel_axis_of_either_data_format_or_the_axis_given() -> None:
    def concatenated(data_format: str, shape: list[int], **fields: object) -> tuple[int, ...] | None:
        spec = {
            "input": shape,
            "data_format": data_format,
            "layers": [
                {"type": "conv2d", "filters": 3, "kernel_size": 1},
                {"type": "concatenate", "inputs": ["input", "conv2d"], **fields},
            ],
        }
        return cnncalc.analyze(spec).layers[1].output_shape

    assert concatenated("channels_last", [5, 7, 2]) == (5, 7, 5)  # 2 + 3 channels
    assert concatenated("channels_first", [2, 5, 7]) == (5, 5, 7)
    assert concatenated("channels_last", [5, 7, 3], axis=2) == (5, 14, 3)  # width: 7 + 7
    assert concatenated("channels_last", [5, 7, 3], axis=-3) == (10, 7, 3)  # height: 5 + 5


def test_the_table_adds_connected_to_when_the_network_branches(tmp_path: Path) -> None:
    path = tmp_path / "residual.yaml"
    path.write_text(RESIDUAL)
    result = runner.invoke(app, ["check", str(path)], env={"COLUMNS": "120"})
    assert result.exit_code == 1  # CNN301 (conv1 and conv2 are linear): warnings fail since issue 14
    assert "Connected to" in result.output
    assert "│ input, conv2                   │" in result.output or "input, conv2" in result.output
    chain = runner.invoke(app, ["check", "examples/lenet5.yaml"], env={"COLUMNS": "120"})
    assert "Connected to" not in chain.output


def test_json_has_inputs_per_layer_and_outputs(tmp_path: Path) -> None:
    path = tmp_path / "residual.yaml"
    path.write_text(RESIDUAL)
    result = runner.invoke(app, ["check", str(path), "--format", "json"])
    report = json.loads(result.output)
    assert report["outputs"] == ["activation"]
    assert [layer["inputs"] for layer in report["layers"]] == [
        ["input"],
        ["conv1"],
        ["input", "conv2"],
        ["add"],
    ]
    assert all(layer["block"] == [] for layer in report["layers"])


def test_tree_shows_merges_and_branches(tmp_path: Path) -> None:
    path = tmp_path / "residual.yaml"
    path.write_text(RESIDUAL)
    result = runner.invoke(app, ["check", str(path), "--format", "tree"], env={"COLUMNS": "120"})
    assert result.exit_code == 1  # CNN301 (conv1 and conv2 are linear): warnings fail since issue 14
    lines = result.output.splitlines()
    assert lines[0].startswith("residual  input (8, 8, 4)")
    assert any("add (Add)  (8, 8, 4)  ← input, conv2" in line for line in lines)
    assert any("conv2 (Conv2D)  (8, 8, 4)  148 params" in line and "←" not in line for line in lines)
    assert "Total params: 296" in result.output


def test_names_may_hold_any_character_but_a_slash() -> None:
    spec = cnncalc.load("input: [4]\nlayers: [{type: dense, units: 2, name: 'my dense: 1'}]")
    assert spec.layers[0].name == "my dense: 1"
    assert problems("input: [4]\nlayers: [{type: dense, units: 2, name: a/b}]") == [
        "net.yaml:2:34: layers[0].name: a layer name cannot contain `/` (Keras' rule)"
    ]


NAMES = st.sampled_from(["input", "a", "b", "c", "d", "e", "x", "conv2d", "add"])
SIMPLE = st.sampled_from(
    [
        {"type": "conv2d", "filters": 2, "kernel_size": 3, "padding": "same"},
        {"type": "conv2d", "filters": 3, "kernel_size": 2, "strides": 2},
        {"type": "maxpool2d"},
        {"type": "batchnorm"},
        {"type": "flatten"},
        {"type": "dense", "units": 3},
        {"type": "globalavgpool2d", "keepdims": True},
        {"type": "upsampling2d"},
        {"type": "reshape", "target_shape": [-1, 2]},
        {"type": "add"},
        {"type": "concatenate"},
        {"type": "multiply"},
        {"type": "subtract"},
    ]
)


@st.composite
def random_graphs(draw: st.DrawFn) -> dict[str, object]:
    """Layers with random names and random inputs: some valid graphs, many broken ones."""
    layers = []
    for index in range(draw(st.integers(1, 7))):
        layer = dict(draw(SIMPLE))
        if draw(st.booleans()):
            layer["name"] = draw(st.sampled_from(["a", "b", "c", "d", "e", f"l{index}"]))
        if draw(st.booleans()):
            layer["inputs"] = draw(st.lists(NAMES, min_size=1, max_size=3))
        layers.append(layer)
    return {"input": [8, 8, 2], "layers": layers}


@settings(max_examples=300, deadline=None)
@given(random_graphs())
def test_any_wiring_is_a_network_or_one_spec_error(spec: dict[str, object]) -> None:
    try:
        analysis = cnncalc.analyze(spec)
    except SpecError as exc:
        assert len(exc.problems) >= 1
        assert all(problem.message for problem in exc.problems)
        return
    seen = {"input"}
    for record in analysis.layers:
        assert set(record.inputs) <= seen  # every input comes before its reader
        assert (record.output_shape is None) == (record.weights is None)
        if any(shape is None for shape in record.input_shapes):
            assert record.output_shape is None  # what depends on an error stops
        seen.add(record.name)
    assert set(analysis.outputs) <= seen
    cnncalc.lint(spec)  # the rules read any graph

"""Bad input: one precise, located message per problem, as the project's own error; never a crash."""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import cnncalc
from cnncalc.errors import SpecError
from cnncalc.spec.loader import load_file, parse_text, validate

GOOD = "input: [28, 28, 1]\nlayers:\n  - {type: conv2d, filters: 6, kernel_size: 5}\n"


def problems(text: str) -> list[str]:
    with pytest.raises(SpecError) as info:
        parse_text(text, file="net.yaml")
    return [str(problem) for problem in info.value.problems]


def only_problem(text: str) -> str:
    found = problems(text)
    assert len(found) == 1, found
    return found[0]


def test_canonical_lenet_loads(examples: Path) -> None:
    spec = load_file(examples / "lenet5.yaml").spec
    assert [layer.type for layer in spec.layers] == [
        "conv2d",
        "avgpool2d",
        "conv2d",
        "avgpool2d",
        "flatten",
        "dense",
        "dense",
        "dense",
    ]
    assert spec.layers[0].kernel_size == (5, 5)  # type: ignore[union-attr]


def test_aliases_and_keras_class_names_are_accepted_case_insensitively() -> None:
    text = (
        "input: [28, 28, 1]\nlayers:\n"
        "  - {type: Conv2D, filters: 6, kernel: 5, stride: 1}\n"
        "  - {type: MAXPOOLING2D, pool: 2}\n"
        "  - {type: average_pooling2d, pool: [2, 1], stride: 1}\n"
        "  - {type: Flatten}\n"
        "  - {type: Dense, units: 10, activation: Softmax}\n"
    )
    spec = parse_text(text).spec
    assert [layer.type for layer in spec.layers] == ["conv2d", "maxpool2d", "avgpool2d", "flatten", "dense"]
    assert spec.layers[0].kernel_size == (5, 5)  # type: ignore[union-attr]
    assert spec.layers[2].pool_size == (2, 1)  # type: ignore[union-attr]
    assert [layer.name for layer in spec.layers] == [
        "conv2d",
        "max_pooling2d",
        "average_pooling2d",
        "flatten",
        "dense",
    ]


def test_default_names_count_per_type_and_skip_names_already_taken() -> None:
    text = (
        "input: [8, 8, 1]\nlayers:\n"
        "  - {type: conv2d, filters: 1, kernel: 1, name: conv2d_1}\n"
        "  - {type: conv2d, filters: 1, kernel: 1}\n"
        "  - {type: conv2d, filters: 1, kernel: 1}\n"
        "  - {type: flatten}\n"
    )
    assert parse_text(text).spec.layer_names == ["conv2d_1", "conv2d", "conv2d_2", "flatten"]


def test_pool_strides_default_to_pool_size() -> None:
    spec = parse_text("input: [8, 8, 1]\nlayers: [{type: maxpool2d, pool_size: 3}]").spec
    assert spec.layers[0].effective_strides == (3, 3)  # type: ignore[union-attr]


def test_padding_forms_normalise_to_top_bottom_left_right() -> None:
    def padding(value: str) -> object:
        text = f"input: [8, 8, 1]\nlayers: [{{type: conv2d, filters: 1, kernel: 3, padding: {value}}}]"
        return parse_text(text).spec.layers[0].padding  # type: ignore[union-attr]

    assert padding("SAME") == "same"
    assert padding("2") == ((2, 2), (2, 2))
    assert padding("[1, 2]") == ((1, 1), (2, 2))
    assert padding("[[0, 1], [2, 3]]") == ((0, 1), (2, 3))


def test_yaml_1_2_exponent_floats_are_numbers() -> None:
    spec = parse_text("input: [8]\nlayers: [{type: batchnorm, epsilon: 1e-5}]").spec
    assert spec.layers[0].epsilon == 0.00001  # type: ignore[union-attr]


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text("")
    with pytest.raises(SpecError, match=r"empty\.yaml: empty spec; expected a mapping"):
        load_file(path)


def test_list_instead_of_mapping() -> None:
    assert only_problem("- a\n- b\n") == (
        "net.yaml:1: the top level must be a mapping with `input` and `layers`, not a list"
    )


def test_yaml_syntax_error_names_line_and_column() -> None:
    message = only_problem("input: [28, 28, 1\nlayers: []\n")
    assert message.startswith("net.yaml:2:7: invalid YAML")


def test_unknown_type_suggests_the_closest() -> None:
    message = only_problem("input: [28, 28, 1]\nlayers:\n  - {type: conv, filters: 3, kernel: 3}\n")
    assert message == "net.yaml:3:5: layers[0]: unknown layer type 'conv'"
    with pytest.raises(SpecError) as info:
        parse_text("input: [28, 28, 1]\nlayers:\n  - {type: maxpool, pool: 2}\n")
    assert info.value.problems[0].hint == "did you mean `maxpool2d`?"


def test_missing_type() -> None:
    with pytest.raises(SpecError) as info:
        parse_text("input: [28, 28, 1]\nlayers:\n  - {filters: 3}\n")
    (problem,) = info.value.problems
    assert (problem.field, problem.message, problem.line) == ("layers[0]", "layer has no `type`", 3)


def test_unknown_field_suggests_the_closest() -> None:
    with pytest.raises(SpecError) as info:
        parse_text(
            "input: [28, 28, 1]\nlayers:\n  - type: conv2d\n    filters: 3\n    kernel: 3\n    stirdes: 2\n"
        )
    (problem,) = info.value.problems
    assert (problem.line, problem.column, problem.field) == (6, 5, "layers[0].stirdes")
    assert problem.message == "unknown field `stirdes`"
    assert problem.hint == "did you mean `strides`?"


def test_unknown_top_level_field() -> None:
    with pytest.raises(SpecError) as info:
        parse_text("inputs: [28, 28, 1]\ninput: [28, 28, 1]\nlayers: [{type: flatten}]\n")
    (problem,) = info.value.problems
    assert (problem.field, problem.hint) == ("inputs", "did you mean `input`?")


def test_alias_given_twice() -> None:
    message = only_problem(
        "input: [8, 8, 1]\nlayers: [{type: conv2d, filters: 3, kernel: 3, kernel_size: 3}]"
    )
    assert "`kernel` is another name for `kernel_size`, which is also given" in message


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("filters: 0", "layers[0].filters: must be at least 1, got 0"),
        ("filters: -3", "layers[0].filters: must be at least 1, got -3"),
        ("filters: true", "layers[0].filters: expected an integer, got true"),
        ("filters: '3'", "layers[0].filters: expected an integer, got '3'"),
        ("filters: 2.5", "layers[0].filters: expected an integer, got 2.5"),
        ("kernel_size: 2.5", "layers[0].kernel_size: expected an integer or a pair [height, width], got 2.5"),
        ("kernel_size: [3, 0]", "layers[0].kernel_size[1]: must be at least 1, got 0"),
        ("kernel_size: [3, true]", "layers[0].kernel_size[1]: expected an integer, got true"),
        ("padding: -1", "layers[0].padding: expected 'valid', 'same', a non-negative integer p"),
        ("padding: full", "layers[0].padding: expected 'valid', 'same', a non-negative integer p"),
        ("use_bias: 1", "layers[0].use_bias: expected true or false, got 1"),
        ("activation: glu", "layers[0].activation: Input should be 'linear', 'relu'"),
    ],
)
def test_bad_values_name_the_field(value: str, expected: str) -> None:
    text = f"input: [8, 8, 1]\nlayers:\n  - {{type: conv2d, filters: 3, kernel_size: 3, {value}}}\n"
    if value.startswith(("filters", "kernel_size")):
        text = text.replace("filters: 3, " if value.startswith("filters") else "kernel_size: 3, ", "")
    message = only_problem(text)
    assert message.startswith("net.yaml:3:"), message
    assert expected in message


def test_several_problems_are_all_reported_with_their_lines() -> None:
    text = (
        "input: [8, 8, 1]\nlayers:\n  - {type: conv2d, filters: -1, kernel: 3}\n  - {type: dense, units: 0}\n"
    )
    # the key of each bad field: column 20 is "filters" in "  - {type: conv2d, filters", 19 "units"
    assert [p.split(": ")[0] for p in problems(text)] == ["net.yaml:3:20", "net.yaml:4:19"]


def test_missing_input() -> None:
    with pytest.raises(SpecError) as info:
        parse_text("layers: [{type: flatten}]\n")
    (problem,) = info.value.problems
    assert problem.message == "required field `input` is missing"
    assert problem.hint is not None and "[28, 28, 1]" in problem.hint


def test_input_without_channels() -> None:
    assert "input needs a channel axis" in only_problem("input: [28, 28]\nlayers: [{type: flatten}]\n")


def test_duplicate_names_point_at_the_second() -> None:
    text = "input: [8]\nlayers:\n  - {type: dense, units: 3, name: a}\n  - {type: dense, units: 3, name: a}\n"
    assert only_problem(text) == (
        "net.yaml:4:29: layers[1].name: duplicate layer name 'a', already used by layers[0]"
    )


def test_duplicate_keys_are_refused() -> None:
    assert only_problem("input: [8]\nlayers:\n  - {type: dense, units: 3, units: 4}\n") == (
        "net.yaml:3:29: duplicate key `units`"
    )


def test_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "model.yaml"
    path.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(SpecError, match="binary file"):
        load_file(path)


def test_latin1_file(tmp_path: Path) -> None:
    path = tmp_path / "model.yaml"
    path.write_bytes("name: réseau\n".encode("latin-1"))
    with pytest.raises(SpecError, match="not UTF-8"):
        load_file(path)


def test_missing_path_and_directory(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="no such file"):
        load_file(tmp_path / "nope.yaml")
    with pytest.raises(SpecError, match="is a directory"):
        load_file(tmp_path)


def test_python_tags_are_refused_not_executed(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    text = f"input: !!python/object/apply:os.system ['touch {marker}']\nlayers: [{{type: flatten}}]\n"
    message = only_problem(text)
    assert message.startswith("net.yaml:1:8: YAML tags are not allowed")
    assert not marker.exists()


def test_billion_laughs_is_refused_fast_in_bounded_memory() -> None:
    lines = ["a: &a ['lol', 'lol', 'lol', 'lol', 'lol', 'lol', 'lol', 'lol', 'lol']"]
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
    tracemalloc.start()
    started = time.perf_counter()
    message = only_problem("\n".join(lines))
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert "expands to more than 2,000,000 values through YAML aliases" in message
    assert peak < 50 * 2**20, "the alias bomb must be refused before it is expanded"
    assert elapsed < 30, "refusing an alias bomb must not expand it"


def test_moderate_aliases_are_fine() -> None:
    text = "input: [8, 8, 1]\nconv: &c {type: conv2d, filters: 2, kernel: 3}\n"
    with pytest.raises(SpecError, match="unknown field `conv`"):
        parse_text(text + "layers: [*c, *c]\n")


def test_20000_deep_nesting_is_an_error_not_a_recursion_error() -> None:
    message = only_problem("[" * 20_000 + "]" * 20_000)
    assert message.startswith("net.yaml:1:")
    assert "nesting" in message or "depth" in message


def test_20000_deep_dict_through_the_api() -> None:
    deep: object = 1
    for _ in range(20_000):
        deep = [deep]
    with pytest.raises(SpecError) as info:
        validate({"input": deep, "layers": [{"type": "flatten"}]})
    assert info.value.problems[0].field == "input[0]"


def test_absurd_dimensions_are_exact_python_ints() -> None:
    big = 10**200
    spec = {
        "input": [big, big, 3],
        "layers": [
            {"type": "conv2d", "filters": 10**6, "kernel": 3},
            {"type": "flatten"},
            {"type": "dense", "units": 10},
        ],
    }
    analysis = cnncalc.analyze(spec)
    assert analysis.layers[0].output_shape == (big - 2, big - 2, 10**6)
    # (3·3·3 + 1)·10⁶ + ((big − 2)²·10⁶ + 1)·10, exactly
    assert analysis.total_params == 28 * 10**6 + ((big - 2) ** 2 * 10**6 + 1) * 10


def test_numbers_longer_than_python_reads() -> None:
    assert "too many digits" in only_problem("input: [" + "9" * 5000 + ", 3, 1]\nlayers: [{type: flatten}]\n")


def test_load_accepts_path_text_and_dict(examples: Path) -> None:
    path = examples / "lenet5.yaml"
    from_path = cnncalc.load(path)
    assert cnncalc.load(str(path)) == from_path
    assert cnncalc.load(path.read_text()) == from_path
    assert cnncalc.load(from_path.model_dump()) == from_path


# --- random input never escapes as anything but SpecError -------------------------------------

scalars = st.none() | st.booleans() | st.integers(-5, 40) | st.floats(allow_nan=True) | st.text(max_size=8)
keys = st.sampled_from(
    [
        "type",
        "input",
        "layers",
        "filters",
        "kernel_size",
        "kernel",
        "strides",
        "padding",
        "units",
        "pool_size",
        "rate",
        "name",
        "data_format",
        "groups",
        "dilation_rate",
        "activation",
        "padding_mode",
    ]
) | st.text(max_size=6)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=5),
    max_leaves=20,
)
layer_types = st.sampled_from(
    ["conv2d", "Conv2D", "maxpool2d", "dense", "flatten", "dropout", "batchnorm", "zeropad2d", "x"]
)
layers = st.fixed_dictionaries(
    {"type": layer_types},
    optional=dict.fromkeys(
        ["filters", "kernel_size", "units", "padding", "strides", "rate", "pool_size"], values
    ),
)
documents = (
    st.fixed_dictionaries(
        {
            "input": st.lists(st.integers(-1, 40), max_size=4) | values,
            "layers": st.lists(layers, max_size=4) | values,
        },
        optional={"name": values, "data_format": values, "extra": values},
    )
    | values
)


@settings(max_examples=300, deadline=None)
@given(documents)
def test_random_documents_give_a_spec_or_a_spec_error(document: object) -> None:
    try:
        spec = validate(document)
    except SpecError as exc:
        assert exc.problems
        return
    cnncalc.analyze(spec)  # the engine never raises on a valid spec


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_random_text_gives_a_spec_or_a_spec_error(text: str) -> None:
    try:
        parse_text(text)
    except SpecError as exc:
        assert exc.problems


@settings(max_examples=100, deadline=None)
@given(documents)
def test_random_documents_as_yaml(document: object) -> None:
    text = yaml.safe_dump(document)
    try:
        parse_text(text)
    except SpecError as exc:
        assert exc.problems


def test_unknown_field_in_a_nested_section_suggests_from_that_section() -> None:
    with pytest.raises(SpecError) as info:
        parse_text("input: [8]\nlint: {ignor: [CNN301]}\nlayers: [{type: dense, units: 2}]\n")
    (problem,) = info.value.problems
    assert (problem.field, problem.message, problem.hint) == (
        "lint.ignor",
        "unknown field `ignor`",
        "did you mean `ignore`?",
    )


def test_padding_mode_reads_back_as_zeros_where_no_padded_cell_is_read() -> None:
    def mode(layer: str) -> str:
        return parse_text(f"input: [8, 8, 1]\nlayers: [{layer}]").spec.layers[0].padding_mode  # type: ignore[union-attr]

    assert mode("{type: conv2d, filters: 1, kernel: 3, padding: same, padding_mode: reflect}") == "reflect"
    assert mode("{type: conv2d, filters: 1, kernel: 3, padding: 1, padding_mode: replicate}") == "replicate"
    assert mode("{type: conv2d, filters: 1, kernel: 3, padding: valid, padding_mode: reflect}") == "zeros"
    assert mode("{type: conv2d, filters: 1, kernel: 3, padding: 0, padding_mode: reflect}") == "zeros"
    # a same pool ignores its padded cells (as Keras' pools do): the mode cannot matter
    assert mode("{type: maxpool2d, padding: same, padding_mode: reflect}") == "zeros"
    assert mode("{type: avgpool2d, padding: 1, padding_mode: reflect}") == "reflect"

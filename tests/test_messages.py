"""Messages a newcomer can act on (issue 14): each names what is wrong in the user's words and what to
write instead. One test per message that used to leave people guessing."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

import cnncalc
from cnncalc.errors import Problem, SpecError


def problem(source: str) -> Problem:
    with pytest.raises(SpecError) as caught:
        cnncalc.load(source)
    (first, *_) = caught.value.problems
    return first


def test_a_path_without_its_suffix_is_not_read_as_yaml(
    examples: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(examples.parent)
    found = problem("examples/lenet5")
    assert str(found) == "examples/lenet5: no such file, and not a YAML spec either"
    assert found.hint == "did you mean examples/lenet5.yaml?"
    assert problem("examples/no_such_net").hint == "give a path to a .yaml or .json spec, or YAML text"


def test_no_layers() -> None:
    found = problem("input: [28, 28, 1]\nlayers: []\n")
    assert (found.field, found.message) == (
        "layers",
        "must be a list of at least one layer, got an empty list",
    )
    assert found.hint == "one mapping per layer, such as `- {type: conv2d, filters: 32, kernel_size: 3}`"


def test_layers_as_a_mapping() -> None:
    found = problem("input: [28, 28, 1]\nlayers: {type: flatten}\n")
    assert found.message == "must be a list of at least one layer, got a mapping"


def test_a_layer_that_is_not_a_mapping() -> None:
    found = problem("input: [28, 28, 1]\nlayers:\n  - [flatten]\n")
    assert (found.field, found.message) == ("layers[0]", "a layer must be a mapping, got a list")


@pytest.mark.parametrize("size", ["[3]", "[3, 3, 3]"])
def test_a_size_with_the_wrong_number_of_values(size: str) -> None:
    found = problem(f"input: [28, 28, 1]\nlayers:\n  - {{type: conv2d, filters: 3, kernel_size: {size}}}\n")
    assert (found.line, found.field) == (3, "layers[0].kernel_size")
    assert found.message == f"expected an integer or a pair [height, width], got {size}"
    assert found.hint == "`kernel_size: 3` means 3×3; `kernel_size: [3, 5]` is 3 high and 5 wide"


@pytest.mark.parametrize(("value", "shown"), [("[]", "[]"), ("[1, 2, 3, 4]", "[1, 2, 3, 4]"), ("28", "28")])
def test_an_input_that_is_not_one_to_three_sizes(value: str, shown: str) -> None:
    found = problem(f"input: {value}\nlayers:\n  - {{type: flatten}}\n")
    assert (found.field, found.message) == ("input", f"must be a list of 1 to 3 sizes, got {shown}")
    assert found.hint is not None and "[28, 28, 1]" in found.hint


def test_a_lint_section_that_is_not_a_mapping() -> None:
    found = problem("input: [28, 28, 1]\nlint: []\nlayers:\n  - {type: flatten}\n")
    assert (found.field, found.line) == ("lint", 2)
    assert found.message == "must be a mapping of settings, got an empty list"
    assert found.hint == "such as `lint: {ignore: [CNN110]}`"


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("input: [28, 28, 1]\nlayers:\n\t- {type: flatten}\n", 3),
        ("input: [28, 28, 1]\nlayers:\n  - type: dense\n\t  units: 3\n", 4),
    ],
)
def test_tab_indentation_is_named(text: str, line: int) -> None:
    found = problem(text)
    assert (found.line, found.message) == (line, "a tab indents this line; YAML indents with spaces only")
    assert found.hint == "replace the tabs at the start of the line with spaces (2 per level)"


def test_utf16_is_not_called_binary(tmp_path: Path) -> None:
    path = tmp_path / "net.yaml"
    path.write_bytes(
        codecs.BOM_UTF16_LE + "input: [28, 28, 1]\nlayers: [{type: flatten}]\n".encode("utf-16-le")
    )
    assert problem(str(path)).message == "the file is UTF-16 text; cnncalc reads UTF-8: save it as UTF-8"


def test_channels_first_with_the_channels_last_hints_at_data_format() -> None:
    spec = "input: [28, 28, 1]\ndata_format: channels_first\nlayers:\n  - {type: conv2d, filters: 3, kernel_size: 3}\n"
    (error,) = cnncalc.lint(spec)
    assert error.code == "CNN101"
    assert error.hint is not None
    assert error.hint.startswith(
        "this spec is channels_first, so (28, 28, 1) is 28 channels of 28×1; "
        "if the channels come last, set data_format: channels_last."
    )
    # A real channels_first input that is too small gets the usual hint alone.
    (error,) = cnncalc.lint(spec.replace("[28, 28, 1]", "[1, 2, 2]"))
    assert (
        error.hint
        == "use padding: same, a smaller kernel or dilation, or less downsampling before this layer"
    )


def test_assert_total_params_shows_what_was_expected(examples: Path) -> None:
    with pytest.raises(AssertionError) as caught:
        cnncalc.assert_total_params(examples / "lenet5.yaml", 60_000)
    assert str(caught.value).splitlines()[0] == "total parameters: expected 60,000, got 61,706"
    with pytest.raises(AssertionError) as caught:
        cnncalc.assert_total_params(examples / "lenet5.yaml", 61_706, trainable=60_000)
    assert str(caught.value).splitlines()[0] == (
        "total parameters: expected 61,706 (60,000 trainable), got 61,706 (61,706 trainable)"
    )
    with pytest.raises(AssertionError) as caught:
        cnncalc.assert_params(examples / "lenet5.yaml", "conv2d", 150)
    assert str(caught.value).splitlines()[0] == "parameters of layer 'conv2d': expected 150, got 156"

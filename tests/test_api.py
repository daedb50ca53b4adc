"""The library API's assertions: readable failures with the chain of shapes."""

from __future__ import annotations

from pathlib import Path

import pytest

import cnncalc


def test_assert_output_shape_passes_and_fails_readably(examples: Path) -> None:
    path = examples / "lenet5.yaml"
    cnncalc.assert_output_shape(path, "conv2d_1", (10, 10, 16))
    cnncalc.assert_output_shape(path, "conv2d_1", [10, 10, 16])
    with pytest.raises(AssertionError) as info:
        cnncalc.assert_output_shape(path, "conv2d_1", (10, 10, 6))
    message = str(info.value)
    assert message.startswith("output shape of layer 'conv2d_1': expected (10, 10, 6), got (10, 10, 16)")
    lines = message.splitlines()
    assert lines[1] == "shape chain:"
    assert "input" in lines[2] and "(32, 32, 1)" in lines[2]
    assert lines[-1].lstrip().startswith("> conv2d_1 (conv2d)")
    assert "(14 − 5 + 2·0)/1 + 1 = 10" in lines[-1]


def test_assert_on_a_layer_after_an_error_says_where_analysis_stopped(examples: Path) -> None:
    with pytest.raises(AssertionError) as info:
        cnncalc.assert_output_shape(examples / "error_kernel_too_large.yaml", "dense", (84,))
    message = str(info.value)
    assert "expected (84,), got no shape" in message
    assert "analysis stopped: kernel 5 does not fit a 4×4 input at layer conv3" in message


def test_unknown_layer_lists_the_names(examples: Path) -> None:
    with pytest.raises(AssertionError, match="no layer named 'conv9'; layers: conv2d, average_pooling2d"):
        cnncalc.assert_output_shape(examples / "lenet5.yaml", "conv9", (1,))


def test_assert_params_and_totals(examples: Path) -> None:
    spec = {
        "input": [8, 8, 3],
        "layers": [{"type": "conv2d", "filters": 4, "kernel": 3}, {"type": "batchnorm"}],
    }
    cnncalc.assert_params(spec, "conv2d", 112)  # 3·3·3·4 + 4
    cnncalc.assert_params(spec, "batch_normalization", 16, trainable=8)
    with pytest.raises(AssertionError, match=r"expected 16 \(16 trainable\), got 16 \(8 trainable\)"):
        cnncalc.assert_params(spec, "batch_normalization", 16, trainable=16)
    cnncalc.assert_total_params(spec, 128, trainable=120)
    with pytest.raises(AssertionError, match="total parameters: expected 61,000"):
        cnncalc.assert_total_params(examples / "lenet5.yaml", 61_000)


def test_assert_valid_lists_errors(examples: Path) -> None:
    cnncalc.assert_valid(examples / "lenet5.yaml")
    with pytest.raises(AssertionError, match="CNN101: kernel 5 does not fit"):
        cnncalc.assert_valid(examples / "error_kernel_too_large.yaml")


def test_invalid_specs_raise_spec_error_through_the_api() -> None:
    with pytest.raises(cnncalc.SpecError, match="unknown layer type 'conv'"):
        cnncalc.analyze({"input": [8, 8, 1], "layers": [{"type": "conv"}]})


def test_the_api_never_imports_tensorflow() -> None:
    import subprocess
    import sys

    code = "import sys, cnncalc; cnncalc.analyze('examples/lenet5.yaml'); print(sorted(m for m in sys.modules if m.split('.')[0] in {'tensorflow', 'keras', 'torch'}))"
    root = Path(__file__).resolve().parent.parent
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=root, check=True
    )
    assert result.stdout.strip() == "[]"

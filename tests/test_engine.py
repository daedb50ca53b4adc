"""The shape engine: errors as diagnostics, explanations, receptive fields, and properties checked
against brute force (counting window positions one by one)."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

import cnncalc
from cnncalc.shapes.formulas import conv_output_size, same_padding


def conv(**fields: object) -> dict[str, object]:
    return {"type": "conv2d", "filters": 4, "kernel_size": 3, **fields}


def test_error_stops_the_chain_and_later_layers_have_no_shape() -> None:
    spec = {
        "input": [4, 4, 1],
        "layers": [conv(kernel_size=5, name="conv3"), {"type": "flatten"}, {"type": "dense", "units": 2}],
    }
    analysis = cnncalc.analyze(spec)
    (error,) = analysis.diagnostics
    assert (error.code, error.severity, error.layer) == ("CNN101", cnncalc.Severity.ERROR, 0)
    assert error.message == "kernel 5 does not fit a 4×4 input at layer conv3: (4 − 5 + 2·0)/1 + 1 = 0"
    assert [r.output_shape for r in analysis.layers] == [None, None, None]
    assert [r.input_shape for r in analysis.layers] == [(4, 4, 1), None, None]
    assert analysis.output_shape is None
    assert not analysis.ok


def test_error_on_one_axis_names_it() -> None:
    analysis = cnncalc.analyze({"input": [3, 10, 1], "layers": [conv(kernel_size=5)]})
    assert analysis.errors[0].message.endswith("height (3 − 5 + 2·0)/1 + 1 = −1")


def test_error_line_comes_from_the_file(examples: Path) -> None:
    analysis = cnncalc.analyze(examples / "error_kernel_too_large.yaml")
    (error,) = analysis.errors
    assert (error.layer, error.line) == (4, 12)
    assert "at layer conv3" in error.message


def test_conv_after_flatten() -> None:
    analysis = cnncalc.analyze({"input": [6, 6, 3], "layers": [{"type": "flatten"}, conv()]})
    (error,) = analysis.errors
    assert error.code == "CNN104"
    assert "needs a feature map" in error.message and "(108,)" in error.message


def test_global_pool_and_zero_padding_need_a_feature_map_too() -> None:
    for layer in ({"type": "globalavgpool2d"}, {"type": "zeropad2d"}, {"type": "maxpool2d"}):
        analysis = cnncalc.analyze({"input": [784], "layers": [layer]})
        assert [d.code for d in analysis.errors] == ["CNN104"]


def test_reflect_padding_needs_more_cells_than_it_pads() -> None:
    # reflecting 3 cells needs at least 4: tf.pad(mode="REFLECT") refuses paddings ≥ the size
    ok = cnncalc.analyze({"input": [4, 4, 1], "layers": [conv(padding=3, padding_mode="reflect")]})
    assert ok.ok
    bad = cnncalc.analyze({"input": [3, 3, 1], "layers": [conv(padding=3, padding_mode="reflect")]})
    assert [d.code for d in bad.errors] == ["CNN105"]
    replicate = cnncalc.analyze({"input": [3, 3, 1], "layers": [conv(padding=3, padding_mode="replicate")]})
    assert replicate.ok


def test_same_padding_split_is_recorded() -> None:
    # 7 with a 4-wide kernel at stride 2: out ⌈7/2⌉ = 4, total (4 − 1)·2 + 4 − 7 = 3 → 1 before, 2 after
    record = cnncalc.analyze(
        {"input": [7, 8, 1], "layers": [conv(kernel_size=4, strides=2, padding="same")]}
    ).layers[0]
    assert record.windows is not None
    rows, cols = record.windows
    assert (rows.pad_before, rows.pad_after, rows.output) == (1, 2, 4)
    # 8: out 4, total (4 − 1)·2 + 4 − 8 = 2 → 1, 1
    assert (cols.pad_before, cols.pad_after, cols.output) == (1, 1, 4)


def test_explanations_show_the_numbers(examples: Path) -> None:
    lenet = cnncalc.analyze(examples / "lenet5.yaml")
    assert lenet.layers[0].explanation == ("H, W: (32 − 5 + 2·0)/1 + 1 = 28", "params = 5·5·1·6 + 6 = 156")
    assert lenet.layers[4].explanation == ("5·5·16 = 400",)
    assert lenet.layers[5].explanation == ("params = (400 + 1)·120 = 48,120",)
    article = cnncalc.analyze(examples / "article_cnn.yaml")
    assert article.layers[5].explanation == ("H, W: ⌊(7 − 2 + 2·0)/2⌋ + 1 = 3",)
    assert article.layers[0].explanation[0] == "H, W: ⌈28/1⌉ = 28 (pad 2 + 2)"


def test_explanation_of_dilation_groups_and_batchnorm() -> None:
    spec = {
        "input": [28, 28, 4],
        "layers": [conv(dilation_rate=2, groups=2), {"type": "batchnorm"}],
    }
    first, second = cnncalc.analyze(spec).layers
    assert first.explanation == (
        "H, W: K = 2·(3 − 1) + 1 = 5; (28 − 5 + 2·0)/1 + 1 = 24",
        "params = 3·3·(4/2)·4 + 4 = 76",
    )
    assert second.explanation == ("params = 4·4 = 16 (8 non-trainable: moving mean and variance)",)


def test_receptive_field_by_hand() -> None:
    # conv 3×3: r = 1 + 2·1 = 3, j = 1; pool 2/2: r = 3 + 1·1 = 4, j = 2; conv 3×3: r = 4 + 2·2 = 8, j = 2;
    # dilated conv 3×3 d=2 (span 5): r = 8 + 4·2 = 16
    spec = {
        "input": [32, 32, 1],
        "layers": [conv(), {"type": "maxpool2d"}, conv(), conv(dilation_rate=2), {"type": "flatten"}],
    }
    fields = [r.receptive_field for r in cnncalc.analyze(spec).layers]
    assert [f.size if f else None for f in fields] == [(3, 3), (4, 4), (8, 8), (16, 16), None]
    assert [f.jump if f else None for f in fields] == [(1, 1), (2, 2), (2, 2), (2, 2), None]


def test_records_expose_keras_weight_shapes() -> None:
    record = cnncalc.analyze({"input": [8, 8, 6], "layers": [conv(groups=3, filters=9)]}).layers[0]
    assert [(w.name, w.shape) for w in record.weights or ()] == [("kernel", (3, 3, 2, 9)), ("bias", (9,))]


# --- properties against brute force ------------------------------------------------------------


def positions(size: int, span: int, strides: int, before: int, after: int) -> int:
    """Count the window placements one by one: starts at -before, every `strides`, fitting inside."""
    return sum(1 for start in range(-before, size + after - span + 1, strides))


@settings(max_examples=500, deadline=None)
@given(
    size=st.integers(1, 60),
    kernel=st.integers(1, 9),
    strides=st.integers(1, 5),
    dilation=st.integers(1, 4),
    before=st.integers(0, 6),
    after=st.integers(0, 6),
)
def test_explicit_padding_matches_counting_window_positions(
    size: int, kernel: int, strides: int, dilation: int, before: int, after: int
) -> None:
    dilation = 1 if strides > 1 else dilation  # Keras allows only one of them above 1
    layer = conv(
        kernel_size=[kernel, 1],
        strides=[strides, 1],
        dilation_rate=[dilation, 1],
        padding=[[before, after], [0, 0]],
    )
    analysis = cnncalc.analyze({"input": [size, 1, 1], "layers": [layer]})
    count = positions(size, dilation * (kernel - 1) + 1, strides, before, after)
    if count == 0:
        assert [d.code for d in analysis.errors] == ["CNN101"]
    else:
        assert analysis.layers[0].output_shape == (count, 1, 4)


@settings(max_examples=500, deadline=None)
@given(
    size=st.integers(1, 80), kernel=st.integers(1, 9), strides=st.integers(1, 6), dilation=st.integers(1, 3)
)
def test_same_padding_places_ceil_size_over_strides_windows(
    size: int, kernel: int, strides: int, dilation: int
) -> None:
    before, after = same_padding(size, kernel, strides, dilation)
    span = dilation * (kernel - 1) + 1
    assert positions(size, span, strides, before, after) == -(-size // strides)
    assert 0 <= after - before <= 1
    assert conv_output_size(size, kernel, strides, "same", dilation) == -(-size // strides)


def test_a_same_pool_reads_no_padding_so_reflect_cannot_be_too_large() -> None:
    # maxpool 2 'same' on 1×1: ⌈1/2⌉ = 1, padded cells ignored; the reflect mode is moot
    spec = {
        "input": [1, 1, 1],
        "layers": [{"type": "maxpool2d", "padding": "same", "padding_mode": "reflect"}],
    }
    cnncalc.assert_output_shape(spec, "max_pooling2d", (1, 1, 1))

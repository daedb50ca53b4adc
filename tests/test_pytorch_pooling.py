"""The pooling options PyTorch has and Keras does not: ``ceil_mode`` and ignored explicit padding
(``count_include_pad: false``).

The expected sizes come from PyTorch 2.13 (``torch.nn.functional.max_pool2d(..., ceil_mode=True)``) and
ONNX Runtime 1.32 (``MaxPool`` and ``AveragePool`` with ``ceil_mode=1``), which agree on every case
below; the ``torch``-marked test asks PyTorch again on generated cases.
"""

from __future__ import annotations

from types import ModuleType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cnncalc
from cnncalc.backends.keras.plan import keras_layers
from cnncalc.errors import CnncalcError

# (input size, pool size, strides, padding on each side, output size with ceil_mode)
CEIL_MODE = [
    (112, 3, 2, 0, 56),  # Keras (floor) gives 55: ⌊109/2⌋ + 1
    (112, 3, 2, 1, 57),
    (55, 3, 2, 0, 27),  # 108/2 divides: the same as floor
    (7, 2, 2, 0, 4),
    (6, 3, 2, 1, 4),
    (5, 2, 2, 1, 3),  # ⌈5/2⌉ + 1 = 4, but the 4th window would start at 6, in the right padding
    (4, 3, 3, 1, 2),
    (2, 3, 2, 0, 1),  # a window larger than the input still gives one output
    (1, 2, 2, 0, 1),
    (13, 3, 2, 0, 6),
    (8, 2, 3, 1, 3),
]


def pool(kind: str, size: int, pool_size: int, strides: int, padding: int, **options: object) -> dict:
    layer = {"type": kind, "pool_size": pool_size, "strides": strides, "padding": padding, **options}
    return {"input": [size, size, 2], "layers": [layer]}


@pytest.mark.parametrize("kind", ["maxpool2d", "avgpool2d"])
@pytest.mark.parametrize(("size", "pool_size", "strides", "padding", "expected"), CEIL_MODE)
def test_ceil_mode_counts_windows_as_pytorch_and_onnx_runtime(
    kind: str, size: int, pool_size: int, strides: int, padding: int, expected: int
) -> None:
    analysis = cnncalc.analyze(pool(kind, size, pool_size, strides, padding, ceil_mode=True))
    assert analysis.layers[0].output_shape == (expected, expected, 2)


def test_ceil_mode_formula_says_when_the_last_window_is_dropped() -> None:
    record = cnncalc.analyze(pool("maxpool2d", 5, 2, 2, 1, ceil_mode=True)).layers[0]
    assert record.explanation[0] == (
        "H, W: ⌈(5 − 2 + 2·1)/2⌉ + 1 − 1 = 3 (the last window would start in the padding)"
    )
    record = cnncalc.analyze(pool("maxpool2d", 112, 3, 2, 0, ceil_mode=True)).layers[0]
    assert record.explanation[0] == "H, W: ⌈(112 − 3 + 2·0)/2⌉ + 1 = 56"


def test_ceil_mode_leaves_no_cells_unseen() -> None:
    # floor: ⌊(112 − 3)/2⌋ + 1 = 55 windows cover 2·54 + 3 = 111 rows, the last is never seen (CNN110)
    floor = cnncalc.lint(pool("maxpool2d", 112, 3, 2, 0))
    ceil = cnncalc.lint(pool("maxpool2d", 112, 3, 2, 0, ceil_mode=True))
    assert "CNN110" in {d.code for d in floor}
    assert "CNN110" not in {d.code for d in ceil}


def test_ceil_mode_needs_a_window_that_starts_in_the_input() -> None:
    # ⌈(1 − 5)/1⌉ + 1 = −3: no window at all
    analysis = cnncalc.analyze(pool("maxpool2d", 1, 5, 1, 0, ceil_mode=True))
    assert [d.code for d in analysis.errors] == ["CNN101"]


def test_ceil_mode_reads_back_false_with_same_padding() -> None:
    spec = cnncalc.load(
        {"input": [7, 7, 1], "layers": [{"type": "maxpool2d", "padding": "same", "ceil_mode": True}]}
    )
    assert spec.layers[0].ceil_mode is False  # type: ignore[attr-defined]


def test_ignored_padding_changes_no_shape_and_needs_no_fill() -> None:
    # PyTorch's ResNet stem: MaxPool2d(3, 2, padding=1) on 112×112: ⌊(112 − 3 + 2·1)/2⌋ + 1 = 56
    ignored = cnncalc.load(pool("maxpool2d", 112, 3, 2, 1, count_include_pad=False, padding_mode="reflect"))
    assert cnncalc.analyze(ignored).layers[0].output_shape == (56, 56, 2)
    assert ignored.layers[0].padding_mode == "zeros"  # type: ignore[attr-defined]  # no cell is filled


def test_count_include_pad_reads_back_true_without_explicit_padding() -> None:
    for padding in ("same", "valid", 0):
        spec = cnncalc.load(
            {
                "input": [8, 8, 1],
                "layers": [{"type": "avgpool2d", "padding": padding, "count_include_pad": False}],
            }
        )
        assert spec.layers[0].count_include_pad is True  # type: ignore[attr-defined]


def test_keras_and_numpy_refuse_ignored_padding_by_name() -> None:
    spec = cnncalc.load(pool("maxpool2d", 112, 3, 2, 1, count_include_pad=False))
    with pytest.raises(
        CnncalcError,
        match=r"Keras has no MaxPooling2D that ignores explicit padding \(count_include_pad: false",
    ):
        keras_layers(spec.layers[0], spec.data_format, spec.input)
    from cnncalc.backends.numpy.model import NumpyModel

    with pytest.raises(CnncalcError, match=r"cannot run MaxPooling2D with count_include_pad: false"):
        NumpyModel(spec)


def test_keras_and_numpy_refuse_ceil_mode_by_name() -> None:
    spec = cnncalc.load(pool("maxpool2d", 112, 3, 2, 0, ceil_mode=True))
    with pytest.raises(
        CnncalcError, match=r"Keras has no ceil_mode for MaxPooling2D \(layer max_pooling2d\)"
    ):
        keras_layers(spec.layers[0], spec.data_format, spec.input)
    from cnncalc.backends.numpy.model import NumpyModel

    with pytest.raises(CnncalcError, match=r"cannot run MaxPooling2D with ceil_mode \(max_pooling2d\)"):
        NumpyModel(spec)


@pytest.mark.torch
@settings(max_examples=300, deadline=None)
@given(
    size=st.integers(1, 40),
    pool_size=st.integers(1, 6),
    strides=st.integers(1, 4),
    padding=st.integers(0, 3),
    ceil_mode=st.booleans(),
    average=st.booleans(),
)
def test_pool_sizes_match_pytorch(
    torch: ModuleType, size: int, pool_size: int, strides: int, padding: int, ceil_mode: bool, average: bool
) -> None:
    padding = min(padding, pool_size // 2)  # PyTorch's rule: at most half the window
    kind = "avgpool2d" if average else "maxpool2d"
    options = {"ceil_mode": ceil_mode, "count_include_pad": average}
    analysis = cnncalc.analyze(pool(kind, size, pool_size, strides, padding, **options))
    function = torch.nn.functional.avg_pool2d if average else torch.nn.functional.max_pool2d
    try:
        expected = function(
            torch.zeros(1, 2, size, size), pool_size, strides, padding, ceil_mode=ceil_mode
        ).shape
    except RuntimeError:
        assert [d.code for d in analysis.errors] == ["CNN101"]
    else:
        assert analysis.layers[0].output_shape == (expected[2], expected[3], 2)


# Adaptive pooling. Keras 3.15 built each of these by hand (AdaptiveAveragePooling2D and
# AdaptiveMaxPooling2D, both data formats): the output is output_size whatever the input, 0 parameters,
# larger than the input included.
ADAPTIVE = [
    ((13, 11), (6, 6)),
    ((13, 11), (7, 5)),
    ((13, 11), (1, 1)),
    ((13, 11), (13, 11)),
    ((13, 11), (20, 3)),
]


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("kind", ["adaptiveavgpool2d", "adaptivemaxpool2d"])
@pytest.mark.parametrize(("size", "output_size"), ADAPTIVE)
def test_adaptive_pools_give_their_output_size(
    data_format: str, kind: str, size: tuple[int, int], output_size: tuple[int, int]
) -> None:
    first = data_format == "channels_first"
    spec = {
        "input": [4, *size] if first else [*size, 4],
        "data_format": data_format,
        "layers": [{"type": kind, "output_size": list(output_size)}],
    }
    record = cnncalc.analyze(spec).layers[0]
    assert record.output_shape == ((4, *output_size) if first else (*output_size, 4))
    assert record.params == 0


def test_adaptive_pool_windows_are_a_pools_where_the_size_divides() -> None:
    # torchvision's VGG: AdaptiveAvgPool2d((7, 7)) on 14×14 averages 2×2 windows with stride 2
    spec = {"input": [14, 14, 512], "layers": [{"type": "adaptiveavgpool2d", "output_size": 7}]}
    record = cnncalc.analyze(spec).layers[0]
    assert record.windows is not None
    assert [(w.kernel, w.strides, w.output) for w in record.windows] == [(2, 2, 7), (2, 2, 7)]
    assert record.receptive_field is not None
    assert record.receptive_field.size == (2, 2)
    # 13 → 6: window i covers cells ⌊13i/6⌋ to ⌈13(i + 1)/6⌉ − 1, three cells each here
    uneven = cnncalc.analyze(
        {"input": [13, 13, 8], "layers": [{"type": "adaptiveavgpool2d", "output_size": 6}]}
    )
    field = uneven.layers[0].receptive_field
    assert field is not None
    assert field.rows.cells == ((0, 2), (2, 4), (4, 6), (6, 8), (8, 10), (10, 12))
    assert field.rows.shift == 13  # the next six windows would start 13 cells on


def test_adaptive_pools_need_a_feature_map() -> None:
    spec = {"input": [10], "layers": [{"type": "adaptiveavgpool2d", "output_size": 2}]}
    assert [d.code for d in cnncalc.analyze(spec).errors] == ["CNN104"]


@pytest.mark.keras
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_adaptive_pools_match_keras(keras: ModuleType, data_format: str) -> None:
    for size, output_size in ADAPTIVE:
        shape = (4, *size) if data_format == "channels_first" else (*size, 4)
        for kind, cls in (
            ("adaptiveavgpool2d", keras.layers.AdaptiveAveragePooling2D),
            ("adaptivemaxpool2d", keras.layers.AdaptiveMaxPooling2D),
        ):
            model = keras.Sequential([keras.Input(shape), cls(output_size, data_format=data_format)])
            spec = {
                "input": list(shape),
                "data_format": data_format,
                "layers": [{"type": kind, "output_size": list(output_size)}],
            }
            record = cnncalc.analyze(spec).layers[0]
            assert record.output_shape == tuple(model.output_shape[1:])
            assert record.params == model.count_params() == 0


@pytest.mark.torch
def test_adaptive_pools_match_pytorch(torch: ModuleType) -> None:
    for size, output_size in ADAPTIVE:
        for function in (torch.nn.functional.adaptive_avg_pool2d, torch.nn.functional.adaptive_max_pool2d):
            expected = function(torch.zeros(1, 4, *size), output_size).shape
            spec = {
                "input": [4, *size],
                "data_format": "channels_first",
                "layers": [{"type": "adaptiveavgpool2d", "output_size": list(output_size)}],
            }
            assert cnncalc.analyze(spec).layers[0].output_shape == tuple(expected[1:])


def test_adaptive_pool_cost_reads_each_window() -> None:
    """13 → 6 along each axis: windows of 3 cells (0–2, 2–4, ..., 10–12), 6·3 = 18 reads per axis, so
    18·18 = 324 reads per channel; an average adds and divides them (324 operations), a maximum
    compares 9 values per output with 8 comparisons (324 − 36)."""
    for kind, operations in (("adaptiveavgpool2d", 324), ("adaptivemaxpool2d", 324 - 36)):
        spec = {"input": [13, 13, 2], "layers": [{"type": kind, "output_size": 6}]}
        cost = cnncalc.analyze(spec).layers[0].cost
        assert cost is not None
        assert (cost.connections, cost.other, cost.macs) == (2 * 324, 2 * operations, 0)

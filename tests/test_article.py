"""Every worked example of the article, through the public API, with the values written by hand."""

from __future__ import annotations

from pathlib import Path

import cnncalc


def conv(filters: int, kernel: int, **extra: object) -> dict[str, object]:
    return {"type": "conv2d", "filters": filters, "kernel_size": kernel, **extra}


def test_two_3x3x3_filters_on_a_6x6x3_image_give_4x4x2_and_56_params() -> None:
    # (6 − 3 + 0)/1 + 1 = 4; params 3·3·3·2 + 2 = 56
    spec = {"input": [6, 6, 3], "layers": [conv(2, 3)]}
    cnncalc.assert_output_shape(spec, "conv2d", (4, 4, 2))
    cnncalc.assert_params(spec, "conv2d", 56)
    assert cnncalc.conv_params(3, 3, 2) == 56


def test_3x3_kernel_on_6x6_valid_same_and_padding_1() -> None:
    assert cnncalc.conv_output_size(6, 3) == 4  # (6 − 3)/1 + 1
    assert cnncalc.conv_output_size(6, 3, padding=1) == 6  # (6 − 3 + 2)/1 + 1
    assert cnncalc.conv_output_size(6, 3, padding="same") == 6
    assert cnncalc.conv_output_size(6, 3, padding="valid") == 4


def test_ten_valid_5x5_convolutions_shrink_500_to_460() -> None:
    # each valid 5×5 convolution removes 4 pixels: 500 − 10·4 = 460
    spec = {"input": [500, 500, 3], "layers": [conv(4, 5) for _ in range(10)]}
    assert cnncalc.analyze(spec).output_shape == (460, 460, 4)


def test_max_and_average_pooling_6x6_by_2x2_stride_2_give_3x3() -> None:
    assert cnncalc.pool_output_size(6, 2, strides=2) == 3  # (6 − 2)/2 + 1
    for pool in ("maxpool2d", "avgpool2d"):
        spec = {"input": [6, 6, 1], "layers": [{"type": pool, "pool_size": 2, "strides": 2}]}
        assert cnncalc.analyze(spec).output_shape == (3, 3, 1)


def test_32x32x3_conv_6_5x5_then_pool_gives_28x28x6_then_14x14x6() -> None:
    spec = {"input": [32, 32, 3], "layers": [conv(6, 5), {"type": "maxpool2d", "pool_size": 2}]}
    cnncalc.assert_output_shape(spec, "conv2d", (28, 28, 6))
    cnncalc.assert_output_shape(spec, "max_pooling2d", (14, 14, 6))


def test_lenet5_has_61706_parameters(examples: Path) -> None:
    # 156 + 2,416 + 48,120 + 10,164 + 850, as in the paper's C1, C3, F5 (as dense on 400), F6, output
    path = examples / "lenet5.yaml"
    expected = {"conv2d": 156, "conv2d_1": 2_416, "dense": 48_120, "dense_1": 10_164, "dense_2": 850}
    for layer, params in expected.items():
        cnncalc.assert_params(path, layer, params)
    cnncalc.assert_total_params(path, 61_706)
    cnncalc.assert_output_shape(path, "average_pooling2d_1", (5, 5, 16))


def test_article_cnn_has_93286_parameters(examples: Path) -> None:
    path = examples / "article_cnn.yaml"
    analysis = cnncalc.analyze(path)
    params = [record.params for record in analysis.layers if record.params]
    # 5·5·1·10+10, 5·5·10·16+16, 3·3·16·64+64, (3·3·64+1)·120, (120+1)·80, (80+1)·10
    assert params == [260, 4_016, 9_280, 69_240, 9_680, 810]
    assert analysis.total_params == 93_286
    cnncalc.assert_output_shape(path, "max_pooling2d_2", (3, 3, 64))


def test_image_sizes_in_values() -> None:
    assert cnncalc.tensor_size((16, 16, 3)) == 768
    assert cnncalc.tensor_size((1200, 800, 3)) == 2_880_000

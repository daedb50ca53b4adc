"""Conv2D kernels against a loop oracle, hand arithmetic, finite differences and Keras."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from cnncalc.backends.numpy.im2col import Padding2D, PadMode
from cnncalc.backends.numpy.kernels import conv
from cnncalc.backends.numpy.kernels.conv import conv2d_backward, conv2d_forward
from tests.backends.numpy.numpy_backend_testing import NP_PAD_MODE, check_gradients, internal, nhwc


@dataclass(frozen=True)
class ConvCase:
    channels: int
    size: tuple[int, int]
    kernel_size: tuple[int, int]
    filters: int
    strides: tuple[int, int] = (1, 1)
    dilation: tuple[int, int] = (1, 1)
    padding: Padding2D = ((0, 0), (0, 0))
    groups: int = 1

    def options(self, mode: PadMode = "zeros") -> dict[str, Any]:
        return {
            "strides": self.strides,
            "dilation": self.dilation,
            "padding": self.padding,
            "pad_mode": mode,
            "groups": self.groups,
        }


def naive_conv2d(
    x: np.ndarray, kernel: np.ndarray, bias: np.ndarray, case: ConvCase, mode: PadMode
) -> np.ndarray:
    """The oracle, in Keras' public layout: x ``(N, H, W, C)`` → ``(N, Ho, Wo, F)``."""
    xp = np.pad(x, ((0, 0), *case.padding, (0, 0)), mode=NP_PAD_MODE[mode])  # type: ignore[call-overload]
    batch, height, width, _ = xp.shape
    kh, kw, cg, filters = kernel.shape
    (sh, sw), (dh, dw) = case.strides, case.dilation
    out_h = (height - dh * (kh - 1) - 1) // sh + 1
    out_w = (width - dw * (kw - 1) - 1) // sw + 1
    fg = filters // case.groups
    y = np.zeros((batch, out_h, out_w, filters))
    for n in range(batch):
        for r in range(out_h):
            for c in range(out_w):
                for f in range(filters):
                    g = f // fg
                    patch = xp[
                        n,
                        r * sh : r * sh + dh * (kh - 1) + 1 : dh,
                        c * sw : c * sw + dw * (kw - 1) + 1 : dw,
                        g * cg : (g + 1) * cg,
                    ]
                    y[n, r, c, f] = np.sum(patch * kernel[:, :, :, f]) + bias[f]
    return y


def keras_same_padding(size: int, kernel: int, stride: int, dilation: int) -> tuple[int, int]:
    """TensorFlow's SAME split: out = ceil(in / s), the odd cell goes to the bottom/right."""
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + dilation * (kernel - 1) + 1 - size, 0)
    return total // 2, total - total // 2


CASES = [
    ConvCase(1, (6, 6), (3, 3), 2),
    ConvCase(3, (7, 6), (2, 3), 4, strides=(2, 1), padding=((1, 0), (2, 1))),
    ConvCase(2, (8, 7), (3, 2), 3, strides=(1, 2), dilation=(2, 1), padding=((2, 1), (0, 1))),
    ConvCase(4, (7, 7), (3, 3), 6, strides=(2, 2), padding=((1, 1), (1, 1)), groups=2),
    ConvCase(4, (6, 5), (2, 2), 4, dilation=(2, 2), padding=((1, 2), (2, 0)), groups=4),
]


@pytest.mark.parametrize("mode", ["zeros", "replicate", "reflect"])
@pytest.mark.parametrize("case", CASES, ids=repr)
def test_conv2d_forward_matches_loops(mode: PadMode, case: ConvCase, rng: np.random.Generator) -> None:
    x = rng.standard_normal((3, *case.size, case.channels)).astype(np.float32)
    kernel = rng.standard_normal((*case.kernel_size, case.channels // case.groups, case.filters)).astype(
        np.float32
    )
    bias = rng.standard_normal(case.filters).astype(np.float32)
    y, _ = conv2d_forward(internal(x), kernel, bias, **case.options(mode))
    assert y.dtype == np.float32
    expected = naive_conv2d(x, kernel, bias, case, mode)
    np.testing.assert_allclose(nhwc(y), expected, rtol=1e-5, atol=1e-5)


def test_conv2d_by_hand() -> None:
    # 3x3 image 1..9, 2x2 kernel [[1, 0], [0, -1]], bias 0.5: y = x[r, c] - x[r+1, c+1] + 0.5.
    image = np.arange(1.0, 10.0).reshape(1, 3, 3, 1)
    kernel = np.array([[1.0, 0.0], [0.0, -1.0]]).reshape(2, 2, 1, 1)
    y, _ = conv2d_forward(image, kernel, np.array([0.5]))
    assert y.reshape(2, 2).tolist() == [[1 - 5 + 0.5, 2 - 6 + 0.5], [4 - 8 + 0.5, 5 - 9 + 0.5]]
    # Two groups of one channel each: filter 0 sees channel 0 only, filter 1 channel 1 only.
    two = np.stack([np.ones((2, 2)), 10 * np.ones((2, 2))]).reshape(2, 2, 2, 1)
    ones = np.ones((2, 2, 1, 2))
    y, _ = conv2d_forward(two, ones, None, groups=2)
    assert y.ravel().tolist() == [4.0, 40.0]


def test_conv2d_rejects_groups_that_do_not_divide() -> None:
    with pytest.raises(ValueError, match="groups=2"):
        conv2d_forward(np.zeros((3, 4, 4, 1)), np.zeros((3, 3, 1, 4)), None, groups=2)


@pytest.mark.parametrize("mode", ["zeros", "replicate", "reflect"])
@pytest.mark.parametrize("case", CASES, ids=repr)
def test_conv2d_backward_by_finite_differences(
    mode: PadMode, case: ConvCase, rng: np.random.Generator
) -> None:
    x = rng.standard_normal((case.channels, *case.size, 2))
    kernel = rng.standard_normal((*case.kernel_size, case.channels // case.groups, case.filters))
    bias = rng.standard_normal(case.filters)

    def forward() -> np.ndarray:
        return conv2d_forward(x, kernel, bias, **case.options(mode))[0]

    def backward(dy: np.ndarray) -> dict[str, np.ndarray]:
        _, cache = conv2d_forward(x, kernel, bias, **case.options(mode))
        dx, dkernel, dbias = conv2d_backward(dy, cache)
        _, dkernel_only, _ = conv2d_backward(dy, cache, need_dx=False)
        np.testing.assert_array_equal(dkernel_only, dkernel)
        assert dx is not None
        return {"x": dx, "kernel": dkernel, "bias": dbias}

    check_gradients(forward, backward, {"x": x, "kernel": kernel, "bias": bias}, rng)


def test_conv2d_skips_dx_when_not_needed(rng: np.random.Generator) -> None:
    x = rng.standard_normal((1, 5, 5, 2))
    _, cache = conv2d_forward(x, rng.standard_normal((3, 3, 1, 2)), None)
    dx, _, _ = conv2d_backward(rng.standard_normal((2, 3, 3, 2)), cache, need_dx=False)
    assert dx is None


KERAS_CASES = [
    # Keras-style padding strings; the engine resolves "same" to explicit pads like below.
    (ConvCase(3, (9, 7), (4, 4), 4, strides=(2, 2)), "same"),  # even kernel, stride 2, odd sizes
    (ConvCase(2, (8, 9), (2, 3), 3, strides=(2, 3)), "same"),
    (ConvCase(2, (10, 9), (3, 3), 3, dilation=(2, 3)), "same"),
    (ConvCase(2, (9, 9), (3, 3), 3, dilation=(2, 2)), "valid"),
    (ConvCase(4, (7, 8), (3, 3), 6, groups=2), "same"),
    (ConvCase(6, (8, 8), (3, 2), 6, strides=(2, 2), groups=3), "valid"),
    (ConvCase(1, (32, 32), (5, 5), 6), "valid"),  # LeNet-5 C1
]


@pytest.mark.keras
@pytest.mark.parametrize(("case", "padding"), KERAS_CASES, ids=repr)
def test_conv2d_forward_matches_keras(
    keras: ModuleType, case: ConvCase, padding: str, rng: np.random.Generator
) -> None:
    layer = keras.layers.Conv2D(
        case.filters,
        case.kernel_size,
        strides=case.strides,
        dilation_rate=case.dilation,
        groups=case.groups,
        padding=padding,
    )
    x = rng.standard_normal((2, *case.size, case.channels)).astype(np.float32)
    layer.build(x.shape)
    kernel = rng.standard_normal(layer.kernel.shape).astype(np.float32)
    bias = rng.standard_normal(case.filters).astype(np.float32)
    layer.set_weights([kernel, bias])
    expected = np.asarray(layer(x))
    if padding == "same":
        explicit = tuple(
            keras_same_padding(case.size[a], case.kernel_size[a], case.strides[a], case.dilation[a])
            for a in (0, 1)
        )
        case = replace(case, padding=explicit)  # type: ignore[arg-type]
    y, _ = conv2d_forward(internal(x), kernel, bias, **case.options())
    assert nhwc(y).shape == expected.shape
    np.testing.assert_allclose(nhwc(y), expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("case", [CASES[1], CASES[3]], ids=repr)
def test_conv2d_matmul_blocks_do_not_change_results(
    case: ConvCase, rng: np.random.Generator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Slabs of 400 bytes (a few columns): many, the last one ragged (elsewhere these layers are
    # multiplied whole).
    monkeypatch.setattr(conv, "MATMUL_SLAB_BYTES", 400)
    monkeypatch.setattr(conv, "MATMUL_MIN_SLAB", 1)
    assert len(conv._column_blocks(100, 12, 4)) == 13  # 8 columns a slab
    test_conv2d_forward_matches_loops("reflect", case, rng)
    test_conv2d_backward_by_finite_differences("zeros", case, rng)

"""Padding, im2col and col2im against numpy.pad, loops and hand-written arithmetic."""

from __future__ import annotations

import numpy as np
import pytest

from cnncalc.backends.numpy.im2col import (
    Padding2D,
    PadMode,
    col2im,
    im2col,
    pad2d,
    pad2d_backward,
    window_output_size,
)
from tests.backends.numpy.numpy_backend_testing import NP_PAD_MODE, check_gradients

MODES: list[PadMode] = ["zeros", "replicate", "reflect"]
PADDINGS: list[Padding2D] = [((0, 0), (0, 0)), ((1, 2), (0, 1)), ((2, 0), (3, 1)), ((1, 1), (1, 1))]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("padding", PADDINGS)
def test_pad2d_matches_numpy_pad(mode: PadMode, padding: Padding2D) -> None:
    x = np.arange(2 * 4 * 5 * 3, dtype=np.float32).reshape(2, 4, 5, 3)
    expected = np.pad(x, ((0, 0), *padding, (0, 0)), mode=NP_PAD_MODE[mode])  # type: ignore[call-overload]
    np.testing.assert_array_equal(pad2d(x, padding, mode), expected)


def test_pad2d_by_hand() -> None:
    # One channel, one sample; the row [1 2 3] padded by 2 on the left, 1 on the right.
    row = np.array([1.0, 2.0, 3.0]).reshape(1, 1, 3, 1)
    padding = ((0, 0), (2, 1))
    assert pad2d(row, padding, "zeros").ravel().tolist() == [0, 0, 1, 2, 3, 0]
    assert pad2d(row, padding, "replicate").ravel().tolist() == [1, 1, 1, 2, 3, 3]
    assert pad2d(row, padding, "reflect").ravel().tolist() == [3, 2, 1, 2, 3, 2]


def test_reflect_padding_must_be_smaller_than_the_side() -> None:
    x = np.zeros((1, 3, 3, 1))
    with pytest.raises(ValueError, match="smaller than the side"):
        pad2d(x, ((3, 0), (0, 0)), "reflect")


def test_unknown_mode_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown padding mode"):
        pad2d(np.zeros((1, 3, 3, 1)), ((1, 1), (1, 1)), "wrap")  # type: ignore[arg-type]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("padding", [((1, 2), (2, 1)), ((2, 2), (0, 2)), ((0, 1), (1, 0))])
def test_pad2d_backward_by_finite_differences(
    mode: PadMode, padding: Padding2D, rng: np.random.Generator
) -> None:
    x = rng.standard_normal((2, 3, 4, 2))
    check_gradients(
        lambda: pad2d(x, padding, mode),
        lambda dy: {"x": pad2d_backward(dy, padding, mode)},
        {"x": x},
        rng,
    )


def test_replicate_backward_by_hand() -> None:
    # [a b c] replicated by 2 left and 1 right: a appears 3 times, c twice.
    dy = np.array([1.0, 10.0, 100.0, 1000.0, 10000.0, 100000.0]).reshape(1, 1, 6, 1)
    dx = pad2d_backward(dy, ((0, 0), (2, 1)), "replicate")
    assert dx.ravel().tolist() == [111.0, 1000.0, 110000.0]
    # reflect: padded = [c b a b c b]: a gets 100, b 10 + 1000 + 100000, c 1 + 10000.
    dx = pad2d_backward(dy, ((0, 0), (2, 1)), "reflect")
    assert dx.ravel().tolist() == [100.0, 101010.0, 10001.0]


def naive_im2col(
    xp: np.ndarray, kernel: tuple[int, int], strides: tuple[int, int], dilation: tuple[int, int]
) -> np.ndarray:
    channels, height, width, batch = xp.shape
    (kh, kw), (sh, sw), (dh, dw) = kernel, strides, dilation
    out_h = (height - dh * (kh - 1) - 1) // sh + 1
    out_w = (width - dw * (kw - 1) - 1) // sw + 1
    cols = np.zeros((channels, kh, kw, out_h, out_w, batch), xp.dtype)
    for c in range(channels):
        for i in range(kh):
            for j in range(kw):
                for y in range(out_h):
                    for x in range(out_w):
                        cols[c, i, j, y, x] = xp[c, i * dh + y * sh, j * dw + x * sw]
    return cols


@pytest.mark.parametrize(
    ("kernel", "strides", "dilation"),
    [
        ((3, 3), (1, 1), (1, 1)),
        ((2, 3), (2, 1), (1, 1)),
        ((3, 2), (1, 2), (2, 1)),
        ((2, 2), (3, 2), (2, 2)),
    ],
)
def test_im2col_matches_loops_and_col2im_is_its_adjoint(
    kernel: tuple[int, int],
    strides: tuple[int, int],
    dilation: tuple[int, int],
    rng: np.random.Generator,
) -> None:
    xp = rng.standard_normal((2, 8, 7, 3))
    cols = im2col(xp, kernel, strides, dilation)
    np.testing.assert_array_equal(cols, naive_im2col(xp, kernel, strides, dilation))
    buffer = np.empty_like(cols)
    assert im2col(xp, kernel, strides, dilation, out=buffer) is buffer
    np.testing.assert_array_equal(buffer, cols)
    # <im2col(x), g> == <x, col2im(g)> for any g: col2im is the adjoint (the backward).
    g = rng.standard_normal(cols.shape)
    back = col2im(g, (8, 7), strides, dilation)
    assert np.vdot(cols, g) == pytest.approx(np.vdot(xp, back), rel=1e-12)


def test_window_output_size_by_hand() -> None:
    assert window_output_size(32, 5, 1) == 28  # LeNet-5 C1
    assert window_output_size(28, 2, 2) == 14  # S2
    assert window_output_size(9, 3, 2, dilation=2) == 3  # span 5: windows start at 0, 2, 4
    with pytest.raises(ValueError, match="does not fit"):
        window_output_size(4, 3, 1, dilation=2)

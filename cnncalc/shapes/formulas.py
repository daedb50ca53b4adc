"""The arithmetic of convolutional layers, as small pure functions on Python ints (no overflow).

These are the numbers Keras computes when it builds a layer; the shape engine and the public API
both use them. Parameter counts are sums of products of weight shapes, as Keras counts them.
"""

from __future__ import annotations

from math import prod
from typing import Literal, TypeAlias

Padding: TypeAlias = int | tuple[int, int] | Literal["valid", "same"]
"""``valid``, ``same``, ``p`` on both sides, or ``(before, after)``."""
IntOrPair: TypeAlias = int | tuple[int, int]


def effective_kernel_size(kernel_size: int, dilation_rate: int = 1) -> int:
    """The span of a dilated kernel: ``d·(K − 1) + 1``.

    >>> effective_kernel_size(3, dilation_rate=2)
    5
    """
    return dilation_rate * (kernel_size - 1) + 1


def same_padding(size: int, kernel_size: int, strides: int = 1, dilation_rate: int = 1) -> tuple[int, int]:
    """Keras' ``same`` padding as ``(before, after)``: an odd total puts the extra cell after.

    >>> same_padding(28, 5)
    (2, 2)
    >>> same_padding(7, 4, strides=2)
    (1, 2)
    """
    output = -(-size // strides)
    total = max((output - 1) * strides + effective_kernel_size(kernel_size, dilation_rate) - size, 0)
    return total // 2, total - total // 2


def window_output_size(size: int, window: int, strides: int, pad_before: int, pad_after: int) -> int:
    """``⌊(I + p_before + p_after − K) / S⌋ + 1`` for a window of span ``K``; below 1 if it cannot fit.

    >>> window_output_size(7, 2, 2, 0, 0)
    3
    """
    return (size + pad_before + pad_after - window) // strides + 1


def ceil_window_output_size(size: int, window: int, strides: int, pad_before: int, pad_after: int) -> int:
    """Windows with ``ceil_mode`` (PyTorch, ONNX Runtime): ``⌈(I + p_before + p_after − K) / S⌉ + 1``, less
    one if the last window would start past the input and its leading padding; below 1 if none fits.

    >>> ceil_window_output_size(112, 3, 2, 0, 0), ceil_window_output_size(5, 2, 2, 1, 1)
    (56, 3)
    """
    output = -(-(size + pad_before + pad_after - window) // strides) + 1
    if (output - 1) * strides >= size + pad_before:
        output -= 1
    return output


def adaptive_windows(size: int, output: int) -> list[tuple[int, int]]:
    """The first and last input cell of each of ``output`` adaptive-pooling windows over ``size``
    cells: window ``i`` covers ``⌊i·I/O⌋`` to ``⌈(i + 1)·I/O⌉ − 1`` (PyTorch's and Keras 3's rule).

    >>> adaptive_windows(13, 6)
    [(0, 2), (2, 4), (4, 6), (6, 8), (8, 10), (10, 12)]
    >>> adaptive_windows(2, 3)
    [(0, 0), (0, 1), (1, 1)]
    """
    return [(i * size // output, -(-(i + 1) * size // output) - 1) for i in range(output)]


def transposed_output_size(
    size: int,
    kernel_size: int,
    strides: int = 1,
    padding: Literal["valid", "same"] = "valid",
    *,
    output_padding: int | None = None,
    dilation_rate: int = 1,
) -> int:
    """Output size of a transposed convolution along one axis, as Keras 3 computes it (``K`` the
    dilated kernel span): ``valid`` gives ``(I − 1)·S + max(K, S)``, ``same`` gives ``I·S``; with
    ``output_padding`` ``P``: ``(I − 1)·S + K + P`` (``valid``) or ``(I − 1)·S + K mod 2 + P`` (``same``).
    Below 1 when nothing fits.

    >>> transposed_output_size(7, 3, 2), transposed_output_size(7, 3, 2, "same")
    (15, 14)
    >>> transposed_output_size(7, 3, 2, "same", output_padding=1)
    14
    >>> transposed_output_size(1, 2, 2, "same", output_padding=0)
    0
    """
    span = effective_kernel_size(kernel_size, dilation_rate)
    if output_padding is None:
        return (size - 1) * strides + max(span, strides) if padding == "valid" else size * strides
    return (size - 1) * strides + (span if padding == "valid" else span % 2) + output_padding


def resolve_padding(
    padding: Padding, size: int, kernel_size: int, strides: int = 1, dilation_rate: int = 1
) -> tuple[int, int]:
    """Any padding form as ``(before, after)`` cells.

    >>> resolve_padding("valid", 28, 5), resolve_padding(2, 28, 5), resolve_padding("same", 6, 2)
    ((0, 0), (2, 2), (0, 1))
    """
    if padding == "same":
        return same_padding(size, kernel_size, strides, dilation_rate)
    if padding == "valid":
        return 0, 0
    if isinstance(padding, int):
        return padding, padding
    if isinstance(padding, tuple) and len(padding) == 2:
        return padding
    raise ValueError(f"padding must be 'valid', 'same', an int or (before, after); got {padding!r}")


def conv_output_size(
    size: int,
    kernel_size: int,
    strides: int = 1,
    padding: Padding = 0,
    dilation_rate: int = 1,
) -> int:
    """Output size of a convolution along one axis: ``⌊(I + 2p − d·(K − 1) − 1) / S⌋ + 1``.

    ``same`` gives ``⌈I / S⌉``, as Keras. Raises ``ValueError`` when the kernel cannot fit.

    >>> conv_output_size(6, 3), conv_output_size(6, 3, padding=1), conv_output_size(6, 3, padding="same")
    (4, 6, 6)
    >>> conv_output_size(28, 5, strides=2, padding="same")
    14
    """
    _require_positive(size=size, kernel_size=kernel_size, strides=strides, dilation_rate=dilation_rate)
    if padding == "same":
        return -(-size // strides)
    before, after = resolve_padding(padding, size, kernel_size, strides, dilation_rate)
    span = effective_kernel_size(kernel_size, dilation_rate)
    output = window_output_size(size, span, strides, before, after)
    if output < 1:
        raise ValueError(
            f"a kernel spanning {span} does not fit an input of {size} padded by {before}+{after}"
        )
    return output


def pool_output_size(
    size: int, pool_size: int, strides: int | None = None, padding: Padding = "valid"
) -> int:
    """Output size of a pooling window along one axis; ``strides`` default to ``pool_size``.

    >>> pool_output_size(6, 2), pool_output_size(7, 2), pool_output_size(7, 2, padding="same")
    (3, 3, 4)
    """
    return conv_output_size(size, pool_size, strides or pool_size, padding)


def conv_weight_shapes(
    kernel_size: IntOrPair, in_channels: int, filters: int, groups: int = 1, use_bias: bool = True
) -> list[tuple[int, ...]]:
    """Keras' weight shapes of a Conv2D: ``(K_h, K_w, C_in/groups, C_out)`` and ``(C_out,)``.

    >>> conv_weight_shapes(5, 1, 6)
    [(5, 5, 1, 6), (6,)]
    """
    kh, kw = as_pair(kernel_size)
    if in_channels % groups or filters % groups:
        raise ValueError(f"groups={groups} must divide in_channels={in_channels} and filters={filters}")
    kernel = (kh, kw, in_channels // groups, filters)
    return [kernel, (filters,)] if use_bias else [kernel]


def conv_params(
    kernel_size: IntOrPair, in_channels: int, filters: int, groups: int = 1, use_bias: bool = True
) -> int:
    """Parameters of a Conv2D: ``K_h·K_w·(C_in/groups)·C_out (+ C_out)``.

    >>> conv_params(3, 3, 2)
    56
    """
    return sum(prod(s) for s in conv_weight_shapes(kernel_size, in_channels, filters, groups, use_bias))


def dense_weight_shapes(fan_in: int, units: int, use_bias: bool = True) -> list[tuple[int, ...]]:
    """Keras' weight shapes of a Dense layer: ``(fan_in, units)`` and ``(units,)``.

    >>> dense_weight_shapes(400, 120)
    [(400, 120), (120,)]
    """
    return [(fan_in, units), (units,)] if use_bias else [(fan_in, units)]


def dense_params(fan_in: int, units: int, use_bias: bool = True) -> int:
    """Parameters of a Dense layer: ``(fan_in + 1)·units`` (``fan_in·units`` without bias).

    >>> dense_params(400, 120)
    48120
    """
    return sum(prod(s) for s in dense_weight_shapes(fan_in, units, use_bias))


def batchnorm_params(channels: int) -> tuple[int, int]:
    """``(trainable, non_trainable)`` parameters of batch normalisation: ``γ, β`` and the moving
    mean and variance, ``C`` each.

    >>> batchnorm_params(16)
    (32, 32)
    """
    return 2 * channels, 2 * channels


def tensor_size(shape: tuple[int, ...] | list[int]) -> int:
    """The number of values in a tensor of this shape.

    >>> tensor_size((16, 16, 3)), tensor_size((1200, 800, 3))
    (768, 2880000)
    """
    return prod(shape)


def as_pair(value: IntOrPair) -> tuple[int, int]:
    """``n`` → ``(n, n)``; a pair stays a pair."""
    return (value, value) if isinstance(value, int) else (value[0], value[1])


def _require_positive(**values: int) -> None:
    for name, value in values.items():
        if value < 1:
            raise ValueError(f"{name} must be at least 1, got {value}")

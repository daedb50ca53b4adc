"""Merges: elementwise merges of several inputs (add, subtract, multiply, average, maximum, minimum)
with NumPy broadcasting, and concatenation along one axis.

The inputs come as views already lined up (see :func:`~.layout.broadcast_view`: a size-1 axis
where an input is stretched), all in the output's layout. The gradient of each input comes out
in the output's shape; :func:`~.layout.unbroadcast` sums it down to the input's own.

Every gradient returned is an array of its own, or a disjoint part of ``dy``: the caller may
write into each without touching the others (see :mod:`cnncalc.backends.numpy.graph`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, TypeAlias

import numpy as np

from cnncalc.backends.numpy.im2col import Array, Workspace, empty_from

__all__ = [
    "MergeOperation",
    "concatenate_backward",
    "concatenate_forward",
    "merge_backward",
    "merge_forward",
]

MergeOperation: TypeAlias = Literal["add", "subtract", "multiply", "average", "maximum", "minimum"]


def merge_forward(
    operation: MergeOperation, inputs: Sequence[Array], *, workspace: Workspace | None = None
) -> Array:
    """The merge of ``inputs`` (broadcast against each other) into one array: their sum, the
    first less the second, their product, mean, maximum or minimum, folded left to right as
    Keras does."""
    shape = np.broadcast_shapes(*(x.shape for x in inputs))
    y = empty_from(workspace, "merge_y", shape, inputs[0].dtype)
    first, second, *rest = inputs
    if operation in ("add", "average"):
        np.add(first, second, out=y)
        for x in rest:
            y += x
        if operation == "average":
            y /= len(inputs)
    elif operation == "subtract":
        np.subtract(first, second, out=y)
    elif operation == "multiply":
        np.multiply(first, second, out=y)
        for x in rest:
            y *= x
    else:
        fold = np.maximum if operation == "maximum" else np.minimum
        fold(first, second, out=y)
        for x in rest:
            fold(y, x, out=y)
    return y


def merge_backward(
    operation: MergeOperation,
    dy: Array,
    inputs: Sequence[Array],
    y: Array,
    need: Sequence[bool],
) -> list[Array | None]:
    """The gradient of each input (in the output's shape; None where not ``need``) given ``dy``,
    the inputs and the output ``y`` of :func:`merge_forward`.

    ``maximum`` and ``minimum`` send each value's gradient to the first input that holds the
    extreme: TensorFlow's ``maximum(a, b)`` gives ties to ``a``, and Keras folds left to right.
    """
    grads: list[Array | None] = []
    if operation in ("add", "subtract", "average"):
        given = False  # dy itself goes to the first input that needs it, copies to the others
        for index, needed in enumerate(need):
            if not needed:
                grads.append(None)
            elif operation == "average":
                grads.append(dy / len(inputs))
            elif operation == "subtract" and index == 1:
                grads.append(np.negative(dy))
            else:
                grads.append(dy.copy() if given else dy)
                given = True
        return grads
    if operation == "multiply":
        for index, needed in enumerate(need):
            if not needed:
                grads.append(None)
                continue
            others = [x for other, x in enumerate(inputs) if other != index]
            grad = dy * others[0]
            for x in others[1:]:
                grad *= x
            grads.append(grad)
        return grads
    claimed = np.zeros(y.shape, bool)
    for x, needed in zip(inputs, need, strict=True):
        wins = (x == y) & ~claimed
        claimed |= wins
        grads.append(dy * wins if needed else None)
    return grads


def concatenate_forward(inputs: Sequence[Array], axis: int, *, workspace: Workspace | None = None) -> Array:
    """The inputs joined along ``axis`` (every other axis equal)."""
    shape = list(inputs[0].shape)
    shape[axis] = sum(x.shape[axis] for x in inputs)
    y = empty_from(workspace, "concatenate_y", tuple(shape), inputs[0].dtype)
    np.concatenate(inputs, axis=axis, out=y)
    return y


def concatenate_backward(
    dy: Array, sizes: Sequence[int], axis: int, need: Sequence[bool]
) -> list[Array | None]:
    """``dy`` cut back into the inputs' parts along ``axis``: views of ``dy`` along axis 0 (each
    contiguous, and disjoint), copies along the others."""
    bounds = np.cumsum([0, *sizes])
    grads: list[Array | None] = []
    for start, stop, needed in zip(bounds[:-1], bounds[1:], need, strict=True):
        if not needed:
            grads.append(None)
            continue
        part = np.take(dy, np.arange(start, stop), axis=axis) if axis else dy[start:stop]
        grads.append(part)
    return grads

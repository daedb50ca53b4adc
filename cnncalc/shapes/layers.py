"""Shape inference by layer type: each type's function, chosen by a dict keyed on its spec class.

The functions live with their family (:mod:`~cnncalc.shapes.convolution`,
:mod:`~cnncalc.shapes.pointwise`, :mod:`~cnncalc.shapes.merges`); what they share is in
:mod:`~cnncalc.shapes.inference`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from cnncalc.shapes.convolution import SPATIAL
from cnncalc.shapes.inference import OUTPUT_TOO_SMALL, Inferred, ShapeError
from cnncalc.shapes.merges import MERGES
from cnncalc.shapes.pointwise import POINTWISE
from cnncalc.shapes.records import Shape
from cnncalc.shapes.text import format_shape
from cnncalc.spec.models import LAYER_TYPES, DataFormat, LayerBase

SINGLE: dict[type[LayerBase], Callable[[Any, Shape, DataFormat], Inferred]] = {**SPATIAL, **POINTWISE}
"""Shape inference of the layers that read one input."""

assert set(SINGLE) | set(MERGES) == set(LAYER_TYPES), "every layer type needs shape inference"


def infer(
    layer: LayerBase, shapes: Sequence[Shape], names: Sequence[str], data_format: DataFormat
) -> Inferred:
    """What ``layer`` does to inputs of ``shapes`` (batch axis excluded) from the layers ``names``."""
    single = SINGLE.get(type(layer))
    if single is None:
        return MERGES[type(layer)](layer, shapes, names, data_format)
    try:
        return single(layer, shapes[0], data_format)
    except ShapeError as error:
        error.hint = _channels_first_hint(error, shapes[0], data_format)
        raise


def _channels_first_hint(error: ShapeError, shape: Shape, data_format: DataFormat) -> str | None:
    """A window that does not fit a channels_first map whose channels look last, such as
    ``(28, 28, 1)``: say how the spec reads it before the usual hint."""
    if error.code != OUTPUT_TOO_SMALL or data_format != "channels_first" or len(shape) != 3:
        return error.hint
    if shape[2] >= shape[0]:
        return error.hint
    return (
        f"this spec is channels_first, so {format_shape(shape)} is {shape[0]} channels of "
        f"{shape[1]}×{shape[2]}; if the channels come last, set data_format: channels_last. "
        f"Otherwise: {error.hint}"
    )

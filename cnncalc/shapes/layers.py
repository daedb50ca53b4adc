"""Shape inference by layer type: each type's function, chosen by a dict keyed on its spec class.

The functions live with their family (:mod:`~cnncalc.shapes.convolution`,
:mod:`~cnncalc.shapes.pointwise`, :mod:`~cnncalc.shapes.merges`); what they share is in
:mod:`~cnncalc.shapes.inference`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from cnncalc.shapes.convolution import SPATIAL
from cnncalc.shapes.inference import Inferred
from cnncalc.shapes.merges import MERGES
from cnncalc.shapes.pointwise import POINTWISE
from cnncalc.shapes.records import Shape
from cnncalc.spec.models import LAYER_TYPES, DataFormat, LayerBase

SINGLE: dict[type[LayerBase], Callable[[Any, Shape, DataFormat], Inferred]] = {**SPATIAL, **POINTWISE}
"""Shape inference of the layers that read one input."""

assert set(SINGLE) | set(MERGES) == set(LAYER_TYPES), "every layer type needs shape inference"


def infer(
    layer: LayerBase, shapes: Sequence[Shape], names: Sequence[str], data_format: DataFormat
) -> Inferred:
    """What ``layer`` does to inputs of ``shapes`` (batch axis excluded) from the layers ``names``."""
    single = SINGLE.get(type(layer))
    if single is not None:
        return single(layer, shapes[0], data_format)
    return MERGES[type(layer)](layer, shapes, names, data_format)

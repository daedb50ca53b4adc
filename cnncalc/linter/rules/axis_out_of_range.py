"""CNN108 axis-out-of-range."""

from __future__ import annotations

from cnncalc.linter.rule import EngineError
from cnncalc.shapes.inference import AXIS_OUT_OF_RANGE


class AxisOutOfRange(EngineError):
    """A layer names an axis its input does not have.

    ## What it does
    Stops the analysis at a layer whose `axis` (or `shared_axes`) is not an axis of its input:
    `concatenate`, `softmax`, `layernorm`, `normalization`, `prelu`. Axes count as Keras counts
    them: the batch axis is 0, so a feature map has axes 1 to 3 (or −1 to −3), a vector only 1.

    ## Why is this bad?
    Keras refuses to build the model. Usually the axis was written for a feature map and the layer
    comes after a flatten, or counted without the batch axis.

    ## Example
    ```yaml
    input: [28, 28, 1]
    layers:
      - {type: flatten}
      - {type: layernorm, axis: 3}
    ```

    Use instead:

    ```yaml
    input: [28, 28, 1]
    layers:
      - {type: flatten}
      - {type: layernorm, axis: -1}
    ```

    ## How to fix
    Count the axis with the batch axis as 0, or use −1 for the last axis.
    """

    code = AXIS_OUT_OF_RANGE
    name = "axis-out-of-range"

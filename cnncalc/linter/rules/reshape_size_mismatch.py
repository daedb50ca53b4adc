"""CNN107 reshape-size-mismatch."""

from __future__ import annotations

from cnncalc.linter.rule import EngineError
from cnncalc.shapes.inference import RESHAPE_SIZE_MISMATCH


class ReshapeSizeMismatch(EngineError):
    """A reshape's target holds a different number of values than its input.

    ## What it does
    Stops the analysis at a `reshape` whose `target_shape` does not hold exactly as many values as
    its input, or whose one `-1` cannot be inferred because the other sizes do not divide the
    input's size.

    ## Why is this bad?
    Keras refuses to build the model: reshaping never adds or drops values.

    ## Example
    A 7×7×16 map has 784 values, not 7·7·32 = 1,568.

    ```yaml
    input: [7, 7, 16]
    layers:
      - {type: reshape, target_shape: [7, 7, 32]}
    ```

    Use instead:

    ```yaml
    input: [7, 7, 16]
    layers:
      - {type: reshape, target_shape: [49, -1]}
    ```

    ## How to fix
    Make the sizes multiply to the input's size, or let Keras infer one of them with `-1`.
    """

    code = RESHAPE_SIZE_MISMATCH
    name = "reshape-size-mismatch"

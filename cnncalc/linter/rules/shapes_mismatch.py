"""CNN106 shapes-mismatch."""

from __future__ import annotations

from cnncalc.linter.rule import EngineError
from cnncalc.shapes.inference import SHAPES_MISMATCH


class ShapesMismatch(EngineError):
    """Branches that merge have shapes that do not line up.

    ## What it does
    Stops the analysis at a merge (`add`, `subtract`, `multiply`, `average`, `maximum`, `minimum`)
    whose inputs do not broadcast as Keras broadcasts them (shapes lined up from the right, equal
    sizes or a size of 1), at a `concatenate` whose inputs differ on an axis other than the one it
    joins, at a `rescaling` or `normalization` whose list of values does not match the axis, and at a
    `dropout` whose `noise_shape` does not fit its input.
    The message names every branch and its shape.

    ## Why is this bad?
    Keras refuses to build the model. In a residual network it usually means the shortcut was not
    downsampled or projected where the main branch was.

    ## Example
    The main branch halves the map and doubles the channels; the shortcut does neither.

    ```yaml
    input: [56, 56, 64]
    layers:
      - {type: conv2d, name: conv, filters: 128, kernel_size: 3, strides: 2, padding: same}
      - {type: add, inputs: [input, conv]}
    ```

    Use instead:

    ```yaml
    input: [56, 56, 64]
    layers:
      - {type: conv2d, name: conv, filters: 128, kernel_size: 3, strides: 2, padding: same}
      - {type: conv2d, name: shortcut, filters: 128, kernel_size: 1, strides: 2, inputs: input}
      - {type: add, inputs: [shortcut, conv]}
    ```

    ## How to fix
    Give the shortcut the main branch's downsampling and channels (ResNet's projection shortcut: a
    1×1 convolution with the same strides), or crop, pad or resize one branch; the hint says which.
    """

    code = SHAPES_MISMATCH
    name = "shapes-mismatch"

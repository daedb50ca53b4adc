"""CNN104 needs-feature-map."""

from __future__ import annotations

from cnncalc.linter.rule import EngineError
from cnncalc.shapes.inference import NEEDS_FEATURE_MAP


class NeedsFeatureMap(EngineError):
    """A convolution or pooling layer comes after the feature map was flattened.

    ## What it does
    Stops the analysis at a `conv2d`, pooling, global pooling or `zeropad2d` layer whose input is a
    flat vector (after `flatten`, a global pooling or a dense layer on a flat input).

    ## Why is this bad?
    These layers slide a window over height and width; a vector has neither, and Keras raises
    when it builds the model.

    ## Example
    ```yaml
    input: [28, 28, 1]
    layers:
      - {type: flatten}
      - {type: conv2d, filters: 8, kernel_size: 3}
    ```

    Use instead:

    ```yaml
    input: [28, 28, 1]
    layers:
      - {type: conv2d, filters: 8, kernel_size: 3}
      - {type: flatten}
    ```

    ## How to fix
    Move the layer before the `flatten` (or global pooling) that removed the spatial axes.
    """

    code = NEEDS_FEATURE_MAP
    name = "needs-feature-map"

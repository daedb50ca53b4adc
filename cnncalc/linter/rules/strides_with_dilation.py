"""CNN103 strides-with-dilation."""

from __future__ import annotations

from cnncalc.linter.rule import EngineError
from cnncalc.shapes.inference import STRIDES_WITH_DILATION


class StridesWithDilation(EngineError):
    """A convolution sets both `strides` and `dilation_rate` above 1, which Keras does not allow.

    ## What it does
    Stops the analysis at a `conv2d` or `conv2dtranspose` with `strides` above 1 and `dilation_rate`
    above 1. (`depthwiseconv2d` and `separableconv2d` may have both: Keras 3 builds and runs them.)

    ## Why is this bad?
    Keras' `Conv2D` raises `ValueError` for this combination when the layer is created. A dilated
    kernel skips input cells inside each window, a stride skips windows; together they leave most of
    the input unseen, which is why frameworks refuse them.

    ## Example
    ```yaml
    input: [28, 28, 1]
    layers:
      - {type: conv2d, filters: 16, kernel_size: 3, strides: 2, dilation_rate: 2}
    ```

    Use instead:

    ```yaml
    input: [28, 28, 1]
    layers:
      - {type: conv2d, filters: 16, kernel_size: 3, dilation_rate: 2}
      - {type: maxpool2d, pool_size: 2}
    ```

    ## How to fix
    Keep the dilation and downsample with a pooling layer (or a strided layer) after it, or keep the
    stride and set `dilation_rate: 1`.
    """

    code = STRIDES_WITH_DILATION
    name = "strides-with-dilation"

"""CNN101 output-too-small."""

from __future__ import annotations

from cnncalc.linter.rule import EngineError
from cnncalc.shapes.inference import OUTPUT_TOO_SMALL


class OutputTooSmall(EngineError):
    """A kernel or pool window does not fit its input: the layer would have no output.

    ## What it does
    Stops the analysis at a convolution or pooling layer whose window, after padding, spans more
    than its input, so that `⌊(I + p_before + p_after − K)/S⌋ + 1` is below 1. The message shows that
    arithmetic with the layer's numbers.

    ## Why is this bad?
    The network cannot be built: Keras raises when it builds the model, after you have written the
    training script. Usually the layers before it shrink the feature map more than intended.

    ## Example
    LeNet-5 on raw 28×28 digits instead of the paper's 32×32: 28 → 24 → 12 → 8 → 4, and the third
    5×5 convolution does not fit the 4×4 map.

    ```yaml
    input: [28, 28, 1]
    layers:
      - {type: conv2d, filters: 6, kernel_size: 5, activation: tanh}
      - {type: avgpool2d, pool_size: 2}
      - {type: conv2d, filters: 16, kernel_size: 5, activation: tanh}
      - {type: avgpool2d, pool_size: 2}
      - {type: conv2d, filters: 120, kernel_size: 5, activation: tanh}
    ```

    Use instead:

    ```yaml
    input: [32, 32, 1]
    layers:
      - {type: conv2d, filters: 6, kernel_size: 5, activation: tanh}
      - {type: avgpool2d, pool_size: 2}
      - {type: conv2d, filters: 16, kernel_size: 5, activation: tanh}
      - {type: avgpool2d, pool_size: 2}
      - {type: conv2d, filters: 120, kernel_size: 5, activation: tanh}
    ```

    ## How to fix
    Pad the input (as the paper pads the digits to 32×32), use `padding: same` on an earlier layer,
    a smaller kernel or pool window, or less downsampling before the layer. `cnncalc solve` lists the
    strides, padding and dilation that take one size to another.
    """

    code = OUTPUT_TOO_SMALL
    name = "output-too-small"

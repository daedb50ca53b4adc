"""CNN105 reflect-padding-too-large."""

from __future__ import annotations

from cnncalc.linter.rule import EngineError
from cnncalc.shapes.inference import REFLECT_PADDING_TOO_LARGE


class ReflectPaddingTooLarge(EngineError):
    """Reflect padding is as wide as the feature map or wider: there is nothing left to mirror.

    ## What it does
    Stops the analysis at a layer with `padding_mode: reflect` whose padding on one side is at
    least the size of its input along that axis.

    ## Why is this bad?
    Reflect padding mirrors the map without repeating the edge cell, so `p` cells of padding need
    more than `p` cells of input; TensorFlow's `MirrorPad` and PyTorch's reflect padding refuse
    anything wider.

    ## Example
    ```yaml
    input: [8, 8, 1]
    layers:
      - {type: maxpool2d, pool_size: 4}
      - {type: conv2d, filters: 8, kernel_size: 5, padding: 2, padding_mode: reflect}
    ```

    Use instead:

    ```yaml
    input: [8, 8, 1]
    layers:
      - {type: maxpool2d, pool_size: 4}
      - {type: conv2d, filters: 8, kernel_size: 5, padding: 2, padding_mode: replicate}
    ```

    ## How to fix
    Use `padding_mode: replicate` (which repeats the edge cell and works at any size), less padding,
    or less downsampling before the layer.
    """

    code = REFLECT_PADDING_TOO_LARGE
    name = "reflect-padding-too-large"

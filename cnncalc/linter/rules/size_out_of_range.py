"""CNN117 size-out-of-range."""

from __future__ import annotations

from cnncalc.linter.rule import EngineError
from cnncalc.shapes.inference import SIZE_OUT_OF_RANGE


class SizeOutOfRange(EngineError):
    """A layer's output has a dimension of more than 1,000 digits, which cnncalc does not analyse.

    ## What it does
    Stops the analysis at a layer whose output shape has a dimension of more than 1,000 digits,
    saying about how many it has. Layers that multiply a size (upsampling, transposed convolutions,
    flatten) get there from sizes that are large already, or through hundreds of layers.

    ## Why is this bad?
    No network is that large, so the spec has a typo or a factor repeated too often. cnncalc's
    arithmetic is exact at any size, but numbers of thousands of digits take long to multiply and
    cannot be written out (Python refuses integers of more than 4,300 digits), so analysis stops
    here instead of hanging or failing later.

    ## Example
    400 upsamplings by 1,000 would take a 1×1 input to 10¹²⁰⁰ rows and columns; the 334th, at
    10¹⁰⁰² (1,003 digits), is where analysis stops.

    ```yaml
    input: [1, 1, 1]
    blocks:
      up:
        layers:
          - {type: upsampling2d, size: 1000}
    layers:
      - {block: up, repeat: 400}
    ```

    Use instead:

    ```yaml
    input: [1, 1, 1]
    blocks:
      up:
        layers:
          - {type: upsampling2d, size: 2}
    layers:
      - {block: up, repeat: 4}
    ```

    ## How to fix
    Correct the size or the repetition that is too large. Integers of more than 300 digits are
    refused where they are written or computed, so only products of sizes get this far.
    """

    code = SIZE_OUT_OF_RANGE
    name = "size-out-of-range"

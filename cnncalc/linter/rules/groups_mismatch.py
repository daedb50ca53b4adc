"""CNN102 groups-mismatch."""

from __future__ import annotations

from cnncalc.linter.rule import EngineError
from cnncalc.shapes.inference import GROUPS_MISMATCH


class GroupsMismatch(EngineError):
    """A grouped convolution's `groups` does not divide its input channels or its filters.

    ## What it does
    Stops the analysis at a `conv2d` whose `groups` leaves a remainder when dividing the number of
    input channels or the number of `filters`.

    ## Why is this bad?
    A grouped convolution splits the input channels and the filters into `groups` equal parts and
    convolves each part separately; unequal parts do not exist, and Keras refuses the layer.

    ## Example
    ```yaml
    input: [28, 28, 3]
    layers:
      - {type: conv2d, filters: 8, kernel_size: 3, groups: 2}
    ```

    Use instead:

    ```yaml
    input: [28, 28, 3]
    layers:
      - {type: conv2d, filters: 6, kernel_size: 3, groups: 3}
    ```

    ## How to fix
    Choose `groups` among the common divisors of the input channels and `filters`, or change the
    number of filters (here of the layer before) so that it divides.
    """

    code = GROUPS_MISMATCH
    name = "groups-mismatch"

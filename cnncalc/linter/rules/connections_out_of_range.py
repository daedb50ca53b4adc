"""CNN109 connections-out-of-range."""

from __future__ import annotations

from cnncalc.linter.rule import EngineError
from cnncalc.shapes.inference import CONNECTIONS_OUT_OF_RANGE


class ConnectionsOutOfRange(EngineError):
    """A convolution's connections table names an input channel its input does not have.

    ## What it does
    Stops the analysis at a `conv2d` whose `connections` (per filter, the input channels it reads,
    counted from 0) lists a channel at or past the number of channels of its input.

    ## Why is this bad?
    The filter would read a feature map that does not exist: no network can be built from it.
    Usually the table counts from 1, as LeCun et al.'s table I does, or was written for another
    layer's input.

    ## Example
    The input has 3 channels, 0 to 2; the table counts from 1.

    ```yaml
    input: [14, 14, 3]
    layers:
      - {type: conv2d, filters: 2, kernel_size: 5, connections: [[1, 2], [2, 3]]}
    ```

    Use instead:

    ```yaml
    input: [14, 14, 3]
    layers:
      - {type: conv2d, filters: 2, kernel_size: 5, connections: [[0, 1], [1, 2]]}
    ```

    ## How to fix
    Count the input channels from 0, up to one less than their number.
    """

    code = CONNECTIONS_OUT_OF_RANGE
    name = "connections-out-of-range"

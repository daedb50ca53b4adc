"""CNN110 unseen-input-pixels."""

from __future__ import annotations

from collections.abc import Iterator

from cnncalc.diagnostics import Severity
from cnncalc.linter.coverage import untiled
from cnncalc.linter.rule import Finding, LintRule
from cnncalc.shapes.records import Analysis


class UnseenInputPixels(LintRule):
    """Strides or pooling that do not tile their input leave rows or columns of the image unseen.

    ## What it does
    Finds convolution and pooling layers whose windows stop before the end of their input (the last
    `(I + p_before − K) mod S` cells along an axis), and follows every input pixel through the
    receptive fields: when no output of the layer, and so no later layer, sees some rows or columns
    of the input image any more, it says how many and where.

    ## Why is this bad?
    Those pixels have no influence on the result, silently: a digit's stroke or an object at the
    bottom or right border is invisible to the network, and the network is not symmetric any more
    (it sees the top and left border, not the bottom and right one).

    ## Example
    A 3×3 convolution with stride 2 on 28×28 fits 13 windows, which cover 27 rows and columns:
    `⌊(28 − 3)/2⌋ + 1 = 13`, `12·2 + 3 = 27`. The last row and column are never seen.

    ```yaml
    input: [28, 28, 1]
    layers:
      - {type: conv2d, filters: 16, kernel_size: 3, strides: 2, activation: relu}
      - {type: flatten}
      - {type: dense, units: 10, activation: softmax}
    ```

    Use instead:

    ```yaml
    input: [28, 28, 1]
    layers:
      - {type: conv2d, filters: 16, kernel_size: 3, strides: 2, padding: same, activation: relu}
      - {type: flatten}
      - {type: dense, units: 10, activation: softmax}
    ```

    ## How to fix
    Pad so that the windows reach the end: `padding: same` (here 14×14 with one row and column of
    padding), or explicit padding; for pooling, a window one cell larger with the same strides
    (overlapping pooling, as AlexNet's 3×3 windows with stride 2) keeps the output size. The hint
    gives the settings from the solver; `cnncalc solve` lists them all.
    When the left-out cells' pixels are still seen through neighbouring cells, the finding is
    CNN111 (`dropped-map-cells`, info) instead.
    """

    code = "CNN110"
    name = "unseen-input-pixels"
    severity = Severity.WARNING

    def check(self, analysis: Analysis) -> Iterator[Finding]:
        for layer in untiled(analysis):
            if layer.lost:
                yield Finding(
                    layer.record.index,
                    f"{layer.dropped_text()}: the network never sees {layer.lost_text()}",
                    layer.hint(),
                )

"""CNN111 dropped-map-cells."""

from __future__ import annotations

from collections.abc import Iterator

from cnncalc.diagnostics import Severity
from cnncalc.linter.coverage import untiled
from cnncalc.linter.rule import Finding, LintRule
from cnncalc.shapes.records import Analysis


class DroppedMapCells(LintRule):
    """Windows that do not tile a feature map leave out its last cells, though no pixel is lost.

    ## What it does
    Finds convolution and pooling layers whose windows stop before the end of their input, when
    every pixel of the input image under the left-out cells is still seen through the overlapping
    receptive fields of the cells that are kept. It is information, not a warning: nothing is
    invisible to the network, but the left-out cells' features are thrown away.

    ## Why is this bad?
    It usually is not: the article's MNIST network pools a 7×7 map to 3×3 and loses the last row
    and column of the map, whose pixels the kept cells already see. It is worth knowing because the
    network becomes slightly asymmetric, and because the size does not come out as one might
    expect (`⌊7/2⌋ = 3`, not 3.5 or 4).

    ## Example
    `⌊(7 − 2)/2⌋ + 1 = 3` windows of 2 with stride 2 cover 6 of the 7 rows and columns.

    ```yaml
    input: [28, 28, 1]
    layers:
      - {type: conv2d, filters: 10, kernel_size: 5, padding: same, activation: relu}
      - {type: maxpool2d, pool_size: 2}
      - {type: conv2d, filters: 16, kernel_size: 5, padding: same, activation: relu}
      - {type: maxpool2d, pool_size: 2}
      - {type: conv2d, filters: 64, kernel_size: 3, padding: same, activation: relu}
      - {type: maxpool2d, pool_size: 2}
    ```

    Overlapping 3×3 windows with stride 2 keep 3×3 and cover all 7. Use instead:

    ```yaml
    input: [28, 28, 1]
    layers:
      - {type: conv2d, filters: 10, kernel_size: 5, padding: same, activation: relu}
      - {type: maxpool2d, pool_size: 2}
      - {type: conv2d, filters: 16, kernel_size: 5, padding: same, activation: relu}
      - {type: maxpool2d, pool_size: 2}
      - {type: conv2d, filters: 64, kernel_size: 3, padding: same, activation: relu}
      - {type: maxpool2d, pool_size: 3, strides: 2}
    ```

    ## How to fix
    Nothing needs fixing if the border matters little. Otherwise `padding: same` keeps the last
    cells (7×7 pooled gives 4×4), and for pooling a window one cell larger with the same strides
    keeps the output size. When pixels of the input are lost for good, the finding is CNN110
    (`unseen-input-pixels`, a warning) instead.
    """

    code = "CNN111"
    name = "dropped-map-cells"
    severity = Severity.INFO

    def check(self, analysis: Analysis) -> Iterator[Finding]:
        for layer in untiled(analysis):
            if not layer.lost:
                yield Finding(
                    layer.record.index,
                    f"{layer.dropped_text()}; the kept cells still see the input pixels under them",
                    layer.hint(),
                )

"""CNN114 pool-larger-than-map."""

from __future__ import annotations

from collections.abc import Iterator

from cnncalc.diagnostics import Severity
from cnncalc.linter.rule import Finding, LintRule, analysed, size_text
from cnncalc.shapes.records import Analysis
from cnncalc.spec.models import MaxPool2D, Pool2D


class PoolLargerThanMap(LintRule):
    """A pooling window larger than its feature map, made to fit by padding: the map is smaller than planned.

    ## What it does
    Finds max and average pooling layers whose window is larger than their input along an axis,
    but which still produce an output thanks to `padding: same` or explicit padding (without
    padding, the layer cannot be built: CNN101).

    ## Why is this bad?
    Such a window covers the whole map and then padding: it is a global pooling in disguise, whose
    result depends on the input size. Usually the layers before it shrank the map more than the
    author counted on (a 7×7 pool written for a 7×7 map that is in fact 4×4).

    ## Example
    16 → 8 → 4, and the last pool expects 7×7.

    ```yaml
    input: [16, 16, 1]
    layers:
      - {type: conv2d, filters: 16, kernel_size: 3, padding: same, activation: relu}
      - {type: maxpool2d, pool_size: 2}
      - {type: conv2d, filters: 32, kernel_size: 3, padding: same, activation: relu}
      - {type: maxpool2d, pool_size: 2}
      - {type: conv2d, filters: 64, kernel_size: 3, padding: same, activation: relu}
      - {type: maxpool2d, pool_size: 7, padding: same}
      - {type: flatten}
      - {type: dense, units: 10, activation: softmax}
    ```

    Use instead:

    ```yaml
    input: [16, 16, 1]
    layers:
      - {type: conv2d, filters: 16, kernel_size: 3, padding: same, activation: relu}
      - {type: maxpool2d, pool_size: 2}
      - {type: conv2d, filters: 32, kernel_size: 3, padding: same, activation: relu}
      - {type: maxpool2d, pool_size: 2}
      - {type: conv2d, filters: 64, kernel_size: 3, padding: same, activation: relu}
      - {type: globalmaxpool2d}
      - {type: dense, units: 10, activation: softmax}
    ```

    ## How to fix
    To pool the whole map, say so with `globalmaxpool2d` or `globalavgpool2d`, which work for any
    map size; otherwise choose a window no larger than the map, or downsample less before it.
    """

    code = "CNN114"
    name = "pool-larger-than-map"
    severity = Severity.WARNING

    def check(self, analysis: Analysis) -> Iterator[Finding]:
        for record in analysed(analysis):
            layer = record.layer
            if not isinstance(layer, Pool2D) or record.windows is None:
                continue
            rows, columns = record.windows
            if rows.kernel <= rows.size and columns.kernel <= columns.size:
                continue
            whole = "globalmaxpool2d" if isinstance(layer, MaxPool2D) else "globalavgpool2d"
            if rows.output == columns.output == 1:
                hint = f"{whole} pools the whole map, whatever its size"
            else:
                fits = size_text(min(rows.kernel, rows.size), min(columns.kernel, columns.size))
                hint = f"pool_size {fits} fits the map; or downsample less before {record.name}"
            yield Finding(
                record.index,
                f"{record.name}'s {size_text(rows.kernel, columns.kernel)} window is larger than its "
                f"{size_text(rows.size, columns.size)} input: padding makes it fit, giving "
                f"{size_text(rows.output, columns.output)}",
                hint,
            )

"""CNN112 even-kernel-same-padding."""

from __future__ import annotations

from collections.abc import Iterator

from cnncalc.diagnostics import Severity
from cnncalc.linter.rule import Finding, LintRule, analysed, size_text
from cnncalc.linter.solver import solve
from cnncalc.shapes.records import Analysis
from cnncalc.shapes.text import format_dims
from cnncalc.spec.models import Conv2D, Pool2D


class EvenKernelSamePadding(LintRule):
    """An even kernel with `padding: same` pads unevenly: the output shifts by half a pixel.

    ## What it does
    Finds convolutions and pooling layers with `padding: same`, stride 1 and a window of even span
    (a 2×2 or 4×4 kernel, say) along an axis.

    ## Why is this bad?
    Keeping the size with a window of even span `K` takes `K − 1` cells of padding, an odd number:
    Keras puts the extra cell at the bottom and right. Each output is then centred half a pixel
    below and right of the input cell it replaces, and stacked layers add up the shift, so the
    feature maps drift away from the image (Wu et al., 2019, "Convolution with even-sized kernels
    and symmetric padding").

    ## Example
    A 4×4 kernel on 28×28 with `same` pads 1 row above and 2 below.

    ```yaml
    input: [28, 28, 1]
    layers:
      - {type: conv2d, filters: 8, kernel_size: 4, padding: same, activation: relu}
    ```

    Use instead:

    ```yaml
    input: [28, 28, 1]
    layers:
      - {type: conv2d, filters: 8, kernel_size: 3, padding: same, activation: relu}
    ```

    ## How to fix
    Use an odd kernel (3, 5, 7): `same` then pads `(K − 1)/2` on every side. Strided layers are not
    reported: their outputs sit between input cells by design.
    """

    code = "CNN112"
    name = "even-kernel-same-padding"
    severity = Severity.WARNING

    def check(self, analysis: Analysis) -> Iterator[Finding]:
        for record in analysed(analysis):
            layer = record.layer
            if not isinstance(layer, Conv2D | Pool2D) or record.windows is None:
                continue
            uneven = [w.same and w.strides == 1 and w.span % 2 == 0 for w in record.windows]
            if not any(uneven):
                continue
            if isinstance(layer, Conv2D):
                field, noun, window = "kernel_size", "kernel", layer.kernel_size
            else:
                field, noun, window = "pool_size", "window", layer.pool_size
            first = record.windows[uneven.index(True)]
            odd = [k + 1 if bad else k for k, bad in zip(window, uneven, strict=True)]
            pads = [
                solve(w.size, w.size, k, strides=1, dilation=w.dilation, padding="same")[0].window.pad_before
                for w, k in zip(record.windows, odd, strict=True)
            ]
            rows, columns = record.windows
            yield Finding(
                record.index,
                f"{record.name} pads its {size_text(*window)} {noun} unevenly under padding: same "
                f"({first.pad_before} before, {first.pad_after} after): each output sits half a pixel "
                "off its input",
                f"an odd {field} such as {format_dims((odd[0], odd[1]))} pads "
                + (f"{pads[0]} on every side" if pads[0] == pads[1] else f"{pads[0]} and {pads[1]}")
                + f" and keeps {size_text(rows.size, columns.size)}",
            )

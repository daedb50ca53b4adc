"""CNN116 skipped-input-pixels."""

from __future__ import annotations

from collections.abc import Iterator

from cnncalc.diagnostics import Severity
from cnncalc.linter.coverage import LayerCoverage, skipping
from cnncalc.linter.rule import Finding, LintRule, plural, size_text
from cnncalc.shapes.records import Analysis
from cnncalc.spec.models import Pool2D


class SkippedInputPixels(LintRule):
    """Strides larger than the windows skip pixels between them, which the network never sees.

    ## What it does
    Finds the first convolution or pooling layer whose outputs' receptive fields leave a gap
    between them: each output sees `field + (K − 1)·jump` input pixels, and neighbouring outputs
    are `jump·S` pixels apart. When the stride is the larger, the pixels in between are seen by no
    output of the layer, so by no later layer; it says how many rows and columns of the input.

    ## Why is this bad?
    Those pixels have no influence on the result: a 1×1 convolution with stride 2 on the image
    throws three pixels in four away. Thin strokes (a digit's) can fall between the windows.
    Strided 1×1 convolutions deeper in a network are fine: each cell they read already sees a
    patch of pixels wider than the stride (a ResNet shortcut), and nothing is reported then.

    ## Example
    Outputs `o` see pixels `2o` only: `⌊(28 − 1)/2⌋ + 1 = 14` windows see 14 of the 28 rows and
    columns.

    ```yaml
    input: [28, 28, 1]
    layers:
      - {type: conv2d, filters: 16, kernel_size: 1, strides: 2, activation: relu}
      - {type: flatten}
      - {type: dense, units: 10, activation: softmax}
    ```

    Use instead:

    ```yaml
    input: [28, 28, 1]
    layers:
      - {type: conv2d, filters: 16, kernel_size: 2, strides: 2, activation: relu}
      - {type: flatten}
      - {type: dense, units: 10, activation: softmax}
    ```

    ## How to fix
    Make the window at least as wide as the stride (in pixels: `field + (K − 1)·jump ≥ jump·S`),
    or lower the strides; the hint gives the smallest window and the largest strides that see
    every pixel. Only the first layer that skips pixels on an axis is reported: later ones read
    what is left.
    """

    code = "CNN116"
    name = "skipped-input-pixels"
    severity = Severity.WARNING

    def check(self, analysis: Analysis) -> Iterator[Finding]:
        for layer in skipping(analysis):
            yield Finding(layer.record.index, _message(layer), _hint(layer))


def _message(layer: LayerCoverage) -> str:
    """``conv2d skips pixels between its windows (each output sees 1 pixel of every 2): the network
    never sees 14 rows and 14 columns of the 28×28 input``."""
    sees = [
        f"{plural(axis.output_field, 'pixel')} of every {axis.output_jump:,}"
        for axis in layer.axes
        if axis.skips
    ]
    how = sees[0] if len(set(sees)) == 1 else f"rows: {sees[0]}; columns: {sees[1]}"
    unseen = [
        plural(axis.unseen, noun)
        for axis, noun in zip(layer.axes, ("row", "column"), strict=True)
        if axis.skips
    ]
    return (
        f"{layer.record.name} skips pixels between its windows (each output sees {how}): "
        f"the network never sees {' and '.join(unseen)} of the {size_text(*layer.image)} input"
    )


def _hint(layer: LayerCoverage) -> str:
    """The smallest windows and the largest strides whose outputs' fields touch: ``field + (K − 1)·jump
    ≥ jump·S`` gives ``K ≥ S + 1 − ⌊field/jump⌋`` and ``S ≤ ⌊(field + (K − 1)·jump)/jump⌋``."""
    kernels = [
        axis.window.strides + 1 - axis.field // axis.jump if axis.skips else axis.window.kernel
        for axis in layer.axes
    ]
    strides = [axis.output_field // axis.jump if axis.skips else axis.window.strides for axis in layer.axes]
    field = "pool_size" if isinstance(layer.record.layer, Pool2D) else "kernel_size"
    return (
        f"{field} {_pair(kernels)} with the same strides, or strides {_pair(strides)}, "
        "lets the windows see every pixel"
    )


def _pair(values: list[int]) -> str:
    """``2``, or ``[1, 2]`` when the axes differ (as a spec writes them)."""
    return f"{values[0]:,}" if values[0] == values[1] else f"[{values[0]:,}, {values[1]:,}]"

"""CNN202 dead-kernel-taps."""

from __future__ import annotations

from collections.abc import Iterator

from cnncalc.diagnostics import Severity
from cnncalc.linter.coverage import live_taps
from cnncalc.linter.rule import Finding, LintRule, analysed, size_text, spatial
from cnncalc.shapes.formulas import conv_params
from cnncalc.shapes.records import Analysis
from cnncalc.spec.models import Conv2D


class DeadKernelTaps(LintRule):
    """Part of a convolution's kernel only ever multiplies zero padding, as a 3×3 kernel on a 1×1 map.

    ## What it does
    Finds convolutions with zero padding whose kernel is so large for their input that some of
    its positions (taps) never overlap the feature map at any output position, and counts the
    parameters that never meet the data.

    ## Why is this bad?
    Those weights are trained on zeros and computed on zeros: wasted parameters and compute. On a
    1×1 map a 3×3 kernel uses 1 tap of 9, and a network whose map has collapsed to 1×1 that early
    gains nothing spatial from the convolutions that follow; they are dense layers in disguise.

    ## Example
    16 → 16 → 4 → 4 → 1, then a 3×3 convolution on the 1×1 map: 8 of its 9 taps see only padding.

    ```yaml
    input: [16, 16, 1]
    layers:
      - {type: conv2d, filters: 16, kernel_size: 3, padding: same, activation: relu}
      - {type: maxpool2d, pool_size: 4}
      - {type: conv2d, filters: 32, kernel_size: 3, padding: same, activation: relu}
      - {type: maxpool2d, pool_size: 4}
      - {type: conv2d, filters: 64, kernel_size: 3, padding: same, activation: relu}
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
      - {type: flatten}
      - {type: dense, units: 10, activation: softmax}
    ```

    ## How to fix
    Downsample less before the layer, so that the map stays larger than the kernel, or use a kernel
    no larger than the part that reaches the map (a 1×1 convolution on a 1×1 map). Replicate and
    reflect padding copy data into the border, so they are not reported.
    """

    code = "CNN202"
    name = "dead-kernel-taps"
    severity = Severity.WARNING

    def check(self, analysis: Analysis) -> Iterator[Finding]:
        for record in analysed(analysis):
            layer = record.layer
            if not isinstance(layer, Conv2D) or record.windows is None or layer.padding_mode != "zeros":
                continue
            rows, columns = record.windows
            live = (live_taps(rows), live_taps(columns))
            taps = rows.kernel * columns.kernel
            if live[0] * live[1] == taps:
                continue
            channels = (spatial(record.input_shape, analysis.data_format) or (0, 0, 0))[2]
            params = record.params or 0
            per_tap = channels // layer.groups * layer.filters
            smaller = conv_params(live, channels, layer.filters, layer.groups, layer.use_bias)
            yield Finding(
                record.index,
                f"{record.name} runs a {size_text(rows.kernel, columns.kernel)} kernel over a "
                f"{size_text(rows.size, columns.size)} map: {taps - live[0] * live[1]} of its {taps} taps "
                f"only ever multiply padding ({(taps - live[0] * live[1]) * per_tap:,} of its {params:,} "
                "parameters never meet the data)",
                f"only {size_text(*live)} of the kernel reaches the map: a {size_text(*live)} kernel has "
                f"{smaller:,} params; or downsample less before {record.name}",
            )

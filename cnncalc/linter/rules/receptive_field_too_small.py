"""CNN401 receptive-field-too-small."""

from __future__ import annotations

from collections.abc import Iterator
from math import ceil

from cnncalc.diagnostics import Severity
from cnncalc.linter.rule import Finding, LintRule, analysed, downstream, plural, size_text, spatial
from cnncalc.shapes.records import Analysis, LayerRecord, ReceptiveField
from cnncalc.spec.models import INPUT, GlobalAvgPool2D, GlobalMaxPool2D

KERNEL = 3
"""The kernel of the convolutions the hint adds."""


def _gate(analysis: Analysis, pool: LayerRecord) -> bool:
    """Whether the pooled values go back into a map through a merge (a squeeze-and-excitation
    squeeze): a summary that scales the map, not the network's head."""
    return analysis.branches and any(len(record.inputs) > 1 for record in downstream(analysis, pool))


def _nearest_windows(analysis: Analysis) -> dict[str, str]:
    """For every layer, the nearest layer with windows it reads through first inputs (as
    :func:`upstream` walks, stopping at a merge), or ``the input``: one pass, not a walk per layer."""
    nearest: dict[str, str] = {}
    found: dict[str, str] = {}  # the nearest at or above each layer
    for record in analysis.layers:
        source = record.inputs[0] if len(record.inputs) == 1 and record.inputs[0] != INPUT else None
        nearest[record.name] = found.get(source, "the input") if source else "the input"
        if record.windows is not None:
            found[record.name] = record.name
        elif source is not None:
            found[record.name] = nearest[record.name]
    return nearest


class ReceptiveFieldTooSmall(LintRule):
    """A global pooling head over features that each see only part of the image.

    ## What it does
    When the network pools globally (`globalavgpool2d`, `globalmaxpool2d`), compares the receptive
    field of the layer before it (how many input pixels one of its cells depends on, from the
    recurrence `r = r + (K − 1)·j; j = j·S` over the layers, `K` the dilated kernel span and `S`
    the stride) with the input size. A global pooling whose result is merged back into a map (the
    squeeze of a squeeze-and-excitation block) is a summary that scales the map, not the head, and
    is left alone.

    ## Why is this bad?
    Global pooling averages (or maxes) features over positions, and each feature sees only its own
    receptive field: if that is smaller than the image, no feature relates parts of the image that
    lie further apart, and the network is a bag of local patches. A flatten head does not have
    this problem: its dense layer sees every position.

    ## Example
    Three 3×3 convolutions with stride 2: receptive fields 3, 3 + 2·2 = 7 and 7 + 2·4 = 15, on a
    28×28 input.

    ```yaml
    input: [28, 28, 1]
    layers:
      - {type: conv2d, filters: 16, kernel_size: 3, strides: 2, padding: same, activation: relu}
      - {type: conv2d, filters: 32, kernel_size: 3, strides: 2, padding: same, activation: relu}
      - {type: conv2d, filters: 64, kernel_size: 3, strides: 2, padding: same, activation: relu}
      - {type: globalavgpool2d}
      - {type: dense, units: 10, activation: softmax}
    ```

    One more 3×3 convolution sees 15 + 2·8 = 31 ≥ 28 pixels. Use instead:

    ```yaml
    input: [28, 28, 1]
    layers:
      - {type: conv2d, filters: 16, kernel_size: 3, strides: 2, padding: same, activation: relu}
      - {type: conv2d, filters: 32, kernel_size: 3, strides: 2, padding: same, activation: relu}
      - {type: conv2d, filters: 64, kernel_size: 3, strides: 2, padding: same, activation: relu}
      - {type: conv2d, filters: 64, kernel_size: 3, padding: same, activation: relu}
      - {type: globalavgpool2d}
      - {type: dense, units: 10, activation: softmax}
    ```

    ## How to fix
    Add convolutions before the global pooling (each 3×3 one widens the field by twice the current
    jump), use larger or dilated kernels, or downsample earlier so that later layers see further.
    """

    code = "CNN401"
    name = "receptive-field-too-small"
    severity = Severity.WARNING

    def check(self, analysis: Analysis) -> Iterator[Finding]:
        image = spatial(analysis.input_shape, analysis.data_format)
        if image is None:
            return
        nearest = _nearest_windows(analysis)
        for record in analysed(analysis):
            if not isinstance(record.layer, GlobalAvgPool2D | GlobalMaxPool2D) or _gate(analysis, record):
                continue
            (source,) = analysis.inputs_of(record)
            field = source.receptive_field if source else ReceptiveField.identity()
            if field is None or (field.size[0] >= image[0] and field.size[1] >= image[1]):
                continue
            deepest = nearest[record.name]
            more = max(
                -(-(size - seen) // ((KERNEL - 1) * jump))
                for size, seen, jump in zip(image[:2], field.size, field.jump, strict=True)
            )
            wider = [
                ceil(seen + more * (KERNEL - 1) * jump)  # a jump is a fraction after upsampling
                for seen, jump in zip(field.size, field.jump, strict=True)
            ]
            yield Finding(
                record.index,
                f"{record.name} pools features of {deepest} that each see only "
                f"{size_text(*field.size)} of the {size_text(image[0], image[1])} input",
                f"{plural(more, f'more {KERNEL}×{KERNEL} convolution')} before {record.name} would see "
                f"{size_text(*wider)}; or downsample earlier, which widens every later layer's view",
            )

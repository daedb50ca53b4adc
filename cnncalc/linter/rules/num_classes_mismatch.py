"""CNN304 num-classes-mismatch."""

from __future__ import annotations

from collections.abc import Iterator

from cnncalc.diagnostics import Severity
from cnncalc.linter.rule import Finding, LintRule, activation, output_record, spatial, upstream
from cnncalc.shapes.records import Analysis
from cnncalc.spec.models import Conv2D, Dense


class NumClassesMismatch(LintRule):
    """The network's output size differs from the spec's `num_classes`.

    ## What it does
    When the spec declares `num_classes`, checks that the network ends with that many outputs per
    sample (channels, for a network whose output is a feature map). Two classes may also end in a
    single unit with `sigmoid` (or no activation, for a loss on logits), but not with `softmax`,
    which always outputs 1 over a single unit.

    ## Why is this bad?
    The labels and the outputs disagree: with fewer outputs than classes the loss fails on the first
    large label; with more, training runs and silently wastes the extra outputs. It is an error
    because the spec contradicts itself.

    ## Example
    ```yaml
    input: [28, 28, 1]
    num_classes: 10
    layers:
      - {type: conv2d, filters: 8, kernel_size: 3, activation: relu}
      - {type: maxpool2d, pool_size: 2}
      - {type: flatten}
      - {type: dense, units: 12, activation: softmax}
    ```

    Use instead:

    ```yaml
    input: [28, 28, 1]
    num_classes: 10
    layers:
      - {type: conv2d, filters: 8, kernel_size: 3, activation: relu}
      - {type: maxpool2d, pool_size: 2}
      - {type: flatten}
      - {type: dense, units: 10, activation: softmax}
    ```

    ## How to fix
    Set the last dense layer's `units` (or the last convolution's `filters`) to `num_classes`, or
    correct `num_classes`.
    """

    code = "CNN304"
    name = "num-classes-mismatch"
    severity = Severity.ERROR

    def check(self, analysis: Analysis) -> Iterator[Finding]:
        classes, shape = analysis.spec.num_classes, analysis.output_shape
        if classes is None or shape is None:
            return
        feature_map = spatial(shape, analysis.data_format)
        outputs = feature_map[2] if feature_map else shape[-1]
        last = output_record(analysis)
        output_activation = next(
            (a for r in (last, *upstream(analysis, last)) if (a := activation(r.layer)) is not None), None
        )
        if outputs == classes or (classes == outputs + 1 == 2 and output_activation != "softmax"):
            return
        sized = next(
            (r for r in (last, *upstream(analysis, last)) if isinstance(r.layer, Conv2D | Dense)), None
        )
        if sized is None:
            fix = "correct num_classes"
        else:
            field = "filters" if isinstance(sized.layer, Conv2D) else "units"
            fix = f"set {field}: {classes} on {sized.name}"
            fix += " with softmax, or units: 1 with sigmoid" if classes == 2 else ""
        values = "value" if outputs == 1 else "values"
        message = (
            f"the network ends with {outputs:,} {values}{' per position' if feature_map else ''} "
            f"({last.name}), but num_classes is {classes}"
        )
        if outputs == 1 and output_activation == "softmax":
            message += ": softmax over a single unit always outputs 1"
        yield Finding(last.index, message, fix)

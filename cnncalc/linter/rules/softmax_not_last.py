"""CNN302 softmax-not-last."""

from __future__ import annotations

from collections.abc import Iterator

from cnncalc.diagnostics import Severity
from cnncalc.linter.rule import Finding, LintRule, activation, analysed, downstream, plural
from cnncalc.shapes.records import Analysis


class SoftmaxNotLast(LintRule):
    """Softmax on a layer that is not the last one.

    ## What it does
    Finds a layer that applies softmax (an activation, or a `softmax` layer) that other layers
    read, and that is not an output of the network.

    ## Why is this bad?
    Softmax turns the final scores into probabilities that sum to 1. Inside the network it squashes
    a layer's outputs into a distribution the next layers must undo, and after it, even a dropout
    layer breaks the probabilities the loss expects (it zeroes and rescales them while training).

    ## Example
    ```yaml
    input: [784]
    layers:
      - {type: dense, units: 128, activation: relu}
      - {type: dense, units: 10, activation: softmax}
      - {type: dropout, rate: 0.2}
    ```

    Use instead:

    ```yaml
    input: [784]
    layers:
      - {type: dense, units: 128, activation: relu}
      - {type: dropout, rate: 0.2}
      - {type: dense, units: 10, activation: softmax}
    ```

    ## How to fix
    Move the softmax to the last layer and give this one `relu` (or no activation, if it feeds a
    layer that applies one).
    """

    code = "CNN302"
    name = "softmax-not-last"
    severity = Severity.WARNING

    def check(self, analysis: Analysis) -> Iterator[Finding]:
        outputs = set(analysis.outputs)
        for record in analysed(analysis):
            if activation(record.layer) == "softmax" and record.name not in outputs:
                after = downstream(analysis, record)
                if not after:
                    continue  # nobody reads it: unused-layer says so
                names = ", ".join(r.name for r in after[:3]) + (", ..." if len(after) > 3 else "")
                scoring = next((r for r in reversed(after) if activation(r.layer) is not None), None)
                yield Finding(
                    record.index,
                    f"{record.name} applies softmax but is not the last layer: "
                    f"{plural(len(after), 'layer')} follow{'s' if len(after) == 1 else ''} ({names})",
                    f"put the softmax on the last layer ({scoring.name}) and use relu here"
                    if scoring
                    else f"move {names} before {record.name}, so that the softmax comes last",
                )

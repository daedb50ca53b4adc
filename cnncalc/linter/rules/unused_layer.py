"""CNN115 unused-layer."""

from __future__ import annotations

from collections.abc import Iterator

from cnncalc.diagnostics import Severity
from cnncalc.linter.rule import Finding, LintRule, plural
from cnncalc.shapes.records import Analysis


class UnusedLayer(LintRule):
    """A layer whose result no other layer reads and that is not an output of the network.

    ## What it does
    Finds layers that no layer reads (by `inputs`, or as the layer before) and that are not among
    the network's outputs (the last layer, or the top-level `outputs:`).

    ## Why is this bad?
    Its work is thrown away: a Keras model built from the spec leaves it out altogether, with its
    parameters. Usually an `inputs:` names the wrong layer, or a branch was never merged back.

    ## Example
    The shortcut is computed and never added.

    ```yaml
    input: [28, 28, 8]
    layers:
      - {type: conv2d, name: shortcut, filters: 8, kernel_size: 1}
      - {type: conv2d, name: conv, filters: 8, kernel_size: 3, padding: same, inputs: input}
      - {type: activation, activation: relu}
    ```

    Use instead:

    ```yaml
    input: [28, 28, 8]
    layers:
      - {type: conv2d, name: shortcut, filters: 8, kernel_size: 1}
      - {type: conv2d, name: conv, filters: 8, kernel_size: 3, padding: same, inputs: input}
      - {type: add, inputs: [shortcut, conv]}
      - {type: activation, activation: relu}
    ```

    ## How to fix
    Read the layer where it was meant to go (merge the branch back), list it in `outputs:` if the
    network should return it, or delete it.
    """

    code = "CNN115"
    name = "unused-layer"
    severity = Severity.WARNING

    def check(self, analysis: Analysis) -> Iterator[Finding]:
        outputs = set(analysis.outputs)
        for record in analysis.layers:
            if record.name in outputs or analysis.consumers(record.name):
                continue
            params = f", and its {plural(record.params, 'parameter')} are wasted" if record.params else ""
            yield Finding(
                record.index,
                f"no layer reads {record.name} and it is not an output of the network{params}",
                "read it from another layer's `inputs`, list it in `outputs:`, or delete it",
            )

"""CNN303 hidden-sigmoid."""

from __future__ import annotations

from collections.abc import Iterator

from cnncalc.diagnostics import Severity
from cnncalc.linter.rule import Finding, LintRule, activation, analysed
from cnncalc.shapes.records import Analysis, LayerRecord
from cnncalc.spec.models import Multiply


def _gate(analysis: Analysis, record: LayerRecord) -> bool:
    """Whether the sigmoid's result only scales other values (squeeze-and-excitation, attention): a
    gate between 0 and 1 is what sigmoid is for."""
    readers = analysis.consumers(record.name)
    return bool(readers) and all(isinstance(analysis.layer(name).layer, Multiply) for name in readers)


class HiddenSigmoid(LintRule):
    """Sigmoid as the activation of a hidden layer.

    ## What it does
    Finds a layer that is not an output of the network with `activation: sigmoid`, unless all it
    does is scale other values through a `multiply` (a squeeze-and-excitation or attention gate,
    where a value between 0 and 1 is the point).

    ## Why is this bad?
    It is not wrong, which is why this is information only. The logistic sigmoid saturates (its
    gradient is at most 1/4 and vanishes for large inputs) and its outputs are not centred on 0,
    so the layers before it learn slowly: LeCun et al.'s "Efficient BackProp" (1998) recommends
    tanh over it, Glorot and Bengio (2010) show the saturation, and relu has replaced both in
    hidden layers. Sigmoid remains the right output for a binary or multi-label last layer.

    ## Example
    The network of Nielsen's "Neural Networks and Deep Learning", chapter 1:

    ```yaml
    input: [784]
    layers:
      - {type: dense, units: 30, activation: sigmoid}
      - {type: dense, units: 10, activation: softmax}
    ```

    Use instead:

    ```yaml
    input: [784]
    layers:
      - {type: dense, units: 30, activation: relu}
      - {type: dense, units: 10, activation: softmax}
    ```

    ## How to fix
    Use `relu` (or `tanh`) in hidden layers; keep `sigmoid` for the output.
    """

    code = "CNN303"
    name = "hidden-sigmoid"
    severity = Severity.INFO

    def check(self, analysis: Analysis) -> Iterator[Finding]:
        outputs = set(analysis.outputs)
        for record in analysed(analysis):
            if (
                activation(record.layer) == "sigmoid"
                and record.name not in outputs
                and not _gate(analysis, record)
            ):
                yield Finding(
                    record.index,
                    f"{record.name} uses sigmoid in a hidden layer: it saturates and is not centred on 0, "
                    "so the layers before it learn slowly",
                    "use relu (or tanh) in hidden layers; keep sigmoid for a binary or multi-label output",
                )

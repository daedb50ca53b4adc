"""CNN301 consecutive-linear-layers."""

from __future__ import annotations

from collections.abc import Iterator

from cnncalc.diagnostics import Severity
from cnncalc.linter.rule import Finding, LintRule, activation, analysed
from cnncalc.shapes.formulas import dense_params
from cnncalc.shapes.records import Analysis, LayerRecord
from cnncalc.spec.models import Conv2D, Dense, GlobalMaxPool2D, MaxPool2D


class ConsecutiveLinearLayers(LintRule):
    """Two convolution or dense layers with no nonlinearity between them collapse into one.

    ## What it does
    Finds a convolution or dense layer that follows another one whose activation is `linear` (or
    left out), with nothing nonlinear between them: dropout, flatten, batchnorm, padding, average
    pooling and `linear` activations do not count; any other activation and max pooling do.

    ## Why is this bad?
    A composition of linear maps is a linear map: the two layers compute nothing one layer could
    not, with more parameters and compute. Almost always an activation was forgotten. (A deliberate
    low-rank bottleneck is the exception; say so with `lint: {ignore: [CNN301]}`.)

    ## Example
    ```yaml
    input: [28, 28, 1]
    layers:
      - {type: conv2d, filters: 8, kernel_size: 3, activation: relu}
      - {type: maxpool2d, pool_size: 2}
      - {type: flatten}
      - {type: dense, units: 64}
      - {type: dropout, rate: 0.5}
      - {type: dense, units: 10, activation: softmax}
    ```

    Use instead:

    ```yaml
    input: [28, 28, 1]
    layers:
      - {type: conv2d, filters: 8, kernel_size: 3, activation: relu}
      - {type: maxpool2d, pool_size: 2}
      - {type: flatten}
      - {type: dense, units: 64, activation: relu}
      - {type: dropout, rate: 0.5}
      - {type: dense, units: 10, activation: softmax}
    ```

    ## How to fix
    Give the first layer an activation (`activation: relu`), or an `activation` layer after its
    batchnorm; or, if the pair is meant to be linear, merge it into one layer (the hint gives the
    merged dense layer's parameters).
    """

    code = "CNN301"
    name = "consecutive-linear-layers"
    severity = Severity.WARNING

    def check(self, analysis: Analysis) -> Iterator[Finding]:
        linear: LayerRecord | None = None
        between: list[str] = []
        for record in analysed(analysis):
            layer = record.layer
            if isinstance(layer, Conv2D | Dense):
                if linear is not None:
                    yield _finding(linear, record, between)
                linear = record if layer.activation == "linear" else None
                between = []
            elif isinstance(layer, MaxPool2D | GlobalMaxPool2D) or activation(layer) not in (None, "linear"):
                linear = None
            elif linear is not None:
                between.append(record.name)


def _finding(first: LayerRecord, second: LayerRecord, between: list[str]) -> Finding:
    only = f" (only {', '.join(between)} between)" if between else ""
    hint = f"give {first.name} an activation (activation: relu)"
    one, two = first.layer, second.layer
    if (
        isinstance(one, Dense)
        and isinstance(two, Dense)
        and first.input_shape
        and len(first.input_shape) == 1
    ):
        merged = dense_params(first.input_shape[0], two.units, two.use_bias)
        pair = (first.params or 0) + (second.params or 0)
        hint += f", or merge the two into one dense layer of {merged:,} params instead of {pair:,}"
    else:
        hint += ", or keep one of the two"
    return Finding(
        second.index,
        f"{second.name} follows {first.name} with no nonlinearity between them{only}: "
        "together they are one linear map",
        hint,
    )

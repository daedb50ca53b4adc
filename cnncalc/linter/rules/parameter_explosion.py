"""CNN201 parameter-explosion."""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction

from cnncalc.diagnostics import Severity
from cnncalc.linter.rule import Finding, LintRule, analysed, plural, size_text, spatial, upstream
from cnncalc.shapes.formulas import dense_params, pool_output_size
from cnncalc.shapes.records import Analysis, LayerRecord
from cnncalc.spec.models import Activation, BatchNorm, ConvLayer, Dense, Dropout, Flatten

SHARE = Fraction(9, 10)
"""Reported when one dense layer holds at least this share of all parameters (exact: a float
share of a 400-digit total overflows)..."""
MINIMUM = 100_000
"""... and at least this many (a small network's classifier may dominate harmlessly)."""


class ParameterExplosion(LintRule):
    """One dense layer on a flattened feature map holds nearly all of the network's parameters.

    ## What it does
    Finds a dense layer that reads a flattened feature map (after at least one convolution) and
    holds at least 90% of all parameters, and at least 100,000 of them. It gives the share and the
    parameter counts after the two usual fixes.

    ## Why is this bad?
    Flattening an `H×W×C` map gives `H·W·C` inputs, and every one of them gets its own weight per
    unit: the convolutions that do the work end up a rounding error next to one layer that is slow,
    memory-hungry and prone to overfitting. LeNet-5 (78% in its first dense layer) and the classic
    small MNIST networks stay below the threshold; the old Keras MNIST example, 1,179,776 of its
    1,199,882 parameters (98.3%) in one layer, does not.

    ## Example
    ```yaml
    input: [28, 28, 1]
    layers:
      - {type: conv2d, filters: 32, kernel_size: 3, activation: relu}
      - {type: conv2d, filters: 64, kernel_size: 3, activation: relu}
      - {type: maxpool2d, pool_size: 2}
      - {type: flatten}
      - {type: dense, units: 128, activation: relu}
      - {type: dense, units: 10, activation: softmax}
    ```

    Three stages of convolution and pooling, as in the article's network, give 188,234 parameters,
    70% of them in the dense layer. Use instead:

    ```yaml
    input: [28, 28, 1]
    layers:
      - {type: conv2d, filters: 32, kernel_size: 3, padding: same, activation: relu}
      - {type: maxpool2d, pool_size: 2}
      - {type: conv2d, filters: 64, kernel_size: 3, padding: same, activation: relu}
      - {type: maxpool2d, pool_size: 2}
      - {type: conv2d, filters: 64, kernel_size: 3, padding: same, activation: relu}
      - {type: maxpool2d, pool_size: 2, padding: same}
      - {type: flatten}
      - {type: dense, units: 128, activation: relu}
      - {type: dense, units: 10, activation: softmax}
    ```

    ## How to fix
    Downsample more before flattening (each 2×2 pooling divides the dense layer's parameters by
    about four), or replace the `flatten` with a `globalavgpool2d` (one input per channel) once the
    features see the whole image (CNN401). The hint gives the parameters after either fix.
    """

    code = "CNN201"
    name = "parameter-explosion"
    severity = Severity.WARNING

    def check(self, analysis: Analysis) -> Iterator[Finding]:
        total = analysis.total_params
        biggest = max(analysed(analysis), key=lambda r: r.params or 0, default=None)
        if biggest is None or not isinstance(biggest.layer, Dense) or not _explodes(biggest.params, total):
            return
        flatten = _flatten_before(analysis, biggest)
        feature_map = spatial(flatten.input_shape if flatten else None, analysis.data_format)
        if flatten is None or feature_map is None or feature_map[0] * feature_map[1] == 1:
            return
        height, width, channels = feature_map
        dense, params = biggest.layer, biggest.params or 0
        others = total - params

        def fixed(fan_in: int) -> tuple[int, str]:
            new = dense_params(fan_in, dense.units, dense.use_bias)
            return new, f"{biggest.name} has {new:,} params ({new / (others + new):.0%} of {others + new:,})"

        fixes = []
        pools, size = 0, (height, width)
        new, text = fixed(height * width * channels)
        while _explodes(new, others + new) and max(size) > 1:
            size = (
                pool_output_size(size[0], 2, padding="same"),
                pool_output_size(size[1], 2, padding="same"),
            )
            pools += 1
            new, text = fixed(size[0] * size[1] * channels)
        if not _explodes(new, others + new):
            fixes.append(
                f"with {plural(pools, 'more 2×2 max pool')} (padding: same) before {flatten.name}, {text}"
            )
        image = spatial(analysis.input_shape, analysis.data_format)
        (source,) = analysis.inputs_of(flatten)
        field = source.receptive_field if source else None
        if image and field and field.size[0] >= image[0] and field.size[1] >= image[1]:
            fixes.append(f"with a globalavgpool2d instead of {flatten.name}, {fixed(channels)[1]}")
        yield Finding(
            biggest.index,
            f"{biggest.name} holds {params / total:.1%} of the network's {total:,} parameters: "
            f"{params:,} to read a flattened {size_text(height, width)}×{channels} map",
            "; ".join(fixes) or f"downsample more before {flatten.name}, or pool globally",
        )


def _explodes(params: int | None, total: int) -> bool:
    """Whether a layer of ``params`` parameters dominates a network of ``total``."""
    params = params or 0
    return params >= MINIMUM and params >= SHARE * total


def _flatten_before(analysis: Analysis, dense: LayerRecord) -> LayerRecord | None:
    """The ``flatten`` feeding ``dense`` (through dropout, activations, batchnorm), if a
    convolution comes before it."""
    for record in upstream(analysis, dense):
        if isinstance(record.layer, Flatten):
            earlier = analysis.layers[: record.index]
            return record if any(isinstance(r.layer, ConvLayer) for r in earlier) else None
        if not isinstance(record.layer, Dropout | Activation | BatchNorm):
            return None
    return None

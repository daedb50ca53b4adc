"""CNN113 dense-on-feature-map."""

from __future__ import annotations

from collections.abc import Iterator

from cnncalc.diagnostics import Severity
from cnncalc.linter.rule import (
    Finding,
    LintRule,
    analysed,
    downstream,
    shape_text,
    size_text,
    spatial,
    upstream,
)
from cnncalc.shapes.formulas import dense_params
from cnncalc.shapes.records import Analysis, LayerRecord
from cnncalc.spec.models import (
    Activation,
    BatchNorm,
    Conv2DTranspose,
    ConvLayer,
    Dense,
    Dropout,
    Identity,
    LayerNorm,
    LeakyReLU,
    PReLU,
    ReLU,
    Softmax,
)


class DenseOnFeatureMap(LintRule):
    """A dense layer on a feature map acts at each position separately: a flatten is probably missing.

    ## What it does
    Finds the first dense layer whose input still has height, width and channels, with no `flatten`
    or global pooling before it, when nothing after it works on the map again: its result goes to
    the output through dense, activation and other per-value layers only. (A dense layer in the
    middle of a block, as ConvNeXt's 1×1 projections, whose result is added back to a map or
    convolved again, is a per-position layer by design.)

    ## Why is this bad?
    Keras applies `Dense` to the last axis only, at every position: on a 13×13×8 map, `units: 10`
    gives a 13×13×10 map of per-position scores, not 10 class scores for the image (and with
    `channels_first` it mixes the width, not the channels). The model still builds, so the mistake
    shows up only as a shape error in the loss, or as a network that never learns.

    ## Example
    ```yaml
    input: [28, 28, 1]
    layers:
      - {type: conv2d, filters: 8, kernel_size: 3, activation: relu}
      - {type: maxpool2d, pool_size: 2}
      - {type: dense, units: 10, activation: softmax}
    ```

    Use instead:

    ```yaml
    input: [28, 28, 1]
    layers:
      - {type: conv2d, filters: 8, kernel_size: 3, activation: relu}
      - {type: maxpool2d, pool_size: 2}
      - {type: flatten}
      - {type: dense, units: 10, activation: softmax}
    ```

    ## How to fix
    Add a `flatten` before the dense layer (every position gets its own weights), or a
    `globalavgpool2d` (one weight per channel, far fewer parameters). If a per-position layer is
    what you want, a 1×1 `conv2d` says so. The hint gives both parameter counts.
    """

    code = "CNN113"
    name = "dense-on-feature-map"
    severity = Severity.WARNING

    def check(self, analysis: Analysis) -> Iterator[Finding]:
        for record in analysed(analysis):
            layer = record.layer
            feature_map = spatial(record.input_shape, analysis.data_format)
            if not isinstance(layer, Dense) or not feature_map:
                continue  # before walking the graph: one walk per layer would make the rule O(layers²)
            previous = next(
                (r.layer for r in upstream(analysis, record) if isinstance(r.layer, _LINEAR)), None
            )
            if not isinstance(previous, Dense) and not any(
                _uses_the_map(r) for r in downstream(analysis, record)
            ):
                height, width, channels = feature_map
                shape = shape_text(record.input_shape)
                if analysis.data_format == "channels_first":
                    acts = f"is applied to the last axis of its channels_first input {shape} (the width)"
                else:
                    positions = size_text(height, width)
                    acts = f"is applied to its {shape} input at each of the {positions} positions separately"
                flat = dense_params(height * width * channels, layer.units, layer.use_bias)
                hint = f"add a flatten before {record.name} (it then has {flat:,} params)"
                if height * width > 1:
                    pooled = dense_params(channels, layer.units, layer.use_bias)
                    hint += f" or a globalavgpool2d ({pooled:,} params)"
                yield Finding(
                    record.index,
                    f"{record.name} {acts}, giving {shape_text(record.output_shape)}: "
                    "a flatten or global pooling is probably missing",
                    hint,
                )


_LINEAR = (ConvLayer, Conv2DTranspose, Dense)
_PER_VALUE = (Dense, Activation, ReLU, LeakyReLU, PReLU, Softmax, Dropout, BatchNorm, LayerNorm, Identity)


def _uses_the_map(record: LayerRecord) -> bool:
    """Whether a layer after the dense one works on its positions (a convolution, pooling, a merge
    with another map...) rather than value by value."""
    return not isinstance(record.layer, _PER_VALUE)

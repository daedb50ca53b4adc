"""CNN301 consecutive-linear-layers."""

from __future__ import annotations

from collections.abc import Iterator

from cnncalc.diagnostics import Severity
from cnncalc.linter.rule import Finding, LintRule, activation, analysed, spatial, upstream
from cnncalc.shapes.formulas import dense_params
from cnncalc.shapes.records import Analysis, LayerRecord
from cnncalc.spec.models import (
    Activation,
    AvgPool2D,
    BatchNorm,
    Conv2DTranspose,
    ConvLayer,
    Cropping2D,
    DataFormat,
    Dense,
    Dropout,
    Flatten,
    GaussianNoise,
    GlobalAvgPool2D,
    Identity,
    Rescaling,
    Reshape,
    SpatialDropout2D,
    UpSampling2D,
    ZeroPad2D,
)


class ConsecutiveLinearLayers(LintRule):
    """Two convolution or dense layers with no nonlinearity between them collapse into one.

    ## What it does
    Finds a convolution or dense layer that follows another one whose activation is `linear` (or
    left out), with nothing nonlinear between them: dropout, flatten, batchnorm, padding, average
    pooling and `linear` activations do not count; any other activation and max pooling do.

    ## Why is this bad?
    A composition of linear maps is a linear map: the two layers compute nothing one layer could
    not, with more parameters and compute. Almost always an activation was forgotten. A deliberate
    low-rank bottleneck is the exception and is not reported: when the first layer has fewer
    outputs than both its input and the second layer's output (MobileNetV2's linear bottlenecks:
    96 → 24 → 144 channels), the pair computes what one layer cannot. Where branches merge, the
    chain ends: an `add` of a linear branch is not followed through.

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
        for record in analysed(analysis):
            if not isinstance(record.layer, _LINEAR_MAPS):
                continue
            between: list[str] = []
            for earlier in upstream(analysis, record):
                layer = earlier.layer
                if isinstance(layer, _LINEAR_MAPS):
                    if activation(layer) == "linear" and not _bottleneck(
                        earlier, record, analysis.data_format
                    ):
                        yield _finding(earlier, record, between)
                    break
                if not isinstance(layer, _LINEAR_BETWEEN) or activation(layer) not in (None, "linear"):
                    break
                between.insert(0, earlier.name)


_LINEAR_MAPS = (ConvLayer, Conv2DTranspose, Dense)
_LINEAR_BETWEEN = (
    Dropout,
    SpatialDropout2D,
    GaussianNoise,
    Flatten,
    Reshape,
    BatchNorm,
    ZeroPad2D,
    Cropping2D,
    UpSampling2D,
    AvgPool2D,
    GlobalAvgPool2D,
    Activation,
    Identity,
    Rescaling,
)
"""Layers that are linear (or affine) maps of their input: they do not separate two linear layers."""


def _bottleneck(first: LayerRecord, second: LayerRecord, data_format: DataFormat) -> bool:
    """Whether ``first`` narrows to fewer values per position than both its input and ``second``'s
    output have: a low-rank factorisation, which one layer cannot compute."""
    shapes = (first.input_shape, first.output_shape, second.output_shape)
    if any(shape is None for shape in shapes):
        return False
    before, middle, after = (_width(shape, data_format) for shape in shapes if shape is not None)
    return middle < min(before, after)


def _width(shape: tuple[int, ...], data_format: DataFormat) -> int:
    """Values per position: the channels of a feature map, a vector's length."""
    feature_map = spatial(shape, data_format)
    return feature_map[2] if feature_map else shape[-1]


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

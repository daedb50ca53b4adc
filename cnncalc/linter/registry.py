"""Every rule, in code order: an explicit list (a rule is registered by adding it here)."""

from __future__ import annotations

from cnncalc.linter.rule import LintRule, Rule
from cnncalc.linter.rules.axis_out_of_range import AxisOutOfRange
from cnncalc.linter.rules.connections_out_of_range import ConnectionsOutOfRange
from cnncalc.linter.rules.consecutive_linear_layers import ConsecutiveLinearLayers
from cnncalc.linter.rules.dead_kernel_taps import DeadKernelTaps
from cnncalc.linter.rules.dense_on_feature_map import DenseOnFeatureMap
from cnncalc.linter.rules.dropped_map_cells import DroppedMapCells
from cnncalc.linter.rules.even_kernel_same_padding import EvenKernelSamePadding
from cnncalc.linter.rules.groups_mismatch import GroupsMismatch
from cnncalc.linter.rules.hidden_sigmoid import HiddenSigmoid
from cnncalc.linter.rules.invalid_spec import InvalidSpec
from cnncalc.linter.rules.misaligned_branches import MisalignedBranches
from cnncalc.linter.rules.needs_feature_map import NeedsFeatureMap
from cnncalc.linter.rules.num_classes_mismatch import NumClassesMismatch
from cnncalc.linter.rules.output_too_small import OutputTooSmall
from cnncalc.linter.rules.parameter_explosion import ParameterExplosion
from cnncalc.linter.rules.pool_larger_than_map import PoolLargerThanMap
from cnncalc.linter.rules.receptive_field_too_small import ReceptiveFieldTooSmall
from cnncalc.linter.rules.reflect_padding_too_large import ReflectPaddingTooLarge
from cnncalc.linter.rules.reshape_size_mismatch import ReshapeSizeMismatch
from cnncalc.linter.rules.shapes_mismatch import ShapesMismatch
from cnncalc.linter.rules.size_out_of_range import SizeOutOfRange
from cnncalc.linter.rules.skipped_input_pixels import SkippedInputPixels
from cnncalc.linter.rules.softmax_not_last import SoftmaxNotLast
from cnncalc.linter.rules.strides_with_dilation import StridesWithDilation
from cnncalc.linter.rules.unseen_input_pixels import UnseenInputPixels
from cnncalc.linter.rules.unused_layer import UnusedLayer

RULES: tuple[Rule, ...] = (
    InvalidSpec(),
    OutputTooSmall(),
    GroupsMismatch(),
    StridesWithDilation(),
    NeedsFeatureMap(),
    ReflectPaddingTooLarge(),
    ShapesMismatch(),
    ReshapeSizeMismatch(),
    AxisOutOfRange(),
    ConnectionsOutOfRange(),
    UnseenInputPixels(),
    DroppedMapCells(),
    EvenKernelSamePadding(),
    DenseOnFeatureMap(),
    PoolLargerThanMap(),
    UnusedLayer(),
    SkippedInputPixels(),
    SizeOutOfRange(),
    ParameterExplosion(),
    DeadKernelTaps(),
    ConsecutiveLinearLayers(),
    SoftmaxNotLast(),
    HiddenSigmoid(),
    NumClassesMismatch(),
    ReceptiveFieldTooSmall(),
    MisalignedBranches(),
)

LINT_RULES: tuple[LintRule, ...] = tuple(rule for rule in RULES if isinstance(rule, LintRule))
"""The rules that ``select`` and ``ignore`` choose from."""


def find_rule(code_or_name: str) -> Rule | None:
    """The rule with this code (any case) or name.

    >>> find_rule("cnn110").name, find_rule("parameter-explosion").code
    ('unseen-input-pixels', 'CNN201')
    """
    return next((r for r in RULES if code_or_name.upper() == r.code or code_or_name == r.name), None)

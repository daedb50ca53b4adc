"""cnncalc: every layer's shape, parameter count and problems, before you train.

>>> import cnncalc
>>> cnncalc.conv_output_size(28, 5), cnncalc.conv_params(5, 1, 6)
(24, 156)
"""

from cnncalc.api import (
    SpecSource,
    analyze,
    assert_output_shape,
    assert_params,
    assert_total_params,
    assert_valid,
    diagram,
    lint,
    load,
    report,
)
from cnncalc.backends.keras import register_layers_with_keras
from cnncalc.diagnostics import Diagnostic, Severity
from cnncalc.errors import CnncalcError, Problem, SpecError
from cnncalc.linter.solver import Solution, solve
from cnncalc.shapes.formulas import (
    conv_output_size,
    conv_params,
    dense_params,
    pool_output_size,
    same_padding,
    tensor_size,
)
from cnncalc.shapes.records import Analysis, LayerRecord, ReceptiveField, Weight
from cnncalc.spec.models import Spec

__version__ = "0.1.0"

register_layers_with_keras()  # saved models that use cnncalc's Keras layers load after `import cnncalc`

__all__ = [
    "Analysis",
    "CnncalcError",
    "Diagnostic",
    "LayerRecord",
    "Problem",
    "ReceptiveField",
    "Severity",
    "Solution",
    "Spec",
    "SpecError",
    "SpecSource",
    "Weight",
    "__version__",
    "analyze",
    "assert_output_shape",
    "assert_params",
    "assert_total_params",
    "assert_valid",
    "conv_output_size",
    "conv_params",
    "dense_params",
    "diagram",
    "lint",
    "load",
    "pool_output_size",
    "report",
    "same_padding",
    "solve",
    "tensor_size",
]

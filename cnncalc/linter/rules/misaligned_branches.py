"""CNN402 misaligned-branches."""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction

from cnncalc.diagnostics import Severity
from cnncalc.linter.rule import Finding, LintRule, analysed, size_text
from cnncalc.shapes.records import Analysis, ReceptiveField
from cnncalc.shapes.text import format_int
from cnncalc.spec.models import Concatenate, Merge

AXES = ("rows", "columns")


class MisalignedBranches(LintRule):
    """A merge of branches whose cells see equally large patches of the input at different places.

    ## What it does
    At every merge (`add`, `concatenate`, ...), compares the receptive fields of the branches: for
    each axis, the size (input pixels one cell sees), the jump (input pixels between neighbouring
    cells) and the start (the first pixel cell 0 sees, negative in the padding). Branches with
    fields of equal size but different starts or jumps are misaligned.

    ## Why is this bad?
    A merge combines cell `i` of each branch as if they described the same place. When two
    branches see equally large patches that are shifted against each other, the merged cell mixes
    two neighbouring places, usually without anyone meaning it: the shapes agree, so nothing fails.
    It happens when branches pad differently, e.g. Keras' `same` on a stride-2 convolution pads
    only after (0 before, 1 after on an even input), while a `zeropad2d` of 1 pads before too.

    ## Example
    Both branches are 3×3 convolutions with stride 2 giving 28×28 maps, but the first pads
    nothing before the image (start 0) and the second one pixel (start −1).

    ```yaml
    input: [56, 56, 16]
    layers:
      - {type: conv2d, name: keras_style, filters: 16, kernel_size: 3, strides: 2, padding: same}
      - {type: zeropad2d, name: pad, padding: 1, inputs: input}
      - {type: conv2d, name: torch_style, filters: 16, kernel_size: 3, strides: 2}
      - {type: add, inputs: [keras_style, torch_style]}
    ```

    Use instead:

    ```yaml
    input: [56, 56, 16]
    layers:
      - {type: conv2d, name: keras_style, filters: 16, kernel_size: 3, strides: 2, padding: same}
      - {type: conv2d, name: same_too, filters: 16, kernel_size: 3, strides: 2, padding: same, inputs: input}
      - {type: add, inputs: [keras_style, same_too]}
    ```

    ## How to fix
    Pad (or crop) the branches alike, so that their cells start at the same input pixel; with
    different jumps, downsample both by the same factor before the merge.
    """

    code = "CNN402"
    name = "misaligned-branches"
    severity = Severity.WARNING

    def check(self, analysis: Analysis) -> Iterator[Finding]:
        for record in analysed(analysis):
            if not isinstance(record.layer, Merge | Concatenate):
                continue
            branches = [
                (name, ReceptiveField.identity() if source is None else source.receptive_field)
                for name, source in zip(record.inputs, analysis.inputs_of(record), strict=True)
            ]
            first_name, first = branches[0]
            for name, field in branches[1:]:
                if first is None or field is None:
                    continue
                axes = [a for a in range(2) if _misaligned(first, field, a)]
                if axes:
                    yield Finding(
                        record.index,
                        f"{record.name} merges {first_name} and {name}, whose cells each see "
                        f"{size_text(*first.size)} input pixels but {_difference(first, field, axes)}",
                        _hint(first, field, axes, name),
                    )
                    break


def _misaligned(a: ReceptiveField, b: ReceptiveField, axis: int) -> bool:
    return a.size[axis] == b.size[axis] and (a.start[axis] != b.start[axis] or a.jump[axis] != b.jump[axis])


def _difference(a: ReceptiveField, b: ReceptiveField, axes: list[int]) -> str:
    """``starting at pixel 0 and −1 of the rows and columns``."""
    parts = []
    for what, values in (("starting at pixel", "start"), ("moving by", "jump")):
        differ = [axis for axis in axes if getattr(a, values)[axis] != getattr(b, values)[axis]]
        if differ:
            axis = differ[0]
            pair = f"{_number(getattr(a, values)[axis])} and {_number(getattr(b, values)[axis])}"
            unit = " pixels per cell" if values == "jump" else ""
            parts.append(f"{what} {pair}{unit} of the {' and '.join(AXES[d] for d in differ)}")
    return "; ".join(parts)


def _hint(a: ReceptiveField, b: ReceptiveField, axes: list[int], name: str) -> str:
    if any(a.jump[axis] != b.jump[axis] for axis in axes):
        return "downsample both branches by the same factor before merging them"
    axis = next(axis for axis in axes if a.start[axis] != b.start[axis])
    offset = Fraction(b.start[axis] - a.start[axis])
    cells = offset / b.jump[axis]
    where = "after" if offset > 0 else "before"
    pixels = f"{format_int(abs(offset.numerator))} input {'pixel' if abs(offset) == 1 else 'pixels'}"
    if cells.denominator == 1:
        move = f"{abs(cells.numerator)} {'cell' if abs(cells) == 1 else 'cells'}"
        return (
            f"{name} starts {pixels} {where} the other: pad or crop one branch by {move}, "
            "or pad both alike (the same `padding` on the same layers)"
        )
    return f"{name} starts {pixels} {where} the other, part of a cell: pad both branches alike"


def _number(value: Fraction | int) -> str:
    fraction = Fraction(value)
    return format_int(fraction.numerator) if fraction.denominator == 1 else f"{fraction}".replace("-", "−")

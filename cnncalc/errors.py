"""The project's exception types: problems meant for people, printed once, never as tracebacks."""

from __future__ import annotations

import reprlib
from dataclasses import dataclass

_SHORT = reprlib.Repr()
_SHORT.maxlevel, _SHORT.maxlist, _SHORT.maxdict, _SHORT.maxstring, _SHORT.maxother = 3, 4, 4, 40, 40


@dataclass(frozen=True)
class Problem:
    """One located problem with an input file: what is wrong and where.

    >>> str(Problem("unknown layer type 'conv'", file="net.yaml", line=4, column=5, field="layers[2].type"))
    "net.yaml:4:5: layers[2].type: unknown layer type 'conv'"
    """

    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    field: str | None = None
    hint: str | None = None

    def __str__(self) -> str:
        where = ":".join(str(part) for part in (self.file, self.line, self.column) if part is not None)
        parts = [part for part in (where, self.field, self.message) if part]
        return ": ".join(parts)


def show_value(value: object) -> str:
    """A short, YAML-flavoured rendering of a user's value for messages.

    >>> show_value(True), show_value(None), show_value(2.5), show_value("x" * 50)
    ('true', 'null', '2.5', "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...'")
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, str):
        return repr(value if len(value) <= 40 else value[:37] + "...")
    if isinstance(value, int) and value.bit_length() > 64:
        return f"an integer of {digit_count(value):,} digits"
    return _SHORT.repr(value)


def digit_count(value: int) -> int:
    """The decimal digits of ``value``, without writing it out (Python refuses to past 4,300).

    >>> digit_count(10**400 - 1), digit_count(10**400), digit_count(-7), digit_count(0)
    (400, 401, 1, 1)
    """
    value = abs(value)
    lower = max((value.bit_length() - 1) * 30103 // 100000, 0)  # ⌊log10 2^(bits − 1)⌋ ≤ log10 value
    return lower + 1 if value < 10 ** (lower + 1) else lower + 2


class CnncalcError(Exception):
    """Base of every error cnncalc raises for bad input; the CLI turns it into exit code 2."""


class SpecError(CnncalcError):
    """A spec that cannot be read or validated, with every problem found and its location."""

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))

    @property
    def file(self) -> str | None:
        """The file the problems were found in, if the spec came from a file."""
        return self.problems[0].file if self.problems else None


class DataError(CnncalcError):
    """Training data that cannot be found, read or fed to the model."""

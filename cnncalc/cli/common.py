"""What every command shares: exit codes, consoles, error reporting and common options."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from enum import IntEnum
from pathlib import Path
from typing import Annotated, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from cnncalc.errors import CnncalcError
from cnncalc.render.formats import OutputFormat

P = ParamSpec("P")
R = TypeVar("R")


class ExitCode(IntEnum):
    """Exit codes, as ruff's: findings are 1, anything abnormal is 2."""

    OK = 0
    FINDINGS = 1
    ERROR = 2


SpecFiles = Annotated[
    list[Path],
    typer.Argument(
        help="Spec files (YAML or JSON), folders to search for them, or - for standard input.",
        show_default=False,
        metavar="FILE",
    ),
]
FormatOption = Annotated[
    OutputFormat,
    typer.Option(
        "--format",
        "-f",
        help="Output format: " + ", ".join(f.value for f in OutputFormat) + ".",
        case_sensitive=False,
        metavar="FORMAT",
        show_choices=False,
    ),
]

ForceOption = Annotated[bool, typer.Option("--force", help="Overwrite an existing output file.")]


def paragraphs(docstring: str) -> str:
    r"""A docstring's paragraphs, each on one line, for typer to wrap at the terminal's width (it
    keeps the docstring's own line breaks, which break lines mid-sentence at 80 columns).

    >>> paragraphs("One line.\n\n    Two\n    lines.\n")
    'One line.\n\nTwo lines.'
    """
    return "\n\n".join(" ".join(part.split()) for part in inspect.cleandoc(docstring).split("\n\n"))


def refuse_to_overwrite(output: Path | None, force: bool) -> None:
    """Fail before the slow work, not after it, when the output exists and ``--force`` is not given,
    or its folder does not exist (``write_atomic`` checks again when writing)."""
    if output is None:
        return
    if output.exists() and not force:
        raise CnncalcError(f"{output} already exists; pass --force to overwrite it")
    if not output.parent.is_dir():
        raise CnncalcError(f"folder {output.parent} does not exist")


def reporting_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn the project's errors into one message on stderr and exit code 2, never a traceback."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except CnncalcError as exc:
            stderr().print(f"[bold red]error[/bold red]: {escape(str(exc))}", soft_wrap=True)
            raise typer.Exit(ExitCode.ERROR) from None

    return wrapper


def stdout() -> Console:
    """The console reports go to."""
    return Console(highlight=False)


def stderr() -> Console:
    """The console errors go to."""
    return Console(stderr=True, highlight=False)

"""What every command shares: exit codes, consoles, error reporting and common options."""

from __future__ import annotations

import functools
import inspect
import os
import sys
from collections.abc import Callable
from enum import IntEnum
from pathlib import Path
from typing import Annotated, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from cnncalc.errors import CnncalcError
from cnncalc.render.escape import visible
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


def reporting_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn the project's errors, and the system's (a file that cannot be read or written, a full
    disk, no memory left), into one message on stderr and exit code 2, never a traceback.
    Programming errors still show theirs."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except CnncalcError as exc:
            message: str | None = str(exc)
        except OSError as exc:
            message = os_error_message(exc)
            release_stdout()
        except MemoryError:
            message = "out of memory: this needs more memory than the machine has"
        if message is not None:
            stderr().print(f"[bold red]error[/bold red]: {escape(visible(message))}", soft_wrap=True)
        raise typer.Exit(ExitCode.ERROR)

    return wrapper


def os_error_message(error: OSError) -> str | None:
    """``net.yaml: Permission denied``; ``None`` for a reader that stopped reading (``| head``),
    which needs no message.

    >>> os_error_message(PermissionError(13, "Permission denied", "pyproject.toml"))
    'pyproject.toml: Permission denied'
    """
    if isinstance(error, BrokenPipeError):
        return None
    reason = error.strerror or str(error)
    names = [str(name) for name in (error.filename, error.filename2) if name is not None]
    return f"{' → '.join(names)}: {reason}" if names else reason


def release_stdout() -> None:
    """After standard output failed (a full disk, a closed pipe), point it at ``/dev/null``, so
    that Python's final flush does not fail again with a traceback and exit code 120."""
    try:
        sys.stdout.flush()
    except OSError:
        try:
            descriptor = os.open(os.devnull, os.O_WRONLY)
            os.dup2(descriptor, sys.stdout.fileno())
            os.close(descriptor)
        except (OSError, ValueError):  # no real descriptor (tests capture stdout)
            pass


def stdout() -> Console:
    """The console reports go to."""
    return Console(highlight=False)


def stderr() -> Console:
    """The console errors go to."""
    return Console(stderr=True, highlight=False)

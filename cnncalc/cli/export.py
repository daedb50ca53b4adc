"""``cnncalc export``: a spec as code or a saved model for another framework."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cnncalc.cli.common import ForceOption
from cnncalc.errors import CnncalcError
from cnncalc.export import TARGETS
from cnncalc.export import export as export_spec
from cnncalc.files import Output, check_outputs, write_atomic

OutputFile = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")
]


def export(
    file: Annotated[Path, typer.Argument(help="Spec file (YAML).", show_default=False)],
    to: Annotated[
        str, typer.Option("--to", help=f"What to write: {', '.join(TARGETS)}.", show_default=False)
    ],
    output: OutputFile = None,
    force: ForceOption = False,
) -> None:
    """Write the spec as code or a saved model for another framework (see --to)."""
    if to not in TARGETS:
        raise typer.BadParameter(f"{to!r} is not one of {', '.join(TARGETS)}", param_hint="'--to'")
    target = TARGETS[to]
    if output is not None:
        check_outputs([Output(output, "-o", target.suffix, f"--to {to}")], force=force)
    elif target.saved_model:
        raise CnncalcError(f"--to {to} writes a binary file: give it a name with -o model{target.suffix}")
    data = export_spec(file, to)
    if output is not None:
        write_atomic(output, data, force=force)
    else:
        typer.echo(data, nl=False)

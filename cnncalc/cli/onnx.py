"""``cnncalc import-onnx``: any framework's ONNX model as a spec."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cnncalc.cli.common import ForceOption
from cnncalc.cli.export import OutputFile
from cnncalc.errors import CnncalcError, SpecError
from cnncalc.files import Output, check_outputs, write_atomic


def import_onnx(
    model_file: Annotated[Path, typer.Argument(help="An ONNX model (.onnx).", show_default=False)],
    output: OutputFile = None,
    force: ForceOption = False,
) -> None:
    """Turn an ONNX model (PyTorch's torch.onnx.export, or any framework's) into a spec."""
    from cnncalc.backends.onnx.convert import import_onnx as convert
    from cnncalc.spec.writer import spec_yaml

    if output is not None:
        check_outputs([Output(output, "-o")], force=force)
    try:
        spec = convert(model_file)
    except SpecError as exc:
        if len(exc.problems) == 1:
            raise
        found = "; ".join(f"{p.field}: {p.message}" if p.field else p.message for p in exc.problems)
        raise CnncalcError(f"cannot import {model_file} as a cnncalc spec: {found}") from None
    text = spec_yaml(spec, comment=f"Imported from {model_file.name} by cnncalc import-onnx.")
    if output is None:
        typer.echo(text, nl=False)
    else:
        write_atomic(output, text, force=force)

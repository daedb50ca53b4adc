"""``cnncalc diagram`` and ``cnncalc report``: pictures of a network. The drawing code loads only
when one of them runs."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from cnncalc.cli.common import ForceOption
from cnncalc.cli.reports import check_file
from cnncalc.errors import CnncalcError
from cnncalc.files import Output, check_outputs, write_atomic
from cnncalc.linter.config import find_config
from cnncalc.render import Failure
from cnncalc.shapes.records import Analysis


class Style(StrEnum):
    """How ``diagram`` draws a network."""

    BLOCKS = "blocks"
    GRAPH = "graph"


class Flow(StrEnum):
    """Which way a diagram reads."""

    LR = "LR"
    TB = "TB"


class Theme(StrEnum):
    """Light or dark colours."""

    LIGHT = "light"
    DARK = "dark"


SpecFile = Annotated[Path, typer.Argument(help="Spec file (YAML).", show_default=False)]
ThemeOption = Annotated[Theme, typer.Option("--theme", help="Colours.", case_sensitive=False)]
SUFFIXES = (".svg", ".png", ".pdf")


def diagram(
    file: SpecFile,
    *,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write .svg, .png or .pdf (PNG and PDF need the png extra)."),
    ] = None,
    style: Annotated[
        Style, typer.Option("--style", help="Blocks sized by shape, or a node graph.", case_sensitive=False)
    ] = Style.BLOCKS,
    direction: Annotated[
        Flow | None,
        typer.Option(
            "--direction",
            help="LR (left to right) or TB (top to bottom); default LR for blocks, TB for graph.",
            case_sensitive=False,
            show_default=False,
        ),
    ] = None,
    theme: ThemeOption = Theme.LIGHT,
    force: ForceOption = False,
) -> None:
    """Draw the network: each feature map a block sized by its shape (or a node graph), as SVG."""
    suffix = output.suffix.lower() if output is not None else ".svg"
    if suffix not in SUFFIXES:
        raise CnncalcError(f"-o {output}: cnncalc draws {', '.join(SUFFIXES)} files")
    if output is not None:
        check_outputs([Output(output, "-o")], force=force)
    from cnncalc.pictures import draw

    svg = draw(
        _analysis(file),
        style=style.value,
        direction=None if direction is None else direction.value,
        theme=theme.value,
    )
    if output is None:
        typer.echo(svg, nl=False)
    elif suffix == ".svg":
        write_atomic(output, svg, force=force)
    else:
        from cnncalc.pictures.convert import convert

        write_atomic(output, convert(svg, ".png" if suffix == ".png" else ".pdf"), force=force)


def report(
    file: SpecFile,
    *,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")
    ] = None,
    theme: ThemeOption = Theme.LIGHT,
    force: ForceOption = False,
) -> None:
    """Write one self-contained HTML page: diagram, sortable layer table, totals, findings, formulas.

    Lint settings come from the nearest pyproject.toml, as for check.
    """
    if output is not None:
        check_outputs([Output(output, "-o")], force=force)
    from cnncalc.pictures.report import render_report

    html = render_report(_analysis(file), theme=theme.value)
    if output is None:
        typer.echo(html, nl=False)
    else:
        write_atomic(output, html, force=force)


def _analysis(file: Path) -> Analysis:
    """The analysis of ``file`` with the findings ``check`` would report; exit 2 if it is unreadable."""
    result = check_file(file, find_config(file.parent))
    if isinstance(result, Failure):
        raise result.error
    return result

"""``cnncalc rules``, ``cnncalc rule`` and ``cnncalc solve``."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, assert_never

import typer

from cnncalc.cli.common import ExitCode, ForceOption, stdout
from cnncalc.errors import CnncalcError
from cnncalc.files import Output, check_outputs, write_atomic
from cnncalc.linter.docs import pages, rule_page
from cnncalc.linter.registry import RULES, find_rule
from cnncalc.linter.solver import solve as solve_sizes
from cnncalc.shapes.text import window_formula


class ListFormat(StrEnum):
    """How ``rules`` and ``solve`` print."""

    TABLE = "table"
    JSON = "json"


SHOWN = 20
"""How many solutions ``cnncalc solve`` lists at most (an input of a billion has millions)."""


class PaddingChoice(StrEnum):
    """Which padding ``solve`` tries."""

    VALID = "valid"
    SAME = "same"
    EXPLICIT = "explicit"


ListFormatOption = Annotated[
    ListFormat, typer.Option("--format", "-f", help="Output format.", case_sensitive=False)
]


def rules(
    output_format: ListFormatOption = ListFormat.TABLE,
    docs: Annotated[
        Path | None,
        typer.Option(
            "--docs", help="Write one Markdown page per rule, and an index, into DIR.", metavar="DIR"
        ),
    ] = None,
    force: ForceOption = False,
) -> None:
    """List every rule: code, name, default severity and summary."""
    if docs is not None:
        written = {docs / name: text for name, text in pages().items()}
        if docs.is_dir():
            check_outputs([Output(path, "--docs") for path in written], force=force)
        docs.mkdir(parents=True, exist_ok=True)
        for path, text in written.items():
            write_atomic(path, text, force=force)
        return
    match output_format:
        case ListFormat.TABLE:
            from rich.table import Table

            table = Table(header_style="bold")
            for column in ("Code", "Name", "Severity", "Summary"):
                table.add_column(column)
            for rule in RULES:
                table.add_row(rule.code, rule.name, rule.severity.value, rule.summary)
            stdout().print(table)
        case ListFormat.JSON:
            listing = [
                {"code": r.code, "name": r.name, "severity": r.severity.value, "summary": r.summary}
                for r in RULES
            ]
            typer.echo(json.dumps(listing, indent=2, ensure_ascii=False))
        case _ as unreachable:
            assert_never(unreachable)


def rule(
    code: Annotated[str, typer.Argument(help="A rule's code (CNN110) or name (unseen-input-pixels).")],
) -> None:
    """Explain one rule: what it finds, why it matters, an example and its fix."""
    found = find_rule(code)
    if found is None:
        raise CnncalcError(f"no rule `{code}`; `cnncalc rules` lists them")
    typer.echo(rule_page(found), nl=False)


def solve(
    *,
    input_size: Annotated[int, typer.Option("--input", min=1, help="Input size along one axis.")],
    output_size: Annotated[int, typer.Option("--output", min=1, help="The size to reach.")],
    kernel: Annotated[int, typer.Option("--kernel", min=1, help="Kernel (or pool window) size.")],
    stride: Annotated[int | None, typer.Option("--stride", min=1, help="Only this stride.")] = None,
    dilation: Annotated[int | None, typer.Option("--dilation", min=1, help="Only this dilation.")] = None,
    padding: Annotated[
        PaddingChoice | None,
        typer.Option("--padding", help="Only this kind of padding.", case_sensitive=False),
    ] = None,
    output_format: ListFormatOption = ListFormat.TABLE,
) -> None:
    """Every strides, padding and dilation that take the input size to the output size, simplest first.

    Exits 1 when there is none.
    """
    found = solve_sizes(
        input_size,
        output_size,
        kernel,
        strides=stride,
        dilation=dilation,
        padding=None if padding is None else padding.value,
        limit=SHOWN + 1,
    )
    more = len(found) > SHOWN
    found = found[:SHOWN]
    match output_format:
        case ListFormat.TABLE:
            from rich.table import Table

            table = Table(
                title=f"{input_size} → {output_size} with a kernel of {kernel}",
                title_justify="left",
                header_style="bold",
            )
            for column in ("#", "Strides", "Dilation", "Padding", "Output size", "Left out"):
                table.add_column(
                    column, justify="right" if column in {"#", "Strides", "Dilation"} else "left"
                )
            for number, s in enumerate(found, 1):
                split = f" ({s.window.pad_before} + {s.window.pad_after})" if s.padding == "same" else ""
                table.add_row(
                    str(number),
                    str(s.strides),
                    str(s.dilation),
                    s.padding_text.removeprefix("padding ") + split,
                    window_formula(s.window),
                    f"last {s.dropped}" if s.dropped else "",
                )
            if found:
                stdout().print(table)
                if more:
                    stdout().print(
                        f"There are more; the {SHOWN} simplest are shown. "
                        "Fix --stride, --dilation or --padding to see others."
                    )
            else:
                stdout().print(f"no strides, padding and dilation take {input_size} to {output_size}")
        case ListFormat.JSON:
            listing = [
                {
                    "strides": s.strides,
                    "dilation": s.dilation,
                    "padding": s.padding if isinstance(s.padding, str) else list(s.padding),
                    "pad": [s.window.pad_before, s.window.pad_after],
                    "output": s.output,
                    "dropped": s.dropped,
                }
                for s in found
            ]
            typer.echo(json.dumps(listing, indent=2))
        case _ as unreachable:
            assert_never(unreachable)
    raise typer.Exit(ExitCode.OK if found else ExitCode.FINDINGS)

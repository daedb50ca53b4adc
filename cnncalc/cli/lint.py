"""``cnncalc rules``, ``cnncalc rule`` and ``cnncalc solve``."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, assert_never

import typer

from cnncalc.cli.common import ExitCode, ForceOption, stdout
from cnncalc.errors import CnncalcError
from cnncalc.files import Output, check_outputs, write_atomic
from cnncalc.linter.docs import pages, rule_page, rule_url
from cnncalc.linter.registry import RULES, find_rule
from cnncalc.linter.solver import Solution
from cnncalc.linter.solver import solve as solve_sizes
from cnncalc.shapes.text import window_formula

if TYPE_CHECKING:
    from rich.table import Table


class ListFormat(StrEnum):
    """How ``rules``, ``rule`` and ``solve`` print."""

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
            for column in ("Code", "Name", "Severity"):
                table.add_column(column, no_wrap=True)
            table.add_column("Summary", min_width=20)  # prose: the only column that wraps
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
    output_format: ListFormatOption = ListFormat.TABLE,
) -> None:
    """Explain one rule: what it finds, why it matters, an example and its fix."""
    found = find_rule(code)
    if found is None:
        raise CnncalcError(f"no rule `{code}`; `cnncalc rules` lists them")
    match output_format:
        case ListFormat.TABLE:
            typer.echo(rule_page(found, links=False), nl=False)
        case ListFormat.JSON:
            entry = {
                "code": found.code,
                "name": found.name,
                "severity": found.severity.value,
                "family": found.family,
                "summary": found.summary,
                "always_reported": found.always_reported is not None,
                "url": rule_url(found.code),
                "explanation": found.docs,
            }
            typer.echo(json.dumps(entry, indent=2, ensure_ascii=False))
        case _ as unreachable:
            assert_never(unreachable)


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
            console = stdout()
            if not found:
                console.print(f"no strides, padding and dilation take {input_size} to {output_size}")
            else:
                from cnncalc.render.table import print_whole

                console.print(f"{input_size} → {output_size} with a kernel of {kernel}")
                print_whole(console, _solutions_table(found))
                if more:
                    console.print(
                        f"There are more; the {SHOWN} simplest are shown. "
                        "Fix --stride, --dilation or --padding to see others.",
                        soft_wrap=True,
                    )
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


def _solutions_table(found: list[Solution]) -> Table:
    """One row per solution; its output size as a formula (never broken inside: the column does not
    wrap, a dilated kernel's span goes on a line of its own)."""
    from rich.table import Table

    columns = ["#", "Strides", "Dilation", "Padding", "Output size"]
    if any(s.dropped for s in found):
        columns.append("Left out")
    table = Table(header_style="bold")
    for column in columns:
        table.add_column(
            column, justify="right" if column in {"#", "Strides", "Dilation"} else "left", no_wrap=True
        )
    for number, s in enumerate(found, 1):
        split = f" ({s.window.pad_before} + {s.window.pad_after})" if s.padding == "same" else ""
        cells = [
            str(number),
            str(s.strides),
            str(s.dilation),
            s.padding_text.removeprefix("padding ") + split,
            window_formula(s.window).replace("; ", ";\n"),
        ]
        table.add_row(*cells, *([f"last {s.dropped}" if s.dropped else ""] if len(columns) > 5 else []))
    return table

"""Small pieces of Python source the exporters write: literals, identifiers, calls wrapped as ruff would."""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterable
from typing import Any

from cnncalc.export.source_parts import LINE_LENGTH
from cnncalc.render.escape import python_text


def literal(value: Any) -> str:
    """Python source for a value, strings in double quotes (as ruff formats them), any character in
    them escaped (a layer name may hold quotes, backslashes, newlines, terminal controls)."""
    if isinstance(value, str):
        return f'"{python_text(value)}"'
    if isinstance(value, list):
        return "[" + ", ".join(literal(item) for item in value) + "]"
    if isinstance(value, tuple):
        items = [literal(item) for item in value]
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    return repr(value)


def identifier(name: str, taken: Iterable[str] = ()) -> str:
    """A Python name for ``name`` (a layer's): other characters become ``_``, a leading digit gets an
    ``x`` (``0_conv`` → ``x0_conv``), a keyword or a name in ``taken`` gets ``_`` at the end."""
    text = re.sub(r"\W", "_", name, flags=re.ASCII) or "_"
    if text[0].isdigit():
        text = "x" + text
    taken = set(taken)
    while keyword.iskeyword(text) or text in taken:
        text += "_"
    return text


def call(
    function: str,
    arguments: list[str],
    *,
    indent: int,
    prefix: str = "",
    suffix: str = "",
    then: str | None = None,
) -> list[str]:
    """``prefix + function(arguments)(then) + suffix`` as lines at ``indent`` spaces, wrapped as ruff
    formats a statement that is too long: first the last brackets (``then`` alone on a line), then the
    arguments together on their own line, else one per line."""
    pad = " " * indent
    joined = ", ".join(arguments)
    after = f"({then}){suffix}" if then is not None else suffix
    line = f"{pad}{prefix}{function}({joined}){after}"
    if len(line) <= LINE_LENGTH:
        return [line]
    head = f"{pad}{prefix}{function}({joined})("
    if then is not None and len(head) <= LINE_LENGTH and len(f"{pad}    {then}") <= LINE_LENGTH:
        return [head, f"{pad}    {then}", f"{pad}){suffix}"]
    inner = f"{pad}    {joined}"
    if len(inner) <= LINE_LENGTH:
        return [f"{pad}{prefix}{function}(", inner, f"{pad}){after}"]
    return [
        f"{pad}{prefix}{function}(",
        *(f"{pad}    {argument}," for argument in arguments),
        f"{pad}){after}",
    ]

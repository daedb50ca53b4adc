"""CNN001 invalid-spec."""

from __future__ import annotations

from cnncalc.diagnostics import Severity
from cnncalc.linter.rule import Rule


class InvalidSpec(Rule):
    """A file that cannot be read or validated as a spec: nothing in it can be analysed.

    ## What it does
    Reports every problem that keeps a file from loading: it cannot be read (missing, a folder,
    binary, not UTF-8, too large), it is not valid YAML or JSON (a tab in the indentation, a
    duplicate key, a YAML tag), or a field is missing, unknown, or of the wrong type or value. Each
    problem carries the file, line, column and the field's path (`layers[3].kernel_size`), and a hint
    such as "did you mean `conv2d`?".

    ## Why is this bad?
    Nothing in the file is checked until it loads. `cnncalc check` exits 2 for it, as for bad usage,
    so that a CI job never takes a broken spec for a clean one; with several files, the others are
    still checked and reported.

    ## Example
    ```yaml
    input: [28, 28, 1]
    layers:
      - {type: conv, filters: 32, kernel_size: 3}
    ```

    Use instead:

    ```yaml
    input: [28, 28, 1]
    layers:
      - {type: conv2d, filters: 32, kernel_size: 3}
    ```

    ## How to fix
    Follow the hint under the message. `cnncalc schema` writes the spec language's JSON Schema, with
    which editors complete and check specs while you type ([the spec language](../spec.md)).
    """

    code = "CNN001"
    name = "invalid-spec"
    severity = Severity.ERROR
    always_reported = "nothing in the file can be analysed"

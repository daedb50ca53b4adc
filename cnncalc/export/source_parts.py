"""Copy definitions out of real modules into one script, with everything they use.

An exporter that writes a readable script keeps the script's code in ordinary modules, which
ruff, mypy and the tests see, and copies from them (see :mod:`cnncalc.export.numpy_code`). Given
the names a script needs, :meth:`SourceParts.needed` adds every top-level definition and import
those names read, transitively, and :meth:`SourceParts.script` writes them out in the modules'
order, imports grouped and sorted as isort does. Imports between the part modules are dropped:
in the script every definition is at top level.

Part modules hold only imports and top-level definitions (functions, classes, assignments to a
name, an assignment's docstring); a name is read wherever it appears in a definition's code,
annotations included.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import inspect
import itertools
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

__all__ = ["Definition", "SourceParts", "names_read"]

PACKAGE = __name__.split(".")[0]
LINE_LENGTH = 110
"""The longest line written (the project's, as in pyproject.toml)."""


@dataclass(frozen=True)
class Definition:
    """One top-level name of a part module: its definition, or its import."""

    name: str
    source: str
    """The definition's source lines; for an import, ``name`` or ``name as alias``."""
    reads: frozenset[str] = field(default=frozenset())
    """The names its code reads."""
    module: str = ""
    """For an import, the module it comes from; ``""`` for a definition."""
    plain_import: bool = False
    """For an import, whether it is ``import module as name`` rather than ``from module import name``."""
    block: bool = False
    """Whether it is a function or a class: two blank lines around it, none between constants."""


def names_read(source: str) -> set[str]:
    """Every name that Python code reads or binds (an over-approximation of what it needs)."""
    return {node.id for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Name)}


class SourceParts:
    """The top-level definitions of some modules, ready to be copied into a script."""

    def __init__(self, definitions: dict[str, Definition]) -> None:
        self.definitions = definitions
        """Every top-level name, in the modules' order."""

    @staticmethod
    @functools.cache
    def of(*modules: ModuleType) -> SourceParts:
        """The parts of ``modules``, in that order (read once per set of modules)."""
        definitions: dict[str, Definition] = {}
        for module in modules:
            definitions.update(_module_definitions(inspect.getsource(module)))
        return SourceParts(definitions)

    @staticmethod
    @functools.cache
    def read(*names: str) -> SourceParts:
        """The parts of the modules called ``names``, read from their files without importing them
        (the Keras script's parts import Keras, which writing a script must not)."""
        definitions: dict[str, Definition] = {}
        for name in names:
            spec = importlib.util.find_spec(name)
            if spec is None or spec.origin is None:
                raise ModuleNotFoundError(name)
            definitions.update(_module_definitions(Path(spec.origin).read_text(encoding="utf-8")))
        return SourceParts(definitions)

    def needed(self, roots: Iterable[str], *, own: Iterable[str] = ()) -> list[str]:
        """``roots`` and every name they read, transitively, in the modules' order; names in
        ``own`` are the script's own (not copied, nor followed)."""
        candidates = {name: value for name, value in self.definitions.items() if name not in set(own)}
        needed: set[str] = set()
        pending = [name for name in roots if name in candidates]
        while pending:
            name = pending.pop()
            if name not in needed:
                needed.add(name)
                pending.extend(read for read in candidates[name].reads if read in candidates)
        return [name for name in candidates if name in needed]

    def script(self, names: list[str], code: list[Definition]) -> str:
        """The import block of ``names`` (the imports among them), then ``code``, spaced as ruff
        formats it."""
        body = code[0].source
        for before, definition in itertools.pairwise(code):
            body += ("\n\n\n" if before.block or definition.block else "\n") + definition.source
        gap = "\n\n\n" if code[0].block else "\n\n"  # isort: two blank lines before a def, one else
        return f"{self._import_block(names)}{gap}{body}"

    def _import_block(self, names: list[str]) -> str:
        imports = [self.definitions[name] for name in names if self.definitions[name].module]
        sections: list[list[str]] = [["from __future__ import annotations"], [], []]
        for plain in (True, False):  # isort: "import x" lines first, then "from x import y"
            by_module: dict[str, list[str]] = {}
            for definition in imports:
                if definition.plain_import == plain:
                    by_module.setdefault(definition.module, []).append(definition.source)
            for module in sorted(by_module):
                section = sections[1 if module.split(".")[0] in sys.stdlib_module_names else 2]
                if plain:
                    section.extend(f"import {source}" for source in sorted(by_module[module]))
                else:
                    section.append(_from_import(module, sorted(by_module[module])))
        return "\n\n".join("\n".join(section) for section in sections if section)


def _from_import(module: str, names: list[str]) -> str:
    """``from module import a, b``, one name a line (as ruff formats it) when it is too long."""
    line = f"from {module} import {', '.join(names)}"
    if len(line) <= LINE_LENGTH:
        return line
    return f"from {module} import (\n" + "".join(f"    {name},\n" for name in names) + ")"


def _module_definitions(source: str) -> dict[str, Definition]:
    lines = source.splitlines()
    body = ast.parse(source).body
    found: dict[str, Definition] = {}
    for index, node in enumerate(body):
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.update(_imports(node))
        elif isinstance(node, ast.FunctionDef | ast.ClassDef | ast.Assign | ast.AnnAssign):
            block = isinstance(node, ast.FunctionDef | ast.ClassDef)
            start = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
            end = node.end_lineno or node.lineno
            following = body[index + 1] if index + 1 < len(body) else None
            if following is not None and _is_docstring(following) and not block:
                end = following.end_lineno or end  # an assignment's docstring stays with it
            name = _bound_name(node)
            text = "\n".join(lines[start - 1 : end])  # decorators included
            reads = frozenset(child.id for child in ast.walk(node) if isinstance(child, ast.Name))
            found[name] = Definition(name, text, reads, block=block)
    return found


def _imports(node: ast.Import | ast.ImportFrom) -> dict[str, Definition]:
    """Each name an import binds, with its import; none for this package's own modules."""
    plain = isinstance(node, ast.Import)
    module = "" if isinstance(node, ast.Import) else node.module or ""
    if module.split(".")[0] == PACKAGE:
        return {}
    return {
        alias.asname or alias.name: Definition(
            alias.asname or alias.name,
            ast.unparse(alias),
            module=alias.name if plain else module,
            plain_import=plain,
        )
        for alias in node.names
    }


def _is_docstring(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    )


def _bound_name(node: ast.FunctionDef | ast.ClassDef | ast.Assign | ast.AnnAssign) -> str:
    if isinstance(node, ast.FunctionDef | ast.ClassDef):
        return node.name
    target = node.targets[0] if isinstance(node, ast.Assign) else node.target
    if not isinstance(target, ast.Name):
        raise TypeError(f"a part module assigns to {ast.unparse(target)}: only plain names are copied")
    return target.id

"""Which rules run, configured as ruff is: ``select``, ``extend-select`` and ``ignore`` take codes
(``CNN110``), code prefixes (``CNN2``), names (``parameter-explosion``) or ``ALL``, from the command
line or from the ``[tool.cnncalc]`` table of the nearest ``pyproject.toml``; a spec's own
``lint: ignore``, and a layer's, add to them.

Files that cannot be loaded (CNN001) and errors the engine stops at (CNN101–CNN109, CNN117) are
always reported and cannot be ignored.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cnncalc.errors import CnncalcError
from cnncalc.linter.registry import RULES
from cnncalc.linter.rule import EngineError, Rule

PYPROJECT_KEYS = ("select", "extend-select", "ignore", "strict")

ALL = "ALL"
"""The selector that matches every rule, as ruff's."""
"""The keys of ``[tool.cnncalc]``."""


class ConfigError(CnncalcError):
    """A rule selection or a ``[tool.cnncalc]`` table that cannot be used."""


@dataclass(frozen=True)
class LintConfig:
    """Which lint rules run, and whether warnings fail ``cnncalc check``."""

    select: tuple[str, ...] | None = None
    """Rules to run; ``None`` runs every rule."""
    ignore: tuple[str, ...] = ()
    """Rules not to run, even if selected."""
    strict: bool = False
    """Whether info findings make ``cnncalc check`` exit 1 too (errors and warnings always do)."""
    extend_select: tuple[str, ...] = ()
    """Rules to run in addition to ``select``."""
    origin: Path | None = field(default=None, compare=False)
    """The ``pyproject.toml`` these settings come from; ``None`` for the defaults."""

    def enabled(self, rule: Rule, also_ignore: Iterable[str] = ()) -> bool:
        """Whether ``rule`` runs: selected, and neither ignored here nor in ``also_ignore``."""
        selected = self.select is None or any(matches(rule, s) for s in (*self.select, *self.extend_select))
        return selected and not any(matches(rule, s) for s in (*self.ignore, *also_ignore))

    def override(
        self,
        select: tuple[str, ...] | None,
        ignore: tuple[str, ...],
        strict: bool | None,
        extend_select: tuple[str, ...] = (),
    ) -> LintConfig:
        """Command-line settings over these, as ruff layers them: ``select`` replaces the selection
        (``extend-select`` included), ``extend_select`` and ``ignore`` add, ``strict`` replaces."""
        return LintConfig(
            self.select if select is None else select,
            (*self.ignore, *ignore),
            self.strict if strict is None else strict,
            (*(self.extend_select if select is None else ()), *extend_select),
            self.origin,
        )


def matches(rule: Rule, selector: str) -> bool:
    """Whether ``selector`` (a code, a code prefix, a name or ``ALL``) designates ``rule``.

    >>> from cnncalc.linter.registry import RULES
    >>> [rule.code for rule in RULES if matches(rule, "CNN10")]
    ['CNN101', 'CNN102', 'CNN103', 'CNN104', 'CNN105', 'CNN106', 'CNN107', 'CNN108', 'CNN109']
    >>> all(matches(rule, "ALL") for rule in RULES)
    True
    """
    return selector in (ALL, rule.name) or rule.code.startswith(selector)


def normalise(selector: str) -> str:
    """Codes and ``ALL`` in capitals (``cnn110`` → ``CNN110``); names as they are."""
    selector = selector.strip()
    if selector.upper() == ALL or re.fullmatch(r"cnn[0-9]*", selector, flags=re.IGNORECASE):
        return selector.upper()
    return selector


def selector_problem(selector: str, *, ignoring: bool) -> tuple[str, str | None] | None:
    """What is wrong with a (normalised) selector, as ``(message, hint)``; ``None`` if nothing.

    >>> selector_problem("CNN9", ignoring=False)
    ('no rule matches `CNN9`', 'did you mean `CNN109`?')
    >>> selector_problem("output-too-small", ignoring=True)[0]
    '`output-too-small` (CNN101) is an error the analysis stops at, which cannot be ignored'
    >>> selector_problem("unseen-input-pixel", ignoring=False)
    ('no rule matches `unseen-input-pixel`', 'did you mean `unseen-input-pixels`?')
    """
    matched = [rule for rule in RULES if matches(rule, selector)]
    if not matched:
        words = [word for rule in RULES for word in (rule.code, rule.name)]
        close = difflib.get_close_matches(selector, words, n=1, cutoff=0.6)
        hint = f"did you mean `{close[0]}`?" if close else "run `cnncalc rules` to list them"
        return f"no rule matches `{selector}`", hint
    if ignoring and all(rule.always_reported for rule in matched):
        names = ", ".join(rule.name if rule.name != selector else rule.code for rule in matched)
        if all(isinstance(rule, EngineError) for rule in matched):
            kind = "is an error" if len(matched) == 1 else "are errors"
            return (
                f"`{selector}` ({names}) {kind} the analysis stops at, which cannot be ignored",
                "fix the layer instead: nothing after it can be analysed",
            )
        return (
            f"`{selector}` ({names}) reports files that cannot be loaded, which cannot be ignored",
            "fix the file instead: nothing in it can be analysed",
        )
    return None


def selectors(values: Iterable[str], origin: str, *, ignoring: bool) -> tuple[str, ...]:
    """Normalised selectors; a comma-separated value counts as several. Raises :class:`ConfigError`
    naming ``origin`` (``--select``, ``pyproject.toml: [tool.cnncalc] ignore``) for a bad one, an
    empty one included: ``--select ''`` selecting nothing would silently turn every rule off.

    >>> selectors(["CNN110,cnn2"], "--select", ignoring=False)
    ('CNN110', 'CNN2')
    >>> selectors([""], "--select", ignoring=False)
    Traceback (most recent call last):
    cnncalc.linter.config.ConfigError: --select: an empty rule selector selects nothing; give codes ...
    """
    result = tuple(normalise(part) for value in values for part in value.split(","))
    if "" in result:
        raise ConfigError(
            f"{origin}: an empty rule selector selects nothing; give codes (CNN110), prefixes (CNN2) "
            "or names (unseen-input-pixels)"
        )
    for selector in result:
        problem = selector_problem(selector, ignoring=ignoring)
        if problem is not None:
            message, hint = problem
            raise ConfigError(f"{origin}: {message}" + (f" ({hint})" if hint else ""))
    return result


def find_config(directory: Path) -> LintConfig:
    """The settings of the nearest ``pyproject.toml`` with a ``[tool.cnncalc]`` table, looking from
    ``directory`` upwards (as ruff does); the defaults if there is none."""
    try:
        directory = directory.absolute()
    except FileNotFoundError:  # os.getcwd() of a deleted folder
        raise ConfigError("the working folder no longer exists; cd to an existing one") from None
    for folder in (directory, *directory.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            config = read_pyproject(candidate)
            if config is not None:
                return config
    return LintConfig()


def read_pyproject(path: Path) -> LintConfig | None:
    """The ``[tool.cnncalc]`` table of ``path``, ``None`` if it has none."""
    import tomllib

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    tool = data.get("tool")
    table = tool.get("cnncalc") if isinstance(tool, dict) else None
    if table is None:
        return None
    where = f"{path}: [tool.cnncalc]"
    if not isinstance(table, dict):
        raise ConfigError(f"{where} must be a table")
    for key in table:
        if key not in PYPROJECT_KEYS:
            close = difflib.get_close_matches(key, PYPROJECT_KEYS, n=1)
            hint = f"did you mean `{close[0]}`?" if close else f"known keys: {', '.join(PYPROJECT_KEYS)}"
            raise ConfigError(f"{where}: unknown key `{key}` ({hint})")
    strict = table.get("strict", False)
    if not isinstance(strict, bool):
        raise ConfigError(f"{where} strict: expected true or false")
    select = table.get("select")
    return LintConfig(
        None if select is None else _selectors(select, f"{where} select", ignoring=False),
        _selectors(table.get("ignore", []), f"{where} ignore", ignoring=True),
        strict,
        _selectors(table.get("extend-select", []), f"{where} extend-select", ignoring=False),
        path,
    )


def _selectors(value: Any, where: str, *, ignoring: bool) -> tuple[str, ...]:
    return selectors(_strings(value, where), where, ignoring=ignoring)


def _strings(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f'{where}: expected a list of rule codes or names, such as ["CNN110", "CNN2"]')
    return value

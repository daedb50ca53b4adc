"""The small expression language of specs: ``$name`` and ``$(expression)`` in layer fields.

``$filters`` is a block parameter's value; ``$(4 * filters)`` computes one. Expressions are Python
syntax restricted to numbers, strings, booleans, lists, names, arithmetic (``+ - * / // %``),
comparisons, ``and``/``or``/``not``, ``a if condition else b`` and the functions ``min``, ``max``,
``int``, ``round`` and ``abs`` — nothing that loops, imports or grows without bound (no ``**``).

>>> evaluate("$(4 * filters)", {"filters": 64}), evaluate("$project", {"project": True})
(256, True)
>>> evaluate("$(2 if i == 1 else 1)", {"i": 3}), evaluate("conv", {})
(1, 'conv')
"""

from __future__ import annotations

import ast
import difflib
import operator
import re
from collections.abc import Callable, Mapping
from typing import Any

from cnncalc.errors import digit_count

MAX_LENGTH = 500
"""The longest expression accepted, in characters."""
MAX_DIGITS = 300
"""The most digits an integer may have, written or computed (so that sizes computed in blocks stay as
small as the loader's literals)."""

_NAME = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
}
_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}
_FUNCTIONS: dict[str, Callable[..., Any]] = {"min": min, "max": max, "int": int, "round": round, "abs": abs}


class ExpressionError(Exception):
    """An expression that cannot be evaluated: a message for people and, where it helps, a hint."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def is_expression(value: object) -> bool:
    """Whether ``value`` is written as ``$name`` or ``$(expression)``."""
    return isinstance(value, str) and (value.startswith("$(") or _NAME.fullmatch(value) is not None)


def has_expression(value: Any) -> bool:
    """Whether ``value`` holds an expression, itself or in a list (nested lists included)."""
    if isinstance(value, list):
        return any(has_expression(item) for item in value)
    return isinstance(value, str) and value[:1] == "$" and is_expression(value)


def evaluate(value: Any, names: Mapping[str, Any]) -> Any:
    """``value`` with every ``$name`` and ``$(expression)`` in it (lists included) replaced by its value."""
    if isinstance(value, list):
        return [evaluate(item, names) for item in value]
    if not is_expression(value):
        return value
    text: str = value
    if not text.startswith("$("):
        return _lookup(text[1:], names)
    if not text.endswith(")"):
        raise ExpressionError(f"expression {text!r} does not end with `)`", "write $(expression)")
    source = text[2:-1]
    if len(source) > MAX_LENGTH:
        raise ExpressionError(f"expression longer than {MAX_LENGTH} characters")
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"expression {text!r} is not valid: {exc.msg}") from None
    try:
        return _bounded(_value(tree.body, names), text)
    except ZeroDivisionError:
        raise ExpressionError(f"expression {text!r} divides by zero") from None
    except (TypeError, ValueError, OverflowError) as exc:
        raise ExpressionError(f"expression {text!r} cannot be computed: {exc}") from None


def _bounded(value: Any, text: str) -> Any:
    """``value``, unless it holds an integer of more than :data:`MAX_DIGITS` digits."""
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, int) and item.bit_length() > _MAX_BITS:
            raise ExpressionError(
                f"expression {text!r} gives a number of {digit_count(item):,} digits; at most {MAX_DIGITS}"
            )
    return value


_MAX_BITS = int(MAX_DIGITS / 0.30103)


def _lookup(name: str, names: Mapping[str, Any]) -> Any:
    if name in names:
        return names[name]
    match = difflib.get_close_matches(name, list(names), n=1)
    known = ", ".join(sorted(names)) or "none here"
    hint = f"did you mean `{match[0]}`?" if match else f"known names: {known}"
    raise ExpressionError(f"unknown name `{name}` in an expression", hint)


def _value(node: ast.expr, names: Mapping[str, Any]) -> Any:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float | str | bool | None):
        return node.value
    if isinstance(node, ast.Name):
        return _lookup(node.id, names)
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _value(node.left, names), _value(node.right, names)
        repeats = isinstance(node.op, ast.Mult) and any(isinstance(v, str | list) for v in (left, right))
        formats = isinstance(node.op, ast.Mod) and isinstance(left, str)
        if repeats or formats:  # 'x' * 10**9 or '%099999999d' % 1 would fill the memory
            raise ExpressionError(f"`{ast.unparse(node)}`: * and % take numbers, not text or lists")
        return _BINARY[type(node.op)](left, right)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd | ast.Not):
        operand = _value(node.operand, names)
        if isinstance(node.op, ast.Not):
            return not operand
        return -operand if isinstance(node.op, ast.USub) else +operand
    if isinstance(node, ast.BoolOp):
        values = (_value(item, names) for item in node.values)
        return all(values) if isinstance(node.op, ast.And) else any(values)
    if isinstance(node, ast.Compare) and all(type(op) in _COMPARE for op in node.ops):
        left = _value(node.left, names)
        for op, item in zip(node.ops, node.comparators, strict=True):
            right = _value(item, names)
            if not _COMPARE[type(op)](left, right):
                return False
            left = right
        return True
    if isinstance(node, ast.IfExp):
        return _value(node.body if _value(node.test, names) else node.orelse, names)
    if isinstance(node, ast.List | ast.Tuple):
        return [_value(item, names) for item in node.elts]
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in _FUNCTIONS
        and not node.keywords
    ):
        return _FUNCTIONS[node.func.id](*(_value(arg, names) for arg in node.args))
    raise ExpressionError(
        f"`{ast.unparse(node)}` is not allowed in an expression",
        "use numbers, names, + - * / // %, comparisons, and/or/not, `a if c else b`, "
        "min, max, int, round, abs",
    )

"""The colours of a diagram, light and dark, as CSS rules on the roles and classes of its shapes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeAlias

ThemeName: TypeAlias = Literal["light", "dark"]

FONT = "'DejaVu Sans', Verdana, 'Segoe UI', Helvetica, Arial, sans-serif"


@dataclass(frozen=True)
class Theme:
    """One palette: page, text and lines, and per kind of layer the fills of a block's faces
    ``(top, front, side)``."""

    background: str
    text: str
    muted: str
    line: str
    edge: str
    kinds: dict[str, tuple[str, str, str]]
    window: str
    error: str
    frame: str
    """The fill behind a block use's layers."""


LIGHT = Theme(
    background="#ffffff",
    text="#1f2328",
    muted="#59636e",
    line="#4b5563",
    edge="#57606a",
    kinds={
        "input": ("#f3f4f6", "#e5e7eb", "#c9ced6"),
        "conv": ("#dbeafe", "#93c5fd", "#60a5fa"),
        "pool": ("#fee2e2", "#fca5a5", "#f87171"),
        "dense": ("#ede9fe", "#c4b5fd", "#a78bfa"),
        "reshape": ("#fef3c7", "#fcd34d", "#f59e0b"),
        "pad": ("#f1f5f9", "#cbd5e1", "#94a3b8"),
        "norm": ("#ccfbf1", "#5eead4", "#2dd4bf"),
        "activation": ("#dcfce7", "#86efac", "#4ade80"),
        "dropout": ("#f5f5f4", "#d6d3d1", "#a8a29e"),
        "merge": ("#fef9c3", "#fde047", "#eab308"),
        "other": ("#f5f5f5", "#d4d4d4", "#a3a3a3"),
    },
    window="#1d4ed8",
    error="#cf222e",
    frame="#f6f8fa",
)

DARK = Theme(
    background="#0d1117",
    text="#e6edf3",
    muted="#9198a1",
    line="#c9d1d9",
    edge="#8b949e",
    kinds={
        "input": ("#4b5563", "#374151", "#1f2937"),
        "conv": ("#3b82f6", "#1d4ed8", "#1e3a8a"),
        "pool": ("#ef4444", "#b91c1c", "#7f1d1d"),
        "dense": ("#8b5cf6", "#6d28d9", "#4c1d95"),
        "reshape": ("#f59e0b", "#b45309", "#78350f"),
        "pad": ("#64748b", "#475569", "#334155"),
        "norm": ("#14b8a6", "#0f766e", "#134e4a"),
        "activation": ("#22c55e", "#15803d", "#14532d"),
        "dropout": ("#78716c", "#57534e", "#44403c"),
        "merge": ("#eab308", "#a16207", "#713f12"),
        "other": ("#737373", "#525252", "#404040"),
    },
    window="#fbbf24",
    error="#f85149",
    frame="#151b23",
)

THEMES: dict[ThemeName, Theme] = {"light": LIGHT, "dark": DARK}


def stylesheet(theme: Theme, scope: str) -> str:
    """The CSS of a diagram whose root element has the class ``scope``."""
    s = f".{scope}"
    rules = [
        f"{s} text {{ font-family: {FONT}; fill: {theme.text}; }}",
        f"{s} .background {{ fill: {theme.background}; }}",
        f"{s} .detail, {s} .type {{ fill: {theme.muted}; }}",
        f"{s} polygon, {s} rect.box, {s} circle {{ stroke: {theme.line}; stroke-width: 0.8; }}",
        f"{s} .edge {{ fill: none; stroke: {theme.edge}; stroke-width: 1.4; }}",
        f"{s} .skip .edge {{ stroke-dasharray: none; }}",
        f"{s} .wrap .edge {{ stroke-dasharray: 5 4; }}",
        f"{s} .arrowhead {{ fill: {theme.edge}; }}",
        f"{s} .window {{ fill: {theme.window}; fill-opacity: 0.35; stroke: {theme.window}; }}",
        f"{s} .cone {{ stroke: {theme.window}; stroke-width: 0.8; stroke-dasharray: 3 2; fill: none; }}",
        f"{s} .divider {{ stroke: {theme.line}; stroke-width: 0.6; }}",
        f"{s} rect.frame {{ fill: {theme.frame}; stroke: {theme.muted}; stroke-width: 0.6; }}",
        f"{s} .caption {{ fill: {theme.muted}; font-style: italic; }}",
    ]
    for kind, (top, front, flank) in theme.kinds.items():
        rules.append(f"{s} .{kind} .top {{ fill: {top}; }}")
        rules.append(f"{s} .{kind} .front, {s} .{kind} rect.box, {s} .{kind} circle {{ fill: {front}; }}")
        rules.append(f"{s} .{kind} .side {{ fill: {flank}; }}")
    rules += [  # after the kinds' fills, which they override
        f"{s} .failed .front, {s} .failed .top, {s} .failed .side, {s} .failed rect.box "
        f"{{ fill: {theme.background}; stroke-dasharray: 4 3; }}",
        f"{s} .error .front, {s} .error .top, {s} .error .side, {s} .error rect.box "
        f"{{ stroke: {theme.error}; stroke-width: 1.6; }}",
        f"{s} .error .detail {{ fill: {theme.error}; }}",
    ]
    return "\n".join(rules)

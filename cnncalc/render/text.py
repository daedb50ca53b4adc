"""Small text helpers shared by the human-readable renderers: shapes, counts, totals and findings."""

from __future__ import annotations

from cnncalc.diagnostics import Diagnostic, Severity
from cnncalc.shapes.records import Analysis, Shape
from cnncalc.shapes.text import format_shape

_UNITS = ("B", "KB", "MB", "GB", "TB", "PB")


def readable_size(size: int) -> str:
    """``size`` bytes as Keras prints them (1024 base, two decimals).

    >>> readable_size(61_706 * 4), readable_size(0), readable_size(2**22)
    ('241.04 KB', '0.00 B', '4.00 MB')
    """
    unit, scale = 0, 1
    while unit < len(_UNITS) - 1 and size >= scale * 1024:
        scale *= 1024
        unit += 1
    hundredths = (size * 100 + scale // 2) // scale
    return f"{hundredths // 100}.{hundredths % 100:02d} {_UNITS[unit]}"


def totals(analysis: Analysis) -> list[tuple[str, str]]:
    """``(label, value)`` lines like Keras' summary footer: counts, and the bytes the weights take."""
    weights = [weight for record in analysis.layers for weight in record.weights or ()]
    trainable = sum(weight.nbytes for weight in weights if weight.trainable)
    non_trainable = sum(weight.nbytes for weight in weights if not weight.trainable)
    return [
        (label, f"{count:,} ({readable_size(size)})")
        for label, count, size in (
            ("Total params", analysis.total_params, trainable + non_trainable),
            ("Trainable params", analysis.trainable_params, trainable),
            ("Non-trainable params", analysis.non_trainable_params, non_trainable),
        )
    ]


def readable_bytes(size: int | None) -> str:
    """:func:`readable_size`, or a dash when unknown.

    >>> readable_bytes(18_816), readable_bytes(None)
    ('18.38 KB', '—')
    """
    return "—" if size is None else readable_size(size)


def shape_text(shape: Shape | None, batch: str | None = None) -> str:
    """``(28, 28, 6)``; with a batch axis ``(None, 28, 28, 6)``; a dash when analysis never got there.

    >>> shape_text((2048,)), shape_text((28, 28, 6), "None"), shape_text((10,), "32"), shape_text(None)
    ('(2048,)', '(None, 28, 28, 6)', '(32, 10)', '—')
    """
    if shape is None:
        return "—"
    if batch is None:
        return format_shape(shape)
    return "(" + ", ".join([batch, *map(str, shape)]) + ")"


def count_text(params: int | None) -> str:
    """The parameter count with thousands separators, or a dash when unknown."""
    return f"{params:,}" if params is not None else "—"


def where(analysis: Analysis, diagnostic: Diagnostic) -> str:
    """``conv2d_2 (line 7)``: the layer a finding is about, and its line when known."""
    parts = []
    if diagnostic.layer is not None:
        parts.append(analysis.layers[diagnostic.layer].name)
    if diagnostic.line is not None and diagnostic.use_line is not None:
        parts.append(f"(line {diagnostic.line}, in the block used at line {diagnostic.use_line})")
    elif diagnostic.line is not None:
        parts.append(f"(line {diagnostic.line})")
    return " ".join(parts)


def findings_summary(diagnostics: tuple[Diagnostic, ...] | list[Severity]) -> str:
    """``1 error, 2 warnings, 1 info``: the count of each severity present.

    >>> warning, info = Diagnostic("CNN110", Severity.WARNING, "m"), Diagnostic("CNN111", Severity.INFO, "m")
    >>> findings_summary((warning, warning, info))
    '2 warnings, 1 info'
    """
    severities = [d if isinstance(d, Severity) else d.severity for d in diagnostics]
    counts = [(sum(s is severity for s in severities), severity.value) for severity in Severity]
    return ", ".join(f"{n} {word}" + ("s" if n > 1 and word != "info" else "") for n, word in counts if n)

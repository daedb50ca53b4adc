"""The HTML report: one self-contained page (no network, no CDN) with the diagram, the sortable
layer table, totals, findings linked to their rules' documentation, and every formula.

It reads the same records and findings as the terminal table (through ``render.text``) and embeds the
diagram's SVG; its stylesheet and sorting script are ``report.css`` and ``report.js`` beside it.
"""

from __future__ import annotations

from importlib.resources import files
from math import prod

from markdown_it import MarkdownIt

from cnncalc import __version__
from cnncalc.diagnostics import Diagnostic
from cnncalc.linter.registry import find_rule
from cnncalc.pictures import draw
from cnncalc.pictures.labels import shape_label
from cnncalc.pictures.svg import plain
from cnncalc.pictures.themes import ThemeName
from cnncalc.render.text import count_text, findings_summary, readable_size, totals
from cnncalc.shapes.records import Analysis, LayerRecord

ROW_LENGTH = 1050.0
"""The diagram wraps to fit the page's column (about 1,100 px on a laptop, A4 when printed)."""


def render_report(analysis: Analysis, *, theme: ThemeName = "light") -> str:
    """The report of ``analysis`` (with its lint findings) as one HTML document."""
    title = f"{analysis.name} — cnncalc report"
    sections = [
        _header(analysis),
        _totals(analysis),
        _section("diagram", "Diagram", _figure(analysis, theme)),
        _section("layers", "Layers", _table(analysis)),
        _section("findings", f"Findings ({len(analysis.diagnostics)})", _findings(analysis)),
        _section("formulas", "Formulas", _formulas(analysis)),
        _rules(analysis.diagnostics),
        f"<footer>Written by cnncalc {__version__}. Shapes and counts are exactly those Keras builds; "
        "sizes assume float32.</footer>",
    ]
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="generator" content="cnncalc {__version__}">\n'
        f"<title>{plain(title)}</title>\n"
        f"<style>\n{_resource('report.css')}</style>\n"
        f'</head>\n<body class="{theme}">\n<main>\n'
        + "\n".join(part for part in sections if part)
        + f"\n</main>\n<script>\n{_resource('report.js')}</script>\n</body>\n</html>\n"
    )


def _resource(name: str) -> str:
    return files("cnncalc.pictures").joinpath(name).read_text(encoding="utf-8")


def _section(anchor: str, heading: str, body: str) -> str:
    return f'<section id="{anchor}">\n<h2>{plain(heading)}</h2>\n{body}\n</section>'


def _header(analysis: Analysis) -> str:
    where = f"<code>{plain(analysis.file)}</code> · " if analysis.file else ""
    return (
        f"<header>\n<h1>{plain(analysis.name)}</h1>\n"
        f'<p class="meta">{where}input {plain(shape_label(analysis.input_shape))} '
        f"({plain(analysis.data_format)}) · {len(analysis.layers)} layers</p>\n</header>"
    )


def _totals(analysis: Analysis) -> str:
    figures = [(label, value) for label, value in totals(analysis)]
    figures.append(("Parameter memory", f"{readable_size(analysis.total_params)} (float32)"))
    figures.append(("Output shape", shape_label(analysis.output_shape)))
    figures.append(("Findings", findings_summary(analysis.diagnostics) or "none"))
    cards = "\n".join(
        f"<div><dt>{plain(label)}</dt><dd>{plain(value)}</dd></div>" for label, value in figures
    )
    return f'<dl class="totals">\n{cards}\n</dl>'


def _figure(analysis: Analysis, theme: ThemeName) -> str:
    svg = draw(analysis, theme=theme, row_length=ROW_LENGTH)
    return f"<figure>\n{svg}</figure>"


def _table(analysis: Analysis) -> str:
    severities = {d.layer: d.severity.value for d in reversed(analysis.diagnostics) if d.layer is not None}
    head = (
        "<thead><tr>"
        + "".join(
            f'<th scope="col"{" class=number" if numeric else ""}><button type="button">{name}</button></th>'
            for name, numeric in (
                ("#", True),
                ("Layer", False),
                ("Type", False),
                ("Output shape", True),
                ("Param #", True),
                ("Receptive field", True),
                *((("Connected to", False),) if analysis.branches else ()),
            )
        )
        + "</tr></thead>"
    )
    rows = [
        f'<tr class="input"><td data-value="-1"></td><td>input</td><td>Input</td>'
        f'<td data-value="{prod(analysis.input_shape)}">{plain(shape_label(analysis.input_shape))}</td>'
        '<td class="number" data-value="0"></td><td data-value="1">1 × 1</td>'
        + ("<td></td>" if analysis.branches else "")
        + "</tr>"
    ]
    rows += [_row(record, severities.get(record.index), analysis.branches) for record in analysis.layers]
    return (
        f'<div class="scroll"><table class="sortable">\n{head}\n<tbody>\n'
        + "\n".join(rows)
        + "\n</tbody></table></div>"
    )


def _row(record: LayerRecord, severity: str | None, connected: bool) -> str:
    shape = record.output_shape
    field = record.receptive_field
    cells = [
        f'<td class="number" data-value="{record.index}">{record.index}</td>',
        f"<td>{plain(record.name)}</td>",
        f"<td>{plain(record.layer.keras_class)}</td>",
        f'<td data-value="{prod(shape) if shape else -1}">{plain(shape_label(shape) if shape else "—")}</td>',
        f'<td class="number" data-value="{record.params if record.params is not None else -1}">'
        f"{plain(count_text(record.params))}</td>",
        f'<td data-value="{field.size[0] * field.size[1] if field else -1}">'
        f"{plain(f'{field.size[0]} × {field.size[1]}' if field else '—')}</td>",
    ]
    if connected:
        cells.append(f"<td>{plain(', '.join(record.inputs))}</td>")
    marked = f' class="{severity}"' if severity else ""
    return f'<tr id="layer-{record.index}"{marked}>' + "".join(cells) + "</tr>"


def _findings(analysis: Analysis) -> str:
    if not analysis.diagnostics:
        return "<p>No findings: every rule passed.</p>"
    items = []
    for d in analysis.diagnostics:
        layer = (
            f' at <a href="#layer-{d.layer}">{plain(analysis.layers[d.layer].name)}</a>'
            if d.layer is not None
            else ""
        )
        line = f" (line {d.line})" if d.line is not None else ""
        hint = f'\n<p class="hint">Hint: {plain(d.hint)}</p>' if d.hint else ""
        items.append(
            f'<li class="{d.severity.value}"><span class="badge">{d.severity.value}</span> '
            f'<a class="code" href="#rule-{d.code}">{d.code}</a>{layer}{line}'
            f"<p>{plain(d.message)}</p>{hint}</li>"
        )
    return '<ul class="findings">\n' + "\n".join(items) + "\n</ul>"


def _formulas(analysis: Analysis) -> str:
    entries = [
        f"<dt>{plain(record.name)} <span>({plain(record.layer.keras_class)})</span></dt>"
        + "".join(f"<dd><code>{plain(line)}</code></dd>" for line in record.explanation)
        for record in analysis.layers
        if record.explanation
    ]
    if not entries:
        return "<p>No layer has a formula to show.</p>"
    return '<dl class="formulas">\n' + "\n".join(entries) + "\n</dl>"


def _rules(diagnostics: tuple[Diagnostic, ...]) -> str:
    """The documentation of every rule a finding cites, so that the report's links work offline."""
    markdown = MarkdownIt("commonmark", {"html": False})
    pages = []
    for code in dict.fromkeys(d.code for d in diagnostics):
        rule = find_rule(code)
        if rule is None:
            continue
        pages.append(
            f'<article class="rule" id="rule-{rule.code}">\n'
            f"<h3>{rule.code} <code>{plain(rule.name)}</code></h3>\n"
            f"{markdown.render(rule.docs)}"
            f'<p class="meta">Default severity: {rule.severity.value}. '
            f"<code>cnncalc rule {rule.code}</code> prints this page.</p>\n</article>"
        )
    return _section("rules", "Rules", "\n".join(pages)) if pages else ""

"""The report and the diagrams in a real browser (headless Chromium): they load with no console
error, show something, list every layer, sort, and lay out without overlaps as rendered."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest

import cnncalc
from tests.conftest import EXAMPLES
from tests.pictures.svgread import overlapping, read_nodes

pytestmark = pytest.mark.browser

SPECS = sorted(EXAMPLES.glob("**/*.yaml"))


def _open(browser: Any, path: Path) -> None:
    browser.get_log("browser")  # forget earlier pages' messages
    browser.get(path.as_uri())


def _console_errors(browser: Any) -> list[str]:
    return [entry["message"] for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]


def _not_blank(png: bytes) -> None:
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        colours = image.convert("RGB").getcolors(maxcolors=1 << 20)
    assert colours is not None
    assert len(colours) > 20, "the screenshot shows more than a few colours"
    most = max(count for count, _ in colours)
    assert most < 0.98 * sum(count for count, _ in colours), "more than 2% of it is drawn on"


@pytest.mark.parametrize("path", SPECS, ids=lambda p: str(p.relative_to(EXAMPLES)))
def test_report_loads_and_its_table_lists_every_layer(browser: Any, path: Path, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(cnncalc.report(path), encoding="utf-8")
    _open(browser, page)
    assert _console_errors(browser) == []
    names = browser.execute_script(
        "return Array.from(document.querySelectorAll('#layers tbody tr'), r => r.cells[1].textContent)"
    )
    assert names == ["input", *(record.name for record in cnncalc.analyze(path).layers)]
    _not_blank(browser.get_screenshot_as_png())
    width = browser.execute_script("return document.documentElement.scrollWidth")
    assert width <= 1366, "nothing runs off a laptop screen"


def test_report_table_sorts_by_parameters(browser: Any, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(cnncalc.report(EXAMPLES / "lenet5.yaml"), encoding="utf-8")
    _open(browser, page)
    header = browser.find_element("xpath", "//th[button[text()='Param #']]")
    rows = "return Array.from(document.querySelectorAll('#layers tbody tr'), r => r.cells[1].textContent)"
    header.find_element("tag name", "button").click()
    assert header.get_attribute("aria-sort") == "ascending"
    ascending = browser.execute_script(rows)
    header.find_element("tag name", "button").click()
    descending = browser.execute_script(rows)
    # LeNet-5's counts, from Keras' summary: dense 48,120; dense_1 10,164; conv2d_1 2,416; dense_2 850; conv2d 156
    assert descending[:5] == ["dense", "dense_1", "conv2d_1", "dense_2", "conv2d"]
    assert ascending[-5:] == ["conv2d", "dense_2", "conv2d_1", "dense_1", "dense"]
    assert _console_errors(browser) == []


def test_report_prints_to_a4(browser: Any, tmp_path: Path) -> None:
    """Chromium's own print to PDF, at A4: the page is A4 and the diagram fits its width."""
    import base64

    page = tmp_path / "report.html"
    page.write_text(cnncalc.report(EXAMPLES / "lint_keras_mnist_cnn.yaml"), encoding="utf-8")
    _open(browser, page)
    pdf = base64.b64decode(browser.execute_cdp_cmd("Page.printToPDF", {"preferCSSPageSize": True})["data"])
    assert pdf.startswith(b"%PDF-")
    # A4 is 210 × 297 mm: 595.28 × 841.89 points
    boxes = re.findall(rb"/MediaBox \[0 0 ([0-9.]+) ([0-9.]+)\]", pdf)
    assert boxes
    assert all(abs(float(w) - 595.28) < 2 and abs(float(h) - 841.89) < 2 for w, h in boxes)
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        overflow = browser.execute_script(
            "const f = document.querySelector('figure svg').getBoundingClientRect();"
            "return f.right <= document.querySelector('main').getBoundingClientRect().right + 1;"
        )
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    assert overflow


@pytest.mark.parametrize("path", SPECS, ids=lambda p: str(p.relative_to(EXAMPLES)))
@pytest.mark.parametrize("style", ["blocks", "graph"])
def test_diagram_renders_without_overlaps(browser: Any, path: Path, style: str, tmp_path: Path) -> None:
    picture = tmp_path / "net.svg"
    picture.write_text(cnncalc.diagram(path, style=style), encoding="utf-8")  # type: ignore[arg-type]
    _open(browser, picture)
    assert _console_errors(browser) == []
    boxes = browser.execute_script(
        "return Array.from(document.querySelectorAll('g.node > g.body'), g => {"
        "  const b = g.getBBox(); return [b.x, b.y, b.x + b.width, b.y + b.height]; })"
    )
    assert len(boxes) == len(read_nodes(picture.read_text())), "every node is rendered"
    assert overlapping([tuple(b) for b in boxes]) == []
    texts = browser.execute_script("return document.documentElement.textContent")
    for record in cnncalc.analyze(path).layers:
        assert record.name in texts
    _not_blank(browser.find_element("tag name", "svg").screenshot_as_png)
